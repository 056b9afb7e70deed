/*
 * engine.c — the trajectory engine (ob_engine.h): the fp64 reference path
 * and the fp32 kernel paths stepped together, with bit-identity across
 * ISAs, sampled agreement with the reference and sampled convergence.
 */
#include "engine_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/framework/ob_sam.h"
#include "optbench/reference.h"
#include "harness/testkit/ob_testkit.h"
#include "harness/core/ob_core.h"

double eng_norm2(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}

static double dist_to(const double *x, const double *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (x[i] - y[i]) * (x[i] - y[i]);
    return sqrt(s);
}

void eng_widen(const float *a, double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] = (double)a[i];
}

static void round32(const double *a, float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] = (float)a[i];
}

ob_engine_sampling ob_engine_sampling_convergence(uint64_t steps, int stochastic)
{
    ob_engine_sampling s = {OB_ENGINE_EVERY_STEP, 0, steps > 1000 ? steps / 1000 : 1, 0, 0};
    if (stochastic && steps > 50) s.measure_every = steps / 50;
    return s;
}

uint64_t ob_engine_next_sample(uint64_t t, uint64_t last, unsigned per_decade)
{
    if (t >= last) return 0;
    uint64_t next = t + 1;
    if (t >= 10 && per_decade > 0) {
        double c = ceil((double)t * pow(10.0, 1.0 / per_decade));
        if (c > (double)next) next = c >= (double)last ? last : (uint64_t)c;
    }
    return next > last ? last : next;
}

double ob_engine_agree_bound(const ob_engine_cfg *c, int i)
{
    /* Mixed steps are measured in units of their format's bound
     * (ob_mixed_agree_step). */
    if (c->format) return 1.0;
    if (i >= OB_ISA_COUNT && c->extra[i - OB_ISA_COUNT].agree_bound > 0)
        return c->extra[i - OB_ISA_COUNT].agree_bound;
    return c->opt->agree_bound;
}

/* Nonzero if kernel path i runs: its ISA is in paths, or its extra path
 * is given. */
static int kpath_runs(const ob_engine_cfg *c, int i)
{
    if (i < OB_ISA_COUNT) return (c->paths >> OB_ENGINE_PATH_ISA(i)) & 1u;
    return (size_t)(i - OB_ISA_COUNT) < c->n_extra;
}

/* The ISA whose helpers (SAM's perturbation) path i uses: its own, or
 * scalar for an extra path. */
static ob_isa kpath_isa(int i)
{
    return i < OB_ISA_COUNT ? (ob_isa)i : OB_ISA_SCALAR;
}

/* The kernel step of path i: the ISA's kernel with the prepared scalars,
 * or the extra path's callback with the raw hyperparameters.  0, or -1
 * with a message naming the kernel and the step. */
static int kernel_step(eng *e, int i, const ob_hparams *ht, uint64_t t, const ob_step_scalars *s,
                       const float *gstep, char *err, size_t errlen)
{
    const ob_engine_cfg *c = e->c;
    epath *p = &e->p[i];
    if (i < OB_ISA_COUNT) {
        ob_run_kernel_threaded((ob_isa)i, ob_engine_kernel(c, (ob_isa)i), e->n, p->x, gstep, p->st,
                               c->opt->n_state, s, c->threads);
        return 0;
    }
    const ob_engine_kernel_path *k = &c->extra[i - OB_ISA_COUNT];
    if (errlen) err[0] = '\0';
    if (k->step(k->ctx, ht, t, e->n, p->x, gstep, p->st, err, errlen) == 0) return 0;
    if (errlen && !err[0]) snprintf(err, errlen, "%s: step %llu failed", k->name, (unsigned long long)t);
    return -1;
}

ob_kernel_fn ob_engine_kernel(const ob_engine_cfg *c, ob_isa isa)
{
    return c->kernel_override[isa] ? c->kernel_override[isa] : ob_optimizer_kernel(c->opt, isa);
}

