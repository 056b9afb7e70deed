/*
 * test_runtimes.c — runtimes to targets of `optbench run` (ob_run.h,
 * ob_runtimes): on quad_diag with cond = 1 (f = |x|^2 / 2, x0 = 1) plain
 * SGD with lr = 1/2 halves x exactly at every step, so f(x_s) = f0 4^-s
 * and the first iterate under each target is known in closed form; the
 * record in results.json says steps and evaluations (steps + 1).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "harness/run/ob_run.h"

static ob_case halving_case(void)
{
    ob_case c;
    memset(&c, 0, sizeof c);
    c.opt = ob_optimizer_find("sgd");
    ob_hparams_default(c.opt, &c.h);
    c.h.lr = 0.5;
    char msg[256];
    cr_assert_eq(ob_schedule_parse(NULL, NULL, 0, &c.sched, msg, sizeof msg), 0, "%s", msg);
    c.problem = ob_problem_find("quad_diag");
    c.n = 4;
    snprintf(c.pparams[0], sizeof c.pparams[0], "cond=1");
    c.n_pparams = 1;
    c.steps = 30;
    c.threads = 1;
    c.isa_mask = 1u << OB_ISA_SCALAR;
    return c;
}

Test(runtimes, closed_form_on_a_halving_quadratic)
{
    ob_case c = halving_case();
    static ob_case_result r;
    char msg[512];
    cr_assert_eq(ob_run_case(&c, NULL, &r, msg, sizeof msg), 0, "%s", msg);
    cr_assert(r.rt_every_step);
    const double f0 = 2.0; /* 4 * 1/2 */
    for (size_t j = 0; j < OB_RUNTIME_TARGETS; j++) {
        double target = ob_runtime_target(j);
        uint64_t want = 0;
        while (want <= c.steps && f0 * pow(4.0, -(double)want) > target) want++;
        if (want > c.steps) want = OB_RUNTIME_NEVER;
        for (int p = 0; p <= 1 + OB_ISA_SCALAR; p += 1 + OB_ISA_SCALAR)
            cr_assert_eq(r.rt[p].steps[j], want, "path %d target %zu (%g): %llu, want %llu", p, j, target,
                         (unsigned long long)r.rt[p].steps[j], (unsigned long long)want);
    }
    cr_assert_float_eq(ob_runtime_target(0), 100.0, 1e-12);
    cr_assert_float_eq(ob_runtime_target(50), 1e-8, 1e-20);
    cJSON *j = ob_case_to_json(&c, &r);
    cJSON *ev = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "reference"), "runtimes"), "evals");
    cJSON *st = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "reference"), "runtimes"), "steps");
    cr_assert_eq(cJSON_GetArraySize(ev), OB_RUNTIME_TARGETS);
    cr_assert_eq(cJSON_GetArrayItem(st, 10)->valuedouble + 1, cJSON_GetArrayItem(ev, 10)->valuedouble);
    cJSON_Delete(j);
}

Test(runtimes, without_fstar_a_trace_with_the_last_loss)
{
    ob_case c = halving_case();
    c.problem = ob_problem_find("sparse_logreg");
    c.n = 200;
    c.n_pparams = 0;
    c.h.lr = 0.1;
    c.steps = 700; /* 50 samples: the trace holds them */
    static ob_case_result r;
    char msg[512];
    cr_assert_eq(ob_run_case(&c, NULL, &r, msg, sizeof msg), 0, "%s", msg);
    cr_assert(!r.rt_every_step);
    const ob_runtimes *rt = &r.rt[0];
    cr_assert_geq(rt->n_trace, 40);
    cr_assert_eq(rt->trace_step[0], 0);
    cr_assert_eq(rt->last_step, 700);
    for (size_t i = 1; i < rt->n_trace; i++) cr_assert_gt(rt->trace_step[i], rt->trace_step[i - 1]);
}
