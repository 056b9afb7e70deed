/*
 * merge_sweep.c — the shards of one sweep (optbench sweep --shard I/N)
 * into one sweep folder (see ob_merge.h).
 *
 * The sweep is planned again from the shards' common spec.json, exactly
 * as `sweep --resume` plans it, so every record is checked against the run
 * it claims to be: its file name (the hash of the run's canonical text)
 * must be a run of the plan and of the folder's shard.  The records are
 * then placed, unchanged, in OUT/sweep/points, and the sweep's own loader
 * and report aggregate them: the merged sweep.json is what an unsharded
 * sweep with the same records writes.
 */
#include "ob_merge.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"
#include "harness/sweep/ob_sweep.h"

/* One folder given to the merge. */
typedef struct shard_dir {
    const char *dir;
    char sweep_dir[4200];
    ob_sweep_shard_info info;
    cJSON *spec;
    size_t recorded;
} shard_dir;

/* Reads folder k's shard.json and spec.json (ob_merge_read_fn). */
static int read_shard(ob_merge *m, void *ctx, size_t k, ob_merge_shard_id *id)
{
    shard_dir *d = &((shard_dir *)ctx)[k];
    char msg[4600], path[4400];
    snprintf(d->sweep_dir, sizeof d->sweep_dir, "%s/sweep", d->dir);
    int r = ob_sweep_shard_read(d->sweep_dir, &d->info, msg, sizeof msg);
    if (r == 0) {
        ob_merge_problem(m, d->dir, "not a sweep shard (no sweep/shard.json; shards are made by optbench sweep "
                                    "--shard I/N)");
        return -1;
    }
    if (r < 0) {
        ob_merge_problem(m, d->dir, "%s", msg);
        return -1;
    }
    snprintf(path, sizeof path, "%s/spec.json", d->sweep_dir);
    if (!(d->spec = ob_sweep_spec_read(path, msg, sizeof msg))) {
        ob_merge_problem(m, d->dir, "%s", msg);
        return -1;
    }
    id->index = d->info.shard.index;
    id->count = d->info.shard.count;
    snprintf(id->version, sizeof id->version, "%s", d->info.version);
    snprintf(id->commit, sizeof id->commit, "%s", d->info.commit);
    snprintf(id->cpu, sizeof id->cpu, "%s", d->info.cpu);
    return 0;
}

/* Folder k is a shard of the same sweep as folder ref (ob_merge_same_fn). */
static int same_sweep(ob_merge *m, void *ctx, size_t ref, size_t k)
{
    const shard_dir *r = &((shard_dir *)ctx)[ref], *d = &((shard_dir *)ctx)[k];
    char diff[2600];
    if (ob_sweep_spec_compare(r->spec, d->spec, diff, sizeof diff) == 0) return 1;
    ob_merge_problem(m, d->dir, "a different sweep than %s's: %s here", r->dir, diff);
    return 0;
}

static const ob_sweep *sort_sw; /* qsort has no context argument */
static int by_hash(const void *a, const void *b)
{
    return strcmp(sort_sw->runs[*(const size_t *)a].hash, sort_sw->runs[*(const size_t *)b].hash);
}

