/*
 * test_report_overlay.c — `optbench report --run A --run B ...` (README
 * "Reports across runs") on tiny real runs made here: two runs of the same
 * cases overlaid (the profiles' series <opt>@<label>, one convergence
 * figure per problem with a line per optimizer and run, the data of each
 * line, the runs left byte for byte as they were); runs whose cases differ
 * are exit 2 naming the cases only one run has, and --intersect compares
 * the common cases and names the others in the report.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "harness/report/ob_report.h"
#include "tests/common/ob_test_proc.h"

static char root[256];

static const char *plot_dir(void)
{
    struct stat st;
    return stat("plot/style.gp", &st) == 0 ? "plot" : "../plot";
}

/* `optbench run` of adam and sgd (and `extra_opt`) on two problems, two
 * instances each, 60 steps, into root/<name>; *run gets root/<name>/latest. */
static void make_run(const char *name, const char *opts, const char *lr, char *run, size_t len)
{
    char out[280], set[64];
    snprintf(out, sizeof out, "%.200s/%.40s", root, name);
    snprintf(set, sizeof set, "lr=%s", lr);
    const char *argv[] = {"optbench", "run", "--opt",       opts, "--problem", "quad_diag,mgh_rosenbrock",
                          "--steps",  "60",  "--instances", "2",  "--isa",     "scalar",
                          "--set",    set,   "--out",       out,  "--quiet",   NULL};
    char *o = NULL, *e = NULL;
    int rc = ob_cli_capture(argv, &o, &e);
    cr_assert_eq(rc, 0, "optbench run: %d %s", rc, e);
    free(o);
    free(e);
    snprintf(run, len, "%.280s/latest", out);
}

static int report(const char *const *args, char **out, char **err)
{
    const char *argv[24] = {"optbench", "report"};
    size_t n = 2;
    for (size_t i = 0; args[i] && n < 22; i++) argv[n++] = args[i];
    argv[n++] = "--plot-dir";
    argv[n++] = plot_dir();
    argv[n] = NULL;
    return ob_cli_capture(argv, out, err);
}

static char *slurp2(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = ob_tp_slurp(path, NULL);
    cr_assert(s, "cannot read %s", path);
    return s;
}

Test(report_overlay, two_runs_one_set_of_figures)
{
    ob_tp_scratch(root, sizeof root, "overlay");
    char a[300], b[300], ov[300], msg[512];
    make_run("A", "adam,sgd", "0.01", a, sizeof a);
    make_run("B", "adam,sgd", "0.003", b, sizeof b);
    ob_tp_snapshot sa, sb;
    cr_assert_eq(ob_tp_snapshot_take(a, &sa), 0);
    cr_assert_eq(ob_tp_snapshot_take(b, &sb), 0);
    snprintf(ov, sizeof ov, "%s/ov", root);
    const char *args[] = {"--run",   a,      "--run", b,  "--label", "fast",
                          "--label", "slow", "--out", ov, "--quiet", NULL};
    char *out = NULL, *err = NULL;
    int rc = report(args, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert(strstr(out, "2 figures rendered, 0 failed"), "%s", out);
    free(out);
    free(err);
    /* The runs were only read. */
    cr_assert_eq(ob_tp_snapshot_same(&sa, msg, sizeof msg), 0, "%s", msg);
    cr_assert_eq(ob_tp_snapshot_same(&sb, msg, sizeof msg), 0, "%s", msg);
    ob_tp_snapshot ta;
    cr_assert_eq(ob_tp_snapshot_take(a, &ta), 0);
    cr_assert_eq(ta.n, sa.n, "files were added to run A");
    ob_tp_snapshot_free(&ta);
    ob_tp_snapshot_free(&sa);
    ob_tp_snapshot_free(&sb);
    /* The profiles: every optimizer of every run, on the 4 instances. */
    char path[600];
    snprintf(path, sizeof path, "%s/profile/profile.json", ov);
    cJSON *p = ob_json_read(path, msg, sizeof msg);
    cr_assert(p, "%s", msg);
    cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "instances")), 4);
    const cJSON *sc = cJSON_GetObjectItem(p, "scores"), *s;
    cr_assert_eq(cJSON_GetArraySize(sc), 4);
    int seen = 0;
    cJSON_ArrayForEach(s, sc)
    {
        const char *o = cJSON_GetStringValue(cJSON_GetObjectItem(s, "optimizer"));
        seen |= (!strcmp(o, "adam@fast")) | (!strcmp(o, "sgd@fast")) << 1 | (!strcmp(o, "adam@slow")) << 2 |
                (!strcmp(o, "sgd@slow")) << 3;
    }
    cr_assert_eq(seen, 15, "scores: every optimizer@run");
    cJSON_Delete(p);
    /* One figure per problem (instance 0), 1000 x 600, and each line's data. */
    const char *probs[] = {"quad_diag", "mgh_rosenbrock"};
    for (int k = 0; k < 2; k++) {
        unsigned w, h;
        snprintf(path, sizeof path, "%s/figures/convergence-%s.png", ov, probs[k]);
        cr_assert_eq(ob_png_size(path, &w, &h), 0, "%s", path);
        cr_assert(w == 1000 && h == 600);
        const char *lines[] = {"adam@fast", "sgd@fast", "adam@slow", "sgd@slow"};
        for (int l = 0; l < 4; l++) {
            char name[200];
            snprintf(name, sizeof name, "figures/data/convergence-%s.%s.csv", probs[k], lines[l]);
            char *csv = slurp2(ov, name);
            cr_assert(!strncmp(csv, "step,gap\n0,", 11), "%s: %.40s", name, csv);
            free(csv);
        }
    }
    char *md = slurp2(ov, "report.md");
    cr_assert(strstr(md, "runs fast slow overlaid"));
    cr_assert(strstr(md, "The runs hold the same 8 cases"));
    cr_assert(strstr(md, "## Aggregate comparison") && strstr(md, "adam@slow"));
    cr_assert(strstr(md, "## Convergence across runs"));
    cr_assert(strstr(md, "figures/convergence-quad_diag.png"));
    free(md);
    char *html = slurp2(ov, "report.html");
    cr_assert(strstr(html, "src=\"profile/figures/profile_score.png\""));
    free(html);
    ob_tp_rmtree(root);
}

