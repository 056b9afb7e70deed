/*
 * report_figures.c — which figures a run gets, and the small data files
 * the aggregate ones plot (figures/data/<name>.csv).  The per-case figures
 * (convergence, trajectories, deviation) read the case CSVs directly; the
 * others need a reduction over cases or over bench.csv rows first, which
 * is done here in C rather than in gnuplot.
 *
 * Every path handed to gnuplot is relative to the run folder, where
 * gnuplot runs (report_plot.c).
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "optbench/problems.h"
#include "harness/core/ob_core.h"
#include "report_internal.h"

#define MAX_PER_PROBLEM 64

const char *const ob_report_scripts[] = {"convergence.gp", "trajectory.gp", "bars.gp",    "identity.gp",
                                         "deviation.gp",   "throughput.gp", "monitor.gp", NULL};

/* ---- small helpers ----------------------------------------------------------- */

int rp_sb_open(rp_sbuf *b)
{
    b->s = NULL;
    b->len = 0;
    b->f = open_memstream(&b->s, &b->len);
    return b->f ? 0 : -1;
}

const char *rp_sb_text(rp_sbuf *b)
{
    if (b->f) fclose(b->f);
    b->f = NULL;
    return b->s ? b->s : "";
}

void rp_sb_word(rp_sbuf *b, const char *w)
{
    if (b->f) fprintf(b->f, "%s%s", ftell(b->f) > 0 ? " " : "", w);
}

rp_job *rp_data_figure(rp_plan *p, const rp_model *m, const char *file, rp_sbuf *data, const char *section,
                       const char *name, const char *script, const char *caption, char *err, size_t errlen)
{
    char rel[300], path[4600];
    snprintf(rel, sizeof rel, "figures/data/%s", file);
    snprintf(path, sizeof path, "%s/%s", m->dir, rel);
    const char *text = rp_sb_text(data);
    if (ob_atomic_write(path, text, strlen(text), err, errlen) != 0) return NULL;
    rp_job *j = rp_plan_add(p, m->sum, section, name, script, 1000, 600, "%s", caption);
    if (j) rp_assign(j, "data", "%s", rel);
    return j;
}

static const char *problem_title(const char *name)
{
    const ob_problem_spec *ps = ob_problem_find(name);
    return ps ? ps->title : name;
}

/* "Beale — mgh_beale"; a catalog title longer than `max` (it would run
 * past the plot) leaves just the name. */
static void problem_label(const char *problem, size_t max, char *buf, size_t len)
{
    const char *t = problem_title(problem);
    if (strlen(t) <= max && strcasecmp(t, problem) != 0) snprintf(buf, len, "%s — %s", t, problem);
    else snprintf(buf, len, "%s", problem);
}

static void assign_title(rp_job *j, const char *what, const char *problem)
{
    char label[256];
    problem_label(problem, 40, label, sizeof label);
    rp_assign(j, "title", "%s on %s", what, label);
}

/* The cases of a problem that have a CSV and an fp32 path. */
static size_t drawable_cases(const rp_model *m, const char *problem, const rp_case **out)
{
    const rp_case *all[MAX_PER_PROBLEM];
    size_t n = rp_problem_cases(m, problem, all, MAX_PER_PROBLEM), k = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i]->has_csv && all[i]->shown >= 0) out[k++] = all[i];
    return k;
}

/* The fp32 column every case has: the narrowest of the ISAs shown. */
static int common_isa(const rp_case *const *cs, size_t n)
{
    int isa = OB_ISA_COUNT - 1;
    for (size_t i = 0; i < n; i++)
        if (cs[i]->shown < isa) isa = cs[i]->shown;
    return isa;
}

