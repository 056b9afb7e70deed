/*
 * optbench/step.h — what a prepared step hands an fp32 kernel: the per-step
 * scalars (computed once per step in double by the optimizer's table entry
 * and rounded to fp32 once, so that every ISA gets exactly the same values)
 * and the kernel function type.  The kernel contract itself (n = 0,
 * alignment, NaN locality, no overlap, required ISA) is spelled out in
 * kernels/ob_kernels.h.
 */
#ifndef OPTBENCH_STEP_H
#define OPTBENCH_STEP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Per-step scalars.  The optimizer's prepare function fills the fields it uses;
 * the others are zero.  The fields are fp32 because the kernels compute in
 * fp32; they are rounded from double exactly once. */
typedef struct ob_step_scalars {
    float lr;           /* learning rate in force at this step */
    float step_size;    /* Adam family: lr / (1 - beta1^t);  Adagrad: lr / (1 + (t-1) lr_decay) */
    float weight_decay; /* L2 coefficient added to the gradient (0 = none) */
    float decay_factor; /* AdamW: 1 - lr*wd (decoupled decay); 1 otherwise */
    float beta1, one_minus_beta1;
    float beta2, one_minus_beta2;
    float inv_sqrt_bc2; /* Adam family: 1 / sqrt(1 - beta2^t) */
    float eps;
    float momentum; /* SGD, RMSprop */
    float one_minus_dampening;
    float alpha, one_minus_alpha; /* RMSprop */
    int l2;                       /* nonzero: g <- g + weight_decay * p */
    int decoupled;                /* nonzero: p <- p * decay_factor first (AdamW) */
    int amsgrad;
    int nesterov;
    int centered;
    int has_momentum;
    int first_step; /* SGD: momentum buffer is initialised to g */
    /* NAdam: lr (1 - mu_t) / (1 - prod_{i<=t} mu_i), the coefficient of
     * d/den (step_size holds that of m/den: lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i)). */
    float grad_step;
    int rectified; /* RAdam: rho_t > 5 (variance rectification on) */
    /* Gradient clipping (every optimizer; kernels/framework/ob_reduce.h).  Not read
     * by the kernels: the step runner (ob_run_kernel_threaded) clips a copy
     * of g before the kernel sees it.  0 = off. */
    double clip_norm;  /* max global L2 norm; the scale
                            * max_norm/(norm + 1e-6) is computed in double */
    double clip_value; /* clamp g to [-c, c], c = (float)clip_value */
} ob_step_scalars;

typedef void (*ob_kernel_fn)(size_t n, float *p, const float *g, float *const *state,
                             const ob_step_scalars *s);

#ifdef __cplusplus
}
#endif
#endif
