/*
 * repro_wilson.c — Wilson, Roelofs, Stern, Srebro & Recht, "The Marginal
 * Value of Adaptive Gradient Methods in Machine Learning", NeurIPS 2017,
 * §3.3: a linearly separable least-squares problem on which AdaGrad,
 * RMSProp and Adam find a solution that predicts one class everywhere,
 * while gradient descent finds one with zero test error.
 *
 * The construction (§3.3, shared/REFERENCES.md): n examples, y_i = +1 with
 * probability p > 1/2 (and more positives than negatives), features in
 * R^{6n}: x_i1 = y_i, x_i2 = x_i3 = 1, and a private block starting at
 * feature 4 + 5(i-1) (1-based) holding one 1 when y_i = +1 and five when
 * y_i = -1.  Squared loss f(w) = 1/(2n) sum_i (x_i . w - y_i)^2 from w = 0.
 *
 * Why the adaptive methods fail (the paper's Lemma 3.1): X sign(X^T y) is
 * proportional to y here, so from w = 0 every gradient is a multiple of
 * X^T y and the per-coordinate normalisation keeps w proportional to
 * sign(X^T y): w1 = w2 = w3 = tau (and tau = 1/4 interpolates).  A new
 * example has a private block no training example touches, whose weights
 * therefore stay exactly 0, so its prediction is w1 y + w2 + w3 =
 * tau (y + 2) > 0: always +1.  GD from 0 converges to the minimum-norm
 * interpolant, in which w1 dominates w2 + w3: zero test error.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ob_repro.h"
#include "harness/testkit/ob_testkit.h"
#include "harness/core/ob_core.h"
#include "repro_internal.h"

/* ---- the check ------------------------------------------------------------------- */

static const char *const method_name[OB_WILSON_METHODS] = {"sgd", "adagrad", "rmsprop", "adam"};
static const char *const method_label[OB_WILSON_METHODS] = {"GD", "AdaGrad", "RMSProp", "Adam"};

ob_repro_verdict ob_repro_check_wilson(const ob_repro_wilson_measured *m, char *why, size_t len)
{
    ob_repro_verdict v = OB_REPRO_REPRODUCED;
    why[0] = '\0';
    if (!m->paths) {
        snprintf(why, len, "no path ran");
        return OB_REPRO_INCONCLUSIVE;
    }
    double neg = m->test_neg_frac;
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        if (!((m->paths >> p) & 1u)) continue;
        const char *pn = ob_repro_path_name(p);
        for (int k = 0; k < OB_WILSON_METHODS; k++) {
            const ob_repro_wilson_run *r = &m->run[k][p];
            if (!(r->train_loss <= 1e-3)) {
                v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
                ob_appendf(why, len, "%s: %s did not fit the training set (loss %.3g); ", pn,
                                 method_label[k], r->train_loss);
                continue;
            }
            if (k == OB_WILSON_GD) {
                if (r->test_error == 0.0) continue;
                ob_repro_verdict part = r->test_error >= neg / 2 ? OB_REPRO_NOT_REPRODUCED
                                                                 : OB_REPRO_INCONCLUSIVE;
                v = ob_repro_combine(v, part);
                ob_appendf(why, len, "%s: GD's test error is %.3g (claim: 0); ", pn, r->test_error);
                continue;
            }
            double spread = fmax(fabs(r->w[1] - r->w[0]), fabs(r->w[2] - r->w[0])) / fabs(r->w[0]);
            int equal = spread <= 0.01;
            int constant = fabs(r->test_error - neg) <= 1e-12;
            if (equal && constant) continue;
            ob_repro_verdict part = r->test_error < neg / 2 ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE;
            v = ob_repro_combine(v, part);
            ob_appendf(why, len,
                             "%s: %s has w = (%.4g, %.4g, %.4g) and test error %.3g (claim: w1 = w2 = "
                             "w3, error %.3g); ",
                             pn, method_label[k], r->w[0], r->w[1], r->w[2], r->test_error, neg);
        }
    }
    if (v == OB_REPRO_REPRODUCED)
        snprintf(why, len,
                 "on every path AdaGrad, RMSProp and Adam end with w1 = w2 = w3 (within 1%%) and predict "
                 "+1 everywhere (test error = P(y = -1) = %.3g); GD has test error 0",
                 neg);
    return v;
}

/* ---- the data set ---------------------------------------------------------------------- */

/* Each row has at most 8 nonzeros: x_i1 = y_i, x_i2 = x_i3 = 1 and the
 * private block; stored as (count, indices), the values being 1 except
 * x_i1. */
