/*
 * ob_run.h — running one case: an optimizer with its hyperparameters and
 * schedule, on one problem, on the fp64 reference path and on every chosen
 * fp32 kernel variant (and plugin kernels), with agreement, bit-identity
 * and convergence recorded at every step; and suites of cases (the
 * built-in default suite and suite files, last section).
 */
#ifndef OB_RUN_H
#define OB_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "optbench/optimizers.h"
#include "optbench/problems.h"
#include "harness/core/ob_core.h"
#include "harness/engine/ob_engine.h"
#include "harness/plugin/ob_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exit status of `optbench run` when an agreement check failed. */
#define OB_EXIT_AGREEMENT 3

#define OB_MAX_PROBLEM_PARAMS 8

/* One case of a run. */
typedef struct ob_case {
    const ob_optimizer *opt;
    ob_hparams h; /* base hyperparameters (lr before the schedule) */
    ob_schedule sched;
    const ob_problem_spec *problem;
    size_t n; /* dimension (0: the problem's default) */
    uint64_t seed;
    uint64_t instance; /* problem instance (ob_problem_config.instance; 0: the problem as published) */
    size_t batch;                             /* 0: the problem's default */
    char pparams[OB_MAX_PROBLEM_PARAMS][128]; /* problem "key=value" params */
    size_t n_pparams;
    uint64_t steps;
    unsigned isa_mask; /* bit i: run ob_isa i */
    int threads;
    /* The storage format of the kernel paths (kernels/framework/ob_mixed.h;
     * `run --format`, a suite entry's "format").  All-f32 (a zeroed
     * struct) is the plain fp32 kernels, exactly as without a format;
     * another steps with the mixed-precision kernels (ob_engine_cfg.format:
     * no SAM, no box, no plugin paths) and adds the loss scale and skipped
     * steps to the CSV. */
    ob_format format;
    /* Test hook: replaces the kernel of an fp32 path (NULL: the table's). */
    ob_kernel_fn kernel_override[OB_ISA_COUNT];
    /* Called after each recorded step (may be NULL). */
    void (*progress)(void *ctx, uint64_t t, uint64_t steps);
    void *progress_ctx;
    /* Plugin kernels (optbench/plugin.h) that claim this case's optimizer:
     * more fp32 paths beside the ISAs, stepped with the raw
     * hyperparameters on guarded copies (an out-of-bounds write fails the
     * path), the whole case in a child process (a crash fails the plugin
     * paths, not the run).  Their agreement is judged by plugin_bound
     * (u*S) when > 0, else by the kernel's own bound, else the
     * optimizer's; bit-identity with scalar is information. */
    const ob_plugin_kernel *plugin[OB_ENGINE_MAX_EXTRA];
    size_t n_plugins;
    double plugin_bound;
} ob_case;

/* Runtimes to targets (README "Results", runtimes): the first iterate
 * x_s of a path with f(x_s) - f* <= target_j, for the OB_RUNTIME_TARGETS
 * targets 10^(2 - j/5), j = 0..50 (10^2 down to 10^-8, five a decade:
 * cocopp's bbob targets).  On deterministic problems every iterate is
 * seen (the value each gradient evaluation returns anyway, ob_engine's
 * fval observer); on stochastic, online and non-stationary ones, whose
 * step value is not the reported loss, the iterates where convergence is
 * sampled.  Problems without f* keep a trace of (step, loss) instead, from
 * which `optbench profile` takes Moré & Wild's relative decrease against
 * the best loss any optimizer reached. */
#define OB_RUNTIME_TARGETS 51
#define OB_RUNTIME_TRACE 64
#define OB_RUNTIME_NEVER UINT64_MAX

/* Target j (0-based): 10^(2 - j/5). */
double ob_runtime_target(size_t j);

typedef struct ob_runtimes {
    uint64_t steps[OB_RUNTIME_TARGETS]; /* OB_RUNTIME_NEVER: not reached */
    size_t next;                        /* the first target not reached yet */
    double f0;                          /* the loss at x0 (NaN until seen) */
    /* Without f*: sampled (step, loss), thinned to every stride-th sample
     * when full. */
    uint64_t trace_step[OB_RUNTIME_TRACE];
    double trace_loss[OB_RUNTIME_TRACE];
    size_t n_trace, seen, stride;
    uint64_t last_step; /* the last sample, always written */
    double last_loss;
} ob_runtimes;

