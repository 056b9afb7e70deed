/*
 * test_sweep.c — `optbench sweep`: the runs it records and the best
 * setting it picks, seeds, resuming after SIGKILL and SIGINT (finished
 * runs are not redone, and the result equals an uninterrupted sweep),
 * specifications that differ from the recorded one, bad grid
 * specifications, random search, keys only some optimizers have, and the
 * sensitivity figure.
 *
 * Every sweep runs as a child process (ob_tp_run: its own environment for
 * the test hooks, and a SIGKILL that cannot take the test down).  Problems
 * are tiny (n = 10, <= 100 steps): the whole file takes a few seconds.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/report/ob_report.h"
#include "harness/core/ob_core.h"
#include "harness/sweep/ob_sweep.h"
#include "common/ob_test_proc.h"

/* A scratch folder for one test, and one for the captured output
 * (ob_tp_dirs). */
typedef ob_tp_dirs scratch;

static int sweep(const scratch *s, const char *const *argv, const char *const *env, char **out, char **err)
{
    return ob_tp_run(argv, env, s->io, out, err);
}

/* The one run folder `optbench sweep --out root` made. */
static void run_dir(const char *root, char *buf, size_t len)
{
    DIR *d = opendir(root);
    cr_assert(d, "no folder %s", root);
    buf[0] = '\0';
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') {
            cr_assert(!buf[0], "more than one run folder in %s", root);
            snprintf(buf, len, "%s/%s", root, e->d_name);
        }
    closedir(d);
    cr_assert(buf[0], "no run folder in %s", root);
}

/* One `optbench sweep ARGS --out <scratch>/<tag>` and what it left: its
 * exit status (asserted to be want_rc), output and run folder. */
typedef struct outcome {
    int rc;
    char *out, *err;
    char run[512];
} outcome;

static void sweep_out(const scratch *s, const char *tag, const char *const *args, const char *const *env,
                      int want_rc, outcome *o)
{
    char root[256];
    const char *argv[64] = {"sweep"};
    size_t n = 1;
    snprintf(root, sizeof root, "%s/%s", s->dir, tag);
    while (*args && n < 60) argv[n++] = *args++;
    argv[n++] = "--out";
    argv[n++] = root;
    argv[n] = NULL;
    o->rc = sweep(s, argv, env, &o->out, &o->err);
    cr_assert_eq(o->rc, want_rc, "sweep exited %d, expected %d:\n%s\n%s", o->rc, want_rc, o->err, o->out);
    run_dir(root, o->run, sizeof o->run);
}

static void outcome_free(outcome *o)
{
    free(o->out);
    free(o->err);
}

static size_t count_points(const char *run)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sweep/points", run);
    DIR *d = opendir(path);
    cr_assert(d, "no %s", path);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        cr_assert(!strstr(e->d_name, ".tmp."), "temporary file left: %s", e->d_name);
        n += l > 5 && !strcmp(e->d_name + l - 5, ".json");
    }
    closedir(d);
    return n;
}

static cJSON *read_sweep(const char *run)
{
    char path[512], msg[512];
    snprintf(path, sizeof path, "%s/sweep/sweep.json", run);
    cJSON *j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j, "%s", msg);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring, "optbench-sweep");
    cr_assert_eq(cJSON_GetObjectItem(j, "version")->valuedouble, 1);
    return j;
}

static const cJSON *find_entry(const cJSON *doc, const char *array, const char *problem, const char *opt)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, array))
    {
        if (!strcmp(cJSON_GetObjectItem(e, "problem")->valuestring, problem) &&
            (!opt || !strcmp(cJSON_GetObjectItem(e, "optimizer")->valuestring, opt)))
            return e;
    }
    return NULL;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* ---- bookkeeping and the best setting -------------------------------------------- */

/* quad_diag with cond = 100 has curvatures 1..100: SGD converges for
 * lr < 2/100, so lr = 1 diverges, lr = 1e-4 barely moves in 100 steps and
 * lr = 1e-2 is the clear best. */
