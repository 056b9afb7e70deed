/*
 * engine_monitor.c — the diagnostics practitioners watch while an
 * optimizer trains (README "Monitoring"; ob_engine_monitor), computed on
 * the fp64 reference path at the measured steps only: the update and its
 * ratio to the weights, the learning rate (and cycled beta1 or momentum)
 * in force, the spread of an adaptive method's effective per-coordinate
 * learning rate, its bias corrections, and how much clipping changed.
 * No kernel is touched; the cost is a copy of x and one pass over the
 * state at each measured step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "harness/core/ob_core.h"

int eng_monitor_alloc(eng *e, size_t n)
{
    const size_t m = n ? n : 1;
    return (e->xmon = malloc(m * sizeof(double))) && (e->effbuf = malloc(m * sizeof(double))) ? 0 : -1;
}

void eng_monitor_free(eng *e)
{
    free(e->xmon);
    free(e->effbuf);
    e->xmon = e->effbuf = NULL;
}

void eng_monitor_reset(ob_engine_monitor *m)
{
    m->upd_norm = m->upd_ratio = m->lr = m->cycled = NAN;
    m->eff_min = m->eff_med = m->eff_max = m->bc1 = m->bc2 = m->clipped = NAN;
}

void eng_monitor_before(eng *e)
{
    memcpy(e->xmon, e->xr, e->n * sizeof(double));
}

/* The hyperparameter `key` of o in force, NaN if o has no such key. */
static double hp_in_force(const ob_optimizer *o, const ob_hparams *h, const char *key)
{
    for (size_t i = 0; i < o->n_hparams; i++)
        if (!strcmp(o->hparams[i].name, key)) return *(const double *)(const void *)((const char *)h + o->hparams[i].offset);
    return NAN;
}

void eng_monitor_after(eng *e, const ob_hparams *ht, uint64_t t, const double *g)
{
    const ob_optimizer *o = e->c->opt;
    const size_t n = e->n;
    ob_engine_monitor *m = &e->mon;
    double du = 0, xx = 0, gg = 0;
    size_t over = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = e->xr[i] - e->xmon[i];
        du += d * d;
        xx += e->xmon[i] * e->xmon[i];
        gg += g[i] * g[i];
        over += ht->clip_value > 0 && fabs(g[i]) > ht->clip_value;
    }
    m->upd_norm = sqrt(du);
    m->upd_ratio = xx > 0 ? m->upd_norm / sqrt(xx) : NAN;
    m->lr = ht->lr;
    /* The Adam family's beta1, else the momentum (what onecycle cycles). */
    m->cycled = hp_in_force(o, ht, "beta1");
    if (isnan(m->cycled)) m->cycled = hp_in_force(o, ht, "momentum");
    /* torch's clip_grad_value_ changes the elements beyond c;
     * clip_grad_norm_ scales all of them when the norm exceeds max_norm. */
    m->clipped = ht->clip_value > 0                          ? (n ? (double)over / (double)n : 0)
                 : ht->clip_norm > 0 && sqrt(gg) > ht->clip_norm ? 1
                                                               : 0;
    double bc[2] = {NAN, NAN};
    m->eff_min = m->eff_med = m->eff_max = NAN;
    if (o->monitor) {
        o->monitor(ht, t, n, e->str, e->effbuf, bc);
        if (n) {
            m->eff_med = ob_median(e->effbuf, n); /* sorts effbuf */
            m->eff_min = e->effbuf[0];
            m->eff_max = e->effbuf[n - 1];
        }
    }
    m->bc1 = bc[0];
    m->bc2 = bc[1];
}
