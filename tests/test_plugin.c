/*
 * test_plugin.c — the plugin ABI (optbench/plugin.h, harness/plugin/):
 *  - every kind of bad plugin is refused with its own code and message;
 *  - a kernel honours only the keys it lists;
 *  - guarded steps name an out-of-bounds write by array and index, and a
 *    write that reaches a guard page is decoded the same way;
 *  - a crash in a kernel fails its case as "SIGSEGV at step 5" while the
 *    caller and its other cases' results survive;
 *  - optbench's own kernels exported as a plugin (the round trip) give
 *    results bit-identical to ob_step on every ISA, for lengths 0, 1, 15,
 *    16, 17 and 131 and unaligned pointers, guarded or not;
 *  - a plain-C AdamW (fp32 bias corrections with powf) agrees with the
 *    double reference within the bound derived in
 *    examples/plugins/plain_adamw.c, and the measured figure is printed.
 * The plugins are built by the Makefile into OB_PLUGIN_DIR.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ob_test.h"
#include "common/plugin_agree.h"
#include "harness/testkit/ob_testkit.h"
#include "harness/plugin/ob_plugin.h"
#include "optbench/reference.h"

#ifndef OB_PLUGIN_DIR
#define OB_PLUGIN_DIR "build/plugins"
#endif

static ob_plugin *load_ok(const char *file)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/%s", OB_PLUGIN_DIR, file);
    ob_plugin *pl = NULL;
    int rc = ob_plugin_load(path, &pl, err, sizeof err);
    cr_assert_eq(rc, OB_PLUGIN_OK, "loading %s: %s", path, err);
    return pl;
}

static const ob_plugin_kernel *kernel(const ob_plugin *pl, const char *name)
{
    const ob_plugin_kernel *k = ob_plugin_kernel_find(pl, name);
    cr_assert(k != NULL, "no kernel %s", name);
    return k;
}

/* ---- bad plugins ------------------------------------------------------------ */

Test(load, each_bad_plugin_has_its_code_and_message)
{
    static const struct {
        const char *file;
        int code;
        const char *msg;
    } cases[] = {
        {"does_not_exist.so", OB_PLUGIN_E_NOFILE, "no such file"},
        {"not_a_plugin.so", OB_PLUGIN_E_NOT_SO, "not a loadable shared object"},
        {"bad_no_symbol.so", OB_PLUGIN_E_NO_SYMBOL, "no symbol optbench_plugin_register"},
        {"bad_wrong_abi.so", OB_PLUGIN_E_ABI, "built for plugin ABI 2; this optbench implements 1"},
        {"bad_unknown_optimizer.so", OB_PLUGIN_E_OPTIMIZER,
         "kernel 'fixture' claims unknown optimizer 'adamx'"},
        {"bad_bad_layout.so", OB_PLUGIN_E_LAYOUT,
         "kernel 'fixture' declares 2 state arrays; adamw has 3 (exp_avg, exp_avg_sq, max_exp_avg_sq)"},
        {"bad_bad_dtype.so", OB_PLUGIN_E_LAYOUT, "state array 'exp_avg_sq' has dtype 1; only fp32 (0)"},
        {"bad_no_step.so", OB_PLUGIN_E_NO_STEP, "kernel 'fixture' has no step function"},
        {"bad_duplicate.so", OB_PLUGIN_E_DUPLICATE, "two kernels are named 'fixture'"},
        {"bad_unknown_hparam.so", OB_PLUGIN_E_HPARAM,
         "kernel 'fixture' honours 'momentum', which adamw does not"},
        {"bad_register_fails.so", OB_PLUGIN_E_REGISTER, "optbench_plugin_register returned 3"},
        {"bad_registers_nothing.so", OB_PLUGIN_E_REGISTER, "registered no kernels"},
    };
    int seen[16] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512], err[512] = "";
        snprintf(path, sizeof path, "%s/%s", OB_PLUGIN_DIR, cases[i].file);
        ob_plugin *pl = (ob_plugin *)&seen; /* must come back NULL */
        int rc = ob_plugin_load(path, &pl, err, sizeof err);
        cr_expect_eq(rc, cases[i].code, "%s: code %d (%s), expected %d (%s); message: %s", cases[i].file, rc,
                     ob_plugin_status_name(rc), cases[i].code, ob_plugin_status_name(cases[i].code), err);
        cr_expect(pl == NULL, "%s: a refused plugin came back", cases[i].file);
        cr_expect(strstr(err, cases[i].msg) != NULL, "%s: message '%s' lacks '%s'", cases[i].file, err,
                  cases[i].msg);
        cr_expect(strncmp(err, path, strlen(path)) == 0, "%s: message '%s' does not start with the path",
                  cases[i].file, err);
        if (rc >= 0 && rc < 16) seen[rc]++;
    }
    /* Every code but OK is someone's answer. */
    for (int c = 1; c <= OB_PLUGIN_E_REGISTER; c++)
        cr_expect(seen[c] > 0, "no bad plugin gave code %d (%s)", c, ob_plugin_status_name(c));
}