Test(sweep, tiny_sweep_records_every_run_and_picks_the_best)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-sweep");
    const char *args[] = {"--opt",   "sgd,rmsprop", "--problem",   "quad_diag", "--param", "cond=100",
                          "--n",     "10",          "--steps",     "100",       "--grid",  "lr=1e-4,1e-2,1",
                          "--seeds", "2",           "--all-seeds", "--jobs",    "2",       "--no-figures",
                          NULL};
    outcome o;
    sweep_out(&s, "results", args, NULL, 0, &o);
    const char *run = o.run, *out = o.out;
    /* 2 optimizers x 3 lrs x 2 seeds, one record each. */
    cr_assert_eq(count_points(run), 12);
    cJSON *doc = read_sweep(run);
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "status")->valuestring, "complete");
    cr_assert_eq(num(doc, "runs_planned"), 12);
    cr_assert_eq(num(doc, "runs_done"), 12);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "points")), 6);
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "points"))
    {
        cr_assert_eq(num(p, "seeds"), 2);
        cr_assert_eq(num(p, "seeds_done"), 2);
        const cJSON *runs = cJSON_GetObjectItem(p, "runs");
        cr_assert_eq(cJSON_GetArraySize(runs), 2);
        for (int k = 0; k < 2; k++) {
            const cJSON *r = cJSON_GetArrayItem(runs, k);
            cr_assert_eq(num(r, "seed"), k);
            char path[768];
            snprintf(path, sizeof path, "%s/%s", run, cJSON_GetObjectItem(r, "file")->valuestring);
            cr_assert(access(path, F_OK) == 0, "missing %s", path);
        }
        /* lr = 1 diverges SGD on both seeds: the median is +inf (null). */
        double lr = num(cJSON_GetObjectItem(p, "hparams"), "lr");
        if (!strcmp(cJSON_GetObjectItem(p, "optimizer")->valuestring, "sgd") && lr == 1) {
            cr_assert(cJSON_IsNull(cJSON_GetObjectItem(p, "median")));
            cr_assert_eq(num(p, "diverged"), 2);
        }
    }
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "best")), 2);
    const cJSON *b = find_entry(doc, "best", "quad_diag", "sgd");
    cr_assert(b);
    cr_assert_eq(num(cJSON_GetObjectItem(b, "hparams"), "lr"), 1e-2, "best sgd lr: %g",
                 num(cJSON_GetObjectItem(b, "hparams"), "lr"));
    cr_assert_eq(num(cJSON_GetObjectItem(b, "swept"), "lr"), 1e-2);
    cr_assert_eq(num(cJSON_GetObjectItem(b, "hparams"), "momentum"), 0,
                 "the full hyperparameters are recorded");
    cr_assert_str_eq(cJSON_GetObjectItem(b, "criterion")->valuestring, "loss");
    cr_assert_eq(num(b, "seeds"), 2);
    /* quad_diag does not depend on the seed: the spread is nil. */
    cr_assert(num(b, "median") > 0 && num(b, "median") == num(b, "min") && num(b, "min") == num(b, "max"));
    /* The other optimizer's best has the smallest median, unless both are
     * within the target (then equal) and the best got there sooner. */
    b = find_entry(doc, "best", "quad_diag", "rmsprop");
    cr_assert(b);
    const cJSON *pr = find_entry(doc, "problems", "quad_diag", NULL);
    double fstar = num(pr, "fstar"), tol = num(pr, "tol");
    double best = num(b, "median"), best_lr = num(cJSON_GetObjectItem(b, "swept"), "lr");
    double best_steps = num(b, "steps_to_target_median");
    cr_assert(fstar == 0 && tol > 0);
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "points"))
    {
        if (strcmp(cJSON_GetObjectItem(p, "optimizer")->valuestring, "rmsprop")) continue;
        double m = num(p, "median"), st = num(cJSON_GetObjectItem(p, "steps_to_target"), "median");
        if (!(m < best)) continue;
        cr_assert(best - fstar <= tol && m - fstar <= tol && !(st < best_steps),
                  "rmsprop lr=%g (median %g, %g steps) beats the best lr=%g (median %g, %g steps)",
                  num(cJSON_GetObjectItem(p, "hparams"), "lr"), m, st, best_lr, best, best_steps);
    }
    cr_assert(strstr(out, "quad_diag") && strstr(out, "lr=0.01"), "summary:\n%s", out);
    char line[64];
    snprintf(line, sizeof line, "lr=%.4g", best_lr);
    cr_assert(strstr(out, line), "summary lacks %s:\n%s", line, out);
    cJSON_Delete(doc);
    outcome_free(&o);
    ob_tp_dirs_free(&s);
}

