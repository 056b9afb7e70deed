/*
 * mgh.c — 23 of the 35 test functions of
 *   J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing unconstrained
 *   optimization software", ACM TOMS 7(1):17–41, 1981 (MGH below).
 * Each is a sum of squares f(x) = sum_i f_i(x)^2 (no 1/2), with the paper's
 * residuals f_i, standard starting point x0 and reported minimum f*;
 * "(k)" in a citation is the problem number in MGH §3.
 *
 * Small problems (fixed n <= 6) give their residuals and Jacobian and share
 * one evaluator (f = r.r, grad = 2 J^T r).  The variably dimensioned ones
 * (n chosen by the user) have their own O(n) evaluators, since a dense
 * Jacobian would be n x n.
 *
 * f(x0) "as published" comes from MINPACK's lmder test driver (Moré,
 * Garbow & Hillstrom, netlib minpack/ex/file22), which prints the initial
 * Euclidean norm of the residuals: f(x0) = norm^2.  Where MGH gives only a
 * rounded f*, x* below was refined by Newton's method from the published or
 * MINPACK x*, and f(x*) rounds to MGH's printed value.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pb_internal.h"

/* The residuals' Jacobians are laid out row by row, as matrices, which the
 * formatter would flatten to one entry a line. */
/* clang-format off */

#define MGH_CITE(k) "Moré, Garbow & Hillstrom, ACM TOMS 7(1):17-41, 1981, §3 problem (" #k ")"

/* ---- small problems: residuals r (length m) and Jacobian J (m x n,
 * row-major; J may be NULL) ------------------------------------------------- */

typedef void (*mgh_res_fn)(const double *x, size_t m, double *r, double *J);

/* (1) Rosenbrock. */
static void res_rosenbrock(const double *x, size_t m, double *r, double *J)
{
    (void)m;
    r[0] = 10.0 * (x[1] - x[0] * x[0]);
    r[1] = 1.0 - x[0];
    if (J) {
        J[0] = -20.0 * x[0]; J[1] = 10.0;
        J[2] = -1.0;         J[3] = 0.0;
    }
}

/* (2) Freudenstein and Roth. */
static void res_freudenstein_roth(const double *x, size_t m, double *r, double *J)
{
    (void)m;
    double y = x[1];
    r[0] = -13.0 + x[0] + ((5.0 - y) * y - 2.0) * y;
    r[1] = -29.0 + x[0] + ((y + 1.0) * y - 14.0) * y;
    if (J) {
        J[0] = 1.0; J[1] = (10.0 - 3.0 * y) * y - 2.0;
        J[2] = 1.0; J[3] = (3.0 * y + 2.0) * y - 14.0;
    }
}

/* (3) Powell badly scaled. */
static void res_powell_badly_scaled(const double *x, size_t m, double *r, double *J)
{
    (void)m;
    double e0 = exp(-x[0]), e1 = exp(-x[1]);
    r[0] = 1e4 * x[0] * x[1] - 1.0;
    r[1] = e0 + e1 - 1.0001;
    if (J) {
        J[0] = 1e4 * x[1]; J[1] = 1e4 * x[0];
        J[2] = -e0;        J[3] = -e1;
    }
}

/* (4) Brown badly scaled. */
static void res_brown_badly_scaled(const double *x, size_t m, double *r, double *J)
{
    (void)m;
    r[0] = x[0] - 1e6;
    r[1] = x[1] - 2e-6;
    r[2] = x[0] * x[1] - 2.0;
    if (J) {
        J[0] = 1.0;  J[1] = 0.0;
        J[2] = 0.0;  J[3] = 1.0;
        J[4] = x[1]; J[5] = x[0];
    }
}

/* (5) Beale: f_i = y_i - x1 (1 - x2^i). */
static void res_beale(const double *x, size_t m, double *r, double *J)
{
    static const double y[3] = {1.5, 2.25, 2.625};
    double p = 1.0; /* x2^(i-1) */
    for (size_t i = 0; i < m; i++) {
        double pi = p * x[1];
        r[i] = y[i] - x[0] * (1.0 - pi);
        if (J) {
            J[2 * i] = -(1.0 - pi);
            J[2 * i + 1] = x[0] * (double)(i + 1) * p;
        }
        p = pi;
    }
}

/* (6) Jennrich and Sampson: f_i = 2 + 2i - (e^{i x1} + e^{i x2}), m = 10. */
static void res_jennrich_sampson(const double *x, size_t m, double *r, double *J)
{
    for (size_t k = 0; k < m; k++) {
        double i = (double)(k + 1), a = exp(i * x[0]), b = exp(i * x[1]);
        r[k] = 2.0 + 2.0 * i - (a + b);
        if (J) {
            J[2 * k] = -i * a;
            J[2 * k + 1] = -i * b;
        }
    }
}

