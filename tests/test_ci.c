/*
 * test_ci.c — `optbench ci`: each gate catches what it is meant to catch,
 * an unchanged tree passes, baselines are read and written safely, JUnit
 * output is well formed, and the exactness hashes are machine-independent.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/ci/ob_ci.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"

static cJSON *baseline; /* measured once per test process, from the unmodified kernels */

static cJSON *measure(const ob_ci_options *o)
{
    char err[512];
    cJSON *m = ob_ci_measure(o, 0, NULL, NULL, err, sizeof err);
    cr_assert(m != NULL, "%s", err);
    return m;
}

static void setup(void)
{
    ob_ci_options o;
    ob_ci_options_default(&o);
    o.speed = 0;
    baseline = measure(&o);
}

static void teardown(void)
{
    cJSON_Delete(baseline);
}

static const ob_check *find_fail(const ob_check_list *l, const char *gate, const char *needle)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].status == OB_CHECK_FAIL && !strcmp(l->v[i].gate, gate) &&
            (!needle || strstr(l->v[i].name, needle) || strstr(l->v[i].detail, needle)))
            return &l->v[i];
    return NULL;
}

TestSuite(ci, .init = setup, .fini = teardown, .timeout = 120);

Test(ci, an_unchanged_tree_passes)
{
    ob_ci_options o;
    ob_ci_options_default(&o);
    o.speed = 0;
    cJSON *m = measure(&o);
    ob_check_list l = {0};
    ob_ci_compare(m, baseline, &o, &l);
    cr_assert(l.n > 100, "only %zu checks", l.n);
    cr_assert_eq(ob_checks_count(&l, OB_CHECK_FAIL), 0, "unchanged tree failed: %s",
                 l.n ? l.v[0].detail : "");
    ob_checks_free(&l);
    cJSON_Delete(m);
}

/* One ULP in one element of one ISA's kernel. */
static void adam_one_ulp(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    ob_optimizer_kernel(ob_optimizer_find("adam"), OB_ISA_SCALAR)(n, p, g, st, s);
    if (n > 41) {
        uint32_t b;
        memcpy(&b, &p[41], 4);
        b += 1;
        memcpy(&p[41], &b, 4);
    }
}

Test(ci, one_ulp_in_one_isa_trips_exactness_naming_isa_and_element)
{
    ob_isa isa = ob_isa_supported(OB_ISA_AVX512) ? OB_ISA_AVX512 : OB_ISA_AVX2;
    if (!ob_isa_supported(isa)) cr_skip_test("no vector ISA on this CPU: SKIPPED");
    ob_ci_options o;
    ob_ci_options_default(&o);
    o.speed = 0;
    o.override_opt = "adam";
    o.override_isa = isa;
    o.override_kernel = adam_one_ulp;
    cJSON *m = measure(&o);
    ob_check_list l = {0};
    ob_ci_compare(m, baseline, &o, &l);
    const ob_check *c = find_fail(&l, "exactness", ob_isa_name(isa));
    cr_assert(c != NULL, "the exactness gate missed a one-ulp change");
    cr_assert(strstr(c->detail, "p[41]") && strstr(c->detail, "step 1"), "detail: %s", c->detail);
    cr_assert(strstr(c->name, "adam{"), "name: %s", c->name);
    /* The scalar path is untouched: it still matches the baseline. */
    cr_assert_null(find_fail(&l, "exactness", "scalar-vs-baseline"));
    ob_checks_free(&l);
    cJSON_Delete(m);
}

Test(ci, one_ulp_in_scalar_trips_the_baseline_check)
{
    ob_ci_options o;
    ob_ci_options_default(&o);
    o.speed = 0;
    o.override_opt = "adam";
    o.override_isa = OB_ISA_SCALAR;
    o.override_kernel = adam_one_ulp;
    cJSON *m = measure(&o);
    ob_check_list l = {0};
    ob_ci_compare(m, baseline, &o, &l);
    const ob_check *c = find_fail(&l, "exactness", "scalar-vs-baseline");
    cr_assert(c != NULL, "a one-ulp scalar change went unnoticed");
    cr_assert(strstr(c->detail, "p[41]") && strstr(c->detail, "step 1"), "detail: %s", c->detail);
    ob_checks_free(&l);
    cJSON_Delete(m);
}

static void prepare_wrong_bc(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    ob_optimizer_find("adam")->prepare(h, t, s);
    s->inv_sqrt_bc2 *= 1.01f; /* a bias correction that is off */
}

