/*
 * test_deepspeed.c — DeepSpeed's CPU Adam as a plugin
 * (examples/plugins/deepspeed_adam.cc, built only with DEEPSPEED_HOME;
 * README "DeepSpeed's CPU Adam"):
 *  - both kernels (deepspeed.adamw, deepspeed.adam) agree with the double
 *    reference within the bound derived in the adapter, at every step, for
 *    lengths that end in DeepSpeed's AVX body, its narrower spans and its
 *    scalar tail, with 1 and 2 threads; the measured figures are printed;
 *  - the declared bound is the derived one for torch's betas;
 *  - the result does not depend on the thread count;
 *  - `run --plugin` judges it by its bound on quad_diag and it converges
 *    as optbench's own kernels do.
 * Without the adapter every test says SKIPPED and why.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ob_test.h"
#include "common/plugin_agree.h"
#include "harness/plugin/ob_plugin.h"
#include "harness/run/ob_run.h"
#include "harness/testkit/ob_testkit.h"
#include "optbench/reference.h"

#ifndef OB_PLUGIN_DIR
#define OB_PLUGIN_DIR "build/plugins"
#endif

#define U32 0x1p-24

/* The adapter, or the test is skipped with the reason. */
static ob_plugin *load_deepspeed(void)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/deepspeed_adam.so", OB_PLUGIN_DIR);
    if (access(path, R_OK) != 0)
        cr_skip_test("SKIPPED: %s is not built: set DEEPSPEED_HOME to a DeepSpeed source tree "
                     "(make DEEPSPEED_HOME=/path/to/DeepSpeed build-all)",
                     path);
    ob_plugin *pl = NULL;
    cr_assert_eq(ob_plugin_load(path, &pl, err, sizeof err), OB_PLUGIN_OK, "%s", err);
    return pl;
}

static const ob_plugin_kernel *kernel(const ob_plugin *pl, const char *name)
{
    const ob_plugin_kernel *k = ob_plugin_kernel_find(pl, name);
    cr_assert(k != NULL, "no kernel %s", name);
    return k;
}

/* ---- the bound of deepspeed_adam.cc ---------------------------------------- */

/* (|fl(beta) - beta| / u) max(1/beta, 1/(1 - beta)). */
static double const_error(double beta)
{
    volatile float rounded = (float)beta; /* not folded away (test_plugin.c) */
    return fabs((double)rounded - beta) / U32 * fmax(1 / beta, 1 / (1 - beta));
}

/* e[t], t = 1..T: the relative error in units of u of DeepSpeed's
 * 1 - beta^t (cpu_adam.h, IncrementStep and update_state) against the
 * exact one: its running fp32 product when t follows the last step, its
 * std::pow of the fp32 beta otherwise; the larger of the two. */
static void bc_errors(double beta, uint64_t T, double *e)
{
    volatile float b = (float)beta;
    float running = 1.0f;
    for (uint64_t t = 1; t <= T; t++) {
        running *= b;
        const float jumped = (float)pow((double)b, (double)t);
        const double exact = 1.0 - pow(beta, (double)t);
        const double e_run = fabs((double)(1.0f - running) - exact) / exact / U32;
        const double e_pow = fabs((double)(1.0f - jumped) - exact) / exact / U32;
        e[t] = fmax(e_run, e_pow);
    }
}

/* The bound for m, v (state 0, 1) and p at step t, given e1 = e[t] of
 * beta1 and e2 of beta2; l2 for adam mode (the decay added to g). */
static void ds_bound(const ob_hparams *h, int l2, double e1, double e2, double b[3])
{
    b[1] = (l2 ? 5 : 3) + const_error(h->beta1);
    b[2] = (l2 ? 8 : 4) + const_error(h->beta2);
    b[0] = fmax(fmax(b[1], b[2]), 11 + e1 + e2 / 2);
}

/* ---- agreement, one step at a time against the reference ---------------------- */

#define AG_STEPS 20

/* ds_bound at step t, from the running products' errors (ctx: e1, e2). */
typedef struct ds_errors {
    double e1[AG_STEPS + 1], e2[AG_STEPS + 1];
    int l2;
} ds_errors;

