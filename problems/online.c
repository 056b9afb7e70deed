/*
 * online.c — the one-dimensional online problems of
 *   S. J. Reddi, S. Kale and S. Kumar, "On the Convergence of Adam and
 *   Beyond", ICLR 2018
 * on which Adam converges to the worst point while AMSGrad does not.
 * Each f_t is linear, f_t(x) = a_t x, on the feasible set [-1, 1] (the entry
 * declares the box; the harness projects after every step), x0 = 0.
 * The per-step minimiser is x* = -1 (f_t(-1) = -a_t) whenever the average
 * slope is positive, which it is for all three; loss() reports the average
 * over one period (or the expectation) of f_t, whose minimum -abar is f*.
 */
#include <math.h>
#include <stdlib.h>

#include "pb_internal.h"

typedef enum { ONLINE_THM1, ONLINE_SEC5, ONLINE_SEC5_STOCH } online_kind;

typedef struct online_data {
    online_kind kind;
    double C;    /* Theorem 1's C */
    double abar; /* average slope: the loss is abar x */
} online_data;

static double slope(const ob_problem *pb, uint64_t t)
{
    const online_data *d = pb->data;
    switch (d->kind) {
    case ONLINE_THM1:
        /* Theorem 1: f_t = C x for t mod 3 = 1, else -x. */
        return t % 3 == 1 ? d->C : -1.0;
    case ONLINE_SEC5:
        /* §5, synthetic online: 1010 x for t mod 101 = 1, else -10 x. */
        return t % 101 == 1 ? 1010.0 : -10.0;
    case ONLINE_SEC5_STOCH: {
        /* §5, synthetic stochastic: 1010 x with probability 0.01, else
         * -10 x; the draw of step t is a function of (seed, t). */
        ob_philox rng;
        ob_philox_init(&rng, pb->seed, OB_STREAM_ONLINE, t);
        return ob_philox_uniform(&rng) < 0.01 ? 1010.0 : -10.0;
    }
    }
    return NAN;
}

static double eval_online(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    double a = slope(pb, t);
    if (g) g[0] = a;
    return a * x[0];
}

static double loss_online(ob_problem *pb, const double *x, uint64_t t)
{
    (void)t;
    return ((const online_data *)pb->data)->abar * x[0];
}

static int create_online(const ob_problem_spec *spec, const ob_problem_config *cfg, online_kind kind,
                         ob_problem **out, char *err, size_t errlen)
{
    /* Theorem 1 holds for C > 2 (the average slope (C - 2)/3 is then
     * positive); the paper's experiments use C = 3. */
    static const ob_pb_param_def defs[] = {{"C", OB_PB_REAL, 3.0, 2.0, 1e6, NULL}};
    ob_pb_param_val v[1] = {{3.0, NULL, 0}};
    size_t n, batch;
    *out = NULL;
    if (ob_pb_configure(spec, cfg, 1, defs, kind == ONLINE_THM1 ? 1 : 0, v, &n, &batch, err, errlen))
        return -1;
    if (!(v[0].num > 2.0))
        return ob_pb_fail(err, errlen, "problem '%s': C must be > 2 (got %g)", spec->name, v[0].num);
    if (spec->stochastic && batch != 1)
        return ob_pb_fail(err, errlen, "problem '%s' draws one function per step: batch must be 1 (got %zu)",
                          spec->name, batch);
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    online_data *d = malloc(sizeof *d);
    if (!pb || !d || ob_pb_alloc_xstar(pb, err, errlen)) {
        free(d);
        ob_pb_free(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory", spec->name);
    }
    d->kind = kind;
    d->C = v[0].num;
    if (kind == ONLINE_THM1) d->abar = (d->C - 2.0) / 3.0;
    else if (kind == ONLINE_SEC5) d->abar = (1010.0 - 100.0 * 10.0) / 101.0;
    else d->abar = 0.01 * 1010.0 - 0.99 * 10.0;
    pb->data = d;
    pb->batch = batch;
    pb->eval = eval_online;
    pb->loss = loss_online;
    pb->has_box = 1;
    pb->box_lo = -1.0;
    pb->box_hi = 1.0;
    pb->x0[0] = 0.0;
    pb->xstar[0] = -1.0;
    pb->has_fstar = 1;
    pb->fstar = -d->abar;
    return ob_pb_done(pb, out);
}

#define ONLINE(id, kind, title, cite, stoch, lr, steps, doc) \
    static int create_##id(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out, \
                           char *err, size_t errlen) \
    { \
        return create_online(spec, cfg, kind, out, err, errlen); \
    } \
    const ob_problem_spec ob_spec_##id = {#id,   title, cite, "online", 1,     0,          1, \
                                          stoch, stoch, doc,  lr,       steps, create_##id};

ONLINE(amsgrad_thm1, ONLINE_THM1, "AMSGrad Theorem 1: f_t = C x (t mod 3 = 1), else -x, on [-1, 1]",
       "Reddi, Kale & Kumar, On the Convergence of Adam and Beyond, ICLR 2018, Theorem 1 and §5", 0, 0.1,
       3000, "C=3 (> 2)")
ONLINE(amsgrad_online, ONLINE_SEC5, "AMSGrad §5 online: 1010 x (t mod 101 = 1), else -10 x, on [-1, 1]",
       "Reddi, Kale & Kumar, On the Convergence of Adam and Beyond, ICLR 2018, §5 (synthetic online)", 0, 0.5,
       2020, "")
ONLINE(amsgrad_stochastic, ONLINE_SEC5_STOCH,
       "AMSGrad §5 stochastic: 1010 x with probability 0.01, else -10 x, on [-1, 1]",
       "Reddi, Kale & Kumar, On the Convergence of Adam and Beyond, ICLR 2018, §5 (synthetic stochastic)", 1,
       0.5, 2000, "")
