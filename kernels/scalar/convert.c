/*
 * Mixed-precision array conversions — scalar: the software definitions of
 * kernels/convert_sw.h, one element at a time (ob_mixed.h, ob_cvt_ops).
 */
#include "kernels/mixed_isa.h"
#include "kernels/convert_sw.h"

void ob_cvt_bf16_to_f32_scalar(size_t n, const uint16_t *src, float *dst)
{
    for (size_t i = 0; i < n; i++) dst[i] = ob_sw_bf16_to_f32(src[i]);
}

void ob_cvt_f16_to_f32_scalar(size_t n, const uint16_t *src, float *dst, float scale)
{
    for (size_t i = 0; i < n; i++) dst[i] = ob_sw_f16_to_f32(src[i]) * scale;
}

void ob_cvt_f32_to_bf16_rne_scalar(size_t n, const float *src, uint16_t *dst)
{
    for (size_t i = 0; i < n; i++) dst[i] = ob_sw_f32_to_bf16_rne(src[i]);
}

void ob_cvt_f32_to_bf16_sr_scalar(size_t n, const float *src, uint16_t *dst, uint32_t key, uint32_t lo)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = ob_sw_f32_to_bf16_sr(src[i], ob_sw_sr_bits(key, lo + (uint32_t)i));
}

int ob_cvt_f16_all_finite_scalar(size_t n, const uint16_t *src)
{
    for (size_t i = 0; i < n; i++)
        if ((src[i] & 0x7c00u) == 0x7c00u) return 0;
    return 1;
}