static void ds_bound_of(const void *ctx, const ob_hparams *h, uint64_t t, double b[3])
{
    const ds_errors *e = ctx;
    ds_bound(h, e->l2, e->e1[t], e->e2[t], b);
}

Test(deepspeed, agreement_within_derived_bound, .timeout = 300)
{
    ob_plugin *pl = load_deepspeed();
    /* torch's defaults; no weight decay; GPT-style beta2 = 0.95; lr 1e-2. */
    static const char *const sets[][4] = {
        {NULL},
        {"weight_decay=0", NULL},
        {"beta2=0.95", "weight_decay=0.1", NULL},
        {"lr=0.01", "beta1=0.8", "beta2=0.99"},
    };
    /* 0; the scalar tail only; the AVX span-8 body with a span-4 and a
     * scalar rest (16-wide AVX-512: 128 + 64 + 3); a large odd length. */
    static const size_t lens[] = {0, 7, 195, 4099};
    static const char *const names[] = {"deepspeed.adamw", "deepspeed.adam"};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 29);
    for (size_t kn = 0; kn < 2; kn++) {
        const ob_plugin_kernel *k = kernel(pl, names[kn]);
        for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
            ob_hparams h;
            ob_hparams_default(k->opt, &h);
            char err[256], cfg[256];
            for (size_t i = 0; sets[s][i]; i++)
                cr_assert_eq(ob_plugin_hparam_set(k, &h, sets[s][i], err, sizeof err), 0, "%s", err);
            ob_hp_config_name(k->opt, &h, cfg, sizeof cfg);
            double worst[3] = {0, 0, 0};
            for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
                for (int threads = 1; threads <= 2; threads++) {
                    ds_errors de;
                    bc_errors(h.beta1, AG_STEPS, de.e1);
                    bc_errors(h.beta2, AG_STEPS, de.e2);
                    de.l2 = !k->opt->decoupled_wd;
                    ob_test_adam_agreement r;
                    ob_test_adam_agreement_walk(k, &h, lens[l], threads, OB_PLUGIN_GUARDED, ob_rng_next(&rng),
                                                AG_STEPS, ds_bound_of, &de, &r);
                    const double frac = fmax(r.frac[0], fmax(r.frac[1], r.frac[2]));
                    cr_expect(frac <= 1, "%s %s: %s; seed %#llx", names[kn], cfg, r.where,
                              (unsigned long long)ob_test_seed());
                    for (int j = 0; j < 3; j++) worst[j] = fmax(worst[j], r.worst[j]);
                }
            cr_log_info("%s %s: max error p %.2f, exp_avg %.2f, exp_avg_sq %.2f u*S (%d steps; optbench's "
                        "%s: %g)",
                        names[kn], cfg, worst[0], worst[1], worst[2], AG_STEPS, k->opt->name,
                        k->opt->agree_bound);
        }
    }
    ob_plugin_unload(pl);
}

Test(deepspeed, declared_bound_is_the_derived_one_for_torch_betas, .timeout = 120)
{
    ob_plugin *pl = load_deepspeed();
    /* Past t = 110000 the fp32 beta2^t is 0 and both errors stay 0. */
    enum { T = 110000 };
    double *e1 = malloc((T + 1) * sizeof(double)), *e2 = malloc((T + 1) * sizeof(double));
    cr_assert(e1 && e2);
    static const char *const names[] = {"deepspeed.adamw", "deepspeed.adam"};
    for (size_t kn = 0; kn < 2; kn++) {
        const ob_plugin_kernel *k = kernel(pl, names[kn]);
        ob_hparams h;
        ob_hparams_default(k->opt, &h);
        bc_errors(h.beta1, T, e1);
        bc_errors(h.beta2, T, e2);
        double derived = 0, b[3];
        for (uint64_t t = 1; t <= T; t++) {
            ds_bound(&h, !k->opt->decoupled_wd, e1[t], e2[t], b);
            derived = fmax(derived, fmax(b[0], fmax(b[1], b[2])));
        }
        cr_expect(k->agree_bound >= derived, "%s: declared %g < derived %g", names[kn], k->agree_bound, derived);
        cr_expect(k->agree_bound < derived + 1, "%s: declared %g, derived %g: tighten it", names[kn],
                  k->agree_bound, derived);
    }
    free(e1);
    free(e2);
    ob_plugin_unload(pl);
}

