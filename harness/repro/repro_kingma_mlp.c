/*
 * repro_kingma_mlp.c — Kingma & Ba, "Adam: A Method for Stochastic
 * Optimization", ICLR 2015, §6.2 and Figure 2: on a multilayer neural
 * network (the paper: MNIST, two hidden layers of 1000 ReLU units,
 * mini-batches of 128, dropout), Adam's training cost falls faster than
 * AdaGrad's, RMSProp's and SGD with Nesterov momentum's, each with its
 * hyperparameters searched on a grid (§6: "the best hyper-parameter
 * setting"; SGD Nesterov's momentum among them).
 *
 * Scaled down to fit 2 cores: the catalog's fmnist_mlp (Fashion-MNIST in
 * place of MNIST: Debian packages no MNIST) with one hidden layer of
 * KMLP_HIDDEN ReLU units, dropout KMLP_DROPOUT on them, trained on the
 * first KMLP_SUBSET examples for a few hundred steps.  Every deviation is in the
 * setup text.  The learning rates are tuned on the fp64 reference by the
 * score the check uses (the mean of the last OB_KMLP_LAST loss samples),
 * on a half-decade grid extended at an end until the best is inside it,
 * then refined by the quarter-decade values beside the best;
 * SGD Nesterov's lr is tuned at each momentum of its grid and the pair
 * with the lowest score kept.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

#include "optbench/problems.h"
#include "ob_repro.h"
#include "repro_internal.h"
#include "harness/core/ob_core.h"

static const char *const kmlp_name[OB_KMLP_METHODS] = {"adam", "adagrad", "rmsprop", "nesterov"};
static const char *const kmlp_label[OB_KMLP_METHODS] = {"Adam", "AdaGrad", "RMSProp", "SGD Nesterov"};
static const double kmlp_momenta[OB_KMLP_MOMENTA] = {0.9, 0.99};

#define KMLP_HIDDEN 64
#define KMLP_SUBSET 4096
#define KMLP_BATCH 128
#define KMLP_DROPOUT 0.5
#define KMLP_STEPS 960
#define KMLP_STEPS_SHORT 320
#define KMLP_EVALS 16
#define KMLP_EVALS_SHORT 8
#define KMLP_GRID_MAX 7 /* half-decade lr values per tuning, extensions included (+2 refined) */

/* ---- the check -------------------------------------------------------------------- */

double ob_repro_kingma_mlp_score(const double *loss, unsigned n_evals)
{
    unsigned k = n_evals < OB_KMLP_LAST ? n_evals : OB_KMLP_LAST;
    if (!k) return NAN;
    double s = 0;
    for (unsigned i = n_evals - k; i < n_evals; i++) s += loss[i];
    return s / k;
}

ob_repro_verdict ob_repro_check_kingma_mlp(const ob_repro_kingma_mlp_measured *m, char *why, size_t len)
{
    why[0] = '\0';
    if (m->data_missing) {
        snprintf(why, len, "Fashion-MNIST is not available: %s", m->reason);
        return OB_REPRO_INCONCLUSIVE;
    }
    if (!m->paths || !m->n_evals || m->n_evals > OB_KMLP_MAX_EVALS) {
        snprintf(why, len, "nothing was measured");
        return OB_REPRO_INCONCLUSIVE;
    }
    ob_repro_verdict v = OB_REPRO_REPRODUCED;
    for (int k = 0; k < OB_KMLP_METHODS; k++)
        if (!ob_repro_tuning_bracketed(&m->tuning[k])) {
            v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
            const ob_repro_tuning *t = &m->tuning[k];
            ob_appendf(why, len, "%s's best learning rate %g is at an end of its grid (not bracketed); ",
                       kmlp_label[k], t->n && t->best < t->n ? t->lr[t->best] : NAN);
        }
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        if (!((m->paths >> p) & 1u)) continue;
        double a = ob_repro_kingma_mlp_score(m->loss[OB_KMLP_ADAM][p], m->n_evals);
        for (int k = 1; k < OB_KMLP_METHODS; k++) {
            double c = ob_repro_kingma_mlp_score(m->loss[k][p], m->n_evals);
            if (a <= (1 - OB_KMLP_MARGIN) * c) continue;
            v = ob_repro_combine(v, !(a < c) ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE);
            ob_appendf(why, len, "%s: Adam's training loss %.4f is not %.0f%% below %s's %.4f; ",
                       ob_repro_path_name(p), a, 100 * OB_KMLP_MARGIN, kmlp_label[k], c);
        }
    }
    if (v == OB_REPRO_REPRODUCED)
        snprintf(why, len,
                 "on every path Adam's training loss (mean of the last %d samples) is more than %.0f%% below "
                 "AdaGrad's, RMSProp's and SGD Nesterov's, every tuned learning rate inside its grid",
                 OB_KMLP_LAST, 100 * OB_KMLP_MARGIN);
    return v;
}

