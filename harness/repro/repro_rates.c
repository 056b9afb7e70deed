/*
 * repro_rates.c — textbook convergence rates on strongly convex quadratics
 * f(x) = 1/2 sum h_i x_i^2 (the catalog's quad_diag: 100 curvatures
 * log-spaced in [mu, L] = [1, kappa], x0 = 1, x* = 0, f* = 0), run on the
 * torch-semantics SGD kernel and checked step by step against the bounds:
 *
 *   GD, step 2/(L+mu):  ||x_k|| <= ((kappa-1)/(kappa+1))^k ||x_0||
 *       (Nesterov, Introductory Lectures on Convex Optimization, 2004,
 *       Theorem 2.1.15; Polyak, Introduction to Optimization, 1987, §1.4)
 *   GD, step 1/L:       f_k - f* <= L ||x_0 - x*||^2 / (2k)
 *       (Beck, First-Order Methods in Optimization, SIAM 2017, Theorem
 *       10.21 with g = 0)
 *   Heavy ball, alpha = 4/(sqrt L + sqrt mu)^2, beta = q^2,
 *       q = (sqrt kappa - 1)/(sqrt kappa + 1) (Polyak 1964; Polyak 1987,
 *       §3.2, Theorem 1):  ||x_k|| <= C k q^k ||x_0||, k >= 1, with
 *       C = 1 + max(|1 - alpha mu|, |1 - alpha L|) / q  (derived below)
 *   Nesterov, step 1/L, beta = (sqrt kappa - 1)/(sqrt kappa + 1) (Nesterov
 *       2004, constant step scheme III (2.2.19), Theorem 2.2.3 with
 *       gamma_0 = mu):  f_k - f* <= (1 - 1/sqrt kappa)^k (f_0 - f* +
 *       mu ||x_0 - x*||^2 / 2)
 *
 * Mapping onto torch.optim.SGD (lr outside the buffer, buf_1 = g_1):
 *   heavy ball: p_{t+1} = p_t - lr buf_t, buf_t = beta buf_{t-1} + g_t
 *     gives p_{t+1} - p_t = -lr g_t + beta (p_t - p_{t-1}): Polyak's
 *     x_{k+1} = x_k - alpha grad f(x_k) + beta (x_k - x_{k-1}) with
 *     alpha = lr, beta = momentum, x_k = p_{k+1} and x_{-1} = x_0.
 *   Nesterov: torch's nesterov=True, p_{t+1} = p_t - lr (g_t + beta buf_t),
 *     tracks the look-ahead point: with y_k = p_{k+1}, b_k = buf_{k+1},
 *     scheme III's x_{k+1} = y_k - grad f(y_k)/L, y_{k+1} = x_{k+1} +
 *     beta (x_{k+1} - x_k) (x_0 = y_0) is exactly d_k = x_{k+1} - x_k =
 *     -b_k/L, b_k = beta b_{k-1} + grad f(y_k), b_{-1} = 0, and y_{k+1} =
 *     y_k - (grad f(y_k) + beta b_k)/L: torch with lr = 1/L, momentum =
 *     beta.  The bound is on f(x_k), so the observer rebuilds x_k =
 *     y_{k-1} - grad f(y_{k-1})/L in double from the iterate and gradient
 *     of step k.
 *
 * The heavy-ball constant.  Per eigenvalue lambda the iterates obey
 * x_{k+1} = (1 + beta - alpha lambda) x_k - beta x_{k-1}, whose
 * characteristic roots r1, r2 have r1 r2 = beta = q^2 and, with Polyak's
 * parameters, |1 + beta - alpha lambda| <= 2q on [mu, L], so |r1| = |r2| = q
 * (a double root at lambda = mu and L).  Then x_k = x_1 U_k - beta x_0
 * U_{k-1} with U_k = (r1^k - r2^k)/(r1 - r2) = sum_j r1^j r2^{k-1-j},
 * |U_k| <= k q^{k-1}, and x_1 = (1 - alpha lambda) x_0, so
 * |x_k| <= q^k (k |1 - alpha lambda| / q + k - 1) |x_0| <= C k q^k |x_0|.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/problems.h"
#include "ob_repro.h"
#include "repro_internal.h"
#include "harness/core/ob_core.h"

static const char *const rate_name[OB_RATE_METHODS] = {"gd", "gd_1L", "heavy_ball", "nesterov"};
static const char *const rate_label[OB_RATE_METHODS] = {"GD 2/(L+mu)", "GD 1/L", "heavy ball", "Nesterov"};

/* A ratio of 1 + 1e-9 still counts as 1: the ratio itself is computed in
 * double from rounded norms and powers. */
