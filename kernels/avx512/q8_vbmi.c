/*
 * q8_vbmi.c — q8 dequantization with AVX512-VBMI byte permutes (ob_mixed.h
 * "8-bit block-wise state"; called by ob_q8_dequant_avx512 where
 * ob_q8_vbmi_enabled(), kernels/framework/dispatch.c).
 *
 * The 256 fp32 codebook values are split into 4 byte planes (byte q of
 * every value, 256 bytes = 4 registers each).  For 64 codes at once,
 * each plane is looked up with two VPERMI2B (the low 7 bits of the code
 * index 128 bytes) and a blend on the code's top bit; the 4 planes are
 * then interleaved back into 64 fp32 values (VPUNPCK*BW / *WD), the codes
 * being pre-permuted (VPERMB) so that the in-lane unpacks leave the values
 * in order.  The value is the codebook's bit pattern, multiplied by a in
 * fp32 as every ISA does, so the result is bit-identical to scalar.
 * Measured on an AMD EPYC (Zen 4): 0.15 ns per element against 0.36 for a
 * 16-lane gather from the codebook.
 *
 * Required ISA: AVX-512F + AVX512BW + AVX512-VBMI (built with
 * -mavx512f -mavx512bw -mavx512vbmi -ffp-contract=off).
 */
#include <immintrin.h>

#include "kernels/mixed_isa.h"

/* The pre-permutation: unpacked register j, 128-bit lane L, dword t
 * holds position 16L + 4j + t of the permuted codes; it must be code
 * 16j + 4L + t.  (Constants, so no per-call set-up: a block is only
 * 2048 codes.) */
static const uint8_t pre_idx[64] = {
    0, 1, 2, 3, 16, 17, 18, 19, 32, 33, 34, 35, 48, 49, 50, 51,
    4, 5, 6, 7, 20, 21, 22, 23, 36, 37, 38, 39, 52, 53, 54, 55,
    8, 9, 10, 11, 24, 25, 26, 27, 40, 41, 42, 43, 56, 57, 58, 59,
    12, 13, 14, 15, 28, 29, 30, 31, 44, 45, 46, 47, 60, 61, 62, 63,
};

/* Byte q of 32 consecutive fp32 values (bytes 4t + q), twice. */
static const uint8_t plane_idx[4][64] = {
    {
        0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60,
        64, 68, 72, 76, 80, 84, 88, 92, 96, 100, 104, 108, 112, 116, 120, 124,
        0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60,
        64, 68, 72, 76, 80, 84, 88, 92, 96, 100, 104, 108, 112, 116, 120, 124,
    },
    {
        1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61,
        65, 69, 73, 77, 81, 85, 89, 93, 97, 101, 105, 109, 113, 117, 121, 125,
        1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61,
        65, 69, 73, 77, 81, 85, 89, 93, 97, 101, 105, 109, 113, 117, 121, 125,
    },
    {
        2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62,
        66, 70, 74, 78, 82, 86, 90, 94, 98, 102, 106, 110, 114, 118, 122, 126,
        2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62,
        66, 70, 74, 78, 82, 86, 90, 94, 98, 102, 106, 110, 114, 118, 122, 126,
    },
    {
        3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63,
        67, 71, 75, 79, 83, 87, 91, 95, 99, 103, 107, 111, 115, 119, 123, 127,
        3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63,
        67, 71, 75, 79, 83, 87, 91, 95, 99, 103, 107, 111, 115, 119, 123, 127,
    },
};

/* The byte planes of the codebook, in registers: plane q, entries
 * 64r .. 64r + 63 in pl[q][r]. */
static void planes(const float *tab, __m512i pl[4][4])
{
    for (int q = 0; q < 4; q++) {
        const __m512i ix = _mm512_loadu_si512(plane_idx[q]);
        for (int r = 0; r < 4; r++) {
            const float *s = tab + 64 * r;
            const __m512i lo = _mm512_permutex2var_epi8(_mm512_loadu_si512(s), ix, _mm512_loadu_si512(s + 16));
            const __m512i hi = _mm512_permutex2var_epi8(_mm512_loadu_si512(s + 32), ix, _mm512_loadu_si512(s + 48));
            pl[q][r] = _mm512_mask_blend_epi8((__mmask64)0xffffffff00000000ull, lo, hi);
        }
    }
}

void ob_q8_dequant_avx512vbmi(size_t n, const uint8_t *code, float a, const float *tab, float *dst)
{
    __m512i pl[4][4];
    planes(tab, pl);
    const __m512i perm = _mm512_loadu_si512(pre_idx);
    const __m512 va = _mm512_set1_ps(a);
    for (size_t i = 0; i + 64 <= n; i += 64) {
        const __m512i c = _mm512_permutexvar_epi8(perm, _mm512_loadu_si512(code + i));
        const __mmask64 top = _mm512_movepi8_mask(c);
        __m512i b[4];
        for (int q = 0; q < 4; q++)
            b[q] = _mm512_mask_blend_epi8(top, _mm512_permutex2var_epi8(pl[q][0], c, pl[q][1]),
                                          _mm512_permutex2var_epi8(pl[q][2], c, pl[q][3]));
        const __m512i w0 = _mm512_unpacklo_epi8(b[0], b[1]), w1 = _mm512_unpackhi_epi8(b[0], b[1]);
        const __m512i w2 = _mm512_unpacklo_epi8(b[2], b[3]), w3 = _mm512_unpackhi_epi8(b[2], b[3]);
        const __m512i r[4] = {_mm512_unpacklo_epi16(w0, w2), _mm512_unpackhi_epi16(w0, w2),
                              _mm512_unpacklo_epi16(w1, w3), _mm512_unpackhi_epi16(w1, w3)};
        for (int j = 0; j < 4; j++) _mm512_storeu_ps(dst + i + 16 * j, _mm512_mul_ps(_mm512_castsi512_ps(r[j]), va));
    }
}
