/*
 * ob_reference.h — double-precision reference implementations.
 *
 * Written to read like the torch.optim documentation and the papers, not to
 * be fast.  Each function performs one step t (1-based) in place on double
 * arrays, with the hyperparameters exactly as given (no fp32 rounding).
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

#include "../kernels/ob_hparams.h"

#ifdef __cplusplus
extern "C" {
#endif

void ob_ref_sgd_step(const ob_hparams *h, uint64_t t, size_t n, double *p,
                     const double *g, double *const *state, double *const *scale);
void ob_ref_adagrad_step(const ob_hparams *h, uint64_t t, size_t n, double *p,
                         const double *g, double *const *state, double *const *scale);
void ob_ref_rmsprop_step(const ob_hparams *h, uint64_t t, size_t n, double *p,
                         const double *g, double *const *state, double *const *scale);
/* Adam, AdamW (h->decoupled_wd) and AMSGrad (h->amsgrad). */
void ob_ref_adam_step(const ob_hparams *h, uint64_t t, size_t n, double *p,
                      const double *g, double *const *state, double *const *scale);

#ifdef __cplusplus
}
#endif
#endif
