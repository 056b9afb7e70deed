/*
 * run_shard.c — one shard of a run (`optbench run --shard I/N`, see
 * ob_run.h): its cases and the record `optbench merge` combines the
 * shards by.  Round robin over the suite's order, for the reason the
 * sweep's shards use it (harness/sweep/sweep_shard.c): the default suite
 * lists problem by problem, so blocks would give one shard all the long
 * problems.
 */
#include "ob_run.h"

#include <string.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"

/* Whether argv[k] is an option the shards of one run may differ in (the
 * shard, where it writes, how much it prints); *skip: its arguments. */
static int local_option(const char *arg, int *skip)
{
    static const char *const with_value[] = {"--shard", "--out"};
    *skip = 1;
    if (!strcmp(arg, "--quiet")) return 1;
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
        size_t len = strlen(with_value[k]);
        if (!strncmp(arg, with_value[k], len) && arg[len] == '=') return 1;
        if (!strcmp(arg, with_value[k])) return *skip = 2, 1;
    }
    return 0;
}

cJSON *ob_run_shard_select(ob_suite *s, char (*ids)[160], const ob_shard *sh, int argc, char **argv)
{
    if (!sh->count) return NULL;
    cJSON *rec = cJSON_CreateObject();
    if (!rec) return NULL;
    cJSON_AddNumberToObject(rec, "index", (double)sh->index);
    cJSON_AddNumberToObject(rec, "count", (double)sh->count);
    cJSON_AddNumberToObject(rec, "cases_total", (double)s->n);
    cJSON_AddStringToObject(rec, "optbench_version", OB_VERSION);
    cJSON *all = cJSON_AddArrayToObject(rec, "ids"), *spec = cJSON_AddArrayToObject(rec, "spec");
    for (size_t i = 0; i < s->n; i++) cJSON_AddItemToArray(all, cJSON_CreateString(ids[i]));
    for (int k = 1, skip = 1; k < argc; k += skip)
        if (!local_option(argv[k], &skip)) cJSON_AddItemToArray(spec, cJSON_CreateString(argv[k]));
    size_t kept = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!ob_shard_owns(sh, i)) continue;
        s->cases[kept] = s->cases[i];
        memmove(ids[kept], ids[i], sizeof ids[i]);
        kept++;
    }
    s->n = kept;
    return rec;
}