#define RATE_SLACK 1e-9

ob_repro_verdict ob_repro_check_rates(const ob_repro_rates_measured *m, char *why, size_t len)
{
    ob_repro_verdict v = OB_REPRO_REPRODUCED;
    double worst = 0, dev = 0;
    why[0] = '\0';
    if (!m->paths) {
        snprintf(why, len, "no path ran");
        return OB_REPRO_INCONCLUSIVE;
    }
    for (int k = 0; k < OB_RATE_KAPPAS; k++)
        for (int r = 0; r < OB_RATE_METHODS; r++)
            for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
                if (!((m->paths >> p) & 1u)) continue;
                double w = m->worst[k][r][p], d = m->exact_dev[k][r][p];
                if (w > worst || isnan(w)) worst = w;
                if (d > dev || isnan(d)) dev = d;
                if (!(d <= OB_REPRO_RATE_EXACT_TOL)) {
                    v = OB_REPRO_NOT_REPRODUCED;
                    ob_appendf(why, len,
                               "%s: %s at kappa %g is not the method's trajectory (observed/exact off by "
                               "%.3g > %g: a wrong step or momentum); ",
                               ob_repro_path_name(p), rate_label[r], m->kappa[k], d, OB_REPRO_RATE_EXACT_TOL);
                }
                if (w <= 1.0 + RATE_SLACK) continue;
                v = OB_REPRO_NOT_REPRODUCED;
                ob_appendf(why, len, "%s: %s at kappa %g exceeds its bound (worst ratio %.6g); ",
                                 ob_repro_path_name(p), rate_label[r], m->kappa[k], w);
            }
    if (v == OB_REPRO_REPRODUCED)
        snprintf(why, len,
                 "every method follows its exact trajectory (within %.2g) and stays under its bound at every "
                 "step, for every kappa and path (worst ratio of observed to bound %.3g)",
                 dev, worst);
    return v;
}

/* ---- running ---------------------------------------------------------------------------- */

typedef struct rate_obs {
    ob_problem *pb;
    int method;
    double L, mu, lr, C, q, rho, e0; /* e0: the bound's initial quantity */
    uint64_t K;
    double *gscratch, *xk;
    double worst[OB_REPRO_MAX_PATHS];
    const double *exact; /* [k], k = 0..K: the method's own trajectory (rate_exact) */
    double exact_dev[OB_REPRO_MAX_PATHS];
    /* samples */
    size_t n_samples;
    const uint64_t *sample_t;
    size_t next[OB_REPRO_MAX_PATHS];
    double *obs[OB_REPRO_MAX_PATHS], *bound; /* per sample: observed / e0 and bound / e0 */
} rate_obs;

static double norm(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}

/* The bound at step k, relative to e0. */
static double rate_bound(const rate_obs *o, uint64_t k)
{
    double kd = (double)k;
    switch (o->method) {
    case OB_RATE_GD: return pow(o->rho, kd);
    case OB_RATE_GD_1L: return 1.0 / kd;
    case OB_RATE_HEAVY_BALL: return o->C * kd * pow(o->q, kd);
    default: return pow(1.0 - sqrt(o->mu / o->L), kd);
    }
}

