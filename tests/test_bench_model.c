/*
 * test_bench_model.c — `optbench bench --model` (harness/bench/bench_model.c):
 * the shipped shape files hold the published parameter counts, malformed
 * files and bad arguments are refused with the file and line (exit 2), and
 * a small model runs end to end into model.json and model.csv.  No timing
 * is asserted: the figures live in the benchmark's output.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/bench/ob_bench.h"
#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "common/ob_test_proc.h"

static void temp_dir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/ob-model-XXXXXX");
    cr_assert_not_null(mkdtemp(buf));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* GPT-2 small: 124,439,808 parameters in 148 tensors (HuggingFace's
 * GPT2LMHeadModel, lm_head tied); ResNet-18: 11,689,512 in 62
 * (torchvision). */
Test(model, the_shipped_lists_hold_the_published_counts)
{
    ob_bench_model m;
    char err[1024];
    cr_assert_eq(ob_bench_model_load("gpt2-small", &m, err, sizeof err), 0, "%s", err);
    cr_assert_eq(m.n, 148);
    cr_assert_eq(m.total, 124439808);
    cr_assert_eq(m.len[0], 50257u * 768u, "wte");
    ob_bench_model_free(&m);
    cr_assert_eq(ob_bench_model_load("resnet18", &m, err, sizeof err), 0, "%s", err);
    cr_assert_eq(m.n, 62);
    cr_assert_eq(m.total, 11689512);
    ob_bench_model_free(&m);
}

Test(model, malformed_files_name_the_line)
{
    char dir[64], path[128], err[1024];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bad.shapes", dir);
    static const struct {
        const char *text, *must;
    } cases[] = {
        {"# nothing\n", "lists no tensor"},
        {"a 3x4\nb\n", "bad.shapes:2: expected a name and a shape"},
        {"a 3x0\n", "bad.shapes:1: the shape '3x0' has a zero"},
        {"a 3xx4\n", "bad.shapes:1: the shape '3xx4' is not dims"},
        {"a 3x4 junk\n", "bad.shapes:1: the shape '3x4 junk' is not dims"},
        {"a -3\n", "bad.shapes:1: the shape '-3' is not dims"},
        {"a 1048576x1048576x2\n", "too large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_file(path, cases[i].text);
        ob_bench_model m;
        cr_assert_eq(ob_bench_model_load(path, &m, err, sizeof err), -1, "accepted: %s", cases[i].text);
        cr_assert(strstr(err, cases[i].must), "'%s': %s", cases[i].text, err);
    }
    ob_bench_model m;
    cr_assert_eq(ob_bench_model_load("no-such-model", &m, err, sizeof err), -1);
    cr_assert(strstr(err, "no model 'no-such-model'") && strstr(err, "gpt2-small"), "%s", err);
    unlink(path);
    rmdir(dir);
}

#define ARGV(...) ((const char *const[]){"optbench", "bench", __VA_ARGS__, NULL})

static void expect_usage(const char *const *argv, const char *must)
{
    char *out, *err;
    int rc = ob_cli_capture(argv, &out, &err);
    cr_assert_eq(rc, 2, "exit %d, expected 2: %s", rc, err);
    cr_assert(strstr(err, must), "stderr lacks '%s': %s", must, err);
    free(out);
    free(err);
}

Test(model, bad_arguments_exit_2)
{
    expect_usage(ARGV("--model", "resnet18", "--sizes", "4Ki"), "--sizes does not apply with --model");
    expect_usage(ARGV("--model", "resnet18", "--opt", "adam,sgd"), "--model takes one optimizer");
    expect_usage(ARGV("--model", "nope"), "no model 'nope'");
    expect_usage(ARGV("--model", "resnet18", "--format", "bf16"), "--format does not apply with --model");
    expect_usage(ARGV("--model", "resnet18", "--peer", "deepspeed"), "--peer deepspeed does not apply with --model");
}

/* The test model: 40 small tensors, t<i> (1 + i % 7) x (100 + 37 i). */
#define SMALL_TENSORS 40
static long small_elements(void)
{
    long n = 0;
    for (int i = 0; i < SMALL_TENSORS; i++) n += (1 + i % 7) * (100 + 37 * i);
    return n;
}

/* The test model written into a new scratch folder dir, run end to end
 * (one short repetition, `threads` "1" or "1,2", and --peer peer unless
 * peer is NULL) into that folder: asserts the exit status and returns
 * model.json; *out, *err and *csv (model.csv) are malloc'd. */
static cJSON *run_small(char *dir, size_t dirlen, const char *threads, const char *peer, char **out, char **err,
                        char **csv)
{
    char path[128];
    temp_dir(dir, dirlen);
    snprintf(path, sizeof path, "%s/small.shapes", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < SMALL_TENSORS; i++) fprintf(f, "t%d %dx%d\n", i, 1 + i % 7, 100 + 37 * i);
    fclose(f);
    int rc = ob_cli_capture(ARGV("--model", path, "--opt", "adamw", "--threads", threads, "--run", dir,
                                 "--benchmark_min_time=0.01", "--benchmark_repetitions=1", peer ? "--peer" : NULL, peer),
                            out, err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, *err);
    cr_assert(strstr(*out, "40 tensors") && strstr(*out, "adamw on "), "%s", *out);
    char p[160], msg[512];
    snprintf(p, sizeof p, "%s/model.json", dir);
    cJSON *doc = ob_json_read(p, msg, sizeof msg);
    cr_assert_not_null(doc, "%s", msg);
    cr_assert_eq(cJSON_GetObjectItem(doc, "tensors")->valuedouble, SMALL_TENSORS);
    const cJSON *rows = cJSON_GetObjectItem(doc, "rows");
    cr_assert_eq(cJSON_GetArraySize(rows), strchr(threads, ',') ? 2 : 1, "one row per thread count");
    const cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        static const char *const keys[] = {"flat_ms", "multi_ms", "loop_ms"};
        for (size_t k = 0; k < 3; k++) {
            const cJSON *v = cJSON_GetObjectItem(r, keys[k]);
            cr_assert(cJSON_IsNumber(v) && v->valuedouble > 0, "%s missing", keys[k]);
        }
    }
    snprintf(p, sizeof p, "%s/model.csv", dir);
    cr_assert_not_null(*csv = ob_tp_slurp(p, NULL), "%s", p);
    cr_assert(!strncmp(*csv, "threads,flat_ms,multi_ms,loop_ms,", 33), "%s", *csv);
    cr_assert(strstr(*csv, ",torch_foreach_ms,torch_single_ms,torch_foreach_over_multi,torch_single_over_multi,"
                           "torch\n"),
              "%s", *csv);
    return doc;
}

