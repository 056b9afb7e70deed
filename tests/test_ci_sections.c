/*
 * test_ci_sections.c — the speed gate's per-machine-class baseline
 * sections (README "Use in CI"): the gate picks this machine's section and
 * names it, skips with the recording command where there is none, and
 * --update-baseline adds or replaces this machine's section while keeping
 * the others; a version-1 baseline (one speed object) still reads.
 *
 * The machine class is posed with OPTBENCH_CI_CPU_MODEL, the test hook
 * that replaces the detected CPU model.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/ci/ob_ci.h"
#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"

#define INTEL "Intel(R) Xeon(R) Processor"

/* A section of class (cpu, this machine's ISA set) with one case whose
 * nine samples are all about ns (ns/elem) and fraction frac. */
static cJSON *section(const char *cpu, const char *recorded, double ns, double frac)
{
    cJSON *s = ob_ci_machine_section();
    cJSON_ReplaceItemInObject(s, "cpu_model", cJSON_CreateString(cpu));
    cJSON_ReplaceItemInObject(s, "recorded", cJSON_CreateString(recorded));
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", "adam/scalar/64Ki");
    double v[9];
    for (int i = 0; i < 9; i++) v[i] = ns * (1 + 0.001 * i);
    cJSON_AddItemToObject(c, "samples_ns_per_elem", cJSON_CreateDoubleArray(v, 9));
    cJSON_AddNumberToObject(c, "frac_mem_ceiling", frac);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(s, "cases"), c);
    return s;
}

/* {"speed": {"sections": [a, b]}} (b may be NULL); takes a and b. */
static cJSON *doc_with(cJSON *a, cJSON *b)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(cJSON_AddObjectToObject(d, "speed"), "sections");
    cJSON_AddItemToArray(arr, a);
    if (b) cJSON_AddItemToArray(arr, b);
    return d;
}

static const ob_check *find(const ob_check_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].gate, "speed") && !strcmp(l->v[i].name, name)) return &l->v[i];
    return NULL;
}

/* Two sections: the gate compares with the one of this machine's class (a
 * wrong choice would fail: the Intel section is 10 times faster) and says
 * which, with its date, in a check and in the text table. */
Test(ci_sections, the_gate_picks_the_matching_section_and_names_it)
{
    ob_ci_options o;
    ob_ci_options_default(&o);
    cJSON *base = doc_with(section(INTEL, "2026-11-28T12:10:38Z", 0.1, 0.9),
                           section("Fake CPU 7000", "2026-12-01T08:00:00Z", 1.0, 0.5));
    cJSON *meas = doc_with(section("Fake CPU 7000", "2026-12-05T00:00:00Z", 1.0, 0.5), NULL);
    ob_check_list l = {0};
    ob_ci_compare_speed(meas, base, &o, &l);
    const ob_check *s = find(&l, "section"), *c = find(&l, "adam/scalar/64Ki");
    cr_assert(s && c, "%zu checks", l.n);
    cr_assert_eq(s->status, OB_CHECK_PASS);
    cr_assert(strstr(s->detail, "\"Fake CPU 7000\"") && strstr(s->detail, "recorded 2026-12-01T08:00:00Z"),
              "%s", s->detail);
    cr_assert_eq(c->status, OB_CHECK_PASS, "compared with the wrong section: %s", c->detail);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ob_checks_print_text(&l, f, 0);
    fclose(f);
    cr_assert(strstr(buf, "baseline section \"Fake CPU 7000\""), "%s", buf);
    free(buf);
    ob_checks_free(&l);
    /* Posing as the Intel machine picks the Intel section, which this
     * measurement is 10 times slower than. */
    cJSON_ReplaceItemInObject(
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(meas, "speed"), "sections"), 0),
        "cpu_model", cJSON_CreateString(INTEL));
    ob_ci_compare_speed(meas, base, &o, &l);
    cr_assert(strstr(find(&l, "section")->detail, INTEL));
    cr_assert_eq(find(&l, "adam/scalar/64Ki")->status, OB_CHECK_FAIL);
    ob_checks_free(&l);
    cJSON_Delete(base);
    cJSON_Delete(meas);
}