#define WILSON_NNZ 8
typedef struct wilson_data {
    size_t n, d;
    unsigned *nnz; /* per row */
    size_t *idx;   /* n x WILSON_NNZ feature indices (0-based) */
    double *y;
} wilson_data;

static double row_value(const wilson_data *D, size_t i, size_t k)
{
    return k == 0 ? D->y[i] : 1.0;
}

static double wilson_eval(void *ctx, const double *w, double *g, uint64_t t)
{
    (void)t;
    const wilson_data *D = ctx;
    double f = 0;
    memset(g, 0, D->d * sizeof *g);
    for (size_t i = 0; i < D->n; i++) {
        const size_t *ix = D->idx + i * WILSON_NNZ;
        double z = 0;
        for (unsigned k = 0; k < D->nnz[i]; k++) z += row_value(D, i, k) * w[ix[k]];
        double r = z - D->y[i];
        f += r * r;
        for (unsigned k = 0; k < D->nnz[i]; k++) g[ix[k]] += row_value(D, i, k) * r / (double)D->n;
    }
    return f / (2.0 * (double)D->n);
}

/* Labels +1 with probability p from a splitmix64 stream; redrawn (next
 * stream) until positives outnumber negatives, as §3.3 requires. */
static void draw_labels(double *y, size_t n, double p, uint64_t seed)
{
    for (uint64_t s = seed;; s++) {
        ob_rng r;
        ob_rng_init(&r, s);
        long bal = 0;
        for (size_t i = 0; i < n; i++) {
            y[i] = ob_rng_uniform(&r) < p ? 1.0 : -1.0;
            bal += y[i] > 0 ? 1 : -1;
        }
        if (bal > 0) return;
    }
}

static int wilson_build(wilson_data *D, size_t n, double p, uint64_t seed)
{
    D->n = n;
    D->d = 6 * n;
    D->nnz = malloc(n * sizeof *D->nnz);
    D->idx = malloc(n * WILSON_NNZ * sizeof *D->idx);
    D->y = malloc(n * sizeof *D->y);
    if (!D->nnz || !D->idx || !D->y) return -1;
    draw_labels(D->y, n, p, seed);
    for (size_t i = 0; i < n; i++) {
        size_t *ix = D->idx + i * WILSON_NNZ;
        ix[0] = 0;
        ix[1] = 1;
        ix[2] = 2;
        /* 0-based start of example i's block: 3 + 5 i (the paper's 4 + 5(i-1), 1-based). */
        unsigned ones = D->y[i] > 0 ? 1 : 5;
        for (unsigned k = 0; k < ones; k++) ix[3 + k] = 3 + 5 * i + k;
        D->nnz[i] = 3 + ones;
    }
    return 0;
}

static void wilson_free(wilson_data *D)
{
    free(D->nnz);
    free(D->idx);
    free(D->y);
}

/* ---- running ------------------------------------------------------------------------------- */

typedef struct wilson_obs {
    uint64_t T;
    ob_repro_wilson_run *run; /* [path] of the method */
    const double *test_y;
    size_t n_test;
    size_t n_samples;
    const uint64_t *sample_t;
    size_t next[OB_REPRO_MAX_PATHS];
    double wsum[OB_REPRO_MAX_PATHS][3]; /* sum of w1..w3 over the last 10% of steps */
    double *loss[OB_REPRO_MAX_PATHS];   /* per sample */
    double *w1[OB_REPRO_MAX_PATHS], *w2[OB_REPRO_MAX_PATHS];
    wilson_data *D;
} wilson_obs;

static void wilson_observe(void *ctx, const ob_repro_step *s)
{
    wilson_obs *o = ctx;
    int p = s->path;
    size_t k = o->next[p];
    if (k < o->n_samples && o->sample_t[k] == s->t) {
        o->loss[p][k] = s->f_prev; /* f at the point before step t: f(w_{t-1}) */
        o->w1[p][k] = s->x_prev[0];
        o->w2[p][k] = s->x_prev[1];
        o->next[p] = k + 1;
    }
    if (s->t > o->T - o->T / 10)
        for (int j = 0; j < 3; j++) o->wsum[p][j] += s->x[j];
    if (s->t != o->T) return;
    ob_repro_wilson_run *r = &o->run[p];
    /* w averaged over the last 10% of the steps: without a decaying step
     * the normalised methods keep jittering around their limit (in fp32
     * RMSprop by ~lr: it divides the fp32 rounding noise of a vanishing
     * gradient by its own tiny running RMS), and "converges to" is about
     * the point they jitter around.  The loss and test error are those
     * of the last iterate. */
    for (int j = 0; j < 3; j++) r->w[j] = o->wsum[p][j] / (double)(o->T / 10);
    double *g = malloc(o->D->d * sizeof *g);
    r->train_loss = g ? wilson_eval(o->D, s->x, g, s->t) : NAN;
    free(g);
    /* A test example's private block is untouched by training, so its
     * weights are exactly 0 and x . w = w1 y + w2 + w3. */
    size_t wrong = 0;
    for (size_t i = 0; i < o->n_test; i++) {
        double z = s->x[0] * o->test_y[i] + s->x[1] + s->x[2];
        double pred = z > 0 ? 1.0 : z < 0 ? -1.0 : 0.0;
        wrong += pred != o->test_y[i];
    }
    r->test_error = (double)wrong / (double)o->n_test;
}

