/*
 * sweep_report.c — what a sweep found: each setting aggregated over its
 * seeds, the best setting of every optimizer on every problem (the "tuned
 * comparison"), sweep.json for the report, the sensitivity figures and
 * the summary table.
 *
 * The criterion (README "Hyperparameter sweeps"): per setting, the median
 * over seeds of the scored path's final loss, a diverged run counting as
 * +inf.  On a deterministic problem with a known f*, medians within its
 * target (f - f* <= tol) count as equal: such a setting has solved the
 * problem, and the differences below the target are rounding (1e-88
 * against 1e-87), not merit.  (Stochastic problems keep the final loss:
 * their targets are loose, and final performance is what DeepOBS
 * compares.)  Ties go to the smaller median number of steps to the
 * target, then to the earlier setting in grid order.  With --criterion steps, on problems with a known f*, the
 * median steps to the target comes first (a run that never reaches it
 * counts as +inf) and the median final loss breaks ties.  Medians rather
 * than means, so that one diverged seed does not hide a setting that works
 * on the others; min and max show that spread.
 */
#include "ob_sweep.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/report/ob_report.h"

int ob_sweep_criterion_parse(const char *s, ob_sweep_criterion *out)
{
    if (!s || !strcmp(s, "loss")) *out = OB_SWEEP_BY_LOSS;
    else if (!strcmp(s, "steps")) *out = OB_SWEEP_BY_STEPS;
    else return -1;
    return 0;
}

/* ---- aggregation ---------------------------------------------------------------- */

typedef struct agg {
    size_t done;     /* runs recorded */
    double loss[3];  /* final loss: median, min, max (+inf: diverged) */
    double steps[3]; /* steps to target: median, min, max (+inf: not reached) */
    size_t reached, diverged;
    int agree_ok;
    double crit[3]; /* the criterion's metric: median, min, max */
    double rank;    /* what is compared: crit[0], or the target when within it */
    double tie;     /* the tie-breaker's median */
} agg;

typedef struct pinfo {
    int has_fstar, stochastic;
    double fstar, tol;
    ob_sweep_criterion crit; /* the criterion used on this problem */
} pinfo;

/* Median, min and max of n values (+inf allowed); sorts v. */
static void stats(double *v, size_t n, double out[3])
{
    if (n == 0) {
        out[0] = out[1] = out[2] = INFINITY;
        return;
    }
    out[0] = ob_median(v, n);
    out[1] = v[0];
    out[2] = v[n - 1];
}

static void aggregate(const ob_sweep *sw, const ob_sweep_setting *s, const pinfo *pi, agg *a)
{
    double loss[OB_SWEEP_MAX_SEEDS], steps[OB_SWEEP_MAX_SEEDS];
    memset(a, 0, sizeof *a);
    a->agree_ok = 1;
    for (size_t k = 0; k < s->n_runs && a->done < OB_SWEEP_MAX_SEEDS; k++) {
        const ob_sweep_run *r = &sw->runs[s->first_run + k];
        if (!r->done) continue;
        loss[a->done] = isfinite(r->final_loss) ? r->final_loss : INFINITY;
        steps[a->done] = r->steps_to_target ? (double)r->steps_to_target : INFINITY;
        a->reached += r->steps_to_target != 0;
        a->diverged += r->diverged_at != 0;
        a->agree_ok &= r->agree_ok;
        a->done++;
    }
    stats(loss, a->done, a->loss);
    stats(steps, a->done, a->steps);
    int by_steps = pi->crit == OB_SWEEP_BY_STEPS;
    memcpy(a->crit, by_steps ? a->steps : a->loss, sizeof a->crit);
    a->tie = by_steps ? a->loss[0] : a->steps[0];
    a->rank = a->crit[0];
    if (!by_steps && pi->has_fstar && !pi->stochastic && isfinite(pi->tol) &&
        a->loss[0] - pi->fstar <= pi->tol)
        a->rank = pi->fstar + pi->tol;
}

/* a is strictly better than b under the criterion. */
static int better(const agg *a, const agg *b)
{
    if (a->rank != b->rank) return a->rank < b->rank;
    return a->tie < b->tie;
}

