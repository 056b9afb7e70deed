/*
 * Reference Lion, in double — Chen et al. 2023, "Symbolic Discovery of
 * Optimization Algorithms", Algorithm 2:
 *   c_t = beta1 m_{t-1} + (1 - beta1) g_t
 *   theta_t = theta_{t-1} - eta_t (sign(c_t) + lambda theta_{t-1})
 *   m_t = beta2 m_{t-1} + (1 - beta2) g_t
 * written, like the authors' code, as theta (1 - eta lambda) - eta sign(c_t);
 * sign(0) = 0, sign(NaN) = NaN (kernels/scalar/lion.c).
 *
 * Error scale of theta: the sign is exact unless c_t lies within the fp32
 * kernel's own error of c_t (3 u S_c: beta1 m rounded twice, 1 - beta1
 * and the fma once each) of zero; there the kernel's sign may be any of
 * -1, 0, 1, an error of up to 2 eta, and the scale reports 2 eta / u, so
 * any B >= 1 accepts it.  Elsewhere theta's error is that of the decay and
 * the fma.
 */
#include "optbench/reference.h"
#include "ref_clip.h"
#include "ref_scale.h"

void ob_ref_lion_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                      double *const *state, double *const *scale)
{
    (void)t; /* Lion has no bias correction */
    const double lr = h->lr, b1 = h->beta1, b2 = h->beta2, wd = h->weight_decay;
    double *m = state[0];
    ref_clip clip;
    ob_ref_clip_prepare(h, n, g, &clip);
    for (size_t i = 0; i < n; i++) {
        double p0 = fabs(p[i]);
        p[i] = p[i] * (1 - lr * wd);
        double sg, gi = ref_clip_grad(&clip, g[i], &sg);
        double c = b1 * m[i] + (1 - b1) * gi;
        double sc = ref_hp(b1) * fabs(m[i]) + ref_hp(1 - b1) * sg + OB_ETA;
        double sign = c > 0 ? 1 : c < 0 ? -1 : c == 0 ? 0 : c;
        int unsure = fabs(c) <= 3 * OB_U32 * sc;
        double sm = ref_hp(b2) * fabs(m[i]) + ref_hp(1 - b2) * sg + OB_ETA;
        m[i] = b2 * m[i] + (1 - b2) * gi;
        ref_put_scale(scale, 1, i, sm);
        ref_put_scale(scale, 0, i, fabs(p[i]) + p0 * lr * wd + ref_hp(lr) * (unsure ? 2 / OB_U32 : 1) + 2 * OB_ETA);
        p[i] = p[i] - lr * sign;
    }
}
