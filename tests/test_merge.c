/*
 * test_merge.c — sharding (--shard I/N) and `optbench merge`: a sweep run
 * as shards and merged equals the unsharded sweep bit for bit (sweep.json's
 * results, spec.json and every point record but its measured time_s);
 * every bad shard and every bad merge input is exit 2 with a message
 * naming the folder; --partial merges what is there and records what is
 * missing.
 *
 * Commands run as child processes (ob_tp_run).  The sweep is tiny (24
 * runs of n = 10, 60 steps): the file takes a few seconds.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "common/ob_test_proc.h"

#define SPEC                                                                                               \
    "--opt", "sgd,adam", "--problem", "quad_diag,nqm", "--n", "10", "--steps", "60", "--grid",            \
        "lr=log:1e-3:1:4", "--seeds", "2", "--no-figures", "--quiet"

/* A scratch folder for one test, and one for the captured output
 * (ob_tp_dirs). */
typedef ob_tp_dirs scratch;

/* Runs optbench argv; asserts the exit status and, if want_msg, that
 * stderr holds it; returns stderr (free it). */
static char *expect(const scratch *s, const char *const *argv, int want_rc, const char *want_msg)
{
    char *out, *err;
    int rc = ob_tp_run(argv, NULL, s->io, &out, &err);
    cr_assert_eq(rc, want_rc, "optbench %s exited %d, expected %d:\n%s\n%s", argv[0], rc, want_rc, err, out);
    if (want_msg) cr_assert(strstr(err, want_msg), "expected \"%s\" in:\n%s", want_msg, err);
    free(out);
    return err;
}

static void path_of(char *buf, size_t len, const scratch *s, const char *name)
{
    snprintf(buf, len, "%s/%s", s->dir, name);
}

/* `optbench sweep SPEC --run <dir>/<name> [--shard I/N] --jobs J`. */
static void sweep_into(const scratch *s, const char *name, const char *shard, const char *jobs)
{
    char dir[256];
    path_of(dir, sizeof dir, s, name);
    cr_assert(mkdir(dir, 0755) == 0, "mkdir %s", dir);
    const char *argv[32] = {"sweep", SPEC, "--run", dir, "--jobs", jobs};
    size_t n = 0;
    while (argv[n]) n++;
    if (shard) argv[n++] = "--shard", argv[n++] = shard;
    argv[n] = NULL;
    free(expect(s, argv, 0, NULL));
}

/* The four shards of the test sweep, s0..s3. */
static void four_shards(const scratch *s)
{
    static const char *const shards[] = {"0/4", "1/4", "2/4", "3/4"};
    for (int i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof name, "s%d", i);
        sweep_into(s, name, shards[i], "1");
    }
}

/* optbench merge <dir>/<out> <dir>/<name>... with extra options. */
static char *merge(const scratch *s, const char *out, const char *const *names, const char *opt, int want_rc,
                   const char *want_msg)
{
    char paths[12][256];
    const char *argv[20] = {"merge", "--no-figures"};
    size_t n = 2;
    if (opt) argv[n++] = opt;
    path_of(paths[0], sizeof paths[0], s, out);
    argv[n++] = paths[0];
    for (size_t k = 0; names[k]; k++) {
        path_of(paths[k + 1], sizeof paths[k + 1], s, names[k]);
        argv[n++] = paths[k + 1];
    }
    argv[n] = NULL;
    return expect(s, argv, want_rc, want_msg);
}

static cJSON *read_json(const char *dir, const char *file)
{
    char path[512], msg[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    cJSON *j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j, "%s", msg);
    return j;
}

/* A record's text without its "time_s" line (the one measured value). */
static char *without_time(const char *path)
{
    char *t = ob_tp_slurp(path, NULL);
    cr_assert(t, "cannot read %s", path);
    char *line = strstr(t, "\t\"time_s\":");
    cr_assert(line, "%s has no time_s", path);
    char *end = strchr(line, '\n');
    memmove(line, end ? end + 1 : line + strlen(line), strlen(end ? end + 1 : line + strlen(line)) + 1);
    return t;
}

