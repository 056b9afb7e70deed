/*
 * table.c — what kernels/avx512bf16/ adds to AVX-512 (ob_isa_table_avx512bf16;
 * kernels/ob_isa.h): round to nearest even with VCVTNEPS2BF16 in the
 * conversions, and the fused mixed steps built on it.  No optimizer steps,
 * reductions or probes of its own: those are AVX-512F's.  The mixed
 * step uses this table on AVX-512 where ob_bf16_native_enabled().
 * Required ISA: AVX-512F + AVX512_BF16 + AVX512BW/VL.
 */
#include "kernels/ob_isa.h"
#include "kernels/mixed_isa.h"
#include "kernels/ob_kernels.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* AVX-512F for everything but round to nearest even. */
static const ob_cvt_ops cvt = {"avx512bf16",
                               ob_cvt_bf16_to_f32_avx512,
                               ob_cvt_f16_to_f32_avx512,
                               ob_cvt_f32_to_bf16_rne_avx512bf16,
                               ob_cvt_f32_to_bf16_sr_avx512,
                               ob_cvt_f16_all_finite_avx512,
                               ob_q8_dequant_avx512,
                               ob_q8_absmax_avx512,
                               ob_q8_quant_avx512};

/* Fused Adam / AdamW / AMSGrad mixed steps (kernels/avx512bf16/adam_mixed.c);
 * the fp16-gradient format rounds nothing to bf16 and stays AVX-512F's. */
static const ob_fused_kernel fused[] = {
    {ob_adam_step_avx512, OB_ISA_AVX512, 1, OB_DT_F32, OB_DT_F32, OB_DT_BF16,
     ob_adam_step_avx512bf16_bf16state, NULL, 0},
    {ob_adam_step_avx512, OB_ISA_AVX512, 1, OB_DT_BF16, OB_DT_BF16, OB_DT_BF16, ob_adam_step_avx512bf16_bf16, NULL, 0},
    {ob_adam_step_avx512, OB_ISA_AVX512, 1, OB_DT_BF16, OB_DT_F32, OB_DT_F32,
     ob_adam_step_avx512bf16_bf16params, NULL, 0},
};

const ob_isa_table ob_isa_table_avx512bf16 = {
    .name = "avx512bf16",
    .cvt = &cvt,
    .fused = fused,
    .n_fused = COUNT(fused),
};
