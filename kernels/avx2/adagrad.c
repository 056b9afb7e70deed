/*
 * Adagrad — fp32, AVX2 + FMA (8 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/adagrad.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf,
 * correctly rounded sqrt and division, never rsqrt/rcp), so the output is
 * bit-identical to it.
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 * The l2 flag is specialised outside the element loop; two vectors per
 * iteration, masked tail (avx2_ops.h), so no byte outside [0, n) is read
 * or written.
 */
#include "kernels/ob_kernels.h"
#include "avx2_ops.h"

/* Per-step scalars, broadcast once per call. */
typedef struct adagrad_consts {
    __m256 wd, eps, neg_clr;
} adagrad_consts;

/* Elements i .. i+7: the scalar loop body of kernels/scalar/adagrad.c. */
OB_AVX2_INLINE void adagrad_vec(size_t i, float *p, const float *g, float *sum, const adagrad_consts *k,
                                __m256i mask, const int masked, const int l2)
{
    __m256 pi = ob_load8(p + i, mask, masked);
    __m256 d = ob_load8(g + i, mask, masked);
    if (l2) d = _mm256_fmadd_ps(k->wd, pi, d);
    __m256 acc = _mm256_fmadd_ps(d, d, ob_load8(sum + i, mask, masked));
    ob_store8(sum + i, acc, mask, masked);
    __m256 den = _mm256_add_ps(_mm256_sqrt_ps(acc), k->eps);
    ob_store8(p + i, _mm256_fmadd_ps(k->neg_clr, _mm256_div_ps(d, den), pi), mask, masked);
}

OB_AVX2_INLINE void adagrad_body(size_t n, float *restrict p, const float *restrict g, float *restrict sum,
                                 const ob_step_scalars *s, const int l2)
{
    const adagrad_consts k = {
        .wd = _mm256_set1_ps(s->weight_decay),
        .eps = _mm256_set1_ps(s->eps),
        .neg_clr = _mm256_set1_ps(-s->step_size),
    };
#define VEC(i, mask, masked) adagrad_vec(i, p, g, sum, &k, mask, masked, l2)
#define PREFETCH(i) \
    do { \
        ob_prefetch_line(p, i); \
        ob_prefetch_line(g, i); \
        ob_prefetch_line(sum, i); \
    } while (0)
    OB_AVX2_FOR_EACH_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_adagrad_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    if (s->l2) adagrad_body(n, p, g, state[0], s, 1);
    else adagrad_body(n, p, g, state[0], s, 0);
}
