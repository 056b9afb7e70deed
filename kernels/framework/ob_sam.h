/*
 * ob_sam.h — the ascent step of sharpness-aware minimization (SAM) and of
 * its adaptive form (ASAM), a generic option of every optimizer.
 *
 * SAM (Foret et al. 2021, Alg. 1) wraps any base optimizer.  Each step:
 *
 *   g      = grad f(x)                  on the step's mini-batch
 *   eps    = rho * g / (||g||_2 + 1e-12)
 *   x_hat  = x + eps                    (x itself is not changed)
 *   g_sam  = grad f(x_hat)              on the SAME mini-batch
 *   x      <- base optimizer step at x with g_sam
 *
 * ASAM (Kwon et al. 2021, §4 and Alg. 1) measures the neighbourhood in the
 * coordinates of the weights, T = diag(|x| + eta):
 *
 *   eps    = rho * T^2 g / (||T g||_2 + 1e-12)
 *
 * The paper's rho is the L2 radius of eps (SAM) or of T^-1 eps (ASAM).
 * The 1e-12 is not in either paper (the authors' JAX code for SAM divides
 * by ||g|| alone; the ASAM authors' code adds 1e-16, and applies T to
 * weight matrices only, where here it applies to every element): it is
 * the widely used
 * PyTorch implementation's (davda54/sam, which implements both), so that
 * g = 0 gives eps = 0 (x_hat = x) instead of 0/0.  A NaN norm makes every
 * x_hat NaN; an infinite norm gives scale 0 (an infinite element of g
 * becomes NaN), as in that implementation.
 *
 * Keys (generic: accepted by ob_hparam_set / ob_validate for every
 * optimizer, like the clipping keys of ob_reduce.h):
 *   sam_rho       >= 0, finite; 0 = off (default).  Foret et al. use 0.05;
 *                 ASAM needs a larger radius, since T shrinks the ball
 *                 (the ASAM authors' code defaults to 0.5; davda54/sam
 *                 suggests 2.0 with adaptive).
 *   sam_adaptive  0/1: ASAM instead of SAM (default 0).
 *   sam_eta       > 0, finite: ASAM's eta (default 0.01, Kwon et al.).
 *
 * ob_step never evaluates gradients, so it ignores these keys: the caller
 * (the trajectory engine, harness/engine/engine.c) computes x_hat with ob_sam_perturb,
 * evaluates the gradient there, and passes g_sam to ob_step.  The
 * perturbation uses the raw gradient; clipping (ob_reduce.h), when set,
 * applies to g_sam inside the base step.
 *
 * Numerics, identical in every ISA and for every thread count:
 *   - the norm: SAM uses ob_sumsq (the fixed 16-lane order of
 *     ob_reduce.h); ASAM sums (t_i g_i)^2 in the same order
 *     (ob_sam_tgsq_<isa>), with t_i = fp32(|x_i| + fp32(eta)) exactly as
 *     the element kernel computes it, t_i g_i exact in double (two 24-bit
 *     significands) and the square added with one double FMA
 *     (lane += w*w rounded once; the scalar kernel calls fma());
 *   - scale = rho / (sqrt(sum) + 1e-12) in double, rounded to fp32 once;
 *   - per element, in fp32, FMAs explicit:
 *       SAM:   x_hat = fma(scale, g, x)
 *       ASAM:  t = |x| + eta;  q = t * g;  e = scale * q;
 *              x_hat = fma(e, t, x)
 *     (e = rho t g/||T g|| lies in [-rho, rho]; q overflows only where
 *     |t g| > FLT_MAX, outside the contract.  scale * t first would
 *     overflow for g = 0, where scale = rho/1e-12, and give 0*inf = NaN).
 * Against the double reference (ob_ref_sam_perturb) each x_hat agrees
 * within B u S, S = |x| + |eps| (plus underflow terms), B =
 * OB_SAM_AGREE_BOUND / OB_ASAM_AGREE_BOUND (README "SAM and ASAM").
 */
#ifndef OB_SAM_H
#define OB_SAM_H

#include <stddef.h>

#include "optbench/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The constant in the denominator of the ascent step (see above). */
#define OB_SAM_NORM_EPS 1e-12