/* Same file names in both points/ folders, and the same bytes but time_s. */
static size_t assert_same_points(const char *a, const char *b)
{
    char da[512], db[512], pa[1024], pb[1024];
    snprintf(da, sizeof da, "%s/sweep/points", a);
    snprintf(db, sizeof db, "%s/sweep/points", b);
    DIR *d = opendir(da);
    cr_assert(d, "no %s", da);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(pa, sizeof pa, "%s/%s", da, e->d_name);
        snprintf(pb, sizeof pb, "%s/%s", db, e->d_name);
        char *x = without_time(pa), *y = without_time(pb);
        cr_assert_str_eq(x, y, "%s differs from %s", pb, pa);
        free(x);
        free(y);
        n++;
    }
    closedir(d);
    d = opendir(db);
    size_t m = 0;
    for (struct dirent *e; (e = readdir(d));) m += e->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(n, m, "%zu records in %s, %zu in %s", n, da, m, db);
    return n;
}

/* dir_a/name and dir_b/name hold the same bytes. */
static void assert_same_file(const char *dir_a, const char *dir_b, const char *name)
{
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/%s", dir_a, name);
    snprintf(pb, sizeof pb, "%s/%s", dir_b, name);
    char *u = ob_tp_slurp(pa, NULL), *v = ob_tp_slurp(pb, NULL);
    cr_assert(u && v && !strcmp(u, v), "%s differs from %s", pb, pa);
    free(u);
    free(v);
}

static void assert_same_sweep(const char *a, const char *b)
{
    char pa[512], pb[512];
    snprintf(pa, sizeof pa, "%s/sweep", a);
    snprintf(pb, sizeof pb, "%s/sweep", b);
    cJSON *x = read_json(pa, "sweep.json"), *y = read_json(pb, "sweep.json");
    static const char *const keys[] = {"status", "criterion", "path",     "axes",   "runs_planned",
                                       "runs_done", "problems", "points", "best", "skipped", "spec"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *u = cJSON_GetObjectItem(x, keys[k]), *v = cJSON_GetObjectItem(y, keys[k]);
        cr_assert(u && v && cJSON_Compare(u, v, 1), "sweep.json \"%s\" differs:\n%s\n---\n%s", keys[k],
                  cJSON_PrintUnformatted(u), cJSON_PrintUnformatted(v));
    }
    cJSON_Delete(x);
    cJSON_Delete(y);
    assert_same_file(a, b, "sweep/spec.json");
    cr_assert_eq(assert_same_points(a, b), 24);
}

Test(merge, sharded_and_merged_sweep_equals_the_unsharded_one_bit_for_bit, .timeout = 120)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-merge");
    sweep_into(&s, "whole", NULL, "2");
    four_shards(&s);
    static const char *const all[] = {"s2", "s0", "s3", "s1", NULL};
    free(merge(&s, "merged", all, NULL, 0, NULL));
    char a[256], b[256];
    path_of(a, sizeof a, &s, "whole");
    path_of(b, sizeof b, &s, "merged");
    assert_same_sweep(a, b);
    cJSON *rec = read_json(b, "merge.json");
    cr_assert_str_eq(cJSON_GetObjectItem(rec, "status")->valuestring, "complete");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rec, "shards")), 4);
    cJSON_Delete(rec);
    /* The unsharded sweep on one job (it aggregates what it holds in
     * memory, the others what they read back): the same bits. */
    sweep_into(&s, "whole1", NULL, "1");
    path_of(b, sizeof b, &s, "whole1");
    assert_same_sweep(a, b);
    /* More shards than runs of a problem, and one shard of one: same result. */
    sweep_into(&s, "only", "0/1", "2");
    static const char *const one[] = {"only", NULL};
    free(merge(&s, "merged1", one, NULL, 0, NULL));
    path_of(b, sizeof b, &s, "merged1");
    assert_same_sweep(a, b);
    ob_tp_dirs_free(&s);
}