typedef struct model {
    const ob_sweep *sw;
    agg *aggs; /* per setting */
    pinfo info[OB_SWEEP_MAX_LIST];
    size_t *best;  /* per problem x optimizer; SIZE_MAX: none complete */
    size_t *tried; /* settings per problem x optimizer */
} model;

static int model_build(model *m, const ob_sweep *sw, ob_sweep_criterion crit)
{
    memset(m, 0, sizeof *m);
    m->sw = sw;
    size_t cells = sw->n_problems * sw->n_opts;
    m->aggs = calloc(sw->n_settings ? sw->n_settings : 1, sizeof *m->aggs);
    m->best = malloc((cells ? cells : 1) * sizeof *m->best);
    m->tried = calloc(cells ? cells : 1, sizeof *m->tried);
    if (!m->aggs || !m->best || !m->tried) return -1;
    for (size_t p = 0; p < sw->n_problems; p++) {
        m->info[p] = (pinfo){0, sw->problems[p]->stochastic, NAN, NAN, crit};
    }
    /* f* and the target come from the runs (the catalog knows them only
     * per instance). */
    for (size_t i = 0; i < sw->n_runs; i++) {
        const ob_sweep_run *r = &sw->runs[i];
        pinfo *pi = &m->info[sw->settings[r->setting].problem];
        if (r->done && !pi->has_fstar && r->has_fstar) {
            pi->has_fstar = 1;
            pi->fstar = r->fstar;
            pi->tol = r->tol;
        }
    }
    for (size_t p = 0; p < sw->n_problems; p++)
        if (!m->info[p].has_fstar) m->info[p].crit = OB_SWEEP_BY_LOSS; /* no target to reach */
    for (size_t c = 0; c < cells; c++) m->best[c] = SIZE_MAX;
    for (size_t i = 0; i < sw->n_settings; i++) {
        const ob_sweep_setting *s = &sw->settings[i];
        aggregate(sw, s, &m->info[s->problem], &m->aggs[i]);
        size_t cell = s->problem * sw->n_opts + s->opt;
        m->tried[cell]++;
        if (m->aggs[i].done < s->n_runs) continue; /* interrupted: not comparable yet */
        if (m->best[cell] == SIZE_MAX || better(&m->aggs[i], &m->aggs[m->best[cell]])) m->best[cell] = i;
    }
    return 0;
}

static void model_free(model *m)
{
    free(m->aggs);
    free(m->best);
    free(m->tried);
}

static const char *crit_name(ob_sweep_criterion c)
{
    return c == OB_SWEEP_BY_STEPS ? "steps" : "loss";
}

static void crit_text(const ob_sweep *sw, ob_sweep_criterion c, char *buf, size_t len)
{
    const char *path = sw->scored >= 0 ? ob_isa_name((ob_isa)sw->scored) : "fp64 reference";
    /* With --instances the median is over every run of the setting: each
     * seed on each problem instance. */
    const char *over = sw->instances > 1 ? "seeds and problem instances" : "seeds";
    if (c == OB_SWEEP_BY_STEPS)
        snprintf(buf, len,
                 "median over %s of the steps to reach f - f* <= tol on the %s path (never: +inf); "
                 "ties: median final loss",
                 over, path);
    else
        snprintf(
            buf, len,
            "median over %s of the final loss on the %s path (diverged: +inf; on deterministic "
            "problems, medians within the target f - f* <= tol count as equal); ties: median steps to target",
            over, path);
}

/* ---- sweep.json ---------------------------------------------------------------------- */

static cJSON *swept_json(const ob_sweep *sw, const ob_sweep_setting *s)
{
    cJSON *j = cJSON_CreateObject();
    for (size_t a = 0; a < sw->n_axes; a++)
        if (s->has[a]) cJSON_AddNumberToObject(j, sw->axes[a].key, s->value[a]);
    return j;
}

static cJSON *triple(const double v[3])
{
    cJSON *j = cJSON_CreateObject();
    ob_json_add_num(j, "median", v[0]);
    ob_json_add_num(j, "min", v[1]);
    ob_json_add_num(j, "max", v[2]);
    return j;
}

