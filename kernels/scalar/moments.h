/*
 * moments.h — the Adam family's moment update for one element, shared by
 * the NAdam and RAdam scalar kernels.  Internal to kernels/scalar.
 *
 * fp32 operation order (kernels/scalar/adam.c's):
 *   p = p * decay_factor [decoupled];  d = fma(wd, p, g) [l2];
 *   m = fma(1-beta1, d, beta1*m);  v = fma(1-beta2, d*d, beta2*v)
 */
#ifndef OB_SCALAR_MOMENTS_H
#define OB_SCALAR_MOMENTS_H

#include "kernels/ob_kernels.h"
#include "scalar_ops.h"

/* The per-step scalars of the update, copied out of ob_step_scalars once
 * per call (a local copy: stores to the arrays cannot alias it, so the
 * compiler keeps it in registers). */
typedef struct ob_moment_consts {
    float wd, decay, b1, omb1, b2, omb2;
} ob_moment_consts;

OB_INLINE ob_moment_consts ob_moment_consts_of(const ob_step_scalars *s)
{
    const ob_moment_consts c = {s->weight_decay,    s->decay_factor, s->beta1,
                                s->one_minus_beta1, s->beta2,        s->one_minus_beta2};
    return c;
}

/* Updates *p (decay), *m and *v in the order above; returns d. */
OB_INLINE float ob_moments(const ob_moment_consts *c, float *p, float g, float *m, float *v, const int l2,
                           const int decoupled)
{
    if (decoupled) *p = *p * c->decay;
    float d = g;
    if (l2) d = fmaf(c->wd, *p, d);
    *m = fmaf(c->omb1, d, c->b1 * *m);
    *v = fmaf(c->omb2, d * d, c->b2 * *v);
    return d;
}

#endif
