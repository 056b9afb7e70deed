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
#include "harness/core/ob_core.h"
#include "harness/run/ob_run.h"
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
    const char *argv[] = {"optbench", "run", "--opt", "adam,sgd", "--problem", "booth,quad_diag",
                          "--steps",  "50",  "--out", root,       "--quiet",   NULL};
    char *out, *err;
    int rc = run_cli(argv, &out, &err);
    cr_assert_eq(rc, 0, "run failed (%d): %s\n%s", rc, err, out);
    cr_assert(strstr(out, "booth.adam") && strstr(out, "quad_diag.sgd"), "summary lacks cases:\n%s", out);
    cJSON *j = latest_results(root);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring, "optbench-results");
    cJSON *meta = cJSON_GetObjectItem(j, "meta");
    static const char *const meta_keys[] = {"git_commit", "compiler",      "build_flags",
                                            "cpu_model",  "isa_supported", "os",
                                            "date",       "seed",          "command_line"};
    for (size_t k = 0; k < sizeof meta_keys / sizeof meta_keys[0]; k++)
        cr_assert(cJSON_GetObjectItem(meta, meta_keys[k]), "meta lacks %s", meta_keys[k]);
    cJSON *cases = cJSON_GetObjectItem(j, "cases");
    cr_assert_eq(cJSON_GetArraySize(cases), 4);
    cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        static const char *const keys[] = {
            "id",  "problem", "optimizer", "hparams", "schedule", "problem_config", "steps", "fstar",
            "tol", "csv",     "reference", "isa",     "ok"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            cr_assert(cJSON_GetObjectItem(c, keys[k]), "case lacks %s", keys[k]);
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "ok")));
        cJSON *isa = cJSON_GetObjectItem(c, "isa");
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            cJSON *p = cJSON_GetObjectItem(isa, ob_isa_name((ob_isa)i));
            cr_assert_eq(p != NULL, ob_isa_supported((ob_isa)i) != 0, "isa %s presence",
                         ob_isa_name((ob_isa)i));
            if (!p) continue;
            static const char *const pk[] = {"final_loss",    "steps_to_target", "agreement", "bit_identical",
                                             "max_deviation", "diverged_at",     "time_s"};
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
    s->step_size *= 1.001f; /* a bias correction that is slightly off */
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
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"", "empty"},
        {"{\"cases\": [", "line 1"},
        {"{\"cases\": []}", "non-empty"},
        {"{\"cases\": [{\"steps\": 3}]}", "problem"},
        {"{\"cases\": [{\"problem\": \"booth\", \"stepz\": 3}]}", "stepz"},
        {"{\"cases\": [{\"problem\": \"booth\", \"steps\": -1}]}", "steps"},
        {"{\"cases\": [{\"problem\": \"booth\", \"lr\": {\"nosuch\": 1}}]}", "nosuch"},
        {"{\"cases\": [{\"problem\": \"booth\", \"set\": [\"beta1=2\"], \"optimizers\": [\"adam\"]}]}",
         "beta1"},
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
        const char *argv[] = {"optbench",  "run",       "--opt", "adam,sgd,rmsprop,adagrad",
                              "--problem", "quad_diag", "--n",   "20000",
                              "--steps",   "400",       "--out", root,
                              "--quiet",   NULL};
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

/* ---- the trajectory engine (harness/engine/ob_engine.h) ------------------------ */

#include "harness/engine/ob_engine.h"

/* f(x) = sum (i + 1) x_i^2 / 2 from x0 = 1: a small problem every path runs. */
static double eng_eval(void *ctx, const double *x, double *g, uint64_t t)
{
    (void)ctx;
    (void)t;
    double f = 0;
    for (size_t i = 0; i < 13; i++) {
        g[i] = (double)(i + 1) * x[i];
        f += 0.5 * (double)(i + 1) * x[i] * x[i];
    }
    return f;
}

static double eng_loss(void *ctx, const double *x, uint64_t t)
{
    double g[13];
    return eng_eval(ctx, x, g, t);
}

