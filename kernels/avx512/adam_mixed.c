/*
 * Fused mixed-precision Adam / AdamW / AMSGrad — AVX-512F, rounding to
 * nearest even in integer code (kernels/avx512/adam_mixed.h).
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 */
#include "kernels/mixed_isa.h"

#define OB_MIXED_RNE16 ob512_bf16_rne_sw
#include "adam_mixed.h"

OB_ADAM_MIXED_KERNEL(ob_adam_step_avx512_bf16state, MX_S16)
OB_ADAM_MIXED_KERNEL(ob_adam_step_avx512_bf16, MX_P16 | MX_GBF | MX_S16)
OB_ADAM_MIXED_KERNEL(ob_adam_step_avx512_bf16params, MX_P16)
/* No bf16 rounding here, so no AVX512_BF16 twin. */
OB_ADAM_MIXED_KERNEL(ob_adam_step_avx512_fp16grads, MX_GF16)