/* ---- running ------------------------------------------------------------------------ */

typedef struct kmlp_obs {
    ob_problem *pb;
    uint64_t every;
    unsigned n_evals;
    double (*loss)[OB_KMLP_MAX_EVALS]; /* [path][sample] */
    double lead_loss;
} kmlp_obs;

static void kmlp_observe(void *ctx, const ob_repro_step *s)
{
    kmlp_obs *o = ctx;
    if (s->t % o->every != 0) return;
    uint64_t k = s->t / o->every - 1;
    if (k >= o->n_evals) return;
    /* An fp32 path bit-identical to the lead path has the lead's loss. */
    double l = s->same_as_lead ? o->lead_loss : o->pb->loss(o->pb, s->x, s->t);
    if (s->path != OB_REPRO_REF && !s->same_as_lead) o->lead_loss = l;
    o->loss[s->path][k] = l;
}

typedef struct kmlp_run {
    ob_problem *pb;
    uint64_t steps;
    unsigned n_evals;
} kmlp_run;

/* Method k at (lr, momentum for SGD Nesterov) on `paths`; loss samples
 * every steps / n_evals steps into loss[path][]. */
static int kmlp_run_one(const kmlp_run *r, int k, double lr, double momentum, unsigned paths,
                        double (*loss)[OB_KMLP_MAX_EVALS], ob_repro_kernels *kern, char *err, size_t errlen)
{
    static const char *const opt_name[OB_KMLP_METHODS] = {"adam", "adagrad", "rmsprop", "sgd"};
    const ob_optimizer *opt = ob_optimizer_find(opt_name[k]);
    if (!opt) {
        snprintf(err, errlen, "optimizer %s missing from the table", opt_name[k]);
        return -1;
    }
    ob_repro_traj_cfg c;
    kmlp_obs o = {r->pb, r->steps / r->n_evals, r->n_evals, loss, NAN};
    ob_repro_traj_init(&c, paths, opt, r->steps, kmlp_observe, &o);
    if (k == OB_KMLP_NESTEROV) {
        char set[64];
        snprintf(set, sizeof set, "momentum=%.17g", momentum);
        if (ob_hparam_set(c.opt, &c.h, set, err, errlen) != 0 ||
            ob_hparam_set(c.opt, &c.h, "nesterov=1", err, errlen) != 0)
            return -1;
    }
    c.h.lr = lr;
    c.agree_dense = 50;
    ob_repro_objective obj = ob_repro_problem_objective(r->pb);
    return ob_repro_traj(&obj, &c, kern, err, errlen);
}

static int kmlp_score(const ob_repro_opts *op, const kmlp_run *r, int k, double lr, double mom, double *score,
                      char *err, size_t errlen)
{
    double loss[OB_REPRO_MAX_PATHS][OB_KMLP_MAX_EVALS];
    ob_repro_kernels scratch;
    ob_repro_kernels_init(&scratch);
    if (kmlp_run_one(r, k, lr, mom, 1u, loss, &scratch, err, errlen) != 0) return -1;
    *score = ob_repro_kingma_mlp_score(loss[OB_REPRO_REF], r->n_evals);
    ob_repro_log(op, "kingma_mlp: tuning %s%s: lr %.4g -> loss %.6g", kmlp_label[k],
                 k == OB_KMLP_NESTEROV ? (mom > 0.95 ? " (momentum 0.99)" : " (momentum 0.9)") : "", lr,
                 *score);
    return 0;
}