Test(load, good_plugins_list_their_kernels)
{
    ob_plugin *pl = load_ok("optbench_kernels.so");
    cr_assert_eq(ob_plugin_kernel_count(pl), ob_optimizer_count);
    for (size_t i = 0; i < ob_optimizer_count; i++) {
        const ob_plugin_kernel *k = ob_plugin_kernel_at(pl, i);
        char want[64];
        snprintf(want, sizeof want, "optbench.%s", ob_optimizer_table[i]->name);
        cr_expect_str_eq(k->desc.name, want);
        cr_expect(k->opt == ob_optimizer_table[i]);
        cr_expect_eq(k->agree_bound, k->opt->agree_bound, "%s: the optimizer's bound", want);
    }
    ob_plugin_unload(pl);
    pl = load_ok("plain_adamw.so");
    const ob_plugin_kernel *k = kernel(pl, "plain_adamw");
    cr_expect_str_eq(k->opt->name, "adamw");
    cr_expect_eq(k->agree_bound, 221.0, "plain_adamw declares its own bound");
    ob_plugin_unload(pl);
}

/* ---- hyperparameters -------------------------------------------------------- */

Test(hparams, only_honoured_keys)
{
    ob_plugin *pl = load_ok("plain_adamw.so");
    const ob_plugin_kernel *k = kernel(pl, "plain_adamw");
    ob_hparams h;
    ob_hparams_default(k->opt, &h);
    char err[512];
    cr_expect_eq(ob_plugin_hparam_set(k, &h, "lr=0.01", err, sizeof err), 0, "%s", err);
    cr_expect_eq(h.lr, 0.01);
    cr_expect_eq(ob_plugin_hparam_set(k, &h, "amsgrad=1", err, sizeof err), -1);
    cr_expect(
        strstr(err, "plain_adamw does not honour 'amsgrad' (honoured: lr, beta1, beta2, eps, weight_decay)"),
        "%s", err);
    cr_expect_eq(h.amsgrad, 0, "a refused key leaves h alone");
    cr_expect_eq(ob_plugin_hparam_set(k, &h, "beta1=1.5", err, sizeof err), -1, "ranges still apply");
    cr_expect_eq(ob_plugin_hparams_check(k, &h, err, sizeof err), 0, "%s", err);
    /* Set around the check: the step refuses it. */
    h.clip_norm = 1.0;
    cr_expect_eq(ob_plugin_hparams_check(k, &h, err, sizeof err), -1);
    cr_expect(strstr(err, "does not honour 'clip_norm'"), "%s", err);
    float p = 1, g = 1, m = 0, v = 0, *st[3] = {&m, &v, NULL};
    cr_expect_eq(ob_plugin_step(k, 0, &h, 1, 1, &p, &g, st, err, sizeof err), -1);
    cr_expect_eq(p, 1.0f, "a refused step touches nothing");
    h.clip_norm = 0;
    cr_expect_eq(ob_plugin_step(k, 0, &h, 0, 1, &p, &g, st, err, sizeof err), -1, "t = 0 is refused");
    cr_expect(strstr(err, "step t must be >= 1"), "%s", err);
    float *none[3] = {&m, NULL, NULL};
    cr_expect_eq(ob_plugin_step(k, 0, &h, 1, 1, &p, &g, none, err, sizeof err), -1);
    cr_expect(strstr(err, "state array 'exp_avg_sq' is needed"), "%s", err);
    ob_plugin_unload(pl);
}

/* ---- guarded steps ---------------------------------------------------------- */

static int run_one(const ob_plugin_kernel *k, unsigned flags, size_t n, size_t offset, char *err,
                   size_t errlen, float *p_after)
{
    float *buf = calloc(3 * (n + 16), sizeof(float));
    float *p = buf + offset, *g = buf + (n + 16) + offset, *mom = buf + 2 * (n + 16) + offset;
    for (size_t i = 0; i < n; i++) {
        p[i] = 1.0f;
        g[i] = 0.5f;
    }
    ob_hparams h;
    ob_hparams_default(k->opt, &h);
    float *st[1] = {mom};
    int rc = ob_plugin_step(k, flags, &h, 1, n, p, g, st, err, errlen);
    if (p_after) *p_after = n ? p[0] : 0;
    free(buf);
    return rc;
}

Test(guard, write_past_the_end_and_before_the_start)
{
    ob_plugin *pl = load_ok("crashers.so");
    static const size_t ns[] = {0, 1, 15, 17, 131};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (size_t off = 0; off < 3; off++) {
            char err[512], want[128];
            float p0 = -1;
            int rc = run_one(kernel(pl, "past_end"), OB_PLUGIN_GUARDED, ns[i], off, err, sizeof err, &p0);
            snprintf(want, sizeof want, "past_end: out-of-bounds write at p[n] (n = %zu) at step 1", ns[i]);
            cr_expect_eq(rc, -1, "n = %zu: the write past the end went unnoticed", ns[i]);
            cr_expect_str_eq(err, want);
            if (ns[i]) cr_expect_eq(p0, 1.0f, "p must not come back from a step that wrote out of bounds");
            rc = run_one(kernel(pl, "before_start"), OB_PLUGIN_GUARDED, ns[i], off, err, sizeof err, NULL);
            snprintf(want, sizeof want, "before_start: out-of-bounds write at p[-1] (n = %zu) at step 1",
                     ns[i]);
            cr_expect_eq(rc, -1);
            cr_expect_str_eq(err, want);
        }
    char err[512];
    cr_expect_eq(run_one(kernel(pl, "writes_g"), OB_PLUGIN_GUARDED, 17, 1, err, sizeof err, NULL), -1);
    cr_expect_str_eq(err, "writes_g: write to the read-only gradient at g[8] at step 1");
    cr_expect_eq(run_one(kernel(pl, "fail_at_2"), OB_PLUGIN_GUARDED, 17, 1, err, sizeof err, NULL), 0, "%s",
                 err);
    ob_plugin_unload(pl);
}