/* Agreement of x_hat with the reference, in u*S (README "SAM and ASAM"):
 * SAM: the scale's rounding (u on eps) and the fma (u on x_hat), plus the
 * double norm's error; ASAM: t twice (2u each: eta rounded, the add), the
 * norm of the fp32 t (2u), the scale (u), q and e (u each) on eps, and
 * the fma, plus second-order terms. */
#define OB_SAM_AGREE_BOUND 3.0
#define OB_ASAM_AGREE_BOUND 11.0

/* The fp32 scalars of one perturbation (ob_sam_prepare). */
typedef struct ob_sam_scalars {
    float scale; /* rho / (||g|| + 1e-12) or rho / (||T g|| + 1e-12) */
    float eta;   /* ASAM: fp32(sam_eta) */
    int adaptive;
} ob_sam_scalars;

/* x_hat = x + eps for n elements (the operations above).  n == 0 is a
 * no-op; no alignment needed; xhat may be x itself, but must not
 * otherwise overlap x or g.  Required ISA: as the suffix (ob_kernels.h);
 * call through ob_sam_perturb, which checks the CPU. */
void ob_sam_perturb_scalar(size_t n, const float *x, const float *g, float *xhat, const ob_sam_scalars *s);
void ob_sam_perturb_avx2(size_t n, const float *x, const float *g, float *xhat, const ob_sam_scalars *s);
void ob_sam_perturb_avx512(size_t n, const float *x, const float *g, float *xhat, const ob_sam_scalars *s);
typedef void (*ob_sam_perturb_fn)(size_t n, const float *x, const float *g, float *xhat,
                                  const ob_sam_scalars *s);
/* The element kernel of an ISA; NULL where it was not compiled. */
ob_sam_perturb_fn ob_sam_perturb_kernel(ob_isa isa);

/* Sum over one block of ((double)t_i * g_i)^2, t_i = fp32(|x_i| + eta),
 * in the 16-lane order of ob_reduce.h (lane j: i = j mod 16, increasing i,
 * lane = fma(w, w, lane)), then the fixed tree; a NaN comes back as the
 * canonical NaN.  Same ISA rules as above. */
double ob_sam_tgsq_scalar(size_t n, const float *x, const float *g, float eta);
double ob_sam_tgsq_avx2(size_t n, const float *x, const float *g, float eta);
double ob_sam_tgsq_avx512(size_t n, const float *x, const float *g, float eta);
typedef double (*ob_sam_tgsq_fn)(size_t n, const float *x, const float *g, float eta);
ob_sam_tgsq_fn ob_sam_tgsq_kernel(ob_isa isa);

/* The generic keys sam_rho, sam_adaptive, sam_eta (above). */
extern const ob_hparam_spec ob_sam_hparams[];
extern const size_t ob_sam_hparam_count;

/* Nonzero when h asks for the ascent step (sam_rho > 0). */
int ob_sam_active(const ob_hparams *h);

/* What a case with these keys adds to its optimizer's name in ids, CSV
 * names and the report's series: "" (off), "+sam" or "+asam". */
const char *ob_sam_label(double sam_rho, int sam_adaptive);

/* rho / (sqrt(sumsq) + 1e-12) in double. */
double ob_sam_scale(double rho, double sumsq);

/* The scalars for (x, g): the norm with isa's reduction on up to
 * `threads` threads (blocked, bit-identical for every ISA and thread
 * count), the scale rounded once.  isa must be supported. */
void ob_sam_prepare(ob_isa isa, const ob_hparams *h, size_t n, const float *x, const float *g, int threads,
                    ob_sam_scalars *s);

/* x_hat for (x, g) with h's sam_rho / sam_adaptive / sam_eta, on `isa`
 * with up to `threads` threads (<= 0: OpenMP's default; at most one per
 * OB_THREAD_MIN_CHUNK elements).  sam_rho = 0 copies x.  Bit-identical
 * for every ISA and thread count.  Returns 0, or -1 (nothing written)
 * when isa cannot run here or the SAM keys are out of range (ob_validate
 * gives the message). */
int ob_sam_perturb(ob_isa isa, const ob_hparams *h, size_t n, const float *x, const float *g, float *xhat,
                   int threads);

#ifdef __cplusplus
}
#endif
#endif
