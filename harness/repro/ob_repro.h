/*
 * ob_repro.h — `optbench repro`: published convergence results re-run on
 * the optbench kernels, each claim given a verdict.
 *
 * Every reproduction is one entry of ob_repro_table: the citation, the
 * claim in our own words (with the paper's equation, figure or table
 * numbers), the setup with the cited hyperparameters, the rule that turns
 * the measured figures into a verdict, and the gnuplot script of its
 * figure.  An entry runs in three separable parts:
 *
 *   setup/run  ->  a measured-figures struct  ->  a pure check function
 *                                                  -> verdict
 *
 * The check functions (ob_repro_check_*) read nothing but their struct,
 * so the tests feed them figures that contradict a claim and require NOT
 * REPRODUCED.  Every entry runs the fp64 reference and every chosen fp32
 * instruction set through the trajectory engine (harness/engine/ob_engine.h,
 * with the sampling policy of ob_repro_traj below), which also checks
 * the kernels (bit-identity across ISAs at every step, agreement with the
 * reference on a sampled subset of steps).
 *
 * Output (README "Reproductions"): <run-dir>/repro/repro.json (format
 * "optbench-repro", version 1), one CSV per entry and its PNG/SVG figures.
 */
#ifndef OB_REPRO_H
#define OB_REPRO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "optbench/optimizers.h"
#include "harness/core/ob_core.h"
#include "harness/engine/ob_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- verdicts ------------------------------------------------------------ */

typedef enum ob_repro_verdict {
    OB_REPRO_REPRODUCED = 0,
    OB_REPRO_NOT_REPRODUCED = 1,
    OB_REPRO_INCONCLUSIVE = 2
} ob_repro_verdict;

/* "REPRODUCED", "NOT REPRODUCED", "INCONCLUSIVE". */
const char *ob_repro_verdict_name(ob_repro_verdict v);

/* ---- paths ----------------------------------------------------------------- */

/* Path 0 is the fp64 reference; path 1 + isa is the fp32 kernel of isa. */
#define OB_REPRO_REF 0
#define OB_REPRO_MAX_PATHS (1 + OB_ISA_COUNT)
#define OB_REPRO_PATH_ISA(isa) (1 + (int)(isa))
/* "reference", "scalar", "avx2", "avx512". */
const char *ob_repro_path_name(int path);

/* ---- the trajectory engine ------------------------------------------------ */

/* An objective for the engine (ob_engine.h): f_t and its gradient in
 * double, the box applied after every step (projection, as in Reddi et al.
 * 2018, feasible set [-1, 1]), and the loss and f* that runs with
 * measure_per_decade sample. */
typedef ob_engine_objective ob_repro_objective;

struct ob_problem;
/* A catalog problem as an engine objective: its eval, x0, box, loss and
 * f* (when known). */
ob_repro_objective ob_repro_problem_objective(struct ob_problem *pb);

/* What an observer sees after one path took step t, and the state handed
 * to a probe before the kernel step: the engine's (ob_engine.h). */
typedef ob_engine_step ob_repro_step;
typedef ob_engine_probe ob_repro_probe;

typedef struct ob_repro_traj_cfg {
    const ob_optimizer *opt;
    ob_hparams h;             /* base hyperparameters (lr before the schedule) */
    const ob_schedule *sched; /* NULL: constant lr */
    uint64_t steps;
    unsigned paths; /* bit p: run path p (bit 0 the reference) */
    /* Agreement with the reference is checked on every step <= agree_dense
     * and on every agree_every-th step after it (0: never after). */
    uint64_t agree_dense, agree_every;
    /* Called after every step of every path, in path order (may be NULL). */
    void (*observe)(void *ctx, const ob_repro_step *s);
    /* Called before the step on steps t with t % probe_every == 0 (may be
     * NULL). */
    void (*probe)(void *ctx, const ob_repro_probe *p);
    uint64_t probe_every;
    void *ctx;
    /* Test hook: replaces the kernel of an fp32 path (NULL: the table's). */
    ob_kernel_fn kernel_override[OB_ISA_COUNT];
    /* A storage format for the kernel paths (ob_engine_cfg.format; NULL:
     * fp32); their agreement is then in units of the format's bound. */
    const ob_format *format;
    /* Convergence at t = 0 and about measure_per_decade log-spaced steps a
     * decade (ob_engine_next_sample), handed to row (0 or NULL: none). */
    unsigned measure_per_decade;
    void (*row)(void *ctx, const ob_engine_row *r);
    /* Where the engine's figures of the run go (NULL: nowhere). */
    ob_engine_result *result;
    /* The engine's per-step change of the hyperparameters
     * (ob_engine_cfg.adjust, with adjust_ctx; NULL: none). */
    void (*adjust)(void *ctx, uint64_t t, ob_hparams *h);
    void *adjust_ctx;
} ob_repro_traj_cfg;

/* The usual trajectory of an entry: opt with its defaults for `steps`
 * steps on `paths`, agreement checked on the first 200 steps and every
 * 97th after, observe called with ctx (NULL: none); the entry then sets
 * its hyperparameters (c->h) and whatever else differs. */
void ob_repro_traj_init(ob_repro_traj_cfg *c, unsigned paths, const ob_optimizer *opt, uint64_t steps,
                        void (*observe)(void *ctx, const ob_repro_step *s), void *ctx);

/* Kernel checks of one fp32 path, accumulated over every trajectory of an
 * entry. */
typedef struct ob_repro_kpath {
    int ran;
    uint64_t steps;         /* steps taken */
    uint64_t agree_checked; /* steps whose agreement was checked */
    double max_agree;       /* worst single-step error, in u*S */
    double bound;           /* the optimizer's bound (largest seen) */
    int agree_ok;
    int identical; /* bit-identical to the lead fp32 path at every step */
    uint64_t first_diff_step;
    double max_dev; /* max |x32 - x64| / max(1, |x64|) over the run */
} ob_repro_kpath;

