/*
 * Adagrad — fp32 scalar.
 *
 * Duchi, Hazan & Singer 2011 (diagonal form), as torch.optim.Adagrad:
 *   d   = g + wd*p                       (if weight_decay != 0)
 *   clr = lr / (1 + (t-1)*lr_decay)      (torch uses t-1: no decay at t=1)
 *   sum = sum + d*d                      (sum starts at initial_accumulator_value)
 *   p   = p - clr * d / (sqrt(sum) + eps)   (eps outside the root, default 1e-10)
 *
 * fp32 operation order (identical in every ISA):
 *   d = fma(wd, p, g); sum = fma(d, d, sum); den = sqrt(sum) + eps;
 *   p = fma(-clr, d / den, p)
 */
#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "scalar_ops.h"

OB_INLINE void adagrad_body(size_t n, float *restrict p, const float *restrict g, float *restrict sum,
                            const ob_step_scalars *s, const int l2)
{
    const float wd = s->weight_decay, eps = s->eps, neg_clr = -s->step_size;
    for (size_t i = 0; i < OB_MUTANT_ELEMENTS(n); i++) {
        float d = g[i];
        if (l2) d = fmaf(wd, p[i], d);
        float acc = fmaf(d, d, sum[i]);
        sum[i] = acc;
        float den = sqrtf(acc) + eps;
        p[i] = fmaf(neg_clr, d / den, p[i]);
    }
}

void ob_adagrad_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    if (s->l2) adagrad_body(n, p, g, state[0], s, 1);
    else adagrad_body(n, p, g, state[0], s, 0);
}
