/*
 * sweep_bayes.c — Bayesian search (`sweep --search bayes --budget N`,
 * README "Search strategies"): per (problem, optimizer), a Gaussian
 * process over the unit cube of its --grid axes (log ranges in log space)
 * models the sweep's own criterion, and rounds of expected-improvement
 * maxima are run until the pair has N settings.
 *
 *   model        GP with a constant mean, Matérn-5/2 kernel with one length
 *                scale per axis, signal and noise variances (Rasmussen &
 *                Williams 2006, eq. 4.17), fitted by maximum marginal
 *                likelihood (ibid. eq. 5.8) with GSL's Nelder-Mead simplex
 *                (gsl_multimin_fminimizer_nmsimplex2) inside fixed bounds;
 *                the algebra is GSL's Cholesky (gsl_linalg_cholesky_*) and
 *                triangular solve (gsl_blas_dtrsv).
 *   target       the criterion the sweep ranks by: the median over seeds of
 *                the final loss, as log10(f - f*) where f* is known (floored
 *                at the target tol on deterministic problems, where the
 *                ranking counts everything within it as equal), log10 f
 *                where every median is positive, else f; a diverged
 *                setting (+inf) is capped at the worst finite value, so
 *                that it repels the search without an infinite jump
 *                (Snoek, Larochelle & Adams 2012 treat failures alike).
 *   acquisition  expected improvement (Jones, Schonlau & Welch 1998),
 *                maximised over a Sobol candidate set (shifted by the
 *                search seed) and refined by Nelder-Mead from its best
 *                three.
 *   start        max(3, 2d) Sobol points (planned by sweep.c).
 *   batches      --proposals points per round (default: --jobs), by the
 *                constant liar with the lie min(y) (Ginsbourger, Le Riche
 *                & Carraro 2010): each chosen point joins the model with
 *                the best value so far, the hyperparameters kept, before
 *                the next is chosen.
 *
 * Deterministic: a round is a function of the recorded results, the seed
 * and the specification, so a resumed search replays the rounds it had
 * done (their runs are found recorded) and goes on as if uninterrupted.
 */
#include "sweep_internal.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"

/* ---- the Gaussian process --------------------------------------------------------- */

/* Bounds of the hyperparameters, on inputs in [0, 1] and standardised
 * targets: length scales from a fiftieth of the box to ten boxes, signal
 * variance 0.05..20, noise variance 1e-6..1 (the fit decides how noisy
 * the criterion is; 1e-6 keeps the factorisation well conditioned). */
#define LEN_LO 0.02
#define LEN_HI 10.0
#define S2_LO 0.05
#define S2_HI 20.0
#define NOISE_LO 1e-6
#define NOISE_HI 1.0

static double matern52(const ob_gp *gp, const double *a, const double *b)
{
    double r2 = 0;
    for (size_t k = 0; k < gp->d; k++) {
        double t = (a[k] - b[k]) / gp->len[k];
        r2 += t * t;
    }
    double r = sqrt(5.0 * r2);
    return gp->s2 * (1.0 + r + r * r / 3.0) * exp(-r);
}

/* K + noise I, factorised, and alpha; 0, or -1 when not positive definite. */
static int condition(ob_gp *gp)
{
    size_t n = gp->n;
    gsl_matrix_free(gp->L);
    gsl_vector_free(gp->alpha);
    gp->L = gsl_matrix_alloc(n, n);
    gp->alpha = gsl_vector_alloc(n);
    if (!gp->L || !gp->alpha) return -1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double k = matern52(gp, gp->x + i * gp->d, gp->x + j * gp->d) + (i == j ? gp->noise : 0);
            gsl_matrix_set(gp->L, i, j, k);
            gsl_matrix_set(gp->L, j, i, k);
        }
    if (gsl_linalg_cholesky_decomp1(gp->L) != GSL_SUCCESS) return -1;
    gsl_vector_const_view y = gsl_vector_const_view_array(gp->y, n);
    return gsl_linalg_cholesky_solve(gp->L, &y.vector, gp->alpha) == GSL_SUCCESS ? 0 : -1;
}

/* theta (unbounded) -> the hyperparameters: a logistic map into the log
 * of each bound, so the simplex searches freely and stays inside. */
static double bounded(double z, double lo, double hi)
{
    return exp(log(lo) + (log(hi) - log(lo)) / (1.0 + exp(-z)));
}