typedef struct ob_repro_kernels {
    ob_repro_kpath p[OB_REPRO_MAX_PATHS];
} ob_repro_kernels;

void ob_repro_kernels_init(ob_repro_kernels *k);
/* 1 when every fp32 path that ran kept agreement and bit-identity. */
int ob_repro_kernels_ok(const ob_repro_kernels *k);

/* Runs one trajectory of every path in cfg->paths from obj->x0, stepping
 * the paths in lockstep: per step, path 0 takes a reference step in
 * double, then each fp32 path evaluates its gradient (shared with the lead
 * fp32 path while their x are bit-identical), steps with its ISA's kernel,
 * and is compared with the lead bit for bit; sampled steps also compare
 * the kernel step with a reference step from the same (widened) state.
 * Returns 0, or -1 with a message (bad hyperparameters, out of memory). */
int ob_repro_traj(const ob_repro_objective *obj, const ob_repro_traj_cfg *cfg, ob_repro_kernels *k, char *err,
                  size_t errlen);


/* ---- running entries --------------------------------------------------------- */

typedef struct ob_repro_opts {
    int short_mode;        /* fewer steps, same verdict logic (tests) */
    unsigned paths;        /* bit 0 reference (always), bit 1 + isa */
    const char *repro_dir; /* <run-dir>/repro, created */
    const char *data_dir;  /* Fashion-MNIST folder (NULL: the default) */
    const char *plot_dir;  /* folder of the gnuplot scripts (NULL: ob_find_plot_dir) */
    int no_figures;        /* 1: skip gnuplot (tests) */
    FILE *log;             /* progress lines (may be NULL) */
} ob_repro_opts;

#define OB_REPRO_MAX_FIGURES 4

typedef struct ob_repro_outcome {
    ob_repro_verdict verdict;
    char summary[1024];                      /* one line with the measured figures */
    char why[1024];                          /* the check's reasoning */
    cJSON *measured;                         /* object; owned by the outcome */
    char figures[OB_REPRO_MAX_FIGURES][256]; /* relative to the run dir */
    char figures_svg[OB_REPRO_MAX_FIGURES][256];
    size_t n_figures;
    char figure_error[512]; /* "" or why a figure could not be drawn */
    char csv[256];          /* relative to the run dir */
    ob_repro_kernels kernels;
    double time_s;
    int short_mode; /* the mode it ran in */
} ob_repro_outcome;

void ob_repro_outcome_free(ob_repro_outcome *o);

typedef struct ob_repro_entry ob_repro_entry;
struct ob_repro_entry {
    const char *name;  /* "reddi_thm1" */
    const char *title; /* short, for the table */
    const char *citation;
    const char *claim;
    const char *setup;
    const char *check; /* the verdict rule in words */
    const char *plot;  /* gnuplot script under plot/ */
    /* Runs the setup and fills out (verdict, measured, CSV); the figures
     * are drawn by ob_repro_run_entry.  0, or -1 with a message when the
     * entry could not run (a missing data set is not an error: the verdict
     * is then INCONCLUSIVE with the reason). */
    int (*run)(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
               size_t errlen);
    /* Draws the figures from the CSV (the gnuplot arguments); NULL: none. */
    int (*figure)(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                  size_t errlen);
};

extern const ob_repro_entry *const ob_repro_table[];
extern const size_t ob_repro_count;
const ob_repro_entry *ob_repro_find(const char *name);

/* Runs one entry (setup, check, CSV, figures).  Returns 0 when the entry
 * ran (whatever its verdict; a figure that could not be drawn is reported
 * in out->figure_error), -1 with a message when it could not run. */
int ob_repro_run_entry(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                       size_t errlen);

/* Writes <run-dir>/repro/repro.json atomically: the entries of this run,
 * plus those of an earlier repro.json in the same folder that this run did
 * not redo, in table order, and a one-line "summary" counting the
 * verdicts.  meta (run metadata, may be NULL) is taken over by the
 * document. */
int ob_repro_write_json(const char *repro_dir, const ob_repro_entry *const *entries,
                        const ob_repro_outcome *outs, size_t n, cJSON *meta, char *err, size_t errlen);

/* The entry's record in repro.json. */
cJSON *ob_repro_entry_json(const ob_repro_entry *e, const ob_repro_outcome *out);

/* Draws one figure: runs gnuplot on <plot_dir>/<script> with `args` (gnuplot
 * -e assignments, without out/formats) writing <repro_dir>/<stem>.png and
 * .svg, and records both in out.  Returns 0, or -1 with a message naming
 * the script (gnuplot missing or failing). */
int ob_repro_plot(const ob_repro_opts *o, const char *script, const char *stem, const char *args,
                  ob_repro_outcome *out, char *err, size_t errlen);

/* The usual figure of an entry: ob_repro_plot of e->plot into <name>.png
 * with "data='<name>.csv'; isa='<first fp32 ISA>'" and then `extra` (more
 * gnuplot assignments, may be NULL). */
int ob_repro_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, const char *extra,
                    char *err, size_t errlen);

/* ---- helpers the entries share ----------------------------------------------- */

/* Combines per-part verdicts: any NOT REPRODUCED wins, then INCONCLUSIVE. */
ob_repro_verdict ob_repro_combine(ob_repro_verdict a, ob_repro_verdict b);

/* ===== the reproductions' measured figures and checks ======================== */

/* -- 1, 2: Reddi, Kale & Kumar 2018 (online problems) ------------------------ */

/* One optimizer on one path.  The regret rates are normalised by 2*abar,
 * the rate of sitting at the worst point +1 (abar = the mean slope, the
 * gap between f(+1) and f(-1) is 2*abar per step), so 1 means "stuck at
 * +1" and 0 "at the optimum" on every problem. */
