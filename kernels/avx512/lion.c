/*
 * Lion — fp32, AVX-512F (16 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/lion.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf; the
 * sign (c > 0) - (c < 0) and the NaN select as compare masks, a bitwise
 * select and a blend, which move bits without arithmetic), so the output
 * is bit-identical to it.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 * The decoupled flag is specialised outside the element loop; two vectors
 * per iteration, masked tail (avx512_ops.h).
 */
#include <math.h>

#include "kernels/ob_kernels.h"
#include "avx512_ops.h"

/* Per-step scalars and constants, broadcast once per call. */
typedef struct lion_consts {
    __m512 decay, neg_lr, b1, omb1, b2, omb2, zero, one, nan;
    __m512i sign;
} lion_consts;

/* Elements i .. i+15: the scalar loop body of kernels/scalar/lion.c. */
OB_AVX512_INLINE void lion_vec(size_t i, float *p, const float *g, float *m, const lion_consts *k,
                               __mmask16 mask, const int masked, const int decoupled)
{
    __m512 pi = ob_load16(p + i, mask, masked);
    if (decoupled) pi = _mm512_mul_ps(pi, k->decay);
    const __m512 gi = ob_load16(g + i, mask, masked), mi = ob_load16(m + i, mask, masked);
    const __m512 c = _mm512_fmadd_ps(k->omb1, gi, _mm512_mul_ps(k->b1, mi));
    /* (c > 0) - (c < 0): +1, -1, or +0 (also for NaN, selected below).
     * Built from bits in one instruction where c is ordered and nonzero:
     * (c & sign) | 1.0 is exactly +-1.0; the zero-masking gives +0 for
     * +-0 and NaN.  (Two compares and two blends did the same with twice
     * the ALU work: in cache Lion is bound by its vector ops.) */
    const __mmask16 nonzero = _mm512_cmp_ps_mask(c, k->zero, _CMP_NEQ_OQ);
    const __m512 sg = _mm512_castsi512_ps(_mm512_maskz_ternarylogic_epi32(
        nonzero, _mm512_castps_si512(c), k->sign, _mm512_castps_si512(k->one), 0xEA));
    __m512 pn = _mm512_fmadd_ps(k->neg_lr, sg, pi);
    pn = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(c, c, _CMP_UNORD_Q), pn, k->nan);
    ob_store16(p + i, pn, mask, masked);
    ob_store16(m + i, _mm512_fmadd_ps(k->omb2, gi, _mm512_mul_ps(k->b2, mi)), mask, masked);
}

OB_AVX512_INLINE void lion_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                                const ob_step_scalars *s, const int decoupled)
{
    const lion_consts k = {
        .decay = _mm512_set1_ps(s->decay_factor),
        .neg_lr = _mm512_set1_ps(-s->lr),
        .b1 = _mm512_set1_ps(s->beta1),
        .omb1 = _mm512_set1_ps(s->one_minus_beta1),
        .b2 = _mm512_set1_ps(s->beta2),
        .omb2 = _mm512_set1_ps(s->one_minus_beta2),
        .zero = _mm512_setzero_ps(),
        .one = _mm512_set1_ps(1.0f),
        .sign = _mm512_set1_epi32((int)0x80000000u),
        .nan = _mm512_set1_ps(NAN),
    };
#define VEC(i, mask, masked) lion_vec(i, p, g, m, &k, mask, masked, decoupled)
#define PREFETCH(i) \
    do { \
        ob_prefetch_ahead(p, i); \
        ob_prefetch_ahead(g, i); \
        ob_prefetch_ahead(m, i); \
    } while (0)
    OB_AVX512_FOR_EACH_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_lion_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    if (s->decoupled) lion_body(n, p, g, state[0], s, 1);
    else lion_body(n, p, g, state[0], s, 0);
}