static void rate_observe(void *ctx, const ob_repro_step *s)
{
    rate_obs *o = ctx;
    size_t n = s->n;
    double e;
    switch (o->method) {
    case OB_RATE_GD:
    case OB_RATE_HEAVY_BALL: e = norm(s->x, n); break;
    case OB_RATE_GD_1L: e = o->pb->loss(o->pb, s->x, s->t); break;
    default:
        /* x_k = y_{k-1} - grad f(y_{k-1}) / L, in double. */
        o->pb->eval(o->pb, s->x_prev, o->gscratch, s->t);
        for (size_t i = 0; i < n; i++) o->xk[i] = s->x_prev[i] - o->gscratch[i] / o->L;
        e = o->pb->loss(o->pb, o->xk, s->t);
        break;
    }
    double rel = e / o->e0, b = rate_bound(o, s->t), ratio = rel / b;
    if (ratio > o->worst[s->path] || isnan(ratio)) o->worst[s->path] = ratio;
    double d = fabs(e / o->exact[s->t] - 1.0);
    if (d > o->exact_dev[s->path] || isnan(d)) o->exact_dev[s->path] = d;
    size_t k = o->next[s->path];
    if (k < o->n_samples && o->sample_t[k] == s->t) {
        o->obs[s->path][k] = rel;
        o->bound[k] = b;
        o->next[s->path] = k + 1;
    }
}

/* Steps until the bound falls below `floor` (capped). */
static uint64_t rate_steps(const rate_obs *o, double floor, uint64_t cap)
{
    uint64_t k = 1;
    while (k < cap && !(rate_bound(o, k) < floor)) k++;
    return k;
}

static const double kappas[OB_RATE_KAPPAS] = {10, 100, 1000};

/* Each run lasts until its bound falls below the floor, at most RATES_CAP
 * steps (the setup text spells these). */
#define RATES_FLOOR 1e-12
#define RATES_FLOOR_SHORT 1e-6
#define RATES_CAP 40000

/* Method r's hyperparameters (on sgd's defaults in h) and its bound's
 * constants, for a problem with curvatures in [mu, L], ||x0|| = x0n and
 * f(x0) = f0. */
static void rate_setup(rate_obs *o, int r, ob_hparams *h, double x0n, double f0)
{
    const double L = o->L, mu = o->mu, q = o->q;
    switch (r) {
    case OB_RATE_GD:
        h->lr = 2.0 / (L + mu);
        o->e0 = x0n;
        break;
    case OB_RATE_GD_1L:
        h->lr = 1.0 / L;
        o->e0 = L * x0n * x0n / 2.0;
        break;
    case OB_RATE_HEAVY_BALL:
        h->lr = 4.0 / ((sqrt(L) + sqrt(mu)) * (sqrt(L) + sqrt(mu)));
        h->momentum = q * q;
        o->C = 1.0 + fmax(fabs(1.0 - h->lr * mu), fabs(1.0 - h->lr * L)) / q;
        o->e0 = x0n;
        break;
    default:
        h->lr = 1.0 / L;
        h->momentum = q;
        h->nesterov = 1;
        o->e0 = f0 - o->pb->fstar + mu * x0n * x0n / 2.0;
        break;
    }
    o->lr = h->lr;
}

/* The method's own trajectory on the quadratic with curvatures h (x0
 * given), in the observer's units (||x_k|| for GD and the heavy ball,
 * f(x_k) - f* = 1/2 sum h x_k^2 for GD 1/L and Nesterov), for k = 0..K,
 * from the recursions the theorems are about, with the theorem's step
 * alpha and momentum beta (not the kernel's form):
 *   GD:         x_{k+1} = x_k - alpha h x_k
 *   heavy ball: x_{k+1} = x_k - alpha h x_k + beta (x_k - x_{k-1}), x_{-1} = x_0
 *   Nesterov:   x_{k+1} = y_k - h y_k / L, y_{k+1} = x_{k+1} + beta (x_{k+1} - x_k), y_0 = x_0
 * work: three vectors of n. */