static cJSON *point_json(const model *m, size_t i)
{
    const ob_sweep *sw = m->sw;
    const ob_sweep_setting *s = &sw->settings[i];
    const agg *a = &m->aggs[i];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "problem", s->c.problem->name);
    cJSON_AddStringToObject(j, "optimizer", s->c.opt->name);
    cJSON_AddItemToObject(j, "hparams", swept_json(sw, s));
    cJSON_AddNumberToObject(j, "seeds", (double)s->n_runs);
    cJSON_AddNumberToObject(j, "seeds_done", (double)a->done);
    ob_json_add_num(j, "median", a->crit[0]);
    ob_json_add_num(j, "min", a->crit[1]);
    ob_json_add_num(j, "max", a->crit[2]);
    cJSON_AddItemToObject(j, "final_loss", triple(a->loss));
    cJSON *st = triple(a->steps);
    cJSON_AddNumberToObject(st, "reached", (double)a->reached);
    cJSON_AddItemToObject(j, "steps_to_target", st);
    cJSON_AddNumberToObject(j, "diverged", (double)a->diverged);
    cJSON_AddBoolToObject(j, "agreement_ok", a->agree_ok);
    cJSON *runs = cJSON_AddArrayToObject(j, "runs");
    for (size_t k = 0; k < s->n_runs; k++) {
        const ob_sweep_run *r = &sw->runs[s->first_run + k];
        cJSON *rj = cJSON_CreateObject();
        char file[64];
        snprintf(file, sizeof file, "sweep/points/%s.json", r->hash);
        cJSON_AddNumberToObject(rj, "seed", (double)r->seed);
        if (sw->instances > 1) cJSON_AddNumberToObject(rj, "instance", (double)r->instance);
        cJSON_AddStringToObject(rj, "file", file);
        cJSON_AddBoolToObject(rj, "done", r->done);
        ob_json_add_num(rj, "final_loss", r->done ? r->final_loss : NAN);
        ob_json_add_num(rj, "steps_to_target", r->steps_to_target ? (double)r->steps_to_target : NAN);
        ob_json_add_num(rj, "diverged_at", r->diverged_at ? (double)r->diverged_at : NAN);
        cJSON_AddItemToArray(runs, rj);
    }
    return j;
}

static cJSON *best_json(const model *m, size_t p, size_t o)
{
    const ob_sweep *sw = m->sw;
    size_t cell = p * sw->n_opts + o, i = m->best[cell];
    const ob_sweep_setting *s = &sw->settings[i];
    const agg *a = &m->aggs[i];
    const pinfo *pi = &m->info[p];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "problem", s->c.problem->name);
    cJSON_AddStringToObject(j, "optimizer", s->c.opt->name);
    cJSON_AddItemToObject(j, "hparams", ob_hparams_json(s->c.opt, &s->c.h));
    cJSON_AddItemToObject(j, "swept", swept_json(sw, s));
    cJSON_AddStringToObject(j, "criterion", crit_name(pi->crit));
    ob_json_add_num(j, "median", a->crit[0]);
    ob_json_add_num(j, "min", a->crit[1]);
    ob_json_add_num(j, "max", a->crit[2]);
    cJSON_AddNumberToObject(j, "seeds", (double)s->n_runs);
    ob_json_add_num(j, "final_loss_median", a->loss[0]);
    ob_json_add_num(j, "steps_to_target_median", a->steps[0]);
    cJSON_AddNumberToObject(j, "reached", (double)a->reached);
    cJSON_AddNumberToObject(j, "diverged", (double)a->diverged);
    cJSON_AddNumberToObject(j, "settings_tried", (double)m->tried[cell]);
    cJSON_AddNumberToObject(j, "steps", (double)s->c.steps);
    return j;
}

static cJSON *axes_json(const ob_sweep *sw)
{
    static const char *const spacing[] = {"log", "lin", "list"};
    cJSON *arr = cJSON_CreateArray();
    for (size_t a = 0; a < sw->n_axes; a++) {
        const ob_sweep_axis *ax = &sw->axes[a];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "key", ax->key);
        cJSON_AddStringToObject(j, "spacing", spacing[ax->spacing]);
        cJSON_AddNumberToObject(j, "lo", ax->lo);
        cJSON_AddNumberToObject(j, "hi", ax->hi);
        cJSON_AddNumberToObject(j, "n", (double)ax->n);
        cJSON_AddItemToObject(j, "values", cJSON_CreateDoubleArray(ax->values, (int)ax->n));
        cJSON_AddItemToArray(arr, j);
    }
    return arr;
}

