/*
 * merge_run.c — the shards of one `optbench run --shard I/N` into one run
 * folder (see ob_merge.h): results.json with every case record in the
 * order of the unsharded run, and the cases' CSVs.
 *
 * Each shard's results.json carries "shard" (ob_run.h): the ids of the
 * whole suite in order and the command line the shards share, which is
 * how a folder of another run is told apart.  The records are copied
 * unchanged; each keeps the wall times its own machine measured, and the
 * merged meta names every shard's CPU ("cpu_model" says "mixed" when they
 * differ), so no time is read as one machine's.
 */
#include "ob_merge.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/ob_core.h"

typedef struct run_dir {
    const char *dir;
    cJSON *doc;         /* results.json */
    const cJSON *shard; /* its "shard" */
    unsigned long long index, count;
    size_t recorded;
    int use; /* merged (readable, and of the same run as the first such) */
} run_dir;

static const cJSON *item(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
    const char *v = cJSON_GetStringValue(item(o, k));
    return v ? v : "unknown";
}

/* Reads dir/results.json and its shard record; 0, or -1 after noting the problem. */
static int read_run(ob_merge *m, run_dir *d)
{
    char path[4400], msg[4600];
    snprintf(path, sizeof path, "%s/bench.json", d->dir);
    if (access(path, F_OK) == 0) {
        ob_merge_problem(m, d->dir, "holds bench results: timings are per machine and are never merged "
                                    "(compare them with optbench compare)");
        return -1;
    }
    snprintf(path, sizeof path, "%s/results.json", d->dir);
    if (!(d->doc = ob_results_read(path, msg, sizeof msg))) {
        ob_merge_problem(m, d->dir, "%s", msg);
        return -1;
    }
    d->shard = item(d->doc, "shard");
    const cJSON *i = item(d->shard, "index"), *n = item(d->shard, "count");
    if (!cJSON_IsNumber(i) || !cJSON_IsNumber(n) || !cJSON_IsArray(item(d->shard, "ids")) ||
        !cJSON_IsArray(item(d->shard, "spec")) || n->valuedouble < 1 || i->valuedouble < 0 ||
        i->valuedouble >= n->valuedouble) {
        ob_merge_problem(m, d->dir, "not a run shard (results.json has no \"shard\"; shards are made by "
                                    "optbench run --shard I/N)");
        return -1;
    }
    d->index = (unsigned long long)i->valuedouble;
    d->count = (unsigned long long)n->valuedouble;
    return 0;
}

static int same_run(ob_merge *m, const run_dir *ref, const run_dir *d)
{
    if (!cJSON_Compare(item(ref->shard, "spec"), item(d->shard, "spec"), 1) ||
        !cJSON_Compare(item(ref->shard, "ids"), item(d->shard, "ids"), 1)) {
        char *a = cJSON_PrintUnformatted(item(d->shard, "spec")), *b = cJSON_PrintUnformatted(item(ref->shard, "spec"));
        ob_merge_problem(m, d->dir, "a different run than %s's: command line %s here, %s there (or other cases)",
                         ref->dir, a ? a : "?", b ? b : "?");
        free(a);
        free(b);
        return 0;
    }
    if (d->count != ref->count) {
        ob_merge_problem(m, d->dir, "one of %llu shards, but %s is one of %llu", d->count, ref->dir, ref->count);
        return 0;
    }
    const char *vd = str(d->shard, "optbench_version"), *vr = str(ref->shard, "optbench_version");
    const char *cd = str(item(d->doc, "meta"), "git_commit"), *cr = str(item(ref->doc, "meta"), "git_commit");
    if (strcmp(vd, vr) || strcmp(cd, cr)) {
        ob_merge_problem(m, d->dir, "run by optbench %s (commit %s), but %s by optbench %s (commit %s)", vd, cd,
                         ref->dir, vr, cr);
        return 0;
    }
    return 1;
}

/* Claims d's case records for their places in the whole run (at[j]). */
static void claim_cases(ob_merge *m, run_dir *dirs, size_t k, const cJSON *ids, size_t total, const cJSON **at,
                        size_t *from)
{
    run_dir *d = &dirs[k];
    const cJSON *c;
    cJSON_ArrayForEach(c, item(d->doc, "cases"))
    {
        const char *id = str(c, "id");
        size_t j = 0;
        for (const cJSON *x = ids->child; x && strcmp(x->valuestring, id); x = x->next) j++;
        if (j >= total) {
            ob_merge_problem(m, d->dir, "case %s is not a case of this run", id);
        } else if (at[j]) {
            ob_merge_problem(m, d->dir, "case %s is also in %s (a duplicated case)", id, dirs[from[j]].dir);
        } else if (j % d->count != d->index) {
            ob_merge_problem(m, d->dir, "case %s is a case of shard %llu/%llu, not of this shard %llu/%llu", id,
                             (unsigned long long)(j % d->count), d->count, d->index, d->count);
        } else {
            at[j] = c;
            from[j] = k;
            d->recorded++;
        }
    }
    size_t expected = 0;
    for (size_t j = 0; j < total; j++) expected += j % d->count == d->index;
    if (d->recorded < expected)
        ob_merge_problem(m, d->dir, "shard %llu/%llu has %zu of its %zu cases recorded (status %s)", d->index,
                         d->count, d->recorded, expected, str(d->doc, "status"));
    const cJSON *meta = item(d->doc, "meta");
    ob_merge_shard(m, d->dir, d->index, expected, d->recorded, str(meta, "cpu_model"),
                   str(d->shard, "optbench_version"), str(meta, "git_commit"));
}

/* The merged meta: the reference shard's (its seed and settings, which
 * compare checks), the CPU of every shard. */
