/*
 * suite_sweep.c — `optbench run --from-sweep DIR`: the cases of a tuned
 * comparison (Schmidt, Schneider & Hennig, ICML 2021: each optimizer with
 * the hyperparameters a search found best for it on each problem), from
 * a finished sweep's sweep.json (harness/sweep; README "Tuned
 * comparisons").
 *
 * Every "best" entry becomes one suite entry: its problem with the
 * sweep's configuration (--n, --batch, --param), its optimizer with every
 * hyperparameter of the best setting (swept and fixed alike, exactly as
 * recorded: cJSON prints doubles so that they read back bit for bit), the
 * sweep's schedule and its steps.  The suite goes through
 * ob_suite_from_json, so it is checked like any suite file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"
#include "ob_run.h"

static const char *spec_str(const cJSON *spec, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, k));
}

/* spec[k] (a string of an unsigned integer) as a number in e. */
static void copy_count(cJSON *e, const cJSON *spec, const char *k)
{
    const char *v = spec_str(spec, k);
    uint64_t u;
    if (v && ob_parse_u64(v, &u) == 0) cJSON_AddNumberToObject(e, k, (double)u);
}

/* spec[k] (an array of strings) into e[as]. */
static void copy_list(cJSON *e, const cJSON *spec, const char *k, const char *as)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(spec, k);
    if (cJSON_IsArray(a) && cJSON_GetArraySize(a) > 0) cJSON_AddItemToObject(e, as, cJSON_Duplicate(a, 1));
}

static cJSON *entry(const cJSON *best, const cJSON *spec)
{
    cJSON *e = cJSON_CreateObject(), *opts = cJSON_AddArrayToObject(e, "optimizers");
    cJSON_AddStringToObject(e, "problem",
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(best, "problem")));
    cJSON_AddItemToArray(
        opts, cJSON_CreateString(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(best, "optimizer"))));
    double steps = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(best, "steps"));
    if (steps >= 1) cJSON_AddNumberToObject(e, "steps", steps);
    cJSON *set = cJSON_AddArrayToObject(e, "set");
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(best, "hparams"))
    {
        char kv[160];
        snprintf(kv, sizeof kv, "%s=%.17g", h->string, h->valuedouble);
        cJSON_AddItemToArray(set, cJSON_CreateString(kv));
    }
    copy_count(e, spec, "n");
    copy_count(e, spec, "batch");
    copy_list(e, spec, "param", "params");
    copy_list(e, spec, "sched-set", "sched_set");
    const char *sched = spec_str(spec, "schedule");
    if (sched && sched[0]) cJSON_AddStringToObject(e, "schedule", sched);
    return e;
}

int ob_suite_from_sweep(const char *dir, ob_suite *s, char *err, size_t errlen)
{
    char path[4400], msg[1024];
    snprintf(path, sizeof path, "%s/sweep/sweep.json", dir);
    FILE *probe = fopen(path, "r");
    if (probe) fclose(probe);
    else snprintf(path, sizeof path, "%s/sweep.json", dir);
    cJSON *doc = ob_json_read(path, msg, sizeof msg);
    if (!doc)
        return ob_fail(err, errlen, "--from-sweep %s: no sweep.json there or in its sweep/ (%s)", dir, msg);
    const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "format"));
    const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "status"));
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(doc, "best"), *b;
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(doc, "spec");
    int rc = 0;
    if (!fmt || strcmp(fmt, "optbench-sweep"))
        rc = ob_fail(err, errlen, "--from-sweep: %s is not a sweep's sweep.json", path);
    else if (!status || strcmp(status, "complete"))
        rc = ob_fail(err, errlen, "--from-sweep: sweep %s is %s: finish it first (optbench sweep --resume)",
                     dir, status ? status : "of unknown status");
    else if (cJSON_GetArraySize(best) < 1)
        rc = ob_fail(err, errlen, "--from-sweep: sweep %s has no best setting", dir);
    cJSON *suite = rc ? NULL : cJSON_CreateObject();
    if (suite) {
        cJSON *cases = cJSON_AddArrayToObject(suite, "cases");
        cJSON_ArrayForEach(b, best) cJSON_AddItemToArray(cases, entry(b, spec));
        snprintf(msg, sizeof msg, "the best settings of sweep %s", dir);
        rc = ob_suite_from_json(suite, msg, s, err, errlen);
        cJSON_Delete(suite);
    }
    cJSON_Delete(doc);
    return rc;
}
