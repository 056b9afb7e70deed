/*
 * RAdam / RAdamW — fp32, AVX2 + FMA (8 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/radam.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf,
 * correctly rounded sqrt and division, never rsqrt/rcp), so the output is
 * bit-identical to it.
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 * The flags (l2, decoupled, rectified) are specialised outside the element
 * loop; two vectors per iteration, masked tail (avx2_ops.h).
 */
#include "kernels/ob_kernels.h"
#include "avx2_ops.h"

/* Per-step scalars, broadcast once per call. */
typedef struct radam_consts {
    ob_moments8 mom;
    __m256 eps, neg_step;
} radam_consts;

/* Elements i .. i+7: the scalar loop body of kernels/scalar/radam.c. */
OB_AVX2_INLINE void radam_vec(size_t i, float *p, const float *g, float *m, float *v, const radam_consts *k,
                              __m256i mask, const int masked, const int l2, const int decoupled,
                              const int rectified)
{
    __m256 pi, mi, vi;
    (void)ob_moments8_step(&k->mom, i, p, g, m, v, mask, masked, l2, decoupled, &pi, &mi, &vi);
    __m256 q = mi;
    if (rectified) q = _mm256_div_ps(mi, _mm256_add_ps(_mm256_sqrt_ps(vi), k->eps));
    ob_store8(p + i, _mm256_fmadd_ps(k->neg_step, q, pi), mask, masked);
}

OB_AVX2_INLINE void radam_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                               float *restrict v, const ob_step_scalars *s, const int l2, const int decoupled,
                               const int rectified)
{
    const radam_consts k = {
        .mom = ob_moments8_of(s),
        .eps = _mm256_set1_ps(s->eps),
        .neg_step = _mm256_set1_ps(-s->step_size),
    };
#define VEC(i, mask, masked) radam_vec(i, p, g, m, v, &k, mask, masked, l2, decoupled, rectified)
#define PREFETCH(i) \
    do { \
        ob_prefetch_line(p, i); \
        ob_prefetch_line(g, i); \
        ob_prefetch_line(m, i); \
        ob_prefetch_line(v, i); \
    } while (0)
    OB_AVX2_FOR_EACH_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_radam_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    float *m = state[0], *v = state[1];
    switch ((s->l2 != 0) | (s->decoupled != 0) << 1 | (s->rectified != 0) << 2) {
    case 0: radam_body(n, p, g, m, v, s, 0, 0, 0); break;
    case 1: radam_body(n, p, g, m, v, s, 1, 0, 0); break;
    case 2: radam_body(n, p, g, m, v, s, 0, 1, 0); break;
    case 4: radam_body(n, p, g, m, v, s, 0, 0, 1); break;
    case 5: radam_body(n, p, g, m, v, s, 1, 0, 1); break;
    default: radam_body(n, p, g, m, v, s, 0, 1, 1); break;
    }
}