typedef struct eng_seen {
    uint64_t agree_t[OB_ENGINE_MAX_PATHS][64];
    size_t n_agree[OB_ENGINE_MAX_PATHS];
    uint64_t row_t[64];
    double row_loss[64];
    size_t n_rows;
    uint64_t progress_t[64];
    size_t n_progress;
    size_t n_probes[OB_ENGINE_MAX_PATHS];
    uint64_t steps[OB_ENGINE_MAX_PATHS];
    size_t not_same; /* non-lead fp32 steps not flagged as identical to the lead */
} eng_seen;

static void seen_agree(void *ctx, int path, uint64_t t, double err)
{
    eng_seen *s = ctx;
    cr_assert(err <= 4.0, "path %d step %llu: %g", path, (unsigned long long)t, err);
    if (s->n_agree[path] < 64) s->agree_t[path][s->n_agree[path]++] = t;
}

static void seen_row(void *ctx, const ob_engine_row *r)
{
    eng_seen *s = ctx;
    if (s->n_rows < 64) {
        s->row_loss[s->n_rows] = r->loss[OB_ENGINE_REF];
        s->row_t[s->n_rows++] = r->t;
    }
}

static void seen_progress(void *ctx, uint64_t t, uint64_t steps)
{
    eng_seen *s = ctx;
    cr_assert_eq(steps, 40);
    if (s->n_progress < 64) s->progress_t[s->n_progress++] = t;
}

static void seen_probe(void *ctx, const ob_engine_probe *p)
{
    eng_seen *s = ctx;
    cr_assert_eq(p->t % 8, 0);
    cr_assert((p->path == OB_ENGINE_REF) == (p->x64 != NULL));
    s->n_probes[p->path]++;
}

static void seen_step(void *ctx, const ob_engine_step *st)
{
    eng_seen *s = ctx;
    cr_assert_eq(st->t, s->steps[st->path] + 1, "path %d steps in order", st->path);
    s->steps[st->path] = st->t;
    if (st->path > OB_ENGINE_PATH_ISA(OB_ISA_SCALAR)) {
        s->not_same += !st->same_as_lead;
        cr_assert(st->x_ref != NULL);
    }
}

static unsigned eng_paths(void)
{
    unsigned paths = 1u;
    char msg[256];
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        unsigned p = 1u << OB_ENGINE_PATH_ISA(i);
        if (ob_engine_check_paths(ob_optimizer_find("adam"), p, msg, sizeof msg) == 0) paths |= p;
    }
    return paths;
}

static int eng_run(eng_seen *s, ob_engine_sampling sp, ob_engine_result *r)
{
    static double x0[13];
    for (size_t i = 0; i < 13; i++) x0[i] = 1.0;
    ob_engine_objective obj = {13, x0, 0, 0, 0, eng_eval, NULL, eng_loss, 1, 0.0, 1e-6, NULL};
    ob_engine_cfg c;
    memset(&c, 0, sizeof c);
    c.opt = ob_optimizer_find("adam");
    ob_hparams_default(c.opt, &c.h);
    c.h.lr = 0.05;
    c.steps = 40;
    c.paths = eng_paths();
    c.threads = 1;
    c.sampling = sp;
    c.obs = (ob_engine_observer){s, seen_step, seen_probe, seen_agree, seen_row, seen_progress};
    char msg[256];
    int rc = ob_engine_run(&obj, &c, r, msg, sizeof msg);
    cr_assert_eq(rc, 0, "%s", msg);
    return rc;
}

