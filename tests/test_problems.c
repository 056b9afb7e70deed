/*
 * test_problems.c — checks that hold for every entry of the problem
 * catalog: the table is well formed; each entry creates with its defaults,
 * has a finite x0, f(x*) = f* where x* is known; every gradient agrees with
 * finite differences at x0 and at random points; stochastic entries
 * reproduce their batches from (seed, t); every create() rejects a bad
 * configuration with a message naming the problem; and every entry with a
 * user-chosen n works from its smallest n up to n = 10^7.
 *
 * Seed: OPTBENCH_SEED (default 20240611), printed in every message that
 * depends on it.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/problems_testutil.h"

#define MAX_ENTRIES 64

typedef struct pname {
    char name[48];
} pname;

static pname names[MAX_ENTRIES];

static size_t fill_names(void)
{
    size_t k = ob_problem_count < MAX_ENTRIES ? ob_problem_count : MAX_ENTRIES;
    for (size_t i = 0; i < k; i++)
        snprintf(names[i].name, sizeof names[i].name, "%s", ob_problem_table[i]->name);
    return k;
}

/* A test run once per catalog entry (a ParameterizedTest over the names);
 * the body sees the entry as p->name. */
#define FOR_EACH_ENTRY(test) \
    ParameterizedTestParameters(catalog, test) \
    { \
        return cr_make_param_array(pname, names, fill_names()); \
    } \
    ParameterizedTest(pname *p, catalog, test)

/* Creates `name` with the test configuration (generated data where the
 * entry needs a data set); aborts the test with the message on failure. */
static ob_problem *make(const char *name, pt_config *pc)
{
    const char *dir = pt_tmpdir();
    cr_assert(dir != NULL, "cannot create a temporary folder");
    pt_config_for(name, dir, pc);
    ob_problem *pb = NULL;
    char err[512] = "";
    int rc = ob_problem_create(name, &pc->cfg, &pb, err, sizeof err);
    cr_assert(rc == 0 && pb, "%s: create failed: %s (seed %llu)", name, err, (unsigned long long)pt_seed());
    return pb;
}

/* Finite-difference step and tolerance (relative to the gradient's
 * max-norm, see pt_grad_check).  The 5-point stencil with h = 1e-3 meets
 * 1e-6 everywhere; the worst measured errors are ~4e-8 (Brown badly scaled,
 * where f(x0) ~ 1e12 and rounding in f dominates) and ~1e-8 (Rastrigin,
 * Ackley: large high-order derivatives), so no looser bound is needed.
 * fmnist_mlp takes h = 1e-6: a ReLU network is only piecewise smooth, and a
 * small step keeps the stencil on one side of almost every kink (measured
 * error ~4e-8, from rounding). */
static void fd_params(const char *name, double *h, double *tol)
{
    *h = 1e-3;
    *tol = 1e-6;
    if (strcmp(name, "fmnist_mlp") == 0) *h = 1e-6;
}

FOR_EACH_ENTRY(gradient_matches_finite_differences)
{
    pt_config pc;
    ob_problem *pb = make(p->name, &pc);
    double h, tol;
    fd_params(p->name, &h, &tol);
    pt_rng r;
    pt_rng_init(&r, pt_seed() ^ 0x5eed);
    size_t n = pb->n, where;
    double *x = malloc(n * sizeof *x);
    for (int k = 0; k < 4; k++) {
        /* k = 0: x0; then random points around it (10% relative, and at
         * least 0.1 absolute so that x0 = 0 entries move too). */
        for (size_t i = 0; i < n; i++) {
            double s = k ? 0.1 * fmax(1.0, fabs(pb->x0[i])) : 0.0;
            if (strncmp(p->name, "fmnist_", 7) == 0) s *= 0.1;
            x[i] = pb->x0[i] + s * (2.0 * pt_uniform(&r) - 1.0);
        }
        ob_problem_project(pb, x);
        uint64_t t = 1 + (uint64_t)k * 7;
        double e = pt_grad_check(pb, x, t, h, 24, &r, &where);
        cr_expect(e <= tol,
                  "%s: gradient vs finite differences: relative error %.3g > %.1g at %s, "
                  "coordinate %zu, t = %llu (seed %llu)",
                  p->name, e, tol, k ? "a random point" : "x0", where, (unsigned long long)t,
                  (unsigned long long)pt_seed());
    }
    free(x);
    ob_problem_destroy(pb);
}