Test(report_overlay, different_cases_error_or_intersect)
{
    ob_tp_scratch(root, sizeof root, "overlay");
    char a[300], b[300], ov[300];
    make_run("A", "adam,sgd", "0.01", a, sizeof a);
    make_run("B", "adam,sgd,rmsprop", "0.01", b, sizeof b);
    snprintf(ov, sizeof ov, "%s/ov", root);
    const char *args[] = {"--run",   a,       "--run", b,  "--label", "two",
                          "--label", "three", "--out", ov, "--quiet", NULL};
    char *out = NULL, *err = NULL;
    cr_assert_eq(report(args, &out, &err), 2);
    cr_assert(strstr(err, "different cases") && strstr(err, "only in three (not in two), 4:"), "%s", err);
    cr_assert(strstr(err, "quad_diag.rmsprop") && strstr(err, "mgh_rosenbrock.rmsprop.i1"), "%s", err);
    cr_assert(strstr(err, "--intersect"), "%s", err);
    struct stat st;
    cr_assert_neq(stat(ov, &st), 0, "nothing is written on a mismatch");
    free(out);
    free(err);
    const char *args2[] = {"--run", a,  "--run",       b,         "--label", "two", "--label", "three",
                           "--out", ov, "--intersect", "--quiet", NULL};
    cr_assert_eq(report(args2, &out, &err), 0, "%s", err);
    free(out);
    free(err);
    char *md = slurp2(ov, "report.md");
    cr_assert(strstr(md, "compares the 8 cases every run has and leaves out 4"), "%.2000s", md);
    cr_assert(strstr(md, "quad_diag.rmsprop.i1"));
    free(md);
    char path[600], msg[512];
    snprintf(path, sizeof path, "%s/profile/profile.json", ov);
    cJSON *p = ob_json_read(path, msg, sizeof msg);
    cr_assert(p, "%s", msg);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(p, "scores")), 4, "rmsprop@three is left out");
    cJSON_Delete(p);
    snprintf(path, sizeof path, "%s/figures/data/convergence-quad_diag.rmsprop@three.csv", ov);
    cr_assert_neq(stat(path, &st), 0, "the dropped case is not drawn");
    /* A folder inside a run, labels that clash, --label without overlay. */
    char inside[400];
    snprintf(inside, sizeof inside, "%s/ov", a);
    const char *args3[] = {"--run",       a,       "--run", b,         "--label", "p", "--label", "q",
                           "--intersect", "--out", inside,  "--quiet", NULL};
    cr_assert_eq(report(args3, &out, &err), 2);
    cr_assert(strstr(err, "only reads"), "%s", err);
    free(out);
    free(err);
    const char *args4[] = {"--run", a, "--run", a, "--out", ov, "--quiet", NULL};
    cr_assert_eq(report(args4, &out, &err), 2);
    cr_assert(strstr(err, "same label"), "%s", err);
    free(out);
    free(err);
    const char *args5[] = {"--run", a, "--label", "x", "--quiet", NULL};
    cr_assert_eq(report(args5, &out, &err), 2);
    free(out);
    free(err);
    ob_tp_rmtree(root);
}
