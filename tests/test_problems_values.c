/*
 * test_problems_values.c — published and hand-computed values of the
 * catalog: f(x0) and f* of the Moré–Garbow–Hillstrom functions, the known
 * minima of the classics, the spectra of the quadratics, the noisy
 * quadratic model against its closed-form expected loss, the online
 * sequences of Reddi et al. 2018, the non-stationary and sparse problems,
 * and the counter-based RNG's known answers.
 *
 * Seed: OPTBENCH_SEED (default 20240611), printed where it matters.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/problems_testutil.h"
#include "problems/rng.h"

static ob_problem *create_n(const char *name, size_t n, const char *param)
{
    const char *ps[1] = {param};
    ob_problem_config cfg = {.n = n,
                             .seed = pt_seed(),
                             .params = param ? ps : NULL,
                             .n_params = param ? 1 : 0};
    ob_problem *pb = NULL;
    char err[256] = "";
    cr_assert(ob_problem_create(name, &cfg, &pb, err, sizeof err) == 0, "%s: %s", name, err);
    return pb;
}

static double f_at(ob_problem *pb, const double *x)
{
    return pb->eval(pb, x, NULL, 1);
}

/* |a - b| <= rel * |b| */
static int close_rel(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fabs(b);
}

/* v agrees with a value printed to `sig` significant digits: within one
 * unit of the last printed digit (MGH's tables truncate as often as they
 * round: Bard's 8.2148773e-3 is printed 8.21487e-3). */
static int agrees_printed(double v, double printed, int sig)
{
    double unit = pow(10.0, floor(log10(fabs(printed))) - (sig - 1));
    return fabs(v - printed) <= unit * (1.0 + 1e-9);
}

/* f(x0) as printed by MINPACK's lmder driver (file22): the initial norm of
 * the residuals, squared; f0_published holds exactly these. */
Test(mgh, f_x0_matches_minpack)
{
    static const struct {
        const char *name;
        double norm;
    } tab[] = {
        {"mgh_rosenbrock", 4.9193495504995}, /* sqrt(24.2) */
        {"mgh_freudenstein_roth", 20.0124960961895},
        {"mgh_jennrich_sampson", 64.5856498144943},
        {"mgh_helical_valley", 50.0},
        {"mgh_bard", 6.45613629515967},
        {"mgh_box3d", 32.1115837449572},
        {"mgh_powell_singular", 14.6628782986152},
        {"mgh_kowalik_osborne", 0.0728915102882945},
        {"mgh_brown_dennis", 2815.43839161816},
    };
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        ob_problem *pb = create_n(tab[i].name, 0, NULL);
        double f0 = f_at(pb, pb->x0);
        cr_expect(close_rel(sqrt(f0), tab[i].norm, 1e-13), "%s: |r(x0)| = %.15g, MINPACK %.15g", tab[i].name,
                  sqrt(f0), tab[i].norm);
        cr_expect(close_rel(pb->f0_published, f0, 1e-13), "%s: f0_published %.15g vs f(x0) %.15g",
                  tab[i].name, pb->f0_published, f0);
        ob_problem_destroy(pb);
    }
    /* Box 3-D with another m has no published f(x0). */
    ob_problem *pb = create_n("mgh_box3d", 0, "m=20");
    cr_expect(isnan(pb->f0_published));
    ob_problem_destroy(pb);
}

