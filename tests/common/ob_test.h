/*
 * ob_test.h — shared helpers for the Criterion suites: the seed, a small
 * deterministic RNG, special-value generators and guard-page buffers.
 */
#ifndef OB_TEST_H
#define OB_TEST_H

#include <stddef.h>
#include <stdint.h>

/* The suites' fixed seed: OPTBENCH_SEED if set (decimal or 0x hex), else a
 * constant.  Every failure message prints it so a failure can be replayed
 * with OPTBENCH_SEED=<seed> make test. */
uint64_t ob_test_seed(void);

/* splitmix64: tiny, seedable, good enough for test data. */
typedef struct { uint64_t s; } ob_rng;
void ob_rng_init(ob_rng *r, uint64_t seed);
uint64_t ob_rng_next(ob_rng *r);
double ob_rng_uniform(ob_rng *r);               /* [0, 1) */
/* Log-uniform magnitude in [lo, hi] with a random sign (sign = +1 forces
 * non-negative values). */
double ob_rng_logmag(ob_rng *r, double lo, double hi, int nonneg);

/* A float drawn to exercise special cases: ordinary values most of the
 * time, otherwise +-0, subnormals, huge values, NaN or +-Inf.  nonneg
 * keeps the value >= 0 (or NaN/+Inf) for state such as v. */
float ob_rng_special_float(ob_rng *r, int nonneg);
/* A finite float for the agreement tests: mostly in [1e-6, 1e6], with +-0
 * and subnormals mixed in; never so large that fp32 overflows where double
 * does not. */
float ob_rng_normal_float(ob_rng *r, int nonneg);

/* A buffer of n floats whose last element sits right before a PROT_NONE
 * page, so any read or write past the end faults.  The start is therefore
 * aligned however n makes it.  n may be 0 (the pointer is then the guard
 * page's address and must not be dereferenced). */
typedef struct { void *map; size_t map_len; float *ptr; } ob_guarded;
float *ob_guarded_alloc(ob_guarded *g, size_t n);
void ob_guarded_free(ob_guarded *g);

/* Bitwise comparison; returns the first differing index, or n if equal. */
size_t ob_first_diff(const float *a, const float *b, size_t n);

#endif
