/*
 * ob_sweep.h — hyperparameter sweeps (`optbench sweep`, README
 * "Hyperparameter sweeps"): grid or random search over any optimizer
 * hyperparameters (or quasi-random or Bayesian search), several problem
 * seeds per setting, the best setting of
 * each optimizer on each problem, and DeepOBS-style sensitivity figures
 * (Schneider, Balles & Hennig 2019).
 *
 * Vocabulary:
 *   axis     one --grid: a key and its values (log-spaced, linear or a list);
 *   setting  one (problem, optimizer, hyperparameters) of the search;
 *   run      one setting with one problem seed: one ob_run_case, recorded
 *            as one small JSON file <dir>/sweep/points/<hash>.json, written
 *            atomically the moment it finishes.  The hash is that of the
 *            run's canonical text (problem configuration, optimizer, every
 *            hyperparameter, schedule, steps, seed, ISAs), so a run that was
 *            recorded before is recognised and not redone (resume).
 *
 * Files of a sweep, under <run-dir>/sweep/:
 *   spec.json          the specification the runs were planned from; a
 *                      later sweep into the same folder must match it
 *   points/<hash>.json one per finished run
 *   sweep.json         settings aggregated over seeds, the best setting per
 *                      (problem, optimizer) and the figures (the report
 *                      reads it; format in README)
 *   <problem>.png/.svg the sensitivity figure; data/<problem>.<opt>.csv
 *                      what it plots
 * and of `sweep --compare-search`, under <run-dir>/sweep-compare/:
 *   points/<hash>.json every search's runs (the same records, shared)
 *   compare.json       {"format": "optbench-search-compare", "version": 1,
 *                      "pairs", "search_seeds", "budget", "seconds",
 *                      "summary": [{"method", "seeds", "settings",
 *                      "quarter_share_pairs", "quarter_share_cases",
 *                      "quarter_reached_pairs", "quarter_median_ratio",
 *                      "final_share_cases", "final_median_ratio"}],
 *                      "table", "figure"} (the report reads it)
 *   compare.md, curves.csv, data/<search>.csv, compare.png/.svg
 *
 * sweep.json (OB_SWEEP_FORMAT, version OB_SWEEP_VERSION; README has the
 * full table):
 *   {"format": "optbench-sweep", "version": 1,
 *    "status": "complete" | "interrupted" | "incomplete",
 *    "meta": {...as results.json}, "spec": {...spec.json's},
 *    "criterion": "loss" | "steps", "criterion_text": "...", "path": "scalar",
 *    "axes": [{"key","spacing","lo","hi","n","values"}],
 *    "runs_planned", "runs_done", "agreement_violations",
 *    "problems": [{"problem","seeds","stochastic","fstar","tol","criterion"}],
 *    "points": [{"problem","optimizer","hparams":{swept keys},"seeds","seeds_done",
 *                "median","min","max", "final_loss":{"median","min","max"},
 *                "steps_to_target":{"median","min","max","reached"},
 *                "diverged","agreement_ok",
 *                "runs":[{"seed","file","done","final_loss","steps_to_target","diverged_at"}]}],
 *    "best": [{"problem","optimizer","hparams":{every key},"swept":{swept keys},
 *              "criterion","median","min","max","seeds","final_loss_median",
 *              "steps_to_target_median","reached","diverged","settings_tried","steps"}],
 *    "figures": ["sweep/<problem>.png", ...], "figure_errors": ["..."],
 *    "skipped": [{"problem","optimizer","hparams","reason"}], "notes": ["..."]}
 * median/min/max are of the problem's criterion metric (final loss, or
 * steps to target), over its seeds; null stands for +inf (diverged, never
 * reached) and for unknown values.
 *
 * A shard (--shard I/N, README "Scaling out") runs the runs whose index
 * in the plan is I modulo N, in a folder of its own that also holds
 * shard.json; `optbench merge` (ob_merge.h) combines the shards' folders
 * into one sweep folder.
 *
 * Split over sweep_axis.c (one --grid axis), sweep.c (specification and
 * plan), sweep_spec.c (spec.json), sweep_shard.c (shards, shard.json),
 * sweep_exec.c (running, recording, resuming), sweep_report.c
 * (aggregation, sweep.json, figures, the summary table), sweep_search.c
 * (Sobol and Halton points), sweep_bayes.c (the Gaussian process and the
 * rounds of the Bayesian search) and sweep_compare.c (--compare-search);
 * sweep_internal.h holds what they share.
 */
