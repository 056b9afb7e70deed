/*
 * RMSprop (optionally centered, with momentum) — fp32, AVX2 + FMA (8 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/rmsprop.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf, MAXPS
 * with its operand order where it calls ob_maxps, correctly rounded sqrt
 * and division, never rsqrt/rcp), so the output is bit-identical to it.
 *
 * Required ISA: AVX2 + FMA (built with -mavx2 -mfma -ffp-contract=off).
 * The flags (l2, centered, momentum) are specialised outside the element
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
typedef struct rmsprop_consts {
    __m256 wd, eps, neg_lr, a, oma, mu;
    __m256 sign;  /* -0.0f: XOR with it is the exact negation -x */
} rmsprop_consts;

/* Elements i .. i+7: the scalar loop body of kernels/scalar/rmsprop.c. */
OB_AVX2_INLINE void rmsprop_vec(size_t i, float *p, const float *g, float *sq,
                                float *buf, float *ga, const rmsprop_consts *k,
                                __m256i mask, const int masked, const int l2,
                                const int centered, const int momentum)
{
    __m256 pi = load8(p + i, mask, masked);
    __m256 d = load8(g + i, mask, masked);
    if (l2) d = _mm256_fmadd_ps(k->wd, pi, d);
    __m256 sqn = _mm256_fmadd_ps(k->oma, _mm256_mul_ps(d, d),
                                 _mm256_mul_ps(k->a, load8(sq + i, mask, masked)));
    store8(sq + i, sqn, mask, masked);
    __m256 r = sqn;
    if (centered) {
        __m256 gan = _mm256_fmadd_ps(k->oma, d, _mm256_mul_ps(k->a, load8(ga + i, mask, masked)));
        store8(ga + i, gan, mask, masked);
        /* t = fmaf(gan, gan, -sqn); r = fabsf(minps(0, t)) */
        __m256 t = _mm256_fmadd_ps(gan, gan, _mm256_xor_ps(sqn, k->sign));
        r = _mm256_andnot_ps(k->sign, _mm256_min_ps(_mm256_setzero_ps(), t));
    }
    __m256 q = _mm256_div_ps(d, _mm256_add_ps(_mm256_sqrt_ps(r), k->eps));
    if (momentum) {
        q = _mm256_fmadd_ps(k->mu, load8(buf + i, mask, masked), q);
        store8(buf + i, q, mask, masked);
    }
    store8(p + i, _mm256_fmadd_ps(k->neg_lr, q, pi), mask, masked);
}

OB_AVX2_INLINE void rmsprop_body(size_t n, float *restrict p, const float *restrict g,
                                 float *restrict sq, float *restrict buf,
                                 float *restrict ga, const ob_step_scalars *s,
                                 const int l2, const int centered, const int momentum)
{
    const rmsprop_consts k = {
        .wd = _mm256_set1_ps(s->weight_decay),
        .eps = _mm256_set1_ps(s->eps),
        .neg_lr = _mm256_set1_ps(-s->lr),
        .a = _mm256_set1_ps(s->alpha),
        .oma = _mm256_set1_ps(s->one_minus_alpha),
        .mu = _mm256_set1_ps(s->momentum),
        .sign = _mm256_set1_ps(-0.0f),
    };
    const __m256i all = _mm256_setzero_si256();  /* unused when unmasked */
    size_t i = 0;
    const int pf = n >= OB_PREFETCH_MIN_N;
    for (; n - i >= 16; i += 16) {
        if (pf) {
            ob_prefetch_line(p, i);
            ob_prefetch_line(g, i);
            ob_prefetch_line(sq, i);
            if (momentum) ob_prefetch_line(buf, i);
            if (centered) ob_prefetch_line(ga, i);
        }
        rmsprop_vec(i, p, g, sq, buf, ga, &k, all, 0, l2, centered, momentum);
        rmsprop_vec(i + 8, p, g, sq, buf, ga, &k, all, 0, l2, centered, momentum);
    }
    if (n - i >= 8) {
        rmsprop_vec(i, p, g, sq, buf, ga, &k, all, 0, l2, centered, momentum);
        i += 8;
    }
    if (i < n)
        rmsprop_vec(i, p, g, sq, buf, ga, &k, tail_mask8(n - i), 1, l2, centered, momentum);
}

void ob_rmsprop_step_avx2(size_t n, float *p, const float *g, float *const *state,
                          const ob_step_scalars *s)
{
    float *sq = state[0], *buf = state[1], *ga = state[2];
    const int l2 = s->l2 != 0, c = s->centered != 0, m = s->has_momentum != 0;
    switch (l2 | c << 1 | m << 2) {
    case 0: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 0, 0); break;
    case 1: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 0, 0); break;
    case 2: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 1, 0); break;
    case 3: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 1, 0); break;
    case 4: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 0, 1); break;
    case 5: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 0, 1); break;
    case 6: rmsprop_body(n, p, g, sq, buf, ga, s, 0, 1, 1); break;
    default: rmsprop_body(n, p, g, sq, buf, ga, s, 1, 1, 1); break;
    }
}
