/*
 * avx2_ops.h — the loads, stores, tail masks and loop shapes shared by
 * the AVX2 + FMA kernels of kernels/avx2: every optimizer, SAM and the
 * reductions.  Internal to kernels/avx2 (every file including it is built
 * with -mavx2 -mfma -ffp-contract=off).
 */
#ifndef OB_AVX2_OPS_H
#define OB_AVX2_OPS_H

#include <immintrin.h>
#include <stddef.h>

#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "kernels/ob_prefetch.h"
#include "kernels/framework/ob_reduce.h"

#define OB_AVX2_INLINE static inline __attribute__((always_inline))

/* Loads/stores 8 floats; with `masked`, only the lanes set in `mask`
 * (the others read as 0 and are not written, so nothing outside the
 * array is touched). */
OB_AVX2_INLINE __m256 ob_load8(const float *a, __m256i mask, const int masked)
{
    return masked ? _mm256_maskload_ps(a, mask) : _mm256_loadu_ps(a);
}

OB_AVX2_INLINE void ob_store8(float *a, __m256 x, __m256i mask, const int masked)
{
    if (masked) _mm256_maskstore_ps(a, mask, x);
    else _mm256_storeu_ps(a, x);
}

/* The 16 double lanes of the fixed-order reductions (kernels/framework/ob_reduce.h),
 * held as four 4-double accumulators (lanes 0-3, 4-7, 8-11, 12-15),
 * added by the fixed tree; a NaN comes back canonical. */
OB_AVX2_INLINE double ob_lanes16_finish(__m256d a0, __m256d a1, __m256d a2, __m256d a3)
{
    double lane[OB_SUMSQ_LANES];
    _mm256_storeu_pd(lane, a0);
    _mm256_storeu_pd(lane + 4, a1);
    _mm256_storeu_pd(lane + 8, a2);
    _mm256_storeu_pd(lane + 12, a3);
    return ob_sumsq_finish(lane);
}

/* Lanes 0 .. rem-1 set (1 <= rem <= 7). */
OB_AVX2_INLINE __m256i ob_tail_mask8(size_t rem)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The mutation check's hooks (kernels/ob_mutant.h): OB_AVX2_MUT_VEC is
 * VEC(i, all_, 0) outside a mutant build; the operation mutant
 * (-DOB_MUTANT_OP) makes every fused multiply-add of the file a multiply
 * and an add (two roundings). */
#ifdef OB_MUTANT_OP
#define _mm256_fmadd_ps(a, b, c) _mm256_add_ps(_mm256_mul_ps((a), (b)), (c))
#endif
#define OB_AVX2_MUT_VEC(blk, VEC, i) OB_MUTANT_VEC(blk, VEC, i, all_, ob_tail_mask8(7))

/* The element loop of the kernels (SGD's: the four-vector form below):
 * VEC(i, mask, masked) handles elements i .. i+7.  Two vectors per
 * iteration, then one, then the last n % 8 elements through the same VEC
 * with a masked load/store, so the tail performs exactly the operations
 * of the main loop.  PREFETCH(i) runs once per iteration (16 floats: one
 * cache line per array) from ob_prefetch_from elements up (OB_PREFETCH_MIN_N
 * on the CPU classes that prefetch, never on the others):
 * OB_AVX2_NO_PREFETCH, or a macro calling ob_prefetch_line
 * (../ob_prefetch.h) for every array the kernel streams. */
#define OB_AVX2_NO_PREFETCH(i) ((void)(i))
#define OB_AVX2_FOR_EACH(n, VEC) OB_AVX2_FOR_EACH_PF(n, VEC, OB_AVX2_NO_PREFETCH)
#define OB_AVX2_FOR_EACH_PF(n, VEC, PREFETCH) \
    do { \
        const __m256i all_ = _mm256_setzero_si256(); /* unused */ \
        const int pf_ = (n) >= ob_prefetch_from; \
        size_t i_ = 0; \
        for (; (n)-i_ >= 16; i_ += 16) { \
            if (pf_) PREFETCH(i_); \
            VEC(i_, all_, 0); \
            OB_AVX2_MUT_VEC(1, VEC, i_ + 8); \
        } \
        if ((n)-i_ >= 8) { \
            OB_AVX2_MUT_VEC(3, VEC, i_); \
            i_ += 8; \
        } \
        if (i_ < (n)) VEC(i_, ob_tail_mask8(OB_MUTANT_TAIL((n)-i_)), 1); \
    } while (0)

