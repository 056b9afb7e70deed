/*
 * test_schedule.c — every learning-rate schedule against torch's formulas,
 * computed independently here: the closed forms (_get_closed_form_lr) and,
 * where torch's default path is recursive, that recursion too
 * (torch/optim/lr_scheduler.py, torch 2.x).  Also the edges (cosine past
 * T_max, onecycle past total_steps, momentum cycling) and bad keys/values.
 *
 * Step t uses scheduler epoch e = t - 1 throughout.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"

static const double PI = 3.14159265358979323846;

/* Parses a schedule from a NULL-terminated list of key=value, failing the
 * test on error. */
static ob_schedule parse_ok(const char *name, const char *const *sets)
{
    size_t n = 0;
    while (sets && sets[n]) n++;
    ob_schedule s;
    char err[512] = "";
    int rc = ob_schedule_parse(name, sets, n, &s, err, sizeof err);
    cr_assert_eq(rc, 0, "%s: %s", name, err);
    return s;
}

static double lr_at(const ob_schedule *s, double base, uint64_t t)
{
    ob_sched_point p;
    char err[512] = "";
    cr_assert_eq(ob_schedule_at(s, base, t, &p, err, sizeof err), 0, "t = %llu: %s", (unsigned long long)t,
                 err);
    return p.lr;
}

/* |a - b| <= rel * |b| (+ a tiny absolute floor for values at 0). */
static void assert_close(double a, double b, double rel, const char *what, uint64_t t)
{
    cr_assert(fabs(a - b) <= rel * fabs(b) + 1e-300, "%s at step %llu: got %.17g, expected %.17g", what,
              (unsigned long long)t, a, b);
}

#define SETS(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(schedule, constant_is_the_optimizer_lr)
{
    ob_schedule s = parse_ok("constant", NULL);
    for (uint64_t t = 1; t < 1000; t += 37) cr_assert_eq(lr_at(&s, 0.125, t), 0.125);
    ob_schedule d;
    char err[256];
    cr_assert_eq(ob_schedule_parse(NULL, NULL, 0, &d, err, sizeof err), 0, "NULL name means constant");
    cr_assert_str_eq(d.spec->name, "constant");
}

/* alpha_t = alpha / sqrt(t): step 1 uses alpha, step 4 alpha / 2. */
Test(schedule, inv_sqrt_matches_closed_form)
{
    ob_schedule s = parse_ok("inv_sqrt", NULL);
    cr_assert_eq(lr_at(&s, 0.5, 1), 0.5);
    cr_assert_eq(lr_at(&s, 0.5, 4), 0.25);
    for (uint64_t t = 1; t < 100000; t = t * 3 + 1)
        assert_close(lr_at(&s, 0.1, t), 0.1 / sqrt((double)t), 1e-15, "inv_sqrt", t);
}

Test(schedule, step_matches_closed_form_and_recursion)
{
    ob_schedule s = parse_ok("step", SETS("step_size=3", "gamma=0.5"));
    const double lr = 0.1;
    double rec = lr; /* torch's chainable get_lr: multiply by gamma when e % step_size == 0 */
    for (uint64_t e = 0; e < 40; e++) {
        if (e > 0 && e % 3 == 0) rec *= 0.5;
        double closed = lr * pow(0.5, (double)(e / 3));
        assert_close(lr_at(&s, lr, e + 1), closed, 0, "step closed form", e + 1);
        assert_close(lr_at(&s, lr, e + 1), rec, 1e-15, "step recursion", e + 1);
    }
    /* The default gamma is torch's 0.1. */
    ob_schedule d = parse_ok("step", SETS("step_size=2"));
    assert_close(lr_at(&d, 1.0, 3), 0.1, 0, "step default gamma", 3);
}

Test(schedule, exponential_matches_closed_form_and_recursion)
{
    ob_schedule s = parse_ok("exponential", SETS("gamma=0.9"));
    double rec = 0.3;
    for (uint64_t e = 0; e < 200; e++) {
        if (e > 0) rec *= 0.9;
        assert_close(lr_at(&s, 0.3, e + 1), 0.3 * pow(0.9, (double)e), 0, "exponential", e + 1);
        assert_close(lr_at(&s, 0.3, e + 1), rec, 1e-13, "exponential recursion", e + 1);
    }
}

