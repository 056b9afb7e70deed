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

static const char *id_at(const void *ctx, size_t k)
{
    return ((const char(*)[160])ctx)[k];
}

cJSON *ob_run_shard_select(ob_suite *s, char (*ids)[160], const ob_shard *sh, int argc, char **argv)
{
    if (!sh->count) return NULL;
    /* What the shards of one run may differ in: the shard, where it writes, what it prints. */
    static const char *const with_value[] = {"--shard", "--out", NULL}, *const flags[] = {"--quiet", NULL};
    cJSON *rec = ob_shard_record(sh, id_at, ids, s->n, argc, argv, with_value, flags);
    if (!rec) return NULL;
    cJSON_AddStringToObject(rec, "optbench_version", OB_VERSION);
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
