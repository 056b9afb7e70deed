/*
 * ref_clip.h — gradient clipping in the references (torch.nn.utils
 * clip_grad_norm_ and clip_grad_value_), with the error scale of the
 * clipped gradient.  Internal to reference/.
 *
 * Every reference clips its gradient exactly as the fp32 step runner does
 * (kernels/framework/ob_reduce.h): g <- g * min(clip_norm/(||g|| + 1e-6), 1), then
 * clamp(g, -clip_value, clip_value), in double, with the norm of the whole
 * n-element gradient.  The fp32 path computes the same in fp32, so its
 * clipped gradient carries an input error the kernels' bounds do not
 * count.  The reference reports it through the scale of g:
 *   S_g = kappa*|g_c| + eta*|g| (+ OB_ETA when clipping is on),
 * with kappa = 1 without clipping (g is exact, and S_g = |g| as before),
 * kappa = 2 with clip_value alone (the clamp limit rounded to fp32: u*c,
 * and c = |g_c| where the clamp acts), kappa = 3 + e_norm with clip_norm
 * (the scale rounded to fp32: u; the product g*scale: u; the clamp is
 * 1-Lipschitz, so clamping after scaling adds no error beyond the larger
 * of the two; e_norm is the double reduction's relative error in units of
 * u, see ob_ref_clip_prepare).  eta = OB_ETA with clip_norm covers a
 * scale so small that fp32 holds it as a subnormal (absolute error 2^-150
 * times |g|).  Raising the input's scale from |g_c| to (1 + e)|g_c| covers
 * an input error of e*u*|g_c| in every output: each output's scale grows
 * by at least its first-order sensitivity to g times e*|g_c|, and B >= 1.
 *
 * ref_clip_grad is called for every element by every reference, so it
 * also marks gradients past sqrt(FLT_MAX) as outside the contract.
 */
#ifndef OB_REF_CLIP_H
#define OB_REF_CLIP_H

#include <math.h>
#include <stddef.h>

#include "optbench/hparams.h"
#include "ref_scale.h"

typedef struct ref_clip {
    int norm, value;   /* which clipping is on */
    double coef, lim;  /* scale min(max_norm/(norm + 1e-6), 1); clamp limit */
    double kappa, eta; /* error scale of the clipped gradient (above) */
} ref_clip;

/* Computes the clip coefficient from the n gradients (compensated sum of
 * squares) and the error-scale factors. */
void ob_ref_clip_prepare(const ob_hparams *h, size_t n, const double *g, ref_clip *c);

/* The clipped gradient g_c, and its error scale in *sg. */
static inline double ref_clip_grad(const ref_clip *c, double g, double *sg)
{
    double x = g;
    if (c->norm) x = x * c->coef;
    if (c->value) {
        /* torch.clamp: a NaN passes through both comparisons. */
        if (x < -c->lim) x = -c->lim;
        if (x > c->lim) x = c->lim;
    }
    *sg = c->kappa * fabs(x) + c->eta * fabs(g) + (c->norm || c->value ? OB_ETA : 0);
    /* A gradient past sqrt(FLT_MAX) = 2^64 squares to an fp32 overflow
     * where double does not overflow: outside the agreement contract
     * (README "Agreement bounds"), marked by an infinite scale, which
     * every output of the element inherits. */
    if (fabs(g) >= 0x1p64) *sg = INFINITY;
    return x;
}

#endif
