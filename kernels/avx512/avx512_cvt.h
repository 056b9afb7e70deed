/*
 * avx512_cvt.h — the mixed-precision conversions on 16 lanes, in
 * AVX-512F integer code, exactly as the software definitions of
 * kernels/convert_sw.h (ob_mixed.h states them).  Shared by the AVX-512
 * conversions (kernels/avx512/convert.c), the fused kernels and the
 * AVX512_BF16 files (kernels/avx512bf16/), which replace only the
 * round-to-nearest conversion.  Nothing here needs more than AVX-512F.
 */
#ifndef OB_AVX512_CVT_H
#define OB_AVX512_CVT_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "avx512_ops.h"

/* 16 bf16 -> 16 fp32 (exact: the bits become the high half). */
OB_AVX512_INLINE __m512 ob512_bf16_widen(__m256i b)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16));
}

/* NaN lanes: (x >> 16) | 0x40, the quiet NaN with the top payload bits. */
OB_AVX512_INLINE __m512i ob512_bf16_nan_fix(__m512i r, __m512i u)
{
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                                  _mm512_set1_epi32(0x7f800000));
    return _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
}

/* fp32 -> bf16, round to nearest even, in the low 16 bits of each lane. */
OB_AVX512_INLINE __m512i ob512_bf16_rne32(__m512 x)
{
    const __m512i u = _mm512_castps_si512(x);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb),
                                        16);
    return ob512_bf16_nan_fix(r, u);
}

/* 16 lanes -> 16 packed bf16 (vpmovdw, AVX-512F). */
OB_AVX512_INLINE __m256i ob512_bf16_rne_sw(__m512 x)
{
    return _mm512_cvtepi32_epi16(ob512_bf16_rne32(x));
}

/* The random bits of lanes lo .. lo+15 (ob_sw_sr_bits). */
OB_AVX512_INLINE __m512i ob512_lowbias32(__m512i x)
{
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32(0x7feb352d));
    x = _mm512_xor_si512(x, _mm512_srli_epi32(x, 15));
    x = _mm512_mullo_epi32(x, _mm512_set1_epi32((int)0x846ca68bu));
    return _mm512_xor_si512(x, _mm512_srli_epi32(x, 16));
}

/* Lanes lo .. lo+15 for any lo (ob_sw_sr_bits lane by lane; key: the
 * call's key broadcast, ob_sw_sr_call_key). */
OB_AVX512_INLINE __m512i ob512_sr_bits(__m512i key, uint32_t lo)
{
    const __m512i idx = _mm512_add_epi32(
        _mm512_set1_epi32((int)lo), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i h = ob512_lowbias32(_mm512_xor_si512(_mm512_srli_epi32(idx, 1), key));
    const __m512i shift = _mm512_slli_epi32(_mm512_and_si512(idx, _mm512_set1_epi32(1)), 4);
    return _mm512_and_si512(_mm512_srlv_epi32(h, shift), _mm512_set1_epi32(0xffff));
}

/* Lanes lo .. lo+31 for an even lo, into r[0] (lo .. lo+15) and r[1]:
 * one hash per pair, 16 hashes in all, each split into its two halves by
 * zero-extending its 16-bit words (the pair's even element takes the low
 * word), which is ob_sw_sr_bits. */
OB_AVX512_INLINE void ob512_sr_bits32(__m512i key, uint32_t lo, __m512i r[2])
{
    const __m512i j = _mm512_add_epi32(
        _mm512_set1_epi32((int)(lo >> 1)),
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i h = ob512_lowbias32(_mm512_xor_si512(j, key));
    r[0] = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(h));
    r[1] = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(h, 1));
}

/* fp32 -> bf16, stochastic: (x + r) >> 16, NaN as with rne. */
OB_AVX512_INLINE __m256i ob512_bf16_sr(__m512 x, __m512i r)
{
    const __m512i u = _mm512_castps_si512(x);
    return _mm512_cvtepi32_epi16(ob512_bf16_nan_fix(_mm512_srli_epi32(_mm512_add_epi32(u, r), 16), u));
}

/* 16 fp16 -> fp32 (VCVTPH2PS: exact, NaN made quiet). */
OB_AVX512_INLINE __m512 ob512_f16_widen(__m256i h)
{
    return _mm512_cvtph_ps(h);
}

#endif
