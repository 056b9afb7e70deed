/*
 * Fused mixed-precision Adam / AdamW / AMSGrad — AVX-512F, rounding to
 * nearest even in integer code (kernels/avx512/adam_mixed.h).
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 */
#include "../mixed_isa.h"

#define OB_MIXED_RNE16 ob512_bf16_rne_sw
#include "adam_mixed.h"

void ob_adam_step_avx512_bf16state(size_t n, void *p, const void *g, void *const *state, const ob_step_scalars *s,
                                   int sr, uint32_t lokey, uint32_t hikey, uint32_t lo)
{
    adam_mixed_dispatch(n, p, g, state, s, 0, sr, lokey, hikey, lo);
}

void ob_adam_step_avx512_bf16(size_t n, void *p, const void *g, void *const *state, const ob_step_scalars *s,
                              int sr, uint32_t lokey, uint32_t hikey, uint32_t lo)
{
    adam_mixed_dispatch(n, p, g, state, s, 1, sr, lokey, hikey, lo);
}
