/*
 * test_bench.c — `optbench bench` and what it is built on: the Google
 * Benchmark shim (a benchmark registered from C runs and reports the
 * counters it was given; a filter that matches nothing is an error), the
 * approximate AVX-512 Adam (within its documented bound on random states,
 * NaN/Inf/zero handling against the exact kernel), size parsing, bad
 * arguments (exit 2 with a message each) and a tiny end-to-end run.
 * Nothing here asserts on a time: timings are only checked to be positive.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/bench/bench_internal.h"
#include "harness/testkit/ob_testkit.h"
#include "harness/bench/ob_bench.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "optbench/optimizers.h"
#include "kernels/ob_kernels.h"
#include "common/ob_test.h"

#define U32 0x1p-24

/* A fresh temporary folder (removed by the test's process end: /tmp). */
static void temp_dir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/ob_test_bench_XXXXXX");
    cr_assert(mkdtemp(buf) != NULL);
}

static cJSON *read_json(const char *path)
{
    char err[512];
    cJSON *doc = ob_json_read(path, err, sizeof err);
    cr_assert(doc != NULL, "%s", err);
    return doc;
}

/* ---- the shim ------------------------------------------------------------------ */

typedef struct sum_ctx {
    float data[256];
    uint64_t calls, iterations, setups;
    float sink;
} sum_ctx;

static int sum_fn(void *vctx, uint64_t iterations)
{
    sum_ctx *c = vctx;
    c->calls++;
    c->iterations += iterations;
    for (uint64_t it = 0; it < iterations; it++) {
        float s = 0;
        for (size_t i = 0; i < 256; i++) s += c->data[i];
        c->sink += s;
        ob_gb_escape(&c->sink);
    }
    return 0;
}

static int sum_setup(void *vctx)
{
    ((sum_ctx *)vctx)->setups++;
    return 0;
}

static int failing_fn(void *vctx, uint64_t iterations)
{
    (void)vctx;
    (void)iterations;
    return 1;
}

Test(shim, registered_from_c_reports_its_counters)
{
    static sum_ctx ctx, other;
    for (size_t i = 0; i < 256; i++) ctx.data[i] = (float)i;
    ob_gb_bench *b = ob_gb_register("shim_test/sum", sum_fn, &ctx, 1024.0, 256.0);
    cr_assert(b != NULL);
    ob_gb_set_setup(b, sum_setup);
    cr_assert_eq(ob_gb_add_counter(b, "answer", 42.0, 0), 0);
    cr_assert_eq(ob_gb_add_counter(b, "per_iter_rate", 10.0, OB_GB_RATE | OB_GB_PER_ITERATION), 0);
    cr_assert_eq(
        ob_gb_add_counter(b, "ns_per_item", 256.0 * 1e-9, OB_GB_RATE | OB_GB_PER_ITERATION | OB_GB_INVERT),
        0);
    ob_gb_set_repetitions(b, 3);
    ob_gb_set_min_time(b, 0.01);
    ob_gb_bench *o = ob_gb_register("shim_test/other", sum_fn, &other, 0, 0);
    cr_assert(o != NULL);
    char dir[64], out[128], out_flag[160];
    temp_dir(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/gb.json", dir);
    snprintf(out_flag, sizeof out_flag, "--benchmark_out=%s", out);
    char *argv[] = {"test_bench", out_flag, "--benchmark_out_format=json",
                    "--benchmark_filter=^shim_test/sum"};
    char *errbuf = NULL, *dispbuf = NULL, msg[256];
    size_t errlen = 0, displen = 0;
    FILE *errf = open_memstream(&errbuf, &errlen), *disp = open_memstream(&dispbuf, &displen);
    long ran = ob_gb_run(4, argv, disp, errf, msg, sizeof msg);
    fclose(errf);
    fclose(disp);
    cr_assert_eq(ran, 1, "ran %ld (%s); errors: %s", ran, msg, errbuf);
    cr_assert(strstr(dispbuf, "shim_test/sum"), "the console report went to the FILE* given:\n%s", dispbuf);
    cr_assert_eq(other.calls, 0, "the filter let shim_test/other run");
    cJSON *doc = read_json(out);
    const cJSON *e;
    int reps = 0;
    double iterations = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "benchmarks"))
    {
        const char *run_type = cJSON_GetStringValue(cJSON_GetObjectItem(e, "run_type"));
        if (!run_type || strcmp(run_type, "iteration")) continue;
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, "run_name"));
        /* Google Benchmark names the settings made in code and real time. */
        cr_assert(!strncmp(name, "shim_test/sum/", 14) && strstr(name, "/real_time"), "%s", name);
        reps++;
        double it = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "iterations"));
        double t = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "real_time")) * 1e-9; /* ns per iteration */
        double bps = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "bytes_per_second"));
        double ips = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "items_per_second"));
        double answer = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "answer"));
        double rate = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "per_iter_rate"));
        double nspi = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "ns_per_item"));
        iterations += it;
        cr_assert(it >= 1 && t > 0 && bps > 0 && ips > 0, "iterations %g time %g bytes/s %g items/s %g", it,
                  t, bps, ips);
        cr_assert_eq(answer, 42.0);
        /* Bytes and items per iteration as registered: 1024 and 256. */
        cr_assert(fabs(bps / ips - 4.0) < 1e-9, "bytes/items = %.17g", bps / ips);
        /* A per-iteration rate is 10 per iteration per second. */
        cr_assert(fabs(rate / ips - 10.0 / 256.0) < 1e-9, "rate %g vs items/s %g", rate, ips);
        /* The inverted counter is the time per item, in ns. */
        cr_assert(fabs(nspi * ips - 1e9) < 1e-3 * 1e9, "ns/item %g, items/s %g", nspi, ips);
    }
    cr_assert_eq(reps, 3, "repetitions set in code: %d runs reported", reps);
    cr_assert(ctx.iterations >= iterations, "the C function ran %llu iterations, the report says %g",
              (unsigned long long)ctx.iterations, iterations);
    cr_assert(ctx.setups >= ctx.calls && ctx.calls >= 3, "setups %llu, calls %llu",
              (unsigned long long)ctx.setups, (unsigned long long)ctx.calls);
    cJSON_Delete(doc);
    free(errbuf);
    free(dispbuf);
    ob_gb_clear();
}

