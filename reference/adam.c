/*
 * Reference Adam / AdamW / AMSGrad, in double — torch.optim.Adam and AdamW's
 * documented algorithms (Kingma & Ba 2015, Alg. 1; Loshchilov & Hutter 2019,
 * Alg. 2; Reddi, Kale & Kumar 2018, Alg. 2):
 *   theta_{t-1} = theta_{t-1} (1 - gamma lambda)       (AdamW)
 *   g_t = g_t + lambda theta_{t-1}                     (Adam, weight_decay != 0)
 *   m_t = beta1 m_{t-1} + (1 - beta1) g_t
 *   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
 *   m^_t = m_t / (1 - beta1^t)
 *   v^_t = max(v^max_{t-1}, v_t) / (1 - beta2^t)  (amsgrad)  else  v_t / (1 - beta2^t)
 *   theta_t = theta_{t-1} - gamma m^_t / (sqrt(v^_t) + eps)
 * This is torch's placement of eps (after the bias correction) and torch's
 * AMSGrad (the max is kept of the raw v_t).
 */
#include "optbench/reference.h"
#include "ref_clip.h"
#include "ref_scale.h"

void ob_ref_adam_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                      double *const *state, double *const *scale)
{
    const double lr = h->lr, b1 = h->beta1, b2 = h->beta2, eps = h->eps;
    const double wd = h->weight_decay;
    const double bc1 = 1 - pow(b1, (double)t), bc2 = 1 - pow(b2, (double)t);
    const double step = lr / bc1, sbc2 = sqrt(bc2);
    double *m = state[0], *v = state[1], *vmax = state[2];
    ref_clip clip;
    ob_ref_clip_prepare(h, n, g, &clip);
    for (size_t i = 0; i < n; i++) {
        double p0 = fabs(p[i]);
        if (h->decoupled_wd) p[i] = p[i] * (1 - lr * wd);
        double wl2 = h->decoupled_wd ? 0 : wd;
        double sg, gi = ref_clip_grad(&clip, g[i], &sg);
        double d = gi + wl2 * p[i];
        double sd = ref_d_scale(sg + ref_hp(wl2) * fabs(p[i]) + OB_ETA);
        double sm = ref_fp32_scale(ref_hp(b1) * fabs(m[i]) + ref_hp(1 - b1) * sd + OB_ETA);
        double sv = ref_fp32_scale(ref_hp(b2) * fabs(v[i]) + ref_hp(1 - b2) * sd * sd + OB_ETA);
        m[i] = b1 * m[i] + (1 - b1) * d;
        v[i] = b2 * v[i] + (1 - b2) * d * d;
        double vhat = v[i];
        if (h->amsgrad) {
            /* torch.maximum for ordered values.  On NaN we follow the kernels'
             * rule (the new v wins), which only matters for a NaN already in
             * vmax: a NaN gradient makes v NaN, and both rules keep it. */
            vmax[i] = vmax[i] > v[i] ? vmax[i] : v[i];
            vhat = vmax[i];
            ref_put_scale(scale, 3, i, sv);
        }
        double den = sqrt(vhat) / sbc2 + eps;
        double q = m[i] / den;
        double sden = ref_root_scale(vhat, sv) / sbc2 + (ref_hp(eps) - eps);
        double sq = ref_fp32_scale(sm / den + fabs(q) * (1 + sden / den) + OB_ETA);
        if (ref_den_indeterminate(den, sden)) sq = INFINITY;
        ref_put_scale(scale, 1, i, sm);
        ref_put_scale(scale, 2, i, sv);
        ref_put_scale(scale, 0, i,
                      fabs(p[i]) + p0 * (h->decoupled_wd ? lr * wd : 0) + ref_hp(step) * sq + 2 * OB_ETA);
        p[i] = p[i] - step * q;
    }
}
