/*
 * Fused mixed-precision Adam / AdamW / AMSGrad — AVX-512F with
 * AVX512_BF16's VCVTNEPS2BF16 for rounding to nearest even (subnormal and
 * NaN lanes fixed up: bf16_cvt.h).  Same operations and results as
 * kernels/avx512/adam_mixed.c (kernels/avx512/adam_mixed.h).
 *
 * Required ISA: AVX-512F + AVX512_BF16 + AVX512BW/VL (built with
 * -mavx512f -mavx512bf16 -mavx512bw -mavx512vl -ffp-contract=off).
 */
#include "kernels/mixed_isa.h"
#include "bf16_cvt.h"

#define OB_MIXED_RNE16 ob512_bf16_rne_native
#include "kernels/avx512/adam_mixed.h"

OB_ADAM_MIXED_KERNEL(ob_adam_step_avx512bf16_bf16state, MX_S16)
OB_ADAM_MIXED_KERNEL(ob_adam_step_avx512bf16_bf16, MX_P16 | MX_GBF | MX_S16)
OB_ADAM_MIXED_KERNEL(ob_adam_step_avx512bf16_bf16params, MX_P16)
