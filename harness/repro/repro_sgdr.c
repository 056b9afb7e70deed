/*
 * repro_sgdr.c — Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent
 * with Warm Restarts", ICLR 2017, §3 (eq. (5): eta_t = eta_min +
 * (eta_max - eta_min)(1 + cos(pi T_cur / T_i)) / 2, T_cur updated every
 * batch, T_i multiplied by T_mult at each restart), §4 and Figure 1 /
 * Table 1: with T_0 = 10 and T_mult = 2 on a 200-epoch budget (restarts
 * after epochs 10, 30, 70, 150) SGDR reaches the final result of the
 * default step schedule in 2-4x fewer epochs.
 *
 * Scaled down: the catalog's quadratic_deep (DeepOBS' stochastic
 * quadratic) in place of a wide residual network on CIFAR, the same
 * optimizer (SGD with Nesterov momentum 0.9), the paper's restart
 * pattern on a 150-epoch budget (its cycles end at 10, 30, 70, 150), a
 * constant schedule and a step schedule (x0.2 at 30%, 60% and 90% of the
 * budget: StepLR's even spacing in place of the paper's 60/120/160 of
 * 200) as the baselines, each with its own learning rate tuned on one
 * fixed grid.  The schedules are optbench's own (cosine_restarts is
 * torch's CosineAnnealingWarmRestarts, checked against its formula in
 * tests/test_schedule.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/problems.h"
#include "ob_repro.h"
#include "repro_internal.h"
#include "harness/core/ob_core.h"

static const char *const sgdr_name[OB_SGDR_SCHEDULES] = {"sgdr", "constant", "step"};
static const char *const sgdr_label[OB_SGDR_SCHEDULES] = {"SGDR (warm restarts)", "constant", "step (x0.2)"};

/* ---- the check ------------------------------------------------------------------- */

/* The first epoch whose loss gap is at or below the target (0: never). */
static unsigned first_at(const double *gap, unsigned epochs, double target)
{
    for (unsigned e = 0; e < epochs; e++)
        if (gap[e] <= target) return e + 1;
    return 0;
}

ob_repro_verdict ob_repro_check_sgdr(const ob_repro_sgdr_measured *m, char *why, size_t len)
{
    why[0] = '\0';
    if (!m->paths || !m->epochs || m->epochs > OB_SGDR_MAX_EPOCHS) {
        snprintf(why, len, "nothing was measured");
        return OB_REPRO_INCONCLUSIVE;
    }
    ob_repro_verdict v = OB_REPRO_REPRODUCED;
    for (int k = 0; k < OB_SGDR_SCHEDULES; k++) {
        if (ob_repro_tuning_bracketed(&m->tuning[k])) continue;
        v = OB_REPRO_INCONCLUSIVE;
        ob_appendf(why, len, "%s's best lr %g is at an end of the grid (not bracketed); ", sgdr_label[k],
                   m->tuning[k].n ? m->tuning[k].lr[m->tuning[k].best] : NAN);
    }
    double worst = 0;
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        if (!((m->paths >> p) & 1u)) continue;
        const char *pn = ob_repro_path_name(p);
        unsigned E = m->epochs;
        double target = fmin(m->gap[OB_SGDR_CONSTANT][p][E - 1], m->gap[OB_SGDR_STEP][p][E - 1]);
        unsigned ec = first_at(m->gap[OB_SGDR_CONSTANT][p], E, target),
                 es = first_at(m->gap[OB_SGDR_STEP][p], E, target),
                 er = first_at(m->gap[OB_SGDR_RESTARTS][p], E, target);
        unsigned base = ec && es ? (ec < es ? ec : es) : (ec ? ec : es);
        if (!(target >= 0) || !base) { /* NaN: a baseline diverged */
            v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
            ob_appendf(why, len, "%s: no baseline reached a finite final loss; ", pn);
            continue;
        }
        double ratio = er ? (double)er / base : INFINITY;
        if (ratio > worst || isnan(ratio)) worst = ratio;
        if (ratio <= OB_SGDR_RATIO) continue;
        v = ob_repro_combine(v, ratio >= 1 ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE);
        if (er)
            ob_appendf(
                why, len,
                "%s: SGDR reaches the baselines' best final gap %.4g at epoch %u, the best baseline at "
                "epoch %u (ratio %.2f; claim: at most %.2f); ",
                pn, target, er, base, ratio, OB_SGDR_RATIO);
        else
            ob_appendf(why, len,
                       "%s: SGDR never reaches the baselines' best final gap %.4g (baseline: epoch %u); ", pn,
                       target, base);
    }
    if (v == OB_REPRO_REPRODUCED)
        snprintf(
            why, len,
            "on every path SGDR reaches the best baseline's final loss gap in at most %.2f of the epochs the "
            "best baseline needs (largest ratio %.2f); every tuned lr is inside the grid",
            OB_SGDR_RATIO, worst);
    return v;
}