/* kmlp_score as an ob_repro_score_fn. */
typedef struct kmlp_tune_ctx {
    const ob_repro_opts *op;
    const kmlp_run *r;
    int k;
    double mom;
} kmlp_tune_ctx;

static int kmlp_tune_score(void *vctx, double lr, double *score, char *err, size_t errlen)
{
    const kmlp_tune_ctx *c = vctx;
    return kmlp_score(c->op, c->r, c->k, lr, c->mom, score, err, errlen);
}

/* Three half-decade values from lr_lo up, then one more at the end that
 * holds the best until it is inside the grid (at most KMLP_GRID_MAX),
 * then the two quarter-decade values beside the best (ob_repro_tune). */
static int kmlp_tune(const ob_repro_opts *op, const kmlp_run *r, int k, double lr_lo, double mom,
                     ob_repro_tuning *t, char *err, size_t errlen)
{
    kmlp_tune_ctx c = {op, r, k, mom};
    return ob_repro_tune(lr_lo, 0, KMLP_GRID_MAX, kmlp_tune_score, &c, t, err, errlen);
}

/* Tunes every method (SGD Nesterov at each momentum), then runs the best
 * on every path. */
static int kmlp_measure(const ob_repro_opts *op, const kmlp_run *r, ob_repro_kingma_mlp_measured *m,
                        ob_repro_kernels *kern, char *err, size_t errlen)
{
    /* The lowest lr of each first grid: about 3x below torch's default
     * (Adam 1e-3, AdaGrad 1e-2, RMSprop 1e-2, SGD 1e-1 here). */
    static const double lr_lo[OB_KMLP_METHODS] = {3e-4, 3e-3, 3e-4, 1e-2};
    for (int k = 0; k < OB_KMLP_NESTEROV; k++)
        if (kmlp_tune(op, r, k, lr_lo[k], 0, &m->tuning[k], err, errlen) != 0) return -1;
    m->best_momentum = 0;
    for (size_t j = 0; j < OB_KMLP_MOMENTA; j++) {
        m->momentum[j] = kmlp_momenta[j];
        ob_repro_tuning *t = &m->nesterov_tuning[j];
        if (kmlp_tune(op, r, OB_KMLP_NESTEROV, lr_lo[OB_KMLP_NESTEROV] * (1 - kmlp_momenta[j]) / 0.1,
                      kmlp_momenta[j], t, err, errlen) != 0)
            return -1;
        const ob_repro_tuning *b = &m->nesterov_tuning[m->best_momentum];
        if (ob_repro_better(t->loss[t->best], b->loss[b->best])) m->best_momentum = j;
    }
    m->tuning[OB_KMLP_NESTEROV] = m->nesterov_tuning[m->best_momentum];
    for (int k = 0; k < OB_KMLP_METHODS; k++) {
        const ob_repro_tuning *t = &m->tuning[k];
        ob_repro_log(op, "kingma_mlp: %s with lr %.4g on every path", kmlp_label[k], t->lr[t->best]);
        if (kmlp_run_one(r, k, t->lr[t->best], m->momentum[m->best_momentum], op->paths, m->loss[k], kern, err,
                         errlen) != 0)
            return -1;
    }
    return 0;
}

/* ---- output ------------------------------------------------------------------------- */

/* kingma_mlp.csv: step, then <method>_<path> training losses (row 0: x0);
 * kingma_mlp_tuning.csv: one block per method (blank lines between, for
 * gnuplot's `index`), rows "lr,loss" (SGD Nesterov at its best momentum). */
