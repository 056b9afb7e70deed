/*
 * test_repro_power.c — the reproductions' power (README "Reproductions",
 * the table of entries): each plausible mistake listed there is injected
 * through the engine's test hook (ob_engine_set_mistake, the test section
 * of harness/engine/ob_engine.h) and run end to end through the real entry
 * in short mode; its verdict must be NOT REPRODUCED, or INCONCLUSIVE where
 * the README says why.  Without a mistake the same runs are REPRODUCED
 * (test_repro.c), so each row shows that the check can tell.
 *
 * The runs take the fp64 reference and the scalar kernel only: the
 * mistake reaches every path alike (it changes the hyperparameters the
 * engine forms at each step), and the ISAs' agreement is test_repro's.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/engine/ob_engine.h"
#include "harness/repro/ob_repro.h"

typedef struct power_case {
    const char *entry;
    ob_engine_mistake_kind kind;
    double value;
    /* 1: INCONCLUSIVE is accepted as well (README says why). */
    int inconclusive_ok;
} power_case;

/* Runs entry `name` in short mode with mistake m; returns its verdict. */
static ob_repro_verdict run_with(const char *name, ob_engine_mistake m, char *line, size_t len)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/optbench-test-power-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    const ob_repro_entry *e = ob_repro_find(name);
    cr_assert(e, "no entry %s", name);
    ob_repro_opts o = {1, 1u | 1u << OB_REPRO_PATH_ISA(OB_ISA_SCALAR), dir, NULL, NULL, 1, NULL};
    ob_repro_outcome out;
    char err[1024];
    ob_engine_set_mistake(m);
    int rc = ob_repro_run_entry(e, &o, &out, err, sizeof err);
    ob_engine_set_mistake((ob_engine_mistake){OB_ENGINE_MISTAKE_NONE, 0, NULL});
    cr_assert_eq(rc, 0, "%s: %s", name, err);
    ob_repro_verdict v = out.verdict;
    snprintf(line, len, "%s with %s %g: %s | %s | %s", name, ob_engine_mistake_name(m.kind), m.value,
             ob_repro_verdict_name(v), out.summary, out.why);
    ob_repro_outcome_free(&out);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    return v;
}

static void expect_caught(const power_case *cs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char line[3000];
        ob_repro_verdict v = run_with(cs[i].entry, (ob_engine_mistake){cs[i].kind, cs[i].value, NULL}, line,
                                      sizeof line);
        if (getenv("OPTBENCH_POWER_VERBOSE")) fprintf(stderr, "power: %s\n", line);
        cr_expect(v == OB_REPRO_NOT_REPRODUCED || (cs[i].inconclusive_ok && v == OB_REPRO_INCONCLUSIVE),
                  "not caught: %s", line);
    }
}

#define CASES(...) \
    do { \
        static const power_case cs[] = {__VA_ARGS__}; \
        expect_caught(cs, sizeof cs / sizeof cs[0]); \
    } while (0)

Test(repro_power, hook_is_inert_by_default)
{
    cr_assert_eq(ob_engine_get_mistake().kind, OB_ENGINE_MISTAKE_NONE);
}

/* The rows of the README's table (README "Reproductions"), by entry. */
#define BETA2 OB_ENGINE_MISTAKE_BETA2
#define LR OB_ENGINE_MISTAKE_LR_SCALE
#define NO_AMS OB_ENGINE_MISTAKE_NO_AMSGRAD
#define NO_BC OB_ENGINE_MISTAKE_NO_BIAS_CORRECTION

Test(repro_power, reddi_thm1)
{
    CASES({"reddi_thm1", BETA2, 0.0, 0}, {"reddi_thm1", BETA2, 0.5, 0}, {"reddi_thm1", NO_AMS, 0, 0},
          {"reddi_thm1", LR, 0.97, 0}, {"reddi_thm1", NO_BC, 0, 0});
}

