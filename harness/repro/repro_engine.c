/*
 * repro_engine.c — the lean trajectory loop behind `optbench repro`.
 *
 * The reproductions run up to millions of steps of one-dimensional
 * problems, where the per-step bookkeeping of `optbench run` (a reference
 * step with error scales on every step and path) would cost more than the
 * steps themselves.  This loop keeps the same checks but samples the
 * expensive one:
 *   - bit-identity of every fp32 path with the lead fp32 path (the lowest
 *     ISA that runs, normally scalar): x and every state array in use,
 *     after every step (a memcmp);
 *   - single-step agreement of the kernel with the fp64 reference from the
 *     same widened state (README "Agreement bounds"): on every step up to
 *     cfg->agree_dense and every cfg->agree_every-th step after it;
 *   - the deviation of each fp32 trajectory from the fp64 one, every step.
 * The fp32 paths share the lead's gradient while their x are bit-identical
 * to its x, so three ISAs cost one gradient evaluation per step.
 */
#include "ob_repro.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/problems.h"
#include "harness/core/ob_agree.h"
#include "harness/core/ob_state.h"

const char *ob_repro_path_name(int path)
{
    return path == OB_REPRO_REF ? "reference" : ob_isa_name((ob_isa)(path - 1));
}

void ob_repro_kernels_init(ob_repro_kernels *k)
{
    memset(k, 0, sizeof *k);
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        k->p[p].agree_ok = 1;
        k->p[p].identical = 1;
    }
}

int ob_repro_kernels_ok(const ob_repro_kernels *k)
{
    for (int p = 1; p < OB_REPRO_MAX_PATHS; p++)
        if (k->p[p].ran && (!k->p[p].agree_ok || !k->p[p].identical)) return 0;
    return 1;
}

static double problem_eval(void *ctx, const double *x, double *g, uint64_t t)
{
    ob_problem *pb = ctx;
    return pb->eval(pb, x, g, t);
}

ob_repro_objective ob_repro_problem_objective(ob_problem *pb)
{
    ob_repro_objective obj = {pb->n, pb->x0, pb->has_box, pb->box_lo, pb->box_hi, problem_eval, pb};
    return obj;
}

uint64_t ob_repro_next_sample(uint64_t t, uint64_t last, unsigned per_decade)
{
    if (t >= last) return 0;
    uint64_t next = t + 1;
    if (t >= 10 && per_decade > 0) {
        double c = ceil((double)t * pow(10.0, 1.0 / per_decade));
        if (c > (double)next) next = c >= (double)last ? last : (uint64_t)c;
    }
    return next > last ? last : next;
}

typedef struct epath {
    int active;
    float *x, *g, *st[OB_MAX_STATE];
} epath;

typedef struct eng {
    size_t n;
    double *xr, *gr, *str[OB_MAX_STATE];          /* the reference path */
    double *xprev, *gview, *xview, *gd;           /* views handed to the observer */
    double *xa, *ga, *sa[OB_MAX_STATE], *scale[1 + OB_MAX_STATE];  /* agreement */
    float *lead_x;                                /* the lead's x before its step */
    epath p[OB_ISA_COUNT];
} eng;

static void eng_free(eng *e)
{
    double *d[] = {e->xr, e->gr, e->xprev, e->gview, e->xview, e->gd, e->xa, e->ga};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) free(d[i]);
    ob_state_free_f64(e->str);
    ob_state_free_f64(e->sa);
    for (int k = 0; k < 1 + OB_MAX_STATE; k++) free(e->scale[k]);
    free(e->lead_x);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        free(e->p[i].x);
        free(e->p[i].g);
        ob_state_free_f32(e->p[i].st);
    }
}

