/*
 * test_validation.c — invalid hyperparameters are rejected with a message
 * naming the parameter, its value and the valid range, and no state is
 * touched.  Also the ISA selection rules (OPTBENCH_ISA).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/optimizers.h"
#include "harness/core/ob_core.h"
#include "common/ob_test.h"

/* Values outside each spec's range: just below lo, just above hi (when
 * finite), NaN and +-Inf. */
static size_t bad_values(const ob_hparam_spec *sp, double *out)
{
    size_t k = 0;
    out[k++] = NAN;
    out[k++] = -INFINITY;
    if (sp->kind == OB_HP_BOOL) return k;
    out[k++] = sp->lo_open ? sp->lo : sp->lo - 1e-3;
    if (isfinite(sp->hi)) out[k++] = sp->hi_open ? sp->hi : sp->hi + 1e-3;
    else out[k++] = INFINITY;
    return k;
}

Test(validation, every_out_of_range_value_is_rejected_and_state_untouched)
{
    size_t tried = 0;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        for (size_t si = 0; si < o->n_hparams; si++) {
            const ob_hparam_spec *sp = &o->hparams[si];
            if (sp->kind == OB_HP_BOOL) continue; /* a bool is stored as 0/1 */
            double bad[4];
            size_t nb = bad_values(sp, bad);
            for (size_t b = 0; b < nb; b++) {
                ob_hparams h;
                ob_hparams_default(o, &h);
                ob_hparam_put(&h, sp, bad[b]);
                float p[5] = {1, 2, 3, 4, 5}, g[5] = {1, 1, 1, 1, 1};
                float st[OB_MAX_STATE][5] = {{7, 7, 7, 7, 7},
                                             {7, 7, 7, 7, 7},
                                             {7, 7, 7, 7, 7},
                                             {7, 7, 7, 7, 7}};
                float *sp_[OB_MAX_STATE] = {st[0], st[1], st[2], st[3]};
                char err[256] = "";
                int rc = ob_step(o, OB_ISA_SCALAR, &h, 1, 5, p, g, sp_, err, sizeof err);
                cr_assert_eq(rc, -1, "%s: %s = %g was accepted", o->name, sp->name, bad[b]);
                cr_assert(strstr(err, sp->name) != NULL, "message does not name %s: %s", sp->name, err);
                cr_assert(strstr(err, "valid") != NULL, "message does not give the valid range: %s", err);
                for (int i = 0; i < 5; i++) {
                    cr_assert_eq(p[i], (float)(i + 1), "%s: p touched after a rejected %s", o->name,
                                 sp->name);
                    for (int k = 0; k < OB_MAX_STATE; k++)
                        cr_assert_eq(st[k][i], 7.0f, "%s: state touched after a rejected %s", o->name,
                                     sp->name);
                }
                tried++;
            }
        }
    }
    cr_log_info("validation: %zu out-of-range values rejected", tried);
}

Test(validation, nesterov_needs_momentum_and_zero_dampening)
{
    const ob_optimizer *o = ob_optimizer_find("sgd");
    ob_hparams h;
    char err[256];
    ob_hparams_default(o, &h);
    h.nesterov = 1;
    cr_assert_eq(ob_validate(o, &h, err, sizeof err), -1);
    cr_assert(strstr(err, "nesterov") && strstr(err, "momentum"), "%s", err);
    h.momentum = 0.9;
    h.dampening = 0.1;
    cr_assert_eq(ob_validate(o, &h, err, sizeof err), -1);
    cr_assert(strstr(err, "dampening"), "%s", err);
    h.dampening = 0;
    cr_assert_eq(ob_validate(o, &h, err, sizeof err), 0, "%s", err);
}

Test(validation, adamw_decay_factor_must_stay_positive)
{
    const ob_optimizer *o = ob_optimizer_find("adamw");
    ob_hparams h;
    char err[256];
    ob_hparams_default(o, &h);
    h.lr = 2;
    h.weight_decay = 1;
    cr_assert_eq(ob_validate(o, &h, err, sizeof err), -1);
    cr_assert(strstr(err, "weight_decay"), "%s", err);
}