/* Figures for one path (the reference, or one ISA), as the engine
 * reports them; bit-identity is against the scalar path. */
typedef ob_engine_path_result ob_path_result;

#define OB_DEV_THRESHOLD OB_ENGINE_DEV_THRESHOLD

typedef struct ob_case_result {
    char id[160]; /* "<problem>.<opt>[.<n>]" , unique within a run */
    size_t n;
    size_t batch;
    double fstar;
    int has_fstar;
    double tol;
    ob_path_result ref;
    ob_path_result isa[OB_ISA_COUNT];
    ob_path_result plugin[OB_ENGINE_MAX_EXTRA]; /* by ob_case.plugin (failed: why a path stopped) */
    double plugin_bound[OB_ENGINE_MAX_EXTRA];   /* the bound each was judged by (u*S) */
    char skipped[OB_ISA_COUNT][32]; /* why an asked-for ISA did not run ("no avx2 kernel"), else "" */
    unsigned grad_evals_per_step; /* gradient evaluations per step and path: 2 with SAM, else 1 */
    ob_runtimes rt[1 + OB_ISA_COUNT]; /* the reference, then by ISA */
    int rt_every_step;                /* 1: every iterate was seen (deterministic problems) */
    int ok;                       /* every agreement check passed */
    /* When ob_run_case fails: the exit code of that kind of failure
     * (ob_core.h): OB_EXIT_USAGE a bad configuration, OB_EXIT_DATA a
     * missing or corrupt data set, OB_EXIT_FAIL out of memory or too
     * large, OB_EXIT_IO the CSV could not be written, 128 + signal when
     * interrupted (ob_core.h). */
    int exit_code;
} ob_case_result;

/* The case's id: "<problem>.<optimizer>", with "+sam" or "+asam" when
 * SAM is on, "@<format>" with a storage format other than fp32 (its name,
 * with characters other than letters, digits, '-', '_' and '=' made '+')
 * and ".i<k>" for instance k >= 1 (a run makes repeated ids unique with
 * ".2", ".3", ...). */
void ob_case_id(const ob_case *c, char *buf, size_t len);

/* Runs one case, writing the per-step series to csv_path (atomically; NULL
 * to skip).  Returns 0 (check r->ok for agreement), or -1 with a message
 * and r->exit_code (bad configuration, missing data, out of memory, write
 * failure, or a SIGINT/SIGTERM seen between steps: the CSV is then
 * abandoned, never left half-written).  An asked-for ISA on which the
 * optimizer has no kernel (ob_optimizer_kernel NULL, no override) is not
 * run: r->skipped[i] says why ("no avx2 kernel"). */
int ob_run_case(const ob_case *c, const char *csv_path, ob_case_result *r, char *err, size_t errlen);

/* Memory this process may still use, in bytes: MemAvailable + SwapFree,
 * and no more than `ulimit -v` leaves.  INFINITY when unknown. */
double ob_memory_available(void);

/* Checks a case before anything is written: that its memory fits (an
 * estimate against the available memory and `ulimit -v`) and that its
 * problem can be created (configuration and data files).  Returns
 * OB_EXIT_OK, or the exit code of the failure with a message. */
int ob_case_check(const ob_case *c, char *err, size_t errlen);

/* The "hparams" object of results.json and the sweep records: the
 * optimizer's own keys, then the generic keys in use (clip_norm and
 * clip_value when not 0; sam_rho, sam_adaptive and sam_eta when
 * sam_rho > 0). */
cJSON *ob_hparams_json(const ob_optimizer *o, const ob_hparams *h);

/* The record of a case for results.json. */
cJSON *ob_case_to_json(const ob_case *c, const ob_case_result *r);

/* One line per path for the summary table, with a header. */
void ob_case_summary_header(FILE *out);
void ob_case_summary(FILE *out, const ob_case *c, const ob_case_result *r);

/* ==== suites ============================================================================= */

