/*
 * profile_out.c — what `optbench profile` writes into its folder:
 *   data/profile_<name>.csv    the plotted values (x, then per optimizer,
 *                              with _lo/_hi for bootstrapped bands)
 *   figures/profile_<name>.png/.svg   rendered by plot/profile.gp and
 *                              plot/profile_score.gp (gnuplot in the folder)
 *   profile.json               the score table and the figures, read by
 *                              `optbench report` for its aggregate section
 *   profile.md                 the same as a page
 * Every file is written atomically.
 */
#include "profile_internal.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optbench/optimizers.h"
#include "harness/core/ob_core.h"
#include "harness/report/ob_report.h"

#define FIG_W 1000
#define FIG_H 600
#define GRID 240 /* points of each curve */

typedef struct pf_score {
    size_t s;
    double score, lo, hi, solved;
} pf_score;

typedef struct pf_out {
    const ob_profile_opts *o;
    const pf_tables *t;
    const char *dir;
    char plot_dir[PATH_MAX];
    cJSON *figs; /* [{name, caption, ok, error}] */
    int failed;
    const char *labels; /* overlay: the runs' labels ("" none) */
} pf_out;

/* Log-spaced grid from lo to hi (n points). */
static void log_grid(double lo, double hi, double *x, size_t n)
{
    if (!(hi > lo)) hi = lo * 10;
    for (size_t i = 0; i < n; i++) x[i] = lo * pow(hi / lo, (double)i / (double)(n - 1));
}

enum { RAW, RATIO, PER_DIM };

/* The largest (or, with lowest, smallest) finite runtime (RAW), ratio
 * (RATIO) or runtime / (n + 1) (PER_DIM) over the table; 0 when none is
 * finite. */
static double finite_ext(const pf_rows *r, size_t ns, int what, int lowest)
{
    double m = 0;
    for (size_t p = 0; p < r->n; p++)
        for (size_t s = 0; s < ns; s++) {
            double v = what == RATIO     ? ob_prof_ratio(r->t, ns, p, s)
                       : what == PER_DIM ? r->t[p * ns + s] / (r->dim[p] + 1)
                                         : r->t[p * ns + s];
            if (isfinite(v) && (m == 0 || (lowest ? v < m : v > m))) m = v;
        }
    return m;
}

static double finite_max(const pf_rows *r, size_t ns, int what)
{
    return finite_ext(r, ns, what, 0);
}

/* Renders figures/<name> with script and the assignments (gnuplot runs in
 * the profile folder), checked and renamed into place; the outcome goes
 * into profile.json's figure list. */
static void render(pf_out *po, const char *script, const char *name, const char *assign, const char *caption)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "name", name);
    cJSON_AddStringToObject(f, "caption", caption);
    cJSON_AddItemToArray(po->figs, f);
    if (po->o->no_figures) return;
    char msg[2048] = "", all[16384], path[PATH_MAX + 64], tmp[256], a[5000], b[5000];
    snprintf(path, sizeof path, "%s/%s", po->plot_dir, script);
    snprintf(tmp, sizeof tmp, "figures/.tmp-%ld-%s", (long)getpid(), name);
    snprintf(all, sizeof all, "%s", assign);
    ob_gnuplot_assign_str(all, sizeof all, "out", tmp);
    /* The optimizer table's order: each optimizer keeps the colour it has
     * in every other figure (style.gp). */
    char opt_names[2048] = "";
    for (size_t i = 0; i < ob_optimizer_count; i++)
        snprintf(opt_names + strlen(opt_names), sizeof opt_names - strlen(opt_names), "%s%s", i ? " " : "",
                 ob_optimizer_table[i]->name);
    ob_gnuplot_assign_str(all, sizeof all, "opt_names", opt_names);
    ob_gnuplot_assign_str(all, sizeof all, "runs", po->labels);
    ob_gnuplot_assign_str(all, sizeof all, "formats", "png svg isvg");
    ob_gnuplot_assign_num(all, sizeof all, "width", FIG_W);
    ob_gnuplot_assign_num(all, sizeof all, "height", FIG_H);
    const char *gp = po->o->gnuplot ? po->o->gnuplot : getenv("OPTBENCH_GNUPLOT");
    int rc = ob_gnuplot_run(gp && *gp ? gp : "gnuplot", po->dir, path, all, 120, msg, sizeof msg);
    unsigned w = 0, h = 0;
    snprintf(a, sizeof a, "%s/%s.png", po->dir, tmp);
    if (rc == 0 && (ob_png_size(a, &w, &h) != 0 || w != FIG_W || h != FIG_H)) {
        snprintf(msg, sizeof msg, "%s wrote no %dx%d PNG for %s", script, FIG_W, FIG_H, name);
        rc = -1;
    }
    /* The PNG, the SVG and gnuplot's interactive SVG (linked from the
     * report), each renamed into place once the PNG is checked. */
    static const char *const ext[3] = {".png", ".svg", "-interactive.svg"};
    for (int k = 0; k < 3 && rc == 0; k++) {
        snprintf(a, sizeof a, "%s/%s%s", po->dir, tmp, ext[k]);
        snprintf(b, sizeof b, "%s/figures/%s%s", po->dir, name, ext[k]);
        if (rename(a, b) != 0) snprintf(msg, sizeof msg, "%.1000s: %s", b, strerror(errno)), rc = -1;
    }
    for (int k = 0; k < 3; k++) {
        snprintf(a, sizeof a, "%s/%s%s", po->dir, tmp, ext[k]);
        unlink(a);
    }
    cJSON_AddBoolToObject(f, "ok", rc == 0);
    if (rc != 0) {
        cJSON_AddStringToObject(f, "error", msg);
        po->failed++;
        if (po->o->progress) fprintf(po->o->progress, "optbench profile: figure %s: %s\n", name, msg);
    }
}

