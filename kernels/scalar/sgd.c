/*
 * SGD with momentum, dampening, Nesterov and L2 weight decay — fp32 scalar.
 *
 * torch.optim.SGD (documented algorithm), per element:
 *   d   = g + wd*p                          (if weight_decay != 0)
 *   buf = d                                 (first step: no dampening)
 *   buf = momentum*buf + (1-dampening)*d    (later steps)
 *   d   = d + momentum*buf  (nesterov)  or  d = buf
 *   p   = p - lr*d
 * Sutskever et al. 2013 put lr inside the buffer; torch (and we) do not.
 *
 * fp32 operation order (identical in every ISA):
 *   d = fma(wd, p, g); buf = fma(momentum, buf, (1-dampening)*d);
 *   d = fma(momentum, buf, d) [nesterov]; p = fma(-lr, d, p)
 */
#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "scalar_ops.h"

OB_INLINE void sgd_body(size_t n, float *restrict p, const float *restrict g, float *restrict buf,
                        const ob_step_scalars *s, const int l2, const int momentum, const int first,
                        const int nesterov)
{
    const float wd = s->weight_decay, mu = s->momentum;
    const float omd = s->one_minus_dampening, neg_lr = -s->lr;
    for (size_t i = 0; i < OB_MUTANT_ELEMENTS(n); i++) {
        float d = g[i];
        if (l2) d = fmaf(wd, p[i], d);
        if (momentum) {
            float b = first ? d : fmaf(mu, buf[i], omd * d);
            buf[i] = b;
            d = nesterov ? fmaf(mu, b, d) : b;
        }
        p[i] = fmaf(neg_lr, d, p[i]);
    }
}

void ob_sgd_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    float *buf = state ? state[0] : NULL;
    /* Specialise on the per-step flags so the element loop has no branch. */
    if (!s->has_momentum) {
        if (s->l2) sgd_body(n, p, g, buf, s, 1, 0, 0, 0);
        else sgd_body(n, p, g, buf, s, 0, 0, 0, 0);
        return;
    }
    const int l2 = s->l2 != 0, first = s->first_step != 0, nes = s->nesterov != 0;
    switch (l2 | first << 1 | nes << 2) {
    case 0: sgd_body(n, p, g, buf, s, 0, 1, 0, 0); break;
    case 1: sgd_body(n, p, g, buf, s, 1, 1, 0, 0); break;
    case 2: sgd_body(n, p, g, buf, s, 0, 1, 1, 0); break;
    case 3: sgd_body(n, p, g, buf, s, 1, 1, 1, 0); break;
    case 4: sgd_body(n, p, g, buf, s, 0, 1, 0, 1); break;
    case 5: sgd_body(n, p, g, buf, s, 1, 1, 0, 1); break;
    case 6: sgd_body(n, p, g, buf, s, 0, 1, 1, 1); break;
    default: sgd_body(n, p, g, buf, s, 1, 1, 1, 1); break;
    }
}
