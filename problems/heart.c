/*
 * heart.c — binary logistic regression on the Statlog (Heart) data in
 * LIBSVM's scaled form, heart_scale (270 examples, 13 features in [-1, 1],
 * labels +1/-1), as shipped by Debian's liblinear-tools
 * (/usr/share/doc/liblinear-tools/examples/heart_scale).  Source of the
 * data: UCI Statlog (Heart); LIBSVM data sets page; the solver family:
 * Fan, Chang, Hsieh, Wang & Lin, "LIBLINEAR", JMLR 9:1871-1874, 2008.
 *
 *   f(w, b) = (1/N) sum_i log(1 + exp(-y_i (w.a_i + b))) + (l2/2) |w|^2
 *
 * Full batch (deterministic).  x = (w_1..w_13, b), x0 = 0.  The data are
 * not separable, so the minimiser is finite: create() finds it by Newton's
 * method with backtracking and records x* and f* (to ~1e-15).
 *
 * Held-out (ob_problem.heldout), with holdout=K >= 2: examples K, 2K,
 * 3K, ... of the file (1-based) are moved out of the objective (and of
 * x*, f*): their mean logistic loss (no ridge term) and accuracy, the
 * prediction being +1 where w.a + b >= 0, at every measured step.
 * heart_scale has no published test split, and holdout=0 (the default)
 * keeps the problem as published, with all 270 examples and no held-out
 * figures.
 *
 * The file is in LIBSVM's sparse text format, "label idx:val idx:val ...",
 * with 1-based increasing indices; it is read through zlib so a gzipped copy
 * works too.  Malformed lines are errors naming the file and the line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pb_internal.h"

#define HEART_D 13
#define HEART_N (HEART_D + 1)
#define HEART_FILE "/usr/share/doc/liblinear-tools/examples/heart_scale"

typedef struct heart_data {
    size_t N, M;
    double l2;
    double *a; /* N x 13 */
    double *y; /* N, +1 / -1 */
    double *ha, *hy; /* the M held-out examples (holdout=K) */
} heart_data;

static void heldout_heart(ob_problem *pb, const double *x, double *loss, double *acc)
{
    const heart_data *d = pb->data;
    double f = 0.0;
    size_t right = 0;
    for (size_t i = 0; i < d->M; i++) {
        const double *a = d->ha + i * HEART_D;
        double z = x[HEART_D];
        for (size_t j = 0; j < HEART_D; j++) z += x[j] * a[j];
        f += ob_pb_log1pexp(-d->hy[i] * z);
        right += (z >= 0.0 ? 1.0 : -1.0) == d->hy[i];
    }
    *loss = f / (double)d->M;
    *acc = (double)right / (double)d->M;
}

/* Moves examples K, 2K, ... (1-based) to the held-out arrays; -1 when
 * out of memory or when nothing would be left to train on. */
static int heart_split(heart_data *d, size_t K, char *err, size_t errlen)
{
    size_t M = d->N / K;
    if (d->N - M == 0) return ob_pb_fail(err, errlen, "heart_logreg: holdout=%zu leaves no training example", K);
    d->ha = malloc((M ? M : 1) * HEART_D * sizeof *d->ha);
    d->hy = malloc((M ? M : 1) * sizeof *d->hy);
    if (!d->ha || !d->hy) return ob_pb_fail(err, errlen, "heart_logreg: out of memory");
    size_t kept = 0, out = 0;
    for (size_t i = 0; i < d->N; i++) {
        const int held = (i + 1) % K == 0;
        double *a = held ? d->ha + out * HEART_D : d->a + kept * HEART_D;
        memmove(a, d->a + i * HEART_D, HEART_D * sizeof *a);
        if (held) d->hy[out++] = d->y[i];
        else d->y[kept++] = d->y[i];
    }
    d->N = kept;
    d->M = out;
    return 0;
}

static double eval_heart(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    (void)t;
    const heart_data *d = pb->data;
    double f = 0.0;
    if (g) memset(g, 0, HEART_N * sizeof *g);
    for (size_t i = 0; i < d->N; i++) {
        const double *a = d->a + i * HEART_D;
        double z = x[HEART_D];
        for (size_t j = 0; j < HEART_D; j++) z += x[j] * a[j];
        f += ob_pb_log1pexp(-d->y[i] * z);
        if (g) {
            double c = -d->y[i] * ob_pb_sigmoid(-d->y[i] * z);
            for (size_t j = 0; j < HEART_D; j++) g[j] += c * a[j];
            g[HEART_D] += c;
        }
    }
    double inv = 1.0 / (double)d->N, reg = 0.0;
    for (size_t j = 0; j < HEART_D; j++) {
        reg += x[j] * x[j];
        if (g) g[j] = g[j] * inv + d->l2 * x[j];
    }
    if (g) g[HEART_D] *= inv;
    return f * inv + 0.5 * d->l2 * reg;
}

