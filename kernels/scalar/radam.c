/*
 * RAdam (optionally with decoupled weight decay, "RAdamW") — fp32 scalar.
 *
 * Liu et al. 2020, "On the Variance of the Adaptive Learning Rate and
 * Beyond" (ICLR), Alg. 2, in torch.optim.RAdam's form (torch 2.x,
 * torch/optim/radam.py):
 *   p     = p*(1 - lr*wd)                (decoupled_weight_decay = True)
 *   d     = g + wd*p                     (otherwise, weight_decay != 0: L2)
 *   m     = beta1*m + (1-beta1)*d
 *   v     = beta2*v + (1-beta2)*d*d
 *   rho_inf = 2/(1-beta2) - 1,  rho_t = rho_inf - 2 t beta2^t/(1 - beta2^t)
 *   rho_t > 5:  r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
 *               p = p - lr * m/bc1 * r_t * sqrt(bc2)/(sqrt(v) + eps)
 *   otherwise:  p = p - lr * m/bc1         (bias-corrected momentum, SGD-like)
 * bck = 1 - betak^t.  eps is added to sqrt(v) BEFORE the bias correction
 * sqrt(bc2) is applied (torch: adaptive_lr = sqrt(bc2)/(sqrt(v) + eps);
 * the paper's l_t = sqrt((1-beta2^t)/v_t) has no eps) — unlike Adam, where
 * torch adds eps to sqrt(v)/sqrt(bc2).  v is updated at every step, also
 * while the update is not rectified.  Whether step t is rectified, r_t and
 * the step size are per-step scalars in double (prepare_radam).
 *
 * fp32 operation order (identical in every ISA):
 *   p = p * decay_factor [decoupled];  d = fma(wd, p, g) [l2];
 *   m = fma(1-beta1, d, beta1*m);  v = fma(1-beta2, d*d, beta2*v);
 *   rectified:   den = sqrt(v) + eps;  p = fma(-step_size, m/den, p)
 *                with step_size = lr * r_t * sqrt(bc2) / bc1
 *   otherwise:   p = fma(-step_size, m, p)   with step_size = lr / bc1
 */
#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "moments.h"

OB_INLINE void radam_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                          float *restrict v, const ob_step_scalars *s, const int l2, const int decoupled,
                          const int rectified)
{
    const ob_moment_consts c = ob_moment_consts_of(s);
    const float eps = s->eps, neg_step = -s->step_size;
    for (size_t i = 0; i < OB_MUTANT_ELEMENTS(n); i++) {
        float pi = p[i], mi = m[i], vi = v[i];
        (void)ob_moments(&c, &pi, g[i], &mi, &vi, l2, decoupled);
        m[i] = mi;
        v[i] = vi;
        if (rectified) p[i] = fmaf(neg_step, mi / (sqrtf(vi) + eps), pi);
        else p[i] = fmaf(neg_step, mi, pi);
    }
}

void ob_radam_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    float *m = state[0], *v = state[1];
    switch ((s->l2 != 0) | (s->decoupled != 0) << 1 | (s->rectified != 0) << 2) {
    case 0: radam_body(n, p, g, m, v, s, 0, 0, 0); break;
    case 1: radam_body(n, p, g, m, v, s, 1, 0, 0); break;
    case 2: radam_body(n, p, g, m, v, s, 0, 1, 0); break;
    case 4: radam_body(n, p, g, m, v, s, 0, 0, 1); break;
    case 5: radam_body(n, p, g, m, v, s, 1, 0, 1); break;
    default: radam_body(n, p, g, m, v, s, 0, 1, 1); break;
    }
}
