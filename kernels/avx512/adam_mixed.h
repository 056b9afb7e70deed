/*
 * adam_mixed.h — the fused mixed-precision Adam / AdamW / AMSGrad step on
 * AVX-512F: bf16 or fp32 parameters and state, fp32, bf16 or (loss-scaled)
 * fp16 gradients, converted in registers, no block buffers (ob_mixed.h,
 * "Fused kernels").
 *
 * Per element it performs exactly the fp32 operations of
 * kernels/avx512/adam.c (hence of kernels/scalar/adam.c) in the same
 * order, on the same widened inputs, and rounds the same fp32 results with
 * the same definitions as the generic path (widen, ob_adam_step_<isa>,
 * round back), so its output is bit-identical to that path in every ISA.
 *
 * Included by kernels/avx512/adam_mixed.c (AVX-512F integer rounding) and
 * kernels/avx512bf16/adam_mixed.c (VCVTNEPS2BF16), each of which defines
 * OB_MIXED_RNE16(x): 16 fp32 -> 16 bf16 rounded to nearest even.  Both
 * are built with -ffp-contract=off.
 */
#ifndef OB_ADAM_MIXED_H
#define OB_ADAM_MIXED_H

#include <string.h>

#include "avx512_cvt.h"

/* The storage of each role, as compile-time flags (the exported kernels
 * pass constants, so every combination is its own loop):
 *   MX_P16  parameters bf16 (else fp32);
 *   MX_GBF  gradients bf16;  MX_GF16  gradients fp16, times the inverse
 *           loss scale (else fp32);
 *   MX_S16  every state array bf16 (else fp32). */
#define MX_P16 1
#define MX_GBF 2
#define MX_GF16 4
#define MX_S16 8

typedef struct adam_mixed_consts {
    ob_adam16 a;  /* kernels/avx512/adam.c's scalars */
    __m512 scale; /* fp16 gradients: the inverse loss scale */
    __m512i key;  /* stochastic rounding's call key (ob_sw_sr_call_key) */
} adam_mixed_consts;

OB_AVX512_INLINE __m256i ld_u16(const uint16_t *a)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)a);
}
OB_AVX512_INLINE void st_u16(uint16_t *a, __m256i x)
{
    _mm256_storeu_si256((__m256i *)(void *)a, x);
}

/* 16 elements of an fp32 or bf16 array, widened to fp32. */
OB_AVX512_INLINE __m512 ld_mx(const void *a, size_t i, const int half)
{
    return half ? ob512_bf16_widen(ld_u16((const uint16_t *)a + i)) : _mm512_loadu_ps((const float *)a + i);
}

/* Stores 16 fp32 values into an fp32 array, or a bf16 one rounded to
 * nearest even. */
OB_AVX512_INLINE void st_mx(void *a, size_t i, __m512 x, const int half)
{
    if (half) st_u16((uint16_t *)a + i, OB_MIXED_RNE16(x));
    else _mm512_storeu_ps((float *)a + i, x);
}

/* Elements i .. i+15 in format fmt (MX_*).  r: their stochastic rounding
 * bits (used only with sr). */
