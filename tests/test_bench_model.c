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
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/bench/ob_bench.h"
#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"

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
}

/* A model of 40 small tensors, run end to end (one short repetition). */
Test(model, a_small_model_runs_into_model_json_and_csv, .timeout = 120)
{
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/small.shapes", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 40; i++) fprintf(f, "t%d %dx%d\n", i, 1 + i % 7, 100 + 37 * i);
    fclose(f);
    char *out, *err;
    int rc = ob_cli_capture(ARGV("--model", path, "--opt", "adamw", "--threads", "1,2", "--run", dir,
                                 "--benchmark_min_time=0.01", "--benchmark_repetitions=1"),
                            &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert(strstr(out, "40 tensors") && strstr(out, "adamw on "), "%s", out);
    char p[160], msg[512];
    snprintf(p, sizeof p, "%s/model.json", dir);
    cJSON *doc = ob_json_read(p, msg, sizeof msg);
    cr_assert_not_null(doc, "%s", msg);
    cr_assert_eq(cJSON_GetObjectItem(doc, "tensors")->valuedouble, 40);
    const cJSON *rows = cJSON_GetObjectItem(doc, "rows");
    cr_assert_eq(cJSON_GetArraySize(rows), 2, "one row per thread count");
    const cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        for (const char *k = "flat_ms"; k; k = !strcmp(k, "flat_ms") ? "multi_ms" : !strcmp(k, "multi_ms") ? "loop_ms" : NULL) {
            const cJSON *v = cJSON_GetObjectItem(r, k);
            cr_assert(cJSON_IsNumber(v) && v->valuedouble > 0, "%s missing", k);
        }
    }
    cJSON_Delete(doc);
    snprintf(p, sizeof p, "%s/model.csv", dir);
    FILE *csv = fopen(p, "r");
    cr_assert_not_null(csv);
    char line[512];
    cr_assert_not_null(fgets(line, sizeof line, csv));
    cr_assert(!strncmp(line, "threads,flat_ms,multi_ms,loop_ms,", 33), "%s", line);
    fclose(csv);
    free(out);
    free(err);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
