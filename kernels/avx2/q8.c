/*
 * q8.c — 8-bit block-wise state, AVX2 (ob_mixed.h "8-bit block-wise
 * state", ob_cvt_ops.q8_*), 8 elements per vector; the operations of
 * kernels/scalar/q8.c (the same multiplies, the same count of midpoints
 * below each value, an exact maximum), so bit-identical to it.  The codes
 * come from the bucket table (ob_mixed.h "ob_q8_qtab": one gather of the
 * entry and one integer compare, as kernels/avx512/q8.c) and the codebook
 * values are gathered; the last n % 8 elements run the scalar code.
 *
 * Required ISA: AVX2 (built with -mavx2 -mfma -ffp-contract=off).
 */
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/mixed_isa.h"

void ob_q8_dequant_avx2(size_t n, const uint8_t *code, float a, const float *tab, float *dst)
{
    const __m256 va = _mm256_set1_ps(a);
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        const __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(code + i)));
        _mm256_storeu_ps(dst + i, _mm256_mul_ps(_mm256_i32gather_ps(tab, c, 4), va));
    }
    ob_q8_dequant_scalar(n - i, code + i, a, tab, dst + i);
}

float ob_q8_absmax_avx2(size_t n, const float *src, int *nonfinite)
{
    const __m256 absm = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 big = _mm256_set1_ps(FLT_MAX);
    __m256 acc = _mm256_setzero_ps();
    int bad = 0;
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        const __m256 v = _mm256_and_ps(_mm256_loadu_ps(src + i), absm);
        acc = _mm256_max_ps(v, acc); /* (v > acc) ? v : acc: a NaN v keeps acc */
        bad |= _mm256_movemask_ps(_mm256_cmp_ps(v, big, _CMP_NLE_UQ));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    int tail_bad = 0;
    float a = ob_q8_absmax_scalar(n - i, src + i, &tail_bad);
    for (int k = 0; k < 8; k++) a = lanes[k] > a ? lanes[k] : a;
    *nonfinite = bad != 0 || tail_bad;
    return a;
}

/* The bucket quantizer (ob_mixed.h "ob_q8_qtab", as kernels/avx512/q8.c):
 * one gather of the bucket entry, one integer compare.  The compared
 * fields are below 2^24, so signed compares order them. */
static inline __m256i code8(__m256 y, const ob_q8_qtab *t, __m128i sh)
{
    const __m256i yb = _mm256_castps_si256(y), b = _mm256_and_si256(yb, _mm256_set1_epi32(0x7fffffff));
    __m256i key = _mm256_sub_epi32(_mm256_srl_epi32(b, sh), _mm256_set1_epi32((int)t->first));
    key = _mm256_min_epi32(_mm256_max_epi32(key, _mm256_setzero_si256()), _mm256_set1_epi32((int)t->last));
    const __m256i e = _mm256_i32gather_epi32((const int *)(const void *)t->bucket, key, 4);
    const __m256i lo = _mm256_and_si256(b, _mm256_set1_epi32((int)((1u << t->shift) - 1)));
    const __m256i lm = _mm256_srli_epi32(e, 8), base = _mm256_and_si256(e, _mm256_set1_epi32(0xff));
    const __m256i gt = _mm256_cmpgt_epi32(lo, lm); /* all ones: -1 */
    const __m256i nan = _mm256_cmpgt_epi32(b, _mm256_set1_epi32(0x7f800000));
    if (t->unsigned_) {
        /* Negative or NaN: code 0. */
        const __m256i bad = _mm256_or_si256(nan, _mm256_cmpgt_epi32(_mm256_setzero_si256(), yb));
        return _mm256_andnot_si256(bad, _mm256_sub_epi32(base, gt));
    }
    const __m256i neg = _mm256_cmpgt_epi32(_mm256_setzero_si256(), yb);
    const __m256i ge = _mm256_xor_si256(_mm256_cmpgt_epi32(lm, lo), _mm256_set1_epi32(-1));
    /* Positive: 127 + base + (above the midpoint); negative: 127 - base -
     * (on or above it), at least 0. */
    const __m256i d = _mm256_sub_epi32(base, _mm256_blendv_epi8(gt, ge, neg));
    const __m256i c127 = _mm256_set1_epi32(127);
    const __m256i negc = _mm256_max_epi32(_mm256_sub_epi32(c127, d), _mm256_setzero_si256());
    return _mm256_andnot_si256(nan, _mm256_blendv_epi8(_mm256_add_epi32(c127, d), negc, neg));
}

void ob_q8_quant_avx2(size_t n, const float *src, float r, const ob_q8_qtab *t, uint8_t *code)
{
    const __m256 vr = _mm256_set1_ps(r);
    const __m128i sh = _mm_cvtsi32_si128((int)t->shift);
    /* Bytes 0, 4, 8, 12 of each 128-bit lane to its low 4 bytes. */
    const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12,
                                          -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        const __m256i c = _mm256_shuffle_epi8(code8(_mm256_mul_ps(_mm256_loadu_ps(src + i), vr), t, sh), pick);
        const uint32_t lo = (uint32_t)_mm256_extract_epi32(c, 0), hi = (uint32_t)_mm256_extract_epi32(c, 4);
        memcpy(code + i, &lo, 4);
        memcpy(code + i + 4, &hi, 4);
    }
    ob_q8_quant_scalar(n - i, src + i, r, t, code + i);
}
