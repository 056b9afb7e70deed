/*
 * problems_testutil.h — helpers for the problem-catalog suites
 * (tests/test_problems*.c): the seed, finite-difference gradient checks,
 * and small data files written by the tests themselves.
 */
#ifndef OB_TESTS_PROBLEMS_TESTUTIL_H
#define OB_TESTS_PROBLEMS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "optbench/problems.h"

/* The tests' fixed seed, or OPTBENCH_SEED from the environment.  Every
 * assertion message that depends on it prints it. */
uint64_t pt_seed(void);

/* A small deterministic generator for test points (splitmix64). */
typedef struct pt_rng {
    uint64_t s;
} pt_rng;
void pt_rng_init(pt_rng *r, uint64_t seed);
double pt_uniform(pt_rng *r); /* [0, 1) */

/* Finite-difference check of pb's gradient at x for step t.  Compares
 * every coordinate when n <= 64, else `coords` random coordinates plus two
 * random directions; the derivative is the 5-point central difference with
 * step h * max(1, |x_i|) (error O(h^4)).  Returns the largest error,
 * relative to the gradient's max-norm (coordinates) or to |g| |v|
 * (directions); *where receives the worst coordinate (or n for a
 * direction). */
double pt_grad_check(ob_problem *pb, const double *x, uint64_t t, double h, size_t coords, pt_rng *r,
                     size_t *where);

/* A fresh temporary folder under /tmp (created; removed with its files at
 * exit); the path stays valid until then.  NULL if none could be made. */
const char *pt_tmpdir(void);

/* Writes a gzipped IDX file: magic, dims (big-endian), then `bytes` bytes of
 * payload (truncate < 0: all; else only that many).  0 on success. */
int pt_write_idx(const char *path, uint32_t magic, const uint32_t *dims, int ndims,
                 const unsigned char *payload, size_t bytes, long truncate);

/* Writes a Fashion-MNIST-shaped training set of `count` random images and
 * labels into dir (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz). */
int pt_write_fmnist(const char *dir, uint32_t count, uint64_t seed);

/* Writes text to a file, gzipped when gz != 0.  0 on success. */
int pt_write_text(const char *path, const char *text, int gz);

/* A configuration that every catalog entry can be created with in tests:
 * Fashion-MNIST entries get a small generated data set in `dir`, the
 * heart entry a generated libsvm file there; seed = pt_seed(). */
typedef struct pt_config {
    ob_problem_config cfg;
    char path[512];
    const char *param[1];
} pt_config;
void pt_config_for(const char *name, const char *dir, pt_config *pc);

#endif
