/*
 * report_monitor.c — the Monitoring section: the per-step diagnostics that
 * `optbench run` writes at the end of every case CSV (README "Monitoring",
 * harness/run/run.c), drawn by plot/monitor.gp as one figure per case for
 * the cases of a few chosen problems, and as a table of final values for
 * every case.
 *
 * Why a subset: one figure is one gnuplot process (PNG and SVG, ~0.3 s),
 * and the default suite's 112 cases would add half a minute and a very
 * long section; the problems below cover a curved valley and an
 * ill-conditioned quadratic, where the diagnostics differ most between
 * methods.  The table keeps every case's last values in view.
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
    N_COLS
};
static const char *const col_names[N_COLS] = {"ref_loss", "ref_gnorm",  "upd_ratio",  "lr",
                                              "cycled",   "eff_lr_min", "eff_lr_med", "eff_lr_max",
                                              "bc1",      "bc2",        "clipped"};

/* What a case CSV holds: per column, whether any value is finite (and, for
 * the clipped fraction, nonzero), the last finite value, and a few ranges. */
typedef struct mon_stats {
    int ok; /* the CSV was read and has the monitoring columns */
    int has[N_COLS];
    double last[N_COLS];
    double xmax, lrmax;
    int loss_positive; /* every finite loss > 0: a log axis */
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
    for (size_t r = 0; r < t.nrows && st->ok; r++) {
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
    /* The band needs both edges. */
    st->has[C_EFF_MIN] = st->has[C_EFF_MED] = st->has[C_EFF_MIN] && st->has[C_EFF_MAX] && st->has[C_EFF_MED];
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

static int plan_case(rp_plan *p, const rp_model *m, const rp_case *c)
{
    mon_stats st;
    mon_read(c, &st);
    if (!st.ok) return 0;
    int extra = (st.has[C_BC1] || st.has[C_BC2] || st.has[C_CLIP]);
    int panels = 3 + st.has[C_EFF_MED] + extra, height = 70 + 190 * panels;
    char name[200];
    snprintf(name, sizeof name, "monitor-%s", c->id);
    rp_job *j = rp_plan_add(p, m->sum, "monitoring", name, "monitor.gp", 1000, height,
                            "%s on %s, fp64 reference: the loss and ‖g‖₂; the update-to-weight ratio; the lr "
                            "in force and the cycled β1 or momentum%s%s.",
                            c->opt, c->problem,
                            st.has[C_EFF_MED] ? "; the effective per-coordinate lr (min–max band, median)"
                                              : " (no effective lr: the method has none)",
                            extra ? (st.has[C_CLIP] ? "; the bias corrections and the clipped fraction"
                                                    : "; the bias corrections")
                                  : "");
    if (!j) return -1;
    rp_assign(j, "file", "%s", c->csv_rel);
    rp_assign(j, "opt", "%s", c->opt);
    rp_assign(j, "title", "Monitoring: %s on %s", c->opt, c->problem);
    rp_assign_num(j, "xmax", st.xmax);
    rp_assign_num(j, "lrmax", st.lrmax);
    rp_assign_num(j, "logloss", st.has[C_LOSS] && st.loss_positive);
    static const struct {
        const char *var;
        int col;
    } flags[] = {{"has_loss", C_LOSS}, {"has_gnorm", C_GNORM},   {"has_ratio", C_RATIO},
                 {"has_lr", C_LR},     {"has_cycled", C_CYCLED}, {"has_eff", C_EFF_MED},
                 {"has_bc1", C_BC1},   {"has_bc2", C_BC2},       {"has_clip", C_CLIP}};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
        rp_assign_num(j, flags[k].var, st.has[flags[k].col]);
    return 0;
}

int rp_plan_monitor(rp_plan *p, const rp_model *m)
{
    const char *probs[N_MONITOR_PROBLEMS + 1];
    size_t np = drawn_problems(m, probs);
    for (size_t k = 0; k < np; k++) {
        const rp_case *cs[MON_MAX_CASES];
        size_t n = rp_problem_cases(m, probs[k], cs, MON_MAX_CASES);
        for (size_t i = 0; i < n; i++)
            if (plan_case(p, m, cs[i]) != 0) return -1;
    }
    return 0;
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
           "changed when clipping is on.");
    rp_doc_para(d,
                "A figure is drawn for every case on %s%s%s (instance 0); the table gives every case's last "
                "recorded value of each diagnostic (– : none).",
                np ? probs[0] : "no problem", np > 1 ? " and " : "", np > 1 ? probs[1] : "");
    rp_row h = {0};
    rp_cells(&h, "case", "‖g‖₂", "‖Δp‖/‖p‖", "lr", "β1 / mom.", "eff. lr min", "median", "max", "bc1", "bc2",
             "clipped", NULL);
    rp_doc_table(d, &h, "lrrrrrrrrrr");
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
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    free(all);
    rp_doc_figures(d, m->sum, "monitoring");
}