Test(schedule, cosine_closed_form_is_periodic_past_t_max)
{
    const double lr = 0.2, eta_min = 0.01;
    const uint64_t T = 10;
    ob_schedule s = parse_ok("cosine", SETS("T_max=10", "eta_min=0.01"));
    for (uint64_t e = 0; e < 5 * T; e++) {
        double want = eta_min + (lr - eta_min) * (1 + cos(PI * (double)e / (double)T)) / 2;
        assert_close(lr_at(&s, lr, e + 1), want, 1e-15, "cosine", e + 1);
    }
    /* e = T_max: the minimum; not clamped afterwards: it climbs back,
     * symmetric about T_max, to the base lr at 2 T_max. */
    assert_close(lr_at(&s, lr, T + 1), eta_min, 1e-15, "cosine at T_max", T + 1);
    assert_close(lr_at(&s, lr, 2 * T + 1), lr, 1e-15, "cosine at 2 T_max", 2 * T + 1);
    for (uint64_t k = 1; k < T; k++)
        assert_close(lr_at(&s, lr, T + 1 + k), lr_at(&s, lr, T + 1 - k), 1e-14, "cosine symmetry", T + 1 + k);
    cr_assert_gt(lr_at(&s, lr, T + 2), eta_min, "cosine must not stay at eta_min past T_max");
}

Test(schedule, cosine_matches_torch_recursive_form)
{
    /* CosineAnnealingLR.get_lr (the chainable form torch uses by default). */
    const double lr = 0.05, eta_min = 0.001;
    const double T = 7;
    ob_schedule s = parse_ok("cosine", SETS("T_max=7", "eta_min=0.001"));
    double cur = lr;
    for (uint64_t e = 0; e < 60; e++) {
        if (e > 0) {
            if (((long long)e - 1 - (long long)T) % (2 * (long long)T) == 0)
                cur = cur + (lr - eta_min) * (1 - cos(PI / T)) / 2;
            else
                cur = (1 + cos(PI * (double)e / T)) / (1 + cos(PI * (double)(e - 1) / T)) * (cur - eta_min) +
                      eta_min;
        }
        assert_close(lr_at(&s, lr, e + 1), cur, 1e-12, "cosine vs recursion", e + 1);
    }
}

/* torch's CosineAnnealingWarmRestarts.step() without an epoch argument. */
static void restarts_expected(uint64_t T0, uint64_t Tmult, double lr, double eta_min, uint64_t epochs,
                              double *out)
{
    uint64_t T_i = T0, T_cur = 0;
    for (uint64_t e = 0; e < epochs; e++) {
        if (e > 0) {
            T_cur = T_cur + 1;
            if (T_cur >= T_i) {
                T_cur = T_cur % T_i;
                T_i = T_i * Tmult;
            }
        }
        out[e] = eta_min + (lr - eta_min) * (1 + cos(PI * (double)T_cur / (double)T_i)) / 2;
    }
}

Test(schedule, cosine_restarts_matches_torch_step)
{
    static const struct {
        const char *t0, *tm;
        uint64_t T0, Tm;
    } cases[] = {
        {"T_0=5", "T_mult=1", 5, 1},
        {"T_0=3", "T_mult=2", 3, 2},
        {"T_0=1", "T_mult=3", 1, 3},
    };
    double want[400];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ob_schedule s = parse_ok("cosine_restarts", SETS(cases[c].t0, cases[c].tm, "eta_min=0.002"));
        restarts_expected(cases[c].T0, cases[c].Tm, 0.1, 0.002, 400, want);
        for (uint64_t e = 0; e < 400; e++)
            assert_close(lr_at(&s, 0.1, e + 1), want[e], 1e-15, "cosine_restarts", e + 1);
    }
    /* T_0 = 3, T_mult = 2: restarts (back to lr) at e = 3, 9, 21, 45. */
    ob_schedule s = parse_ok("cosine_restarts", SETS("T_0=3", "T_mult=2"));
    for (uint64_t e = 3; e <= 45; e = 2 * e + 3)
        assert_close(lr_at(&s, 0.1, e + 1), 0.1, 0, "restart", e + 1);
    /* Huge epochs with a large T_mult: no overflow, still in range. */
    ob_schedule big = parse_ok("cosine_restarts", SETS("T_0=1", "T_mult=1000000"));
    double v = lr_at(&big, 1.0, UINT64_MAX);
    cr_assert(v >= 0 && v <= 1.0, "lr %g out of [0, 1] at a huge step", v);
}