Test(repro_power, reddi_online)
{
    CASES({"reddi_online", BETA2, 0.0, 0}, {"reddi_online", BETA2, 0.5, 0}, {"reddi_online", NO_AMS, 0, 0},
          {"reddi_online", LR, 0.97, 0}, {"reddi_online", NO_BC, 0, 0});
}

Test(repro_power, reddi_stochastic)
{
    CASES({"reddi_stochastic", BETA2, 0.0, 0}, {"reddi_stochastic", BETA2, 0.5, 0},
          {"reddi_stochastic", NO_AMS, 0, 0}, {"reddi_stochastic", LR, 0.97, 0},
          {"reddi_stochastic", NO_BC, 0, 0});
}

/* The normaliser dropped (eps = 1) turns the adaptive methods towards GD's
 * solution, but too slowly to fit the training set in the budget: the
 * check's training gate holds the verdict at INCONCLUSIVE.  beta2 = 0
 * (Adam as sign descent with momentum) leaves Adam's w unequal on the
 * scalar path and unfitted on the reference: INCONCLUSIVE too. */
Test(repro_power, wilson)
{
    CASES({"wilson", OB_ENGINE_MISTAKE_EPS, 1.0, 1}, {"wilson", BETA2, 0.0, 1});
}

Test(repro_power, duchi)
{
    CASES({"duchi", OB_ENGINE_MISTAKE_EPS, 1e3, 0});
}

Test(repro_power, adamw)
{
    CASES({"adamw", OB_ENGINE_MISTAKE_L2_DECAY, 0, 0}, {"adamw", LR, 0.97, 0});
}

Test(repro_power, rates)
{
    CASES({"rates", OB_ENGINE_MISTAKE_NO_NESTEROV, 0, 0}, {"rates", LR, 0.5, 0}, {"rates", LR, 0.98, 0},
          {"rates", LR, 1.02, 0});
}

Test(repro_power, nqm)
{
    CASES({"nqm", LR, 0.95, 0}, {"nqm", LR, 1.05, 0});
}

Test(repro_power, kingma, .timeout = 120)
{
    if (access("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", R_OK) != 0 &&
        !getenv("OPTBENCH_FMNIST_DIR"))
        cr_skip_test("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): SKIPPED");
    CASES({"kingma", BETA2, 0.0, 0});
}

/* ---- the dynamics entries (sgdr, kingma_bias, nqm_batch) --------------------------------
 * sgdr has no row: it is NOT REPRODUCED without a mistake (README). */

/* No bias correction reaches both arms: the corrected one's steps grow
 * to the uncorrected ones' (6.6 lr at beta2 0.999, 21 at 0.9999).  beta2
 * = 0.9 for both 0.999 and 0.9999: the uncorrected ratio (1 - beta1^t) /
 * sqrt(1 - beta2^t) stays below 1, the effect vanishes. */
Test(repro_power, kingma_bias, .timeout = 240)
{
    if (access("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", R_OK) != 0 &&
        !getenv("OPTBENCH_FMNIST_DIR"))
        cr_skip_test("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): SKIPPED");
    CASES({"kingma_bias", NO_BC, 0, 0}, {"kingma_bias", BETA2, 0.9, 0});
}

/* Momentum dropped, a 5% wrong lr: the kernels' mean loss leaves the
 * recurrences' intervals. */
Test(repro_power, nqm_batch)
{
    CASES({"nqm_batch", OB_ENGINE_MISTAKE_MOMENTUM, 0.0, 0}, {"nqm_batch", LR, 0.95, 0},
          {"nqm_batch", LR, 1.05, 0});
}

/* ---- the lr x wd grids on Fashion-MNIST (lh_heatmap, lion_lr_wd) ---------------------- */

static int have_fmnist_test_set(void)
{
    return access("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", R_OK) == 0 ||
           getenv("OPTBENCH_FMNIST_DIR");
}

/* Runs entry `name` in short mode (reference only: the grids are fp64)
 * with mistake m; returns its verdict and, in s[0] and s[1], the measured
 * numbers key0 and key1 of the objects obj0 and obj1 (NULL: top level). */
