/*
 * sam.c — the SAM / ASAM ascent step in double, as the papers write it.
 *
 *   SAM  (Foret et al. 2021, Alg. 1):  eps = rho g / (||g||_2 + 1e-12)
 *   ASAM (Kwon et al. 2021, §4):       eps = rho T^2 g / (||T g||_2 + 1e-12),
 *                                      T = diag(|x| + eta)
 *   x_hat = x + eps
 *
 * with eta and rho exactly as given (no fp32 rounding) and the norm
 * compensated (ob_ref_sumsq).  The 1e-12: kernels/framework/ob_sam.h.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "optbench/reference.h"
#include "ref_scale.h"

void ob_ref_sam_perturb(const ob_hparams *h, size_t n, const double *x, const double *g, double *xhat,
                        double *scale)
{
    if (!(h->sam_rho > 0)) {
        for (size_t i = 0; i < n; i++) {
            xhat[i] = x[i];
            if (scale) scale[i] = 0;
        }
        return;
    }
    const int adaptive = h->sam_adaptive != 0;
    /* ||g|| or ||T g||: the weighted vector once, then its compensated
     * sum of squares. */
    double *tg = malloc((n ? n : 1) * sizeof *tg), sumsq;
    if (tg) {
        for (size_t i = 0; i < n; i++) tg[i] = adaptive ? (fabs(x[i]) + h->sam_eta) * g[i] : g[i];
        sumsq = ob_ref_sumsq(n, tg);
        free(tg);
    } else {
        /* No memory: a plain sum (only the error scales get looser). */
        sumsq = 0;
        for (size_t i = 0; i < n; i++) {
            const double w = adaptive ? (fabs(x[i]) + h->sam_eta) * g[i] : g[i];
            sumsq += w * w;
        }
    }
    const double c = h->sam_rho / (sqrt(sumsq) + 1e-12);
    /* Outside the fp32 contract: a scale that is not a normal fp32 number
     * (a huge norm: the kernels' fp32 scale loses its relative accuracy),
     * or a non-finite norm.  The agreement check accepts anything there. */
    const int outside = !(c >= FLT_MIN && c <= FLT_MAX);
    for (size_t i = 0; i < n; i++) {
        const double t = adaptive ? fabs(x[i]) + h->sam_eta : 1;
        const double eps = c * (t * t) * g[i];
        xhat[i] = x[i] + eps;
        if (!scale) continue;
        /* S = |x| + |eps| (README "SAM and ASAM"); near underflow each fp32
         * operation adds 2^-150 = u * OB_ETA absolute: the fma, and for
         * ASAM e = scale*q (carried by t) and q = t*g (carried by scale*t).
         * An fp32 t*g past FLT_MAX overflows where double does not. */
        double s = fabs(x[i]) + fabs(eps) + OB_ETA;
        if (adaptive) s += OB_ETA * t * (1 + c);
        scale[i] = outside || fabs(t * g[i]) > FLT_MAX ? INFINITY : s;
    }
}
