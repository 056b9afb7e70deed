/*
 * RMSprop (optionally centered, with momentum) — fp32, AVX-512F (16 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/rmsprop.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf, MAXPS
 * with its operand order where it calls ob_maxps, correctly rounded sqrt
 * and division, never rsqrt/rcp), so the output is bit-identical to it.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 * The flags (l2, centered, momentum) are specialised outside the element
 * loop; two vectors per iteration, masked tail (avx512_ops.h), so no byte
 * outside [0, n) is read or written.
 */
#include "kernels/ob_kernels.h"
#include "avx512_ops.h"

/* Per-step scalars, broadcast once per call. */
typedef struct rmsprop_consts {
    __m512 wd, eps, neg_lr, a, oma, mu;
    __m512i sign; /* sign bit: XOR with it is the exact negation -x */
} rmsprop_consts;

/* Elements i .. i+15: the scalar loop body of kernels/scalar/rmsprop.c. */
OB_AVX512_INLINE void rmsprop_vec(size_t i, float *p, const float *g, float *sq, float *buf, float *ga,
                                  const rmsprop_consts *k, __mmask16 mask, const int masked, const int l2,
                                  const int centered, const int momentum)
{
    __m512 pi = ob_load16(p + i, mask, masked);
    __m512 d = ob_load16(g + i, mask, masked);
    if (l2) d = _mm512_fmadd_ps(k->wd, pi, d);
    __m512 sqn = _mm512_fmadd_ps(k->oma, _mm512_mul_ps(d, d),
                                 _mm512_mul_ps(k->a, ob_load16(sq + i, mask, masked)));
    ob_store16(sq + i, sqn, mask, masked);
    __m512 r = sqn;
    if (centered) {
        __m512 gan = _mm512_fmadd_ps(k->oma, d, _mm512_mul_ps(k->a, ob_load16(ga + i, mask, masked)));
        ob_store16(ga + i, gan, mask, masked);
        /* t = fmaf(gan, gan, -sqn); r = fabsf(minps(0, t)) */
        __m512 nsqn = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(sqn), k->sign));
        __m512 t = _mm512_fmadd_ps(gan, gan, nsqn);
        r = _mm512_abs_ps(_mm512_min_ps(_mm512_setzero_ps(), t));
    }
    __m512 q = _mm512_div_ps(d, _mm512_add_ps(_mm512_sqrt_ps(r), k->eps));
    if (momentum) {
        q = _mm512_fmadd_ps(k->mu, ob_load16(buf + i, mask, masked), q);
        ob_store16(buf + i, q, mask, masked);
    }
    ob_store16(p + i, _mm512_fmadd_ps(k->neg_lr, q, pi), mask, masked);
}

OB_AVX512_INLINE void rmsprop_body(size_t n, float *restrict p, const float *restrict g, float *restrict sq,
                                   float *restrict buf, float *restrict ga, const ob_step_scalars *s,
                                   const int l2, const int centered, const int momentum)
{
    const rmsprop_consts k = {
        .wd = _mm512_set1_ps(s->weight_decay),
        .eps = _mm512_set1_ps(s->eps),
        .neg_lr = _mm512_set1_ps(-s->lr),
        .a = _mm512_set1_ps(s->alpha),
        .oma = _mm512_set1_ps(s->one_minus_alpha),
        .mu = _mm512_set1_ps(s->momentum),
        .sign = _mm512_set1_epi32((int)0x80000000u),
    };
#define VEC(i, mask, masked) rmsprop_vec(i, p, g, sq, buf, ga, &k, mask, masked, l2, centered, momentum)
#define PREFETCH(i) \
    do { \
        ob_prefetch_ahead(p, i); \
        ob_prefetch_ahead(g, i); \
        ob_prefetch_ahead(sq, i); \
        if (momentum) ob_prefetch_ahead(buf, i); \
        if (centered) ob_prefetch_ahead(ga, i); \
    } while (0)
    OB_AVX512_FOR_EACH_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_rmsprop_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    float *sq = state[0], *buf = state[1], *ga = state[2];
    const int l2 = s->l2 != 0, c = s->centered != 0, m = s->has_momentum != 0;
    switch (l2 | c << 1 | m << 2) {
    case 0: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 0, 0); break;
    case 1: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 0, 0); break;
    case 2: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 1, 0); break;
    case 3: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 1, 0); break;
    case 4: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 0, 1); break;
    case 5: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 0, 1); break;
    case 6: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 1, 1); break;
    default: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 1, 1); break;
    }
}
