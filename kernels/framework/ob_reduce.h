/*
 * ob_reduce.h — fixed-order reductions and gradient clipping.
 *
 * Gradient clipping is an option of every optimizer, not of any one table
 * entry: the generic keys clip_norm and clip_value (ob_clip_hparams below)
 * are accepted by ob_hparam_set / ob_validate for every optimizer, each
 * optimizer's prepare copies them into ob_step_scalars (ob_prepare_clip),
 * and the step runner (ob_run_kernel_threaded, hence ob_step and
 * ob_step_threaded) applies them before the kernel:
 *
 *   clip_norm > 0:  g <- g * min(clip_norm / (||g||_2 + 1e-6), 1)
 *                   (torch.nn.utils.clip_grad_norm_, norm_type = 2, over
 *                   the n elements of the step)
 *   clip_value > 0: g <- clamp(g, -clip_value, clip_value)
 *                   (torch.nn.utils.clip_grad_value_)
 *
 * With both, the norm is taken of the raw gradient, the scale applied
 * first and the clamp second (clip_grad_norm_ then clip_grad_value_).
 * Where it happens: the kernels take `const float *g`, and the caller's
 * gradient is never modified, so the runner clips blocks of
 * OB_CLIP_BLOCK elements into a buffer on its own stack (in L1) and runs
 * the unchanged kernel on each block.  Every kernel is element-wise, so
 * the blocks give exactly the result of one call, and clipping costs no
 * kernel of any ISA a change; the clipping operations themselves (one fp32
 * multiply by the fp32 scale, then MAXPS/MINPS-ordered clamps) are one C
 * function shared by every ISA.  The norm is one extra read of g.
 *
 * The norm's sum of squares has one fixed order, identical in every ISA
 * and for every thread count (README "Reductions"):
 *   - each fp32 element is widened to double and squared exactly (a 24-bit
 *     significand squared fits in 53 bits, and the exponent range of
 *     double holds every fp32 square);
 *   - within a block of OB_SUMSQ_BLOCK elements, lane j (0 <= j < 16)
 *     accumulates the elements i = j (mod 16) in increasing i, in double,
 *     from +0; then a fixed pairwise tree: for h = 8, 4, 2, 1,
 *     lane[j] += lane[j + h] (j < h);
 *   - block sums are added in block order, in double, from +0.
 * The scalar kernel runs the 16 lanes as an array, AVX2 as four 4-double
 * accumulators (two 8-float vectors make one 16-element row), AVX-512 as
 * two 8-double accumulators; masked tails add exact zeros.  A NaN result
 * is returned as the canonical quiet NaN, because which of two NaN
 * operands an addition returns depends on the operand order the compiler
 * chose.  The relative error of the sum is at most gamma_K, K = (elements
 * per lane per block) + 4 + (number of blocks) (Higham 2002, §4.2), far
 * below fp32's u.
 */
#ifndef OB_REDUCE_H
#define OB_REDUCE_H

#include <math.h>
#include <stddef.h>

#include "optbench/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OB_SUMSQ_LANES 16
/* Elements per block of the blocked (threadable) reduction: a multiple of
 * 16, so every block starts at lane 0. */
#define OB_SUMSQ_BLOCK ((size_t)1 << 16)
/* Elements clipped into the runner's stack buffer per kernel call. */
#define OB_CLIP_BLOCK 1024

/* Sum of x[i]^2 over one block in the fixed order above, in double.
 * n == 0 returns +0; x needs no alignment; n may be any size, but
 * ob_sumsq splits into blocks.  Required ISA: as the suffix (see
 * ob_kernels.h); call through ob_sumsq_kernel (the ISA table's,
 * kernels/ob_isa.h), which checks nothing, or ob_sumsq, which needs a
 * supported isa. */
double ob_sumsq_scalar(size_t n, const float *x);
double ob_sumsq_avx2(size_t n, const float *x);
double ob_sumsq_avx512(size_t n, const float *x);

