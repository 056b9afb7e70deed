/*
 * adam_mixed.h — the fused mixed-precision Adam / AdamW / AMSGrad step on
 * AVX-512F: bf16 state (with fp32 or bf16 parameters and gradients)
 * converted in registers, no block buffers (ob_mixed.h, "Fused kernels").
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

typedef struct adam_mixed_consts {
    ob_adam16 a;              /* kernels/avx512/adam.c's scalars */
    __m512i lokey, hikey;     /* stochastic rounding's keys */
} adam_mixed_consts;

OB_AVX512_INLINE __m256i ld_u16(const uint16_t *a) { return _mm256_loadu_si256((const __m256i *)(const void *)a); }
OB_AVX512_INLINE void st_u16(uint16_t *a, __m256i x) { _mm256_storeu_si256((__m256i *)(void *)a, x); }

/* Elements i .. i+15.  pg16: p and g are bf16 (else fp32); m, v, vmax are
 * bf16.  lo: the low 32 bits of element i's index in the whole array. */
OB_AVX512_INLINE void adam_mixed_vec(size_t i, void *p, const void *g, uint16_t *m, uint16_t *v, uint16_t *vmax,
                                     const adam_mixed_consts *k, const int pg16, const int l2, const int decoupled,
                                     const int amsgrad, const int sr, uint32_t lo)
{
    __m512 pi = pg16 ? ob512_bf16_widen(ld_u16((const uint16_t *)p + i)) : _mm512_loadu_ps((const float *)p + i);
    if (decoupled) pi = _mm512_mul_ps(pi, k->a.decay);
    __m512 d = pg16 ? ob512_bf16_widen(ld_u16((const uint16_t *)g + i)) : _mm512_loadu_ps((const float *)g + i);
    if (l2) d = _mm512_fmadd_ps(k->a.wd, pi, d);
    const __m512 mi = _mm512_fmadd_ps(k->a.omb1, d, _mm512_mul_ps(k->a.b1, ob512_bf16_widen(ld_u16(m + i))));
    __m512 vi = _mm512_fmadd_ps(k->a.omb2, _mm512_mul_ps(d, d), _mm512_mul_ps(k->a.b2, ob512_bf16_widen(ld_u16(v + i))));
    st_u16(m + i, OB_MIXED_RNE16(mi));
    st_u16(v + i, OB_MIXED_RNE16(vi));
    if (amsgrad) {
        vi = _mm512_max_ps(ob512_bf16_widen(ld_u16(vmax + i)), vi);
        st_u16(vmax + i, OB_MIXED_RNE16(vi));
    }
    const __m512 den = _mm512_fmadd_ps(_mm512_sqrt_ps(vi), k->a.rs, k->a.eps);
    const __m512 pn = _mm512_fmadd_ps(k->a.neg_step, _mm512_div_ps(mi, den), pi);
    if (!pg16) _mm512_storeu_ps((float *)p + i, pn);
    else if (sr) st_u16((uint16_t *)p + i, ob512_bf16_sr(pn, ob512_sr_bits(k->lokey, k->hikey, lo)));
    else st_u16((uint16_t *)p + i, OB_MIXED_RNE16(pn));
}

/* Prefetch, OB_PREFETCH_BYTES ahead, of the `lines` cache lines that
 * element i starts in an array of `size`-byte elements (address formed as
 * an integer: no pointer past the array; prefetches never fault). */
OB_AVX512_INLINE void prefetch_mixed(const void *a, size_t i, size_t size, const int lines)
{
    const uintptr_t at = (uintptr_t)a + i * size + OB_PREFETCH_BYTES;
    _mm_prefetch((const char *)at, _MM_HINT_T0);
    if (lines > 1) _mm_prefetch((const char *)(at + 64), _MM_HINT_T0);
}

/* The last n % 16 elements: copied into zero-padded vectors of 16 on the
 * stack (AVX-512F has no 16-bit masked loads), run through the same
 * adam_mixed_vec, and the first rem copied back. */
