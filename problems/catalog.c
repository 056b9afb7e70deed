/*
 * catalog.c — the table of problems, lookup, creation, projection, and the
 * helpers every problem file shares (configuration checks, parameters,
 * allocation, numerics).
 *
 * A problem is one ob_problem_spec (defined in its family's file:
 * mgh.c, classic.c, quadratic.c, sparse.c, fmnist.c, heart.c, online.c);
 * OB_PROBLEM_LIST in pb_internal.h lists them in catalog order.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_internal.h"

#define OB_TABLE_ENTRY(name) &ob_spec_##name,
const ob_problem_spec *const ob_problem_table[] = {OB_PROBLEM_LIST(OB_TABLE_ENTRY)};
#undef OB_TABLE_ENTRY
const size_t ob_problem_count = sizeof ob_problem_table / sizeof ob_problem_table[0];

const ob_problem_spec *ob_problem_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < ob_problem_count; i++)
        if (strcmp(ob_problem_table[i]->name, name) == 0) return ob_problem_table[i];
    return NULL;
}

int ob_problem_create(const char *name, const ob_problem_config *cfg, ob_problem **out, char *err,
                      size_t errlen)
{
    if (!out) return ob_pb_fail(err, errlen, "ob_problem_create: out is NULL");
    *out = NULL;
    const ob_problem_spec *spec = ob_problem_find(name);
    if (!spec) {
        ob_pb_set_why(cfg, OB_PROBLEM_ECONFIG);
        return ob_pb_fail(err, errlen, "unknown problem '%s' (ob_problem_table lists the %zu known ones)",
                          name ? name : "(null)", ob_problem_count);
    }
    ob_pb_set_why(cfg, OB_PROBLEM_OK);
    errno = 0; /* a failed malloc leaves ENOMEM here */
    ob_problem_config seeded;
    if (cfg && cfg->instance && ob_problem_instance_kind(spec) == OB_INSTANCE_SEED) {
        seeded = *cfg; /* instance k of a stochastic problem: data seed + k */
        seeded.seed += cfg->instance;
        cfg = &seeded;
    }
    int rc = spec->create(spec, cfg, out, err, errlen);
    if (rc == 0 && cfg && cfg->instance) rc = ob_pb_make_instance(cfg, out, err, errlen);
    if (rc != 0 && cfg && cfg->why && *cfg->why == OB_PROBLEM_OK)
        *cfg->why = errno == ENOMEM ? OB_PROBLEM_ENOMEM : OB_PROBLEM_ECONFIG;
    return rc;
}

void ob_pb_set_why(const ob_problem_config *cfg, ob_problem_error why)
{
    if (cfg && cfg->why) *cfg->why = why;
}

void ob_problem_destroy(ob_problem *pb)
{
    if (pb && pb->destroy) pb->destroy(pb);
}

void ob_problem_project(const ob_problem *pb, double *x)
{
    if (!pb || !pb->has_box) return;
    /* Comparisons rather than fmin/fmax: a NaN iterate stays NaN, so a
     * diverged run is reported as such instead of being clamped back. */
    for (size_t i = 0; i < pb->n; i++) {
        if (x[i] < pb->box_lo) x[i] = pb->box_lo;
        else if (x[i] > pb->box_hi) x[i] = pb->box_hi;
    }
}

/* ---- shared helpers ------------------------------------------------------- */

int ob_pb_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const ob_problem_config *ob_pb_cfg(const ob_problem_config *cfg)
{
    static const ob_problem_config zero;
    return cfg ? cfg : &zero;
}

static int ob_pb_resolve_n(const ob_problem_spec *spec, const ob_problem_config *cfg, size_t multiple,
                           size_t *n, char *err, size_t errlen)
{
    cfg = ob_pb_cfg(cfg);
    if (!spec->n_user) {
        if (cfg->n != 0 && cfg->n != spec->default_n)
            return ob_pb_fail(err, errlen,
                              "problem '%s' has the fixed dimension n = %zu; n = %zu is not allowed",
                              spec->name, spec->default_n, cfg->n);
        *n = spec->default_n;
        return 0;
    }
    size_t m = cfg->n ? cfg->n : spec->default_n;
    if (m < spec->min_n)
        return ob_pb_fail(err, errlen, "problem '%s' needs n >= %zu (got n = %zu)", spec->name, spec->min_n,
                          m);
    if (multiple > 1 && m % multiple != 0)
        return ob_pb_fail(err, errlen, "problem '%s' needs n to be a multiple of %zu (got n = %zu)",
                          spec->name, multiple, m);
    /* Every problem keeps a few arrays of n doubles. */
    if (m > SIZE_MAX / (4 * sizeof(double)))
        return ob_pb_fail(err, errlen, "problem '%s': n = %zu is too large", spec->name, m);
    *n = m;
    return 0;
}