/* Element-wise: 1 and 2 threads give the same bits. */
Test(deepspeed, threads_do_not_change_the_result)
{
    ob_plugin *pl = load_deepspeed();
    const ob_plugin_kernel *k = kernel(pl, "deepspeed.adamw");
    ob_hparams h;
    ob_hparams_default(k->opt, &h);
    enum { N = 70001 };
    float *buf[2];
    for (int r = 0; r < 2; r++) {
        buf[r] = calloc(4 * (size_t)N, sizeof(float));
        cr_assert(buf[r]);
        float *p = buf[r], *g = p + N, *st[3] = {p + 2 * N, p + 3 * N, NULL};
        ob_rng rng;
        ob_rng_init(&rng, 7);
        for (size_t i = 0; i < N; i++) p[i] = ob_rng_normal_float(&rng, 0);
        char err[512];
        ob_plugin_case *c = ob_plugin_case_open(k, &h, N, r + 1, 0, err, sizeof err);
        cr_assert(c, "%s", err);
        for (uint64_t t = 1; t <= 5; t++) {
            for (size_t i = 0; i < N; i++) g[i] = ob_rng_normal_float(&rng, 0);
            cr_assert_eq(ob_plugin_case_step(c, &h, t, N, p, g, st, err, sizeof err), 0, "%s", err);
        }
        ob_plugin_case_close(c);
    }
    cr_expect(memcmp(buf[0], buf[1], 4 * (size_t)N * sizeof(float)) == 0);
    free(buf[0]);
    free(buf[1]);
    ob_plugin_unload(pl);
}

/* ---- optbench run --plugin ---------------------------------------------------- */

Test(deepspeed, run_judges_it_by_its_bound_and_it_converges, .timeout = 120)
{
    ob_plugin *pl = load_deepspeed();
    static const char *const opts[] = {"adamw", "adam"};
    static const char *const names[] = {"deepspeed.adamw", "deepspeed.adam"};
    for (size_t kn = 0; kn < 2; kn++) {
        ob_case c;
        memset(&c, 0, sizeof c);
        c.opt = ob_optimizer_find(opts[kn]);
        cr_assert(c.opt);
        ob_hparams_default(c.opt, &c.h);
        char msg[512];
        cr_assert_eq(ob_schedule_parse(NULL, NULL, 0, &c.sched, msg, sizeof msg), 0, "%s", msg);
        c.problem = ob_problem_find("quad_diag");
        cr_assert(c.problem);
        c.n = 1031;
        c.steps = 500;
        c.threads = 2;
        c.isa_mask = 1u << OB_ISA_SCALAR;
        c.plugin[c.n_plugins++] = kernel(pl, names[kn]);
        ob_case_result r;
        cr_assert_eq(ob_run_case(&c, NULL, &r, msg, sizeof msg), 0, "%s", msg);
        const ob_path_result *p = &r.plugin[0], *s = &r.isa[OB_ISA_SCALAR];
        cr_assert(p->ran && !p->failed[0], "%s", p->failed);
        cr_assert_eq(p->agree_checked, 500, "agreement at every step");
        cr_assert(p->agree_ok && r.ok, "%s: %.2f u*S against its bound %g", names[kn], p->max_agree,
                  r.plugin_bound[0]);
        cr_assert(p->max_agree > c.opt->agree_bound, "its fp32 betas cost more than optbench's bound");
        /* Converges as the scalar kernel does: the same loss within a
         * factor of two (both at the problem's floor or on the way). */
        cr_assert(p->final_loss <= 2 * s->final_loss + 1e-30 && s->final_loss <= 2 * p->final_loss + 1e-30,
                  "%s final loss %g, scalar %g", names[kn], p->final_loss, s->final_loss);
        cr_log_info("%s in run: %.2f u*S over 500 steps of quad_diag, n 1031, 2 threads (its bound %g; "
                    "optbench's scalar %.2f); final loss %.4g (scalar %.4g)",
                    names[kn], p->max_agree, r.plugin_bound[0], s->max_agree, p->final_loss, s->final_loss);
    }
    ob_plugin_unload(pl);
}

/* ---- optbench bench --peer deepspeed ------------------------------------------- */

#include "common/ob_test_proc.h"
#include "harness/ob_cli.h"

