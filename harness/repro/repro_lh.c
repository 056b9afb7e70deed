/*
 * repro_lh.c — Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019, Fig. 2: the test error over a grid of
 * learning rate x weight decay.  With L2 inside Adam the best weight decay
 * moves with the learning rate (a diagonal valley); with decoupled decay
 * (AdamW) it does not (the valley is axis-aligned, the two hyperparameters
 * separable), "decoupling the optimal choice of weight decay factor from
 * the setting of the learning rate" (abstract, §4.2).
 *
 * The paper's AdamW (Algorithm 2, line 12) decays by eta_t * lambda, where
 * eta_t is the schedule multiplier (1 at the start, then the cosine) and
 * alpha does not enter:
 *   theta_t = theta_{t-1} - eta_t (alpha m_hat / (sqrt(v_hat) + eps) + lambda theta_{t-1}).
 * optbench's adamw follows torch, p <- p (1 - lr_t wd) with lr_t = alpha
 * eta_t.  With weight_decay = lambda / alpha the two are the same number at
 * every step, lr_t * lambda / alpha = eta_t * lambda, so the paper's rule
 * runs on the unchanged kernels.  The Adam arm is Algorithm 2 with line 6
 * (g <- g + lambda theta, L2) and no line-12 decay: torch's adam with
 * weight_decay = lambda.
 *
 * The good region's shape is measured by the slope of log(best lambda)
 * against log(alpha) over the rows of the grid in the good region (the
 * best lambda of a row interpolated in log lambda): about -1 for a
 * diagonal valley (lambda alpha constant), about 0 for an axis-aligned one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/problems.h"
#include "ob_repro.h"
#include "repro_internal.h"
#include "harness/core/ob_core.h"

/* ---- the check -------------------------------------------------------------------- */

static const char *const lh_label[OB_LH_METHODS] = {"Adam with L2", "AdamW (eta_t lambda)"};

ob_repro_verdict ob_repro_check_lh(const ob_repro_lh_measured *m, char *why, size_t len)
{
    why[0] = '\0';
    if (m->data_missing) {
        snprintf(why, len, "Fashion-MNIST is not available: %s", m->reason);
        return OB_REPRO_INCONCLUSIVE;
    }
    ob_repro_grid_fit f[OB_LH_METHODS];
    ob_repro_verdict v = OB_REPRO_REPRODUCED;
    for (int k = 0; k < OB_LH_METHODS; k++) {
        ob_repro_grid_fit_of(&m->grid[k], OB_LH_GOOD, &f[k]);
        if (f[k].rows_used < 3) {
            v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
            ob_appendf(why, len,
                       "%s: only %zu learning rates of the good region have their best weight decay inside "
                       "the grid (%zu at an end); ",
                       lh_label[k], f[k].rows_used, f[k].rows_edge);
        }
    }
    if (v != OB_REPRO_REPRODUCED) return v;
    double sl = f[OB_LH_ADAM_L2].slope, sw = f[OB_LH_ADAMW].slope;
    if (!(sl <= -0.5)) {
        v = ob_repro_combine(v, !(sl < -0.2) ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE);
        ob_appendf(why, len,
                   "Adam with L2: the best weight decay's slope on the learning rate is %.2f (claim: "
                   "diagonal, <= -0.5); ",
                   sl);
    }
    if (!(fabs(sw) <= 0.3)) {
        v = ob_repro_combine(v, !(fabs(sw) < 0.5) ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE);
        ob_appendf(why, len,
                   "AdamW: the best weight decay's slope on the learning rate is %.2f (claim: "
                   "separable, |slope| <= 0.3); ",
                   sw);
    }
    if (!(sw - sl >= 0.3)) {
        v = ob_repro_combine(v, OB_REPRO_NOT_REPRODUCED);
        ob_appendf(why, len, "AdamW's slope %.2f is not above Adam-L2's %.2f by 0.3 (no more separable); ",
                   sw, sl);
    }
    if (v == OB_REPRO_REPRODUCED)
        snprintf(
            why, len,
            "over the good region (rows within %g%% of each grid's best test loss), log10 of the best "
            "weight decay falls with log10 of the learning rate for Adam with L2 (slope %.2f, %zu rows) and "
            "stays flat for AdamW with eta_t lambda (slope %.2f, %zu rows)",
            100 * OB_LH_GOOD, sl, f[OB_LH_ADAM_L2].rows_used, sw, f[OB_LH_ADAMW].rows_used);
    return v;
}