/* ---- the setup -------------------------------------------------------------------- */

#define SGDR_PROBLEM "quadratic_deep"
#define SGDR_BATCH 20   /* 1000 points: 50 steps an epoch */
#define SGDR_EPOCHS 150 /* the paper's cycles 10, 30, 70, 150 of its 200 epochs */
#define SGDR_EPOCHS_SHORT 30
#define SGDR_T0 10 /* epochs (2 in short mode: budget / 15) */
#define SGDR_TMULT 2
#define SGDR_STEP_AT 0.3 /* StepLR's step_size as a fraction of the budget */
#define SGDR_GAMMA 0.2   /* the paper's baseline divides by 5 */
#define SGDR_MOMENTUM 0.9
/* The lr grid of every schedule: 10^(k/4) for k = -17..-8 (i = k + 17), 5.6e-5 .. 0.01 (0.0316 diverges). */
#define SGDR_GRID_N 10
#define SGDR_DATA 1000

typedef struct sgdr_obs {
    ob_problem *pb;
    uint64_t per_epoch;
    unsigned epochs;
    double (*gap)[OB_SGDR_MAX_EPOCHS]; /* [path][epoch] */
    double lead;
} sgdr_obs;

static void sgdr_observe(void *ctx, const ob_repro_step *s)
{
    sgdr_obs *o = ctx;
    if (s->t % o->per_epoch != 0) return;
    uint64_t e = s->t / o->per_epoch - 1;
    if (e >= o->epochs) return;
    double g = s->same_as_lead ? o->lead : o->pb->loss(o->pb, s->x, s->t) - o->pb->fstar;
    if (s->path != OB_REPRO_REF && !s->same_as_lead) o->lead = g;
    o->gap[s->path][e] = g;
}

/* Schedule k for a budget of `epochs` epochs of `per` steps. */
static int sgdr_schedule(int k, unsigned epochs, uint64_t per, ob_schedule *s, char *err, size_t errlen)
{
    char a[64], b[64];
    const char *sets[2] = {a, b};
    switch (k) {
    case OB_SGDR_RESTARTS:
        snprintf(a, sizeof a, "T_0=%llu", (unsigned long long)(epochs / 15 * per));
        snprintf(b, sizeof b, "T_mult=%d", SGDR_TMULT);
        return ob_schedule_parse("cosine_restarts", sets, 2, s, err, errlen);
    case OB_SGDR_STEP:
        snprintf(a, sizeof a, "step_size=%llu", (unsigned long long)llround(SGDR_STEP_AT * epochs * per));
        snprintf(b, sizeof b, "gamma=%g", SGDR_GAMMA);
        return ob_schedule_parse("step", sets, 2, s, err, errlen);
    default: return ob_schedule_parse("constant", NULL, 0, s, err, errlen);
    }
}

static int sgdr_run_one(ob_problem *pb, int k, double lr, unsigned epochs, unsigned paths,
                        double (*gap)[OB_SGDR_MAX_EPOCHS], ob_repro_kernels *kc, char *err, size_t errlen)
{
    const ob_optimizer *sgd = ob_optimizer_find("sgd");
    if (!sgd) {
        snprintf(err, errlen, "optimizer sgd missing from the table");
        return -1;
    }
    uint64_t per = SGDR_DATA / SGDR_BATCH;
    ob_schedule sched;
    if (sgdr_schedule(k, epochs, per, &sched, err, errlen) != 0) return -1;
    sgdr_obs o = {pb, per, epochs, gap, NAN};
    ob_repro_traj_cfg c;
    ob_repro_traj_init(&c, paths, sgd, per * epochs, sgdr_observe, &o);
    c.h.lr = lr;
    c.h.momentum = SGDR_MOMENTUM;
    c.h.nesterov = 1;
    c.sched = &sched;
    c.agree_dense = 100;
    ob_repro_objective obj = ob_repro_problem_objective(pb);
    return ob_repro_traj(&obj, &c, kc, err, errlen);
}