Test(shim, a_filter_that_matches_nothing_runs_nothing_and_says_so)
{
    static sum_ctx ctx;
    cr_assert(ob_gb_register("shim_test/sum", sum_fn, &ctx, 0, 0) != NULL);
    char *argv[] = {"test_bench", "--benchmark_filter=no_such_benchmark"};
    char *errbuf = NULL, msg[256];
    size_t errlen = 0;
    FILE *errf = open_memstream(&errbuf, &errlen);
    long ran = ob_gb_run(2, argv, NULL, errf, msg, sizeof msg);
    fclose(errf);
    cr_assert_eq(ran, 0);
    cr_assert(strstr(errbuf, "Failed to match any benchmarks"), "%s", errbuf);
    cr_assert_eq(ctx.calls, 0);
    free(errbuf);
    ob_gb_clear();
}

Test(shim, unknown_flags_and_failing_functions)
{
    static sum_ctx ctx;
    ob_gb_bench *b = ob_gb_register("shim_test/fails", failing_fn, &ctx, 0, 0);
    cr_assert(b != NULL);
    char *bad[] = {"test_bench", "--benchmark_no_such_flag=1"};
    char msg[256];
    cr_assert_eq(ob_gb_run(2, bad, NULL, NULL, msg, sizeof msg), -1);
    cr_assert(strstr(msg, "--benchmark_no_such_flag=1"), "%s", msg);
    /* A failing function is an error in the report, not a crash. */
    char dir[64], out_flag[160];
    temp_dir(dir, sizeof dir);
    snprintf(out_flag, sizeof out_flag, "--benchmark_out=%s/gb.json", dir);
    char *argv[] = {"test_bench",
                    out_flag,
                    "--benchmark_out_format=json",
                    "--benchmark_filter=all",
                    "--benchmark_min_time=0.01",
                    "--benchmark_repetitions=1"};
    cr_assert_eq(ob_gb_run(6, argv, NULL, NULL, msg, sizeof msg), 1);
    char path[128];
    snprintf(path, sizeof path, "%s/gb.json", dir);
    cJSON *doc = read_json(path);
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "benchmarks"), 0);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(e, "error_occurred")));
    cJSON_Delete(doc);
    ob_gb_clear();
    cr_assert(ob_gb_register(NULL, sum_fn, &ctx, 0, 0) == NULL);
    cr_assert(ob_gb_register("x", NULL, &ctx, 0, 0) == NULL);
}

/* ---- sizes ------------------------------------------------------------------------ */

/* A value wider than its column keeps a space before it (a disturbed
 * 2-thread peer once printed "0.2986361.747" for 0.298 and 6361.747). */
Test(bench, a_wide_cell_keeps_its_separator)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    bn_cell(f, 7, "%*.3f", 0.298);
    bn_cell(f, 7, "%*.3f", 6361.747);
    bn_cell(f, 7, "%*.3f", NAN);
    fclose(f);
    cr_assert_str_eq(text, "  0.298 6361.747      -");
    free(text);
}