/* f(x0) worked out by hand from MGH's definitions (exact arithmetic). */
Test(mgh, f_x0_by_hand)
{
    static const struct {
        const char *name;
        size_t n;
        double f0;
    } tab[] = {
        /* Wood: 10^2*10^2 + 4^2 + 90*10^2 + 4^2 + 10*4^2 + 0 */
        {"mgh_wood", 0, 19192.0},
        /* Beale: 1.5^2 + 2.25^2 + 2.625^2 */
        {"mgh_beale", 0, 14.203125},
        /* Brown badly scaled: (1 - 1e6)^2 + (1 - 2e-6)^2 + (1 - 2)^2 */
        {"mgh_brown_badly_scaled", 0, 999998000001.0 + 0.999996000004 + 1.0},
        /* Extended Rosenbrock / Powell: copies of the 2- and 4-d problems */
        {"mgh_ext_rosenbrock", 10, 5 * 24.2},
        {"mgh_ext_powell", 12, 3 * 215.0},
        /* Penalty I, x0_j = j: 1e-5 sum (j-1)^2 + (sum j^2 - 1/4)^2 */
        {"mgh_penalty1", 4, 1e-5 * 14 + 29.75 * 29.75},
        {"mgh_penalty1", 10, 1e-5 * 285 + 384.75 * 384.75},
        /* Variably dimensioned, n = 10: x_j - 1 = -j/10, s = -38.5 */
        {"mgh_var_dim", 10, 3.85 + 38.5 * 38.5 + 38.5 * 38.5 * 38.5 * 38.5},
        /* Broyden tridiagonal, x0 = -1: f_1 = -2, f_n = -3, others -1 */
        {"mgh_broyden_tridiagonal", 10, 4 + 9 + 8},
        /* Broyden banded, x0 = -1: every f_i = -7 + 1 - 0 = -6 */
        {"mgh_broyden_banded", 10, 360.0},
    };
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        ob_problem *pb = create_n(tab[i].name, tab[i].n, NULL);
        double f0 = f_at(pb, pb->x0);
        cr_expect(close_rel(f0, tab[i].f0, 1e-13), "%s n = %zu: f(x0) = %.17g, expected %.17g", tab[i].name,
                  pb->n, f0, tab[i].f0);
        ob_problem_destroy(pb);
    }
    /* Powell badly scaled: f1 = -1, f2 = e^0 + e^-1 - 1.0001. */
    ob_problem *pb = create_n("mgh_powell_badly_scaled", 0, NULL);
    double r2 = exp(-1.0) - 0.0001;
    cr_expect(close_rel(f_at(pb, pb->x0), 1.0 + r2 * r2, 1e-15));
    ob_problem_destroy(pb);
    /* Trigonometric, x0 = 1/n: f_i = n - n cos(1/n) + i (1 - cos(1/n)) - sin(1/n). */
    pb = create_n("mgh_trigonometric", 10, NULL);
    double c = cos(0.1), s = sin(0.1), want = 0.0;
    for (int i = 1; i <= 10; i++) {
        double fi = 10.0 - 10.0 * c + i * (1.0 - c) - s;
        want += fi * fi;
    }
    cr_expect(close_rel(f_at(pb, pb->x0), want, 1e-13));
    ob_problem_destroy(pb);
}

/* f* as printed by MGH (6 significant digits) and the minimisers. */
Test(mgh, published_minima)
{
    static const struct {
        const char *name;
        size_t n;
        double fstar;
    } tab[] = {
        {"mgh_jennrich_sampson", 0, 124.362}, {"mgh_bard", 0, 8.21487e-3},
        {"mgh_gaussian", 0, 1.12793e-8},      {"mgh_kowalik_osborne", 0, 3.07506e-4},
        {"mgh_brown_dennis", 0, 85822.2},     {"mgh_biggs_exp6", 0, 5.65565e-3},
        {"mgh_penalty1", 4, 2.24997e-5},      {"mgh_penalty1", 10, 7.08765e-5},
    };
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        ob_problem *pb = create_n(tab[i].name, tab[i].n, NULL);
        double fs = f_at(pb, pb->xstar);
        cr_expect(agrees_printed(fs, tab[i].fstar, 6), "%s n = %zu: f(x*) = %.10g, MGH print %g", tab[i].name,
                  pb->n, fs, tab[i].fstar);
        /* x* is a stationary point. */
        double g[16];
        pb->eval(pb, pb->xstar, g, 1);
        double gmax = 0.0;
        for (size_t j = 0; j < pb->n; j++) gmax = fmax(gmax, fabs(g[j]));
        cr_expect(gmax < 1e-9 * fmax(1.0, fs), "%s: |grad f(x*)| = %g", tab[i].name, gmax);
        ob_problem_destroy(pb);
    }
    /* Zero-residual minima, and the other minima MGH mention. */
    ob_problem *pb = create_n("mgh_freudenstein_roth", 0, NULL);
    const double fr_local[2] = {11.4124844654993, -0.896827913731509}; /* MINPACK */
    cr_expect(agrees_printed(f_at(pb, fr_local), 48.9842, 6), "FR local minimum %.10g", f_at(pb, fr_local));
    ob_problem_destroy(pb);
    pb = create_n("mgh_biggs_exp6", 0, NULL);
    const double biggs0[6] = {1, 10, 1, 5, 4, 3};
    cr_expect(f_at(pb, biggs0) < 1e-30, "Biggs EXP6 at (1,10,1,5,4,3): %g", f_at(pb, biggs0));
    ob_problem_destroy(pb);
    pb = create_n("mgh_box3d", 0, NULL);
    const double box2[3] = {10, 1, -1};
    cr_expect(f_at(pb, box2) < 1e-30);
    ob_problem_destroy(pb);
    pb = create_n("mgh_powell_badly_scaled", 0, NULL);
    cr_expect(f_at(pb, pb->xstar) < 1e-25, "PBS f(x*) = %g", f_at(pb, pb->xstar));
    cr_expect(agrees_printed(pb->xstar[0], 1.098e-5, 4) && agrees_printed(pb->xstar[1], 9.106, 4));
    ob_problem_destroy(pb);
    /* MINPACK's Bard and Kowalik–Osborne minimisers agree with x*. */
    pb = create_n("mgh_bard", 0, NULL);
    const double bard[3] = {0.0824105765758334, 1.1330366534715, 2.34369463894115};
    for (int j = 0; j < 3; j++) cr_expect(fabs(pb->xstar[j] - bard[j]) < 1e-5 * (1 + fabs(bard[j])));
    ob_problem_destroy(pb);
}

