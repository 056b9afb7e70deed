/*
 * q8.c — 8-bit block-wise state, AVX2 (ob_mixed.h "8-bit block-wise
 * state", ob_cvt_ops.q8_*), 8 elements per vector; the operations of
 * kernels/scalar/q8.c (the same multiplies, the same strict comparisons
 * against the same midpoints, an exact maximum), so bit-identical to it.
 * The binary search's candidates and the codebook values are gathered;
 * the last n % 8 elements run the scalar code.
 *
 * Required ISA: AVX2 (built with -mavx2 -mfma -ffp-contract=off).
 */
#include <float.h>
#include <immintrin.h>
#include <math.h>

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

void ob_q8_quant_avx2(size_t n, const float *src, float r, const float *mid, uint8_t *code)
{
    const __m256 vr = _mm256_set1_ps(r);
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        const __m256 y = _mm256_mul_ps(_mm256_loadu_ps(src + i), vr);
        __m256i idx = _mm256_setzero_si256();
        for (int s = 128; s; s >>= 1) {
            const __m256 m = _mm256_i32gather_ps(mid, _mm256_add_epi32(idx, _mm256_set1_epi32(s - 1)), 4);
            const __m256i gt = _mm256_castps_si256(_mm256_cmp_ps(y, m, _CMP_GT_OQ));
            idx = _mm256_add_epi32(idx, _mm256_and_si256(gt, _mm256_set1_epi32(s)));
        }
        int lanes[8];
        _mm256_storeu_si256((__m256i *)(void *)lanes, idx);
        for (int k = 0; k < 8; k++) code[i + k] = (uint8_t)lanes[k];
    }
    ob_q8_quant_scalar(n - i, src + i, r, mid, code + i);
}