/* files='cases/a.csv ...', names='adam ...', isa='avx512' for a set of cases. */
static void assign_cases(rp_job *j, const char *files_var, const char *names_var, const rp_case *const *cs,
                         size_t n)
{
    rp_sbuf f, o;
    if (rp_sb_open(&f) != 0) return;
    if (rp_sb_open(&o) != 0) {
        rp_sb_text(&f);
        free(f.s);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        rp_sb_word(&f, cs[i]->csv_rel);
        rp_sb_word(&o, cs[i]->opt);
    }
    rp_assign(j, files_var, "%s", rp_sb_text(&f));
    rp_assign(j, names_var, "%s", rp_sb_text(&o));
    free(f.s);
    free(o.s);
}

static int has_opt(const rp_case *const *cs, size_t n, const char *opt)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(cs[i]->opt, opt)) return 1;
    return 0;
}

/* ---- convergence ----------------------------------------------------------- */

/* The largest value of column <isa>_<col> or ref_<col> at the first
 * recorded step of the cases' CSVs (NaN if none). */
static double start_value(const rp_case *const *cs, size_t n, int isa, const char *col)
{
    double best = NAN;
    for (size_t i = 0; i < n; i++) {
        rp_table t;
        char msg[256], a[64], b[64];
        if (rp_table_read(cs[i]->csv, &t, msg, sizeof msg) != 0) continue;
        snprintf(a, sizeof a, "%s_%s", ob_isa_name((ob_isa)isa), col);
        snprintf(b, sizeof b, "ref_%s", col);
        double v[2] = {rp_table_num(&t, 0, rp_table_col(&t, a)), rp_table_num(&t, 0, rp_table_col(&t, b))};
        for (int k = 0; k < 2; k++)
            if (isfinite(v[k]) && !(v[k] <= best)) best = v[k];
        rp_table_free(&t);
    }
    return best;
}

static int plan_convergence(rp_plan *p, const rp_model *m)
{
    for (size_t k = 0; k < m->n_problems; k++) {
        const char *pr = m->problems[k];
        const rp_case *cs[MAX_PER_PROBLEM];
        size_t n = drawable_cases(m, pr, cs);
        if (n == 0) continue; /* the missing CSVs are already noted */
        int isa = common_isa(cs, n), gap = 1;
        for (size_t i = 0; i < n; i++) gap &= cs[i]->has_fstar;
        const ob_problem_spec *ps = ob_problem_find(pr);
        char note[160] = "";
        if (!has_opt(cs, n, "sgd") || !has_opt(cs, n, "adam"))
            snprintf(note, sizeof note, " (this run has no %s case for it)",
                     !has_opt(cs, n, "sgd") ? (!has_opt(cs, n, "adam") ? "SGD or Adam" : "SGD") : "Adam");
        char name[160], label[256];
        snprintf(name, sizeof name, "convergence-%s", pr);
        problem_label(pr, 40, label, sizeof label);
        rp_job *j = rp_plan_add(
            p, m->sum, "convergence", name, "convergence.gp", 1000, 600,
            "%s on %s against the step: each optimizer's fp32 %s kernel (solid) and its fp64 "
            "reference (dashed, same colour; hidden where the two coincide), with SGD and Adam as "
            "the baselines%s.",
            gap ? "f − f* (log scale)" : (ps && ps->stochastic ? "The full-data loss" : "The loss"), label,
            ob_isa_name((ob_isa)isa), note);
        if (!j) return -1;
        assign_cases(j, "files", "names", cs, n);
        rp_assign(j, "isa", "%s", ob_isa_name((ob_isa)isa));
        rp_assign(j, "ycol", "%s", gap ? "gap" : "loss");
        rp_assign_num(j, "logy", gap);
        rp_assign_num(j, "tol", gap && isfinite(cs[0]->tol) ? cs[0]->tol : 0);
        /* The top of the axis: a thousand times the largest starting value
         * on the log axis, twice it on the linear one, so that a diverging
         * path leaves the picture rather than squashing the others. */
        double start = start_value(cs, n, isa, gap ? "gap" : "loss");
        if (isfinite(start) && gap && start > 0) rp_assign_num(j, "ymax", 1e3 * start);
        else if (isfinite(start) && !gap && start != 0) rp_assign_num(j, "ymax", start + fabs(start));
        assign_title(j, "Convergence", pr);
    }
    return 0;
}