#ifndef OB_SWEEP_H
#define OB_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "harness/run/ob_run.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OB_SWEEP_FORMAT "optbench-sweep"
#define OB_SWEEP_VERSION 1
#define OB_SWEEP_SPEC_FORMAT "optbench-sweep-spec"
#define OB_SWEEP_POINT_FORMAT "optbench-sweep-point"

#define OB_SWEEP_MAX_AXES 16
#define OB_SWEEP_MAX_LIST 64      /* optimizers, problems */
#define OB_SWEEP_MAX_VALUES 10000 /* values of one axis */
#define OB_SWEEP_MAX_RUNS 1000000 /* runs of one sweep */
#define OB_SWEEP_MAX_SEEDS 1000   /* --seeds */

/* Test hook: "K:SIG" makes the sweep raise signal SIG in itself once it has
 * recorded K runs (e.g. "3:9": SIGKILL after the third), so the tests can
 * interrupt a sweep at a known point without timing. */
#define OB_SWEEP_TEST_SIGNAL_ENV "OPTBENCH_TEST_SWEEP_SIGNAL"

/* ---- axes ------------------------------------------------------------- */

typedef enum ob_sweep_spacing { OB_SWEEP_LOG, OB_SWEEP_LIN, OB_SWEEP_LIST } ob_sweep_spacing;

typedef struct ob_sweep_axis {
    char key[64];
    ob_sweep_spacing spacing;
    double lo, hi;  /* log, lin: the range; list: smallest and largest value */
    size_t n;       /* number of values */
    double *values; /* the values in order (malloc'd) */
} ob_sweep_axis;

/* Parses one --grid: "key=log:LO:HI:N" (N log-spaced values from LO to HI,
 * both included), "key=lin:LO:HI:N" (N evenly spaced values) or
 * "key=V1,V2,..." (a list; true and false stand for 1 and 0).  N = 1 gives
 * LO.  Syntax only: the key is checked against the optimizers by
 * ob_sweep_plan.  Returns 0, or -1 with a message quoting the text. */
int ob_sweep_axis_parse(const char *text, ob_sweep_axis *ax, char *err, size_t errlen);
void ob_sweep_axis_free(ob_sweep_axis *ax);

/* ---- the plan --------------------------------------------------------- */

/* The search: the grid, --random N, or --search sobol|halton|bayes with
 * --budget N settings per (problem, optimizer) (README "Search
 * strategies"). */
typedef enum ob_sweep_search_kind {
    OB_SWEEP_SEARCH_GRID,
    OB_SWEEP_SEARCH_RANDOM,
    OB_SWEEP_SEARCH_SOBOL,
    OB_SWEEP_SEARCH_HALTON,
    OB_SWEEP_SEARCH_BAYES,
} ob_sweep_search_kind;

/* One run: a setting with one problem seed. */
typedef struct ob_sweep_run {
    size_t setting; /* index in ob_sweep.settings */
    uint64_t seed;
    uint64_t instance; /* problem instance (--instances; 0: the problem as published) */
    char hash[17]; /* file name: points/<hash>.json */
    char *key;     /* the canonical text the hash is taken of */
    int done;      /* recorded (in this invocation or an earlier one) */
    int resumed;   /* found recorded when the sweep started */
    int other_shard; /* another shard's run (--shard): not run, loaded or counted here */
    /* From the record (the scored path: ob_sweep.scored): */
    double final_loss;        /* +inf when the run diverged */
    uint64_t steps_to_target; /* 0: not reached */
    uint64_t diverged_at;     /* 0: never */
    int agree_ok;             /* every fp32 agreement check passed */
    int has_fstar;
    double fstar, tol;
} ob_sweep_run;

/* One (problem, optimizer, hyperparameters) of the search. */
typedef struct ob_sweep_setting {
    size_t problem, opt;             /* indices in ob_sweep.problems / opts */
    ob_case c;                       /* the case (its seed is set per run) */
    double value[OB_SWEEP_MAX_AXES]; /* the swept values */
    int has[OB_SWEEP_MAX_AXES];      /* 1: the optimizer has this axis's key */
    size_t first_run, n_runs;        /* its runs, one per seed */
} ob_sweep_setting;

