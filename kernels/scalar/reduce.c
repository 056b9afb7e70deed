/*
 * Sum of squares in the fixed 16-lane order — fp32 input, double
 * accumulation, scalar.  The order is specified in kernels/framework/ob_reduce.h:
 * lane j accumulates x[i]^2 for i = j (mod 16) in increasing i, from +0,
 * then the fixed pairwise tree.  The vector kernels (kernels/avx2/reduce.c,
 * kernels/avx512/reduce.c) perform the same double additions, lane by
 * lane, so the results are bit-identical.  Squares are exact in double, so
 * x*x followed by an addition equals the fused fma(x, x, acc) the vector
 * kernels use.  Built with -fno-tree-vectorize like every scalar kernel
 * (vectorising would not change the result, but this file is the
 * reference order and should read as such in a debugger).
 */
#include <math.h>

#include "kernels/framework/ob_reduce.h"

double ob_sumsq_scalar(size_t n, const float *x)
{
    double lane[OB_SUMSQ_LANES] = {0};
    size_t i = 0;
    for (; n - i >= OB_SUMSQ_LANES; i += OB_SUMSQ_LANES)
        for (size_t j = 0; j < OB_SUMSQ_LANES; j++) {
            const double xi = x[i + j];
            lane[j] = lane[j] + xi * xi;
        }
    /* The tail: lanes past n - i would add exact zeros, i.e. nothing. */
    for (size_t j = 0; i + j < n; j++) {
        const double xi = x[i + j];
        lane[j] = lane[j] + xi * xi;
    }
    return ob_sumsq_finish(lane);
}
