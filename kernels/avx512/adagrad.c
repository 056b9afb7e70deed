/*
 * Adagrad — fp32, AVX-512F (16 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/adagrad.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf,
 * correctly rounded sqrt and division, never rsqrt/rcp), so the output is
 * bit-identical to it.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 * The l2 flag is specialised outside the element loop.  The loop handles
 * 2 vectors per iteration; the last n % 16 elements run through the same
 * per-vector code with a masked load/store, so no byte outside [0, n) is
 * read or written.
 */
#include <immintrin.h>

#include "kernels/ob_kernels.h"
#include "avx512_ops.h"

#define OB_AVX512_INLINE static inline __attribute__((always_inline))

/* Loads/stores 16 floats; with `masked`, only the lanes set in `mask`
 * (the others read as 0 and are not written). */
OB_AVX512_INLINE __m512 load16(const float *a, __mmask16 mask, const int masked)
{
    return masked ? _mm512_maskz_loadu_ps(mask, a) : _mm512_loadu_ps(a);
}

OB_AVX512_INLINE void store16(float *a, __m512 x, __mmask16 mask, const int masked)
{
    if (masked) _mm512_mask_storeu_ps(a, mask, x);
    else _mm512_storeu_ps(a, x);
}

/* Lanes 0 .. rem-1 set (1 <= rem <= 15). */
OB_AVX512_INLINE __mmask16 tail_mask16(size_t rem)
{
    return (__mmask16)((1u << rem) - 1u);
}

/* Per-step scalars, broadcast once per call. */
typedef struct adagrad_consts {
    __m512 wd, eps, neg_clr;
} adagrad_consts;

/* Elements i .. i+15: the scalar loop body of kernels/scalar/adagrad.c. */
OB_AVX512_INLINE void adagrad_vec(size_t i, float *p, const float *g, float *sum,
                                  const adagrad_consts *k, __mmask16 mask,
                                  const int masked, const int l2)
{
    __m512 pi = load16(p + i, mask, masked);
    __m512 d = load16(g + i, mask, masked);
    if (l2) d = _mm512_fmadd_ps(k->wd, pi, d);
    __m512 acc = _mm512_fmadd_ps(d, d, load16(sum + i, mask, masked));
    store16(sum + i, acc, mask, masked);
    __m512 den = _mm512_add_ps(_mm512_sqrt_ps(acc), k->eps);
    store16(p + i, _mm512_fmadd_ps(k->neg_clr, _mm512_div_ps(d, den), pi), mask, masked);
}

OB_AVX512_INLINE void adagrad_body(size_t n, float *restrict p, const float *restrict g,
                                   float *restrict sum, const ob_step_scalars *s,
                                   const int l2)
{
    const adagrad_consts k = {
        .wd = _mm512_set1_ps(s->weight_decay),
        .eps = _mm512_set1_ps(s->eps),
        .neg_clr = _mm512_set1_ps(-s->step_size),
    };
    const __mmask16 all = 0xFFFF;  /* unused when unmasked */
    size_t i = 0;
    const int pf = n >= OB_PREFETCH_MIN_N;
    for (; n - i >= 32; i += 32) {
        if (pf) {
            ob_prefetch_ahead(p, i);
            ob_prefetch_ahead(g, i);
            ob_prefetch_ahead(sum, i);
        }
        adagrad_vec(i, p, g, sum, &k, all, 0, l2);
        adagrad_vec(i + 16, p, g, sum, &k, all, 0, l2);
    }
    if (n - i >= 16) {
        adagrad_vec(i, p, g, sum, &k, all, 0, l2);
        i += 16;
    }
    if (i < n) adagrad_vec(i, p, g, sum, &k, tail_mask16(n - i), 1, l2);
}

void ob_adagrad_step_avx512(size_t n, float *p, const float *g, float *const *state,
                            const ob_step_scalars *s)
{
    if (s->l2) adagrad_body(n, p, g, state[0], s, 1);
    else adagrad_body(n, p, g, state[0], s, 0);
}