Test(mgh, helical_valley_theta_is_mgh_definition)
{
    /* For x1 < 0, x2 < 0 MGH's theta is atan(x2/x1)/(2 pi) + 1/2, not
     * atan2's value (which is 1 lower). */
    ob_problem *pb = create_n("mgh_helical_valley", 0, NULL);
    const double x[3] = {-1.0, -1.0, 0.0};
    double theta = atan(1.0) / (2 * M_PI) + 0.5;
    double want = 100.0 * (10.0 * theta) * (10.0 * theta) + 100.0 * (sqrt(2.0) - 1) * (sqrt(2.0) - 1);
    cr_expect(close_rel(f_at(pb, x), want, 1e-14), "%.17g vs %.17g", f_at(pb, x), want);
    ob_problem_destroy(pb);
}

Test(classic, known_minima)
{
    ob_problem *pb = create_n("himmelblau", 0, NULL);
    static const double others[3][2] = {{-2.805118, 3.131312}, {-3.779310, -3.283186}, {3.584428, -1.848126}};
    for (int k = 0; k < 3; k++)
        cr_expect(f_at(pb, others[k]) < 1e-9, "Himmelblau minimum %d: %g", k, f_at(pb, others[k]));
    cr_expect(f_at(pb, pb->x0) == 170.0, "Himmelblau f(0, 0) = 121 + 49");
    ob_problem_destroy(pb);
    pb = create_n("booth", 0, NULL);
    cr_expect(f_at(pb, pb->xstar) == 0.0 && f_at(pb, pb->x0) == 74.0);
    ob_problem_destroy(pb);
    for (size_t n = 1; n <= 5; n += 2) {
        pb = create_n("styblinski_tang", n, NULL);
        cr_expect(fabs(pb->fstar / (double)n + 39.16617) < 5e-6, "Styblinski-Tang f*/n = %.10g",
                  pb->fstar / (double)n);
        cr_expect(fabs(pb->xstar[0] + 2.903534) < 5e-7, "x* = %.10g", pb->xstar[0]);
        ob_problem_destroy(pb);
        pb = create_n("rastrigin", n, NULL);
        cr_expect(pb->fstar == 0.0 && f_at(pb, pb->xstar) == 0.0);
        ob_problem_destroy(pb);
        pb = create_n("ackley", n, NULL);
        cr_expect(pb->fstar == 0.0 && f_at(pb, pb->xstar) == 0.0);
        ob_problem_destroy(pb);
    }
    /* Rastrigin: a local minimum near 1 (x = 0.99496) is worse than 0. */
    pb = create_n("rastrigin", 1, NULL);
    const double loc[1] = {0.994959};
    cr_expect(fabs(f_at(pb, loc) - 0.994959) < 1e-4);
    ob_problem_destroy(pb);
}

Test(quadratic, diagonal_condition_number)
{
    ob_problem *pb = create_n("quad_diag", 50, "cond=1e6");
    /* f(e_i)/f(e_j) ranges over the curvatures: 1 .. 1e6. */
    double *x = calloc(50, sizeof *x);
    x[0] = 1.0;
    double lo = f_at(pb, x);
    x[0] = 0.0;
    x[49] = 1.0;
    double hi = f_at(pb, x);
    cr_expect(lo == 0.5 && hi == 0.5e6, "curvatures %g .. %g", 2 * lo, 2 * hi);
    free(x);
    ob_problem_destroy(pb);
}

/* Largest eigenvalue by power iteration on the Hessian-vector products
 * g(x) - g(0) (exact for a quadratic). */