int ob_engine_check_paths(const ob_optimizer *o, unsigned paths, char *err, size_t errlen)
{
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!((paths >> OB_ENGINE_PATH_ISA(i)) & 1u)) continue;
        char why[128];
        if (!ob_optimizer_runs_on(o, (ob_isa)i, why, sizeof why)) {
            snprintf(err, errlen, "%s cannot run on %s here: %s", o->name, ob_isa_name((ob_isa)i), why);
            return -1;
        }
    }
    return 0;
}

/* ---- the test hook (ob_engine.h, test section) ------------------------------ */

static ob_engine_mistake g_mistake; /* OB_ENGINE_MISTAKE_NONE unless a test sets it */

void ob_engine_set_mistake(ob_engine_mistake m)
{
    g_mistake = m;
}

ob_engine_mistake ob_engine_get_mistake(void)
{
    return g_mistake;
}

const char *ob_engine_mistake_name(ob_engine_mistake_kind k)
{
    static const char *const names[OB_ENGINE_MISTAKE_COUNT] = {
        "none",        "no_nesterov", "lr_scale",  "beta2",     "no_amsgrad", "l2_decay",
        "no_bias_correction", "eps", "momentum", "wd_times_lr", "l2_lambda", "wd_over_lr",
        "q8_per_tensor", "q8_linear_code", "q8_signed_v"};
    return (int)k >= 0 && k < OB_ENGINE_MISTAKE_COUNT ? names[k] : NULL;
}

/* Applies m to the hyperparameters h of optimizer o at step t (base_lr:
 * the lr before the schedule). */
static void apply_mistake(const ob_engine_mistake *m, const ob_optimizer *o, uint64_t t, double base_lr,
                          ob_hparams *h)
{
    if (m->only && strcmp(m->only, o->name) != 0) return;
    const int decoupled = h->decoupled_wd || (o->kernel_key && strcmp(o->kernel_key, "lion") == 0);
    switch (m->kind) {
    case OB_ENGINE_MISTAKE_NO_NESTEROV: h->nesterov = 0; break;
    case OB_ENGINE_MISTAKE_LR_SCALE: h->lr *= m->value; break;
    case OB_ENGINE_MISTAKE_BETA2: h->beta2 = m->value; break;
    case OB_ENGINE_MISTAKE_NO_AMSGRAD: h->amsgrad = 0; break;
    case OB_ENGINE_MISTAKE_L2_DECAY: h->decoupled_wd = 0; break;
    case OB_ENGINE_MISTAKE_EPS: h->eps = m->value; break;
    case OB_ENGINE_MISTAKE_MOMENTUM: h->momentum = m->value; break;
    case OB_ENGINE_MISTAKE_WD_TIMES_LR:
        if (decoupled) h->weight_decay *= base_lr;
        break;
    case OB_ENGINE_MISTAKE_L2_LAMBDA:
        if (h->decoupled_wd) {
            h->decoupled_wd = 0;
            h->weight_decay *= base_lr;
        }
        break;
    case OB_ENGINE_MISTAKE_WD_OVER_LR:
        if (decoupled && h->lr > 0) h->weight_decay /= h->lr;
        break;
    case OB_ENGINE_MISTAKE_NO_BIAS_CORRECTION: {
        /* torch's Adam steps by (lr/bc1) m / (sqrt(v)/sqrt(bc2) + eps);
         * with lr' = lr bc1/sqrt(bc2) and eps' = eps/sqrt(bc2) that is
         * lr m / (sqrt(v) + eps), Adam without bias correction, and
         * wd' = wd lr/lr' keeps the decoupled decay lr wd. */
        if (!o->kernel_key || strcmp(o->kernel_key, "adam") != 0) break;
        double bc1 = 1.0 - pow(h->beta1, (double)t), rbc2 = sqrt(1.0 - pow(h->beta2, (double)t));
        double lr = h->lr;
        h->lr = lr * bc1 / rbc2;
        h->eps /= rbc2;
        if (h->decoupled_wd && h->lr > 0) h->weight_decay *= lr / h->lr;
        break;
    }
    default: break;
    }
}

/* ---- working memory ------------------------------------------------------- */