Test(engine, the_sampling_policy_picks_the_checked_measured_and_probed_steps)
{
    eng_seen s;
    memset(&s, 0, sizeof s);
    ob_engine_sampling sp = {.agree_dense = 5, .agree_every = 10, .measure_every = 7, .probe_every = 8};
    ob_engine_result r;
    eng_run(&s, sp, &r);
    static const uint64_t agree_t[] = {1, 2, 3, 4, 5, 10, 20, 30, 40};
    static const uint64_t row_t[] = {0, 7, 14, 21, 28, 35, 40};
    unsigned paths = eng_paths();
    for (int p = 0; p < OB_ENGINE_MAX_PATHS; p++) {
        if (!((paths >> p) & 1u)) {
            cr_assert_eq(r.p[p].ran, 0);
            continue;
        }
        cr_assert(r.p[p].ran);
        cr_assert_eq(r.p[p].steps, 40);
        cr_assert_eq(s.steps[p], 40);
        cr_assert_eq(s.n_probes[p], 5, "path %d: probes at 8, 16, ..., 40", p);
        if (p == OB_ENGINE_REF) {
            cr_assert_eq(s.n_agree[p], 0);
            continue;
        }
        cr_assert_eq(r.p[p].agree_checked, 9);
        cr_assert_eq(s.n_agree[p], 9);
        for (size_t k = 0; k < 9; k++) cr_assert_eq(s.agree_t[p][k], agree_t[k]);
        cr_assert(r.p[p].agree_ok && r.p[p].identical);
    }
    cr_assert_eq(s.not_same, 0, "the ISAs agree bit for bit");
    cr_assert_eq(s.n_rows, 7);
    for (size_t k = 0; k < 7; k++) cr_assert_eq(s.row_t[k], row_t[k]);
    cr_assert_eq(s.n_progress, 6, "progress after every row but t = 0");
    cr_assert_eq(s.progress_t[5], 40);
    cr_assert(s.row_loss[0] == 45.5, "f(x0) = sum (i + 1) / 2 = 45.5, got %g", s.row_loss[0]);
    cr_assert(s.row_loss[6] < s.row_loss[0]);
    cr_assert_eq(r.p[OB_ENGINE_REF].final_loss, s.row_loss[6]);
}

Test(engine, a_policy_without_measurement_writes_no_rows)
{
    eng_seen s;
    memset(&s, 0, sizeof s);
    ob_engine_sampling sp = {.agree_dense = 0, .agree_every = 0};
    ob_engine_result r;
    eng_run(&s, sp, &r);
    cr_assert_eq(s.n_rows, 0);
    cr_assert_eq(s.n_progress, 0);
    cr_assert_eq(r.p[OB_ENGINE_PATH_ISA(OB_ISA_SCALAR)].agree_checked, 0);
    cr_assert_eq(s.steps[OB_ENGINE_PATH_ISA(OB_ISA_SCALAR)], 40);
}

/* ---- the engine with a storage format (ob_engine_cfg.format) ---- */

/* The small problem, scaled by ctx (a double: 1e6 makes fp16 gradients
 * times the loss scale overflow). */
static double fmt_eval(void *ctx, const double *x, double *g, uint64_t t)
{
    const double k = ctx ? *(const double *)ctx : 1.0;
    double f = eng_eval(NULL, x, g, t);
    for (size_t i = 0; i < 13; i++) g[i] *= k;
    return k * f;
}

static double fmt_loss(void *ctx, const double *x, uint64_t t)
{
    double g[13];
    return fmt_eval(ctx, x, g, t);
}

/* 40 steps of adam on every ISA path (no reference) in format spec (NULL:
 * fp32), rows at the log-spaced steps. */
static int fmt_run(const char *spec, double *scale, int sam, eng_seen *s, ob_engine_result *r, char *msg,
                   size_t len)
{
    static double x0[13];
    for (size_t i = 0; i < 13; i++) x0[i] = 1.0;
    ob_engine_objective obj = {.n = 13, .x0 = x0, .eval = fmt_eval, .ctx = scale, .loss = fmt_loss,
                               .has_fstar = 1};
    ob_format f;
    if (spec) cr_assert_eq(ob_format_parse(spec, &f, msg, len), 0, "%s", msg);
    ob_engine_cfg c;
    memset(&c, 0, sizeof c);
    c.opt = ob_optimizer_find("adam");
    ob_hparams_default(c.opt, &c.h);
    c.h.lr = 0.05;
    if (sam) c.h.sam_rho = 0.05;
    c.steps = 40;
    c.paths = eng_paths() & ~1u;
    c.threads = 1;
    c.sampling = (ob_engine_sampling){.agree_dense = 5, .agree_every = 10, .measure_per_decade = 20};
    c.obs = (ob_engine_observer){s, NULL, NULL, seen_agree, seen_row, NULL};
    c.format = spec ? &f : NULL;
    return ob_engine_run(&obj, &c, r, msg, len);
}