/* (7) Helical valley.  theta = atan(x2/x1)/(2 pi), plus 1/2 when x1 < 0,
 * exactly as MGH define it (not atan2, which differs by 1 for x1 < 0,
 * x2 < 0).  At x1 = 0 the paper leaves theta undefined; the limit from
 * x1 > 0, sign(x2)/4, is used. */
static void res_helical_valley(const double *x, size_t m, double *r, double *J)
{
    (void)m;
    const double tpi = 6.283185307179586;
    double x1 = x[0], x2 = x[1], rho2 = x1 * x1 + x2 * x2, rho = sqrt(rho2);
    double theta;
    if (x1 > 0)
        theta = atan(x2 / x1) / tpi;
    else if (x1 < 0)
        theta = atan(x2 / x1) / tpi + 0.5;
    else
        theta = x2 > 0 ? 0.25 : (x2 < 0 ? -0.25 : 0.0);
    r[0] = 10.0 * (x[2] - 10.0 * theta);
    r[1] = 10.0 * (rho - 1.0);
    r[2] = x[2];
    if (J) {
        /* d theta/dx1 = -x2/(2 pi rho^2), d theta/dx2 = x1/(2 pi rho^2). */
        double s = rho2 > 0 ? 100.0 / (tpi * rho2) : 0.0;
        J[0] = s * x2;  J[1] = -s * x1; J[2] = 10.0;
        J[3] = rho > 0 ? 10.0 * x1 / rho : 0.0;
        J[4] = rho > 0 ? 10.0 * x2 / rho : 0.0;
        J[5] = 0.0;
        J[6] = 0.0; J[7] = 0.0; J[8] = 1.0;
    }
}

/* (8) Bard: f_i = y_i - (x1 + u_i/(v_i x2 + w_i x3)), u_i = i,
 * v_i = 16 - i, w_i = min(u_i, v_i). */
static void res_bard(const double *x, size_t m, double *r, double *J)
{
    static const double y[15] = {0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39,
                                 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39};
    for (size_t k = 0; k < m; k++) {
        double u = (double)(k + 1), v = 16.0 - u, w = u < v ? u : v;
        double d = v * x[1] + w * x[2];
        r[k] = y[k] - (x[0] + u / d);
        if (J) {
            J[3 * k] = -1.0;
            J[3 * k + 1] = u * v / (d * d);
            J[3 * k + 2] = u * w / (d * d);
        }
    }
}

/* (9) Gaussian: f_i = x1 exp(-x2 (t_i - x3)^2 / 2) - y_i, t_i = (8 - i)/2. */
static void res_gaussian(const double *x, size_t m, double *r, double *J)
{
    static const double y[15] = {0.0009, 0.0044, 0.0175, 0.0540, 0.1295,
                                 0.2420, 0.3521, 0.3989, 0.3521, 0.2420,
                                 0.1295, 0.0540, 0.0175, 0.0044, 0.0009};
    for (size_t k = 0; k < m; k++) {
        double t = (8.0 - (double)(k + 1)) / 2.0, d = t - x[2];
        double e = exp(-0.5 * x[1] * d * d);
        r[k] = x[0] * e - y[k];
        if (J) {
            J[3 * k] = e;
            J[3 * k + 1] = -0.5 * x[0] * e * d * d;
            J[3 * k + 2] = x[0] * e * x[1] * d;
        }
    }
}

/* (12) Box three-dimensional: t_i = 0.1 i,
 * f_i = e^{-t_i x1} - e^{-t_i x2} - x3 (e^{-t_i} - e^{-10 t_i}). */
static void res_box3d(const double *x, size_t m, double *r, double *J)
{
    for (size_t k = 0; k < m; k++) {
        double t = 0.1 * (double)(k + 1);
        double a = exp(-t * x[0]), b = exp(-t * x[1]), c = exp(-t) - exp(-10.0 * t);
        r[k] = a - b - x[2] * c;
        if (J) {
            J[3 * k] = -t * a;
            J[3 * k + 1] = t * b;
            J[3 * k + 2] = -c;
        }
    }
}

/* (13) Powell singular. */
static void res_powell_singular(const double *x, size_t m, double *r, double *J)
{
    (void)m;
    const double s5 = sqrt(5.0), s10 = sqrt(10.0);
    double d23 = x[1] - 2.0 * x[2], d14 = x[0] - x[3];
    r[0] = x[0] + 10.0 * x[1];
    r[1] = s5 * (x[2] - x[3]);
    r[2] = d23 * d23;
    r[3] = s10 * d14 * d14;
    if (J) {
        static const double lin[8] = {1, 10, 0, 0, 0, 0, 0, 0};
        memcpy(J, lin, sizeof lin);
        J[6] = s5;  J[7] = -s5;
        J[8] = 0.0; J[9] = 2.0 * d23; J[10] = -4.0 * d23; J[11] = 0.0;
        J[12] = 2.0 * s10 * d14; J[13] = 0.0; J[14] = 0.0; J[15] = -2.0 * s10 * d14;
    }
}

