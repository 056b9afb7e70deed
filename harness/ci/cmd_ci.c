/*
 * cmd_ci.c — `optbench ci`: the CI regression suite against a committed
 * baseline (ob_ci.h, README "Use in CI").
 */
#include <stdlib.h>
#include <string.h>

#include "ob_ci.h"
#include "ci_internal.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "harness/plugin/ob_plugin.h"
#include "harness/run/ob_run.h"

static const ob_opt ci_opts[] = {
    {"baseline", "FILE", 0, "baseline to compare with (default " OB_CI_BASELINE_DEFAULT ")"},
    {"update-baseline", NULL, OB_OPT_FLAG,
     "measure and (atomically) rewrite the baseline instead of comparing"},
    {"junit", "FILE", 0, "also write JUnit XML, one testcase per check"},
    {"markdown", NULL, OB_OPT_FLAG, "print the table as Markdown (for a pull request)"},
    {"no-speed", NULL, OB_OPT_FLAG, "skip the speed gate (shared CI machines)"},
    {"speed-only", NULL, OB_OPT_FLAG,
     "with --update-baseline: add or replace this machine's speed section only, keeping the rest"},
    {"verbose", NULL, OB_OPT_FLAG, "list passing checks too"},
    {"out", "FILE", 0, "also write the measurement (baseline format) to FILE"},
    {"repro-dir", "DIR", 0,
     "where an exactness failure's trace line finds its inputs (default " OB_CI_REPRO_DIR ")"},
    {"speed-alpha", "P", 0, "significance level of the speed gate's U test (default 0.05)"},
    {"speed-effect", "F", 0, "minimum relative slowdown that counts (default 0.08 = 8%)"},
    {"speed-reps", "N", 0, "repetitions per speed case, >= 9 (default 9)"},
    OB_PLUGIN_OPTIONS,
};

const ob_cmd_spec ob_cmd_ci_spec = {
    "ci",
    "[--baseline FILE] [--update-baseline [--speed-only]] [--junit FILE] [--markdown] [--no-speed]\n"
    "       [--plugin PATH.so --baseline FILE]...",
    "regression check of the kernels against a committed baseline",
    "Runs a fixed, fast suite and compares it with the baseline:\n"
    "  exactness    hash of parameters and state after 30 steps on fixed inputs,\n"
    "               per optimizer, option set and ISA: every ISA equal to scalar,\n"
    "               scalar equal to the baseline (bit for bit);\n"
    "  coverage     every ISA equal to scalar at lengths that run every block of\n"
    "               its kernel (loop, straight-line vectors, every tail), in the\n"
    "               same run: nothing from the baseline;\n"
    "  agreement    worst single-step error against the reference: within the\n"
    "               documented bound and not above the baseline's;\n"
    "  convergence  steps-to-target and final loss on the CI problems: unchanged;\n"
    "  speed        throughput: Mann-Whitney U test plus a minimum effect, against\n"
    "               the baseline's section for this machine class (CPU model and\n"
    "               ISA set); skipped, saying how to record one, where it has none.\n"
    "--update-baseline re-records everything but the other machine classes' speed\n"
    "sections (with --no-speed: every speed section is kept); --update-baseline\n"
    "--speed-only checks the tree against the baseline and only adds or replaces\n"
    "this machine's speed section.\n"
    "Exit status: 0 no regression, 3 a regression (the table says what changed),\n"
    "2 bad arguments or a missing/malformed baseline, 1 the suite itself failed,\n"
    "4 the baseline, --out or --junit file could not be written.\n"
    "A failure names the kernel file and block (unrolled loop, single vector,\n"
    "masked tail) that computed the first differing element, and a command line\n"
    "that reproduces it; an exactness failure's `optbench trace` line reads the\n"
    "gate's inputs, written to --repro-dir when one fails.\n"
    "With --plugin (and a --baseline of your own), only the plugin kernels are\n"
    "checked, each in a child process: the hashes of the exactness gate's 30\n"
    "steps for every option set it honours, its agreement (within its bound, not\n"
    "above the baseline's), convergence on the CI problems, and its speed.",
    ci_opts,
    sizeof ci_opts / sizeof ci_opts[0],
    0,
    0,
    ob_cmd_ci,
};

/* The baseline keeps the scalar exactness records only: the ISA checks
 * compare ISAs with scalar within one run. */