/* No section of this class (another model, or the same model with another
 * ISA set): one SKIP naming this class, the sections there are, and the
 * command that records one. */
Test(ci_sections, no_matching_section_skips_saying_how_to_record_one)
{
    ob_ci_options o;
    ob_ci_options_default(&o);
    cJSON *base = doc_with(section(INTEL, "2026-11-28T12:10:38Z", 0.1, 0.9), NULL);
    cJSON *meas = doc_with(section("AMD EPYC 9R14", "2026-12-05T00:00:00Z", 1.0, 0.5), NULL);
    ob_check_list l = {0};
    ob_ci_compare_speed(meas, base, &o, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.v[0].status, OB_CHECK_SKIP);
    const char *d = l.v[0].detail;
    cr_assert(strstr(d, "no speed section for this machine class \"AMD EPYC 9R14\"") &&
                  strstr(d, INTEL "\" (") && strstr(d, "recorded 2026-11-28T12:10:38Z") &&
                  strstr(d, "optbench ci --update-baseline --speed-only"),
              "%s", d);
    ob_checks_free(&l);
    cJSON *sec = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(meas, "speed"), "sections"), 0);
    cJSON_ReplaceItemInObject(sec, "cpu_model", cJSON_CreateString(INTEL));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(sec, "isa_supported"), "avx512", cJSON_CreateString("no"));
    ob_ci_compare_speed(meas, base, &o, &l);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.v[0].status, OB_CHECK_SKIP, "another ISA set is another class: %s", l.v[0].detail);
    ob_checks_free(&l);
    cJSON_Delete(base);
    cJSON_Delete(meas);
}

/* Merging replaces the section of the same class in its place and keeps
 * the others; a new class is appended. */
Test(ci_sections, merging_replaces_in_place_and_keeps_the_others)
{
    cJSON *base = doc_with(section("A", "1", 1, 1), section("B", "2", 1, 1));
    cJSON *sp = cJSON_GetObjectItem(base, "speed");
    cJSON *nb = section("B", "3", 2, 1), *nc = section("C", "4", 3, 1);
    cJSON *m1 = ob_ci_speed_merged(sp, nb), *m2 = ob_ci_speed_merged(m1, nc);
    cJSON *arr = cJSON_GetObjectItem(m2, "sections");
    cr_assert_eq(cJSON_GetArraySize(arr), 3);
    cr_assert(cJSON_Compare(cJSON_GetArrayItem(arr, 0),
                            cJSON_GetArrayItem(cJSON_GetObjectItem(sp, "sections"), 0), 1));
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "recorded")->valuestring, "3");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 2), "cpu_model")->valuestring, "C");
    cJSON *m0 = ob_ci_speed_merged(NULL, nc);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m0, "sections")), 1);
    cJSON_Delete(m0);
    cJSON_Delete(m1);
    cJSON_Delete(m2);
    cJSON_Delete(nb);
    cJSON_Delete(nc);
    cJSON_Delete(base);
}

/* The committed baseline rewritten as version 1 (one speed object), as a
 * user's old file reads. */
static void write_version1(const char *path)
{
    char err[512];
    cJSON *b = ob_json_read(OB_CI_BASELINE_DEFAULT, err, sizeof err);
    cr_assert(b, "%s", err);
    cJSON *sec = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "speed"), "sections"), 0);
    cJSON *old = cJSON_CreateObject();
    cJSON_AddStringToObject(old, "cpu_model", cJSON_GetObjectItem(sec, "cpu_model")->valuestring);
    cJSON_AddItemToObject(old, "cases", cJSON_DetachItemFromObject(sec, "cases"));
    cJSON_ReplaceItemInObject(b, "speed", old);
    cJSON_ReplaceItemInObject(b, "version", cJSON_CreateNumber(1));
    cr_assert_eq(ob_json_write(path, b, err, sizeof err), 0, "%s", err);
    cJSON_Delete(b);
}