typedef struct ob_repro_online_path {
    double x_final;     /* x_{T+1} */
    double x_tail_mean; /* mean of x_t over the last 10% of the steps */
    double regret_T;    /* average regret R_T / T (the paper's plotted figure) */
    double regret_T10;  /* R_{T/10} / (T/10) */
    double rate_early;  /* (R_{T/10} - R_{T/20}) / (T/20) / (2 abar) */
    double rate_late;   /* (R_T - R_{T/2}) / (T/2) / (2 abar) */
    /* The worst deviation of a step from the stated algorithm (Adam or
     * AMSGrad in torch's form with the entry's alpha_t, beta1, beta2 and
     * eps, m and v recomputed in double from the path's own gradients and
     * its x before the step), in units of the step's tolerance
     * 1e-3 |delta| + 2^-22 (fp32 rounding is below 1e-2 of it), and the
     * step where it happened. */
    double step_err;
    uint64_t step_err_at;
} ob_repro_online_path;

typedef struct ob_repro_online_measured {
    uint64_t steps;
    double abar; /* mean slope of f_t: f(x) averages abar*x */
    unsigned paths;
    ob_repro_online_path adam[OB_REPRO_MAX_PATHS];
    ob_repro_online_path amsgrad[OB_REPRO_MAX_PATHS];
} ob_repro_online_measured;

/* Claim: Adam ends at the worst point +1 and its average regret does not
 * go to 0; AMSGrad ends at the optimum -1 and its average regret goes to
 * 0.  "Goes to 0" is judged on the rate at which regret accrues late in
 * the run (R_T - R_{T/2} over T/2) against early (R_{T/10} - R_{T/20} over
 * T/20), normalised by 2*abar.  Per path:
 *   Adam reproduces with tail mean x >= 0.9 and a late rate >= 0.5; it
 *   contradicts with x <= 0 or a late rate <= 0.1.
 *   AMSGrad reproduces with tail mean x <= -0.9 and a late rate <= 0.01, or
 *   <= 0.5 and <= 0.5 x the early rate; it contradicts with x >= 0, a late
 *   rate >= 0.5, or >= 0.1 and >= 0.9 x the early rate.
 * Anything else is INCONCLUSIVE (not converged yet).  Either optimizer
 * whose steps are not the stated algorithm's (step_err > 1: beta2 ignored
 * or replaced, the AMSGrad max dropped, no bias correction, a wrong
 * alpha) contradicts: the theorem is about that algorithm with those
 * constants, and its conclusion (Adam at +1) also holds for other,
 * shorter-memory normalisers (beta2 = 0), so the end point alone cannot
 * tell them apart. */
ob_repro_verdict ob_repro_check_online(const ob_repro_online_measured *m, char *why, size_t len);

/* -- 3: Wilson et al. 2017 §3.3 ---------------------------------------------- */

enum { OB_WILSON_GD, OB_WILSON_ADAGRAD, OB_WILSON_RMSPROP, OB_WILSON_ADAM, OB_WILSON_METHODS };

typedef struct ob_repro_wilson_run {
    double w[3];       /* w1, w2, w3, averaged over the last 10% of the steps */
    double train_loss; /* mean squared loss / 2 */
    double test_error; /* fraction misclassified on the test set */
} ob_repro_wilson_run;

typedef struct ob_repro_wilson_measured {
    size_t n_train, n_test;
    double test_neg_frac; /* P(y = -1) on the test set: the error of "always +1" */
    unsigned paths;
    ob_repro_wilson_run run[OB_WILSON_METHODS][OB_REPRO_MAX_PATHS];
} ob_repro_wilson_measured;

/* Claim: AdaGrad, RMSProp and Adam end with w1 = w2 = w3 (so they predict +1
 * everywhere: test error = P(y = -1)), GD with zero test error.  Per path:
 * every method has trained (train loss <= 1e-3, else INCONCLUSIVE); an
 * adaptive method reproduces when max |w_k - w1| / |w1| <= 0.01 and its
 * test error equals test_neg_frac, and contradicts when its test error is
 * below half of it; GD reproduces with test error 0 and contradicts with
 * test error >= test_neg_frac / 2. */
ob_repro_verdict ob_repro_check_wilson(const ob_repro_wilson_measured *m, char *why, size_t len);

/* Learning rates tuned on a half-decade grid (repro_ml.c), per method. */
#define OB_REPRO_MAX_GRID 10

typedef struct ob_repro_tuning {
    size_t n; /* grid values tried, increasing */
    double lr[OB_REPRO_MAX_GRID];
    double loss[OB_REPRO_MAX_GRID]; /* final loss of each (fp64 reference) */
    size_t best;                    /* index of the lowest */
} ob_repro_tuning;

/* 1 when the best value has a grid value on each side (the optimum is
 * bracketed). */
int ob_repro_tuning_bracketed(const ob_repro_tuning *t);

/* -- 4: Kingma & Ba 2015 §6.1 (Fashion-MNIST) -------------------------------- */

enum { OB_KB_ADAM, OB_KB_NESTEROV, OB_KB_ADAGRAD, OB_KB_METHODS };
#define OB_KB_MAX_EPOCHS 16

typedef struct ob_repro_kingma_measured {
    int data_missing; /* 1: Fashion-MNIST could not be loaded (reason in `reason`) */
    char reason[512];
    unsigned epochs; /* epochs run */
    ob_repro_tuning tuning[OB_KB_METHODS];
    unsigned paths;
    /* Training loss after each epoch, per method and path. */
    double loss[OB_KB_METHODS][OB_REPRO_MAX_PATHS][OB_KB_MAX_EPOCHS];
} ob_repro_kingma_measured;

