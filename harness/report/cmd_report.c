/*
 * cmd_report.c — `optbench report`: the figures and the report of a run
 * folder (ob_report.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "harness/plugin/ob_plugin.h"
#include "ob_report.h"

static const ob_opt report_opts[] = {
    {"run", "DIR", OB_OPT_REPEAT, "the run folder (default: results/latest); given more than once, one report overlaying the runs"},
    {"label", "NAME", OB_OPT_REPEAT, "overlay: the name of each run, in order (default: its run id, the folder's name)"},
    {"out", "DIR", 0, "overlay: the report's folder (default: results/overlay-<label>-vs-<label>...)"},
    {"intersect", NULL, OB_OPT_FLAG, "overlay: compare the cases every run has (default: runs whose cases differ are an error)"},
    {"plot-dir", "DIR", 0, OB_PLOT_DIR_HELP},
    {"gnuplot", "PROGRAM", 0, "the gnuplot to run (default: OPTBENCH_GNUPLOT, else gnuplot on PATH)"},
    {"no-figures", NULL, OB_OPT_FLAG, "tables only; gnuplot is not needed"},
    {"quiet", NULL, OB_OPT_FLAG, "no progress output"},
    OB_PLUGIN_OPTIONS,
};

const ob_cmd_spec ob_cmd_report_spec = {
    "report",
    "[--run DIR]... [--label NAME]... [--out DIR] [--intersect] [--plot-dir DIR] [--gnuplot PROGRAM] [--no-figures] "
    "[--quiet] [--plugin PATH.so]...",
    "render the figures of a run and write its report (report.html, report.md)",
    "Renders every figure with the gnuplot scripts in plot/ (PNG and SVG under\n"
    "<run>/figures/) and writes <run>/report.html and <run>/report.md, which open\n"
    "straight from disk. Inputs that are missing (no bench.csv yet, a lost case\n"
    "CSV) are named in the report, which is still written.\n"
    "The kernels of `run --plugin` and `bench --plugin` are in the run's results\n"
    "and reported without options; --plugin adds each kernel's declaration\n"
    "(keys, state, threads, bound) and names the kernels the run has no results for.\n"
    "With --run given more than once, one report overlays the runs (e.g. two\n"
    "commits or two machines) in a folder of its own (--out), each run named by\n"
    "--label: the overlaid profiles and score table, and per problem one\n"
    "convergence figure with every optimizer of every run (the optimizer's\n"
    "colour, the run's dash pattern). The runs are only read. Runs whose cases\n"
    "differ are an error naming the cases only some runs have, unless\n"
    "--intersect, which compares the common cases and names the others.\n"
    "Exit status: 0 the report is complete (missing inputs are noted, not\n"
    "errors), 1 some figures could not be rendered (e.g. no gnuplot; the report\n"
    "is still written and names them) or the report could not be written (a\n"
    "full disk), 2 bad arguments or no such run folder,\n"
    "4 the run folder cannot be written.",
    report_opts,
    sizeof report_opts / sizeof report_opts[0],
    0,
    0,
    ob_cmd_report,
};

/* The default folder of an overlay: results/overlay-<A>-vs-<B>..., each
 * run by its label or its folder's name (a link resolved). */
static void overlay_out(const char *const *runs, size_t n, const char *const *labels, char *buf, size_t len)
{
    snprintf(buf, len, "results/overlay-");
    for (size_t k = 0; k < n; k++) {
        char real[PATH_MAX];
        const char *name = labels ? labels[k] : realpath(runs[k], real) ? real : runs[k];
        const char *slash = labels ? NULL : strrchr(name, '/');
        if (slash && slash[1]) name = slash + 1;
        size_t u = strlen(buf);
        snprintf(buf + u, len - u, "%s%.200s", k ? "-vs-" : "", name);
    }
}

