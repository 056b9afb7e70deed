/*
 * ob_agree.h — the single-step agreement measure of the numeric contract:
 * |x_fp32 - x_ref| <= B * u * S  (README "Agreement bounds").
 */
#ifndef OB_AGREE_H
#define OB_AGREE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Worst error of k (fp32 kernel output) against r (double reference
 * output), in units of u*S with u = 2^-24 and S the reference's per-element
 * error scale.  NaN must meet NaN and an infinity the same infinity
 * (otherwise +inf); where S is 0 the values must be equal; where S is
 * past FLT_MAX, +inf or NaN (the reference's mark for inputs outside the
 * contract, README "Agreement bounds": an fp32 intermediate may overflow
 * there) anything is accepted.  *at receives the worst
 * element (0 when n == 0). */
double ob_agree_error(const float *k, const double *r, const double *S, size_t n, size_t *at);

#ifdef __cplusplus
}
#endif
#endif
