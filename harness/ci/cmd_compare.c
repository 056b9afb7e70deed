/*
 * cmd_compare.c — `optbench compare A B`: the CI table for any two results.
 *
 * A and B may each be a results set (a run folder or its results.json), a
 * benchmark report (bench.json, or any Google Benchmark JSON with
 * repetitions), or a CI baseline / measurement (optbench ci --out).  B is
 * compared against A (A is the "before").  Exit status 3 when something
 * regressed or B is incomplete, as for `optbench ci`; 2 when the two
 * results sets ran different settings (unless --allow-different).
 * Results sets are judged in compare_results.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ob_ci.h"
#include "ci_internal.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "harness/run/ob_run.h"

static const ob_opt compare_opts[] = {
    {"markdown", NULL, OB_OPT_FLAG, "print the table as Markdown"},
    {"verbose", NULL, OB_OPT_FLAG, "list unchanged checks too"},
    {"allow-different", NULL, OB_OPT_FLAG,
     "list cases whose settings differ instead of refusing them (not judged)"},
    {"junit", "FILE", 0, "also write JUnit XML"},
    {"speed-alpha", "P", 0, "U-test significance level for benchmark reports (default 0.05)"},
    {"speed-effect", "F", 0, "minimum relative slowdown for benchmark reports (default 0.08)"},
};

const ob_cmd_spec ob_cmd_compare_spec = {
    "compare",
    "A B [--markdown] [--verbose] [--junit FILE] [--allow-different]",
    "compare two results sets, benchmark reports or CI baselines",
    "A is the reference (before), B the candidate (after). Both must be of the\n"
    "same kind: results sets (a run folder or results.json: final loss,\n"
    "steps-to-target, agreement and bit-identity per case and ISA), benchmark\n"
    "reports (bench.json or Google Benchmark JSON with repetitions: U test and\n"
    "minimum effect per benchmark), or CI baselines (optbench ci --out).\n"
    "Lower loss, fewer steps to target and higher speed are improvements,\n"
    "listed as such; only the worse direction fails. B must be complete and\n"
    "hold every case and ISA of A; results sets must have run the same\n"
    "settings per case (else exit 2, or --allow-different: listed, not judged).\n"
    "Exit status: 0 nothing regressed, 3 something did or B is incomplete,\n"
    "2 bad input or different settings.",
    compare_opts,
    sizeof compare_opts / sizeof compare_opts[0],
    2,
    2,
    ob_cmd_compare,
};

typedef enum { KIND_RESULTS, KIND_BENCH, KIND_CI, KIND_UNKNOWN } doc_kind;

static cJSON *load(const char *path, char *err, size_t errlen)
{
    struct stat st;
    char p[4200];
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) snprintf(p, sizeof p, "%s/results.json", path);
    else snprintf(p, sizeof p, "%s", path);
    return ob_json_read(p, err, errlen);
}

static doc_kind kind_of(const cJSON *j)
{
    const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "format"));
    if (f && !strcmp(f, "optbench-results")) return KIND_RESULTS;
    if (f && !strcmp(f, OB_CI_FORMAT)) return KIND_CI;
    if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "benchmarks"))) return KIND_BENCH;
    return KIND_UNKNOWN;
}

static const char *kind_name(doc_kind k)
{
    return k == KIND_RESULTS ? "a results set"
           : k == KIND_BENCH ? "a benchmark report"
           : k == KIND_CI    ? "a CI baseline"
                             : "unknown";
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Benchmark reports: per benchmark, the per-repetition times of A and B. */
static size_t times_of(const cJSON *doc, const char *run_name, double *out, size_t max)
{
    size_t k = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "benchmarks"))
    {
        const char *rt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "run_type"));
        const char *rn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "run_name"));
        if (!rt || strcmp(rt, "iteration") || !rn || strcmp(rn, run_name)) continue;
        double t = num(b, "real_time");
        if (isfinite(t) && k < max) out[k++] = t;
    }
    return k;
}