Test(sweep, deterministic_problems_run_one_seed_stochastic_ones_k)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-sweep");
    const char *args[] = {"--opt",  "sgd",         "--problem",    "quad_diag,nqm",
                          "--n",    "10",          "--steps",      "50",
                          "--grid", "lr=0.01,0.1", "--seeds",      "3",
                          "--jobs", "1",           "--no-figures", NULL};
    outcome o;
    sweep_out(&s, "results", args, NULL, 0, &o);
    cr_assert(strstr(o.err, "quad_diag is deterministic: it runs seed 0 only"), "no note:\n%s", o.err);
    cr_assert_eq(count_points(o.run), 2 * 1 + 2 * 3);
    cJSON *doc = read_sweep(o.run);
    cr_assert_eq(num(find_entry(doc, "problems", "quad_diag", NULL), "seeds"), 1);
    cr_assert_eq(num(find_entry(doc, "problems", "nqm", NULL), "seeds"), 3);
    /* The seeds of a stochastic problem draw different samples. */
    const cJSON *p = find_entry(doc, "points", "nqm", "sgd");
    const cJSON *runs = cJSON_GetObjectItem(p, "runs");
    double l0 = num(cJSON_GetArrayItem(runs, 0), "final_loss"),
           l1 = num(cJSON_GetArrayItem(runs, 1), "final_loss");
    cr_assert(isfinite(l0) && isfinite(l1) && l0 != l1, "seeds 0 and 1 gave %g and %g", l0, l1);
    cr_assert(num(p, "min") < num(p, "max"));
    cJSON_Delete(doc);
    outcome_free(&o);
    ob_tp_dirs_free(&s);
}

/* ---- resuming ---------------------------------------------------------------------- */

typedef struct file_id {
    char name[256];
    ino_t ino;
    struct timespec mtime;
} file_id;

static size_t snapshot(const char *run, file_id *ids, size_t max)
{
    char dir[512], path[1024];
    snprintf(dir, sizeof dir, "%s/sweep/points", run);
    DIR *d = opendir(dir);
    cr_assert(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < max;) {
        if (e->d_name[0] == '.') continue;
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        cr_assert(stat(path, &st) == 0);
        snprintf(ids[n].name, sizeof ids[n].name, "%s", e->d_name);
        ids[n].ino = st.st_ino;
        ids[n].mtime = st.st_mtim;
        n++;
    }
    closedir(d);
    return n;
}

/* The parts of sweep.json that must not depend on how the sweep was run
 * (in one go or resumed, one job or two). */
static void assert_same_results(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"spec", "axes", "problems", "points", "best", "runs_done", "status"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *x = cJSON_GetObjectItem(a, keys[k]), *y = cJSON_GetObjectItem(b, keys[k]);
        cr_assert(x && y && cJSON_Compare(x, y, 1), "sweep.json \"%s\" differs:\n%s\n---\n%s", keys[k],
                  cJSON_PrintUnformatted(x), cJSON_PrintUnformatted(y));
    }
}

#define RESUME_SPEC \
    "--opt", "sgd,adam", "--problem", "quad_diag,nqm", "--n", "10", "--steps", "60", "--grid", \
        "lr=log:1e-3:1:4", "--seeds", "2"

