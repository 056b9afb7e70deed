/*
 * test_sweep_instances.c — `optbench sweep --instances K` (README
 * "Hyperparameter sweeps"): every setting runs on problem instances
 * 0..K-1, each recorded (the instance in the record and in sweep.json);
 * the best setting is the one with the smallest median over all its runs
 * (seeds and instances); instance 0's records are those of a sweep without
 * --instances (same keys, same files); a resumed sweep redoes nothing and
 * a different K is refused; two shards merge into the same sweep.  And the
 * tuned comparison built from it (`run --from-sweep`, README "Tuned
 * comparisons"): the best settings rerun on the same instances give the
 * sweep's losses, and the profile says they are tuned.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "harness/core/ob_core.h"
#include "tests/common/ob_test_proc.h"

static char root[256], io[256];

#define SPEC \
    "--opt", "adam", "--problem", "quad_diag", "--n", "10", "--steps", "40", "--grid", "lr=0.01,0.1,0.3"

static int cmd(const char *const *argv, char **err)
{
    char *out = NULL;
    int rc = ob_tp_run(argv, NULL, io, &out, err);
    free(out);
    return rc;
}

static cJSON *sweep_json(const char *run)
{
    char path[512], msg[512];
    snprintf(path, sizeof path, "%s/sweep/sweep.json", run);
    cJSON *j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j, "%s", msg);
    return j;
}

/* The names of run/sweep/points/ (at most 32), sorted by readdir order. */
static size_t points(const char *run, char names[][32])
{
    char path[512];
    snprintf(path, sizeof path, "%s/sweep/points", run);
    DIR *d = opendir(path);
    cr_assert(d, "no %s", path);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' && n < 32) snprintf(names[n++], 32, "%.31s", e->d_name);
    closedir(d);
    return n;
}

