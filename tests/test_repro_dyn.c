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

#include "harness/core/ob_core.h"
#include "harness/repro/ob_repro.h"
#include "optbench/problems.h"

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
    cr_expect_eq(strtod(at, NULL), want, "%s: the setup says %.12g in short mode, the run used %s = %.12g",
                 name, strtod(at, NULL), short_key, want);
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
    cr_expect_eq(out->verdict, want, "%s: %s, expected %s: %s | %s", name,
                 ob_repro_verdict_name(out->verdict), ob_repro_verdict_name(want), out->summary, out->why);
    snprintf(csv, sizeof csv, "%s/%s.csv", dir, name);
    struct stat st;
    cr_expect(stat(csv, &st) == 0 && st.st_size > 0, "%s: no CSV", name);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!ob_isa_supported((ob_isa)i)) continue;
        const ob_repro_kpath *k = &out->kernels.p[OB_REPRO_PATH_ISA(i)];
        cr_expect(k->ran && k->steps > 0 && k->agree_checked > 0, "%s: %s not run or not checked", name,
                  ob_isa_name((ob_isa)i));
    }
    /* Its record in repro.json reads back (no duplicate keys). */
    const ob_repro_entry *one[1] = {e};
    cr_assert_eq(ob_repro_write_json(dir, one, out, 1, NULL, err, sizeof err), 0, "%s", err);
    char path[128], msg[512];
    snprintf(path, sizeof path, "%s/repro.json", dir);
    cJSON *doc = ob_json_read(path, msg, sizeof msg);
    cr_expect(doc != NULL, "%s: repro.json does not read back: %s", name, msg);
    cJSON_Delete(doc);
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

/* ---- kingma_bias ----------------------------------------------------------------------- */

static int have_fmnist(void)
{
    return access("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", R_OK) == 0 ||
           getenv("OPTBENCH_FMNIST_DIR");
}

/* Short mode (60 steps, 30 runs of fmnist_logreg: about 5 s of CPU). */
Test(repro_dyn, kingma_bias_short, .timeout = 120)
{
    if (!have_fmnist())
        cr_skip_test("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): SKIPPED");
    ob_repro_outcome out;
    run_short("kingma_bias", OB_REPRO_REPRODUCED, &out);
    static const char *const ph[] = {"batch ", "beta1 = "};
    static const char *const key[] = {"batch", "beta1"};
    expect_setup("kingma_bias", &out, "steps", ph, key, 2);
    ob_repro_outcome_free(&out);
}

/* Steps of 1.1 lr with the correction, `unc` lr without (at the first
 * lr; the bounds are 3.16 and 10 lr); early losses 1 with it, `loss`
 * without (at the last lr). */
static void kbb_fill(ob_repro_kingma_bias_measured *m, double unc, double loss)
{
    memset(m, 0, sizeof *m);
    m->paths = 3u;
    m->n_lr = 3;
    m->steps = 60;
    m->beta1 = 0.9;
    m->beta2[0] = 0.99;
    m->beta2[1] = 0.999;
    m->beta2[2] = 0.9999;
    for (int b = 0; b < OB_KBB_BETA2S; b++)
        for (size_t l = 0; l < 3; l++)
            for (int p = 0; p < 2; p++) {
                m->max_step[b][OB_KBB_CORRECTED][l][p] = 1.1;
                m->max_step[b][OB_KBB_UNCORRECTED][l][p] = l == 0 ? unc : 1.0;
                m->max_loss[b][OB_KBB_CORRECTED][l][p] = 1.0;
                m->max_loss[b][OB_KBB_UNCORRECTED][l][p] = l == 2 ? loss : 0.9;
            }
}

