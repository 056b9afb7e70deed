/*
 * pb_internal.h — helpers shared by the problem files of the catalog
 * (allocation, configuration checks, parameters, numerics).  Internal: not
 * part of the public API in optbench/problems.h.
 */
#ifndef OB_PROBLEMS_INTERNAL_H
#define OB_PROBLEMS_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "optbench/problems.h"
#include "rng.h"

/* Writes a message into err (which may be NULL) and returns -1, so that a
 * create() can `return ob_pb_fail(err, errlen, ...)`. */
int ob_pb_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records why a create() failed in cfg->why (cfg may be NULL).  Only data
 * loaders need it: ob_problem_create classifies the rest (a failed
 * allocation by errno, everything else as a configuration error). */
void ob_pb_set_why(const ob_problem_config *cfg, ob_problem_error why);

/* ---- configuration ------------------------------------------------------ */

/* The configuration with NULL replaced by all-defaults. */
const ob_problem_config *ob_pb_cfg(const ob_problem_config *cfg);

typedef enum { OB_PB_REAL, OB_PB_INT, OB_PB_STRING } ob_pb_param_kind;

/* One accepted "key=value" parameter.  Numbers must be finite and lie in
 * [lo, hi]; integers must also be whole.  Strings are kept as pointers into
 * the caller's configuration, valid only during create(). */
typedef struct ob_pb_param_def {
    const char *key;
    ob_pb_param_kind kind;
    double def, lo, hi;
    const char *sdef;
} ob_pb_param_def;

typedef struct ob_pb_param_val {
    double num;
    const char *str;
    int given;
} ob_pb_param_val;

/* The checks every create() starts with, each failing with a message that
 * names the problem and the offending value:
 *  - n: the spec's fixed n (cfg->n must be 0 or equal to it), or the
 *    user's n (>= min_n, and a multiple of `multiple` when that is > 1);
 *  - batch: deterministic problems take none (cfg->batch must be 0),
 *    stochastic ones cfg->batch or the default;
 *  - cfg->params against defs (vals[i] belongs to defs[i]; defs may be NULL
 *    with ndefs 0): unknown or repeated keys, a missing '=' and bad values
 *    are errors. */
int ob_pb_configure(const ob_problem_spec *spec, const ob_problem_config *cfg, size_t multiple,
                    const ob_pb_param_def *defs, size_t ndefs, ob_pb_param_val *vals, size_t *n,
                    size_t *batch, char *err, size_t errlen);

/* A mini-batch cannot be larger than the data set it is drawn from. */
int ob_pb_check_batch(const ob_problem_spec *spec, size_t batch, size_t examples, char *err, size_t errlen);

/* ---- the instance --------------------------------------------------------- */

/* Allocates an instance with x0 zero-filled, no f*, NaN f0_published, no
 * box, loss = eval, destroy = ob_pb_destroy_free. */
ob_problem *ob_pb_new(const ob_problem_spec *spec, const ob_problem_config *cfg, size_t n, char *err,
                      size_t errlen);
/* Allocates pb->xstar (zero-filled); -1 with a message if out of memory. */
int ob_pb_alloc_xstar(ob_problem *pb, char *err, size_t errlen);
/* Finishes an instance and hands it out (*out = pb; returns 0): sets a
 * default target tolerance when the create() left tol at 0, namely
 * min(1e-6, 1e-3 (f(x0) - f*)) for deterministic problems and
 * 1e-2 (f(x0) - f*) of the reported loss for stochastic, online and
 * non-stationary ones. */
int ob_pb_done(ob_problem *pb, ob_problem **out);
/* Frees x0, xstar and the instance (not data). */
void ob_pb_free(ob_problem *pb);
/* destroy() for problems whose data is one malloc'd block (or NULL). */
void ob_pb_destroy_free(ob_problem *pb);
/* loss() that evaluates eval() without a gradient. */
double ob_pb_loss_from_eval(ob_problem *pb, const double *x, uint64_t t);

/* A deterministic problem with nothing but a dimension: its evaluator, its
 * starting point and (if known) its minimiser as functions of n.  f* is
 * f(x*), or 0 when x* is not known in closed form (all such problems in the
 * catalog are zero-residual least squares).  No parameters, no batch. */
typedef struct ob_pb_simple_def {
    size_t multiple; /* n must be a multiple of this */
    int scratch;     /* pb->data gets n doubles of scratch */
    double (*eval)(ob_problem *, const double *, double *, uint64_t);
    void (*x0)(double *x, size_t n);
    int (*xstar)(double *x, size_t n); /* fills the zeroed x*; 0 if unknown */
} ob_pb_simple_def;

int ob_pb_create_simple(const ob_problem_spec *spec, const ob_pb_simple_def *def,
                        const ob_problem_config *cfg, ob_problem **out, char *err, size_t errlen);
/* xstar() helpers: x* = 0, x* = 1, x* unknown. */
int ob_pb_xs_zero(double *x, size_t n);
int ob_pb_xs_ones(double *x, size_t n);
int ob_pb_xs_unknown(double *x, size_t n);

/* ---- numerics --------------------------------------------------------------- */

/* log(1 + exp(z)) without overflow, and the logistic sigmoid 1/(1+exp(-z)). */
double ob_pb_log1pexp(double z);
double ob_pb_sigmoid(double z);

/* A Haar-random n x n orthogonal matrix (row-major) from rng. */
void ob_pb_haar_orthogonal(double *R, size_t n, ob_philox *rng);

/* Wraps a created instance 0 into instance cfg->instance (instance.c);
 * *pb is replaced (and the base owned by the wrapper) or destroyed on
 * failure. */
int ob_pb_make_instance(const ob_problem_config *cfg, ob_problem **pb, char *err, size_t errlen);

/* Path of a data file: dir + "/" + name, or -1 with a message if too long. */
int ob_pb_join_path(char *out, size_t outlen, const char *dir, const char *name, char *err, size_t errlen);


/* ---- the table ---------------------------------------------------------------- */

/* clang-format off */
/* Every entry, in catalog order.  Each X(name) is defined in its family's
 * file as `const ob_problem_spec ob_spec_<name>`. */
#define OB_PROBLEM_LIST(X)                                                   \
    X(mgh_rosenbrock) X(mgh_freudenstein_roth) X(mgh_powell_badly_scaled)    \
    X(mgh_brown_badly_scaled) X(mgh_beale) X(mgh_jennrich_sampson)           \
    X(mgh_helical_valley) X(mgh_bard) X(mgh_gaussian) X(mgh_box3d)           \
    X(mgh_powell_singular) X(mgh_wood) X(mgh_kowalik_osborne)                \
    X(mgh_brown_dennis) X(mgh_biggs_exp6) X(mgh_ext_rosenbrock)              \
    X(mgh_ext_powell) X(mgh_penalty1) X(mgh_var_dim) X(mgh_trigonometric)    \
    X(mgh_discrete_bv) X(mgh_broyden_tridiagonal) X(mgh_broyden_banded)      \
    X(booth) X(himmelblau) X(rastrigin) X(ackley) X(styblinski_tang)         \
    X(quad_diag) X(quadratic_deep) X(nqm) X(drifting_quadratic)              \
    X(sparse_logreg) X(fmnist_logreg) X(fmnist_mlp) X(heart_logreg)          \
    X(amsgrad_thm1) X(amsgrad_online) X(amsgrad_stochastic)
/* clang-format on */

#define OB_DECLARE_SPEC(name) extern const ob_problem_spec ob_spec_##name;
OB_PROBLEM_LIST(OB_DECLARE_SPEC)
#undef OB_DECLARE_SPEC

#endif
