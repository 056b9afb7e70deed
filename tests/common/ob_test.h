/*
 * ob_test.h — shared helpers for the Criterion suites: the seed, a small
 * deterministic RNG, special-value generators and guard-page buffers.
 */
#ifndef OB_TEST_H
#define OB_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "harness/testkit/ob_testkit.h"

/* The suites' fixed seed: OPTBENCH_SEED if set (decimal or 0x hex), else a
 * constant.  Every failure message prints it so a failure can be replayed
 * with OPTBENCH_SEED=<seed> make test. */
uint64_t ob_test_seed(void);

/* A buffer of n floats whose last element sits right before a PROT_NONE
 * page, so any read or write past the end faults.  The start is therefore
 * aligned however n makes it.  n may be 0 (the pointer is then the guard
 * page's address and must not be dereferenced). */
typedef struct {
    void *map;
    size_t map_len;
    float *ptr;
} ob_guarded;
float *ob_guarded_alloc(ob_guarded *g, size_t n);
void ob_guarded_free(ob_guarded *g);

/* Bitwise comparison; returns the first differing index, or n if equal. */
size_t ob_first_diff(const float *a, const float *b, size_t n);

#endif
