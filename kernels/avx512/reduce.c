/*
 * Sum of squares in the fixed 16-lane order — AVX-512F.
 *
 * The order is specified in kernels/framework/ob_reduce.h and written out in
 * kernels/scalar/reduce.c.  One 16-float vector is one row of the 16
 * lanes: its low 8 floats are widened to doubles in `lo` (lanes 0-7), its
 * high 8 in `hi` (lanes 8-15), and each lane accumulates with a double FMA
 * (exact square, one rounding: the scalar kernel's x*x + acc).  Two rows
 * per iteration, accumulated one after the other, so every lane still
 * adds its elements in increasing order; the tail row is a masked load
 * whose missing lanes add exact zeros.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 */
#include <math.h>

#include "kernels/framework/ob_reduce.h"
#include "avx512_ops.h"

/* Adds one row of 16 elements, x[i .. i+15], into lanes lo (0-7), hi (8-15). */
OB_AVX512_INLINE void sumsq_row(size_t i, const float *x, __m512d *lo, __m512d *hi, __mmask16 mask,
                                const int masked)
{
    const __m512 v = ob_load16(x + i, mask, masked);
    const __m512d a = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    const __m512d b = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    *lo = _mm512_fmadd_pd(a, a, *lo);
    *hi = _mm512_fmadd_pd(b, b, *hi);
}

double ob_sumsq_avx512(size_t n, const float *x)
{
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
#define VEC(i, mask, masked) sumsq_row(i, x, &lo, &hi, mask, masked)
    OB_AVX512_FOR_EACH(n, VEC);
#undef VEC
    return ob_lanes16_finish(lo, hi);
}