OB_AVX512_INLINE void adam_mixed_vec(size_t i, void *p, const void *g, void *m, void *v, void *vmax,
                                     const adam_mixed_consts *k, const int fmt, const int l2,
                                     const int decoupled, const int amsgrad, const int sr, __m512i r)
{
    const int p16 = fmt & MX_P16, s16 = fmt & MX_S16;
    __m512 pi = ld_mx(p, i, p16);
    if (decoupled) pi = _mm512_mul_ps(pi, k->a.decay);
    /* fp16: VCVTPH2PS then one multiply, as ob_cvt_ops.f16_to_f32. */
    __m512 d = (fmt & MX_GF16) ? _mm512_mul_ps(ob512_f16_widen(ld_u16((const uint16_t *)g + i)), k->scale)
                               : ld_mx(g, i, fmt & MX_GBF);
    if (l2) d = _mm512_fmadd_ps(k->a.wd, pi, d);
    const __m512 mi = _mm512_fmadd_ps(k->a.omb1, d, _mm512_mul_ps(k->a.b1, ld_mx(m, i, s16)));
    __m512 vi = _mm512_fmadd_ps(k->a.omb2, _mm512_mul_ps(d, d), _mm512_mul_ps(k->a.b2, ld_mx(v, i, s16)));
    st_mx(m, i, mi, s16);
    st_mx(v, i, vi, s16);
    if (amsgrad) {
        vi = _mm512_max_ps(ld_mx(vmax, i, s16), vi);
        st_mx(vmax, i, vi, s16);
    }
    const __m512 den = _mm512_fmadd_ps(_mm512_sqrt_ps(vi), k->a.rs, k->a.eps);
    const __m512 pn = _mm512_fmadd_ps(k->a.neg_step, _mm512_div_ps(mi, den), pi);
    if (p16 && sr) st_u16((uint16_t *)p + i, ob512_bf16_sr(pn, r));
    else st_mx(p, i, pn, p16);
}

/* The last n % 16 elements: copied into zero-padded vectors of 16 on the
 * stack (AVX-512F has no 16-bit masked loads; zeros are finite in every
 * format), run through the same adam_mixed_vec, and the first rem copied
 * back. */
OB_AVX512_INLINE void adam_mixed_tail(size_t i, size_t rem, void *p, const void *g, void *m, void *v,
                                      void *vmax, const adam_mixed_consts *k, const int fmt, const int l2,
                                      const int decoupled, const int amsgrad, const int sr, uint32_t lo)
{
    const size_t ps = (fmt & MX_P16) ? 2 : 4, gs = (fmt & (MX_GBF | MX_GF16)) ? 2 : 4,
                 ss = (fmt & MX_S16) ? 2 : 4;
    float pt[16] = {0}, gt[16] = {0}, mt[16] = {0}, vt[16] = {0}, xt[16] = {0};
    memcpy(pt, (const char *)p + i * ps, rem * ps);
    memcpy(gt, (const char *)g + i * gs, rem * gs);
    memcpy(mt, (const char *)m + i * ss, rem * ss);
    memcpy(vt, (const char *)v + i * ss, rem * ss);
    if (amsgrad) memcpy(xt, (const char *)vmax + i * ss, rem * ss);
    adam_mixed_vec(0, pt, gt, mt, vt, xt, k, fmt, l2, decoupled, amsgrad, sr,
                   sr ? ob512_sr_bits(k->key, lo) : _mm512_setzero_si512());
    memcpy((char *)p + i * ps, pt, rem * ps);
    memcpy((char *)m + i * ss, mt, rem * ss);
    memcpy((char *)v + i * ss, vt, rem * ss);
    if (amsgrad) memcpy((char *)vmax + i * ss, xt, rem * ss);
}

