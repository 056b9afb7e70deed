/*
 * test_run.c — `optbench run`: the files a run writes and their fields,
 * agreement checks that catch broken kernels, bad arguments, and a run
 * killed part-way through.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/ob_cli.h"
#include "harness/core/ob_results.h"
#include "harness/run/ob_run.h"
#include "harness/run/ob_suite.h"
#include "common/ob_test.h"

/* A fresh scratch folder per test. */
static void scratch(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/optbench-test-run-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
}

static int run_cli(const char *const *argv, char **out, char **err)
{
    *out = *err = NULL;
    return ob_cli_capture(argv, out, err);
}

static cJSON *latest_results(const char *root)
{
    char path[512], msg[512];
    snprintf(path, sizeof path, "%s/latest/results.json", root);
    cJSON *j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j != NULL, "%s", msg);
    return j;
}

static int file_nonempty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

Test(run, small_matrix_writes_the_documented_files)
{
    char root[64];
    scratch(root, sizeof root);
    const char *argv[] = {"optbench", "run", "--opt", "adam,sgd", "--problem", "booth,quad_diag", "--steps", "50",
                          "--out", root, "--quiet", NULL};
    char *out, *err;
    int rc = run_cli(argv, &out, &err);
    cr_assert_eq(rc, 0, "run failed (%d): %s\n%s", rc, err, out);
    cr_assert(strstr(out, "booth.adam") && strstr(out, "quad_diag.sgd"), "summary lacks cases:\n%s", out);
    cJSON *j = latest_results(root);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring, "optbench-results");
    cJSON *meta = cJSON_GetObjectItem(j, "meta");
    static const char *const meta_keys[] = {"git_commit", "compiler", "build_flags", "cpu_model", "isa_supported",
                                            "os", "date", "seed", "command_line"};
    for (size_t k = 0; k < sizeof meta_keys / sizeof meta_keys[0]; k++)
        cr_assert(cJSON_GetObjectItem(meta, meta_keys[k]), "meta lacks %s", meta_keys[k]);
    cJSON *cases = cJSON_GetObjectItem(j, "cases");
    cr_assert_eq(cJSON_GetArraySize(cases), 4);
    cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        static const char *const keys[] = {"id", "problem", "optimizer", "hparams", "schedule", "problem_config",
                                           "steps", "fstar", "tol", "csv", "reference", "isa", "ok"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            cr_assert(cJSON_GetObjectItem(c, keys[k]), "case lacks %s", keys[k]);
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "ok")));
        cJSON *isa = cJSON_GetObjectItem(c, "isa");
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            cJSON *p = cJSON_GetObjectItem(isa, ob_isa_name((ob_isa)i));
            cr_assert_eq(p != NULL, ob_isa_supported((ob_isa)i) != 0, "isa %s presence", ob_isa_name((ob_isa)i));
            if (!p) continue;
            static const char *const pk[] = {"final_loss", "steps_to_target", "agreement", "bit_identical",
                                             "max_deviation", "diverged_at", "time_s"};
            for (size_t k = 0; k < sizeof pk / sizeof pk[0]; k++)
                cr_assert(cJSON_GetObjectItem(p, pk[k]), "isa record lacks %s", pk[k]);
            cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(p, "bit_identical")));
        }
        char csv[512];
        snprintf(csv, sizeof csv, "%s/latest/%s", root, cJSON_GetObjectItem(c, "csv")->valuestring);
        cr_assert(file_nonempty(csv), "missing %s", csv);
        FILE *f = fopen(csv, "r");
        char line[4096];
        cr_assert(fgets(line, sizeof line, f));
        cr_assert(strncmp(line, "step,ref_loss,ref_gap,ref_dist,ref_gnorm", 40) == 0, "csv header: %s", line);
        cr_assert(strstr(line, "scalar_loss") && strstr(line, "scalar_agree") && strstr(line, "scalar_dev"));
        size_t rows = 0;
        while (fgets(line, sizeof line, f)) rows++;
        fclose(f);
        cr_assert_eq(rows, 51, "expected steps 0..50 in %s, got %zu rows", csv, rows);
    }
    /* Booth is 2-D: the trajectory columns are there for the plots. */
    char csv[512];
    snprintf(csv, sizeof csv, "%s/latest/cases/booth.adam.csv", root);
    FILE *f = fopen(csv, "r");
    char line[4096];
    cr_assert(f && fgets(line, sizeof line, f));
    cr_assert(strstr(line, "ref_x1,ref_x2") && strstr(line, "scalar_x1"), "%s", line);
    fclose(f);
    cJSON_Delete(j);
    free(out);
    free(err);
}

/* A kernel that flips the lowest bit of p[3] from step 7 on: the run must
 * fail and name the ISA, the step and the element. */
