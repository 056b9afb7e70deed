/*
 * test_agree_edges.c — the agreement bound at the edges of what the
 * validation accepts (README "Agreement bounds", "fp32's edges"): every
 * real hyperparameter of every optimizer at the extremes of its accepted
 * range, in every option combination, one class per test:
 *   - below FLT_MIN, where fp32 keeps only a few bits of the value (lr =
 *     1e-45 becomes 2^-149 = 1.4e-45): the reference carries that rounding
 *     error in its scale (ref_hp), so the bound holds;
 *   - huge but representable (1e20 .. FLT_MAX), where a product such as
 *     wd * p or lr * q overflows in fp32 and not in double: the reference
 *     marks such elements with an infinite scale, and nothing else;
 *   - past FLT_MAX (1e300), which fp32 cannot hold at all: rejected up
 *     front, exit 2 from the command, with a message that says why;
 *   - eps = 0 or below fp32's smallest subnormal, where v underflows to 0
 *     in fp32 and the denominator with it: the quotient is not determined
 *     by fp32 arithmetic and the reference says so (infinite scale).
 * And the user's view: `optbench run --set lr=1e-45` reports no violation.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/ob_cli.h"
#include "harness/testkit/ob_testkit.h"
#include "optbench/optimizers.h"
#include "common/ob_test.h"
#include "common/ob_test_proc.h"

#define N 257
#define STEPS 5

/* Every option combination of o with key sp set to v (and, when sp2 is
 * given, sp2 set to v2): the worst agreement error over them, with the
 * case described in where.  Combinations the validation refuses (e.g.
 * lr * weight_decay > 1 for AdamW) are skipped; *tried counts the rest. */
static double worst_over_configs(const ob_optimizer *o, const ob_hparam_spec *sp, double v,
                                 const ob_hparam_spec *sp2, double v2, size_t *tried, char *where,
                                 size_t wlen)
{
    double worst = 0;
    for (size_t c = 0; c < ob_hp_config_count(o); c++) {
        ob_hparams h;
        char err[256], w[256];
        if (ob_hp_config(o, c, &h) != 0) continue;
        ob_hparam_put(&h, sp, v);
        if (sp2) ob_hparam_put(&h, sp2, v2);
        if (ob_validate(o, &h, err, sizeof err) != 0) continue;
        (*tried)++;
        double e = ob_agree_measure(o, &h, NULL, ob_test_seed() + c, N, STEPS, w, sizeof w);
        cr_assert(e >= 0, "%s: out of memory", o->name);
        if (!(e <= worst)) {
            worst = e;
            snprintf(where, wlen, "%s", w);
        }
    }
    return worst;
}

/* Every real hyperparameter of every optimizer at each value of vals that
 * lies inside its range. */
static void every_key_at(const double *vals, size_t nv, const char *what)
{
    size_t tried = 0;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        for (size_t k = 0; k < o->n_hparams; k++) {
            const ob_hparam_spec *sp = &o->hparams[k];
            if (sp->kind != OB_HP_REAL) continue;
            for (size_t i = 0; i < nv; i++) {
                if (vals[i] >= sp->hi) continue;
                char where[256] = "";
                double e = worst_over_configs(o, sp, vals[i], NULL, 0, &tried, where, sizeof where);
                cr_expect(e <= o->agree_bound, "%s: %s = %g: %.3g u*S > %g at %s; seed %#llx", what, sp->name,
                          vals[i], e, o->agree_bound, where, (unsigned long long)ob_test_seed());
            }
        }
    }
    cr_assert_gt(tried, 1000, "only %zu combinations were valid", tried);
    cr_log_info("%s: %zu hyperparameter settings within their bounds", what, tried);
}

Test(agree_edges, below_flt_min_the_bound_holds, .timeout = 120)
{
    /* fp32 subnormals (lr = 1e-45 and 1e-40 were reported as violations
     * of 21.8 u*S with SGD), the smallest one, and values that are 0 in
     * fp32 but not in double. */
    static const double vals[] = {1e-45, 1e-40, 0x1p-149, 0x1p-130, 1e-310, 0x1p-1074};
    every_key_at(vals, sizeof vals / sizeof vals[0], "below FLT_MIN");
}

Test(agree_edges, huge_values_fp32_represents_the_bound_holds, .timeout = 120)
{
    /* lr = 1e20 makes lr * d overflow in fp32 after one step; weight_decay
     * = 3e38 makes wd * p overflow at once (d, then v, then m / sqrt(v) =
     * inf / inf = NaN in fp32, a finite step in double). */
    static const double vals[] = {1e20, 0x1p64, 1e30, 3e38, FLT_MAX};
    every_key_at(vals, sizeof vals / sizeof vals[0], "huge");
}