Test(sweep, resume_after_sigkill_redoes_nothing_and_matches_an_uninterrupted_sweep, .timeout = 120)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-sweep");
    char cut[512];
    snprintf(cut, sizeof cut, "%s/cut", s.dir);
    cr_assert(mkdir(cut, 0755) == 0);
    char *out, *err;
    /* quad_diag: 2 optimizers x 4 lrs x 1 seed; nqm: x 2 seeds. */
    const size_t total = 8 + 16;
    const char *a1[] = {RESUME_SPEC, "--jobs", "2", "--no-figures", "--quiet", NULL};
    outcome whole;
    sweep_out(&s, "results", a1, NULL, 0, &whole);
    cr_assert_eq(count_points(whole.run), total);

    /* The same sweep, killed outright after its fifth record. */
    const char *a2[] = {"sweep", RESUME_SPEC, "--jobs", "1", "--run", cut, "--no-figures", "--quiet", NULL};
    const char *kill5[] = {OB_SWEEP_TEST_SIGNAL_ENV "=5:9", NULL};
    int rc = sweep(&s, a2, kill5, &out, &err);
    cr_assert_eq(rc, 1000 + 9, "expected death by SIGKILL, got %d:\n%s", rc, err);
    free(out);
    free(err);
    file_id before[64];
    size_t nb = snapshot(cut, before, 64);
    cr_assert_eq(nb, 5, "%zu records after the kill", nb);

    /* --resume takes the recorded options; the five are not redone. */
    const char *a3[] = {"sweep", "--resume", cut, "--jobs", "2", "--no-figures", NULL};
    rc = sweep(&s, a3, NULL, &out, &err);
    cr_assert_eq(rc, 0, "resume failed (%d):\n%s", rc, err);
    cr_assert(strstr(err, "resuming: 5 of 24 runs already recorded"), "%s", err);
    cr_assert_eq(count_points(cut), total);
    file_id after[64];
    size_t na = snapshot(cut, after, 64);
    for (size_t i = 0; i < nb; i++) {
        int found = 0;
        for (size_t j = 0; j < na; j++) {
            if (strcmp(before[i].name, after[j].name)) continue;
            found = 1;
            cr_assert(before[i].ino == after[j].ino && before[i].mtime.tv_sec == after[j].mtime.tv_sec &&
                          before[i].mtime.tv_nsec == after[j].mtime.tv_nsec,
                      "%s was written again", before[i].name);
        }
        cr_assert(found, "%s vanished", before[i].name);
    }
    free(out);
    free(err);
    cJSON *x = read_sweep(whole.run), *y = read_sweep(cut);
    assert_same_results(x, y);
    outcome_free(&whole);
    cJSON_Delete(x);
    cJSON_Delete(y);
    ob_tp_dirs_free(&s);
}

Test(sweep, sigint_saves_what_finished_and_the_same_options_resume, .timeout = 120)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-sweep");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/run", s.dir);
    cr_assert(mkdir(dir, 0755) == 0);
    char *out, *err;
    const char *argv[] = {"sweep", RESUME_SPEC, "--jobs", "1", "--run", dir, "--no-figures", NULL};
    const char *int3[] = {OB_SWEEP_TEST_SIGNAL_ENV "=3:2", NULL};
    int rc = sweep(&s, argv, int3, &out, &err);
    cr_assert_eq(rc, 130, "expected 130 after SIGINT, got %d:\n%s", rc, err);
    cr_assert(strstr(err, "interrupted by SIGINT") && strstr(err, "optbench sweep --resume"), "%s", err);
    cJSON *doc = read_sweep(dir);
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "status")->valuestring, "interrupted");
    cr_assert_eq(num(doc, "runs_done"), 3);
    cJSON_Delete(doc);
    free(out);
    free(err);
    /* The same command again finishes it. */
    rc = sweep(&s, argv, NULL, &out, &err);
    cr_assert_eq(rc, 0, "rerun failed (%d):\n%s", rc, err);
    cr_assert(strstr(err, "resuming: 3 of 24"), "%s", err);
    doc = read_sweep(dir);
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "status")->valuestring, "complete");
    cJSON_Delete(doc);
    free(out);
    free(err);
    /* Different options into the same folder: an error naming the difference. */
    const char *other[] = {"sweep", "--opt",   "sgd,adam", "--problem", "quad_diag,nqm",   "--n",
                           "10",    "--steps", "60",       "--grid",    "lr=log:1e-3:1:5", "--seeds",
                           "2",     "--run",   dir,        NULL};
    rc = sweep(&s, other, NULL, &out, &err);
    cr_assert_eq(rc, 2, "a different spec gave %d:\n%s", rc, err);
    cr_assert(strstr(err, "recorded with --grid 'lr=log:1e-3:1:4', now --grid 'lr=log:1e-3:1:5'"), "%s", err);
    free(out);
    free(err);
    const char *fewer[] = {"sweep", "--opt",   "sgd", "--problem", "quad_diag,nqm",   "--n",
                           "10",    "--steps", "60",  "--grid",    "lr=log:1e-3:1:4", "--seeds",
                           "2",     "--run",   dir,   NULL};
    rc = sweep(&s, fewer, NULL, &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "recorded with --opt 'sgd,adam', now --opt 'sgd'"), "%s", err);
    free(out);
    free(err);
    /* --resume with spec options is ambiguous. */
    const char *both[] = {"sweep", "--resume", dir, "--grid", "lr=0.1", NULL};
    rc = sweep(&s, both, NULL, &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "--grid cannot be given with it"), "%s", err);
    free(out);
    free(err);
    ob_tp_dirs_free(&s);
}