static uint64_t flip_step_counter;
static void adam_flipped(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    ob_optimizer_kernel(ob_optimizer_find("adam"), OB_ISA_SCALAR)(n, p, g, st, s);
    if (++flip_step_counter >= 7 && n > 3) {
        uint32_t b;
        memcpy(&b, &p[3], 4);
        b ^= 1u;
        memcpy(&p[3], &b, 4);
    }
}

static void prepare_wrong_bc(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    ob_optimizer_find("adam")->prepare(h, t, s);
    s->step_size *= 1.001f;  /* a bias correction that is slightly off */
}

static ob_case quad_case(const ob_optimizer *o)
{
    ob_case c;
    memset(&c, 0, sizeof c);
    c.opt = o;
    ob_hparams_default(o, &c.h);
    c.h.lr = 0.01;
    char msg[256];
    cr_assert_eq(ob_schedule_parse(NULL, NULL, 0, &c.sched, msg, sizeof msg), 0, "%s", msg);
    c.problem = ob_problem_find("quad_diag");
    cr_assert(c.problem);
    c.n = 20;
    c.steps = 20;
    c.threads = 1;
    c.isa_mask = 1u << OB_ISA_SCALAR;
    return c;
}

Test(run, a_kernel_off_by_one_bit_is_named)
{
    ob_isa other = ob_isa_supported(OB_ISA_AVX512) ? OB_ISA_AVX512 : OB_ISA_AVX2;
    if (!ob_isa_supported(other)) cr_skip_test("no vector ISA on this CPU: SKIPPED");
    ob_case c = quad_case(ob_optimizer_find("adam"));
    c.isa_mask |= 1u << other;
    c.kernel_override[other] = adam_flipped;
    ob_case_result r;
    char msg[512];
    flip_step_counter = 0;
    cr_assert_eq(ob_run_case(&c, NULL, &r, msg, sizeof msg), 0, "%s", msg);
    cr_assert_eq(r.ok, 0, "a flipped bit went unnoticed");
    cr_assert_eq(r.isa[other].identical, 0);
    cr_assert_eq(r.isa[other].first_diff_step, 7);
    cr_assert_eq(r.isa[other].first_diff_elem, 3);
    cr_assert_str_eq(r.isa[other].first_diff_array, "p");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ob_case_summary(f, &c, &r);
    fclose(f);
    cr_assert(strstr(buf, "NOT BIT-IDENTICAL") && strstr(buf, "step 7") && strstr(buf, "p[3]"), "%s", buf);
    free(buf);
}

Test(run, a_wrong_bias_correction_is_an_agreement_violation)
{
    ob_optimizer broken = *ob_optimizer_find("adam");
    broken.prepare = prepare_wrong_bc;
    ob_case c = quad_case(&broken);
    ob_case_result r;
    char msg[512];
    cr_assert_eq(ob_run_case(&c, NULL, &r, msg, sizeof msg), 0, "%s", msg);
    cr_assert_eq(r.ok, 0);
    cr_assert_eq(r.isa[OB_ISA_SCALAR].agree_ok, 0, "error %g u*S passed", r.isa[OB_ISA_SCALAR].max_agree);
    cr_assert(r.isa[OB_ISA_SCALAR].max_agree > broken.agree_bound);
}

Test(run, box_constraint_is_applied)
{
    ob_case c = quad_case(ob_optimizer_find("adam"));
    c.problem = ob_problem_find("amsgrad_thm1");
    cr_assert(c.problem);
    c.n = 0;
    c.h.lr = 0.5;
    c.steps = 300;
    ob_case_result r;
    char msg[512];
    cr_assert_eq(ob_run_case(&c, NULL, &r, msg, sizeof msg), 0, "%s", msg);
    cr_assert(r.ok);
    /* Whatever the steps do, x stays in [-1, 1]: distance to x* = -1 is at most 2. */
    cr_assert(r.ref.final_dist <= 2.0 + 1e-12 && r.isa[OB_ISA_SCALAR].final_dist <= 2.0 + 1e-6,
              "left the box: %g", r.ref.final_dist);
}