OB_AVX512_INLINE void adam_mixed_body(size_t n, void *p, const void *g, void *const *state,
                                      const ob_step_scalars *s, const int fmt, const int l2,
                                      const int decoupled, const int amsgrad, const int sr, float inv_scale,
                                      uint32_t key, uint32_t lo)
{
    void *m = state[0], *v = state[1], *vmax = amsgrad ? state[2] : NULL;
    const adam_mixed_consts k = {ob_adam16_of(s), _mm512_set1_ps(inv_scale), _mm512_set1_epi32((int)key)};
    const size_t ps = (fmt & MX_P16) ? 2 : 4, gs = (fmt & (MX_GBF | MX_GF16)) ? 2 : 4,
                 ss = (fmt & MX_S16) ? 2 : 4;
    /* From main memory on, as kernels/avx512/adam.c (ob_prefetch_ahead). */
    const int pf = n >= ob_prefetch_from;
    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        if (pf) {
            ob_prefetch_span32(p, i, ps);
            ob_prefetch_span32(g, i, gs);
            ob_prefetch_span32(m, i, ss);
            ob_prefetch_span32(v, i, ss);
            if (amsgrad) ob_prefetch_span32(vmax, i, ss);
        }
        /* One hash per pair of elements: 16 for the 32 (an odd lo, which
         * the step never passes, takes the lane-by-lane form). */
        __m512i r[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
        if (sr && !(lo & 1u)) {
            ob512_sr_bits32(k.key, lo + (uint32_t)i, r);
        } else if (sr) {
            r[0] = ob512_sr_bits(k.key, lo + (uint32_t)i);
            r[1] = ob512_sr_bits(k.key, lo + (uint32_t)i + 16);
        }
        adam_mixed_vec(i, p, g, m, v, vmax, &k, fmt, l2, decoupled, amsgrad, sr, r[0]);
        adam_mixed_vec(i + 16, p, g, m, v, vmax, &k, fmt, l2, decoupled, amsgrad, sr, r[1]);
    }
    if (n - i >= 16) {
        adam_mixed_vec(i, p, g, m, v, vmax, &k, fmt, l2, decoupled, amsgrad, sr,
                       sr ? ob512_sr_bits(k.key, lo + (uint32_t)i) : _mm512_setzero_si512());
        i += 16;
    }
    if (i < n)
        adam_mixed_tail(i, n - i, p, g, m, v, vmax, &k, fmt, l2, decoupled, amsgrad, sr, lo + (uint32_t)i);
}

/* The flags (l2, decoupled, amsgrad) specialised outside the element loop,
 * as in kernels/avx512/adam.c. */
OB_AVX512_INLINE void adam_mixed_flags(size_t n, void *p, const void *g, void *const *state,
                                       const ob_step_scalars *s, const int fmt, const int sr, float inv_scale,
                                       uint32_t key, uint32_t lo)
{
    const int l2 = s->l2 != 0, dec = s->decoupled != 0, ams = s->amsgrad != 0;
    switch (l2 | dec << 1 | ams << 2) {
    case 0: adam_mixed_body(n, p, g, state, s, fmt, 0, 0, 0, sr, inv_scale, key, lo); break;
    case 1: adam_mixed_body(n, p, g, state, s, fmt, 1, 0, 0, sr, inv_scale, key, lo); break;
    case 2: adam_mixed_body(n, p, g, state, s, fmt, 0, 1, 0, sr, inv_scale, key, lo); break;
    case 3: adam_mixed_body(n, p, g, state, s, fmt, 1, 1, 0, sr, inv_scale, key, lo); break;
    case 4: adam_mixed_body(n, p, g, state, s, fmt, 0, 0, 1, sr, inv_scale, key, lo); break;
    case 5: adam_mixed_body(n, p, g, state, s, fmt, 1, 0, 1, sr, inv_scale, key, lo); break;
    case 6: adam_mixed_body(n, p, g, state, s, fmt, 0, 1, 1, sr, inv_scale, key, lo); break;
    default: adam_mixed_body(n, p, g, state, s, fmt, 1, 1, 1, sr, inv_scale, key, lo); break;
    }
}

/* Stochastic rounding specialised too (it matters only with bf16
 * parameters). */
OB_AVX512_INLINE void adam_mixed_dispatch(size_t n, void *p, const void *g, void *const *state,
                                          const ob_step_scalars *s, const int fmt, float inv_scale, int sr,
                                          uint32_t key, uint32_t lo)
{
    if ((fmt & MX_P16) && sr) adam_mixed_flags(n, p, g, state, s, fmt, 1, inv_scale, key, lo);
    else adam_mixed_flags(n, p, g, state, s, fmt, 0, inv_scale, key, lo);
}

/* One exported kernel: fn handles format fmt (MX_*), with the signature
 * of ob_fused_fn. */
#define OB_ADAM_MIXED_KERNEL(fn, fmt) \
    void fn(size_t n, void *p, const void *g, void *const *state, const ob_step_scalars *s, float inv_scale, \
            int sr, uint32_t key, uint32_t lo) \
    { \
        adam_mixed_dispatch(n, p, g, state, s, fmt, inv_scale, sr, key, lo); \
    }

#endif