/* The committed baseline's hashes hold for IEEE-754 hardware; valgrind
 * emulates FMA with a double rounding (scripts/run-valgrind-tests.sh). */
static void need_committed_hashes(void)
{
    if (getenv("OPTBENCH_UNDER_VALGRIND"))
        cr_skip_test(
            "against the committed baseline: SKIPPED under valgrind (its FMA emulation rounds twice)");
}

static void scratch(char *dir, char *path, size_t len)
{
    cr_assert(mkdtemp(dir));
    snprintf(path, len, "%s/base.json", dir);
}

static void cleanup(const char *dir, const char *path)
{
    unlink(path);
    rmdir(dir);
}

/* A version-1 file reads as one section (its ISA set and date from meta)
 * equal to the committed version-2 file's first, and ci passes against
 * it. */
Test(ci_sections, a_version_1_baseline_still_reads, .timeout = 120)
{
    char dir[] = "/tmp/optbench-ci-v1-XXXXXX", path[128], err[512];
    need_committed_hashes();
    scratch(dir, path, sizeof path);
    write_version1(path);
    cJSON *v1 = ob_ci_baseline_read(path, err, sizeof err);
    cr_assert(v1, "%s", err);
    cJSON *v2 = ob_ci_baseline_read(OB_CI_BASELINE_DEFAULT, err, sizeof err);
    cr_assert(v2, "%s", err);
    /* The version-1 file holds the committed file's first section only. */
    cJSON *secs = cJSON_GetObjectItem(cJSON_GetObjectItem(v2, "speed"), "sections");
    while (cJSON_GetArraySize(secs) > 1) cJSON_DeleteItemFromArray(secs, 1);
    cr_assert(cJSON_Compare(v1, v2, 1), "the version-1 file reads differently from its version-2 form");
    cJSON_Delete(v1);
    cJSON_Delete(v2);
    char *out = NULL, *msg = NULL;
    const char *argv[] = {"optbench", "ci", "--baseline", path, "--no-speed", NULL};
    cr_assert_eq(ob_cli_capture(argv, &out, &msg), 0, "%s%s", out, msg);
    /* 289 checks in the baseline, plus the 8-bit state's, judged in the
     * run (harness/ci/ci_q8.c): 3 presets x 4 optimizers x (each vector
     * ISA + the agreement check). */
    int nvec = 0;
    for (int i = 0; i < OB_ISA_COUNT; i++) nvec += i != OB_ISA_SCALAR && ob_isa_supported((ob_isa)i);
    char want[64];
    snprintf(want, sizeof want, "ok: %d checks", 289 + 12 * (nvec + 1));
    cr_assert(strstr(out, want), "%s lacks %s", out, want);
    free(out);
    free(msg);
    cleanup(dir, path);
}

static cJSON *sections_of(const char *path)
{
    char err[512];
    cJSON *b = ob_ci_baseline_read(path, err, sizeof err);
    cr_assert(b, "%s", err);
    return b;
}

static const cJSON *sec_named(const cJSON *doc, const char *cpu, int *index)
{
    const cJSON *s;
    int k = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "speed"), "sections"))
    {
        if (!strcmp(cJSON_GetObjectItem(s, "cpu_model")->valuestring, cpu)) {
            if (index) *index = k;
            return s;
        }
        k++;
    }
    return NULL;
}

static int ci_cli(const char *path, const char *a1, const char *a2, char **out)
{
    char *msg = NULL;
    const char *argv[] = {"optbench", "ci", "--baseline", path, a1, a2, NULL};
    int rc = ob_cli_capture(argv, out, &msg);
    if (rc != 0) fprintf(stderr, "%s%s", *out, msg);
    free(msg);
    return rc;
}

/* --update-baseline on a file with another machine's section (the
 * committed Intel one): --speed-only adds ours and changes nothing else;
 * again replaces ours in its place; a full update with another class
 * keeps both; --no-speed keeps all three; ci uses and names ours. */