/* ---- the setup --------------------------------------------------------------------------- */

#define LH_BATCH 32
#define LH_BATCHES 8  /* training set: 8 x 32 = 256 images */
#define LH_STEPS 2000 /* 250 epochs of the subset */
#define LH_STEPS_SHORT 400
/* Grids: half-decade steps, lr 10^LH_LR0 .. and lambda 10^LH_WD0 .. */
#define LH_N_LR 6
#define LH_LR0 -3.0
#define LH_N_WD 9
#define LH_WD0_L2 -5.0
#define LH_WD0_W -4.0

static int lh_cell(ob_repro_fmgrid *g, int k, double alpha, double lambda, const ob_schedule *sched,
                   uint64_t steps, unsigned paths, double loss[OB_REPRO_MAX_PATHS], ob_repro_kernels *kern,
                   char *err, size_t errlen)
{
    const ob_optimizer *opt = ob_optimizer_find(k == OB_LH_ADAMW ? "adamw" : "adam");
    if (!opt) {
        snprintf(err, errlen, "optimizer adam/adamw missing from the table");
        return -1;
    }
    ob_hparams h;
    ob_hparams_default(opt, &h);
    h.lr = alpha;
    /* AdamW: torch's lr_t * wd with wd = lambda / alpha is eta_t * lambda. */
    h.weight_decay = k == OB_LH_ADAMW ? lambda / alpha : lambda;
    return ob_repro_fmgrid_cell(g, opt, &h, sched, steps, paths, loss, kern, err, errlen);
}

static int lh_csv(const ob_repro_entry *e, const ob_repro_opts *op, const ob_repro_lh_measured *m,
                  ob_repro_outcome *out, char *err, size_t errlen)
{
    ob_repro_csv csv;
    if (ob_repro_csv_open(&csv, op, e->name, out, err, errlen) != 0) return -1;
    ob_repro_grids_csv(csv.af.f, lh_label, m->grid, OB_LH_GOOD);
    return ob_repro_csv_commit(&csv, err, errlen);
}

static void lh_report(const ob_repro_lh_measured *m, uint64_t steps, double loss0, ob_repro_outcome *out)
{
    ob_repro_grid_fit f[OB_LH_METHODS];
    static const char *const key[OB_LH_METHODS] = {"adam_l2", "adamw"};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(
        j, "data_set",
        "Fashion-MNIST: a training subset (mini-batches 1..K of the problem), the 10000 test images");
    cJSON_AddNumberToObject(j, "batch", LH_BATCH);
    cJSON_AddNumberToObject(j, "mini_batches", LH_BATCHES);
    cJSON_AddNumberToObject(j, "training_images", LH_BATCH * LH_BATCHES);
    cJSON_AddNumberToObject(j, "steps", (double)steps);
    cJSON_AddNumberToObject(j, "epochs_of_the_subset", (double)steps / LH_BATCHES);
    ob_json_add_num(j, "initial_test_loss", loss0);
    cJSON_AddNumberToObject(j, "good_region_margin", OB_LH_GOOD);
    cJSON_AddNumberToObject(j, "log10_lr_first", LH_LR0);
    cJSON_AddNumberToObject(j, "log10_l2_first", LH_WD0_L2);
    cJSON_AddNumberToObject(j, "log10_adamw_lambda_first", LH_WD0_W);
    for (int k = 0; k < OB_LH_METHODS; k++) {
        ob_repro_grid_fit_of(&m->grid[k], OB_LH_GOOD, &f[k]);
        cJSON *jm = ob_repro_grid_json(&m->grid[k], &f[k]);
        cJSON *jb = cJSON_AddObjectToObject(jm, "best_cell_test_loss");
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
            if ((m->paths >> p) & 1u) ob_json_add_num(jb, ob_repro_path_name(p), m->best_loss[k][p]);
        cJSON_AddItemToObject(j, key[k], jm);
    }
    out->measured = j;
    snprintf(
        out->summary, sizeof out->summary,
        "[fp64] slope of log10(best lambda) on log10(alpha): Adam-L2 %.2f (corr %.2f, %zu rows), AdamW %.2f "
        "(corr %.2f, %zu rows); best test loss Adam-L2 %.4f (alpha %.3g, lambda %.3g), AdamW %.4f (alpha "
        "%.3g, lambda %.3g)",
        f[0].slope, f[0].corr, f[0].rows_used, f[1].slope, f[1].corr, f[1].rows_used, f[0].best,
        m->grid[0].lr[f[0].best_i], m->grid[0].wd[f[0].best_j], f[1].best, m->grid[1].lr[f[1].best_i],
        m->grid[1].wd[f[1].best_j]);
    int f32 = ob_repro_first_fp32(m->paths);
    if (f32 > 0)
        ob_appendf(out->summary, sizeof out->summary, "; best cells on fp32 %s: %.4f, %.4f",
                   ob_repro_path_name(f32), m->best_loss[0][f32], m->best_loss[1][f32]);
}

