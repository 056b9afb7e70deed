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
    ob_engine_set_mistake((ob_engine_mistake){OB_ENGINE_MISTAKE_NONE, 0});
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
        ob_repro_verdict v = run_with(cs[i].entry, (ob_engine_mistake){cs[i].kind, cs[i].value}, line, sizeof line);
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
    static const ob_engine_mistake uncaught[] = {{OB_ENGINE_MISTAKE_Q8_SIGNED_V, 0}, {LR, 0.97}};
    for (size_t i = 0; i < sizeof uncaught / sizeof uncaught[0]; i++) {
        char line[3000];
        ob_repro_verdict v = run_with("dettmers", uncaught[i], line, sizeof line);
        if (getenv("OPTBENCH_POWER_VERBOSE")) fprintf(stderr, "power: %s\n", line);
        cr_expect_eq(v, OB_REPRO_REPRODUCED, "the README says REPRODUCED: %s", line);
    }
}
