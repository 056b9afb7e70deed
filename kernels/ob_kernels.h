/*
 * ob_kernels.h — the fp32 optimizer update kernels.
 *
 * Every kernel has the same shape:
 *
 *     void ob_<optimizer>_step_<isa>(size_t n, float *p, const float *g,
 *                                    float *const *state,
 *                                    const ob_step_scalars *s);
 *
 *   n      number of parameters; n == 0 is a no-op; any size_t value
 *          (including n >= 2^31) is indexed correctly.
 *   p      parameters, updated in place.  No alignment is required.
 *   g      gradients, read only.  No alignment is required.  A NaN or Inf
 *          in g[i] only affects element i (of p and of every state array).
 *   state  the optimizer's state arrays, in the order the variant table
 *          lists them (ob_optimizer.state_names).  Unused arrays (e.g. the
 *          momentum buffer when momentum == 0) may be NULL.
 *   s      the per-step scalars from ob_prepare_step(): computed once per
 *          step in double and rounded to fp32 once, so that every ISA gets
 *          exactly the same values.
 *
 * p, g and the state arrays must not overlap.
 *
 * Numeric contract (see README "Numeric contract"): the scalar, AVX2 and
 * AVX-512 variants perform the same IEEE-754 binary32 operations in the
 * same order for every element (explicit FMAs, correctly rounded sqrt and
 * division, -ffp-contract=off), so their outputs are bit-identical.
 *
 * Required ISA: *_scalar any x86-64 (or any C11 target);
 *               *_avx2   AVX2 + FMA;
 *               *_avx512 AVX-512F.
 * Call them through the variant table (ob_optimizers.h), which checks the
 * CPU; calling an AVX kernel directly on a CPU without it is SIGILL.
 */
#ifndef OB_KERNELS_H
#define OB_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Per-step scalars.  ob_prepare_step() fills the fields an optimizer uses;
 * the others are zero.  The fields are fp32 because the kernels compute in
 * fp32; they are rounded from double exactly once. */
typedef struct ob_step_scalars {
    float lr;              /* learning rate in force at this step */
    float step_size;       /* Adam family: lr / (1 - beta1^t);  Adagrad: lr / (1 + (t-1) lr_decay) */
    float weight_decay;    /* L2 coefficient added to the gradient (0 = none) */
    float decay_factor;    /* AdamW: 1 - lr*wd (decoupled decay); 1 otherwise */
    float beta1, one_minus_beta1;
    float beta2, one_minus_beta2;
    float inv_sqrt_bc2;    /* Adam family: 1 / sqrt(1 - beta2^t) */
    float eps;
    float momentum;        /* SGD, RMSprop */
    float one_minus_dampening;
    float alpha, one_minus_alpha;   /* RMSprop */
    int l2;                /* nonzero: g <- g + weight_decay * p */
    int decoupled;         /* nonzero: p <- p * decay_factor first (AdamW) */
    int amsgrad;
    int nesterov;
    int centered;
    int has_momentum;
    int first_step;        /* SGD: momentum buffer is initialised to g */
    /* NAdam: lr (1 - mu_t) / (1 - prod_{i<=t} mu_i), the coefficient of
     * d/den (step_size holds that of m/den: lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i)). */
    float grad_step;
    int rectified;         /* RAdam: rho_t > 5 (variance rectification on) */
    /* Gradient clipping (every optimizer; kernels/ob_reduce.h).  Not read
     * by the kernels: the step runner (ob_run_kernel_threaded) clips a copy
     * of g before the kernel sees it.  0 = off. */
    double clip_norm;      /* max global L2 norm; the scale
                            * max_norm/(norm + 1e-6) is computed in double */
    double clip_value;     /* clamp g to [-c, c], c = (float)clip_value */
} ob_step_scalars;

typedef void (*ob_kernel_fn)(size_t n, float *p, const float *g,
                             float *const *state, const ob_step_scalars *s);

/* State layouts (index into `state`):
 *   sgd:      0 momentum_buffer
 *   adagrad:  0 sum
 *   rmsprop:  0 square_avg, 1 momentum_buffer, 2 grad_avg
 *   adam:     0 exp_avg (m), 1 exp_avg_sq (v), 2 max_exp_avg_sq (vmax)
 *   nadam:    0 exp_avg (m), 1 exp_avg_sq (v)
 *   radam:    0 exp_avg (m), 1 exp_avg_sq (v)
 *   adamax:   0 exp_avg (m), 1 exp_inf (u)
 *   lion:     0 exp_avg (m)  */

void ob_sgd_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_sgd_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_sgd_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);

void ob_adagrad_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_adagrad_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_adagrad_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);

void ob_rmsprop_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_rmsprop_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_rmsprop_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);

/* One kernel serves adam, adamw and amsgrad: the differences are per-step
 * flags (l2 / decoupled / amsgrad), specialised outside the element loop. */
void ob_adam_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_adam_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_adam_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);

/* NAdam (torch.optim.NAdam, L2 or decoupled weight decay). */
void ob_nadam_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_nadam_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_nadam_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);

/* RAdam (torch.optim.RAdam, L2 or decoupled weight decay). */
void ob_radam_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_radam_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_radam_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);

/* Adamax (torch.optim.Adamax). */
void ob_adamax_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_adamax_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_adamax_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);

/* Lion (Chen et al. 2023, Alg. 2). */
void ob_lion_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_lion_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_lion_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);

#ifdef __cplusplus
}
#endif
#endif
