/*
 * Adam / AdamW / AMSGrad — fp32 scalar.
 *
 * Kingma & Ba 2015, Alg. 1, in torch.optim.Adam / AdamW form:
 *   p    = p*(1 - lr*wd)                         (AdamW: decoupled decay,
 *                                                 Loshchilov & Hutter 2019)
 *   d    = g + wd*p                              (Adam: L2 in the gradient)
 *   m    = beta1*m + (1-beta1)*d
 *   v    = beta2*v + (1-beta2)*d*d
 *   vmax = max(vmax, v)                          (AMSGrad, Reddi et al. 2018)
 *   p    = p - (lr/bc1) * m / (sqrt(v or vmax)/sqrt(bc2) + eps)
 * with bc1 = 1 - beta1^t, bc2 = 1 - beta2^t.  Where torch differs from the
 * paper we follow torch: eps is added after the bias correction (the paper
 * adds it to sqrt(v_hat)), and AMSGrad keeps the max of the raw v and
 * bias-corrects the max (the paper has no bias correction at all).
 *
 * fp32 operation order (identical in every ISA):
 *   p = p * decay_factor [decoupled];  d = fma(wd, p, g) [l2];
 *   m = fma(1-beta1, d, beta1*m);  v = fma(1-beta2, d*d, beta2*v);
 *   vmax = maxps(vmax, v) [amsgrad];
 *   den = fma(sqrt(v or vmax), 1/sqrt(bc2), eps);  p = fma(-lr/bc1, m/den, p)
 * Multiplying by 1/sqrt(bc2) (computed in double) instead of dividing by
 * sqrt(bc2) leaves one correctly rounded sqrt and one division per element.
 */
#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "scalar_ops.h"

OB_INLINE void adam_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                         float *restrict v, float *restrict vmax, const ob_step_scalars *s, const int l2,
                         const int decoupled, const int amsgrad)
{
    const float wd = s->weight_decay, decay = s->decay_factor;
    const float b1 = s->beta1, omb1 = s->one_minus_beta1;
    const float b2 = s->beta2, omb2 = s->one_minus_beta2;
    const float rs = s->inv_sqrt_bc2, eps = s->eps, neg_step = -s->step_size;
    for (size_t i = 0; i < OB_MUTANT_ELEMENTS(n); i++) {
        float pi = p[i];
        if (decoupled) pi = pi * decay;
        float d = g[i];
        if (l2) d = fmaf(wd, pi, d);
        float mi = fmaf(omb1, d, b1 * m[i]);
        float vi = fmaf(omb2, d * d, b2 * v[i]);
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
            vi = ob_maxps(vmax[i], vi);
            vmax[i] = vi;
        }
        float den = fmaf(sqrtf(vi), rs, eps);
        p[i] = fmaf(neg_step, mi / den, pi);
    }
}

void ob_adam_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    float *m = state[0], *v = state[1], *vmax = state[2];
    const int l2 = s->l2 != 0, dec = s->decoupled != 0, ams = s->amsgrad != 0;
    switch (l2 | dec << 1 | ams << 2) {
    case 0: adam_body(n, p, g, m, v, vmax, s, 0, 0, 0); break;
    case 1: adam_body(n, p, g, m, v, vmax, s, 1, 0, 0); break;
    case 2: adam_body(n, p, g, m, v, vmax, s, 0, 1, 0); break;
    case 3: adam_body(n, p, g, m, v, vmax, s, 1, 1, 0); break;
    case 4: adam_body(n, p, g, m, v, vmax, s, 0, 0, 1); break;
    case 5: adam_body(n, p, g, m, v, vmax, s, 1, 0, 1); break;
    case 6: adam_body(n, p, g, m, v, vmax, s, 0, 1, 1); break;
    default: adam_body(n, p, g, m, v, vmax, s, 1, 1, 1); break;
    }
}