/* (14) Wood. */
static void res_wood(const double *x, size_t m, double *r, double *J)
{
    (void)m;
    const double s90 = sqrt(90.0), s10 = sqrt(10.0);
    r[0] = 10.0 * (x[1] - x[0] * x[0]);
    r[1] = 1.0 - x[0];
    r[2] = s90 * (x[3] - x[2] * x[2]);
    r[3] = 1.0 - x[2];
    r[4] = s10 * (x[1] + x[3] - 2.0);
    r[5] = (x[1] - x[3]) / s10;
    if (J) {
        memset(J, 0, 24 * sizeof *J);
        J[0] = -20.0 * x[0];       J[1] = 10.0;
        J[4] = -1.0;
        J[10] = -2.0 * s90 * x[2]; J[11] = s90;
        J[14] = -1.0;
        J[17] = s10;               J[19] = s10;
        J[21] = 1.0 / s10;         J[23] = -1.0 / s10;
    }
}

/* (15) Kowalik and Osborne: f_i = y_i - x1 (u_i^2 + u_i x2)/(u_i^2 + u_i x3 + x4). */
static void res_kowalik_osborne(const double *x, size_t m, double *r, double *J)
{
    static const double y[11] = {0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627,
                                 0.0456, 0.0342, 0.0323, 0.0235, 0.0246};
    static const double u[11] = {4.0, 2.0, 1.0, 0.5, 0.25, 0.167,
                                 0.125, 0.1, 0.0833, 0.0714, 0.0625};
    for (size_t k = 0; k < m; k++) {
        double num = u[k] * (u[k] + x[1]), den = u[k] * (u[k] + x[2]) + x[3];
        r[k] = y[k] - x[0] * num / den;
        if (J) {
            J[4 * k] = -num / den;
            J[4 * k + 1] = -x[0] * u[k] / den;
            J[4 * k + 2] = x[0] * num * u[k] / (den * den);
            J[4 * k + 3] = x[0] * num / (den * den);
        }
    }
}

/* (16) Brown and Dennis: t_i = i/5,
 * f_i = (x1 + t_i x2 - e^{t_i})^2 + (x3 + x4 sin t_i - cos t_i)^2, m = 20. */
static void res_brown_dennis(const double *x, size_t m, double *r, double *J)
{
    for (size_t k = 0; k < m; k++) {
        double t = (double)(k + 1) / 5.0, s = sin(t);
        double a = x[0] + t * x[1] - exp(t), b = x[2] + x[3] * s - cos(t);
        r[k] = a * a + b * b;
        if (J) {
            J[4 * k] = 2.0 * a;
            J[4 * k + 1] = 2.0 * a * t;
            J[4 * k + 2] = 2.0 * b;
            J[4 * k + 3] = 2.0 * b * s;
        }
    }
}

/* (18) Biggs EXP6: t_i = 0.1 i, y_i = e^{-t_i} - 5 e^{-10 t_i} + 3 e^{-4 t_i},
 * f_i = x3 e^{-t_i x1} - x4 e^{-t_i x2} + x6 e^{-t_i x5} - y_i, m = 13. */
static void res_biggs_exp6(const double *x, size_t m, double *r, double *J)
{
    for (size_t k = 0; k < m; k++) {
        double t = 0.1 * (double)(k + 1);
        double y = exp(-t) - 5.0 * exp(-10.0 * t) + 3.0 * exp(-4.0 * t);
        double a = exp(-t * x[0]), b = exp(-t * x[1]), c = exp(-t * x[4]);
        r[k] = x[2] * a - x[3] * b + x[5] * c - y;
        if (J) {
            double *row = J + 6 * k;
            row[0] = -t * x[2] * a;
            row[1] = t * x[3] * b;
            row[2] = a;
            row[3] = -b;
            row[4] = -t * x[5] * c;
            row[5] = c;
        }
    }
}

typedef struct mgh_small {
    const ob_problem_spec *spec;
    size_t m;          /* residuals (Box 3-D: the default of its m=) */
    mgh_res_fn res;
    double x0[6];
    double fstar;      /* f(x*), rounding to MGH's printed f* */
    int has_xstar;
    double xstar[6];
    double f0_pub;     /* MINPACK file22 initial norm, squared; NaN if none */
} mgh_small;

typedef struct mgh_small_data {
    const mgh_small *def;
    size_t m;
    double *r, *J;   /* m and m x n scratch */
} mgh_small_data;

static const mgh_small *small_def(const ob_problem_spec *spec);