static ob_repro_verdict run_grid_with(const char *name, ob_engine_mistake m, const char *obj0,
                                      const char *key0, const char *obj1, const char *key1, double s[2])
{
    char dir[64], err[1024];
    snprintf(dir, sizeof dir, "/tmp/optbench-test-power-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    ob_repro_opts o = {1, 1u, dir, NULL, NULL, 1, NULL};
    ob_repro_outcome out;
    ob_engine_set_mistake(m);
    int rc = ob_repro_run_entry(ob_repro_find(name), &o, &out, err, sizeof err);
    ob_engine_set_mistake((ob_engine_mistake){OB_ENGINE_MISTAKE_NONE, 0, NULL});
    cr_assert_eq(rc, 0, "%s: %s", name, err);
    const char *objs[2] = {obj0, obj1}, *keys[2] = {key0, key1};
    for (int k = 0; k < 2; k++) {
        const cJSON *j = objs[k] ? cJSON_GetObjectItemCaseSensitive(out.measured, objs[k]) : out.measured;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[k]);
        s[k] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    }
    if (getenv("OPTBENCH_POWER_VERBOSE"))
        fprintf(stderr, "power: %s with %s%s%s: %s | %s | %s\n", name, ob_engine_mistake_name(m.kind),
                m.only ? " in " : "", m.only ? m.only : "", ob_repro_verdict_name(out.verdict), out.summary,
                out.why);
    ob_repro_verdict v = out.verdict;
    ob_repro_outcome_free(&out);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    return v;
}

/* The entry's verdict is NOT REPRODUCED without a mistake (README: on a
 * convex model AdamW's best lambda grows with alpha, L2's stays), so each
 * mistake is also judged by what it does to the measurement: L2 in
 * AdamW's arm makes the two grids one (equal slopes); torch's lr_t*lambda
 * shrinks AdamW's decay by alpha (1e-3 .. 0.3 here), so its best lambda
 * leaves the grid at the top (baseline: best cell lambda 0.03; the fit
 * then has too few rows: INCONCLUSIVE). */
Test(repro_power, lh_heatmap, .timeout = 600)
{
    if (!have_fmnist_test_set()) cr_skip_test("Fashion-MNIST is not installed: SKIPPED");
    double s[2];
    ob_repro_verdict v = run_grid_with("lh_heatmap",
                                       (ob_engine_mistake){OB_ENGINE_MISTAKE_L2_LAMBDA, 0, NULL}, "adam_l2",
                                       "slope_log_wd_on_log_lr", "adamw", "slope_log_wd_on_log_lr", s);
    cr_expect_eq(v, OB_REPRO_NOT_REPRODUCED);
    cr_expect(fabs(s[0] - s[1]) < 1e-9, "L2 in AdamW's arm: slopes %g and %g differ", s[0], s[1]);
    v = run_grid_with("lh_heatmap", (ob_engine_mistake){OB_ENGINE_MISTAKE_WD_TIMES_LR, 0, NULL}, "adamw",
                      "best_weight_decay", "adamw", "rows_fitted", s);
    cr_expect(v == OB_REPRO_INCONCLUSIVE || v == OB_REPRO_NOT_REPRODUCED, "%s", ob_repro_verdict_name(v));
    cr_expect(s[0] >= 0.3 && s[1] < 3, "torch's lr*lambda: AdamW's best lambda %g, %g rows fitted", s[0],
              s[1]);
}

/* Each mistake made in one of the two optimizers (the same one in both
 * would cancel in the ratios). */