OB_AVX512_INLINE void adam_mixed_tail(size_t i, size_t rem, void *p, const void *g, uint16_t *m, uint16_t *v,
                                      uint16_t *vmax, const adam_mixed_consts *k, const int pg16, const int l2,
                                      const int decoupled, const int amsgrad, const int sr, uint32_t lo)
{
    const size_t pgs = pg16 ? 2 : 4;
    float pt[16] = {0}, gt[16] = {0};
    uint16_t mt[16] = {0}, vt[16] = {0}, xt[16] = {0};
    memcpy(pt, (const char *)p + i * pgs, rem * pgs);
    memcpy(gt, (const char *)g + i * pgs, rem * pgs);
    memcpy(mt, m + i, rem * 2);
    memcpy(vt, v + i, rem * 2);
    if (amsgrad) memcpy(xt, vmax + i, rem * 2);
    adam_mixed_vec(0, pt, gt, mt, vt, xt, k, pg16, l2, decoupled, amsgrad, sr, lo);
    memcpy((char *)p + i * pgs, pt, rem * pgs);
    memcpy(m + i, mt, rem * 2);
    memcpy(v + i, vt, rem * 2);
    if (amsgrad) memcpy(vmax + i, xt, rem * 2);
}

OB_AVX512_INLINE void adam_mixed_body(size_t n, void *p, const void *g, void *const *state, const ob_step_scalars *s,
                                      const int pg16, const int l2, const int decoupled, const int amsgrad, int sr,
                                      uint32_t lokey, uint32_t hikey, uint32_t lo)
{
    uint16_t *m = state[0], *v = state[1], *vmax = amsgrad ? state[2] : NULL;
    const adam_mixed_consts k = {ob_adam16_of(s), _mm512_set1_epi32((int)lokey), _mm512_set1_epi32((int)hikey)};
    sr = sr && pg16;
    const size_t pgs = pg16 ? 2 : 4;
    const int pf = n >= OB_PREFETCH_MIN_N;
    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        if (pf) {
            prefetch_mixed(p, i, pgs, pg16 ? 1 : 2);
            prefetch_mixed(g, i, pgs, pg16 ? 1 : 2);
            prefetch_mixed(m, i, 2, 1);
            prefetch_mixed(v, i, 2, 1);
            if (amsgrad) prefetch_mixed(vmax, i, 2, 1);
        }
        adam_mixed_vec(i, p, g, m, v, vmax, &k, pg16, l2, decoupled, amsgrad, sr, lo + (uint32_t)i);
        adam_mixed_vec(i + 16, p, g, m, v, vmax, &k, pg16, l2, decoupled, amsgrad, sr, lo + (uint32_t)i + 16);
    }
    if (n - i >= 16) {
        adam_mixed_vec(i, p, g, m, v, vmax, &k, pg16, l2, decoupled, amsgrad, sr, lo + (uint32_t)i);
        i += 16;
    }
    if (i < n) adam_mixed_tail(i, n - i, p, g, m, v, vmax, &k, pg16, l2, decoupled, amsgrad, sr, lo + (uint32_t)i);
}

/* The flags (l2, decoupled, amsgrad) specialised outside the element loop,
 * as in kernels/avx512/adam.c. */
OB_AVX512_INLINE void adam_mixed_dispatch(size_t n, void *p, const void *g, void *const *state,
                                          const ob_step_scalars *s, const int pg16, int sr, uint32_t lokey,
                                          uint32_t hikey, uint32_t lo)
{
    const int l2 = s->l2 != 0, dec = s->decoupled != 0, ams = s->amsgrad != 0;
    switch (l2 | dec << 1 | ams << 2) {
    case 0: adam_mixed_body(n, p, g, state, s, pg16, 0, 0, 0, sr, lokey, hikey, lo); break;
    case 1: adam_mixed_body(n, p, g, state, s, pg16, 1, 0, 0, sr, lokey, hikey, lo); break;
    case 2: adam_mixed_body(n, p, g, state, s, pg16, 0, 1, 0, sr, lokey, hikey, lo); break;
    case 3: adam_mixed_body(n, p, g, state, s, pg16, 1, 1, 0, sr, lokey, hikey, lo); break;
    case 4: adam_mixed_body(n, p, g, state, s, pg16, 0, 0, 1, sr, lokey, hikey, lo); break;
    case 5: adam_mixed_body(n, p, g, state, s, pg16, 1, 0, 1, sr, lokey, hikey, lo); break;
    case 6: adam_mixed_body(n, p, g, state, s, pg16, 0, 1, 1, sr, lokey, hikey, lo); break;
    default: adam_mixed_body(n, p, g, state, s, pg16, 1, 1, 1, sr, lokey, hikey, lo); break;
    }
}

#endif
