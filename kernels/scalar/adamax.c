/*
 * Adamax — fp32 scalar.
 *
 * Kingma & Ba 2015, §7.1 (Alg. 2, the infinity-norm variant of Adam), in
 * torch.optim.Adamax's form (torch 2.x, torch/optim/adamax.py):
 *   d = g + wd*p                          (weight_decay != 0: L2)
 *   m = beta1*m + (1-beta1)*d
 *   u = max(beta2*u, |d| + eps)           (torch: eps inside the max; the
 *                                          paper has max(beta2*u, |g|) and
 *                                          no eps)
 *   p = p - (lr/bc1) * m/u,  bc1 = 1 - beta1^t
 * torch updates m with lerp_ (m + (1-beta1)(d - m)); like the Adam kernel
 * we compute beta1*m + (1-beta1)*d, equal up to rounding.
 *
 * NaN: torch.maximum returns NaN if either operand is NaN.  The kernel's
 * maximum is MAXPS's (kernels/scalar/scalar_ops.h): on NaN it returns the
 * second operand, written here as |d| + eps, so a NaN gradient makes u NaN
 * exactly as in torch.  Only a NaN already in u (which needs an earlier NaN
 * gradient, after which p and m are NaN anyway) differs: torch keeps it,
 * the kernel replaces it with |d| + eps (as the AMSGrad maximum does).
 *
 * fp32 operation order (identical in every ISA):
 *   d = fma(wd, p, g) [l2];  m = fma(1-beta1, d, beta1*m);
 *   u = maxps(beta2*u, |d| + eps);  p = fma(-lr/bc1, m/u, p)
 */
#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "scalar_ops.h"

OB_INLINE void adamax_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                           float *restrict u, const ob_step_scalars *s, const int l2)
{
    const float wd = s->weight_decay, eps = s->eps;
    const float b1 = s->beta1, omb1 = s->one_minus_beta1, b2 = s->beta2;
    const float neg_step = -s->step_size;
    for (size_t i = 0; i < OB_MUTANT_ELEMENTS(n); i++) {
        float pi = p[i];
        float d = g[i];
        if (l2) d = fmaf(wd, pi, d);
        float mi = fmaf(omb1, d, b1 * m[i]);
        float ui = ob_maxps(b2 * u[i], fabsf(d) + eps);
        m[i] = mi;
        u[i] = ui;
        p[i] = fmaf(neg_step, mi / ui, pi);
    }
}

void ob_adamax_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    if (s->l2) adamax_body(n, p, g, state[0], state[1], s, 1);
    else adamax_body(n, p, g, state[0], state[1], s, 0);
}