Test(merge, bad_shards_are_exit_2_with_a_message)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-merge");
    static const struct {
        const char *shard, *msg;
    } bad[] = {
        {"4/4", "--shard '4/4': I must be below N (the shards are numbered 0..3)"},
        {"0/0", "--shard '0/0': N must be at least 1"},
        {"1", "--shard '1': expected I/N"},
        {"-1/4", "--shard '-1/4': expected I/N"},
        {"1/4/2", "--shard '1/4/2': expected I/N"},
        {"/4", "--shard '/4': expected I/N"},
        {"1e0/4", "--shard '1e0/4': expected I/N"},
    };
    char root[256];
    path_of(root, sizeof root, &s, "never");
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char *argv[] = {"sweep", SPEC, "--out", root, "--shard", bad[k].shard, NULL};
        free(expect(&s, argv, 2, bad[k].msg));
    }
    cr_expect(access(root, F_OK) != 0, "%s was created for a rejected shard", root);
    /* A shard's folder holds that shard only, and the sweep it began. */
    sweep_into(&s, "s1", "1/4", "1");
    char dir[256];
    path_of(dir, sizeof dir, &s, "s1");
    const char *other[] = {"sweep", SPEC, "--run", dir, "--shard", "2/4", NULL};
    free(expect(&s, other, 2, "was recorded with --shard 1/4, now --shard 2/4"));
    const char *none[] = {"sweep", SPEC, "--run", dir, NULL};
    free(expect(&s, none, 2, "was recorded with --shard 1/4, now no --shard"));
    const char *spec[] = {"sweep", "--opt", "sgd", "--problem", "quad_diag,nqm", "--n", "10", "--steps", "60",
                          "--grid", "lr=log:1e-3:1:4", "--seeds", "2", "--quiet", "--run", dir, "--shard", "1/4",
                          NULL};
    free(expect(&s, spec, 2, "was recorded with --opt 'sgd,adam', now --opt 'sgd'"));
    const char *res[] = {"sweep", "--resume", dir, "--shard", "3/4", NULL};
    free(expect(&s, res, 2, "was recorded with --shard 1/4, now --shard 3/4"));
    /* --resume takes the recorded shard. */
    const char *ok[] = {"sweep", "--resume", dir, "--no-figures", NULL};
    free(expect(&s, ok, 0, "resuming: 6 of 6 runs already recorded"));
    ob_tp_dirs_free(&s);
}

/* Rewrites key in <dir>/sweep/shard.json to the string value. */
static void edit_shard(const scratch *s, const char *name, const char *key, const char *value)
{
    char dir[256];
    path_of(dir, sizeof dir, s, name);
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sweep", dir);
    cJSON *j = read_json(sub, "shard.json");
    cJSON_ReplaceItemInObject(j, key, cJSON_CreateString(value));
    char *text = cJSON_Print(j), path[400];
    snprintf(path, sizeof path, "%s/shard.json", sub);
    cr_assert(ob_tp_write(path, text, strlen(text)) == 0);
    free(text);
    cJSON_Delete(j);
}

/* The first record in <name>/sweep/points: its file name into buf. */
static void first_point(const scratch *s, const char *name, char *buf, size_t len)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/%s/sweep/points", s->dir, name);
    DIR *d = opendir(dir);
    cr_assert(d);
    buf[0] = '\0';
    for (struct dirent *e; (e = readdir(d)) && !buf[0];)
        if (e->d_name[0] != '.') snprintf(buf, len, "%s/%s", dir, e->d_name);
    closedir(d);
}

