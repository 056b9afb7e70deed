/*
 * test_sweep_search.c — quasi-random and Bayesian search (`optbench sweep
 * --search sobol|halton|bayes --budget N`): GSL's Sobol and Halton points
 * against the sequences computed here from their definitions, the map to
 * the --grid ranges, the Gaussian process on a 1-D function with a known
 * minimum (expected improvement is largest there), the determinism and the
 * resumption of a Bayesian search, and bad options.
 *
 * Sweeps run as child processes (ob_tp_run); problems are tiny (n = 10,
 * <= 60 steps), so the file takes a few seconds.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/core/ob_core.h"
#include "harness/sweep/sweep_internal.h"
#include "common/ob_test_proc.h"

/* ---- the sequences, from their definitions ---------------------------------------- */

/* Sobol's first two dimensions (Sobol 1967; Bratley & Fox 1988): direction
 * numbers m_k = 1 (dimension 1) and m_k = 2 m_{k-1} xor m_{k-1}, m_1 = 1
 * (dimension 2, the polynomial x + 1); point n (from 1, as GSL skips the
 * origin) is the xor of v_k = m_k / 2^k over the bits k of the Gray code
 * n xor n/2. */
static void sobol_point(unsigned n, double out[2])
{
    unsigned g = n ^ (n >> 1), x[2] = {0, 0}, m2 = 1;
    for (unsigned k = 1; k <= 20; k++) {
        if (k > 1) m2 = (m2 << 1) ^ m2;
        if (g & (1u << (k - 1))) {
            x[0] ^= 1u << (20 - k);
            x[1] ^= m2 << (20 - k);
        }
    }
    out[0] = x[0] / (double)(1u << 20);
    out[1] = x[1] / (double)(1u << 20);
}

/* Halton (1960): the radical inverse of n in base b, point n from 1. */
static double radical_inverse(unsigned n, unsigned b)
{
    double x = 0, f = 1.0 / b;
    for (; n; n /= b, f /= b) x += f * (n % b);
    return x;
}

Test(search, sobol_points_are_gsl_s_and_the_definition_s)
{
    double u[16 * 2], want[2];
    char err[256];
    cr_assert_eq(ob_sweep_qrng_points(OB_SWEEP_SEARCH_SOBOL, 2, 16, 0, u, err, sizeof err), 0, "%s", err);
    /* The first points GSL's manual prints (gsl_qrng example). */
    static const double published[5][2] = {{0.5, 0.5}, {0.75, 0.25}, {0.25, 0.75}, {0.375, 0.375}, {0.875, 0.875}};
    for (int i = 0; i < 5; i++)
        cr_assert(u[2 * i] == published[i][0] && u[2 * i + 1] == published[i][1], "point %d: (%g, %g)", i + 1,
                  u[2 * i], u[2 * i + 1]);
    for (unsigned i = 0; i < 16; i++) {
        sobol_point(i + 1, want);
        cr_assert(u[2 * i] == want[0] && u[2 * i + 1] == want[1], "point %u: (%g, %g), expected (%g, %g)", i + 1,
                  u[2 * i], u[2 * i + 1], want[0], want[1]);
    }
}

Test(search, halton_points_are_radical_inverses_in_bases_2_and_3)
{
    double u[20 * 2];
    char err[256];
    cr_assert_eq(ob_sweep_qrng_points(OB_SWEEP_SEARCH_HALTON, 2, 20, 0, u, err, sizeof err), 0, "%s", err);
    cr_assert(u[0] == 0.5 && fabs(u[1] - 1.0 / 3) < 1e-15, "first point (%g, %g)", u[0], u[1]);
    for (unsigned i = 0; i < 20; i++)
        cr_assert(fabs(u[2 * i] - radical_inverse(i + 1, 2)) < 1e-15 &&
                      fabs(u[2 * i + 1] - radical_inverse(i + 1, 3)) < 1e-15,
                  "point %u: (%.17g, %.17g)", i + 1, u[2 * i], u[2 * i + 1]);
}

Test(search, a_seed_shifts_every_point_by_one_vector_modulo_1)
{
    double a[8 * 3], b[8 * 3];
    char err[256];
    cr_assert_eq(ob_sweep_qrng_points(OB_SWEEP_SEARCH_SOBOL, 3, 8, 0, a, err, sizeof err), 0);
    cr_assert_eq(ob_sweep_qrng_points(OB_SWEEP_SEARCH_SOBOL, 3, 8, 5, b, err, sizeof err), 0);
    for (int k = 0; k < 3; k++) {
        double shift = fmod(b[k] - a[k] + 1, 1);
        cr_assert(shift > 0, "seed 5 left dimension %d unshifted", k);
        for (int i = 0; i < 8; i++) {
            cr_assert(b[3 * i + k] >= 0 && b[3 * i + k] < 1);
            cr_assert(fabs(fmod(b[3 * i + k] - a[3 * i + k] + 1, 1) - shift) < 1e-12, "point %d dim %d", i, k);
        }
    }
    cr_assert_neq(ob_sweep_qrng_points(OB_SWEEP_SEARCH_SOBOL, OB_SWEEP_MAX_AXES + 1, 1, 0, a, err, sizeof err), 0);
}

