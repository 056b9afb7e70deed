/*
 * cmd_profile.c — `optbench profile RUN_DIR...`: the aggregate profiles of
 * one or more runs (ob_profile.h; README "Profiles").
 */
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "profile_internal.h"

static const ob_opt profile_opts[] = {
    {"out", "DIR", 0, "output folder (default: RUN_DIR/profile of the first run)"},
    {"path", "fp32|reference", 0, "the path profiled: the fp32 kernel (scalar, else the first ISA; default) or the fp64 reference"},
    {"source", "TEXT", 0, "what the runs are, for the report (default: read from the runs: \"tuned, the best settings of sweep DIR\" for `run --from-sweep DIR`, else e.g. \"the default suite (default hyperparameters, not tuned)\")"},
    {"tau", "T", 0, "Moré-Wild tolerance of the performance and data profiles and the score (default 1e-3)"},
    {"rmax", "R", 0, "the score's r_max (default 4)"},
    {"bootstrap", "B", 0, "bootstrap replicates (default 1000)"},
    {"seed", "S", 0, "bootstrap seed (default 1)"},
    {"plot-dir", "DIR", 0, OB_PLOT_DIR_HELP},
    {"gnuplot", "PROGRAM", 0, "the gnuplot to run (default: OPTBENCH_GNUPLOT, else gnuplot on PATH)"},
    {"no-figures", NULL, OB_OPT_FLAG, "CSV and tables only; gnuplot is not needed"},
    {"overlay", NULL, OB_OPT_FLAG, "each run's optimizers as their own series, <opt>@<label>, in one set of figures"},
    {"label", "NAME", OB_OPT_REPEAT, "overlay: the label of each run, in order (default: the run folder's name)"},
    {"intersect", NULL, OB_OPT_FLAG, "overlay: compare the problem instances every run has (default: runs that differ are an error)"},
    {"quiet", NULL, OB_OPT_FLAG, "no progress output"},
};

const ob_cmd_spec ob_cmd_profile_spec = {
    "profile",
    "RUN_DIR... [--out DIR] [--path fp32|reference] [--tau T] [--rmax R] [--bootstrap B] [--seed S] ...",
    "runtime ECDFs, performance and data profiles and a score per optimizer over runs",
    "Reads the runtimes to targets in each RUN_DIR/results.json (optbench run,\n"
    "best with --instances K) and writes, in the output folder: runtime ECDFs\n"
    "per problem family and over every problem with known f*, with bootstrapped\n"
    "95% bands; the Dolan-Moré performance profile; the Moré-Wild data profile;\n"
    "the AlgoPerf-style score of each optimizer (the area under its performance\n"
    "profile up to r_max, normalised) with a bootstrap interval and a ranking;\n"
    "figures/*.png/.svg, data/*.csv (what the figures plot), profile.json and\n"
    "profile.md. Only optimizers that ran every problem instance are compared\n"
    "(the others are named). Runs are combined (a case in two runs is an error),\n"
    "or with --overlay drawn side by side: adam@A against adam@B.\n"
    "Exit status: 0 done, 1 a figure failed (the rest is written), 2 bad\n"
    "arguments or runs without runtimes, 4 the output cannot be written.",
    profile_opts,
    sizeof profile_opts / sizeof profile_opts[0],
    1,
    64,
    ob_cmd_profile,
};

static int real_opt(const ob_args *a, const char *name, double lo, double *v, FILE *err)
{
    const char *s = ob_args_get(a, name);
    if (s && (ob_parse_real(s, v) != 0 || !(*v > lo)))
        return ob_usage_error(&ob_cmd_profile_spec, err, "--%s: '%s' is not a number > %g", name, s, lo);
    return OB_EXIT_OK;
}

