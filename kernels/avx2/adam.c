/*
 * Adam / AdamW / AMSGrad — fp32, AVX2 + FMA (8 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/adam.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf, MAXPS
 * with its operand order where it calls ob_maxps, correctly rounded sqrt
 * and division, never rsqrt/rcp), so the output is bit-identical to it.
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 * The flags (l2, decoupled, amsgrad) are specialised outside the element
 * loop.  The loop handles 2 vectors per iteration; the last n % 8 elements
 * run through the same per-vector code with a masked load/store, so no
 * byte outside [0, n) is read or written.
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
typedef struct adam_consts {
    __m256 wd, decay, b1, omb1, b2, omb2, rs, eps, neg_step;
} adam_consts;

/* Elements i .. i+7: the scalar loop body of kernels/scalar/adam.c. */
OB_AVX2_INLINE void adam_vec(size_t i, float *p, const float *g, float *m,
                             float *v, float *vmax, const adam_consts *k,
                             __m256i mask, const int masked, const int l2,
                             const int decoupled, const int amsgrad)
{
    __m256 pi = load8(p + i, mask, masked);
    if (decoupled) pi = _mm256_mul_ps(pi, k->decay);
    __m256 d = load8(g + i, mask, masked);
    if (l2) d = _mm256_fmadd_ps(k->wd, pi, d);
    __m256 mi = _mm256_fmadd_ps(k->omb1, d, _mm256_mul_ps(k->b1, load8(m + i, mask, masked)));
    __m256 vi = _mm256_fmadd_ps(k->omb2, _mm256_mul_ps(d, d),
                                _mm256_mul_ps(k->b2, load8(v + i, mask, masked)));
    store8(m + i, mi, mask, masked);
    store8(v + i, vi, mask, masked);
    if (amsgrad) {
        vi = _mm256_max_ps(load8(vmax + i, mask, masked), vi);
        store8(vmax + i, vi, mask, masked);
    }
    __m256 den = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), k->rs, k->eps);
    store8(p + i, _mm256_fmadd_ps(k->neg_step, _mm256_div_ps(mi, den), pi), mask, masked);
}

OB_AVX2_INLINE void adam_body(size_t n, float *restrict p, const float *restrict g,
                              float *restrict m, float *restrict v,
                              float *restrict vmax, const ob_step_scalars *s,
                              const int l2, const int decoupled, const int amsgrad)
{
    const adam_consts k = {
        .wd = _mm256_set1_ps(s->weight_decay),
        .decay = _mm256_set1_ps(s->decay_factor),
        .b1 = _mm256_set1_ps(s->beta1),
        .omb1 = _mm256_set1_ps(s->one_minus_beta1),
        .b2 = _mm256_set1_ps(s->beta2),
        .omb2 = _mm256_set1_ps(s->one_minus_beta2),
        .rs = _mm256_set1_ps(s->inv_sqrt_bc2),
        .eps = _mm256_set1_ps(s->eps),
        .neg_step = _mm256_set1_ps(-s->step_size),
    };
    const __m256i all = _mm256_setzero_si256();  /* unused when unmasked */
    size_t i = 0;
    const int pf = n >= OB_PREFETCH_MIN_N;
    for (; n - i >= 16; i += 16) {
        if (pf) {
            ob_prefetch_line(p, i);
            ob_prefetch_line(g, i);
            ob_prefetch_line(m, i);
            ob_prefetch_line(v, i);
            if (amsgrad) ob_prefetch_line(vmax, i);
        }
        adam_vec(i, p, g, m, v, vmax, &k, all, 0, l2, decoupled, amsgrad);
        adam_vec(i + 8, p, g, m, v, vmax, &k, all, 0, l2, decoupled, amsgrad);
    }
    if (n - i >= 8) {
        adam_vec(i, p, g, m, v, vmax, &k, all, 0, l2, decoupled, amsgrad);
        i += 8;
    }
    if (i < n)
        adam_vec(i, p, g, m, v, vmax, &k, tail_mask8(n - i), 1, l2, decoupled, amsgrad);
}

void ob_adam_step_avx2(size_t n, float *p, const float *g, float *const *state,
                       const ob_step_scalars *s)
{
    float *m = state[0], *v = state[1], *vmax = state[2];
    const int l2 = s->l2 != 0, dec = s->decoupled != 0, ams = s->amsgrad != 0;
    switch (l2 | dec << 1 | ams << 2) {
    case 0: adam_body(n, p, g, m, v, vmax, s, 0, 0, 0); break;
    case 1: adam_body(n, p, g, m, v, vmax, s, 1, 0, 0); break;
    case 2: adam_body(n, p, g, m, v, vmax, s, 0, 1, 0); break;
    case 3: adam_body(n, p, g, m, v, vmax, s, 1, 1, 0); break;
    case 4: adam_body(n, p, g, m, v, vmax, s, 0, 0, 1); break;
    case 5: adam_body(n, p, g, m, v, vmax, s, 1, 0, 1); break;
    case 6: adam_body(n, p, g, m, v, vmax, s, 0, 1, 1); break;
    default: adam_body(n, p, g, m, v, vmax, s, 1, 1, 1); break;
    }
}
