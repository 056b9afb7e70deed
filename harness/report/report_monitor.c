/*
 * report_monitor.c — the Monitoring section: the per-step diagnostics that
 * `optbench run` writes at the end of every case CSV (README "Monitoring",
 * harness/run/run.c), drawn by plot/monitor.gp as one figure per case
 * (instance 0 of every problem: the cases the report's model holds), and
 * a table of final values for every case.
 *
 * Shown in the section: the cases of a few chosen problems (a curved
 * valley and an ill-conditioned quadratic, where the diagnostics differ
 * most between methods), every case in a storage format (its loss scale)
 * and every case with held-out figures.  The other figures are drawn too
 * and linked from a list under the table: one figure is one gnuplot
 * process (PNG and SVG, about 0.2 s), so the default suite's 113 cases
 * cost about 25 s of `make report`, and a page with all of them inline
 * would bury the rest of the report.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define MON_MAX_CASES 64

/* The problems whose every case gets a monitor figure. */
static const char *const monitor_problems[] = {"mgh_rosenbrock", "quad_diag"};
#define N_MONITOR_PROBLEMS (sizeof monitor_problems / sizeof monitor_problems[0])

/* The columns the figure and the table use, in the CSV's names. */
enum {
    C_LOSS,
    C_GNORM,
    C_RATIO,
    C_LR,
    C_CYCLED,
    C_EFF_MIN,
    C_EFF_MED,
    C_EFF_MAX,
    C_BC1,
    C_BC2,
    C_CLIP,
    C_HLOSS,
    C_HACC,
    C_SCALE,
    C_SKIP,
    N_COLS
};
static const char *const col_names[N_COLS] = {
    "ref_loss", "ref_gnorm", "upd_ratio", "lr",           "cycled",      "eff_lr_min", "eff_lr_med",
    "eff_lr_max", "bc1",     "bc2",       "clipped",      "heldout_loss", "heldout_acc", "loss_scale",
    "skipped"};

/* What a case CSV holds: per column, whether any value is finite (and, for
 * the clipped fraction, nonzero), the last finite value, and a few ranges. */
typedef struct mon_stats {
    int ok; /* the CSV was read and has the monitoring columns */
    int has[N_COLS];
    double last[N_COLS];
    double xmax, lrmax;
    int loss_positive; /* every finite loss > 0: a log axis */
    /* A case in a storage format (run --format): its first kernel path's
     * loss column (e.g. scalar_loss), drawn beside the reference's, since
     * the diagnostics come from the fp64 reference, which does not see the
     * format; "" for fp32 cases or when that path has no finite loss. */
    char kloss[64];
} mon_stats;

static void mon_read(const rp_case *c, mon_stats *st)
{
    memset(st, 0, sizeof *st);
    for (int k = 0; k < N_COLS; k++) st->last[k] = NAN;
    rp_table t;
    char msg[256];
    if (!c->has_csv || rp_table_read(c->csv, &t, msg, sizeof msg) != 0) return;
    int col[N_COLS], step = rp_table_col(&t, "step");
    for (int k = 0; k < N_COLS; k++) col[k] = rp_table_col(&t, col_names[k]);
    st->ok = col[C_RATIO] >= 0 && col[C_LR] >= 0; /* a run written before the columns existed: none */
    st->loss_positive = 1;
    int kcol = -1;
    if (rp_table_col(&t, "loss_scale") >= 0)
        for (size_t k = 0; k < t.ncols && kcol < 0; k++) {
            const char *nm = t.names[k];
            size_t l = strlen(nm);
            if (l > 5 && !strcmp(nm + l - 5, "_loss") && strcmp(nm, "ref_loss") && strcmp(nm, "heldout_loss"))
                kcol = (int)k;
        }
    int kfinite = 0;
    for (size_t r = 0; r < t.nrows && st->ok; r++) {
        double kv = rp_table_num(&t, r, kcol);
        if (isfinite(kv)) {
            kfinite = 1;
            if (!(kv > 0)) st->loss_positive = 0;
        }
        double s = rp_table_num(&t, r, step);
        if (isfinite(s) && s > st->xmax) st->xmax = s;
        for (int k = 0; k < N_COLS; k++) {
            double v = rp_table_num(&t, r, col[k]);
            if (!isfinite(v)) continue;
            st->last[k] = v;
            st->has[k] |= k == C_CLIP ? v != 0 : 1;
            if (k == C_LOSS && !(v > 0)) st->loss_positive = 0;
            if (k == C_LR && v > st->lrmax) st->lrmax = v;
        }
    }
    /* The band needs both edges; the held-out panel both series. */
    st->has[C_EFF_MIN] = st->has[C_EFF_MED] = st->has[C_EFF_MIN] && st->has[C_EFF_MAX] && st->has[C_EFF_MED];
    st->has[C_HLOSS] = st->has[C_HACC] = st->has[C_HLOSS] && st->has[C_HACC] && st->has[C_LOSS];
    st->has[C_SCALE] = st->has[C_SKIP] = st->has[C_SCALE] && st->has[C_SKIP];
    if (kcol >= 0 && kfinite && st->has[C_LOSS]) snprintf(st->kloss, sizeof st->kloss, "%s", t.names[kcol]);
    rp_table_free(&t);
}