Test(merge, every_bad_input_is_exit_2_naming_its_folder_and_partial_records_it, .timeout = 120)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-merge");
    four_shards(&s);
    char cmd[1024], p[600], q[700];
    /* Copies of shards to spoil. */
    snprintf(cmd, sizeof cmd, "cd %s && cp -r s3 dup && cp -r s3 old && cp -r s3 cut && mkdir empty", s.dir);
    cr_assert(system(cmd) == 0);
    first_point(&s, "s0", p, sizeof p);
    snprintf(q, sizeof q, "%s/dup/sweep/points/%s", s.dir, strrchr(p, '/') + 1);
    cr_assert(link(p, q) == 0);
    edit_shard(&s, "old", "optbench_version", "0.0.9");
    first_point(&s, "cut", p, sizeof p);
    cr_assert(unlink(p) == 0);
    {
        char dir[256];
        path_of(dir, sizeof dir, &s, "other");
        cr_assert(mkdir(dir, 0755) == 0);
        const char *argv[] = {"sweep", "--opt", "sgd", "--problem", "quad_diag", "--n", "10", "--steps", "60",
                              "--grid", "lr=0.01", "--quiet", "--no-figures", "--run", dir, "--shard", "3/4",
                              NULL};
        free(expect(&s, argv, 0, NULL));
        sweep_into(&s, "three", "2/3", "1");
    }
    static const struct {
        const char *names[6];
        const char *msg;
    } bad[] = {
        {{"s0", "s1", "s2", NULL}, "shard 3/4: missing: no folder given holds it"},
        {{"s0", "s1", "s2", "s3", "s3", NULL}, "s3: shard 3/4 again (also"},
        {{"s0", "s1", "s2", "dup", NULL}, "/dup: sweep/points/"},
        {{"s0", "s1", "s2", "old", NULL}, "/old: run by optbench 0.0.9"},
        {{"s0", "s1", "s2", "cut", NULL}, "/cut: shard 3/4 has 5 of its 6 runs recorded; finish it with"},
        {{"s0", "s1", "s2", "other", NULL}, "/other: a different sweep than"},
        {{"s0", "s1", "s2", "three", NULL}, "/three: one of 3 shards, but"},
        {{"s0", "s1", "s2", "empty", NULL}, "/empty: not a sweep shard"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *err = merge(&s, "out", bad[k].names, NULL, 2, bad[k].msg);
        cr_assert(strstr(err, "nothing merged (--partial merges what is there)"), "%s", err);
        free(err);
        path_of(p, sizeof p, &s, "out");
        cr_assert(access(p, F_OK) != 0, "case %zu: %s was written", k, p);
    }
    char *err = merge(&s, "out", bad[2].names, NULL, 2, "(a duplicated point)");
    free(err);
    /* --partial: what is there, and what is not in merge.json and sweep.json. */
    free(merge(&s, "part", bad[4].names, "--partial", 0, "/cut: shard 3/4 has 5 of its 6"));
    path_of(p, sizeof p, &s, "part");
    cJSON *rec = read_json(p, "merge.json");
    cr_assert_str_eq(cJSON_GetObjectItem(rec, "status")->valuestring, "partial");
    cr_assert(strstr(cJSON_GetArrayItem(cJSON_GetObjectItem(rec, "problems"), 0)->valuestring, "5 of its 6"));
    cJSON_Delete(rec);
    snprintf(q, sizeof q, "%s/sweep", p);
    cJSON *sw = read_json(q, "sweep.json");
    cr_assert_str_eq(cJSON_GetObjectItem(sw, "status")->valuestring, "incomplete");
    cr_assert_eq(cJSON_GetObjectItem(sw, "runs_done")->valuedouble, 23);
    char *notes = cJSON_PrintUnformatted(cJSON_GetObjectItem(sw, "notes"));
    cr_assert(strstr(notes, "merged with --partial: ") && strstr(notes, "5 of its 6"), "%s", notes);
    free(notes);
    cJSON_Delete(sw);
    /* The output folder must be new. */
    static const char *const good[] = {"s0", "s1", "s2", "s3", NULL};
    free(merge(&s, "part", good, NULL, 2, "exists already; merge into a new folder"));
    static const char *const nothing[] = {"empty", NULL};
    free(merge(&s, "x", nothing, NULL, 2, "none of the folders given holds a shard"));
    ob_tp_dirs_free(&s);
}

