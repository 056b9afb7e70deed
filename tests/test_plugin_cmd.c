/*
 * test_plugin_cmd.c — the --plugin PATH.so option of the commands
 * (harness/plugin/set.c) through `optbench list` and `optbench bench`:
 *  - list shows each plugin kernel in full (file, claimed optimizer,
 *    hyperparameters honoured, state arrays with dtypes, threads, bound)
 *    and as a variant of its optimizer;
 *  - every bad plugin fixture exits 2 with the loader's message, and bench
 *    writes nothing; two files with a kernel of the same name are refused;
 *  - bench benchmarks plugin kernels beside optbench's own (variant
 *    plugin:<kernel>) in bench.csv, bench.json and the tables, with finite,
 *    positive ratios to optbench's kernels; a kernel that fails its
 *    guarded check (out-of-bounds write, crash) is named and left out
 *    while the run finishes (exit 1).
 * Nothing here asserts on a time (machines are noisy): only structure, and
 * that timings and ratios are finite and positive.  The plugins are built
 * by examples/plugins/plugins.mk into OB_PLUGIN_DIR.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "common/ob_test_proc.h"

#ifndef OB_PLUGIN_DIR
#define OB_PLUGIN_DIR "build/plugins"
#endif

#define PLUGIN(f) OB_PLUGIN_DIR "/" f
#define LIST(...) ((const char *const[]){"optbench", "list", __VA_ARGS__, NULL})
#define BENCH(...) ((const char *const[]){"optbench", "bench", __VA_ARGS__, NULL})
/* The shortest bench there is: one size, scalar, one short repetition. */
#define QUICK \
    "--sizes", "4Ki", "--threads", "1", "--isa", "scalar", "--exact-only", "--benchmark_min_time=0.01", \
        "--benchmark_repetitions=1"

static void temp_dir(char *buf, size_t len)
{
    ob_tp_scratch(buf, len, "plugin-cmd");
}

static int run(const char *const *argv, char **out, char **err)
{
    int rc = ob_cli_capture(argv, out, err);
    cr_assert(rc >= 0, "ob_cli_capture failed");
    return rc;
}

static int is_empty_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", dir);
    return system(cmd) == 0;
}

/* dir/bench.csv, which must be there. */
static char *bench_csv(const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/bench.csv", dir);
    char *csv = ob_tp_slurp(path, NULL);
    cr_assert(csv != NULL, "cannot read %s", path);
    return csv;
}

/* ---- list ----------------------------------------------------------------------- */