static int kmlp_write_csv(const ob_repro_opts *op, const kmlp_run *r, const ob_repro_kingma_mlp_measured *m,
                          double loss0, ob_repro_outcome *out, char *err, size_t errlen)
{
    ob_repro_csv csv;
    if (ob_repro_csv_open(&csv, op, "kingma_mlp", out, err, errlen) != 0) return -1;
    fprintf(csv.af.f, "step");
    for (int k = 0; k < OB_KMLP_METHODS; k++)
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
            if ((m->paths >> p) & 1u) fprintf(csv.af.f, ",%s_%s", kmlp_name[k], ob_repro_path_name(p));
    fputc('\n', csv.af.f);
    for (unsigned e = 0; e <= m->n_evals; e++) {
        fprintf(csv.af.f, "%llu", (unsigned long long)(e * (r->steps / r->n_evals)));
        for (int k = 0; k < OB_KMLP_METHODS; k++)
            for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
                if ((m->paths >> p) & 1u) fprintf(csv.af.f, ",%.9g", e ? m->loss[k][p][e - 1] : loss0);
        fputc('\n', csv.af.f);
    }
    if (ob_repro_csv_commit(&csv, err, errlen) != 0) return -1;
    char keep[256];
    snprintf(keep, sizeof keep, "%s", out->csv);
    if (ob_repro_csv_open(&csv, op, "kingma_mlp_tuning", out, err, errlen) != 0) return -1;
    for (int k = 0; k < OB_KMLP_METHODS; k++) {
        if (k) fprintf(csv.af.f, "\n\n");
        for (size_t i = 0; i < m->tuning[k].n; i++)
            fprintf(csv.af.f, "%.9g,%.9g\n", m->tuning[k].lr[i], m->tuning[k].loss[i]);
    }
    if (ob_repro_csv_commit(&csv, err, errlen) != 0) return -1;
    snprintf(out->csv, sizeof out->csv, "%s", keep);
    return 0;
}

static cJSON *kmlp_json(const kmlp_run *r, const ob_repro_kingma_mlp_measured *m, double loss0)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "data_set", "Fashion-MNIST (in place of MNIST)");
    cJSON_AddNumberToObject(j, "hidden", KMLP_HIDDEN);
    cJSON_AddNumberToObject(j, "training_examples", KMLP_SUBSET);
    cJSON_AddNumberToObject(j, "batch", KMLP_BATCH);
    cJSON_AddNumberToObject(j, "dropout", KMLP_DROPOUT);
    cJSON_AddNumberToObject(j, "steps", (double)r->steps);
    cJSON_AddNumberToObject(j, "loss_samples", r->n_evals);
    ob_json_add_num(j, "initial_loss", loss0);
    cJSON_AddNumberToObject(j, "nesterov_momentum", m->momentum[m->best_momentum]);
    for (int k = 0; k < OB_KMLP_METHODS; k++) {
        cJSON *jm = cJSON_AddObjectToObject(j, kmlp_name[k]);
        if (k == OB_KMLP_NESTEROV) {
            cJSON *a = cJSON_AddArrayToObject(jm, "tuning_per_momentum");
            for (size_t i = 0; i < OB_KMLP_MOMENTA; i++) {
                cJSON *t = ob_repro_tuning_json(&m->nesterov_tuning[i]);
                cJSON_AddNumberToObject(t, "momentum", m->momentum[i]);
                cJSON_AddItemToArray(a, t);
            }
        }
        cJSON_AddItemToObject(jm, "tuning", ob_repro_tuning_json(&m->tuning[k]));
        cJSON *sc = cJSON_AddObjectToObject(jm, "score");
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
            if (!((m->paths >> p) & 1u)) continue;
            ob_json_add_num(sc, ob_repro_path_name(p), ob_repro_kingma_mlp_score(m->loss[k][p], m->n_evals));
            cJSON *a = cJSON_AddArrayToObject(jm, ob_repro_path_name(p));
            for (unsigned e = 0; e < m->n_evals; e++)
                cJSON_AddItemToArray(a, isfinite(m->loss[k][p][e]) ? cJSON_CreateNumber(m->loss[k][p][e])
                                                                   : cJSON_CreateNull());
        }
    }
    return j;
}