/* Largest eigenvalue of X^T X / n by power iteration (GD's step 1/L). */
static double wilson_lipschitz(wilson_data *D)
{
    double *v = malloc(D->d * sizeof *v), *g = malloc(D->d * sizeof *g), *y = D->y;
    double *zero = calloc(D->n, sizeof *zero), L = 0;
    if (!v || !g || !zero) goto out;
    for (size_t j = 0; j < D->d; j++) v[j] = 1.0 / sqrt((double)D->d);
    /* With y = 0 the gradient is X^T X v / n. */
    D->y = zero;
    for (int it = 0; it < 500; it++) {
        wilson_eval(D, v, g, 1);
        double nrm = 0;
        for (size_t j = 0; j < D->d; j++) nrm += g[j] * g[j];
        nrm = sqrt(nrm);
        L = nrm;
        for (size_t j = 0; j < D->d; j++) v[j] = g[j] / nrm;
    }
    D->y = y;
out:
    free(v);
    free(g);
    free(zero);
    return L;
}

#define WILSON_N 50
#define WILSON_P 0.6
#define WILSON_TEST 10000
#define WILSON_SEED 2017
#define WILSON_STEPS 10000
#define WILSON_STEPS_SHORT 2000

/* The test labels, from the same distribution; returns P(y = -1). */
static double wilson_test_labels(double *test_y)
{
    ob_rng r;
    ob_rng_init(&r, WILSON_SEED + 1000003);
    size_t neg = 0;
    for (size_t i = 0; i < WILSON_TEST; i++) {
        test_y[i] = ob_rng_uniform(&r) < WILSON_P ? 1.0 : -1.0;
        neg += test_y[i] < 0;
    }
    return (double)neg / WILSON_TEST;
}

/* The entry's CSV: per sampled step, each method's loss, w1 and w2 per path. */
static int wilson_csv(const ob_repro_opts *op, const ob_repro_entry *e, const ob_repro_wilson_measured *m,
                      const wilson_obs *obs, const uint64_t *st, size_t ns, ob_repro_outcome *out, char *err,
                      size_t errlen)
{
    ob_repro_csv csv;
    if (ob_repro_csv_open(&csv, op, e->name, out, err, errlen) != 0) return -1;
    fprintf(csv.af.f, "step");
    for (int k = 0; k < OB_WILSON_METHODS; k++)
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
            if ((m->paths >> p) & 1u)
                fprintf(csv.af.f, ",%s_%s_loss,%s_%s_w1,%s_%s_w2", method_name[k], ob_repro_path_name(p),
                        method_name[k], ob_repro_path_name(p), method_name[k], ob_repro_path_name(p));
    fputc('\n', csv.af.f);
    for (size_t i = 0; i < ns; i++) {
        /* Row i holds f(w_{t-1}) etc. for step t, i.e. the state after t-1 steps. */
        fprintf(csv.af.f, "%llu", (unsigned long long)(st[i] - 1));
        for (int k = 0; k < OB_WILSON_METHODS; k++)
            for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
                if ((m->paths >> p) & 1u)
                    fprintf(csv.af.f, ",%.9g,%.9g,%.9g", obs[k].loss[p][i], obs[k].w1[p][i], obs[k].w2[p][i]);
        fputc('\n', csv.af.f);
    }
    return ob_repro_csv_commit(&csv, err, errlen);
}

