/*
 * Reference SGD, in double — torch.optim.SGD's documented algorithm:
 *   g_t = g_t + lambda * theta_{t-1}                   (weight_decay != 0)
 *   b_t = g_t                       (t = 1)
 *   b_t = mu * b_{t-1} + (1 - tau) * g_t               (t > 1)
 *   g_t = g_t + mu * b_t  (nesterov)   else   g_t = b_t   (mu != 0)
 *   theta_t = theta_{t-1} - gamma * g_t
 */
#include "optbench/reference.h"
#include "ref_clip.h"
#include "ref_scale.h"

void ob_ref_sgd_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                     double *const *state, double *const *scale)
{
    const double lr = h->lr, wd = h->weight_decay, mu = h->momentum;
    const double damp = h->dampening;
    double *buf = mu != 0 ? state[0] : NULL;
    ref_clip clip;
    ob_ref_clip_prepare(h, n, g, &clip);
    for (size_t i = 0; i < n; i++) {
        double sg, gi = ref_clip_grad(&clip, g[i], &sg);
        double d = gi + wd * p[i];
        double sd = ref_d_scale(sg + ref_hp(wd) * fabs(p[i]) + OB_ETA);
        if (mu != 0) {
            double sb;
            if (t == 1) {
                buf[i] = d;
                sb = sd;
            } else {
                sb = ref_fp32_scale(ref_hp(mu) * fabs(buf[i]) + ref_hp(1 - damp) * sd + OB_ETA);
                buf[i] = mu * buf[i] + (1 - damp) * d;
            }
            ref_put_scale(scale, 1, i, sb);
            if (h->nesterov) {
                d = d + mu * buf[i];
                sd = sd + ref_hp(mu) * sb + OB_ETA;
            } else {
                d = buf[i];
                sd = sb;
            }
        }
        ref_put_scale(scale, 0, i, fabs(p[i]) + ref_hp(lr) * sd + OB_ETA);
        p[i] = p[i] - lr * d;
    }
}