static void kmlp_summary(const ob_repro_kingma_mlp_measured *m, ob_repro_outcome *out)
{
    size_t len = sizeof out->summary;
    snprintf(out->summary, len, "training loss (mean of the last %d samples) [fp64]:", OB_KMLP_LAST);
    for (int k = 0; k < OB_KMLP_METHODS; k++) {
        ob_appendf(out->summary, len, "%s %s %.4f (lr %.3g", k ? "," : "", kmlp_label[k],
                   ob_repro_kingma_mlp_score(m->loss[k][OB_REPRO_REF], m->n_evals),
                   m->tuning[k].lr[m->tuning[k].best]);
        if (k == OB_KMLP_NESTEROV) ob_appendf(out->summary, len, ", momentum %g", m->momentum[m->best_momentum]);
        ob_appendf(out->summary, len, ")");
    }
    int f32 = ob_repro_first_fp32(m->paths);
    if (f32 > 0) {
        ob_appendf(out->summary, len, "; fp32 %s:", ob_repro_path_name(f32));
        for (int k = 0; k < OB_KMLP_METHODS; k++)
            ob_appendf(out->summary, len, "%s %s %.4f", k ? "," : "", kmlp_label[k],
                       ob_repro_kingma_mlp_score(m->loss[k][f32], m->n_evals));
    }
}

static int kmlp_entry_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                          size_t errlen)
{
    ob_repro_kingma_mlp_measured *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->paths = op->paths;
    m->n_evals = op->short_mode ? KMLP_EVALS_SHORT : KMLP_EVALS;
    const char *params[4] = {"hidden=" OB_REPRO_STR(KMLP_HIDDEN), "subset=" OB_REPRO_STR(KMLP_SUBSET), "eval=0",
                             "dropout=" OB_REPRO_STR(KMLP_DROPOUT)};
    ob_problem_config cfg = {
        .seed = 0, .batch = KMLP_BATCH, .params = params, .n_params = 4, .data_dir = op->data_dir};
    ob_problem *pb = NULL;
    char msg[512];
    int rc = -1;
    if (ob_problem_create("fmnist_mlp", &cfg, &pb, msg, sizeof msg) != 0) {
        /* A missing data set is a finding, not a failure. */
        m->data_missing = 1;
        snprintf(m->reason, sizeof m->reason, "%s", msg);
        out->verdict = ob_repro_check_kingma_mlp(m, out->why, sizeof out->why);
        ob_repro_fmnist_missing(out, msg);
        free(m);
        return 0;
    }
    kmlp_run r = {pb, op->short_mode ? KMLP_STEPS_SHORT : KMLP_STEPS, m->n_evals};
    double loss0 = pb->loss(pb, pb->x0, 0);
    /* Small products (128 x 784 x 64): OpenBLAS's threads only contend. */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    ob_repro_log(op, "%s: tuning 4 methods, %llu steps per run", e->name, (unsigned long long)r.steps);
    if (kmlp_measure(op, &r, m, &out->kernels, err, errlen) != 0) goto done;
    out->verdict = ob_repro_check_kingma_mlp(m, out->why, sizeof out->why);
    if (kmlp_write_csv(op, &r, m, loss0, out, err, errlen) != 0) goto done;
    out->measured = kmlp_json(&r, m, loss0);
    kmlp_summary(m, out);
    rc = 0;
done:
    openblas_set_num_threads(blas_threads);
    ob_problem_destroy(pb);
    free(m);
    return rc;
}