FOR_EACH_ENTRY(entry_is_consistent)
{
    pt_config pc;
    ob_problem *pb = make(p->name, &pc);
    const ob_problem_spec *s = pb->spec;
    cr_assert(s == ob_problem_find(p->name), "%s: spec is not the table's", p->name);
    cr_expect(pb->n == s->default_n, "%s: n = %zu, default_n = %zu", p->name, pb->n, s->default_n);
    cr_expect(pb->eval && pb->loss && pb->destroy, "%s: missing function", p->name);
    cr_expect(pb->tol > 0, "%s: tol = %g", p->name, pb->tol);
    if (s->stochastic)
        cr_expect(pb->batch == s->default_batch && pb->batch >= 1, "%s: batch %zu", p->name, pb->batch);
    for (size_t i = 0; i < pb->n; i++)
        cr_assert(isfinite(pb->x0[i]), "%s: x0[%zu] = %g", p->name, i, pb->x0[i]);
    if (pb->has_box)
        for (size_t i = 0; i < pb->n; i++)
            cr_expect(pb->x0[i] >= pb->box_lo && pb->x0[i] <= pb->box_hi, "%s: x0 outside the box", p->name);
    double f0 = pb->loss(pb, pb->x0, 1);
    cr_assert(isfinite(f0), "%s: loss(x0) = %g", p->name, f0);
    double *g = malloc(pb->n * sizeof *g);
    double e0 = pb->eval(pb, pb->x0, g, 1), e1 = pb->eval(pb, pb->x0, NULL, 1);
    cr_expect(e0 == e1, "%s: eval with and without a gradient differ: %.17g vs %.17g", p->name, e0, e1);
    for (size_t i = 0; i < pb->n; i++) cr_assert(isfinite(g[i]), "%s: grad(x0)[%zu] = %g", p->name, i, g[i]);
    if (!s->stochastic && strcmp(s->family, "online") && strcmp(s->family, "nonstationary")) {
        /* Deterministic: t plays no part, and loss == eval. */
        cr_expect(pb->eval(pb, pb->x0, NULL, 12345) == e0, "%s: depends on t", p->name);
        cr_expect(f0 == e0, "%s: loss(x0) %.17g != eval(x0) %.17g", p->name, f0, e0);
    }
    if (pb->has_fstar) {
        cr_expect(isfinite(pb->fstar), "%s: f* = %g", p->name, pb->fstar);
        cr_expect(f0 >= pb->fstar - 1e-12 * fmax(1.0, fabs(pb->fstar)),
                  "%s: loss(x0) = %.17g below f* = %.17g", p->name, f0, pb->fstar);
    }
    if (pb->xstar) {
        cr_assert(pb->has_fstar, "%s: x* without f*", p->name);
        double fs = pb->loss(pb, pb->xstar, 1);
        cr_expect(fabs(fs - pb->fstar) <= 1e-12 * fmax(1.0, fabs(pb->fstar)),
                  "%s: loss(x*) = %.17g, f* = %.17g", p->name, fs, pb->fstar);
        cr_expect(fs <= f0, "%s: loss(x*) = %g > loss(x0) = %g", p->name, fs, f0);
    }
    free(g);
    ob_problem_destroy(pb);
}

Test(catalog, table_is_well_formed)
{
    static const char *families[] = {"mgh",    "classic", "quadratic", "nonstationary",
                                     "sparse", "ml",      "online"};
    cr_assert(ob_problem_count >= 38, "only %zu entries", ob_problem_count);
    size_t mgh = 0;
    for (size_t i = 0; i < ob_problem_count; i++) {
        const ob_problem_spec *s = ob_problem_table[i];
        cr_assert(s && s->name && *s->name && s->title && *s->title && s->citation && *s->citation,
                  "entry %zu lacks a name, title or citation", i);
        cr_expect(s->params_doc != NULL && s->create != NULL, "%s", s->name);
        int fam = 0;
        for (size_t k = 0; k < sizeof families / sizeof *families; k++)
            fam |= s->family && strcmp(s->family, families[k]) == 0;
        cr_expect(fam, "%s: unknown family '%s'", s->name, s->family ? s->family : "(null)");
        mgh += strcmp(s->family, "mgh") == 0;
        for (size_t j = 0; j < i; j++)
            cr_expect(strcmp(s->name, ob_problem_table[j]->name) != 0, "%s twice", s->name);
        cr_expect(ob_problem_find(s->name) == s, "%s: find", s->name);
        cr_expect(s->default_lr > 0 && s->default_lr <= 1, "%s: default_lr %g", s->name, s->default_lr);
        /* The default suite must be fast. */
        cr_expect(s->default_steps >= 100 && s->default_steps <= 3030, "%s: default_steps %llu", s->name,
                  (unsigned long long)s->default_steps);
        if (strcmp(s->family, "ml") == 0 && s->stochastic)
            cr_expect(s->default_steps <= 500, "%s: default_steps %llu", s->name,
                      (unsigned long long)s->default_steps);
        cr_expect(s->stochastic ? s->default_batch >= 1 : s->default_batch == 0, "%s: default_batch",
                  s->name);
        cr_expect(s->min_n >= 1 && s->default_n >= s->min_n, "%s: n %zu min %zu", s->name, s->default_n,
                  s->min_n);
        if (!s->n_user) cr_expect(s->min_n == s->default_n, "%s: fixed n but min_n %zu", s->name, s->min_n);
    }
    cr_expect(mgh >= 18, "only %zu MGH functions", mgh);
    cr_expect(ob_problem_find("no_such_problem") == NULL);
    cr_expect(ob_problem_find(NULL) == NULL);
}