Test(bench, size_parsing)
{
    static const struct {
        const char *s;
        size_t n;
    } ok[] = {
        {"1", 1},          {"4096", 4096},      {"4Ki", 4096},     {"64Ki", 65536},
        {"1Mi", 1u << 20}, {"16Mi", 16u << 20}, {"1Gi", 1u << 30},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = 0;
        cr_assert_eq(ob_bench_parse_size(ok[i].s, &n), 0, "%s", ok[i].s);
        cr_assert_eq(n, ok[i].n, "%s -> %zu", ok[i].s, n);
        char back[32];
        ob_bench_format_size(n, back, sizeof back);
        size_t again;
        cr_assert(ob_bench_parse_size(back, &again) == 0 && again == n, "%s formats as %s", ok[i].s, back);
    }
    static const char *const bad[] = {"0",   "0Ki",  "-1",   "-4Ki",          "+4",
                                      "4K",  "4ki",  "4 Ki", "1.5Mi",         "Ki",
                                      "",    "4Ki ", "2Ti",  "1100000000000", "99999999999999999999999",
                                      "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = 7;
        cr_assert_eq(ob_bench_parse_size(bad[i], &n), -1, "'%s' was accepted as %zu", bad[i], n);
    }
}

/* Results are mapped back to the plan by benchmark name: every name of a
 * full plan must be unique, and every row but the aliases must have one. */
Test(bench, every_benchmark_name_is_unique)
{
    ob_bench_config cfg;
    memset(&cfg, 0, sizeof cfg);
    for (size_t i = 0; i < ob_optimizer_count && i < OB_BENCH_MAX_OPTS; i++) {
        cfg.opts[cfg.n_opts] = ob_optimizer_table[i];
        ob_hparams_default(cfg.opts[cfg.n_opts], &cfg.h[cfg.n_opts]);
        cfg.n_opts++;
    }
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (ob_isa_supported((ob_isa)i)) cfg.isa_mask |= 1u << i;
    const size_t sizes[] = {4096, 65536, 1u << 20, 16u << 20, 64u << 20};
    for (size_t i = 0; i < 5; i++) cfg.sizes[cfg.n_sizes++] = sizes[i];
    cfg.threads[cfg.n_threads++] = 1;
    cfg.threads[cfg.n_threads++] = 2;
    cfg.approx = 2;
    cfg.prefetch_check = 1;
    ob_bench_plan plan;
    ob_bench_plan_init(&plan, &cfg);
    char err[256];
    cr_assert_eq(ob_bench_plan_register(&plan, err, sizeof err), 0, "%s", err);
    cr_assert(plan.n_rows > 100);
    for (size_t i = 0; i < plan.n_rows; i++) {
        cr_assert(plan.rows[i].name[0], "row %zu has no name", i);
        for (size_t j = 0; j < i; j++)
            cr_assert(strcmp(plan.rows[i].name, plan.rows[j].name), "two benchmarks named %s",
                      plan.rows[i].name);
    }
    ob_gb_clear();
    ob_bench_plan_free(&plan);
}

/* ---- the command: bad arguments --------------------------------------------------- */

#define ARGV(...) ((const char *const[]){"optbench", "bench", __VA_ARGS__, NULL})

/* Runs argv, which must fail with exit 2 and `must` in its errors.  A
 * --benchmark_list_tests=true is appended, so that an argument wrongly
 * accepted lists the benchmarks instead of running a full benchmark. */
static void expect_usage(const char *const *argv0, const char *must)
{
    const char *argv[64];
    size_t n = 0;
    while (argv0[n] && n < 62) {
        argv[n] = argv0[n];
        n++;
    }
    argv[n++] = "--benchmark_list_tests=true";
    argv[n] = NULL;
    char *out, *err;
    int rc = ob_cli_capture(argv, &out, &err);
    cr_assert_eq(rc, 2, "'%s %s': exit %d, expected 2; stderr: %s", argv[2], argv[3] ? argv[3] : "", rc, err);
    cr_assert(strstr(err, must), "stderr lacks '%s':\n%s", must, err);
    free(out);
    free(err);
}

Test(bench, bad_arguments_exit_2_with_a_message)
{
    expect_usage(ARGV("--sizes", "0"), "--sizes: '0' is not a size");
    expect_usage(ARGV("--sizes", "-5"), "--sizes: '-5' is not a size");
    expect_usage(ARGV("--sizes", "4Ki,-1Ki"), "'-1Ki' is not a size");
    expect_usage(ARGV("--sizes", "4Ki,,8Ki"), "empty element");
    expect_usage(ARGV("--sizes", "4Kb"), "'4Kb' is not a size");
    expect_usage(ARGV("--isa", "sse9"), "unknown --isa 'sse9'");
    expect_usage(ARGV("--opt", "adamz"), "unknown optimizer 'adamz'");
    expect_usage(ARGV("--opt", "adam,nosuch"), "unknown optimizer 'nosuch'");
    expect_usage(ARGV("--threads", "0"), "--threads: '0' is not an integer");
    expect_usage(ARGV("--threads", "99"), "--threads: '99' is not an integer");
    expect_usage(ARGV("--set", "lr=-1"), "lr = -1 is out of range");
    expect_usage(ARGV("--opt", "sgd", "--set", "beta1=0.5"),
                 "no chosen optimizer has a hyperparameter 'beta1'");
    expect_usage(ARGV("--peer", "jax"), "unknown peer 'jax'");
    expect_usage(ARGV("--peer-optional"), "--peer-optional needs --peer");
    expect_usage(ARGV("--out", "/tmp", "--run", "/tmp"), "--out and --run cannot be combined");
    expect_usage(ARGV("--run", "/nonexistent/run"), "not an existing run folder");
    expect_usage(ARGV("--benchmark_out=x.json"), "bench writes bench.json itself");
    expect_usage(ARGV("--frobnicate"), "--frobnicate");
    expect_usage(ARGV("--format", "bf17"), "--format:");
    expect_usage(ARGV("--format", "param=bf16,grad=f64"), "grad");
    expect_usage(ARGV("--format-opt", "adam"), "--format-opt needs --format");
    expect_usage(ARGV("--opt", "sgd", "--format", "bf16", "--format-opt", "adam"),
                 "--format-opt: 'adam' is not among the benchmarked optimizers");
    expect_usage(ARGV("--opt", "sgd", "--isa", "scalar", "--sizes", "1Ki", "--threads", "1", "--exact-only",
                      "--run", "/tmp", "--benchmark_no_such_flag=1"),
                 "unrecognized Google Benchmark argument '--benchmark_no_such_flag=1'");
}

