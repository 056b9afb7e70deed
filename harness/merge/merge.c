/*
 * merge.c — what every kind of merge shares (see ob_merge.h): the list of
 * problems and the verdict, the check that the shards cover 0..N-1 once,
 * merge.json, the output folder and copying records unchanged.
 */
#include "ob_merge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/ob_core.h"

int ob_merge_begin(ob_merge *m, const ob_merge_opts *o)
{
    memset(m, 0, sizeof *m);
    m->o = o;
    m->problems = cJSON_CreateArray();
    m->shards = cJSON_CreateArray();
    return m->problems && m->shards ? 0 : -1;
}

void ob_merge_end(ob_merge *m)
{
    cJSON_Delete(m->problems);
    cJSON_Delete(m->shards);
    memset(m, 0, sizeof *m);
}

void ob_merge_problem(ob_merge *m, const char *dir, const char *fmt, ...)
{
    char text[1024], line[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s: %s", dir, text);
    cJSON_AddItemToArray(m->problems, cJSON_CreateString(line));
    if (m->o->errors) fprintf(m->o->errors, "optbench merge: %s\n", line);
}

void ob_merge_shard(ob_merge *m, const ob_merge_shard_id *id, size_t expected, size_t recorded)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "dir", id->dir);
    cJSON_AddNumberToObject(s, "index", (double)id->index);
    cJSON_AddNumberToObject(s, "expected", (double)expected);
    cJSON_AddNumberToObject(s, "recorded", (double)recorded);
    cJSON_AddStringToObject(s, "cpu_model", id->cpu);
    cJSON_AddStringToObject(s, "optbench_version", id->version);
    cJSON_AddStringToObject(s, "git_commit", id->commit);
    cJSON_AddItemToArray(m->shards, s);
}

/* The same N and the same optbench as the reference folder. */
static int same_build(ob_merge *m, const ob_merge_shard_id *ref, const ob_merge_shard_id *d)
{
    if (d->count != ref->count) {
        ob_merge_problem(m, d->dir, "one of %llu shards, but %s is one of %llu", d->count, ref->dir, ref->count);
        return 0;
    }
    if (strcmp(d->version, ref->version) || strcmp(d->commit, ref->commit)) {
        ob_merge_problem(m, d->dir, "run by optbench %s (commit %s), but %s by optbench %s (commit %s)", d->version,
                         d->commit, ref->dir, ref->version, ref->commit);
        return 0;
    }
    return 1;
}

/* Every shard 0..count-1 given once. */
static void check_cover(ob_merge *m, ob_merge_shard_id *ids, size_t n)
{
    for (unsigned long long i = 0; i < m->count; i++) {
        size_t first = n;
        for (size_t k = 0; k < n; k++) {
            if (!ids[k].use || ids[k].index != i) continue;
            if (first == n) {
                first = k;
                continue;
            }
            ob_merge_problem(m, ids[k].dir, "shard %llu/%llu again (also %s): its results would be duplicated", i,
                             m->count, ids[first].dir);
            ids[k].use = 0;
        }
        if (first == n) {
            char what[64];
            snprintf(what, sizeof what, "shard %llu/%llu", i, m->count);
            ob_merge_problem(m, what, "missing: no folder given holds it");
        }
    }
}

size_t ob_merge_read_shards(ob_merge *m, ob_merge_shard_id *ids, const char *const *dirs, size_t n,
                            ob_merge_read_fn read, ob_merge_same_fn same, void *ctx)
{
    size_t ref = n;
    for (size_t k = 0; k < n; k++) {
        ids[k].dir = dirs[k];
        ids[k].use = read(m, ctx, k, &ids[k]) == 0 &&
                     (ref == n || (same(m, ctx, ref, k) && same_build(m, &ids[ref], &ids[k])));
        if (ids[k].use && ref == n) ref = k;
    }
    if (ref == n) return n;
    m->count = ids[ref].count;
    check_cover(m, ids, n);
    return ref;
}

int ob_merge_verdict(const ob_merge *m, char *err, size_t errlen)
{
    int n = cJSON_GetArraySize(m->problems);
    if (n == 0 || m->o->partial) return OB_EXIT_OK;
    snprintf(err, errlen, "%d problem%s (listed above); nothing merged (--partial merges what is there)", n,
             n == 1 ? "" : "s");
    return OB_EXIT_USAGE;
}

int ob_merge_write_record(const ob_merge *m, const char *out_dir, const char *kind, char *err, size_t errlen)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/merge.json", out_dir);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", OB_MERGE_FORMAT);
    cJSON_AddNumberToObject(root, "version", OB_MERGE_VERSION);
    cJSON_AddStringToObject(root, "kind", kind);
    cJSON_AddStringToObject(root, "status", cJSON_GetArraySize(m->problems) ? "partial" : "complete");
    cJSON_AddNumberToObject(root, "count", (double)m->count);
    cJSON_AddItemToObject(root, "shards", cJSON_Duplicate(m->shards, 1));
    cJSON_AddItemToObject(root, "problems", cJSON_Duplicate(m->problems, 1));
    int rc = ob_json_write(path, root, err, errlen);
    cJSON_Delete(root);
    return rc;
}

int ob_merge_make_dir(const char *out_dir, const char *sub, char *err, size_t errlen)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", out_dir, sub);
    struct stat st;
    if (stat(path, &st) == 0) {
        snprintf(err, errlen, "%s exists already; merge into a new folder", path);
        return OB_EXIT_USAGE;
    }
    return ob_mkdirs(path, err, errlen) == 0 ? OB_EXIT_OK : OB_EXIT_IO;
}

int ob_merge_copy(const char *src, const char *dst, char *err, size_t errlen)
{
    /* Records are written once (atomically, by rename) and never changed
     * in place, so a link shares nothing that could change under it. */
    if (link(src, dst) == 0) return 0;
    if (errno == EEXIST) return ob_fail(err, errlen, "%s exists already", dst);
    char *text = NULL;
    size_t len = 0;
    if (ob_read_file(src, &text, &len, err, errlen) != 0) return -1;
    int rc = ob_atomic_write(dst, text, len, err, errlen);
    free(text);
    return rc;
}