static int better(double a, double b)
{
    return a < b || (isnan(b) && !isnan(a));
}

/* Every grid value on the fp64 reference, scored by the final gap. */
static int sgdr_tune(const ob_repro_opts *op, ob_problem *pb, int k, unsigned epochs, ob_repro_tuning *t,
                     double (*scratch)[OB_SGDR_MAX_EPOCHS], char *err, size_t errlen)
{
    ob_repro_kernels kc;
    ob_repro_kernels_init(&kc);
    memset(t, 0, sizeof *t);
    for (int i = 0; i < SGDR_GRID_N; i++) {
        t->lr[i] = pow(10.0, (i - 17) / 4.0);
        if (sgdr_run_one(pb, k, t->lr[i], epochs, 1u, scratch, &kc, err, errlen) != 0) return -1;
        t->loss[i] = scratch[OB_REPRO_REF][epochs - 1];
        if (!isfinite(t->loss[i])) t->loss[i] = NAN;
        if (i == 0 || better(t->loss[i], t->loss[t->best])) t->best = (size_t)i;
        ob_repro_log(op, "sgdr: tuning %s: lr %.4g -> final gap %.6g", sgdr_name[k], t->lr[i], t->loss[i]);
    }
    t->n = SGDR_GRID_N;
    return 0;
}

/* CSV: epoch, <schedule>_<path> gaps, then <schedule>_lr (the lr at the
 * epoch's last step, fp64 schedule), row 0 the start. */
static int sgdr_csv(const ob_repro_entry *e, const ob_repro_opts *op, const ob_repro_sgdr_measured *m,
                    double gap0, ob_repro_outcome *out, char *err, size_t errlen)
{
    ob_schedule s[OB_SGDR_SCHEDULES];
    uint64_t per = SGDR_DATA / SGDR_BATCH;
    for (int k = 0; k < OB_SGDR_SCHEDULES; k++)
        if (sgdr_schedule(k, m->epochs, per, &s[k], err, errlen) != 0) return -1;
    ob_repro_csv csv;
    if (ob_repro_csv_open(&csv, op, e->name, out, err, errlen) != 0) return -1;
    fprintf(csv.af.f, "epoch");
    for (int k = 0; k < OB_SGDR_SCHEDULES; k++)
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
            if ((m->paths >> p) & 1u) fprintf(csv.af.f, ",%s_%s", sgdr_name[k], ob_repro_path_name(p));
    for (int k = 0; k < OB_SGDR_SCHEDULES; k++) fprintf(csv.af.f, ",%s_lr", sgdr_name[k]);
    fprintf(csv.af.f, ",target\n");
    const ob_optimizer *sgd = ob_optimizer_find("sgd");
    for (unsigned ep = 0; ep <= m->epochs; ep++) {
        fprintf(csv.af.f, "%u", ep);
        for (int k = 0; k < OB_SGDR_SCHEDULES; k++)
            for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
                if ((m->paths >> p) & 1u) fprintf(csv.af.f, ",%.9g", ep ? m->gap[k][p][ep - 1] : gap0);
        for (int k = 0; k < OB_SGDR_SCHEDULES; k++) {
            /* The lr of the epoch's last step (row 0: the first step). */
            ob_hparams h, ht;
            ob_hparams_default(sgd, &h);
            h.lr = m->tuning[k].lr[m->tuning[k].best];
            uint64_t t = ep ? ep * per : 1;
            if (ob_schedule_apply(&s[k], sgd, &h, t, &ht, err, errlen) != 0) {
                ob_repro_csv_abort(&csv);
                return -1;
            }
            fprintf(csv.af.f, ",%.9g", ht.lr);
        }
        fprintf(csv.af.f, ",%.9g\n", m->target[OB_REPRO_REF]);
    }
    return ob_repro_csv_commit(&csv, err, errlen);
}

