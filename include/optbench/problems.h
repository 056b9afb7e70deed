/*
 * optbench/problems.h — the catalog of standard problems.
 *
 * Each problem is one entry (ob_problem_spec) in a single table.  A spec is
 * instantiated with a configuration (dimension, seed, batch size, extra
 * key=value parameters) into an ob_problem, which evaluates f and its
 * gradient in double.  Knows nothing about kernels or the harness.
 */
#ifndef OB_PROBLEMS_H
#define OB_PROBLEMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ob_problem ob_problem;

/* Why ob_problem_create failed, so that a caller can tell the user's
 * input (exit 2) from the installation's data files (exit 5) and the
 * machine's memory (exit 1). */
typedef enum ob_problem_error {
    OB_PROBLEM_OK = 0,
    OB_PROBLEM_ECONFIG, /* bad name, n, batch or parameter */
    OB_PROBLEM_EDATA,   /* a data file is missing, unreadable or corrupt */
    OB_PROBLEM_ENOMEM   /* an allocation failed */
} ob_problem_error;

/* How a problem is built.  Zero fields mean "the spec's default". */
typedef struct ob_problem_config {
    size_t n;      /* dimension, for problems where the user picks it */
    uint64_t seed; /* data, rotations and mini-batches derive from it */
    size_t batch;  /* mini-batch size for stochastic problems */
    /* Extra problem-specific parameters as "key=value" strings (e.g.
     * "cond=1e4"); unknown keys are an error naming the key. */
    const char *const *params;
    size_t n_params;
    /* Folder of the Fashion-MNIST IDX files; NULL: OPTBENCH_FMNIST_DIR or
     * /usr/share/datasets/fashion-mnist.  Tests point it at small files. */
    const char *data_dir;
    /* Optional: receives why ob_problem_create failed (OB_PROBLEM_OK on
     * success).  NULL: not reported. */
    ob_problem_error *why;
    /* Which instance (README "Problem instances"): 0 is the problem as
     * published; k >= 1 is derived from (seed, k) the way
     * ob_problem_instance_kind says.  Asking for k >= 1 of a problem that
     * offers none is a configuration error. */
    uint64_t instance;
} ob_problem_config;

typedef struct ob_problem_spec {
    const char *name;       /* "rosenbrock", "mgh_beale", "fmnist_logreg", ... */
    const char *title;      /* human-readable */
    const char *citation;   /* paper + equation/table number */
    const char *family;     /* "mgh", "classic", "quadratic", "nonstationary",
                              * "sparse", "ml", "online" */
    size_t default_n;       /* default dimension */
    int n_user;             /* 1 if the user may choose n */
    size_t min_n;           /* smallest valid n when n_user */
    int stochastic;         /* 1 if the gradient is a mini-batch / noisy */
    size_t default_batch;   /* for stochastic problems */
    const char *params_doc; /* "cond=1e4 (condition number)" or "" */
    double default_lr;      /* a sensible learning rate for Adam-like methods */
    uint64_t default_steps; /* a sensible number of steps for a run */
    /* Creates an instance; 0, or -1 with a message (no allocation leaked). */
    int (*create)(const struct ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out,
                  char *err, size_t errlen);
} ob_problem_spec;

