/*
 * Mixed-precision array conversions — AVX2 (ob_mixed.h, ob_cvt_ops): 8
 * elements per vector in integer code that follows the software
 * definitions (kernels/convert_sw.h) bit for bit, fp16 through F16C's
 * VCVTPH2PS; the last n % 8 elements through the software definitions.
 *
 * Required ISA: AVX2 + F16C (built with -mavx2 -mfma -mf16c
 * -ffp-contract=off; the dispatcher requires F16C with AVX2).
 */
#include <immintrin.h>

#include "kernels/mixed_isa.h"
#include "kernels/convert_sw.h"

#define INL static inline __attribute__((always_inline))

INL __m128i load8x16(const uint16_t *a)
{
    return _mm_loadu_si128((const __m128i *)(const void *)a);
}

/* 8 lanes of values < 2^16 -> 8 packed uint16 (no saturation happens). */
INL void store_narrow(uint16_t *a, __m256i r)
{
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
    _mm_storeu_si128((__m128i *)(void *)a, _mm256_castsi256_si128(packed));
}

/* NaN lanes: (x >> 16) | 0x40.  An unsigned compare through the sign
 * flip: |x| > 0x7f800000. */
INL __m256i nan_fix(__m256i r, __m256i u)
{
    const __m256i mag = _mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff));
    const __m256i nan = _mm256_cmpgt_epi32(mag, _mm256_set1_epi32(0x7f800000));
    const __m256i q = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    return _mm256_blendv_epi8(r, q, nan);
}

INL __m256i lowbias32(__m256i x)
{
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(0x7feb352d));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 15));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32((int)0x846ca68bu));
    return _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
}

void ob_cvt_bf16_to_f32_avx2(size_t n, const uint16_t *src, float *dst)
{
    size_t i = 0;
    for (; n - i >= 8; i += 8)
        _mm256_storeu_si256((__m256i *)(void *)(dst + i),
                            _mm256_slli_epi32(_mm256_cvtepu16_epi32(load8x16(src + i)), 16));
    for (; i < n; i++) dst[i] = ob_sw_bf16_to_f32(src[i]);
}

void ob_cvt_f16_to_f32_avx2(size_t n, const uint16_t *src, float *dst, float scale)
{
    const __m256 k = _mm256_set1_ps(scale);
    size_t i = 0;
    for (; n - i >= 8; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_mul_ps(_mm256_cvtph_ps(load8x16(src + i)), k));
    for (; i < n; i++) dst[i] = ob_sw_f16_to_f32(src[i]) * scale;
}

void ob_cvt_f32_to_bf16_rne_avx2(size_t n, const float *src, uint16_t *dst)
{
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        const __m256i u = _mm256_castps_si256(_mm256_loadu_ps(src + i));
        const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        const __m256i r = _mm256_srli_epi32(
            _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), lsb), 16);
        store_narrow(dst + i, nan_fix(r, u));
    }
    for (; i < n; i++) dst[i] = ob_sw_f32_to_bf16_rne(src[i]);
}

void ob_cvt_f32_to_bf16_sr_avx2(size_t n, const float *src, uint16_t *dst, uint32_t key, uint32_t lo)
{
    const __m256i k = _mm256_set1_epi32((int)key);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)(lo + (uint32_t)i)), lane);
        /* ob_sw_sr_bits lane by lane: the pair's hash, the lane's half. */
        const __m256i h = lowbias32(_mm256_xor_si256(_mm256_srli_epi32(idx, 1), k));
        const __m256i shift = _mm256_slli_epi32(_mm256_and_si256(idx, _mm256_set1_epi32(1)), 4);
        const __m256i r = _mm256_and_si256(_mm256_srlv_epi32(h, shift), _mm256_set1_epi32(0xffff));
        const __m256i u = _mm256_castps_si256(_mm256_loadu_ps(src + i));
        store_narrow(dst + i, nan_fix(_mm256_srli_epi32(_mm256_add_epi32(u, r), 16), u));
    }
    for (; i < n; i++) dst[i] = ob_sw_f32_to_bf16_sr(src[i], ob_sw_sr_bits(key, lo + (uint32_t)i));
}

int ob_cvt_f16_all_finite_avx2(size_t n, const uint16_t *src)
{
    /* As the AVX-512 version (kernels/avx512/convert.c): e + 0x0400 sets
     * bit 15 of a half iff its exponent field e is all ones; OR-ed over the
     * array, tested once. */
    const __m256i exp = _mm256_set1_epi32(0x7c007c00), one = _mm256_set1_epi32(0x04000400);
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        const __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
        const __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(src + i + 16));
        acc0 = _mm256_or_si256(acc0, _mm256_add_epi32(_mm256_and_si256(x0, exp), one));
        acc1 = _mm256_or_si256(acc1, _mm256_add_epi32(_mm256_and_si256(x1, exp), one));
    }
    if (!_mm256_testz_si256(_mm256_or_si256(acc0, acc1), _mm256_set1_epi32((int)0x80008000u))) return 0;
    return ob_cvt_f16_all_finite_scalar(n - i, src + i);
}