/* ---- trajectories ----------------------------------------------------------- */

typedef struct box {
    double x0, x1, y0, y1;
} box;

static void box_add(box *b, double x, double y)
{
    if (!isfinite(x) || !isfinite(y)) return;
    if (x < b->x0) b->x0 = x;
    if (x > b->x1) b->x1 = x;
    if (y < b->y0) b->y0 = y;
    if (y > b->y1) b->y1 = y;
}

/* Grows b by `frac` of its size on every side, at least `min_pad`. */
static void box_pad(box *b, double frac, double min_pad)
{
    double px = fmax((b->x1 - b->x0) * frac, min_pad), py = fmax((b->y1 - b->y0) * frac, min_pad);
    b->x0 -= px;
    b->x1 += px;
    b->y0 -= py;
    b->y1 += py;
}

/* The window of a trajectory figure: where the paths go, x0 and x*, with
 * a margin, and at most four times the size of the x0–x* region.  `all`
 * holds only the paths that stay near that region (box_near): one that
 * diverges, or wanders off, must not shrink the others to a dot; it is
 * clipped at the window's edge instead. */
static box trajectory_window(box core, box all)
{
    box_pad(&core, 0.35, 0.5);
    box_pad(&all, 0.08, 0.25);
    double cx = (core.x1 - core.x0) * 1.5, cy = (core.y1 - core.y0) * 1.5;
    box w = all;
    w.x0 = fmax(w.x0, core.x0 - cx);
    w.x1 = fmin(w.x1, core.x1 + cx);
    w.y0 = fmax(w.y0, core.y0 - cy);
    w.y1 = fmin(w.y1, core.y1 + cy);
    /* Widen the narrow side to the shape of the plot area (x1, x2 on the
     * same scale, trajectory.gp), so the picture fills it. */
    const double aspect = 1.15;
    double wx = w.x1 - w.x0, wy = w.y1 - w.y0;
    if (wx < aspect * wy) {
        w.x0 -= (aspect * wy - wx) / 2;
        w.x1 += (aspect * wy - wx) / 2;
    } else {
        w.y0 -= (wx / aspect - wy) / 2;
        w.y1 += (wx / aspect - wy) / 2;
    }
    return w;
}

/* b lies within `reach` times the size of core around core. */
static int box_near(box b, box core, double reach)
{
    double cx = fmax(core.x1 - core.x0, 1.0) * reach, cy = fmax(core.y1 - core.y0, 1.0) * reach;
    return b.x0 >= core.x0 - cx && b.x1 <= core.x1 + cx && b.y0 >= core.y0 - cy && b.y1 <= core.y1 + cy;
}

