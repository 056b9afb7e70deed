/*
 * compare_results.c — `optbench compare A B` on two results sets (see
 * cmd_compare.c): the checks that make the comparison hard to fool.
 *
 *   completeness  both sets say "complete"; every case and every ISA of A
 *                 is in B (a case only in B is listed and skipped);
 *   settings      each case id ran with the same settings in A and B
 *                 (problem, optimizer, hyperparameters, schedule, steps,
 *                 tolerance, problem configuration, seed); comparing runs
 *                 of different settings says nothing about the code, so
 *                 the caller refuses (exit 2) unless --allow-different,
 *                 which lists those cases and does not judge them;
 *   convergence   directional: a lower final loss and fewer steps to the
 *                 target are improvements, the opposite a regression;
 *                 a target never reached reads "never";
 *   agreement     the max error within the bound and not grown;
 *   exactness     every ISA still bit-identical to scalar.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_internal.h"
#include "ob_ci.h"


static const cJSON *item(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = item(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const cJSON *case_by_id(const cJSON *doc, const char *id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, item(doc, "cases"))
    {
        const char *x = cJSON_GetStringValue(item(it, "id"));
        if (x && !strcmp(x, id)) return it;
    }
    return NULL;
}

static void value_text(const cJSON *v, char *buf, size_t len)
{
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;
    snprintf(buf, len, "%s", s ? s : "(absent)");
    free(s);
}

/* Writes "path: x -> y" for the first difference between x and y (either
 * may be NULL) into buf and returns 1, or returns 0 when they are equal.
 * Objects are compared key by key so that the message names the leaf. */
static int first_diff(const cJSON *x, const cJSON *y, const char *path, char *buf, size_t len)
{
    if (cJSON_IsObject(x) && cJSON_IsObject(y)) {
        const cJSON *c;
        char sub[160];
        cJSON_ArrayForEach(c, x)
        {
            snprintf(sub, sizeof sub, "%s.%s", path, c->string);
            if (first_diff(c, item(y, c->string), sub, buf, len)) return 1;
        }
        cJSON_ArrayForEach(c, y) if (!item(x, c->string))
        {
            snprintf(sub, sizeof sub, "%s.%s", path, c->string);
            return first_diff(NULL, c, sub, buf, len);
        }
        return 0;
    }
    if (x && y && cJSON_Compare(x, y, 1)) return 0;
    char vx[96], vy[96];
    value_text(x, vx, sizeof vx);
    value_text(y, vy, sizeof vy);
    snprintf(buf, len, "%s %s -> %s", path, vx, vy);
    return 1;
}