/* The run whose record is named `name` ("<hash>.json"), or SIZE_MAX. */
static size_t find_run(const ob_sweep *sw, const size_t *order, const char *name)
{
    size_t len = strlen(name);
    if (len != 21 || strcmp(name + 16, ".json") != 0) return SIZE_MAX;
    size_t lo = 0, hi = sw->n_runs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(sw->runs[order[mid]].hash, name, 16);
        if (c == 0) return order[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return SIZE_MAX;
}

/* Claims the records in d's points/ for their runs (src[run] = k). */
static void claim_points(ob_merge *m, const ob_sweep *sw, const size_t *order, shard_dir *dirs, size_t k,
                         size_t *src)
{
    shard_dir *d = &dirs[k];
    char path[4400];
    snprintf(path, sizeof path, "%s/points", d->sweep_dir);
    DIR *dh = opendir(path);
    if (!dh) {
        ob_merge_problem(m, d->dir, "no sweep/points folder");
        return;
    }
    for (struct dirent *e; (e = readdir(dh));) {
        /* Dot files and the temporaries of an interrupted write are not records. */
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp.")) continue;
        size_t r = find_run(sw, order, e->d_name);
        if (r == SIZE_MAX) {
            ob_merge_problem(m, d->dir, "sweep/points/%s is not a run of this sweep", e->d_name);
            continue;
        }
        if (src[r] != SIZE_MAX) {
            ob_merge_problem(m, d->dir, "sweep/points/%s is also in %s (a duplicated point)", e->d_name,
                             dirs[src[r]].dir);
            continue;
        }
        unsigned long long owner = (unsigned long long)(r % d->info.shard.count);
        if (owner != d->info.shard.index) {
            ob_merge_problem(m, d->dir, "sweep/points/%s is a run of shard %llu/%llu, not of this shard %llu/%llu",
                             e->d_name, owner, m->count, (unsigned long long)d->info.shard.index, m->count);
            continue;
        }
        src[r] = k;
        d->recorded++;
    }
    closedir(dh);
}

/* Notes each usable shard's missing records; returns the runs recorded nowhere. */
static size_t check_missing(ob_merge *m, const ob_sweep *sw, shard_dir *dirs, const ob_merge_shard_id *ids,
                            size_t n, const size_t *src)
{
    size_t missing = 0;
    for (size_t r = 0; r < sw->n_runs; r++) missing += src[r] == SIZE_MAX;
    for (size_t k = 0; k < n; k++) {
        if (!ids[k].use) continue;
        shard_dir *d = &dirs[k];
        ob_shard sh = d->info.shard;
        size_t expected = 0;
        for (size_t r = 0; r < sw->n_runs; r++) expected += ob_shard_owns(&sh, r);
        if (d->recorded < expected)
            ob_merge_problem(m, d->dir,
                             "shard %llu/%llu has %zu of its %zu runs recorded; finish it with optbench sweep "
                             "--resume %s",
                             (unsigned long long)sh.index, m->count, d->recorded, expected, d->dir);
        ob_merge_shard(m, &ids[k], expected, d->recorded);
    }
    return missing;
}

/* Copies the spec and the claimed records into out_dir/sweep; an exit code. */
static int place(const ob_sweep *sw, const shard_dir *dirs, const shard_dir *ref, const size_t *src,
                 const char *out_dir, char *err, size_t errlen)
{
    char from[4600], to[4600];
    int rc = ob_merge_make_dir(out_dir, "sweep/points", err, errlen);
    if (rc != OB_EXIT_OK) return rc;
    snprintf(from, sizeof from, "%s/spec.json", ref->sweep_dir);
    snprintf(to, sizeof to, "%s/sweep/spec.json", out_dir);
    if (ob_merge_copy(from, to, err, errlen) != 0) return OB_EXIT_IO;
    for (size_t r = 0; r < sw->n_runs; r++) {
        if (src[r] == SIZE_MAX) continue;
        snprintf(from, sizeof from, "%s/points/%s.json", dirs[src[r]].sweep_dir, sw->runs[r].hash);
        snprintf(to, sizeof to, "%s/sweep/points/%s.json", out_dir, sw->runs[r].hash);
        if (ob_merge_copy(from, to, err, errlen) != 0) return OB_EXIT_IO;
    }
    return OB_EXIT_OK;
}

/* Plans the sweep, claims every folder's records and checks what is
 * missing; then places and reports.  dirs[k] usable where ids[k].use. */
static int merge_planned(ob_merge *m, shard_dir *dirs, const ob_merge_shard_id *ids, size_t n, const shard_dir *ref,
                         const char *out_dir, FILE *out, char *err, size_t errlen)
{
    ob_sweep sw;
    char msg[4096];
    if (ob_sweep_plan(ref->spec, &sw, msg, sizeof msg) != 0)
        return snprintf(err, errlen, "%s/spec.json: %s", ref->sweep_dir, msg), OB_EXIT_USAGE;
    size_t *order = malloc((sw.n_runs + 1) * sizeof *order), *src = malloc((sw.n_runs + 1) * sizeof *src);
    int rc = OB_EXIT_FAIL;
    if (!order || !src) {
        snprintf(err, errlen, "out of memory for %zu runs", sw.n_runs);
        goto done;
    }
    for (size_t r = 0; r < sw.n_runs; r++) order[r] = r, src[r] = SIZE_MAX;
    sort_sw = &sw;
    qsort(order, sw.n_runs, sizeof *order, by_hash);
    for (size_t k = 0; k < n; k++)
        if (ids[k].use) {
            if (dirs[k].info.runs_total != sw.n_runs)
                ob_merge_problem(m, dirs[k].dir, "recorded as %llu runs, but the sweep plans %zu",
                                 (unsigned long long)dirs[k].info.runs_total, sw.n_runs);
            claim_points(m, &sw, order, dirs, k, src);
        }
    size_t missing = check_missing(m, &sw, dirs, ids, n, src);
    if ((rc = ob_merge_verdict(m, err, errlen)) != OB_EXIT_OK) goto done;
    if ((rc = place(&sw, dirs, ref, src, out_dir, err, errlen)) != OB_EXIT_OK) goto done;
    char sweep_dir[4200];
    snprintf(sweep_dir, sizeof sweep_dir, "%s/sweep", out_dir);
    ob_sweep_load_done(&sw, sweep_dir);
    const cJSON *p;
    cJSON_ArrayForEach(p, m->problems)
    {
        snprintf(msg, sizeof msg, "merged with --partial: %s", p->valuestring);
        cJSON_AddItemToArray(sw.notes, cJSON_CreateString(msg));
    }
    size_t done = 0;
    for (size_t r = 0; r < sw.n_runs; r++) done += sw.runs[r].done;
    ob_sweep_report_opts ro = {(ob_sweep_criterion)m->o->criterion,
                               done == sw.n_runs ? "complete" : "incomplete",
                               m->o->figures,
                               m->o->plot_dir,
                               NULL,
                               cJSON_Duplicate(m->o->meta, 1)};
    rc = ob_sweep_report(&sw, sweep_dir, &ro, out, msg, sizeof msg);
    if (rc != OB_EXIT_OK) snprintf(err, errlen, "%s", msg);
    fprintf(out, "\nmerged %zu shard folder%s: %zu of %zu runs (%zu missing); results in %s/sweep.json\n", n,
            n == 1 ? "" : "s", done, sw.n_runs, missing, sweep_dir);
    if (ob_merge_write_record(m, out_dir, "sweep", msg, sizeof msg) != 0 && rc == OB_EXIT_OK) {
        snprintf(err, errlen, "%s", msg);
        rc = OB_EXIT_IO;
    }
done:
    free(order);
    free(src);
    ob_sweep_free(&sw);
    return rc;
}

int ob_merge_sweep(const char *out_dir, const char *const *dirs_in, size_t n, const ob_merge_opts *o, FILE *out,
                   char *err, size_t errlen)
{
    ob_merge m;
    shard_dir *dirs = calloc(n ? n : 1, sizeof *dirs);
    ob_merge_shard_id *ids = calloc(n ? n : 1, sizeof *ids);
    int rc = OB_EXIT_FAIL;
    if (!dirs || !ids || ob_merge_begin(&m, o) != 0) {
        snprintf(err, errlen, "out of memory");
        free(dirs), free(ids);
        return rc;
    }
    for (size_t k = 0; k < n; k++) dirs[k].dir = dirs_in[k];
    size_t ref = ob_merge_read_shards(&m, ids, dirs_in, n, read_shard, same_sweep, dirs);
    if (ref == n) {
        snprintf(err, errlen, "none of the folders given is a readable sweep shard");
        rc = OB_EXIT_USAGE;
    } else {
        rc = merge_planned(&m, dirs, ids, n, &dirs[ref], out_dir, out, err, errlen);
    }
    for (size_t k = 0; k < n; k++) cJSON_Delete(dirs[k].spec);
    ob_merge_end(&m);
    free(dirs), free(ids);
    return rc;
}
