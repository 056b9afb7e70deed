/*
 * sanitizers.c — deliberately broken code, built only by
 * `make test-sanitize` and run before the real suites, to prove that the
 * sanitized runner catches each kind of report (README "Sanitizers"):
 *   - a leak: LeakSanitizer reports it when the test's process exits, but
 *     Criterion still counts the test as passing, so only the runner's
 *     scan of the output ("ERROR: LeakSanitizer") can fail the suite;
 *   - a heap over-read (AddressSanitizer) and a signed overflow
 *     (UndefinedBehaviorSanitizer, -fno-sanitize-recover): both abort.
 * scripts/run-sanitized-tests.sh fails unless all three reports appear.
 * Never part of `make test`.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* volatile: the compiler must not see through the deliberate bugs. */
static void *volatile sink;
static volatile int big = INT_MAX;

Test(selfcheck, leak_passes_in_criterion_but_is_reported)
{
    char *p = malloc(4242);
    memset(p, 1, 4242);
    sink = p;
    sink = NULL; /* the only pointer is gone: a leak */
    cr_assert(1);
}

/* Out of UBSan's reach (its object-size check would report first), so
 * that this proves AddressSanitizer's report. */
__attribute__((noinline, no_sanitize("undefined"))) static char read_at(const char *p, size_t i)
{
    return p[i];
}

Test(selfcheck, heap_over_read)
{
    char *p = malloc(16);
    memset(p, 0, 16);
    sink = (void *)(long)read_at(p, 16 + (size_t)(big & 0));
    free(p);
}

Test(selfcheck, signed_overflow)
{
    int x = big;
    x += 1;
    sink = (void *)(long)x;
}