Test(quadratic, deep_spectrum_and_minimum)
{
    ob_problem_config cfg = {.seed = pt_seed(), .batch = 125};
    ob_problem *pb = NULL;
    char err[256];
    cr_assert(ob_problem_create("quadratic_deep", &cfg, &pb, err, sizeof err) == 0, "%s", err);
    double v[100], hv[100], g0[100], z[100] = {0};
    pb->eval(pb, z, g0, 1);
    double trace = 0.0;
    for (int i = 0; i < 100; i++) {
        double e[100] = {0};
        e[i] = 1.0;
        pb->eval(pb, e, hv, 1);
        trace += hv[i] - g0[i];
    }
    /* 90 eigenvalues in (0, 1), 10 in (30, 60). */
    cr_expect(trace > 300.0 && trace < 690.0, "trace %g", trace);
    for (int i = 0; i < 100; i++) v[i] = 1.0 / (1.0 + i);
    double lam = 0.0;
    for (int it = 0; it < 500; it++) {
        pb->eval(pb, v, hv, 1);
        double nrm = 0.0;
        for (int i = 0; i < 100; i++) {
            hv[i] -= g0[i];
            nrm += hv[i] * hv[i];
        }
        nrm = sqrt(nrm);
        lam = nrm;
        for (int i = 0; i < 100; i++) v[i] = hv[i] / nrm;
    }
    cr_expect(lam > 30.0 && lam < 60.0, "largest eigenvalue %g", lam);
    /* With batch 125 an epoch is the whole data set: the mean gradient at
     * x* over one epoch vanishes, and the mean loss is f*. */
    double mean_g[100] = {0}, mean_f = 0.0;
    for (uint64_t t = 1; t <= 8; t++) {
        mean_f += pb->eval(pb, pb->xstar, hv, t) / 8.0;
        for (int i = 0; i < 100; i++) mean_g[i] += hv[i] / 8.0;
    }
    for (int i = 0; i < 100; i++) cr_expect(fabs(mean_g[i]) < 1e-12, "mean gradient[%d] = %g", i, mean_g[i]);
    cr_expect(close_rel(mean_f, pb->fstar, 1e-12), "epoch mean %.17g vs f* %.17g", mean_f, pb->fstar);
    ob_problem_destroy(pb);
}

/* The noisy quadratic model: SGD from x0 over many seeds; the sample mean
 * of l(x_t) must match Zhang et al.'s closed form within 4 standard errors
 * (a false alarm has probability ~6e-5), at several t. */
Test(quadratic, nqm_matches_closed_form)
{
    enum { N = 20, RUNS = 4000, T = 40 };
    const double lr = 0.7;
    const uint64_t checks[3] = {1, 10, T};
    double sum[3] = {0}, sum2[3] = {0};
    ob_problem_config cfg = {.n = N, .batch = 4};
    ob_problem *pb = NULL;
    char err[256];
    double x[N], g[N];
    for (int run = 0; run < RUNS; run++) {
        cfg.seed = pt_seed() * 7919 + (uint64_t)run;
        cr_assert(ob_problem_create("nqm", &cfg, &pb, err, sizeof err) == 0, "%s", err);
        memcpy(x, pb->x0, sizeof x);
        for (uint64_t t = 1, k = 0; t <= T; t++) {
            pb->eval(pb, x, g, t);
            for (int i = 0; i < N; i++) x[i] -= lr * g[i];
            if (t == checks[k]) {
                double l = pb->loss(pb, x, t);
                sum[k] += l;
                sum2[k] += l * l;
                k++;
            }
        }
        if (run + 1 < RUNS) ob_problem_destroy(pb);
    }
    for (int k = 0; k < 3; k++) {
        double mean = sum[k] / RUNS, var = (sum2[k] - RUNS * mean * mean) / (RUNS - 1);
        double se = sqrt(var / RUNS), want = ob_nqm_expected_loss_sgd(pb, lr, checks[k]);
        cr_expect(fabs(mean - want) <= 4.0 * se,
                  "t = %llu: sample mean %.6g +- %.2g, closed form %.6g (seed %llu)",
                  (unsigned long long)checks[k], mean, se, want, (unsigned long long)pt_seed());
    }
    /* t = 0: the loss at x0. */
    cr_expect(close_rel(ob_nqm_expected_loss_sgd(pb, lr, 0), pb->loss(pb, pb->x0, 0), 1e-14));
    ob_problem_destroy(pb);
    cr_expect(isnan(ob_nqm_expected_loss_sgd(NULL, lr, 1)));
    pb = create_n("quad_diag", 4, NULL);
    cr_expect(isnan(ob_nqm_expected_loss_sgd(pb, lr, 1)), "not an nqm instance");
    ob_problem_destroy(pb);
}

