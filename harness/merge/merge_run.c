/*
 * merge_run.c — the shards of one `optbench run --shard I/N` or `optbench
 * repro all|run ... --shard I/N` into one run folder (see ob_merge.h):
 * results.json with every case record in the order of the unsharded run
 * and the cases' CSVs, or repro/repro.json with every entry in table order
 * and the entries' files.
 *
 * Each shard records ob_shard_record (ob_core.h: the ids of the whole list
 * in order and the command line the shards share, which is how a folder of
 * another job is told apart): results.json's "shard", or repro/shard.json.
 * The records are copied unchanged; each keeps the wall times its own
 * machine measured, and the merged meta names every shard's CPU
 * ("cpu_model" says "mixed" when they differ), so no time is read as one
 * machine's.
 */
#include "ob_merge.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/repro/ob_repro.h"

/* Where a kind keeps its records and its shard record. */
typedef struct list_kind {
    const char *name;       /* merge.json's "kind" */
    const char *doc;        /* the results document, relative to the folder */
    const char *format;     /* its "format" */
    const char *shard_file; /* the shard record's file; NULL: "shard" in the document */
    const char *array, *key; /* the records and their id */
    const char *what;       /* "case", "entry" */
    const char *made_by;    /* the command that makes shards */
} list_kind;

static const list_kind run_kind = {"run",   "results.json", OB_RESULTS_FORMAT, NULL, "cases", "id", "case",
                                   "optbench run --shard I/N"};
static const list_kind repro_kind = {"repro", "repro/repro.json", "optbench-repro", "repro/shard.json",
                                     "entries", "name", "entry", "optbench repro all --shard I/N"};