static cJSON *merged_meta(const ob_merge *m, const run_dir *ref)
{
    cJSON *meta = cJSON_Duplicate(item(ref->doc, "meta"), 1);
    const char *cpu = str(item(ref->doc, "meta"), "cpu_model");
    int mixed = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, m->shards) mixed |= strcmp(str(s, "cpu_model"), cpu) != 0;
    if (mixed) cJSON_ReplaceItemInObject(meta, "cpu_model", cJSON_CreateString("mixed (see merged_from)"));
    cJSON_AddItemToObject(meta, "merged_from", cJSON_Duplicate(m->shards, 1));
    cJSON_AddItemToObject(meta, "merge_command_line",
                          cJSON_Duplicate(item(m->o->meta, "command_line"), 1));
    return meta;
}

/* Writes out_dir/results.json and copies the cases' CSVs; an exit code. */
static int write_merged(const ob_merge *m, const run_dir *dirs, const run_dir *ref, const cJSON **at,
                        const size_t *from, size_t total, const char *out_dir, char *err, size_t errlen)
{
    int rc = ob_merge_make_dir(out_dir, "cases", err, errlen);
    if (rc != OB_EXIT_OK) return rc;
    cJSON *doc = cJSON_CreateObject();
    size_t done = 0;
    for (size_t j = 0; j < total; j++) done += at[j] != NULL;
    cJSON_AddStringToObject(doc, "format", OB_RESULTS_FORMAT);
    cJSON_AddNumberToObject(doc, "version", OB_RESULTS_VERSION);
    cJSON_AddStringToObject(doc, "status", done == total ? "complete" : "incomplete");
    cJSON_AddNumberToObject(doc, "cases_planned", (double)total);
    cJSON_AddItemToObject(doc, "meta", merged_meta(m, ref));
    cJSON *cases = cJSON_AddArrayToObject(doc, "cases"), *failed = cJSON_AddArrayToObject(doc, "failed_cases");
    char src[4600], dst[4600];
    for (size_t j = 0; j < total && rc == OB_EXIT_OK; j++) {
        if (!at[j]) continue;
        cJSON_AddItemToArray(cases, cJSON_Duplicate(at[j], 1));
        snprintf(src, sizeof src, "%s/cases/%s.csv", dirs[from[j]].dir, str(at[j], "id"));
        snprintf(dst, sizeof dst, "%s/cases/%s.csv", out_dir, str(at[j], "id"));
        if (access(src, F_OK) == 0 && ob_merge_copy(src, dst, err, errlen) != 0) rc = OB_EXIT_IO;
    }
    for (const run_dir *d = dirs; d->dir; d++) {
        const cJSON *f;
        if (d->use)
            cJSON_ArrayForEach(f, item(d->doc, "failed_cases")) cJSON_AddItemToArray(failed, cJSON_Duplicate(f, 1));
    }
    snprintf(dst, sizeof dst, "%s/results.json", out_dir);
    if (rc == OB_EXIT_OK && ob_json_write(dst, doc, err, errlen) != 0) rc = OB_EXIT_IO;
    cJSON_Delete(doc);
    return rc;
}

int ob_merge_run(const char *out_dir, const char *const *dirs_in, size_t n, const ob_merge_opts *o, FILE *out,
                 char *err, size_t errlen)
{
    ob_merge m;
    run_dir *dirs = calloc(n + 1, sizeof *dirs); /* ends with dir == NULL */
    int *use = calloc(n ? n : 1, sizeof *use);
    unsigned long long *index = calloc(n ? n : 1, sizeof *index);
    int rc = OB_EXIT_FAIL;
    if (!dirs || !use || !index || ob_merge_begin(&m, o) != 0) {
        snprintf(err, errlen, "out of memory");
        free(dirs), free(use), free(index);
        return rc;
    }
    const run_dir *ref = NULL;
    for (size_t k = 0; k < n; k++) {
        dirs[k].dir = dirs_in[k];
        use[k] = read_run(&m, &dirs[k]) == 0 && (!ref || same_run(&m, ref, &dirs[k]));
        if (use[k] && !ref) ref = &dirs[k];
        index[k] = dirs[k].index;
    }
    const cJSON **at = NULL;
    size_t *from = NULL;
    if (!ref) {
        snprintf(err, errlen, "none of the folders given is a readable run shard");
        rc = OB_EXIT_USAGE;
        goto done;
    }
    m.count = ref->count;
    ob_merge_check_cover(&m, dirs_in, index, use, n);
    const cJSON *ids = item(ref->shard, "ids");
    size_t total = (size_t)cJSON_GetArraySize(ids);
    at = calloc(total + 1, sizeof *at);
    from = calloc(total + 1, sizeof *from);
    if (!at || !from) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        dirs[k].use = use[k]; /* ob_merge_check_cover drops a repeated shard */
        if (use[k]) claim_cases(&m, dirs, k, ids, total, at, from);
    }
    if ((rc = ob_merge_verdict(&m, err, errlen)) != OB_EXIT_OK) goto done;
    if ((rc = write_merged(&m, dirs, ref, at, from, total, out_dir, err, errlen)) != OB_EXIT_OK) goto done;
    size_t done_cases = 0;
    for (size_t j = 0; j < total; j++) done_cases += at[j] != NULL;
    fprintf(out, "merged %zu shard folder%s: %zu of %zu cases; results in %s/results.json\n", n, n == 1 ? "" : "s",
            done_cases, total, out_dir);
    char msg[4600];
    if (ob_merge_write_record(&m, out_dir, "run", msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s", msg);
        rc = OB_EXIT_IO;
    }
done:
    free(at);
    free(from);
    for (size_t k = 0; k < n; k++) cJSON_Delete(dirs[k].doc);
    ob_merge_end(&m);
    free(dirs), free(use), free(index);
    return rc;
}