static void eng_free(eng *e)
{
    double *d[] = {e->xr, e->gr, e->xhr, e->gsr, e->xprev, e->gd, e->gview, e->xview, e->xa, e->ga};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) free(d[i]);
    eng_monitor_free(e);
    ob_state_free_f64(e->str);
    ob_state_free_f64(e->sa);
    for (int k = 0; k < 1 + OB_MAX_STATE; k++) free(e->scale[k]);
    free(e->lead_x);
    for (int i = 0; i < OB_ENGINE_KPATHS; i++) {
        free(e->p[i].x);
        free(e->p[i].g);
        free(e->p[i].xhat);
        free(e->p[i].gs);
        ob_state_free_f32(e->p[i].st);
        eng_mixed_free(&e->p[i]);
    }
}

static int eng_alloc(eng *e, const ob_engine_cfg *c, size_t n)
{
    size_t m = n ? n : 1, dsz = m * sizeof(double), fsz = m * sizeof(float);
    const ob_optimizer *o = c->opt;
    const int sam = ob_sam_active(&c->h);
    int bad = !(e->xr = malloc(dsz)) || !(e->gr = calloc(m, sizeof(double))) || !(e->xprev = malloc(dsz)) ||
              !(e->gd = calloc(m, sizeof(double))) || !(e->xa = malloc(dsz)) || !(e->ga = malloc(dsz)) ||
              !(e->lead_x = malloc(fsz)) || ob_state_alloc_f64(o, &c->h, n, e->str) != 0 ||
              ob_state_alloc_f64(o, &c->h, n, e->sa) != 0;
    if (!bad && sam) bad = !(e->xhr = malloc(dsz)) || !(e->gsr = malloc(dsz));
    if (!bad && c->obs.step) bad = !(e->gview = malloc(dsz)) || !(e->xview = malloc(dsz));
    if (!bad && c->monitor) bad = eng_monitor_alloc(e, n) != 0;
    for (size_t k = 0; !bad && k < 1 + o->n_state; k++) bad = !(e->scale[k] = calloc(m, sizeof(double)));
    for (int i = 0; !bad && i < OB_ENGINE_KPATHS; i++) {
        if (!kpath_runs(c, i)) continue;
        epath *p = &e->p[i];
        p->active = 1;
        bad = !(p->x = malloc(fsz)) || !(p->g = calloc(m, sizeof(float))) ||
              (c->format ? eng_mixed_alloc(c, n, p) : ob_state_alloc_f32(o, &c->h, n, p->st)) != 0;
        if (!bad && sam) bad = !(p->xhat = malloc(fsz)) || !(p->gs = malloc(fsz));
    }
    if (bad) eng_free(e);
    return bad ? -1 : 0;
}

/* ---- one step ---------------------------------------------------------------- */

static void project64(const ob_engine_objective *obj, double *x)
{
    if (!obj->has_box) return;
    /* Comparisons, not fmin/fmax: a NaN iterate stays NaN. */
    for (size_t i = 0; i < obj->n; i++) {
        if (x[i] < obj->lo) x[i] = obj->lo;
        else if (x[i] > obj->hi) x[i] = obj->hi;
    }
}

/* The same clamp in fp32 (the box ends rounded to float once). */
static void project32(const ob_engine_objective *obj, float *x)
{
    if (!obj->has_box) return;
    const float lo = (float)obj->lo, hi = (float)obj->hi;
    for (size_t i = 0; i < obj->n; i++) {
        if (x[i] < lo) x[i] = lo;
        else if (x[i] > hi) x[i] = hi;
    }
}