static void sgdr_report(const ob_repro_sgdr_measured *m, double gap0, ob_repro_outcome *out)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "problem", SGDR_PROBLEM);
    cJSON_AddNumberToObject(j, "batch", SGDR_BATCH);
    cJSON_AddNumberToObject(j, "epochs", m->epochs);
    cJSON_AddNumberToObject(j, "steps_per_epoch", SGDR_DATA / SGDR_BATCH);
    cJSON_AddNumberToObject(j, "T_0_epochs", m->epochs / 15);
    cJSON_AddNumberToObject(j, "T_mult", SGDR_TMULT);
    cJSON_AddNumberToObject(j, "momentum", SGDR_MOMENTUM);
    cJSON_AddNumberToObject(j, "step_gamma", SGDR_GAMMA);
    ob_json_add_num(j, "initial_gap", gap0);
    for (int k = 0; k < OB_SGDR_SCHEDULES; k++) {
        cJSON *jk = cJSON_AddObjectToObject(j, sgdr_name[k]);
        const ob_repro_tuning *t = &m->tuning[k];
        cJSON_AddNumberToObject(jk, "best_lr", t->lr[t->best]);
        cJSON_AddBoolToObject(jk, "bracketed", ob_repro_tuning_bracketed(t));
        cJSON *g = cJSON_AddArrayToObject(jk, "grid");
        for (size_t i = 0; i < t->n; i++) {
            cJSON *gi = cJSON_CreateObject();
            cJSON_AddNumberToObject(gi, "lr", t->lr[i]);
            ob_json_add_num(gi, "final_gap", t->loss[i]);
            cJSON_AddItemToArray(g, gi);
        }
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
            if (!((m->paths >> p) & 1u)) continue;
            cJSON *jp = cJSON_AddObjectToObject(jk, ob_repro_path_name(p));
            ob_json_add_num(jp, "final_gap", m->gap[k][p][m->epochs - 1]);
            cJSON_AddNumberToObject(jp, "epochs_to_target", m->to_target[k][p]);
        }
    }
    cJSON *jt = cJSON_AddObjectToObject(j, "target_gap");
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
        if ((m->paths >> p) & 1u) ob_json_add_num(jt, ob_repro_path_name(p), m->target[p]);
    out->measured = j;
    const int R = OB_REPRO_REF;
    snprintf(out->summary, sizeof out->summary,
             "%u epochs, target = the baselines' best final f - f* %.4g [fp64]: reached at epoch %u by SGDR "
             "(lr %.3g), %u by constant (lr %.3g), %u by step (lr %.3g) (0: never)",
             m->epochs, m->target[R], m->to_target[OB_SGDR_RESTARTS][R],
             m->tuning[OB_SGDR_RESTARTS].lr[m->tuning[OB_SGDR_RESTARTS].best],
             m->to_target[OB_SGDR_CONSTANT][R],
             m->tuning[OB_SGDR_CONSTANT].lr[m->tuning[OB_SGDR_CONSTANT].best], m->to_target[OB_SGDR_STEP][R],
             m->tuning[OB_SGDR_STEP].lr[m->tuning[OB_SGDR_STEP].best]);
    int f32 = ob_repro_first_fp32(m->paths);
    if (f32 > 0)
        ob_appendf(out->summary, sizeof out->summary, "; fp32 %s: %u, %u, %u", ob_repro_path_name(f32),
                   m->to_target[OB_SGDR_RESTARTS][f32], m->to_target[OB_SGDR_CONSTANT][f32],
                   m->to_target[OB_SGDR_STEP][f32]);
}