static void rate_exact(int r, double alpha, double beta, double L, const double *h, const double *x0, size_t n,
                       uint64_t K, double *exact, double *work)
{
    double *x = work, *xp = work + n, *y = work + 2 * n;
    memcpy(x, x0, n * sizeof *x);
    memcpy(xp, x0, n * sizeof *xp);
    memcpy(y, x0, n * sizeof *y);
    for (uint64_t k = 0; k <= K; k++) {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += r == OB_RATE_GD || r == OB_RATE_HEAVY_BALL ? x[i] * x[i] : 0.5 * h[i] * x[i] * x[i];
        exact[k] = r == OB_RATE_GD || r == OB_RATE_HEAVY_BALL ? sqrt(s) : s;
        for (size_t i = 0; i < n; i++) {
            double xn;
            if (r == OB_RATE_NESTEROV) {
                xn = y[i] - h[i] * y[i] / L;
                y[i] = xn + beta * (xn - x[i]);
            } else {
                xn = x[i] - alpha * h[i] * x[i] + (r == OB_RATE_HEAVY_BALL ? beta * (x[i] - xp[i]) : 0.0);
            }
            xp[i] = x[i];
            x[i] = xn;
        }
    }
}

/* The samples of the runs: per (kappa, method), one series per path and
 * the bound, on a common log-spaced grid up to the longest run. */
typedef struct rate_series {
    size_t ns;
    uint64_t *st;
    size_t per; /* doubles per (kappa, method) */
    double *buf;
    double *scratch; /* 6 x 100: a gradient, x_k, the curvatures and rate_exact's work */
    double *exact;   /* the longest run's exact trajectory, cap + 1 */
    uint64_t kmax;
} rate_series;

/* Every method on one kappa (index ki). */
static int rates_kappa(const ob_repro_entry *e, const ob_repro_opts *op, int ki, double floor,
                       rate_series *rs, ob_repro_rates_measured *m, ob_repro_outcome *out, char *err,
                       size_t errlen)
{
    const ob_optimizer *sgd = ob_optimizer_find("sgd");
    char param[64];
    snprintf(param, sizeof param, "cond=%g", kappas[ki]);
    const char *params[1] = {param};
    ob_problem_config cfg = {.n = 100, .params = params, .n_params = 1};
    ob_problem *pb = NULL;
    if (ob_problem_create("quad_diag", &cfg, &pb, err, errlen) != 0) return -1;
    /* The curvatures, read back as the gradient at x0 = 1. */
    double *scratch = rs->scratch;
    pb->eval(pb, pb->x0, scratch, 1);
    double mu = INFINITY, L = 0, *curv = scratch + 200;
    for (size_t i = 0; i < pb->n; i++) {
        curv[i] = scratch[i] / pb->x0[i];
        mu = fmin(mu, curv[i]);
        L = fmax(L, curv[i]);
    }
    double x0n = norm(pb->x0, pb->n), f0 = pb->loss(pb, pb->x0, 0);
    ob_repro_objective obj = ob_repro_problem_objective(pb);
    int rc = 0;
    for (int r = 0; r < OB_RATE_METHODS && rc == 0; r++) {
        rate_obs o;
        memset(&o, 0, sizeof o);
        o.pb = pb;
        o.method = r;
        o.L = L;
        o.mu = mu;
        o.q = (sqrt(L) - sqrt(mu)) / (sqrt(L) + sqrt(mu));
        o.rho = (L - mu) / (L + mu);
        o.gscratch = scratch;
        o.xk = scratch + 100;
        ob_repro_traj_cfg c;
        ob_repro_traj_init(&c, op->paths, sgd, 0, rate_observe, &o);
        rate_setup(&o, r, &c.h, x0n, f0);
        if (r == OB_RATE_HEAVY_BALL) m->hb_constant[ki] = o.C;
        /* GD 1/L's bound is sublinear; it runs as long as GD 2/(L+mu). */
        o.K = r == OB_RATE_GD_1L ? m->steps[ki][OB_RATE_GD] : rate_steps(&o, floor, RATES_CAP);
        m->steps[ki][r] = o.K;
        if (o.K > rs->kmax) rs->kmax = o.K;
        rate_exact(r, c.h.lr, c.h.momentum, L, curv, pb->x0, pb->n, o.K, rs->exact, scratch + 300);
        o.exact = rs->exact;
        o.n_samples = rs->ns;
        o.sample_t = rs->st;
        double *base = rs->buf + ((size_t)ki * OB_RATE_METHODS + (size_t)r) * rs->per;
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) o.obs[p] = base + (size_t)p * rs->ns;
        o.bound = base + (size_t)OB_REPRO_MAX_PATHS * rs->ns;
        c.steps = o.K;
        ob_repro_log(op, "%s: %s, kappa %g, %llu steps", e->name, rate_label[r], kappas[ki],
                     (unsigned long long)o.K);
        rc = ob_repro_traj(&obj, &c, &out->kernels, err, errlen);
        for (int p = 0; p < OB_REPRO_MAX_PATHS && rc == 0; p++) {
            m->worst[ki][r][p] = o.worst[p];
            m->exact_dev[ki][r][p] = o.exact_dev[p];
        }
    }
    ob_problem_destroy(pb);
    return rc;
}