static void set_theta(ob_gp *gp, const gsl_vector *z)
{
    for (size_t k = 0; k < gp->d; k++) gp->len[k] = bounded(gsl_vector_get(z, k), LEN_LO, LEN_HI);
    gp->s2 = bounded(gsl_vector_get(z, gp->d), S2_LO, S2_HI);
    gp->noise = bounded(gsl_vector_get(z, gp->d + 1), NOISE_LO, NOISE_HI);
}

/* The log marginal likelihood at gp's hyperparameters (-inf when K is not
 * positive definite): -y'a/2 - sum log L_ii - n log(2 pi)/2. */
static double log_ml(ob_gp *gp)
{
    if (condition(gp) != 0) return -INFINITY;
    double fit = 0, logdet = 0;
    for (size_t i = 0; i < gp->n; i++) {
        fit += gp->y[i] * gsl_vector_get(gp->alpha, i);
        logdet += log(gsl_matrix_get(gp->L, i, i));
    }
    return -0.5 * fit - logdet - 0.5 * (double)gp->n * log(2 * M_PI);
}

static double neg_lml(const gsl_vector *z, void *ctx)
{
    ob_gp *gp = ctx;
    set_theta(gp, z);
    double l = log_ml(gp);
    return isfinite(l) ? -l : 1e300;
}

/* Nelder-Mead from z0; returns the minimum, the point in z0. */
static double simplex_min(gsl_multimin_function *fn, gsl_vector *z0, double step, size_t iters)
{
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, fn->n);
    gsl_vector *ss = gsl_vector_alloc(fn->n);
    if (!m || !ss) {
        gsl_multimin_fminimizer_free(m);
        gsl_vector_free(ss);
        return fn->f(z0, fn->params);
    }
    gsl_vector_set_all(ss, step);
    gsl_multimin_fminimizer_set(m, fn, z0, ss);
    for (size_t it = 0; it < iters; it++) {
        if (gsl_multimin_fminimizer_iterate(m) != GSL_SUCCESS) break;
        if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), 1e-5) == GSL_SUCCESS) break;
    }
    double f = gsl_multimin_fminimizer_minimum(m);
    gsl_vector_memcpy(z0, gsl_multimin_fminimizer_x(m));
    gsl_multimin_fminimizer_free(m);
    gsl_vector_free(ss);
    return f;
}

int ob_gp_fit(ob_gp *gp, const double *x, const double *y, size_t n, size_t d, char *err, size_t errlen)
{
    /* GSL's default handler aborts; here every status is checked. */
    gsl_set_error_handler_off();
    memset(gp, 0, sizeof *gp);
    if (n < 1 || d < 1 || d > OB_SWEEP_MAX_AXES) return ob_fail(err, errlen, "a GP needs data in 1 to %d dimensions", OB_SWEEP_MAX_AXES);
    gp->n = n;
    gp->d = d;
    gp->cap = n + 64;
    gp->x = malloc(gp->cap * d * sizeof *gp->x);
    gp->y = malloc(gp->cap * sizeof *gp->y);
    gsl_vector *z = gsl_vector_alloc(d + 2), *best = gsl_vector_alloc(d + 2);
    if (!gp->x || !gp->y || !z || !best) {
        gsl_vector_free(z);
        gsl_vector_free(best);
        return ob_fail(err, errlen, "out of memory");
    }
    memcpy(gp->x, x, n * d * sizeof *x);
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++) mean += y[i] / (double)n;
    for (size_t i = 0; i < n; i++) var += (y[i] - mean) * (y[i] - mean) / (double)n;
    gp->ymean = mean;
    gp->ysd = var > 1e-24 ? sqrt(var) : 1.0;
    gp->best = INFINITY;
    for (size_t i = 0; i < n; i++) {
        gp->y[i] = (y[i] - mean) / gp->ysd;
        gp->best = fmin(gp->best, gp->y[i]);
    }
    /* Three starts: short, middling and long length scales (the middle of
     * the signal and noise ranges); the best likelihood wins, the earlier
     * start on ties. */
    gsl_multimin_function fn = {neg_lml, d + 2, gp};
    double fbest = INFINITY;
    static const double starts[] = {-2.0, 0.0, 2.0};
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        gsl_vector_set_all(z, starts[s]);
        gsl_vector_set(z, d, 0.0);
        gsl_vector_set(z, d + 1, -1.0);
        double f = simplex_min(&fn, z, 1.0, 400);
        if (f < fbest) {
            fbest = f;
            gsl_vector_memcpy(best, z);
        }
    }
    set_theta(gp, best);
    gp->lml = -fbest;
    gsl_vector_free(z);
    gsl_vector_free(best);
    if (!isfinite(fbest) || fbest >= 1e300 || condition(gp) != 0)
        return ob_fail(err, errlen, "the GP's covariance is not positive definite at any hyperparameters tried");
    return 0;
}

