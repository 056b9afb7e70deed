#!/bin/sh
# `make test-valgrind`: every suite under valgrind's memcheck.
# Usage: scripts/run-valgrind-tests.sh TEST_BINARY...
#
# Valgrind 3.19 cannot run AVX-512 and hides it from CPU detection, so the
# suites test the scalar and AVX2 kernels here (AVX-512 is ASan's, in make
# test-sanitize).  Valgrind's errors never fail a test, so each child's
# log (--trace-children=yes: Criterion runs each test in its own process)
# is read: a suite fails on any "ERROR SUMMARY: N errors" with N > 0 or a
# definite leak.  The logs stay in build/valgrind/.
#
# Test failures under valgrind are listed but do not count: valgrind
# emulates FMA with a double rounding (the exactness hashes of test_ci
# differ) and runs 10-50x slower (the long sweeps of test_kernels and
# test_problems exceed their timeouts); make test runs them natively.
# Slow: not part of CI.  OPTBENCH_VALGRIND_TIMEOUT (default 3600) limits
# each suite, in seconds; `make test-valgrind VALGRIND_TESTS="test_kill
# test_run"` picks suites.  OPTBENCH_SKIP_HUGE=1 (tens of GiB of
# mappings); OPTBENCH_UNDER_VALGRIND=1 skips the ulimit -v test (valgrind
# needs the address space itself).
logs=build/valgrind
rm -rf "$logs"
mkdir -p "$logs" || exit 1
export OPTBENCH_SKIP_HUGE=1 OPTBENCH_UNDER_VALGRIND=1
status=0
failed=""
for bin in "$@"; do
    name=$(basename "$bin")
    start=$(date +%s)
    timeout "${OPTBENCH_VALGRIND_TIMEOUT:-3600}" valgrind --tool=memcheck --trace-children=yes --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --num-callers=30 --log-file="$logs/$name.%p.log" \
        "$bin" --color=never --verbose --timeout 7200 >"$logs/$name.out" 2>&1
    rc=$?
    synth=$(grep 'Synthesis' "$logs/$name.out" | tail -n 1)
    bad=$(grep -l -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$logs/$name".*.log 2>/dev/null)
    nlogs=$(ls "$logs/$name".*.log 2>/dev/null | wc -l)
    [ "$rc" = 124 ] && synth="not finished in ${OPTBENCH_VALGRIND_TIMEOUT:-3600} s; $synth"
    echo "$name: $synth ($nlogs processes, $(($(date +%s) - start)) s)"
    [ "$rc" != 0 ] && grep -E '\[FAIL' "$logs/$name.out" | head -n 10 | sed "s|^|$name: (not counted) |"
    if [ -n "$bad" ]; then
        status=1
        failed="$failed $name"
        for f in $bad; do
            echo "$name: valgrind errors in $f:"
            grep -E -A12 '^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and dest|[0-9,]+ bytes in [0-9,]+ blocks are definitely)' "$f" | head -n 40
        done
    fi
done
if [ "$status" != 0 ]; then
    echo "valgrind: FAILED suites:$failed (logs in $logs/)"
    exit 1
fi
echo "valgrind: every suite clean (no memcheck errors, no definite leaks; logs in $logs/)"
