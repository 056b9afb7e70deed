/*
 * test_repro_grids.c — the lr x wd grid reproductions (harness/repro/
 * repro_grid.c, repro_lh.c, repro_lion.c): the grid fit on grids built
 * with a known valley; each check fed figures that confirm its claim,
 * contradict it and sit in between; a missing data set; and each entry
 * run end to end in short mode on Fashion-MNIST (when installed) with its
 * verdict, the setup text's numbers against the values it ran, and every
 * ISA checked; the same for the tuned comparison (repro_schmidt.c).  The
 * mistakes are test_repro_power.c's.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/repro/ob_repro.h"

/* A grid whose valley is log10 wd = c + s log10 lr (a parabola across
 * it, plus a shallow bowl along it centred at log10 lr = lr_c), half
 * decades from (lr0, wd0). */
static void valley(ob_repro_grid *g, size_t n_lr, size_t n_wd, double lr0, double wd0, double s, double c,
                   double lr_c)
{
    memset(g, 0, sizeof *g);
    g->n_lr = n_lr;
    g->n_wd = n_wd;
    for (size_t i = 0; i < n_lr; i++) g->lr[i] = pow(10.0, lr0 + 0.5 * (double)i);
    for (size_t j = 0; j < n_wd; j++) g->wd[j] = pow(10.0, wd0 + 0.5 * (double)j);
    for (size_t i = 0; i < n_lr; i++)
        for (size_t j = 0; j < n_wd; j++) {
            double x = log10(g->lr[i]), y = log10(g->wd[j]);
            double d = y - (c + s * x), a = x - lr_c;
            g->score[i][j] = 0.5 + d * d + 0.01 * a * a;
        }
}

Test(repro_grids, fit_finds_the_slope_and_the_edges)
{
    ob_repro_grid g;
    ob_repro_grid_fit f;
    for (int k = 0; k < 3; k++) {
        double s = (double)k - 1; /* -1, 0, +1 */
        valley(&g, 6, 9, -3.0, -5.5, s, -3.0 + (s < 0 ? -2.0 : s > 0 ? 1.0 : 0.0), -2.0);
        ob_repro_grid_fit_of(&g, 1.0, &f);
        cr_expect(f.rows_used >= 4, "slope %g: %zu rows", s, f.rows_used);
        cr_expect(fabs(f.slope - s) < 0.05, "slope %g measured %g", s, f.slope);
    }
    /* The valley off the top of the wd axis: every row at an edge. */
    valley(&g, 6, 5, -3.0, -6.0, 0.0, 0.0, -2.0);
    ob_repro_grid_fit_of(&g, 1.0, &f);
    cr_expect_eq(f.rows_used, 0);
    cr_expect_eq(f.rows_edge, 6);
    int edge;
    cr_expect(isnan(ob_repro_grid_best_along(&g, 1, &edge)) && edge);
    /* The best along each axis, between grid values. */
    valley(&g, 7, 7, -4.0, -4.0, 0.0, -2.25, -2.25);
    double lr = ob_repro_grid_best_along(&g, 0, &edge);
    cr_expect(!edge && fabs(log10(lr) + 2.25) < 0.05, "best lr %g", lr);
    double wd = ob_repro_grid_best_along(&g, 1, &edge);
    cr_expect(!edge && fabs(log10(wd) + 2.25) < 0.05, "best wd %g", wd);
    /* A diverged (NaN) cell is no optimum. */
    g.score[0][0] = NAN;
    ob_repro_grid_fit_of(&g, 1.0, &f);
    cr_expect(isfinite(f.best));
}

static ob_repro_lh_measured lh_with(double s_l2, double s_w)
{
    ob_repro_lh_measured m;
    memset(&m, 0, sizeof m);
    m.paths = 1u;
    valley(&m.grid[OB_LH_ADAM_L2], 6, 9, -3.0, -6.0, s_l2, -4.0 + s_l2 * 2.0, -2.0);
    valley(&m.grid[OB_LH_ADAMW], 6, 9, -3.0, -6.0, s_w, -4.0 + s_w * 2.0, -2.0);
    return m;
}