static int plan_trajectories(rp_plan *p, const rp_model *m, char *err, size_t errlen)
{
    for (size_t k = 0; k < m->n_problems; k++) {
        const char *pr = m->problems[k];
        const rp_case *cs[MAX_PER_PROBLEM];
        size_t n = drawable_cases(m, pr, cs), two = 0;
        for (size_t i = 0; i < n; i++)
            if (cs[i]->n == 2) cs[two++] = cs[i];
        n = two;
        if (n == 0) continue;
        int isa = common_isa(cs, n);
        const char *isa_name = ob_isa_name((ob_isa)isa);
        char c1[64], c2[64], name[160], msg[1024];
        snprintf(c1, sizeof c1, "%s_x1", isa_name);
        snprintf(c2, sizeof c2, "%s_x2", isa_name);
        snprintf(name, sizeof name, "trajectory-%s", pr);
        const box empty = {INFINITY, -INFINITY, INFINITY, -INFINITY};
        box core = empty, paths[2 * MAX_PER_PROBLEM];
        size_t npaths = 0;
        double sx = NAN, sy = NAN;
        for (size_t i = 0; i < n; i++) {
            rp_table t;
            if (rp_table_read(cs[i]->csv, &t, msg, sizeof msg) != 0) {
                rp_missing(m->sum, "%s: %s", cs[i]->id, msg);
                continue;
            }
            int a = rp_table_col(&t, c1), b = rp_table_col(&t, c2);
            int ra = rp_table_col(&t, "ref_x1"), rb = rp_table_col(&t, "ref_x2");
            box *f32 = &paths[npaths++], *f64 = &paths[npaths++];
            *f32 = *f64 = empty;
            for (size_t r = 0; r < t.nrows; r++) {
                box_add(f32, rp_table_num(&t, r, a), rp_table_num(&t, r, b));
                box_add(f64, rp_table_num(&t, r, ra), rp_table_num(&t, r, rb));
            }
            if (isnan(sx) && t.nrows > 0) {
                sx = rp_table_num(&t, 0, ra);
                sy = rp_table_num(&t, 0, rb);
            }
            rp_table_free(&t);
        }
        /* x* and the parameters come from the problem itself, configured
         * as the first case was. */
        const cJSON *pc = cJSON_GetObjectItemCaseSensitive(cs[0]->j, "problem_config");
        const cJSON *pp = cJSON_GetObjectItemCaseSensitive(pc, "params"), *it;
        const char *params[16];
        size_t np = 0;
        cJSON_ArrayForEach(it, pp) if (cJSON_IsString(it) && np < 16) params[np++] = it->valuestring;
        double seed = rp_num(pc, "seed"), batch = rp_num(pc, "batch");
        ob_problem_config cfg = {.n = 2,
                                 .seed = isfinite(seed) && seed >= 0 ? (uint64_t)seed : 0,
                                 .batch = isfinite(batch) && batch > 0 ? (size_t)batch : 0,
                                 .params = params,
                                 .n_params = np};
        ob_problem *pb = NULL;
        double xs = NAN, ys = NAN;
        if (ob_problem_create(pr, &cfg, &pb, msg, sizeof msg) == 0) {
            if (pb->xstar && pb->n == 2) {
                xs = pb->xstar[0];
                ys = pb->xstar[1];
            }
            if (isnan(sx) && pb->n == 2) {
                sx = pb->x0[0];
                sy = pb->x0[1];
            }
            ob_problem_destroy(pb);
        }
        box_add(&core, sx, sy);
        box_add(&core, xs, ys);
        box all = empty;
        for (size_t i = 0; i < npaths; i++) {
            if (!isfinite(paths[i].x0) || !box_near(paths[i], core, 4)) continue;
            box_add(&all, paths[i].x0, paths[i].y0);
            box_add(&all, paths[i].x1, paths[i].y1);
        }
        box_add(&all, sx, sy);
        box_add(&all, xs, ys);
        char label[256];
        problem_label(pr, 40, label, sizeof label);
        rp_job *j = rp_plan_add(
            p, m->sum, "trajectories", name, "trajectory.gp", 1000, 600,
            "Log-spaced contour lines of f on %s, with the path of each optimizer's fp32 %s kernel "
            "from x0 (black dot)%s.",
            label, isa_name, isfinite(xs) ? "; the red star is the minimum x*" : "");
        if (!j) return -1;
        if (!isfinite(all.x0) || !isfinite(core.x0)) {
            rp_fig_fail(m->sum, j->fig, "%s: no finite point to draw", name);
            continue;
        }
        box w = trajectory_window(core, all);
        char grid[64], rel[300];
        snprintf(grid, sizeof grid, "grid-%s.csv", pr);
        snprintf(rel, sizeof rel, "figures/data/%s", grid);
        char path[4600];
        snprintf(path, sizeof path, "%s/%s", m->dir, rel);
        if (ob_report_grid(pr, &cfg, w.x0, w.x1, w.y0, w.y1, 160, 160, path, msg, sizeof msg) != 0) {
            rp_fig_fail(m->sum, j->fig, "%s: cannot compute the contour grid: %s", name, msg);
            continue;
        }
        assign_cases(j, "files", "names", cs, n);
        rp_assign(j, "isa", "%s", isa_name);
        rp_assign(j, "grid", "%s", rel);
        rp_assign(j, "x0", "%.17g,%.17g", sx, sy);
        if (isfinite(xs)) rp_assign(j, "xstar", "%.17g,%.17g", xs, ys);
        rp_assign_num(j, "xmin", w.x0);
        rp_assign_num(j, "xmax", w.x1);
        rp_assign_num(j, "ymin", w.y0);
        rp_assign_num(j, "ymax", w.y1);
        assign_title(j, "Trajectories", pr);
    }
    (void)err;
    (void)errlen;
    return 0;
}

