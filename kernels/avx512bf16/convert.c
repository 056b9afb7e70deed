/*
 * fp32 -> bf16 round-to-nearest-even with AVX512_BF16's VCVTNEPS2BF16.
 *
 * The instruction rounds to nearest even like the software definition
 * (ob_mixed.h), except that it treats subnormal inputs as zero (Intel SDM,
 * VCVTNEPS2BF16: "denormal inputs are treated as zero", whatever MXCSR
 * says).  Those lanes are redone with the AVX-512F integer code, so the
 * result is the software definition's bit for bit (tests/test_mixed.c
 * checks both paths against it).  A normal input never rounds to a bf16
 * subnormal (bf16 has fp32's exponent range), so no other lane differs.
 * A NaN comes out as (x >> 16) | 0x40, the definition's quiet NaN (the
 * SDM's pseudocode; the exhaustive tests confirm it on the CPU they run
 * on, and fail if a CPU did otherwise).
 *
 * Required ISA: AVX-512F + AVX512_BF16 (built with -mavx512f -mavx512bf16
 * -mavx512bw -mavx512vl); used only where ob_bf16_native_supported().
 */
#include "kernels/mixed_isa.h"
#include "kernels/convert_sw.h"
#include "bf16_cvt.h"

void ob_cvt_f32_to_bf16_rne_avx512bf16(size_t n, const float *src, uint16_t *dst)
{
    size_t i = 0;
    for (; n - i >= 16; i += 16)
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), ob512_bf16_rne_native(_mm512_loadu_ps(src + i)));
    for (; i < n; i++) dst[i] = ob_sw_f32_to_bf16_rne(src[i]);
}