Test(ci, a_wrong_bias_correction_trips_agreement_and_convergence)
{
    ob_optimizer broken = *ob_optimizer_find("adam");
    broken.prepare = prepare_wrong_bc;
    const ob_optimizer *opts[] = {&broken};
    ob_ci_options o;
    ob_ci_options_default(&o);
    o.speed = 0;
    o.opts = opts;
    o.n_opts = 1;
    cJSON *m = measure(&o);
    ob_check_list l = {0};
    ob_ci_compare(m, baseline, &o, &l);
    const ob_check *a = find_fail(&l, "agreement", "adam/bound"), *c = find_fail(&l, "convergence", "adam");
    cr_assert(a, "agreement gate missed it");
    cr_assert(c, "convergence gate missed it");
    /* Each names the scalar kernel file and a command line (README "Use in CI"). */
    cr_assert(strstr(a->detail, "computed in kernels/scalar/adam.c, element loop (element ") &&
                  strstr(a->detail, "reproduce on a problem: OPTBENCH_ISA=scalar optbench run --opt adam"),
              "%s", a->detail);
    cr_assert(strstr(c->detail, "the scalar path: kernels/scalar/adam.c") &&
                  strstr(c->detail, "reproduce: OPTBENCH_ISA=scalar optbench run --opt adam --set lr="),
              "%s", c->detail);
    ob_checks_free(&l);
    cJSON_Delete(m);
}

static char *tmpfile_with(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/optbench-ci-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    if (text) cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(ci, malformed_missing_and_foreign_baselines_are_clear_errors)
{
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"", "empty"},
        {"{\"format\": \"optbench-ci-baseline\", \"version\": 1", "malformed JSON"},
        {"{\"format\": \"optbench-results\", \"version\": 1}", "not an optbench CI baseline"},
        {"{\"format\": \"optbench-ci-baseline\", \"version\": 3}", "version 3"},
        {"{\"format\": \"optbench-ci-baseline\", \"version\": 1}", "lacks"},
    };
    char err[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *p = tmpfile_with(bad[i].text);
        cr_assert_null(ob_ci_baseline_read(p, err, sizeof err), "baseline %zu accepted", i);
        cr_assert(strstr(err, bad[i].needle) && strstr(err, p), "baseline %zu: %s", i, err);
        unlink(p);
    }
    cr_assert_null(ob_ci_baseline_read("/nonexistent/ci.json", err, sizeof err));
    cr_assert(strstr(err, "/nonexistent/ci.json") && strstr(err, "--update-baseline"), "%s", err);
    /* Through the command line: exit 2 with the message. */
    char *out = NULL, *msg = NULL;
    const char *argv[] = {"optbench", "ci", "--baseline", "/nonexistent/ci.json", "--no-speed", NULL};
    cr_assert_eq(ob_cli_capture(argv, &out, &msg), 2);
    cr_assert(strstr(msg, "/nonexistent/ci.json"), "%s", msg);
    free(out);
    free(msg);
}

Test(ci, update_baseline_writes_atomically_and_round_trips)
{
    char dir[] = "/tmp/optbench-ci-dir-XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/base.json", dir);
    FILE *f = fopen(path, "w");
    fputs("old baseline, kept until the new one is complete", f);
    fclose(f);
    char *out = NULL, *msg = NULL;
    const char *up[] = {"optbench", "ci", "--baseline", path, "--update-baseline", "--no-speed", NULL};
    cr_assert_eq(ob_cli_capture(up, &out, &msg), 0, "%s", msg);
    free(out);
    free(msg);
    char err[512];
    cJSON *b = ob_ci_baseline_read(path, err, sizeof err);
    cr_assert(b != NULL, "%s", err);
    cJSON_Delete(b);
    /* No temporary files left beside it. */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp", dir);
    FILE *ls = popen(cmd, "r");
    int n = -1;
    cr_assert(fscanf(ls, "%d", &n) == 1);
    pclose(ls);
    cr_assert_eq(n, 0, "temporary files left in %s", dir);
    const char *cmp[] = {"optbench", "ci", "--baseline", path, "--no-speed", NULL};
    cr_assert_eq(ob_cli_capture(cmp, &out, &msg), 0, "%s\n%s", out, msg);
    cr_assert(strstr(out, "ok:"), "%s", out);
    free(out);
    free(msg);
    unlink(path);
    rmdir(dir);
}

