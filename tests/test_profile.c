/*
 * test_profile.c — the measures of `optbench profile` (ob_profile.h) on
 * constructed runtimes whose performance profiles, data profiles, ECDFs
 * and scores are worked out by hand below: ties, a problem one solver
 * never solved, a problem nobody solved, and a single solver; and the
 * bootstrap, which is seeded and repeatable.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "harness/profile/ob_profile.h"

#define INF INFINITY
/* Two solvers A, B on four problems:
 *   p0: A 10, B 20   ratios 1, 2
 *   p1: A 30, B 30   a tie: 1, 1
 *   p2: A --, B 50   inf, 1
 *   p3: A --, B --   nobody: inf, inf */
static const double T[] = {10, 20, 30, 30, INF, 50, INF, INF};
static const double DIM[] = {1, 2, 4, 1};

Test(profile, ratios_with_ties_and_unsolved)
{
    cr_assert_eq(ob_prof_ratio(T, 2, 0, 0), 1.0);
    cr_assert_eq(ob_prof_ratio(T, 2, 0, 1), 2.0);
    cr_assert_eq(ob_prof_ratio(T, 2, 1, 0), 1.0);
    cr_assert_eq(ob_prof_ratio(T, 2, 1, 1), 1.0);
    cr_assert(isinf(ob_prof_ratio(T, 2, 2, 0)));
    cr_assert_eq(ob_prof_ratio(T, 2, 2, 1), 1.0);
    cr_assert(isinf(ob_prof_ratio(T, 2, 3, 0)) && isinf(ob_prof_ratio(T, 2, 3, 1)));
}

Test(profile, performance_profile_by_hand)
{
    /* A: ratios {1, 1, inf, inf}; B: {2, 1, 1, inf}. */
    cr_assert_eq(ob_prof_perf(T, 4, 2, 0, 1.0), 0.5);
    cr_assert_eq(ob_prof_perf(T, 4, 2, 0, 1e9), 0.5);
    cr_assert_eq(ob_prof_perf(T, 4, 2, 1, 1.0), 0.5);
    cr_assert_eq(ob_prof_perf(T, 4, 2, 1, 1.999), 0.5);
    cr_assert_eq(ob_prof_perf(T, 4, 2, 1, 2.0), 0.75);
    cr_assert_eq(ob_prof_perf(T, 4, 2, 1, 1e9), 0.75, "p3 stays unsolved");
}

Test(profile, data_profile_by_hand)
{
    /* t / (n + 1): A {5, 10, inf, inf}; B {10, 10, 10, inf}. */
    cr_assert_eq(ob_prof_data(T, DIM, 4, 2, 0, 4.99), 0.0);
    cr_assert_eq(ob_prof_data(T, DIM, 4, 2, 0, 5.0), 0.25);
    cr_assert_eq(ob_prof_data(T, DIM, 4, 2, 0, 10.0), 0.5);
    cr_assert_eq(ob_prof_data(T, DIM, 4, 2, 1, 9.99), 0.0);
    cr_assert_eq(ob_prof_data(T, DIM, 4, 2, 1, 10.0), 0.75);
}

Test(profile, ecdf_by_hand)
{
    cr_assert_eq(ob_prof_ecdf(T, 4, 2, 0, 9.0), 0.0);
    cr_assert_eq(ob_prof_ecdf(T, 4, 2, 0, 10.0), 0.25);
    cr_assert_eq(ob_prof_ecdf(T, 4, 2, 0, 30.0), 0.5);
    cr_assert_eq(ob_prof_ecdf(T, 4, 2, 1, 49.0), 0.5);
    cr_assert_eq(ob_prof_ecdf(T, 4, 2, 1, 50.0), 0.75);
    cr_assert_eq(ob_prof_ecdf(T, 4, 2, 1, 1e300), 0.75);
}

Test(profile, score_by_hand)
{
    /* r_max = 4: A (3/3 + 3/3 + 0 + 0) / 4 = 1/2; B (2/3 + 1 + 1 + 0) / 4 = 2/3. */
    cr_assert_float_eq(ob_prof_score(T, 4, 2, 0, 4.0), 0.5, 1e-15);
    cr_assert_float_eq(ob_prof_score(T, 4, 2, 1, 4.0), 2.0 / 3.0, 1e-15);
    /* r_max = 2: B's p0 ratio 2 no longer counts: (0 + 1 + 1 + 0) / 4. */
    cr_assert_float_eq(ob_prof_score(T, 4, 2, 1, 2.0), 0.5, 1e-15);
    /* The score is the profile's area: a Riemann sum of rho_B agrees. */
    double area = 0, h = 1e-4;
    for (double tau = 1 + h / 2; tau < 4; tau += h) area += ob_prof_perf(T, 4, 2, 1, tau) * h;
    cr_assert_float_eq(area / 3, ob_prof_score(T, 4, 2, 1, 4.0), 1e-3);
}