FOR_EACH_ENTRY(stochastic_batches_depend_only_on_seed_and_t)
{
    const ob_problem_spec *s = ob_problem_find(p->name);
    if (!s->stochastic) return; /* nothing to sample: deterministic entries pass vacuously */
    pt_config pa, pbc, pc3;
    ob_problem *a = make(p->name, &pa), *b = make(p->name, &pbc);
    pc3 = pa;
    size_t n = a->n;
    double *x = malloc(n * sizeof *x), *ga = malloc(n * sizeof *ga), *gb = malloc(n * sizeof *gb);
    pt_rng r;
    pt_rng_init(&r, pt_seed());
    for (size_t i = 0; i < n; i++) x[i] = a->x0[i] + 0.01 * (2.0 * pt_uniform(&r) - 1.0);
    ob_problem_project(a, x);
    /* Sequential on a, out of order (across epochs too) on b: same values. */
    static const uint64_t ts[] = {1, 2, 3, 4, 5, 1000003, 17};
    double fa[7];
    for (int k = 0; k < 7; k++) fa[k] = a->eval(a, x, NULL, ts[k]);
    for (int k = 6; k >= 0; k--) {
        double f = b->eval(b, x, gb, ts[k]);
        a->eval(a, x, ga, ts[k]);
        cr_expect(f == fa[k] && memcmp(ga, gb, n * sizeof *ga) == 0,
                  "%s: step %llu differs between two instances (seed %llu)", p->name,
                  (unsigned long long)ts[k], (unsigned long long)pt_seed());
    }
    /* Different steps, different samples (all but the online coin flip,
     * which is the same function 99% of the time: see test_problems_values). */
    if (strcmp(p->name, "amsgrad_stochastic") != 0) {
        a->eval(a, x, ga, 1);
        a->eval(a, x, gb, 2);
        cr_expect(memcmp(ga, gb, n * sizeof *ga) != 0, "%s: steps 1 and 2 give the same gradient", p->name);
        /* A different seed gives a different sample. */
        ob_problem *c = NULL;
        char err[256];
        pc3.cfg.seed = pt_seed() + 1;
        cr_assert(ob_problem_create(p->name, &pc3.cfg, &c, err, sizeof err) == 0, "%s", err);
        c->eval(c, x, gb, 1);
        cr_expect(memcmp(ga, gb, n * sizeof *ga) != 0, "%s: seeds %llu and %llu agree", p->name,
                  (unsigned long long)pt_seed(), (unsigned long long)pt_seed() + 1);
        ob_problem_destroy(c);
    }
    free(x);
    free(ga);
    free(gb);
    ob_problem_destroy(a);
    ob_problem_destroy(b);
}

/* Creates with `cfg` and expects failure with a message that contains both
 * needles; out must stay NULL. */
static void expect_reject(const char *name, const ob_problem_config *cfg, const char *need1,
                          const char *need2)
{
    ob_problem *pb = (ob_problem *)&pb; /* not NULL: create must clear it */
    char err[512] = "";
    int rc = ob_problem_create(name, cfg, &pb, err, sizeof err);
    cr_expect(rc == -1 && pb == NULL, "%s: a bad configuration was accepted", name);
    cr_expect(strstr(err, need1) != NULL && (!need2 || strstr(err, need2) != NULL),
              "%s: message '%s' lacks '%s' / '%s'", name, err, need1, need2 ? need2 : "");
    if (rc == 0) ob_problem_destroy(pb);
}

FOR_EACH_ENTRY(create_rejects_bad_configurations)
{
    const ob_problem_spec *s = ob_problem_find(p->name);
    pt_config pc;
    const char *dir = pt_tmpdir();
    pt_config_for(p->name, dir, &pc);
    ob_problem_config cfg = pc.cfg;
    /* Unknown parameter key. */
    const char *bad[2] = {pc.cfg.n_params ? pc.param[0] : "no_such_key=1", "no_such_key=1"};
    cfg.params = bad;
    cfg.n_params = pc.cfg.n_params ? 2 : 1;
    expect_reject(p->name, &cfg, p->name, "no_such_key");
    /* Not key=value. */
    const char *nokv[1] = {"justakey"};
    cfg.params = nokv;
    cfg.n_params = 1;
    expect_reject(p->name, &cfg, p->name, "justakey");
    cfg = pc.cfg;
    /* A wrong n. */
    if (!s->n_user) {
        cfg.n = s->default_n + 1;
        char num[32];
        snprintf(num, sizeof num, "%zu", cfg.n);
        expect_reject(p->name, &cfg, p->name, num);
    } else if (s->min_n > 1) {
        cfg.n = s->min_n - 1;
        expect_reject(p->name, &cfg, p->name, "n");
    }
    cfg = pc.cfg;
    /* A batch size for a deterministic problem. */
    if (!s->stochastic) {
        cfg.batch = 5;
        expect_reject(p->name, &cfg, p->name, "batch");
    }
    /* n_params without params. */
    cfg = pc.cfg;
    cfg.params = NULL;
    cfg.n_params = 1;
    expect_reject(p->name, &cfg, p->name, "params");
}

