/*
 * Adamax — fp32, AVX2 + FMA (8 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/adamax.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf, MAXPS
 * with the operand order of its ob_maxps, |d| by clearing the sign bit,
 * correctly rounded division), so the output is bit-identical to it.
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 * The l2 flag is specialised outside the element loop; two vectors per
 * iteration, masked tail (avx2_ops.h).
 */
#include "kernels/ob_kernels.h"
#include "avx2_ops.h"

/* Per-step scalars, broadcast once per call. */
typedef struct adamax_consts {
    __m256 wd, b1, omb1, b2, eps, neg_step;
    __m256 sign; /* -0.0f: ANDNOT with it clears the sign bit, |d| */
} adamax_consts;

/* Elements i .. i+7: the scalar loop body of kernels/scalar/adamax.c. */
OB_AVX2_INLINE void adamax_vec(size_t i, float *p, const float *g, float *m, float *u, const adamax_consts *k,
                               __m256i mask, const int masked, const int l2)
{
    __m256 pi = ob_load8(p + i, mask, masked);
    __m256 d = ob_load8(g + i, mask, masked);
    if (l2) d = _mm256_fmadd_ps(k->wd, pi, d);
    __m256 mi = _mm256_fmadd_ps(k->omb1, d, _mm256_mul_ps(k->b1, ob_load8(m + i, mask, masked)));
    /* maxps(beta2*u, |d| + eps): on NaN VMAXPS returns its second operand. */
    __m256 ui = _mm256_max_ps(_mm256_mul_ps(k->b2, ob_load8(u + i, mask, masked)),
                              _mm256_add_ps(_mm256_andnot_ps(k->sign, d), k->eps));
    ob_store8(m + i, mi, mask, masked);
    ob_store8(u + i, ui, mask, masked);
    ob_store8(p + i, _mm256_fmadd_ps(k->neg_step, _mm256_div_ps(mi, ui), pi), mask, masked);
}

OB_AVX2_INLINE void adamax_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                                float *restrict u, const ob_step_scalars *s, const int l2)
{
    const adamax_consts k = {
        .wd = _mm256_set1_ps(s->weight_decay),
        .b1 = _mm256_set1_ps(s->beta1),
        .omb1 = _mm256_set1_ps(s->one_minus_beta1),
        .b2 = _mm256_set1_ps(s->beta2),
        .eps = _mm256_set1_ps(s->eps),
        .neg_step = _mm256_set1_ps(-s->step_size),
        .sign = _mm256_set1_ps(-0.0f),
    };
#define VEC(i, mask, masked) adamax_vec(i, p, g, m, u, &k, mask, masked, l2)
#define PREFETCH(i) \
    do { \
        ob_prefetch_line(p, i); \
        ob_prefetch_line(g, i); \
        ob_prefetch_line(m, i); \
        ob_prefetch_line(u, i); \
    } while (0)
    OB_AVX2_FOR_EACH_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_adamax_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    if (s->l2) adamax_body(n, p, g, state[0], state[1], s, 1);
    else adamax_body(n, p, g, state[0], state[1], s, 0);
}
