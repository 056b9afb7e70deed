/*
 * Mixed-precision array conversions — AVX-512F (ob_mixed.h, ob_cvt_ops):
 * 16 elements per vector with kernels/avx512/avx512_cvt.h, the last
 * n % 16 through the software definitions (kernels/convert_sw.h), which
 * give the same bits.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 */
#include "kernels/mixed_isa.h"
#include "kernels/convert_sw.h"
#include "avx512_cvt.h"

static inline __m256i load_u16x16(const uint16_t *a)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)a);
}
static inline void store_u16x16(uint16_t *a, __m256i x)
{
    _mm256_storeu_si256((__m256i *)(void *)a, x);
}

void ob_cvt_bf16_to_f32_avx512(size_t n, const uint16_t *src, float *dst)
{
    size_t i = 0;
    for (; n - i >= 16; i += 16) _mm512_storeu_ps(dst + i, ob512_bf16_widen(load_u16x16(src + i)));
    for (; i < n; i++) dst[i] = ob_sw_bf16_to_f32(src[i]);
}

void ob_cvt_f16_to_f32_avx512(size_t n, const uint16_t *src, float *dst, float scale)
{
    const __m512 k = _mm512_set1_ps(scale);
    size_t i = 0;
    for (; n - i >= 16; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_mul_ps(ob512_f16_widen(load_u16x16(src + i)), k));
    for (; i < n; i++) dst[i] = ob_sw_f16_to_f32(src[i]) * scale;
}

void ob_cvt_f32_to_bf16_rne_avx512(size_t n, const float *src, uint16_t *dst)
{
    size_t i = 0;
    for (; n - i >= 16; i += 16) store_u16x16(dst + i, ob512_bf16_rne_sw(_mm512_loadu_ps(src + i)));
    for (; i < n; i++) dst[i] = ob_sw_f32_to_bf16_rne(src[i]);
}

void ob_cvt_f32_to_bf16_sr_avx512(size_t n, const float *src, uint16_t *dst, uint32_t key, uint32_t lo)
{
    const __m512i k = _mm512_set1_epi32((int)key);
    size_t i = 0;
    if (!(lo & 1u))
        for (; n - i >= 32; i += 32) {
            __m512i r[2];
            ob512_sr_bits32(k, lo + (uint32_t)i, r);
            store_u16x16(dst + i, ob512_bf16_sr(_mm512_loadu_ps(src + i), r[0]));
            store_u16x16(dst + i + 16, ob512_bf16_sr(_mm512_loadu_ps(src + i + 16), r[1]));
        }
    for (; n - i >= 16; i += 16)
        store_u16x16(dst + i, ob512_bf16_sr(_mm512_loadu_ps(src + i), ob512_sr_bits(k, lo + (uint32_t)i)));
    for (; i < n; i++) dst[i] = ob_sw_f32_to_bf16_sr(src[i], ob_sw_sr_bits(key, lo + (uint32_t)i));
}

int ob_cvt_f16_all_finite_avx512(size_t n, const uint16_t *src)
{
    /* 32 halves per vector, two per 32-bit lane.  A half is Inf or NaN iff
     * its exponent field e = h & 0x7c00 is 0x7c00, iff e + 0x0400 sets bit
     * 15 (no other e reaches it, and the low half never carries into the
     * high one).  The bits are OR-ed over the whole array and tested once
     * at the end: no branch per vector, so the pass streams at load speed
     * (overflow is the rare case; the step is skipped either way). */
    const __m512i exp = _mm512_set1_epi32(0x7c007c00), one = _mm512_set1_epi32(0x04000400);
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; n - i >= 64; i += 64) {
        const __m512i x0 = _mm512_loadu_si512((const void *)(src + i));
        const __m512i x1 = _mm512_loadu_si512((const void *)(src + i + 32));
        acc0 = _mm512_or_si512(acc0, _mm512_add_epi32(_mm512_and_si512(x0, exp), one));
        acc1 = _mm512_or_si512(acc1, _mm512_add_epi32(_mm512_and_si512(x1, exp), one));
    }
    if (_mm512_test_epi32_mask(_mm512_or_si512(acc0, acc1), _mm512_set1_epi32((int)0x80008000u))) return 0;
    return ob_cvt_f16_all_finite_scalar(n - i, src + i);
}
