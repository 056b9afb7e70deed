/*
 * SGD with momentum, dampening, Nesterov and L2 weight decay — fp32,
 * AVX-512F (16 lanes).
 *
 * Formula, sources and the fp32 operation order: kernels/scalar/sgd.c.
 * Every element goes through exactly the scalar kernel's IEEE binary32
 * operations in the same order (explicit FMAs where it calls fmaf), so the
 * output is bit-identical to it.
 *
 * Required ISA: AVX-512F (built with -mavx512f -ffp-contract=off).
 * The flags (l2, momentum, first step, nesterov) are specialised outside
 * the element loop.  Four vectors per iteration (SGD is purely
 * memory-bound), masked tail (avx512_ops.h), so no byte outside [0, n) is
 * read or written.
 */
#include "kernels/ob_kernels.h"
#include "avx512_ops.h"

/* Per-step scalars, broadcast once per call. */
typedef struct sgd_consts {
    __m512 wd, mu, omd, neg_lr;
} sgd_consts;

/* Elements i .. i+15: the scalar loop body of kernels/scalar/sgd.c. */
OB_AVX512_INLINE void sgd_vec(size_t i, float *p, const float *g, float *buf, const sgd_consts *k,
                              __mmask16 mask, const int masked, const int l2, const int momentum,
                              const int first, const int nesterov)
{
    __m512 pi = ob_load16(p + i, mask, masked);
    __m512 d = ob_load16(g + i, mask, masked);
    if (l2) d = _mm512_fmadd_ps(k->wd, pi, d);
    if (momentum) {
        __m512 b = first ? d
                         : _mm512_fmadd_ps(k->mu, ob_load16(buf + i, mask, masked), _mm512_mul_ps(k->omd, d));
        ob_store16(buf + i, b, mask, masked);
        d = nesterov ? _mm512_fmadd_ps(k->mu, b, d) : b;
    }
    ob_store16(p + i, _mm512_fmadd_ps(k->neg_lr, d, pi), mask, masked);
}

OB_AVX512_INLINE void sgd_body(size_t n, float *restrict p, const float *restrict g, float *restrict buf,
                               const ob_step_scalars *s, const int l2, const int momentum, const int first,
                               const int nesterov)
{
    const sgd_consts k = {
        .wd = _mm512_set1_ps(s->weight_decay),
        .mu = _mm512_set1_ps(s->momentum),
        .omd = _mm512_set1_ps(s->one_minus_dampening),
        .neg_lr = _mm512_set1_ps(-s->lr),
    };
#define VEC(i, mask, masked) sgd_vec(i, p, g, buf, &k, mask, masked, l2, momentum, first, nesterov)
#define PREFETCH(i) \
    do { \
        if (ob_prefetch_due(i)) { \
            ob_prefetch_block(p, i); \
            ob_prefetch_block(g, i); \
            if (momentum) ob_prefetch_block(buf, i); \
        } \
    } while (0)
    OB_AVX512_FOR_EACH4_PF(n, VEC, PREFETCH);
#undef PREFETCH
#undef VEC
}

void ob_sgd_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    float *buf = state ? state[0] : NULL;
    /* Specialise on the per-step flags so the element loop has no branch. */
    if (!s->has_momentum) {
        if (s->l2) sgd_body(n, p, g, buf, s, 1, 0, 0, 0);
        else sgd_body(n, p, g, buf, s, 0, 0, 0, 0);
        return;
    }
    const int l2 = s->l2 != 0, first = s->first_step != 0, nes = s->nesterov != 0;
    switch (l2 | first << 1 | nes << 2) {
    case 0: sgd_body(n, p, g, buf, s, 0, 1, 0, 0); break;
    case 1: sgd_body(n, p, g, buf, s, 1, 1, 0, 0); break;
    case 2: sgd_body(n, p, g, buf, s, 0, 1, 1, 0); break;
    case 3: sgd_body(n, p, g, buf, s, 1, 1, 1, 0); break;
    case 4: sgd_body(n, p, g, buf, s, 0, 1, 0, 1); break;
    case 5: sgd_body(n, p, g, buf, s, 1, 1, 0, 1); break;
    case 6: sgd_body(n, p, g, buf, s, 0, 1, 1, 1); break;
    default: sgd_body(n, p, g, buf, s, 1, 1, 1, 1); break;
    }
}