Test(nonstationary, jump_and_drift)
{
    ob_problem *pb = create_n("drifting_quadratic", 5, "period=100");
    double z[5] = {0}, one[5] = {1, 1, 1, 1, 1}, ga[5], gb[5], gh[5], c[5];
    /* The target c(t) = -g(0)/h with h = g(1) - g(0); f_t(c(t)) = 0. */
    pb->eval(pb, z, ga, 1);
    pb->eval(pb, one, gh, 1);
    for (int i = 0; i < 5; i++) {
        c[i] = -ga[i] / (gh[i] - ga[i]);
        cr_expect(c[i] >= -1 && c[i] <= 1, "target outside [-1, 1]");
    }
    cr_expect(f_at(pb, c) < 1e-28, "f_1(c(1)) = %g", f_at(pb, c));
    pb->eval(pb, z, gb, 100);
    cr_expect(memcmp(ga, gb, sizeof ga) == 0, "the target moved inside a period");
    pb->eval(pb, z, gb, 101);
    cr_expect(memcmp(ga, gb, sizeof ga) != 0, "the target did not jump after a period");
    cr_expect(pb->loss(pb, c, 1) < 1e-28 && pb->loss(pb, c, 101) > 1e-3);
    ob_problem_destroy(pb);
    pb = create_n("drifting_quadratic", 5, "mode=drift");
    pb->eval(pb, z, ga, 1);
    pb->eval(pb, z, gb, 2);
    double d = 0.0, m = 0.0;
    for (int i = 0; i < 5; i++) {
        d = fmax(d, fabs(ga[i] - gb[i]));
        m = fmax(m, fabs(ga[i]));
    }
    cr_expect(d > 0 && d < 0.05 * m, "drift per step %g of %g", d, m);
    ob_problem_destroy(pb);
}

Test(sparse, gradients_are_sparse_and_features_power_law)
{
    ob_problem *pb = create_n("sparse_logreg", 0, NULL);
    size_t n = pb->n;
    double *g = malloc(n * sizeof *g);
    unsigned *hits = calloc(n, sizeof *hits);
    cr_expect(close_rel(pb->loss(pb, pb->x0, 1), log(2.0), 1e-12), "loss(0) = log 2");
    size_t worst = 0;
    for (uint64_t t = 1; t <= 300; t++) {
        pb->eval(pb, pb->x0, g, t);
        size_t nz = 0;
        for (size_t i = 0; i < n; i++)
            if (g[i] != 0.0) {
                nz++;
                hits[i]++;
            }
        worst = nz > worst ? nz : worst;
    }
    /* At most batch x nnz = 160 of 10000 coordinates move per step. */
    cr_expect(worst <= 160 && worst > 0, "non-zeros per step: %zu (seed %llu)", worst,
              (unsigned long long)pt_seed());
    unsigned head = 0, tail = 0, never = 0;
    for (size_t i = 0; i < 100; i++) head += hits[i];
    for (size_t i = n - 100; i < n; i++) tail += hits[i];
    for (size_t i = 0; i < n; i++) never += hits[i] == 0;
    cr_expect(head > 20 * (tail + 1), "first 100 features hit %u times, last 100 %u (seed %llu)", head, tail,
              (unsigned long long)pt_seed());
    cr_expect(never > n / 2, "most features are rare: %u of %zu never seen in 300 steps", never, n);
    free(g);
    free(hits);
    ob_problem_destroy(pb);
}

