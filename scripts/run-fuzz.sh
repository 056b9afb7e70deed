#!/bin/sh
# `make fuzz`: runs each libFuzzer target for FUZZ_SECONDS seconds.
# Usage: scripts/run-fuzz.sh BUILD_DIR SECONDS TARGET...
#
# The committed seeds (fuzz/corpus/<target>/) are read, never written: new
# inputs go to BUILD_DIR/corpus/<target>/ (merge good ones into the
# committed corpus with `BIN -merge=1 fuzz/corpus/<target> BUILD_DIR/corpus/<target>`).
# A crash, leak, timeout or out-of-memory input is written to
# BUILD_DIR/artifacts/<target>/ and copied to fuzz/regressions/<target>/,
# so that `make test` replays it from then on (tests/test_badinput_fuzz.c):
# fix the bug, keep the file.  Exits 1 if any target found something.
# libFuzzer seeds itself from the clock; OPTBENCH_FUZZ_SEED=N repeats a run.
build=$1
secs=$2
shift 2
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
status=0
total=0
for t in "$@"; do
    bin="$build/fuzz/bin/$t"
    work="$build/corpus/$t"
    art="$build/artifacts/$t"
    log="$build/fuzz-$t.log"
    # Artifacts of earlier runs were copied to fuzz/regressions already.
    rm -rf "$art"
    mkdir -p "$work" "$art" || exit 1
    "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
        ${OPTBENCH_FUZZ_SEED:+-seed="$OPTBENCH_FUZZ_SEED"} \
        -artifact_prefix="$art/" "$work" "fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    corpus=$(ls "$work" | wc -l)
    total=$((total + ${runs:-0}))
    found=$(ls "$art" 2>/dev/null | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
    if [ "$rc" != 0 ] || [ -n "$found" ]; then
        status=1
        mkdir -p "fuzz/regressions/$t"
        for f in $found; do cp "$art/$f" "fuzz/regressions/$t/$f"; done
        echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} executions; kept as fuzz/regressions/$t/:" $found
        grep -E -A25 'ERROR: |fuzz property violated|runtime error:' "$log" | head -n 60
    else
        echo "fuzz $t: ${secs} s, ${runs:-?} executions (${rate:-?}/s), coverage ${cov:-?} edges, corpus $corpus new inputs: ok"
    fi
done
echo "fuzz: $total executions in all"
exit "$status"