Test(search, the_unit_interval_maps_to_the_ranges_log_in_log_space)
{
    ob_sweep_axis lg, ln, ls;
    char err[256];
    cr_assert_eq(ob_sweep_axis_parse("lr=log:1e-4:1:9", &lg, err, sizeof err), 0);
    cr_assert_eq(ob_sweep_axis_parse("momentum=lin:0:0.8:3", &ln, err, sizeof err), 0);
    cr_assert_eq(ob_sweep_axis_parse("beta2=0.9,0.99,0.999", &ls, err, sizeof err), 0);
    cr_assert(fabs(ob_sweep_axis_at(&lg, 0.5) - 1e-2) < 1e-17 && fabs(ob_sweep_axis_at(&lg, 0.75) - 1e-1) < 1e-16);
    cr_assert_eq(ob_sweep_axis_at(&lg, 0), 1e-4);
    cr_assert(fabs(ob_sweep_axis_at(&ln, 0.25) - 0.2) < 1e-15);
    cr_assert(ob_sweep_axis_at(&ls, 0.1) == 0.9 && ob_sweep_axis_at(&ls, 0.5) == 0.99 &&
              ob_sweep_axis_at(&ls, 0.99) == 0.999);
    /* The inverse, and a list's cells' middles. */
    cr_assert(fabs(ob_sweep_axis_unit(&lg, 1e-3) - 0.25) < 1e-15);
    cr_assert(fabs(ob_sweep_axis_unit(&ln, 0.6) - 0.75) < 1e-15);
    cr_assert(fabs(ob_sweep_axis_unit(&ls, 0.999) - 5.0 / 6) < 1e-15);
    cr_assert(fabs(ob_sweep_axis_snap(&ls, 0.4) - 0.5) < 1e-15 && ob_sweep_axis_snap(&lg, 1.5) == 1);
    ob_sweep_axis_free(&lg);
    ob_sweep_axis_free(&ln);
    ob_sweep_axis_free(&ls);
}

/* ---- the Gaussian process ---------------------------------------------------------- */

/* f(x) = (x - 0.3)^2 sampled away from its minimum: the GP's mean goes
 * through the samples, and EI (over a grid of candidates, then refined)
 * is largest at the minimum. */
Test(search, gp_ei_maximiser_lands_on_a_known_minimum)
{
    static const double xs[] = {0.0, 0.1, 0.55, 0.7, 0.85, 1.0};
    double y[6];
    for (int i = 0; i < 6; i++) y[i] = (xs[i] - 0.3) * (xs[i] - 0.3);
    ob_gp gp;
    char err[256];
    cr_assert_eq(ob_gp_fit(&gp, xs, y, 6, 1, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 6; i++) {
        double m, sd;
        ob_gp_predict(&gp, &xs[i], &m, &sd);
        cr_assert(fabs(m - y[i]) < 0.01, "mean %g at x = %g, sample %g", m, xs[i], y[i]);
    }
    double cand[101], x;
    size_t order[101];
    for (int i = 0; i <= 100; i++) cand[i] = i / 100.0;
    cr_assert_eq(ob_gp_argmax_ei(&gp, cand, 101, &x, order), 0);
    cr_assert(fabs(x - 0.3) < 0.05, "EI is largest at %g, not near the minimum 0.3 (length %g, noise %g)", x,
              gp.len[0], gp.noise);
    cr_assert(ob_gp_ei(&gp, &x) >= ob_gp_ei(&gp, &cand[order[0]]), "the refinement lost EI");
    /* The constant liar: with the best value told at x, EI there collapses. */
    double before = ob_gp_ei(&gp, &x);
    cr_assert_eq(ob_gp_add(&gp, &x, gp.best), 0);
    cr_assert(ob_gp_ei(&gp, &x) < 0.01 * before, "EI %g after the lie, %g before", ob_gp_ei(&gp, &x), before);
    ob_gp_free(&gp);
}

/* ---- sweeps ------------------------------------------------------------------------- */

typedef struct scratch {
    char dir[128], io[128];
} scratch;

/* `optbench sweep ARGS... --run <dir>/<tag>`; its exit status, output in
 * *out / *err (freed by the caller; NULL to drop). */
static int sweep_in(const scratch *s, const char *tag, const char *const *args, const char *const *env, char **err)
{
    const char *argv[64] = {"sweep"};
    size_t n = 1;
    char run[256];
    snprintf(run, sizeof run, "%s/%s", s->dir, tag);
    mkdir(run, 0755);
    while (*args && n < 58) argv[n++] = *args++;
    argv[n++] = "--run";
    argv[n++] = run;
    argv[n++] = "--no-figures";
    argv[n] = NULL;
    char *out = NULL, *e = NULL;
    int rc = ob_tp_run(argv, env, s->io, &out, &e);
    free(out);
    if (err) *err = e;
    else free(e);
    return rc;
}

static cJSON *sweep_json(const scratch *s, const char *tag)
{
    char path[512], msg[512];
    snprintf(path, sizeof path, "%s/%s/sweep/sweep.json", s->dir, tag);
    cJSON *j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j, "%s", msg);
    return j;
}

