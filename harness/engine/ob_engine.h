/*
 * ob_engine.h — the trajectory engine behind `optbench run` and
 * `optbench repro`: an optimizer stepped on one objective along the fp64
 * reference path and the chosen fp32 kernel paths side by side.
 *
 * Per step t (1..steps), in path order:
 *   - the reference path evaluates the gradient at its x (double), takes
 *     the reference step and is projected onto the box;
 *   - each fp32 path evaluates the gradient at its own x, widened (shared
 *     with the first fp32 path that stepped while their x are bitwise the
 *     same, which is every path while the ISAs agree), steps with its
 *     ISA's kernel and is projected with the box ends rounded to fp32;
 *     on the steps the sampling policy picks, the kernel step is compared
 *     with a reference step from the same widened state (single-step
 *     agreement, README "Agreement bounds");
 *   - each fp32 path is compared bit for bit with the lead fp32 path (the
 *     lowest ISA that runs, scalar when it runs): SAM's x_hat, x and every
 *     state array in use, and the first difference is recorded.
 * With SAM (sam_rho > 0, kernels/framework/ob_sam.h) every path evaluates
 * the gradient twice per step: at x, then at its perturbed point x_hat
 * with the same t (the same mini-batch); the base step uses the second.
 * With a storage format (ob_engine_cfg.format: bf16 parameters, fp16
 * gradients with a loss scale, ...) the kernel paths keep their storage
 * in that format and step with the mixed-precision kernels instead
 * (`optbench repro bf16`).
 *
 * The sampling policy also picks the steps (and t = 0) at which
 * convergence is measured when the objective has a loss: loss, f - f*,
 * ||x - x*||, and each fp32 trajectory's deviation from the reference's;
 * a path whose loss is not finite there has diverged and stops.
 *
 * Observers receive what the callers measure or write: every step of
 * every path (with the point before and after it), the state before the
 * kernel step on probed steps, every checked agreement error, a row of
 * figures at each measured step (the CSV of `optbench run`), and the
 * progress.
 */
