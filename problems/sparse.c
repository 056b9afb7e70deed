/*
 * sparse.c — logistic regression on synthetic sparse data with power-law
 * feature frequencies, the setting in which AdaGrad's per-coordinate steps
 * pay off (Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online
 * Learning and Stochastic Optimization", JMLR 12, 2011, §1.3 and §6: text
 * features, most of them rare).
 *
 * Data (all from cfg.seed): each of `examples` examples has `nnz` distinct
 * binary features (min(nnz, n) if n is smaller); feature j in [1, n] is
 * drawn with probability ~ j^-alpha (continuous power law, inverse CDF, then
 * rounded down), so low indices are common and most are rare.  A ground
 * truth w*_j ~ N(0, 1) labels each example: y = +1 with probability
 * sigmoid(w*.a).  The objective of step t is the mean logistic loss over its
 * mini-batch, so its gradient is non-zero only on the <= batch*nnz features
 * that the batch contains.  x0 = 0; f* is not known (a feature seen only
 * with one label has no finite optimum), so the entry has none.
 *
 * Held-out (ob_problem.heldout): `heldout` more examples (default 2000)
 * from the same generator, examples N .. N+heldout-1 of the same seed (so
 * the training examples are the same with any heldout=), never in a
 * mini-batch: their mean logistic loss and accuracy, the prediction being
 * +1 where w.a >= 0.  It costs a fifth of the training loss by default,
 * so it is evaluated at every measured step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pb_internal.h"

typedef struct sparse_data {
    size_t N, k, M;
    uint32_t *feat; /* (N + M) x k feature indices: training, then held-out */
    signed char *y; /* +1 / -1 */
    ob_pb_sampler sampler;
} sparse_data;

/* The margin-loss of one example; adds -y sigmoid(-y z) * scale to g on its
 * features when g != NULL. */
static double example_loss(const sparse_data *d, size_t e, const double *w, double *g, double scale)
{
    const uint32_t *f = d->feat + e * d->k;
    double z = 0.0, y = d->y[e];
    for (size_t j = 0; j < d->k; j++) z += w[f[j]];
    if (g) {
        double c = -y * ob_pb_sigmoid(-y * z) * scale;
        for (size_t j = 0; j < d->k; j++) g[f[j]] += c;
    }
    return ob_pb_log1pexp(-y * z);
}

static double eval_sparse(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    sparse_data *d = pb->data;
    const uint32_t *idx = ob_pb_sampler_batch(&d->sampler, t);
    double inv = 1.0 / (double)pb->batch, f = 0.0;
    if (g) memset(g, 0, pb->n * sizeof *g);
    for (size_t b = 0; b < pb->batch; b++) f += example_loss(d, idx[b], x, g, inv);
    return f * inv;
}

static double loss_sparse(ob_problem *pb, const double *x, uint64_t t)
{
    (void)t;
    const sparse_data *d = pb->data;
    double f = 0.0;
    for (size_t e = 0; e < d->N; e++) f += example_loss(d, e, x, NULL, 0.0);
    return f / (double)d->N;
}

static void heldout_sparse(ob_problem *pb, const double *x, double *loss, double *acc)
{
    const sparse_data *d = pb->data;
    double f = 0.0;
    size_t right = 0;
    for (size_t e = d->N; e < d->N + d->M; e++) {
        f += example_loss(d, e, x, NULL, 0.0);
        const uint32_t *ft = d->feat + e * d->k;
        double z = 0.0;
        for (size_t j = 0; j < d->k; j++) z += x[ft[j]];
        right += (z >= 0.0 ? 1 : -1) == d->y[e];
    }
    *loss = f / (double)d->M;
    *acc = (double)right / (double)d->M;
}

static void destroy_sparse(ob_problem *pb)
{
    if (pb && pb->data) {
        sparse_data *d = pb->data;
        ob_pb_sampler_free(&d->sampler);
        free(d->feat);
        free(d->y);
    }
    ob_pb_destroy_free(pb);
}

/* A feature index in [0, n) with P(j) ~ (j+1)^-alpha. */
static uint32_t power_law_index(ob_philox *r, size_t n, double alpha)
{
    double u = ob_philox_uniform(r), top = (double)n + 1.0, v;
    if (fabs(alpha - 1.0) < 1e-12) v = pow(top, u);
    else v = pow(1.0 + u * (pow(top, 1.0 - alpha) - 1.0), 1.0 / (1.0 - alpha));
    size_t j = (size_t)v; /* in [1, n+1] up to rounding */
    if (j < 1) j = 1;
    if (j > n) j = n;
    return (uint32_t)(j - 1);
}