static int is_monitor_problem(const char *problem)
{
    for (size_t k = 0; k < N_MONITOR_PROBLEMS; k++)
        if (!strcmp(problem, monitor_problems[k])) return 1;
    return 0;
}

/* The problems drawn: the chosen ones the run has, or else its first. */
static size_t drawn_problems(const rp_model *m, const char **out)
{
    size_t n = 0;
    for (size_t k = 0; k < m->n_problems; k++)
        if (is_monitor_problem(m->problems[k])) out[n++] = m->problems[k];
    if (n == 0 && m->n_problems > 0) out[n++] = m->problems[0];
    return n;
}

/* Whether case c's figure is shown in the section (else only linked). */
static int shown_inline(const rp_model *m, const rp_case *c, const mon_stats *st)
{
    const char *probs[N_MONITOR_PROBLEMS + 1];
    size_t np = drawn_problems(m, probs);
    for (size_t k = 0; k < np; k++)
        if (!strcmp(c->problem, probs[k])) return 1;
    return st->has[C_SCALE] || st->has[C_HLOSS];
}

static int plan_case(rp_plan *p, const rp_model *m, const rp_case *c)
{
    mon_stats st;
    mon_read(c, &st);
    if (!st.ok) return 0;
    int extra = (st.has[C_BC1] || st.has[C_BC2] || st.has[C_CLIP]);
    int panels = 3 + st.has[C_EFF_MED] + extra + st.has[C_HLOSS] + st.has[C_SCALE], height = 70 + 190 * panels;
    char name[200];
    snprintf(name, sizeof name, "monitor-%s", c->id);
    rp_job *j = rp_plan_add(p, m->sum, shown_inline(m, c, &st) ? "monitoring" : "monitoring-linked", name,
                            "monitor.gp", 1000, height,
                            "%s on %s, fp64 reference: the loss%s and ‖g‖₂; the update-to-weight ratio; the lr "
                            "in force and the cycled β1 or momentum%s%s%s%s.",
                            c->opt, c->problem,
                            st.kloss[0] ? " (and the storage format's own loss on its first kernel path)" : "",
                            st.has[C_EFF_MED] ? "; the effective per-coordinate lr (min–max band, median)"
                                              : " (no effective lr: the method has none)",
                            extra ? (st.has[C_CLIP] ? "; the bias corrections and the clipped fraction"
                                                    : "; the bias corrections")
                                  : "",
                            st.has[C_HLOSS] ? "; the held-out loss beside the training loss, and the held-out "
                                              "accuracy"
                                            : "",
                            st.has[C_SCALE] ? "; the kernels' loss scale in force and the cumulative skipped "
                                              "steps (fp16 gradients skip a step whose gradient overflowed)"
                                            : "");
    if (!j) return -1;
    rp_assign(j, "file", "%s", c->csv_rel);
    rp_assign(j, "opt", "%s", c->opt);
    rp_assign(j, "title", "Monitoring: %s on %s", c->opt, c->problem);
    rp_assign_num(j, "xmax", st.xmax);
    rp_assign_num(j, "lrmax", st.lrmax);
    rp_assign_num(j, "skipmax", st.has[C_SKIP] ? st.last[C_SKIP] : 0);
    rp_assign_num(j, "logloss", st.has[C_LOSS] && st.loss_positive);
    if (st.kloss[0]) {
        rp_assign(j, "kloss", "%s", st.kloss);
        rp_assign(j, "kfmt", "%s", strchr(c->id, '@') ? strchr(c->id, '@') + 1 : "");
    }
    static const struct {
        const char *var;
        int col;
    } flags[] = {{"has_loss", C_LOSS}, {"has_gnorm", C_GNORM},   {"has_ratio", C_RATIO},
                 {"has_lr", C_LR},     {"has_cycled", C_CYCLED}, {"has_eff", C_EFF_MED},
                 {"has_bc1", C_BC1},   {"has_bc2", C_BC2},       {"has_clip", C_CLIP},
                 {"has_heldout", C_HLOSS}, {"has_scale", C_SCALE}};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
        rp_assign_num(j, flags[k].var, st.has[flags[k].col]);
    return 0;
}

int rp_plan_monitor(rp_plan *p, const rp_model *m)
{
    for (size_t k = 0; k < m->n_problems; k++) {
        const rp_case *cs[MON_MAX_CASES];
        size_t n = rp_problem_cases(m, m->problems[k], cs, MON_MAX_CASES);
        for (size_t i = 0; i < n; i++)
            if (plan_case(p, m, cs[i]) != 0) return -1;
    }
    return 0;
}