/* One LIBSVM line into (label, row); 0 = parsed, 1 = blank, -1 = error. */
static int parse_line(char *line, double *label, double *row, char *why, size_t whylen)
{
    char *p = line, *end;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\n' || *p == '\r' || *p == '\0') return 1;
    errno = 0;
    *label = strtod(p, &end);
    if (end == p || (*label != 1.0 && *label != -1.0)) {
        snprintf(why, whylen, "the label must be +1 or -1");
        return -1;
    }
    memset(row, 0, HEART_D * sizeof *row);
    long last = 0;
    for (p = end;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '\n' || *p == '\r' || *p == '\0') return 0;
        long idx = strtol(p, &end, 10);
        if (end == p || *end != ':' || idx <= last || idx > HEART_D) {
            snprintf(why, whylen, "expected idx:value with increasing idx in 1..%d", HEART_D);
            return -1;
        }
        p = end + 1;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v)) {
            snprintf(why, whylen, "feature %ld has no finite value", idx);
            return -1;
        }
        row[idx - 1] = v;
        last = idx;
        p = end;
    }
}

static int heart_load(const char *path, heart_data *d, char *err, size_t errlen)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        int e = errno;
        return ob_pb_fail(err, errlen,
                          "heart_scale file '%s' cannot be opened (%s): install it with "
                          "`apt-get install liblinear-tools`, or pass file=PATH",
                          path, e ? strerror(e) : "zlib error");
    }
    char line[65536], why[128];
    size_t cap = 0, lineno = 0;
    int rc = 0;
    d->N = 0;
    while (gzgets(f, line, sizeof line)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = ob_pb_fail(err, errlen, "heart_scale file '%s', line %zu: longer than %zu bytes", path,
                            lineno, sizeof line - 2);
            break;
        }
        if (d->N == cap) {
            cap = cap ? 2 * cap : 512;
            double *a = realloc(d->a, cap * HEART_D * sizeof *a),
                   *y = a ? realloc(d->y, cap * sizeof *y) : NULL;
            if (a) d->a = a;
            if (!a || !y) {
                rc = ob_pb_fail(err, errlen, "heart_scale file '%s': out of memory", path);
                break;
            }
            d->y = y;
        }
        int k = parse_line(line, &d->y[d->N], d->a + d->N * HEART_D, why, sizeof why);
        if (k < 0) {
            rc = ob_pb_fail(err, errlen, "heart_scale file '%s', line %zu: %s", path, lineno, why);
            break;
        }
        if (k == 0) d->N++;
    }
    int zerr;
    const char *zmsg = gzerror(f, &zerr);
    if (rc == 0 && zerr != Z_OK && zerr != Z_STREAM_END)
        rc = ob_pb_fail(err, errlen, "heart_scale file '%s' is corrupt (%s)", path, zmsg);
    if (rc == 0 && d->N == 0) rc = ob_pb_fail(err, errlen, "heart_scale file '%s' holds no examples", path);
    gzclose(f);
    return rc;
}

/* Solves the SPD system H p = g (n x n, overwritten) by Cholesky; -1 if H
 * is not numerically positive definite. */
static int cholesky_solve(double *H, double *p, const double *g, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        double s = H[j * n + j];
        for (size_t k = 0; k < j; k++) s -= H[j * n + k] * H[j * n + k];
        if (!(s > 0.0)) return -1;
        H[j * n + j] = sqrt(s);
        for (size_t i = j + 1; i < n; i++) {
            double v = H[i * n + j];
            for (size_t k = 0; k < j; k++) v -= H[i * n + k] * H[j * n + k];
            H[i * n + j] = v / H[j * n + j];
        }
    }
    for (size_t i = 0; i < n; i++) {
        double v = g[i];
        for (size_t k = 0; k < i; k++) v -= H[i * n + k] * p[k];
        p[i] = v / H[i * n + i];
    }
    for (size_t i = n; i-- > 0;) {
        double v = p[i];
        for (size_t k = i + 1; k < n; k++) v -= H[k * n + i] * p[k];
        p[i] = v / H[i * n + i];
    }
    return 0;
}

/* Newton's method with backtracking from x = 0; 0 when the gradient's
 * max-norm falls below 1e-13. */