static double eval_small(ob_problem *pb, const double *x, double *grad, uint64_t t)
{
    (void)t;
    mgh_small_data *d = pb->data;
    size_t n = pb->n, m = d->m;
    d->def->res(x, m, d->r, grad ? d->J : NULL);
    double f = 0.0;
    for (size_t i = 0; i < m; i++)
        f += d->r[i] * d->r[i];
    if (grad) {
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t i = 0; i < m; i++)
                s += d->r[i] * d->J[i * n + j];
            grad[j] = 2.0 * s;
        }
    }
    return f;
}

static int create_small(const ob_problem_spec *spec, const ob_problem_config *cfg,
                        ob_problem **out, char *err, size_t errlen)
{
    const mgh_small *def = small_def(spec);
    size_t n, m = def->m;
    *out = NULL;
    /* Box 3-D: MGH allow any m >= n = 3; MINPACK's driver uses m = 10.  The
     * others take no parameters. */
    static const ob_pb_param_def box_m[] = {{"m", OB_PB_INT, 10, 3, 1000000, NULL}};
    int box = def->res == res_box3d;
    ob_pb_param_val v[1];
    size_t batch;
    if (ob_pb_configure(spec, cfg, 1, box ? box_m : NULL, box ? 1 : 0, v, &n, &batch, err, errlen))
        return -1;
    if (box)
        m = (size_t)v[0].num;
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    if (!pb)
        return -1;
    mgh_small_data *d = malloc(sizeof *d + (m + m * n) * sizeof(double));
    if (!d || (def->has_xstar && ob_pb_alloc_xstar(pb, err, errlen))) {
        free(d);
        ob_pb_free(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory", spec->name);
    }
    d->def = def;
    d->m = m;
    d->r = (double *)(d + 1);
    d->J = d->r + m;
    pb->data = d;
    pb->eval = eval_small;
    memcpy(pb->x0, def->x0, n * sizeof(double));
    if (def->has_xstar)
        memcpy(pb->xstar, def->xstar, n * sizeof(double));
    pb->fstar = def->fstar;
    pb->has_fstar = 1;
    /* MINPACK's f(x0) for Box 3-D is for m = 10 only. */
    pb->f0_published = m == def->m ? def->f0_pub : NAN;
    return ob_pb_done(pb, out);
}

#define SMALL_SPEC(id, title, k, n, lr, steps, doc)                               \
    const ob_problem_spec ob_spec_##id = {#id, title, MGH_CITE(k), "mgh", n, 0, n, \
                                          0, 0, doc, lr, steps, create_small};

SMALL_SPEC(mgh_rosenbrock, "Rosenbrock", 1, 2, 1e-1, 2000, "")
SMALL_SPEC(mgh_freudenstein_roth, "Freudenstein and Roth", 2, 2, 1e-2, 2000, "")
SMALL_SPEC(mgh_powell_badly_scaled, "Powell badly scaled", 3, 2, 1e-3, 2000, "")
SMALL_SPEC(mgh_brown_badly_scaled, "Brown badly scaled", 4, 2, 1e-1, 2000, "")
SMALL_SPEC(mgh_beale, "Beale", 5, 2, 1e-1, 2000, "")
SMALL_SPEC(mgh_jennrich_sampson, "Jennrich and Sampson (m = 10)", 6, 2, 1e-2, 2000, "")
SMALL_SPEC(mgh_helical_valley, "Helical valley", 7, 3, 1e-1, 2000, "")
SMALL_SPEC(mgh_bard, "Bard", 8, 3, 1e-1, 2000, "")
SMALL_SPEC(mgh_gaussian, "Gaussian", 9, 3, 1e-3, 2000, "")
SMALL_SPEC(mgh_box3d, "Box three-dimensional", 12, 3, 1e-1, 2000, "m=10 (residuals, >= 3)")
SMALL_SPEC(mgh_powell_singular, "Powell singular", 13, 4, 1e-1, 2000, "")
SMALL_SPEC(mgh_wood, "Wood", 14, 4, 1.0, 2000, "")
SMALL_SPEC(mgh_kowalik_osborne, "Kowalik and Osborne", 15, 4, 1e-2, 2000, "")
SMALL_SPEC(mgh_brown_dennis, "Brown and Dennis (m = 20)", 16, 4, 1.0, 2000, "")
SMALL_SPEC(mgh_biggs_exp6, "Biggs EXP6 (m = 13)", 18, 6, 1e-1, 2000, "")

