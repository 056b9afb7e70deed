/*
 * Reference RAdam / RAdamW, in double — torch.optim.RAdam's documented
 * algorithm (torch 2.x; Liu et al. 2020, Alg. 2):
 *   theta_{t-1} = theta_{t-1} (1 - gamma lambda)     (decoupled_weight_decay)
 *   g_t = g_t + lambda theta_{t-1}                   (otherwise, lambda != 0)
 *   m_t = beta1 m_{t-1} + (1 - beta1) g_t
 *   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
 *   m^_t = m_t / (1 - beta1^t)
 *   rho_inf = 2/(1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
 *   if rho_t > 5:
 *       l_t = sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
 *       r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
 *       theta_t = theta_{t-1} - gamma m^_t r_t l_t
 *   else
 *       theta_t = theta_{t-1} - gamma m^_t
 * Note eps: added to sqrt(v_t), before the bias correction (Adam adds it
 * to sqrt(v_t)/sqrt(1 - beta2^t)).
 */
#include "optbench/reference.h"
#include "ref_moments.h"

double ob_ref_radam_rho(double beta2, uint64_t t)
{
    const double rho_inf = 2 / (1 - beta2) - 1;
    return rho_inf - 2 * (double)t * pow(beta2, (double)t) / (1 - pow(beta2, (double)t));
}

double ob_ref_radam_rect(double beta2, uint64_t t)
{
    const double rho_inf = 2 / (1 - beta2) - 1, rho_t = ob_ref_radam_rho(beta2, t);
    return sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
}

void ob_ref_radam_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                       double *const *state, double *const *scale)
{
    const double lr = h->lr, b1 = h->beta1, b2 = h->beta2, eps = h->eps, wd = h->weight_decay;
    const double bc1 = 1 - pow(b1, (double)t), bc2 = 1 - pow(b2, (double)t);
    const int rectified = ob_ref_radam_rho(b2, t) > 5;
    const double r = rectified ? ob_ref_radam_rect(b2, t) : 0;
    const double wdec = h->decoupled_wd ? lr * wd : 0;
    double *m = state[0], *v = state[1];
    ref_clip clip;
    ob_ref_clip_prepare(h, n, g, &clip);
    for (size_t i = 0; i < n; i++) {
        const ref_moments rm = ref_adam_moments(&clip, g[i], lr, wd, h->decoupled_wd, b1, b2, &p[i], &m[i],
                                                &v[i]);
        const double sm = rm.sm, sv = rm.sv, p0 = rm.p0;
        double mhat = m[i] / bc1, sp;
        ref_put_scale(scale, 1, i, sm);
        ref_put_scale(scale, 2, i, sv);
        if (rectified) {
            double den = sqrt(v[i]) + eps, l = sqrt(bc2) / den, q = m[i] / den;
            double sden = ref_root_scale(v[i], sv) + (ref_hp(eps) - eps);
            double sq = ref_fp32_scale(sm / den + fabs(q) * (1 + sden / den) + OB_ETA);
            if (ref_den_indeterminate(den, sden)) sq = INFINITY;
            sp = fabs(p[i]) + p0 * wdec + ref_hp(lr * r * sqrt(bc2) / bc1) * sq + 2 * OB_ETA;
            p[i] = p[i] - lr * mhat * r * l;
        } else {
            sp = fabs(p[i]) + p0 * wdec + ref_hp(lr / bc1) * sm + 2 * OB_ETA;
            p[i] = p[i] - lr * mhat;
        }
        ref_put_scale(scale, 0, i, sp);
    }
}