Test(agree_edges, denominator_underflow_to_zero_is_outside_the_contract, .timeout = 120)
{
    /* eps = 0 (torch's range allows it) or an eps that is 0 in fp32: a
     * gradient below 2^-75 squares to 0 in fp32, so den = 0 and the fp32
     * step is infinite where the double one is finite.  Combined with
     * the learning rates that expose it (a tiny lr keeps p finite in
     * double; lr = 0 turns 0 * inf into NaN). */
    static const double eps[] = {0, 0x1p-1074, 1e-310, 1e-45};
    static const double lrs[] = {0, 1e-40, 1e-20, 1e-3};
    size_t tried = 0;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        const ob_hparam_spec *se = ob_hparam_find(o, "eps"), *sl = ob_hparam_find(o, "lr");
        if (!se) continue;
        for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++)
            for (size_t j = 0; j < sizeof lrs / sizeof lrs[0]; j++) {
                char where[256] = "";
                double e = worst_over_configs(o, se, eps[i], sl, lrs[j], &tried, where, sizeof where);
                cr_expect(e <= o->agree_bound, "eps = %g, lr = %g: %.3g u*S > %g at %s; seed %#llx", eps[i],
                          lrs[j], e, o->agree_bound, where, (unsigned long long)ob_test_seed());
            }
    }
    cr_assert_gt(tried, 500);
}

Test(agree_edges, past_flt_max_is_rejected_with_a_reason)
{
    static const char *const vals[] = {"1e300", "3.5e38", "1.7976931348623157e308"};
    size_t tried = 0;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        for (size_t k = 0; k < o->n_hparams; k++) {
            const ob_hparam_spec *sp = &o->hparams[k];
            if (sp->kind != OB_HP_REAL || isfinite(sp->hi)) continue;
            for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
                ob_hparams h, before;
                ob_hparams_default(o, &h);
                before = h;
                char set[128], err[512] = "";
                snprintf(set, sizeof set, "%s=%s", sp->name, vals[i]);
                cr_assert_neq(ob_hparam_set(o, &h, set, err, sizeof err), 0, "%s: %s was accepted", o->name,
                              set);
                cr_assert(strstr(err, sp->name) && strstr(err, "largest fp32 value"),
                          "%s: %s: the message does not say why: %s", o->name, set, err);
                cr_assert(!memcmp(&h, &before, sizeof h), "%s: %s changed the hyperparameters", o->name, set);
                /* The same rule in ob_validate, for values set directly. */
                ob_hparam_put(&h, sp, strtod(vals[i], NULL));
                cr_assert_neq(ob_validate(o, &h, err, sizeof err), 0, "%s: %s passed ob_validate", o->name,
                              set);
                tried++;
            }
            /* FLT_MAX itself is accepted. */
            ob_hparams h;
            char set[128], err[512] = "";
            ob_hparams_default(o, &h);
            snprintf(set, sizeof set, "%s=%.9g", sp->name, (double)FLT_MAX);
            if (!strcmp(sp->name, "weight_decay") && o->check) continue; /* lr * wd <= 1 rules */
            cr_assert_eq(ob_hparam_set(o, &h, set, err, sizeof err), 0, "%s: %s: %s", o->name, set, err);
        }
    }
    cr_assert_gt(tried, 30);
}

/* `optbench run --problem himmelblau --opt sgd --set SET`: exit code and
 * output (himmelblau's gradients at x0 are large enough for the old scale
 * to report 12.6 u*S > 6 at lr = 1e-45). */
static int run_sgd(const char *set, char **out, char **err)
{
    char dir[256], res[300];
    ob_tp_scratch(dir, sizeof dir, "edges");
    snprintf(res, sizeof res, "%s/results", dir);
    const char *const argv[] = {"run",     "--problem", "himmelblau", "--opt", "sgd",     "--set", set,
                                "--steps", "20",        "--out",      res,     "--quiet", NULL};
    int rc = ob_tp_run(argv, NULL, dir, out, err);
    ob_tp_rmtree(dir);
    return rc;
}

Test(agree_edges, run_at_lr_1e45_reports_no_violation, .timeout = 60)
{
    static const char *const sets[] = {"lr=1e-45", "lr=1e-40"};
    for (size_t i = 0; i < 2; i++) {
        char *out = NULL, *err = NULL;
        int rc = run_sgd(sets[i], &out, &err);
        cr_expect_eq(rc, OB_EXIT_OK, "run --set %s: exit %d\nstdout: %s\nstderr: %s", sets[i], rc, out, err);
        cr_expect(!strstr(out, "VIOLATION") && !strstr(err, "VIOLATION"), "run --set %s: %s%s", sets[i], out,
                  err);
        free(out);
        free(err);
    }
}

Test(agree_edges, run_at_lr_1e300_is_bad_input, .timeout = 60)
{
    char *out = NULL, *err = NULL;
    int rc = run_sgd("lr=1e300", &out, &err);
    cr_expect_eq(rc, OB_EXIT_USAGE, "run --set lr=1e300: exit %d\nstderr: %s", rc, err);
    cr_expect(strstr(err, "lr = 1e+300 exceeds the largest fp32 value"), "stderr: %s", err);
    free(out);
    free(err);
}