static const char *torch_status(const cJSON *doc)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "torch"), "status"));
}

/* Row k's number `key`: asserts that it is a number in [lo, hi]. */
static double row_num(const cJSON *doc, int k, const char *key, double lo, double hi)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "rows"), k), key);
    cr_assert(cJSON_IsNumber(v), "row %d: %s is not a number", k, key);
    cr_assert(v->valuedouble >= lo && v->valuedouble <= hi, "row %d: %s = %g, outside [%g, %g]", k, key,
              v->valuedouble, lo, hi);
    return v->valuedouble;
}

static void free_small(char *dir, cJSON *doc, char *out, char *err, char *csv)
{
    cJSON_Delete(doc);
    free(out);
    free(err);
    free(csv);
    ob_tp_rmtree(dir);
}

/* Without torch (an interpreter that does not exist makes it certain) the
 * model still runs: the torch columns say "not installed", exit 0. */
Test(model, a_small_model_runs_into_model_json_and_csv_without_torch, .timeout = 120)
{
    setenv("OPTBENCH_PYTHON", "/nonexistent/python3", 1);
    char dir[64], *out, *err, *csv;
    cJSON *doc = run_small(dir, sizeof dir, "1,2", NULL, &out, &err, &csv);
    cr_assert_str_eq(torch_status(doc), "not installed");
    cr_assert(strstr(out, "not installed"), "%s", out);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "rows"), 0),
                                               "torch_foreach_over_multi")));
    cr_assert(strstr(csv, ",,,,,not installed\n"), "%s", csv);
    free_small(dir, doc, out, err, csv);
    /* --peer torch makes it required: missing, it is bad input. */
    expect_usage(ARGV("--model", "resnet18", "--peer", "torch"), "peer torch is not available");
    unsetenv("OPTBENCH_PYTHON");
}

/* The real harness/bench/peers/torch_optim.py --model against a stand-in
 * `torch` module (whether or not torch is installed): it reads the shape
 * file itself, gets optbench's hyperparameters and foreach=True/False,
 * and its medians come back per thread count as ms and ratios.  The
 * stand-in's step sleeps 2 ms (foreach) or 4 ms (single). */
