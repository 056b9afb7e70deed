/*
 * The SAM / ASAM ascent step, AVX2 + FMA.  The operations and their order
 * are kernels/scalar/sam.c's (specified in kernels/framework/ob_sam.h), lane by
 * lane: x_hat = fma(scale, g, x); ASAM t = |x| + eta, q = t*g,
 * e = scale*q, x_hat = fma(e, t, x).  |x| clears the sign bit, as fabsf.
 * The ASAM sum of squares emulates the 16 double lanes of ob_reduce.h as
 * four 4-double accumulators (kernels/avx2/reduce.c's layout).
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 */
#include <math.h>

#include "kernels/framework/ob_reduce.h"
#include "kernels/framework/ob_sam.h"
#include "avx2_ops.h"

OB_AVX2_INLINE __m256 abs8(__m256 x)
{
    return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
}

void ob_sam_perturb_avx2(size_t n, const float *x, const float *g, float *xhat, const ob_sam_scalars *s)
{
    const __m256 scale = _mm256_set1_ps(s->scale), eta = _mm256_set1_ps(s->eta);
    if (!s->adaptive) {
#define VEC(i, mask, masked) \
    ob_store8(xhat + (i), \
              _mm256_fmadd_ps(scale, ob_load8(g + (i), mask, masked), ob_load8(x + (i), mask, masked)), \
              mask, masked)
        OB_AVX2_FOR_EACH(n, VEC);
#undef VEC
        return;
    }
#define VEC(i, mask, masked) \
    do { \
        const __m256 xi = ob_load8(x + (i), mask, masked); \
        const __m256 t = _mm256_add_ps(abs8(xi), eta); \
        const __m256 q = _mm256_mul_ps(t, ob_load8(g + (i), mask, masked)); \
        const __m256 e = _mm256_mul_ps(scale, q); \
        ob_store8(xhat + (i), _mm256_fmadd_ps(e, t, xi), mask, masked); \
    } while (0)
    OB_AVX2_FOR_EACH(n, VEC);
#undef VEC
}

/* Adds 8 elements i .. i+7 into lanes lo (first 4) and hi (last 4).
 * Masked-off lanes load x = g = 0: t = eta, w = 0, an exact zero added. */
OB_AVX2_INLINE void tgsq_half(size_t i, const float *x, const float *g, __m256 eta, __m256d *lo, __m256d *hi,
                              __m256i mask, const int masked)
{
    const __m256 t = _mm256_add_ps(abs8(ob_load8(x + i, mask, masked)), eta);
    const __m256 gv = ob_load8(g + i, mask, masked);
    const __m256d wl = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(t)),
                                     _mm256_cvtps_pd(_mm256_castps256_ps128(gv)));
    const __m256d wh = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)),
                                     _mm256_cvtps_pd(_mm256_extractf128_ps(gv, 1)));
    *lo = _mm256_fmadd_pd(wl, wl, *lo);
    *hi = _mm256_fmadd_pd(wh, wh, *hi);
}

double ob_sam_tgsq_avx2(size_t n, const float *x, const float *g, float eta_f)
{
    const __m256 eta = _mm256_set1_ps(eta_f);
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    const __m256i all = _mm256_setzero_si256(); /* unused when unmasked */
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        tgsq_half(i, x, g, eta, &a0, &a1, all, 0);
        tgsq_half(i + 8, x, g, eta, &a2, &a3, all, 0);
    }
    const size_t rem = n - i; /* 0 .. 15 */
    if (rem >= 8) {
        tgsq_half(i, x, g, eta, &a0, &a1, all, 0);
        if (rem > 8) tgsq_half(i + 8, x, g, eta, &a2, &a3, ob_tail_mask8(rem - 8), 1);
    } else if (rem > 0) {
        tgsq_half(i, x, g, eta, &a0, &a1, ob_tail_mask8(rem), 1);
    }
    return ob_lanes16_finish(a0, a1, a2, a3);
}
