/*
 * avx512_ops.h — the loads, stores, tail masks and loop shapes shared by
 * the AVX-512F kernels of kernels/avx512: every optimizer (the
 * approximate and mixed-precision Adam too), SAM and the reductions.
 * Internal to kernels/avx512 (every file including it is built with
 * -mavx512f -ffp-contract=off; nothing here needs more than AVX-512F).
 */
#ifndef OB_AVX512_OPS_H
#define OB_AVX512_OPS_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "kernels/ob_prefetch.h"
#include "kernels/framework/ob_reduce.h"

#define OB_AVX512_INLINE static inline __attribute__((always_inline))

/* Loads/stores 16 floats; with `masked`, only the lanes set in `mask`
 * (the others read as 0 and are not written; masked-off lanes never
 * fault). */
OB_AVX512_INLINE __m512 ob_load16(const float *a, __mmask16 mask, const int masked)
{
    return masked ? _mm512_maskz_loadu_ps(mask, a) : _mm512_loadu_ps(a);
}

OB_AVX512_INLINE void ob_store16(float *a, __m512 x, __mmask16 mask, const int masked)
{
    if (masked) _mm512_mask_storeu_ps(a, mask, x);
    else _mm512_storeu_ps(a, x);
}

/* Software prefetch (../ob_prefetch.h) of the two cache lines (32 floats)
 * that start OB_PREFETCH_BYTES after a + i: one loop iteration's worth. */
OB_AVX512_INLINE void ob_prefetch_ahead(const float *a, size_t i)
{
    ob_prefetch_line(a, i);
    ob_prefetch_line(a, i + 16);
}

/* The 16 double lanes of the fixed-order reductions (kernels/framework/ob_reduce.h),
 * held as two 8-double accumulators (lanes 0-7, 8-15), added by the fixed
 * tree; a NaN comes back canonical. */
OB_AVX512_INLINE double ob_lanes16_finish(__m512d lo, __m512d hi)
{
    double lane[OB_SUMSQ_LANES];
    _mm512_storeu_pd(lane, lo);
    _mm512_storeu_pd(lane + 8, hi);
    return ob_sumsq_finish(lane);
}

/* Lanes 0 .. rem-1 set (1 <= rem <= 15). */
OB_AVX512_INLINE __mmask16 ob_tail_mask16(size_t rem)
{
    return (__mmask16)((1u << rem) - 1u);
}

/* The mutation check's hooks (kernels/ob_mutant.h): OB_AVX512_MUT_VEC is
 * VEC(i, all_, 0) outside a mutant build; the operation mutant
 * (-DOB_MUTANT_OP) makes every fused multiply-add of the file a multiply
 * and an add (two roundings). */
#ifdef OB_MUTANT_OP
#define _mm512_fmadd_ps(a, b, c) _mm512_add_ps(_mm512_mul_ps((a), (b)), (c))
#endif
#define OB_AVX512_MUT_VEC(blk, VEC, i) OB_MUTANT_VEC(blk, VEC, i, all_, ob_tail_mask16(15))

/* The element loop of the kernels (SGD's: the four-vector form below):
 * VEC(i, mask, masked) handles elements i .. i+15.  Two vectors per
 * iteration, then one, then the last n % 16 elements through the same
 * VEC with a masked load/store, so the tail performs exactly the
 * operations of the main loop.  PREFETCH(i) is called once per 32
 * elements (the two cache lines of each array) when n is at least
 * ob_prefetch_from (kernels/ob_prefetch.h: OB_PREFETCH_MIN_N on the CPU
 * classes that prefetch, never on the others): OB_AVX512_NO_PREFETCH, or a macro that calls
 * ob_prefetch_ahead for every array the kernel streams. */
#define OB_AVX512_NO_PREFETCH(i) ((void)(i))
#define OB_AVX512_FOR_EACH(n, VEC) OB_AVX512_FOR_EACH_PF(n, VEC, OB_AVX512_NO_PREFETCH)
#define OB_AVX512_FOR_EACH_PF(n, VEC, PREFETCH) \
    do { \
        const __mmask16 all_ = 0xFFFF; /* unused when unmasked */ \
        const int pf_ = (n) >= ob_prefetch_from; \
        size_t i_ = 0; \
        for (; (n)-i_ >= 32; i_ += 32) { \
            if (pf_) PREFETCH(i_); \
            VEC(i_, all_, 0); \
            OB_AVX512_MUT_VEC(1, VEC, i_ + 16); \
        } \
        if ((n)-i_ >= 16) { \
            OB_AVX512_MUT_VEC(3, VEC, i_); \
            i_ += 16; \
        } \
        if (i_ < (n)) VEC(i_, ob_tail_mask16(OB_MUTANT_TAIL((n)-i_)), 1); \
    } while (0)