/* --update-baseline --no-speed re-records the exact gates and keeps the
 * speed section the old baseline was recorded with (another machine's). */
Test(ci, update_baseline_without_speed_keeps_the_speed_section, .timeout = 300)
{
    char dir[] = "/tmp/optbench-ci-keep-XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/base.json", dir);
    cJSON *committed = ob_ci_baseline_read(OB_CI_BASELINE_DEFAULT, err, sizeof err);
    cr_assert(committed != NULL, "%s", err);
    const cJSON *speed = cJSON_GetObjectItemCaseSensitive(committed, "speed");
    cr_assert(speed != NULL, "the committed baseline has a speed section");
    cr_assert_eq(ob_json_write(path, committed, err, sizeof err), 0, "%s", err);
    char *out = NULL, *msg = NULL;
    const char *up[] = {"optbench", "ci", "--baseline", path, "--update-baseline", "--no-speed", NULL};
    cr_assert_eq(ob_cli_capture(up, &out, &msg), 0, "%s\n%s", out, msg);
    free(out);
    free(msg);
    cJSON *b = ob_ci_baseline_read(path, err, sizeof err);
    cr_assert(b != NULL, "%s", err);
    cr_assert(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(b, "speed"), speed, 1),
              "the speed section was dropped or changed by --update-baseline --no-speed");
    cJSON_Delete(b);
    cJSON_Delete(committed);
    unlink(path);
    rmdir(dir);
}

Test(ci, junit_has_one_testcase_per_check_and_escapes)
{
    ob_check_list l = {0};
    ob_checks_add(&l, "exactness", "adam{}/avx2", OB_CHECK_PASS, "fine");
    ob_checks_add(&l, "agreement", "a<b>&\"c\"", OB_CHECK_FAIL, "x < y & z > w");
    ob_checks_add(&l, "speed", "adam/64Ki", OB_CHECK_SKIP, "CPU differs");
    char *p = tmpfile_with(NULL);
    char err[256];
    cr_assert_eq(ob_checks_write_junit(&l, p, err, sizeof err), 0, "%s", err);
    FILE *f = fopen(p, "r");
    char buf[8192];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = '\0';
    fclose(f);
    unlink(p);
    size_t open_tc = 0, close_tc = 0;
    for (const char *s = buf; (s = strstr(s, "<testcase ")); s++) open_tc++;
    for (const char *s = buf; (s = strstr(s, "</testcase>")); s++) close_tc++;
    cr_assert_eq(open_tc, 3);
    cr_assert_eq(close_tc, 3);
    cr_assert(strstr(buf, "<?xml version=\"1.0\""));
    cr_assert(strstr(buf, "a&lt;b&gt;&amp;&quot;c&quot;") && strstr(buf, "x &lt; y &amp; z &gt; w"), "%s",
              buf);
    cr_assert(strstr(buf, "<failure ") && strstr(buf, "<skipped "));
    cr_assert(strstr(buf, "tests=\"3\" failures=\"1\" skipped=\"1\""));
    ob_checks_free(&l);
}

/* The exactness hashes are pure IEEE arithmetic: these values were
 * recorded once and must come out identically on every machine, compiler
 * and ISA that runs this test (a changed value is a portability bug or a
 * changed kernel). */
Test(ci, hashes_are_machine_independent)
{
    /* The golden values hold for IEEE-754 hardware; valgrind emulates FMA
     * with a double rounding (scripts/run-valgrind-tests.sh). */
    if (getenv("OPTBENCH_UNDER_VALGRIND"))
        cr_skip_test("golden hashes: SKIPPED under valgrind (its FMA emulation rounds twice)");
    static const struct {
        const char *id, *hash;
    } golden[] = {
        {"sgd{}", "7e5ed6622e9e31aa"},
        {"adam{}", "06b48021fe7c4944"},
        {"rmsprop{centered=1}", "678b2e34f89f458b"},
    };
    const cJSON *cases = cJSON_GetObjectItem(cJSON_GetObjectItem(baseline, "exactness"), "cases");
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        const cJSON *c, *hit = NULL;
        cJSON_ArrayForEach(c, cases) if (!strcmp(cJSON_GetObjectItem(c, "id")->valuestring, golden[i].id))
            hit = c;
        cr_assert(hit, "no case %s", golden[i].id);
        const cJSON *isa = cJSON_GetObjectItem(hit, "isa"), *x;
        cJSON_ArrayForEach(x, isa) cr_assert_str_eq(cJSON_GetObjectItem(x, "hash")->valuestring,
                                                    golden[i].hash, "%s on %s", golden[i].id, x->string);
    }
}

