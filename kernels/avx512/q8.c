/*
 * q8.c — 8-bit block-wise state, AVX-512F (ob_mixed.h "8-bit block-wise
 * state", ob_cvt_ops.q8_*), 16 elements per vector.  The same operations
 * as kernels/scalar/q8.c: one fp32 multiply per element to dequantize and
 * to scale, the same strict comparisons against the same midpoints, an
 * exact maximum; so the codes and absmax are bit-identical to scalar.
 *
 * Quantization computes the same count #{j : y > M[j]} by the arithmetic
 * count (ob_mixed.h "ob_q8_arith": permutes, one FMA and a ceiling, no
 * gather), and from the bucket table (ob_mixed.h "ob_q8_qtab": one gather
 * and one integer compare) for the vectors holding a lane within rounding
 * of a midpoint.  On an AMD EPYC (Zen 4) the arithmetic count takes 0.42
 * (signed) and 0.30 (unsigned) ns per element against 0.61 and 0.48 for
 * the gather.  Dequantization gathers from the codebook (L1-resident,
 * 1 KB) where VBMI's byte planes are not available.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 */
#include <float.h>
#include <immintrin.h>
#include <string.h>

#include "kernels/mixed_isa.h"

#define INL static inline __attribute__((always_inline))

/* Dequantization: whole groups of 64 by AVX512-VBMI byte permutes where
 * the CPU has them (kernels/avx512/q8_vbmi.c), the rest by a gather of
 * Q[c] from the 1 KB codebook (L1-resident): measured on an AMD EPYC
 * (Zen 4) at 0.36 ns per element against 0.57 for a gather-free lookup
 * by 8 VPERMT2PS pairs and 7 blends. */
void ob_q8_dequant_avx512(size_t n, const uint8_t *code, float a, const float *tab, float *dst)
{
    const __m512 va = _mm512_set1_ps(a);
    size_t i = 0;
    if (n >= 64 && ob_q8_vbmi_enabled()) {
        i = n & ~(size_t)63;
        ob_q8_dequant_avx512vbmi(i, code, a, tab, dst);
    }
    for (; n - i >= 16; i += 16) {
        const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(code + i)));
        _mm512_storeu_ps(dst + i, _mm512_mul_ps(_mm512_i32gather_ps(c, tab, 4), va));
    }
    if (i < n) {
        const __mmask16 k = (__mmask16)((1u << (n - i)) - 1);
        uint8_t tail[16] = {0};
        memcpy(tail, code + i, n - i);
        const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)tail));
        _mm512_mask_storeu_ps(dst + i, k, _mm512_mul_ps(_mm512_mask_i32gather_ps(_mm512_setzero_ps(), k, c, tab, 4), va));
    }
}

float ob_q8_absmax_avx512(size_t n, const float *src, int *nonfinite)
{
    const __m512i absm = _mm512_set1_epi32(0x7fffffff);
    const __m512 big = _mm512_set1_ps(FLT_MAX);
    __m512 acc = _mm512_setzero_ps();
    __mmask16 bad = 0;
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512 v = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_maskz_loadu_ps(k, src + i)), absm));
        acc = _mm512_max_ps(v, acc); /* (v > acc) ? v : acc: a NaN v keeps acc */
        bad |= _mm512_cmp_ps_mask(v, big, _CMP_NLE_UQ);
    }
    *nonfinite = bad != 0;
    return _mm512_reduce_max_ps(acc); /* no NaN in acc: any order is exact */
}

/* The bucket quantizer (ob_mixed.h "ob_q8_qtab"; ob_q8_code_bucket is
 * the same per element): one gather from the bucket table, whose entry
 * gives the count of midpoints below the bucket and the low bits of the
 * at most one midpoint inside it; one integer compare decides that
 * midpoint (positive fp32 values order as their bit patterns). */
typedef struct q8_bk {
    __m512i absm, nan, lowm, sh, first, last, bytem, c127;
    const uint32_t *tab;
} q8_bk;

INL void bk_make(const ob_q8_qtab *t, q8_bk *k)
{
    k->absm = _mm512_set1_epi32(0x7fffffff);
    k->nan = _mm512_set1_epi32(0x7f800000);
    k->lowm = _mm512_set1_epi32((int)((1u << t->shift) - 1));
    k->sh = _mm512_set1_epi32((int)t->shift);
    k->first = _mm512_set1_epi32((int)t->first);
    k->last = _mm512_set1_epi32((int)t->last);
    k->bytem = _mm512_set1_epi32(0xff);
    k->c127 = _mm512_set1_epi32(127);
    k->tab = t->bucket;
}

