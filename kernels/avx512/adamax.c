/*
 * Adamax — fp32, AVX-512F (16 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/adamax.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf, VMAXPS
 * with the operand order of its ob_maxps, |d| by clearing the sign bit,
 * correctly rounded division), so the output is bit-identical to it.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 * The l2 flag is specialised outside the element loop; two vectors per
 * iteration, masked tail (avx512_ops.h).
 */
#include "kernels/ob_kernels.h"
#include "avx512_ops.h"

/* Per-step scalars, broadcast once per call. */
typedef struct adamax_consts {
    __m512 wd, b1, omb1, b2, eps, neg_step;
} adamax_consts;

/* Elements i .. i+15: the scalar loop body of kernels/scalar/adamax.c. */
OB_AVX512_INLINE void adamax_vec(size_t i, float *p, const float *g, float *m, float *u,
                                 const adamax_consts *k, __mmask16 mask, const int masked, const int l2)
{
    __m512 pi = ob_load16(p + i, mask, masked);
    __m512 d = ob_load16(g + i, mask, masked);
    if (l2) d = _mm512_fmadd_ps(k->wd, pi, d);
    __m512 mi = _mm512_fmadd_ps(k->omb1, d, _mm512_mul_ps(k->b1, ob_load16(m + i, mask, masked)));
    /* maxps(beta2*u, |d| + eps): on NaN VMAXPS returns its second operand. */
    __m512 ui = _mm512_max_ps(_mm512_mul_ps(k->b2, ob_load16(u + i, mask, masked)),
                              _mm512_add_ps(_mm512_abs_ps(d), k->eps));
    ob_store16(m + i, mi, mask, masked);
    ob_store16(u + i, ui, mask, masked);
    ob_store16(p + i, _mm512_fmadd_ps(k->neg_step, _mm512_div_ps(mi, ui), pi), mask, masked);
}

OB_AVX512_INLINE void adamax_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                                  float *restrict u, const ob_step_scalars *s, const int l2)
{
    const adamax_consts k = {
        .wd = _mm512_set1_ps(s->weight_decay),
        .b1 = _mm512_set1_ps(s->beta1),
        .omb1 = _mm512_set1_ps(s->one_minus_beta1),
        .b2 = _mm512_set1_ps(s->beta2),
        .eps = _mm512_set1_ps(s->eps),
        .neg_step = _mm512_set1_ps(-s->step_size),
    };
#define VEC(i, mask, masked) adamax_vec(i, p, g, m, u, &k, mask, masked, l2)
#define PREFETCH(i) \
    do { \
        ob_prefetch_ahead(p, i); \
        ob_prefetch_ahead(g, i); \
        ob_prefetch_ahead(m, i); \
        ob_prefetch_ahead(u, i); \
    } while (0)
    OB_AVX512_FOR_EACH_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_adamax_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    if (s->l2) adamax_body(n, p, g, state[0], state[1], s, 1);
    else adamax_body(n, p, g, state[0], state[1], s, 0);
}