static void strip_for_baseline(cJSON *m)
{
    cJSON *cases = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "exactness"),
                                                    "cases");
    cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        cJSON *isa = cJSON_GetObjectItemCaseSensitive(c, "isa");
        for (int i = 0; i < OB_ISA_COUNT; i++)
            if (i != OB_ISA_SCALAR) cJSON_DeleteItemFromObjectCaseSensitive(isa, ob_isa_name((ob_isa)i));
    }
}

/* The speed part of the baseline being replaced (README "Use in CI"):
 * --update-baseline --no-speed carries all its sections over untouched;
 * with the speed gate, this machine's new section replaces its class's
 * and the other classes' sections are kept.  A missing or unreadable old
 * file has none to keep. */
static void merge_speed_sections(const char *path, cJSON *m)
{
    char msg[512];
    cJSON *old = ob_ci_baseline_read(path, msg, sizeof msg);
    cJSON *oldsp = old ? cJSON_GetObjectItemCaseSensitive(old, "speed") : NULL;
    cJSON *mine = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "speed"), "sections"), 0);
    if (mine) {
        cJSON_ReplaceItemInObjectCaseSensitive(m, "speed", ob_ci_speed_merged(oldsp, mine));
    } else if (oldsp) {
        cJSON_DeleteItemFromObjectCaseSensitive(m, "speed");
        cJSON_AddItemToObject(m, "speed", cJSON_DetachItemFromObjectCaseSensitive(old, "speed"));
    }
    cJSON_Delete(old);
}

/* --update-baseline --speed-only: the tree must still match the baseline
 * (any failure outside the speed gate refuses); the new document is the
 * old baseline with this machine's speed section added or replaced, so
 * nothing else in the file changes.  Returns the document (owned), or NULL
 * with the failures counted in *failed. */
static cJSON *speed_only_document(const cJSON *baseline, const cJSON *m, const ob_check_list *checks,
                                  size_t *failed)
{
    *failed = 0;
    for (size_t i = 0; i < checks->n; i++)
        *failed += checks->v[i].status == OB_CHECK_FAIL && strcmp(checks->v[i].gate, "speed") != 0;
    if (*failed) return NULL;
    cJSON *doc = cJSON_Duplicate(baseline, 1);
    const cJSON *mine = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "speed"), "sections"), 0);
    cJSON *merged = ob_ci_speed_merged(cJSON_GetObjectItemCaseSensitive(doc, "speed"), mine);
    if (cJSON_GetObjectItemCaseSensitive(doc, "speed"))
        cJSON_ReplaceItemInObjectCaseSensitive(doc, "speed", merged);
    else cJSON_AddItemToObject(doc, "speed", merged);
    return doc;
}

int ci_parse_speed_options(const ob_cmd_spec *c, const ob_args *a, ob_ci_options *opt, FILE *err)
{
    double v;
    const char *sa = ob_args_get(a, "speed-alpha"), *se = ob_args_get(a, "speed-effect");
    if (sa && (ob_parse_real(sa, &v) != 0 || !(v > 0 && v < 1)))
        return ob_usage_error(c, err, "--speed-alpha: '%s' is not a probability in (0, 1)", sa);
    if (sa) opt->speed_alpha = v;
    if (se && (ob_parse_real(se, &v) != 0 || !(v >= 0 && v < 10)))
        return ob_usage_error(c, err, "--speed-effect: '%s' is not a fraction in [0, 10)", se);
    if (se) opt->speed_effect = v;
    return OB_EXIT_OK;
}