/* ---- init and free ------------------------------------------------------------ */

Test(lifecycle, init_step_free)
{
    ob_plugin *pl = load_ok("lifecycle.so");
    const ob_plugin_kernel *k = kernel(pl, "with_init");
    cr_expect_eq(k->desc.threads, 2);
    ob_hparams h;
    ob_hparams_default(k->opt, &h);
    char err[512];
    float p[5] = {1, 1, 1, 1, 1}, g[5] = {1, 1, 1, 1, 1}, mom[5] = {0}, *st[1] = {mom};
    for (unsigned flags = 0; flags <= OB_PLUGIN_GUARDED; flags++) {
        ob_plugin_case *c = ob_plugin_case_open(k, &h, 5, 3, flags, err, sizeof err);
        cr_assert(c, "%s", err);
        for (uint64_t t = 1; t <= 3; t++)
            cr_expect_eq(ob_plugin_case_step(c, &h, t, t == 2 ? 4 : 5, p, g, st, err, sizeof err), 0, "%s",
                         err);
        cr_expect_eq(ob_plugin_case_step(c, &h, 4, 6, p, g, st, err, sizeof err), -1, "more than opened for");
        cr_expect(strstr(err, "step on 6 elements in a case opened for 5"), "%s", err);
        cr_expect_eq(ob_plugin_case_step(c, &h, 9, 5, p, g, st, err, sizeof err), -1);
        cr_expect_str_eq(err, "with_init: kernel returned 23 at step 9");
        ob_plugin_case_close(c);
    }
    cr_expect(ob_plugin_case_open(kernel(pl, "init_fails"), &h, 5, 0, 0, err, sizeof err) == NULL);
    cr_expect_str_eq(err, "init_fails: init returned 5");
    ob_plugin_unload(pl);
}

/* ---- crash isolation ---------------------------------------------------------- */

typedef struct {
    const ob_plugin_kernel *k;
    size_t n;
    uint64_t steps;
} case_arg;

/* A whole case in the child: its result is the steps done and p[0]. */
typedef struct {
    uint64_t done;
    float p0;
} case_result;

static int run_case(void *arg, void *result, size_t len, char *err, size_t errlen)
{
    const case_arg *a = arg;
    case_result *r = result;
    (void)len;
    float *p = calloc(a->n + 1, sizeof(float)), *g = calloc(a->n + 1, sizeof(float));
    float *mom = calloc(a->n + 1, sizeof(float)), *st[1] = {mom};
    for (size_t i = 0; i < a->n; i++) g[i] = 1.0f;
    ob_hparams h;
    ob_hparams_default(a->k->opt, &h);
    ob_plugin_case *c = ob_plugin_case_open(a->k, &h, a->n, 1, OB_PLUGIN_GUARDED, err, errlen);
    int rc = c ? 0 : -1;
    for (uint64_t t = 1; c && rc == 0 && t <= a->steps; t++) {
        rc = ob_plugin_case_step(c, &h, t, a->n, p, g, st, err, errlen);
        if (rc == 0) r->done = t;
    }
    r->p0 = p[0];
    ob_plugin_case_close(c);
    free(p);
    free(g);
    free(mom);
    return rc;
}

static ob_plugin_outcome isolated(const ob_plugin *pl, const char *name, case_result *r)
{
    case_arg a = {kernel(pl, name), 17, 8};
    ob_plugin_outcome out;
    memset(r, 0xff, sizeof *r);
    ob_plugin_isolate(run_case, &a, r, sizeof *r, 60, &out);
    return out;
}

Test(isolate, crash_fails_the_case_and_the_caller_survives)
{
    ob_plugin *pl = load_ok("crashers.so");
    case_result before, crash, after;
    /* A good case, the crash, and another good case: the first result is
     * kept and the caller goes on. */
    ob_plugin_outcome o1 = isolated(pl, "fail_at_2", &before);
    cr_expect_eq(o1.verdict, OB_PLUGIN_FAILED);
    cr_expect_str_eq(o1.message, "fail_at_2: kernel returned 7 at step 2");
    cr_expect_eq(before.done, 1, "the step before the failure counts");
    ob_plugin_outcome o2 = isolated(pl, "segv_at_5", &crash);
    cr_expect_eq(o2.verdict, OB_PLUGIN_CRASHED);
    cr_expect_eq(o2.signal, SIGSEGV);
    cr_expect_eq(o2.step, 5);
    cr_expect_str_eq(o2.message, "SIGSEGV at step 5");
    ob_plugin_outcome o3 = isolated(pl, "abort_at_3", &after);
    cr_expect_eq(o3.signal, SIGABRT);
    cr_expect_str_eq(o3.message, "SIGABRT at step 3");
    ob_plugin_outcome o4 = isolated(pl, "trap_at_2", &after);
    cr_expect_eq(o4.signal, SIGILL);
    cr_expect_str_eq(o4.message, "SIGILL at step 2");
    cr_expect_eq(before.done, 1, "an earlier case's result is untouched");
    ob_plugin_unload(pl);
    /* A good kernel under isolation: its result comes back. */
    pl = load_ok("optbench_kernels.so");
    case_result ok;
    ob_plugin_outcome o5 = isolated(pl, "optbench.sgd", &ok);
    cr_expect_eq(o5.verdict, OB_PLUGIN_RAN_OK, "%s", o5.message);
    cr_expect_eq(ok.done, 8);
    const ob_optimizer *sgd = ob_optimizer_find("sgd");
    ob_hparams h;
    ob_hparams_default(sgd, &h);
    float p = 0, g = 1, mom = 0, *st[1] = {&mom};
    char err[256];
    for (uint64_t t = 1; t <= 8; t++)
        cr_assert_eq(ob_step(sgd, OB_ISA_SCALAR, &h, t, 1, &p, &g, st, err, sizeof err), 0);
    cr_expect_eq(ok.p0, p, "the child's result: p0 = %a, ob_step gives %a", (double)ok.p0, (double)p);
    ob_plugin_unload(pl);
}