/* The solvers' names, space-separated (gnuplot's `names`). */
static void names_of(const pf_tables *t, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t s = 0; s < t->ns; s++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", s ? " " : "", t->solvers[s]);
}

/* data/<file>: x, then per solver its value (and _lo, _hi). */
static int write_curves(pf_out *po, const char *file, const char *xname, const double *x, size_t nx,
                        const double *v, const double *lo, const double *hi, char *err, size_t errlen)
{
    const pf_tables *t = po->t;
    size_t cap = (nx + 1) * (t->ns * 72 + 32) + 64, used = 0;
    char *buf = malloc(cap), path[4400];
    if (!buf) return ob_fail(err, errlen, "out of memory");
    used += (size_t)snprintf(buf, cap, "%s", xname);
    for (size_t s = 0; s < t->ns; s++)
        used += (size_t)snprintf(buf + used, cap - used, lo ? ",%s,%s_lo,%s_hi" : ",%s", t->solvers[s],
                                 t->solvers[s], t->solvers[s]);
    used += (size_t)snprintf(buf + used, cap - used, "\n");
    for (size_t i = 0; i < nx; i++) {
        used += (size_t)snprintf(buf + used, cap - used, "%.6g", x[i]);
        for (size_t s = 0; s < t->ns; s++) {
            size_t k = s * nx + i;
            used += lo ? (size_t)snprintf(buf + used, cap - used, ",%.6g,%.6g,%.6g", v[k], lo[k], hi[k])
                       : (size_t)snprintf(buf + used, cap - used, ",%.6g", v[k]);
        }
        used += (size_t)snprintf(buf + used, cap - used, "\n");
    }
    snprintf(path, sizeof path, "%s/data/%s", po->dir, file);
    int rc = ob_atomic_write(path, buf, used, err, errlen);
    free(buf);
    return rc;
}

