/*
 * The SAM / ASAM ascent step, AVX-512F.  The operations and their order
 * are kernels/scalar/sam.c's (specified in kernels/framework/ob_sam.h), lane by
 * lane: x_hat = fma(scale, g, x); ASAM t = |x| + eta, q = t*g,
 * e = scale*q, x_hat = fma(e, t, x).  |x| clears the sign bit, as fabsf.
 * The ASAM sum of squares keeps the 16 double lanes of ob_reduce.h in two
 * 8-double accumulators (kernels/avx512/reduce.c's layout).
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 */
#include <math.h>

#include "kernels/framework/ob_reduce.h"
#include "kernels/framework/ob_sam.h"
#include "avx512_ops.h"

/* |x| by clearing the sign bit (AVX-512F has no andnot_ps; the integer
 * form is the same bits). */
OB_AVX512_INLINE __m512 abs16(__m512 x)
{
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

void ob_sam_perturb_avx512(size_t n, const float *x, const float *g, float *xhat, const ob_sam_scalars *s)
{
    const __m512 scale = _mm512_set1_ps(s->scale), eta = _mm512_set1_ps(s->eta);
    if (!s->adaptive) {
#define VEC(i, mask, masked) \
    ob_store16(xhat + (i), \
               _mm512_fmadd_ps(scale, ob_load16(g + (i), mask, masked), ob_load16(x + (i), mask, masked)), \
               mask, masked)
        OB_AVX512_FOR_EACH(n, VEC);
#undef VEC
        return;
    }
#define VEC(i, mask, masked) \
    do { \
        const __m512 xi = ob_load16(x + (i), mask, masked); \
        const __m512 t = _mm512_add_ps(abs16(xi), eta); \
        const __m512 q = _mm512_mul_ps(t, ob_load16(g + (i), mask, masked)); \
        const __m512 e = _mm512_mul_ps(scale, q); \
        ob_store16(xhat + (i), _mm512_fmadd_ps(e, t, xi), mask, masked); \
    } while (0)
    OB_AVX512_FOR_EACH(n, VEC);
#undef VEC
}

/* Adds one row of 16 elements into lanes lo (0-7) and hi (8-15).  Masked-off
 * lanes load x = g = 0: t = eta, w = 0, an exact zero added. */
OB_AVX512_INLINE void tgsq_row(size_t i, const float *x, const float *g, __m512 eta, __m512d *lo, __m512d *hi,
                               __mmask16 mask, const int masked)
{
    const __m512 t = _mm512_add_ps(abs16(ob_load16(x + i, mask, masked)), eta);
    const __m512 gv = ob_load16(g + i, mask, masked);
    const __m512d wl = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(t)),
                                     _mm512_cvtps_pd(_mm512_castps512_ps256(gv)));
    const __m512d wh = _mm512_mul_pd(
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1))),
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(gv), 1))));
    *lo = _mm512_fmadd_pd(wl, wl, *lo);
    *hi = _mm512_fmadd_pd(wh, wh, *hi);
}

double ob_sam_tgsq_avx512(size_t n, const float *x, const float *g, float eta_f)
{
    const __m512 eta = _mm512_set1_ps(eta_f);
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
#define VEC(i, mask, masked) tgsq_row(i, x, g, eta, &lo, &hi, mask, masked)
    OB_AVX512_FOR_EACH(n, VEC);
#undef VEC
    return ob_lanes16_finish(lo, hi);
}
