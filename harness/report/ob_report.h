/*
 * ob_report.h — `optbench report`: figures and the published report of a
 * run folder (README "The report").
 *
 * Inputs, all optional except the folder itself (a partial run still gets
 * a report that says what is missing):
 *   <run>/results.json        cases, agreement, bit-identity, convergence
 *   <run>/cases/<case>.csv    per-step series (convergence, trajectories)
 *   <run>/bench.csv           throughput (`optbench bench`)
 *   <run>/bench.json          Google Benchmark's context (CPU, caches)
 *   <run>/repro/repro.json    paper reproductions (see below)
 * Outputs, each written atomically:
 *   <run>/figures/<name>.png and .svg    rendered by the gnuplot scripts in
 *                                       plot/ (one process per figure)
 *   <run>/figures/data/<name>.csv       what the aggregate figures plot
 *   <run>/report.html, <run>/report.md  self-contained; images are
 *                                       relative files, no network needed
 *
 * The reproductions hook: if <run>/repro/repro.json exists it is read as
 *   {"summary": "text",
 *    "entries": [{"name": "...", "citation": "...", "claim": "...",
 *                 "verdict": "reproduced|not reproduced|...",
 *                 "figures": ["repro/fig.png", ...]}]}
 * (figure paths relative to the run folder) and becomes the report's
 * "Reproductions" section.
 */
#ifndef OB_REPORT_H
#define OB_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "optbench/problems.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ob_report_opts {
    const char *run_dir;  /* the run folder (required) */
    const char *plot_dir; /* the gnuplot scripts; NULL: found (ob_find_plot_dir) */
    const char *gnuplot;  /* the program; NULL: OPTBENCH_GNUPLOT, else "gnuplot" on PATH */
    int no_figures;       /* 1: tables only (no gnuplot needed) */
    FILE *progress;       /* one line per step and per figure (NULL: quiet) */
    /* report --plugin: the kernels under test, whose declarations (keys,
     * state, threads, bound) the report lists beside what the run measured
     * of them, naming those it has no results for. */
    const struct ob_plugin_kernel *const *plugins;
    size_t n_plugins;
} ob_report_opts;

typedef struct ob_report_figure {
    char name[160];    /* file name without extension: "convergence-mgh_rosenbrock" */
    char script[64];   /* "convergence.gp" */
    char section[32];  /* "convergence", "trajectories", "agreement", ... */
    char caption[768]; /* the one sentence shown under it */
    int width, height; /* the PNG's size in pixels */
    int ok;            /* rendered and checked */
    char error[1024];  /* why not, naming the script */
} ob_report_figure;

typedef struct ob_report_summary {
    ob_report_figure *figures;
    size_t n_figures;
    size_t n_failed; /* figures that were not rendered */
    char **missing;  /* inputs that were missing or unreadable, one line each */
    size_t n_missing;
    char html[4400], md[4400]; /* where the report went */
} ob_report_summary;

/* Builds the report of opts->run_dir.  Returns 0 when report.html and
 * report.md were written (check s->n_failed and s->n_missing for what is
 * absent from them), or -1 with a message when they could not be (no such
 * folder, a write error).  Always free s with ob_report_summary_free. */
int ob_report_build(const ob_report_opts *opts, ob_report_summary *s, char *err, size_t errlen);
void ob_report_summary_free(ob_report_summary *s);

/* ---- reports across runs (README "Reports across runs") ------------------
 * `optbench report --run A --run B ...`: one report overlaying several run
 * folders, written to its own folder (the runs are only read):
 *   <out>/profile/         the overlaid profiles (`optbench profile
 *                          --overlay`, runs matched case by case): the
 *                          score table and figures, <opt>@<label> each
 *   <out>/figures/convergence-<problem>.png/.svg   per problem (instance
 *                          0), one line per optimizer and run: the
 *                          optimizer's colour, the run's dash pattern
 *   <out>/figures/data/convergence-<problem>.<opt>@<label>.csv   the
 *                          plotted (step, value) of each line
 *   <out>/report.html, report.md
 * The runs must hold the same cases (ids, instances included); otherwise
 * the build fails with a message naming what is only in which run, unless
 * intersect, which keeps the cases every run has and names the others in
 * the report. */
typedef struct ob_report_overlay_opts {
    const char *const *runs; /* run folders, >= 2 */
    size_t n_runs;
    const char *const *labels; /* one per run; NULL: each folder's run id */
    const char *out;           /* the overlay report's folder (required) */
    int intersect;
    const char *plot_dir, *gnuplot;
    int no_figures;
    FILE *progress;
    /* Builds the overlaid profiles into `out` (`optbench profile
     * --overlay`, the runs matched case by case), handed in by the command
     * (ob_overlay_profile, harness/profile): that area draws with this area's
     * gnuplot helpers, so this area does not call it itself.  NULL: the
     * report says there are no profiles.  Returns an exit code (ob_core.h)
     * with a message. */
    int (*profile)(const char *const *runs, size_t n_runs, const char *const *labels, int intersect,
                   const char *out, const char *plot_dir, const char *gnuplot, int no_figures, char *err,
                   size_t errlen);
} ob_report_overlay_opts;

/* Returns an exit code (ob_core.h): OB_EXIT_OK; OB_EXIT_FAIL (figures not
 * rendered, the report written); OB_EXIT_USAGE with a message (no such
 * run, labels that clash, cases that differ, `out` inside a run);
 * OB_EXIT_IO (out cannot be written).  Always free s. */
int ob_report_overlay(const ob_report_overlay_opts *o, ob_report_summary *s, char *err, size_t errlen);

/* The plot/ scripts the report renders with (NULL-terminated); plot/ may
 * hold others (e.g. the reproductions' own). */
extern const char *const ob_report_scripts[];

/* ---- pieces, public for the tests ---------------------------------------- */

/* Reads the width and height from a PNG's IHDR chunk after checking the
 * 8-byte signature.  0, or -1 if the file is not a PNG. */
int ob_png_size(const char *path, unsigned *width, unsigned *height);

/* Runs `gnuplot -e <assignments> <script>` in folder cwd (NULL: this one),
 * with stdin from /dev/null and a time limit of timeout_s seconds.  The
 * report runs every script in the run folder, so that the paths it hands
 * over are short and relative ("cases/x.csv").  Returns 0; -1 with a
 * message that names the script and quotes gnuplot's last output lines; or
 * -2 when gnuplot cannot be started at all (the message says how to
 * install it). */
int ob_gnuplot_run(const char *gnuplot, const char *cwd, const char *script, const char *assignments,
                   int timeout_s, char *err, size_t errlen);

/* Append an assignment for ob_gnuplot_run to the assignments in buf (len
 * bytes; what does not fit is left out): name='value'; (a gnuplot string,
 * in which a quote is doubled) or name=<number>; (0, the scripts' "none",
 * for NaN and Inf). */
void ob_gnuplot_assign_str(char *buf, size_t len, const char *name, const char *value);
void ob_gnuplot_assign_num(char *buf, size_t len, const char *name, double v);

/* Evaluates a 2-D problem, configured as the case was (cfg; its n is taken
 * as 2), on an nx x ny grid over [x0,x1] x [y0,y1] and writes "x,y,f,z"
 * rows (a blank line after each x) for gnuplot's contours, with
 * z = log10(1 + f - min f), what the contour lines follow.  0, or -1 with
 * a message. */
int ob_report_grid(const char *problem, const ob_problem_config *cfg, double x0, double x1, double y0,
                   double y1, int nx, int ny, const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
