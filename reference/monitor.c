/*
 * monitor.c — what an optimizer's state says about its step, for
 * monitoring (README "Monitoring"; ob_optimizer.monitor): the effective
 * per-coordinate learning rate of the adaptive methods and their
 * bias-correction factors after step t, in double from the reference's
 * state.  The effective learning rate is what multiplies the (bias-
 * corrected) first moment, or the gradient, in coordinate i:
 *   Adagrad   gamma~ / (sqrt(sum_i) + eps),  gamma~ = gamma / (1 + (t-1) eta)
 *   RMSprop   gamma / (sqrt(v~_i) + eps)     (v~ = v - g_ave^2 when centered, clamped at 0)
 *   Adam      gamma / (sqrt(v^_i) + eps),    v^ = v_t (or AMSGrad's max) / (1 - beta2^t)
 *   NAdam     gamma / (sqrt(v^_i) + eps)     (the denominator both of its terms share)
 *   RAdam     gamma r_t sqrt(1 - beta2^t) / (sqrt(v_i) + eps) when rho_t > 5, else gamma
 *   Adamax    gamma / u_i                    (u_t = max(beta2 u, |g| + eps))
 * (the update formulas in each reference file's header).  bc[0] = 1 -
 * beta1^t, bc[1] = 1 - beta2^t where the method divides by them, NaN
 * where it does not.
 */
#include <math.h>

#include "optbench/reference.h"

void ob_ref_adagrad_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                            double bc[2])
{
    const double clr = h->lr / (1 + (double)(t - 1) * h->lr_decay);
    for (size_t i = 0; eff && i < n; i++) eff[i] = clr / (sqrt(state[0][i]) + h->eps);
    bc[0] = bc[1] = NAN;
}

void ob_ref_rmsprop_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                            double bc[2])
{
    (void)t;
    for (size_t i = 0; eff && i < n; i++) {
        double v = state[0][i];
        if (h->centered) v -= state[2][i] * state[2][i];
        eff[i] = h->lr / (sqrt(v > 0 ? v : 0) + h->eps);
    }
    bc[0] = bc[1] = NAN;
}

void ob_ref_adam_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                         double bc[2])
{
    bc[0] = 1 - pow(h->beta1, (double)t);
    bc[1] = 1 - pow(h->beta2, (double)t);
    const double *v = h->amsgrad ? state[2] : state[1];
    for (size_t i = 0; eff && i < n; i++) eff[i] = h->lr / (sqrt(v[i] / bc[1]) + h->eps);
}

void ob_ref_nadam_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                          double bc[2])
{
    bc[0] = NAN; /* NAdam divides by products of mu_i, not by 1 - beta1^t */
    bc[1] = 1 - pow(h->beta2, (double)t);
    for (size_t i = 0; eff && i < n; i++) eff[i] = h->lr / (sqrt(state[1][i] / bc[1]) + h->eps);
}

void ob_ref_radam_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                          double bc[2])
{
    bc[0] = 1 - pow(h->beta1, (double)t);
    bc[1] = 1 - pow(h->beta2, (double)t);
    const int rect = ob_ref_radam_rho(h->beta2, t) > 5;
    const double r = rect ? ob_ref_radam_rect(h->beta2, t) : 0, sbc2 = sqrt(bc[1]);
    for (size_t i = 0; eff && i < n; i++)
        eff[i] = rect ? h->lr * r * sbc2 / (sqrt(state[1][i]) + h->eps) : h->lr;
}

void ob_ref_adamax_monitor(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                           double bc[2])
{
    bc[0] = 1 - pow(h->beta1, (double)t);
    bc[1] = NAN;
    for (size_t i = 0; eff && i < n; i++) eff[i] = h->lr / state[1][i];
}
