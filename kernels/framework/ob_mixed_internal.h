/*
 * ob_mixed_internal.h — what mixed.c and mixed_q8.c share: one mixed
 * step's prepared run and the block step of the generic path.
 * Internal to kernels/framework/.
 */
#ifndef OB_MIXED_INTERNAL_H
#define OB_MIXED_INTERNAL_H

#include "kernels/framework/ob_mixed.h"

typedef struct ob_mixed_ctx {
    const ob_optimizer *o;
    const ob_format *f;
    const ob_cvt_ops *cv;
    ob_kernel_fn kernel;
    ob_fused_fn fused;
    ob_q8_fused_fn q8_fused; /* q8 state: the fused first pass, or NULL */
    ob_step_scalars s;
    unsigned mask; /* state arrays in use */
    size_t n_state;
    float inv_scale; /* fp16 gradients */
    int clip_value;  /* clamp the widened gradient */
    int clip_scaled; /* f32 gradients: scale by clip_scale first */
    float clip_scale;
    uint64_t key; /* stochastic rounding */
} ob_mixed_ctx;

/* Elements [lo, lo + m) of p and g with the state already widened to fp32
 * at st[k] (element lo at st[k][0]; NULL where unused): widen p and g,
 * run the fp32 kernel, round p back (in pieces of OB_MIXED_BLOCK). */
void ob_mixed_block_step(const ob_mixed_ctx *r, size_t lo, size_t m, void *p, const void *g, float *const *st);

/* The q8 step (mixed_q8.c): n elements, threads over whole blocks. */
void ob_mixed_q8_run(const ob_mixed_ctx *r, size_t n, void *p, const void *g, void *const *state, int threads);

#endif
