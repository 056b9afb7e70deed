/*
 * clip.c — gradient clipping for every optimizer, and the blocked,
 * thread-count-independent sum of squares it needs (kernels/framework/ob_reduce.h
 * specifies both).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "ob_reduce.h"
#include "kernels/ob_isa.h"
#include "kernels/scalar/scalar_ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define INF HUGE_VAL

const ob_hparam_spec ob_clip_hparams[] = {
    {"clip_norm", offsetof(ob_hparams, clip_norm), OB_HP_REAL, 0, 0, INF, 0, 1,
     "clip the gradient's global L2 norm to this (torch clip_grad_norm_; 0 = off)"},
    {"clip_value", offsetof(ob_hparams, clip_value), OB_HP_REAL, 0, 0, INF, 0, 1,
     "clamp every gradient element to [-clip_value, clip_value] (torch clip_grad_value_; 0 = off)"},
};
const size_t ob_clip_hparam_count = sizeof ob_clip_hparams / sizeof ob_clip_hparams[0];

ob_sumsq_fn ob_sumsq_kernel(ob_isa isa)
{
    const ob_isa_table *t = ob_isa_table_of(isa);
    return t ? t->sumsq : NULL;
}

double ob_blocked_sum(size_t n, ob_block_sum_fn f, const void *ctx, int threads)
{
    const size_t nb = (n + OB_SUMSQ_BLOCK - 1) / OB_SUMSQ_BLOCK;
    if (nb <= 1) return f(ctx, 0, n);
    double total = 0;
    const int nt = ob_thread_count(n, threads);
    /* Threads compute block sums into an array; the sums are then added in
     * block order, exactly as the single-threaded loop below does.  Without
     * the array (one thread, or no memory for it) the loop runs alone. */
    double *part = nt > 1 ? malloc(nb * sizeof *part) : NULL;
    if (part) {
#pragma omp parallel for num_threads(nt) schedule(static)
        for (size_t b = 0; b < nb; b++) {
            const size_t lo = b * OB_SUMSQ_BLOCK;
            part[b] = f(ctx, lo, n - lo < OB_SUMSQ_BLOCK ? n - lo : OB_SUMSQ_BLOCK);
        }
        for (size_t b = 0; b < nb; b++) total = total + part[b];
        free(part);
    } else {
        for (size_t b = 0; b < nb; b++) {
            const size_t lo = b * OB_SUMSQ_BLOCK;
            total = total + f(ctx, lo, n - lo < OB_SUMSQ_BLOCK ? n - lo : OB_SUMSQ_BLOCK);
        }
    }
    return total != total ? (double)NAN : total;
}

typedef struct sumsq_ctx {
    ob_sumsq_fn f;
    const float *x;
} sumsq_ctx;

static double sumsq_block(const void *ctx, size_t lo, size_t len)
{
    const sumsq_ctx *c = ctx;
    return c->f(len, c->x + lo);
}

double ob_sumsq(ob_isa isa, size_t n, const float *x, int threads)
{
    const sumsq_ctx c = {ob_sumsq_kernel(isa), x};
    return ob_blocked_sum(n, sumsq_block, &c, threads);
}

double ob_clip_coef(double max_norm, double sumsq)
{
    /* torch: clip_coef = max_norm / (total_norm + 1e-6), then
     * clamp(max=1.0), which keeps a NaN. */
    const double c = max_norm / (sqrt(sumsq) + 1e-6);
    return c < 1.0 || c != c ? c : 1.0;
}

void ob_prepare_clip(const ob_hparams *h, ob_step_scalars *s)
{
    s->clip_norm = h->clip_norm;
    s->clip_value = h->clip_value;
}

int ob_clip_active(const ob_step_scalars *s)
{
    return s->clip_norm > 0 || s->clip_value > 0;
}

void ob_clip_grad(size_t n, const float *g, float *out, int scaled, float scale, double clip_value)
{
    const int clamp = clip_value > 0;
    const float c = (float)clip_value, neg_c = -c;
    for (size_t i = 0; i < n; i++) {
        float x = g[i];
        if (scaled) x = x * scale;
        /* torch clamp_min(-c) then clamp_max(c); MAXPS/MINPS return their
         * second operand (x) on NaN, so a NaN passes through. */
        if (clamp) x = ob_minps(c, ob_maxps(neg_c, x));
        out[i] = x;
    }
}

/* Runs k on [lo, lo + len) with the gradient clipped block by block into a
 * stack buffer. */
static void run_clipped_range(ob_kernel_fn k, size_t lo, size_t len, float *p, const float *g,
                              float *const *state, size_t n_state, const ob_step_scalars *s, int scaled,
                              float scale)
{
    float buf[OB_CLIP_BLOCK];
    for (size_t b = lo; b < lo + len; b += OB_CLIP_BLOCK) {
        const size_t m = lo + len - b < OB_CLIP_BLOCK ? lo + len - b : OB_CLIP_BLOCK;
        ob_clip_grad(m, g + b, buf, scaled, scale, s->clip_value);
        float *st[OB_MAX_STATE] = {0};
        for (size_t j = 0; j < n_state && j < OB_MAX_STATE; j++)
            st[j] = state && state[j] ? state[j] + b : NULL;
        k(m, p + b, buf, st, s);
    }
}

void ob_run_kernel_clipped(ob_isa isa, ob_kernel_fn k, size_t n, float *p, const float *g,
                           float *const *state, size_t n_state, const ob_step_scalars *s, int threads)
{
    if (n == 0) return;
    const int scaled = s->clip_norm > 0;
    const float scale = scaled ? (float)ob_clip_coef(s->clip_norm, ob_sumsq(isa, n, g, threads)) : 1.0f;
    const size_t nt = (size_t)ob_thread_count(n, threads);
    /* The chunks of ob_run_kernel_threaded. */
    const size_t chunk = ob_thread_chunk(n, nt);
#pragma omp parallel for num_threads((int)nt) schedule(static, 1) if (nt > 1)
    for (size_t c = 0; c < nt; c++) {
        const size_t lo = c * chunk;
        if (lo < n)
            run_clipped_range(k, lo, n - lo < chunk ? n - lo : chunk, p, g, state, n_state, s, scaled, scale);
    }
}
