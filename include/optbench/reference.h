/*
 * optbench/reference.h — double-precision reference implementations.
 *
 * Written to read like the torch.optim documentation and the papers, not to
 * be fast.  Each function performs one step t (1-based) in place on double
 * arrays, with the hyperparameters exactly as given (no fp32 rounding).
 * Each first clips the gradient when h->clip_norm or h->clip_value is set,
 * as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (ref_clip.h).
 *
 * If `scale` is not NULL, before updating the function also writes, per
 * element, the error scale S used by the agreement bound: scale[0] for p,
 * scale[1 + k] for state array k (any entry may be NULL).  S is the value
 * of the same formula evaluated on the absolute values of every term, so
 * that cancellation cannot make the bound meaningless; where a square root
 * of an error-carrying quantity appears, its sensitivity is included (see
 * README, "Agreement bounds").  A correct fp32 kernel satisfies
 *     |x_fp32 - x_ref| <= B * u * S,   u = 2^-24,
 * with B the optimizer's agree_bound in the variant table.
 */
#ifndef OB_REFERENCE_H
#define OB_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "hparams.h"

#ifdef __cplusplus
extern "C" {
#endif

void ob_ref_sgd_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                     double *const *state, double *const *scale);
void ob_ref_adagrad_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                         double *const *state, double *const *scale);
void ob_ref_rmsprop_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                         double *const *state, double *const *scale);
/* Adam, AdamW (h->decoupled_wd) and AMSGrad (h->amsgrad). */
void ob_ref_adam_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                      double *const *state, double *const *scale);
/* NAdam and NAdamW (h->decoupled_wd), torch.optim.NAdam. */
void ob_ref_nadam_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                       double *const *state, double *const *scale);
/* RAdam and RAdamW (h->decoupled_wd), torch.optim.RAdam. */
void ob_ref_radam_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                       double *const *state, double *const *scale);
/* Adamax, torch.optim.Adamax. */
void ob_ref_adamax_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                        double *const *state, double *const *scale);
/* Lion, Chen et al. 2023, Alg. 2. */
void ob_ref_lion_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                      double *const *state, double *const *scale);

/* Monitoring (reference/monitor.c; ob_optimizer.monitor): after step t,
 * from the method's double state, the effective learning rate of each
 * coordinate into eff (when not NULL) and the bias-correction factors
 * 1 - beta1^t, 1 - beta2^t into bc (NaN where the method has none). */
void ob_ref_adagrad_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                            double bc[2]);
void ob_ref_rmsprop_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                            double bc[2]);
void ob_ref_adam_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                         double bc[2]);
void ob_ref_nadam_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                          double bc[2]);
void ob_ref_radam_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                          double bc[2]);
void ob_ref_adamax_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                           double bc[2]);

/* NAdam's mu_1 * ... * mu_t, mu_i = beta1 (1 - 0.5 * 0.96^(i psi)), in
 * double, multiplied in order i = 1, 2, ..., t (P_0 = 1).  A pure function
 * of its arguments; a per-thread memo of the last (beta1, psi, t) makes
 * consecutive steps O(1), and the loop stops once the product is exactly 0
 * (every later product is 0 too), so a cold call costs at most
 * min(t, steps to underflow).  Shared by the kernels' per-step scalars
 * and the reference, so both use the same P_t. */
double ob_ref_nadam_mu_product(double beta1, double momentum_decay, uint64_t t);
/* NAdam's mu_t. */
double ob_ref_nadam_mu(double beta1, double momentum_decay, uint64_t t);

/* RAdam's rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t), rho_inf =
 * 2/(1 - beta2) - 1 (torch's expression, shared by the kernels' per-step
 * scalars and the reference so both switch rectification at the same t),
 * and its rectification term r_t. */
double ob_ref_radam_rho(double beta2, uint64_t t);
double ob_ref_radam_rect(double beta2, uint64_t t);

/* The SAM / ASAM ascent step (kernels/framework/ob_sam.h; Foret et al. 2021,
 * Alg. 1; Kwon et al. 2021, §4): xhat = x + eps with h's sam_rho,
 * sam_adaptive and sam_eta (sam_rho = 0: xhat = x).  If scale is not
 * NULL it receives the per-element error scale S of the agreement bound
 * (OB_SAM_AGREE_BOUND / OB_ASAM_AGREE_BOUND): +inf where the fp32 scale
 * would not be a normal number or the norm is not finite. */
void ob_ref_sam_perturb(const ob_hparams *h, size_t n, const double *x, const double *g, double *xhat,
                        double *scale);

/* Sum of squares of x, accurate to about 2^-53 relative (compensated;
 * reference/clip.c).  Inf and NaN propagate. */
double ob_ref_sumsq(size_t n, const double *x);

#ifdef __cplusplus
}
#endif
#endif