/* Claim: Adam converges about as fast as SGD with Nesterov momentum and
 * both faster than AdaGrad (Figure 1, left).  Criterion, per path, on the
 * training loss L after the last epoch: |L_adam - L_nesterov| <= 5% of the
 * smaller, and L_adagrad >= 1.01 * max(L_adam, L_nesterov).  NOT
 * REPRODUCED when Adam and Nesterov differ by more than 10% or AdaGrad is
 * at least as low as either; INCONCLUSIVE in between, when a tuned
 * learning rate is at an end of its grid, or when the data set is
 * missing. */
ob_repro_verdict ob_repro_check_kingma(const ob_repro_kingma_measured *m, char *why, size_t len);

/* -- 5: Duchi, Hazan & Singer 2011 (sparse features) -------------------------- */

enum { OB_DUCHI_ADAGRAD, OB_DUCHI_SGD, OB_DUCHI_METHODS };

typedef struct ob_repro_duchi_measured {
    ob_repro_tuning tuning[OB_DUCHI_METHODS];
    unsigned paths;
    double loss[OB_DUCHI_METHODS][OB_REPRO_MAX_PATHS]; /* final loss at the best lr, per path */
} ob_repro_duchi_measured;

/* Claim: on sparse power-law features, tuned AdaGrad reaches a lower loss
 * than tuned SGD.  Per path: REPRODUCED when L_adagrad <= 0.99 * L_sgd;
 * NOT REPRODUCED when L_adagrad >= L_sgd; INCONCLUSIVE in between, or when
 * either optimum lies at an end of its grid (the tuning did not bracket
 * it). */
ob_repro_verdict ob_repro_check_duchi(const ob_repro_duchi_measured *m, char *why, size_t len);

/* -- 6: Loshchilov & Hutter 2019 (AdamW) --------------------------------------- */

/* Two groups of weights: A with a large gradient history (large noise),
 * B with a small one.  [0] Adam with L2, [1] AdamW. */
enum { OB_AW_L2, OB_AW_DECOUPLED, OB_AW_METHODS };
enum { OB_AW_A, OB_AW_B, OB_AW_GROUPS };

typedef struct ob_repro_adamw_measured {
    double wd, lr;
    double h[OB_AW_GROUPS], sigma[OB_AW_GROUPS];
    unsigned paths;
    /* Effective decay per step, relative to lr*wd, per group (mean over
     * the probed steps and the group's weights): the measured change of
     * the kernel's update when weight_decay is switched on, from the same
     * state, divided by lr*wd*p. */
    double decay[OB_AW_METHODS][OB_REPRO_MAX_PATHS][OB_AW_GROUPS];
    /* Retained fraction x / c at the end (mean over the last half). */
    double retained[OB_AW_METHODS][OB_REPRO_MAX_PATHS][OB_AW_GROUPS];
    /* Gradient history sqrt(v_hat) per group at the end (reference path, L2 run). */
    double rms[OB_AW_GROUPS];
} ob_repro_adamw_measured;

/* Claim: with L2 inside Adam the decay is divided by sqrt(v_hat), so the
 * weights with a large gradient history are regularised less; decoupled
 * decay is the same for every weight.  Per path: L2's effective decay of
 * A is below 1/3 of B's; AdamW's are equal within 1% (and equal 1); and
 * the ordering of the retained fractions differs: under L2 A keeps more
 * than B, under AdamW less.  NOT REPRODUCED when L2 decays A at least as
 * much as B, AdamW's decays differ by more than 10% from each other or
 * by more than 2% from 1 (not lr*wd: a wrong lr), or the orderings agree;
 * INCONCLUSIVE otherwise. */
ob_repro_verdict ob_repro_check_adamw(const ob_repro_adamw_measured *m, char *why, size_t len);

/* -- 7: rates on strongly convex quadratics --------------------------------------- */

enum { OB_RATE_GD, OB_RATE_GD_1L, OB_RATE_HEAVY_BALL, OB_RATE_NESTEROV, OB_RATE_METHODS };
#define OB_RATE_KAPPAS 3

typedef struct ob_repro_rates_measured {
    double kappa[OB_RATE_KAPPAS];
    uint64_t steps[OB_RATE_KAPPAS][OB_RATE_METHODS];
    double hb_constant[OB_RATE_KAPPAS]; /* C of the heavy-ball bound */
    unsigned paths;
    /* max over k >= 1 of observed / bound */
    double worst[OB_RATE_KAPPAS][OB_RATE_METHODS][OB_REPRO_MAX_PATHS];
    /* max over k >= 1 of |observed / exact - 1|, exact = the method's own
     * trajectory on this quadratic, computed per curvature in double from
     * the theorem's recursion (GD, Polyak's heavy ball, Nesterov's scheme
     * (2.2.19)) with the theorem's step and momentum */
    double exact_dev[OB_RATE_KAPPAS][OB_RATE_METHODS][OB_REPRO_MAX_PATHS];
} ob_repro_rates_measured;

/* The largest |observed / exact - 1| that still counts as the method's
 * trajectory: fp32 rounding stays below 3e-3 (the heavy ball at kappa 1000,
 * full mode: 2.6e-3; the fp64 reference below 1e-11), while a 2%
 * wrong step or plain momentum for Nesterov is off by 20% or more before
 * the bound's floor. */
#define OB_REPRO_RATE_EXACT_TOL 1e-2

/* Claim: each method, run with the theorem's parameters, stays under its
 * bound at every step.  REPRODUCED when every worst ratio is <= 1 (plus
 * 1e-9 for rounding in the ratio itself) and every trajectory is the
 * method's (exact_dev <= OB_REPRO_RATE_EXACT_TOL: the bound holds for the
 * method the theorem is about, not for another that happens to be
 * faster); NOT REPRODUCED otherwise. */
ob_repro_verdict ob_repro_check_rates(const ob_repro_rates_measured *m, char *why, size_t len);

/* -- 8: the noisy quadratic model (Zhang et al. 2019) ---------------------------- */