/* One runtime ECDF (family f) with its bands: CSV and figure. */
static int ecdf_figure(pf_out *po, size_t f, char *err, size_t errlen)
{
    const pf_tables *t = po->t;
    const pf_rows *r = &t->ecdf[f];
    if (!r->n) return 0;
    size_t ns = t->ns, n = GRID;
    double x[GRID], *v = malloc(ns * n * sizeof *v), *lo = malloc(ns * n * sizeof *lo), *hi = malloc(ns * n * sizeof *hi);
    if (!v || !lo || !hi) return free(v), free(lo), free(hi), ob_fail(err, errlen, "out of memory");
    log_grid(1, fmax(10, finite_max(r, ns, RAW)) * 1.2, x, n);
    int rc = 0;
    for (size_t s = 0; s < ns && rc == 0; s++) {
        for (size_t i = 0; i < n; i++) v[s * n + i] = ob_prof_ecdf(r->t, r->n, ns, s, x[i]);
        rc = ob_prof_boot_ecdf(r->t, r->n, ns, s, r->group, r->ngroups, x, n, po->o->seed, po->o->reps,
                               lo + s * n, hi + s * n);
    }
    char file[96], name[96], assign[4096] = "", names[2048], title[256], cap[768];
    snprintf(file, sizeof file, "profile_ecdf_%s.csv", t->families[f]);
    snprintf(name, sizeof name, "profile_ecdf_%s", t->families[f]);
    if (rc == 0) rc = write_curves(po, file, "evals", x, n, v, lo, hi, err, errlen);
    free(v), free(lo), free(hi);
    if (rc != 0) return -1;
    names_of(t, names, sizeof names);
    snprintf(title, sizeof title, "Runtime ECDF: %s (%zu problem instances, %zu (instance, target) pairs)",
             f ? t->families[f] : "every problem with f*", r->ngroups, r->n);
    snprintf(assign, sizeof assign, "file='data/%s'; ", file);
    ob_gnuplot_assign_str(assign, sizeof assign, "names", names);
    ob_gnuplot_assign_str(assign, sizeof assign, "title", title);
    ob_gnuplot_assign_str(assign, sizeof assign, "xlabel", "gradient evaluations");
    ob_gnuplot_assign_str(assign, sizeof assign, "ylabel", "share of (instance, target) pairs reached");
    ob_gnuplot_assign_num(assign, sizeof assign, "bands", 1);
    snprintf(cap, sizeof cap,
             "Runtime ECDF (%s): the share of (problem instance, target f − f* ≤ 10^(2−j/5)) pairs each "
             "optimizer reached within a budget of gradient evaluations (targets the start already meets left "
             "out); shaded: bootstrapped 95%% band over instances (%zu replicates, seed %llu).",
             f ? t->families[f] : "all problems with known f*", po->o->reps, (unsigned long long)po->o->seed);
    render(po, "profile.gp", name, assign, cap);
    return 0;
}

/* The performance (Dolan-Moré) or data (Moré-Wild) profile: CSV and figure. */
static int profile_figure(pf_out *po, int data, char *err, size_t errlen)
{
    const pf_tables *t = po->t;
    const pf_rows *r = &t->mw;
    size_t ns = t->ns, n = GRID;
    double x[GRID], *v = malloc(ns * n * sizeof *v);
    if (!v) return ob_fail(err, errlen, "out of memory");
    if (data) /* from just below the cheapest solve (nqm's n is 10^4) */
        log_grid(fmin(0.1, finite_ext(r, ns, PER_DIM, 1) / 1.2), fmax(1, finite_max(r, ns, PER_DIM)) * 1.2, x, n);
    else log_grid(1, fmax(po->o->rmax * 1.5, fmin(1e4, finite_max(r, ns, RATIO) * 1.2)), x, n);
    for (size_t s = 0; s < ns; s++)
        for (size_t i = 0; i < n; i++)
            v[s * n + i] = data ? ob_prof_data(r->t, r->dim, r->n, ns, s, x[i]) : ob_prof_perf(r->t, r->n, ns, s, x[i]);
    const char *file = data ? "profile_data.csv" : "profile_perf.csv";
    int rc = write_curves(po, file, data ? "alpha" : "tau", x, n, v, NULL, NULL, err, errlen);
    free(v);
    if (rc != 0) return -1;
    char assign[4096] = "", names[2048], title[256], cap[768];
    names_of(t, names, sizeof names);
    snprintf(assign, sizeof assign, "file='data/%s'; ", file);
    ob_gnuplot_assign_str(assign, sizeof assign, "names", names);
    snprintf(title, sizeof title, "%s (%zu problem instances, tolerance %g)",
             data ? "Data profile (Moré & Wild)" : "Performance profile (Dolan & Moré)", r->n, po->o->tau);
    ob_gnuplot_assign_str(assign, sizeof assign, "title", title);
    ob_gnuplot_assign_str(assign, sizeof assign, "xlabel",
               data ? "α: gradient evaluations / (n + 1)" : "τ: gradient evaluations / the best optimizer's");
    ob_gnuplot_assign_str(assign, sizeof assign, "ylabel", "share of problem instances solved");
    if (!data) {
        ob_gnuplot_assign_num(assign, sizeof assign, "vline", po->o->rmax);
        ob_gnuplot_assign_str(assign, sizeof assign, "vlabel", "r_max (score)");
    }
    if (data)
        snprintf(cap, sizeof cap,
                 "Data profile d(α) (Moré & Wild 2009): the share of problem instances each optimizer solved "
                 "within α(n+1) gradient evaluations; solved: f(x0) − f ≥ (1 − τ)(f(x0) − f_L), τ = %g, f_L = f* "
                 "where known, else the lowest loss any optimizer reached.", po->o->tau);
    else
        snprintf(cap, sizeof cap,
                 "Performance profile ρ(τ) (Dolan & Moré 2002): the share of problem instances each optimizer "
                 "solved within τ times the gradient evaluations of the fastest one (same test, τ_MW = %g); "
                 "ρ(1) is the share where it was the fastest (ties count for each); the dotted line is the "
                 "score's r_max = %g.", po->o->tau, po->o->rmax);
    render(po, "profile.gp", data ? "profile_data" : "profile_perf", assign, cap);
    return 0;
}

