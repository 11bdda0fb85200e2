#!/usr/bin/env bash
# Runs a libFuzzer harness once on every input of its corpus (the seeds and each crash that was
# found and fixed), as TAP: a regression test per harness.
#   tests/fuzz/replay.sh .output/fuzz/fuzz_NAME
set -u
bin=$1
corpus=$(dirname "$0")/corpus/${bin##*/}
inputs=("$corpus"/*)
echo "1..1"
if out=$("$bin" "${inputs[@]}" 2>&1); then
	echo "ok 1 - ${bin##*/}: ${#inputs[@]} inputs of $corpus"
else
	printf '%s\n' "$out" | grep -v '^Running: \|^Executed ' | sed 's/^/# /'
	echo "not ok 1 - ${bin##*/}: an input of $corpus fails"
fi
