#!/usr/bin/env bash
# make fuzz: each libFuzzer harness for FUZZ_TIME seconds (default 30), starting from its seed
# corpus tests/fuzz/corpus/NAME; what it finds goes to .output/fuzz/corpus/NAME, a crash to
# .output/fuzz/crashes/NAME-* (copy it to tests/fuzz/corpus/NAME: make test replays the corpus).
#   tests/fuzz/run.sh .output/fuzz/fuzz_NAME...
set -u
cd "$(dirname "$0")/../.."
rc=0
for bin in "$@"; do
	name=${bin##*/}
	mkdir -p ".output/fuzz/corpus/$name" .output/fuzz/crashes
	echo "  FUZZ     $name for ${FUZZ_TIME:-30} s"
	"$bin" -max_total_time="${FUZZ_TIME:-30}" -print_final_stats=1 -close_fd_mask=2 \
		-artifact_prefix=".output/fuzz/crashes/$name-" ".output/fuzz/corpus/$name" \
		"tests/fuzz/corpus/$name" >".output/fuzz/$name.log" 2>&1
	status=$?
	grep -E '^#[0-9]+.*DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss)|^==[0-9]+==|SUMMARY|artifact' \
		".output/fuzz/$name.log"
	[ "$status" -eq 0 ] || { echo "  $name failed (status $status): .output/fuzz/$name.log"; rc=1; }
done
exit "$rc"
