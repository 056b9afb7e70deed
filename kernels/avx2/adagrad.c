/*
 * Adagrad — fp32, AVX2 + FMA (8 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/adagrad.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf,
 * correctly rounded sqrt and division, never rsqrt/rcp), so the output is
 * bit-identical to it.
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 * The l2 flag is specialised outside the element loop.  The loop handles
 * 2 vectors per iteration; the last n % 8 elements run through the same
 * per-vector code with a masked load/store, so no byte outside [0, n) is
 * read or written.
 */
#include <immintrin.h>

#include "kernels/ob_kernels.h"
#include "kernels/ob_prefetch.h"

#define OB_AVX2_INLINE static inline __attribute__((always_inline))

/* Loads/stores 8 floats; with `masked`, only the lanes set in `mask`
 * (the others read as 0 and are not written). */
OB_AVX2_INLINE __m256 load8(const float *a, __m256i mask, const int masked)
{
    return masked ? _mm256_maskload_ps(a, mask) : _mm256_loadu_ps(a);
}

OB_AVX2_INLINE void store8(float *a, __m256 x, __m256i mask, const int masked)
{
    if (masked) _mm256_maskstore_ps(a, mask, x);
    else _mm256_storeu_ps(a, x);
}

/* Lanes 0 .. rem-1 set (1 <= rem <= 7). */
OB_AVX2_INLINE __m256i tail_mask8(size_t rem)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Per-step scalars, broadcast once per call. */
typedef struct adagrad_consts {
    __m256 wd, eps, neg_clr;
} adagrad_consts;

/* Elements i .. i+7: the scalar loop body of kernels/scalar/adagrad.c. */
OB_AVX2_INLINE void adagrad_vec(size_t i, float *p, const float *g, float *sum,
                                const adagrad_consts *k, __m256i mask,
                                const int masked, const int l2)
{
    __m256 pi = load8(p + i, mask, masked);
    __m256 d = load8(g + i, mask, masked);
    if (l2) d = _mm256_fmadd_ps(k->wd, pi, d);
    __m256 acc = _mm256_fmadd_ps(d, d, load8(sum + i, mask, masked));
    store8(sum + i, acc, mask, masked);
    __m256 den = _mm256_add_ps(_mm256_sqrt_ps(acc), k->eps);
    store8(p + i, _mm256_fmadd_ps(k->neg_clr, _mm256_div_ps(d, den), pi), mask, masked);
}

OB_AVX2_INLINE void adagrad_body(size_t n, float *restrict p, const float *restrict g,
                                 float *restrict sum, const ob_step_scalars *s,
                                 const int l2)
{
    const adagrad_consts k = {
        .wd = _mm256_set1_ps(s->weight_decay),
        .eps = _mm256_set1_ps(s->eps),
        .neg_clr = _mm256_set1_ps(-s->step_size),
    };
    const __m256i all = _mm256_setzero_si256();  /* unused when unmasked */
    size_t i = 0;
    const int pf = n >= OB_PREFETCH_MIN_N;
    for (; n - i >= 16; i += 16) {
        if (pf) {
            ob_prefetch_line(p, i);
            ob_prefetch_line(g, i);
            ob_prefetch_line(sum, i);
        }
        adagrad_vec(i, p, g, sum, &k, all, 0, l2);
        adagrad_vec(i + 8, p, g, sum, &k, all, 0, l2);
    }
    if (n - i >= 8) {
        adagrad_vec(i, p, g, sum, &k, all, 0, l2);
        i += 8;
    }
    if (i < n) adagrad_vec(i, p, g, sum, &k, tail_mask8(n - i), 1, l2);
}

void ob_adagrad_step_avx2(size_t n, float *p, const float *g, float *const *state,
                          const ob_step_scalars *s)
{
    if (s->l2) adagrad_body(n, p, g, state[0], s, 1);
    else adagrad_body(n, p, g, state[0], s, 0);
}