int ob_cmd_ci(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_ci_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    const char *path = ob_args_get(&a, "baseline") ? ob_args_get(&a, "baseline") : OB_CI_BASELINE_DEFAULT;
    int update = ob_args_has(&a, "update-baseline");
    ob_ci_options opt;
    ob_ci_options_default(&opt);
    opt.speed = !ob_args_has(&a, "no-speed");
    cJSON *baseline = NULL;
    char msg[1024];
    uint64_t reps;
    ob_plugin_set ps = {0};
    if ((rc = ob_plugin_set_load(&ps, c, &a, err)) != OB_EXIT_OK) goto done;
    if (ps.n && !ob_args_get(&a, "baseline")) {
        /* optbench's own baseline records optbench's kernels. */
        rc = ob_usage_error(c, err, "--plugin needs --baseline FILE: the plugin kernels' own baseline (record it "
                                    "with --update-baseline)");
        goto done;
    }
    opt.plugins = (const struct ob_plugin_kernel *const *)ps.k;
    opt.n_plugins = ps.n;
    opt.plugin_bound = ps.bound;
    const char *sr = ob_args_get(&a, "speed-reps");
    if ((rc = ci_parse_speed_options(c, &a, &opt, err)) != OB_EXIT_OK) goto done;
    if (sr && (ob_parse_u64(sr, &reps) != 0 || reps < 9 || reps > 60)) {
        rc = ob_usage_error(
            c, err, "--speed-reps: '%s' is not an integer in [9, 60] (the U test needs at least 9)", sr);
        goto done;
    }
    if (sr) opt.speed_reps = (int)reps;
    int speed_only = ob_args_has(&a, "speed-only");
    if (speed_only && (!update || !opt.speed)) {
        rc = ob_usage_error(c, err, "--speed-only goes with --update-baseline, and not with --no-speed");
        goto done;
    }
    if ((!update || speed_only) && !(baseline = ob_ci_baseline_read(path, msg, sizeof msg))) {
        rc = ob_usage_error(c, err, "%s", msg);
        goto done;
    }
    cJSON *m = ob_ci_measure(&opt, argc, argv, err, msg, sizeof msg);
    if (!m) {
        fprintf(err, "optbench ci: %s\n", msg);
        rc = OB_EXIT_FAIL;
        goto done;
    }
    ob_check_list checks = {0};
    opt.repro_dir = ob_args_get(&a, "repro-dir") ? ob_args_get(&a, "repro-dir") : OB_CI_REPRO_DIR;
    /* Even when updating, a run whose ISAs disagree or that breaks a bound
     * must not become the new baseline. */
    ob_ci_compare(m, baseline, &opt, &checks);
    ci_write_repro_inputs(&checks, opt.repro_dir, err);
    /* A file that cannot be written is exit 4 (README "Exit codes"). */
    int out_failed = ob_args_get(&a, "out") && ob_json_write(ob_args_get(&a, "out"), m, msg, sizeof msg) != 0;
    if (out_failed) fprintf(err, "optbench ci: %s\n", msg);
    if (ob_args_has(&a, "markdown")) ob_checks_print_markdown(&checks, out);
    else ob_checks_print_text(&checks, out, ob_args_has(&a, "verbose"));
    size_t failed = ob_checks_count(&checks, OB_CHECK_FAIL);
    if (ob_args_get(&a, "junit") &&
        ob_checks_write_junit(&checks, ob_args_get(&a, "junit"), msg, sizeof msg) != 0) {
        fprintf(err, "optbench ci: %s\n", msg);
        rc = OB_EXIT_IO;
    } else if (update) {
        cJSON *doc = NULL;
        if (speed_only) doc = speed_only_document(baseline, m, &checks, &failed);
        if (failed) {
            fprintf(err, "optbench ci: not updating %s: %zu check%s failed within this run\n", path, failed,
                    failed == 1 ? "" : "s");
            rc = OB_EXIT_AGREEMENT;
        } else {
            if (!doc) {
                strip_for_baseline(m);
                merge_speed_sections(path, m);
            }
            int wrc = ob_json_write(path, doc ? doc : m, msg, sizeof msg);
            cJSON_Delete(doc);
            if (wrc != 0) {
                fprintf(err, "optbench ci: %s\n", msg);
                rc = OB_EXIT_IO;
            } else {
                fprintf(out, "baseline written to %s\n", path);
                rc = OB_EXIT_OK;
            }
        }
    } else {
        fprintf(out, "%s: %zu checks, %zu failed, %zu skipped (baseline %s)\n", failed ? "REGRESSION" : "ok",
                checks.n, failed, ob_checks_count(&checks, OB_CHECK_SKIP), path);
        rc = failed ? OB_EXIT_AGREEMENT : OB_EXIT_OK;
    }
    if (out_failed && rc == OB_EXIT_OK) rc = OB_EXIT_IO;
    ob_checks_free(&checks);
    cJSON_Delete(m);
done:
    cJSON_Delete(baseline);
    ob_plugin_set_free(&ps);
    ob_args_free(&a);
    return rc;
}