static int has_name(char names[][32], size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], s)) return 1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(sweep_instances, every_setting_on_every_instance_ranked_by_the_median_over_them, .timeout = 120)
{
    ob_tp_scratch(root, sizeof root, "sweep-inst");
    ob_tp_scratch(io, sizeof io, "sweep-inst-io");
    char inst[300], base[300], *err = NULL;
    snprintf(inst, sizeof inst, "%s/inst", root);
    snprintf(base, sizeof base, "%s/base", root);
    cr_assert(mkdir(inst, 0755) == 0 && mkdir(base, 0755) == 0);
    const char *a1[] = {"sweep", SPEC,           "--instances", "3",  "--jobs",
                        "2",     "--no-figures", "--run",       inst, NULL};
    cr_assert_eq(cmd(a1, &err), 0, "%s", err);
    free(err);
    char names[32][32], base_names[32][32];
    cr_assert_eq(points(inst, names), 9, "3 settings x 3 instances");
    /* Instance 0 is the problem as published: the same records as a sweep
     * without --instances. */
    const char *a2[] = {"sweep", SPEC, "--jobs", "1", "--no-figures", "--quiet", "--run", base, NULL};
    cr_assert_eq(cmd(a2, &err), 0, "%s", err);
    free(err);
    size_t nb = points(base, base_names);
    cr_assert_eq(nb, 3);
    for (size_t i = 0; i < nb; i++) cr_assert(has_name(names, 9, base_names[i]), "%s", base_names[i]);

    cJSON *doc = sweep_json(inst);
    const cJSON *pr = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "problems"), 0);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(pr, "instances")), 3);
    cr_assert(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "criterion_text")),
                     "median over seeds and problem instances"));
    /* Each point: its runs on instances 0, 1, 2 (Adam is not rotation
     * invariant: the instances give different losses), its median theirs. */
    double best_median = INFINITY, best_lr = NAN;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "points"))
    {
        const cJSON *runs = cJSON_GetObjectItem(p, "runs");
        cr_assert_eq(cJSON_GetArraySize(runs), 3);
        double loss[3];
        for (int k = 0; k < 3; k++) {
            const cJSON *r = cJSON_GetArrayItem(runs, k);
            cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(r, "instance")), k);
            loss[k] = cJSON_GetNumberValue(cJSON_GetObjectItem(r, "final_loss"));
            cr_assert(isfinite(loss[k]));
        }
        cr_assert(loss[0] != loss[1] && loss[1] != loss[2]);
        qsort(loss, 3, sizeof loss[0], cmp_double);
        cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "median")), loss[1]);
        if (loss[1] < best_median) {
            best_median = loss[1];
            best_lr = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "hparams"), "lr"));
        }
    }
    const cJSON *best = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "best"), 0);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(best, "median")), best_median);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(best, "hparams"), "lr")),
                 best_lr);
    /* The record of a run says its instance. */
    char path[1400], msg[256];
    int seen = 0;
    for (size_t i = 0; i < 9; i++) {
        snprintf(path, sizeof path, "%s/sweep/points/%s", inst, names[i]);
        cJSON *r = ob_json_read(path, msg, sizeof msg);
        cr_assert(r, "%s", msg);
        const cJSON *k = cJSON_GetObjectItem(r, "instance");
        seen |= 1 << (k ? (int)k->valuedouble : 0);
        cJSON_Delete(r);
    }
    cr_assert_eq(seen, 7);

    /* Resumed: nothing redone; another K: refused, naming --instances. */
    const char *a3[] = {"sweep", "--resume", inst, "--no-figures", NULL};
    cr_assert_eq(cmd(a3, &err), 0, "%s", err);
    cr_assert(strstr(err, "resuming: 9 of 9 runs already recorded"), "%s", err);
    free(err);
    const char *a4[] = {"sweep", SPEC, "--instances", "2", "--no-figures", "--run", inst, NULL};
    cr_assert_eq(cmd(a4, &err), 2);
    cr_assert(strstr(err, "--instances"), "%s", err);
    free(err);

    /* The tuned comparison: `run --from-sweep` runs the best setting on
     * the same instances and reproduces the sweep's losses bit for bit;
     * the profile says where its settings come from. */
    char tuned[300], run[400];
    snprintf(tuned, sizeof tuned, "%s/tuned", root);
    const char *a7[] = {"run",    "--from-sweep", inst,  "--instances", "3", "--isa",
                        "scalar", "--out",        tuned, "--quiet",     NULL};
    cr_assert_eq(cmd(a7, &err), 0, "%s", err);
    free(err);
    snprintf(run, sizeof run, "%s/latest", tuned);
    snprintf(path, sizeof path, "%s/results.json", run);
    cJSON *res = ob_json_read(path, msg, sizeof msg);
    cr_assert(res, "%s", msg);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "cases")), 3);
    const cJSON *bruns = NULL;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "points"))
    {
        if (cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "hparams"), "lr")) == best_lr)
            bruns = cJSON_GetObjectItem(p, "runs");
    }
    cr_assert(bruns);
    for (int k = 0; k < 3; k++) {
        const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "cases"), k);
        cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "hparams"), "lr")),
                     best_lr);
        cr_assert_eq(
            cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "problem_config"), "instance")),
            k);
        double fl = cJSON_GetNumberValue(
            cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "isa"), "scalar"), "final_loss"));
        cr_assert_eq(fl,
                     cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(bruns, k), "final_loss")),
                     "instance %d", k);
    }
    cJSON_Delete(res);
    const char *a8[] = {"profile", run, "--no-figures", "--quiet", NULL};
    cr_assert_eq(cmd(a8, &err), 0, "%s", err);
    free(err);
    snprintf(path, sizeof path, "%s/profile/profile.json", run);
    cJSON *prof = ob_json_read(path, msg, sizeof msg);
    cr_assert(prof, "%s", msg);
    cr_assert(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(prof, "source")),
                     "tuned, the best settings of sweep"));
    cJSON_Delete(prof);
    const char *a9[] = {"run", "--from-sweep", inst, "--problem", "quad_diag", "--quiet", NULL};
    cr_assert_eq(cmd(a9, &err), 2);
    free(err);
    const char *a10[] = {"run", "--from-sweep", io, "--quiet", NULL};
    cr_assert_eq(cmd(a10, &err), 2);
    cr_assert(strstr(err, "no sweep.json"), "%s", err);
    free(err);

    /* Two shards merged: the same points and best settings. */
    char sh[2][300], mg[300];
    for (int k = 0; k < 2; k++) {
        char shard[8];
        snprintf(sh[k], sizeof sh[k], "%s/shard%d", root, k);
        snprintf(shard, sizeof shard, "%d/2", k);
        cr_assert(mkdir(sh[k], 0755) == 0);
        const char *a5[] = {"sweep",        SPEC,      "--instances", "3",   "--shard", shard,
                            "--no-figures", "--quiet", "--run",       sh[k], NULL};
        cr_assert_eq(cmd(a5, &err), 0, "%s", err);
        free(err);
    }
    snprintf(mg, sizeof mg, "%s/merged", root);
    const char *a6[] = {"merge", mg, sh[0], sh[1], NULL};
    cr_assert_eq(cmd(a6, &err), 0, "%s", err);
    free(err);
    cJSON *m = sweep_json(mg);
    cr_assert(cJSON_Compare(cJSON_GetObjectItem(m, "points"), cJSON_GetObjectItem(doc, "points"), 1));
    cr_assert(cJSON_Compare(cJSON_GetObjectItem(m, "best"), cJSON_GetObjectItem(doc, "best"), 1));
    cJSON_Delete(m);
    cJSON_Delete(doc);
    ob_tp_rmtree(root);
    ob_tp_rmtree(io);
}