#ifndef OB_ENGINE_H
#define OB_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "optbench/optimizers.h"
#include "harness/core/ob_core.h"
#include "kernels/framework/ob_mixed.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Path 0 is the fp64 reference; path 1 + isa is the fp32 kernel of isa;
 * path 1 + OB_ISA_COUNT + j is the fp32 kernel of extra path j (a kernel
 * that is not optbench's, ob_engine_kernel_path). */
#define OB_ENGINE_MSG 512
#define OB_ENGINE_REF 0
#define OB_ENGINE_MAX_EXTRA 8
#define OB_ENGINE_KPATHS (OB_ISA_COUNT + OB_ENGINE_MAX_EXTRA)
#define OB_ENGINE_MAX_PATHS (1 + OB_ENGINE_KPATHS)
#define OB_ENGINE_PATH_ISA(isa) (1 + (int)(isa))
#define OB_ENGINE_PATH_EXTRA(j) (1 + OB_ISA_COUNT + (int)(j))

/* A relative deviation from the fp64 trajectory above this is reported
 * (the first step at which it happens). */
#define OB_ENGINE_DEV_THRESHOLD 1e-3

/* An objective: f_t and its gradient in double, and optionally a loss to
 * measure convergence with.  The box, when set, is applied after every
 * step (projection; comparisons, so a NaN iterate stays NaN). */
typedef struct ob_engine_objective {
    size_t n;
    const double *x0;
    int has_box;
    double lo, hi;
    /* f_t(x); writes the gradient to g (length n). */
    double (*eval)(void *ctx, const double *x, double *g, uint64_t t);
    void *ctx;
    /* The loss measured at the sampled steps (NULL: no measurement). */
    double (*loss)(void *ctx, const double *x, uint64_t t);
    int has_fstar;
    double fstar, tol;   /* the target: f - f* <= tol */
    const double *xstar; /* NULL: unknown */
} ob_engine_objective;

/* How often the engine checks and measures. */
typedef struct ob_engine_sampling {
    /* Agreement with the reference on every step <= agree_dense and on
     * every agree_every-th step after it (0: never after);
     * OB_ENGINE_EVERY_STEP checks every step. */
    uint64_t agree_dense, agree_every;
    /* Convergence at t = 0, every measure_every-th step and the last
     * (0: never). */
    uint64_t measure_every;
    /* Probes before the kernel step on t % probe_every == 0 (0: never). */
    uint64_t probe_every; /* fp32 paths and the reference only */
    /* With measure_every 0: convergence at t = 0 and at the steps of
     * ob_engine_next_sample (log-spaced, per_decade a decade) and the last
     * (0: never). */
    unsigned measure_per_decade;
} ob_engine_sampling;

#define OB_ENGINE_EVERY_STEP UINT64_MAX

/* The policy of `optbench run`: agreement at every step; convergence at
 * about 1000 evenly spaced steps (50 on stochastic problems, whose loss is
 * a full pass over the data), since a loss can cost far more than a step. */
ob_engine_sampling ob_engine_sampling_convergence(uint64_t steps, int stochastic);

/* Steps at which long runs record a sample: every step up to 10, then
 * about `per_decade` log-spaced steps per decade, and always the last.
 * Usage: for (t = 1; t; t = ob_engine_next_sample(t, T, per_decade)). */
uint64_t ob_engine_next_sample(uint64_t t, uint64_t last, unsigned per_decade);

/* What a step observer sees after one path took step t. */
typedef struct ob_engine_step {
    int path;
    uint64_t t;
    size_t n;
    const double *x_prev; /* the point where step t's gradient was taken */
    double f_prev;        /* f_t(x_prev) */
    const double *g;      /* the gradient the step used (fp32-rounded on fp32 paths) */
    const double *x;      /* the point after the step (and the projection) */
    /* fp32 path only: 1 when x and every state array are bit-identical to
     * the lead fp32 path's (which the observer saw just before), so that
     * expensive measurements can be copied from it. */
    int same_as_lead;
    const double *x_ref; /* fp32 paths: the reference's x after step t (NULL: no reference) */
} ob_engine_step;

/* State handed to a probe before the kernel step (one of the two is set). */
typedef struct ob_engine_probe {
    int path;
    uint64_t t;
    size_t n;
    const ob_hparams *h; /* the hyperparameters in force at step t */
    const float *x32, *g32;
    float *const *st32; /* the optimizer's state, must not be modified */
    const double *x64, *g64;
    double *const *st64;
} ob_engine_probe;

/* The figures of a measured step (NaN where not measured). */
/* Diagnostics of the reference path at a measured step t (README
 * "Monitoring"; ob_engine_cfg.monitor), NaN where they do not apply:
 * the update ||x_t - x_{t-1}|| and its ratio to ||x_{t-1}||, the learning
 * rate in force and the cycled beta1 (Adam family) or momentum (onecycle
 * cycles it; else the constant), the min, median and max over the
 * coordinates of an adaptive method's effective learning rate
 * (ob_optimizer.monitor), its bias-correction factors, and the fraction
 * of the gradient's elements that clipping changed (clip_value: |g_i| >
 * c; clip_norm: all of them when ||g|| > max_norm, else none). */
typedef struct ob_engine_monitor {
    double upd_norm, upd_ratio, lr, cycled;
    double eff_min, eff_med, eff_max, bc1, bc2;
    double clipped;
} ob_engine_monitor;

typedef struct ob_engine_row {
    uint64_t t;
    size_t n;
    unsigned paths;
    double loss[OB_ENGINE_MAX_PATHS], gap[OB_ENGINE_MAX_PATHS], dist[OB_ENGINE_MAX_PATHS];
    double gnorm[OB_ENGINE_MAX_PATHS]; /* ||g|| of the path's last gradient */
    double agree[OB_ENGINE_MAX_PATHS]; /* fp32: the last checked agreement error (u*S) */
    double dev[OB_ENGINE_MAX_PATHS];   /* fp32: ||x - x_ref|| / ||x_ref|| */
    const double *x_ref;
    const float *x32[OB_ENGINE_KPATHS]; /* by kernel path: ISA, then extra */
    uint64_t grad_evals; /* per path, up to step t */
    ob_engine_monitor mon; /* with ob_engine_cfg.monitor and the reference path; else all NaN */
    /* With a format (ob_engine_cfg.format), of the lead kernel path: the
     * loss scale step t's gradient was multiplied by (fp16 gradients; 1
     * otherwise; at t = 0 the initial one) and the steps skipped up to and
     * including t.  NaN without a format. */
    double loss_scale, skipped;
} ob_engine_row;

/* Callbacks (each may be NULL), all with ctx. */
typedef struct ob_engine_observer {
    void *ctx;
    void (*step)(void *ctx, const ob_engine_step *s);
    void (*probe)(void *ctx, const ob_engine_probe *p);
    void (*agree)(void *ctx, int path, uint64_t t, double err);
    void (*row)(void *ctx, const ob_engine_row *r);
    void (*progress)(void *ctx, uint64_t t, uint64_t steps); /* after each row, t > 0 */
} ob_engine_observer;

/* A kernel path that is not one of optbench's ISAs (a plugin's kernel):
 * an fp32 path like the ISA paths, stepped by a callback that gets the
 * raw hyperparameters in force at step t (not optbench's prepared
 * scalars: such a kernel computes its own bias corrections).  step
 * returns 0, or nonzero with a message: that path then stops
 * (failed_at, failed) and the others go on.  Its agreement is judged by agree_bound (u*S; 0:
 * the optimizer's); its bit-identity with the lead ISA path is reported,
 * not required. */
typedef struct ob_engine_kernel_path {
    const char *name;
    double agree_bound;
    int (*step)(void *ctx, const ob_hparams *h, uint64_t t, size_t n, float *p, const float *g,
                float *const *state, char *err, size_t errlen);
    void *ctx;
} ob_engine_kernel_path;

typedef struct ob_engine_cfg {
    const ob_optimizer *opt;
    ob_hparams h;             /* base hyperparameters (lr before the schedule) */
    const ob_schedule *sched; /* NULL: h at every step (validated by the caller) */
    uint64_t steps;
    unsigned paths;    /* bit p: run path p (bit 0 the reference) */
    int threads;       /* per kernel step (kernels/framework threads) */
    int interruptible; /* 1: stop between steps on SIGINT/SIGTERM */
    int monitor;       /* 1: fill ob_engine_row.mon at every measured step */
    ob_engine_sampling sampling;
    ob_engine_observer obs;
    /* Test hook: replaces the kernel of an fp32 path (NULL: the table's;
     * not used with a format). */
    ob_kernel_fn kernel_override[OB_ISA_COUNT];
    /* A storage format (kernels/framework/ob_mixed.h), NULL for fp32.
     * With one, each kernel path keeps p, g and the state in the format's
     * element types and steps with ob_step_mixed on its ISA: the gradient
     * is rounded to the gradient type (fp16: times the loss scale, rounded
     * to fp32 first), an fp16 step whose gradient overflowed is skipped
     * and the loss scale follows torch.cuda.amp.GradScaler's defaults
     * (OB_ENGINE_LOSS_SCALE_*).  Agreement is measured in units of the
     * format's bound (ob_mixed_agree_step: 1 passes); bit-identity
     * compares the stored p, every state array and the loss scale.  No SAM
     * and no box. */
    const ob_format *format;
    /* Kernel paths beyond the ISAs (at most OB_ENGINE_MAX_EXTRA; fp32
     * only, no format), run whenever given. */
    const ob_engine_kernel_path *extra;
    size_t n_extra;
    /* Optional observer (with obs.ctx): f_t at the point where step t's
     * gradient was taken (the iterate before step t), for every step of
     * the reference and the fp32 paths (not mixed ones): the value the
     * evaluation returned anyway, so runtimes to targets cost no extra
     * evaluation. */
    void (*fval)(void *ctx, int path, uint64_t t, double f);
    /* Optional (with adjust_ctx): changes the hyperparameters in force at
     * step t, after the schedule (and a test's mistake), for every path alike; e.g. Adam without
     * bias correction as torch's Adam with lr bc1/sqrt(bc2) and eps/sqrt(bc2)
     * (`optbench repro kingma_bias`).  The result is validated. */
    void (*adjust)(void *ctx, uint64_t t, ob_hparams *h);
    void *adjust_ctx;
} ob_engine_cfg;

/* torch.cuda.amp.GradScaler's defaults: init_scale 2^16, halved on an
 * overflow (backoff_factor 0.5), doubled after growth_interval 2000 steps
 * without one, kept within the range where multiplying by 1/scale is
 * exact (ob_step_mixed). */
#define OB_ENGINE_LOSS_SCALE_INIT 65536.0
#define OB_ENGINE_LOSS_SCALE_MIN 0x1p-24
#define OB_ENGINE_LOSS_SCALE_MAX 0x1p64
#define OB_ENGINE_LOSS_SCALE_INTERVAL 2000

/* Figures of one path. */
typedef struct ob_engine_path_result {
    int ran;
    double final_loss;
    double final_gap;         /* loss - f*, NaN when f* is unknown */
    double final_dist;        /* ||x - x*||, NaN when x* is unknown */
    uint64_t steps_to_target; /* 0: target not reached (or no f*) */
    double time_to_target_s;
    uint64_t diverged_at; /* 0: never; else the step whose loss was NaN/Inf */
    double time_s;        /* total wall time of this path (timed when convergence is measured) */
    /* fp32 paths only: */
    double max_agree; /* worst single-step error, in u*S */
    uint64_t max_agree_step;
    size_t max_agree_elem;
    char max_agree_array[32];
    int agree_ok;  /* max_agree <= the optimizer's bound */
    int identical; /* bit-identical to the lead fp32 path at every step */
    uint64_t first_diff_step;
    size_t first_diff_elem;
    char first_diff_array[32];
    double max_dev;            /* max relative deviation from the fp64 trajectory */
    uint64_t dev_exceeds_step; /* first step with deviation > OB_ENGINE_DEV_THRESHOLD; 0 never */
    uint64_t steps;            /* steps taken */
    uint64_t agree_checked;    /* steps whose agreement was checked */
    /* With a format: steps skipped on an fp16 overflow, the last loss
     * scale, and where the worst agreement error was (the format's bound
     * and the element, from ob_mixed_agree_step). */
    uint64_t skipped_steps;
    double loss_scale;
    char max_agree_where[OB_ENGINE_MSG];
    /* An extra path whose step failed stops there (the others go on):
     * the step and the kernel's message ("...: out-of-bounds write at
     * p[n+3] (n = 17) at step 2"); 0 and "" otherwise. */
    uint64_t failed_at;
    char failed[OB_ENGINE_MSG];
} ob_engine_path_result;

/* Why a run stopped early: bad hyperparameters at some step (or a
 * refused mixed step), out of memory, a signal. */
enum { OB_ENGINE_OK, OB_ENGINE_EHPARAMS, OB_ENGINE_ENOMEM, OB_ENGINE_EINTR };

typedef struct ob_engine_result {
    ob_engine_path_result p[OB_ENGINE_MAX_PATHS];
    int status;          /* OB_ENGINE_* */
    int signal;          /* OB_ENGINE_EINTR: the signal */
    uint64_t stopped_at; /* the step at which it stopped */
} ob_engine_result;

/* The bound the agreement errors of kernel path i (an ISA, or
 * OB_ISA_COUNT + j for extra path j) are judged by: the optimizer's (u*S)
 * or the extra path's, or 1 with a format (units of the format's bound). */
double ob_engine_agree_bound(const ob_engine_cfg *c, int i);

/* The kernel of an fp32 path: the override, else the table's (NULL when
 * not built). */
ob_kernel_fn ob_engine_kernel(const ob_engine_cfg *c, ob_isa isa);

/* 0 when every fp32 path in `paths` has a kernel that runs on this CPU,
 * else -1 with a message naming the first that does not. */
int ob_engine_check_paths(const ob_optimizer *o, unsigned paths, char *err, size_t errlen);

/* Runs one trajectory of every path in cfg->paths from obj->x0 (see the
 * top of this header).  Returns 0, or -1 with a message and r->status: bad
 * hyperparameters at some step (a schedule), out of memory, or a signal
 * seen between steps (r->signal; the figures so far are in r). */
int ob_engine_run(const ob_engine_objective *obj, const ob_engine_cfg *cfg, ob_engine_result *r, char *err,
                  size_t errlen);

/* ---- test section: a mistake injected into every run ---------------------
 *
 * The reproductions' power tests (tests/test_repro_power.c, README
 * "Reproductions") run each plausible mistake end to end through the real
 * entry and require that its verdict flips.  The engine applies the mistake
 * where it forms the hyperparameters of step t (after the schedule), so the
 * reference path, every kernel path and every probe see the same wrong
 * optimizer, as they would if the optimizer itself were wrong; the checks
 * are not touched.
 *
 * Why a setter and not an environment variable or a build flag: a variable
 * would be read by the production binary, so a stray one in a user's
 * environment could change results silently; a test-only build would test
 * objects other than the ones the CLI runs.  Nothing outside tests/ calls
 * ob_engine_set_mistake (the default is OB_ENGINE_MISTAKE_NONE, which
 * changes nothing), so production results cannot depend on it, while the
 * tests link the very objects `optbench repro` runs.  It is process-wide:
 * set it only while no run is in flight (each run reads it once, at its
 * start). */
typedef enum ob_engine_mistake_kind {
    OB_ENGINE_MISTAKE_NONE = 0,
    OB_ENGINE_MISTAKE_NO_NESTEROV,     /* plain (heavy-ball) momentum for Nesterov: nesterov = 0 */
    OB_ENGINE_MISTAKE_LR_SCALE,        /* lr times value (a wrong GD step, a 2-5% wrong lr) */
    OB_ENGINE_MISTAKE_BETA2,           /* beta2 forced to value (beta2 ignored or replaced) */
    OB_ENGINE_MISTAKE_NO_AMSGRAD,      /* the AMSGrad max dropped: amsgrad = 0 */
    OB_ENGINE_MISTAKE_L2_DECAY,        /* L2 in place of decoupled decay: decoupled_wd = 0 */
    OB_ENGINE_MISTAKE_NO_BIAS_CORRECTION, /* Adam family: m and v used without bias correction */
    OB_ENGINE_MISTAKE_EPS,             /* eps forced to value (a huge one: the normaliser dropped) */
    OB_ENGINE_MISTAKE_MOMENTUM,        /* SGD's momentum forced to value (0: momentum dropped) */
    /* Decoupled decay only (h->decoupled_wd, or Lion, whose decay is always
     * decoupled): an entry that runs Loshchilov & Hutter's eta_t*lambda as
     * torch's lr_t*wd with wd = lambda/lr (repro lh_heatmap) ... */
    OB_ENGINE_MISTAKE_WD_TIMES_LR, /* ... given torch's lr_t*lambda instead: wd times the base lr */
    OB_ENGINE_MISTAKE_L2_LAMBDA,   /* ... given L2 with the paper's lambda (Alg. 2 line 6 for line 12):
                                    * decoupled_wd = 0, wd times the base lr */
    OB_ENGINE_MISTAKE_WD_OVER_LR, /* decay by wd alone, not lr_t*wd (eta_t*lambda read as lambda): wd / lr_t */
    /* 8-bit state (q8 formats only; engine_mixed.c emulates the q8 step
     * with the mistaken quantizer around the fp32 kernel): */
    OB_ENGINE_MISTAKE_Q8_PER_TENSOR,   /* one absmax per state array instead of one per block */
    OB_ENGINE_MISTAKE_Q8_LINEAR_CODE,  /* a linear code (linspace(-1|0, 1, 256)) for the dynamic tree code */
    OB_ENGINE_MISTAKE_Q8_SIGNED_V,     /* Adam's v with the signed code (one bit fewer for magnitudes) */
    OB_ENGINE_MISTAKE_COUNT
} ob_engine_mistake_kind;

typedef struct ob_engine_mistake {
    ob_engine_mistake_kind kind;
    double value; /* LR_SCALE: the factor; BETA2, EPS, MOMENTUM: the value; unused otherwise */
    /* The optimizer (table name) the mistake is made in; NULL: every one.
     * An entry that compares two optimizers tuned side by side (repro
     * lion_lr_wd) needs the mistake in one of them: the same wrong lr in
     * both would cancel in their ratio. */
    const char *only;
} ob_engine_mistake;

/* Test only: the mistake every later run applies ({OB_ENGINE_MISTAKE_NONE}
 * restores the optimizer). */
void ob_engine_set_mistake(ob_engine_mistake m);
ob_engine_mistake ob_engine_get_mistake(void);
/* "no_nesterov", "lr_scale", ... (NULL for an unknown kind). */
const char *ob_engine_mistake_name(ob_engine_mistake_kind k);

#ifdef __cplusplus
}
#endif
#endif
