/*
 * Fused mixed-precision Adam / AdamW / AMSGrad — AVX-512F with
 * AVX512_BF16's VCVTNEPS2BF16 for rounding to nearest even (subnormal and
 * NaN lanes fixed up: bf16_cvt.h).  Same operations and results as
 * kernels/avx512/adam_mixed.c (kernels/avx512/adam_mixed.h).
 *
 * Required ISA: AVX-512F + AVX512_BF16 + AVX512BW/VL (built with
 * -mavx512f -mavx512bf16 -mavx512bw -mavx512vl -ffp-contract=off).
 */
#include "../mixed_isa.h"
#include "bf16_cvt.h"

#define OB_MIXED_RNE16 ob512_bf16_rne_native
#include "../avx512/adam_mixed.h"

void ob_adam_step_avx512bf16_bf16state(size_t n, void *p, const void *g, void *const *state,
                                       const ob_step_scalars *s, int sr, uint32_t lokey, uint32_t hikey, uint32_t lo)
{
    adam_mixed_dispatch(n, p, g, state, s, 0, sr, lokey, hikey, lo);
}

void ob_adam_step_avx512bf16_bf16(size_t n, void *p, const void *g, void *const *state, const ob_step_scalars *s,
                                  int sr, uint32_t lokey, uint32_t hikey, uint32_t lo)
{
    adam_mixed_dispatch(n, p, g, state, s, 1, sr, lokey, hikey, lo);
}
