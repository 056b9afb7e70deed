/*
 * NAdam (optionally with decoupled weight decay, "NAdamW") — fp32 scalar.
 *
 * Dozat 2016, "Incorporating Nesterov Momentum into Adam" (ICLR workshop),
 * in torch.optim.NAdam's form (torch 2.x, torch/optim/nadam.py):
 *   p    = p*(1 - lr*wd)                 (decoupled_weight_decay = True)
 *   d    = g + wd*p                      (otherwise, weight_decay != 0: L2)
 *   mu_t = beta1*(1 - 0.5*0.96^(t*psi))  (psi = momentum_decay, default 4e-3)
 *   m    = beta1*m + (1-beta1)*d
 *   v    = beta2*v + (1-beta2)*d*d
 *   den  = sqrt(v/bc2) + eps,  bc2 = 1 - beta2^t
 *   p    = p - lr*(1 - mu_t)/(1 - P_t) * d/den
 *   p    = p - lr*mu_{t+1}/(1 - P_t*mu_{t+1}) * m/den
 * with P_t = mu_1*...*mu_t.  torch 1.13's single-tensor path multiplied
 * mu_t into the second product twice (P_t*mu_t*mu_{t+1}); torch 2.x, and
 * this kernel, use P_t*mu_{t+1}.  mu_t, P_t and the two coefficients are
 * per-step scalars computed once in double (kernels/framework/optimizers.c,
 * prepare_nadam; P_t by ob_ref_nadam_mu_product).
 *
 * fp32 operation order (identical in every ISA):
 *   p = p * decay_factor [decoupled];  d = fma(wd, p, g) [l2];
 *   m = fma(1-beta1, d, beta1*m);  v = fma(1-beta2, d*d, beta2*v);
 *   den = fma(sqrt(v), 1/sqrt(bc2), eps);
 *   p = fma(-grad_step, d/den, p);  p = fma(-step_size, m/den, p)
 * The two updates stay separate, as torch's two addcdiv_ calls; den is
 * Adam's (kernels/scalar/adam.c): one correctly rounded sqrt, then the
 * multiplication by 1/sqrt(bc2) computed in double.
 */
#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "moments.h"

OB_INLINE void nadam_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                          float *restrict v, const ob_step_scalars *s, const int l2, const int decoupled)
{
    const ob_moment_consts c = ob_moment_consts_of(s);
    const float rs = s->inv_sqrt_bc2, eps = s->eps;
    const float neg_gstep = -s->grad_step, neg_mstep = -s->step_size;
    for (size_t i = 0; i < OB_MUTANT_ELEMENTS(n); i++) {
        float pi = p[i], mi = m[i], vi = v[i];
        const float d = ob_moments(&c, &pi, g[i], &mi, &vi, l2, decoupled);
        m[i] = mi;
        v[i] = vi;
        float den = fmaf(sqrtf(vi), rs, eps);
        pi = fmaf(neg_gstep, d / den, pi);
        p[i] = fmaf(neg_mstep, mi / den, pi);
    }
}

void ob_nadam_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    float *m = state[0], *v = state[1];
    switch ((s->l2 != 0) | (s->decoupled != 0) << 1) {
    case 0: nadam_body(n, p, g, m, v, s, 0, 0); break;
    case 1: nadam_body(n, p, g, m, v, s, 1, 0); break;
    default: nadam_body(n, p, g, m, v, s, 0, 1); break;
    }
}
