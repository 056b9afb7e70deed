#include "harness/testkit/ob_testkit.h"

#include <float.h>
#include <math.h>

double ob_agree_error(const float *k, const double *r, const double *S, size_t n, size_t *at)
{
    double worst = 0;
    *at = 0;
    for (size_t i = 0; i < n; i++) {
        double x = (double)k[i], e;
        /* S past FLT_MAX, +inf or NaN: the reference marks an element
         * outside the contract (a gradient past sqrt(FLT_MAX), where fp32
         * overflows and double does not, reference/ref_clip.h; a state or
         * denominator fp32 cannot hold, reference/ref_scale.h); and where
         * the scale itself exceeds FLT_MAX, so may an fp32 intermediate.
         * Anything is accepted. */
        if (!(S[i] <= FLT_MAX)) e = 0;
        else if (isnan(r[i]) || isnan(x)) e = isnan(r[i]) && isnan(x) ? 0 : INFINITY;
        else if (isinf(r[i]) || isinf(x)) e = x == r[i] ? 0 : INFINITY;
        else if (S[i] == 0) e = x == r[i] ? 0 : INFINITY;
        else e = fabs(x - r[i]) / (0x1p-24 * S[i]);
        if (e > worst) {
            worst = e;
            *at = i;
        }
    }
    return worst;
}