/* The measured figures (JSON) and the summary line. */
static void wilson_report(const ob_repro_wilson_measured *m, size_t features, uint64_t T, const double *lr,
                          ob_repro_outcome *out)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "n_train", (double)m->n_train);
    cJSON_AddNumberToObject(j, "features", (double)features);
    cJSON_AddNumberToObject(j, "p_positive", WILSON_P);
    cJSON_AddNumberToObject(j, "n_test", (double)m->n_test);
    cJSON_AddNumberToObject(j, "test_negative_fraction", m->test_neg_frac);
    cJSON_AddNumberToObject(j, "steps", (double)T);
    for (int k = 0; k < OB_WILSON_METHODS; k++) {
        cJSON *jm = cJSON_AddObjectToObject(j, method_name[k]);
        cJSON_AddNumberToObject(jm, "lr", lr[k]);
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
            if (!((m->paths >> p) & 1u)) continue;
            const ob_repro_wilson_run *r = &m->run[k][p];
            cJSON *jp = cJSON_AddObjectToObject(jm, ob_repro_path_name(p));
            ob_json_add_num(jp, "w1", r->w[0]);
            ob_json_add_num(jp, "w2", r->w[1]);
            ob_json_add_num(jp, "w3", r->w[2]);
            ob_json_add_num(jp, "train_loss", r->train_loss);
            ob_json_add_num(jp, "test_error", r->test_error);
        }
    }
    out->measured = j;
    int f32 = ob_repro_first_fp32(m->paths);
    snprintf(out->summary, sizeof out->summary, "n=%zu, P(y=-1)=%.3f on the test set [fp64]:", m->n_train,
             m->test_neg_frac);
    for (int k = 0; k < OB_WILSON_METHODS; k++) {
        const ob_repro_wilson_run *r = &m->run[k][OB_REPRO_REF];
        ob_appendf(out->summary, sizeof out->summary, "%s %s w=(%.3f, %.3f, %.3f) test err %.3f",
                         k ? ";" : "", method_label[k], r->w[0], r->w[1], r->w[2], r->test_error);
    }
    if (f32 > 0) {
        ob_appendf(out->summary, sizeof out->summary, "; fp32 %s test errors", ob_repro_path_name(f32));
        for (int k = 0; k < OB_WILSON_METHODS; k++)
            ob_appendf(out->summary, sizeof out->summary, "%s %s %.3f", k ? "," : "", method_label[k],
                             m->run[k][f32].test_error);
    }
}

static int wilson_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                      size_t errlen)
{
    ob_repro_wilson_measured m;
    memset(&m, 0, sizeof m);
    m.paths = op->paths;
    m.n_train = WILSON_N;
    m.n_test = WILSON_TEST;
    uint64_t T = op->short_mode ? WILSON_STEPS_SHORT : WILSON_STEPS;
    wilson_data D = {0};
    double *x0 = NULL, *test_y = malloc(WILSON_TEST * sizeof *test_y), *buf = NULL;
    uint64_t *st = NULL;
    int rc = -1;
    if (!test_y || wilson_build(&D, WILSON_N, WILSON_P, WILSON_SEED) != 0 ||
        !(x0 = calloc(D.d, sizeof *x0))) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    m.test_neg_frac = wilson_test_labels(test_y);
    double L = wilson_lipschitz(&D);
    size_t ns = 0;
    for (uint64_t t = 1; t; t = ob_engine_next_sample(t, T, 40)) ns++;
    st = malloc(ns * sizeof *st);
    buf = calloc((size_t)3 * OB_WILSON_METHODS * OB_REPRO_MAX_PATHS * ns, sizeof *buf);
    if (!st || !buf) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    ns = 0;
    for (uint64_t t = 1; t; t = ob_engine_next_sample(t, T, 40)) st[ns++] = t;
    ob_repro_objective obj = {.n = D.d, .x0 = x0, .eval = wilson_eval, .ctx = &D};
    /* Learning rates: GD 1/L (the largest step with monotone descent);
     * AdaGrad and Adam at their torch defaults (1e-2, 1e-3), RMSprop at
     * 1e-3 rather than its default 1e-2: without a decay its normalised
     * steps keep w oscillating with an amplitude of about lr, which at
     * 1e-2 is 4% of w.  The paper's argument does not depend on lr. */
    double lr[OB_WILSON_METHODS] = {1.0 / L, 1e-2, 1e-3, 1e-3};
    wilson_obs obs[OB_WILSON_METHODS];
    for (int k = 0; k < OB_WILSON_METHODS; k++) {
        const ob_optimizer *o = ob_optimizer_find(method_name[k]);
        if (!o) {
            snprintf(err, errlen, "optimizer %s missing from the table", method_name[k]);
            goto done;
        }
        wilson_obs *ob = &obs[k];
        memset(ob, 0, sizeof *ob);
        ob->T = T;
        ob->run = m.run[k];
        ob->test_y = test_y;
        ob->n_test = WILSON_TEST;
        ob->n_samples = ns;
        ob->sample_t = st;
        ob->D = &D;
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
            size_t base = ((size_t)k * OB_REPRO_MAX_PATHS + (size_t)p) * 3 * ns;
            ob->loss[p] = buf + base;
            ob->w1[p] = buf + base + ns;
            ob->w2[p] = buf + base + 2 * ns;
        }
        ob_repro_traj_cfg c;
        ob_repro_traj_init(&c, op->paths, o, T, wilson_observe, ob);
        c.h.lr = lr[k];
        ob_repro_log(op, "%s: %s, %llu steps", e->name, method_label[k], (unsigned long long)T);
        if (ob_repro_traj(&obj, &c, &out->kernels, err, errlen) != 0) goto done;
    }
    out->verdict = ob_repro_check_wilson(&m, out->why, sizeof out->why);
    if (wilson_csv(op, e, &m, obs, st, ns, out, err, errlen) != 0) goto done;
    wilson_report(&m, D.d, T, lr, out);
    rc = 0;
