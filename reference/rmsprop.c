/*
 * Reference RMSprop, in double — torch.optim.RMSprop's documented algorithm:
 *   g_t = g_t + lambda * theta_{t-1}                   (weight_decay != 0)
 *   v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2
 *   v~_t = v_t - (g_ave_t)^2,  g_ave_t = alpha g_ave_{t-1} + (1 - alpha) g_t
 *                                                       (centered)
 *   b_t = mu * b_{t-1} + g_t / (sqrt(v~_t) + eps);  theta_t = theta_{t-1} - gamma b_t
 *                                                       (momentum > 0)
 *   theta_t = theta_{t-1} - gamma * g_t / (sqrt(v~_t) + eps)   (otherwise)
 * Like the kernels (and unlike torch, which returns NaN), v~_t is clamped
 * at 0 before the root.
 */
#include "optbench/reference.h"
#include "ref_clip.h"
#include "ref_scale.h"

void ob_ref_rmsprop_step(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                         double *const *state, double *const *scale)
{
    (void)t;
    const double lr = h->lr, wd = h->weight_decay, eps = h->eps;
    const double a = h->alpha, mu = h->momentum;
    double *sqa = state[0], *buf = state[1], *ga = state[2];
    ref_clip clip;
    ob_ref_clip_prepare(h, n, g, &clip);
    for (size_t i = 0; i < n; i++) {
        double sg, gi = ref_clip_grad(&clip, g[i], &sg);
        double d = gi + wd * p[i];
        double sd = ref_d_scale(sg + ref_hp(wd) * fabs(p[i]) + OB_ETA);
        double ssq = ref_fp32_scale(ref_hp(a) * fabs(sqa[i]) + ref_hp(1 - a) * sd * sd + OB_ETA);
        sqa[i] = a * sqa[i] + (1 - a) * d * d;
        ref_put_scale(scale, 1, i, ssq);
        double r = sqa[i], sr = ssq;
        if (h->centered) {
            double sga = ref_fp32_scale(ref_hp(a) * fabs(ga[i]) + ref_hp(1 - a) * sd + OB_ETA);
            ga[i] = a * ga[i] + (1 - a) * d;
            ref_put_scale(scale, 3, i, sga);
            r = sqa[i] - ga[i] * ga[i];
            if (!(r >= 0) && !isnan(r)) r = 0;
            sr = ssq + 2 * sga * sga + OB_ETA;
        }
        double den = sqrt(r) + eps;
        double q = d / den;
        double sden = ref_root_scale(r, sr) + (ref_hp(eps) - eps);
        double sq = ref_fp32_scale(sd / den + fabs(q) * (1 + sden / den) + OB_ETA);
        /* The scale above is first order in den's error.  Centered, the
         * variance sq - ga^2 can lie within its own rounding error (at most
         * B u S_r, B = 10 as for the whole step) of zero while eps is too
         * small to carry den: once that error exceeds a quarter of den^2
         * the fp32 den can be anything from eps to twice den, and q is not
         * determined by fp32 arithmetic at all.  Such elements are outside
         * the contract: an infinite scale accepts any value (README,
         * "Agreement bounds"). */
        int indeterminate = (h->centered && 10 * OB_U32 * sr > 0.25 * den * den) || ref_den_indeterminate(den, sden);
        if (indeterminate) sq = INFINITY;
        if (mu != 0) {
            sq = ref_fp32_scale(ref_hp(mu) * fabs(buf[i]) + sq + OB_ETA);
            buf[i] = mu * buf[i] + q;
            ref_put_scale(scale, 2, i, sq);
            q = buf[i];
        }
        ref_put_scale(scale, 0, i, indeterminate ? INFINITY : fabs(p[i]) + ref_hp(lr) * sq + OB_ETA);
        p[i] = p[i] - lr * q;
    }
}