int ob_gp_add(ob_gp *gp, const double *x, double y_std)
{
    if (gp->n == gp->cap) {
        size_t cap = gp->cap * 2;
        double *nx = realloc(gp->x, cap * gp->d * sizeof *nx);
        if (nx) gp->x = nx;
        double *ny = realloc(gp->y, cap * sizeof *ny);
        if (ny) gp->y = ny;
        if (!nx || !ny) return -1;
        gp->cap = cap;
    }
    memcpy(gp->x + gp->n * gp->d, x, gp->d * sizeof *x);
    gp->y[gp->n++] = y_std;
    return condition(gp);
}

/* Mean and sd in standardised units. */
static void predict_std(const ob_gp *gp, const double *x, double *mean, double *sd)
{
    gsl_vector *k = gsl_vector_alloc(gp->n);
    if (!k) {
        *mean = 0;
        *sd = sqrt(gp->s2);
        return;
    }
    for (size_t i = 0; i < gp->n; i++) gsl_vector_set(k, i, matern52(gp, x, gp->x + i * gp->d));
    gsl_blas_ddot(k, gp->alpha, mean);
    /* var = k(x,x) - v'v with L v = k. */
    gsl_blas_dtrsv(CblasLower, CblasNoTrans, CblasNonUnit, gp->L, k);
    double vv;
    gsl_blas_ddot(k, k, &vv);
    double var = gp->s2 - vv;
    *sd = var > 1e-18 ? sqrt(var) : 1e-9;
    gsl_vector_free(k);
}

void ob_gp_predict(const ob_gp *gp, const double *x, double *mean, double *sd)
{
    predict_std(gp, x, mean, sd);
    *mean = gp->ymean + gp->ysd * *mean;
    *sd *= gp->ysd;
}

double ob_gp_ei(const ob_gp *gp, const double *x)
{
    double mu, sd;
    predict_std(gp, x, &mu, &sd);
    double z = (gp->best - mu) / sd;
    return (gp->best - mu) * gsl_cdf_ugaussian_P(z) + sd * gsl_ran_ugaussian_pdf(z);
}