static const char stub_torch[] =
    "__version__ = '0.0-stub'\n"
    "def set_num_threads(t):\n    assert t in (1, 2), t\n"
    "class _T:\n    def __init__(self, *d): self.d = d\n"
    "    def __mul__(self, o): return self\n    __rmul__ = __mul__\n"
    "    def __add__(self, o): return self\n    __sub__ = __add__\n"
    "def rand(*d): return _T(*d)\n"
    "class nn:\n    class Parameter:\n        def __init__(self, t): self.t = t; self.grad = None\n"
    "from . import optim\n";
static const char stub_optim[] =
    "import math, time\n"
    "class AdamW:\n"
    "    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,\n"
    "                 *, foreach=None):\n"
    "        assert isinstance(betas, tuple) and foreach in (True, False)\n"
    "        self.pause = 0.002 if foreach else 0.004\n"
    "        n = sum(math.prod(p.t.d) for p in params)\n"
    "        print(f'# stub: {len(params)} tensors, {n} elements, foreach={foreach}, lr={lr:g}')\n"
    "    def step(self): time.sleep(self.pause)\n";

Test(model, the_torch_peer_script_over_a_list_with_a_stand_in_torch, .timeout = 120)
{
    if (access("/usr/bin/python3", X_OK) != 0) cr_skip_test("SKIPPED: no /usr/bin/python3");
    char stub[64], pkg[96], path[160];
    temp_dir(stub, sizeof stub);
    snprintf(pkg, sizeof pkg, "%s/torch", stub);
    cr_assert(mkdir(pkg, 0755) == 0);
    snprintf(path, sizeof path, "%s/__init__.py", pkg);
    write_file(path, stub_torch);
    snprintf(path, sizeof path, "%s/optim.py", pkg);
    write_file(path, stub_optim);
    setenv("OPTBENCH_PYTHON", "/usr/bin/python3", 1);
    setenv("PYTHONPATH", stub, 1);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    char dir[64], *out, *err, *csv, want[128];
    cJSON *doc = run_small(dir, sizeof dir, "1,2", "torch", &out, &err, &csv);
    snprintf(want, sizeof want, "# stub: %d tensors, %ld elements, foreach=True, lr=0.001", SMALL_TENSORS,
             small_elements());
    cr_assert(strstr(err, want), "expected '%s' in:\n%s", want, err);
    cr_assert(strstr(err, "foreach=False"), "%s", err);
    cr_assert_str_eq(torch_status(doc), "measured");
    for (int k = 0; k < 2; k++) {
        const double multi = row_num(doc, k, "multi_ms", 0, 1e3);
        const double fe = row_num(doc, k, "torch_foreach_ms", 2.0, 1e3);
        const double single = row_num(doc, k, "torch_single_ms", 4.0, 1e3);
        cr_assert_float_eq(row_num(doc, k, "torch_foreach_over_multi", 0, 1e12), fe / multi, 1e-9 * fe / multi);
        cr_assert_float_eq(row_num(doc, k, "torch_single_over_multi", 0, 1e12), single / multi,
                           1e-9 * single / multi);
    }
    cr_assert(strstr(csv, ",measured\n"), "%s", csv);
    cr_assert(strstr(out, "foreach/multi"), "%s", out);
    free_small(dir, doc, out, err, csv);
    unsetenv("PYTHONPATH");
    unsetenv("OPTBENCH_PYTHON");
    ob_tp_rmtree(stub);
}

/* The real torch.optim, where Debian's python3-torch is installed
 * (optional at run time: SKIPPED otherwise), found without --peer:
 * foreach=True and the single-tensor path over the list, both positive
 * and finite (1 thread: the figures are not what is tested, and 2 torch
 * threads beside the other suites on 2 cores take seconds). */
Test(model, the_torch_peer_over_a_list_with_the_real_torch, .timeout = 300)
{
    unsetenv("PYTHONPATH");
    unsetenv("OPTBENCH_PYTHON");
    char msg[512];
    if (ob_bench_peer_check("torch", msg, sizeof msg) != 0) cr_skip_test("SKIPPED: %s", msg);
    char dir[64], *out, *err, *csv;
    cJSON *doc = run_small(dir, sizeof dir, "1", NULL, &out, &err, &csv);
    cr_assert_str_eq(torch_status(doc), "measured", "%s", err);
    row_num(doc, 0, "torch_foreach_ms", 1e-6, 1e4);
    row_num(doc, 0, "torch_single_ms", 1e-6, 1e4);
    free_small(dir, doc, out, err, csv);
}