/* The figures not shown inline, as one paragraph of links (both formats). */
static void linked_figures(rp_doc *d, const ob_report_summary *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_figures; i++) n += !strcmp(s->figures[i].section, "monitoring-linked");
    if (!n) return;
    rp_doc_para(d, "The monitor figures of the other %zu cases (PNG; the SVG beside each):", n);
    fputs("<p class=\"links\">", d->html);
    for (size_t i = 0, k = 0; i < s->n_figures; i++) {
        const ob_report_figure *f = &s->figures[i];
        if (strcmp(f->section, "monitoring-linked") != 0) continue;
        const char *id = f->name + strlen("monitor-");
        const char *sep = k++ ? " · " : "";
        if (f->ok) {
            fprintf(d->md, "%s[%s](figures/%s.png)", sep, id, f->name);
            fprintf(d->html, "%s<a href=\"figures/%s.png\">%s</a>", sep, f->name, id);
        } else {
            fprintf(d->md, "%s%s (missing)", sep, id);
            fprintf(d->html, "%s%s (missing)", sep, id);
        }
    }
    fputs("\n\n", d->md);
    fputs("</p>\n", d->html);
}

void rp_section_monitoring(rp_doc *d, const rp_model *m)
{
    /* A run written before the columns existed has nothing to show. */
    int any = 0;
    mon_stats *all = calloc(m->n_cases ? m->n_cases : 1, sizeof *all);
    if (!all) return;
    for (size_t i = 0; i < m->n_cases; i++) {
        mon_read(&m->cases[i], &all[i]);
        any |= all[i].ok;
    }
    if (!any) {
        free(all);
        return;
    }
    rp_doc_heading(d, 2, "monitoring", "Monitoring");
    const char *probs[N_MONITOR_PROBLEMS + 1];
    size_t np = drawn_problems(m, probs);
    rp_doc_para(
        d, "The diagnostics practitioners watch while an optimizer trains, computed on the fp64 reference "
           "path at every measured step (README, section Monitoring). Each figure stacks, on one step "
           "axis: the loss and the gradient norm ‖g‖₂; the update-to-weight ratio ‖Δp‖₂/‖p‖₂ (about "
           "1e-3 per step is the usual rule of thumb for training networks; a spike means ‖p‖ passed near "
           "0); the learning rate in force after the schedule, with the cycled β1 or momentum; for the "
           "adaptive methods, the spread of the effective per-coordinate learning rate (min–max band and "
           "median; SGD and Lion have none, and the panel is left out); the bias corrections 1 − β1ᵗ and "
           "1 − β2ᵗ where the method divides by them, and the fraction of gradient elements clipping "
           "changed when clipping is on; on the data-driven problems that offer held-out data, the "
           "held-out loss beside the training loss and the held-out accuracy (the generalisation gap); in "
           "a storage format with fp16 gradients, the loss scale in force and the skipped steps.");
    rp_doc_para(d,
                "Every case (instance 0) has a figure. Shown below: the cases on %s%s%s, those in a storage "
                "format and those with held-out data; the others are linked under the table. The table gives "
                "every case's last recorded value of each diagnostic (– : none; held-out and loss-scale "
                "columns as loss / accuracy and scale / skipped steps).",
                np ? probs[0] : "no problem", np > 1 ? " and " : "", np > 1 ? probs[1] : "");
    rp_row h = {0};
    rp_cells(&h, "case", "‖g‖₂", "‖Δp‖/‖p‖", "lr", "β1 / mom.", "eff. lr min", "median", "max", "bc1", "bc2",
             "clipped", "held-out loss / acc.", "loss scale / skipped", NULL);
    rp_doc_table(d, &h, "lrrrrrrrrrrrr");
    static const int shown[] = {C_GNORM,   C_RATIO,   C_LR,  C_CYCLED, C_EFF_MIN,
                                C_EFF_MED, C_EFF_MAX, C_BC1, C_BC2,    C_CLIP};
    for (size_t i = 0; i < m->n_cases; i++) {
        if (!all[i].ok) continue;
        rp_row r = {0};
        rp_cell(&r, "%s", m->cases[i].id);
        for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++) {
            char v[64];
            rp_fmt(v, sizeof v, all[i].last[shown[k]]);
            rp_cell(&r, "%s", v);
        }
        static const int pairs[2][2] = {{C_HLOSS, C_HACC}, {C_SCALE, C_SKIP}};
        for (int k = 0; k < 2; k++) {
            char a[64], b[64];
            rp_fmt(a, sizeof a, all[i].last[pairs[k][0]]);
            rp_fmt(b, sizeof b, all[i].last[pairs[k][1]]);
            if (all[i].has[pairs[k][0]]) rp_cell(&r, "%s / %s", a, b);
            else rp_cell(&r, "–");
        }
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    linked_figures(d, m->sum);
    free(all);
    rp_doc_figures(d, m->sum, "monitoring");
}
