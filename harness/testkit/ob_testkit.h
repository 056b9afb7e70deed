/*
 * ob_testkit.h — what the tests, the fuzz targets and `optbench ci` share
 * to check kernels: the single-step agreement measure of the numeric
 * contract, and deterministic test data (random numbers, hyperparameter
 * combinations, agreement measured along trajectories).
 */
#ifndef OB_TESTKIT_H
#define OB_TESTKIT_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/framework/ob_mixed.h"
#include "optbench/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== the agreement measure ============================================================= */

/*
 * the single-step agreement measure of the numeric contract:
 * |x_fp32 - x_ref| <= B * u * S  (README "Agreement bounds").
 */

/* Worst error of k (fp32 kernel output) against r (double reference
 * output), in units of u*S with u = 2^-24 and S the reference's per-element
 * error scale.  NaN must meet NaN and an infinity the same infinity
 * (otherwise +inf); where S is 0 the values must be equal; where S is
 * past FLT_MAX, +inf or NaN (the reference's mark for inputs outside the
 * contract, README "Agreement bounds": an fp32 intermediate may overflow
 * there) anything is accepted.  *at receives the worst
 * element (0 when n == 0). */
double ob_agree_error(const float *k, const double *r, const double *S, size_t n, size_t *at);

/* ==== test data ========================================================================= */

/*
 * deterministic test data shared by the test suites, the
 * CI regression suite and the fuzzers: a small seedable RNG, floats that
 * exercise special values, and the hyperparameter combinations that toggle
 * every option of an optimizer.
 *
 * Everything here is integer arithmetic or exactly rounded conversions, so
 * the same seed gives the same bytes on every machine (the CI baseline
 * hashes depend on that).
 */

/* splitmix64 (Steele, Lea & Flood 2014): tiny, seedable, good enough for
 * test data. */
typedef struct {
    uint64_t s;
} ob_rng;
void ob_rng_init(ob_rng *r, uint64_t seed);
uint64_t ob_rng_next(ob_rng *r);
double ob_rng_uniform(ob_rng *r); /* [0, 1) */
/* Log-uniform magnitude in [lo, hi] with a random sign (nonneg: >= 0). */
double ob_rng_logmag(ob_rng *r, double lo, double hi, int nonneg);
/* Ordinary values most of the time, otherwise +-0, subnormals, huge
 * values, NaN or +-Inf.  nonneg keeps the value >= 0 (or NaN/+Inf). */
float ob_rng_special_float(ob_rng *r, int nonneg);
/* A finite float for agreement checks: mostly in [1e-6, 1e6], with +-0 and
 * subnormals mixed in; never so large that fp32 overflows where double
 * does not. */
float ob_rng_normal_float(ob_rng *r, int nonneg);

/* Hyperparameter combinations: every option at its default or at a
 * non-default "toggle" value that switches its code path on; 2^n_hparams
 * combinations, some invalid (ob_hp_config returns -1 for those). */
size_t ob_hp_config_count(const ob_optimizer *o);
int ob_hp_config(const ob_optimizer *o, size_t idx, ob_hparams *h);
/* "adam{amsgrad=1,weight_decay=0.1}" */
void ob_hp_config_name(const ob_optimizer *o, const ob_hparams *h, char *buf, size_t len);
/* The toggle value of one hyperparameter. */
double ob_hparam_toggle_value(const ob_hparam_spec *sp);
/* Whether state array k holds non-negative values (v, sums of squares). */
int ob_state_nonneg(const ob_optimizer *o, size_t k);

/* ==== coverage by construction (cover.c) ============================================== */

/* The lengths that run every block of o's kernel on isa: the unrolled
 * loop zero, one and two times, every combination of the straight-line
 * blocks after it, and the masked tail of every remainder 0 .. W-1 (n = 0
 * and 1 included), ascending, at most max of them (OB_COVER_MAX always
 * suffices).  ob_cover_unroll: the kernel's vectors per loop iteration
 * (ob_isa_step.unroll; 1 on scalar). */
#define OB_COVER_MAX 256
size_t ob_cover_lengths(const ob_optimizer *o, ob_isa isa, size_t *n, size_t max);
size_t ob_cover_unroll(const ob_optimizer *o, ob_isa isa);

/* Single-step agreement of o's scalar kernel (or `kernel` when not NULL)
 * with its reference along a `steps`-step trajectory of n elements from
 * random states (ob_rng_normal_float, seeded): the worst error in units of
 * u*S (README "Agreement bounds"), described in `where`.  Returns -1 on
 * allocation failure. */
double ob_agree_measure(const ob_optimizer *o, const ob_hparams *h, ob_kernel_fn kernel, uint64_t seed,
                        size_t n, uint64_t steps, char *where, size_t wlen);

/* A step with the raw hyperparameters and t (a plugin kernel's shape,
 * optbench/plugin.h): 0, or nonzero when it failed. */
typedef int (*ob_agree_step_fn)(void *ctx, const ob_hparams *h, uint64_t t, size_t n, float *p, const float *g,
                                float *const *state);
/* ob_agree_measure for such a step: the same inputs and measure; -1 on
 * allocation failure, -2 when the step failed (where says at which). */
double ob_agree_measure_step(const ob_optimizer *o, const ob_hparams *h, ob_agree_step_fn step, void *ctx,
                             uint64_t seed, size_t n, uint64_t steps, char *where, size_t wlen);

/* The same for one mixed-precision step of format f on isa (harness/
 * mixed_agree.c): fp32 outputs must meet B·u·S, bf16 outputs B·u·S plus
 * half a bf16 ulp of the stored value (round to nearest) or one ulp
 * (stochastic rounding of the parameters).  Returns the worst error as a
 * fraction of that bound (<= 1 passes), or -1 on allocation failure.
 * fp16 gradients use a loss scale of 2^8. */
double ob_mixed_agree_measure(const ob_optimizer *o, const ob_hparams *h, const ob_format *f, ob_isa isa,
                              uint64_t seed, size_t n, uint64_t steps, char *where, size_t wlen);

/* The q8 judgement (harness/testkit/mixed_agree.c; README "8-bit state"):
 * a stored q8 array of n elements (unsigned code or not) against the
 * reference values r with scales S and bound B: the worst fraction of the
 * allowance over the absmax values and codes (<= 1 passes; a code two
 * apart, or one apart away from a midpoint, gives more), *at where. */
double ob_q8_agree_array(const ob_format *f, int u, size_t n, const void *stored, const double *r,
                         const double *S, double B, size_t *at);

/* One such step from the caller's storage: the reference runs on p, g and
 * state widened (g times inv_scale), then ob_step_mixed updates p and
 * state in place (*skipped as it reports).  Returns the worst error as a
 * fraction of the bound (0 when skipped; INFINITY if the step failed, with
 * the message in where), or -1 on allocation failure. */
double ob_mixed_agree_step(const ob_optimizer *o, const ob_hparams *h, const ob_format *f, ob_isa isa,
                           uint64_t t, float inv_scale, size_t n, void *p, const void *g, void *const *st,
                           int *skipped, char *where, size_t wlen);

#ifdef __cplusplus
}
#endif
#endif
