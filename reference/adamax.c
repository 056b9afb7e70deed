/*
 * Reference Adamax, in double — torch.optim.Adamax's documented algorithm
 * (Kingma & Ba 2015, §7.1):
 *   g_t = g_t + lambda theta_{t-1}                   (lambda != 0)
 *   m_t = beta1 m_{t-1} + (1 - beta1) g_t
 *   u_t = max(beta2 u_{t-1}, |g_t| + eps)
 *   theta_t = theta_{t-1} - gamma m_t / ((1 - beta1^t) u_t)
 * The maximum follows the kernels' rule on NaN (the new |g_t| + eps wins,
 * kernels/scalar/adamax.c); torch.maximum would keep a NaN already in u.
 */
#include "optbench/reference.h"
#include "ref_clip.h"
#include "ref_scale.h"

void ob_ref_adamax_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                        double *const *state, double *const *scale)
{
    const double lr = h->lr, b1 = h->beta1, b2 = h->beta2, eps = h->eps, wd = h->weight_decay;
    const double clr = lr / (1 - pow(b1, (double)t));
    double *m = state[0], *u = state[1];
    ref_clip clip;
    ob_ref_clip_prepare(h, n, g, &clip);
    for (size_t i = 0; i < n; i++) {
        double sg, gi = ref_clip_grad(&clip, g[i], &sg);
        double d = gi + wd * p[i];
        double sd = ref_d_scale(sg + ref_hp(wd) * fabs(p[i]) + OB_ETA);
        double sm = ref_fp32_scale(ref_hp(b1) * fabs(m[i]) + ref_hp(1 - b1) * sd + OB_ETA);
        double b = b2 * u[i], a = fabs(d) + eps;
        double sb = ref_hp(b2) * fabs(u[i]) + OB_ETA, sa = sd + ref_hp(eps) + OB_ETA;
        double su = ref_fp32_scale((sb > sa ? sb : sa) + OB_ETA);
        m[i] = b1 * m[i] + (1 - b1) * d;
        u[i] = b > a ? b : a;
        double q = m[i] / u[i];
        double sq = ref_fp32_scale(sm / u[i] + fabs(q) * (1 + su / u[i]) + OB_ETA);
        if (ref_den_indeterminate(u[i], su)) sq = INFINITY;
        ref_put_scale(scale, 1, i, sm);
        ref_put_scale(scale, 2, i, su);
        ref_put_scale(scale, 0, i, fabs(p[i]) + ref_hp(clr) * sq + OB_ETA);
        p[i] = p[i] - clr * q;
    }
}