static int sgdr_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                    size_t errlen)
{
    ob_repro_sgdr_measured *m = calloc(1, sizeof *m);
    double(*scratch)[OB_SGDR_MAX_EPOCHS] = calloc(OB_REPRO_MAX_PATHS, sizeof *scratch);
    ob_problem *pb = NULL;
    int rc = -1;
    if (!m || !scratch) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    m->paths = op->paths;
    m->epochs = op->short_mode ? SGDR_EPOCHS_SHORT : SGDR_EPOCHS;
    ob_problem_config cfg = {.seed = 0, .batch = SGDR_BATCH};
    if (ob_problem_create(SGDR_PROBLEM, &cfg, &pb, err, errlen) != 0) goto done;
    double gap0 = pb->loss(pb, pb->x0, 0) - pb->fstar;
    for (int k = 0; k < OB_SGDR_SCHEDULES; k++)
        if (sgdr_tune(op, pb, k, m->epochs, &m->tuning[k], scratch, err, errlen) != 0) goto done;
    for (int k = 0; k < OB_SGDR_SCHEDULES; k++) {
        double lr = m->tuning[k].lr[m->tuning[k].best];
        ob_repro_log(op, "%s: %s with lr %.4g on every path", e->name, sgdr_name[k], lr);
        if (sgdr_run_one(pb, k, lr, m->epochs, op->paths, m->gap[k], &out->kernels, err, errlen) != 0)
            goto done;
    }
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        if (!((m->paths >> p) & 1u)) continue;
        m->target[p] = fmin(m->gap[OB_SGDR_CONSTANT][p][m->epochs - 1],
                            m->gap[OB_SGDR_STEP][p][m->epochs - 1]);
        for (int k = 0; k < OB_SGDR_SCHEDULES; k++)
            m->to_target[k][p] = first_at(m->gap[k][p], m->epochs, m->target[p]);
    }
    out->verdict = ob_repro_check_sgdr(m, out->why, sizeof out->why);
    if (sgdr_csv(e, op, m, gap0, out, err, errlen) != 0) goto done;
    sgdr_report(m, gap0, out);
    rc = 0;
done:
    ob_problem_destroy(pb);
    free(scratch);
    free(m);
    return rc;
}

static int sgdr_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                       size_t errlen)
{
    char extra[256];
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(out->measured, "epochs");
    snprintf(extra, sizeof extra, "epochs=%d", cJSON_IsNumber(ep) ? ep->valueint : 0);
    return ob_repro_figure(e, o, out, extra, err, errlen);
}

const ob_repro_entry ob_repro_sgdr = {
    "sgdr",
    "SGDR: warm restarts vs constant and step schedules",
    "I. Loshchilov & F. Hutter, SGDR: Stochastic Gradient Descent with Warm Restarts, ICLR 2017, §3 (eq. (5)), §4 "
    "and Figure 1 / Table 1 (scaled down: DeepOBS' quadratic_deep in place of WRN-28-10 on CIFAR-10)",
    "Cosine annealing with warm restarts (T_0 = budget/20 of the paper's 200 epochs, i.e. 10, and T_mult = 2) "
    "reaches the final loss of the baseline schedules in fewer epochs than they need on the same budget: the "
    "paper reports 2-4x fewer than the default step schedule.",
    "Problem " SGDR_PROBLEM
    " (100-d rotated quadratic, 1000 data points, seed 0), mini-batches of " OB_REPRO_STR(SGDR_BATCH) " (50 steps an epoch), x0 = 1; sgd with momentum = " OB_REPRO_STR(
        SGDR_MOMENTUM) " and nesterov "
                       "= 1 (the paper's optimizer; no weight decay). Budget " OB_REPRO_STR(SGDR_EPOCHS) " epochs (" OB_REPRO_STR(
                           SGDR_EPOCHS_SHORT) " in short mode). Schedules, stepped every batch: cosine_restarts with T_0 = budget/15 "
                                              "epochs (" OB_REPRO_STR(SGDR_T0) "; 2 in short mode), T_mult = " OB_REPRO_STR(
                                                  SGDR_TMULT) ", eta_min = 0 (cycles "
                                                              "end after 10, 30, 70 and 150 epochs, the paper's); constant; step (StepLR, gamma = " OB_REPRO_STR(
                                                                  SGDR_GAMMA) " every 30% of the budget: deviation, the paper's baseline drops at 60, 120 and 160 of 200 epochs). Each "
                                                                              "schedule's lr tuned on the fp64 reference over the grid 10^(k/4), k = -17..-8 (5.6e-5 .. 0.01), by the final "
                                                                              "f - f*; the best then runs on the reference and every fp32 ISA. f - f* measured after every epoch.",
    "Per path, target = the smaller final f - f* of the two baselines; epochs-to-target = the first epoch whose "
    "f - f* is at or below it. REPRODUCED when SGDR's epochs-to-target <= 0.5 x the better baseline's (the "
    "paper's 2x); NOT REPRODUCED when SGDR needs as many epochs as the better baseline or never reaches the "
    "target; INCONCLUSIVE in between or when a tuned lr is at an end of the grid.",
    "repro_sgdr.gp",
    sgdr_run,
    sgdr_figure,
};