/* The peer missing: an interpreter that does not exist makes it certain,
 * whether or not torch is installed. */
Test(bench, a_missing_peer_is_an_error_unless_optional)
{
    setenv("OPTBENCH_PYTHON", "/nonexistent/python3", 1);
    expect_usage(ARGV("--peer", "torch", "--opt", "sgd", "--sizes", "1Ki"), "peer torch is not available");
    char *out, *err;
    int rc = ob_cli_capture(ARGV("--peer", "torch", "--peer-optional", "--opt", "sgd", "--isa", "scalar",
                                 "--sizes", "1Ki", "--threads", "1", "--benchmark_list_tests=true"),
                            &out, &err);
    cr_assert_eq(rc, 0, "stderr: %s", err);
    cr_assert(strstr(err, "warning: peer torch is not available"), "%s", err);
    cr_assert(strstr(out, "kernel/sgd/scalar/exact/size:1Ki/threads:1"), "the listed benchmarks:\n%s", out);
    free(out);
    free(err);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert(fread(s, 1, (size_t)n, f) == (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* The real harness/bench/peers/torch_optim.py against a stand-in `torch` module
 * (whether or not torch is installed): the hyperparameters reach the
 * torch classes under torch's names, optimizers torch lacks are skipped
 * with a message, and the figures come back as kind=peer rows. */
static const char stub_torch[] =
    "__version__ = '0.0-stub'\n"
    "def set_num_threads(t):\n    assert t >= 1\n"
    "class _T:\n    def __init__(self, n): self.n = n\n"
    "    def __mul__(self, o): return self\n    __rmul__ = __mul__\n"
    "    def __add__(self, o): return self\n    __sub__ = __add__\n"
    "def rand(n): return _T(n)\n"
    "class nn:\n    class Parameter:\n        def __init__(self, t): self.t = t; self.grad = None\n"
    "from . import optim\n";
static const char stub_optim[] =
    "class _O:\n"
    "    def __init__(self, params, **kw):\n"
    "        self.params = list(params); self.kw = kw\n"
    "        if 'betas' in kw: assert isinstance(kw['betas'], tuple) and len(kw['betas']) == 2\n"
    "        for k in ('amsgrad', 'nesterov', 'centered'):\n"
    "            if k in kw: assert isinstance(kw[k], bool), k\n"
    "    def step(self): pass\n"
    "class SGD(_O):\n    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):\n"
    "        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)\n"
    "class Adam(_O):\n    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False):\n"
    "        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)\n"
    "class AdamW(Adam):\n    pass\n";

/* `optbench bench --peer torch` of optimizers `opts` on the scalar kernels
 * at one size, 1 thread and one short repetition, into a new run folder:
 * asserts exit 0 and returns bench.csv; *out and *err get the output. */
static char *run_torch_peer(const char *opts, const char *size, char **out, char **err)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    int rc = ob_cli_capture(ARGV("--opt", opts, "--isa", "scalar", "--sizes", size, "--threads", "1",
                                 "--exact-only", "--peer", "torch", "--run", dir, "--benchmark_min_time=0.01",
                                 "--benchmark_repetitions=1"),
                            out, err);
    cr_assert_eq(rc, 0, "exit %d; stderr:\n%s", rc, *err);
    char path[128];
    snprintf(path, sizeof path, "%s/bench.csv", dir);
    return slurp(path);
}

Test(bench, the_torch_peer_script_with_a_stand_in_torch, .timeout = 120)
{
    if (access("/usr/bin/python3", X_OK) != 0) cr_skip_test("SKIPPED: no /usr/bin/python3");
    char stub[64], pkg[96];
    temp_dir(stub, sizeof stub);
    snprintf(pkg, sizeof pkg, "%s/torch", stub);
    cr_assert(mkdir(pkg, 0755) == 0);
    write_file(pkg, "__init__.py", stub_torch);
    write_file(pkg, "optim.py", stub_optim);
    setenv("OPTBENCH_PYTHON", "/usr/bin/python3", 1);
    setenv("PYTHONPATH", stub, 1);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    char *out, *err;
    char *csv = run_torch_peer("sgd,amsgrad,lion", "1000", &out, &err);
    cr_assert(strstr(err, "skipped: torch 0.0-stub has no optimizer for 'lion'"), "%s", err);
    cr_assert(strstr(csv, "\npeer,sgd,,torch,1000,1,12,"), "%s", csv);
    cr_assert(strstr(csv, "\npeer,amsgrad,,torch,1000,1,36,"), "%s", csv);
    cr_assert(!strstr(csv, "\npeer,lion,"), "%s", csv);
    free(csv);
    free(out);
    free(err);
}

/* The real torch.optim, where Debian's python3-torch is installed (it is
 * optional at run time: SKIPPED otherwise).  Adam comes back as a peer row
 * with a positive, finite time; Lion, which torch lacks, is skipped by
 * name. */
Test(bench, the_torch_peer_with_the_real_torch, .timeout = 300)
{
    unsetenv("PYTHONPATH");
    unsetenv("OPTBENCH_PYTHON");
    char msg[512];
    if (ob_bench_peer_check("torch", msg, sizeof msg) != 0) cr_skip_test("SKIPPED: %s", msg);
    char *out, *err;
    char *csv = run_torch_peer("adam,lion", "4Ki", &out, &err);
    cr_assert(strstr(err, "has no optimizer for 'lion'"), "%s", err);
    const char *row = strstr(csv, "\npeer,adam,,torch,4096,1,28,");
    cr_assert(row != NULL, "%s", csv);
    const double ns = strtod(row + strlen("\npeer,adam,,torch,4096,1,28,"), NULL);
    cr_assert(isfinite(ns) && ns > 0.0, "torch Adam: %g ns per element\n%s", ns, csv);
    cr_assert(!strstr(csv, "\npeer,lion,"), "%s", csv);
    cr_assert(strstr(out, "torch"), "the summary names no peer:\n%s", out);
    free(csv);
    free(out);
    free(err);
}

Test(bench, a_filter_that_matches_nothing_exits_2)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    /* Not through expect_usage: this one must take the path of a real run. */
    char *out, *err;
    int rc = ob_cli_capture(ARGV("--opt", "sgd", "--isa", "scalar", "--sizes", "1Ki", "--threads", "1",
                                 "--out", dir, "--benchmark_filter=no_such_benchmark"),
                            &out, &err);
    cr_assert_eq(rc, 2, "exit %d; stderr: %s", rc, err);
    cr_assert(strstr(err, "Failed to match any benchmarks"), "%s", err);
    cr_assert(strstr(err, "no benchmark matches"), "%s", err);
    free(out);
    free(err);
    /* No empty run folder is left behind. */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", dir);
    cr_assert_eq(system(cmd), 0, "%s is not empty", dir);
}

/* ---- the command: a tiny run ------------------------------------------------------ */


Test(bench, tiny_run_writes_bench_json_and_csv, .timeout = 120)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    char *out, *err;
    int rc = ob_cli_capture(ARGV("--opt", "sgd,adam", "--sizes", "1000,2Ki", "--threads", "1,2", "--run", dir,
                                 "--benchmark_min_time=0.01", "--benchmark_repetitions=2"),
                            &out, &err);
    cr_assert_eq(rc, 0, "exit %d; stderr:\n%s", rc, err);
    for (const char *must = "summary"; must; must = !strcmp(must, "summary")   ? "targets"
                                                    : !strcmp(must, "targets") ? "memory per parameter"
                                                                               : NULL)
        cr_assert(strstr(out, must), "stdout lacks '%s':\n%s", must, out);
    cr_assert(strstr(out, "adam     exp_avg, exp_avg_sq"), "memory table:\n%s", out);
    char path[128];
    snprintf(path, sizeof path, "%s/bench.csv", dir);
    char *csv = slurp(path);
    cr_assert(!strncmp(csv, OB_BENCH_CSV_HEADER "\n", strlen(OB_BENCH_CSV_HEADER) + 1), "header:\n%.300s",
              csv);
    cr_assert_str_eq(OB_BENCH_CSV_HEADER,
                     "kind,opt,isa,variant,size,threads,bytes_per_elem,ns_per_elem,elems_per_s,gb_per_s,"
                     "mem_ceiling_gb_per_s,frac_mem_ceiling,div_ceiling_ns_per_elem,frac_div_ceiling,"
                     "speedup_vs_scalar,bound,frac_bound,mem_ceiling_probe");
    /* Every kernel row of every ISA this CPU runs, with sane medians. */
    int kernels = 0, probes = 0, divs = 0, triads = 0;
    for (char *sv = NULL, *line = strtok_r(csv, "\n", &sv); line; line = strtok_r(NULL, "\n", &sv)) {
        if (!strncmp(line, "kind,", 5)) continue;
        char kind[16], opt[16], isa[16], variant[16], bound[16] = "";
        size_t size;
        int threads;
        double bpe, ns, eps, gbs;
        int got = sscanf(line, "%15[^,],%15[^,],%15[^,],%15[^,],%zu,%d,%lf,%lf,%lf,%lf", kind, opt, isa,
                         variant, &size, &threads, &bpe, &ns, &eps, &gbs);
        if (!strcmp(kind, "kernel")) {
            cr_assert_eq(got, 10, "%s", line);
            cr_assert(ns > 0 && eps > 0 && gbs > 0, "%s", line);
            cr_assert(fabs(eps * ns - 1e9) < 1e4, "elements/s and ns/element disagree: %s", line);
            cr_assert_eq(bpe, !strcmp(opt, "adam") ? 28.0 : 12.0, "%s", line);
            /* bound is the third field from the end (then frac_bound and
             * mem_ceiling_probe, which names a probe of this run or the triad) */
            const char *b = strrchr(line, ',');
            cr_assert(!strcmp(b + 1, "triad") || strstr(b + 1, "/"), "mem_ceiling_probe '%s': %s", b + 1, line);
            b--;
            while (b > line && *b != ',') b--;
            const char *q = b - 1;
            while (q > line && *q != ',') q--;
            snprintf(bound, sizeof bound, "%.*s", (int)(b - q - 1), q + 1);
            cr_assert(!strcmp(bound, "memory") || !strcmp(bound, "divider"), "bound '%s': %s", bound, line);
            if (!strcmp(opt, "sgd")) cr_assert_str_eq(bound, "memory", "%s", line);
            kernels++;
        }
        probes += !strcmp(kind, "probe_mem");
        divs += !strcmp(kind, "probe_div");
        triads += !strcmp(kind, "triad");
    }
    /* The approximate variant only where this CPU class offers it
     * (ob_cpu_tuning); memory probes: plain and prefetch on every ISA,
     * streaming stores on the vector ones. */
    int isas = 0, approx = ob_isa_supported(OB_ISA_AVX512) && ob_cpu_tuning_get()->approx ? 1 : 0;
    for (int i = 0; i < OB_ISA_COUNT; i++) isas += ob_isa_supported((ob_isa)i);
    cr_assert_eq(kernels, 2 * 2 * 2 * isas + 2 * 2 * approx, "kernel rows: %d", kernels);
    cr_assert_eq(probes, 2 * 2 * 2 * (3 * isas - 1), "probe rows: %d", probes);
    cr_assert_eq(triads, 2 * 2, "triad rows: %d", triads);
    cr_assert(divs >= isas, "divider probe rows: %d", divs);
    free(csv);
    /* bench.json: Google Benchmark's report plus ours. */
    snprintf(path, sizeof path, "%s/bench.json", dir);
    cJSON *doc = read_json(path);
    cr_assert(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "benchmarks")) > 0);
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(doc, "context")));
    const cJSON *ours = cJSON_GetObjectItem(doc, "optbench");
    cr_assert(cJSON_GetArraySize(cJSON_GetObjectItem(ours, "rows")) == kernels + probes + divs + triads);
    cr_assert(cJSON_IsArray(cJSON_GetObjectItem(ours, "targets")));
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(ours, "meta")));
    cJSON_Delete(doc);
    /* Only the two files, no leftovers. */
    char cmd[200];
    snprintf(cmd, sizeof cmd, "test \"$(ls -A %s | tr '\\n' ' ')\" = 'bench.csv bench.json '", dir);
    cr_assert_eq(system(cmd), 0, "leftover files in %s", dir);
    free(out);
    free(err);
}

