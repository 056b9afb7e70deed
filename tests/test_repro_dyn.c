/*
 * test_repro_dyn.c — the reproductions of training dynamics (README
 * "Reproductions": sgdr, kingma_bias, nqm_batch): each entry in short mode
 * with its verdict asserted and its setup text compared with the values
 * the run used (as test_repro.c does for the others), and each check
 * function fed figures that confirm its claim (REPRODUCED), contradict it
 * (NOT REPRODUCED) or sit in between (INCONCLUSIVE).  Their mistakes run
 * end to end in test_repro_power.c.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/repro/ob_repro.h"

static unsigned all_paths(void)
{
    unsigned p = 1u;
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (ob_isa_supported((ob_isa)i)) p |= 1u << OB_REPRO_PATH_ISA(i);
    return p;
}

static double measured_num(const ob_repro_outcome *out, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(out->measured, key);
    cr_assert(cJSON_IsNumber(v), "no measured number %s", key);
    return v->valuedouble;
}

/* The setup text states what the entry ran: the number before the first
 * " in short mode" equals the measured short_key, and the number after
 * each phrase the measured key (README "Reproductions": setups spelled
 * from the constants the code runs). */
static void expect_setup(const char *name, const ob_repro_outcome *out, const char *short_key,
                         const char *const *phrase, const char *const *key, int n)
{
    const char *setup = ob_repro_find(name)->setup;
    const char *at = strstr(setup, " in short mode");
    cr_assert(at, "%s: the setup does not state the short run: %s", name, setup);
    while (at > setup && at[-1] != '(') at--;
    double want = measured_num(out, short_key);
    cr_expect_eq(strtod(at, NULL), want, "%s: the setup says %.12g in short mode, the run used %s = %.12g", name,
                 strtod(at, NULL), short_key, want);
    for (int k = 0; k < n; k++) {
        const char *ph = strstr(setup, phrase[k]);
        cr_assert(ph, "%s: no \"%s\" in the setup", name, phrase[k]);
        double said = strtod(ph + strlen(phrase[k]), NULL);
        want = measured_num(out, key[k]);
        cr_expect_eq(said, want, "%s: the setup says %s%.12g, the run used %s = %.12g", name, phrase[k], said,
                     key[k], want);
    }
}

/* Runs one entry in short mode (no figures), checks the kernels ran and
 * agreed, the CSV exists and the verdict is `want`. */
static void run_short(const char *name, ob_repro_verdict want, ob_repro_outcome *out)
{
    char dir[64], csv[256];
    snprintf(dir, sizeof dir, "/tmp/optbench-test-dyn-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    const ob_repro_entry *e = ob_repro_find(name);
    cr_assert(e, "no entry %s", name);
    ob_repro_opts o = {1, all_paths(), dir, NULL, NULL, 1, NULL};
    char err[1024];
    cr_assert_eq(ob_repro_run_entry(e, &o, out, err, sizeof err), 0, "%s: %s", name, err);
    cr_assert(out->summary[0] && out->why[0], "%s: no summary or reasoning", name);
    cr_assert(ob_repro_kernels_ok(&out->kernels), "%s: a kernel check failed", name);
    cr_expect_eq(out->verdict, want, "%s: %s, expected %s: %s | %s", name, ob_repro_verdict_name(out->verdict),
                 ob_repro_verdict_name(want), out->summary, out->why);
    snprintf(csv, sizeof csv, "%s/%s.csv", dir, name);
    struct stat st;
    cr_expect(stat(csv, &st) == 0 && st.st_size > 0, "%s: no CSV", name);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!ob_isa_supported((ob_isa)i)) continue;
        const ob_repro_kpath *k = &out->kernels.p[OB_REPRO_PATH_ISA(i)];
        cr_expect(k->ran && k->steps > 0 && k->agree_checked > 0, "%s: %s not run or not checked", name,
                  ob_isa_name((ob_isa)i));
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* ---- sgdr ------------------------------------------------------------------------------ */

/* Short mode: the step schedule's final gap (0.0084) is below anything
 * SGDR reaches before its own last epoch (0.0149): NOT REPRODUCED, the
 * finding README "Reproductions" states. */
Test(repro_dyn, sgdr_short)
{
    ob_repro_outcome out;
    run_short("sgdr", OB_REPRO_NOT_REPRODUCED, &out);
    static const char *const ph[] = {"mini-batches of ", "momentum = ", "T_mult = "};
    static const char *const key[] = {"batch", "momentum", "T_mult"};
    expect_setup("sgdr", &out, "epochs", ph, key, 3);
    ob_repro_outcome_free(&out);
}

static void sgdr_fill(ob_repro_sgdr_measured *m, unsigned sgdr_at)
{
    memset(m, 0, sizeof *m);
    m->epochs = 10;
    m->paths = 3u;
    for (int k = 0; k < OB_SGDR_SCHEDULES; k++) {
        ob_repro_tuning *t = &m->tuning[k];
        t->n = 3;
        t->best = 1;
        for (int i = 0; i < 3; i++) t->lr[i] = pow(10.0, i - 3);
        for (int p = 0; p < 2; p++)
            for (unsigned e = 0; e < 10; e++) m->gap[k][p][e] = 1.0 / (e + 1);
    }
    /* The baselines end at 0.1 (epoch 10); SGDR gets below it at sgdr_at. */
    for (int p = 0; p < 2; p++)
        for (unsigned e = 0; e < 10; e++) m->gap[OB_SGDR_RESTARTS][p][e] = e + 1 >= sgdr_at ? 0.05 : 1.0;
}

Test(repro_checks_dyn, sgdr)
{
    char why[1024];
    ob_repro_sgdr_measured *m = malloc(sizeof *m);
    cr_assert(m);
    sgdr_fill(m, 4);
    cr_expect_eq(ob_repro_check_sgdr(m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    sgdr_fill(m, 5); /* exactly half: the paper's 2x */
    cr_expect_eq(ob_repro_check_sgdr(m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    sgdr_fill(m, 7);
    cr_expect_eq(ob_repro_check_sgdr(m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    sgdr_fill(m, 10);
    cr_expect_eq(ob_repro_check_sgdr(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    sgdr_fill(m, 11); /* never */
    cr_expect_eq(ob_repro_check_sgdr(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    cr_expect(strstr(why, "never"), "%s", why);
    sgdr_fill(m, 4);
    m->tuning[OB_SGDR_STEP].best = 2; /* a baseline's lr not bracketed */
    cr_expect_eq(ob_repro_check_sgdr(m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    sgdr_fill(m, 4);
    m->gap[OB_SGDR_STEP][1][9] = NAN; /* a baseline diverged on one path: the other sets the target */
    cr_expect_eq(ob_repro_check_sgdr(m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    free(m);
}