/* ---- figures --------------------------------------------------------------------------- */

/* The x axis of the figures: lr when it is swept, else the first axis. */
static size_t x_axis(const ob_sweep *sw)
{
    for (size_t a = 0; a < sw->n_axes; a++)
        if (!strcmp(sw->axes[a].key, "lr")) return a;
    return 0;
}

typedef struct xrow {
    double x;
    size_t setting;
} xrow;

static int cmp_xrow(const void *a, const void *b)
{
    const xrow *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return p->setting < q->setting ? -1 : p->setting > q->setting;
}

/* The plotted value of a metric: f - f* where f* is known (a log axis
 * shows how close each setting got), else the value itself. */
static double plotted(const pinfo *pi, double v)
{
    return pi->crit == OB_SWEEP_BY_LOSS && pi->has_fstar ? v - pi->fstar : v;
}

/* The rows of one (problem, optimizer): for each x, the best setting there
 * (over the other swept keys).  Returns the number of rows. */
static size_t envelope(const model *m, size_t p, size_t o, size_t xa, xrow *rows)
{
    const ob_sweep *sw = m->sw;
    size_t n = 0;
    for (size_t i = 0; i < sw->n_settings; i++) {
        const ob_sweep_setting *s = &sw->settings[i];
        if (s->problem == p && s->opt == o && s->has[xa] && m->aggs[i].done == s->n_runs)
            rows[n++] = (xrow){s->value[xa], i};
    }
    qsort(rows, n, sizeof *rows, cmp_xrow);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && rows[k - 1].x == rows[i].x) {
            if (better(&m->aggs[rows[i].setting], &m->aggs[rows[k - 1].setting])) rows[k - 1] = rows[i];
        } else {
            rows[k++] = rows[i];
        }
    }
    return k;
}

/* Writes data/<problem>.<opt>.csv for every optimizer of problem p and the
 * figure's scale; returns the number of files written, or -1. */
