/*
 * test_instances.c — problem instances (optbench/problems.h,
 * ob_instance_kind): instance 0 is the problem as created before
 * instances existed; a rotated instance's f, gradient, start, f* and x*
 * agree with the base problem at the transformed point
 * x = x0 + Q (y - y0) (an isometry); a perturbed start keeps f and f*;
 * a data-seed instance is the problem with seed + k; the online
 * counterexamples offer none.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/problems.h"

static ob_problem *make(const char *name, uint64_t seed, uint64_t k)
{
    char err[512];
    ob_problem_config cfg = {.seed = seed, .instance = k};
    ob_problem *pb = NULL;
    cr_assert_eq(ob_problem_create(name, &cfg, &pb, err, sizeof err), 0, "%s instance %llu: %s", name,
                 (unsigned long long)k, err);
    return pb;
}

static double dist(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

/* One rotated instance checked against its base on the transformed point. */
static void check_rotated(const char *name, uint64_t k)
{
    ob_problem *b = make(name, 0, 0), *p = make(name, 0, k);
    size_t n = p->n;
    cr_assert_eq(n, b->n);
    double *x = malloc(n * sizeof *x), *x2 = malloc(n * sizeof *x2), *y = malloc(n * sizeof *y);
    double *y2 = malloc(n * sizeof *y2), *g = malloc(n * sizeof *g), *gb = malloc(n * sizeof *gb);
    /* The start maps to the base's start: the same f(x0) and target. */
    ob_problem_instance_point(p, p->x0, x);
    cr_assert_eq(memcmp(x, b->x0, n * sizeof *x), 0, "%s.%llu: y0 maps to x0", name, (unsigned long long)k);
    cr_assert(dist(p->x0, b->x0, n) > 0, "%s.%llu: the start moved", name, (unsigned long long)k);
    cr_assert_eq(p->eval(p, p->x0, NULL, 1), b->eval(b, b->x0, NULL, 1));
    cr_assert_eq(p->has_fstar, b->has_fstar);
    if (b->has_fstar) cr_assert_eq(p->fstar, b->fstar);
    cr_assert_eq(p->tol, b->tol);
    if (b->xstar) { /* y* maps to x*, and f there is f* */
        ob_problem_instance_point(p, p->xstar, x);
        double tol = 1e-9 * (1 + dist(b->xstar, b->x0, n));
        cr_assert_leq(dist(x, b->xstar, n), tol, "%s.%llu: y* maps to x*", name, (unsigned long long)k);
    }
    /* A point near the start: f is the base's f at the transformed point,
     * the map is an isometry, and the gradient is Q^T grad f(x), checked
     * component by component as grad f(x) . (T(y + e_j) - T(y)). */
    for (size_t i = 0; i < n; i++) y[i] = p->x0[i] + 0.3 * sin(1.0 + (double)i * 0.7);
    ob_problem_instance_point(p, y, x);
    double f = p->eval(p, y, g, 1), fb = b->eval(b, x, gb, 1);
    cr_assert_eq(f, fb, "%s.%llu: f(y) = f_base(x)", name, (unsigned long long)k);
    double gscale = 0;
    for (size_t i = 0; i < n; i++) gscale = fmax(gscale, fabs(gb[i]));
    for (size_t j = 0; j < n; j++) {
        memcpy(y2, y, n * sizeof *y);
        y2[j] += 1.0;
        ob_problem_instance_point(p, y2, x2);
        cr_assert_float_eq(dist(x2, x, n), 1.0, 1e-12, "%s.%llu: isometry", name, (unsigned long long)k);
        double d = 0;
        for (size_t i = 0; i < n; i++) d += gb[i] * (x2[i] - x[i]);
        cr_assert_leq(fabs(d - g[j]), 1e-10 * (1 + gscale), "%s.%llu: g[%zu] = %.17g, Q^T grad = %.17g", name,
                      (unsigned long long)k, j, g[j], d);
    }
    cr_assert_eq(p->loss(p, y, 1), b->loss(b, x, 1));
    free(x), free(x2), free(y), free(y2), free(g), free(gb);
    ob_problem_destroy(p);
    ob_problem_destroy(b);
}

Test(instances, rotated_against_base)
{
    size_t checked = 0;
    for (size_t i = 0; i < ob_problem_count; i++) {
        const ob_problem_spec *s = ob_problem_table[i];
        if (ob_problem_instance_kind(s) != OB_INSTANCE_ROTATE) continue;
        for (uint64_t k = 1; k <= 2; k++) check_rotated(s->name, k);
        checked++;
    }
    cr_assert_geq(checked, 28, "every mgh, classic and deterministic quadratic problem rotates");
}

Test(instances, instance_zero_is_the_problem)
{
    for (size_t i = 0; i < ob_problem_count; i++) {
        const char *name = ob_problem_table[i]->name;
        if (ob_problem_table[i]->n_user && ob_problem_table[i]->default_n > 1000) continue; /* cheap only */
        if (!strncmp(name, "fmnist", 6)) continue; /* data set: test_problems_data */
        char err[512];
        ob_problem *a = NULL, *b = make(name, 0, 0);
        cr_assert_eq(ob_problem_create(name, NULL, &a, err, sizeof err), 0, "%s", err);
        cr_assert_eq(memcmp(a->x0, b->x0, a->n * sizeof(double)), 0, "%s", name);
        cr_assert_eq(a->eval(a, a->x0, NULL, 1), b->eval(b, b->x0, NULL, 1), "%s", name);
        ob_problem_destroy(a);
        ob_problem_destroy(b);
    }
}

Test(instances, perturbed_start_and_seed)
{
    ob_problem *b = make("heart_logreg", 0, 0), *p = make("heart_logreg", 0, 3);
    cr_assert_eq(ob_problem_instance_kind(b->spec), OB_INSTANCE_X0);
    cr_assert(dist(p->x0, b->x0, b->n) > 0.1);
    cr_assert_eq(p->fstar, b->fstar);
    cr_assert_eq(p->eval(p, b->x0, NULL, 1), b->eval(b, b->x0, NULL, 1), "the same objective");
    ob_problem_destroy(p);
    ob_problem_destroy(b);
    /* nqm instance 2 is nqm with seed 2: the same noise at every step. */
    ob_problem *s = make("nqm", 5, 2), *t = make("nqm", 7, 0);
    cr_assert_eq(ob_problem_instance_kind(s->spec), OB_INSTANCE_SEED);
    double *g1 = malloc(s->n * sizeof *g1), *g2 = malloc(s->n * sizeof *g2);
    s->eval(s, s->x0, g1, 4);
    t->eval(t, t->x0, g2, 4);
    cr_assert_eq(memcmp(g1, g2, s->n * sizeof *g1), 0);
    free(g1), free(g2);
    ob_problem_destroy(s);
    ob_problem_destroy(t);
}

Test(instances, online_offers_none)
{
    char err[512];
    ob_problem_config cfg = {.instance = 1};
    ob_problem *pb = NULL;
    cr_assert_eq(ob_problem_instance_kind(ob_problem_find("amsgrad_thm1")), OB_INSTANCE_NONE);
    cr_assert_neq(ob_problem_create("amsgrad_thm1", &cfg, &pb, err, sizeof err), 0);
    cr_assert_null(pb);
    cr_assert(strstr(err, "offers no instances"), "%s", err);
    cr_assert_str_eq(ob_instance_kind_name(OB_INSTANCE_ROTATE), "rotate+shift");
}