/* The same with four vectors per iteration, for SGD (purely memory-bound):
 * PREFETCH(i) runs once per 64 elements (SGD's issues ob_prefetch_block
 * there), then up to three whole vectors as straight-line code (as a
 * loop, gcc would turn SGD's first-step copy buf = g into a memcpy call),
 * then the masked tail. */
#define OB_AVX512_FOR_EACH4_PF(n, VEC, PREFETCH) \
    do { \
        const __mmask16 all_ = 0xFFFF; /* unused when unmasked */ \
        const int pf_ = (n) >= ob_prefetch_from; \
        size_t i_ = 0; \
        for (; (n)-i_ >= 64; i_ += 64) { \
            if (pf_) PREFETCH(i_); \
            VEC(i_, all_, 0); \
            VEC(i_ + 16, all_, 0); \
            VEC(i_ + 32, all_, 0); \
            OB_AVX512_MUT_VEC(1, VEC, i_ + 48); \
        } \
        if ((n)-i_ >= 32) { \
            VEC(i_, all_, 0); \
            OB_AVX512_MUT_VEC(2, VEC, i_ + 16); \
            i_ += 32; \
        } \
        if ((n)-i_ >= 16) { \
            OB_AVX512_MUT_VEC(3, VEC, i_); \
            i_ += 16; \
        } \
        if (i_ < (n)) VEC(i_, ob_tail_mask16(OB_MUTANT_TAIL((n)-i_)), 1); \
    } while (0)

/* The Adam family's moment update, shared by the NAdam and RAdam kernels,
 * in kernels/scalar/moments.h's order for elements i .. i+15:
 *   p = p * decay_factor [decoupled];  d = fma(wd, p, g) [l2];
 *   m = fma(1-beta1, d, beta1*m);  v = fma(1-beta2, d*d, beta2*v)
 * m and v are stored; *pi (loaded p, decayed), *mi and *vi hold the new
 * values; returns d. */
typedef struct ob_moments16 {
    __m512 wd, decay, b1, omb1, b2, omb2;
} ob_moments16;

OB_AVX512_INLINE ob_moments16 ob_moments16_of(const ob_step_scalars *s)
{
    const ob_moments16 k = {_mm512_set1_ps(s->weight_decay), _mm512_set1_ps(s->decay_factor),
                            _mm512_set1_ps(s->beta1),        _mm512_set1_ps(s->one_minus_beta1),
                            _mm512_set1_ps(s->beta2),        _mm512_set1_ps(s->one_minus_beta2)};
    return k;
}

OB_AVX512_INLINE __m512 ob_moments16_step(const ob_moments16 *k, size_t i, float *p, const float *g, float *m,
                                          float *v, __mmask16 mask, const int masked, const int l2,
                                          const int decoupled, __m512 *pi, __m512 *mi, __m512 *vi)
{
    *pi = ob_load16(p + i, mask, masked);
    if (decoupled) *pi = _mm512_mul_ps(*pi, k->decay);
    __m512 d = ob_load16(g + i, mask, masked);
    if (l2) d = _mm512_fmadd_ps(k->wd, *pi, d);
    *mi = _mm512_fmadd_ps(k->omb1, d, _mm512_mul_ps(k->b1, ob_load16(m + i, mask, masked)));
    *vi = _mm512_fmadd_ps(k->omb2, _mm512_mul_ps(d, d), _mm512_mul_ps(k->b2, ob_load16(v + i, mask, masked)));
    ob_store16(m + i, *mi, mask, masked);
    ob_store16(v + i, *vi, mask, masked);
    return d;
}

/* Adam's per-step scalars broadcast once per call (kernels/avx512/adam.c
 * and the fused mixed-precision kernels, adam_mixed.h). */
typedef struct ob_adam16 {
    __m512 wd, decay, b1, omb1, b2, omb2, rs, eps, neg_step;
} ob_adam16;

OB_AVX512_INLINE ob_adam16 ob_adam16_of(const ob_step_scalars *s)
{
    const ob_adam16 k = {
        .wd = _mm512_set1_ps(s->weight_decay),
        .decay = _mm512_set1_ps(s->decay_factor),
        .b1 = _mm512_set1_ps(s->beta1),
        .omb1 = _mm512_set1_ps(s->one_minus_beta1),
        .b2 = _mm512_set1_ps(s->beta2),
        .omb2 = _mm512_set1_ps(s->one_minus_beta2),
        .rs = _mm512_set1_ps(s->inv_sqrt_bc2),
        .eps = _mm512_set1_ps(s->eps),
        .neg_step = _mm512_set1_ps(-s->step_size),
    };
    return k;
}

#endif