Test(isolate, write_into_the_guard_page_is_decoded)
{
    ob_plugin *pl = load_ok("crashers.so");
    case_result r;
    ob_plugin_outcome o = isolated(pl, "far_past_end", &r);
    cr_expect_eq(o.verdict, OB_PLUGIN_CRASHED);
    cr_expect_eq(o.signal, SIGSEGV);
    cr_expect(strncmp(o.message, "SIGSEGV at step 1: out-of-bounds write at p[n+", 46) == 0, "%s", o.message);
    cr_expect(strstr(o.message, "(n = 17)") != NULL, "%s", o.message);
    ob_plugin_unload(pl);
}

/* ---- the round trip ------------------------------------------------------------ */

#define RT_STEPS 3

/* STEPS steps of k (through the plugin, guarded or not) and of ob_step on
 * isa from the same data at the given float offset; 0 if every array is
 * bit-identical after every step, else the first difference in msg. */
static int round_trip(const ob_plugin_kernel *k, const ob_hparams *h, ob_isa isa, unsigned flags, size_t n,
                      size_t off, uint64_t seed, char *msg, size_t len)
{
    const size_t na = 1 + k->opt->n_state, stride = n + 8;
    float *a = calloc(2 * na * stride + stride, sizeof(float)), *g = a + 2 * na * stride + off;
    float *x[2][1 + OB_MAX_STATE];
    ob_rng rng;
    ob_rng_init(&rng, seed);
    for (size_t j = 0; j < na; j++) {
        x[0][j] = a + j * stride + off;
        x[1][j] = a + (na + j) * stride + off;
        for (size_t i = 0; i < n; i++)
            x[0][j][i] = x[1][j][i] = ob_rng_normal_float(&rng, j > 0 && ob_state_nonneg(k->opt, j - 1));
    }
    char err[256];
    int bad = 0;
    ob_plugin_case *c = ob_plugin_case_open(k, h, n, 1, flags, err, sizeof err);
    if (!c) {
        snprintf(msg, len, "open: %s", err);
        bad = 1;
    }
    for (uint64_t t = 1; !bad && t <= RT_STEPS; t++) {
        for (size_t i = 0; i < n; i++) g[i] = ob_rng_special_float(&rng, 0);
        if (ob_plugin_case_step(c, h, t, n, x[0][0], g, &x[0][1], err, sizeof err) != 0) {
            snprintf(msg, len, "plugin step %llu: %s", (unsigned long long)t, err);
            bad = 1;
        } else if (ob_step(k->opt, isa, h, t, n, x[1][0], g, &x[1][1], err, sizeof err) != 0) {
            snprintf(msg, len, "ob_step %llu: %s", (unsigned long long)t, err);
            bad = 1;
        }
        for (size_t j = 0; !bad && j < na; j++) {
            size_t d = ob_first_diff(x[0][j], x[1][j], n);
            if (d < n) {
                snprintf(msg, len, "step %llu: %s[%zu] = %a via the plugin, %a via ob_step",
                         (unsigned long long)t, j ? k->opt->state_names[j - 1] : "p", d, (double)x[0][j][d],
                         (double)x[1][j][d]);
                bad = 1;
            }
        }
    }
    ob_plugin_case_close(c);
    free(a);
    return bad;
}

Test(round_trip, optbench_kernels_bit_identical_to_ob_step, .timeout = 600)
{
    ob_plugin *pl = load_ok("optbench_kernels.so");
    static const size_t ns[] = {0, 1, 15, 16, 17, 131};
    static const size_t offs[] = {0, 1, 3};
    const uint64_t seed = ob_test_seed() + 16;
    size_t runs = 0;
    for (size_t ki = 0; ki < ob_plugin_kernel_count(pl); ki++) {
        const ob_plugin_kernel *k = ob_plugin_kernel_at(pl, ki);
        for (size_t cfg = 0; cfg < ob_hp_config_count(k->opt) + 1; cfg++) {
            ob_hparams h;
            if (cfg < ob_hp_config_count(k->opt)) {
                if (ob_hp_config(k->opt, cfg, &h) != 0) continue;
            } else {
                ob_hparams_default(k->opt, &h);
                h.clip_norm = 0.5; /* clipping goes through the plugin too */
            }
            char name[256];
            ob_hp_config_name(k->opt, &h, name, sizeof name);
            for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
                if (!ob_optimizer_runs_on(k->opt, (ob_isa)isa, NULL, 0)) continue;
                for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
                    for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++)
                        for (unsigned flags = 0; flags <= OB_PLUGIN_GUARDED; flags++) {
                            /* Guarded runs on the first ISA only: the copies
                             * see the same bits whatever ob_step runs on. */
                            if (flags && isa != OB_ISA_SCALAR) continue;
                            char msg[512];
                            int bad = round_trip(k, &h, (ob_isa)isa, flags, ns[i], offs[o], seed + runs, msg,
                                                 sizeof msg);
                            cr_assert(!bad, "%s (%s, ob_step on %s, n = %zu, offset %zu%s): %s; seed %#llx",
                                      k->desc.name, name, ob_isa_name((ob_isa)isa), ns[i], offs[o],
                                      flags ? ", guarded" : "", msg, (unsigned long long)ob_test_seed());
                            runs++;
                        }
            }
        }
    }
    cr_log_info("round trip: %zu runs of %d steps bit-identical to ob_step (%zu kernels)", runs, RT_STEPS,
                ob_plugin_kernel_count(pl));
    ob_plugin_unload(pl);
}