/* The point z of the simplex, clamped into the box [0, 1]^d. */
static void clamped(const gsl_vector *z, size_t d, double *x)
{
    for (size_t k = 0; k < d; k++) {
        double v = gsl_vector_get(z, k);
        x[k] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
}

/* -EI at a point clamped into the box (the refinement's objective). */
static double neg_ei(const gsl_vector *z, void *ctx)
{
    const ob_gp *gp = ctx;
    double x[OB_SWEEP_MAX_AXES];
    clamped(z, gp->d, x);
    return -ob_gp_ei(gp, x);
}

typedef struct scored {
    double ei;
    size_t i;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *p = a, *q = b;
    if (p->ei != q->ei) return p->ei > q->ei ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

int ob_gp_argmax_ei(const ob_gp *gp, const double *cand, size_t m, double *x, size_t *order)
{
    scored *s = malloc((m ? m : 1) * sizeof *s);
    gsl_vector *z = gsl_vector_alloc(gp->d);
    if (!s || !z || m == 0) {
        free(s);
        gsl_vector_free(z);
        return -1;
    }
    for (size_t i = 0; i < m; i++) s[i] = (scored){ob_gp_ei(gp, cand + i * gp->d), i};
    qsort(s, m, sizeof *s, cmp_scored);
    for (size_t i = 0; i < m; i++) order[i] = s[i].i;
    memcpy(x, cand + s[0].i * gp->d, gp->d * sizeof *x);
    double best = s[0].ei;
    gsl_multimin_function fn = {neg_ei, gp->d, (void *)gp};
    for (size_t r = 0; r < 3 && r < m; r++) {
        for (size_t k = 0; k < gp->d; k++) gsl_vector_set(z, k, cand[s[r].i * gp->d + k]);
        double f = -simplex_min(&fn, z, 0.02, 200);
        if (f > best) {
            best = f;
            clamped(z, gp->d, x);
        }
    }
    free(s);
    gsl_vector_free(z);
    return 0;
}

void ob_gp_free(ob_gp *gp)
{
    free(gp->x);
    free(gp->y);
    gsl_matrix_free(gp->L);
    gsl_vector_free(gp->alpha);
    memset(gp, 0, sizeof *gp);
}

/* ---- one round of the search ------------------------------------------------------- */

/* Candidates: 256 Sobol points per dimension (at most 4096), shifted by
 * the seed. */
#define CAND_PER_DIM 256
#define CAND_MAX 4096

double ob_sweep_setting_gap(const ob_sweep *sw, size_t i, int *has_fstar)
{
    const ob_sweep_setting *s = &sw->settings[i];
    double loss[OB_SWEEP_MAX_SEEDS], fstar = 0, tol = NAN;
    *has_fstar = 0;
    for (size_t r = 0; r < s->n_runs && r < OB_SWEEP_MAX_SEEDS; r++) {
        const ob_sweep_run *run = &sw->runs[s->first_run + r];
        if (!run->done) return NAN;
        loss[r] = isfinite(run->final_loss) ? run->final_loss : INFINITY;
        if (run->has_fstar) {
            *has_fstar = 1;
            fstar = run->fstar;
            tol = run->tol;
        }
    }
    double m = ob_median(loss, s->n_runs);
    if (!*has_fstar || !isfinite(m)) return m;
    double floor_v = !sw->problems[s->problem]->stochastic && isfinite(tol) && tol > 0 ? tol : -INFINITY;
    return m - fstar > floor_v ? m - fstar : floor_v;
}

/* The GP's targets for the settings of (pi, oi) (see the top of the
 * file), their unit coordinates, and how many; -1 when a run is missing
 * (it failed) or out of memory. */
static long pair_data(const ob_sweep *sw, size_t pi, size_t oi, const size_t *axes, size_t d, double **xo,
                      double **yo)
{
    size_t n = 0;
    for (size_t i = 0; i < sw->n_settings; i++) n += sw->settings[i].problem == pi && sw->settings[i].opt == oi;
    double *x = malloc((n ? n : 1) * d * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    int has_fstar = 0, all_pos = 1;
    size_t k = 0;
    for (size_t i = 0; x && y && i < sw->n_settings; i++) {
        const ob_sweep_setting *s = &sw->settings[i];
        if (s->problem != pi || s->opt != oi) continue;
        y[k] = ob_sweep_setting_gap(sw, i, &has_fstar);
        if (isnan(y[k])) break;
        all_pos &= y[k] > 0;
        for (size_t a = 0; a < d; a++) x[k * d + a] = ob_sweep_axis_unit(&sw->axes[axes[a]], s->value[axes[a]]);
        k++;
    }
    if (!x || !y || k < n) {
        free(x);
        free(y);
        return -1;
    }
    double worst = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i])) continue;
        if (has_fstar) y[i] = log10(y[i] > 1e-300 ? y[i] : 1e-300);
        else if (all_pos) y[i] = log10(y[i]);
        worst = fmax(worst, y[i]);
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i])) y[i] = isfinite(worst) ? worst : 0;
    *xo = x;
    *yo = y;
    return (long)n;
}

/* Proposes up to q settings for (pi, oi) and adds them; returns how many
 * were added, or -1 with a message. */