done:
    wilson_free(&D);
    free(x0);
    free(test_y);
    free(st);
    free(buf);
    return rc;
}

static int wilson_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                         size_t errlen)
{
    char extra[160], terr[128] = "";
    /* The test errors for the key, from the measured figures. */
    for (int k = 0; k < OB_WILSON_METHODS; k++) {
        const cJSON *jm = cJSON_GetObjectItemCaseSensitive(out->measured, method_name[k]);
        const cJSON *jr = cJSON_GetObjectItemCaseSensitive(jm, "reference");
        const cJSON *te = cJSON_GetObjectItemCaseSensitive(jr, "test_error");
        ob_appendf(terr, sizeof terr, "%s%.3f", k ? " " : "",
                         cJSON_IsNumber(te) ? te->valuedouble : NAN);
    }
    snprintf(extra, sizeof extra, "terr='%s'", terr);
    return ob_repro_figure(e, o, out, extra, err, errlen);
}

const ob_repro_entry ob_repro_wilson = {
    "wilson",
    "Adaptive methods generalise worse on a separable problem",
    "A. C. Wilson, R. Roelofs, M. Stern, N. Srebro & B. Recht, The Marginal Value of Adaptive Gradient Methods "
    "in Machine Learning, NeurIPS 2017, §3.3 (Lemma 3.1 and the construction after it)",
    "On the §3.3 least-squares construction (features x_i1 = y_i, x_i2 = x_i3 = 1, a private block of 1 or 5 "
    "ones), AdaGrad, RMSProp and Adam started at 0 converge to w proportional to sign(X^T y): w1 = w2 = w3, which "
    "predicts +1 on every new example (test error P(y = -1)); gradient descent converges to the minimum-norm "
    "solution, which has zero test error.",
    "n = " OB_REPRO_STR(WILSON_N) " training examples, y = +1 with probability " OB_REPRO_STR(WILSON_P) " "
    "(splitmix64 seed " OB_REPRO_STR(WILSON_SEED) ", redrawn until positives outnumber negatives), 300 "
    "features; " OB_REPRO_STR(WILSON_TEST) " test labels from the same distribution (a test example's "
    "private features are untouched by training, so x . w = w1 y + w2 + w3). Loss 1/(2n) ||Xw - y||^2, w0 = 0, "
    "full batch; w1..w3 are averaged over the last 10% of the steps (the adaptive methods jitter around "
    "their limit without a decaying step). GD = sgd with lr = 1/L (L = largest eigenvalue of X^T X / n, power iteration); adagrad "
    "lr = 1e-2, rmsprop lr = 1e-3 (alpha 0.99; its default 1e-2 leaves w oscillating by ~lr), adam lr = 1e-3 "
    "(torch defaults otherwise). " OB_REPRO_STR(WILSON_STEPS) " steps (" OB_REPRO_STR(WILSON_STEPS_SHORT) " "
    "in short mode); fp64 reference and every fp32 ISA. Deviation from the paper: its p may be taken "
    "arbitrarily close to 1/2, which makes the adaptive methods' test error approach 1/2; with p = "
    OB_REPRO_STR(WILSON_P) " it is P(y = -1) = 0.4 in expectation, so an error close to 1/2 is never shown "
    "(the claim checked is the mechanism: w1 = w2 = w3 and error P(y = -1)).",
    "Per path and method: the training loss must be <= 1e-3 (else INCONCLUSIVE). An adaptive method "
    "reproduces when max(|w2 - w1|, |w3 - w1|)/|w1| <= 0.01 and its test error equals P(y = -1) on the test "
    "set; GD when its test error is 0. NOT REPRODUCED when an adaptive method's test error is below half of "
    "P(y = -1) or GD's at least half of it; INCONCLUSIVE otherwise.",
    "repro_wilson.gp",
    wilson_run,
    wilson_figure,
};