static const mgh_small small_defs[] = {
    {&ob_spec_mgh_rosenbrock, 2, res_rosenbrock, {-1.2, 1.0}, 0.0, 1, {1.0, 1.0},
     24.2 /* MINPACK: norm sqrt(24.2) */},
    /* f* = 0 at (5, 4); MGH also report the local minimum 48.9842 at
     * (11.41..., -0.8968...). */
    {&ob_spec_mgh_freudenstein_roth, 2, res_freudenstein_roth, {0.5, -2.0}, 0.0, 1, {5.0, 4.0},
     20.0124960961895 * 20.0124960961895 /* MINPACK */},
    /* x* = (1.098...e-5, 9.106...) (MGH), refined. */
    {&ob_spec_mgh_powell_badly_scaled, 2, res_powell_badly_scaled, {0.0, 1.0}, 0.0, 1,
     {1.0981593296998199e-05, 9.1061467398665048}, NAN},
    {&ob_spec_mgh_brown_badly_scaled, 3, res_brown_badly_scaled, {1.0, 1.0}, 0.0, 1, {1e6, 2e-6}, NAN},
    {&ob_spec_mgh_beale, 3, res_beale, {1.0, 1.0}, 0.0, 1, {3.0, 0.5}, NAN},
    /* MGH: f* = 124.362 at x1 = x2 = 0.2578 (MINPACK 0.2578199, 0.2578300); refined. */
    {&ob_spec_mgh_jennrich_sampson, 10, res_jennrich_sampson, {0.3, 0.4}, 124.36218235561483, 1,
     {0.2578252136703641, 0.2578252136703641}, 64.5856498144943 * 64.5856498144943 /* MINPACK */},
    {&ob_spec_mgh_helical_valley, 3, res_helical_valley, {-1.0, 0.0, 0.0}, 0.0, 1, {1.0, 0.0, 0.0},
     50.0 * 50.0 /* MINPACK */},
    /* MGH f* = 8.21487e-3; x* from MINPACK (0.0824106, 1.13304, 2.34369), refined. */
    {&ob_spec_mgh_bard, 15, res_bard, {1.0, 1.0, 1.0}, 8.2148773065789816e-03, 1,
     {0.082410559749788961, 1.1330360920297222, 2.3436951786425366},
     6.45613629515967 * 6.45613629515967 /* MINPACK */},
    /* MGH f* = 1.12793e-8; x* ~ (0.398956, 1.000019, 0), refined. */
    {&ob_spec_mgh_gaussian, 15, res_gaussian, {0.4, 1.0, 0.0}, 1.1279327696193028e-08, 1,
     {0.39895613783875666, 1.0000190844878056, 0.0}, NAN},
    /* f* = 0 at (1, 10, 1) (and elsewhere, MGH). */
    {&ob_spec_mgh_box3d, 10, res_box3d, {0.0, 10.0, 20.0}, 0.0, 1, {1.0, 10.0, 1.0},
     32.1115837449572 * 32.1115837449572 /* MINPACK, m = 10 */},
    {&ob_spec_mgh_powell_singular, 4, res_powell_singular, {3.0, -1.0, 0.0, 1.0}, 0.0, 1,
     {0.0, 0.0, 0.0, 0.0}, 14.6628782986152 * 14.6628782986152 /* MINPACK */},
    {&ob_spec_mgh_wood, 6, res_wood, {-3.0, -1.0, -3.0, -1.0}, 0.0, 1, {1.0, 1.0, 1.0, 1.0}, NAN},
    /* MGH f* = 3.07506e-4; x* from MINPACK (0.192808, 0.191263, 0.123053, 0.136053), refined. */
    {&ob_spec_mgh_kowalik_osborne, 11, res_kowalik_osborne, {0.25, 0.39, 0.415, 0.39},
     3.0750560384923842e-04, 1,
     {0.19280693457903791, 0.19128232873436654, 0.12305650692632078, 0.13606233068379464},
     0.0728915102882945 * 0.0728915102882945 /* MINPACK */},
    /* MGH f* = 85822.2; x* from MINPACK (-11.5913, 13.2025, -0.403575, 0.236736), refined. */
    {&ob_spec_mgh_brown_dennis, 20, res_brown_dennis, {25.0, 5.0, -5.0, -1.0}, 85822.201626356342, 1,
     {-11.594439904762162, 13.203630051207202, -0.4034394881768596, 0.23677877445573628},
     2815.43839161816 * 2815.43839161816 /* MINPACK */},
    /* MGH f* = 5.65565e-3 (a local minimum; f = 0 at (1, 10, 1, 5, 4, 3),
     * the parameters the data were made with).  x* ~ (1.71142, 17.6833,
     * 1.16314, 5.18662, 1.71142, 1.16314), refined.  With x1 = x5 only
     * x3 + x6 matters, so the minimiser is a line; x3 = x6 is MGH's point. */
    {&ob_spec_mgh_biggs_exp6, 13, res_biggs_exp6, {1.0, 2.0, 1.0, 1.0, 1.0, 1.0},
     5.6556499254999514e-03, 1,
     {1.7114159947195876, 17.683198180949052, 1.1631436609188928, 5.1865615519934485,
      1.7114159947195876, 1.1631436609188928},
     NAN},
};

