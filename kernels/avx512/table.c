/*
 * table.c — everything kernels/avx512/ provides, as one table
 * (ob_isa_table_avx512; kernels/ob_isa.h).  The only way the rest of the
 * tree reaches this folder's code is through kernels/framework/dispatch.c.
 * Required ISA: AVX-512F.
 */
#include "kernels/ob_isa.h"
#include "kernels/mixed_isa.h"
#include "kernels/ob_kernels.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Keys: ob_optimizer.kernel_key (kernels/framework/optimizers.c); the last
 * field is the block structure (ob_isa_step.unroll): the vectors per loop
 * iteration, OB_AVX512_FOR_EACH_PF's 2 or OB_AVX512_FOR_EACH4_PF's 4 (sgd.c). */
static const ob_isa_step steps[] = {
    {"sgd", ob_sgd_step_avx512, NULL, 4},
    {"adagrad", ob_adagrad_step_avx512, NULL, 2},
    {"rmsprop", ob_rmsprop_step_avx512, NULL, 2},
    {"adam", ob_adam_step_avx512, ob_adam_step_avx512_approx, 2},
    {"nadam", ob_nadam_step_avx512, NULL, 2},
    {"radam", ob_radam_step_avx512, NULL, 2},
    {"adamax", ob_adamax_step_avx512, NULL, 2},
    {"lion", ob_lion_step_avx512, NULL, 2},
};

static const ob_cvt_ops cvt = {"avx512",
                               ob_cvt_bf16_to_f32_avx512,
                               ob_cvt_f16_to_f32_avx512,
                               ob_cvt_f32_to_bf16_rne_avx512,
                               ob_cvt_f32_to_bf16_sr_avx512,
                               ob_cvt_f16_all_finite_avx512,
                               ob_q8_dequant_avx512,
                               ob_q8_absmax_avx512,
                               ob_q8_quant_avx512};
/* Fused Adam / AdamW / AMSGrad mixed steps (kernels/avx512/adam_mixed.c),
 * and the q8 first passes. */
static const ob_fused_kernel fused[] = {
    {ob_adam_step_avx512, OB_ISA_AVX512, 0, OB_DT_F32, OB_DT_F32, OB_DT_BF16, ob_adam_step_avx512_bf16state, NULL, 0},
    {ob_adam_step_avx512, OB_ISA_AVX512, 0, OB_DT_BF16, OB_DT_BF16, OB_DT_BF16, ob_adam_step_avx512_bf16, NULL, 0},
    {ob_adam_step_avx512, OB_ISA_AVX512, 0, OB_DT_BF16, OB_DT_F32, OB_DT_F32, ob_adam_step_avx512_bf16params, NULL, 0},
    {ob_adam_step_avx512, OB_ISA_AVX512, 0, OB_DT_F32, OB_DT_F16, OB_DT_F32, ob_adam_step_avx512_fp16grads, NULL, 0},
    /* The q8 first pass (kernels/avx512/q8_vbmi.c), where the CPU has
     * AVX512-VBMI. */
    {ob_adam_step_avx512, OB_ISA_AVX512, 0, OB_DT_F32, OB_DT_F32, OB_DT_Q8, NULL, ob_q8_adam_pass_avx512vbmi, 1},
    {ob_adam_step_avx512, OB_ISA_AVX512, 0, OB_DT_BF16, OB_DT_F32, OB_DT_Q8, NULL,
     ob_q8_adam_pass_avx512vbmi_bf16params, 1},
    {ob_lion_step_avx512, OB_ISA_AVX512, 0, OB_DT_F32, OB_DT_F32, OB_DT_Q8, NULL, ob_q8_lion_pass_avx512vbmi, 1},
    {ob_lion_step_avx512, OB_ISA_AVX512, 0, OB_DT_BF16, OB_DT_F32, OB_DT_Q8, NULL,
     ob_q8_lion_pass_avx512vbmi_bf16params, 1},
    {ob_sgd_step_avx512, OB_ISA_AVX512, 0, OB_DT_F32, OB_DT_F32, OB_DT_Q8, NULL, ob_q8_sgd_pass_avx512vbmi, 1},
    {ob_sgd_step_avx512, OB_ISA_AVX512, 0, OB_DT_BF16, OB_DT_F32, OB_DT_Q8, NULL,
     ob_q8_sgd_pass_avx512vbmi_bf16params, 1},
};

const ob_isa_table ob_isa_table_avx512 = {
    .name = "avx512",
    .steps = steps,
    .n_steps = COUNT(steps),
    .sumsq = ob_sumsq_avx512,
    .sam_perturb = ob_sam_perturb_avx512,
    .sam_tgsq = ob_sam_tgsq_avx512,
    .cvt = &cvt,
    .fused = fused,
    .n_fused = COUNT(fused),
    .probes = &ob_isa_probes_avx512,
};
