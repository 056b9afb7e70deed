/*
 * q8.c — 8-bit block-wise state, AVX-512F (ob_mixed.h "8-bit block-wise
 * state", ob_cvt_ops.q8_*), 16 elements per vector.  The same operations
 * as kernels/scalar/q8.c: one fp32 multiply per element to dequantize and
 * to scale, the same strict comparisons against the same midpoints, an
 * exact maximum; so the codes and absmax are bit-identical to scalar.
 *
 * Quantization is the scalar binary search with the candidates fetched by
 * permutes: the first five steps (128 .. 8) choose among at most 16
 * midpoints (VPERMPS), the sixth among 32 (VPERMT2PS), the seventh among
 * 64 and the last among 128 (VPERMT2PS pairs and blends).
 * Dequantization picks from the 256-entry codebook the same way.  No
 * gathers in the loops (they are slow on Zen 4).
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 */
#include <float.h>
#include <immintrin.h>
#include <string.h>

#include "kernels/mixed_isa.h"

#define INL static inline __attribute__((always_inline))

/* A 256-entry table as 8 pairs of registers: VPERMT2PS picks within a
 * pair of 32 entries by the low 5 bits, then bits 5, 6 and 7 of the index
 * choose among the 8 results (blends): no gathers, which are slow on some
 * CPUs (Zen 4). */
typedef struct tab256 {
    __m512 r[16];
} tab256;

INL void tab256_load(tab256 *t, const float *tab)
{
    for (int j = 0; j < 16; j++) t->r[j] = _mm512_loadu_ps(tab + 16 * j);
}

INL __m512 lookup256(const tab256 *t, __m512i c)
{
    __m512 v[8];
    for (int j = 0; j < 8; j++) v[j] = _mm512_permutex2var_ps(t->r[2 * j], c, t->r[2 * j + 1]);
    const __mmask16 b5 = _mm512_test_epi32_mask(c, _mm512_set1_epi32(32));
    const __mmask16 b6 = _mm512_test_epi32_mask(c, _mm512_set1_epi32(64));
    const __mmask16 b7 = _mm512_test_epi32_mask(c, _mm512_set1_epi32(128));
    for (int j = 0; j < 4; j++) v[j] = _mm512_mask_blend_ps(b5, v[2 * j], v[2 * j + 1]);
    for (int j = 0; j < 2; j++) v[j] = _mm512_mask_blend_ps(b6, v[2 * j], v[2 * j + 1]);
    return _mm512_mask_blend_ps(b7, v[0], v[1]);
}

void ob_q8_dequant_avx512(size_t n, const uint8_t *code, float a, const float *tab, float *dst)
{
    const __m512 va = _mm512_set1_ps(a);
    tab256 t;
    tab256_load(&t, tab);
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(code + i)));
        _mm512_storeu_ps(dst + i, _mm512_mul_ps(lookup256(&t, c), va));
    }
    if (i < n) {
        uint8_t tail[16] = {0};
        memcpy(tail, code + i, n - i);
        const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)tail));
        _mm512_mask_storeu_ps(dst + i, (__mmask16)((1u << (n - i)) - 1), _mm512_mul_ps(lookup256(&t, c), va));
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

/* The candidate tables of one call, built with strided gathers once per
 * call: t[j][k] = mid[16k + s - 1] for the steps s = 128 >> j = 128 .. 8
 * (index idx >> 4); t4 = mid[8k + 3] (32 entries, index idx >> 3),
 * t2 = mid[4k + 1] (64, idx >> 2), t1 = mid[2k] (128, idx >> 1). */
typedef struct q8_tabs {
    __m512 t[5], t4[2], t2[4], t1[8];
} q8_tabs;

INL __m512 strided(const float *mid, int stride, int first)
{
    const __m512i k = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i ix = _mm512_add_epi32(_mm512_mullo_epi32(k, _mm512_set1_epi32(stride)), _mm512_set1_epi32(first));
    ix = _mm512_min_epi32(ix, _mm512_set1_epi32(255));
    return _mm512_i32gather_ps(ix, mid, 4);
}

INL void tabs_make(const float *mid, q8_tabs *q)
{
    for (int j = 0; j < 5; j++) q->t[j] = strided(mid, 16, (128 >> j) - 1);
    for (int j = 0; j < 2; j++) q->t4[j] = strided(mid, 8, 128 * j + 3);
    for (int j = 0; j < 4; j++) q->t2[j] = strided(mid, 4, 64 * j + 1);
    for (int j = 0; j < 8; j++) q->t1[j] = strided(mid, 2, 32 * j);
}

/* Entry k (< 32 * npairs) of a table held in npairs register pairs. */
INL __m512 pick(const __m512 *r, int npairs, __m512i k)
{
    __m512 v[4];
    for (int j = 0; j < npairs; j++) v[j] = _mm512_permutex2var_ps(r[2 * j], k, r[2 * j + 1]);
    if (npairs == 1) return v[0];
    const __mmask16 b5 = _mm512_test_epi32_mask(k, _mm512_set1_epi32(32));
    for (int j = 0; j < npairs / 2; j++) v[j] = _mm512_mask_blend_ps(b5, v[2 * j], v[2 * j + 1]);
    if (npairs == 2) return v[0];
    return _mm512_mask_blend_ps(_mm512_test_epi32_mask(k, _mm512_set1_epi32(64)), v[0], v[1]);
}

INL __m512i step(__m512 y, __m512 m, __m512i idx, int s)
{
    return _mm512_mask_add_epi32(idx, _mm512_cmp_ps_mask(y, m, _CMP_GT_OQ), idx, _mm512_set1_epi32(s));
}

INL __m512i code16(__m512 y, const q8_tabs *q)
{
    __m512i idx = _mm512_setzero_si512();
    for (int j = 0; j < 5; j++) idx = step(y, _mm512_permutexvar_ps(_mm512_srli_epi32(idx, 4), q->t[j]), idx, 128 >> j);
    idx = step(y, pick(q->t4, 1, _mm512_srli_epi32(idx, 3)), idx, 4);
    idx = step(y, pick(q->t2, 2, _mm512_srli_epi32(idx, 2)), idx, 2);
    return step(y, pick(q->t1, 4, _mm512_srli_epi32(idx, 1)), idx, 1);
}

void ob_q8_quant_avx512(size_t n, const float *src, float r, const float *mid, uint8_t *code)
{
    q8_tabs q;
    tabs_make(mid, &q);
    const __m512 vr = _mm512_set1_ps(r);
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        const __m512i c = code16(_mm512_mul_ps(_mm512_loadu_ps(src + i), vr), &q);
        _mm_storeu_si128((__m128i *)(void *)(code + i), _mm512_cvtepi32_epi8(c));
    }
    if (i < n) {
        const __mmask16 k = (__mmask16)((1u << (n - i)) - 1);
        const __m512i c = code16(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, src + i), vr), &q);
        uint8_t tail[16];
        _mm_storeu_si128((__m128i *)(void *)tail, _mm512_cvtepi32_epi8(c));
        memcpy(code + i, tail, n - i);
    }
}
