/*
 * Reference Adagrad, in double — torch.optim.Adagrad's documented algorithm
 * (Duchi, Hazan & Singer 2011, diagonal form):
 *   g_t = g_t + lambda * theta_{t-1}                   (weight_decay != 0)
 *   gamma~ = gamma / (1 + (t - 1) * eta)               (eta = lr_decay)
 *   state_sum_t = state_sum_{t-1} + g_t^2
 *   theta_t = theta_{t-1} - gamma~ * g_t / (sqrt(state_sum_t) + eps)
 */
#include "optbench/reference.h"
#include "ref_clip.h"
#include "ref_scale.h"

void ob_ref_adagrad_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                         double *const *state, double *const *scale)
{
    const double wd = h->weight_decay, eps = h->eps;
    const double clr = h->lr / (1 + (double)(t - 1) * h->lr_decay);
    double *sum = state[0];
    ref_clip clip;
    ob_ref_clip_prepare(h, n, g, &clip);
    for (size_t i = 0; i < n; i++) {
        double sg, gi = ref_clip_grad(&clip, g[i], &sg);
        double d = gi + wd * p[i];
        double sd = ref_d_scale(sg + ref_hp(wd) * fabs(p[i]) + OB_ETA);
        double ssum = ref_fp32_scale(fabs(sum[i]) + sd * sd + OB_ETA);
        sum[i] = sum[i] + d * d;
        double den = sqrt(sum[i]) + eps;
        double q = d / den;
        double sden = ref_root_scale(sum[i], ssum) + (ref_hp(eps) - eps);
        double sq = ref_fp32_scale(sd / den + fabs(q) * (1 + sden / den) + OB_ETA);
        if (ref_den_indeterminate(den, sden)) sq = INFINITY;
        ref_put_scale(scale, 1, i, ssum);
        ref_put_scale(scale, 0, i, fabs(p[i]) + ref_hp(clr) * sq + OB_ETA);
        p[i] = p[i] - clr * q;
    }
}