static int lh_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                  size_t errlen)
{
    ob_repro_lh_measured *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->paths = op->paths;
    const uint64_t steps = op->short_mode ? LH_STEPS_SHORT : LH_STEPS;
    ob_repro_fmgrid g;
    ob_schedule sched;
    int blas_threads;
    char msg[512];
    const int opened = ob_repro_fmgrid_begin(op, e->name, LH_BATCH, LH_BATCHES, steps, &g, &sched,
                                             &blas_threads, msg, sizeof msg, err, errlen);
    if (opened < 0) {
        free(m);
        return -1;
    }
    if (opened > 0) {
        m->data_missing = 1;
        snprintf(m->reason, sizeof m->reason, "%s", msg);
        out->verdict = ob_repro_check_lh(m, out->why, sizeof out->why);
        ob_repro_fmnist_missing(out, msg);
        free(m);
        return 0;
    }
    int rc = -1;
    double loss[OB_REPRO_MAX_PATHS];
    ob_repro_kernels scratch;
    ob_repro_kernels_init(&scratch);
    for (int k = 0; k < OB_LH_METHODS; k++) {
        ob_repro_grid *gr = &m->grid[k];
        gr->n_lr = LH_N_LR;
        gr->n_wd = LH_N_WD;
        for (size_t i = 0; i < LH_N_LR; i++) gr->lr[i] = pow(10.0, LH_LR0 + 0.5 * (double)i);
        for (size_t j = 0; j < LH_N_WD; j++)
            gr->wd[j] = pow(10.0, (k == OB_LH_ADAMW ? LH_WD0_W : LH_WD0_L2) + 0.5 * (double)j);
        ob_repro_log(op, "%s: %s, %zu x %zu grid of %llu steps each (fp64)", e->name, lh_label[k], gr->n_lr,
                     gr->n_wd, (unsigned long long)steps);
        for (size_t i = 0; i < gr->n_lr; i++)
            for (size_t j = 0; j < gr->n_wd; j++) {
                if (lh_cell(&g, k, gr->lr[i], gr->wd[j], &sched, steps, 1u, loss, &scratch, err, errlen) != 0)
                    goto restore;
                gr->score[i][j] = loss[OB_REPRO_REF];
            }
        ob_repro_grid_fit fit;
        ob_repro_grid_fit_of(gr, OB_LH_GOOD, &fit);
        ob_repro_log(op, "%s: %s best cell alpha %.3g lambda %.3g on every path", e->name, lh_label[k],
                     gr->lr[fit.best_i], gr->wd[fit.best_j]);
        if (lh_cell(&g, k, gr->lr[fit.best_i], gr->wd[fit.best_j], &sched, steps, op->paths, m->best_loss[k],
                    &out->kernels, err, errlen) != 0)
            goto restore;
    }
    out->verdict = ob_repro_check_lh(m, out->why, sizeof out->why);
    if (lh_csv(e, op, m, out, err, errlen) != 0) goto restore;
    lh_report(m, steps, g.loss0, out);
    rc = 0;
restore:
    ob_repro_fmgrid_end(&g, blas_threads);
    free(m);
    return rc;
}