/* The swept value `key` of every point of `opt`, in sweep.json's order. */
static size_t values_of(const cJSON *doc, const char *opt, const char *key, double *v, size_t max)
{
    size_t n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "points"))
    {
        if (strcmp(cJSON_GetObjectItem(p, "optimizer")->valuestring, opt) || n >= max) continue;
        v[n++] = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "hparams"), key));
    }
    return n;
}

Test(search, sobol_and_halton_sweeps_take_the_sequences_points_in_the_ranges)
{
    scratch s;
    ob_tp_scratch(s.dir, sizeof s.dir, "test-search");
    ob_tp_scratch(s.io, sizeof s.io, "test-search-io");
    const char *kinds[] = {"sobol", "halton"};
    for (int k = 0; k < 2; k++) {
        const char *args[] = {"--opt",    "sgd",          "--problem", "quad_diag", "--n",     "10",
                              "--steps",  "20",           "--grid",    "lr=log:1e-4:1:9",     "--grid",
                              "momentum=lin:0:0.8:3",     "--search",  kinds[k],    "--budget", "6",
                              "--quiet",  NULL};
        char *err;
        int rc = sweep_in(&s, kinds[k], args, NULL, &err);
        cr_assert_eq(rc, 0, "%s: %s", kinds[k], err);
        free(err);
        cJSON *doc = sweep_json(&s, kinds[k]);
        double lr[8], mom[8], u[6 * 2], e[2];
        char msg[128];
        cr_assert_eq(values_of(doc, "sgd", "lr", lr, 8), 6);
        cr_assert_eq(values_of(doc, "sgd", "momentum", mom, 8), 6);
        ob_sweep_qrng_points(k ? OB_SWEEP_SEARCH_HALTON : OB_SWEEP_SEARCH_SOBOL, 2, 6, 0, u, msg, sizeof msg);
        for (int i = 0; i < 6; i++) {
            if (k == 0) sobol_point((unsigned)i + 1, e);
            else e[0] = radical_inverse((unsigned)i + 1, 2), e[1] = radical_inverse((unsigned)i + 1, 3);
            double want_lr = pow(10.0, -4 + 4 * e[0]), want_m = 0.8 * e[1];
            cr_assert(fabs(lr[i] / want_lr - 1) < 1e-12 && fabs(mom[i] - want_m) < 1e-12,
                      "%s point %d: lr %g momentum %g, expected %g %g", kinds[k], i, lr[i], mom[i], want_lr, want_m);
        }
        const cJSON *spec = cJSON_GetObjectItem(doc, "spec");
        cr_assert_str_eq(cJSON_GetObjectItem(spec, "search")->valuestring, kinds[k]);
        cr_assert_str_eq(cJSON_GetObjectItem(spec, "budget")->valuestring, "6");
        cr_assert_str_eq(cJSON_GetObjectItem(spec, "seed")->valuestring, "0");
        cJSON_Delete(doc);
    }
    ob_tp_rmtree(s.dir);
    ob_tp_rmtree(s.io);
}

#define BAYES_SPEC                                                                                       \
    "--opt", "sgd,adam", "--problem", "quad_diag,nqm", "--n", "10", "--steps", "40", "--grid",          \
        "lr=log:1e-4:1:9", "--search", "bayes", "--budget", "7", "--proposals", "2", "--seeds", "2", \
        "--jobs", "1", "--quiet"