Test(list, plugin_kernels_in_full_and_as_variants_of_their_optimizer)
{
    char *out, *err;
    int rc = run(LIST("plugins", "--plugin", PLUGIN("plain_adamw.so"), "--plugin", PLUGIN("lifecycle.so")),
                 &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    static const char *const must[] = {
        "plugin:plain_adamw",
        "file:       plain_adamw.so",
        "optimizer:  adamw",
        "honours:    lr, beta1, beta2, eps, weight_decay",
        "state:      exp_avg fp32, exp_avg_sq fp32, max_exp_avg_sq fp32",
        "threads:    1 (no init",
        "bound:      221 u*S (declared by the plugin",
        "plugin:with_init",
        "file:       lifecycle.so",
        "threads:    as a case asks (init receives the count; default 2)",
        "bound:      6 u*S (the optimizer's",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert(strstr(out, must[i]), "lacks '%s':\n%s", must[i], out);
    free(out);
    free(err);

    /* --plugin-bound overrides every kernel's bound. */
    rc = run(
        LIST("plugins", "plugin:plain_adamw", "--plugin", PLUGIN("plain_adamw.so"), "--plugin-bound", "300"),
        &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert(strstr(out, "bound:      300 u*S (--plugin-bound"), "%s", out);
    free(out);
    free(err);

    /* As variants: in the optimizer's entry and in the whole list. */
    rc = run(LIST("optimizers", "adamw", "--plugin", PLUGIN("plain_adamw.so")), &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert(strstr(out, "kernels: scalar"), "%s", out);
    cr_assert(strstr(out, " plugin:plain_adamw(plain_adamw.so)\n"), "%s", out);
    free(out);
    free(err);
    rc = run(LIST("--plugin", PLUGIN("plain_adamw.so")), &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    const char *adamw = strstr(out, "\n  adamw ");
    cr_assert(adamw && !strncmp(strchr(adamw + 1, '\n'),
                                "\n      plugin kernels: plugin:plain_adamw(plain_adamw.so)", 52),
              "%s", out);
    cr_assert(strstr(out, "plugin kernels (--plugin"), "%s", out);
    free(out);
    free(err);

    /* Without --plugin the list has no plugins section. */
    rc = run((const char *const[]){"optbench", "list", NULL}, &out, &err);
    cr_assert_eq(rc, 0);
    cr_assert(!strstr(out, "plugin"), "%s", out);
    free(out);
    free(err);
}

/* ---- bad plugins ----------------------------------------------------------------- */

static const struct {
    const char *file, *msg;
} bad[] = {
    {"does_not_exist.so", "no such file"},
    {"not_a_plugin.so", "not a loadable shared object"},
    {"bad_no_symbol.so", "no symbol optbench_plugin_register"},
    {"bad_wrong_abi.so", "built for plugin ABI 2; this optbench implements 1"},
    {"bad_unknown_optimizer.so", "claims unknown optimizer 'adamx'"},
    {"bad_bad_layout.so", "declares 2 state arrays; adamw has 3"},
    {"bad_bad_dtype.so", "only fp32 (0) is supported"},
    {"bad_no_step.so", "has no step function"},
    {"bad_duplicate.so", "two kernels are named 'fixture'"},
    {"bad_unknown_hparam.so", "honours 'momentum', which adamw does not have"},
    {"bad_register_fails.so", "returned 3"},
    {"bad_registers_nothing.so", "registered no kernels"},
};

/* argv must exit 2 with `must` in its errors, and leave dir empty. */
static void expect_refused(const char *const *argv, const char *must, const char *dir)
{
    char *out, *err;
    int rc = run(argv, &out, &err);
    cr_assert_eq(rc, 2, "%s %s: exit %d, expected 2; stderr: %s", argv[1], argv[2], rc, err);
    cr_assert(strstr(err, must), "stderr lacks '%s':\n%s", must, err);
    if (dir) cr_assert(is_empty_dir(dir), "%s wrote into %s", argv[1], dir);
    free(out);
    free(err);
}

Test(bad, each_bad_plugin_exits_2_with_its_message_and_writes_nothing, .timeout = 120)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[512], msg[600];
        snprintf(path, sizeof path, "%s/%s", OB_PLUGIN_DIR, bad[i].file);
        snprintf(msg, sizeof msg, "--plugin %s: ", path);
        /* The message names the file, then says what is wrong with it. */
        expect_refused(LIST("--plugin", path), msg, NULL);
        expect_refused(LIST("--plugin", path), bad[i].msg, NULL);
        expect_refused(BENCH("--opt", "adamw", QUICK, "--out", dir, "--plugin", path), bad[i].msg, dir);
        /* A good plugin before it changes nothing. */
        expect_refused(BENCH("--opt", "adamw", QUICK, "--out", dir, "--plugin", PLUGIN("plain_adamw.so"),
                             "--plugin", path),
                       bad[i].msg, dir);
    }
    ob_tp_rmtree(dir);
}

Test(bad, two_files_with_a_kernel_of_the_same_name)
{
    char dir[64], copy[128], cmd[700];
    temp_dir(dir, sizeof dir);
    snprintf(copy, sizeof copy, "%s/plain_adamw_copy.so", dir);
    snprintf(cmd, sizeof cmd, "cp %s %s", PLUGIN("plain_adamw.so"), copy);
    cr_assert_eq(system(cmd), 0);
    char out_dir[64];
    temp_dir(out_dir, sizeof out_dir);
    const char *must = "kernel 'plain_adamw' is also in " PLUGIN("plain_adamw.so");
    expect_refused(LIST("--plugin", PLUGIN("plain_adamw.so"), "--plugin", copy), must, NULL);
    expect_refused(BENCH("--opt", "adamw", QUICK, "--out", out_dir, "--plugin", PLUGIN("plain_adamw.so"),
                         "--plugin", copy),
                   must, out_dir);
    ob_tp_rmtree(dir);
    ob_tp_rmtree(out_dir);
}

Test(bad, plugin_options_checked)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    expect_refused(LIST("--plugin-bound", "5"), "--plugin-bound needs --plugin", NULL);
    expect_refused(LIST("--plugin", PLUGIN("plain_adamw.so"), "--plugin-bound", "0"),
                   "not a finite number > 0", NULL);
    expect_refused(LIST("--plugin", PLUGIN("plain_adamw.so"), "--plugin-bound", "nan"),
                   "not a finite number > 0", NULL);
    expect_refused(LIST("plugins", "nope", "--plugin", PLUGIN("plain_adamw.so")),
                   "unknown plugin kernel 'nope' (loaded: plain_adamw)", NULL);
    /* A key the kernel does not honour, set for its optimizer. */
    expect_refused(BENCH("--opt", "adamw", QUICK, "--out", dir, "--set", "amsgrad=1", "--plugin",
                         PLUGIN("plain_adamw.so")),
                   "plain_adamw does not honour 'amsgrad'", dir);
    ob_tp_rmtree(dir);
}

/* ---- bench ------------------------------------------------------------------------- */

/* The plugins rows of bench.json: finite, positive ratios, names that
 * carry the plugin's; returns how many. */
static int check_plugins_json(const char *dir)
{
    char path[128], msg[512];
    snprintf(path, sizeof path, "%s/bench.json", dir);
    cJSON *doc = ob_json_read(path, msg, sizeof msg);
    cr_assert(doc, "%s", msg);
    const cJSON *ours = cJSON_GetObjectItem(doc, "optbench");
    const cJSON *e, *plugins = cJSON_GetObjectItem(ours, "plugins");
    cr_assert(cJSON_IsArray(plugins));
    int n = 0;
    cJSON_ArrayForEach(e, plugins)
    {
        const char *variant = cJSON_GetStringValue(cJSON_GetObjectItem(e, "variant"));
        const char *kernel = cJSON_GetStringValue(cJSON_GetObjectItem(e, "kernel"));
        cr_assert(variant && kernel && !strncmp(variant, "plugin:", 7) && !strcmp(variant + 7, kernel));
        cr_assert(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(e, "file")), ".so"));
        static const char *const keys[] = {"ns_per_elem", "best_ns_per_elem", "ratio_to_best",
                                           "scalar_ns_per_elem", "ratio_to_scalar"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const double v = cJSON_GetNumberValue(cJSON_GetObjectItem(e, keys[k]));
            cr_assert(isfinite(v) && v > 0, "%s of %s: %g", keys[k], variant, v);
        }
        n++;
    }
    /* Every plugin row also carries its file among the rows. */
    int rows = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(ours, "rows"))
        rows += cJSON_GetObjectItem(e, "plugin_file") != NULL;
    cr_assert_eq(rows, n);
    cJSON_Delete(doc);
    return n;
}