/* ---- agreement ----------------------------------------------------------------- */

/* ",scalar<suffix>,avx2<suffix>,..." for the ISAs any case ran: the
 * columns of the agreement and identity data. */
static void isa_columns(FILE *f, const rp_model *m, const char *suffix, rp_sbuf *words)
{
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!m->isa_seen[i]) continue;
        char w[64];
        snprintf(w, sizeof w, "%s%s", ob_isa_name((ob_isa)i), suffix);
        fprintf(f, ",%s", w);
        if (words) rp_sb_word(words, w);
    }
}

/* The ISAs any case ran, as a word list with a prefix ("isa:scalar ..."). */
static void isa_words(const rp_model *m, rp_sbuf *b, const char *prefix)
{
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!m->isa_seen[i]) continue;
        char w[64];
        snprintf(w, sizeof w, "%s%s", prefix, ob_isa_name((ob_isa)i));
        rp_sb_word(b, w);
    }
}

static int plan_agreement(rp_plan *p, const rp_model *m, char *err, size_t errlen)
{
    if (m->n_cases == 0) return 0;
    rp_sbuf d, cols, keys, labels;
    if (rp_sb_open(&d) || rp_sb_open(&cols) || rp_sb_open(&keys) || rp_sb_open(&labels)) return -1;
    isa_words(m, &cols, "");
    isa_words(m, &keys, "isa:");
    fprintf(d.f, "optimizer,bound");
    isa_columns(d.f, m, "", NULL);
    isa_columns(d.f, m, "_label", &labels);
    fputc('\n', d.f);
    double top = 0; /* the largest bound: where a non-finite error's bar stops */
    for (size_t c = 0; c < m->n_cases; c++)
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            double b;
            rp_agree_error(m->cases[c].isa[i], &b);
            if (isfinite(b) && b > top) top = b;
        }
    for (size_t k = 0; k < m->n_opts; k++) {
        double worst[OB_ISA_COUNT], bound = NAN;
        for (int i = 0; i < OB_ISA_COUNT; i++) worst[i] = NAN;
        for (size_t c = 0; c < m->n_cases; c++) {
            const rp_case *rc = &m->cases[c];
            if (strcmp(rc->opt, m->opts[k]) != 0) continue;
            for (int i = 0; i < OB_ISA_COUNT; i++) {
                double b, e = rp_agree_error(rc->isa[i], &b);
                if (!isnan(e) && !(e <= worst[i])) worst[i] = e;
                if (isfinite(b) && !(b <= bound)) bound = b;
            }
        }
        fprintf(d.f, "%s,", m->opts[k]);
        if (isfinite(bound)) fprintf(d.f, "%.6g", bound);
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            if (!m->isa_seen[i]) continue;
            fputc(',', d.f);
            if (isfinite(worst[i])) fprintf(d.f, "%.6g", worst[i]);
            else if (isinf(worst[i])) fprintf(d.f, "%.6g", 1.15 * (top > 0 ? top : 1));
        }
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            if (!m->isa_seen[i]) continue;
            fputc(',', d.f);
            if (isfinite(worst[i])) fprintf(d.f, "%.3g", worst[i]);
            else if (isinf(worst[i])) fprintf(d.f, "∞ ✗");
        }
        fputc('\n', d.f);
    }
    rp_job *j = rp_data_figure(
        p, m, "agreement.csv", &d, "agreement", "agreement-error", "bars.gp",
        "The worst single-step error of each optimizer's fp32 kernel against the fp64 reference "
        "over all cases, per instruction set, in units of u·S, with the documented bound (red) "
        "that it must stay under; a bar labelled ∞ is a step whose error was not finite.",
        err, errlen);
    if (j) {
        rp_assign(j, "cols", "%s", rp_sb_text(&cols));
        rp_assign(j, "keys", "%s", rp_sb_text(&keys));
        rp_assign(j, "labelcols", "%s", rp_sb_text(&labels));
        rp_assign(j, "mark", "bound");
        rp_assign(j, "marktitle", "documented bound");
        rp_assign(j, "title", "Single-step agreement with the fp64 reference");
        rp_assign(j, "xlabel", "optimizer");
        rp_assign(j, "ylabel", "worst error |x_{fp32} − x_{ref}| / (u·S),  u = 2^{−24}");
    }
    free(d.s);
    free(cols.s);
    free(keys.s);
    free(labels.s);
    return j ? 0 : -1;
}