Test(catalog, rejects_bad_values_and_names)
{
    static const struct {
        const char *name, *params[2], *need;
    } cases[] = {
        {"quad_diag", {"cond=abc"}, "abc"},
        {"quad_diag", {"cond=-1"}, "-1"},
        {"quad_diag", {"cond=nan"}, "nan"},
        {"quad_diag", {"cond=1e4", "cond=10"}, "twice"},
        {"drifting_quadratic", {"mode=sideways"}, "sideways"},
        {"drifting_quadratic", {"period=2.5"}, "2.5"},
        {"amsgrad_thm1", {"C=2"}, "C"},
        {"mgh_box3d", {"m=2"}, "m"},
        {"sparse_logreg", {"examples=10", "nnz=0"}, "nnz"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ob_problem_config cfg = {.params = cases[i].params, .n_params = cases[i].params[1] ? 2 : 1};
        expect_reject(cases[i].name, &cfg, cases[i].name, cases[i].need);
    }
    ob_problem_config n6 = {.n = 6}, n3 = {.n = 3}, nb = {.batch = 1001}, ns = {.batch = 2};
    expect_reject("mgh_ext_powell", &n6, "mgh_ext_powell", "multiple of 4");
    expect_reject("mgh_ext_rosenbrock", &n3, "mgh_ext_rosenbrock", "multiple of 2");
    expect_reject("quadratic_deep", &nb, "quadratic_deep", "1001");
    expect_reject("amsgrad_stochastic", &ns, "amsgrad_stochastic", "batch");
    expect_reject("no_such_problem", NULL, "unknown problem", "no_such_problem");
    char err[64];
    cr_expect(ob_problem_create("mgh_wood", NULL, NULL, err, sizeof err) == -1);
    ob_problem *pb;
    /* A NULL error buffer is allowed. */
    cr_expect(ob_problem_create("no_such_problem", NULL, &pb, NULL, 0) == -1 && pb == NULL);
    ob_problem_destroy(NULL);
    ob_problem_project(NULL, NULL);
}

/* Every entry whose n the user picks works from its smallest n, at n = 2
 * (where allowed), and at n = 10^7 (rounded to the required multiple):
 * finite values and gradient, and O(n) memory (10^7 x a few doubles). */
FOR_EACH_ENTRY(user_dimension_from_min_to_1e7)
{
    const ob_problem_spec *s = ob_problem_find(p->name);
    if (!s->n_user) return; /* fixed dimension: covered by the other per-entry tests */
    size_t sizes[3] = {s->min_n, 2, 10000000};
    for (int k = 0; k < 3; k++) {
        size_t n = sizes[k];
        size_t mult = strcmp(p->name, "mgh_ext_powell") == 0       ? 4
                      : strcmp(p->name, "mgh_ext_rosenbrock") == 0 ? 2
                                                                   : 1;
        if (n < s->min_n || n % mult) continue;
        ob_problem_config cfg = {.n = n, .seed = pt_seed()};
        ob_problem *pb = NULL;
        char err[256] = "";
        cr_assert(ob_problem_create(p->name, &cfg, &pb, err, sizeof err) == 0, "%s n = %zu: %s", p->name, n,
                  err);
        cr_assert(pb->n == n);
        double *g = malloc(n * sizeof *g);
        cr_assert(g != NULL);
        double f = pb->eval(pb, pb->x0, g, 3);
        int finite = isfinite(f);
        for (size_t i = 0; i < n; i++) finite &= isfinite(g[i]) != 0;
        cr_expect(finite, "%s n = %zu: f(x0) = %g or its gradient is not finite (seed %llu)", p->name, n, f,
                  (unsigned long long)pt_seed());
        if (pb->xstar && n <= 2) {
            double fs = pb->loss(pb, pb->xstar, 3);
            cr_expect(fabs(fs - pb->fstar) <= 1e-12 * fmax(1.0, fabs(pb->fstar)), "%s n = %zu", p->name, n);
        }
        free(g);
        ob_problem_destroy(pb);
    }
}