/* The reference path's step t (nothing once it has diverged). */
static void ref_step(eng *e, const ob_hparams *ht, uint64_t t, int probe)
{
    const ob_engine_cfg *c = e->c;
    ob_engine_path_result *pr = &e->r->p[OB_ENGINE_REF];
    size_t n = e->n;
    if (!e->ref || pr->diverged_at) return;
    double t0 = e->conv ? ob_now_s() : 0;
    if (c->obs.step) memcpy(e->xprev, e->xr, n * sizeof(double));
    double f = e->obj->eval(e->obj->ctx, e->xr, e->gr, t);
    if (c->fval) c->fval(c->obs.ctx, OB_ENGINE_REF, t, f);
    const double *gstep = e->gr;
    if (e->xhr) {
        /* SAM: the gradient at x_hat, same t, same mini-batch. */
        ob_ref_sam_perturb(ht, n, e->xr, e->gr, e->xhr, NULL);
        e->obj->eval(e->obj->ctx, e->xhr, e->gsr, t);
        gstep = e->gsr;
    }
    if (probe) {
        ob_engine_probe pb = {OB_ENGINE_REF, t, n, ht, NULL, NULL, NULL, e->xr, gstep, e->str};
        c->obs.probe(c->obs.ctx, &pb);
    }
    if (e->mon_due) eng_monitor_before(e);
    c->opt->reference(ht, t, n, e->xr, gstep, e->str, NULL);
    project64(e->obj, e->xr);
    if (e->mon_due) eng_monitor_after(e, ht, t, gstep);
    if (e->conv) pr->time_s += ob_now_s() - t0;
    pr->steps++;
    if (c->obs.step) {
        ob_engine_step s = {OB_ENGINE_REF, t, n, e->xprev, f, gstep, e->xr, 0, NULL};
        c->obs.step(c->obs.ctx, &s);
    }
}

/* Path i's gradient at its x (e->xprev receives x widened), shared with
 * path `glead` (the first that stepped at t; -1 none) when its x before
 * the step was bitwise the same; with SAM also x_hat on the path's ISA and
 * the gradient there.  Returns the gradient the step uses. */
static const float *gradient(eng *e, int i, int glead, const ob_hparams *ht, uint64_t t)
{
    epath *p = &e->p[i];
    size_t n = e->n;
    eng_widen(p->x, e->xprev, n);
    if (glead >= 0 && memcmp(p->x, e->lead_x, n * sizeof(float)) == 0) {
        memcpy(p->g, e->p[glead].g, n * sizeof(float));
        p->gnorm = e->p[glead].gnorm;
        p->f = e->p[glead].f;
    } else {
        p->f = e->obj->eval(e->obj->ctx, e->xprev, e->gd, t);
        round32(e->gd, p->g, n);
        if (e->conv) p->gnorm = eng_norm2(e->gd, n);
    }
    if (glead < 0) memcpy(e->lead_x, p->x, n * sizeof(float));
    if (!p->xhat) return p->g;
    /* The keys were validated and the ISA runs here, so the perturbation
     * cannot fail. */
    if (ob_sam_perturb(kpath_isa(i), ht, n, p->x, p->g, p->xhat, e->c->threads) != 0)
        memcpy(p->xhat, p->x, n * sizeof(float));
    if (glead >= 0 && memcmp(p->xhat, e->p[glead].xhat, n * sizeof(float)) == 0) {
        memcpy(p->gs, e->p[glead].gs, n * sizeof(float));
    } else {
        eng_widen(p->xhat, e->xa, n);
        e->obj->eval(e->obj->ctx, e->xa, e->gd, t);
        round32(e->gd, p->gs, n);
    }
    return p->gs;
}

/* The kernel step of path i with the agreement check: the reference step
 * from the same widened x, gradient and state, with its error scales.
 * Returns the worst error (u*S) and where, or -1 with a message when the
 * step failed. */
static double checked_step(eng *e, int i, const float *gstep, const ob_hparams *ht, uint64_t t,
                           const ob_step_scalars *s, size_t *at, const char **array, char *err, size_t errlen)
{
    const ob_optimizer *o = e->c->opt;
    epath *p = &e->p[i];
    size_t n = e->n, where = 0;
    eng_widen(p->x, e->xa, n);
    eng_widen(gstep, e->ga, n);
    for (size_t k = 0; k < o->n_state; k++) eng_widen(p->st[k], e->sa[k], n);
    o->reference(ht, t, n, e->xa, e->ga, e->sa, e->scale);
    if (kernel_step(e, i, ht, t, s, gstep, err, errlen) != 0) return -1;
    double worst = ob_agree_error(p->x, e->xa, e->scale[0], n, &where);
    *at = where;
    *array = "p";
    unsigned mask = o->state_mask(ht);
    for (size_t k = 0; k < o->n_state; k++) {
        if (!((mask >> k) & 1u)) continue;
        double err = ob_agree_error(p->st[k], e->sa[k], e->scale[1 + k], n, &where);
        if (err > worst) {
            worst = err;
            *at = where;
            *array = o->state_names[k];
        }
    }
    return worst;
}