Test(repro_power, lion_lr_wd, .timeout = 600)
{
    if (!have_fmnist_test_set()) cr_skip_test("Fashion-MNIST is not installed: SKIPPED");
    static const struct {
        ob_engine_mistake m;
        int inconclusive_ok;
    } cs[] = {
        {{OB_ENGINE_MISTAKE_LR_SCALE, 10.0, "lion"}, 0},
        {{OB_ENGINE_MISTAKE_WD_OVER_LR, 0, "lion"}, 1},
        {{OB_ENGINE_MISTAKE_L2_DECAY, 0, "adamw"}, 0},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        double r[2];
        ob_repro_verdict v = run_grid_with("lion_lr_wd", cs[i].m, NULL, "lr_ratio_adamw_over_lion", NULL,
                                           "wd_ratio_lion_over_adamw", r);
        cr_expect(v == OB_REPRO_NOT_REPRODUCED || (cs[i].inconclusive_ok && v == OB_REPRO_INCONCLUSIVE),
                  "lion_lr_wd with %s in %s: %s (ratios %g, %g)", ob_engine_mistake_name(cs[i].m.kind),
                  cs[i].m.only, ob_repro_verdict_name(v), r[0], r[1]);
    }
}

/* Schmidt et al.: Adam's mistakes must take it out of the best (its
 * interval below the top score). */
Test(repro_power, schmidt, .timeout = 600)
{
    static const ob_engine_mistake cs[] = {
        {OB_ENGINE_MISTAKE_BETA2, 0.0, "adam"},
        {OB_ENGINE_MISTAKE_LR_SCALE, 0.1, "adam"},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        double r[2];
        ob_repro_verdict v = run_grid_with("schmidt", cs[i], NULL, "steps", NULL, "instances", r);
        cr_expect_eq(v, OB_REPRO_NOT_REPRODUCED, "schmidt with %s %g in adam: %s",
                     ob_engine_mistake_name(cs[i].kind), cs[i].value, ob_repro_verdict_name(v));
    }
}

/* ---- kingma_mlp (Kingma & Ba 2015 §6.2, scaled) ------------------------------------------
 * NOT REPRODUCED without a mistake (tuned SGD Nesterov ends below Adam,
 * README), so no mistake can flip it to a false NOT REPRODUCED; Adam's
 * beta2 = 0 (sign-like steps) must keep it there, never pass it. */
Test(repro_power, kingma_mlp, .timeout = 480)
{
    if (access("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", R_OK) != 0 &&
        !getenv("OPTBENCH_FMNIST_DIR"))
        cr_skip_test("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): SKIPPED");
    CASES({"kingma_mlp", BETA2, 0.0, 0});
}

/* dettmers (README "Reproductions"): the 8-bit quantizer's ablations of
 * Dettmers et al. 2022 §4 — one absmax per tensor, a linear code, v with
 * the signed code — and a wrong lr, which reaches the fp32 and the 8-bit
 * runs alike (the claim is relative to fp32 at the same lr).  Outcomes
 * and reasons in the README's table. */
Test(repro_power, dettmers, .timeout = 300)
{
    if (access("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", R_OK) != 0 &&
        !getenv("OPTBENCH_FMNIST_DIR"))
        cr_skip_test("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): SKIPPED");
    CASES({"dettmers", OB_ENGINE_MISTAKE_Q8_PER_TENSOR, 0, 0}, {"dettmers", OB_ENGINE_MISTAKE_Q8_LINEAR_CODE, 0, 0});
    /* Not caught, by design (README): the signed code keeps the dynamic
     * code's seven decades with half the resolution per decade, which
     * costs v nothing the final loss shows; a wrong lr moves fp32 and q8
     * together.  Their verdicts are pinned so that the README's outcomes
     * stay true. */
    static const ob_engine_mistake uncaught[] = {{OB_ENGINE_MISTAKE_Q8_SIGNED_V, 0, NULL}, {LR, 0.97, NULL}};
    for (size_t i = 0; i < sizeof uncaught / sizeof uncaught[0]; i++) {
        char line[3000];
        ob_repro_verdict v = run_with("dettmers", uncaught[i], line, sizeof line);
        if (getenv("OPTBENCH_POWER_VERBOSE")) fprintf(stderr, "power: %s\n", line);
        cr_expect_eq(v, OB_REPRO_REPRODUCED, "the README says REPRODUCED: %s", line);
    }
}
