/*
 * Lion — fp32, AVX2 + FMA (8 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/lion.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf; the
 * sign (c > 0) - (c < 0) and the NaN select as compare masks and blends,
 * which move bits without arithmetic), so the output is bit-identical to
 * it.
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 * The decoupled flag is specialised outside the element loop; two vectors
 * per iteration, masked tail (avx2_ops.h).
 */
#include <math.h>

#include "kernels/ob_kernels.h"
#include "avx2_ops.h"

/* Per-step scalars and constants, broadcast once per call. */
typedef struct lion_consts {
    __m256 decay, neg_lr, b1, omb1, b2, omb2, zero, one, minus_one, nan;
} lion_consts;

/* Elements i .. i+7: the scalar loop body of kernels/scalar/lion.c. */
OB_AVX2_INLINE void lion_vec(size_t i, float *p, const float *g, float *m, const lion_consts *k, __m256i mask,
                             const int masked, const int decoupled)
{
    __m256 pi = ob_load8(p + i, mask, masked);
    if (decoupled) pi = _mm256_mul_ps(pi, k->decay);
    const __m256 gi = ob_load8(g + i, mask, masked), mi = ob_load8(m + i, mask, masked);
    const __m256 c = _mm256_fmadd_ps(k->omb1, gi, _mm256_mul_ps(k->b1, mi));
    /* (c > 0) - (c < 0): +1, -1, or +0 (also for NaN, selected below). */
    __m256 sg = _mm256_blendv_ps(k->zero, k->one, _mm256_cmp_ps(c, k->zero, _CMP_GT_OQ));
    sg = _mm256_blendv_ps(sg, k->minus_one, _mm256_cmp_ps(c, k->zero, _CMP_LT_OQ));
    __m256 pn = _mm256_fmadd_ps(k->neg_lr, sg, pi);
    pn = _mm256_blendv_ps(pn, k->nan, _mm256_cmp_ps(c, c, _CMP_UNORD_Q));
    ob_store8(p + i, pn, mask, masked);
    ob_store8(m + i, _mm256_fmadd_ps(k->omb2, gi, _mm256_mul_ps(k->b2, mi)), mask, masked);
}

OB_AVX2_INLINE void lion_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                              const ob_step_scalars *s, const int decoupled)
{
    const lion_consts k = {
        .decay = _mm256_set1_ps(s->decay_factor),
        .neg_lr = _mm256_set1_ps(-s->lr),
        .b1 = _mm256_set1_ps(s->beta1),
        .omb1 = _mm256_set1_ps(s->one_minus_beta1),
        .b2 = _mm256_set1_ps(s->beta2),
        .omb2 = _mm256_set1_ps(s->one_minus_beta2),
        .zero = _mm256_setzero_ps(),
        .one = _mm256_set1_ps(1.0f),
        .minus_one = _mm256_set1_ps(-1.0f),
        .nan = _mm256_set1_ps(NAN),
    };
#define VEC(i, mask, masked) lion_vec(i, p, g, m, &k, mask, masked, decoupled)
#define PREFETCH(i) \
    do { \
        ob_prefetch_line(p, i); \
        ob_prefetch_line(g, i); \
        ob_prefetch_line(m, i); \
    } while (0)
    OB_AVX2_FOR_EACH_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_lion_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    if (s->decoupled) lion_body(n, p, g, state[0], s, 1);
    else lion_body(n, p, g, state[0], s, 0);
}
