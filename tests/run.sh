#!/usr/bin/env bash
# Runs every suite (cmocka unit and BPF tests, bats end-to-end tests) in TAP mode, streams their
# output and ends with one line: "N passed, N failed, N skipped".
#   tests/run.sh            all suites
#   tests/run.sh --no-e2e   unit, BPF, integration (cmocka, own namespaces), static and
#                           packaging suites only
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# count_tap SUITE-NAME EXIT-CODE < TAP
count_tap() {
	local name=$1 rc=$2 line p=0 f=0 s=0
	while IFS= read -r line; do
		case "$line" in
		*ok*"# skip"* | *ok*"# SKIP"*) s=$((s + 1)) ;; # cmocka writes skips as "not ok ... # SKIP"
		"not ok"*) f=$((f + 1)) ;;
		ok*) p=$((p + 1)) ;;
		esac
	done
	# A suite that crashed or exited non-zero without reporting a failure still failed.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# run_suite NAME TIMEOUT CMD...
run_suite() {
	local name=$1 limit=$2 rc
	shift 2
	echo "# suite $name"
	timeout "$limit" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	count_tap "$name" "$rc" <"$log"
}

export CMOCKA_MESSAGE_OUTPUT=TAP
for t in .output/tests/unit/test_* .output/tests/bpf/test_* .output/tests/integration/test_*; do
	case "$t" in *.d | *'*'*) continue ;; esac
	[ -x "$t" ] && run_suite "${t#.output/tests/}" 600 "$t"
done

run_suite static 60 bats --tap tests/static
# make install, man pages, completion, --version: no network, a few seconds.
run_suite packaging 600 bats --tap tests/packaging

if [ "${1:-}" != --no-e2e ] && compgen -G 'tests/e2e/*.bats' >/dev/null; then
	run_suite e2e 3000 bats --tap tests/e2e
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