typedef struct run_dir {
    const char *dir;
    cJSON *doc;         /* the results document */
    cJSON *shard_doc;   /* the shard record's own file, if the kind has one */
    const cJSON *shard; /* the shard record */
    const list_kind *kind;
    ob_merge_shard_id *id;
    size_t recorded;
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

/* Reads folder k's results document and its shard record (ob_merge_read_fn). */
static int read_run(ob_merge *m, void *ctx, size_t k, ob_merge_shard_id *id)
{
    run_dir *d = &((run_dir *)ctx)[k];
    const list_kind *kind = d->kind;
    char path[4400], msg[4600];
    snprintf(path, sizeof path, "%s/bench.json", d->dir);
    if (access(path, F_OK) == 0) {
        ob_merge_problem(m, d->dir, "holds bench results: timings are per machine and are never merged "
                                    "(compare them with optbench compare)");
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", d->dir, kind->doc);
    if (!(d->doc = ob_json_read(path, msg, sizeof msg))) {
        ob_merge_problem(m, d->dir, "%s", msg);
        return -1;
    }
    if (strcmp(str(d->doc, "format"), kind->format)) {
        ob_merge_problem(m, d->dir, "%s is not a document of format %s", kind->doc, kind->format);
        return -1;
    }
    if (kind->shard_file) {
        snprintf(path, sizeof path, "%s/%s", d->dir, kind->shard_file);
        d->shard = d->shard_doc = access(path, F_OK) == 0 ? ob_json_read(path, msg, sizeof msg) : NULL;
    } else {
        d->shard = item(d->doc, "shard");
    }
    const cJSON *i = item(d->shard, "index"), *n = item(d->shard, "count");
    if (!cJSON_IsNumber(i) || !cJSON_IsNumber(n) || !cJSON_IsArray(item(d->shard, "ids")) ||
        !cJSON_IsArray(item(d->shard, "spec")) || n->valuedouble < 1 || i->valuedouble < 0 ||
        i->valuedouble >= n->valuedouble) {
        ob_merge_problem(m, d->dir, "not a %s shard (no shard record in %s; shards are made by %s)", kind->name,
                         kind->shard_file ? kind->shard_file : kind->doc, kind->made_by);
        return -1;
    }
    id->index = (unsigned long long)i->valuedouble;
    id->count = (unsigned long long)n->valuedouble;
    const cJSON *meta = item(d->doc, "meta");
    snprintf(id->version, sizeof id->version, "%s", str(d->shard, "optbench_version"));
    snprintf(id->commit, sizeof id->commit, "%s", str(meta, "git_commit"));
    snprintf(id->cpu, sizeof id->cpu, "%s", str(meta, "cpu_model"));
    return 0;
}

/* Folder k is a shard of the same job as folder ref (ob_merge_same_fn). */
static int same_run(ob_merge *m, void *ctx, size_t ref, size_t k)
{
    const run_dir *r = &((run_dir *)ctx)[ref], *d = &((run_dir *)ctx)[k];
    if (cJSON_Compare(item(r->shard, "spec"), item(d->shard, "spec"), 1) &&
        cJSON_Compare(item(r->shard, "ids"), item(d->shard, "ids"), 1))
        return 1;
    char *a = cJSON_PrintUnformatted(item(d->shard, "spec")), *b = cJSON_PrintUnformatted(item(r->shard, "spec"));
    ob_merge_problem(m, d->dir, "a different %s than %s's: command line %s here, %s there (or other %s)",
                     d->kind->name, r->dir, a ? a : "?", b ? b : "?", d->kind->array);
    free(a);
    free(b);
    return 0;
}

/* Claims d's case records for their places in the whole run (at[j]). */
static void claim_cases(ob_merge *m, const list_kind *kind, run_dir *dirs, size_t k, const cJSON *ids,
                        size_t total, const cJSON **at, size_t *from)
{
    run_dir *d = &dirs[k];
    const unsigned long long index = d->id->index, count = d->id->count;
    const cJSON *c;
    const char *what = kind->what;
    cJSON_ArrayForEach(c, item(d->doc, kind->array))
    {
        const char *id = str(c, kind->key);
        size_t j = 0;
        for (const cJSON *x = ids->child; x && !(cJSON_IsString(x) && !strcmp(x->valuestring, id)); x = x->next)
            j++;
        if (j >= total) {
            ob_merge_problem(m, d->dir, "%s %s is not one of this %s", what, id, kind->name);
        } else if (at[j]) {
            ob_merge_problem(m, d->dir, "%s %s is also in %s (a duplicated %s)", what, id, dirs[from[j]].dir, what);
        } else if (j % count != index) {
            ob_merge_problem(m, d->dir, "%s %s is one of shard %llu/%llu, not of this shard %llu/%llu", what, id,
                             (unsigned long long)(j % count), count, index, count);
        } else {
            at[j] = c;
            from[j] = k;
            d->recorded++;
        }
    }
    size_t expected = 0;
    for (size_t j = 0; j < total; j++) expected += j % count == index;
    if (d->recorded < expected)
        ob_merge_problem(m, d->dir, "shard %llu/%llu has %zu of its %zu %s recorded", index, count, d->recorded,
                         expected, kind->array);
    ob_merge_shard(m, d->id, expected, d->recorded);
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
        /* An id is a file name (ob_case_id); one with a '/' is not, and is not followed. */
        if (!strchr(str(at[j], "id"), '/') && access(src, F_OK) == 0 && ob_merge_copy(src, dst, err, errlen) != 0)
            rc = OB_EXIT_IO;
    }
    for (const run_dir *d = dirs; d->dir; d++) {
        const cJSON *f;
        if (d->id->use)
            cJSON_ArrayForEach(f, item(d->doc, "failed_cases")) cJSON_AddItemToArray(failed, cJSON_Duplicate(f, 1));
    }
    snprintf(dst, sizeof dst, "%s/results.json", out_dir);
    if (rc == OB_EXIT_OK && ob_json_write(dst, doc, err, errlen) != 0) rc = OB_EXIT_IO;
    cJSON_Delete(doc);
    return rc;
}

/* Copies every file of d's repro/ folder but the documents into out_repro. */
static int copy_repro_files(const run_dir *d, const char *out_repro, char *err, size_t errlen)
{
    char dir[4400], src[4700], dst[4700];
    snprintf(dir, sizeof dir, "%s/repro", d->dir);
    DIR *dh = opendir(dir);
    if (!dh) return ob_fail(err, errlen, "%s: cannot open", dir);
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(dh));) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp.") || !strcmp(e->d_name, "repro.json") ||
            !strcmp(e->d_name, "shard.json"))
            continue;
        snprintf(src, sizeof src, "%s/%s", dir, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", out_repro, e->d_name);
        rc = ob_merge_copy(src, dst, err, errlen);
    }
    closedir(dh);
    return rc;
}

/* Writes out_dir/repro/: the entries' files and repro.json, the entries in
 * table order with repro's own summary line (ob_repro_write_json rewrites
 * the document it finds); an exit code. */