typedef struct ob_sweep {
    cJSON *spec; /* the normalised specification (spec.json's "spec") */
    const ob_optimizer *opts[OB_SWEEP_MAX_LIST];
    size_t n_opts;
    const ob_problem_spec *problems[OB_SWEEP_MAX_LIST];
    size_t n_problems;
    uint64_t problem_seeds[OB_SWEEP_MAX_LIST]; /* seeds run on each problem */
    uint64_t problem_instances[OB_SWEEP_MAX_LIST]; /* instances 0..k-1 run on each problem */
    ob_sweep_axis axes[OB_SWEEP_MAX_AXES];
    size_t n_axes;
    uint64_t random;   /* random search: number of draws; 0: grid search */
    uint64_t seed;     /* random search's seed */
    uint64_t seeds;    /* --seeds K: problem seeds 0..K-1 */
    uint64_t instances; /* --instances K: problem instances 0..K-1 (1: none) */
    unsigned isa_mask; /* fp32 paths run besides the fp64 reference */
    int scored;        /* the ISA whose results are scored; -1: the reference */
    ob_sweep_setting *settings;
    size_t n_settings;
    ob_sweep_run *runs;
    size_t n_runs;
    cJSON *skipped; /* [{"problem","optimizer","hparams","reason"}] */
    cJSON *notes;   /* ["...", ...]: what the user should know */
    ob_sweep_search_kind search; /* --random keeps `random` above as well */
    uint64_t budget;             /* --budget: settings per (problem, optimizer) */
    uint64_t proposals;          /* Bayesian search: settings proposed per round */
    ob_case *bases;              /* per problem x optimizer: the base case (opt NULL: left out) */
} ob_sweep;

/* The specification options (the keys of spec.json's "spec", named as the
 * command-line options).  kind: 0 one value, 1 repeatable, 2 flag. */
typedef struct ob_sweep_spec_key {
    const char *name;
    int kind;
} ob_sweep_spec_key;
extern const ob_sweep_spec_key ob_sweep_spec_keys[];
extern const size_t ob_sweep_spec_key_count;

/* Plans a sweep from a specification: an object with the keys of
 * ob_sweep_spec_keys, values as given on the command line (strings, arrays
 * of strings for the repeatable ones, booleans for flags, null or absent
 * for defaults).  Checks everything (names, grid syntax, keys against the
 * optimizers, hyperparameter ranges), expands the settings and runs and
 * normalises the specification into sw->spec.  Returns 0, or -1 with a
 * message (a usage error: exit 2); sw is then freed. */
int ob_sweep_plan(const cJSON *spec, ob_sweep *sw, char *err, size_t errlen);
void ob_sweep_free(ob_sweep *sw);

/* "lr=0.01 momentum=0.9": the swept values of a setting. */
void ob_sweep_describe(const ob_sweep *sw, const ob_sweep_setting *s, char *buf, size_t len);

/* Compares two normalised specifications; 0 when equal, else -1 with a
 * message naming the first option that differs and both values. */
int ob_sweep_spec_compare(const cJSON *recorded, const cJSON *given, char *err, size_t errlen);

/* spec.json: {"format": OB_SWEEP_SPEC_FORMAT, "version", "spec": {...}}.
 * The reader returns the "spec" object (NULL with a message naming the
 * file when it is not one of this version). */
cJSON *ob_sweep_spec_read(const char *path, char *err, size_t errlen);
int ob_sweep_spec_write(const char *path, const cJSON *spec, char *err, size_t errlen);

/* ---- shards ------------------------------------------------------------- */

#define OB_SWEEP_SHARD_FORMAT "optbench-sweep-shard"

/* What a shard's folder records in sweep/shard.json: which shard, how many
 * of the sweep's runs are its, and the optbench that ran it (a merge
 * refuses to mix versions or commits). */
typedef struct ob_sweep_shard_info {
    ob_shard shard;
    uint64_t runs, runs_total;
    char version[64], commit[128], cpu[256];
} ob_sweep_shard_info;

/* Marks the runs that are not sh's as other_shard (nothing when not
 * sharded) and notes which shard this is; returns the shard's run count. */
size_t ob_sweep_select_shard(ob_sweep *sw, const ob_shard *sh);
/* Writes sweep_dir/shard.json for shard sh of sw; 0 or -1 with a message. */
int ob_sweep_shard_write(const char *sweep_dir, const ob_sweep *sw, const ob_shard *sh, char *err,
                         size_t errlen);
/* Reads sweep_dir/shard.json: 1 read, 0 absent (an unsharded sweep), -1
 * malformed (message naming the file). */
int ob_sweep_shard_read(const char *sweep_dir, ob_sweep_shard_info *info, char *err, size_t errlen);

/* ---- running ------------------------------------------------------------ */

