/*
 * table.c — everything kernels/scalar/ provides, as one table
 * (ob_isa_table_scalar; kernels/ob_isa.h).  The only way the rest of the
 * tree reaches this folder's code is through kernels/framework/dispatch.c.
 * Required ISA: any x86-64 (or any C11 target).
 */
#include "kernels/ob_isa.h"
#include "kernels/mixed_isa.h"
#include "kernels/ob_kernels.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Keys: ob_optimizer.kernel_key (kernels/framework/optimizers.c); the last
 * field is the block structure (ob_isa_step.unroll): one plain loop. */
static const ob_isa_step steps[] = {
    {"sgd", ob_sgd_step_scalar, NULL, 1},         {"adagrad", ob_adagrad_step_scalar, NULL, 1},
    {"rmsprop", ob_rmsprop_step_scalar, NULL, 1}, {"adam", ob_adam_step_scalar, NULL, 1},
    {"nadam", ob_nadam_step_scalar, NULL, 1},     {"radam", ob_radam_step_scalar, NULL, 1},
    {"adamax", ob_adamax_step_scalar, NULL, 1},   {"lion", ob_lion_step_scalar, NULL, 1},
};

static const ob_cvt_ops cvt = {"scalar",
                               ob_cvt_bf16_to_f32_scalar,
                               ob_cvt_f16_to_f32_scalar,
                               ob_cvt_f32_to_bf16_rne_scalar,
                               ob_cvt_f32_to_bf16_sr_scalar,
                               ob_cvt_f16_all_finite_scalar,
                               ob_q8_dequant_scalar,
                               ob_q8_absmax_scalar,
                               ob_q8_quant_scalar};

const ob_isa_table ob_isa_table_scalar = {
    .name = "scalar",
    .steps = steps,
    .n_steps = COUNT(steps),
    .sumsq = ob_sumsq_scalar,
    .sam_perturb = ob_sam_perturb_scalar,
    .sam_tgsq = ob_sam_tgsq_scalar,
    .cvt = &cvt,
    .fused = NULL,
    .n_fused = 0,
    .probes = &ob_isa_probes_scalar,
};