static int eng_alloc(eng *e, const ob_repro_traj_cfg *c, size_t n)
{
    memset(e, 0, sizeof *e);
    e->n = n;
    size_t m = n ? n : 1, dsz = m * sizeof(double);
    const ob_optimizer *o = c->opt;
    int bad = !(e->xr = malloc(dsz)) || !(e->gr = calloc(m, sizeof(double))) || !(e->xprev = malloc(dsz)) ||
              !(e->gview = malloc(dsz)) || !(e->xview = malloc(dsz)) || !(e->gd = calloc(m, sizeof(double))) ||
              !(e->xa = malloc(dsz)) || !(e->ga = malloc(dsz)) || !(e->lead_x = malloc(m * sizeof(float))) ||
              ob_state_alloc_f64(o, &c->h, n, e->str) != 0 || ob_state_alloc_f64(o, &c->h, n, e->sa) != 0;
    for (size_t k = 0; !bad && k < 1 + o->n_state; k++) bad = !(e->scale[k] = calloc(m, sizeof(double)));
    for (int i = 0; !bad && i < OB_ISA_COUNT; i++) {
        if (!((c->paths >> OB_REPRO_PATH_ISA(i)) & 1u)) continue;
        epath *p = &e->p[i];
        p->active = 1;
        bad = !(p->x = malloc(m * sizeof(float))) || !(p->g = calloc(m, sizeof(float))) ||
              ob_state_alloc_f32(o, &c->h, n, p->st) != 0;
    }
    if (bad) eng_free(e);
    return bad ? -1 : 0;
}

static void widen(const float *a, double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] = (double)a[i];
}

static void project64(const ob_repro_objective *obj, double *x)
{
    if (!obj->has_box) return;
    /* Comparisons, not fmin/fmax: a NaN iterate stays NaN. */
    for (size_t i = 0; i < obj->n; i++) {
        if (x[i] < obj->lo) x[i] = obj->lo;
        else if (x[i] > obj->hi) x[i] = obj->hi;
    }
}

/* The same clamp in fp32 (the box ends rounded to float once). */
static void project32(const ob_repro_objective *obj, float *x)
{
    if (!obj->has_box) return;
    const float lo = (float)obj->lo, hi = (float)obj->hi;
    for (size_t i = 0; i < obj->n; i++) {
        if (x[i] < lo) x[i] = lo;
        else if (x[i] > hi) x[i] = hi;
    }
}

/* 1 when path b's x and every state array in use equal path a's bit for bit. */
static int same_bits(const ob_optimizer *o, unsigned mask, const epath *a, const epath *b, size_t n)
{
    if (memcmp(a->x, b->x, n * sizeof(float)) != 0) return 0;
    for (size_t k = 0; k < o->n_state; k++)
        if (((mask >> k) & 1u) && memcmp(a->st[k], b->st[k], n * sizeof(float)) != 0) return 0;
    return 1;
}

/* One kernel step of an fp32 path with the agreement check: the reference
 * step from the same widened x, gradient and state, with error scales. */
static double checked_step(const ob_optimizer *o, eng *e, epath *p, ob_kernel_fn kf, const ob_hparams *ht,
                           uint64_t t, const ob_step_scalars *s)
{
    size_t n = e->n;
    widen(p->x, e->xa, n);
    widen(p->g, e->ga, n);
    for (size_t k = 0; k < o->n_state; k++) widen(p->st[k], e->sa[k], n);
    o->reference(ht, t, n, e->xa, e->ga, e->sa, e->scale);
    kf(n, p->x, p->g, p->st, s);
    size_t at;
    double worst = ob_agree_error(p->x, e->xa, e->scale[0], n, &at);
    unsigned mask = o->state_mask(ht);
    for (size_t k = 0; k < o->n_state; k++) {
        if (!((mask >> k) & 1u)) continue;
        double err = ob_agree_error(p->st[k], e->sa[k], e->scale[1 + k], n, &at);
        if (err > worst) worst = err;
    }
    return worst;
}