static int heart_newton(ob_problem *pb, double *x)
{
    const heart_data *d = pb->data;
    double g[HEART_N], p[HEART_N], H[HEART_N * HEART_N], xt[HEART_N];
    memset(x, 0, HEART_N * sizeof *x);
    double f = eval_heart(pb, x, g, 1);
    for (int it = 0; it < 100; it++) {
        double gmax = 0.0;
        for (size_t j = 0; j < HEART_N; j++) gmax = fmax(gmax, fabs(g[j]));
        if (gmax < 1e-13) return 0;
        memset(H, 0, sizeof H);
        for (size_t i = 0; i < d->N; i++) {
            double at[HEART_N], z = x[HEART_D];
            memcpy(at, d->a + i * HEART_D, HEART_D * sizeof *at);
            at[HEART_D] = 1.0;
            for (size_t j = 0; j < HEART_D; j++) z += x[j] * at[j];
            double s = ob_pb_sigmoid(z), wgt = s * (1.0 - s) / (double)d->N;
            for (size_t r = 0; r < HEART_N; r++)
                for (size_t c = 0; c <= r; c++) H[r * HEART_N + c] += wgt * at[r] * at[c];
        }
        for (size_t j = 0; j < HEART_D; j++) H[j * HEART_N + j] += d->l2;
        if (cholesky_solve(H, p, g, HEART_N)) return -1;
        double step = 1.0, ft = f, gt[HEART_N];
        for (int ls = 0; ls < 60; ls++, step *= 0.5) {
            for (size_t j = 0; j < HEART_N; j++) xt[j] = x[j] - step * p[j];
            ft = eval_heart(pb, xt, gt, 1);
            if (ft <= f) break;
        }
        if (!(ft <= f)) return -1;
        memcpy(x, xt, sizeof xt);
        memcpy(g, gt, sizeof gt);
        f = ft;
    }
    return -1;
}

static void destroy_heart(ob_problem *pb)
{
    if (pb && pb->data) {
        heart_data *d = pb->data;
        free(d->a);
        free(d->y);
        free(d->ha);
        free(d->hy);
    }
    ob_pb_destroy_free(pb);
}

static int create_heart(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out,
                        char *err, size_t errlen)
{
    static const ob_pb_param_def defs[] = {
        {"file", OB_PB_STRING, 0, 0, 0, HEART_FILE},
        {"l2", OB_PB_REAL, 0.0, 0.0, 1e6, NULL},
        {"holdout", OB_PB_INT, 0, 0, 1e9, NULL},
    };
    ob_pb_param_val v[3];
    size_t n, batch;
    *out = NULL;
    if (ob_pb_configure(spec, cfg, 1, defs, 3, v, &n, &batch, err, errlen)) return -1;
    if (v[2].num == 1)
        return ob_pb_fail(err, errlen, "problem '%s': holdout=1 would hold out every example (0: none; K >= 2)",
                          spec->name);
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    heart_data *d = calloc(1, sizeof *d);
    if (!pb || !d) {
        free(d);
        ob_pb_free(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory", spec->name);
    }
    pb->data = d;
    pb->destroy = destroy_heart;
    pb->eval = eval_heart;
    d->l2 = v[1].num;
    if (heart_load(v[0].str, d, err, errlen)) {
        ob_pb_set_why(cfg, OB_PROBLEM_EDATA);
        destroy_heart(pb);
        return -1;
    }
    if (v[2].num >= 2 && heart_split(d, (size_t)v[2].num, err, errlen)) {
        destroy_heart(pb);
        return -1;
    }
    if (d->M) {
        pb->heldout = heldout_heart;
        pb->heldout_every = 1;
    }
    if (ob_pb_alloc_xstar(pb, err, errlen)) {
        destroy_heart(pb);
        return -1;
    }
    if (heart_newton(pb, pb->xstar) == 0) {
        pb->has_fstar = 1;
        pb->fstar = eval_heart(pb, pb->xstar, NULL, 1);
    } else {
        /* Separable data (a user's file): no finite minimiser to report. */
        free(pb->xstar);
        pb->xstar = NULL;
    }
    return ob_pb_done(pb, out);
}

const ob_problem_spec ob_spec_heart_logreg = {
    "heart_logreg",
    "Logistic regression on heart_scale (270 x 13, LIBSVM / liblinear-tools)",
    "UCI Statlog (Heart) as LIBSVM's heart_scale; Fan et al., LIBLINEAR, JMLR 9:1871-1874, 2008",
    "ml",
    HEART_N,
    0,
    HEART_N,
    0,
    0,
    "file=" HEART_FILE ", l2=0 (ridge on w), holdout=0 (K >= 2: every K-th example held out)",
    1e-2,
    2000,
    create_heart};