static int kmlp_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                       size_t errlen)
{
    if (!out->csv[0]) return 0; /* not run: no data set */
    char extra[1024];
    snprintf(extra, sizeof extra,
             "tuning='%s_tuning.csv'; methods='adam adagrad rmsprop nesterov'; title='Kingma and Ba 2015, §6.2, scaled: MLP "
             "784-" OB_REPRO_STR(KMLP_HIDDEN) "-10, dropout " OB_REPRO_STR(KMLP_DROPOUT) ", " OB_REPRO_STR(KMLP_SUBSET)
             " Fashion-MNIST examples, batch " OB_REPRO_STR(KMLP_BATCH) "'; xunit='step'",
             e->name);
    for (int k = 0; k < OB_KMLP_METHODS; k++) ob_appendf(extra, sizeof extra, "; label%d='%s'", k + 1, kmlp_label[k]);
    return ob_repro_figure(e, o, out, extra, err, errlen);
}

const ob_repro_entry ob_repro_kingma_mlp = {
    "kingma_mlp",
    "Adam vs AdaGrad, RMSProp, SGD Nesterov on a multilayer network",
    "D. P. Kingma & J. Ba, Adam: A Method for Stochastic Optimization, ICLR 2015, §6.2 and Figure 2; run on "
    "Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) in place of MNIST, scaled down",
    "On a multilayer network of ReLU units trained with mini-batches of 128, each method with its best "
    "hyperparameters from a grid (SGD Nesterov's momentum included), Adam reaches a lower training cost than "
    "AdaGrad, RMSProp and SGD with Nesterov momentum. (The paper: MNIST, 2 hidden layers of 1000 units, dropout.)",
    "Problem fmnist_mlp with hidden=" OB_REPRO_STR(KMLP_HIDDEN) " subset=" OB_REPRO_STR(KMLP_SUBSET)
    " dropout=" OB_REPRO_STR(KMLP_DROPOUT) " eval=0: 784 -> " OB_REPRO_STR(KMLP_HIDDEN) " ReLU -> 10 softmax, torch.nn.Linear's initialisation (seed 0), "
    "trained on the first " OB_REPRO_STR(KMLP_SUBSET) " Fashion-MNIST training examples, batch "
    OB_REPRO_STR(KMLP_BATCH) ", mini-batch order from seed 0, " OB_REPRO_STR(KMLP_STEPS) " steps ("
    OB_REPRO_STR(KMLP_STEPS_SHORT) " in short mode), constant learning rates. Deviations: Fashion-MNIST in place "
    "of MNIST, one hidden layer of " OB_REPRO_STR(KMLP_HIDDEN) " units in place of two of 1000, dropout only on "
    "the hidden units (dropout=" OB_REPRO_STR(KMLP_DROPOUT) ", none on the input; the paper's rates are not "
    "restated here), a training subset and a few hundred steps in place of many epochs. adam (betas 0.9, 0.999, eps 1e-8), adagrad "
    "(eps 1e-10), rmsprop (alpha 0.99, eps 1e-8), sgd with nesterov = 1 and momentum tuned over {0.9, 0.99}. "
    "Each lr tuned on the fp64 reference on a half-decade grid (3 values, extended at the end holding the best "
    "until it is inside, at most " OB_REPRO_STR(KMLP_GRID_MAX) ", then the two quarter-decade values beside the best), scored as the check scores; SGD Nesterov's lr "
    "tuned at each momentum, the best pair kept; the best then runs on the reference and every fp32 ISA. "
    "Training loss = mean cross-entropy on the " OB_REPRO_STR(KMLP_SUBSET) " training examples without "
    "dropout, sampled "
    OB_REPRO_STR(KMLP_EVALS) " times (" OB_REPRO_STR(KMLP_EVALS_SHORT) " in short mode) at equal step intervals.",
    "Per path, with S = the mean of the last " OB_REPRO_STR(OB_KMLP_LAST) " training-loss samples: REPRODUCED "
    "when S_adam <= 0.95 S of each of AdaGrad, RMSProp and SGD Nesterov; NOT REPRODUCED when one of them has S <= "
    "S_adam; INCONCLUSIVE in between (within 5%: noise), when a tuned lr is at an end of its grid, or when "
    "Fashion-MNIST is not installed (the reason is given).",
    "repro_kingma_mlp.gp",
    kmlp_entry_run,
    kmlp_figure,
};