Test(profile, single_solver)
{
    static const double t1[] = {5, INF, 7};
    cr_assert_eq(ob_prof_perf(t1, 3, 1, 0, 1.0), 2.0 / 3.0);
    cr_assert_float_eq(ob_prof_score(t1, 3, 1, 0, 4.0), 2.0 / 3.0, 1e-15);
    double lo, hi;
    static const double t2[] = {5, 6, 7};
    cr_assert_eq(ob_prof_boot_score(t2, 3, 1, 0, 4.0, NULL, 0, 7, 200, &lo, &hi), 0);
    cr_assert_eq(lo, 1.0);
    cr_assert_eq(hi, 1.0, "every replicate of a solver that is always the best scores 1");
}

Test(profile, bootstrap_is_seeded_and_by_hand)
{
    double lo1, hi1, lo2, hi2;
    cr_assert_eq(ob_prof_boot_score(T, 4, 2, 1, 4.0, NULL, 0, 42, 500, &lo1, &hi1), 0);
    cr_assert_eq(ob_prof_boot_score(T, 4, 2, 1, 4.0, NULL, 0, 42, 500, &lo2, &hi2), 0);
    cr_assert(lo1 == lo2 && hi1 == hi2, "the same seed, the same interval");
    cr_assert(lo1 <= 2.0 / 3.0 && 2.0 / 3.0 <= hi1);
    /* One replicate, drawn by hand: four rows with replacement. */
    const double term[4] = {2.0 / 3.0, 1.0, 1.0, 0.0};
    uint64_t st = 9;
    double sum = 0;
    for (int k = 0; k < 4; k++) sum += term[ob_prof_rand(&st) % 4];
    cr_assert_eq(ob_prof_boot_score(T, 4, 2, 1, 4.0, NULL, 0, 9, 1, &lo1, &hi1), 0);
    cr_assert_float_eq(lo1, sum / 4, 1e-15);
    cr_assert_eq(lo1, hi1);
    /* Groups: p0, p1 in group 0; p2, p3 in group 1; ECDF of B at 50 is
     * 1 in group 0 and 1/2 in group 1: a replicate is one of
     * (1+1+1+1)/4, (1+1+1+0)/4, (1+0+1+0)/4. */
    static const size_t grp[] = {0, 0, 1, 1};
    const double b = 50;
    double elo, ehi;
    cr_assert_eq(ob_prof_boot_ecdf(T, 4, 2, 1, grp, 2, &b, 1, 3, 400, &elo, &ehi), 0);
    cr_assert_eq(elo, 0.5);
    cr_assert_eq(ehi, 1.0);
    double elo2, ehi2;
    cr_assert_eq(ob_prof_boot_ecdf(T, 4, 2, 1, grp, 2, &b, 1, 3, 400, &elo2, &ehi2), 0);
    cr_assert(elo == elo2 && ehi == ehi2);
}

/* ---- the command on a constructed run ------------------------------------------ */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/ob_core.h"