/* ---- bad specifications ------------------------------------------------------------------ */

typedef struct bad_spec {
    const char *grid, *grid2; /* grid2: a second --grid, or NULL */
    const char *message;
} bad_spec;

static const bad_spec bad_specs[] = {
    {"lr=exp:1e-5:1:3", NULL, "--grid 'lr=exp:1e-5:1:3': unknown spacing 'exp'"},
    {"lr=log:1:0.1:3", NULL, "LO = 1 is greater than HI = 0.1"},
    {"lr=lin:2:1:3", NULL, "LO = 2 is greater than HI = 1"},
    {"lr=log:0:1:3", NULL, "log spacing needs LO > 0, got 0"},
    {"lr=log:-1e-3:1:3", NULL, "log spacing needs LO > 0, got -0.001"},
    {"lr=lin:0.1:1:0", NULL, "N '0' is not an integer >= 1"},
    {"lr=lin:0.1:1:2.5", NULL, "N '2.5' is not an integer >= 1"},
    {"lr=lin:0.1:1:-3", NULL, "N '-3' is not an integer >= 1"},
    {"lr=lin:x:1:3", NULL, "LO 'x' is not a finite number"},
    {"lr=lin:0.1:inf:3", NULL, "HI 'inf' is not a finite number"},
    {"lr=log:1e-3:1", NULL, "expected log:LO:HI:N"},
    {"lr=log:1e-3:1:3:4", NULL, "expected log:LO:HI:N"},
    {"lr=", NULL, "--grid 'lr=': empty list of values"},
    {"lr=0.1,,0.2", NULL, "empty value at position 2 of the list"},
    {"lr=0.1,fast", NULL, "'fast' is not a finite number"},
    {"lr=nan", NULL, "'nan' is not a finite number"},
    {"lr", NULL, "--grid 'lr': expected KEY=log:LO:HI:N, KEY=lin:LO:HI:N or KEY=V1,V2,..."},
    {"=0.1", NULL, "--grid '=0.1': expected KEY=log"},
    {"learning_rate=0.1,0.2", NULL, "unknown key 'learning_rate': no chosen optimizer has it"},
    {"amsgrad=log:1:2:2", NULL, "amsgrad is a boolean; give a list (amsgrad=0,1)"},
    {"amsgrad=0,2", NULL, "amsgrad is a boolean; 2 is not 0, 1, false or true"},
    {"lr=0.1", "lr=0.2", "'lr' is already swept by --grid 'lr=0.1'"},
    {NULL, NULL, "nothing to sweep: give at least one --grid"},
};