/* The entry's base, and masks: lo > the midpoint's low bits, and >=. */
INL __m512i bk_base(__m512i b, const q8_bk *k, __mmask16 *gt, __mmask16 *ge)
{
    __m512i key = _mm512_sub_epi32(_mm512_srlv_epi32(b, k->sh), k->first);
    key = _mm512_min_epi32(_mm512_max_epi32(key, _mm512_setzero_si512()), k->last);
    const __m512i e = _mm512_i32gather_epi32(key, (const void *)k->tab, 4);
    const __m512i lo = _mm512_and_si512(b, k->lowm), lm = _mm512_srli_epi32(e, 8);
    *gt = _mm512_cmpgt_epu32_mask(lo, lm);
    if (ge) *ge = _mm512_cmpge_epu32_mask(lo, lm);
    return _mm512_and_si512(e, k->bytem);
}

INL __m512i code16_unsigned(__m512 y, const q8_bk *k)
{
    const __m512i yb = _mm512_castps_si512(y);
    __mmask16 gt;
    const __m512i base = bk_base(_mm512_and_si512(yb, k->absm), k, &gt, NULL);
    /* Negative or NaN: code 0 (no midpoint is below it). */
    const __mmask16 ok = _mm512_cmple_epu32_mask(yb, k->nan);
    return _mm512_maskz_mov_epi32(ok, _mm512_mask_add_epi32(base, gt, base, _mm512_set1_epi32(1)));
}

INL __m512i code16_signed(__m512 y, const q8_bk *k)
{
    const __m512i yb = _mm512_castps_si512(y), b = _mm512_and_si512(yb, k->absm);
    __mmask16 gt, ge;
    const __m512i base = bk_base(b, k, &gt, &ge);
    const __mmask16 neg = _mm512_cmplt_epi32_mask(yb, _mm512_setzero_si512());
    /* Positive: 127 + base + (above the midpoint); negative: 127 - base
     * - (on or above it), at least 0 (the symmetric midpoints). */
    const __mmask16 step = (__mmask16)((neg & ge) | (~neg & gt));
    const __m512i d = _mm512_mask_add_epi32(base, step, base, _mm512_set1_epi32(1));
    const __m512i negc = _mm512_max_epi32(_mm512_sub_epi32(k->c127, d), _mm512_setzero_si512());
    const __m512i c = _mm512_mask_blend_epi32(neg, _mm512_add_epi32(k->c127, d), negc);
    return _mm512_maskz_mov_epi32(_mm512_cmple_epu32_mask(b, k->nan), c); /* NaN: 0 */
}

/* The arithmetic count (ob_mixed.h "ob_q8_arith"; ob_q8_count_arith is
 * the same per lane): the region from two 32-entry permutes by binade
 * and one compare, the region's line from 16-entry permutes, one FMA and
 * a ceiling.  No gather: on an AMD EPYC (Zen 4) a 16-lane gather from the
 * bucket table costs more than this whole count.  Lanes within rounding
 * of a midpoint are flagged; a vector with one goes to the bucket table. */
typedef struct q8_ar {
    __m512i rlo, rhi, blo, bhi, base, xmin, xmax, one, near;
    __m512 a, b, h;
} q8_ar;

INL void ar_make(const ob_q8_arith *t, q8_ar *k)
{
    k->rlo = _mm512_loadu_si512(t->region_of_binade);
    k->rhi = _mm512_loadu_si512(t->region_of_binade + 16);
    k->blo = _mm512_loadu_si512(t->bound_of_binade);
    k->bhi = _mm512_loadu_si512(t->bound_of_binade + 16);
    k->base = _mm512_loadu_si512(t->base);
    k->a = _mm512_loadu_ps(t->a);
    k->b = _mm512_loadu_ps(t->b);
    k->h = _mm512_loadu_ps(t->h);
    k->xmin = _mm512_set1_epi32(0x30000000);
    k->xmax = _mm512_set1_epi32(0x3f800000);
    k->one = _mm512_set1_epi32(1);
    k->near = _mm512_set1_epi32(0xffc);
}

