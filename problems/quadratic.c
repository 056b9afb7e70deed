/*
 * quadratic.c — quadratics: an ill-conditioned diagonal one, DeepOBS's
 * rotated stochastic quadratic_deep, the noisy quadratic model of Zhang et
 * al. 2019 (with its closed-form expected loss under SGD), and a
 * non-stationary quadratic whose minimum jumps or drifts over time.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pb_internal.h"

/* ---- quad_diag: f = 1/2 sum h_i x_i^2, h_i = cond^{(i-1)/(n-1)} ----------- */

static double eval_diag(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    const double *h = pb->data;
    double f = 0.0;
    for (size_t i = 0; i < pb->n; i++) {
        f += h[i] * x[i] * x[i];
        if (g) g[i] = h[i] * x[i];
    }
    return 0.5 * f;
}

/* Log-spaced curvatures from 1 to cond, so that the condition number is
 * exactly cond and every scale in between is present. */
static void fill_log_spaced(double *h, size_t n, double cond)
{
    double lc = log(cond);
    for (size_t i = 0; i < n; i++) h[i] = n > 1 ? exp(lc * (double)i / (double)(n - 1)) : 1.0;
    if (n > 1) h[n - 1] = cond;
}

static int create_quad_diag(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out,
                            char *err, size_t errlen)
{
    static const ob_pb_param_def defs[] = {{"cond", OB_PB_REAL, 1e4, 1.0, 1e12, NULL}};
    ob_pb_param_val v[1];
    size_t n, batch;
    *out = NULL;
    if (ob_pb_configure(spec, cfg, 1, defs, 1, v, &n, &batch, err, errlen)) return -1;
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    if (!pb) return -1;
    if (!(pb->data = malloc(n * sizeof(double))) || ob_pb_alloc_xstar(pb, err, errlen)) {
        ob_pb_destroy_free(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory for n = %zu", spec->name, n);
    }
    fill_log_spaced(pb->data, n, v[0].num);
    for (size_t i = 0; i < n; i++) pb->x0[i] = 1.0;
    pb->eval = eval_diag;
    pb->has_fstar = 1;
    pb->fstar = 0.0;
    return ob_pb_done(pb, out);
}

const ob_problem_spec ob_spec_quad_diag = {
    "quad_diag",
    "Ill-conditioned diagonal quadratic 1/2 sum h_i x_i^2, h log-spaced in [1, cond]",
    "Nesterov, Introductory Lectures on Convex Optimization, 2004, §2.1 (strongly convex quadratic, "
    "condition number L/mu)",
    "quadratic",
    100,
    1,
    2,
    0,
    0,
    "cond=1e4 (condition number, in [1, 1e12])",
    1e-2,
    2000,
    create_quad_diag};

/* ---- quadratic_deep (DeepOBS) --------------------------------------------- */

/* DeepOBS quadratic_deep (Schneider, Balles & Hennig, ICLR 2019, §3 and
 * deepobs/tensorflow/testproblems/quadratic_deep.py): per example
 * 1/2 (theta - x)^T Q (theta - x) with Q = R^T D R, D = 90 eigenvalues from
 * U(0, 1) and 10 from U(30, 60), R a Haar-random rotation; "data" x are
 * 1000 draws from N(0, 0.6^2 I); theta0 = 1; batch 128.  The eigenvalues,
 * rotation and data come from a fixed seed (they are part of the problem,
 * as in DeepOBS; ours come from Philox with seed 42, not NumPy's, so Q is
 * not DeepOBS's matrix); cfg.seed drives only the mini-batch order.
 *
 * With P_b = Q x_b and c_b = x_b^T Q x_b / 2 precomputed, a batch mean is
 *   f = theta^T Q theta / 2 - theta^T mean(P_b) + mean(c_b),
 *   grad = Q theta - mean(P_b),
 * and the full-data loss is (theta - mu)^T Q (theta - mu) / 2 + f*, with
 * mu the data mean: x* = mu and f* = mean (x_b - mu)^T Q (x_b - mu) / 2. */
#define QD_N 100
#define QD_DATA 1000
#define QD_FIXED_SEED 42u

typedef struct qdeep {
    double Q[QD_N * QD_N];
    double P[QD_DATA * QD_N]; /* Q x_b */
    double c[QD_DATA];        /* x_b^T Q x_b / 2 */
    double mu[QD_N];
    double fstar;
    double tmp[2 * QD_N];
    ob_pb_sampler sampler;
} qdeep;

/* Haar-distributed orthogonal matrix: Gram–Schmidt (done twice, which keeps
 * the columns orthogonal to rounding) of a matrix of i.i.d. normals; the
 * implied R factor has a positive diagonal, which is what makes the result
 * Haar (Mezzadri, Notices AMS 54(5), 2007, §5).  Also the rotation of
 * problem instances (instance.c). */
void ob_pb_haar_orthogonal(double *R, size_t n, ob_philox *rng)
{
    for (size_t i = 0; i < n * n; i++) R[i] = ob_philox_normal(rng);
    for (size_t j = 0; j < n; j++) { /* column j of R (stride n) */
        for (int pass = 0; pass < 2; pass++) {
            for (size_t k = 0; k < j; k++) {
                double d = 0.0;
                for (size_t i = 0; i < n; i++) d += R[i * n + k] * R[i * n + j];
                for (size_t i = 0; i < n; i++) R[i * n + j] -= d * R[i * n + k];
            }
        }
        double nrm = 0.0;
        for (size_t i = 0; i < n; i++) nrm += R[i * n + j] * R[i * n + j];
        nrm = sqrt(nrm);
        for (size_t i = 0; i < n; i++) R[i * n + j] /= nrm;
    }
}

static double qdeep_quad(const qdeep *d, const double *x, double *Qx)
{
    double s = 0.0;
    for (size_t i = 0; i < QD_N; i++) {
        double r = 0.0;
        for (size_t j = 0; j < QD_N; j++) r += d->Q[i * QD_N + j] * x[j];
        Qx[i] = r;
        s += x[i] * r;
    }
    return 0.5 * s;
}

static double eval_qdeep(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    qdeep *d = pb->data;
    const uint32_t *idx = ob_pb_sampler_batch(&d->sampler, t);
    double *Qx = d->tmp, *pm = d->tmp + QD_N;
    double f = qdeep_quad(d, x, Qx), cm = 0.0;
    memset(pm, 0, QD_N * sizeof *pm);
    for (size_t b = 0; b < pb->batch; b++) {
        const double *P = d->P + (size_t)idx[b] * QD_N;
        for (size_t i = 0; i < QD_N; i++) pm[i] += P[i];
        cm += d->c[idx[b]];
    }
    double inv = 1.0 / (double)pb->batch, lin = 0.0;
    for (size_t i = 0; i < QD_N; i++) {
        pm[i] *= inv;
        lin += x[i] * pm[i];
        if (g) g[i] = Qx[i] - pm[i];
    }
    return f - lin + cm * inv;
}

static double loss_qdeep(ob_problem *pb, const double *x, uint64_t t)
{
    (void)t;
    qdeep *d = pb->data;
    double diff[QD_N];
    for (size_t i = 0; i < QD_N; i++) diff[i] = x[i] - d->mu[i];
    return qdeep_quad(d, diff, d->tmp) + d->fstar;
}

static void destroy_qdeep(ob_problem *pb)
{
    if (pb && pb->data) ob_pb_sampler_free(&((qdeep *)pb->data)->sampler);
    ob_pb_destroy_free(pb);
}

static void qdeep_build(qdeep *d, double *R, double *X)
{
    ob_philox rng;
    ob_philox_init(&rng, QD_FIXED_SEED, OB_STREAM_DATA, 0);
    double eig[QD_N];
    for (size_t i = 0; i < QD_N; i++)
        eig[i] = i < 90 ? ob_philox_uniform(&rng) : 30.0 + 30.0 * ob_philox_uniform(&rng);
    ob_pb_haar_orthogonal(R, QD_N, &rng);
    /* Q = R^T D R */
    for (size_t i = 0; i < QD_N; i++)
        for (size_t j = 0; j < QD_N; j++) {
            double s = 0.0;
            for (size_t k = 0; k < QD_N; k++) s += R[k * QD_N + i] * eig[k] * R[k * QD_N + j];
            d->Q[i * QD_N + j] = s;
        }
    for (size_t i = 0; i < QD_N; i++) /* exactly symmetric */
        for (size_t j = 0; j < i; j++) d->Q[i * QD_N + j] = d->Q[j * QD_N + i];
    memset(d->mu, 0, sizeof d->mu);
    for (size_t b = 0; b < QD_DATA; b++) {
        double *xb = X + b * QD_N;
        for (size_t i = 0; i < QD_N; i++) {
            xb[i] = 0.6 * ob_philox_normal(&rng);
            d->mu[i] += xb[i] / QD_DATA;
        }
        d->c[b] = qdeep_quad(d, xb, d->P + b * QD_N);
    }
    double fs = 0.0, diff[QD_N];
    for (size_t b = 0; b < QD_DATA; b++) {
        for (size_t i = 0; i < QD_N; i++) diff[i] = X[b * QD_N + i] - d->mu[i];
        fs += qdeep_quad(d, diff, d->tmp);
    }
    d->fstar = fs / QD_DATA;
}

static int create_qdeep(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out,
                        char *err, size_t errlen)
{
    size_t n, batch;
    *out = NULL;
    if (ob_pb_configure(spec, cfg, 1, NULL, 0, NULL, &n, &batch, err, errlen) ||
        ob_pb_check_batch(spec, batch, QD_DATA, err, errlen))
        return -1;
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    if (!pb) return -1;
    qdeep *d = calloc(1, sizeof *d);
    double *scratch = malloc((QD_N * QD_N + QD_DATA * QD_N) * sizeof(double));
    if (!d || !scratch || ob_pb_sampler_init(&d->sampler, pb->seed, OB_STREAM_BATCH, QD_DATA, batch) ||
        ob_pb_alloc_xstar(pb, err, errlen)) {
        if (d) ob_pb_sampler_free(&d->sampler);
        free(d);
        free(scratch);
        ob_pb_free(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory", spec->name);
    }
    qdeep_build(d, scratch, scratch + QD_N * QD_N);
    free(scratch);
    pb->data = d;
    pb->destroy = destroy_qdeep;
    pb->batch = batch;
    pb->eval = eval_qdeep;
    pb->loss = loss_qdeep;
    for (size_t i = 0; i < n; i++) pb->x0[i] = 1.0;
    memcpy(pb->xstar, d->mu, sizeof d->mu);
    pb->fstar = d->fstar;
    pb->has_fstar = 1;
    return ob_pb_done(pb, out);
}

const ob_problem_spec ob_spec_quadratic_deep = {
    "quadratic_deep",
    "DeepOBS quadratic_deep: rotated 100-d quadratic, 90 eigenvalues U(0,1), 10 U(30,60)",
    "Schneider, Balles & Hennig, DeepOBS, ICLR 2019, §3 (quadratic_deep); data N(0, 0.6^2 I), 1000 points",
    "quadratic",
    QD_N,
    0,
    QD_N,
    1,
    128,
    "",
    1e-2,
    2000,
    create_qdeep};

/* ---- nqm: the noisy quadratic model (Zhang et al. 2019) ----------------- */

/* Zhang, Li, Nado, Martens, Sachdeva, Dahl, Shallue & Grosse, "Which
 * algorithmic choices matter at which batch sizes? Insights from a noisy
 * quadratic model", NeurIPS 2019, §3: loss l(x) = 1/2 sum h_i x_i^2 with
 * h_i = 1/i, and stochastic gradients H x + eps, eps ~ N(0, C/B), C = H.
 * Step t's objective is l(x) + eps_t^T x (its gradient is exactly that),
 * with eps_t a function of (seed, t) only.  x0 = 1 is chosen here. */
typedef struct nqm_data {
    double *h;
    double *sd; /* sqrt(c_i / B) */
} nqm_data;

static double eval_nqm(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    nqm_data *d = pb->data;
    ob_philox rng;
    ob_philox_init(&rng, pb->seed, OB_STREAM_NOISE, t);
    double f = 0.0;
    for (size_t i = 0; i < pb->n; i++) {
        double e = d->sd[i] * ob_philox_normal(&rng);
        f += 0.5 * d->h[i] * x[i] * x[i] + e * x[i];
        if (g) g[i] = d->h[i] * x[i] + e;
    }
    return f;
}

static double loss_nqm(ob_problem *pb, const double *x, uint64_t t)
{
    (void)t;
    const nqm_data *d = pb->data;
    double f = 0.0;
    for (size_t i = 0; i < pb->n; i++) f += d->h[i] * x[i] * x[i];
    return 0.5 * f;
}

static int create_nqm(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out, char *err,
                      size_t errlen)
{
    size_t n, batch;
    *out = NULL;
    if (ob_pb_configure(spec, cfg, 1, NULL, 0, NULL, &n, &batch, err, errlen)) return -1;
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    if (!pb) return -1;
    nqm_data *d = malloc(sizeof *d + 2 * n * sizeof(double));
    if (!d || ob_pb_alloc_xstar(pb, err, errlen)) {
        free(d);
        ob_pb_free(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory for n = %zu", spec->name, n);
    }
    d->h = (double *)(d + 1);
    d->sd = d->h + n;
    for (size_t i = 0; i < n; i++) {
        d->h[i] = 1.0 / (double)(i + 1);
        d->sd[i] = sqrt(d->h[i] / (double)batch);
        pb->x0[i] = 1.0;
    }
    pb->data = d;
    pb->batch = batch;
    pb->eval = eval_nqm;
    pb->loss = loss_nqm;
    pb->has_fstar = 1;
    pb->fstar = 0.0;
    return ob_pb_done(pb, out);
}

const ob_problem_spec ob_spec_nqm = {
    "nqm",
    "Noisy quadratic model: h_i = 1/i, gradient noise N(0, H/B)",
    "Zhang et al., Which Algorithmic Choices Matter at Which Batch Sizes?, NeurIPS 2019, §3 (NQM)",
    "quadratic",
    10000,
    1,
    1,
    1,
    128,
    "",
    1e-2,
    2000,
    create_nqm};

double ob_nqm_expected_loss_sgd(const ob_problem *pb, double lr, uint64_t t)
{
    if (!pb || pb->spec != &ob_spec_nqm) return NAN;
    /* Per coordinate x <- (1 - a h) x - a eps, so E[x^2] contracts by
     * (1 - a h)^2 and gains a^2 c/B per step; with c = h the loss
     * l_i = h x_i^2 / 2 has
     * E l_i(t) = (1 - a h)^{2t} l_i(0) + a c (1 - (1 - a h)^{2t}) / (2B (2 - a h))
     * (Zhang et al. 2019, §3.1). */
    const nqm_data *d = pb->data;
    double B = (double)pb->batch, sum = 0.0;
    for (size_t i = 0; i < pb->n; i++) {
        double h = d->h[i], q = 1.0 - lr * h;
        double decay = pow(q * q, (double)t);
        double l0 = 0.5 * h * pb->x0[i] * pb->x0[i];
        sum += decay * l0 + lr * h * (1.0 - decay) / (2.0 * B * (2.0 - lr * h));
    }
    return sum;
}

/* ---- drifting_quadratic: a moving minimum --------------------------------- */

/* f_t(x) = 1/2 sum h_i (x_i - c_i(t))^2 with h log-spaced in [1, cond].
 * mode=jump: c(t) is redrawn uniformly in [-1, 1]^n at the start of every
 * period of `period` steps (from (seed, segment)); mode=drift: c_i(t) =
 * sin(2 pi (t / period + i / n)), moving smoothly.  This is the setting that
 * motivates exponential moving averages of squared gradients in RMSProp
 * (Tieleman & Hinton 2012, Lecture 6.5) and Adam (Kingma & Ba 2015, §1 and
 * §2: "non-stationary objectives").  f_t's minimum is 0 at c(t); the loss
 * reported is f_t itself, the distance to the current target. */
typedef struct drift_data {
    double *h, *c;
    int jump;
    uint64_t period;
    uint64_t cached; /* segment (jump) or step (drift) held in c, +1; 0: none */
} drift_data;

static const double *drift_target(ob_problem *pb, uint64_t t)
{
    drift_data *d = pb->data;
    uint64_t step = t ? t - 1 : 0;
    uint64_t key = (d->jump ? step / d->period : step) + 1;
    if (d->cached != key) {
        if (d->jump) {
            ob_philox rng;
            ob_philox_init(&rng, pb->seed, OB_STREAM_TARGET, key - 1);
            for (size_t i = 0; i < pb->n; i++) d->c[i] = 2.0 * ob_philox_uniform(&rng) - 1.0;
        } else {
            const double tp = 6.283185307179586;
            double phase = (double)(step % d->period) / (double)d->period;
            for (size_t i = 0; i < pb->n; i++) d->c[i] = sin(tp * (phase + (double)i / (double)pb->n));
        }
        d->cached = key;
    }
    return d->c;
}

static double eval_drift(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    const drift_data *d = pb->data;
    const double *c = drift_target(pb, t);
    double f = 0.0;
    for (size_t i = 0; i < pb->n; i++) {
        double r = x[i] - c[i];
        f += d->h[i] * r * r;
        if (g) g[i] = d->h[i] * r;
    }
    return 0.5 * f;
}

static int create_drift(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out,
                        char *err, size_t errlen)
{
    static const ob_pb_param_def defs[] = {
        {"mode", OB_PB_STRING, 0, 0, 0, "jump"},
        {"period", OB_PB_INT, 500, 1, 1e15, NULL},
        {"cond", OB_PB_REAL, 10, 1, 1e12, NULL},
    };
    ob_pb_param_val v[3];
    size_t n, batch;
    *out = NULL;
    if (ob_pb_configure(spec, cfg, 1, defs, 3, v, &n, &batch, err, errlen)) return -1;
    int jump = strcmp(v[0].str, "jump") == 0;
    if (!jump && strcmp(v[0].str, "drift") != 0)
        return ob_pb_fail(err, errlen, "problem '%s': mode must be 'jump' or 'drift' (got '%s')", spec->name,
                          v[0].str);
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    if (!pb) return -1;
    drift_data *d = malloc(sizeof *d + 2 * n * sizeof(double));
    if (!d) {
        ob_pb_free(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory for n = %zu", spec->name, n);
    }
    d->h = (double *)(d + 1);
    d->c = d->h + n;
    d->jump = jump;
    d->period = (uint64_t)v[1].num;
    d->cached = 0;
    fill_log_spaced(d->h, n, v[2].num);
    pb->data = d;
    pb->eval = eval_drift;
    pb->has_fstar = 1;
    pb->fstar = 0.0;
    return ob_pb_done(pb, out);
}

const ob_problem_spec ob_spec_drifting_quadratic = {
    "drifting_quadratic",
    "Non-stationary quadratic whose minimum jumps (or drifts) every period",
    "Kingma & Ba, Adam, ICLR 2015, §1-2 (non-stationary objectives); Tieleman & Hinton 2012, "
    "Lecture 6.5 (RMSProp)",
    "nonstationary",
    10,
    1,
    1,
    0,
    0,
    "mode=jump|drift, period=500 (steps), cond=10 (curvature spread)",
    1e-2,
    2000,
    create_drift};