Test(sweep, bad_grid_specifications_are_rejected_with_exit_2)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-sweep");
    char root[256];
    snprintf(root, sizeof root, "%s/results", s.dir);
    for (size_t i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
        const bad_spec *b = &bad_specs[i];
        const char *argv[16] = {"sweep", "--opt", "adam,sgd", "--problem", "quad_diag", "--out", root};
        size_t n = 7;
        if (b->grid) {
            argv[n++] = "--grid";
            argv[n++] = b->grid;
        }
        if (b->grid2) {
            argv[n++] = "--grid";
            argv[n++] = b->grid2;
        }
        argv[n] = NULL;
        char *out, *err;
        int rc = sweep(&s, argv, NULL, &out, &err);
        cr_expect_eq(rc, 2, "--grid '%s': exit %d, expected 2:\n%s", b->grid, rc, err);
        cr_expect(strstr(err, b->message), "--grid '%s': the message lacks \"%s\":\n%s", b->grid, b->message,
                  err);
        free(out);
        free(err);
    }
    /* Other bad options of the sweep itself. */
    static const struct {
        const char *opt, *val, *message;
    } bad_opts[] = {
        {"--random", "0", "--random: '0' is not an integer >= 1"},
        {"--seeds", "0", "--seeds: '0' is not an integer >= 1"},
        {"--jobs", "0", "--jobs: '0' is not an integer in [1, 1024]"},
        {"--criterion", "fastest", "--criterion 'fastest': expected loss or steps"},
        {"--isa", "sse9", "unknown --isa 'sse9'"},
        {"--set", "beta9=1", "--set beta9=1: no chosen optimizer has a hyperparameter 'beta9'"},
        {"--set", "lr=0.1", "'lr' is also fixed by --set lr=0.1"},
    };
    for (size_t i = 0; i < sizeof bad_opts / sizeof bad_opts[0]; i++) {
        const char *argv[] = {"sweep",         "--opt",  "adam,sgd", "--problem",
                              "quad_diag",     "--grid", "lr=0.1,1", bad_opts[i].opt,
                              bad_opts[i].val, "--out",  root,       NULL};
        char *out, *err;
        int rc = sweep(&s, argv, NULL, &out, &err);
        cr_expect_eq(rc, 2, "%s %s: exit %d:\n%s", bad_opts[i].opt, bad_opts[i].val, rc, err);
        cr_expect(strstr(err, bad_opts[i].message), "%s %s: the message lacks \"%s\":\n%s", bad_opts[i].opt,
                  bad_opts[i].val, bad_opts[i].message, err);
        free(out);
        free(err);
    }
    /* A rejected specification writes nothing. */
    cr_expect(access(root, F_OK) != 0, "%s was created for a rejected sweep", root);
    ob_tp_dirs_free(&s);
}

/* ---- search spaces ---------------------------------------------------------------------------- */

/* The lrs of the points of one optimizer, in the order of sweep.json. */
static size_t point_lrs(const cJSON *doc, const char *opt, double *lr, size_t max)
{
    size_t n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(
        p, cJSON_GetObjectItem(
               doc, "points")) if (!strcmp(cJSON_GetObjectItem(p, "optimizer")->valuestring, opt) && n < max)
        lr[n++] = num(cJSON_GetObjectItem(p, "hparams"), "lr");
    return n;
}

Test(sweep, random_search_is_reproducible_and_stays_in_range)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-sweep");
    double lrs[3][16];
    const char *seeds[3] = {"7", "7", "8"};
    for (int k = 0; k < 3; k++) {
        char tag[16];
        snprintf(tag, sizeof tag, "r%d", k);
        const char *args[] = {"--opt",  "adam",          "--problem", "quad_diag", "--n",
                              "10",     "--steps",       "20",        "--grid",    "lr=log:1e-4:1e-1:2",
                              "--grid", "beta1=0.5,0.9", "--random",  "6",         "--seed",
                              seeds[k], "--no-figures",  "--quiet",   NULL};
        outcome o;
        sweep_out(&s, tag, args, NULL, 0, &o);
        cJSON *doc = read_sweep(o.run);
        cr_assert_eq(point_lrs(doc, "adam", lrs[k], 16), 6);
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "points"))
        {
            double b1 = num(cJSON_GetObjectItem(p, "hparams"), "beta1");
            cr_assert(b1 == 0.5 || b1 == 0.9, "beta1 %g is not one of the list", b1);
        }
        for (int i = 0; i < 6; i++)
            cr_assert(lrs[k][i] >= 1e-4 && lrs[k][i] <= 1e-1, "lr %g out of range", lrs[k][i]);
        cJSON_Delete(doc);
        outcome_free(&o);
    }
    cr_assert(!memcmp(lrs[0], lrs[1], 6 * sizeof(double)), "the same --seed drew different points");
    cr_assert(memcmp(lrs[0], lrs[2], 6 * sizeof(double)), "another --seed drew the same points");
    ob_tp_dirs_free(&s);
}