/* ---- the plain-C AdamW against the double reference ----------------------- */

#define U32 0x1p-24

/* (|fl(beta) - beta| / u) max(1/beta, 1/(1 - beta)): the fp32 constant's
 * error carried into beta*x + (1 - fl(beta))*y, in units of u S. */
static double const_error(double beta)
{
    /* volatile: gcc 12 -O2 vectorises the two calls in plain_adamw_bound
     * and folds (double)(float)beta - beta to 0 (seen in the object code:
     * subpd of a register from itself). */
    volatile float rounded = (float)beta;
    double d = fabs((double)rounded - beta) / U32;
    return d * fmax(1 / beta, 1 / (1 - beta));
}

/* The relative error of 1 - powf(fl(beta), t) against 1 - beta^t, in
 * units of u, evaluated exactly as the kernel computes it. */
static double bc_error(double beta, uint64_t t)
{
    const float bc = 1.0f - powf((float)beta, (float)t);
    const double exact = 1.0 - pow(beta, (double)t);
    return fabs((double)bc - exact) / exact / U32;
}

/* examples/plugins/plain_adamw.c: the bound for m, v (state 0, 1) and p
 * at step t. */
static void plain_adamw_bound(const ob_hparams *h, uint64_t t, double b[3])
{
    const double k1 = const_error(h->beta1), k2 = const_error(h->beta2);
    b[1] = 3 + k1;
    b[2] = 4 + k2;
    b[0] = fmax(fmax(b[1], b[2]), 11 + bc_error(h->beta1, t) + bc_error(h->beta2, t) / 2);
}

#define AG_N 1031
#define AG_STEPS 20

static void plain_adamw_bound_of(const void *ctx, const ob_hparams *h, uint64_t t, double b[3])
{
    (void)ctx;
    plain_adamw_bound(h, t, b);
}

Test(plain_adamw, agreement_within_derived_bound, .timeout = 300)
{
    ob_plugin *pl = load_ok("plain_adamw.so");
    const ob_plugin_kernel *k = kernel(pl, "plain_adamw");
    /* torch's defaults; no weight decay; GPT-style beta2 = 0.95; lr 1e-2. */
    static const char *const sets[][4] = {
        {NULL},
        {"weight_decay=0", NULL},
        {"beta2=0.95", NULL},
        {"lr=0.01", "beta1=0.8", "beta2=0.99"},
    };
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 17);
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        ob_hparams h;
        ob_hparams_default(k->opt, &h);
        char err[256], cfg[256];
        for (size_t i = 0; sets[s][i]; i++)
            cr_assert_eq(ob_plugin_hparam_set(k, &h, sets[s][i], err, sizeof err), 0, "%s", err);
        ob_hp_config_name(k->opt, &h, cfg, sizeof cfg);
        double b[3], bmax[3] = {0, 0, 0};
        ob_test_adam_agreement r;
        ob_test_adam_agreement_walk(k, &h, AG_N, 1, 0, ob_rng_next(&rng), AG_STEPS, plain_adamw_bound_of, NULL, &r);
        const double *worst = r.worst;
        for (uint64_t t = 1; t <= AG_STEPS; t++) {
            plain_adamw_bound(&h, t, b);
            for (int j = 0; j < 3; j++) bmax[j] = fmax(bmax[j], b[j]);
        }
        for (int j = 0; j < 3; j++)
            cr_expect(r.frac[j] <= 1, "%s: %s; seed %#llx", cfg, r.where, (unsigned long long)ob_test_seed());
        cr_log_info(
            "plain_adamw %s: max error p %.2f, exp_avg %.2f, exp_avg_sq %.2f u*S (bounds over %d steps: "
            "%.1f, %.1f, %.1f; optbench's adamw: %g)",
            cfg, worst[0], worst[1], worst[2], AG_STEPS, bmax[0], bmax[1], bmax[2], k->opt->agree_bound);
    }
    /* The declared bound covers torch's betas at every step. */
    ob_hparams h;
    ob_hparams_default(k->opt, &h);
    double declared = 0, b[3];
    for (uint64_t t = 1; t <= 100000; t++) {
        plain_adamw_bound(&h, t, b);
        declared = fmax(declared, fmax(b[0], fmax(b[1], b[2])));
    }
    cr_expect(k->agree_bound >= declared, "declared %g < derived %g", k->agree_bound, declared);
    cr_expect(k->agree_bound < declared + 1, "declared %g, derived %g: tighten it", k->agree_bound, declared);
    ob_plugin_unload(pl);
}

/* ---- plugin kernels as paths of a case of `optbench run` (harness/run/) ---- */

#include "harness/run/ob_run.h"