Test(bench, plugin_kernels_beside_optbench_kernels, .timeout = 300)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    char *out, *err;
    int rc = run(BENCH("--opt", "adamw", QUICK, "--run", dir, "--plugin", PLUGIN("optbench_kernels.so"),
                       "--plugin", PLUGIN("plain_adamw.so")),
                 &out, &err);
    cr_assert_eq(rc, 0, "exit %d; stderr:\n%s", rc, err);
    /* The round-trip plugin has a kernel per optimizer: only adamw's runs. */
    cr_assert(
        strstr(out, "plugin kernels SKIPPED (their optimizer is not among --opt): plugin:optbench.sgd (sgd)"),
        "%s", out);
    char *csv = bench_csv(dir);
    cr_assert(strstr(csv, "\nkernel,adamw,scalar,exact,4096,1,28,"), "%s", csv);
    cr_assert(strstr(csv, "\nkernel,adamw,,plugin:optbench.adamw,4096,1,28,"), "%s", csv);
    cr_assert(strstr(csv, "\nkernel,adamw,,plugin:plain_adamw,4096,1,28,"), "%s", csv);
    cr_assert(!strstr(csv, "plugin:optbench.sgd"), "%s", csv);
    /* Against the same ceilings: the plugin rows have a memory ceiling, a
     * bound and a speed-up over scalar. */
    for (const char *row = strstr(csv, ",plugin:"); row; row = strstr(row + 1, ",plugin:")) {
        const char *end = strchr(row, '\n');
        cr_assert(strstr(row, ",memory,") < end || strstr(row, ",divider,") < end, "%.200s", row);
    }
    free(csv);
    cr_assert_eq(check_plugins_json(dir), 2);
    /* The tables: the summary and the ratios, naming the plugin files. */
    cr_assert(strstr(out, "adamw    -      plugin:optbench.adamw"), "%s", out);
    cr_assert(strstr(out, "plugin kernels against optbench's own"), "%s", out);
    cr_assert(strstr(out, "plugin:optbench.adamw        optbench_kernels.so"), "%s", out);
    cr_assert(strstr(out, "plugin:plain_adamw           plain_adamw.so"), "%s", out);
    free(out);
    free(err);
    ob_tp_rmtree(dir);
}

