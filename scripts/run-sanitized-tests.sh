#!/bin/sh
# `make test-sanitize`: runs the suites built with ASan + UBSan and fails a
# suite on any sanitizer report in its output, leaks included.
# Usage: scripts/run-sanitized-tests.sh SELFCHECK_BINARY TEST_BINARY...
#
# Why a scan: Criterion runs each test in its own process, and
# LeakSanitizer reports when that process exits, after Criterion has
# counted the test as passed (README, "Sanitizers, valgrind and fuzzing").
# So scripts/run-tests.sh, with
# OPTBENCH_SCAN_SANITIZERS=1, fails any suite whose output holds
# "ERROR: LeakSanitizer", "ERROR: AddressSanitizer" or "runtime error:".
# The tests run one at a time (OPTBENCH_TEST_JOBS=1): with two at once,
# Criterion 2.4.1's runner itself leaks 48 bytes (a stack entirely inside
# libcriterion, whenever tests with a .timeout overlap), which LSan would
# rightly report; a suppression for it would also hide leaks in our tests,
# whose stacks pass through libcriterion too.
# First, the self-check binary (fuzz/selfcheck/sanitizers.c: a leak that
# Criterion passes, a heap over-read, a signed overflow) must produce all
# three reports, or this script fails: the scan is proven on every run.
#
# OPTBENCH_SKIP_HUGE=1: the n > 2^31 tests map tens of GiB, and their
# shadow memory and instrumentation make them far too slow under ASan.
# No LeakSanitizer suppressions are needed: libgomp's thread pool and
# Criterion's runner came out clean (checked with gcc 12, 2 threads).
here=$(cd "$(dirname "$0")" && pwd)
# allocator_may_return_null: a failed huge malloc returns NULL (the code
# under test reports it) instead of ASan aborting.  handle_segv=0: the
# guard-page tests expect a plain SIGSEGV.
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:handle_segv=0:strict_string_checks=1:detect_invalid_pointer_pairs=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export OPTBENCH_SKIP_HUGE=1
export OPTBENCH_SCAN_SANITIZERS=1
export OPTBENCH_TEST_TIMEOUT="${OPTBENCH_TEST_TIMEOUT:-1800}"
export OPTBENCH_TEST_JOBS="${OPTBENCH_TEST_JOBS:-1}"

selfcheck=$1
shift
log=$(mktemp) || exit 1
"$selfcheck" --color=never --verbose >"$log" 2>&1
missing=""
grep -q "ERROR: LeakSanitizer" "$log" || missing="$missing leak"
grep -q "ERROR: AddressSanitizer" "$log" || missing="$missing heap-over-read"
grep -q "runtime error:" "$log" || missing="$missing signed-overflow"
grep -q "PASS.*leak_passes_in_criterion" "$log" && leak_passed=yes || leak_passed=no
if [ -n "$missing" ]; then
    cat "$log"
    rm -f "$log"
    echo "sanitizer self-check FAILED: no report for:$missing (are the sanitizers and the scan working?)"
    exit 1
fi
rm -f "$log"
echo "sanitizer self-check: the deliberate leak (Criterion: passed=$leak_passed), heap over-read and signed overflow were all reported; the scan fails suites on them"
exec "$here/run-tests.sh" "$@"