/* 1: every case of opt that ran ISA i was bit-identical to scalar; 0: one
 * was not; -1: no case ran it (or scalar did not run to compare with). */
int rp_identity(const rp_model *m, const char *opt, int isa)
{
    int ran = 0, same = 1;
    for (size_t c = 0; c < m->n_cases; c++) {
        const rp_case *rc = &m->cases[c];
        if (strcmp(rc->opt, opt) != 0 || !rc->isa[isa] || !rc->isa[OB_ISA_SCALAR]) continue;
        ran = 1;
        same &= isa == OB_ISA_SCALAR ||
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rc->isa[isa], "bit_identical"));
    }
    return ran ? same : -1;
}

static int plan_identity(rp_plan *p, const rp_model *m, char *err, size_t errlen)
{
    if (m->n_cases == 0) return 0;
    rp_sbuf d, cols;
    if (rp_sb_open(&d) || rp_sb_open(&cols)) return -1;
    isa_words(m, &cols, "");
    fprintf(d.f, "optimizer");
    isa_columns(d.f, m, "", NULL);
    fputc('\n', d.f);
    for (size_t k = 0; k < m->n_opts; k++) {
        fprintf(d.f, "%s", m->opts[k]);
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            if (!m->isa_seen[i]) continue;
            int v = rp_identity(m, m->opts[k], i);
            /* 2 marks the scalar column: what the others are compared with. */
            if (v >= 0) fprintf(d.f, ",%d", i == OB_ISA_SCALAR ? 2 : v);
            else fputc(',', d.f);
        }
        fputc('\n', d.f);
    }
    rp_job *j = rp_data_figure(
        p, m, "identity.csv", &d, "agreement", "agreement-identity", "identity.gp",
        "Bit-identity across instruction sets: ✓ where an ISA's fp32 path (p and every state "
        "array) matched the scalar path bit for bit at every step of every case, ✗ where it did "
        "not.",
        err, errlen);
    if (j) rp_assign(j, "isas", "%s", rp_sb_text(&cols));
    free(d.s);
    free(cols.s);
    return j ? 0 : -1;
}

