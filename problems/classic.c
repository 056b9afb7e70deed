/*
 * classic.c — small classic test functions with known minima:
 * Booth, Himmelblau (four minima), Rastrigin and Ackley (many local minima),
 * Styblinski–Tang.  None has a standard starting point; the x0 below are
 * chosen here, away from any stationary point, and documented.  The
 * citations name the function's source; none of them numbers an equation
 * that could be checked here, so none is given.
 */
#include <math.h>

#include "pb_internal.h"

#define TWO_PI 6.283185307179586

/* Booth: (x + 2y - 7)^2 + (2x + y - 5)^2; minimum 0 at (1, 3). */
static double eval_booth(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)pb;
    (void)t;
    double a = x[0] + 2.0 * x[1] - 7.0, b = 2.0 * x[0] + x[1] - 5.0;
    if (g) {
        g[0] = 2.0 * a + 4.0 * b;
        g[1] = 4.0 * a + 2.0 * b;
    }
    return a * a + b * b;
}
static void x0_zero(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = 0.0;
}
static int xs_booth(double *x, size_t n)
{
    (void)n;
    x[0] = 1.0;
    x[1] = 3.0;
    return 1;
}

/* Himmelblau: (x^2 + y - 11)^2 + (x + y^2 - 7)^2; minimum 0 at (3, 2) and at
 * (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126).
 * x* is the exact one, (3, 2). */
static double eval_himmelblau(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)pb;
    (void)t;
    double a = x[0] * x[0] + x[1] - 11.0, b = x[0] + x[1] * x[1] - 7.0;
    if (g) {
        g[0] = 4.0 * x[0] * a + 2.0 * b;
        g[1] = 2.0 * a + 4.0 * x[1] * b;
    }
    return a * a + b * b;
}
static int xs_himmelblau(double *x, size_t n)
{
    (void)n;
    x[0] = 3.0;
    x[1] = 2.0;
    return 1;
}

/* Rastrigin: 10 n + sum (x_i^2 - 10 cos 2 pi x_i); minimum 0 at 0. */
static double eval_rastrigin(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    double f = 0.0;
    for (size_t i = 0; i < pb->n; i++) {
        /* (10 - 10 cos) first, so that f(0) is exactly 0. */
        f += x[i] * x[i] + 10.0 * (1.0 - cos(TWO_PI * x[i]));
        if (g) g[i] = 2.0 * x[i] + 10.0 * TWO_PI * sin(TWO_PI * x[i]);
    }
    return f;
}
/* Alternating (-2, 3.5): on a slope of the outer bowl, between local
 * minima, in no symmetry plane. */
static void x0_alternating(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = i % 2 ? 3.5 : -2.0;
}

/* Ackley with a = 20, b = 0.2, c = 2 pi:
 * -a exp(-b sqrt(sum x_i^2 / n)) - exp(sum cos(c x_i) / n) + a + e;
 * minimum 0 at 0, where the first term is not differentiable: its gradient
 * is taken as 0 there (the subgradient of least norm). */
static double eval_ackley(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    const double a = 20.0, b = 0.2, c = TWO_PI, nn = (double)pb->n;
    double sq = 0.0, sc = 0.0;
    for (size_t i = 0; i < pb->n; i++) {
        sq += x[i] * x[i];
        sc += cos(c * x[i]);
    }
    double r = sqrt(sq / nn), e1 = exp(-b * r), e2 = exp(sc / nn);
    if (g) {
        double k1 = r > 0 ? a * b * e1 / (nn * r) : 0.0, k2 = c * e2 / nn;
        for (size_t i = 0; i < pb->n; i++) g[i] = k1 * x[i] + k2 * sin(c * x[i]);
    }
    /* Grouped so that f(0) = (a - a) + (e - e) = 0 exactly. */
    return (a - a * e1) + (exp(1.0) - e2);
}

/* Styblinski–Tang: (1/2) sum (x_i^4 - 16 x_i^2 + 5 x_i); minimum
 * -39.16617 n at x_i = -2.903534, the smaller root of 4x^3 - 32x + 5. */
static double eval_styblinski_tang(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    double f = 0.0;
    for (size_t i = 0; i < pb->n; i++) {
        double xi = x[i], x2 = xi * xi;
        f += x2 * x2 - 16.0 * x2 + 5.0 * xi;
        if (g) g[i] = 0.5 * (4.0 * x2 * xi - 32.0 * xi + 5.0);
    }
    return 0.5 * f;
}
static int xs_styblinski_tang(double *x, size_t n)
{
    double z = -3.0; /* Newton on 4z^3 - 32z + 5 from the left: monotone */
    for (int it = 0; it < 100; it++) {
        double step = (4.0 * z * z * z - 32.0 * z + 5.0) / (12.0 * z * z - 32.0);
        z -= step;
        if (fabs(step) < 1e-16) break;
    }
    for (size_t i = 0; i < n; i++) x[i] = z;
    return 1;
}

static const ob_pb_simple_def def_booth = {1, 0, eval_booth, x0_zero, xs_booth};
static const ob_pb_simple_def def_himmelblau = {1, 0, eval_himmelblau, x0_zero, xs_himmelblau};
static const ob_pb_simple_def def_rastrigin = {1, 0, eval_rastrigin, x0_alternating, ob_pb_xs_zero};
static const ob_pb_simple_def def_ackley = {1, 0, eval_ackley, x0_alternating, ob_pb_xs_zero};
static const ob_pb_simple_def def_styblinski_tang = {1, 0, eval_styblinski_tang, x0_zero, xs_styblinski_tang};

#define CLASSIC(id, title, cite, n, nuser, lr, steps) \
    static int create_##id(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out, \
                           char *err, size_t errlen) \
    { \
        return ob_pb_create_simple(spec, &def_##id, cfg, out, err, errlen); \
    } \
    const ob_problem_spec ob_spec_##id = {#id, title, cite, "classic", n,     nuser,      nuser ? 1 : n, \
                                          0,   0,     "",   lr,        steps, create_##id};

CLASSIC(booth, "Booth",
        "Jamil & Yang, Int. J. Math. Modelling Numer. Optimisation 4(2), 2013, Booth function", 2, 0, 1e-1,
        1000)
CLASSIC(himmelblau, "Himmelblau (four minima)", "Himmelblau, Applied Nonlinear Programming, McGraw-Hill 1972",
        2, 0, 1e-1, 1000)
CLASSIC(rastrigin, "Rastrigin (many local minima)",
        "Rastrigin 1974; n-dimensional form of Mühlenbein, Schomisch & Born, Parallel Computing 17, 1991", 2,
        1, 1e-1, 1000)
CLASSIC(ackley, "Ackley (many local minima; a = 20, b = 0.2, c = 2 pi)",
        "Ackley, A Connectionist Machine for Genetic Hillclimbing, Kluwer 1987; n-dim form of Bäck 1996", 2,
        1, 1e-1, 1000)
CLASSIC(styblinski_tang, "Styblinski-Tang", "Styblinski & Tang, Neural Networks 3(4):467-483, 1990", 2, 1,
        1e-1, 1000)
