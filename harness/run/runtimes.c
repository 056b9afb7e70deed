/*
 * runtimes.c — runtimes to targets of a case's paths (ob_run.h,
 * ob_runtimes): the first iterate reaching each of the 51 log-spaced
 * targets on f - f* (cocopp's default bbob targets, 10^2 down to 10^-8;
 * Hansen et al., "COCO: performance assessment", Optim. Methods Softw.
 * 36(1), 2021), or a trace of the loss where f* is unknown, from which
 * `optbench profile` measures Moré & Wild's (SIAM J. Optim. 20(1), 2009)
 * relative decrease.  Fed by the engine's observers in run.c.
 */
#include "run_internal.h"

#include <math.h>

double ob_runtime_target(size_t j)
{
    return pow(10.0, 2.0 - (double)j / 5.0);
}

void run_runtimes_start(ob_case_result *r)
{
    for (int p = 0; p < 1 + OB_ISA_COUNT; p++) {
        ob_runtimes *rt = &r->rt[p];
        for (size_t j = 0; j < OB_RUNTIME_TARGETS; j++) rt->steps[j] = OB_RUNTIME_NEVER;
        rt->next = rt->n_trace = rt->seen = 0;
        rt->f0 = NAN;
        rt->stride = 1;
    }
}

/* Without f*: keeps every stride-th sample; when the trace is full,
 * every other one is dropped and the stride doubles.  The last sample is
 * kept apart and always written, so the final loss is there. */
static void trace_add(ob_runtimes *rt, uint64_t s, double f)
{
    rt->last_step = s;
    rt->last_loss = f;
    if (rt->seen++ % rt->stride != 0) return;
    if (rt->n_trace == OB_RUNTIME_TRACE) {
        size_t m = 0;
        for (size_t i = 0; i < OB_RUNTIME_TRACE; i += 2, m++) {
            rt->trace_step[m] = rt->trace_step[i];
            rt->trace_loss[m] = rt->trace_loss[i];
        }
        rt->n_trace = m;
        rt->stride *= 2;
        if ((rt->seen - 1) % rt->stride != 0) return;
    }
    rt->trace_step[rt->n_trace] = s;
    rt->trace_loss[rt->n_trace++] = f;
}

static cJSON *trace_point(uint64_t s, double f)
{
    cJSON *pt = cJSON_CreateArray();
    cJSON_AddItemToArray(pt, cJSON_CreateNumber((double)s));
    cJSON_AddItemToArray(pt, isfinite(f) ? cJSON_CreateNumber(f) : cJSON_CreateNull());
    return pt;
}

void run_runtimes_see(ob_case_result *r, int p, uint64_t s, double f)
{
    if (p < 0 || p > OB_ISA_COUNT) return; /* extra paths: not kept */
    ob_runtimes *rt = &r->rt[p];
    if (s == 0 && isnan(rt->f0)) rt->f0 = f;
    if (!r->has_fstar) {
        trace_add(rt, s, f);
        return;
    }
    const double gap = f - r->fstar; /* NaN never reaches a target */
    while (rt->next < OB_RUNTIME_TARGETS && gap <= ob_runtime_target(rt->next)) rt->steps[rt->next++] = s;
}

void run_runtimes_json(cJSON *path, const ob_case_result *r, int p)
{
    const ob_runtimes *rt = &r->rt[p];
    if (!r->has_fstar) {
        cJSON *tr = cJSON_AddArrayToObject(path, "loss_trace");
        for (size_t i = 0; i < rt->n_trace; i++)
            cJSON_AddItemToArray(tr, trace_point(rt->trace_step[i], rt->trace_loss[i]));
        if (rt->seen && (!rt->n_trace || rt->trace_step[rt->n_trace - 1] != rt->last_step))
            cJSON_AddItemToArray(tr, trace_point(rt->last_step, rt->last_loss));
        return;
    }
    cJSON *o = cJSON_AddObjectToObject(path, "runtimes");
    ob_json_add_num(o, "f0", rt->f0);
    cJSON *st = cJSON_AddArrayToObject(o, "steps"), *ev = cJSON_AddArrayToObject(o, "evals");
    for (size_t j = 0; j < OB_RUNTIME_TARGETS; j++) {
        if (rt->steps[j] == OB_RUNTIME_NEVER) {
            cJSON_AddItemToArray(st, cJSON_CreateNull());
            cJSON_AddItemToArray(ev, cJSON_CreateNull());
            continue;
        }
        /* Evaluations up to and including the one at x_s (COCO's count). */
        cJSON_AddItemToArray(st, cJSON_CreateNumber((double)rt->steps[j]));
        cJSON_AddItemToArray(ev, cJSON_CreateNumber((double)rt->steps[j] * r->grad_evals_per_step + 1));
    }
}

cJSON *run_targets_json(const ob_case_result *r)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "on", r->has_fstar ? "f - f*" : "loss_trace");
    cJSON_AddNumberToObject(t, "count", OB_RUNTIME_TARGETS);
    cJSON_AddNumberToObject(t, "first", ob_runtime_target(0));
    cJSON_AddNumberToObject(t, "last", ob_runtime_target(OB_RUNTIME_TARGETS - 1));
    cJSON_AddBoolToObject(t, "every_step", r->rt_every_step);
    return t;
}