static void compare_bench(const cJSON *a, const cJSON *b, const ob_ci_options *opt, ob_check_list *out)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(b, "benchmarks"))
    {
        const char *rt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "run_type"));
        const char *rn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "run_name"));
        /* One check per benchmark: on its first repetition. */
        if (!rt || strcmp(rt, "iteration") || !rn || num(e, "repetition_index") > 0) continue;
        double xa[256], xb[256];
        size_t na = times_of(a, rn, xa, 256), nb = times_of(b, rn, xb, 256);
        if (na == 0) {
            ob_checks_add(out, "speed", rn, OB_CHECK_SKIP, "only in B");
            continue;
        }
        double p = ob_mann_whitney_p(xb, nb, xa, na);
        double ma = ob_median(xa, na), mb = ob_median(xb, nb), slow = mb / ma - 1;
        if (na < 9 || nb < 9) {
            ob_checks_add(out, "speed", rn, OB_CHECK_SKIP,
                          "%+.1f%% (median), but %zu and %zu repetitions: the U test needs at least 9 each",
                          100 * slow, na, nb);
            continue;
        }
        /* Time per iteration: lower is better, so only a significant
         * slowdown fails and a significant speed-up is an improvement. */
        int bad = p < opt->speed_alpha && slow > opt->speed_effect;
        int better = p < opt->speed_alpha && slow < -opt->speed_effect;
        ob_checks_add(out, "speed", rn,
                      bad      ? OB_CHECK_FAIL
                      : better ? OB_CHECK_IMPROVED
                               : OB_CHECK_PASS,
                      "%s%.4g -> %.4g (%+.1f%%, U-test p = %.3g)",
                      bad      ? "regression: "
                      : better ? "improvement: "
                               : "",
                      ma, mb, 100 * slow, p);
    }
}

int ob_cmd_compare(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_compare_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    ob_ci_options opt;
    ob_ci_options_default(&opt);
    char msg[1024];
    cJSON *A = NULL, *B = NULL;
    if ((rc = ci_parse_speed_options(c, &a, &opt, err)) != OB_EXIT_OK) goto done;
    if (!(A = load(a.pos[0], msg, sizeof msg)) || !(B = load(a.pos[1], msg, sizeof msg))) {
        rc = ob_usage_error(c, err, "%s", msg);
        goto done;
    }
    doc_kind ka = kind_of(A), kb = kind_of(B);
    if (ka == KIND_UNKNOWN || ka != kb) {
        rc = ob_usage_error(
            c, err,
            "%s is %s and %s is %s: compare two results sets, two benchmark reports or two CI baselines",
            a.pos[0], kind_name(ka), a.pos[1], kind_name(kb));
        goto done;
    }
    ob_check_list l = {0};
    if (ka == KIND_RESULTS) {
        char diff[2048];
        int allow = ob_args_has(&a, "allow-different");
        size_t nd = ci_compare_results(A, B, allow, &l, diff, sizeof diff);
        if (nd && !allow) {
            rc = ob_usage_error(
                c, err,
                "%zu case%s ran different settings in %s and %s, so comparing them says nothing about "
                "the code: %s (pass --allow-different to list them without judging)",
                nd, nd == 1 ? "" : "s", a.pos[0], a.pos[1], diff);
            ob_checks_free(&l);
            goto done;
        }
    } else if (ka == KIND_BENCH) compare_bench(A, B, &opt, &l);
    else {
        opt.repro_dir = OB_CI_REPRO_DIR;
        ob_ci_compare(B, A, &opt, &l);
        ci_write_repro_inputs(&l, opt.repro_dir, err);
    }
    size_t failed = ob_checks_count(&l, OB_CHECK_FAIL);
    if (!ob_args_has(&a, "markdown")) {
        /* The verdict first, naming the first failure, so that a log's
         * first line says what happened. */
        const ob_check *first = NULL;
        for (size_t i = 0; i < l.n && !first; i++)
            if (l.v[i].status == OB_CHECK_FAIL) first = &l.v[i];
        fprintf(out, "%s: %zu checks, %zu failed, %zu improved", failed ? "REGRESSION" : "ok", l.n, failed,
                ob_checks_count(&l, OB_CHECK_IMPROVED));
        if (first) fprintf(out, " (first: %s %s: %s)", first->gate, first->name, first->detail);
        fprintf(out, "\n\n");
    }
    if (ob_args_has(&a, "markdown")) ob_checks_print_markdown(&l, out);
    else ob_checks_print_text(&l, out, ob_args_has(&a, "verbose"));
    rc = failed ? OB_EXIT_AGREEMENT : OB_EXIT_OK;
    if (ob_args_get(&a, "junit") &&
        ob_checks_write_junit(&l, ob_args_get(&a, "junit"), msg, sizeof msg) != 0) {
        fprintf(err, "optbench compare: %s\n", msg);
        rc = OB_EXIT_FAIL;
    }
    ob_checks_free(&l);
done:
    cJSON_Delete(A);
    cJSON_Delete(B);
    ob_args_free(&a);
    return rc;
}
