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
 *   s      the per-step scalars from the optimizer's prepare function (ob_optimizer.prepare): computed once per
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
 * Each folder lists its kernels in its ISA table (kernels/<isa>/table.c,
 * kernels/ob_isa.h); call them through ob_step / ob_optimizer_kernel
 * (optbench/optimizers.h), after ob_isa_supported() checked the CPU:
 * calling an AVX kernel directly on a CPU without it is SIGILL.
 */
#ifndef OB_KERNELS_H
#define OB_KERNELS_H

#include <stddef.h>

#include "optbench/step.h"

#ifdef __cplusplus
extern "C" {
#endif

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

void ob_adagrad_step_scalar(size_t n, float *p, const float *g, float *const *state,
                            const ob_step_scalars *s);
void ob_adagrad_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_adagrad_step_avx512(size_t n, float *p, const float *g, float *const *state,
                            const ob_step_scalars *s);

void ob_rmsprop_step_scalar(size_t n, float *p, const float *g, float *const *state,
                            const ob_step_scalars *s);
void ob_rmsprop_step_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s);
void ob_rmsprop_step_avx512(size_t n, float *p, const float *g, float *const *state,
                            const ob_step_scalars *s);

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

/* Adam / AdamW / AMSGrad with rsqrt14/rcp14 and Newton steps in place of
 * the correctly rounded sqrt and division (kernels/avx512/adam_approx.c).
 * Required ISA: AVX-512F.  Not bit-identical to the exact kernels. */
void ob_adam_step_avx512_approx(size_t n, float *p, const float *g, float *const *state,
                                const ob_step_scalars *s);

#ifdef __cplusplus
}
#endif
#endif