static int ob_pb_resolve_batch(const ob_problem_spec *spec, const ob_problem_config *cfg, size_t *batch,
                               char *err, size_t errlen)
{
    cfg = ob_pb_cfg(cfg);
    if (!spec->stochastic) {
        if (cfg->batch != 0)
            return ob_pb_fail(err, errlen,
                              "problem '%s' is deterministic and takes no batch size (got batch = %zu)",
                              spec->name, cfg->batch);
        *batch = 0;
        return 0;
    }
    *batch = cfg->batch ? cfg->batch : spec->default_batch;
    return 0;
}

static int parse_value(const ob_problem_spec *spec, const ob_pb_param_def *d, const char *v,
                       ob_pb_param_val *out, char *err, size_t errlen)
{
    if (d->kind == OB_PB_STRING) {
        if (!*v) return ob_pb_fail(err, errlen, "problem '%s': parameter '%s' is empty", spec->name, d->key);
        out->str = v;
        return 0;
    }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || errno == ERANGE || !isfinite(x))
        return ob_pb_fail(err, errlen, "problem '%s': parameter '%s' needs a finite number (got '%s')",
                          spec->name, d->key, v);
    if (d->kind == OB_PB_INT && x != floor(x))
        return ob_pb_fail(err, errlen, "problem '%s': parameter '%s' needs a whole number (got '%s')",
                          spec->name, d->key, v);
    if (x < d->lo || x > d->hi)
        return ob_pb_fail(err, errlen, "problem '%s': parameter '%s' = %s is outside [%g, %g]", spec->name,
                          d->key, v, d->lo, d->hi);
    out->num = x;
    return 0;
}

static int ob_pb_params(const ob_problem_spec *spec, const ob_problem_config *cfg,
                        const ob_pb_param_def *defs, size_t ndefs, ob_pb_param_val *out, char *err,
                        size_t errlen)
{
    cfg = ob_pb_cfg(cfg);
    for (size_t i = 0; i < ndefs; i++) {
        out[i].num = defs[i].def;
        out[i].str = defs[i].sdef;
        out[i].given = 0;
    }
    if (cfg->n_params && !cfg->params)
        return ob_pb_fail(err, errlen, "problem '%s': n_params = %zu but params is NULL", spec->name,
                          cfg->n_params);
    for (size_t p = 0; p < cfg->n_params; p++) {
        const char *kv = cfg->params[p];
        const char *eq = kv ? strchr(kv, '=') : NULL;
        if (!eq || eq == kv)
            return ob_pb_fail(err, errlen, "problem '%s': parameter '%s' is not of the form key=value",
                              spec->name, kv ? kv : "(null)");
        size_t klen = (size_t)(eq - kv);
        size_t i = 0;
        while (i < ndefs && !(strlen(defs[i].key) == klen && strncmp(defs[i].key, kv, klen) == 0)) i++;
        if (i == ndefs)
            return ob_pb_fail(err, errlen, "problem '%s': unknown parameter '%.*s' (accepted: %s)",
                              spec->name, (int)klen, kv,
                              spec->params_doc && *spec->params_doc ? spec->params_doc : "none");
        if (out[i].given)
            return ob_pb_fail(err, errlen, "problem '%s': parameter '%s' is given twice", spec->name,
                              defs[i].key);
        if (parse_value(spec, &defs[i], eq + 1, &out[i], err, errlen) != 0) return -1;
        out[i].given = 1;
    }
    return 0;
}

int ob_pb_configure(const ob_problem_spec *spec, const ob_problem_config *cfg, size_t multiple,
                    const ob_pb_param_def *defs, size_t ndefs, ob_pb_param_val *vals, size_t *n,
                    size_t *batch, char *err, size_t errlen)
{
    if (ob_pb_resolve_n(spec, cfg, multiple, n, err, errlen) ||
        ob_pb_resolve_batch(spec, cfg, batch, err, errlen) ||
        ob_pb_params(spec, cfg, defs, ndefs, vals, err, errlen))
        return -1;
    return 0;
}

int ob_pb_check_batch(const ob_problem_spec *spec, size_t batch, size_t examples, char *err, size_t errlen)
{
    if (batch > examples)
        return ob_pb_fail(err, errlen, "problem '%s': batch = %zu is larger than its %zu examples",
                          spec->name, batch, examples);
    return 0;
}

