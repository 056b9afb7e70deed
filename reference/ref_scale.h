/*
 * ref_scale.h — helpers for the error scales the references report.
 * Internal to reference/.
 */
#ifndef OB_REF_SCALE_H
#define OB_REF_SCALE_H

#include <math.h>
#include <stddef.h>

/* Unit roundoff of IEEE binary32. */
#define OB_U32 0x1p-24

/* With gradual underflow every fp32 operation returns x(1 + delta) + eta,
 * |delta| <= u, |eta| <= 2^-150: the absolute part matters once results
 * are subnormal.  In units of u, eta is 2^-150 / 2^-24 = 2^-126
 * (FLT_MIN), so each operation adds OB_ETA to the scale of its result. */
#define OB_ETA 0x1p-126

/* Writes v to scale[k][i] when that array was asked for. */
static inline void ref_put_scale(double *const *scale, size_t k, size_t i, double v)
{
    if (scale && scale[k]) scale[k][i] = v;
}

/* Error scale (in units of u) of sqrt(A), when A is known to within a few
 * u * SA.  Away from zero the root halves the relative error: SA/(2 sqrt A).
 * Near zero the root is not Lipschitz: an absolute error e in A moves the
 * root by up to sqrt(e), i.e. sqrt(SA/u) units of u.  The smaller applies. */
static inline double ref_root_scale(double A, double SA)
{
    double near_zero = sqrt(SA / OB_U32);
    if (A <= 0) return near_zero;
    double linear = SA / (2.0 * sqrt(A));
    return linear < near_zero ? linear : near_zero;
}

#endif
