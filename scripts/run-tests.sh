#!/bin/sh
# Runs every Criterion test binary given, prints each suite's synthesis line
# and a total, and exits non-zero if any suite failed.
# OPTBENCH_SEED overrides the tests' fixed random seed; OPTBENCH_TEST_TIMEOUT the
# per-test timeout in seconds (600); OPTBENCH_TEST_JOBS the tests run at once
# (default: Criterion's, one per CPU).
# With OPTBENCH_SCAN_SANITIZERS=1 (scripts/run-sanitized-tests.sh) a suite
# also fails when its output holds a sanitizer report: LeakSanitizer reports
# at process exit, after Criterion has already counted the test as passed.
status=0
total_tested=0; total_pass=0; total_fail=0
failed_suites=""
for bin in "$@"; do
    name=$(basename "$bin")
    log=$(mktemp)
    "$bin" --color=never --verbose --timeout "${OPTBENCH_TEST_TIMEOUT:-600}" ${OPTBENCH_TEST_JOBS:+--jobs "$OPTBENCH_TEST_JOBS"} >"$log" 2>&1
    rc=$?
    # Criterion prints SKIPPED lines and the synthesis line on stderr.
    grep -E "SKIP|\\[FAIL|\\[----\\]|Synthesis" "$log" | grep -v -e "^\\[----\\] *\$" -e "Criterion v" | sed "s|^|$name: |"
    synth=$(grep 'Synthesis' "$log" | tail -n 1)
    t=$(echo "$synth" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
    p=$(echo "$synth" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(echo "$synth" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    total_tested=$((total_tested + ${t:-0}))
    total_pass=$((total_pass + ${p:-0}))
    total_fail=$((total_fail + ${f:-0}))
    if [ -n "${OPTBENCH_SCAN_SANITIZERS:-}" ] &&
        grep -q -E 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' "$log"; then
        echo "$name: sanitizer report in the output:"
        grep -E 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:|SUMMARY:' "$log" | sed "s|^|$name: |"
        rc="$rc, sanitizer report"
    fi
    if [ "$rc" != 0 ]; then
        status=1
        failed_suites="$failed_suites $name"
        echo "---- $name exited with status $rc; full log:"
        cat "$log"
    fi
    rm -f "$log"
done
echo
echo "[====] All suites: Tested: $total_tested | Passing: $total_pass | Failing: $total_fail"
if [ "$status" != 0 ]; then
    echo "FAILED suites:$failed_suites"
    echo "tests: $total_pass passed, $total_fail failed"
    exit 1
fi
echo "tests: $total_pass passed, $total_fail failed"
