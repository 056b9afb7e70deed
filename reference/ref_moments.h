/*
 * ref_moments.h — one element of the Adam family's first half, as torch
 * documents it, with the error scales of d, m and v (README "Agreement
 * bounds"); shared by the NAdam and RAdam references.  Internal to
 * reference/.
 *   theta_{t-1} = theta_{t-1} (1 - gamma lambda)     (decoupled weight decay)
 *   g_t = g_t + lambda theta_{t-1}                   (otherwise: L2)
 *   m_t = beta1 m_{t-1} + (1 - beta1) g_t
 *   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
 */
#ifndef OB_REF_MOMENTS_H
#define OB_REF_MOMENTS_H

#include <math.h>

#include "ref_clip.h"
#include "ref_scale.h"

typedef struct ref_moments {
    double p0;     /* |theta_{t-1}| before the decay */
    double d, sd;  /* the gradient after clipping and L2, its scale */
    double sm, sv; /* the scales of m_t and v_t */
} ref_moments;

/* Updates *p (decay), *m and *v for one element with gradient g. */
static inline ref_moments ref_adam_moments(const ref_clip *clip, double g, double lr, double wd,
                                           int decoupled, double b1, double b2, double *p, double *m,
                                           double *v)
{
    ref_moments r;
    const double wl2 = decoupled ? 0 : wd;
    r.p0 = fabs(*p);
    if (decoupled) *p = *p * (1 - lr * wd);
    double sg, gi = ref_clip_grad(clip, g, &sg);
    r.d = gi + wl2 * *p;
    r.sd = ref_d_scale(sg + ref_hp(wl2) * fabs(*p) + OB_ETA);
    r.sm = ref_fp32_scale(ref_hp(b1) * fabs(*m) + ref_hp(1 - b1) * r.sd + OB_ETA);
    r.sv = ref_fp32_scale(ref_hp(b2) * fabs(*v) + ref_hp(1 - b2) * r.sd * r.sd + OB_ETA);
    *m = b1 * *m + (1 - b1) * r.d;
    *v = b2 * *v + (1 - b2) * r.d * r.d;
    return r;
}

#endif