/* ---- the speed gate ---------------------------------------------------- */

Test(ci_speed, mann_whitney_separates_shifted_samples_and_not_equal_ones)
{
    double a[9] = {1.00, 1.01, 0.99, 1.02, 0.98, 1.00, 1.01, 0.99, 1.00};
    double b[9], c[9];
    for (int i = 0; i < 9; i++) {
        b[i] = a[i] * 1.10;    /* 10% slower */
        c[i] = a[(i + 4) % 9]; /* the same distribution */
    }
    cr_assert(ob_mann_whitney_p(b, 9, a, 9) < 0.001, "p = %g", ob_mann_whitney_p(b, 9, a, 9));
    cr_assert(ob_mann_whitney_p(c, 9, a, 9) > 0.5, "p = %g", ob_mann_whitney_p(c, 9, a, 9));
    /* All ties: no evidence either way. */
    double t[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    cr_assert_eq(ob_mann_whitney_p(t, 9, t, 9), 1.0);
}

/* A kernel made slower by a delay loop after each call (the test build
 * option of the speed gate, injected through ob_ci_options). */
static void adam_delayed(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    ob_isa isa = ob_isa_supported(OB_ISA_AVX512) ? OB_ISA_AVX512
                 : ob_isa_supported(OB_ISA_AVX2) ? OB_ISA_AVX2
                                                 : OB_ISA_SCALAR;
    ob_optimizer_kernel(ob_optimizer_find("adam"), isa)(n, p, g, st, s);
    for (volatile size_t i = 0; i < n; i++) {
    }
}

static int speed_fail_for(const ob_check_list *l, const char *needle)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].gate, "speed") && l->v[i].status == OB_CHECK_FAIL && strstr(l->v[i].name, needle))
            return 1;
    return 0;
}

/* A base and a slowed measurement ({"speed": section} each), compared. */
static int slowed_is_caught(ob_isa isa, cJSON **base, cJSON **slow, ob_check_list *l)
{
    ob_ci_options o;
    ob_ci_options_default(&o);
    o.speed_min_time = 0.01;
    char err[512];
    *base = cJSON_CreateObject();
    *slow = cJSON_CreateObject();
    cJSON *sb = ob_ci_speed_measure(&o, err, sizeof err);
    cr_assert(sb != NULL, "%s", err);
    cJSON_AddItemToObject(*base, "speed", sb);
    o.override_opt = "adam";
    o.override_isa = isa;
    o.override_kernel = adam_delayed;
    cJSON *ss = ob_ci_speed_measure(&o, err, sizeof err);
    cr_assert(ss != NULL, "%s", err);
    cJSON_AddItemToObject(*slow, "speed", ss);
    ob_ci_compare_speed(*slow, *base, &o, l);
    char name[64];
    snprintf(name, sizeof name, "adam/%s/64Ki", ob_isa_name(isa));
    return speed_fail_for(l, name);
}

/* Timings on a shared machine: a load spike during the base measurement
 * can hide even a several-fold slowdown once, so the pair is measured up
 * to three times and must be caught in one of them. */
Test(ci_speed, a_slowed_kernel_trips_the_gate_and_another_cpu_skips_it, .timeout = 300)
{
    ob_isa isa = ob_isa_supported(OB_ISA_AVX512) ? OB_ISA_AVX512
                 : ob_isa_supported(OB_ISA_AVX2) ? OB_ISA_AVX2
                                                 : OB_ISA_SCALAR;
    ob_ci_options o;
    ob_ci_options_default(&o);
    cJSON *base = NULL, *slow = NULL;
    ob_check_list l = {0};
    int caught = 0;
    for (int attempt = 0; attempt < 3 && !caught; attempt++) {
        cJSON_Delete(base);
        cJSON_Delete(slow);
        ob_checks_free(&l);
        caught = slowed_is_caught(isa, &base, &slow, &l);
    }
    cr_assert(caught, "the speed gate missed a kernel slowed down several times over, three times");
    ob_checks_free(&l);
    /* The same measurement against a baseline from another CPU: skipped,
     * not failed. */
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(base, "speed"), "cpu_model",
                              cJSON_CreateString("Another CPU 9000"));
    ob_ci_compare_speed(slow, base, &o, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.v[0].status, OB_CHECK_SKIP, "%s", l.v[0].detail);
    cr_assert(strstr(l.v[0].detail, "Another CPU 9000"));
    ob_checks_free(&l);
    cJSON_Delete(base);
    cJSON_Delete(slow);
}