Test(run, bad_arguments_exit_2)
{
    static const char *const cases[][12] = {
        {"optbench", "run", "--opt", "adamx", "--problem", "booth", NULL},
        {"optbench", "run", "--problem", "nosuch", NULL},
        {"optbench", "run", "--problem", "booth", "--steps", "0", NULL},
        {"optbench", "run", "--problem", "booth", "--steps", "-3", NULL},
        {"optbench", "run", "--problem", "booth", "--isa", "sse9", NULL},
        {"optbench", "run", "--problem", "booth", "--set", "lr=-1", NULL},
        {"optbench", "run", "--problem", "booth", "--set", "nosuch=1", NULL},
        {"optbench", "run", "--problem", "booth", "--schedule", "nosuch", NULL},
        {"optbench", "run", "--problem", "booth", "--bogus", NULL},
        {"optbench", "run", "--suite", "/nonexistent/suite.json", NULL},
        {"optbench", "run", "--opt", "adam", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int rc = run_cli(cases[i], &out, &err);
        cr_assert_eq(rc, 2, "case %zu (%s %s %s %s) exited %d: %s", i, cases[i][2], cases[i][3],
                     cases[i][4] ? cases[i][4] : "", cases[i][5] ? cases[i][5] : "", rc, err);
        cr_assert(err && strlen(err) > 10, "case %zu gave no message", i);
        free(out);
        free(err);
    }
}

Test(run, malformed_suite_files_are_named)
{
    char root[64], path[128];
    scratch(root, sizeof root);
    static const struct { const char *text, *needle; } bad[] = {
        {"", "empty"},
        {"{\"cases\": [", "line 1"},
        {"{\"cases\": []}", "non-empty"},
        {"{\"cases\": [{\"steps\": 3}]}", "problem"},
        {"{\"cases\": [{\"problem\": \"booth\", \"stepz\": 3}]}", "stepz"},
        {"{\"cases\": [{\"problem\": \"booth\", \"steps\": -1}]}", "steps"},
        {"{\"cases\": [{\"problem\": \"booth\", \"lr\": {\"nosuch\": 1}}]}", "nosuch"},
        {"{\"cases\": [{\"problem\": \"booth\", \"set\": [\"beta1=2\"], \"optimizers\": [\"adam\"]}]}", "beta1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "%s/suite%zu.json", root, i);
        FILE *f = fopen(path, "w");
        fputs(bad[i].text, f);
        fclose(f);
        ob_suite s;
        char msg[512];
        cr_assert_eq(ob_suite_load(path, &s, msg, sizeof msg), -1, "suite %zu accepted", i);
        cr_assert(strstr(msg, bad[i].needle), "suite %zu: '%s' lacks '%s'", i, msg, bad[i].needle);
        cr_assert(strstr(msg, path), "suite %zu: message does not name the file: %s", i, msg);
    }
}

Test(run, default_suite_is_valid_and_broad)
{
    ob_suite s;
    char msg[512];
    cr_assert_eq(ob_suite_default(&s, msg, sizeof msg), 0, "%s", msg);
    size_t problems = 0;
    for (size_t i = 0; i < s.n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i; j++) seen |= s.cases[j].problem == s.cases[i].problem;
        problems += !seen;
    }
    cr_assert(problems >= 8, "the default suite has only %zu problems", problems);
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        size_t k = 0;
        for (size_t i = 0; i < s.n; i++) k += s.cases[i].opt == ob_optimizer_table[oi];
        cr_assert(k >= problems, "%s runs on only %zu problems", ob_optimizer_table[oi]->name, k);
    }
    ob_suite_free(&s);
}

/* SIGKILL after the first case: results.json is still complete JSON with
 * the finished case, and no temporary file has replaced it. */
Test(run, killed_run_leaves_a_readable_results_set, .timeout = 120)
{
    char root[64];
    scratch(root, sizeof root);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        const char *argv[] = {"optbench", "run", "--opt", "adam,sgd,rmsprop,adagrad", "--problem", "quad_diag",
                              "--n", "20000", "--steps", "400", "--out", root, "--quiet", NULL};
        char *out, *err;
        _exit(run_cli(argv, &out, &err));
    }
    char path[256], msg[512];
    snprintf(path, sizeof path, "%s/latest", root);
    /* The run folder appears at the start; latest only at the end, so find
     * the folder by listing. */
    cJSON *j = NULL;
    for (int tries = 0; tries < 6000 && !j; tries++) {
        usleep(10000);
        FILE *ls;
        char cmd[256], dir[256] = "";
        snprintf(cmd, sizeof cmd, "ls -d %s/2*/ 2>/dev/null | head -n 1", root);
        if ((ls = popen(cmd, "r"))) {
            if (!fgets(dir, sizeof dir, ls)) dir[0] = '\0';
            pclose(ls);
        }
        dir[strcspn(dir, "\n")] = '\0';
        if (!dir[0]) continue;
        snprintf(path, sizeof path, "%sresults.json", dir);
        if (access(path, R_OK) == 0) j = ob_json_read(path, msg, sizeof msg);
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(j != NULL, "no results.json appeared: %s", msg);
    cJSON_Delete(j);
    /* Read again after the kill: still valid, at least one whole case. */
    j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j != NULL, "results.json unreadable after SIGKILL: %s", msg);
    cJSON *cases = cJSON_GetObjectItem(j, "cases");
    cr_assert(cJSON_GetArraySize(cases) >= 1);
    cr_assert(cJSON_GetObjectItem(cJSON_GetArrayItem(cases, 0), "ok"));
    cJSON_Delete(j);
}