static long propose(ob_sweep *sw, size_t pi, size_t oi, uint64_t q, char *err, size_t errlen)
{
    size_t axes[OB_SWEEP_MAX_AXES], d = ob_sweep_pair_axes(sw, oi, axes);
    double *x = NULL, *y = NULL, *cand = NULL;
    size_t *order = NULL;
    ob_gp gp = {0};
    long added = 0;
    long n = pair_data(sw, pi, oi, axes, d, &x, &y);
    if (n <= 0) return n < 0 ? ob_fail(err, errlen, "%s.%s: a run did not finish", sw->problems[pi]->name, sw->opts[oi]->name) : 0;
    size_t m = CAND_PER_DIM * d < CAND_MAX ? CAND_PER_DIM * d : CAND_MAX;
    cand = malloc(m * d * sizeof *cand);
    order = malloc(m * sizeof *order);
    if (!cand || !order) {
        added = ob_fail(err, errlen, "out of memory");
        goto done;
    }
    if (ob_sweep_qrng_points(OB_SWEEP_SEARCH_SOBOL, d, m, sw->seed + 1, cand, err, errlen) != 0 ||
        ob_gp_fit(&gp, x, y, (size_t)n, d, err, errlen) != 0) {
        added = -1;
        goto done;
    }
    /* Snapped candidates: a list axis can only be at its cells' middles. */
    for (size_t i = 0; i < m; i++)
        for (size_t a = 0; a < d; a++) cand[i * d + a] = ob_sweep_axis_snap(&sw->axes[axes[a]], cand[i * d + a]);
    double lie = gp.best;
    for (uint64_t j = 0; j < q; j++) {
        double u[OB_SWEEP_MAX_AXES], value[OB_SWEEP_MAX_AXES] = {0};
        if (ob_gp_argmax_ei(&gp, cand, m, u, order) != 0) {
            added = ob_fail(err, errlen, "out of memory");
            goto done;
        }
        /* The maximiser, else the candidates in order of EI: the first
         * that is a new, valid setting. */
        int ok = 0;
        for (size_t t = 0; t <= m && !ok; t++) {
            const double *p = t == 0 ? u : cand + order[t - 1] * d;
            for (size_t a = 0; a < d; a++) {
                u[a] = ob_sweep_axis_snap(&sw->axes[axes[a]], p[a]);
                value[axes[a]] = ob_sweep_axis_at(&sw->axes[axes[a]], u[a]);
            }
            int rc = ob_sweep_add_point(sw, pi, oi, value, 0, err, errlen);
            if (rc < 0) {
                added = -1;
                goto done;
            }
            ok = rc;
        }
        if (!ok) break; /* nothing new left to try */
        added++;
        if (j + 1 < q && ob_gp_add(&gp, u, lie) != 0) break;
    }
done:
    ob_gp_free(&gp);
    free(x);
    free(y);
    free(cand);
    free(order);
    return added;
}

/* One round over every (problem, optimizer) short of its budget; returns
 * the settings added (0: the search is over), or -1 with a message. */
static long bayes_round(ob_sweep *sw, char *err, size_t errlen)
{
    long total = 0;
    for (size_t pi = 0; pi < sw->n_problems; pi++)
        for (size_t oi = 0; oi < sw->n_opts; oi++) {
            if (!sw->bases[pi * sw->n_opts + oi].opt) continue; /* left out: no kernel */
            uint64_t have = 0;
            for (size_t i = 0; i < sw->n_settings; i++)
                have += sw->settings[i].problem == pi && sw->settings[i].opt == oi;
            if (have >= sw->budget) continue;
            uint64_t q = sw->budget - have < sw->proposals ? sw->budget - have : sw->proposals;
            long got = propose(sw, pi, oi, q, err, errlen);
            if (got < 0) return -1;
            total += got;
        }
    return total;
}

/* The test hook (OB_SWEEP_TEST_SIGNAL_ENV "K:SIG") counts the records of
 * one ob_sweep_execute; across rounds it is carried on by lowering K by
 * what each round recorded, so that K counts the whole search. */
static void carry_test_hook(size_t recorded)
{
    const char *hook = getenv(OB_SWEEP_TEST_SIGNAL_ENV);
    unsigned long k;
    int sig;
    if (!hook || sscanf(hook, "%lu:%d", &k, &sig) != 2) return;
    char buf[64];
    snprintf(buf, sizeof buf, "%lu:%d", k > recorded ? k - recorded : 0, sig);
    if (k <= recorded) unsetenv(OB_SWEEP_TEST_SIGNAL_ENV);
    else setenv(OB_SWEEP_TEST_SIGNAL_ENV, buf, 1);
}

static size_t count_done(const ob_sweep *sw)
{
    size_t n = 0;
    for (size_t i = 0; i < sw->n_runs; i++) n += sw->runs[i].done;
    return n;
}

int ob_sweep_run_search(ob_sweep *sw, const char *sweep_dir, const ob_sweep_exec_opts *o, size_t *n_failed,
                        char *err, size_t errlen)
{
    for (;;) {
        size_t before = count_done(sw);
        int rc = ob_sweep_execute(sw, sweep_dir, o, n_failed, err, errlen);
        if (rc != OB_EXIT_OK || sw->search != OB_SWEEP_SEARCH_BAYES) return rc;
        carry_test_hook(count_done(sw) - before);
        long added = bayes_round(sw, err, errlen);
        if (added < 0) return OB_EXIT_FAIL;
        if (added == 0) return OB_EXIT_OK;
        /* A resumed search finds the runs of the rounds it replays. */
        ob_sweep_load_done(sw, sweep_dir);
    }
}