Test(schedule, linear_matches_closed_form_and_recursion)
{
    ob_schedule s = parse_ok("linear", SETS("start_factor=0.25", "end_factor=0.75", "total_iters=8"));
    const double lr = 0.4, sf = 0.25, ef = 0.75;
    double cur = lr * sf;
    for (uint64_t e = 0; e < 30; e++) {
        double m = (double)(e < 8 ? e : 8);
        assert_close(lr_at(&s, lr, e + 1), lr * (sf + (ef - sf) * m / 8), 0, "linear", e + 1);
        /* LinearLR.get_lr: recursive ratio until total_iters, then held. */
        if (e > 0 && e <= 8) cur = cur * (1.0 + (ef - sf) / (8 * sf + (double)(e - 1) * (ef - sf)));
        assert_close(lr_at(&s, lr, e + 1), cur, 1e-14, "linear recursion", e + 1);
    }
    /* torch's defaults: start 1/3, end 1, total_iters 5 (a warm-up). */
    ob_schedule d = parse_ok("linear", NULL);
    assert_close(lr_at(&d, 0.3, 1), 0.3 / 3, 1e-15, "linear default start", 1);
    assert_close(lr_at(&d, 0.3, 6), 0.3, 1e-15, "linear default end", 6);
    assert_close(lr_at(&d, 0.3, 600), 0.3, 1e-15, "linear default plateau", 600);
}

/* ---- onecycle --------------------------------------------------------------- */

static double cos_anneal(double start, double end, double pct)
{
    return end + (start - end) / 2 * (cos(PI * pct) + 1);
}

static double lin_anneal(double start, double end, double pct)
{
    return start + (end - start) * pct;
}

/* OneCycleLR written out phase by phase (two-phase or three-phase). */
static void onecycle_expected(double max_lr, double T, double pct_start, int linear, int three, double div,
                              double fdiv, double bm, double mm, double e, double *lr, double *mom)
{
    double (*an)(double, double, double) = linear ? lin_anneal : cos_anneal;
    double init = max_lr / div, min_lr = init / fdiv;
    double up = pct_start * T - 1;
    if (e <= up) {
        *lr = an(init, max_lr, e / up);
        *mom = an(mm, bm, e / up);
    } else if (!three) {
        double pct = (e - up) / (T - 1 - up);
        *lr = an(max_lr, min_lr, pct);
        *mom = an(bm, mm, pct);
    } else {
        double down = 2 * pct_start * T - 2;
        if (e <= down) {
            double pct = (e - up) / (down - up);
            *lr = an(max_lr, init, pct);
            *mom = an(bm, mm, pct);
        } else {
            double pct = (e - down) / (T - 1 - down);
            *lr = an(init, min_lr, pct);
            *mom = mm;
        }
    }
}