/* The entry's CSV: per sampled step, observed/e0 per path and the bound,
 * for every kappa and method (empty past a run's end). */
static int rates_csv(const ob_repro_entry *e, const ob_repro_opts *op, const ob_repro_rates_measured *m,
                     const rate_series *rs, ob_repro_outcome *out, char *err, size_t errlen)
{
    ob_repro_csv csv;
    if (ob_repro_csv_open(&csv, op, e->name, out, err, errlen) != 0) return -1;
    FILE *f = csv.af.f;
    fprintf(f, "step");
    for (int ki = 0; ki < OB_RATE_KAPPAS; ki++)
        for (int r = 0; r < OB_RATE_METHODS; r++) {
            for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
                if ((m->paths >> p) & 1u)
                    fprintf(f, ",k%g_%s_%s", kappas[ki], rate_name[r], ob_repro_path_name(p));
            fprintf(f, ",k%g_%s_bound", kappas[ki], rate_name[r]);
        }
    fputc('\n', f);
    size_t ns = rs->ns;
    for (size_t i = 0; i < ns && rs->st[i] <= rs->kmax; i++) {
        fprintf(f, "%llu", (unsigned long long)rs->st[i]);
        for (int ki = 0; ki < OB_RATE_KAPPAS; ki++)
            for (int r = 0; r < OB_RATE_METHODS; r++) {
                const double *base = rs->buf + ((size_t)ki * OB_RATE_METHODS + (size_t)r) * rs->per;
                int in = rs->st[i] <= m->steps[ki][r];
                for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
                    if ((m->paths >> p) & 1u) {
                        if (in) fprintf(f, ",%.9g", base[(size_t)p * ns + i]);
                        else fputc(',', f);
                    }
                if (in) fprintf(f, ",%.9g", base[(size_t)OB_REPRO_MAX_PATHS * ns + i]);
                else fputc(',', f);
            }
        fputc('\n', f);
    }
    return ob_repro_csv_commit(&csv, err, errlen);
}

