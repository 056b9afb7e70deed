/*
 * The SAM / ASAM ascent step, scalar: the perturbed point x_hat and the
 * ASAM norm's sum of squares (kernels/framework/ob_sam.h gives the equations and
 * the operation order).  This file is the reference order; the AVX2 and
 * AVX-512 files perform the same operations lane by lane, so the results
 * are bit-identical.  fmaf/fma are the correctly rounded C functions, the
 * same single rounding as VFMADD.  Built with -fno-tree-vectorize.
 */
#include <math.h>

#include "kernels/framework/ob_reduce.h"
#include "kernels/framework/ob_sam.h"

void ob_sam_perturb_scalar(size_t n, const float *x, const float *g, float *xhat, const ob_sam_scalars *s)
{
    const float scale = s->scale, eta = s->eta;
    if (!s->adaptive) {
        /* Foret et al. 2021, Alg. 1: x_hat = x + rho g / ||g||. */
        for (size_t i = 0; i < n; i++) xhat[i] = fmaf(scale, g[i], x[i]);
        return;
    }
    /* Kwon et al. 2021: x_hat = x + rho T^2 g / ||T g||, T = diag(|x| + eta),
     * as (scale * (t * g)) * t + x: e = scale * q stays within [-rho, rho]
     * (ob_sam.h). */
    for (size_t i = 0; i < n; i++) {
        const float xi = x[i];
        const float t = fabsf(xi) + eta;
        const float q = t * g[i];
        const float e = scale * q;
        xhat[i] = fmaf(e, t, xi);
    }
}

double ob_sam_tgsq_scalar(size_t n, const float *x, const float *g, float eta)
{
    double lane[OB_SUMSQ_LANES] = {0};
    for (size_t i = 0; i < n; i++) {
        /* t in fp32 exactly as the element kernel has it; t*g is exact in
         * double (24 + 24 significant bits); its square is rounded once
         * with the sum, as the vector kernels' double FMA. */
        const float t = fabsf(x[i]) + eta;
        const double w = (double)t * (double)g[i];
        const size_t j = i % OB_SUMSQ_LANES;
        lane[j] = fma(w, w, lane[j]);
    }
    return ob_sumsq_finish(lane);
}
