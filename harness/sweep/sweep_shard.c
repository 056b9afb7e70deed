/*
 * sweep_shard.c — one shard of a sweep (--shard I/N, see ob_sweep.h and
 * README "Scaling out"): which runs are its, and shard.json, the record
 * that tells `optbench merge` and a resumed shard what the folder holds.
 *
 * Round robin over the plan's order (run k belongs to shard k % N, as
 * COCO's batch=i/n): the plan is a function of the normalised
 * specification only, so every shard computes the same list and no two
 * shards share a run.  The plan lists problem by problem, optimizer by
 * optimizer, the first --grid slowest; contiguous blocks would hand one
 * shard all of an expensive problem or all the large learning rates,
 * whereas round robin gives every shard nearly the same mix, so shard
 * runtimes differ by about one run whatever the cost of each.
 */
#include "ob_sweep.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"

size_t ob_sweep_select_shard(ob_sweep *sw, const ob_shard *sh)
{
    size_t mine = 0;
    for (size_t i = 0; i < sw->n_runs; i++) {
        sw->runs[i].other_shard = !ob_shard_owns(sh, i);
        mine += !sw->runs[i].other_shard;
    }
    if (sh->count) {
        char text[256];
        snprintf(text, sizeof text,
                 "shard %llu/%llu: %zu of the sweep's %zu runs; combine the shards with optbench merge",
                 (unsigned long long)sh->index, (unsigned long long)sh->count, mine, sw->n_runs);
        cJSON_AddItemToArray(sw->notes, cJSON_CreateString(text));
    }
    return mine;
}

static void shard_path(const char *sweep_dir, char *buf, size_t len)
{
    snprintf(buf, len, "%s/shard.json", sweep_dir);
}

int ob_sweep_shard_write(const char *sweep_dir, const ob_sweep *sw, const ob_shard *sh, char *err,
                         size_t errlen)
{
    char path[4400];
    size_t mine = 0;
    for (size_t i = 0; i < sw->n_runs; i++) mine += ob_shard_owns(sh, i);
    shard_path(sweep_dir, path, sizeof path);
    cJSON *meta = ob_run_metadata(0, NULL, 0), *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", OB_SWEEP_SHARD_FORMAT);
    cJSON_AddNumberToObject(root, "version", OB_SWEEP_VERSION);
    cJSON_AddNumberToObject(root, "index", (double)sh->index);
    cJSON_AddNumberToObject(root, "count", (double)sh->count);
    cJSON_AddNumberToObject(root, "runs", (double)mine);
    cJSON_AddNumberToObject(root, "runs_total", (double)sw->n_runs);
    cJSON_AddStringToObject(root, "optbench_version", OB_VERSION);
    cJSON_AddItemToObject(root, "git_commit",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(meta, "git_commit"), 1));
    cJSON_AddItemToObject(root, "cpu_model",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(meta, "cpu_model"), 1));
    int rc = ob_json_write(path, root, err, errlen);
    cJSON_Delete(root);
    cJSON_Delete(meta);
    return rc;
}

static int get_u64(const cJSON *root, const char *key, uint64_t *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 9007199254740992.0) return -1;
    *v = (uint64_t)x->valuedouble;
    return (double)*v == x->valuedouble ? 0 : -1;
}

static void get_str(const cJSON *root, const char *key, char *buf, size_t len)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, key);
    snprintf(buf, len, "%s", cJSON_IsString(x) ? x->valuestring : "unknown");
}

int ob_sweep_shard_read(const char *sweep_dir, ob_sweep_shard_info *info, char *err, size_t errlen)
{
    char path[4400];
    shard_path(sweep_dir, path, sizeof path);
    memset(info, 0, sizeof *info);
    if (access(path, F_OK) != 0) return 0;
    cJSON *root = ob_json_read(path, err, errlen);
    if (!root) return -1;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    uint64_t ver = 0;
    int bad = !cJSON_IsString(fmt) || strcmp(fmt->valuestring, OB_SWEEP_SHARD_FORMAT) != 0 ||
              get_u64(root, "version", &ver) || ver != OB_SWEEP_VERSION ||
              get_u64(root, "index", &info->shard.index) || get_u64(root, "count", &info->shard.count) ||
              get_u64(root, "runs", &info->runs) || get_u64(root, "runs_total", &info->runs_total) ||
              info->shard.index >= info->shard.count;
    get_str(root, "optbench_version", info->version, sizeof info->version);
    get_str(root, "git_commit", info->commit, sizeof info->commit);
    get_str(root, "cpu_model", info->cpu, sizeof info->cpu);
    cJSON_Delete(root);
    if (bad)
        return ob_fail(err, errlen, "%s is not a sweep shard record of version %d (\"format\": \"%s\")", path,
                       OB_SWEEP_VERSION, OB_SWEEP_SHARD_FORMAT);
    return 1;
}