Test(repro_grids, check_lh)
{
    char why[1024];
    ob_repro_lh_measured m = lh_with(-1.0, 0.0); /* the claim */
    cr_expect_eq(ob_repro_check_lh(&m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    m = lh_with(0.0, 1.0); /* what a convex model shows (README) */
    cr_expect_eq(ob_repro_check_lh(&m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    m = lh_with(-1.0, -1.0); /* both diagonal: AdamW's arm is L2 */
    cr_expect_eq(ob_repro_check_lh(&m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    m = lh_with(0.0, 0.0); /* both flat */
    cr_expect_eq(ob_repro_check_lh(&m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    m = lh_with(-1.0, 0.4); /* AdamW between flat and tilted */
    cr_expect_eq(ob_repro_check_lh(&m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    m = lh_with(-1.0, 0.0);
    m.data_missing = 1;
    snprintf(m.reason, sizeof m.reason, "no such folder");
    cr_expect_eq(ob_repro_check_lh(&m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    cr_expect(strstr(why, "no such folder"), "%s", why);
}

/* Lion's optimum at (lr 10^a, wd 10^b), AdamW's at (10^c, 10^d). */
static ob_repro_lion_measured lion_with(double a, double b, double c, double d)
{
    ob_repro_lion_measured m;
    memset(&m, 0, sizeof m);
    m.paths = 1u;
    valley(&m.grid[OB_LION_LION], 7, 7, a - 1.5, b - 1.5, 0.0, b, a);
    valley(&m.grid[OB_LION_ADAMW], 7, 7, c - 1.5, d - 1.5, 0.0, d, c);
    return m;
}

Test(repro_grids, check_lion)
{
    char why[1024];
    ob_repro_lion_measured m = lion_with(-3.0, 1.0, -2.25, 0.25); /* both ratios 10^0.75 = 5.6 */
    cr_expect_eq(ob_repro_check_lion(&m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    m = lion_with(-3.0, 1.0, -3.0, 0.25); /* the same lr */
    cr_expect_eq(ob_repro_check_lion(&m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    m = lion_with(-3.0, 1.0, -2.25, 1.0); /* the same wd */
    cr_expect_eq(ob_repro_check_lion(&m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    m = lion_with(-3.0, 1.0, -1.5, 0.25); /* lr ratio 31.6 */
    cr_expect_eq(ob_repro_check_lion(&m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    m = lion_with(-3.0, 1.0, -2.6, 0.25); /* lr ratio 2.5: between the bands */
    cr_expect_eq(ob_repro_check_lion(&m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    m = lion_with(-3.0, 1.0, -2.25, 0.25);
    for (size_t i = 0; i < 7; i++) m.grid[OB_LION_LION].score[i][6] = 0.0; /* best wd at the grid's end */
    cr_expect_eq(ob_repro_check_lion(&m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    cr_expect(strstr(why, "not bracketed"), "%s", why);
}

/* ---- end to end in short mode on Fashion-MNIST --------------------------------------- */

static int have_fmnist(void)
{
    return access("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", R_OK) == 0 ||
           getenv("OPTBENCH_FMNIST_DIR");
}

static unsigned all_paths(void)
{
    unsigned p = 1u;
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (ob_isa_supported((ob_isa)i)) p |= 1u << OB_REPRO_PATH_ISA(i);
    return p;
}

static double measured(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    cr_assert(cJSON_IsNumber(v), "no measured number %s", key);
    return v->valuedouble;
}

/* The number after `phrase` in the setup equals measured `key`; the one
 * before " in short mode" equals the steps run. */
static void expect_said(const char *setup, const char *phrase, const cJSON *m, const char *key)
{
    const char *at = strstr(setup, phrase);
    cr_assert(at, "no \"%s\" in the setup", phrase);
    double said = strtod(at + strlen(phrase), NULL);
    cr_expect_eq(said, measured(m, key), "the setup says %s%g, the run used %s = %g", phrase, said, key,
                 measured(m, key));
}

static void run_short(const char *name, ob_repro_verdict want, const char *const *phrases,
                      const char *const *keys, size_t n)
{
    if (!have_fmnist())
        cr_skip_test("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): SKIPPED");
    char dir[64], err[1024];
    snprintf(dir, sizeof dir, "/tmp/optbench-test-grids-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    const ob_repro_entry *e = ob_repro_find(name);
    cr_assert(e, "no entry %s", name);
    ob_repro_opts o = {1, all_paths(), dir, NULL, NULL, 1, NULL};
    ob_repro_outcome out;
    cr_assert_eq(ob_repro_run_entry(e, &o, &out, err, sizeof err), 0, "%s: %s", name, err);
    cr_expect_eq(out.verdict, want, "%s: %s | %s | %s", name, ob_repro_verdict_name(out.verdict), out.summary,
                 out.why);
    cr_expect(ob_repro_kernels_ok(&out.kernels), "%s: a kernel check failed", name);
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (ob_isa_supported((ob_isa)i))
            cr_expect(out.kernels.p[OB_REPRO_PATH_ISA(i)].agree_checked > 0, "%s: %s not checked", name,
                      ob_isa_name((ob_isa)i));
    const char *at = strstr(e->setup, " in short mode");
    cr_assert(at, "%s: the setup does not state the short run", name);
    while (at > e->setup && at[-1] != '(') at--;
    cr_expect_eq(strtod(at, NULL), measured(out.measured, "steps"));
    for (size_t i = 0; i < n; i++) expect_said(e->setup, phrases[i], out.measured, keys[i]);
    ob_repro_outcome_free(&out);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* README "Reproductions": on this convex model the best L2 coefficient
 * stays put and AdamW's (eta_t lambda) best lambda grows with alpha. */
Test(repro_grids, lh_heatmap_short, .timeout = 300)
{
    static const char *const ph[] = {"of batch ", "log10 alpha from ", "(Adam-L2) and from "};
    static const char *const key[] = {"batch", "log10_lr_first", "log10_adamw_lambda_first"};
    run_short("lh_heatmap", OB_REPRO_NOT_REPRODUCED, ph, key, 3);
}

/* README "Reproductions": AdamW's best lr is 3.9x Lion's, Lion's best wd
 * 10.2x AdamW's, just over the claim's band. */
Test(repro_grids, lion_lr_wd_short, .timeout = 300)
{
    static const char *const ph[] = {"of batch ", "lion log10 lr from ", "adamw log10 lr from "};
    static const char *const key[] = {"batch", "lion_log10_lr_first", "adamw_log10_lr_first"};
    run_short("lion_lr_wd", OB_REPRO_INCONCLUSIVE, ph, key, 3);
}

Test(repro_grids, missing_data_set_is_inconclusive)
{
    char dir[64], err[1024];
    snprintf(dir, sizeof dir, "/tmp/optbench-test-grids-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    const char *names[2] = {"lh_heatmap", "lion_lr_wd"};
    for (int k = 0; k < 2; k++) {
        ob_repro_opts o = {1, 1u, dir, "/nonexistent-optbench-data", NULL, 1, NULL};
        ob_repro_outcome out;
        cr_assert_eq(ob_repro_run_entry(ob_repro_find(names[k]), &o, &out, err, sizeof err), 0, "%s", err);
        cr_expect_eq(out.verdict, OB_REPRO_INCONCLUSIVE, "%s: %s", names[k], out.why);
        cr_expect(strstr(out.why, "not available"), "%s", out.why);
        ob_repro_outcome_free(&out);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* ---- Schmidt et al. 2021: the tuned comparison ----------------------------------------- */

static ob_repro_schmidt_measured schmidt_with(double adam_lo, double adam_hi)
{
    ob_repro_schmidt_measured m;
    memset(&m, 0, sizeof m);
    m.n_rows = 4;
    for (size_t p = 0; p < 4; p++)
        for (int s = 0; s < OB_SCH_OPTS; s++)
            m.t[p][s] = (double)(100 + 10 * ((p + (size_t)s) % OB_SCH_OPTS));
    for (int s = 0; s < OB_SCH_OPTS; s++) {
        m.score[s] = 0.5;
        m.score_lo[s] = 0.3;
        m.score_hi[s] = 0.7;
    }
    m.score[OB_SCH_SGD] = 0.6;
    m.score_lo[OB_SCH_ADAM] = adam_lo;
    m.score_hi[OB_SCH_ADAM] = adam_hi;
    return m;
}

Test(repro_grids, check_schmidt)
{
    char why[1024];
    ob_repro_schmidt_measured m = schmidt_with(0.3, 0.7);
    cr_expect_eq(ob_repro_check_schmidt(&m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    m = schmidt_with(0.2, 0.55); /* Adam's interval below the top score 0.6 */
    cr_expect_eq(ob_repro_check_schmidt(&m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    m = schmidt_with(0.3, 0.7);
    for (size_t p = 0; p < 4; p++) m.t[p][OB_SCH_RMSPROP] = 50; /* RMSProp fastest everywhere */
    cr_expect_eq(ob_repro_check_schmidt(&m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    cr_expect(strstr(why, "dominates"), "%s", why);
    m = schmidt_with(0.3, 0.7);
    for (size_t p = 0; p < 3; p++)
        for (int s = 0; s < OB_SCH_OPTS; s++) m.t[p][s] = INFINITY; /* 1 of 4 solved */
    cr_expect_eq(ob_repro_check_schmidt(&m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
}

Test(repro_grids, schmidt_short, .timeout = 300)
{
    char dir[64], err[1024];
    snprintf(dir, sizeof dir, "/tmp/optbench-test-grids-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    const ob_repro_entry *e = ob_repro_find("schmidt");
    ob_repro_opts o = {1, all_paths(), dir, NULL, NULL, 1, NULL};
    ob_repro_outcome out;
    cr_assert_eq(ob_repro_run_entry(e, &o, &out, err, sizeof err), 0, "%s", err);
    cr_expect_eq(out.verdict, OB_REPRO_REPRODUCED, "%s | %s", out.summary, out.why);
    cr_expect(ob_repro_kernels_ok(&out.kernels));
    const char *at = strstr(e->setup, " in short mode");
    cr_assert(at);
    while (at > e->setup && at[-1] != '(') at--;
    cr_expect_eq(strtod(at, NULL), measured(out.measured, "steps"));
    expect_said(e->setup, "its first ", out.measured, "instances");
    expect_said(e->setup, "log10 lr from ", out.measured, "log10_lr_first");
    expect_said(e->setup, "r_max = ", out.measured, "r_max");
    ob_repro_outcome_free(&out);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