#define OB_NQM_MAX_CHECKPOINTS 32

typedef struct ob_repro_nqm_measured {
    size_t seeds;
    size_t n_checkpoints;
    uint64_t t[OB_NQM_MAX_CHECKPOINTS];
    double expected[OB_NQM_MAX_CHECKPOINTS]; /* closed form */
    unsigned paths;
    double mean[OB_REPRO_MAX_PATHS][OB_NQM_MAX_CHECKPOINTS];    /* over seeds */
    double stderr_[OB_REPRO_MAX_PATHS][OB_NQM_MAX_CHECKPOINTS]; /* standard error of the mean */
    double z_crit;                                              /* half-width in standard errors */
} ob_repro_nqm_measured;

/* Claim: the mean loss of SGD over seeds matches the closed-form expected
 * loss.  Per path and checkpoint, z = |mean - expected| / stderr:
 * REPRODUCED when every z <= z_crit; NOT REPRODUCED when any z > z_crit;
 * INCONCLUSIVE when some interval is wider than 20% of the expected loss
 * (too few seeds to tell). */
ob_repro_verdict ob_repro_check_nqm(const ob_repro_nqm_measured *m, char *why, size_t len);

/* -- 10: bf16 storage and rounding (Gupta et al. 2015; Zamirai et al. 2020) -- */

/* The formats the entry runs, in this order (harness/repro/repro_bf16.c). */
enum {
    OB_BF16_FP32,
    OB_BF16_STATE,
    OB_BF16_FP16_GRADS,
    OB_BF16_PARAMS_RNE,
    OB_BF16_PARAMS_SR,
    OB_BF16_ALL_RNE,
    OB_BF16_ALL_SR,
    OB_BF16_FORMATS
};
#define OB_BF16_PROBLEMS 2

typedef struct ob_repro_bf16_measured {
    uint64_t steps;
    unsigned paths; /* the ISAs that ran */
    size_t n_problems;
    char problem[OB_BF16_PROBLEMS][32];
    double gap0[OB_BF16_PROBLEMS];                       /* f(x0) - f* */
    double gap_fp64[OB_BF16_PROBLEMS];                   /* the fp64 reference's final f - f* */
    double gap[OB_BF16_PROBLEMS][OB_BF16_FORMATS];       /* final f - f* (lead ISA) */
    uint64_t skipped[OB_BF16_PROBLEMS][OB_BF16_FORMATS]; /* steps skipped on fp16 overflow */
} ob_repro_bf16_measured;

/* Claim: bf16 parameters with nearest rounding stall (final f - f* at
 * least 10x fp32's) and stochastic rounding recovers (at most a tenth of
 * nearest rounding's).  Per problem: NOT REPRODUCED when nearest rounding
 * is within 2x of fp32, or stochastic rounding keeps at least half of
 * nearest rounding's gap; INCONCLUSIVE in between or when a run
 * diverged. */
ob_repro_verdict ob_repro_check_bf16(const ob_repro_bf16_measured *m, char *why, size_t len);

/* -- sgdr: Loshchilov & Hutter 2017 (warm restarts) ------------------------------ */

/* The schedules (harness/repro/repro_sgdr.c), in this order. */
enum { OB_SGDR_RESTARTS, OB_SGDR_CONSTANT, OB_SGDR_STEP, OB_SGDR_SCHEDULES };
#define OB_SGDR_MAX_EPOCHS 160
/* SGDR must reach the target in at most this fraction of the better
 * baseline's epochs (the paper's "2-4x fewer": its lower end). */
#define OB_SGDR_RATIO 0.5

typedef struct ob_repro_sgdr_measured {
    unsigned epochs;
    ob_repro_tuning tuning[OB_SGDR_SCHEDULES];
    unsigned paths;
    /* f - f* after every epoch, per schedule and path (tuned lr). */
    double gap[OB_SGDR_SCHEDULES][OB_REPRO_MAX_PATHS][OB_SGDR_MAX_EPOCHS];
    double target[OB_REPRO_MAX_PATHS];                         /* the baselines' best final f - f* */
    unsigned to_target[OB_SGDR_SCHEDULES][OB_REPRO_MAX_PATHS]; /* first epoch at or below it; 0 never */
} ob_repro_sgdr_measured;

/* Claim: warm restarts reach the baselines' final loss in fewer epochs.
 * Per path, target = min(final gap of constant, of step); epochs-to-target
 * = the first epoch at or below it.  REPRODUCED when SGDR's <=
 * OB_SGDR_RATIO x the better baseline's; NOT REPRODUCED when SGDR's >= the
 * better baseline's or SGDR never gets there; INCONCLUSIVE in between, or
 * when a tuned lr is at an end of its grid. */
ob_repro_verdict ob_repro_check_sgdr(const ob_repro_sgdr_measured *m, char *why, size_t len);

/* -- kingma_bias: Kingma & Ba 2015 §3, Figure 4 (bias correction) -------------------- */

enum { OB_KBB_CORRECTED, OB_KBB_UNCORRECTED, OB_KBB_ARMS };
#define OB_KBB_BETA2S 3 /* 0.99, 0.999, 0.9999 */
#define OB_KBB_MAX_LR 8
/* Adam's step bound (§2.1): |Delta| <= lr max(1, (1 - beta1)/sqrt(1 -
 * beta2)) with bias correction (3.16 lr at beta2 0.999, 10 lr at 0.9999;
 * the second case is reached by a weight whose gradient turns on after a
 * run of zeros, a rare pixel).  Without the correction a steady gradient's
 * ratio (1 - beta1^t)/sqrt(1 - beta2^t) peaks at 6.6 and 21, beyond it.
 * The largest early loss without the correction must also reach 1.2x the
 * corrected one's at some lr. */
#define OB_KBB_LOSS_RATIO 1.2