/* #{positive midpoints < x} for 16 magnitudes (bit patterns xb); *amb:
 * the lanes within rounding of a midpoint. */
INL __m512i ar_count(__m512i xb, const q8_ar *k, __mmask16 *amb)
{
    xb = _mm512_min_epu32(_mm512_max_epu32(xb, k->xmin), k->xmax);
    const __m512i e = _mm512_srli_epi32(xb, 23); /* vpermi2d uses e & 31 */
    const __m512i r0 = _mm512_permutex2var_epi32(k->rlo, e, k->rhi);
    const __m512i bd = _mm512_permutex2var_epi32(k->blo, e, k->bhi);
    const __m512i r = _mm512_mask_add_epi32(r0, _mm512_cmpgt_epu32_mask(xb, bd), r0, k->one);
    __m512 t = _mm512_fmadd_ps(_mm512_castsi512_ps(xb), _mm512_permutexvar_ps(r, k->a), _mm512_permutexvar_ps(r, k->b));
    t = _mm512_min_ps(t, _mm512_permutexvar_ps(r, k->h));
    const __m512i i = _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
    *amb = _mm512_testn_epi32_mask(_mm512_add_epi32(i, k->one), k->near);
    return _mm512_srli_epi32(_mm512_add_epi32(i, _mm512_permutexvar_epi32(r, k->base)), 12);
}

/* The codes of 16 values y (the rules of ob_q8_code_bucket), by the
 * arithmetic count, or by the bucket table where a lane is ambiguous. */
INL __m512i ar_code16_unsigned(__m512 y, const q8_ar *k, const q8_bk *bk)
{
    const __m512i yb = _mm512_castps_si512(y);
    __mmask16 amb;
    const __m512i G = ar_count(yb, k, &amb);
    if (__builtin_expect(amb != 0, 0)) return code16_unsigned(y, bk);
    /* Negative, -0 or NaN: code 0 (+0 counts no midpoint either). */
    return _mm512_maskz_mov_epi32(_mm512_cmple_epu32_mask(yb, bk->nan), G);
}

INL __m512i ar_code16_signed(__m512 y, const q8_ar *k, const q8_bk *bk)
{
    const __m512i yb = _mm512_castps_si512(y), b = _mm512_and_si512(yb, bk->absm);
    const __mmask16 neg = _mm512_cmplt_epi32_mask(yb, _mm512_setzero_si512());
    /* A negative value on a midpoint takes the lower code: count the
     * midpoints <= |y|, i.e. those below the next float up. */
    __mmask16 amb;
    const __m512i G = ar_count(_mm512_mask_add_epi32(b, neg, b, k->one), k, &amb);
    if (__builtin_expect(amb != 0, 0)) return code16_signed(y, bk);
    const __m512i negc = _mm512_max_epi32(_mm512_sub_epi32(bk->c127, G), _mm512_setzero_si512());
    const __m512i c = _mm512_mask_blend_epi32(neg, _mm512_add_epi32(bk->c127, G), negc);
    return _mm512_maskz_mov_epi32(_mm512_cmple_epu32_mask(b, bk->nan), c); /* NaN: 0 */
}

#define Q8_QUANT_LOOP(CODE16) \
    do { \
        size_t i = 0; \
        for (; n - i >= 16; i += 16) { \
            const __m512i c = CODE16(_mm512_mul_ps(_mm512_loadu_ps(src + i), vr), &ar, &k); \
            _mm_storeu_si128((__m128i *)(void *)(code + i), _mm512_cvtepi32_epi8(c)); \
        } \
        if (i < n) { \
            const __mmask16 m = (__mmask16)((1u << (n - i)) - 1); \
            const __m512i c = CODE16(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, src + i), vr), &ar, &k); \
            uint8_t tail[16]; \
            _mm_storeu_si128((__m128i *)(void *)tail, _mm512_cvtepi32_epi8(c)); \
            memcpy(code + i, tail, n - i); \
        } \
    } while (0)

void ob_q8_quant_avx512(size_t n, const float *src, float r, const ob_q8_qtab *t, uint8_t *code)
{
    q8_bk k;
    q8_ar ar;
    bk_make(t, &k);
    ar_make(&t->ar, &ar);
    const __m512 vr = _mm512_set1_ps(r);
    if (t->unsigned_) Q8_QUANT_LOOP(ar_code16_unsigned);
    else Q8_QUANT_LOOP(ar_code16_signed);
}