/* `optbench compare` on results sets.  One real run is A; the B sides
 * are A edited the way an interrupted, partial, faster or slower run
 * would read, so that each verdict is pinned to one difference. */
static char cmp_dir[] = "/tmp/optbench-cmp-XXXXXX";
static char cmp_a[160];

static void cmp_setup(void)
{
    cr_assert(mkdtemp(cmp_dir));
    char a[128];
    snprintf(a, sizeof a, "%s/a", cmp_dir);
    const char *ra[] = {"optbench", "run", "--problem", "booth", "--opt",   "adam",
                        "--steps",  "60",  "--out",     a,       "--quiet", NULL};
    char *out, *err;
    cr_assert_eq(ob_cli_capture(ra, &out, &err), 0, "%s", err);
    free(out), free(err);
    snprintf(cmp_a, sizeof cmp_a, "%s/latest/results.json", a);
}

static void cmp_teardown(void)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", cmp_dir);
    cr_assert_eq(system(cmd), 0);
}

/* A copy of A, edited by edit, written to <dir>/<name>.json; returns its path. */
static const char *cmp_variant(const char *name, void (*edit)(cJSON *doc), char *path, size_t len)
{
    char msg[512];
    cJSON *d = ob_json_read(cmp_a, msg, sizeof msg);
    cr_assert(d, "%s", msg);
    edit(d);
    snprintf(path, len, "%s/%s.json", cmp_dir, name);
    cr_assert_eq(ob_json_write(path, d, msg, sizeof msg), 0, "%s", msg);
    cJSON_Delete(d);
    return path;
}

static int cmp_run(const char *a, const char *b, const char *extra, char **out, char **err)
{
    const char *argv[] = {"optbench", "compare", a, b, extra, NULL};
    return ob_cli_capture(argv, out, err);
}

static cJSON *scalar_of(cJSON *doc)
{
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "cases"), 0);
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "isa"), "scalar");
}

static void edit_interrupted(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "status", cJSON_CreateString("interrupted"));
    cJSON_ReplaceItemInObject(d, "cases", cJSON_CreateArray());
}
static void edit_partial(cJSON *d)
{
    cJSON_ReplaceItemInObject(d, "status", cJSON_CreateString("partial"));
}
static void edit_drop_scalar(cJSON *d)
{
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "cases"), 0);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItemCaseSensitive(c, "isa"), "scalar");
}
static void edit_better(cJSON *d)
{
    cJSON *s = scalar_of(d);
    double l = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "final_loss"));
    cJSON_ReplaceItemInObject(s, "final_loss", cJSON_CreateNumber(l / 2));
    cJSON_ReplaceItemInObject(s, "steps_to_target", cJSON_CreateNumber(42));
}
static void edit_lr(cJSON *d)
{
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "cases"), 0);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(c, "hparams"), "lr", cJSON_CreateNumber(0.02));
}

/* Identical sets pass; two different kinds of file are a usage error. */
Test(ci, compare_same_and_kinds, .init = cmp_setup, .fini = cmp_teardown, .timeout = 120)
{
    char *out, *err;
    cr_assert_eq(cmp_run(cmp_a, cmp_a, NULL, &out, &err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "ok:"), "%s", out);
    free(out), free(err);
    cr_assert_eq(cmp_run(cmp_a, "results/baseline/ci-baseline.json", NULL, &out, &err), 2);
    cr_assert(strstr(err, "a results set") && strstr(err, "a CI baseline"), "%s", err);
    free(out), free(err);
}

/* A B that is not complete fails, naming its status; an interrupted B
 * with no cases is not "ok: 0 checks". */
Test(ci, compare_incomplete_b_fails, .init = cmp_setup, .fini = cmp_teardown, .timeout = 120)
{
    char p[200], *out, *err;
    cr_assert_eq(cmp_run(cmp_a, cmp_variant("int", edit_interrupted, p, sizeof p), NULL, &out, &err), 3,
                 "%s%s", out, err);
    cr_assert(strstr(out, "B is interrupted, not complete"), "%s", out);
    cr_assert(strstr(out, "case booth.adam is in A, missing from B"), "%s", out);
    free(out), free(err);
    cr_assert_eq(cmp_run(cmp_a, cmp_variant("part", edit_partial, p, sizeof p), NULL, &out, &err), 3, "%s%s",
                 out, err);
    cr_assert(strstr(out, "B is partial, not complete"), "%s", out);
    free(out), free(err);
}

