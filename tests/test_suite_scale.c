/*
 * test_suite_scale.c — suite expansion at scale (harness/run/suite.c,
 * cmd_run.c): a suite at OB_SUITE_MAX_CASES expands, one case past it is
 * refused with a message and nothing written; an expansion interrupted by
 * SIGINT/SIGTERM stops between entries with a message saying so; repeated
 * cases still get the ids problem.opt, problem.opt.2, ... (now found through
 * a hash table instead of a scan of every earlier case).  No timing is
 * asserted: the point of each test is the behaviour.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "harness/run/ob_run.h"
#include "common/ob_test_proc.h"

/* A suite file of `entries` entries of every optimizer on himmelblau (10
 * cases each), plus `extra` entries of SGD alone; its path in dir. */
static void write_suite(const char *path, size_t entries, size_t extra)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("{\"cases\": [", f);
    for (size_t i = 0; i < entries + extra; i++)
        fprintf(f, "%s{\"problem\": \"himmelblau\", \"steps\": 1%s}", i ? ",\n" : "",
                i < entries ? "" : ", \"optimizers\": [\"sgd\"]");
    fputs("]}\n", f);
    fclose(f);
}

Test(suite_scale, at_the_cap_it_expands_and_one_case_past_it_is_refused, .timeout = 120)
{
    char dir[256], path[300], err[1024];
    ob_tp_scratch(dir, sizeof dir, "suite-scale");
    snprintf(path, sizeof path, "%s/suite.json", dir);
    size_t per_entry = ob_optimizer_count, entries = OB_SUITE_MAX_CASES / per_entry;
    cr_assert_eq(entries * per_entry, (size_t)OB_SUITE_MAX_CASES, "the test assumes the cap divides evenly");
    ob_suite s;
    write_suite(path, entries, 0);
    cr_assert_eq(ob_suite_load(path, &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.n, (size_t)OB_SUITE_MAX_CASES);
    cr_assert_eq(s.cases[s.n - 1].opt, ob_optimizer_table[ob_optimizer_count - 1]);
    ob_suite_free(&s);

    write_suite(path, entries, 1);
    cr_assert_eq(ob_suite_load(path, &s, err, sizeof err), -1, "a suite past the cap was accepted");
    cr_assert(strstr(err, path) && strstr(err, "more than 10000 cases") && strstr(err, "split it"), "%s", err);
    cr_assert_eq(s.n, 0);

    /* Through the command: exit 2, the message, no results folder. */
    char out[300], *o, *e;
    snprintf(out, sizeof out, "%s/results", dir);
    const char *const argv[] = {"run", "--suite", path, "--out", out, "--quiet", NULL};
    int rc = ob_tp_run(argv, NULL, dir, &o, &e);
    cr_assert_eq(rc, OB_EXIT_USAGE, "exit %d: %s", rc, e);
    cr_assert(strstr(e, "more than 10000 cases"), "%s", e);
    struct stat st;
    cr_assert_neq(stat(out, &st), 0, "%s was created by a refused suite", out);
    free(o);
    free(e);
    ob_tp_rmtree(dir);
}

Test(suite_scale, an_interrupted_expansion_stops_with_a_message, .timeout = 60)
{
    char dir[256], path[300], err[1024];
    ob_tp_scratch(dir, sizeof dir, "suite-int");
    snprintf(path, sizeof path, "%s/suite.json", dir);
    write_suite(path, 500, 0);
    static const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < 2; i++) {
        ob_suite s;
        ob_interrupt_install();
        raise(sigs[i]); /* caught: only recorded */
        int rc = ob_suite_load(path, &s, err, sizeof err);
        ob_interrupt_restore();
        cr_assert_eq(rc, -1, "an expansion went on after %s", ob_interrupt_name(sigs[i]));
        char want[64];
        snprintf(want, sizeof want, "interrupted by %s while expanding the suite", ob_interrupt_name(sigs[i]));
        cr_assert(strstr(err, want), "%s", err);
        cr_assert_eq(s.n, 0);
        cr_assert_null(s.cases);
    }
    /* Without a signal the same file expands. */
    ob_suite s;
    cr_assert_eq(ob_suite_load(path, &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.n, 500 * ob_optimizer_count);
    ob_suite_free(&s);
    ob_tp_rmtree(dir);
}

Test(suite_scale, repeated_cases_are_numbered_in_order, .timeout = 60)
{
    char dir[256], path[300], out[300], res[400];
    ob_tp_scratch(dir, sizeof dir, "suite-ids");
    snprintf(path, sizeof path, "%s/suite.json", dir);
    snprintf(out, sizeof out, "%s/results", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("{\"cases\": [{\"problem\": \"himmelblau\", \"steps\": 1, \"optimizers\": [\"sgd\", \"adam\", \"sgd\"]},"
          " {\"problem\": \"himmelblau\", \"steps\": 1, \"optimizers\": [\"sgd\"]},"
          " {\"problem\": \"booth\", \"steps\": 1, \"optimizers\": [\"sgd\"]}]}\n",
          f);
    fclose(f);
    char *o, *e;
    const char *const argv[] = {"run", "--suite", path, "--out", out, "--quiet", "--isa", "scalar", NULL};
    int rc = ob_tp_run(argv, NULL, dir, &o, &e);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, e);
    snprintf(res, sizeof res, "%s/latest/results.json", out);
    char *json = ob_tp_slurp(res, NULL);
    cr_assert_not_null(json, "%s", res);
    static const char *const ids[] = {"\"himmelblau.sgd\"", "\"himmelblau.adam\"", "\"himmelblau.sgd.2\"",
                                      "\"himmelblau.sgd.3\"", "\"booth.sgd\""};
    const char *at = json;
    for (size_t i = 0; i < 5; i++) {
        const char *p = strstr(at, ids[i]);
        cr_assert(p, "id %s missing or out of order in %s", ids[i], res);
        at = p + strlen(ids[i]);
    }
    free(json);
    free(o);
    free(e);
    ob_tp_rmtree(dir);
}