Test(schedule, onecycle_matches_torch_phases)
{
    static const struct {
        const char *strategy;
        const char *three;
        int linear, three_phase;
    } cases[] = {
        {"anneal_strategy=cos", "three_phase=0", 0, 0},
        {"anneal_strategy=linear", "three_phase=false", 1, 0},
        {"anneal_strategy=cos", "three_phase=1", 0, 1},
        {"anneal_strategy=linear", "three_phase=true", 1, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ob_schedule s = parse_ok("onecycle",
                                 SETS("max_lr=0.5", "total_steps=97", "pct_start=0.25", cases[c].strategy,
                                      cases[c].three, "div_factor=10", "final_div_factor=100"));
        for (uint64_t e = 0; e < 97; e++) {
            double lr, mom;
            onecycle_expected(0.5, 97, 0.25, cases[c].linear, cases[c].three_phase, 10, 100, 0.85, 0.95,
                              (double)e, &lr, &mom);
            ob_sched_point p;
            char err[256];
            cr_assert_eq(ob_schedule_at(&s, 123.0, e + 1, &p, err, sizeof err), 0, "%s", err);
            assert_close(p.lr, lr, 1e-14, cases[c].strategy, e + 1);
            cr_assert(p.cycles_momentum, "onecycle cycles momentum by default");
            assert_close(p.momentum, mom, 1e-14, "onecycle momentum", e + 1);
        }
    }
}

Test(schedule, onecycle_end_points_and_ignores_the_optimizer_lr)
{
    ob_schedule s = parse_ok("onecycle", SETS("max_lr=0.1", "total_steps=100"));
    /* Defaults: pct_start 0.3, div 25, final_div 1e4, cos; the warm-up ends
     * at e = 29. */
    assert_close(lr_at(&s, 1.0, 1), 0.1 / 25, 1e-15, "initial lr", 1);
    assert_close(lr_at(&s, 7.0, 30), 0.1, 1e-15, "peak", 30);
    assert_close(lr_at(&s, 0.0, 100), 0.1 / 25 / 1e4, 1e-12, "final", 100);
    for (uint64_t t = 1; t <= 100; t++) cr_assert_eq(lr_at(&s, 1.0, t), lr_at(&s, 1e-3, t));
}

Test(schedule, onecycle_past_total_steps_is_an_error)
{
    ob_schedule s = parse_ok("onecycle", SETS("max_lr=0.1", "total_steps=10"));
    ob_sched_point p;
    char err[256] = "";
    cr_assert_eq(ob_schedule_at(&s, 0.1, 10, &p, err, sizeof err), 0, "step total_steps is valid: %s", err);
    cr_assert_eq(ob_schedule_at(&s, 0.1, 11, &p, err, sizeof err), -1, "step total_steps + 1 must fail");
    cr_assert(strstr(err, "total_steps") && strstr(err, "11"), "message: %s", err);
    cr_assert_eq(ob_schedule_at(&s, 0.1, 0, &p, err, sizeof err), -1, "step 0 must fail");

    const ob_optimizer *adam = ob_optimizer_find("adam");
    ob_hparams h, out;
    ob_hparams_default(adam, &h);
    cr_assert_eq(ob_schedule_apply(&s, adam, &h, 11, &out, err, sizeof err), -1);
}

Test(schedule, onecycle_cycles_beta1_for_adam_family_and_momentum_for_sgd)
{
    ob_schedule s = parse_ok("onecycle",
                             SETS("max_lr=0.1", "total_steps=20", "base_momentum=0.8", "max_momentum=0.9"));
    static const struct {
        const char *opt, *key;
    } cases[] = {
        {"adam", "beta1"},   {"adamw", "beta1"},      {"amsgrad", "beta1"},
        {"sgd", "momentum"}, {"rmsprop", "momentum"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const ob_optimizer *o = ob_optimizer_find(cases[c].opt);
        cr_assert_not_null(o, "%s", cases[c].opt);
        const ob_hparam_spec *key;
        char err[256] = "";
        cr_assert_eq(ob_schedule_cycled_key(&s, o, &key, err, sizeof err), 0, "%s", err);
        cr_assert_str_eq(key->name, cases[c].key, "%s cycles %s", cases[c].opt, key->name);
        ob_hparams base, h;
        ob_hparams_default(o, &base);
        for (uint64_t t = 1; t <= 20; t++) {
            cr_assert_eq(ob_schedule_apply(&s, o, &base, t, &h, err, sizeof err), 0, "%s", err);
            double lr, mom;
            onecycle_expected(0.1, 20, 0.3, 0, 0, 25, 1e4, 0.8, 0.9, (double)(t - 1), &lr, &mom);
            assert_close(h.lr, lr, 1e-14, cases[c].opt, t);
            assert_close(ob_hparam_get(&h, key), mom, 1e-14, cases[c].key, t);
            /* Everything else is the base's. */
            ob_hparams expect = base;
            expect.lr = h.lr;
            ob_hparam_put(&expect, key, ob_hparam_get(&h, key));
            cr_assert(memcmp(&expect, &h, sizeof h) == 0, "%s: only lr and %s may change", cases[c].opt,
                      key->name);
        }
        /* Opposite directions: lr rises while momentum falls in the warm-up. */
        ob_hparams h1, h2;
        ob_schedule_apply(&s, o, &base, 1, &h1, err, sizeof err);
        ob_schedule_apply(&s, o, &base, 4, &h2, err, sizeof err);
        cr_assert(h2.lr > h1.lr && ob_hparam_get(&h2, key) < ob_hparam_get(&h1, key));
        cr_assert_eq(ob_hparam_get(&h1, key), 0.9, "starts at max_momentum");
    }
}

Test(schedule, onecycle_without_cycle_momentum_leaves_momentum_alone)
{
    ob_schedule s = parse_ok("onecycle", SETS("max_lr=0.1", "total_steps=20", "cycle_momentum=0"));
    static const char *const opts[] = {"adam", "sgd", "rmsprop", "adagrad"};
    for (size_t c = 0; c < 4; c++) {
        const ob_optimizer *o = ob_optimizer_find(opts[c]);
        ob_hparams base, h;
        ob_hparams_default(o, &base);
        base.momentum = 0.5; /* any value: it must come through unchanged */
        char err[256] = "";
        for (uint64_t t = 1; t <= 20; t++) {
            cr_assert_eq(ob_schedule_apply(&s, o, &base, t, &h, err, sizeof err), 0, "%s: %s", opts[c], err);
            cr_assert_eq(h.beta1, base.beta1);
            cr_assert_eq(h.momentum, base.momentum);
        }
    }
}

Test(schedule, onecycle_with_an_optimizer_without_momentum_is_an_error)
{
    /* torch: "optimizer must support momentum or beta1 with `cycle_momentum`
     * option enabled" (Adagrad has neither). */
    ob_schedule s = parse_ok("onecycle", SETS("max_lr=0.1", "total_steps=20"));
    const ob_optimizer *o = ob_optimizer_find("adagrad");
    ob_hparams base, h;
    ob_hparams_default(o, &base);
    char err[256] = "";
    cr_assert_eq(ob_schedule_apply(&s, o, &base, 1, &h, err, sizeof err), -1);
    cr_assert(strstr(err, "adagrad") && strstr(err, "cycle_momentum"), "message: %s", err);
}

Test(schedule, apply_replaces_only_the_lr)
{
    ob_schedule s = parse_ok("exponential", SETS("gamma=0.5"));
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams base, h;
    ob_hparams_default(o, &base);
    base.lr = 0.08;
    char err[256];
    cr_assert_eq(ob_schedule_apply(&s, o, &base, 3, &h, err, sizeof err), 0, "%s", err);
    ob_hparams expect = base;
    expect.lr = 0.02;
    cr_assert(memcmp(&expect, &h, sizeof h) == 0);
    /* out may alias base. */
    cr_assert_eq(ob_schedule_apply(&s, o, &base, 2, &base, err, sizeof err), 0, "%s", err);
    cr_assert_eq(base.lr, 0.04);
}

/* ---- bad keys and values ------------------------------------------------------- */

static void expect_parse_error(const char *name, const char *set, const char *const *must)
{
    ob_schedule s;
    char err[512] = "";
    /* Supply the required keys first so that only `set` can be wrong. */
    const char *sets[8];
    size_t n = 0;
    const ob_schedule_spec *sp = ob_schedule_find(name);
    static char req[8][64];
    for (size_t k = 0; sp && k < sp->n_keys; k++) {
        if (!sp->keys[k].required) continue;
        snprintf(req[n], sizeof req[n], "%s=2", sp->keys[k].name);
        sets[n] = req[n];
        n++;
    }
    if (set) sets[n++] = set;
    cr_assert_eq(ob_schedule_parse(name, sets, n, &s, err, sizeof err), -1, "%s %s was accepted", name,
                 set ? set : "");
    for (size_t i = 0; must && must[i]; i++)
        cr_assert(strstr(err, must[i]) != NULL, "%s %s: message '%s' lacks '%s'", name, set ? set : "", err,
                  must[i]);
}

Test(schedule, every_out_of_range_value_is_rejected)
{
    size_t tried = 0;
    for (size_t i = 0; i < ob_schedule_count; i++) {
        const ob_schedule_spec *sp = ob_schedule_table[i];
        for (size_t k = 0; k < sp->n_keys; k++) {
            const ob_sched_key *key = &sp->keys[k];
            char bad[6][64];
            size_t nb = 0;
            if (key->kind == OB_SK_BOOL || key->kind == OB_SK_ENUM) {
                snprintf(bad[nb++], 64, "%s=yes", key->name);
                snprintf(bad[nb++], 64, "%s=", key->name);
            } else {
                snprintf(bad[nb++], 64, "%s=nan", key->name);
                snprintf(bad[nb++], 64, "%s=inf", key->name);
                snprintf(bad[nb++], 64, "%s=abc", key->name);
                snprintf(bad[nb++], 64, "%s=%.17g", key->name, key->lo_open ? key->lo : key->lo - 1);
                if (isfinite(key->hi))
                    snprintf(bad[nb++], 64, "%s=%.17g", key->name, key->hi_open ? key->hi : key->hi + 1);
                if (key->kind == OB_SK_INT) snprintf(bad[nb++], 64, "%s=2.5", key->name);
            }
            for (size_t b = 0; b < nb; b++) {
                expect_parse_error(sp->name, bad[b], SETS(key->name, "valid"));
                tried++;
            }
        }
    }
    cr_log_info("schedule: %zu bad values rejected", tried);
    cr_assert_gt(tried, 40);
}

Test(schedule, named_errors)
{
    expect_parse_error("nosuch", NULL, SETS("unknown schedule", "nosuch", "cosine", "onecycle"));
    expect_parse_error("cosine", "T_min=3", SETS("T_min", "T_max", "eta_min"));
    expect_parse_error("cosine", "T_max", SETS("key=value"));
    expect_parse_error("constant", "gamma=0.5", SETS("constant", "gamma"));
    expect_parse_error("onecycle", "anneal_strategy=cosine", SETS("anneal_strategy", "cos | linear"));
    expect_parse_error("step", "step_size=1e300", SETS("step_size"));
    /* Required keys left unset. */
    static const char *const required[][2] = {
        {"step", "step_size"},      {"exponential", "gamma"}, {"cosine", "T_max"},
        {"cosine_restarts", "T_0"}, {"onecycle", "max_lr"},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        ob_schedule s;
        char err[512] = "";
        cr_assert_eq(ob_schedule_parse(required[i][0], NULL, 0, &s, err, sizeof err), -1);
        cr_assert(strstr(err, required[i][1]) && strstr(err, "required"), "%s: %s", required[i][0], err);
    }
    /* onecycle's zero-length warm-up (torch divides by zero). */
    ob_schedule s;
    char err[512] = "";
    const char *const *z = SETS("max_lr=1", "total_steps=10", "pct_start=0.1");
    cr_assert_eq(ob_schedule_parse("onecycle", z, 3, &s, err, sizeof err), -1);
    cr_assert(strstr(err, "pct_start"), "%s", err);
}

Test(schedule, later_sets_win_and_accepted_spellings)
{
    ob_schedule s = parse_ok("onecycle", SETS("max_lr=1", "max_lr=2", "total_steps=1e2", "three_phase=TRUE",
                                              "cycle_momentum=False", "anneal_strategy=linear"));
    cr_assert_eq(s.v[0], 2.0);
    cr_assert_eq(s.v[1], 100.0);
    ob_sched_point p;
    char err[256];
    cr_assert_eq(ob_schedule_at(&s, 1, 1, &p, err, sizeof err), 0, "%s", err);
    cr_assert_eq(p.cycles_momentum, 0);
}

/* ---- the `schedule` command prints exactly these values ------------------------ */

Test(schedule, command_prints_every_step)
{
    char *out = NULL, *err = NULL;
    int rc = ob_cli_capture(SETS("optbench", "schedule", "--schedule", "onecycle", "--sched-set",
                                 "max_lr=0.1", "--sched-set=total_steps=25", "--lr", "1", "--steps", "25",
                                 "--opt", "sgd"),
                            &out, &err);
    cr_assert_eq(rc, 0, "stderr: %s", err);
    ob_schedule s = parse_ok("onecycle", SETS("max_lr=0.1", "total_steps=25"));
    char *line = strtok(out, "\n");
    cr_assert_str_eq(line, "step,lr,momentum");
    for (uint64_t t = 1; t <= 25; t++) {
        line = strtok(NULL, "\n");
        cr_assert_not_null(line, "missing line for step %llu", (unsigned long long)t);
        unsigned long long step;
        double lr, mom;
        cr_assert_eq(sscanf(line, "%llu,%lf,%lf", &step, &lr, &mom), 3, "line '%s'", line);
        ob_sched_point p;
        char msg[256];
        ob_schedule_at(&s, 1, t, &p, msg, sizeof msg);
        cr_assert_eq(step, t);
        cr_assert_eq(lr, p.lr, "%%.17g must round-trip: %s", line);
        cr_assert_eq(mom, p.momentum, "%%.17g must round-trip: %s", line);
    }
    cr_assert_null(strtok(NULL, "\n"), "extra output");
    free(out);
    free(err);

    /* Past total_steps: an error and no partial output. */
    rc = ob_cli_capture(SETS("optbench", "schedule", "--schedule", "onecycle", "--sched-set", "max_lr=0.1",
                             "--sched-set", "total_steps=5", "--lr", "1", "--steps", "6"),
                        &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert_str_eq(out, "");
    cr_assert(strstr(err, "total_steps"), "%s", err);
    free(out);
    free(err);
}