int ob_cmd_profile(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_profile_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    ob_profile_opts o = {.runs = a.pos, .n_runs = a.n_pos, .out = ob_args_get(&a, "out"),
                         .path = ob_args_get(&a, "path"), .source = ob_args_get(&a, "source"), .tau = 1e-3,
                         .rmax = 4, .reps = 1000, .seed = 1, .plot_dir = ob_args_get(&a, "plot-dir"),
                         .gnuplot = ob_args_get(&a, "gnuplot"), .no_figures = ob_args_has(&a, "no-figures"),
                         .progress = ob_args_has(&a, "quiet") ? NULL : err,
                         .overlay = ob_args_has(&a, "overlay"), .intersect = ob_args_has(&a, "intersect")};
    size_t n_labels = 0;
    o.labels = ob_args_all(&a, "label", &n_labels);
    if (n_labels && (!o.overlay || n_labels != o.n_runs)) {
        rc = ob_usage_error(c, err, "--label: one per run, with --overlay (%zu labels, %zu runs)", n_labels, o.n_runs);
        goto done;
    }
    if (!n_labels) o.labels = NULL;
    if (o.intersect && !o.overlay) {
        rc = ob_usage_error(c, err, "--intersect goes with --overlay");
        goto done;
    }
    uint64_t reps = o.reps;
    const char *b = ob_args_get(&a, "bootstrap"), *sd = ob_args_get(&a, "seed");
    if ((rc = real_opt(&a, "tau", 0, &o.tau, err)) || (rc = real_opt(&a, "rmax", 1, &o.rmax, err))) goto done;
    if (o.tau >= 1) {
        rc = ob_usage_error(c, err, "--tau: %g is not below 1", o.tau);
        goto done;
    }
    if ((b && (ob_parse_u64(b, &reps) != 0 || reps < 1 || reps > 1000000)) || (sd && ob_parse_u64(sd, &o.seed) != 0)) {
        rc = ob_usage_error(c, err, "--bootstrap needs 1..1000000 and --seed an integer >= 0");
        goto done;
    }
    o.reps = (size_t)reps;
    rc = ob_profile_build(&o, NULL, 0);
    if (rc == OB_EXIT_OK || rc == OB_EXIT_FAIL) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s", o.out ? o.out : "");
        if (!o.out) snprintf(dir, sizeof dir, "%s/profile", o.runs[0]);
        fprintf(out, "profile: %s/profile.md\n", dir);
    }
done:
    ob_args_free(&a);
    return rc;
}

int ob_profile_build(const ob_profile_opts *o, char *err, size_t errlen)
{
    char msg[2048], dir[4200];
    pf_model m;
    pf_tables t;
    memset(&t, 0, sizeof t);
    snprintf(dir, sizeof dir, "%s", o->out ? o->out : "");
    if (!o->out) snprintf(dir, sizeof dir, "%s/profile", o->runs[0]);
    int rc = pf_read(o, &m, msg, sizeof msg);
    if (rc == OB_EXIT_OK && pf_tables_build(&m, o->tau, &t, msg, sizeof msg) != 0) rc = OB_EXIT_USAGE;
    if (rc == OB_EXIT_OK) rc = pf_write(o, &m, &t, dir, msg, sizeof msg);
    if (rc != OB_EXIT_OK) {
        if (o->progress) fprintf(o->progress, "optbench profile: %s\n", msg);
        if (err) snprintf(err, errlen, "%s", msg);
    }
    pf_tables_free(&t);
    pf_free(&m);
    return rc;
}

/* The overlaid profiles of `optbench report --run A --run B ...`
 * (ob_cli.h): the report is handed this function rather than including
 * this area, which draws with the report's gnuplot helpers. */
int ob_overlay_profile(const char *const *runs, size_t n_runs, const char *const *labels, int intersect,
                       const char *out, const char *plot_dir, const char *gnuplot, int no_figures, char *err,
                       size_t errlen)
{
    /* `optbench profile`'s defaults. */
    ob_profile_opts po = {.runs = runs,
                          .n_runs = n_runs,
                          .out = out,
                          .tau = 1e-3,
                          .rmax = 4,
                          .reps = 1000,
                          .seed = 1,
                          .plot_dir = plot_dir,
                          .gnuplot = gnuplot,
                          .no_figures = no_figures,
                          .overlay = 1,
                          .intersect = intersect,
                          .match_cases = 1,
                          .labels = labels};
    return ob_profile_build(&po, err, errlen);
}
