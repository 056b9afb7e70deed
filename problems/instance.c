/*
 * instance.c — problem instances k >= 1 (optbench/problems.h,
 * ob_instance_kind; README "Problem instances"), derived the way COCO's
 * bbob suite derives its instances (Hansen, Auger, Ros, Mersmann, Tušar &
 * Brockhoff, "COCO: a platform for comparing continuous optimizers in a
 * black-box setting", Optim. Methods Softw. 36(1):114-144, 2021, §3):
 * a seeded rotation and shift of the search space where that keeps the
 * problem's meaning, so that one lucky start or one coordinate system
 * does not decide a comparison.  Instance 0 is never touched.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pb_internal.h"

ob_instance_kind ob_problem_instance_kind(const ob_problem_spec *spec)
{
    if (!spec || strcmp(spec->family, "online") == 0) return OB_INSTANCE_NONE;
    if (spec->stochastic || strcmp(spec->family, "nonstationary") == 0) return OB_INSTANCE_SEED;
    if (strcmp(spec->family, "ml") == 0) return OB_INSTANCE_X0;
    return OB_INSTANCE_ROTATE;
}

const char *ob_instance_kind_name(ob_instance_kind k)
{
    switch (k) {
    case OB_INSTANCE_ROTATE: return "rotate+shift";
    case OB_INSTANCE_X0: return "perturbed x0";
    case OB_INSTANCE_SEED: return "data seed";
    default: return "none";
    }
}

/* The rotated and shifted instance: x = x0 + Q (y - y0). */
typedef struct rot_inst {
    ob_problem *base;
    double *Q;      /* n x n, row-major */
    double *x0b;    /* the base's x0 */
    double *x, *gx; /* scratch: the base's point and gradient */
} rot_inst;

static void to_base(const ob_problem *pb, const rot_inst *d, const double *y)
{
    size_t n = pb->n;
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < n; j++) s += d->Q[i * n + j] * (y[j] - pb->x0[j]);
        d->x[i] = d->x0b[i] + s;
    }
}

static double rot_eval(ob_problem *pb, const double *y, double *g, uint64_t t)
{
    rot_inst *d = pb->data;
    size_t n = pb->n;
    to_base(pb, d, y);
    double f = d->base->eval(d->base, d->x, g ? d->gx : NULL, t);
    if (g) { /* g = Q^T grad f(x) */
        for (size_t j = 0; j < n; j++) g[j] = 0.0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) g[j] += d->Q[i * n + j] * d->gx[i];
    }
    return f;
}

static double rot_loss(ob_problem *pb, const double *y, uint64_t t)
{
    rot_inst *d = pb->data;
    to_base(pb, d, y);
    return d->base->loss(d->base, d->x, t);
}

static void rot_destroy(ob_problem *pb)
{
    if (!pb) return;
    rot_inst *d = pb->data;
    if (d) {
        ob_problem_destroy(d->base);
        free(d->Q);
        free(d->x0b);
        free(d->x);
        free(d->gx);
        free(d);
    }
    ob_pb_free(pb);
}

/* Wraps base (which it then owns) into the rotated, shifted instance. */
static int make_rotated(ob_problem *base, const ob_problem_config *cfg, ob_problem **out, char *err,
                        size_t errlen)
{
    size_t n = base->n;
    ob_problem *pb = ob_pb_new(base->spec, cfg, n, err, errlen);
    rot_inst *d = calloc(1, sizeof *d);
    int bad = !pb || !d || !(d->Q = malloc(n * n * sizeof(double))) || !(d->x0b = malloc(n * sizeof(double))) ||
              !(d->x = malloc(n * sizeof(double))) || !(d->gx = malloc(n * sizeof(double))) ||
              (base->xstar && ob_pb_alloc_xstar(pb, err, errlen) != 0);
    if (pb) {
        pb->data = d;
        pb->destroy = rot_destroy;
    }
    if (bad) {
        if (pb) rot_destroy(pb);
        else free(d);
        ob_problem_destroy(base);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory for instance %llu", base->spec->name,
                          (unsigned long long)cfg->instance);
    }
    d->base = base;
    ob_philox rng;
    ob_philox_init(&rng, cfg->seed, OB_STREAM_INSTANCE, cfg->instance);
    ob_pb_haar_orthogonal(d->Q, n, &rng);
    memcpy(d->x0b, base->x0, n * sizeof(double));
    for (size_t i = 0; i < n; i++) pb->x0[i] = base->x0[i] + (2.0 * ob_philox_uniform(&rng) - 1.0);
    if (base->xstar) /* y* = y0 + Q^T (x* - x0) */
        for (size_t i = 0; i < n; i++) {
            double s = 0.0;
            for (size_t j = 0; j < n; j++) s += d->Q[j * n + i] * (base->xstar[j] - base->x0[j]);
            pb->xstar[i] = pb->x0[i] + s;
        }
    pb->eval = rot_eval;
    pb->loss = rot_loss;
    pb->fstar = base->fstar;
    pb->has_fstar = base->has_fstar;
    pb->f0_published = base->f0_published;
    pb->tol = base->tol; /* the same f(x0) and f*: the same target */
    pb->batch = base->batch;
    *out = pb;
    return 0;
}

int ob_pb_make_instance(const ob_problem_config *cfg, ob_problem **pb, char *err, size_t errlen)
{
    ob_problem *base = *pb;
    ob_instance_kind kind = ob_problem_instance_kind(base->spec);
    if (cfg->instance == 0 || kind == OB_INSTANCE_SEED) return 0; /* SEED: created with seed + k */
    if (kind == OB_INSTANCE_X0) {
        ob_philox rng;
        ob_philox_init(&rng, cfg->seed, OB_STREAM_INSTANCE, cfg->instance);
        for (size_t i = 0; i < base->n; i++) base->x0[i] += 0.5 * ob_philox_normal(&rng);
        base->f0_published = NAN; /* no longer the published start */
        return 0;
    }
    *pb = NULL;
    if (kind == OB_INSTANCE_NONE || base->has_box) {
        const char *name = base->spec->name;
        ob_problem_destroy(base);
        return ob_pb_fail(err, errlen, "problem '%s' offers no instances (instance %llu asked; see optbench list)",
                          name, (unsigned long long)cfg->instance);
    }
    return make_rotated(base, cfg, pb, err, errlen);
}

void ob_problem_instance_point(const ob_problem *pb, const double *y, double *x)
{
    if (pb->destroy != rot_destroy) {
        memcpy(x, y, pb->n * sizeof(double));
        return;
    }
    const rot_inst *d = pb->data;
    to_base(pb, d, y);
    memcpy(x, d->x, pb->n * sizeof(double));
}