ob_problem *ob_pb_new(const ob_problem_spec *spec, const ob_problem_config *cfg, size_t n, char *err,
                      size_t errlen)
{
    cfg = ob_pb_cfg(cfg);
    ob_problem *pb = calloc(1, sizeof *pb);
    if (pb) pb->x0 = calloc(n, sizeof *pb->x0);
    if (!pb || !pb->x0) {
        free(pb);
        ob_pb_fail(err, errlen, "problem '%s': out of memory for n = %zu", spec->name, n);
        return NULL;
    }
    pb->spec = spec;
    pb->n = n;
    pb->fstar = NAN;
    pb->f0_published = NAN;
    pb->seed = cfg->seed;
    pb->loss = ob_pb_loss_from_eval;
    pb->destroy = ob_pb_destroy_free;
    return pb;
}

int ob_pb_alloc_xstar(ob_problem *pb, char *err, size_t errlen)
{
    pb->xstar = calloc(pb->n, sizeof *pb->xstar);
    if (!pb->xstar) return ob_pb_fail(err, errlen, "problem '%s': out of memory for x*", pb->spec->name);
    return 0;
}

/* Sets a default target tolerance when the create() left tol at 0:
 * deterministic problems min(1e-6, 1e-3 (f(x0) - f*)); stochastic, online
 * and non-stationary ones 1e-2 (f(x0) - f*) of the reported loss. */
static void pb_finish(ob_problem *pb)
{
    if (pb->tol > 0) return;
    const ob_problem_spec *s = pb->spec;
    int moving = s->stochastic || strcmp(s->family, "online") == 0 || strcmp(s->family, "nonstationary") == 0;
    double gap = pb->has_fstar ? pb->loss(pb, pb->x0, 1) - pb->fstar : NAN;
    if (!(gap > 0)) pb->tol = moving ? 1e-2 : 1e-6;
    else if (moving) pb->tol = 1e-2 * gap;
    else pb->tol = fmin(1e-6, 1e-3 * gap);
}

int ob_pb_done(ob_problem *pb, ob_problem **out)
{
    pb_finish(pb);
    *out = pb;
    return 0;
}

void ob_pb_free(ob_problem *pb)
{
    if (!pb) return;
    free(pb->x0);
    free(pb->xstar);
    free(pb);
}

void ob_pb_destroy_free(ob_problem *pb)
{
    if (pb) free(pb->data);
    ob_pb_free(pb);
}

double ob_pb_loss_from_eval(ob_problem *pb, const double *x, uint64_t t)
{
    return pb->eval(pb, x, NULL, t);
}

double ob_pb_log1pexp(double z)
{
    /* log(1+e^z) = max(z,0) + log1p(e^-|z|): no overflow for large |z| and
     * full precision for very negative z. */
    return (z > 0 ? z : 0.0) + log1p(exp(-fabs(z)));
}

double ob_pb_sigmoid(double z)
{
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

int ob_pb_join_path(char *out, size_t outlen, const char *dir, const char *name, char *err, size_t errlen)
{
    int k = snprintf(out, outlen, "%s/%s", dir, name);
    if (k < 0 || (size_t)k >= outlen) return ob_pb_fail(err, errlen, "path '%s/%s' is too long", dir, name);
    return 0;
}

int ob_pb_create_simple(const ob_problem_spec *spec, const ob_pb_simple_def *def,
                        const ob_problem_config *cfg, ob_problem **out, char *err, size_t errlen)
{
    size_t n, batch;
    *out = NULL;
    if (ob_pb_configure(spec, cfg, def->multiple, NULL, 0, NULL, &n, &batch, err, errlen)) return -1;
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    if (!pb) return -1;
    if (def->scratch && !(pb->data = malloc(n * sizeof(double)))) {
        ob_pb_free(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory for n = %zu", spec->name, n);
    }
    if (ob_pb_alloc_xstar(pb, err, errlen)) {
        ob_pb_destroy_free(pb);
        return -1;
    }
    pb->eval = def->eval;
    def->x0(pb->x0, n);
    if (!def->xstar(pb->xstar, n)) {
        free(pb->xstar);
        pb->xstar = NULL;
    }
    pb->has_fstar = 1;
    pb->fstar = pb->xstar ? pb->eval(pb, pb->xstar, NULL, 1) : 0.0;
    return ob_pb_done(pb, out);
}

int ob_pb_xs_zero(double *x, size_t n)
{
    (void)x;
    (void)n;
    return 1; /* x* arrives zero-filled */
}

int ob_pb_xs_ones(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = 1.0;
    return 1;
}

int ob_pb_xs_unknown(double *x, size_t n)
{
    (void)x;
    (void)n;
    return 0;
}