typedef struct ob_sweep_exec_opts {
    int jobs;       /* runs in parallel (worker processes); 1: in this process */
    FILE *progress; /* progress output (NULL: none) */
    FILE *errors;   /* one line per failed run (NULL: none) */
    int tty;        /* progress is a terminal: one line rewritten in place */
    int lock_fd;    /* closed in worker processes (-1: none) */
    /* --tensorboard DIR (NULL: none): each run run now also writes its
     * per-step series as an event file in DIR/<problem>.<opt>/<setting>
     * seed=<k>/, tags "<metric>/<path>/<setting> seed=<k>" (harness/tb;
     * runs found recorded are not run again and get none). */
    const char *tensorboard;
} ob_sweep_exec_opts;

/* Marks the runs already recorded under sweep_dir/points as done (reading
 * their results; another shard's runs are not looked for); a record that cannot be read or belongs to another run
 * is noted and redone.  Removes temporary files an interrupted write left
 * there (the caller holds the sweep's lock).  Returns the number of runs
 * found. */
size_t ob_sweep_load_done(ob_sweep *sw, const char *sweep_dir);

/* Runs every run not done yet (and not another shard's), recording each as it finishes.  Returns
 * OB_EXIT_OK; 128 + signal when interrupted by SIGINT/SIGTERM (what
 * finished is recorded); OB_EXIT_IO when a record cannot be written; or
 * the exit code of the first run that failed (its message in err; the
 * others still run, and *n_failed counts them). */
int ob_sweep_execute(ob_sweep *sw, const char *sweep_dir, const ob_sweep_exec_opts *o, size_t *n_failed,
                     char *err, size_t errlen);

/* Runs the sweep (ob_sweep_execute); a Bayesian search then proposes
 * rounds of sw->proposals settings per (problem, optimizer) from what is
 * recorded and runs them, until each has sw->budget settings.  A round
 * depends only on the recorded results and the seed, so a resumed search
 * replays the same rounds.  Returns as ob_sweep_execute. */
int ob_sweep_run_search(ob_sweep *sw, const char *sweep_dir, const ob_sweep_exec_opts *o, size_t *n_failed,
                        char *err, size_t errlen);

/* ---- comparing the searches (--compare-search) ----------------------------- */

#define OB_SWEEP_COMPARE_FORMAT "optbench-search-compare"

typedef struct ob_sweep_compare_opts {
    const char *run_dir;   /* writes <run_dir>/sweep-compare/ */
    uint64_t search_seeds; /* seeds of random, Sobol and Bayesian search (1..K) */
    int jobs;
    FILE *progress, *errors;
    int lock_fd;          /* closed in worker processes (-1: none) */
    int figures;          /* 1: render compare.png/.svg */
    const char *plot_dir; /* NULL: found (ob_find_plot_dir) */
} ob_sweep_compare_opts;

/* Runs the grid of the specification (defaults: problems mgh_rosenbrock
 * and quad_diag, --grid lr=log:1e-4:1:33, 1000 steps, every optimizer),
 * then random, Sobol and Bayesian search (--budget: default half the
 * grid; --proposals: default 2) with each search seed, all recorded in
 * <run_dir>/sweep-compare/points; writes compare.json, compare.md,
 * curves.csv, data/<search>.csv and compare.png/.svg there and prints the
 * table.  Returns an exit code (err: the message). */
int ob_sweep_compare(const cJSON *spec, const ob_sweep_compare_opts *o, FILE *out, char *err, size_t errlen);

/* ---- results ------------------------------------------------------------- */

typedef enum ob_sweep_criterion { OB_SWEEP_BY_LOSS, OB_SWEEP_BY_STEPS } ob_sweep_criterion;

/* Parses "loss" or "steps"; 0 or -1. */
int ob_sweep_criterion_parse(const char *s, ob_sweep_criterion *out);

typedef struct ob_sweep_report_opts {
    ob_sweep_criterion criterion;
    const char *status;   /* "complete", "interrupted", "incomplete" */
    int figures;          /* 1: render the sensitivity figures */
    const char *plot_dir; /* the gnuplot scripts; NULL: found (ob_find_plot_dir) */
    const char *gnuplot;  /* NULL: OPTBENCH_GNUPLOT, else "gnuplot" */
    cJSON *meta;          /* run metadata (taken over) */
} ob_sweep_report_opts;

/* Aggregates the recorded runs, writes sweep_dir/sweep.json and the
 * figures, and prints the tuned-comparison table to out.  Returns 0; 1
 * when a figure failed (named in err, sweep.json kept); or OB_EXIT_IO when
 * sweep.json cannot be written. */
int ob_sweep_report(const ob_sweep *sw, const char *sweep_dir, const ob_sweep_report_opts *o, FILE *out,
                    char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