int eng_first_diff(const void *a, const void *b, size_t n, size_t esize, uint64_t t, const char *array,
                   ob_engine_path_result *r)
{
    const unsigned char *ca = a, *cb = b;
    for (size_t j = 0; j < n; j++) {
        if (memcmp(ca + j * esize, cb + j * esize, esize) != 0) {
            r->identical = 0;
            r->first_diff_step = t;
            r->first_diff_elem = j;
            snprintf(r->first_diff_array, sizeof r->first_diff_array, "%s", array);
            return 1;
        }
    }
    return 0;
}

/* 1 when path i's x_hat (with SAM), x and every state array in use equal
 * the lead's bit for bit; the first difference of a path identical so far
 * is recorded. */
static int same_as_lead(eng *e, int i, uint64_t t, const ob_hparams *ht)
{
    const ob_optimizer *o = e->c->opt;
    const epath *a = &e->p[e->lead], *b = &e->p[i];
    ob_engine_path_result *r = &e->r->p[OB_ENGINE_PATH_ISA(i)];
    size_t n = e->n;
    unsigned mask = o->state_mask(ht);
    if (r->identical) {
        /* The SAM perturbation comes first in the step. */
        if (a->xhat && eng_first_diff(a->xhat, b->xhat, n, sizeof(float), t, "x_hat", r)) return 0;
        if (eng_first_diff(a->x, b->x, n, sizeof(float), t, "p", r)) return 0;
        for (size_t k = 0; k < o->n_state; k++)
            if (((mask >> k) & 1u) && eng_first_diff(a->st[k], b->st[k], n, sizeof(float), t, o->state_names[k], r)) return 0;
        return 1;
    }
    if (memcmp(a->x, b->x, n * sizeof(float)) != 0) return 0;
    for (size_t k = 0; k < o->n_state; k++)
        if (((mask >> k) & 1u) && memcmp(a->st[k], b->st[k], n * sizeof(float)) != 0) return 0;
    return 1;
}

void eng_record_agree(eng *e, int i, uint64_t t, double err, size_t at, const char *array)
{
    const ob_engine_cfg *c = e->c;
    ob_engine_path_result *pr = &e->r->p[OB_ENGINE_PATH_ISA(i)];
    e->p[i].agree = err;
    pr->agree_checked++;
    if (err > pr->max_agree || (isnan(err) && !isnan(pr->max_agree))) {
        pr->max_agree = err;
        pr->max_agree_step = t;
        pr->max_agree_elem = at;
        snprintf(pr->max_agree_array, sizeof pr->max_agree_array, "%s", array);
    }
    if (c->obs.agree) c->obs.agree(c->obs.ctx, OB_ENGINE_PATH_ISA(i), t, err);
}