Test(profile, command_on_constructed_runs)
{
    char dir[] = "/tmp/ob_profile_XXXXXX", path[256], msg[1024];
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/results.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "{\"format\": \"optbench-results\", \"version\": 1, \"status\": \"complete\", "
               "\"meta\": {\"command_line\": [\"run\", \"--problem\", \"x\"]}, \"cases\": [\n");
    /* quad_diag (f* = 0, f0 = 150): tau = 1e-3 asks f - f* <= 0.15, rounded
     * down to the grid: target 15 (0.1).  A 11, B 22 evaluations. */
    const char *opts[2] = {"A", "B"};
    const double e[2] = {11, 22};
    for (int s = 0; s < 2; s++) {
        fprintf(f, "{\"id\": \"quad_diag.%s\", \"problem\": \"quad_diag\", \"optimizer\": \"%s\", "
                   "\"problem_config\": {\"n\": 9, \"instance\": 0}, \"grad_evals_per_step\": 1, \"fstar\": 0, "
                   "\"isa\": {\"scalar\": {\"runtimes\": {\"f0\": 150, \"evals\": [",
                opts[s], opts[s]);
        for (int j = 0; j < 51; j++) {
            if (j == 15) fprintf(f, "%s%g", j ? "," : "", e[s]);
            else fprintf(f, "%snull", j ? "," : "");
        }
        fprintf(f, "]}}}},\n");
    }
    /* C ran only quad_diag: left out. */
    fprintf(f, "{\"id\": \"quad_diag.C\", \"problem\": \"quad_diag\", \"optimizer\": \"C\", "
               "\"problem_config\": {\"n\": 9}, \"fstar\": 0, \"isa\": {\"scalar\": {\"runtimes\": {\"f0\": 150, "
               "\"evals\": [1");
    for (int j = 1; j < 51; j++) fprintf(f, ",1");
    fprintf(f, "]}}}},\n");
    /* sparse_logreg (no f*): f_L = 0.1 (B's), the test asks loss <= 0.1 + 1e-3 (1 - 0.1):
     * A never, B at step 10 (11 evaluations). */
    fprintf(f, "{\"id\": \"sparse_logreg.A\", \"problem\": \"sparse_logreg\", \"optimizer\": \"A\", "
               "\"problem_config\": {\"n\": 99}, \"grad_evals_per_step\": 1, \"fstar\": null, "
               "\"isa\": {\"scalar\": {\"loss_trace\": [[0, 1.0], [10, 0.5], [20, 0.2]]}}},\n");
    fprintf(f, "{\"id\": \"sparse_logreg.B\", \"problem\": \"sparse_logreg\", \"optimizer\": \"B\", "
               "\"problem_config\": {\"n\": 99}, \"grad_evals_per_step\": 1, \"fstar\": null, "
               "\"isa\": {\"scalar\": {\"loss_trace\": [[0, 1.0], [5, 0.3], [10, 0.1]]}}}\n]}\n");
    fclose(f);
    const char *runs[1] = {dir};
    ob_profile_opts o = {.runs = runs, .n_runs = 1, .tau = 1e-3, .rmax = 4, .reps = 100, .seed = 1,
                         .no_figures = 1};
    cr_assert_eq(ob_profile_build(&o, msg, sizeof msg), 0, "%s", msg);
    snprintf(path, sizeof path, "%s/profile/profile.json", dir);
    cJSON *j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j, "%s", msg);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "left_out")), "C");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "source")), "command-line cases");
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "instances")), 2);
    /* T = {A 11, B 22; A inf, B 11}: B (2/3 + 1) / 2, A (1 + 0) / 2. */
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "scores"), 0);
    const cJSON *s1 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "scores"), 1);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(s0, "optimizer")), "B");
    cr_assert_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(s0, "score")), 5.0 / 6.0, 1e-12);
    cr_assert_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(s1, "score")), 0.5, 1e-12);
    cr_assert_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(s1, "solved")), 0.5, 1e-12);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/profile/data/profile_perf.csv", dir);
    cr_assert_eq(access(path, F_OK), 0);
    /* Overlay of the run with itself: every optimizer twice, same scores. */
    const char *two[2] = {dir, dir}, *labels[2] = {"x", "y"};
    o.runs = two;
    o.n_runs = 2;
    o.overlay = 1;
    o.labels = labels;
    cr_assert_eq(ob_profile_build(&o, msg, sizeof msg), 0, "%s", msg);
    snprintf(path, sizeof path, "%s/profile/profile.json", dir);
    j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j, "%s", msg);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "scores")), 4);
    s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "scores"), 0);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(s0, "optimizer")), "B@x");
    cr_assert_float_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(s0, "score")), 5.0 / 6.0, 1e-12);
    cJSON_Delete(j);
    /* A run without sparse_logreg differs: an error, or with intersect one instance. */
    char dir2[] = "/tmp/ob_profile_XXXXXX";
    cr_assert(mkdtemp(dir2));
    snprintf(path, sizeof path, "%s/results.json", dir2);
    f = fopen(path, "w");
    fprintf(f, "{\"format\": \"optbench-results\", \"version\": 1, \"cases\": [{\"id\": \"quad_diag.A\", "
               "\"problem\": \"quad_diag\", \"optimizer\": \"A\", \"problem_config\": {\"n\": 9}, "
               "\"fstar\": 0, \"isa\": {\"scalar\": {\"runtimes\": {\"f0\": 150, \"evals\": [1");
    for (int k = 1; k < 51; k++) fprintf(f, ",1");
    fprintf(f, "]}}}}]}\n");
    fclose(f);
    two[1] = dir2;
    cr_assert_eq(ob_profile_build(&o, msg, sizeof msg), OB_EXIT_USAGE);
    cr_assert(strstr(msg, "sparse_logreg") && strstr(msg, "--intersect"), "%s", msg);
    o.intersect = 1;
    cr_assert_eq(ob_profile_build(&o, msg, sizeof msg), 0, "%s", msg);
    snprintf(path, sizeof path, "%s/profile/profile.json", dir);
    j = ob_json_read(path, msg, sizeof msg);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "instances")), 1);
    cJSON_Delete(j);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, dir2);
    cr_assert_eq(system(cmd), 0);
}