static ob_case plugin_case(const char *opt, const char *problem, uint64_t steps)
{
    ob_case c;
    memset(&c, 0, sizeof c);
    c.opt = ob_optimizer_find(opt);
    cr_assert(c.opt);
    ob_hparams_default(c.opt, &c.h);
    char msg[256];
    cr_assert_eq(ob_schedule_parse(NULL, NULL, 0, &c.sched, msg, sizeof msg), 0, "%s", msg);
    c.problem = ob_problem_find(problem);
    cr_assert(c.problem);
    c.n = 37;
    c.steps = steps;
    c.threads = 1;
    c.isa_mask = 1u << OB_ISA_SCALAR;
    return c;
}

Test(run_plugin, the_round_trip_is_bit_identical_to_the_scalar_path)
{
    ob_plugin *pl = load_ok("optbench_kernels.so");
    ob_case c = plugin_case("adamw", "quad_diag", 200);
    c.plugin[c.n_plugins++] = kernel(pl, "optbench.adamw");
    ob_case_result r;
    char err[512];
    cr_assert_eq(ob_run_case(&c, NULL, &r, err, sizeof err), 0, "%s", err);
    const ob_path_result *s = &r.isa[OB_ISA_SCALAR], *p = &r.plugin[0];
    cr_assert(p->ran && !p->failed[0], "%s", p->failed);
    cr_assert_eq(p->steps, 200);
    cr_assert(p->identical, "first difference at step %llu in %s", (unsigned long long)p->first_diff_step,
              p->first_diff_array);
    cr_assert(memcmp(&p->final_loss, &s->final_loss, sizeof(double)) == 0);
    cr_assert(memcmp(&p->max_agree, &s->max_agree, sizeof(double)) == 0, "the same error, %g vs %g",
              p->max_agree, s->max_agree);
    cr_assert(r.ok);
    /* The record and the summary name the plugin's kernel. */
    cJSON *j = ob_case_to_json(&c, &r);
    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "plugins"),
                                                       "optbench.adamw");
    cr_assert(pj && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pj, "ok")));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pj, "bit_identical")));
    cJSON_Delete(j);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ob_case_summary(f, &c, &r);
    fclose(f);
    cr_assert(strstr(buf, "  plugin:optbench.adamw  "), "%s", buf);
    free(buf);
    ob_plugin_unload(pl);
}

Test(run_plugin, plain_adamw_is_judged_by_its_bound_and_its_identity_is_information)
{
    ob_plugin *pl = load_ok("plain_adamw.so");
    ob_case c = plugin_case("adamw", "quad_diag", 300);
    c.plugin[c.n_plugins++] = kernel(pl, "plain_adamw");
    ob_case_result r;
    char err[512];
    cr_assert_eq(ob_run_case(&c, NULL, &r, err, sizeof err), 0, "%s", err);
    const ob_path_result *p = &r.plugin[0];
    cr_assert(p->ran && !p->failed[0], "%s", p->failed);
    cr_assert_eq(p->agree_checked, 300, "agreement at every step");
    cr_assert(p->max_agree > c.opt->agree_bound, "plain_adamw (%g u*S) is outside optbench's bound", p->max_agree);
    cr_assert(p->agree_ok && r.plugin_bound[0] == kernel(pl, "plain_adamw")->agree_bound);
    cr_assert(!p->identical, "fp32 powf bias corrections differ from optbench's scalar kernel");
    cr_assert(r.ok, "identity is not judged for a plugin");
    cr_log_info("plain_adamw in run: %.1f u*S over 300 steps of quad_diag (its bound %g; optbench's adamw %.2f)",
                p->max_agree, r.plugin_bound[0], r.isa[OB_ISA_SCALAR].max_agree);
    /* --plugin-bound below what it reaches fails the case. */
    c.plugin_bound = 1;
    cr_assert_eq(ob_run_case(&c, NULL, &r, err, sizeof err), 0, "%s", err);
    cr_assert(!r.plugin[0].agree_ok && !r.ok);
    ob_plugin_unload(pl);
}