/* ---- the approximate variant ------------------------------------------------------ */

static void need_avx512(void)
{
    if (!ob_isa_supported(OB_ISA_AVX512))
        cr_skip_test("SKIPPED: %s", ob_isa_unavailable_reason(OB_ISA_AVX512));
}

Test(approx, never_the_exact_kernel_and_only_where_documented)
{
    for (size_t i = 0; i < ob_optimizer_count; i++) {
        const ob_optimizer *o = ob_optimizer_table[i];
        int adam_family = ob_optimizer_kernel(o, OB_ISA_SCALAR) == ob_adam_step_scalar;
        for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
            const ob_kernel_fn ax = ob_optimizer_approx_kernel(o, (ob_isa)isa);
            cr_assert(!ax || ax != ob_optimizer_kernel(o, (ob_isa)isa));
            if (isa != OB_ISA_AVX512 || !adam_family) cr_assert(ax == NULL, "%s", o->name);
        }
        if (ob_optimizer_approx_kernel(o, OB_ISA_AVX512))
            cr_assert(o->approx_bound > o->agree_bound, "%s", o->name);
    }
}

/* Against the double reference, |x - x_ref| <= B*u*S with B = approx_bound,
 * for every option combination along 20-step trajectories; m, v and vmax
 * are bit-identical to the exact AVX-512 kernel's. */
