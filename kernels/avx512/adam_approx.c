/*
 * Adam / AdamW / AMSGrad — fp32, AVX-512F, APPROXIMATE variant
 * ("approx"; the exact kernel is kernels/avx512/adam.c).
 *
 * Same formula and the same fp32 operations as the exact kernel
 * (kernels/scalar/adam.c) for p's decay, d, m, v and vmax — those outputs
 * are bit-identical to it — except the two divider operations of the
 * update, which are replaced by approximations plus one Newton step each:
 *
 *   sqrt(v):  y = rsqrt14(v)            |y*sqrt(v) - 1| < 2^-14 (Intel SDM, VRSQRT14PS)
 *             s = v*y;  s = fma(s, fnma(s, y/2, 1/2), s)
 *             (Newton for 1/sqrt, written for sqrt: relative error
 *             1.5*2^-28 + rounding)
 *   m / den:  r = rcp14(den)            |r*den - 1| < 2^-14 (Intel SDM, VRCP14PS)
 *             r = fma(r, fnma(den, r, 1), r);  q = m*r
 *             (relative error 2^-28 + rounding)
 *
 * Why: VSQRTPS and VDIVPS share the divider, which limits the exact kernel
 * to ~0.55-0.6 ns/element in cache; these replacements run on the FMA
 * ports.  Error against the double reference: B = 12 (units of u*S, README
 * "The approximate variant"), against the exact kernel's 10.
 *
 * Special values.  v = 0 (and -0) gives s = 0 exactly (the rsqrt lane is
 * zeroed).  Every other special case is routed to the exact operations: a
 * vector in which any denominator lies outside [2^-126, 2^126) — NaN or Inf
 * in v, den = 0 (eps = 0 and v = 0), subnormal or huge denominators — is
 * recomputed with the correctly rounded sqrt and division, so it gets
 * exactly the exact kernel's result.  NaN and Inf therefore propagate
 * exactly as in the exact kernel (and torch).
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).  Never
 * chosen by dispatch or by `optbench run`; `optbench bench` reports it as
 * variant=approx.
 */
#include <immintrin.h>

#include "optbench/optimizers.h"
#include "avx512_ops.h"

typedef struct adam_consts {
    ob_adam16 a; /* the exact kernel's scalars (avx512_ops.h) */
    __m512 zero, half, one, den_lo, den_hi;
} adam_consts;

/* m / (sqrt(v)*rs + eps) through rsqrt14/rcp14 and Newton steps; falls back
 * to the exact operations for the whole vector when a lane's denominator
 * is outside the range where the approximations are accurate. */
OB_AVX512_INLINE __m512 approx_quotient(__m512 mi, __m512 vi, const adam_consts *k, __mmask16 active)
{
    const __mmask16 nz = _mm512_cmp_ps_mask(vi, k->zero, _CMP_NEQ_UQ);
    const __m512 y = _mm512_maskz_rsqrt14_ps(nz, vi); /* 0 where v == 0 */
    __m512 s = _mm512_mul_ps(vi, y);
    const __m512 h = _mm512_mul_ps(k->half, y);
    s = _mm512_fmadd_ps(s, _mm512_fnmadd_ps(s, h, k->half), s);
    const __m512 den = _mm512_fmadd_ps(s, k->a.rs, k->a.eps);
    const __mmask16 ok = _mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(den, k->den_lo, _CMP_GE_OQ), den,
                                                 k->den_hi, _CMP_LT_OQ);
    if (__builtin_expect((__mmask16)(ok & active) != active, 0)) {
        /* The exact kernel's operations (kernels/avx512/adam.c). */
        return _mm512_div_ps(mi, _mm512_fmadd_ps(_mm512_sqrt_ps(vi), k->a.rs, k->a.eps));
    }
    __m512 r = _mm512_rcp14_ps(den);
    r = _mm512_fmadd_ps(r, _mm512_fnmadd_ps(den, r, k->one), r);
    return _mm512_mul_ps(mi, r);
}

OB_AVX512_INLINE void adam_vec(size_t i, float *p, const float *g, float *m, float *v, float *vmax,
                               const adam_consts *k, __mmask16 mask, const int masked, const int l2,
                               const int decoupled, const int amsgrad)
{
    __m512 pi = ob_load16(p + i, mask, masked);
    if (decoupled) pi = _mm512_mul_ps(pi, k->a.decay);
    __m512 d = ob_load16(g + i, mask, masked);
    if (l2) d = _mm512_fmadd_ps(k->a.wd, pi, d);
    __m512 mi = _mm512_fmadd_ps(k->a.omb1, d, _mm512_mul_ps(k->a.b1, ob_load16(m + i, mask, masked)));
    __m512 vi = _mm512_fmadd_ps(k->a.omb2, _mm512_mul_ps(d, d),
                                _mm512_mul_ps(k->a.b2, ob_load16(v + i, mask, masked)));
    ob_store16(m + i, mi, mask, masked);
    ob_store16(v + i, vi, mask, masked);
    if (amsgrad) {
        vi = _mm512_max_ps(ob_load16(vmax + i, mask, masked), vi);
        ob_store16(vmax + i, vi, mask, masked);
    }
    const __m512 q = approx_quotient(mi, vi, k, masked ? mask : (__mmask16)0xFFFF);
    ob_store16(p + i, _mm512_fmadd_ps(k->a.neg_step, q, pi), mask, masked);
}

OB_AVX512_INLINE void adam_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                                float *restrict v, float *restrict vmax, const ob_step_scalars *s,
                                const int l2, const int decoupled, const int amsgrad)
{
    const adam_consts k = {
        .a = ob_adam16_of(s),
        .zero = _mm512_setzero_ps(),
        .half = _mm512_set1_ps(0.5f),
        .one = _mm512_set1_ps(1.0f),
        .den_lo = _mm512_set1_ps(0x1p-126f),
        .den_hi = _mm512_set1_ps(0x1p126f),
    };
    const __mmask16 all = 0xFFFF;
    size_t i = 0;
    const int pf = n >= ob_prefetch_from;
    for (; n - i >= 32; i += 32) {
        if (pf) {
            ob_prefetch_ahead(p, i);
            ob_prefetch_ahead(g, i);
            ob_prefetch_ahead(m, i);
            ob_prefetch_ahead(v, i);
            if (amsgrad) ob_prefetch_ahead(vmax, i);
        }
        adam_vec(i, p, g, m, v, vmax, &k, all, 0, l2, decoupled, amsgrad);
        adam_vec(i + 16, p, g, m, v, vmax, &k, all, 0, l2, decoupled, amsgrad);
    }
    if (n - i >= 16) {
        adam_vec(i, p, g, m, v, vmax, &k, all, 0, l2, decoupled, amsgrad);
        i += 16;
    }
    if (i < n)
        adam_vec(i, p, g, m, v, vmax, &k, (__mmask16)((1u << (n - i)) - 1u), 1, l2, decoupled, amsgrad);
}

void ob_adam_step_avx512_approx(size_t n, float *p, const float *g, float *const *state,
                                const ob_step_scalars *s)
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