static int by_score(const void *a, const void *b)
{
    const pf_score *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return (x->s > y->s) - (x->s < y->s);
}

/* The scores, best first. */
static int scores(const pf_out *po, pf_score *sc, char *err, size_t errlen)
{
    const pf_tables *t = po->t;
    const pf_rows *r = &t->mw;
    for (size_t s = 0; s < t->ns; s++) {
        sc[s].s = s;
        sc[s].score = ob_prof_score(r->t, r->n, t->ns, s, po->o->rmax);
        sc[s].solved = ob_prof_ecdf(r->t, r->n, t->ns, s, DBL_MAX);
        if (ob_prof_boot_score(r->t, r->n, t->ns, s, po->o->rmax, NULL, 0, po->o->seed, po->o->reps, &sc[s].lo,
                               &sc[s].hi) != 0)
            return ob_fail(err, errlen, "out of memory");
    }
    qsort(sc, t->ns, sizeof *sc, by_score);
    return 0;
}

static int score_figure(pf_out *po, const pf_score *sc, char *err, size_t errlen)
{
    const pf_tables *t = po->t;
    char buf[16384], names[2048] = "", path[4400], assign[4096] = "", title[256], cap[768];
    size_t used = (size_t)snprintf(buf, sizeof buf, "rank,solver,score,lo,hi,solved\n");
    for (size_t k = 0; k < t->ns && used < sizeof buf; k++) {
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%zu,%s,%.6f,%.6f,%.6f,%.6f\n", k + 1,
                                 t->solvers[sc[k].s], sc[k].score, sc[k].lo, sc[k].hi, sc[k].solved);
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? " " : "", t->solvers[sc[k].s]);
    }
    snprintf(path, sizeof path, "%s/data/profile_score.csv", po->dir);
    if (used >= sizeof buf || ob_atomic_write(path, buf, used, err, errlen) != 0) return -1;
    snprintf(assign, sizeof assign, "file='data/profile_score.csv'; ");
    ob_gnuplot_assign_str(assign, sizeof assign, "names", names);
    snprintf(title, sizeof title, "Score: area under the performance profile up to r_max = %g (%zu instances)",
             po->o->rmax, t->mw.n);
    ob_gnuplot_assign_str(assign, sizeof assign, "title", title);
    snprintf(cap, sizeof cap,
             "AlgoPerf-style score (Dahl et al. 2023): the area under each optimizer's performance profile from "
             "τ = 1 to r_max = %g, divided by r_max − 1 (1: the fastest on every instance); bars: bootstrapped "
             "95%% interval over problem instances (%zu replicates, seed %llu).",
             po->o->rmax, po->o->reps, (unsigned long long)po->o->seed);
    render(po, "profile_score.gp", "profile_score", assign, cap);
    return 0;
}

