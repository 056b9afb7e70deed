/*
 * bf16_cvt.h — round to nearest even with VCVTNEPS2BF16, fixed up to the
 * software definition (see convert.c here).  Internal to
 * kernels/avx512bf16 (built with -mavx512bf16).
 */
#ifndef OB_BF16_CVT_H
#define OB_BF16_CVT_H

#include "kernels/avx512/avx512_cvt.h"

OB_AVX512_INLINE __m256i ob512_bf16_rne_native(__m512 x)
{
    __m256i r = (__m256i)_mm512_cvtneps_pbh(x);
    const __m512i u = _mm512_castps_si512(x);
    /* Subnormal lanes (exponent 0, significand != 0). */
    const __mmask16 sub = _mm512_testn_epi32_mask(u, _mm512_set1_epi32(0x7f800000)) &
                          _mm512_test_epi32_mask(u, _mm512_set1_epi32(0x007fffff));
    if (__builtin_expect(sub != 0, 0)) r = _mm256_mask_mov_epi16(r, sub, ob512_bf16_rne_sw(x));
    return r;
}

#endif