/* The problems with the largest fp32-vs-fp64 deviation, up to four panels. */
static int plan_deviation(rp_plan *p, const rp_model *m)
{
    enum { PANELS = 4 };
    const char *pick[PANELS];
    double score[PANELS];
    size_t np = 0;
    for (size_t k = 0; k < m->n_problems; k++) {
        const rp_case *cs[MAX_PER_PROBLEM];
        size_t n = drawable_cases(m, m->problems[k], cs);
        double s = -1;
        for (size_t i = 0; i < n; i++) {
            double d = rp_num(cs[i]->isa[cs[i]->shown], "max_deviation");
            if (isfinite(d) && d > s) s = d;
        }
        if (n == 0 || s < 0) continue;
        /* Insert in order of deviation, largest first (ties: run order). */
        size_t at = np < PANELS ? np : PANELS;
        while (at > 0 && s > score[at - 1]) at--;
        if (at >= PANELS) continue;
        for (size_t i = (np < PANELS ? np : PANELS - 1); i > at; i--) {
            pick[i] = pick[i - 1];
            score[i] = score[i - 1];
        }
        pick[at] = m->problems[k];
        score[at] = s;
        if (np < PANELS) np++;
    }
    if (np == 0) return 0;
    rp_job *j = rp_plan_add(
        p, m->sum, "agreement", "agreement-deviation", "deviation.gp", 1000, 600,
        "The relative distance between each fp32 trajectory and its fp64 reference over the steps, "
        "on the %zu problem%s where it grows largest; the dotted red line is the 1e-3 threshold "
        "above which the run reports the paths as having parted.",
        np, np == 1 ? "" : "s");
    if (!j) return -1;
    rp_sbuf all;
    if (rp_sb_open(&all) != 0) return -1;
    for (size_t k = 0; k < m->n_opts; k++) rp_sb_word(&all, m->opts[k]);
    rp_assign(j, "allnames", "%s", rp_sb_text(&all));
    free(all.s);
    rp_assign_num(j, "npanels", (double)np);
    rp_assign_num(j, "threshold", 1e-3);
    const rp_case *cs[MAX_PER_PROBLEM];
    int isa = OB_ISA_COUNT - 1;
    for (size_t k = 0; k < np; k++) {
        size_t n = drawable_cases(m, pick[k], cs);
        int ci = common_isa(cs, n);
        if (ci < isa) isa = ci;
    }
    for (size_t k = 0; k < np; k++) {
        size_t n = drawable_cases(m, pick[k], cs);
        char fv[16], nv[16], tv[16];
        snprintf(fv, sizeof fv, "files%zu", k + 1);
        snprintf(nv, sizeof nv, "names%zu", k + 1);
        snprintf(tv, sizeof tv, "ptitle%zu", k + 1);
        assign_cases(j, fv, nv, cs, n);
        char label[256];
        problem_label(pick[k], 0, label, sizeof label);
        rp_assign(j, tv, "%s", label);
    }
    rp_assign(j, "isa", "%s", ob_isa_name((ob_isa)isa));
    return 0;
}

int rp_plan_figures(rp_plan *p, const rp_model *m, char *err, size_t errlen)
{
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/figures/data", m->dir);
    if (ob_mkdirs(dir, err, errlen) != 0) return -1;
    p->rundir = m->dir;
    /* Colours follow the optimizer table, then any optimizer the table
     * does not know, so that each keeps its colour in every figure. */
    size_t used = 0;
    for (size_t k = 0; k < ob_optimizer_count + m->n_opts; k++) {
        const char *name = k < ob_optimizer_count ? ob_optimizer_table[k]->name
                                                  : m->opts[k - ob_optimizer_count];
        if (k >= ob_optimizer_count && ob_optimizer_find(name)) continue;
        int w = snprintf(p->opt_names + used, sizeof p->opt_names - used, "%s%s", used ? " " : "", name);
        if (w < 0 || (size_t)w >= sizeof p->opt_names - used) break;
        used += (size_t)w;
    }
    if (plan_convergence(p, m) || plan_trajectories(p, m, err, errlen) || plan_agreement(p, m, err, errlen) ||
        plan_identity(p, m, err, errlen) || plan_deviation(p, m) || rp_plan_monitor(p, m))
        goto fail;
    if (rp_plan_bench_figures(p, m, err, errlen) != 0) goto fail;
    return 0;
fail:
    if (!err[0]) snprintf(err, errlen, "out of memory planning the figures");
    return -1;
}