int ob_repro_traj(const ob_repro_objective *obj, const ob_repro_traj_cfg *c, ob_repro_kernels *k,
                  char *err, size_t errlen)
{
    const ob_optimizer *o = c->opt;
    size_t n = obj->n;
    if (ob_validate(o, &c->h, err, errlen) != 0) return -1;
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!((c->paths >> OB_REPRO_PATH_ISA(i)) & 1u)) continue;
        char why[128];
        if (!ob_optimizer_runs_on(o, (ob_isa)i, why, sizeof why)) {
            snprintf(err, errlen, "%s cannot run on %s here: %s", o->name, ob_isa_name((ob_isa)i), why);
            return -1;
        }
    }
    eng e;
    if (eng_alloc(&e, c, n) != 0) {
        snprintf(err, errlen, "out of memory for %s with n = %zu", o->name, n);
        return -1;
    }
    int lead = -1;
    for (int i = 0; i < OB_ISA_COUNT && lead < 0; i++)
        if (e.p[i].active) lead = i;
    int ref = (c->paths & 1u) != 0;
    memcpy(e.xr, obj->x0, n * sizeof(double));
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!e.p[i].active) continue;
        for (size_t j = 0; j < n; j++) e.p[i].x[j] = (float)obj->x0[j];
        ob_repro_kpath *kp = &k->p[OB_REPRO_PATH_ISA(i)];
        kp->ran = 1;
        if (o->agree_bound > kp->bound) kp->bound = o->agree_bound;
    }
    if (ref) k->p[OB_REPRO_REF].ran = 1;

    int rc = 0;
    for (uint64_t t = 1; t <= c->steps; t++) {
        ob_hparams ht = c->h;
        if (c->sched && (ob_schedule_apply(c->sched, o, &c->h, t, &ht, err, errlen) != 0 ||
                         ob_validate(o, &ht, err, errlen) != 0)) {
            rc = -1;
            break;
        }
        int probe = c->probe && c->probe_every && t % c->probe_every == 0;
        if (ref) {
            memcpy(e.xprev, e.xr, n * sizeof(double));
            double f = obj->eval(obj->ctx, e.xr, e.gr, t);
            if (probe) {
                ob_repro_probe pr = {OB_REPRO_REF, t, n, &ht, NULL, NULL, NULL, e.xr, e.gr, e.str};
                c->probe(c->ctx, &pr);
            }
            o->reference(&ht, t, n, e.xr, e.gr, e.str, NULL);
            project64(obj, e.xr);
            k->p[OB_REPRO_REF].steps++;
            if (c->observe) {
                ob_repro_step s = {OB_REPRO_REF, t, n, e.xprev, f, e.gr, e.xr, 0};
                c->observe(c->ctx, &s);
            }
        }
        if (lead < 0) continue;
        ob_step_scalars sc;
        o->prepare(&ht, t, &sc);
        unsigned mask = o->state_mask(&ht);
        int check = t <= c->agree_dense || (c->agree_every && t % c->agree_every == 0);
        double lead_f = 0;
        for (int i = lead; i < OB_ISA_COUNT; i++) {
            epath *p = &e.p[i];
            if (!p->active) continue;
            ob_kernel_fn kf = c->kernel_override[i] ? c->kernel_override[i] : ob_optimizer_kernel(o, (ob_isa)i);
            ob_repro_kpath *kp = &k->p[OB_REPRO_PATH_ISA(i)];
            widen(p->x, e.xprev, n);
            double f;
            if (i != lead && memcmp(p->x, e.lead_x, n * sizeof(float)) == 0) {
                memcpy(p->g, e.p[lead].g, n * sizeof(float));
                f = lead_f;
            } else {
                f = obj->eval(obj->ctx, e.xprev, e.gd, t);
                for (size_t j = 0; j < n; j++) p->g[j] = (float)e.gd[j];
            }
            if (i == lead) {
                memcpy(e.lead_x, p->x, n * sizeof(float));
                lead_f = f;
            }
            if (probe) {
                ob_repro_probe pr = {OB_REPRO_PATH_ISA(i), t, n, &ht, p->x, p->g, p->st, NULL, NULL, NULL};
                c->probe(c->ctx, &pr);
            }
            if (check) {
                double a = checked_step(o, &e, p, kf, &ht, t, &sc);
                kp->agree_checked++;
                if (!(a <= kp->max_agree)) kp->max_agree = a;
                if (!(a <= o->agree_bound)) kp->agree_ok = 0;
            } else {
                kf(n, p->x, p->g, p->st, &sc);
            }
            project32(obj, p->x);
            kp->steps++;
            int same = i != lead && same_bits(o, mask, &e.p[lead], p, n);
            if (i != lead && !same && kp->identical) {
                kp->identical = 0;
                kp->first_diff_step = t;
            }
            if (ref) {
                for (size_t j = 0; j < n; j++) {
                    double d = fabs((double)p->x[j] - e.xr[j]) / fmax(1.0, fabs(e.xr[j]));
                    if (!(d <= kp->max_dev)) kp->max_dev = d;
                }
            }
            if (c->observe) {
                widen(p->g, e.gview, n);
                widen(p->x, e.xview, n);
                ob_repro_step s = {OB_REPRO_PATH_ISA(i), t, n, e.xprev, f, e.gview, e.xview, same};
                c->observe(c->ctx, &s);
            }
        }
    }
    eng_free(&e);
    return rc;
}