Test(engine, the_all_fp32_format_steps_exactly_as_the_fp32_paths)
{
    eng_seen a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ob_engine_result ra, rb;
    char msg[256];
    cr_assert_eq(fmt_run(NULL, NULL, 0, &a, &ra, msg, sizeof msg), 0, "%s", msg);
    cr_assert_eq(fmt_run("fp32", NULL, 0, &b, &rb, msg, sizeof msg), 0, "%s", msg);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        const ob_engine_path_result *pa = &ra.p[OB_ENGINE_PATH_ISA(i)], *pb = &rb.p[OB_ENGINE_PATH_ISA(i)];
        cr_assert_eq(pa->ran, pb->ran);
        if (!pa->ran) continue;
        cr_assert(memcmp(&pa->final_loss, &pb->final_loss, sizeof(double)) == 0, "%s: %.17g vs %.17g",
                  ob_isa_name((ob_isa)i), pa->final_loss, pb->final_loss);
        cr_assert(pb->identical && pb->agree_ok && pb->agree_checked == 9);
        cr_assert_eq(pb->skipped_steps, 0);
        cr_assert_eq(pb->loss_scale, 1.0);
    }
    /* Rows at t = 0 and ob_engine_next_sample's steps (every step up to 10,
     * then 20 a decade, and the last). */
    size_t k = 0;
    cr_assert_eq(b.row_t[k++], 0);
    for (uint64_t t = 1; t; t = ob_engine_next_sample(t, 40, 20)) cr_assert_eq(b.row_t[k++], t);
    cr_assert_eq(b.n_rows, k);
    cr_assert_eq(b.row_t[k - 1], 40);
}

Test(engine, bf16_paths_are_identical_across_isas_and_within_the_format_bound)
{
    eng_seen s;
    memset(&s, 0, sizeof s);
    ob_engine_result r;
    char msg[256];
    cr_assert_eq(fmt_run("bf16-sr", NULL, 0, &s, &r, msg, sizeof msg), 0, "%s", msg);
    int ran = 0;
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        const ob_engine_path_result *p = &r.p[OB_ENGINE_PATH_ISA(i)];
        if (!p->ran) continue;
        ran++;
        cr_assert(p->identical, "%s differs at step %llu in %s", ob_isa_name((ob_isa)i),
                  (unsigned long long)p->first_diff_step, p->first_diff_array);
        cr_assert(p->agree_ok, "%s: %g of the bound: %s", ob_isa_name((ob_isa)i), p->max_agree, p->max_agree_where);
        cr_assert_eq(p->agree_checked, 9);
        cr_assert(p->final_loss < 45.5 && p->final_loss > 0);
    }
    cr_assert(ran >= 1);
}

Test(engine, an_fp16_gradient_that_overflows_skips_the_step_and_halves_the_loss_scale)
{
    eng_seen s;
    memset(&s, 0, sizeof s);
    ob_engine_result r;
    char msg[256];
    double big = 1e3; /* 13 * 1e3 * 65536 > fp16's largest, 65504 */
    cr_assert_eq(fmt_run("fp16-grads", &big, 0, &s, &r, msg, sizeof msg), 0, "%s", msg);
    const ob_engine_path_result *p = &r.p[OB_ENGINE_PATH_ISA(OB_ISA_SCALAR)];
    cr_assert(p->skipped_steps > 0);
    cr_assert(p->loss_scale < OB_ENGINE_LOSS_SCALE_INIT, "scale %g", p->loss_scale);
    cr_assert(p->final_loss < 45.5e3, "it still converges once the scale fits");
}

Test(engine, a_format_is_refused_with_sam)
{
    eng_seen s;
    memset(&s, 0, sizeof s);
    ob_engine_result r;
    char msg[256];
    cr_assert_eq(fmt_run("bf16", NULL, 1, &s, &r, msg, sizeof msg), -1);
    cr_assert(strstr(msg, "without SAM"), "%s", msg);
    cr_assert_eq(r.status, OB_ENGINE_EHPARAMS);
}

Test(engine, the_run_policy_measures_about_a_thousand_or_fifty_steps)
{
    ob_engine_sampling a = ob_engine_sampling_convergence(100000, 0);
    cr_assert_eq(a.measure_every, 100);
    cr_assert_eq(a.agree_dense, OB_ENGINE_EVERY_STEP);
    cr_assert_eq(ob_engine_sampling_convergence(500, 0).measure_every, 1);
    cr_assert_eq(ob_engine_sampling_convergence(500, 1).measure_every, 10);
    cr_assert_eq(ob_engine_sampling_convergence(40, 1).measure_every, 1);
}