/* ---- runs ----------------------------------------------------------------------- */

/* A case record without its measured times (the only values that differ
 * between two runs of the same case). */
static void strip_times(cJSON *o)
{
    if (!o) return;
    cJSON_DeleteItemFromObjectCaseSensitive(o, "time_s");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "time_to_target_s");
    for (cJSON *c = o->child; c; c = c->next) strip_times(c);
}

/* optbench run ARGS --out <dir>/<name> [--shard I/N]: the run folder. */
static void run_into(const scratch *s, const char *name, const char *shard, int want_rc, const char *want_msg)
{
    char root[256];
    path_of(root, sizeof root, s, name);
    const char *argv[24] = {"run", "--steps", "5", "--isa", "scalar", "--quiet", "--out", root};
    size_t n = 8;
    if (shard) argv[n++] = "--shard", argv[n++] = shard;
    argv[n] = NULL;
    free(expect(s, argv, want_rc, want_msg));
}

Test(merge, sharded_and_merged_default_suite_equals_the_unsharded_run, .timeout = 120)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-merge");
    run_into(&s, "whole", NULL, 0, NULL);
    run_into(&s, "r0", "0/2", 0, NULL);
    run_into(&s, "r1", "1/2", 0, NULL);
    static const char *const both[] = {"r1/latest", "r0/latest", NULL};
    free(merge(&s, "merged", both, NULL, 0, NULL));
    char a[256], b[256];
    path_of(a, sizeof a, &s, "whole/latest");
    path_of(b, sizeof b, &s, "merged");
    cJSON *x = read_json(a, "results.json"), *y = read_json(b, "results.json");
    cJSON *cx = cJSON_GetObjectItem(x, "cases"), *cy = cJSON_GetObjectItem(y, "cases");
    cr_assert_gt(cJSON_GetArraySize(cx), 100);
    strip_times(cx);
    strip_times(cy);
    cr_assert(cJSON_Compare(cx, cy, 1), "the merged cases differ from the unsharded run's");
    cr_assert_str_eq(cJSON_GetObjectItem(y, "status")->valuestring, "complete");
    cr_assert(cJSON_Compare(cJSON_GetObjectItem(x, "cases_planned"), cJSON_GetObjectItem(y, "cases_planned"), 1));
    /* Every case's CSV, byte for byte. */
    const cJSON *c;
    cJSON_ArrayForEach(c, cx)
    {
        char name[300];
        snprintf(name, sizeof name, "cases/%s.csv", cJSON_GetObjectItem(c, "id")->valuestring);
        assert_same_file(a, b, name);
    }
    cJSON_Delete(x);
    cJSON_Delete(y);
    /* compare reads the merged folder like any run. */
    const char *cmp[] = {"compare", a, b, NULL};
    free(expect(&s, cmp, 0, NULL));
    /* A shard missing; a shard of another command line; bench results. */
    static const char *const one[] = {"r0/latest", NULL};
    free(merge(&s, "bad", one, NULL, 2, "shard 1/2: missing: no folder given holds it"));
    char root[256];
    path_of(root, sizeof root, &s, "other");
    const char *argv[] = {"run", "--steps", "6", "--isa", "scalar", "--quiet", "--out", root, "--shard", "1/2", NULL};
    free(expect(&s, argv, 0, NULL));
    static const char *const other[] = {"r0/latest", "other/latest", NULL};
    free(merge(&s, "bad", other, NULL, 2, "other/latest: a different run than"));
    char bench[600];
    snprintf(bench, sizeof bench, "%s/r1/latest/bench.json", s.dir);
    cr_assert(ob_tp_write(bench, "{}", 2) == 0);
    free(merge(&s, "bad", both, NULL, 2, "holds bench results: timings are per machine and are never merged"));
    const char *bad[] = {"run", "--steps", "5", "--shard", "2/2", "--out", root, NULL};
    free(expect(&s, bad, 2, "--shard '2/2': I must be below N"));
    ob_tp_dirs_free(&s);
}

