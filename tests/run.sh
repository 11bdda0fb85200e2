#!/usr/bin/env bash
# Runs every suite (cmocka unit and BPF tests, bats end-to-end tests) in TAP mode, streams their
# output and ends with one line: "N passed, N failed, N skipped".
#   tests/run.sh            all suites
#   tests/run.sh --no-e2e   unit, BPF, integration (cmocka, own namespaces), static and
#                           packaging suites only
#   tests/run.sh --e2e F... those, and of the end-to-end suites the files F only
# With CI=true a suite that skipped every test (no root, no BPF) fails: CI has them all.
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0
log=$(mktemp)
# Sanitizer reports (make test SAN=1) go to files, never into a stderr a test captured and
# dropped; each fails the suite it came from. Writable by all: tests run echomap as nobody.
san=$(mktemp -d)
chmod 1777 "$san"
trap 'rm -rf "$log" "$san"' EXIT
export ASAN_OPTIONS="log_path=$san/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$san/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

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
	if [ "${CI:-}" = true ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name: no test ran (CI=true: every capability must be there)"
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
	san_reports "$name"
}

# san_reports SUITE-NAME: print and count the sanitizer reports its programs left.
san_reports() {
	local f
	for f in "$san"/*; do
		[ -f "$f" ] || continue
		sed 's/^/# /' "$f"
		echo "not ok - $1: sanitizer report ${f##*/}"
		failed=$((failed + 1))
		rm -f "$f"
	done
}

export CMOCKA_MESSAGE_OUTPUT=TAP
for t in .output/tests/unit/test_* .output/tests/bpf/test_* .output/tests/integration/test_*; do
	case "$t" in *.d | *'*'*) continue ;; esac
	[ -x "$t" ] && run_suite "${t#.output/tests/}" 600 "$t"
done

# The libFuzzer harnesses (make fuzz) over their corpora, every crash found among them.
for f in .output/fuzz/fuzz_*; do
	[ -x "$f" ] && [ -f "$f" ] && run_suite "fuzz/${f##*/}" 600 tests/fuzz/replay.sh "$f"
done

run_suite static 600 bats --tap tests/static
# make install, man pages, completion, --version: files, text and make, nothing of the kernel's.
# A few seconds here, but 20 minutes under the VM's emulation (every exec goes over 9p): the VM
# (/run/vmtest, see vmtest/guest.sh) leaves it to the host.
if [ ! -d /run/vmtest ]; then
	run_suite packaging 600 bats --tap tests/packaging
else
	echo "# suite packaging: not in the VM (no kernel feature; the host runs it)"
fi

if [ "${1:-}" = --e2e ]; then
	shift
	run_suite e2e 3600 bats --tap "$@"
elif [ "${1:-}" != --no-e2e ] && compgen -G 'tests/e2e/*.bats' >/dev/null; then
	e2e=()
	for f in tests/e2e/*.bats; do
		# What no kernel changes, the host alone runs: the rows' way into real ClickHouse
		# servers (libcurl, HTTP), name resolution (c-ares, DNS, nsswitch) and option
		# parsing; under the VM's emulation, where every exec crosses 9p, they are slow.
		case "$f" in
		tests/e2e/clickhouse.bats | tests/e2e/names.bats | tests/e2e/usage.bats)
			if [ -d /run/vmtest ]; then
				echo "# e2e: $f not in the VM (no kernel feature; the host runs it)"
				continue
			fi
			;;
		# The VM's virtio-net pair (vmtest/run.sh) is the only real NIC driver a test may
		# take over: the host's own interfaces are never touched.
		tests/e2e/nic.bats)
			if [ ! -d /run/vmtest ]; then
				echo "# e2e: $f in the VM only (its virtio-net NICs)"
				continue
			fi
			;;
		esac
		e2e+=("$f")
	done
	run_suite e2e 3600 bats --tap "${e2e[@]}"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