/* The same with four vectors per iteration, for SGD (purely memory-bound):
 * PREFETCH(i) runs once per 32 elements (SGD's issues
 * ob_prefetch_block when ob_prefetch_due(i)), then up to three whole
 * vectors as straight-line code (as a loop, gcc would turn SGD's
 * first-step copy buf = g into a memcpy call), then the masked tail. */
#define OB_AVX2_FOR_EACH4_PF(n, VEC, PREFETCH) \
    do { \
        const __m256i all_ = _mm256_setzero_si256(); /* unused */ \
        const int pf_ = (n) >= ob_prefetch_from; \
        size_t i_ = 0; \
        for (; (n)-i_ >= 32; i_ += 32) { \
            if (pf_) PREFETCH(i_); \
            VEC(i_, all_, 0); \
            VEC(i_ + 8, all_, 0); \
            VEC(i_ + 16, all_, 0); \
            OB_AVX2_MUT_VEC(1, VEC, i_ + 24); \
        } \
        if ((n)-i_ >= 16) { \
            VEC(i_, all_, 0); \
            OB_AVX2_MUT_VEC(2, VEC, i_ + 8); \
            i_ += 16; \
        } \
        if ((n)-i_ >= 8) { \
            OB_AVX2_MUT_VEC(3, VEC, i_); \
            i_ += 8; \
        } \
        if (i_ < (n)) VEC(i_, ob_tail_mask8(OB_MUTANT_TAIL((n)-i_)), 1); \
    } while (0)

/* The Adam family's moment update, shared by the NAdam and RAdam kernels,
 * in kernels/scalar/moments.h's order for elements i .. i+7:
 *   p = p * decay_factor [decoupled];  d = fma(wd, p, g) [l2];
 *   m = fma(1-beta1, d, beta1*m);  v = fma(1-beta2, d*d, beta2*v)
 * m and v are stored; *pi (loaded p, decayed), *mi and *vi hold the new
 * values; returns d. */
typedef struct ob_moments8 {
    __m256 wd, decay, b1, omb1, b2, omb2;
} ob_moments8;

OB_AVX2_INLINE ob_moments8 ob_moments8_of(const ob_step_scalars *s)
{
    const ob_moments8 k = {_mm256_set1_ps(s->weight_decay), _mm256_set1_ps(s->decay_factor),
                           _mm256_set1_ps(s->beta1),        _mm256_set1_ps(s->one_minus_beta1),
                           _mm256_set1_ps(s->beta2),        _mm256_set1_ps(s->one_minus_beta2)};
    return k;
}

OB_AVX2_INLINE __m256 ob_moments8_step(const ob_moments8 *k, size_t i, float *p, const float *g, float *m,
                                       float *v, __m256i mask, const int masked, const int l2,
                                       const int decoupled, __m256 *pi, __m256 *mi, __m256 *vi)
{
    *pi = ob_load8(p + i, mask, masked);
    if (decoupled) *pi = _mm256_mul_ps(*pi, k->decay);
    __m256 d = ob_load8(g + i, mask, masked);
    if (l2) d = _mm256_fmadd_ps(k->wd, *pi, d);
    *mi = _mm256_fmadd_ps(k->omb1, d, _mm256_mul_ps(k->b1, ob_load8(m + i, mask, masked)));
    *vi = _mm256_fmadd_ps(k->omb2, _mm256_mul_ps(d, d), _mm256_mul_ps(k->b2, ob_load8(v + i, mask, masked)));
    ob_store8(m + i, *mi, mask, masked);
    ob_store8(v + i, *vi, mask, masked);
    return d;
}

#endif