Test(sweep, keys_apply_to_the_optimizers_that_have_them_and_invalid_points_are_skipped)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-sweep");
    /* momentum = 1 is outside SGD's [0, 1): skipped, with a note. */
    const char *args[] = {"--opt",  "sgd,adam",         "--problem",    "quad_diag", "--n",
                          "10",     "--steps",          "20",           "--grid",    "lr=log:1e-3:1e-1:3",
                          "--grid", "momentum=0,0.9,1", "--no-figures", NULL};
    outcome o;
    sweep_out(&s, "results", args, NULL, 0, &o);
    const char *err = o.err;
    cr_assert(
        strstr(err,
               "--grid momentum=0,0.9,1 applies only to the optimizers that have 'momentum' (not to adam)"),
        "%s", err);
    cr_assert(strstr(err, "3 settings outside the valid ranges skipped"), "%s", err);
    cJSON *doc = read_sweep(o.run);
    double lr[16];
    cr_assert_eq(point_lrs(doc, "sgd", lr, 16), 3 * 2);
    cr_assert_eq(point_lrs(doc, "adam", lr, 16), 3);
    const cJSON *skipped = cJSON_GetObjectItem(doc, "skipped");
    cr_assert_eq(cJSON_GetArraySize(skipped), 3);
    const cJSON *sk = cJSON_GetArrayItem(skipped, 0);
    cr_assert(strstr(cJSON_GetObjectItem(sk, "hparams")->valuestring, "momentum=1"));
    cr_assert(strstr(cJSON_GetObjectItem(sk, "reason")->valuestring, "momentum"), "%s",
              cJSON_GetObjectItem(sk, "reason")->valuestring);
    cJSON_Delete(doc);
    outcome_free(&o);
    ob_tp_dirs_free(&s);
}

/* ---- the figure ------------------------------------------------------------------------------- */

static int have_gnuplot(void)
{
    return system("gnuplot --version >/dev/null 2>&1") == 0;
}

Test(sweep, the_sensitivity_figure_renders, .timeout = 120)
{
    if (!have_gnuplot()) cr_skip_test("gnuplot is not installed");
    scratch s;
    ob_tp_dirs_make(&s, "test-sweep");
    char path[768];
    const char *args[] = {"--opt",   "sgd,adam", "--problem", "quad_diag", "--param", "cond=100",
                          "--n",     "10",       "--steps",   "50",        "--grid",  "lr=log:1e-4:10:6",
                          "--quiet", NULL};
    outcome o;
    sweep_out(&s, "results", args, NULL, 0, &o);
    const char *run = o.run;
    /* ob_png_size checks the PNG signature and reads the IHDR chunk. */
    unsigned w = 0, h = 0;
    snprintf(path, sizeof path, "%s/sweep/quad_diag.png", run);
    cr_assert_eq(ob_png_size(path, &w, &h), 0, "%s is not a PNG", path);
    cr_assert(w == 1000 && h == 600, "%s is %ux%u", path, w, h);
    snprintf(path, sizeof path, "%s/sweep/quad_diag.svg", run);
    char *svg = ob_tp_slurp(path, NULL);
    cr_assert(svg && strstr(svg, "<svg"), "%s", path);
    free(svg);
    snprintf(path, sizeof path, "%s/sweep/data/quad_diag.sgd.csv", run);
    char *csv = ob_tp_slurp(path, NULL);
    cr_assert(csv && !strncmp(csv, "x,median,min,max,flag,best\n", 27), "%s", csv ? csv : path);
    free(csv);
    cJSON *doc = read_sweep(run);
    const cJSON *figs = cJSON_GetObjectItem(doc, "figures");
    cr_assert_eq(cJSON_GetArraySize(figs), 1);
    cr_assert_str_eq(cJSON_GetArrayItem(figs, 0)->valuestring, "sweep/quad_diag.png");
    cJSON_Delete(doc);
    outcome_free(&o);
    ob_tp_dirs_free(&s);
}

Test(sweep, a_missing_gnuplot_is_named_and_the_results_are_kept)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-sweep");
    const char *args[] = {"--opt",   "sgd", "--problem", "quad_diag",   "--n",     "10",
                          "--steps", "20",  "--grid",    "lr=0.01,0.1", "--quiet", NULL};
    const char *env[] = {"OPTBENCH_GNUPLOT=/nonexistent/gnuplot", NULL};
    outcome o;
    sweep_out(&s, "results", args, env, 1, &o);
    cr_assert(strstr(o.err, "sweep_sensitivity.gp") && strstr(o.err, "/nonexistent/gnuplot") &&
                  strstr(o.err, "results are kept"),
              "%s", o.err);
    cJSON *doc = read_sweep(o.run);
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "status")->valuestring, "complete");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "best")), 1);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "figures")), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "figure_errors")), 1);
    cJSON_Delete(doc);
    outcome_free(&o);
    ob_tp_dirs_free(&s);
}