typedef struct ob_repro_kingma_bias_measured {
    int data_missing; /* 1: Fashion-MNIST could not be loaded (reason) */
    char reason[512];
    uint64_t steps;
    double beta1, beta2[OB_KBB_BETA2S]; /* the stated ones (0.9; 0.99, 0.999, 0.9999) */
    size_t n_lr;
    double lr[OB_KBB_MAX_LR];
    unsigned paths;
    /* [beta2][arm][lr][path]: the largest |x_t,i - x_t-1,i| / lr over the
     * steps and weights, and the largest loss sampled over the steps. */
    double max_step[OB_KBB_BETA2S][OB_KBB_ARMS][OB_KBB_MAX_LR][OB_REPRO_MAX_PATHS];
    double max_loss[OB_KBB_BETA2S][OB_KBB_ARMS][OB_KBB_MAX_LR][OB_REPRO_MAX_PATHS];
} ob_repro_kingma_bias_measured;

/* Claim: without bias correction, beta2 close to 1 makes the early steps
 * large and the early loss spike; with it the steps stay within Adam's
 * bound.  Per path, for beta2 = 0.999 and 0.9999 (index 1, 2), with
 * bound = max(1, (1 - beta1)/sqrt(1 - beta2)) lr: REPRODUCED when every
 * corrected step is within the bound, the largest uncorrected step
 * exceeds it, and max over lr of (uncorrected / corrected largest early
 * loss) >= OB_KBB_LOSS_RATIO; NOT REPRODUCED when a corrected step
 * exceeds the bound, no uncorrected step does, or the loss ratio is <= 1
 * at every lr; INCONCLUSIVE in between or without the data set. */
ob_repro_verdict ob_repro_check_kingma_bias(const ob_repro_kingma_bias_measured *m, char *why, size_t len);
/* Adam's step bound in units of lr (§2.1): max(1, (1 - beta1)/sqrt(1 - beta2)). */
double ob_repro_kingma_bias_bound(double beta1, double beta2);

/* -- nqm_batch: Zhang et al. 2019 §3-4 (critical batch sizes) ------------------------ */

enum { OB_NQMB_SGD, OB_NQMB_MOMENTUM, OB_NQMB_PRECOND, OB_NQMB_CONFIGS };
#define OB_NQMB_MAX_B 20
#define OB_NQMB_CHECKS 4 /* simulation checkpoints per configuration */

typedef struct ob_repro_nqm_batch_measured {
    size_t n_batch;
    double batch[OB_NQMB_MAX_B]; /* increasing, batch[0] the reference batch */
    /* Closed form, per configuration and batch: the fewest steps to the
     * target over the lr grid (0: never), that lr, and whether it is at an
     * end of the grid. */
    uint64_t steps[OB_NQMB_CONFIGS][OB_NQMB_MAX_B];
    double best_lr[OB_NQMB_CONFIGS][OB_NQMB_MAX_B];
    int lr_edge[OB_NQMB_CONFIGS][OB_NQMB_MAX_B];
    size_t crit[OB_NQMB_CONFIGS]; /* index of the critical batch size */
    /* Simulation with the kernels at each configuration's critical batch
     * size and tuned lr: mean and standard error of the loss over the
     * seeds at the checkpoints, and the recurrence's expectation. */
    unsigned paths;
    size_t seeds, n_check;
    double sim_batch[OB_NQMB_CONFIGS], sim_lr[OB_NQMB_CONFIGS];
    uint64_t sim_t[OB_NQMB_CONFIGS][OB_NQMB_CHECKS];
    double expected[OB_NQMB_CONFIGS][OB_NQMB_CHECKS];
    double mean[OB_NQMB_CONFIGS][OB_REPRO_MAX_PATHS][OB_NQMB_CHECKS];
    double se[OB_NQMB_CONFIGS][OB_REPRO_MAX_PATHS][OB_NQMB_CHECKS];
    double z_crit;
} ob_repro_nqm_batch_measured;

/* Claim: perfect scaling up to a critical batch size B*, flat beyond, B*
 * larger with momentum and with preconditioning.  REPRODUCED when for
 * every configuration B x steps at B* / 4 is within 1.1x of its value at
 * batch[0], the steps at the largest batch are >= 1/4 of those at B*,
 * B*(momentum) > B*(SGD) and B*(precond) > B*(SGD), and every simulated
 * mean is within z_crit standard errors of the recurrence; NOT REPRODUCED
 * when one fails; INCONCLUSIVE when a tuned lr up to the batch after B*
 * is at an end of its grid, the grid ends less than 16x beyond B*, B* <
 * 4 batch[0], or an interval is wider than 20% of the expected loss. */
ob_repro_verdict ob_repro_check_nqm_batch(const ob_repro_nqm_batch_measured *m, char *why, size_t len);
/* The recurrences' E[l_t] for configuration k (SGD, momentum 0.9,
 * preconditioned p = 0.5) at lr, batch B, step t >= 1. */
double ob_repro_nqm_batch_expected(int k, double lr, double B, uint64_t t);
/* ===== lr x wd grids on Fashion-MNIST (repro_grid.c): lh_heatmap, lion_lr_wd ===== */

#define OB_REPRO_GRID_MAX 9

/* One method's grid: score[i][j] is the test loss (mean cross-entropy on
 * the 10000 test images, fp64 reference) after a run at lr[i] and
 * weight decay wd[j]; NaN when the run diverged.  lr and wd increase in
 * equal log steps. */
typedef struct ob_repro_grid {
    size_t n_lr, n_wd;
    double lr[OB_REPRO_GRID_MAX], wd[OB_REPRO_GRID_MAX];
    double score[OB_REPRO_GRID_MAX][OB_REPRO_GRID_MAX];
} ob_repro_grid;