Test(approx, within_its_bound_on_random_states, .timeout = 120)
{
    need_avx512();
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        ob_kernel_fn approx = ob_optimizer_approx_kernel(o, OB_ISA_AVX512);
        if (!approx) continue;
        double worst = 0;
        size_t configs = 0;
        for (size_t c = 0; c < ob_hp_config_count(o); c++) {
            ob_hparams h;
            if (ob_hp_config(o, c, &h) != 0) continue;
            char where[512] = "";
            uint64_t seed = ob_test_seed() + 31 * oi + c;
            double e = ob_agree_measure(o, &h, approx, seed, 1031, 20, where, sizeof where);
            cr_assert(e >= 0, "out of memory");
            cr_assert(e <= o->approx_bound, "%s approx: error %.3g u*S exceeds its bound %g: %s; seed %#llx",
                      o->name, e, o->approx_bound, where, (unsigned long long)ob_test_seed());
            if (e > worst) worst = e;
            configs++;
        }
        cr_log_info(
            "approx %-8s: max error %.3f u*S over %zu configs x 20 steps x 1031 elements (bound %g; exact %g)",
            o->name, worst, configs, o->approx_bound, o->agree_bound);
    }
}

/* One step of the exact and the approximate kernel from the same state
 * with special values mixed in (+-0, subnormals, huge, NaN, +-Inf): m, v
 * and vmax bit-identical; p NaN exactly where the exact kernel's is NaN,
 * the same infinity where it is infinite, otherwise within
 * 8u*|step*m/den| + u*(|p_exact| + |p_approx|) of it (README "The
 * approximate variant"), where den is evaluated in double. */