/* The settings that make a case id's figures comparable. */
static int settings_differ(const cJSON *A, const cJSON *B, const cJSON *ca, const cJSON *cb, char *buf,
                           size_t len)
{
    static const char *const keys[] = {"problem", "optimizer", "hparams",       "schedule",
                                       "steps",   "tol",       "problem_config"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (first_diff(item(ca, keys[i]), item(cb, keys[i]), keys[i], buf, len)) return 1;
    return first_diff(item(item(A, "meta"), "seed"), item(item(B, "meta"), "seed"), "seed", buf, len);
}

static void status_check(const cJSON *doc, const char *which, ob_check_list *out)
{
    const char *st = cJSON_GetStringValue(item(doc, "status"));
    if (st && !strcmp(st, "complete")) return;
    ob_checks_add(
        out, "completeness", which, OB_CHECK_FAIL,
        "%s is %s, not complete (%d of %.0f planned cases): its figures cannot stand for the whole run",
        which, st ? st : "of unknown status", cJSON_GetArraySize(item(doc, "cases")),
        num(doc, "cases_planned"));
}

/* -1 better, 0 same, +1 worse: for lower-is-better values where NaN (or
 * "never", given as NaN) is the worst. */
static int direction(double a, double b, double rtol)
{
    if (isnan(a) && isnan(b)) return 0;
    if (isnan(b)) return 1;
    if (isnan(a)) return -1;
    if (a == b || fabs(a - b) <= rtol * fabs(a)) return 0;
    return b < a ? -1 : 1;
}

static void steps_text(double s, char *buf, size_t len)
{
    if (isnan(s)) snprintf(buf, len, "never");
    else snprintf(buf, len, "%.0f", s);
}

static void judge_isa(const char *name, const cJSON *pa, const cJSON *pb, ob_check_list *out)
{
    double la = num(pa, "final_loss"), lb = num(pb, "final_loss");
    double sa = num(pa, "steps_to_target"), sb = num(pb, "steps_to_target");
    int dl = direction(la, lb, CI_LOSS_RTOL), ds = direction(sa, sb, 0);
    char ta[24], tb[24];
    steps_text(sa, ta, sizeof ta);
    steps_text(sb, tb, sizeof tb);
    ob_check_status st = dl > 0 || ds > 0   ? OB_CHECK_FAIL
                         : dl < 0 || ds < 0 ? OB_CHECK_IMPROVED
                                            : OB_CHECK_PASS;
    ob_checks_add(out, "convergence", name, st, "%sfinal loss %.9g -> %.9g, steps to target %s -> %s",
                  st == OB_CHECK_FAIL       ? "regression: "
                  : st == OB_CHECK_IMPROVED ? "improvement: "
                                            : "",
                  la, lb, ta, tb);
    const cJSON *aa = item(pa, "agreement"), *ab = item(pb, "agreement");
    double ea = num(aa, "max_error_u"), eb = num(ab, "max_error_u"), bound = num(ab, "bound_u");
    int grew = !(eb <= bound) || (isfinite(ea) && eb > ea * (1 + 1e-6) + 1e-12);
    ob_checks_add(out, "agreement", name, grew ? OB_CHECK_FAIL : OB_CHECK_PASS,
                  "max error %.4g -> %.4g u*S (bound %g)", ea, eb, bound);
    int idb = cJSON_IsTrue(item(pb, "bit_identical"));
    ob_checks_add(out, "exactness", name, idb ? OB_CHECK_PASS : OB_CHECK_FAIL,
                  idb ? "bit-identical to scalar" : "not bit-identical to scalar in B");
}

static void judge_case(const char *id, const cJSON *ca, const cJSON *cb, ob_check_list *out)
{
    const cJSON *pa, *pb;
    char name[192];
    cJSON_ArrayForEach(pa, item(ca, "isa"))
    {
        snprintf(name, sizeof name, "%s/%s", id, pa->string);
        if (!(pb = item(item(cb, "isa"), pa->string)))
            ob_checks_add(out, "completeness", name, OB_CHECK_FAIL,
                          "ISA %s of case %s is in A, missing from B", pa->string, id);
        else judge_isa(name, pa, pb, out);
    }
    cJSON_ArrayForEach(pb, item(cb, "isa")) if (!item(item(ca, "isa"), pb->string))
    {
        snprintf(name, sizeof name, "%s/%s", id, pb->string);
        ob_checks_add(out, "completeness", name, OB_CHECK_SKIP, "ISA only in B: not judged");
    }
}

size_t ci_compare_results(const cJSON *A, const cJSON *B, int allow_different, ob_check_list *out, char *diff,
                          size_t difflen)
{
    size_t ndiff = 0, used = 0;
    if (difflen) diff[0] = '\0';
    status_check(A, "A", out);
    status_check(B, "B", out);
    const cJSON *ca, *cb;
    cJSON_ArrayForEach(ca, item(A, "cases"))
    {
        const char *id = cJSON_GetStringValue(item(ca, "id"));
        if (!id) continue;
        if (!(cb = case_by_id(B, id))) {
            ob_checks_add(out, "completeness", id, OB_CHECK_FAIL, "case %s is in A, missing from B", id);
            continue;
        }
        char what[320];
        if (settings_differ(A, B, ca, cb, what, sizeof what)) {
            ndiff++;
            if (used + 1 < difflen) {
                int w = snprintf(diff + used, difflen - used, "%s%s (%s)", used ? "; " : "", id, what);
                if (w > 0) used += (size_t)w < difflen - used ? (size_t)w : difflen - used - 1;
            }
            if (allow_different)
                ob_checks_add(out, "settings", id, OB_CHECK_SKIP, "settings differ (%s): not judged", what);
            continue;
        }
        judge_case(id, ca, cb, out);
    }
    cJSON_ArrayForEach(cb, item(B, "cases"))
    {
        const char *id = cJSON_GetStringValue(item(cb, "id"));
        if (id && !case_by_id(A, id))
            ob_checks_add(out, "completeness", id, OB_CHECK_SKIP, "case only in B: not judged");
    }
    return ndiff;
}
