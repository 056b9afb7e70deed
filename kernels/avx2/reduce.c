/*
 * Sum of squares in the fixed 16-lane order — AVX2 + FMA.
 *
 * The order is specified in kernels/framework/ob_reduce.h and written out in
 * kernels/scalar/reduce.c.  AVX2 has 8 float lanes, so the 16 lanes are
 * emulated: a row of 16 elements is two 8-float vectors, the first
 * accumulating into lanes 0-7 (a0: 0-3, a1: 4-7), the second into lanes
 * 8-15 (a2: 8-11, a3: 12-15), each a 4-double accumulator updated with a
 * double FMA (exact square, one rounding: the scalar kernel's x*x + acc).
 * The tail (n % 16 elements) runs the same code with masked loads; the
 * lanes it does not reach add exact zeros.
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 */
#include <math.h>

#include "kernels/framework/ob_reduce.h"
#include "avx2_ops.h"

/* Adds 8 elements x[i .. i+7] into the lanes (lo: first 4, hi: last 4). */
OB_AVX2_INLINE void sumsq_half(size_t i, const float *x, __m256d *lo, __m256d *hi, __m256i mask,
                               const int masked)
{
    const __m256 v = ob_load8(x + i, mask, masked);
    const __m256d a = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    const __m256d b = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    *lo = _mm256_fmadd_pd(a, a, *lo);
    *hi = _mm256_fmadd_pd(b, b, *hi);
}

double ob_sumsq_avx2(size_t n, const float *x)
{
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    const __m256i all = _mm256_setzero_si256(); /* unused when unmasked */
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        sumsq_half(i, x, &a0, &a1, all, 0);
        sumsq_half(i + 8, x, &a2, &a3, all, 0);
    }
    const size_t rem = n - i; /* 0 .. 15 */
    if (rem >= 8) {
        sumsq_half(i, x, &a0, &a1, all, 0);
        if (rem > 8) sumsq_half(i + 8, x, &a2, &a3, ob_tail_mask8(rem - 8), 1);
    } else if (rem > 0) {
        sumsq_half(i, x, &a0, &a1, ob_tail_mask8(rem), 1);
    }
    return ob_lanes16_finish(a0, a1, a2, a3);
}