static const mgh_small *small_def(const ob_problem_spec *spec)
{
    for (size_t i = 0; i < sizeof small_defs / sizeof small_defs[0]; i++)
        if (small_defs[i].spec == spec)
            return &small_defs[i];
    return NULL; /* unreachable: create_small is only in the specs above */
}

/* ---- variably dimensioned problems: O(n) time, O(n) memory at most ------- */

/* (21) Extended Rosenbrock, n even: pairs (a, b) = (x_{2i-1}, x_{2i}),
 * f_{2i-1} = 10 (b - a^2), f_{2i} = 1 - a. */
static double eval_ext_rosenbrock(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    double f = 0.0;
    for (size_t i = 0; i + 1 < pb->n; i += 2) {
        double a = x[i], r1 = 10.0 * (x[i + 1] - a * a), r2 = 1.0 - a;
        f += r1 * r1 + r2 * r2;
        if (g) {
            g[i] = -40.0 * a * r1 - 2.0 * r2;
            g[i + 1] = 20.0 * r1;
        }
    }
    return f;
}

/* (22) Extended Powell singular, n a multiple of 4: per block (a, b, c, d),
 * (a + 10b)^2 + 5 (c - d)^2 + (b - 2c)^4 + 10 (a - d)^4. */
static double eval_ext_powell(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    double f = 0.0;
    for (size_t i = 0; i + 3 < pb->n; i += 4) {
        double a = x[i], b = x[i + 1], c = x[i + 2], d = x[i + 3];
        double p = a + 10.0 * b, q = c - d, u = b - 2.0 * c, v = a - d;
        double u2 = u * u, v2 = v * v;
        f += p * p + 5.0 * q * q + u2 * u2 + 10.0 * v2 * v2;
        if (g) {
            g[i] = 2.0 * p + 40.0 * v2 * v;
            g[i + 1] = 20.0 * p + 4.0 * u2 * u;
            g[i + 2] = 10.0 * q - 8.0 * u2 * u;
            g[i + 3] = -10.0 * q - 40.0 * v2 * v;
        }
    }
    return f;
}

/* (23) Penalty I: f_i = sqrt(a) (x_i - 1), i <= n, f_{n+1} = sum x_j^2 - 1/4,
 * a = 1e-5. */
#define PENALTY1_A 1e-5
static double eval_penalty1(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    double s = 0.0, f = 0.0;
    for (size_t i = 0; i < pb->n; i++) {
        s += x[i] * x[i];
        f += PENALTY1_A * (x[i] - 1.0) * (x[i] - 1.0);
    }
    double r = s - 0.25;
    if (g)
        for (size_t i = 0; i < pb->n; i++)
            g[i] = 2.0 * PENALTY1_A * (x[i] - 1.0) + 4.0 * r * x[i];
    return f + r * r;
}

/* (25) Variably dimensioned: f_i = x_i - 1, f_{n+1} = sum j (x_j - 1),
 * f_{n+2} = f_{n+1}^2. */
static double eval_var_dim(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    double s = 0.0, f = 0.0;
    for (size_t j = 0; j < pb->n; j++) {
        f += (x[j] - 1.0) * (x[j] - 1.0);
        s += (double)(j + 1) * (x[j] - 1.0);
    }
    double s2 = s * s;
    if (g) {
        double c = 2.0 * s + 4.0 * s2 * s;
        for (size_t j = 0; j < pb->n; j++)
            g[j] = 2.0 * (x[j] - 1.0) + c * (double)(j + 1);
    }
    return f + s2 + s2 * s2;
}

/* (26) Trigonometric: f_i = n - sum_j cos x_j + i (1 - cos x_i) - sin x_i.
 * df_i/dx_j = sin x_j + [i = j] (i sin x_i - cos x_i), so
 * grad_j = 2 sin x_j sum_i f_i + 2 f_j (j sin x_j - cos x_j): O(n). */
static double eval_trigonometric(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    size_t n = pb->n;
    double c = 0.0;
    for (size_t j = 0; j < n; j++)
        c += cos(x[j]);
    double base = (double)n - c, f = 0.0, sumf = 0.0;
    for (size_t i = 0; i < n; i++) {
        double fi = base + (double)(i + 1) * (1.0 - cos(x[i])) - sin(x[i]);
        f += fi * fi;
        sumf += fi;
    }
    if (g) {
        for (size_t j = 0; j < n; j++) {
            double sj = sin(x[j]), cj = cos(x[j]);
            double fj = base + (double)(j + 1) * (1.0 - cj) - sj;
            g[j] = 2.0 * sj * sumf + 2.0 * fj * ((double)(j + 1) * sj - cj);
        }
    }
    return f;
}

