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

/* The scale of a hyperparameter or per-step scalar c that the kernel
 * receives rounded to fp32: |c|, or the rounding error in units of u where
 * that is larger.  For every c that fp32 represents as a normal number (or
 * exactly, e.g. 0) the error is at most u |c|, so this is |c| bit for bit;
 * below FLT_MIN (2^-126) the rounded value keeps only a few bits (lr =
 * 1e-45 becomes 2^-149 = 1.4e-45) and its error, up to 2^-150, is carried
 * here instead (README "Agreement bounds").  Past FLT_MAX the fp32 value is
 * infinite and so is the scale: outside the contract. */
static inline double ref_hp(double c)
{
    double a = fabs(c), e = fabs((double)(float)c - c) / OB_U32;
    return e > a ? e : a;
}

/* The scale of the gradient after weight decay, d = g + wd p: where it
 * reaches sqrt(FLT_MAX) = 2^64, d (or its square) can overflow in fp32 and
 * not in double, as for a gradient past 2^64 (ref_clip.h): outside the
 * contract, marked by an infinite scale that every output inherits. */
static inline double ref_d_scale(double sd)
{
    return sd >= 0x1p64 ? INFINITY : sd;
}

/* The scale of a value the kernel holds in fp32 (m, v, a sum of squares,
 * a quotient m / den): past FLT_MAX the fp32 value or one of its terms can
 * overflow where the double one does not, so the scale becomes infinite
 * (outside the contract) and every output computed from it inherits
 * that.  Below FLT_MAX this is s itself. */
static inline double ref_fp32_scale(double s)
{
    return s <= 0x1.fffffep127 ? s : INFINITY;
}

/* Whether a denominator den, known to within sden (absolute, in units of
 * u), can round to anything from 0 up in fp32: once B u sden reaches den
 * (B = 10, the longest path's count) the fp32 den may even be 0 (a v or a
 * sum of squares that underflows, with eps = 0 or below fp32's smallest
 * subnormal), and the quotient is not determined by fp32 arithmetic.
 * The callers then report an infinite scale.  With an eps that fp32
 * represents as a normal number this never happens: den >= eps, while
 * sden stays near sqrt(v). */
static inline int ref_den_indeterminate(double den, double sden)
{
    return 10 * OB_U32 * sden >= den;
}

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
