#!/usr/bin/env bash
# Runs every suite (cmocka unit and BPF tests, bats end-to-end tests) in TAP mode, echoes their
# output and ends with one line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0

# count_tap SUITE-NAME EXIT-CODE < TAP
count_tap() {
	local name=$1 rc=$2 line p=0 f=0 s=0
	while IFS= read -r line; do
		printf '%s\n' "$line"
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

for t in .output/tests/unit/test_* .output/tests/bpf/test_*; do
	case "$t" in *.d | *'*'*) continue ;; esac
	[ -x "$t" ] || continue
	echo "# suite ${t#.output/tests/}"
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout 600 "$t" 2>&1)
	rc=$?
	count_tap "$t" "$rc" <<<"$out"
done

if compgen -G 'tests/e2e/*.bats' >/dev/null; then
	echo "# suite e2e"
	out=$(timeout 3000 bats --tap tests/e2e 2>&1)
	rc=$?
	count_tap bats "$rc" <<<"$out"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