/*
 * suites of cases: the built-in default suite and suite files.
 *
 * A suite file is JSON (README "Suite files"):
 *   {"cases": [
 *     {"problem": "rosenbrock", "steps": 2000,
 *      "optimizers": ["adam", "sgd"],            (optional; default: all)
 *      "lr": {"adam": 0.02, "*": 1e-3},          (or one number; default: the problem's)
 *      "set": {"sgd": ["momentum=0.9"], "*": []},(or an array for every optimizer)
 *      "schedule": "cosine", "sched_set": ["T_max=2000"],
 *      "n": 10, "batch": 32, "seed": 1, "params": ["cond=100"]}]}
 * Each entry expands to one case per optimizer.  Every error names the
 * file, the entry and the key.  Expansion is linear in the number of cases,
 * stops between entries on SIGINT/SIGTERM (once the command has installed
 * ob_interrupt's handlers: an error saying so, nothing allocated), and a
 * suite of more than OB_SUITE_MAX_CASES cases is refused.
 */

/* The most cases one suite may expand to.  A run rewrites results.json
 * after every case and keeps every case's record in memory (about 2.6 KB
 * each), so far larger suites are better split into several runs (README
 * "Suite files"). */
#define OB_SUITE_MAX_CASES 10000

typedef struct ob_suite {
    ob_case *cases;
    size_t n;
} ob_suite;

/* The built-in default suite, as JSON text. */
extern const char ob_default_suite_json[];

/* Expands a parsed suite into cases.  `origin` names the source in
 * messages.  Returns 0, or -1 with a message (nothing allocated). */
int ob_suite_from_json(const cJSON *root, const char *origin, ob_suite *s, char *err, size_t errlen);
/* Reads a suite file. */
int ob_suite_load(const char *path, ob_suite *s, char *err, size_t errlen);
/* The default suite. */
int ob_suite_default(ob_suite *s, char *err, size_t errlen);
/* The tuned comparison (`run --from-sweep DIR`, suite_sweep.c): one case
 * per best setting of the finished sweep in DIR (DIR/sweep/sweep.json or
 * DIR/sweep.json), with every hyperparameter of that setting and the
 * sweep's problem configuration, schedule and steps.  0, or -1 with a
 * message. */
int ob_suite_from_sweep(const char *dir, ob_suite *s, char *err, size_t errlen);
void ob_suite_free(ob_suite *s);
/* Replaces each case by its instances 0..k-1 (adjacent, in that order),
 * 0..k_data-1 on problems whose instances are data seeds (stochastic
 * ones, often far costlier per case); problems that offer none keep
 * instance 0 only (optbench/problems.h ob_instance_kind).  0, or -1 with
 * a message (s unchanged). */
int ob_suite_instances(ob_suite *s, uint64_t k, uint64_t k_data, char *err, size_t errlen);

/* ---- storage formats (run --format LIST) ------------------------------------ */

#define OB_RUN_MAX_FORMATS 16

/* Parses a comma list of formats, each one as ob_format_parse reads it: a
 * preset of ob_format_presets ("fp32,fp16-grads,bf16") with its options
 * ("bf16-sr,seed=7": a part with '=' continues the format before it) or,
 * at the start, the explicit form ("param=bf16,grad=f16").  Returns the
 * count (1..max), or -1 with ob_format_parse's message (which lists the
 * presets) or one about an empty list, a repeat or too many. */
int ob_format_list_parse(const char *list, ob_format *out, size_t max, char *err, size_t errlen);

/* Replaces each case by one case per format (adjacent, in the list's
 * order).  0, or -1 with a message (s unchanged). */
int ob_suite_formats(ob_suite *s, const ob_format *f, size_t nf, char *err, size_t errlen);

/* ---- shards (run --shard I/N, README "Scaling out") ------------------------ */

/* Keeps the cases of shard sh, round robin over the suite's order (case k
 * when k % N == I), compacting s->cases and ids (computed over the whole
 * suite before, so that each case keeps the id it has in the unsharded
 * run).  Returns the "shard" object results.json records, which `optbench
 * merge` checks and interleaves by: ob_shard_record's (ob_core.h: index,
 * count, the ids of the whole suite in order, the command line without
 * --shard, --out and --quiet) and "optbench_version"; NULL when not
 * sharded (nothing changes) or out of memory. */
cJSON *ob_run_shard_select(ob_suite *s, char (*ids)[160], const ob_shard *sh, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