/* What a grid says about where its optimum lies. */
typedef struct ob_repro_grid_fit {
    size_t best_i, best_j; /* the lowest score */
    double best;
    /* Per lr row: the best wd, from the parabola in log wd through the
     * row's minimum and its two neighbours (so it is not limited to the
     * grid's values); row_state 1 = used in the fit, 0 = not in the good
     * region (its minimum more than `good` above the grid's best, relative),
     * -1 = its minimum lies at an end of the wd axis (not bracketed). */
    double best_wd[OB_REPRO_GRID_MAX];
    int row_state[OB_REPRO_GRID_MAX];
    size_t rows_used, rows_edge;
    /* Least-squares slope of log10(best wd) on log10(lr) over the used
     * rows (NaN with fewer than 2), and its correlation. */
    double slope, corr;
} ob_repro_grid_fit;

/* Fits g (a pure function of the scores): `good` is the relative margin
 * of the good region (a row is in it when its minimum is <= best (1 +
 * good)). */
void ob_repro_grid_fit_of(const ob_repro_grid *g, double good, ob_repro_grid_fit *f);

/* -- 11: Loshchilov & Hutter 2019, Fig. 2 (lr x wd heatmaps) -------------------- */

enum { OB_LH_ADAM_L2, OB_LH_ADAMW, OB_LH_METHODS };

/* Rows whose minimum is within this relative margin of the grid's best
 * form the good region whose shape is measured. */
#define OB_LH_GOOD 0.25

typedef struct ob_repro_lh_measured {
    int data_missing; /* 1: Fashion-MNIST could not be loaded (reason) */
    char reason[512];
    ob_repro_grid grid[OB_LH_METHODS];
    unsigned paths;
    /* The test loss of each method's best cell, rerun on every path. */
    double best_loss[OB_LH_METHODS][OB_REPRO_MAX_PATHS];
} ob_repro_lh_measured;

/* Claim: the best weight decay does not depend on the learning rate for
 * AdamW with the paper's decay eta_t*lambda (the good region is
 * axis-aligned), while for Adam with L2 it falls as the learning rate
 * grows (a diagonal region).  On the slopes s of log10(best wd) against
 * log10(lr) over each grid's good rows (OB_LH_GOOD): REPRODUCED when
 * s_L2 <= -0.5, |s_W| <= 0.3 and each fit has >= 3 rows; NOT REPRODUCED
 * when s_W <= -0.5, |s_W| >= 0.5, s_L2 >= -0.2 or s_W - s_L2 < 0.3 (no
 * more separable than L2); INCONCLUSIVE otherwise, with fewer than 3
 * rows, or without the data set. */
ob_repro_verdict ob_repro_check_lh(const ob_repro_lh_measured *m, char *why, size_t len);

/* The best value along one axis of a grid (axis 0: lr, 1: wd): the
 * profile min over the other axis, its argmin refined by the parabola in
 * log through its neighbours.  Returns NaN with *edge = 1 when the argmin
 * is at an end of the axis (not bracketed). */
double ob_repro_grid_best_along(const ob_repro_grid *g, int axis, int *edge);

/* -- 12: Chen et al. 2023 (Lion's lr and wd against AdamW's) --------------------- */

enum { OB_LION_LION, OB_LION_ADAMW, OB_LION_METHODS };

typedef struct ob_repro_lion_measured {
    int data_missing; /* 1: Fashion-MNIST could not be loaded (reason) */
    char reason[512];
    ob_repro_grid grid[OB_LION_METHODS];
    unsigned paths;
    double best_loss[OB_LION_METHODS][OB_REPRO_MAX_PATHS]; /* the best cells rerun on every path */
} ob_repro_lion_measured;

/* Claim: Lion's best lr is 3-10x smaller than AdamW's and its best
 * weight decay 3-10x larger.  With the best lr and wd of each grid
 * (ob_repro_grid_best_along): r_lr = lr_adamw / lr_lion, r_wd = wd_lion /
 * wd_adamw.  REPRODUCED when both lie in [3, 10]; NOT REPRODUCED when
 * either lies outside [2, 15]; INCONCLUSIVE in between (the grid's
 * resolution, a half decade, refined by a parabola), when a best value is
 * at an end of its axis, or without the data set. */
ob_repro_verdict ob_repro_check_lion(const ob_repro_lion_measured *m, char *why, size_t len);

/* -- 13: Schmidt, Schneider & Hennig 2021 (a tuned comparison, profiles) ------------ */

enum { OB_SCH_SGD, OB_SCH_ADAM, OB_SCH_RMSPROP, OB_SCH_ADAGRAD, OB_SCH_OPTS };
#define OB_SCH_MAX_ROWS 32
#define OB_SCH_TAUS 64

typedef struct ob_repro_schmidt_measured {
    size_t n_rows; /* problem instances */
    /* Tuned runtime: the fewest gradient evaluations to f - f* <= tol over
     * the lr grid (fp64 reference); INFINITY when no lr reached it. */
    double t[OB_SCH_MAX_ROWS][OB_SCH_OPTS];
    double best_lr[OB_SCH_MAX_ROWS][OB_SCH_OPTS];
    /* The AlgoPerf-style score (ob_prof_score, r_max 4) and its bootstrap
     * 95% interval over the rows. */
    double score[OB_SCH_OPTS], score_lo[OB_SCH_OPTS], score_hi[OB_SCH_OPTS];
    double tau[OB_SCH_TAUS], profile[OB_SCH_TAUS][OB_SCH_OPTS]; /* Dolan-Moré rho_s(tau) */
} ob_repro_schmidt_measured;

/* Claim: no optimizer dominates, and a tuned Adam is among the best.
 * REPRODUCED when every optimizer is slower than the fastest (r_ps > 1) on
 * at least one solved problem instance, and Adam's 95% interval reaches
 * the top score (hi_adam >= max_s score_s); NOT REPRODUCED when an
 * optimizer is the fastest on every solved instance, or Adam's interval
 * stays below the top score; INCONCLUSIVE when fewer than half the
 * instances were solved by any optimizer. */