static int figure_data(const model *m, size_t p, size_t xa, const char *sweep_dir, char *files, size_t flen,
                       char *names, size_t nlen, int *logy, double *ytop, double *ylo, double *ystep,
                       int *floored, int *marks, char *err, size_t errlen)
{
    const ob_sweep *sw = m->sw;
    const pinfo *pi = &m->info[p];
    xrow *rows = malloc((sw->n_settings ? sw->n_settings : 1) * sizeof *rows);
    if (!rows) return snprintf(err, errlen, "out of memory"), -1;
    /* The scale first: the smallest positive and the largest finite value
     * over every optimizer, so that all lines share one axis. */
    double lo = INFINITY, hi = -INFINITY, minpos = INFINITY;
    int nonpos = 0;
    for (size_t o = 0; o < sw->n_opts; o++) {
        size_t n = envelope(m, p, o, xa, rows);
        for (size_t r = 0; r < n; r++)
            for (int k = 0; k < 3; k++) {
                double v = plotted(pi, m->aggs[rows[r].setting].crit[k]);
                if (!isfinite(v)) continue;
                lo = fmin(lo, v);
                hi = fmax(hi, v);
                if (v > 0) minpos = fmin(minpos, v);
                else nonpos = 1;
            }
    }
    /* f - f* and step counts are positive but for rounding (a run that
     * reaches f* exactly, or an f* known to a few digits): those values
     * are drawn on the bottom edge rather than lost. */
    *logy = isfinite(minpos) && (pi->crit == OB_SWEEP_BY_STEPS || pi->has_fstar || !nonpos);
    double floor_v = *logy ? (nonpos ? minpos / 10 : minpos) : lo;
    *ylo = isfinite(floor_v) ? floor_v : 0;
    *floored = *logy && nonpos;
    if (!isfinite(hi)) *ytop = 1;
    else if (*logy) *ytop = hi * 10;
    else *ytop = hi + (hi > lo ? 0.1 * (hi - lo) : 1);
    *ystep = *logy ? 0 : (hi > lo ? 0.04 * (hi - lo) : 0.1);
    int written = 0;
    *marks = 0;
    files[0] = names[0] = '\0';
    for (size_t o = 0; o < sw->n_opts; o++) {
        size_t n = envelope(m, p, o, xa, rows);
        if (n == 0) continue;
        char rel[512], path[4800], msg[512];
        snprintf(rel, sizeof rel, "data/%s.%s.csv", sw->problems[p]->name, sw->opts[o]->name);
        snprintf(path, sizeof path, "%s/%s", sweep_dir, rel);
        ob_atomic_file af;
        if (ob_atomic_open(&af, path, msg, sizeof msg) != 0) {
            free(rows);
            return snprintf(err, errlen, "%s", msg), -1;
        }
        size_t best = m->best[p * sw->n_opts + o];
        fprintf(af.f, "x,median,min,max,flag,best\n");
        for (size_t r = 0; r < n; r++) {
            const agg *a = &m->aggs[rows[r].setting];
            double v[3];
            for (int k = 0; k < 3; k++) {
                v[k] = plotted(pi, a->crit[k]);
                if (*logy && isfinite(v[k]) && v[k] <= 0) v[k] = floor_v;
            }
            fprintf(af.f, "%.17g,", rows[r].x);
            /* A median that is not finite leaves its cells empty (no point,
             * a gap in the line) and is marked on the top edge instead; a
             * max that is not finite draws its bar to the top edge. */
            if (isfinite(v[0])) fprintf(af.f, "%.9g,%.9g,%.9g,0,", v[0], v[1], isfinite(v[2]) ? v[2] : *ytop);
            else fprintf(af.f, ",,,1,");
            *marks |= !isfinite(v[0]);
            fprintf(af.f, "%d\n", rows[r].setting == best);
        }
        if (ob_atomic_commit(&af, msg, sizeof msg) != 0) {
            free(rows);
            return snprintf(err, errlen, "%s", msg), -1;
        }
        snprintf(files + strlen(files), flen - strlen(files), "%s%s", written ? " " : "", rel);
        snprintf(names + strlen(names), nlen - strlen(names), "%s%s", written ? " " : "", sw->opts[o]->name);
        written++;
    }
    free(rows);
    return written;
}

#define FIG_W 1000
#define FIG_H 600
#define SCRIPT "sweep_sensitivity.gp"