/* Residuals of the banded problems go to pb->data (n doubles) first, then
 * each gradient entry gathers the few residuals that involve it. */

/* Residuals that couple neighbours, f_i = phi_i(x_i) + a x_{i-1} + b x_{i+1}
 * with x_0 = x_{n+1} = 0: x_j enters f_j, f_{j+1} (times a) and f_{j-1}
 * (times b), so grad_j = 2 (phi_j'(x_j) f_j + a f_{j+1} + b f_{j-1}).
 * phi returns phi_i(x_i) (i 0-based) and stores phi_i'(x_i) in *d. */
typedef double (*tridiag_phi)(double xi, size_t i, size_t n, double *d);

static double eval_tridiag(ob_problem *pb, const double *x, double *g, tridiag_phi phi, double a,
                           double b)
{
    size_t n = pb->n;
    double *r = pb->data, f = 0.0, d;
    for (size_t i = 0; i < n; i++) {
        double xl = i > 0 ? x[i - 1] : 0.0, xr = i + 1 < n ? x[i + 1] : 0.0;
        r[i] = phi(x[i], i, n, &d) + a * xl + b * xr;
        f += r[i] * r[i];
    }
    if (g) {
        for (size_t j = 0; j < n; j++) {
            phi(x[j], j, n, &d);
            double s = d * r[j];
            if (j + 1 < n)
                s += a * r[j + 1];
            if (j > 0)
                s += b * r[j - 1];
            g[j] = 2.0 * s;
        }
    }
    return f;
}

/* (28) Discrete boundary value: h = 1/(n+1), t_i = i h,
 * f_i = 2 x_i - x_{i-1} - x_{i+1} + h^2 (x_i + t_i + 1)^3 / 2. */
static double phi_discrete_bv(double xi, size_t i, size_t n, double *d)
{
    double h = 1.0 / ((double)n + 1.0), u = xi + (double)(i + 1) * h + 1.0;
    *d = 2.0 + 1.5 * h * h * u * u;
    return 2.0 * xi + 0.5 * h * h * u * u * u;
}

static double eval_discrete_bv(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    return eval_tridiag(pb, x, g, phi_discrete_bv, -1.0, -1.0);
}

/* (30) Broyden tridiagonal: f_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1. */
static double phi_broyden_tridiagonal(double xi, size_t i, size_t n, double *d)
{
    (void)i;
    (void)n;
    *d = 3.0 - 4.0 * xi;
    return (3.0 - 2.0 * xi) * xi + 1.0;
}

static double eval_broyden_tridiagonal(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    return eval_tridiag(pb, x, g, phi_broyden_tridiagonal, -1.0, -2.0);
}

/* (31) Broyden banded (ml = 5, mu = 1):
 * f_i = x_i (2 + 5 x_i^2) + 1 - sum_{j in J_i} x_j (1 + x_j),
 * J_i = {j != i : max(1, i - 5) <= j <= min(n, i + 1)}. */
static double eval_broyden_banded(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    size_t n = pb->n;
    double *r = pb->data, f = 0.0;
    for (size_t i = 0; i < n; i++) {
        size_t lo = i >= 5 ? i - 5 : 0, hi = i + 1 < n ? i + 1 : n - 1;
        double s = 0.0;
        for (size_t j = lo; j <= hi; j++)
            if (j != i)
                s += x[j] * (1.0 + x[j]);
        r[i] = x[i] * (2.0 + 5.0 * x[i] * x[i]) + 1.0 - s;
        f += r[i] * r[i];
    }
    if (g) {
        for (size_t k = 0; k < n; k++) {
            /* x_k is in J_i for i in [k - 1, k + 5], i != k. */
            size_t lo = k >= 1 ? k - 1 : 0, hi = k + 5 < n ? k + 5 : n - 1;
            double s = 0.0;
            for (size_t i = lo; i <= hi; i++)
                if (i != k)
                    s += r[i];
            g[k] = 2.0 * (r[k] * (2.0 + 15.0 * x[k] * x[k]) - (1.0 + 2.0 * x[k]) * s);
        }
    }
    return f;
}

/* Starting points (MGH §3). */
static void x0_ext_rosenbrock(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = i % 2 ? 1.0 : -1.2;
}
static void x0_ext_powell(double *x, size_t n)
{
    static const double b[4] = {3.0, -1.0, 0.0, 1.0};
    for (size_t i = 0; i < n; i++)
        x[i] = b[i % 4];
}
static void x0_penalty1(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (double)(i + 1);
}
static void x0_var_dim(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = 1.0 - (double)(i + 1) / (double)n;
}
static void x0_trigonometric(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = 1.0 / (double)n;
}
static void x0_discrete_bv(double *x, size_t n)
{
    double h = 1.0 / ((double)n + 1.0);
    for (size_t i = 0; i < n; i++) {
        double ti = (double)(i + 1) * h;
        x[i] = ti * (ti - 1.0);
    }
}
static void x0_minus_one(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = -1.0;
}

