/*
 * table.c — everything kernels/avx2/ provides, as one table
 * (ob_isa_table_avx2; kernels/ob_isa.h).  The only way the rest of the
 * tree reaches this folder's code is through kernels/framework/dispatch.c.
 * Required ISA: AVX2 + FMA (+ F16C for the fp16 conversions).
 */
#include "kernels/ob_isa.h"
#include "kernels/mixed_isa.h"
#include "kernels/ob_kernels.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Keys: ob_optimizer.kernel_key (kernels/framework/optimizers.c); the last
 * field is the block structure (ob_isa_step.unroll): the vectors per loop
 * iteration, OB_AVX2_FOR_EACH_PF's 2 or OB_AVX2_FOR_EACH4_PF's 4 (sgd.c). */
static const ob_isa_step steps[] = {
    {"sgd", ob_sgd_step_avx2, NULL, 4},         {"adagrad", ob_adagrad_step_avx2, NULL, 2},
    {"rmsprop", ob_rmsprop_step_avx2, NULL, 2}, {"adam", ob_adam_step_avx2, NULL, 2},
    {"nadam", ob_nadam_step_avx2, NULL, 2},     {"radam", ob_radam_step_avx2, NULL, 2},
    {"adamax", ob_adamax_step_avx2, NULL, 2},   {"lion", ob_lion_step_avx2, NULL, 2},
};

static const ob_cvt_ops cvt = {"avx2",
                               ob_cvt_bf16_to_f32_avx2,
                               ob_cvt_f16_to_f32_avx2,
                               ob_cvt_f32_to_bf16_rne_avx2,
                               ob_cvt_f32_to_bf16_sr_avx2,
                               ob_cvt_f16_all_finite_avx2,
                               ob_q8_dequant_avx2,
                               ob_q8_absmax_avx2,
                               ob_q8_quant_avx2};

const ob_isa_table ob_isa_table_avx2 = {
    .name = "avx2",
    .steps = steps,
    .n_steps = COUNT(steps),
    .sumsq = ob_sumsq_avx2,
    .sam_perturb = ob_sam_perturb_avx2,
    .sam_tgsq = ob_sam_tgsq_avx2,
    .cvt = &cvt,
    .fused = NULL,
    .n_fused = 0,
    .probes = &ob_isa_probes_avx2,
};