/* Step t of fp32 path i; -1 with a message when its kernel failed. */
static int fp32_step(eng *e, int i, int glead, const ob_hparams *ht, uint64_t t, const ob_step_scalars *s,
                     int check, int probe, char *err, size_t errlen)
{
    const ob_engine_cfg *c = e->c;
    epath *p = &e->p[i];
    ob_engine_path_result *pr = &e->r->p[OB_ENGINE_PATH_ISA(i)];
    size_t n = e->n;
    double t0 = e->conv ? ob_now_s() : 0;
    const float *gstep = gradient(e, i, glead, ht, t);
    if (c->fval) c->fval(c->obs.ctx, OB_ENGINE_PATH_ISA(i), t, p->f);
    if (probe) {
        ob_engine_probe pb = {OB_ENGINE_PATH_ISA(i), t, n, ht, p->x, gstep, p->st, NULL, NULL, NULL};
        c->obs.probe(c->obs.ctx, &pb);
    }
    if (check) {
        size_t at;
        const char *array;
        double a = checked_step(e, i, gstep, ht, t, s, &at, &array, err, errlen);
        if (a < 0) return -1;
        eng_record_agree(e, i, t, a, at, array);
    } else if (kernel_step(e, i, ht, t, s, gstep, err, errlen) != 0) {
        return -1;
    }
    project32(e->obj, p->x);
    if (e->conv) p->clock += ob_now_s() - t0;
    pr->steps++;
    int same = i != e->lead && same_as_lead(e, i, t, ht);
    if (c->obs.step) {
        eng_widen(gstep, e->gview, n);
        eng_widen(p->x, e->xview, n);
        ob_engine_step st = {OB_ENGINE_PATH_ISA(i), t, n, e->xprev, p->f, e->gview, e->xview, same,
                             e->ref ? e->xr : NULL};
        c->obs.step(c->obs.ctx, &st);
    }
    return 0;
}

/* ---- convergence --------------------------------------------------------------- */

static void track_target(const ob_engine_objective *obj, ob_engine_path_result *r, double loss, double gap,
                         double dist, uint64_t t, double clock)
{
    if (!r->diverged_at && !isfinite(loss)) r->diverged_at = t;
    if (obj->has_fstar && !r->steps_to_target && gap <= obj->tol && t > 0) {
        r->steps_to_target = t;
        r->time_to_target_s = clock;
    }
    r->final_loss = loss;
    r->final_gap = gap;
    r->final_dist = dist;
}

/* Loss, gap and distance to x* at x (double). */
static void measure(const ob_engine_objective *obj, const double *x, uint64_t t, double *loss, double *gap,
                    double *dist)
{
    *loss = obj->loss(obj->ctx, x, t);
    *gap = obj->has_fstar ? *loss - obj->fstar : NAN;
    *dist = obj->xstar ? dist_to(x, obj->xstar, obj->n) : NAN;
}

/* The fp32 paths' figures at step t: measured once per distinct x. */
static void measure_fp32(eng *e, uint64_t t)
{
    const ob_engine_objective *obj = e->obj;
    size_t n = e->n;
    double xr_norm = eng_norm2(e->xr, n);
    int lead = -1;
    for (int i = 0; i < OB_ENGINE_KPATHS; i++) {
        epath *p = &e->p[i];
        ob_engine_path_result *pr = &e->r->p[OB_ENGINE_PATH_ISA(i)];
        if (!p->active) continue;
        if (pr->diverged_at && t != pr->diverged_at) {
            p->loss = p->gap = p->dist = NAN;
            continue;
        }
        if (lead >= 0 && memcmp(p->x, e->p[lead].x, n * sizeof(float)) == 0) {
            p->loss = e->p[lead].loss;
            p->gap = e->p[lead].gap;
            p->dist = e->p[lead].dist;
            p->dev = e->p[lead].dev;
        } else {
            eng_widen(p->x, e->xprev, n);
            measure(obj, e->xprev, t, &p->loss, &p->gap, &p->dist);
            p->dev = e->ref ? dist_to(e->xprev, e->xr, n) / (xr_norm > 1e-12 ? xr_norm : 1e-12) : NAN;
        }
        if (lead < 0) lead = i;
        track_target(obj, pr, p->loss, p->gap, p->dist, t, p->clock);
        if (p->dev > pr->max_dev) pr->max_dev = p->dev;
        if (!pr->dev_exceeds_step && p->dev > OB_ENGINE_DEV_THRESHOLD) pr->dev_exceeds_step = t;
    }
}