/* profile.json: what `optbench report` shows of the profile. */
static cJSON *summary_json(const pf_out *po, const pf_model *m, const pf_score *sc)
{
    const pf_tables *t = po->t;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "format", "optbench-profile");
    cJSON_AddNumberToObject(j, "version", 1);
    cJSON_AddStringToObject(j, "source", m->source);
    cJSON *runs = cJSON_AddArrayToObject(j, "runs");
    for (size_t r = 0; r < po->o->n_runs; r++) cJSON_AddItemToArray(runs, cJSON_CreateString(po->o->runs[r]));
    cJSON_AddStringToObject(j, "path", m->path);
    cJSON_AddStringToObject(j, "overlay", m->labels);
    cJSON_AddNumberToObject(j, "tau", po->o->tau);
    cJSON_AddNumberToObject(j, "rmax", po->o->rmax);
    cJSON_AddNumberToObject(j, "bootstrap_reps", (double)po->o->reps);
    cJSON_AddNumberToObject(j, "bootstrap_seed", (double)po->o->seed);
    cJSON_AddNumberToObject(j, "instances", (double)t->mw.n);
    cJSON_AddStringToObject(j, "left_out", t->dropped);
    cJSON *s = cJSON_AddArrayToObject(j, "scores");
    for (size_t k = 0; k < t->ns; k++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "rank", (double)(k + 1));
        cJSON_AddStringToObject(e, "optimizer", t->solvers[sc[k].s]);
        cJSON_AddNumberToObject(e, "score", sc[k].score);
        cJSON_AddNumberToObject(e, "lo", sc[k].lo);
        cJSON_AddNumberToObject(e, "hi", sc[k].hi);
        cJSON_AddNumberToObject(e, "solved", sc[k].solved);
        cJSON_AddItemToArray(s, e);
    }
    cJSON_AddItemToObject(j, "figures", cJSON_Duplicate(po->figs, 1));
    return j;
}

static int write_md(const pf_out *po, const pf_model *m, const pf_score *sc, char *err, size_t errlen)
{
    const pf_tables *t = po->t;
    char *buf = NULL, path[4400];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return ob_fail(err, errlen, "out of memory");
    fprintf(f, "# Profiles\n\nFrom %s; %zu problem instances; the %s path; tolerance τ = %g; r_max = %g; "
               "bootstrap %zu replicates, seed %llu.\n\n",
            m->source, t->mw.n, m->path, po->o->tau, po->o->rmax, po->o->reps, (unsigned long long)po->o->seed);
    if (t->dropped[0]) fprintf(f, "Left out (not run on every problem instance): %s.\n\n", t->dropped);
    fprintf(f, "| rank | optimizer | score | 95%% CI | solved |\n| ---: | --- | ---: | --- | ---: |\n");
    for (size_t k = 0; k < t->ns; k++)
        fprintf(f, "| %zu | %s | %.3f | [%.3f, %.3f] | %.0f%% |\n", k + 1, t->solvers[sc[k].s], sc[k].score,
                sc[k].lo, sc[k].hi, 100 * sc[k].solved);
    const cJSON *fig;
    cJSON_ArrayForEach(fig, po->figs)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(fig, "name"));
        fprintf(f, "\n![%s](figures/%s.png)\n\n%s\n", name, name,
                cJSON_GetStringValue(cJSON_GetObjectItem(fig, "caption")));
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/profile.md", po->dir);
    int rc = ob_atomic_write(path, buf, len, err, errlen);
    free(buf);
    return rc;
}

int pf_write(const ob_profile_opts *o, const pf_model *m, const pf_tables *t, const char *out, char *err,
             size_t errlen)
{
    pf_out po = {o, t, out, "", cJSON_CreateArray(), 0, m->labels};
    char sub[4400];
    pf_score *sc = calloc(t->ns, sizeof *sc);
    int rc = !sc || !po.figs ? ob_fail(err, errlen, "out of memory") : 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        snprintf(sub, sizeof sub, "%s/%s", out, k ? "figures" : "data");
        rc = ob_mkdirs(sub, err, errlen);
    }
    if (rc == 0 && !o->no_figures)
        rc = ob_find_plot_dir(o->plot_dir, "profile.gp", po.plot_dir, sizeof po.plot_dir, err, errlen);
    if (rc == 0) rc = scores(&po, sc, err, errlen);
    if (rc == 0) rc = score_figure(&po, sc, err, errlen);
    if (rc == 0) rc = profile_figure(&po, 0, err, errlen);
    if (rc == 0) rc = profile_figure(&po, 1, err, errlen);
    for (size_t f = 0; f < t->nf && rc == 0; f++) rc = ecdf_figure(&po, f, err, errlen);
    if (rc == 0) {
        cJSON *j = summary_json(&po, m, sc);
        snprintf(sub, sizeof sub, "%s/profile.json", out);
        rc = ob_json_write(sub, j, err, errlen);
        cJSON_Delete(j);
    }
    if (rc == 0) rc = write_md(&po, m, sc, err, errlen);
    free(sc);
    cJSON_Delete(po.figs);
    if (rc != 0) return OB_EXIT_IO;
    if (po.failed) snprintf(err, errlen, "%d figure%s not rendered", po.failed, po.failed == 1 ? "" : "s");
    return po.failed ? OB_EXIT_FAIL : OB_EXIT_OK;
}