static int lh_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                     size_t errlen)
{
    if (!out->csv[0]) return 0; /* not run: no data set */
    /* The fitted best lambda per lr goes to the figure as a second data set. */
    char extra[1024];
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(out->measured, "adam_l2");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(out->measured, "adamw");
    const cJSON *sa = cJSON_GetObjectItemCaseSensitive(a, "slope_log_wd_on_log_lr");
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(w, "slope_log_wd_on_log_lr");
    snprintf(
        extra, sizeof extra,
        "title='Loshchilov and Hutter 2019, Fig. 2, scaled: softmax regression on 256 Fashion-MNIST images, "
        "cosine schedule'; label1='Adam with L2 (slope of best λ on α: %.2f)'; label2='AdamW, decay η_t λ "
        "(slope %.2f)'; wdname1='log_{10} λ (L2 coefficient)'; wdname2='log_{10} λ (decay η_t λ per step)'",
        cJSON_IsNumber(sa) ? sa->valuedouble : NAN, cJSON_IsNumber(sw) ? sw->valuedouble : NAN);
    return ob_repro_figure(e, o, out, extra, err, errlen);
}

const ob_repro_entry ob_repro_lh_heatmap = {
    "lh_heatmap",
    "lr x wd: diagonal for Adam-L2, separable for AdamW",
    "I. Loshchilov & F. Hutter, Decoupled Weight Decay Regularization, ICLR 2019, Fig. 2 (and §4.2; Algorithm "
    "2, lines 6 and 12)",
    "Over a grid of learning rate alpha x weight decay lambda, the good region of Adam with L2 regularisation "
    "is diagonal (the best lambda falls as alpha grows), while for AdamW, which decays by eta_t lambda "
    "independently of alpha, it is axis-aligned: the best lambda does not depend on alpha.",
    "Problem: fmnist_logreg (784 -> 10 softmax regression, weights 0 at the start) trained on a subset, its "
    "mini-batches t = 1.." OB_REPRO_STR(LH_BATCHES) " of batch " OB_REPRO_STR(LH_BATCH) " (seed 0: " OB_REPRO_STR(LH_BATCHES) " x " OB_REPRO_STR(LH_BATCH) " training images), cycled, for " OB_REPRO_STR(LH_STEPS) " steps (" OB_REPRO_STR(
        LH_STEPS_SHORT) " in short mode), cosine schedule eta_t = (1 + "
                        "cos(pi (t-1)/T))/2 over the run; scored by the mean cross-entropy on the 10000 test images (fp64 "
                        "reference). Adam arm: adam with weight_decay = lambda (L2, Algorithm 2 line 6). AdamW arm: the paper's "
                        "decay eta_t lambda (line 12), run as adamw with weight_decay = lambda / alpha (torch decays by lr_t wd = "
                        "alpha eta_t wd). Grids of half-decade steps: log10 alpha from " OB_REPRO_STR(LH_LR0) " in " OB_REPRO_STR(LH_N_LR) " steps; log10 lambda from " OB_REPRO_STR(
                            LH_WD0_L2) " (Adam-L2) and from " OB_REPRO_STR(LH_WD0_W) " (AdamW) in " OB_REPRO_STR(LH_N_WD) " steps; betas (0.9, 0.999), eps 1e-8. The "
                                                                                                                          "best cell of each grid then runs on every path. Deviations: the paper trains a 26 2x64d ResNet on "
                                                                                                                          "CIFAR-10 for 100 epochs and plots test error; this is a scaled-down convex model that overfits a "
                                                                                                                          "256-image subset, scored by test cross-entropy, and the paper's normalised lambda is not used.",
    "Slope s of log10(best lambda) on log10(alpha), least squares over each grid's good rows (minimum test loss "
    "within 25% of the grid's best; a row's best lambda from the parabola through its minimum and neighbours, "
    "rows whose minimum is at an end of the lambda axis left out). REPRODUCED when s_L2 <= -0.5, |s_W| <= 0.3 "
    "and each fit has >= 3 rows; NOT REPRODUCED when s_L2 >= -0.2, |s_W| >= 0.5 or s_W - s_L2 < 0.3; "
    "INCONCLUSIVE otherwise, with fewer than 3 rows, or without the data set.",
    "repro_grid.gp",
    lh_run,
    lh_figure,
};
