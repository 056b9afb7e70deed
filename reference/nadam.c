/*
 * Reference NAdam / NAdamW, in double — torch.optim.NAdam's documented
 * algorithm (torch 2.x; Dozat 2016):
 *   theta_{t-1} = theta_{t-1} (1 - gamma lambda)     (decoupled_weight_decay)
 *   g_t = g_t + lambda theta_{t-1}                   (otherwise, lambda != 0)
 *   mu_t = beta1 (1 - 1/2 0.96^(t psi)),  mu_{t+1} = beta1 (1 - 1/2 0.96^((t+1) psi))
 *   m_t = beta1 m_{t-1} + (1 - beta1) g_t
 *   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
 *   m^_t = mu_{t+1} m_t / (1 - prod_{i=1}^{t+1} mu_i) + (1 - mu_t) g_t / (1 - prod_{i=1}^{t} mu_i)
 *   v^_t = v_t / (1 - beta2^t)
 *   theta_t = theta_{t-1} - gamma m^_t / (sqrt(v^_t) + eps)
 * torch 1.13's single-tensor code used prod_{i<=t} mu_i * mu_t * mu_{t+1}
 * for the first product (a bug, fixed in 2.0); this is the documented
 * formula.  torch keeps the product in an fp32 scalar tensor; here it is
 * double (ob_ref_nadam_mu_product), which changes the step by O(t u) of
 * prod mu_i, i.e. nothing once the product has decayed.
 */
#include "optbench/reference.h"
#include "ref_moments.h"

double ob_ref_nadam_mu(double beta1, double momentum_decay, uint64_t t)
{
    return beta1 * (1.0 - 0.5 * pow(0.96, (double)t * momentum_decay));
}

double ob_ref_nadam_mu_product(double beta1, double momentum_decay, uint64_t t)
{
    /* The memo only shortens the loop: it resumes the same sequential
     * product P_{k+1} = P_k mu_{k+1} from the last step it saw. */
    static _Thread_local struct {
        double beta1, psi, prod;
        uint64_t t;
        int valid;
    } memo;
    uint64_t k = 0;
    double prod = 1.0;
    if (memo.valid && memo.beta1 == beta1 && memo.psi == momentum_decay && memo.t <= t) {
        k = memo.t;
        prod = memo.prod;
    }
    for (; k < t && prod != 0.0; k++) prod *= ob_ref_nadam_mu(beta1, momentum_decay, k + 1);
    if (prod == 0.0) k = t; /* 0 * mu = 0 for every later factor */
    memo.beta1 = beta1;
    memo.psi = momentum_decay;
    memo.prod = prod;
    memo.t = k;
    memo.valid = 1;
    return prod;
}

void ob_ref_nadam_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                       double *const *state, double *const *scale)
{
    const double lr = h->lr, b1 = h->beta1, b2 = h->beta2, eps = h->eps;
    const double wd = h->weight_decay, psi = h->momentum_decay;
    const double mu = ob_ref_nadam_mu(b1, psi, t), mu_next = ob_ref_nadam_mu(b1, psi, t + 1);
    const double prod = ob_ref_nadam_mu_product(b1, psi, t), prod_next = prod * mu_next;
    const double cg = lr * (1 - mu) / (1 - prod), cm = lr * mu_next / (1 - prod_next);
    const double bc2 = 1 - pow(b2, (double)t), sbc2 = sqrt(bc2);
    const double wdec = h->decoupled_wd ? lr * wd : 0;
    double *m = state[0], *v = state[1];
    ref_clip clip;
    ob_ref_clip_prepare(h, n, g, &clip);
    for (size_t i = 0; i < n; i++) {
        const ref_moments r = ref_adam_moments(&clip, g[i], lr, wd, h->decoupled_wd, b1, b2, &p[i], &m[i],
                                               &v[i]);
        const double d = r.d, sd = r.sd, sm = r.sm, sv = r.sv, p0 = r.p0;
        double den = sqrt(v[i] / bc2) + eps;
        double q1 = d / den, q2 = m[i] / den;
        double sden = ref_root_scale(v[i], sv) / sbc2 + (ref_hp(eps) - eps), rho = sden / den;
        double sq1 = ref_fp32_scale(sd / den + fabs(q1) * (1 + rho) + OB_ETA);
        double sq2 = ref_fp32_scale(sm / den + fabs(q2) * (1 + rho) + OB_ETA);
        if (ref_den_indeterminate(den, sden)) sq1 = sq2 = INFINITY;
        ref_put_scale(scale, 1, i, sm);
        ref_put_scale(scale, 2, i, sv);
        ref_put_scale(scale, 0, i, fabs(p[i]) + p0 * wdec + ref_hp(cg) * sq1 + ref_hp(cm) * sq2 + 3 * OB_ETA);
        p[i] = p[i] - cg * q1 - cm * q2;
    }
}