/* w*_j, a pure function of (seed, j): nothing of size n is stored. */
static double truth_weight(uint64_t seed, uint32_t j)
{
    ob_philox r;
    ob_philox_init(&r, seed, OB_STREAM_DATA, (UINT64_C(1) << 63) | j);
    return ob_philox_normal(&r);
}

static int is_new(const uint32_t *f, size_t j, uint32_t c)
{
    for (size_t i = 0; i < j; i++)
        if (f[i] == c) return 0;
    return 1;
}

static void make_example(sparse_data *d, size_t e, size_t n, double alpha, uint64_t seed)
{
    ob_philox r;
    ob_philox_init(&r, seed, OB_STREAM_DATA, e);
    uint32_t *f = d->feat + e * d->k;
    for (size_t j = 0; j < d->k; j++) {
        /* Distinct features by rejection; after many rejections (only when
         * nnz is close to n) take the smallest unused index instead. */
        uint32_t c = power_law_index(&r, n, alpha);
        for (int tries = 0; tries < 1000 && !is_new(f, j, c); tries++) c = power_law_index(&r, n, alpha);
        if (!is_new(f, j, c))
            for (c = 0; !is_new(f, j, c); c++)
                ;
        f[j] = c;
    }
    double z = 0.0;
    for (size_t j = 0; j < d->k; j++) z += truth_weight(seed, f[j]);
    d->y[e] = ob_philox_uniform(&r) < ob_pb_sigmoid(z) ? 1 : -1;
}

static int create_sparse(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out,
                         char *err, size_t errlen)
{
    static const ob_pb_param_def defs[] = {
        {"examples", OB_PB_INT, 10000, 1, 1e8, NULL},
        {"nnz", OB_PB_INT, 10, 1, 1e4, NULL},
        {"alpha", OB_PB_REAL, 1.5, 0.0, 10.0, NULL},
        {"heldout", OB_PB_INT, 2000, 0, 1e8, NULL},
    };
    ob_pb_param_val v[4];
    size_t n, batch;
    *out = NULL;
    if (ob_pb_configure(spec, cfg, 1, defs, 4, v, &n, &batch, err, errlen)) return -1;
    size_t N = (size_t)v[0].num, k = (size_t)v[1].num, M = (size_t)v[3].num;
    if (ob_pb_check_batch(spec, batch, N, err, errlen)) return -1;
    if (n > UINT32_MAX)
        return ob_pb_fail(err, errlen, "problem '%s': n = %zu exceeds 2^32 - 1 features", spec->name, n);
    if (k > n) k = n;
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    if (!pb) return -1;
    sparse_data *d = calloc(1, sizeof *d);
    if (d) {
        d->feat = malloc((N + M) * k * sizeof *d->feat);
        d->y = malloc(N + M);
    }
    if (!d || !d->feat || !d->y || ob_pb_sampler_init(&d->sampler, pb->seed, OB_STREAM_BATCH, N, batch)) {
        pb->data = d;
        destroy_sparse(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory for %zu examples", spec->name, N);
    }
    d->N = N;
    d->k = k;
    d->M = M;
    for (size_t e = 0; e < N + M; e++) make_example(d, e, n, v[2].num, pb->seed);
    pb->data = d;
    pb->destroy = destroy_sparse;
    pb->batch = batch;
    pb->eval = eval_sparse;
    pb->loss = loss_sparse;
    if (M) {
        pb->heldout = heldout_sparse;
        pb->heldout_every = 1;
    }
    return ob_pb_done(pb, out);
}

const ob_problem_spec ob_spec_sparse_logreg = {
    "sparse_logreg",
    "Logistic regression, synthetic sparse binary features with power-law frequencies",
    "Duchi, Hazan & Singer, Adaptive Subgradient Methods, JMLR 12:2121-2159, 2011, §1.3, §6",
    "sparse",
    10000,
    1,
    2,
    1,
    16,
    "examples=10000, nnz=10 (features per example), alpha=1.5 (power-law exponent), heldout=2000 (held-out "
    "examples; 0: none)",
    1e-1,
    2000,
    create_sparse};