/* ---- reproductions --------------------------------------------------------------- */

#define REPRO_SUBSET "reddi_thm1", "reddi_online", "wilson", "adamw", "rates"

static void repro_into(const scratch *s, const char *name, const char *shard)
{
    char root[256];
    path_of(root, sizeof root, s, name);
    const char *argv[24] = {"repro", "run", REPRO_SUBSET, "--short", "--isa", "scalar", "--no-figures", "--quiet",
                            "--out", root};
    size_t n = 0;
    while (argv[n]) n++;
    if (shard) argv[n++] = "--shard", argv[n++] = shard;
    argv[n] = NULL;
    free(expect(s, argv, 0, NULL));
}

/* The one run folder under <dir>/<name>. */
static void only_run(const scratch *s, const char *name, char *buf, size_t len)
{
    char root[256];
    path_of(root, sizeof root, s, name);
    DIR *d = opendir(root);
    cr_assert(d);
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' && strcmp(e->d_name, "latest")) snprintf(buf, len, "%s/%s", root, e->d_name);
    closedir(d);
}

/* The cheap entries (short mode, under a second each) stand for `repro
 * all`: the same selection code shards both. */
Test(merge, sharded_and_merged_reproductions_equal_the_unsharded_ones, .timeout = 120)
{
    scratch s;
    ob_tp_dirs_make(&s, "test-merge");
    repro_into(&s, "whole", NULL);
    repro_into(&s, "p0", "0/2");
    repro_into(&s, "p1", "1/2");
    char a[512], b[512], c[512], d[512];
    only_run(&s, "whole", a, sizeof a);
    only_run(&s, "p0", b, sizeof b);
    only_run(&s, "p1", c, sizeof c);
    path_of(d, sizeof d, &s, "merged");
    const char *argv[] = {"merge", d, c, b, NULL};
    free(expect(&s, argv, 0, NULL));
    char ra[600], rb[600];
    snprintf(ra, sizeof ra, "%s/repro", a);
    snprintf(rb, sizeof rb, "%s/repro", d);
    cJSON *x = read_json(ra, "repro.json"), *y = read_json(rb, "repro.json");
    cr_assert(cJSON_Compare(cJSON_GetObjectItem(x, "summary"), cJSON_GetObjectItem(y, "summary"), 1));
    cJSON *ex = cJSON_GetObjectItem(x, "entries"), *ey = cJSON_GetObjectItem(y, "entries");
    cr_assert_eq(cJSON_GetArraySize(ex), 5);
    strip_times(ex);
    strip_times(ey);
    cr_assert(cJSON_Compare(ex, ey, 1), "the merged entries differ from the unsharded ones");
    static const char *const names[] = {REPRO_SUBSET};
    for (size_t k = 0; k < 5; k++) {
        char name[300];
        snprintf(name, sizeof name, "%s.csv", names[k]);
        assert_same_file(ra, rb, name);
    }
    cJSON_Delete(x);
    cJSON_Delete(y);
    path_of(d, sizeof d, &s, "bad");
    const char *half[] = {"merge", d, b, NULL};
    free(expect(&s, half, 2, "shard 1/2: missing: no folder given holds it"));
    const char *bad[] = {"repro", "all", "--shard", "0/0", NULL};
    free(expect(&s, bad, 2, "--shard '0/0': N must be at least 1"));
    ob_tp_dirs_free(&s);
}
