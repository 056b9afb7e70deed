/*
 * repro_traj.c — the trajectories of `optbench repro` on the trajectory
 * engine (harness/engine/ob_engine.h).
 *
 * The reproductions run up to millions of steps of one-dimensional
 * problems, where the per-step bookkeeping of `optbench run` (a reference
 * step with error scales on every step and path) would cost more than the
 * steps themselves.  Their sampling policy keeps the same checks but
 * samples the expensive one:
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
#include "harness/engine/ob_engine.h"

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

static double problem_loss(void *ctx, const double *x, uint64_t t)
{
    ob_problem *pb = ctx;
    return pb->loss(pb, x, t);
}

ob_repro_objective ob_repro_problem_objective(ob_problem *pb)
{
    ob_repro_objective obj = {.n = pb->n,
                              .x0 = pb->x0,
                              .has_box = pb->has_box,
                              .lo = pb->box_lo,
                              .hi = pb->box_hi,
                              .eval = problem_eval,
                              .ctx = pb,
                              .loss = problem_loss,
                              .has_fstar = pb->has_fstar,
                              .fstar = pb->fstar};
    return obj;
}

/* The bound a kernel path's agreement errors are judged by. */
static double traj_bound(const ob_repro_traj_cfg *c)
{
    return c->format ? 1.0 : c->opt->agree_bound;
}

/* The entry's trajectory as the engine's observers see it: the kernel
 * checks accumulate over every trajectory of an entry (with the rules
 * repro.json has always used: a NaN error or deviation replaces the
 * maximum), and the entry's own observer and probe are called as they
 * come. */
typedef struct traj {
    const ob_repro_traj_cfg *c;
    ob_repro_kernels *k;
} traj;

static void traj_step(void *ctx, const ob_engine_step *s)
{
    traj *a = ctx;
    if (s->path != OB_REPRO_REF && s->x_ref) {
        ob_repro_kpath *kp = &a->k->p[s->path];
        for (size_t j = 0; j < s->n; j++) {
            double d = fabs(s->x[j] - s->x_ref[j]) / fmax(1.0, fabs(s->x_ref[j]));
            if (!(d <= kp->max_dev)) kp->max_dev = d;
        }
    }
    if (a->c->observe) a->c->observe(a->c->ctx, s);
}

static void traj_probe(void *ctx, const ob_engine_probe *p)
{
    traj *a = ctx;
    a->c->probe(a->c->ctx, p);
}

static void traj_row(void *ctx, const ob_engine_row *r)
{
    traj *a = ctx;
    if (a->c->row) a->c->row(a->c->ctx, r);
}

static void traj_agree(void *ctx, int path, uint64_t t, double err)
{
    (void)t;
    traj *a = ctx;
    ob_repro_kpath *kp = &a->k->p[path];
    kp->agree_checked++;
    if (!(err <= kp->max_agree)) kp->max_agree = err;
    if (!(err <= traj_bound(a->c))) kp->agree_ok = 0;
}

void ob_repro_traj_init(ob_repro_traj_cfg *c, unsigned paths, const ob_optimizer *opt, uint64_t steps,
                        void (*observe)(void *ctx, const ob_repro_step *s), void *ctx)
{
    memset(c, 0, sizeof *c);
    c->opt = opt;
    ob_hparams_default(opt, &c->h);
    c->steps = steps;
    c->paths = paths;
    c->agree_dense = 200;
    c->agree_every = 97;
    c->observe = observe;
    c->ctx = ctx;
}

int ob_repro_traj(const ob_repro_objective *obj, const ob_repro_traj_cfg *c, ob_repro_kernels *k, char *err,
                  size_t errlen)
{
    const ob_optimizer *o = c->opt;
    if (ob_validate(o, &c->h, err, errlen) != 0 || ob_engine_check_paths(o, c->paths, err, errlen) != 0)
        return -1;
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        if (!((c->paths >> p) & 1u)) continue;
        ob_repro_kpath *kp = &k->p[p];
        kp->ran = 1;
        if (p != OB_REPRO_REF && traj_bound(c) > kp->bound) kp->bound = traj_bound(c);
    }
    traj a = {c, k};
    ob_engine_cfg ec;
    memset(&ec, 0, sizeof ec);
    ec.opt = o;
    ec.h = c->h;
    ec.sched = c->sched;
    ec.steps = c->steps;
    ec.paths = c->paths;
    ec.threads = 1;
    ec.sampling = (ob_engine_sampling){c->agree_dense, c->agree_every, 0, c->probe ? c->probe_every : 0,
                                       c->row ? c->measure_per_decade : 0};
    ec.obs = (ob_engine_observer){&a, traj_step, c->probe ? traj_probe : NULL, traj_agree, traj_row, NULL};
    memcpy(ec.kernel_override, c->kernel_override, sizeof ec.kernel_override);
    ec.format = c->format;
    ec.adjust = c->adjust;
    ec.adjust_ctx = c->adjust_ctx;
    ob_engine_result own, *r = c->result ? c->result : &own;
    /* Without a row observer the loss is never sampled (nor timed). */
    ob_engine_objective eo = *obj;
    if (!c->row) eo.loss = NULL;
    int rc = ob_engine_run(&eo, &ec, r, err, errlen);
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        ob_repro_kpath *kp = &k->p[p];
        kp->steps += r->p[p].steps;
        if (p != OB_REPRO_REF && !r->p[p].identical && kp->identical) {
            kp->identical = 0;
            kp->first_diff_step = r->p[p].first_diff_step;
        }
    }
    return rc;
}