/* Convergence at step t, handed to the row and progress observers. */
static void measure_step(eng *e, uint64_t t)
{
    const ob_engine_cfg *c = e->c;
    ob_engine_path_result *rr = &e->r->p[OB_ENGINE_REF];
    ob_engine_row row = {.t = t, .n = e->n, .paths = c->paths, .x_ref = e->xr};
    row.loss[0] = row.gap[0] = row.dist[0] = row.agree[0] = row.dev[0] = NAN;
    if (e->ref && (!rr->diverged_at || t == rr->diverged_at)) {
        measure(e->obj, e->xr, t, &row.loss[0], &row.gap[0], &row.dist[0]);
        track_target(e->obj, rr, row.loss[0], row.gap[0], row.dist[0], t, rr->time_s);
    }
    row.gnorm[0] = eng_norm2(e->gr, e->n);
    measure_fp32(e, t);
    for (int i = 0; i < OB_ENGINE_KPATHS; i++) {
        const epath *p = &e->p[i];
        int k = OB_ENGINE_PATH_ISA(i);
        row.x32[i] = p->x;
        row.loss[k] = p->loss;
        row.gap[k] = p->gap;
        row.dist[k] = p->dist;
        row.gnorm[k] = p->gnorm;
        row.agree[k] = p->agree;
        row.dev[k] = p->dev;
    }
    row.grad_evals = t * (e->xhr ? 2 : 1);
    row.mon = e->mon;
    row.loss_scale = row.skipped = NAN;
    if (c->format) eng_mixed_row(e, &row);
    if (c->obs.row) c->obs.row(c->obs.ctx, &row);
    if (t > 0 && c->obs.progress) c->obs.progress(c->obs.ctx, t, c->steps);
}

/* ---- the run ---------------------------------------------------------------------- */

static void eng_start(eng *e, const ob_engine_objective *obj, const ob_engine_cfg *c, ob_engine_result *r)
{
    size_t n = e->n;
    e->obj = obj;
    e->c = c;
    e->r = r;
    e->ref = (c->paths & 1u) != 0;
    e->lead = -1;
    memcpy(e->xr, obj->x0, n * sizeof(double));
    r->p[OB_ENGINE_REF].ran = e->ref;
    for (int i = 0; i < OB_ENGINE_KPATHS; i++) {
        ob_engine_path_result *pr = &r->p[OB_ENGINE_PATH_ISA(i)];
        pr->identical = 1;
        if (!e->p[i].active) continue;
        pr->ran = 1;
        if (e->lead < 0) e->lead = i;
        if (c->format) eng_mixed_start(e, &e->p[i]);
        else
            for (size_t j = 0; j < n; j++) e->p[i].x[j] = (float)obj->x0[j];
    }
}

static void eng_finish(eng *e)
{
    for (int i = 0; i < OB_ENGINE_KPATHS; i++) {
        ob_engine_path_result *pr = &e->r->p[OB_ENGINE_PATH_ISA(i)];
        if (!pr->ran) continue;
        pr->time_s = e->p[i].clock;
        pr->agree_ok = pr->max_agree <= ob_engine_agree_bound(e->c, i);
    }
}

static char *pr_failed(eng *e, int i)
{
    return e->r->p[OB_ENGINE_PATH_ISA(i)].failed;
}

/* Step t of every path; -1 with a message and *status when its
 * hyperparameters are bad (or a mixed step fails). */
