/*
 * q8.c — 8-bit block-wise state, AVX-512F (ob_mixed.h "8-bit block-wise
 * state", ob_cvt_ops.q8_*), 16 elements per vector.  The same operations
 * as kernels/scalar/q8.c: one fp32 multiply per element to dequantize and
 * to scale, the same strict comparisons against the same midpoints, an
 * exact maximum; so the codes and absmax are bit-identical to scalar.
 *
 * Quantization is the scalar binary search with the candidates fetched by
 * permutes: the first five steps (128 .. 8) choose among at most 16
 * midpoints (VPERMPS), the sixth among 32 (VPERMT2PS), the last two
 * gather.  Dequantization gathers from the 256-entry codebook.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 */
#include <float.h>
#include <immintrin.h>
#include <string.h>

#include "kernels/mixed_isa.h"

#define INL static inline __attribute__((always_inline))

void ob_q8_dequant_avx512(size_t n, const uint8_t *code, float a, const float *tab, float *dst)
{
    const __m512 va = _mm512_set1_ps(a);
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(code + i)));
        _mm512_storeu_ps(dst + i, _mm512_mul_ps(_mm512_i32gather_ps(c, tab, 4), va));
    }
    if (i < n) {
        uint8_t tail[16] = {0};
        memcpy(tail, code + i, n - i);
        const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)tail));
        _mm512_mask_storeu_ps(dst + i, (__mmask16)((1u << (n - i)) - 1),
                              _mm512_mul_ps(_mm512_i32gather_ps(c, tab, 4), va));
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

/* The candidate tables of one call: t[s][k] = mid[16k + s - 1] for the
 * steps s = 128, 64, 32, 16, 8 (index idx >> 4), and the 32 midpoints
 * mid[8k + 3] of step 4 (index idx >> 3). */
typedef struct q8_tabs {
    __m512 t[5], t4lo, t4hi;
} q8_tabs;

INL void tabs_make(const float *mid, q8_tabs *q)
{
    float b[16];
    for (int j = 0; j < 5; j++) {
        const unsigned s = 128u >> j;
        for (unsigned k = 0; k < 16; k++) b[k] = mid[16 * k + s - 1 < 255 ? 16 * k + s - 1 : 255];
        q->t[j] = _mm512_loadu_ps(b);
    }
    for (unsigned k = 0; k < 16; k++) b[k] = mid[8 * k + 3];
    q->t4lo = _mm512_loadu_ps(b);
    for (unsigned k = 0; k < 16; k++) b[k] = mid[8 * (k + 16) + 3];
    q->t4hi = _mm512_loadu_ps(b);
}

INL __m512i code16(__m512 y, const q8_tabs *q, const float *mid)
{
    __m512i idx = _mm512_setzero_si512();
    for (int j = 0; j < 5; j++) {
        const __m512 m = _mm512_permutexvar_ps(_mm512_srli_epi32(idx, 4), q->t[j]);
        idx = _mm512_mask_add_epi32(idx, _mm512_cmp_ps_mask(y, m, _CMP_GT_OQ), idx, _mm512_set1_epi32(128 >> j));
    }
    const __m512 m4 = _mm512_permutex2var_ps(q->t4lo, _mm512_srli_epi32(idx, 3), q->t4hi);
    idx = _mm512_mask_add_epi32(idx, _mm512_cmp_ps_mask(y, m4, _CMP_GT_OQ), idx, _mm512_set1_epi32(4));
    for (int s = 2; s; s >>= 1) {
        const __m512 m = _mm512_i32gather_ps(_mm512_add_epi32(idx, _mm512_set1_epi32(s - 1)), mid, 4);
        idx = _mm512_mask_add_epi32(idx, _mm512_cmp_ps_mask(y, m, _CMP_GT_OQ), idx, _mm512_set1_epi32(s));
    }
    return idx;
}

void ob_q8_quant_avx512(size_t n, const float *src, float r, const float *mid, uint8_t *code)
{
    q8_tabs q;
    tabs_make(mid, &q);
    const __m512 vr = _mm512_set1_ps(r);
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        const __m512i c = code16(_mm512_mul_ps(_mm512_loadu_ps(src + i), vr), &q, mid);
        _mm_storeu_si128((__m128i *)(void *)(code + i), _mm512_cvtepi32_epi8(c));
    }
    if (i < n) {
        const __mmask16 k = (__mmask16)((1u << (n - i)) - 1);
        const __m512i c = code16(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, src + i), vr), &q, mid);
        uint8_t tail[16];
        _mm_storeu_si128((__m128i *)(void *)tail, _mm512_cvtepi32_epi8(c));
        memcpy(code + i, tail, n - i);
    }
}