/* A kernel with init runs at every thread count, told each one. */
Test(bench, a_kernel_with_init_at_every_thread_count, .timeout = 300)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    char *out, *err;
    int rc = run(BENCH("--opt", "sgd", "--sizes", "4Ki", "--threads", "1,2", "--isa", "scalar",
                       "--exact-only", "--benchmark_min_time=0.01", "--benchmark_repetitions=1", "--run", dir,
                       "--plugin", PLUGIN("lifecycle.so")),
                 &out, &err);
    /* init_fails fails its check: exit 1, the rest is written. */
    cr_assert_eq(rc, 1, "exit %d; stderr:\n%s", rc, err);
    cr_assert(strstr(err,
                     "plugin:init_fails (lifecycle.so) FAILED its check and is not benchmarked: init_fails: "
                     "init returned 5"),
              "%s", err);
    char *csv = bench_csv(dir);
    cr_assert(strstr(csv, "\nkernel,sgd,,plugin:with_init,4096,1,"), "%s", csv);
    cr_assert(strstr(csv, "\nkernel,sgd,,plugin:with_init,4096,2,"), "%s", csv);
    cr_assert(!strstr(csv, "init_fails"), "%s", csv);
    free(csv);
    cr_assert_eq(check_plugins_json(dir), 2);
    free(out);
    free(err);
    ob_tp_rmtree(dir);
}

/* Kernels that write out of bounds or crash fail their check with the
 * reason; bench survives, benchmarks the rest and exits 1. */
Test(bench, crashing_kernels_fail_their_target_and_bench_survives, .timeout = 300)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    char *out, *err;
    int rc = run(BENCH("--opt", "sgd", QUICK, "--run", dir, "--plugin", PLUGIN("crashers.so")), &out, &err);
    cr_assert_eq(rc, 1, "exit %d; stderr:\n%s", rc, err);
    static const char *const must[] = {
        "plugin:past_end (crashers.so) FAILED its check and is not benchmarked: past_end: out-of-bounds write at "
        "p[n] (n = 4096) at step 1",
        "plugin:segv_at_5 (crashers.so) FAILED its check and is not benchmarked: SIGSEGV at step 5",
        "plugin:abort_at_3 (crashers.so) FAILED its check and is not benchmarked: SIGABRT at step 3",
        "plugin:writes_g (crashers.so) FAILED its check and is not benchmarked: writes_g: write to the read-only "
        "gradient",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert(strstr(err, must[i]), "lacks '%s':\n%s", must[i], err);
    char *csv = bench_csv(dir);
    cr_assert(strstr(csv, "\nkernel,sgd,scalar,exact,4096,1,12,"), "%s", csv);
    cr_assert(!strstr(csv, "plugin:"), "%s", csv);
    free(csv);
    free(out);
    free(err);
    ob_tp_rmtree(dir);
}