struct ob_problem {
    const ob_problem_spec *spec;
    size_t n;
    double *x0;   /* starting point (published one where there is one) */
    double fstar; /* known minimum value (if has_fstar) */
    int has_fstar;
    double *xstar;       /* a known minimiser, or NULL */
    double f0_published; /* f(x0) as published, NaN if not given */
    double tol;          /* target: f - f* <= tol counts as reached */
    int has_box;         /* 1: project onto [lo, hi] after every step */
    double box_lo, box_hi;
    uint64_t seed;
    size_t batch;
    void *data; /* problem-private */
    /* The objective at step t (1-based).  For deterministic problems t is
     * ignored.  For stochastic ones the sample depends only on (seed, t).
     * For online/non-stationary ones f_t itself depends on t.
     * If grad != NULL it receives the gradient (length n).  Returns f_t(x). */
    double (*eval)(ob_problem *pb, const double *x, double *grad, uint64_t t);
    /* The full (noise-free, whole-data-set, or time-averaged) objective used
     * to report convergence; for deterministic problems the same as eval. */
    double (*loss)(ob_problem *pb, const double *x, uint64_t t);
    void (*destroy)(ob_problem *pb);
    /* Optional, NULL where not offered: the loss and the accuracy (the
     * share of examples classified right) at x on held-out examples, data
     * the objective never trains on, so that a run shows the
     * generalisation gap (README "Monitoring").  The loss is the data term
     * of the same kind as loss() (mean cross-entropy or logistic loss,
     * without any regulariser).  Offered by fmnist_logreg and fmnist_mlp
     * (the t10k test set, when its files are beside the training files),
     * sparse_logreg (heldout= examples more from the same generator) and
     * heart_logreg with holdout=K (every K-th example held out).  The
     * harness evaluates it at every heldout_every-th measured step and at
     * the last (0 counts as 1): the problems set it so that it costs at
     * most about what the training loss at those steps costs. */
    void (*heldout)(ob_problem *pb, const double *x, double *loss, double *acc);
    unsigned heldout_every;
};

extern const ob_problem_spec *const ob_problem_table[];
extern const size_t ob_problem_count;

/* Looks a problem up by name; NULL if unknown. */
const ob_problem_spec *ob_problem_find(const char *name);

/* Creates an instance with a configuration (cfg may be NULL for defaults).
 * Returns 0, or -1 with a message naming what is wrong (and the kind of
 * failure in *cfg->why when given). */
int ob_problem_create(const char *name, const ob_problem_config *cfg, ob_problem **out, char *err,
                      size_t errlen);
void ob_problem_destroy(ob_problem *pb);

/* How instances k >= 1 of a problem are derived (COCO's bbob instances,
 * Hansen et al., Optim. Methods Softw. 36(1), 2021, §3, where the problem
 * allows it):
 *  - ROTATE: deterministic problems with a known or fixed f*: a
 *    Haar-random rotation Q and a shift s ~ U(-1, 1)^n, both from (seed, k),
 *    with the start moved by the same shift:
 *      f_k(y) = f(x0 + Q (y - y0)),  y0 = x0 + s,  grad f_k(y) = Q^T grad f(x),
 *    so f_k(y0) = f(x0), f*_k = f* and y*_k = y0 + Q^T (x* - x0);
 *  - X0: deterministic data-driven problems (a fixed data set, where a
 *    rotation would mix its features): the start perturbed,
 *    y0 = x0 + 0.5 N(0, I) from (seed, k); f, f* and x* unchanged;
 *  - SEED: stochastic and non-stationary problems: another data and noise
 *    seed, seed + k (f* is that seed's, known where it was known);
 *  - NONE: the online counterexamples (their meaning is the exact
 *    sequence and the box): instance 0 only. */
typedef enum ob_instance_kind {
    OB_INSTANCE_NONE = 0,
    OB_INSTANCE_ROTATE,
    OB_INSTANCE_X0,
    OB_INSTANCE_SEED
} ob_instance_kind;

ob_instance_kind ob_problem_instance_kind(const ob_problem_spec *spec);
/* "rotate+shift", "perturbed x0", "data seed", "none". */
const char *ob_instance_kind_name(ob_instance_kind k);

/* The base problem's point x = x0 + Q (y - y0) of point y of a rotated
 * instance (x = y for every other instance), so that f, its gradient and
 * f* of an instance can be checked against the base problem. */
void ob_problem_instance_point(const ob_problem *pb, const double *y, double *x);

/* Projects x onto the problem's box constraint, if it has one. */
void ob_problem_project(const ob_problem *pb, double *x);

/* Noisy quadratic model ("nqm"; Zhang et al., NeurIPS 2019, §3): the
 * expected loss E[l(x_t)] = sum_i E[h_i x_{t,i}^2 / 2] after t steps of
 * plain SGD, x <- x - lr * g, from the instance's x0, with its batch size.
 * Lets a statistical test compare a stochastic run against theory.
 * NaN if pb is not an "nqm" instance.  (Added to the API for issue
 * "problem catalog".) */
double ob_nqm_expected_loss_sgd(const ob_problem *pb, double lr, uint64_t t);

#ifdef __cplusplus
}
#endif
#endif