/* Penalty I minimiser.  For fixed s = sum x_j^2, sum (x_j - 1)^2 is least
 * when all x_j are equal and positive, so x* = c (1, ..., 1) with c the
 * largest root of d/dc [a n (c-1)^2 + (n c^2 - 1/4)^2] / (2n) =
 * 2n c^3 + (a - 1/2) c - a (Newton from c = 1 decreases monotonically to
 * it, the cubic being convex and increasing there).  This gives MGH's
 * f* = 2.24997e-5 for n = 4 and 7.08765e-5 for n = 10 (tested). */
static double penalty1_c(size_t n)
{
    double nn = (double)n, c = 1.0;
    for (int it = 0; it < 200; it++) {
        double p = 2.0 * nn * c * c * c + (PENALTY1_A - 0.5) * c - PENALTY1_A;
        double dp = 6.0 * nn * c * c + (PENALTY1_A - 0.5);
        double step = p / dp;
        c -= step;
        if (fabs(step) <= 1e-17 * c)
            break;
    }
    return c;
}
static int xs_penalty1(double *x, size_t n)
{
    double c = penalty1_c(n);
    for (size_t i = 0; i < n; i++)
        x[i] = c;
    return 1;
}

typedef struct mgh_big {
    const ob_problem_spec *spec;
    ob_pb_simple_def def;
} mgh_big;

static const mgh_big *big_def(const ob_problem_spec *spec);

static int create_big(const ob_problem_spec *spec, const ob_problem_config *cfg,
                      ob_problem **out, char *err, size_t errlen)
{
    return ob_pb_create_simple(spec, &big_def(spec)->def, cfg, out, err, errlen);
}

#define BIG_SPEC(id, title, k, n, minn, lr, steps)                                 \
    const ob_problem_spec ob_spec_##id = {#id, title, MGH_CITE(k), "mgh", n, 1, minn, \
                                          0, 0, "", lr, steps, create_big};

BIG_SPEC(mgh_ext_rosenbrock, "Extended Rosenbrock (n even)", 21, 10, 2, 1e-1, 2000)
BIG_SPEC(mgh_ext_powell, "Extended Powell singular (n a multiple of 4)", 22, 12, 4, 1e-1, 2000)
BIG_SPEC(mgh_penalty1, "Penalty I", 23, 10, 1, 1.0, 2000)
BIG_SPEC(mgh_var_dim, "Variably dimensioned", 25, 10, 1, 1e-1, 2000)
BIG_SPEC(mgh_trigonometric, "Trigonometric", 26, 10, 1, 1e-1, 2000)
BIG_SPEC(mgh_discrete_bv, "Discrete boundary value", 28, 10, 1, 1e-2, 2000)
BIG_SPEC(mgh_broyden_tridiagonal, "Broyden tridiagonal", 30, 10, 1, 1e-2, 2000)
BIG_SPEC(mgh_broyden_banded, "Broyden banded", 31, 10, 1, 1e-2, 2000)

static const mgh_big big_defs[] = {
    {&ob_spec_mgh_ext_rosenbrock, {2, 0, eval_ext_rosenbrock, x0_ext_rosenbrock, ob_pb_xs_ones}},
    {&ob_spec_mgh_ext_powell, {4, 0, eval_ext_powell, x0_ext_powell, ob_pb_xs_zero}},
    {&ob_spec_mgh_penalty1, {1, 0, eval_penalty1, x0_penalty1, xs_penalty1}},
    {&ob_spec_mgh_var_dim, {1, 0, eval_var_dim, x0_var_dim, ob_pb_xs_ones}},
    /* f* = 0 at x = 0: every f_i vanishes there. */
    {&ob_spec_mgh_trigonometric, {1, 0, eval_trigonometric, x0_trigonometric, ob_pb_xs_zero}},
    {&ob_spec_mgh_discrete_bv, {1, 1, eval_discrete_bv, x0_discrete_bv, ob_pb_xs_unknown}},
    {&ob_spec_mgh_broyden_tridiagonal, {1, 1, eval_broyden_tridiagonal, x0_minus_one, ob_pb_xs_unknown}},
    {&ob_spec_mgh_broyden_banded, {1, 1, eval_broyden_banded, x0_minus_one, ob_pb_xs_unknown}},
};

static const mgh_big *big_def(const ob_problem_spec *spec)
{
    for (size_t i = 0; i < sizeof big_defs / sizeof big_defs[0]; i++)
        if (big_defs[i].spec == spec)
            return &big_defs[i];
    return NULL; /* unreachable: create_big is only in the specs above */
}
/* clang-format on */
