/*
 * RMSprop — fp32 scalar.
 *
 * Tieleman & Hinton 2012 (lecture 6e), as torch.optim.RMSprop:
 *   d   = g + wd*p                                   (if weight_decay != 0)
 *   sq  = alpha*sq + (1-alpha)*d*d
 *   ga  = alpha*ga + (1-alpha)*d                     (centered only)
 *   den = sqrt(sq - ga*ga) + eps   (centered)  or  sqrt(sq) + eps
 *   buf = momentum*buf + d/den;  p = p - lr*buf      (momentum > 0; lr is
 *                                                     outside the buffer)
 *   p   = p - lr*d/den                               (momentum == 0)
 * No bias correction.  Deviation from torch: in the centered form,
 * sq - ga*ga is clamped at 0 before the root, because fp32 rounding can
 * make it slightly negative where the exact value is >= 0 (torch returns
 * NaN there).  A NaN still propagates through the clamp.  The clamp is
 * written as |min(0, ga*ga - sq)| rather than max(0, sq - ga*ga): the two
 * agree bit for bit on every non-NaN input (eps > 0), but the first never
 * multiplies two different NaNs (ga and -ga), whose order a compiler may
 * swap, and ends in a sign-clearing operation, so the NaN it produces has
 * the same bits in every ISA and with every compiler.
 *
 * fp32 operation order (identical in every ISA):
 *   d = fma(wd, p, g); sq = fma(1-alpha, d*d, alpha*sq);
 *   ga = fma(1-alpha, d, alpha*ga); t = fma(ga, ga, -sq); r = |minps(0, t)|;
 *   den = sqrt(r) + eps; q = d / den;
 *   buf = fma(momentum, buf, q); p = fma(-lr, buf, p)   or   p = fma(-lr, q, p)
 */
#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "scalar_ops.h"

OB_INLINE void rmsprop_body(size_t n, float *restrict p, const float *restrict g, float *restrict sq,
                            float *restrict buf, float *restrict ga, const ob_step_scalars *s, const int l2,
                            const int centered, const int momentum)
{
    const float wd = s->weight_decay, eps = s->eps, neg_lr = -s->lr;
    const float a = s->alpha, oma = s->one_minus_alpha, mu = s->momentum;
    for (size_t i = 0; i < OB_MUTANT_ELEMENTS(n); i++) {
        float d = g[i];
        if (l2) d = fmaf(wd, p[i], d);
        float sqn = fmaf(oma, d * d, a * sq[i]);
        sq[i] = sqn;
        float r = sqn;
        if (centered) {
            float gan = fmaf(oma, d, a * ga[i]);
            ga[i] = gan;
            float t = fmaf(gan, gan, -sqn); /* ga^2 - sq */
            r = fabsf(0.0f < t ? 0.0f : t); /* |minps(0, t)| = max(0, sq - ga^2) */
        }
        float q = d / (sqrtf(r) + eps);
        if (momentum) {
            q = fmaf(mu, buf[i], q);
            buf[i] = q;
        }
        p[i] = fmaf(neg_lr, q, p[i]);
    }
}

void ob_rmsprop_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    float *sq = state[0], *buf = state[1], *ga = state[2];
    const int l2 = s->l2 != 0, c = s->centered != 0, m = s->has_momentum != 0;
    switch (l2 | c << 1 | m << 2) {
    case 0: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 0, 0); break;
    case 1: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 0, 0); break;
    case 2: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 1, 0); break;
    case 3: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 1, 0); break;
    case 4: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 0, 1); break;
    case 5: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 0, 1); break;
    case 6: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 1, 1); break;
    default: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 1, 1); break;
    }
}