Test(approx, special_values_follow_the_exact_kernel)
{
    need_avx512();
    enum { N = 4099 };
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 77);
    double worst = 0;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        ob_kernel_fn approx = ob_optimizer_approx_kernel(o, OB_ISA_AVX512);
        ob_kernel_fn exact = ob_optimizer_kernel(o, OB_ISA_AVX512);
        if (!approx) continue;
        for (size_t c = 0; c < ob_hp_config_count(o); c++) {
            ob_hparams h;
            if (ob_hp_config(o, c, &h) != 0) continue;
            for (int eps0 = 0; eps0 < 2; eps0++) {
                if (eps0) h.eps = 0; /* den = 0 where v = 0: the exact fallback */
                static float pa[N], pe[N], g[N], sa[3][N], se[3][N];
                for (size_t i = 0; i < N; i++) {
                    pa[i] = pe[i] = ob_rng_special_float(&rng, 0);
                    g[i] = ob_rng_special_float(&rng, 0);
                    for (int k = 0; k < 3; k++) sa[k][i] = se[k][i] = ob_rng_special_float(&rng, k > 0);
                }
                ob_step_scalars s;
                uint64_t t = 1 + ob_rng_next(&rng) % 50;
                o->prepare(&h, t, &s);
                exact(N, pe, g, (float *const[]){se[0], se[1], se[2]}, &s);
                approx(N, pa, g, (float *const[]){sa[0], sa[1], sa[2]}, &s);
                for (int k = 0; k < 3; k++) {
                    size_t d = ob_first_diff(sa[k], se[k], N);
                    cr_assert_eq(d, N, "%s: %s[%zu] differs from the exact kernel", o->name,
                                 o->state_names[k], d);
                }
                for (size_t i = 0; i < N; i++) {
                    const double a = pa[i], e = pe[i];
                    if (isnan(e) || isnan(a)) {
                        cr_assert(isnan(e) && isnan(a), "%s t=%llu: p[%zu] = %g, exact %g", o->name,
                                  (unsigned long long)t, i, a, e);
                        continue;
                    }
                    if (isinf(e) || isinf(a)) {
                        /* Either both overflow, or a result at the edge of the range. */
                        cr_assert(a == e || fmin(fabs(a), fabs(e)) >= FLT_MAX * (1 - 0x1p-20),
                                  "%s: p[%zu] = %g, exact %g", o->name, i, a, e);
                        continue;
                    }
                    const double v = s.amsgrad ? se[2][i] : se[1][i];
                    const double den = sqrt(v) * (double)s.inv_sqrt_bc2 + (double)s.eps;
                    const double upd = fabs((double)s.step_size * (double)se[0][i] / den);
                    const double slack = U32 * (fabs(a) + fabs(e)) + 0x1p-149;
                    const double err = fabs(a - e) - slack;
                    if (err <= 0) continue;
                    const double ratio = err / (U32 * upd);
                    cr_assert(ratio <= 8, "%s t=%llu: p[%zu] = %.9g, exact %.9g (update %.3g, %.3g u)",
                              o->name, (unsigned long long)t, i, a, e, upd, ratio);
                    if (ratio > worst) worst = ratio;
                }
            }
        }
    }
    cr_log_info(
        "approx special values: max |p_approx - p_exact| beyond the final rounding %.3f u*|update| (bound 8)",
        worst);
}