Test(repro_checks_dyn, kingma_bias)
{
    char why[2048];
    ob_repro_kingma_bias_measured *m = malloc(sizeof *m);
    cr_assert(m);
    cr_expect(fabs(ob_repro_kingma_bias_bound(0.9, 0.999) - 3.16227766) < 1e-8);
    cr_expect_eq(ob_repro_kingma_bias_bound(0.9, 0.99), 1.0);
    kbb_fill(m, 20.0, 3.0);
    cr_expect_eq(ob_repro_check_kingma_bias(m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    kbb_fill(m, 20.0, 3.0);
    m->max_step[1][OB_KBB_CORRECTED][1][1] = 6.0; /* the corrected arm is not corrected (bound 3.16) */
    cr_expect_eq(ob_repro_check_kingma_bias(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    kbb_fill(m, 20.0, 3.0);
    m->max_step[2][OB_KBB_CORRECTED][1][1] = 9.9; /* within 0.9999's bound of 10 lr */
    cr_expect_eq(ob_repro_check_kingma_bias(m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    kbb_fill(m, 6.0, 3.0); /* beyond 0.999's bound, within 0.9999's */
    cr_expect_eq(ob_repro_check_kingma_bias(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    kbb_fill(m, 1.2, 3.0); /* no large uncorrected step */
    cr_expect_eq(ob_repro_check_kingma_bias(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    kbb_fill(m, 20.0, 1.0); /* no loss spike anywhere */
    cr_expect_eq(ob_repro_check_kingma_bias(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    kbb_fill(m, 20.0, 1.1);
    cr_expect_eq(ob_repro_check_kingma_bias(m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    kbb_fill(m, 20.0, 3.0);
    for (size_t l = 0; l < 3; l++)
        m->max_step[0][OB_KBB_UNCORRECTED][l][0] = 1.0; /* beta2 0.99: not judged */
    cr_expect_eq(ob_repro_check_kingma_bias(m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    kbb_fill(m, 20.0, 3.0);
    m->data_missing = 1;
    cr_expect_eq(ob_repro_check_kingma_bias(m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    free(m);
}

/* ---- nqm_batch ------------------------------------------------------------------------- */

Test(repro_dyn, nqm_batch_short)
{
    ob_repro_outcome out;
    run_short("nqm_batch", OB_REPRO_REPRODUCED, &out);
    static const char *const ph[] = {"n = ", "target E[l] = ", "mu = ", "p = "};
    static const char *const key[] = {"dimension", "target", "mu", "power"};
    expect_setup("nqm_batch", &out, "seeds", ph, key, 4);
    ob_repro_outcome_free(&out);
}

/* With mu = 0 and p = 0 the moment recurrences are §3.1's closed form. */
Test(repro_checks_dyn, nqm_batch_recurrence_is_sgds_closed_form)
{
    static const double lrs[] = {0.01, 0.3, 1.0, 1.9};
    static const size_t Bs[] = {1, 16, 1024};
    for (size_t b = 0; b < 3; b++) {
        ob_problem_config cfg = {.n = 100, .seed = 1, .batch = Bs[b]};
        ob_problem *pb = NULL;
        char err[256];
        cr_assert_eq(ob_problem_create("nqm", &cfg, &pb, err, sizeof err), 0, "%s", err);
        for (size_t i = 0; i < 4; i++)
            for (uint64_t t = 1; t <= 1000; t *= 10) {
                double want = ob_nqm_expected_loss_sgd(pb, lrs[i], t);
                double got = ob_repro_nqm_batch_expected(OB_NQMB_SGD, lrs[i], (double)Bs[b], t);
                cr_expect(fabs(got - want) <= 1e-12 * want, "B %zu lr %g t %llu: %.17g vs %.17g", Bs[b],
                          lrs[i], (unsigned long long)t, got, want);
            }
        ob_problem_destroy(pb);
    }
    /* Momentum at small lr is SGD at lr / (1 - mu) in the long run; the
     * preconditioned loss at p = 0.5 differs from SGD's. */
    double m = ob_repro_nqm_batch_expected(OB_NQMB_MOMENTUM, 0.001, 1, 20000),
           s = ob_repro_nqm_batch_expected(OB_NQMB_SGD, 0.01, 1, 20000);
    cr_expect(fabs(m / s - 1) < 0.02, "momentum %g vs SGD at lr/(1-mu) %g", m, s);
}

static void nqmb_fill(ob_repro_nqm_batch_measured *m)
{
    memset(m, 0, sizeof *m);
    m->n_batch = 12;
    m->paths = 1u;
    m->seeds = 100;
    m->n_check = 1;
    m->z_crit = 3;
    static const size_t crit[OB_NQMB_CONFIGS] = {3, 4, 5};
    for (int k = 0; k < OB_NQMB_CONFIGS; k++) {
        m->crit[k] = crit[k];
        for (size_t b = 0; b < 12; b++) {
            m->batch[b] = ldexp(1.0, (int)b);
            /* 1/B up to B*, then flat */
            m->steps[k][b] = (uint64_t)(4096 >> (b < crit[k] ? b : crit[k]));
            m->best_lr[k][b] = 0.1;
        }
        m->expected[k][0] = 1.0;
        m->mean[k][0][0] = 1.01;
        m->se[k][0][0] = 0.01;
    }
}

Test(repro_checks_dyn, nqm_batch)
{
    char why[2048];
    ob_repro_nqm_batch_measured *m = malloc(sizeof *m);
    cr_assert(m);
    nqmb_fill(m);
    cr_expect_eq(ob_repro_check_nqm_batch(m, why, sizeof why), OB_REPRO_REPRODUCED, "%s", why);
    nqmb_fill(m);
    m->crit[OB_NQMB_MOMENTUM] = 3; /* momentum no better than SGD */
    cr_expect_eq(ob_repro_check_nqm_batch(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    nqmb_fill(m);
    m->steps[OB_NQMB_SGD][1] = 4096; /* B = 2 no faster: no perfect scaling */
    cr_expect_eq(ob_repro_check_nqm_batch(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    nqmb_fill(m);
    m->steps[OB_NQMB_PRECOND][11] = 1; /* still falling at the largest batch */
    cr_expect_eq(ob_repro_check_nqm_batch(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    nqmb_fill(m);
    m->mean[OB_NQMB_MOMENTUM][0][0] = 1.05; /* 5 standard errors: the kernel is not the recurrence */
    cr_expect_eq(ob_repro_check_nqm_batch(m, why, sizeof why), OB_REPRO_NOT_REPRODUCED, "%s", why);
    nqmb_fill(m);
    m->se[OB_NQMB_SGD][0][0] = 0.1; /* +-30% */
    cr_expect_eq(ob_repro_check_nqm_batch(m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    nqmb_fill(m);
    m->lr_edge[OB_NQMB_SGD][2] = 1;
    cr_expect_eq(ob_repro_check_nqm_batch(m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    nqmb_fill(m);
    m->crit[OB_NQMB_PRECOND] = 8; /* the grid ends 8x beyond */
    for (size_t b = 0; b < 12; b++) m->steps[OB_NQMB_PRECOND][b] = (uint64_t)(4096 >> (b < 8 ? b : 8));
    cr_expect_eq(ob_repro_check_nqm_batch(m, why, sizeof why), OB_REPRO_INCONCLUSIVE, "%s", why);
    free(m);
}