static int cmd_overlay(const ob_cmd_spec *c, const ob_args *a, const char *const *runs, size_t n, FILE *out,
                       FILE *err)
{
    size_t n_labels = 0;
    const char *const *labels = ob_args_all(a, "label", &n_labels);
    if (n_labels && n_labels != n)
        return ob_usage_error(c, err, "--label: one per --run (%zu labels, %zu runs)", n_labels, n);
    char dir[1024];
    overlay_out(runs, n, n_labels ? labels : NULL, dir, sizeof dir);
    ob_report_overlay_opts o = {.runs = runs, .n_runs = n, .labels = n_labels ? labels : NULL,
                                .out = ob_args_get(a, "out") ? ob_args_get(a, "out") : dir,
                                .intersect = ob_args_has(a, "intersect"), .plot_dir = ob_args_get(a, "plot-dir"),
                                .gnuplot = ob_args_get(a, "gnuplot"), .no_figures = ob_args_has(a, "no-figures"),
                                .progress = ob_args_has(a, "quiet") ? NULL : err,
                                .profile = ob_overlay_profile};
    ob_report_summary s;
    char msg[4096];
    int rc = ob_report_overlay(&o, &s, msg, sizeof msg);
    if (rc == OB_EXIT_USAGE || (rc == OB_EXIT_IO && !s.html[0])) {
        fprintf(err, "optbench report: %s\n", msg);
        ob_report_summary_free(&s);
        return rc;
    }
    for (size_t i = 0; i < s.n_missing; i++) fprintf(err, "optbench report: note: %s\n", s.missing[i]);
    for (size_t i = 0; i < s.n_figures; i++)
        if (!s.figures[i].ok)
            fprintf(err, "optbench report: figure %s not rendered: %s\n", s.figures[i].name, s.figures[i].error);
    fprintf(out, "report: %s\n        %s\n", s.html, s.md);
    fprintf(out, "%zu figure%s rendered, %zu failed\n", s.n_figures - s.n_failed,
            s.n_figures - s.n_failed == 1 ? "" : "s", s.n_failed);
    ob_report_summary_free(&s);
    return rc;
}

int ob_cmd_report(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_report_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    size_t n_runs = 0;
    const char *const *runs = ob_args_all(&a, "run", &n_runs);
    if (n_runs >= 2 && ob_args_get(&a, "plugin")) {
        ob_args_free(&a);
        return ob_usage_error(c, err, "--plugin goes with one --run");
    }
    if (n_runs >= 2) {
        rc = cmd_overlay(c, &a, runs, n_runs, out, err);
        ob_args_free(&a);
        return rc;
    }
    if (ob_args_get(&a, "label") || ob_args_get(&a, "out") || ob_args_has(&a, "intersect")) {
        ob_args_free(&a);
        return ob_usage_error(c, err, "--label, --out and --intersect go with two or more --run");
    }
    ob_plugin_set ps = {0};
    if ((rc = ob_plugin_set_load(&ps, c, &a, err)) != OB_EXIT_OK) {
        ob_args_free(&a);
        return rc;
    }
    if (ps.bound > 0) {
        ob_plugin_set_free(&ps);
        ob_args_free(&a);
        return ob_usage_error(c, err, "--plugin-bound: the report shows the bounds the run judged by");
    }
    ob_report_opts o = {
        .run_dir = ob_args_get(&a, "run") ? ob_args_get(&a, "run") : "results/latest",
        .plot_dir = ob_args_get(&a, "plot-dir"),
        .gnuplot = ob_args_get(&a, "gnuplot"),
        .no_figures = ob_args_has(&a, "no-figures"),
        .progress = ob_args_has(&a, "quiet") ? NULL : err,
        .plugins = (const struct ob_plugin_kernel *const *)ps.k,
        .n_plugins = ps.n,
    };
    /* The report and figures go into the run folder: one that exists but
     * cannot be written is exit 4, as for every command, before gnuplot
     * is started (a folder that does not exist is bad input, below). */
    struct stat st;
    if (stat(o.run_dir, &st) == 0 && S_ISDIR(st.st_mode) && access(o.run_dir, W_OK) != 0) {
        fprintf(err, "optbench report: folder %s is not writable: %s\n", o.run_dir, strerror(errno));
        ob_plugin_set_free(&ps);
        ob_args_free(&a);
        return OB_EXIT_IO;
    }
    ob_report_summary s;
    char msg[2048];
    if (ob_report_build(&o, &s, msg, sizeof msg) != 0) {
        /* No folder at all is the caller's mistake; anything else is a failure. */
        int usage = strncmp(msg, "no run folder", 13) == 0;
        fprintf(err, "optbench report: %s\n", msg);
        ob_report_summary_free(&s);
        ob_plugin_set_free(&ps);
        ob_args_free(&a);
        return usage ? OB_EXIT_USAGE : OB_EXIT_FAIL;
    }
    for (size_t i = 0; i < s.n_missing; i++) fprintf(err, "optbench report: note: %s\n", s.missing[i]);
    for (size_t i = 0; i < s.n_figures; i++)
        if (!s.figures[i].ok)
            fprintf(err, "optbench report: figure %s not rendered: %s\n", s.figures[i].name,
                    s.figures[i].error);
    fprintf(out, "report: %s\n        %s\n", s.html, s.md);
    fprintf(out, "%zu figure%s rendered, %zu failed, %zu input%s missing\n", s.n_figures - s.n_failed,
            s.n_figures - s.n_failed == 1 ? "" : "s", s.n_failed, s.n_missing, s.n_missing == 1 ? "" : "s");
    rc = s.n_failed ? OB_EXIT_FAIL : OB_EXIT_OK;
    ob_report_summary_free(&s);
    ob_plugin_set_free(&ps);
    ob_args_free(&a);
    return rc;
}