static int write_repro(const ob_merge *m, const run_dir *dirs, const run_dir *ref, const cJSON **at, size_t total,
                       const char *out_dir, char *err, size_t errlen)
{
    int rc = ob_merge_make_dir(out_dir, "repro", err, errlen);
    if (rc != OB_EXIT_OK) return rc;
    char repro_dir[4400], path[4500];
    snprintf(repro_dir, sizeof repro_dir, "%s/repro", out_dir);
    for (const run_dir *d = dirs; d->dir; d++)
        if (d->id->use && copy_repro_files(d, repro_dir, err, errlen) != 0) return OB_EXIT_IO;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "format", repro_kind.format);
    cJSON *arr = cJSON_AddArrayToObject(doc, "entries");
    for (size_t j = 0; j < total; j++)
        if (at[j]) cJSON_AddItemToArray(arr, cJSON_Duplicate(at[j], 1));
    snprintf(path, sizeof path, "%s/repro.json", repro_dir);
    rc = ob_json_write(path, doc, err, errlen) != 0 ||
                 ob_repro_write_json(repro_dir, NULL, NULL, 0, merged_meta(m, ref), err, errlen) != 0
             ? OB_EXIT_IO
             : OB_EXIT_OK;
    cJSON_Delete(doc);
    return rc;
}

static int merge_list(const list_kind *kind, const char *out_dir, const char *const *dirs_in, size_t n,
                      const ob_merge_opts *o, FILE *out, char *err, size_t errlen)
{
    ob_merge m;
    run_dir *dirs = calloc(n + 1, sizeof *dirs); /* ends with dir == NULL */
    ob_merge_shard_id *sid = calloc(n ? n : 1, sizeof *sid);
    int rc = OB_EXIT_FAIL;
    if (!dirs || !sid || ob_merge_begin(&m, o) != 0) {
        snprintf(err, errlen, "out of memory");
        free(dirs), free(sid);
        return rc;
    }
    for (size_t k = 0; k < n; k++) dirs[k] = (run_dir){.dir = dirs_in[k], .kind = kind, .id = &sid[k]};
    size_t r = ob_merge_read_shards(&m, sid, dirs_in, n, read_run, same_run, dirs);
    const run_dir *ref = r < n ? &dirs[r] : NULL;
    const cJSON **at = NULL;
    size_t *from = NULL;
    if (!ref) {
        snprintf(err, errlen, "none of the folders given is a readable %s shard", kind->name);
        rc = OB_EXIT_USAGE;
        goto done;
    }
    const cJSON *ids = item(ref->shard, "ids");
    size_t total = (size_t)cJSON_GetArraySize(ids);
    at = calloc(total + 1, sizeof *at);
    from = calloc(total + 1, sizeof *from);
    if (!at || !from) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        if (sid[k].use) claim_cases(&m, kind, dirs, k, ids, total, at, from);
    if ((rc = ob_merge_verdict(&m, err, errlen)) != OB_EXIT_OK) goto done;
    rc = kind == &run_kind ? write_merged(&m, dirs, ref, at, from, total, out_dir, err, errlen)
                           : write_repro(&m, dirs, ref, at, total, out_dir, err, errlen);
    if (rc != OB_EXIT_OK) goto done;
    size_t done_cases = 0;
    for (size_t j = 0; j < total; j++) done_cases += at[j] != NULL;
    fprintf(out, "merged %zu shard folder%s: %zu of %zu %s; results in %s/%s\n", n, n == 1 ? "" : "s", done_cases,
            total, kind->array, out_dir, kind->doc);
    char msg[4600];
    if (ob_merge_write_record(&m, out_dir, kind->name, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s", msg);
        rc = OB_EXIT_IO;
    }
done:
    free(at);
    free(from);
    for (size_t k = 0; k < n; k++) cJSON_Delete(dirs[k].doc), cJSON_Delete(dirs[k].shard_doc);
    ob_merge_end(&m);
    free(dirs), free(sid);
    return rc;
}

int ob_merge_run(const char *out_dir, const char *const *dirs, size_t n, const ob_merge_opts *o, FILE *out,
                 char *err, size_t errlen)
{
    return merge_list(&run_kind, out_dir, dirs, n, o, out, err, errlen);
}

int ob_merge_repro(const char *out_dir, const char *const *dirs, size_t n, const ob_merge_opts *o, FILE *out,
                   char *err, size_t errlen)
{
    return merge_list(&repro_kind, out_dir, dirs, n, o, out, err, errlen);
}