/* The measured figures (JSON) and the summary line. */
static void rates_report(const ob_repro_rates_measured *m, double floor, ob_repro_outcome *out)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "dimension", 100);
    cJSON_AddNumberToObject(j, "bound_floor", floor);
    double worst_all = 0, dev_all = 0;
    for (int ki = 0; ki < OB_RATE_KAPPAS; ki++) {
        char key[32];
        snprintf(key, sizeof key, "kappa_%g", kappas[ki]);
        cJSON *jk = cJSON_AddObjectToObject(j, key);
        cJSON_AddNumberToObject(jk, "heavy_ball_C", m->hb_constant[ki]);
        for (int r = 0; r < OB_RATE_METHODS; r++) {
            cJSON *jr = cJSON_AddObjectToObject(jk, rate_name[r]);
            cJSON_AddNumberToObject(jr, "steps", (double)m->steps[ki][r]);
            cJSON *jw = cJSON_AddObjectToObject(jr, "worst_ratio");
            cJSON *jx = cJSON_AddObjectToObject(jr, "exact_deviation");
            for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
                if (!((m->paths >> p) & 1u)) continue;
                ob_json_add_num(jw, ob_repro_path_name(p), m->worst[ki][r][p]);
                ob_json_add_num(jx, ob_repro_path_name(p), m->exact_dev[ki][r][p]);
                if (m->exact_dev[ki][r][p] > dev_all || isnan(m->exact_dev[ki][r][p])) dev_all = m->exact_dev[ki][r][p];
                if (m->worst[ki][r][p] > worst_all || isnan(m->worst[ki][r][p]))
                    worst_all = m->worst[ki][r][p];
            }
        }
    }
    ob_json_add_num(j, "worst_ratio", worst_all);
    ob_json_add_num(j, "exact_deviation", dev_all);
    out->measured = j;
    snprintf(out->summary, sizeof out->summary, "worst observed/bound over every kappa and path: %.3g;",
             worst_all);
    for (int r = 0; r < OB_RATE_METHODS; r++) {
        double w = 0;
        for (int ki = 0; ki < OB_RATE_KAPPAS; ki++)
            for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
                if (((m->paths >> p) & 1u) && (m->worst[ki][r][p] > w || isnan(m->worst[ki][r][p])))
                    w = m->worst[ki][r][p];
        ob_appendf(out->summary, sizeof out->summary, "%s %s %.3g", r ? "," : "", rate_label[r], w);
    }
    ob_appendf(out->summary, sizeof out->summary,
                     " (heavy-ball C = %.3g, %.3g, %.3g for kappa 10, 100, 1000); largest |observed/exact - 1| "
                     "%.2g",
                     m->hb_constant[0], m->hb_constant[1], m->hb_constant[2], dev_all);
}

static int rates_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                     size_t errlen)
{
    ob_repro_rates_measured m;
    memset(&m, 0, sizeof m);
    m.paths = op->paths;
    double floor = op->short_mode ? RATES_FLOOR_SHORT : RATES_FLOOR;
    if (!ob_optimizer_find("sgd")) {
        snprintf(err, errlen, "optimizer sgd missing from the table");
        return -1;
    }
    /* Samples on a common log-spaced grid up to the longest run. */
    const uint64_t cap = RATES_CAP;
    rate_series rs = {0};
    for (uint64_t t = 1; t; t = ob_engine_next_sample(t, cap, 40)) rs.ns++;
    rs.st = malloc(rs.ns * sizeof *rs.st);
    rs.per = (size_t)(OB_REPRO_MAX_PATHS + 1) * rs.ns;
    rs.buf = malloc((size_t)OB_RATE_KAPPAS * OB_RATE_METHODS * rs.per * sizeof *rs.buf);
    rs.scratch = malloc(6 * 100 * sizeof *rs.scratch);
    rs.exact = malloc((cap + 1) * sizeof *rs.exact);
    int rc = -1;
    if (!rs.st || !rs.buf || !rs.scratch || !rs.exact) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < (size_t)OB_RATE_KAPPAS * OB_RATE_METHODS * rs.per; i++) rs.buf[i] = NAN;
    rs.ns = 0;
    for (uint64_t t = 1; t; t = ob_engine_next_sample(t, cap, 40)) rs.st[rs.ns++] = t;
    for (int ki = 0; ki < OB_RATE_KAPPAS; ki++) {
        m.kappa[ki] = kappas[ki];
        if (rates_kappa(e, op, ki, floor, &rs, &m, out, err, errlen) != 0) goto done;
    }
    out->verdict = ob_repro_check_rates(&m, out->why, sizeof out->why);
    if (rates_csv(e, op, &m, &rs, out, err, errlen) != 0) goto done;
    rates_report(&m, floor, out);
    rc = 0;