/* The parts of sweep.json that the search decides. */
static void assert_same(const cJSON *a, const cJSON *b, const char *what)
{
    static const char *const keys[] = {"spec", "points", "best", "runs_done", "status"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *x = cJSON_GetObjectItem(a, keys[k]), *y = cJSON_GetObjectItem(b, keys[k]);
        cr_assert(x && y && cJSON_Compare(x, y, 1), "%s: sweep.json \"%s\" differs", what, keys[k]);
    }
}

Test(search, bayes_is_deterministic_and_a_resumed_search_equals_an_uninterrupted_one, .timeout = 120)
{
    scratch s;
    ob_tp_scratch(s.dir, sizeof s.dir, "test-search");
    ob_tp_scratch(s.io, sizeof s.io, "test-search-io");
    const char *args[] = {BAYES_SPEC, NULL};
    char *err;
    cr_assert_eq(sweep_in(&s, "a", args, NULL, &err), 0, "%s", err);
    free(err);
    cr_assert_eq(sweep_in(&s, "b", args, NULL, &err), 0, "%s", err);
    free(err);
    cJSON *a = sweep_json(&s, "a"), *b = sweep_json(&s, "b");
    assert_same(a, b, "two runs of one search");
    /* 2 problems x 2 optimizers x 7 settings; nqm runs 2 seeds. */
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(a, "points")), 28);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "runs_done")), 14 + 28);
    double lr[16];
    cr_assert_eq(values_of(a, "adam", "lr", lr, 16), 14);
    for (int i = 0; i < 14; i++) cr_assert(lr[i] >= 1e-4 && lr[i] <= 1, "lr %g outside the range", lr[i]);

    /* Killed in its second round (the 3 starting points per pair are 18
     * runs, each round 12 more: the 25th record is in the first round of
     * proposals), then resumed: the same points and results. */
    const char *kill[] = {OB_SWEEP_TEST_SIGNAL_ENV "=25:9", NULL};
    int rc = sweep_in(&s, "cut", args, kill, &err);
    cr_assert_eq(rc, 1000 + 9, "expected death by SIGKILL, got %d: %s", rc, err);
    free(err);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/cut", s.dir);
    const char *resume[] = {"sweep", "--resume", dir, "--jobs", "2", "--no-figures", NULL};
    char *out;
    rc = ob_tp_run(resume, NULL, s.io, &out, &err);
    cr_assert_eq(rc, 0, "resume: %s", err);
    cr_assert(strstr(err, "resuming: "), "%s", err);
    free(out);
    free(err);
    cJSON *c = sweep_json(&s, "cut");
    assert_same(a, c, "interrupted and resumed");

    /* Another seed searches elsewhere. */
    const char *other[] = {BAYES_SPEC, "--seed", "3", NULL};
    cr_assert_eq(sweep_in(&s, "d", other, NULL, NULL), 0);
    cJSON *d = sweep_json(&s, "d");
    cr_assert(!cJSON_Compare(cJSON_GetObjectItem(a, "points"), cJSON_GetObjectItem(d, "points"), 1),
              "seed 3 proposed the same points as seed 0");
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(d);
    ob_tp_rmtree(s.dir);
    ob_tp_rmtree(s.io);
}