Test(ci_sections, update_baseline_keeps_other_machines_sections, .timeout = 300)
{
    char dir[] = "/tmp/optbench-ci-sec-XXXXXX", path[128], err[512], *out = NULL;
    need_committed_hashes();
    scratch(dir, path, sizeof path);
    write_version1(path); /* a user's old file: upgraded on the way */
    cJSON *committed = sections_of(OB_CI_BASELINE_DEFAULT);
    const cJSON *intel = sec_named(committed, INTEL, NULL);
    cr_assert(intel);

    setenv("OPTBENCH_CI_CPU_MODEL", "Test CPU A", 1);
    cr_assert_eq(ci_cli(path, "--update-baseline", "--speed-only", &out), 0);
    free(out);
    cJSON *b = sections_of(path);
    int k = -1;
    cr_assert(cJSON_Compare(sec_named(b, INTEL, &k), intel, 1) && k == 0, "the Intel section changed");
    cr_assert(sec_named(b, "Test CPU A", &k) && k == 1);
    cJSON *rest = cJSON_Duplicate(b, 1), *crest = cJSON_Duplicate(committed, 1);
    cJSON_DeleteItemFromObject(rest, "speed");
    cJSON_DeleteItemFromObject(crest, "speed");
    cr_assert(cJSON_Compare(rest, crest, 1), "--speed-only changed more than the speed part");
    cJSON_Delete(rest);
    cJSON_Delete(crest);
    cJSON_Delete(b);

    cr_assert_eq(ci_cli(path, "--update-baseline", "--speed-only", &out), 0);
    free(out);
    b = sections_of(path);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "speed"), "sections")), 2);
    cr_assert(sec_named(b, "Test CPU A", &k) && k == 1);
    cJSON_Delete(b);

    setenv("OPTBENCH_CI_CPU_MODEL", "Test CPU B", 1);
    cr_assert_eq(ci_cli(path, "--update-baseline", NULL, &out), 0);
    free(out);
    b = sections_of(path);
    cJSON *a_sec = cJSON_Duplicate(sec_named(b, "Test CPU A", NULL), 1);
    cr_assert(cJSON_Compare(sec_named(b, INTEL, NULL), intel, 1) && a_sec && sec_named(b, "Test CPU B", &k) &&
              k == 2);
    cJSON_Delete(b);

    cr_assert_eq(ci_cli(path, "--update-baseline", "--no-speed", &out), 0);
    free(out);
    b = sections_of(path);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "speed"), "sections")), 3);
    cr_assert(cJSON_Compare(sec_named(b, "Test CPU A", NULL), a_sec, 1), "--no-speed changed a section");
    cJSON_Delete(b);
    cJSON_Delete(a_sec);

    /* The comparison uses this class's section and names it (its timings
     * may differ on a busy machine: only the choice is checked). */
    setenv("OPTBENCH_CI_CPU_MODEL", "Test CPU A", 1);
    ci_cli(path, "--verbose", NULL, &out);
    cr_assert(strstr(out, "baseline section \"Test CPU A\""), "%s", out);
    free(out);
    unsetenv("OPTBENCH_CI_CPU_MODEL");
    cJSON_Delete(committed);
    cleanup(dir, path);
    (void)err;
}

Test(ci_sections, speed_only_needs_update_baseline_and_the_speed_gate)
{
    /* A path that cannot be written: nothing is touched if a check fails. */
    const char *a1[] = {"optbench", "ci", "--baseline", "/nonexistent/b.json", "--speed-only", NULL};
    const char *a2[] = {"optbench",          "ci",           "--baseline", "/nonexistent/b.json",
                        "--update-baseline", "--speed-only", "--no-speed", NULL};
    const char *const *argvs[] = {a1, a2};
    for (int i = 0; i < 2; i++) {
        char *out = NULL, *msg = NULL;
        cr_assert_eq(ob_cli_capture(argvs[i], &out, &msg), 2);
        cr_assert(strstr(msg, "--speed-only goes with --update-baseline"), "%s", msg);
        free(out);
        free(msg);
    }
}