/* An ISA of A missing from B fails. */
Test(ci, compare_missing_isa_fails, .init = cmp_setup, .fini = cmp_teardown, .timeout = 120)
{
    char p[200], *out, *err;
    cr_assert_eq(cmp_run(cmp_a, cmp_variant("noscalar", edit_drop_scalar, p, sizeof p), NULL, &out, &err), 3,
                 "%s%s", out, err);
    cr_assert(strstr(out, "ISA scalar of case booth.adam is in A, missing from B"), "%s", out);
    free(out), free(err);
}

/* Different settings for the same case id: exit 2 naming the setting, or
 * with --allow-different listed and not judged. */
Test(ci, compare_different_settings, .init = cmp_setup, .fini = cmp_teardown, .timeout = 120)
{
    char p[200], *out, *err;
    cmp_variant("lr", edit_lr, p, sizeof p);
    cr_assert_eq(cmp_run(cmp_a, p, NULL, &out, &err), 2, "%s%s", out, err);
    cr_assert(strstr(err, "booth.adam (hparams.lr 0.1 -> 0.02)") && strstr(err, "--allow-different"), "%s",
              err);
    free(out), free(err);
    cr_assert_eq(cmp_run(cmp_a, p, "--allow-different", &out, &err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "settings differ (hparams.lr 0.1 -> 0.02): not judged"), "%s", out);
    cr_assert_null(strstr(out, "convergence"), "%s", out);
    free(out), free(err);
}

/* Direction: a lower loss and a target now reached are an improvement
 * (listed, exit 0); the same change the other way round is a regression
 * (exit 3); a target never reached reads "never". */
Test(ci, compare_improvement_and_regression, .init = cmp_setup, .fini = cmp_teardown, .timeout = 120)
{
    char p[200], *out, *err;
    cmp_variant("better", edit_better, p, sizeof p);
    cr_assert_eq(cmp_run(cmp_a, p, NULL, &out, &err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "IMPROVED improvement: final loss"), "%s", out);
    cr_assert(strstr(out, "steps to target never -> 42"), "%s", out);
    cr_assert_null(strstr(out, "nan"), "%s", out);
    free(out), free(err);
    cr_assert_eq(cmp_run(p, cmp_a, NULL, &out, &err), 3, "%s%s", out, err);
    cr_assert(strstr(out, "FAIL     regression: final loss"), "%s", out);
    cr_assert(strstr(out, "steps to target 42 -> never"), "%s", out);
    free(out), free(err);
}

/* Benchmark reports: time per iteration, lower is better.  A significant
 * speed-up is an improvement (exit 0), the same change the other way a
 * regression (exit 3). */
static void write_gb(const char *path, double t)
{
    cJSON *d = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(d, "benchmarks");
    for (int r = 0; r < 9; r++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", "kernel/x");
        cJSON_AddStringToObject(e, "run_name", "kernel/x");
        cJSON_AddStringToObject(e, "run_type", "iteration");
        cJSON_AddNumberToObject(e, "repetition_index", r);
        cJSON_AddNumberToObject(e, "real_time", t * (1 + 0.001 * r));
        cJSON_AddItemToArray(list, e);
    }
    char msg[256];
    cr_assert_eq(ob_json_write(path, d, msg, sizeof msg), 0, "%s", msg);
    cJSON_Delete(d);
}

Test(ci, compare_bench_reports_know_the_direction, .init = cmp_setup, .fini = cmp_teardown, .timeout = 120)
{
    char slow[200], fast[200], *out, *err;
    snprintf(slow, sizeof slow, "%s/slow.json", cmp_dir);
    snprintf(fast, sizeof fast, "%s/fast.json", cmp_dir);
    write_gb(slow, 100);
    write_gb(fast, 50);
    cr_assert_eq(cmp_run(slow, fast, NULL, &out, &err), 0, "%s%s", out, err);
    cr_assert(strstr(out, "IMPROVED improvement: 100.4 -> 50.2"), "%s", out);
    free(out), free(err);
    cr_assert_eq(cmp_run(fast, slow, NULL, &out, &err), 3, "%s%s", out, err);
    cr_assert(strstr(out, "FAIL     regression: 50.2 -> 100.4"), "%s", out);
    free(out), free(err);
}