ob_repro_verdict ob_repro_check_schmidt(const ob_repro_schmidt_measured *m, char *why, size_t len);

/* -- kingma_mlp: Kingma & Ba 2015 §6.2, Figure 2 (multilayer network) ---------------- */

enum { OB_KMLP_ADAM, OB_KMLP_ADAGRAD, OB_KMLP_RMSPROP, OB_KMLP_NESTEROV, OB_KMLP_METHODS };
#define OB_KMLP_MOMENTA 2 /* SGD Nesterov's momentum grid: 0.9, 0.99 */
#define OB_KMLP_MAX_EVALS 24
#define OB_KMLP_LAST 3 /* the score: the mean of the last 3 loss samples */
/* Adam's score must be at most (1 - margin) x every competitor's. */
#define OB_KMLP_MARGIN 0.05

typedef struct ob_repro_kingma_mlp_measured {
    int data_missing; /* 1: Fashion-MNIST could not be loaded (reason) */
    char reason[512];
    unsigned n_evals; /* loss samples per run, every steps / n_evals steps */
    unsigned paths;
    /* Per method the lr tuning (for SGD Nesterov at its best momentum) and,
     * for SGD Nesterov, the tuning at each momentum of the grid. */
    ob_repro_tuning tuning[OB_KMLP_METHODS];
    double momentum[OB_KMLP_MOMENTA];
    ob_repro_tuning nesterov_tuning[OB_KMLP_MOMENTA];
    size_t best_momentum;
    /* Training loss samples of the tuned runs, [method][path][sample]. */
    double loss[OB_KMLP_METHODS][OB_REPRO_MAX_PATHS][OB_KMLP_MAX_EVALS];
} ob_repro_kingma_mlp_measured;

/* The score of a run: the mean of its last OB_KMLP_LAST loss samples. */
double ob_repro_kingma_mlp_score(const double *loss, unsigned n_evals);
/* Claim: Adam's training loss is the lowest.  Per path, with S the score:
 * REPRODUCED when S_adam <= (1 - OB_KMLP_MARGIN) S_k for every other
 * method k; NOT REPRODUCED when some S_k <= S_adam (or S_adam is not
 * finite); INCONCLUSIVE in between, when a tuned lr is at an end of its
 * grid, or without the data set. */
ob_repro_verdict ob_repro_check_kingma_mlp(const ob_repro_kingma_mlp_measured *m, char *why, size_t len);
/* -- 11: 8-bit block-wise Adam (Dettmers, Lewis, Shleifer & Zettlemoyer 2022) -- */

#define OB_DETTMERS_PROBLEMS 4
/* |rel| within MATCH: matches; beyond MISMATCH: does not (the check). */
#define OB_DETTMERS_MATCH 0.05
#define OB_DETTMERS_MISMATCH 0.20

typedef struct ob_repro_dettmers_measured {
    uint64_t steps;
    unsigned paths; /* the ISAs that ran */
    size_t n_problems;
    char problem[OB_DETTMERS_PROBLEMS][32];
    double lr[OB_DETTMERS_PROBLEMS];
    size_t batch[OB_DETTMERS_PROBLEMS], dim[OB_DETTMERS_PROBLEMS];
    double loss0[OB_DETTMERS_PROBLEMS];     /* the training loss at x0 */
    double loss_fp32[OB_DETTMERS_PROBLEMS]; /* final training loss, fp32 Adam (lead ISA) */
    double loss_q8[OB_DETTMERS_PROBLEMS];   /* final training loss, 8-bit block-wise Adam */
} ob_repro_dettmers_measured;

/* Claim: 8-bit block-wise Adam ends where fp32 Adam does.  Per problem,
 * rel = (loss_q8 - loss_fp32) / (loss0 - loss_fp32): REPRODUCED when every
 * |rel| <= OB_DETTMERS_MATCH; NOT REPRODUCED when some |rel| >
 * OB_DETTMERS_MISMATCH or is not finite; INCONCLUSIVE in between or when
 * fp32 did not decrease the loss. */
ob_repro_verdict ob_repro_check_dettmers(const ob_repro_dettmers_measured *m, char *why, size_t len);

/* The subcommand (its spec, ob_cmd_repro_spec, is in ob_cli.h's list). */
int ob_cmd_repro(int argc, char **argv, FILE *out, FILE *err);

/* ---- the entries --------------------------------------------------------------- */

extern const ob_repro_entry ob_repro_reddi_thm1;
extern const ob_repro_entry ob_repro_reddi_online;
extern const ob_repro_entry ob_repro_reddi_stochastic;
extern const ob_repro_entry ob_repro_wilson;
extern const ob_repro_entry ob_repro_kingma;
extern const ob_repro_entry ob_repro_duchi;
extern const ob_repro_entry ob_repro_adamw;
extern const ob_repro_entry ob_repro_rates;
extern const ob_repro_entry ob_repro_nqm;
extern const ob_repro_entry ob_repro_bf16;
/* dynamics: schedules, bias correction, batch sizes */
extern const ob_repro_entry ob_repro_sgdr;
extern const ob_repro_entry ob_repro_kingma_bias;
extern const ob_repro_entry ob_repro_nqm_batch;
/* lr x wd grids (repro_lh.c, repro_lion.c) */
extern const ob_repro_entry ob_repro_lh_heatmap;
extern const ob_repro_entry ob_repro_lion_lr_wd;
/* a tuned comparison judged by performance profiles (repro_schmidt.c) */
extern const ob_repro_entry ob_repro_schmidt;
/* Kingma & Ba 2015 §6.2: the multilayer network */
extern const ob_repro_entry ob_repro_kingma_mlp;
extern const ob_repro_entry ob_repro_dettmers;

#ifdef __cplusplus
}
#endif
#endif