/* Renders <problem>.png/.svg; 0, or -1 with a message naming the script. */
static int render(const model *m, size_t p, const char *sweep_dir, const ob_sweep_report_opts *o, char *err,
                  size_t errlen)
{
    const ob_sweep *sw = m->sw;
    const pinfo *pi = &m->info[p];
    const char *prob = sw->problems[p]->name;
    size_t xa = x_axis(sw);
    char plot_dir[PATH_MAX], script[PATH_MAX + 64], data_dir[4300];
    /* Absolute, because gnuplot runs in the sweep folder. */
    if (ob_find_plot_dir(o->plot_dir, SCRIPT, plot_dir, sizeof plot_dir, err, errlen) != 0) return -1;
    snprintf(script, sizeof script, "%s/%s", plot_dir, SCRIPT);
    snprintf(data_dir, sizeof data_dir, "%s/data", sweep_dir);
    if (ob_mkdirs(data_dir, err, errlen) != 0) return -1;
    char files[8192], names[2048];
    int logy;
    double ytop, ylo, ystep;
    int floored, marks;
    int nf = figure_data(m, p, xa, sweep_dir, files, sizeof files, names, sizeof names, &logy, &ytop, &ylo,
                         &ystep, &floored, &marks, err, errlen);
    if (nf < 0) return -1;
    if (nf == 0) return snprintf(err, errlen, "%s: no finished setting to plot", prob), -1;
    const ob_sweep_axis *ax = &sw->axes[xa];
    int logx = ax->spacing == OB_SWEEP_LOG || (ax->lo > 0 && ax->hi >= 100 * ax->lo);
    char tmp[256], assign[16384] = "";
    snprintf(tmp, sizeof tmp, ".tmp-%ld-%s", (long)getpid(), prob);
    ob_gnuplot_assign_str(assign, sizeof assign, "out", tmp);
    ob_gnuplot_assign_str(assign, sizeof assign, "files", files);
    ob_gnuplot_assign_str(assign, sizeof assign, "names", names);
    ob_gnuplot_assign_str(assign, sizeof assign, "metric",
               pi->crit == OB_SWEEP_BY_STEPS ? "steps"
               : pi->has_fstar               ? "gap"
                                             : "loss");
    ob_gnuplot_assign_str(assign, sizeof assign, "xkey", ax->key);
    ob_gnuplot_assign_str(assign, sizeof assign, "problem", prob);
    char config[1200] = "";
    const ob_case *c0 = NULL;
    for (size_t i = 0; i < sw->n_settings && !c0; i++)
        if (sw->settings[i].problem == p) c0 = &sw->settings[i].c;
    if (c0->n) snprintf(config, sizeof config, "n=%zu", c0->n);
    for (size_t k = 0; k < c0->n_pparams; k++)
        snprintf(config + strlen(config), sizeof config - strlen(config), "%s%s", config[0] ? ", " : "",
                 c0->pparams[k]);
    if (config[0]) {
        memmove(config + 2, config, strlen(config) + 1);
        memcpy(config, " (", 2);
        strcat(config, ")");
    }
    ob_gnuplot_assign_str(assign, sizeof assign, "config", config);
    ob_gnuplot_assign_str(assign, sizeof assign, "path",
               sw->scored >= 0 ? ob_isa_name((ob_isa)sw->scored) : "reference");
    ob_gnuplot_assign_num(assign, sizeof assign, "logx", logx);
    ob_gnuplot_assign_num(assign, sizeof assign, "logy", logy);
    ob_gnuplot_assign_num(assign, sizeof assign, "ytop", marks ? ytop : 0);
    ob_gnuplot_assign_num(assign, sizeof assign, "ylo", ylo);
    ob_gnuplot_assign_num(assign, sizeof assign, "ystep", ystep);
    ob_gnuplot_assign_num(assign, sizeof assign, "floored", floored);
    ob_gnuplot_assign_num(assign, sizeof assign, "tol", pi->tol);
    ob_gnuplot_assign_num(assign, sizeof assign, "steps", (double)c0->steps);
    ob_gnuplot_assign_num(assign, sizeof assign, "seeds", (double)sw->problem_seeds[p]);
    if (sw->problem_instances[p] > 1)
        ob_gnuplot_assign_num(assign, sizeof assign, "instances", (double)sw->problem_instances[p]);
    ob_gnuplot_assign_num(assign, sizeof assign, "others", sw->n_axes > 1);
    ob_gnuplot_assign_num(assign, sizeof assign, "width", FIG_W);
    ob_gnuplot_assign_num(assign, sizeof assign, "height", FIG_H);
    const char *gnuplot = o->gnuplot ? o->gnuplot : getenv("OPTBENCH_GNUPLOT");
    if (!gnuplot || !*gnuplot) gnuplot = "gnuplot";
    int rc = ob_gnuplot_run(gnuplot, sweep_dir, script, assign, 120, err, errlen);
    char png_tmp[4600], svg_tmp[4600], png[4600], svg[4600];
    snprintf(png_tmp, sizeof png_tmp, "%s/%s.png", sweep_dir, tmp);
    snprintf(svg_tmp, sizeof svg_tmp, "%s/%s.svg", sweep_dir, tmp);
    snprintf(png, sizeof png, "%s/%s.png", sweep_dir, prob);
    snprintf(svg, sizeof svg, "%s/%s.svg", sweep_dir, prob);
    unsigned w = 0, h = 0;
    if (rc == 0 && ob_png_size(png_tmp, &w, &h) != 0) {
        snprintf(err, errlen, "%s exited 0 but wrote no valid PNG for %s", script, prob);
        rc = -1;
    } else if (rc == 0 && (w != FIG_W || h != FIG_H)) {
        snprintf(err, errlen, "%s wrote a %ux%u PNG for %s, expected %dx%d", script, w, h, prob, FIG_W,
                 FIG_H);
        rc = -1;
    }
    /* Renamed into place only once checked: a failed re-render keeps the
     * figure that was there. */
    if (rc == 0 && (rename(png_tmp, png) != 0 || rename(svg_tmp, svg) != 0)) {
        snprintf(err, errlen, "%s: cannot move the figure into place: %s", png, strerror(errno));
        rc = -1;
    }
    unlink(png_tmp);
    unlink(svg_tmp);
    return rc;
}