#define BENCH(...) ((const char *const[]){"optbench", "bench", __VA_ARGS__, NULL})
/* The shortest bench there is: one size, scalar, one short repetition. */
#define QUICK \
    "--opt", "adamw", "--sizes", "4Ki", "--threads", "1", "--isa", "scalar", "--exact-only", \
        "--benchmark_min_time=0.01", "--benchmark_repetitions=1"

/* Runs without the adapter's prerequisites, so it runs everywhere: the
 * peer is missing as a missing torch is (exit 2, nothing written; a
 * warning with --peer-optional), and the message names DEEPSPEED_HOME. */
Test(bench_peer, without_deepspeed_home_the_peer_is_skipped_naming_it, .timeout = 120)
{
    unsetenv("DEEPSPEED_HOME");
    char dir[256];
    ob_tp_scratch(dir, sizeof dir, "deepspeed-peer");
    char *out, *err;
    int rc = ob_cli_capture(BENCH(QUICK, "--run", dir, "--peer", "deepspeed"), &out, &err);
    cr_assert_eq(rc, 2, "exit %d; stderr:\n%s", rc, err);
    cr_assert(strstr(err, "peer deepspeed is not available: DEEPSPEED_HOME is not set"), "%s", err);
    char csv[300];
    snprintf(csv, sizeof csv, "%s/bench.csv", dir);
    cr_assert(access(csv, F_OK) != 0, "nothing written");
    free(out);
    free(err);
    rc = ob_cli_capture(BENCH(QUICK, "--run", dir, "--peer", "deepspeed", "--peer-optional"), &out, &err);
    cr_assert_eq(rc, 0, "exit %d; stderr:\n%s", rc, err);
    cr_assert(strstr(err, "warning: peer deepspeed is not available: DEEPSPEED_HOME is not set") &&
                  strstr(err, "skipping it (--peer-optional)"),
              "%s", err);
    cr_assert(!strstr(out, "plugin:deepspeed"), "%s", out);
    free(out);
    free(err);
    ob_tp_rmtree(dir);
}

/* With the adapter: its kernel is timed in the same run, as a plugin
 * kernel beside optbench's, in bench.csv and the ratios table. */
Test(bench_peer, deepspeed_is_timed_in_the_same_run, .timeout = 300)
{
    ob_plugin_unload(load_deepspeed());
    char so[512];
    snprintf(so, sizeof so, "%s/deepspeed_adam.so", OB_PLUGIN_DIR);
    if (!getenv("DEEPSPEED_HOME")) setenv("DEEPSPEED_HOME", "(the tree the adapter was built from)", 1);
    setenv("OPTBENCH_DEEPSPEED_PLUGIN", so, 1);
    char dir[256];
    ob_tp_scratch(dir, sizeof dir, "deepspeed-peer");
    char *out, *err;
    int rc = ob_cli_capture(BENCH(QUICK, "--run", dir, "--peer", "deepspeed"), &out, &err);
    cr_assert_eq(rc, 0, "exit %d; stderr:\n%s", rc, err);
    /* deepspeed.adam claims adam, which is not benchmarked here. */
    cr_assert(strstr(out, "plugin kernels SKIPPED (their optimizer is not among --opt): plugin:deepspeed.adam "),
              "%s", out);
    cr_assert(strstr(out, "adamw    -      plugin:deepspeed.adamw"), "%s", out);
    cr_assert(strstr(out, "plugin:deepspeed.adamw       deepspeed_adam.so"), "%s", out);
    char path[300];
    snprintf(path, sizeof path, "%s/bench.csv", dir);
    char *csv = ob_tp_slurp(path, NULL);
    cr_assert(csv && strstr(csv, "\nkernel,adamw,,plugin:deepspeed.adamw,4096,1,28,"), "%s", csv ? csv : path);
    free(csv);
    free(out);
    free(err);
    /* Given also as --plugin: loaded once, not refused as a duplicate. */
    rc = ob_cli_capture(BENCH(QUICK, "--run", dir, "--peer", "deepspeed", "--plugin", so), &out, &err);
    cr_assert_eq(rc, 0, "exit %d; stderr:\n%s", rc, err);
    free(out);
    free(err);
    ob_tp_rmtree(dir);
}