Test(run_plugin, a_kernel_that_segfaults_at_step_5_fails_its_path_and_the_case_finishes)
{
    ob_plugin *pl = load_ok("crashers.so");
    ob_case c = plugin_case("sgd", "quad_diag", 20);
    c.plugin[c.n_plugins++] = kernel(pl, "segv_at_5");
    char dir[] = "/tmp/ob_run_plugin_XXXXXX", csv[600];
    cr_assert(mkdtemp(dir));
    snprintf(csv, sizeof csv, "%s/case.csv", dir);
    ob_case_result r;
    char err[512];
    cr_assert_eq(ob_run_case(&c, csv, &r, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(r.plugin[0].failed, "SIGSEGV at step 5"), "%s", r.plugin[0].failed);
    cr_assert_eq(r.plugin[0].failed_at, 5);
    cr_assert_eq(r.isa[OB_ISA_SCALAR].steps, 20, "optbench's own path finished");
    cr_assert(!r.ok);
    /* The case's CSV is whole, and no temporary is left. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1 && test $(wc -l < %s) -eq 22", dir, csv);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    /* The caller goes on: the next case runs. */
    c.plugin[0] = kernel(pl, "fail_at_2");
    cr_assert_eq(ob_run_case(&c, NULL, &r, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(r.plugin[0].failed, "kernel returned 7 at step 2"), "%s", r.plugin[0].failed);
    cr_assert_eq(r.plugin[0].failed_at, 2);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    ob_plugin_unload(pl);
}

Test(run_plugin, a_write_past_the_end_is_named_and_stops_only_that_path)
{
    ob_plugin *pl = load_ok("crashers.so");
    ob_case c = plugin_case("sgd", "quad_diag", 20);
    c.plugin[c.n_plugins++] = kernel(pl, "past_end");
    ob_case_result r;
    char err[512];
    cr_assert_eq(ob_run_case(&c, NULL, &r, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(r.plugin[0].failed, "out-of-bounds write at p[n"), "%s", r.plugin[0].failed);
    cr_assert_eq(r.plugin[0].failed_at, 1);
    cr_assert_eq(r.isa[OB_ISA_SCALAR].steps, 20);
    cr_assert(!r.ok);
    ob_plugin_unload(pl);
}

/* ---- optbench run --plugin, as a user runs it ---- */

#include "common/ob_test_proc.h"
#include <cjson/cJSON.h>

Test(run_plugin, the_command_runs_plugin_kernels_beside_the_isas_and_survives_their_crashes, .timeout = 300)
{
    char dir[256], out[400], so[600], so2[600];
    ob_tp_scratch(dir, sizeof dir, "run-plugin");
    snprintf(out, sizeof out, "%s/results", dir);
    snprintf(so, sizeof so, "%s/crashers.so", OB_PLUGIN_DIR);
    snprintf(so2, sizeof so2, "%s/plain_adamw.so", OB_PLUGIN_DIR);
    char *o = NULL, *e = NULL;
    const char *crash[] = {"run",     "--plugin", so,        "--opt", "sgd", "--problem", "quad_diag", "--set",
                           "lr=1e-3", "--steps",  "20",      "--out", out,   "--quiet",   NULL};
    int rc = ob_tp_run(crash, NULL, dir, &o, &e);
    cr_assert_eq(rc, 3, "a failed plugin path is a failed check: exit %d\n%s%s", rc, o, e);
    cr_assert(strstr(o, "plugin:segv_at_5") && strstr(o, "FAILED: SIGSEGV at step 5"), "%s", o);
    cr_assert(strstr(o, "FAILED: SIGABRT at step 3") && strstr(o, "out-of-bounds write at p[n]"), "%s", o);
    size_t nres = 0, ncomplete = 0;
    char msg[512];
    cr_assert_eq(ob_tp_check_tree(out, 1, &nres, &ncomplete, msg, sizeof msg), 0, "%s", msg);
    cr_assert(nres == 1 && ncomplete == 1);
    char path[700];
    snprintf(path, sizeof path, "%s/latest/results.json", out);
    char *js = ob_tp_slurp(path, NULL);
    cJSON *doc = cJSON_Parse(js);
    const cJSON *cs = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "cases"), 0);
    const cJSON *seg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cs, "plugins"), "segv_at_5");
    cr_assert(seg && !strcmp(cJSON_GetObjectItemCaseSensitive(seg, "failed")->valuestring, "SIGSEGV at step 5"));
    cr_assert(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cs, "isa"), "scalar"));
    cJSON_Delete(doc);
    free(js);
    free(o);
    free(e);
    /* The report's table of plugin kernels names the failure. */
    char run[500];
    snprintf(run, sizeof run, "%s/latest", out);
    const char *rep[] = {"report", "--run", run, "--no-figures", "--quiet", "--plugin", so, "--plugin", so2, NULL};
    rc = ob_tp_run(rep, NULL, dir, &o, &e);
    cr_assert_eq(rc, 0, "%s", e);
    snprintf(path, sizeof path, "%s/report.md", run);
    char *md = ob_tp_slurp(path, NULL);
    cr_assert(md && strstr(md, "| plugin:segv_at_5 | ") && strstr(md, "quad_diag.sgd: SIGSEGV at step 5"), "%s",
              md ? md : "no report.md");
    /* --plugin adds the declarations, and names a kernel the run has no
     * results of. */
    cr_assert(strstr(md, "| plugin:segv_at_5 | crashers.so | sgd | lr | momentum_buffer: fp32 | 1 | the "
                         "optimizer's | run |"),
              "%s", md);
    cr_assert(strstr(md, "| plugin:plain_adamw | plain_adamw.so | adamw |") && strstr(md, "no results: `optbench run"),
              "%s", md);
    free(md);
    free(o);
    free(e);
    /* A plugin whose kernels claim an optimizer no case runs: exit 2, nothing written. */
    char out2[400];
    snprintf(out2, sizeof out2, "%s/none", dir);
    const char *none[] = {"run", "--plugin", so2, "--opt", "sgd", "--problem", "quad_diag", "--out", out2, NULL};
    rc = ob_tp_run(none, NULL, dir, &o, &e);
    cr_assert_eq(rc, 2, "%s", e);
    cr_assert(strstr(e, "no case of this run has an optimizer its kernels claim"), "%s", e);
    cr_assert(access(out2, F_OK) != 0, "nothing written");
    free(o);
    free(e);
    /* A --set key the kernel does not honour: exit 2. */
    const char *key[] = {"run",   "--plugin",           so2,     "--opt", "adamw", "--problem", "quad_diag",
                         "--set", "amsgrad=1", "--out", out2, NULL};
    rc = ob_tp_run(key, NULL, dir, &o, &e);
    cr_assert_eq(rc, 2, "%s", e);
    cr_assert(strstr(e, "amsgrad"), "%s", e);
    free(o);
    free(e);
    ob_tp_rmtree(dir);
}

/* ---- optbench trace --isa plugin:<kernel> ---- */