/* ---- the summary table ------------------------------------------------------------------ */

static void fmt_metric(char *buf, size_t len, double v, ob_sweep_criterion c)
{
    if (!isfinite(v)) snprintf(buf, len, "%s", c == OB_SWEEP_BY_STEPS ? "never" : "diverged");
    else if (c == OB_SWEEP_BY_STEPS) snprintf(buf, len, "%.0f", v);
    else snprintf(buf, len, "%.4g", v);
}

static void summary(const model *m, FILE *out)
{
    const ob_sweep *sw = m->sw;
    char text[512];
    crit_text(sw, OB_SWEEP_BY_LOSS, text, sizeof text);
    fprintf(out, "Tuned comparison: each optimizer at its best setting\n");
    int any_steps = 0;
    for (size_t p = 0; p < sw->n_problems; p++) any_steps |= m->info[p].crit == OB_SWEEP_BY_STEPS;
    if (any_steps) crit_text(sw, OB_SWEEP_BY_STEPS, text, sizeof text);
    fprintf(out, "criterion: %s\n\n", text);
    fprintf(out, "%-22s %-9s %-28s %11s %11s %11s %5s %9s %8s\n", "problem", "optimizer", "best setting",
            "median", "min", "max", "seeds", "to target", "settings");
    for (size_t p = 0; p < sw->n_problems; p++) {
        for (size_t o = 0; o < sw->n_opts; o++) {
            size_t cell = p * sw->n_opts + o, i = m->best[cell];
            if (i == SIZE_MAX) {
                int kernels = 1; /* else left out of the plan (a note says which ISA lacks one) */
                for (int k = 0; k < OB_ISA_COUNT; k++)
                    kernels &= !((sw->isa_mask >> k) & 1u) ||
                               ob_optimizer_kernel(sw->opts[o], (ob_isa)k) != NULL;
                fprintf(out, "%-22s %-9s %-28s\n", sw->problems[p]->name, sw->opts[o]->name,
                        kernels ? "(not finished)" : "(SKIPPED: no kernel)");
                continue;
            }
            const agg *a = &m->aggs[i];
            char desc[512], v[3][32], tgt[32];
            ob_sweep_describe(sw, &sw->settings[i], desc, sizeof desc);
            for (int k = 0; k < 3; k++) fmt_metric(v[k], sizeof v[k], a->crit[k], m->info[p].crit);
            if (!m->info[p].has_fstar) snprintf(tgt, sizeof tgt, "-");
            else fmt_metric(tgt, sizeof tgt, a->steps[0], OB_SWEEP_BY_STEPS);
            fprintf(out, "%-22s %-9s %-28s %11s %11s %11s %5zu %9s %8zu\n", sw->problems[p]->name,
                    sw->opts[o]->name, desc, v[0], v[1], v[2], sw->settings[i].n_runs, tgt, m->tried[cell]);
        }
    }
}

/* ---- the whole report ---------------------------------------------------------------------- */