done:
    free(rs.st);
    free(rs.buf);
    free(rs.scratch);
    free(rs.exact);
    return rc;
}

static int rates_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                        size_t errlen)
{
    return ob_repro_figure(e, o, out, NULL, err, errlen);
}

const ob_repro_entry ob_repro_rates = {
    "rates",
    "GD, heavy ball and Nesterov under their rate bounds",
    "Y. Nesterov, Introductory Lectures on Convex Optimization, 2004: Theorem 2.1.15 (GD, step 2/(L+mu)), "
    "scheme (2.2.19) and Theorem 2.2.3 (constant-step accelerated method); A. Beck, First-Order Methods in "
    "Optimization, 2017, Theorem 10.21 (GD, step 1/L); "
    "B. T. Polyak, Some methods of speeding up the convergence of iteration methods, 1964, and Introduction to "
    "Optimization, 1987, §3.2 (heavy ball)",
    "On strongly convex quadratics with condition number kappa = L/mu: GD with step 2/(L+mu) contracts at least "
    "as fast as ((kappa-1)/(kappa+1))^k in ||x_k - x*||; GD with step 1/L has f_k - f* <= L ||x_0 - x*||^2/(2k); "
    "the heavy ball with Polyak's alpha = 4/(sqrt L + sqrt mu)^2 and beta = q^2, q = (sqrt kappa - 1)/"
    "(sqrt kappa + 1), has ||x_k - x*|| <= C k q^k ||x_0 - x*|| with C = 1 + max(|1 - alpha mu|, |1 - alpha L|)/q; "
    "Nesterov's method (step 1/L, beta = q) has f_k - f* <= (1 - 1/sqrt kappa)^k (f_0 - f* + mu ||x_0 - x*||^2/2).",
    "Problem quad_diag, n = 100, cond = kappa in {10, 100, 1000} (curvatures log-spaced in [1, kappa], read back "
    "as the gradient at x0 = 1), x* = 0. All four run on the sgd kernel (torch semantics): GD as momentum 0; "
    "heavy ball as momentum = beta, lr = alpha (torch's buffer with lr outside it is exactly Polyak's "
    "recursion, x_k = p_{k+1}); Nesterov as nesterov = 1, lr = 1/L, momentum = q (torch's form tracks the "
    "look-ahead point y_k of scheme (2.2.19), so x_k = y_{k-1} - grad f(y_{k-1})/L is rebuilt in double for the "
    "bound). Each runs until its bound falls below " OB_REPRO_STR(RATES_FLOOR) " (" OB_REPRO_STR(RATES_FLOOR_SHORT) " in short mode; GD 1/L as long as GD 2/(L+mu); "
    "at most " OB_REPRO_STR(RATES_CAP) " steps), fp64 reference and every fp32 ISA; the ratio observed/bound is checked at every step, "
    "and so is observed/exact, exact being the method's own trajectory on this quadratic computed in double "
    "per curvature from the theorem's recursion (GD; Polyak's x_{k+1} = x_k - alpha grad + beta (x_k - "
    "x_{k-1}); scheme (2.2.19)) with the theorem's step and momentum.",
    "REPRODUCED when the worst ratio of observed to bound, over every step k >= 1, kappa, method and path, is "
    "<= 1 (+1e-9 for the rounding of the ratio itself) and every trajectory is the method's: |observed/exact "
    "- 1| <= " OB_REPRO_STR(OB_REPRO_RATE_EXACT_TOL) " at every step (fp32 rounding stays below 3e-3; a bound alone passes a faster method, e.g. "
    "plain momentum in place of Nesterov's or GD at 0.5/L under the 1/L bound); NOT REPRODUCED otherwise.",
    "repro_rates.gp",
    rates_run,
    rates_figure,
};