Test(search, bad_search_options_exit_2_with_a_message)
{
    scratch s;
    ob_tp_scratch(s.dir, sizeof s.dir, "test-search");
    ob_tp_scratch(s.io, sizeof s.io, "test-search-io");
    static const struct {
        const char *a[6];
        const char *message;
    } bad[] = {
        {{"--search", "tpe", "--budget", "4"}, "unknown --search 'tpe' (known: sobol, halton, bayes"},
        {{"--search", "sobol", "--budget", "0"}, "--budget: '0' is not an integer >= 1"},
        {{"--search", "halton"}, "--search halton needs --budget N"},
        {{"--budget", "5"}, "--budget 5 needs --search sobol, halton or bayes"},
        {{"--search", "sobol", "--budget", "4", "--random", "3"}, "give either --random N or --search sobol"},
        {{"--search", "sobol", "--budget", "4", "--proposals", "2"}, "--proposals is for --search bayes only"},
        {{"--search", "bayes", "--budget", "4", "--proposals", "0"}, "--proposals: '0' is not an integer >= 1"},
        {{"--search-seeds", "3"}, "--search-seeds is for --compare-search"},
        {{"--compare-search", "--search", "sobol"}, "--compare-search runs every search itself; --search cannot"},
        {{"--compare-search", "--search-seeds", "0"}, "--search-seeds: '0' is not an integer in [1, 1000]"},
        {{"--search", "bayes", "--budget", "4", "--shard", "0/2"}, "--shard does not apply to --search bayes"},
        {{"--compare-search", "--shard", "1/2"}, "--shard does not apply to --compare-search"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[16] = {"--opt", "adam", "--problem", "quad_diag", "--grid", "lr=log:1e-3:1:4"};
        size_t n = 6;
        for (size_t k = 0; k < 6 && bad[i].a[k]; k++) args[n++] = bad[i].a[k];
        args[n] = NULL;
        char *err;
        int rc = sweep_in(&s, "bad", args, NULL, &err);
        cr_expect_eq(rc, 2, "case %zu: exit %d: %s", i, rc, err);
        cr_expect(strstr(err, bad[i].message), "case %zu: the message lacks \"%s\":\n%s", i, bad[i].message, err);
        free(err);
    }
    const char *lists[] = {"--opt", "adam", "--problem", "quad_diag", "--grid", "lr=0.01,0.1",
                           "--search", "bayes", "--budget", "4", NULL};
    char *err;
    cr_expect_eq(sweep_in(&s, "bad", lists, NULL, &err), 2);
    cr_expect(strstr(err, "--search bayes needs a range to search"), "%s", err);
    free(err);
    ob_tp_rmtree(s.dir);
    ob_tp_rmtree(s.io);
}

/* ---- --compare-search ------------------------------------------------------------ */

/* A tiny comparison in a run folder: every search's curve, the measure
 * in compare.json and compare.md, and the report's section with it. */
Test(search, compare_search_measures_every_search_and_the_report_shows_it, .timeout = 120)
{
    scratch s;
    ob_tp_scratch(s.dir, sizeof s.dir, "test-search");
    ob_tp_scratch(s.io, sizeof s.io, "test-search-io");
    char root[256], run[512] = "", path[768], *out, *err;
    snprintf(root, sizeof root, "%s/results", s.dir);
    const char *r[] = {"run", "--opt", "adam", "--problem", "booth", "--steps", "10", "--out", root, NULL};
    cr_assert_eq(ob_tp_run(r, NULL, s.io, &out, &err), 0, "%s", err);
    free(out);
    free(err);
    DIR *d = opendir(root);
    cr_assert(d);
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' && strcmp(e->d_name, "latest")) snprintf(run, sizeof run, "%s/%s", root, e->d_name);
    closedir(d);
    cr_assert(run[0], "no run folder in %s", root);
    const char *c[] = {"sweep",   "--compare-search", "--opt",  "sgd,adam",       "--problem",      "quad_diag,booth",
                       "--steps", "40",               "--grid", "lr=log:1e-4:1:12", "--search-seeds", "2",
                       "--run",   run,                "--jobs", "2",              "--quiet",        NULL};
    cr_assert_eq(ob_tp_run(c, NULL, s.io, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "| bayes | 2 | 6 |"), "%s", out);
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/sweep-compare/compare.json", run);
    char msg[256];
    cJSON *doc = ob_json_read(path, msg, sizeof msg);
    cr_assert(doc, "%s", msg);
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "format")->valuestring, OB_SWEEP_COMPARE_FORMAT);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "pairs")), 4);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "budget")), 6, "default budget: half the grid");
    const cJSON *row;
    int n = 0;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(doc, "summary"))
    {
        double share = cJSON_GetNumberValue(cJSON_GetObjectItem(row, "quarter_share_pairs"));
        cr_assert(share >= 0 && share <= 1);
        /* The full grid is its own reference. */
        if (!strcmp(cJSON_GetObjectItem(row, "method")->valuestring, "grid"))
            cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(row, "final_share_cases")), 1);
        n++;
    }
    cr_assert_eq(n, 4);
    cJSON_Delete(doc);
    /* curves.csv: the grid's 12 settings per pair, 6 for each seed of the others. */
    snprintf(path, sizeof path, "%s/sweep-compare/curves.csv", run);
    char *csv = ob_tp_slurp(path, NULL);
    size_t lines = 0;
    for (const char *p = csv; p && *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, 1 + 4 * 12 + 3 * 2 * 4 * 6, "%zu lines", lines);
    free(csv);
    const char *rep[] = {"report", "--run", run, "--quiet", "--no-figures", NULL};
    cr_assert_eq(ob_tp_run(rep, NULL, s.io, &out, &err), 0, "%s", err);
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/report.md", run);
    char *md = ob_tp_slurp(path, NULL);
    cr_assert(md && strstr(md, "### Search strategies") && strstr(md, "Bayesian search came within 10% of the full "
                                                                      "grid's best on"),
              "%s", md ? md : path);
    free(md);
    ob_tp_rmtree(s.dir);
    ob_tp_rmtree(s.io);
}
