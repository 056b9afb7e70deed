/*
 * Adam / AdamW / AMSGrad — fp32, AVX-512F (16 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/adam.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf, MAXPS
 * with its operand order where it calls ob_maxps, correctly rounded sqrt
 * and division, never rsqrt/rcp), so the output is bit-identical to it.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 * The flags (l2, decoupled, amsgrad) are specialised outside the element
 * loop; two vectors per iteration, masked tail (avx512_ops.h), so no byte
 * outside [0, n) is read or written.
 */
#include "kernels/ob_kernels.h"
#include "avx512_ops.h"

/* Per-step scalars, broadcast once per call. */
typedef ob_adam16 adam_consts;

/* Elements i .. i+15: the scalar loop body of kernels/scalar/adam.c. */
OB_AVX512_INLINE void adam_vec(size_t i, float *p, const float *g, float *m, float *v, float *vmax,
                               const adam_consts *k, __mmask16 mask, const int masked, const int l2,
                               const int decoupled, const int amsgrad)
{
    __m512 pi = ob_load16(p + i, mask, masked);
    if (decoupled) pi = _mm512_mul_ps(pi, k->decay);
    __m512 d = ob_load16(g + i, mask, masked);
    if (l2) d = _mm512_fmadd_ps(k->wd, pi, d);
    __m512 mi = _mm512_fmadd_ps(k->omb1, d, _mm512_mul_ps(k->b1, ob_load16(m + i, mask, masked)));
    __m512 vi = _mm512_fmadd_ps(k->omb2, _mm512_mul_ps(d, d),
                                _mm512_mul_ps(k->b2, ob_load16(v + i, mask, masked)));
    ob_store16(m + i, mi, mask, masked);
    ob_store16(v + i, vi, mask, masked);
    if (amsgrad) {
        vi = _mm512_max_ps(ob_load16(vmax + i, mask, masked), vi);
        ob_store16(vmax + i, vi, mask, masked);
    }
    __m512 den = _mm512_fmadd_ps(_mm512_sqrt_ps(vi), k->rs, k->eps);
    ob_store16(p + i, _mm512_fmadd_ps(k->neg_step, _mm512_div_ps(mi, den), pi), mask, masked);
}

OB_AVX512_INLINE void adam_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                                float *restrict v, float *restrict vmax, const ob_step_scalars *s,
                                const int l2, const int decoupled, const int amsgrad)
{
    const adam_consts k = ob_adam16_of(s);
#define VEC(i, mask, masked) adam_vec(i, p, g, m, v, vmax, &k, mask, masked, l2, decoupled, amsgrad)
#define PREFETCH(i) \
    do { \
        ob_prefetch_ahead(p, i); \
        ob_prefetch_ahead(g, i); \
        ob_prefetch_ahead(m, i); \
        ob_prefetch_ahead(v, i); \
        if (amsgrad) ob_prefetch_ahead(vmax, i); \
    } while (0)
    OB_AVX512_FOR_EACH_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_adam_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
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