int ob_sweep_report(const ob_sweep *sw, const char *sweep_dir, const ob_sweep_report_opts *o, FILE *out,
                    char *err, size_t errlen)
{
    model m;
    cJSON *meta = o->meta;
    if (model_build(&m, sw, o->criterion) != 0) {
        model_free(&m);
        cJSON_Delete(meta);
        snprintf(err, errlen, "out of memory");
        return OB_EXIT_FAIL;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "format", OB_SWEEP_FORMAT);
    cJSON_AddNumberToObject(doc, "version", OB_SWEEP_VERSION);
    cJSON_AddStringToObject(doc, "status", o->status);
    if (meta) cJSON_AddItemToObject(doc, "meta", meta);
    cJSON_AddItemToObject(doc, "spec", cJSON_Duplicate(sw->spec, 1));
    char text[512];
    crit_text(sw, o->criterion, text, sizeof text);
    cJSON_AddStringToObject(doc, "criterion", crit_name(o->criterion));
    cJSON_AddStringToObject(doc, "criterion_text", text);
    cJSON_AddStringToObject(doc, "path", sw->scored >= 0 ? ob_isa_name((ob_isa)sw->scored) : "reference");
    cJSON_AddItemToObject(doc, "axes", axes_json(sw));
    size_t done = 0, bad_agree = 0;
    for (size_t i = 0; i < sw->n_runs; i++) {
        done += sw->runs[i].done;
        bad_agree += sw->runs[i].done && !sw->runs[i].agree_ok;
    }
    cJSON_AddNumberToObject(doc, "runs_planned", (double)sw->n_runs);
    cJSON_AddNumberToObject(doc, "runs_done", (double)done);
    cJSON_AddNumberToObject(doc, "agreement_violations", (double)bad_agree);
    cJSON *probs = cJSON_AddArrayToObject(doc, "problems");
    for (size_t p = 0; p < sw->n_problems; p++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "problem", sw->problems[p]->name);
        cJSON_AddNumberToObject(j, "seeds", (double)sw->problem_seeds[p]);
        if (sw->instances > 1) cJSON_AddNumberToObject(j, "instances", (double)sw->problem_instances[p]);
        cJSON_AddBoolToObject(j, "stochastic", sw->problems[p]->stochastic);
        if (m.info[p].has_fstar) cJSON_AddNumberToObject(j, "fstar", m.info[p].fstar);
        else cJSON_AddNullToObject(j, "fstar");
        ob_json_add_num(j, "tol", m.info[p].tol);
        cJSON_AddStringToObject(j, "criterion", crit_name(m.info[p].crit));
        cJSON_AddItemToArray(probs, j);
    }
    cJSON *points = cJSON_AddArrayToObject(doc, "points");
    for (size_t i = 0; i < sw->n_settings; i++) cJSON_AddItemToArray(points, point_json(&m, i));
    cJSON *best = cJSON_AddArrayToObject(doc, "best");
    for (size_t p = 0; p < sw->n_problems; p++)
        for (size_t q = 0; q < sw->n_opts; q++)
            if (m.best[p * sw->n_opts + q] != SIZE_MAX) cJSON_AddItemToArray(best, best_json(&m, p, q));
    cJSON *figs = cJSON_AddArrayToObject(doc, "figures");
    cJSON *fig_err = cJSON_AddArrayToObject(doc, "figure_errors");
    int rc = OB_EXIT_OK;
    char msg[10000];
    for (size_t p = 0; o->figures && p < sw->n_problems; p++) {
        if (render(&m, p, sweep_dir, o, msg, sizeof msg) == 0) {
            char rel[256];
            snprintf(rel, sizeof rel, "sweep/%s.png", sw->problems[p]->name);
            cJSON_AddItemToArray(figs, cJSON_CreateString(rel));
        } else {
            cJSON_AddItemToArray(fig_err, cJSON_CreateString(msg));
            if (rc == OB_EXIT_OK) snprintf(err, errlen, "figure for %s: %s", sw->problems[p]->name, msg);
            rc = OB_EXIT_FAIL;
        }
    }
    cJSON_AddItemToObject(doc, "skipped", cJSON_Duplicate(sw->skipped, 1));
    cJSON_AddItemToObject(doc, "notes", cJSON_Duplicate(sw->notes, 1));
    char path[4400];
    snprintf(path, sizeof path, "%s/sweep.json", sweep_dir);
    if (ob_json_write(path, doc, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s", msg);
        rc = OB_EXIT_IO;
    }
    summary(&m, out);
    if (bad_agree)
        fprintf(out,
                "\nnote: %zu run%s had an fp32 agreement violation without diverging (see the records; "
                "optbench run checks a setting in full)\n",
                bad_agree, bad_agree == 1 ? "" : "s");
    cJSON_Delete(doc);
    model_free(&m);
    return rc;
}