Test(validation, set_parses_and_rejects)
{
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h, before;
    char err[256];
    ob_hparams_default(o, &h);
    cr_assert_eq(ob_hparam_set(o, &h, "beta1=0.5", err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.beta1, 0.5);
    cr_assert_eq(ob_hparam_set(o, &h, "amsgrad=true", err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.amsgrad, 1);
    cr_assert_eq(ob_hparam_set(o, &h, "amsgrad=0", err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.amsgrad, 0);
    before = h;
    static const struct {
        const char *in, *needle;
    } bad[] = {
        {"beta1=1", "beta1"},
        {"beta1=-0.1", "valid"},
        {"lr=nan", "lr"},
        {"lr=inf", "lr"},
        {"lr=1e-3x", "not a number"},
        {"lr=", "not a number"},
        {"momentum=0.9", "no hyperparameter 'momentum'"},
        {"=3", "key=value"},
        {"lr", "key=value"},
        {"amsgrad=yes", "amsgrad"},
        {"eps=-1", "eps"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(ob_hparam_set(o, &h, bad[i].in, err, sizeof err), -1, "'%s' was accepted", bad[i].in);
        cr_assert(strstr(err, bad[i].needle), "'%s': message '%s' lacks '%s'", bad[i].in, err, bad[i].needle);
        cr_assert(memcmp(&h, &before, sizeof h) == 0, "'%s' changed the hyperparameters", bad[i].in);
    }
}

/* A nonzero literal that rounds to 0 in double would silently switch an
 * option off: refused by --set and by the shared parser (schedule keys,
 * problem parameters); a subnormal or a written 0 is kept. */
Test(validation, a_literal_that_underflows_to_zero_is_an_error)
{
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    char err[256] = "";
    cr_assert_neq(ob_hparam_set(o, &h, "lr=1e-400", err, sizeof err), 0, "lr=1e-400 was accepted");
    cr_assert(strstr(err, "lr") && strstr(err, "underflows to 0"), "%s", err);
    cr_assert_eq(h.lr, 1e-3, "h was modified by a refused assignment");
    cr_assert_eq(ob_hparam_set(o, &h, "weight_decay=1e-310", err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.weight_decay, 1e-310);
    cr_assert_eq(ob_hparam_set(o, &h, "weight_decay=0e5", err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.weight_decay, 0.0);
    double v = -1;
    cr_assert_neq(ob_parse_real("1e-400", &v), 0, "ob_parse_real accepted 1e-400 (%g)", v);
    cr_assert_eq(ob_parse_real("-1e-400", &v), -1);
    cr_assert_eq(ob_parse_real("1e-310", &v), 0);
    cr_assert_eq(v, 1e-310);
    cr_assert_eq(ob_parse_real("0.0", &v), 0);
    cr_assert_eq(v, 0.0);
}

Test(validation, step_zero_is_rejected)
{
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    float p = 1, g = 1, m = 0, v = 0, vm = 0;
    float *st[3] = {&m, &v, &vm};
    char err[256];
    cr_assert_eq(ob_step(o, OB_ISA_SCALAR, &h, 0, 1, &p, &g, st, err, sizeof err), -1);
    cr_assert(strstr(err, "step"), "%s", err);
}

Test(validation, missing_state_array_is_an_error_not_a_crash)
{
    const ob_optimizer *o = ob_optimizer_find("rmsprop");
    ob_hparams h;
    ob_hparams_default(o, &h);
    h.centered = 1;
    float p = 1, g = 1, sq = 0;
    float *st[3] = {&sq, NULL, NULL};
    char err[256];
    cr_assert_eq(ob_step(o, OB_ISA_SCALAR, &h, 1, 1, &p, &g, st, err, sizeof err), -1);
    cr_assert(strstr(err, "grad_avg"), "%s", err);
}

Test(isa, forced_variant_and_unknown_name)
{
    ob_isa isa;
    char err[256];
    setenv("OPTBENCH_ISA", "scalar", 1);
    cr_assert_eq(ob_isa_select(&isa, err, sizeof err), 0, "%s", err);
    cr_assert_eq(isa, OB_ISA_SCALAR);
    setenv("OPTBENCH_ISA", "sse9", 1);
    cr_assert_eq(ob_isa_select(&isa, err, sizeof err), -1);
    cr_assert(strstr(err, "sse9"), "%s", err);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        setenv("OPTBENCH_ISA", ob_isa_name((ob_isa)i), 1);
        int rc = ob_isa_select(&isa, err, sizeof err);
        if (ob_isa_supported((ob_isa)i)) cr_assert(rc == 0 && isa == (ob_isa)i, "%s", err);
        else
            cr_assert(rc == -1 && strstr(err, "cannot run here"),
                      "forcing a missing ISA must be an error: %s", err);
    }
    unsetenv("OPTBENCH_ISA");
    cr_assert_eq(ob_isa_select(&isa, err, sizeof err), 0);
    cr_assert(ob_isa_supported(isa));
}

Test(table, every_entry_is_complete)
{
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        cr_assert(o->name && o->title && o->source && o->prepare && o->reference && o->state_mask);
        cr_assert(ob_optimizer_kernel(o, OB_ISA_SCALAR), "%s lacks a scalar kernel", o->name);
        cr_assert(o->agree_bound > 0);
        cr_assert_eq(ob_optimizer_find(o->name), o);
        ob_hparams h;
        char err[256];
        ob_hparams_default(o, &h);
        cr_assert_eq(ob_validate(o, &h, err, sizeof err), 0, "%s defaults are invalid: %s", o->name, err);
        /* The scalar kernel is required; the vector ones are optional (an
         * ISA without one is SKIPPED). */
        cr_assert(ob_optimizer_kernel(o, OB_ISA_SCALAR), "%s has no scalar kernel", o->name);
    }
    const ob_optimizer *adam = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(adam, &h);
    cr_assert_eq(ob_traffic_bytes_per_param(adam, &h), 28, "Adam moves 28 B per element");
    cr_assert_eq(ob_state_bytes_per_param(adam, &h), 8);
    cr_assert_null(ob_optimizer_find("adamx"));
}