typedef double (*ob_sumsq_fn)(size_t n, const float *x);
/* The block kernel of an ISA; NULL where it was not compiled. */
ob_sumsq_fn ob_sumsq_kernel(ob_isa isa);

/* The fixed pairwise tree over the 16 lane sums (shared by every ISA). */
static inline double ob_sumsq_tree(double lane[OB_SUMSQ_LANES])
{
    for (int h = OB_SUMSQ_LANES / 2; h >= 1; h /= 2)
        for (int j = 0; j < h; j++) lane[j] = lane[j] + lane[j + h];
    return lane[0];
}

/* The end of every block kernel: the tree, and a NaN made canonical
 * (which of two NaN operands an addition returns depends on the operand
 * order the compiler chose). */
static inline double ob_sumsq_finish(double lane[OB_SUMSQ_LANES])
{
    const double r = ob_sumsq_tree(lane);
    return r != r ? (double)NAN : r;
}

/* The blocked order of every reduction here: f(ctx, lo, len) reduces the
 * block [lo, lo + len) (len <= OB_SUMSQ_BLOCK, lo a multiple of it), on
 * up to `threads` threads (<= 0: OpenMP's default; at most one per
 * OB_THREAD_MIN_CHUNK elements); the block sums are added in block order
 * from +0, so the result does not depend on the thread count.  A NaN
 * total comes back as the canonical NaN.  (ob_sumsq, and ASAM's norm in
 * kernels/framework/ob_sam.h.) */
typedef double (*ob_block_sum_fn)(const void *ctx, size_t lo, size_t len);
double ob_blocked_sum(size_t n, ob_block_sum_fn f, const void *ctx, int threads);

/* The whole reduction: blocks of OB_SUMSQ_BLOCK elements reduced with the
 * isa's kernel (on up to `threads` threads, <= 0: OpenMP's default; at
 * most one per OB_THREAD_MIN_CHUNK elements), block sums added in block
 * order.  Bit-identical for every isa and every thread count.  isa must
 * be supported (ob_isa_supported). */
double ob_sumsq(ob_isa isa, size_t n, const float *x, int threads);

/* torch's clip coefficient: min(max_norm / (sqrt(sumsq) + 1e-6), 1), in
 * double.  A NaN norm gives NaN (torch.clamp propagates it: every element
 * becomes NaN); an infinite norm gives 0 (finite elements become +-0, an
 * infinite one NaN), as torch with error_if_nonfinite = False. */
double ob_clip_coef(double max_norm, double sumsq);

/* Generic clipping hyperparameters ("clip_norm", "clip_value"; 0 = off,
 * range [0, inf)), known to ob_hparam_find / ob_hparam_set / ob_validate
 * for every optimizer, after the optimizer's own keys. */
extern const ob_hparam_spec ob_clip_hparams[];
extern const size_t ob_clip_hparam_count;

/* Copies the clipping hyperparameters into s (every prepare calls it). */
void ob_prepare_clip(const ob_hparams *h, ob_step_scalars *s);
/* Nonzero if s asks for clipping. */
int ob_clip_active(const ob_step_scalars *s);
/* Clips n gradient elements into out: x = g * scale (when scaled), then
 * x = minps(c, maxps(-c, x)) with c = (float)clip_value (when clip_value
 * > 0); a NaN passes through both clamps, as in torch.clamp. */
void ob_clip_grad(size_t n, const float *g, float *out, int scaled, float scale, double clip_value);
/* ob_run_kernel_threaded with s's clipping: the norm (if asked) with
 * isa's reduction (the caller passes the ISA of k, so a step's reduction
 * runs on the kernel's own ISA; the reduction is bit-identical in every
 * ISA, so the choice never changes a result), then the kernel over
 * clipped blocks, chunked across threads like ob_run_kernel_threaded.  g
 * is not modified. */
void ob_run_kernel_clipped(ob_isa isa, ob_kernel_fn k, size_t n, float *p, const float *g,
                           float *const *state, size_t n_state, const ob_step_scalars *s, int threads);

#ifdef __cplusplus
}
#endif
#endif