/* Mixed formats: rows with the format as the variant and its own bytes,
 * a memory probe per format, the formats section of bench.json, and only
 * the optimizers --format-opt names. */
Test(bench, formats_rows_probes_and_json, .timeout = 120)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    char *out, *err;
    int rc = ob_cli_capture(ARGV("--opt", "sgd,adam", "--isa", "scalar", "--sizes", "2Ki", "--threads", "1",
                                 "--format", "bf16,fp16-grads", "--format-opt", "adam", "--exact-only",
                                 "--run", dir, "--benchmark_min_time=0.01", "--benchmark_repetitions=2"),
                            &out, &err);
    cr_assert_eq(rc, 0, "exit %d; stderr:\n%s", rc, err);
    cr_assert(strstr(out, "formats (medians"), "no formats table:\n%s", out);
    char path[128];
    snprintf(path, sizeof path, "%s/bench.csv", dir);
    char *csv = slurp(path);
    cr_assert(strstr(csv, "kernel,adam,scalar,bf16,2048,1,14,"), "no bf16 Adam row (14 B):\n%s", csv);
    cr_assert(strstr(csv, "kernel,adam,scalar,fp16-grads,2048,1,28,"),
              "no fp16-grads Adam row (28 B: g read twice):\n%s", csv);
    cr_assert(strstr(csv, "probe_mem,adam,scalar,bf16,2048,1,14,"), "no bf16 memory probe:\n%s", csv);
    cr_assert(!strstr(csv, "kernel,sgd,scalar,bf16"), "sgd ran the formats despite --format-opt:\n%s", csv);
    free(csv);
    snprintf(path, sizeof path, "%s/bench.json", dir);
    char msg[256];
    cJSON *j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j, "%s", msg);
    const cJSON *f = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "optbench"), "formats"), *x;
    cr_assert_eq(cJSON_GetArraySize(f), 2, "formats: %s", cJSON_PrintUnformatted(f));
    cJSON_ArrayForEach(x, f)
    {
        cr_assert_str_eq(cJSON_GetObjectItem(x, "opt")->valuestring, "adam");
        const double br = cJSON_GetObjectItem(x, "byte_ratio")->valuedouble;
        const char *name = cJSON_GetObjectItem(x, "format")->valuestring;
        cr_assert(fabs(br - (!strcmp(name, "bf16") ? 2.0 : 1.0)) < 1e-9, "%s byte ratio %g", name, br);
        cr_assert(cJSON_GetObjectItem(x, "ns_per_elem")->valuedouble > 0);
    }
    cJSON_Delete(j);
    free(out);
    free(err);
}

/* A size whose arrays cannot be allocated (the address space capped at
 * 4 GiB in a child, 512 Gi elements asked for) is a failure, exit 1 with
 * a message naming the benchmark, even when the other sizes ran: its rows
 * would otherwise be silently empty under exit 0. */
Test(bench, an_allocation_failure_exits_1_with_a_message, .timeout = 120)
{
    char dir[64];
    temp_dir(dir, sizeof dir);
    char errp[128];
    snprintf(errp, sizeof errp, "%s/stderr", dir);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        /* Under AddressSanitizer the cap would starve its own shadow
         * memory (Google Benchmark's registration then fails first); there
         * 2 TiB arrays exceed its largest allocation and malloc returns
         * NULL (allocator_may_return_null=1, scripts/run-sanitized-tests.sh). */
#ifndef __SANITIZE_ADDRESS__
        struct rlimit rl = {(rlim_t)4 << 30, (rlim_t)4 << 30};
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(99);
#endif
        if (!freopen("/dev/null", "w", stdout) || !freopen(errp, "w", stderr)) _exit(99);
        const char *const argv[] = {"optbench",
                                    "bench",
                                    "--opt",
                                    "sgd",
                                    "--isa",
                                    "scalar",
                                    "--sizes",
                                    "4Ki,512Gi",
                                    "--threads",
                                    "1",
                                    "--exact-only",
                                    "--run",
                                    dir,
                                    "--benchmark_min_time=0.01",
                                    "--benchmark_repetitions=1",
                                    NULL};
        int rc = ob_cli_main(15, (char **)(uintptr_t)argv, stdout, stderr);
        fflush(NULL);
        _exit(rc);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    char *err = slurp(errp);
    int ok_exit = WIFEXITED(st) && WEXITSTATUS(st) == 1;
    int ok_msg = strstr(err, "size:512Gi") && strstr(err, "could not be allocated");
    char shown[2048];
    snprintf(shown, sizeof shown, "%s", err);
    free(err);
    cr_assert(ok_exit, "status %d; stderr:\n%s", st, shown);
    cr_assert(ok_msg, "%s", shown);
}