static int step_all(eng *e, uint64_t t, int *status, char *err, size_t errlen)
{
    const ob_engine_cfg *c = e->c;
    const ob_optimizer *o = c->opt;
    const ob_engine_sampling *sp = &c->sampling;
    ob_hparams ht = c->h;
    *status = OB_ENGINE_EHPARAMS;
    if (c->sched && (ob_schedule_apply(c->sched, o, &c->h, t, &ht, err, errlen) != 0 ||
                     ob_validate(o, &ht, err, errlen) != 0))
        return -1; /* e.g. a onecycle schedule shorter than the run */
    /* A test's mistake changes the optimizer's own hyperparameters, so
     * it comes before the caller's adjustment, which reads them. */
    if (e->mistake.kind != OB_ENGINE_MISTAKE_NONE) apply_mistake(&e->mistake, o, t, c->h.lr, &ht);
    if (c->adjust) {
        c->adjust(c->adjust_ctx, t, &ht);
        if (ob_validate(o, &ht, err, errlen) != 0) return -1;
    }
    int probe = c->obs.probe && sp->probe_every && t % sp->probe_every == 0;
    int check = t <= sp->agree_dense || (sp->agree_every && t % sp->agree_every == 0);
    ref_step(e, &ht, t, probe);
    ob_step_scalars s;
    o->prepare(&ht, t, &s);
    int glead = -1;
    for (int i = 0; i < OB_ENGINE_KPATHS; i++) {
        if (!e->p[i].active || e->r->p[OB_ENGINE_PATH_ISA(i)].diverged_at) continue;
        if (c->format) {
            if (eng_mixed_step(e, i, glead, &ht, t, check, status, err, errlen) != 0) return -1;
        } else if (fp32_step(e, i, glead, &ht, t, &s, check, probe, pr_failed(e, i), OB_ENGINE_MSG) != 0) {
            /* Only an extra path's step can fail: that path stops, the
             * others go on. */
            e->p[i].active = 0;
            e->r->p[OB_ENGINE_PATH_ISA(i)].failed_at = t;
            continue;
        }
        if (glead < 0) glead = i;
    }
    return 0;
}

int ob_engine_run(const ob_engine_objective *obj, const ob_engine_cfg *c, ob_engine_result *r, char *err,
                  size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (c->n_extra > OB_ENGINE_MAX_EXTRA || (c->n_extra && c->format)) {
        snprintf(err, errlen, "%zu extra kernel paths%s: at most %d, in fp32", c->n_extra,
                 c->format ? " with a storage format" : "", OB_ENGINE_MAX_EXTRA);
        r->status = OB_ENGINE_EHPARAMS;
        return -1;
    }
    if (c->format && (ob_sam_active(&c->h) || obj->has_box)) {
        /* The storage formats are for the plain update: SAM's x_hat and a
         * projection would need their own rounding rules. */
        snprintf(err, errlen, "a storage format (%s) runs without SAM and without a box", c->format->name);
        r->status = OB_ENGINE_EHPARAMS;
        return -1;
    }
    eng e;
    memset(&e, 0, sizeof e);
    e.n = obj->n;
    e.mistake = g_mistake;
    if (eng_alloc(&e, c, obj->n) != 0) {
        snprintf(err, errlen, "out of memory for %s with n = %zu", c->opt->name, obj->n);
        r->status = OB_ENGINE_ENOMEM;
        return -1;
    }
    const uint64_t every = obj->loss ? c->sampling.measure_every : 0;
    const unsigned per_decade = obj->loss && !every ? c->sampling.measure_per_decade : 0;
    uint64_t next = 0; /* the next log-spaced measurement (measure_per_decade) */
    e.conv = every != 0 || per_decade != 0;
    eng_start(&e, obj, c, r);
    int rc = 0;
    for (uint64_t t = 0; t <= c->steps; t++) {
        int sig = c->interruptible ? ob_interrupted() : 0;
        if (sig) {
            snprintf(err, errlen, "interrupted by %s at step %llu of %llu", ob_interrupt_name(sig),
                     (unsigned long long)t, (unsigned long long)c->steps);
            r->status = OB_ENGINE_EINTR;
            r->signal = sig;
            r->stopped_at = t;
            rc = -1;
            break;
        }
        /* Measured at t: the reference step keeps what the monitor needs. */
        e.mon_due = c->monitor && e.ref && ((every && (t % every == 0 || t == c->steps)) ||
                                            (per_decade && (t == next || t == c->steps)));
        if (e.mon_due || t == 0) eng_monitor_reset(&e.mon); /* NaN unless the reference steps */
        if (t > 0 && step_all(&e, t, &r->status, err, errlen) != 0) {
            r->stopped_at = t;
            rc = -1;
            break;
        }
        if (every && (t % every == 0 || t == c->steps)) measure_step(&e, t);
        if (per_decade && (t == next || t == c->steps)) {
            measure_step(&e, t);
            next = ob_engine_next_sample(t, c->steps, per_decade);
        }
    }
    eng_finish(&e);
    eng_free(&e);
    return rc;
}
