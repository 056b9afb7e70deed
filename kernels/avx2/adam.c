/*
 * Adam / AdamW / AMSGrad — fp32, AVX2 + FMA (8 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/adam.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf, MAXPS
 * with its operand order where it calls ob_maxps, correctly rounded sqrt
 * and division, never rsqrt/rcp), so the output is bit-identical to it.
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 * The flags (l2, decoupled, amsgrad) are specialised outside the element
 * loop; two vectors per iteration, masked tail (avx2_ops.h), so no byte
 * outside [0, n) is read or written.
 */
#include "kernels/ob_kernels.h"
#include "avx2_ops.h"

/* Per-step scalars, broadcast once per call. */
typedef struct adam_consts {
    __m256 wd, decay, b1, omb1, b2, omb2, rs, eps, neg_step;
} adam_consts;

/* Elements i .. i+7: the scalar loop body of kernels/scalar/adam.c. */
OB_AVX2_INLINE void adam_vec(size_t i, float *p, const float *g, float *m, float *v, float *vmax,
                             const adam_consts *k, __m256i mask, const int masked, const int l2,
                             const int decoupled, const int amsgrad)
{
    __m256 pi = ob_load8(p + i, mask, masked);
    if (decoupled) pi = _mm256_mul_ps(pi, k->decay);
    __m256 d = ob_load8(g + i, mask, masked);
    if (l2) d = _mm256_fmadd_ps(k->wd, pi, d);
    __m256 mi = _mm256_fmadd_ps(k->omb1, d, _mm256_mul_ps(k->b1, ob_load8(m + i, mask, masked)));
    __m256 vi = _mm256_fmadd_ps(k->omb2, _mm256_mul_ps(d, d),
                                _mm256_mul_ps(k->b2, ob_load8(v + i, mask, masked)));
    ob_store8(m + i, mi, mask, masked);
    ob_store8(v + i, vi, mask, masked);
    if (amsgrad) {
        vi = _mm256_max_ps(ob_load8(vmax + i, mask, masked), vi);
        ob_store8(vmax + i, vi, mask, masked);
    }
    __m256 den = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), k->rs, k->eps);
    ob_store8(p + i, _mm256_fmadd_ps(k->neg_step, _mm256_div_ps(mi, den), pi), mask, masked);
}

OB_AVX2_INLINE void adam_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                              float *restrict v, float *restrict vmax, const ob_step_scalars *s, const int l2,
                              const int decoupled, const int amsgrad)
{
    const adam_consts k = {
        .wd = _mm256_set1_ps(s->weight_decay),
        .decay = _mm256_set1_ps(s->decay_factor),
        .b1 = _mm256_set1_ps(s->beta1),
        .omb1 = _mm256_set1_ps(s->one_minus_beta1),
        .b2 = _mm256_set1_ps(s->beta2),
        .omb2 = _mm256_set1_ps(s->one_minus_beta2),
        .rs = _mm256_set1_ps(s->inv_sqrt_bc2),
        .eps = _mm256_set1_ps(s->eps),
        .neg_step = _mm256_set1_ps(-s->step_size),
    };
#define VEC(i, mask, masked) adam_vec(i, p, g, m, v, vmax, &k, mask, masked, l2, decoupled, amsgrad)
#define PREFETCH(i) \
    do { \
        ob_prefetch_line(p, i); \
        ob_prefetch_line(g, i); \
        ob_prefetch_line(m, i); \
        ob_prefetch_line(v, i); \
        if (amsgrad) ob_prefetch_line(vmax, i); \
    } while (0)
    OB_AVX2_FOR_EACH_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_adam_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    float *m = state[0], *v = state[1], *vmax = state[2];
    const int l2 = s->l2 != 0, dec = s->decoupled != 0, ams = s->amsgrad != 0;
    switch (l2 | dec << 1 | ams << 2) {
    case 0: adam_body(n, p, g, m, v, vmax, s, 0, 0, 0); break;
    case 1: adam_body(n, p, g, m, v, vmax, s, 1, 0, 0); break;
    case 2: adam_body(n, p, g, m, v, vmax, s, 0, 1, 0); break;
    case 3: adam_body(n, p, g, m, v, vmax, s, 1, 1, 0); break;
    case 4: adam_body(n, p, g, m, v, vmax, s, 0, 0, 1); break;
    case 5: adam_body(n, p, g, m, v, vmax, s, 1, 0, 1); break;
    case 6: adam_body(n, p, g, m, v, vmax, s, 0, 1, 1); break;
    default: adam_body(n, p, g, m, v, vmax, s, 1, 1, 1); break;
    }
}