Test(trace_plugin, replays_a_plugin_kernel_and_stops_at_its_crash)
{
    char dir[256], x0[300], g[300], so[600], cr[600];
    ob_tp_scratch(dir, sizeof dir, "trace-plugin");
    snprintf(x0, sizeof x0, "%s/x0", dir);
    snprintf(g, sizeof g, "%s/g", dir);
    snprintf(so, sizeof so, "%s/optbench_kernels.so", OB_PLUGIN_DIR);
    snprintf(cr, sizeof cr, "%s/crashers.so", OB_PLUGIN_DIR);
    const char *gs = "0.1,0.2,0.3\n0.1,-0.2,0.3\n0.5,0.5,0.5\n1,1,1\n2,2,2\n3,3,3\n";
    cr_assert_eq(ob_tp_write(x0, "1,2,3\n", 6), 0);
    cr_assert_eq(ob_tp_write(g, gs, strlen(gs)), 0);
    char *o1, *e1, *o2, *e2;
    const char *scalar[] = {"trace", "--opt", "adam", "--set", "lr=0.1", "--isa", "scalar", "--x0", x0, "--grads",
                            g,       NULL};
    const char *plug[] = {"trace", "--opt",  "adam", "--set", "lr=0.1", "--isa",   "plugin:optbench.adam",
                          "--plugin", so, "--x0",  x0,      "--grads", g,     NULL};
    cr_assert_eq(ob_tp_run(scalar, NULL, dir, &o1, &e1), 0, "%s", e1);
    cr_assert_eq(ob_tp_run(plug, NULL, dir, &o2, &e2), 0, "%s", e2);
    cr_assert_str_eq(o1, o2, "the round trip replays bit for bit");
    free(o1), free(e1), free(o2), free(e2);
    const char *segv[] = {"trace",    "--opt", "sgd", "--set", "lr=0.1", "--isa",   "plugin:segv_at_5",
                          "--plugin", cr,      "--x0", x0,     "--grads", g,        NULL};
    cr_assert_eq(ob_tp_run(segv, NULL, dir, &o1, &e1), 1, "%s", e1);
    cr_assert(strstr(e1, "plugin:segv_at_5: SIGSEGV at step 5"), "%s", e1);
    size_t rows = 0;
    for (const char *s = o1; *s; s++) rows += *s == '\n';
    cr_assert_eq(rows, 4, "the rows before the crash are out:\n%s", o1);
    free(o1), free(e1);
    const char *other[] = {"trace",    "--opt", "adam", "--isa", "plugin:segv_at_5", "--plugin",
                           cr,         "--x0",  x0,     "--grads", g,                NULL};
    cr_assert_eq(ob_tp_run(other, NULL, dir, &o1, &e1), 2);
    cr_assert(strstr(e1, "claims sgd, not adam"), "%s", e1);
    cr_assert_eq(o1[0], '\0', "nothing printed");
    free(o1), free(e1);
    ob_tp_rmtree(dir);
}

/* ---- optbench ci --plugin, against the kernel's own baseline ---- */

Test(ci_plugin, a_one_ulp_change_in_a_plugin_kernel_is_caught_against_its_own_baseline, .timeout = 300)
{
    char dir[256], base[400], so[600], cr[600];
    ob_tp_scratch(dir, sizeof dir, "ci-plugin");
    snprintf(base, sizeof base, "%s/mykernel-baseline.json", dir);
    snprintf(so, sizeof so, "%s/nudged.so", OB_PLUGIN_DIR);
    snprintf(cr, sizeof cr, "%s/crashers.so", OB_PLUGIN_DIR);
    char *o, *e;
    const char *rec[] = {"ci", "--plugin", so, "--baseline", base, "--update-baseline", "--no-speed", NULL};
    cr_assert_eq(ob_tp_run(rec, NULL, dir, &o, &e), 0, "%s%s", o, e);
    free(o), free(e);
    const char *check[] = {"ci", "--plugin", so, "--baseline", base, "--no-speed", NULL};
    cr_assert_eq(ob_tp_run(check, NULL, dir, &o, &e), 0, "unchanged: %s%s", o, e);
    cr_assert(strstr(o, "ok: "), "%s", o);
    free(o), free(e);
    const char *nudge[] = {"OB_TEST_NUDGE=1", NULL};
    cr_assert_eq(ob_tp_run(check, nudge, dir, &o, &e), 3, "one ulp: %s%s", o, e);
    cr_assert(strstr(o, "plugin:nudged_sgd/sgd{}") && strstr(o, "first differ after step 1 of 30"), "%s", o);
    cr_assert(strstr(o, "REGRESSION"), "%s", o);
    free(o), free(e);
    /* A kernel that crashes fails its checks; the command finishes. */
    const char *crash[] = {"ci", "--plugin", cr, "--baseline", base, "--update-baseline", "--no-speed", NULL};
    cr_assert_eq(ob_tp_run(crash, NULL, dir, &o, &e), 3, "%s%s", o, e);
    cr_assert(strstr(o, "plugin:segv_at_5") && strstr(o, "SIGSEGV at step"), "%s", o);
    cr_assert(strstr(e, "not updating"), "a failing kernel is no baseline: %s", e);
    free(o), free(e);
    /* optbench's own baseline is not the plugin's. */
    const char *nobase[] = {"ci", "--plugin", so, "--no-speed", NULL};
    cr_assert_eq(ob_tp_run(nobase, NULL, dir, &o, &e), 2);
    cr_assert(strstr(e, "--plugin needs --baseline FILE"), "%s", e);
    free(o), free(e);
    ob_tp_rmtree(dir);
}
