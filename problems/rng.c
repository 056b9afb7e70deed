/*
 * rng.c — Philox4x32-10 and the mini-batch sampler (see rng.h).
 */
#include "rng.h"

#include <math.h>
#include <stdlib.h>

/* Multipliers and Weyl key increments of Philox4x32 (Salmon et al. 2011,
 * Table 2; the same constants as Random123's philox.h). */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void mulhilo32(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    *lo = (uint32_t)p;
}

void ob_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo32(PHILOX_M0, c0, &hi0, &lo0);
        mulhilo32(PHILOX_M1, c2, &hi1, &lo1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void ob_philox_init(ob_philox *r, uint64_t seed, uint32_t stream, uint64_t index)
{
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = 0;
    r->ctr[1] = stream;
    r->ctr[2] = (uint32_t)index;
    r->ctr[3] = (uint32_t)(index >> 32);
    r->avail = 0;
    r->has_spare = 0;
    r->spare = 0.0;
}

uint32_t ob_philox_u32(ob_philox *r)
{
    if (r->avail == 0) {
        ob_philox4x32_10(r->ctr, r->key, r->buf);
        r->ctr[0]++;
        r->avail = 4;
    }
    return r->buf[4 - r->avail--];
}

uint64_t ob_philox_u64(ob_philox *r)
{
    uint64_t lo = ob_philox_u32(r);
    uint64_t hi = ob_philox_u32(r);
    return (hi << 32) | lo;
}

double ob_philox_uniform(ob_philox *r)
{
    /* The top 53 bits, scaled by 2^-53: every value is a multiple of 2^-53. */
    return (double)(ob_philox_u64(r) >> 11) * 0x1p-53;
}

double ob_philox_normal(ob_philox *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    /* Box–Muller (Box & Muller 1958).  u1 is in (0, 1] so log(u1) is finite. */
    double u1 = 1.0 - ob_philox_uniform(r);
    double u2 = ob_philox_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double ang = 6.283185307179586 * u2;
    r->spare = rad * sin(ang);
    r->has_spare = 1;
    return rad * cos(ang);
}

/* High and low 64-bit halves of a 64x64-bit product, in portable C. */
static uint64_t mulhilo64(uint64_t a, uint64_t b, uint64_t *lo)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

uint64_t ob_philox_below(ob_philox *r, uint64_t n)
{
    /* Lemire, "Fast random integer generation in an interval", ACM TOMACS
     * 29(1), 2019, Alg. 5: multiply, and reject the few low products that
     * would make the result biased. */
    uint64_t lo, hi = mulhilo64(ob_philox_u64(r), n, &lo);
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;
        while (lo < threshold) hi = mulhilo64(ob_philox_u64(r), n, &lo);
    }
    return hi;
}

int ob_pb_sampler_init(ob_pb_sampler *s, uint64_t seed, uint32_t stream, size_t N, size_t B)
{
    s->seed = seed;
    s->stream = stream;
    s->N = N;
    s->B = B;
    s->per_epoch = N / B;
    s->valid = 0;
    s->epoch = 0;
    s->perm = malloc(N * sizeof *s->perm);
    return s->perm ? 0 : -1;
}

void ob_pb_sampler_free(ob_pb_sampler *s)
{
    free(s->perm);
    s->perm = NULL;
}

const uint32_t *ob_pb_sampler_batch(ob_pb_sampler *s, uint64_t t)
{
    uint64_t step = t ? t - 1 : 0;
    uint64_t epoch = step / s->per_epoch, k = step % s->per_epoch;
    if (!s->valid || s->epoch != epoch) {
        ob_philox r;
        ob_philox_init(&r, s->seed, s->stream, epoch);
        for (size_t i = 0; i < s->N; i++) s->perm[i] = (uint32_t)i;
        /* Fisher–Yates (Knuth, TAOCP vol. 2, Algorithm 3.4.2P). */
        for (size_t i = s->N - 1; i > 0; i--) {
            size_t j = (size_t)ob_philox_below(&r, (uint64_t)i + 1);
            uint32_t tmp = s->perm[i];
            s->perm[i] = s->perm[j];
            s->perm[j] = tmp;
        }
        s->epoch = epoch;
        s->valid = 1;
    }
    return s->perm + k * s->B;
}