Test(online, sequences_and_minima)
{
    ob_problem *pb = create_n("amsgrad_thm1", 0, NULL);
    double one[1] = {1.0}, g[1];
    static const double thm1[7] = {3, -1, -1, 3, -1, -1, 3};
    for (uint64_t t = 1; t <= 7; t++) {
        pb->eval(pb, one, g, t);
        cr_expect(g[0] == thm1[t - 1], "Theorem 1, t = %llu: slope %g", (unsigned long long)t, g[0]);
    }
    cr_expect(pb->has_box && pb->box_lo == -1 && pb->box_hi == 1 && pb->x0[0] == 0);
    cr_expect(pb->xstar[0] == -1 && close_rel(pb->fstar, -1.0 / 3.0, 1e-15));
    cr_expect(close_rel(pb->loss(pb, one, 1), 1.0 / 3.0, 1e-15));
    double x[1] = {7.0};
    ob_problem_project(pb, x);
    cr_expect(x[0] == 1.0);
    x[0] = NAN;
    ob_problem_project(pb, x);
    cr_expect(isnan(x[0]), "projection must not hide a NaN");
    ob_problem_destroy(pb);
    pb = create_n("amsgrad_thm1", 0, "C=5");
    pb->eval(pb, one, g, 4);
    cr_expect(g[0] == 5 && close_rel(pb->fstar, -1.0, 1e-15));
    ob_problem_destroy(pb);
    pb = create_n("amsgrad_online", 0, NULL);
    for (uint64_t t = 1; t <= 203; t++) {
        pb->eval(pb, one, g, t);
        cr_expect(g[0] == (t % 101 == 1 ? 1010.0 : -10.0), "§5 online, t = %llu", (unsigned long long)t);
    }
    cr_expect(close_rel(pb->fstar, -10.0 / 101.0, 1e-15));
    ob_problem_destroy(pb);
    pb = create_n("amsgrad_stochastic", 0, NULL);
    enum { T = 200000 };
    unsigned big = 0;
    for (uint64_t t = 1; t <= T; t++) {
        pb->eval(pb, one, g, t);
        cr_assert(g[0] == 1010.0 || g[0] == -10.0);
        big += g[0] == 1010.0;
    }
    double p = (double)big / T, se = sqrt(0.01 * 0.99 / T);
    cr_expect(fabs(p - 0.01) < 4 * se, "P(1010 x) = %g, expected 0.01 +- %g (seed %llu)", p, se,
              (unsigned long long)pt_seed());
    cr_expect(close_rel(pb->fstar, -0.2, 1e-14));
    ob_problem_destroy(pb);
}

Test(rng, philox_known_answers)
{
    /* Random123's kat_vectors for philox4x32-10. */
    static const uint32_t ctr[3][4] = {{0, 0, 0, 0},
                                       {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                                       {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}};
    static const uint32_t key[3][2] = {{0, 0}, {0xffffffff, 0xffffffff}, {0xa4093822, 0x299f31d0}};
    static const uint32_t want[3][4] = {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                                        {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                                        {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int k = 0; k < 3; k++) {
        uint32_t out[4];
        ob_philox4x32_10(ctr[k], key[k], out);
        cr_expect(memcmp(out, want[k], sizeof out) == 0, "vector %d: %08x %08x %08x %08x", k, out[0], out[1],
                  out[2], out[3]);
    }
}

Test(rng, distributions_and_sampler)
{
    ob_philox r;
    ob_philox_init(&r, pt_seed(), OB_STREAM_DATA, 0);
    enum { M = 200000 };
    double s = 0, s2 = 0, u = 0;
    unsigned below[7] = {0};
    for (int i = 0; i < M; i++) {
        double z = ob_philox_normal(&r);
        s += z;
        s2 += z * z;
        u += ob_philox_uniform(&r);
        below[ob_philox_below(&r, 7)]++;
    }
    cr_expect(fabs(s / M) < 4 / sqrt(M) && fabs(s2 / M - 1) < 4 * sqrt(2.0 / M), "normal %g %g", s / M,
              s2 / M);
    cr_expect(fabs(u / M - 0.5) < 4 * sqrt(1.0 / 12 / M), "uniform mean %g", u / M);
    for (int k = 0; k < 7; k++)
        cr_expect(fabs(below[k] / (double)M - 1.0 / 7) < 4 * sqrt(1.0 / 7 * 6 / 7 / M), "below(7) = %d: %u",
                  k, below[k]);
    /* The sampler: each epoch is a permutation; the remainder is dropped. */
    ob_pb_sampler sm;
    cr_assert(ob_pb_sampler_init(&sm, pt_seed(), OB_STREAM_BATCH, 10, 3) == 0);
    for (uint64_t e = 0; e < 3; e++) {
        unsigned seen[10] = {0};
        for (uint64_t k = 0; k < 3; k++) {
            const uint32_t *b = ob_pb_sampler_batch(&sm, 1 + 3 * e + k);
            for (int j = 0; j < 3; j++) seen[b[j]]++;
        }
        unsigned once = 0;
        for (int i = 0; i < 10; i++) once += seen[i] == 1;
        cr_expect(once == 9, "epoch %llu: %u distinct of 9", (unsigned long long)e, once);
    }
    ob_pb_sampler_free(&sm);
}
