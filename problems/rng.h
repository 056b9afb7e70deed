/*
 * rng.h — the catalog's counter-based random numbers (internal).
 *
 * Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as
 * easy as 1, 2, 3", SC 2011, Fig. 2 and Table 2): a keyed bijection of a
 * 128-bit counter.  The key is the user's 64-bit seed; the counter holds
 * (block, stream, index).  So the numbers of step t of stream s are a pure
 * function of (seed, s, t): a run can be replayed from any step, split
 * across workers, or evaluated out of order, and two uses of randomness
 * (data, starting point, mini-batch order, gradient noise) never overlap
 * because each has its own stream id.
 *
 * Not part of the public API; every symbol is ob_-prefixed because the
 * library is one static archive.
 */
#ifndef OB_PROBLEMS_RNG_H
#define OB_PROBLEMS_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Stream ids: one per use of randomness in the catalog. */
enum {
    OB_STREAM_DATA = 1,   /* synthetic data sets, Hessians, rotations */
    OB_STREAM_X0 = 2,     /* random starting points (network init) */
    OB_STREAM_BATCH = 3,  /* mini-batch order (one index per epoch) */
    OB_STREAM_NOISE = 4,  /* additive gradient noise (one index per step) */
    OB_STREAM_TARGET = 5, /* moving targets of non-stationary problems */
    OB_STREAM_ONLINE = 6,  /* per-step draws of online problems */
    OB_STREAM_INSTANCE = 7 /* rotations, shifts and starts of instances (one index per instance) */
};

/* One Philox4x32-10 block: out = bijection_key(ctr). */
void ob_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* A sequential reader over the blocks of one (seed, stream, index).  The
 * 32-bit block counter allows 2^34 32-bit words per (stream, index), far
 * more than any problem draws in one step. */
typedef struct ob_philox {
    uint32_t key[2];
    uint32_t ctr[4]; /* ctr[0] block, ctr[1] stream, ctr[2..3] index */
    uint32_t buf[4];
    unsigned avail; /* unread words left in buf */
    int has_spare;  /* Box–Muller makes normals in pairs */
    double spare;
} ob_philox;

void ob_philox_init(ob_philox *r, uint64_t seed, uint32_t stream, uint64_t index);
uint32_t ob_philox_u32(ob_philox *r);
uint64_t ob_philox_u64(ob_philox *r);
/* Uniform on [0, 1) with 53 random bits. */
double ob_philox_uniform(ob_philox *r);
/* Standard normal (Box–Muller on two 53-bit uniforms). */
double ob_philox_normal(ob_philox *r);
/* Uniform integer in [0, n), n >= 1 (Lemire's multiply-and-reject, so
 * exactly uniform). */
uint64_t ob_philox_below(ob_philox *r, uint64_t n);

/* Mini-batches of a finite data set: epoch e is a fresh Fisher–Yates
 * permutation drawn from (seed, stream, e); step t (1-based) takes the
 * (t-1) mod (N/B)-th block of B indices of epoch (t-1) div (N/B), and the
 * remainder N mod B is dropped (as tf.data's drop_remainder, which DeepOBS
 * uses).  The batch of step t thus depends only on (seed, t).  The last
 * permutation is cached, so a sequential run shuffles once per epoch. */
typedef struct ob_pb_sampler {
    uint64_t seed;
    uint32_t stream;
    size_t N, B, per_epoch;
    uint32_t *perm;
    uint64_t epoch;
    int valid;
} ob_pb_sampler;

/* 0, or -1 if out of memory. Requires 1 <= B <= N <= UINT32_MAX. */
int ob_pb_sampler_init(ob_pb_sampler *s, uint64_t seed, uint32_t stream, size_t N, size_t B);
void ob_pb_sampler_free(ob_pb_sampler *s);
/* The B indices of step t (t = 0 is treated as t = 1). */
const uint32_t *ob_pb_sampler_batch(ob_pb_sampler *s, uint64_t t);

#endif
