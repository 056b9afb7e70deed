/*
 * ob_merge.h — `optbench merge OUT DIR...` (README "Scaling out"): the
 * folders of the shards of one sweep, run or repro (each made with --shard I/N)
 * combined into one run folder that report and compare read like any
 * other.
 *
 * What is checked, each problem named with its folder: every shard 0..N-1
 * given once; the same specification, the same N, the same optbench
 * version and commit in every shard; no result in two folders (a
 * duplicated point) or in the wrong shard's folder; every result of every
 * shard recorded.  A problem is an error (exit 2, nothing merged) unless
 * --partial, which merges what is there and records in OUT/merge.json
 * (and the merged result's notes or status) what is missing.
 *
 * The merged results are the shards' own records, copied byte for byte
 * (hard links where the file system allows), so a merged sweep equals the
 * unsharded one bit for bit apart from the measured wall times.  Timings
 * are never averaged across machines: each shard's CPU model is kept in
 * merge.json beside the records it ran.
 *
 * OUT/merge.json:
 *   {"format": "optbench-merge", "version": 1, "kind": "sweep" | "run" | "repro",
 *    "status": "complete" | "partial", "count": N,
 *    "shards": [{"dir", "index", "expected", "recorded", "cpu_model",
 *                "optbench_version", "git_commit"}],
 *    "problems": ["<folder>: <what>", ...]}
 *
 * Split over merge.c (the checks, merge.json, copying), merge_sweep.c
 * (sweeps), merge_run.c (runs and repro) and cmd_merge.c (the command).
 */
#ifndef OB_MERGE_H
#define OB_MERGE_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OB_MERGE_FORMAT "optbench-merge"
#define OB_MERGE_VERSION 1

/* ---- one merge ---------------------------------------------------------- */

typedef struct ob_merge_opts {
    int partial;          /* merge what is there; problems are recorded, not errors */
    int figures;          /* sweeps: draw the sensitivity figures */
    const char *plot_dir; /* the gnuplot scripts (NULL: found) */
    int criterion;        /* sweeps: ob_sweep_criterion (0: loss, as sweep's default) */
    const cJSON *meta;    /* run metadata of the merge (copied into the results) */
    FILE *errors;         /* one line per problem found (NULL: none) */
} ob_merge_opts;

/* The state of a merge: the problems found so far (strings) and the
 * shards' entries of merge.json. */
typedef struct ob_merge {
    const ob_merge_opts *o;
    cJSON *problems;
    cJSON *shards;
    unsigned long long count; /* N of the shards */
} ob_merge;

/* Merges sweep shard folders (each <dir>/sweep/ with shard.json) into
 * out_dir/sweep/; prints the sweep's summary table to out.  Returns
 * OB_EXIT_OK; OB_EXIT_USAGE for any problem without --partial (err says
 * how many, each was printed to o->errors); OB_EXIT_IO when out_dir cannot
 * be written; 1 when a figure failed. */
int ob_merge_sweep(const char *out_dir, const char *const *dirs, size_t n, const ob_merge_opts *o, FILE *out,
                   char *err, size_t errlen);

/* Merges the folders of `optbench run --shard I/N` (each with a
 * results.json holding "shard", ob_run.h) into out_dir/results.json and
 * out_dir/cases/, the cases in the order of the unsharded run.  A folder
 * with bench results is a problem: timings are per machine.  Returns as
 * ob_merge_sweep. */
int ob_merge_run(const char *out_dir, const char *const *dirs, size_t n, const ob_merge_opts *o, FILE *out,
                 char *err, size_t errlen);

/* Merges the folders of `optbench repro all|run NAME... --shard I/N` (each
 * with repro/repro.json and repro/shard.json) into out_dir/repro/: the
 * entries in table order with repro's summary line, and their files.
 * Returns as ob_merge_sweep. */
int ob_merge_repro(const char *out_dir, const char *const *dirs, size_t n, const ob_merge_opts *o, FILE *out,
                   char *err, size_t errlen);

/* ---- shared by the kinds ------------------------------------------------ */

/* Starts a merge (0, or -1 when out of memory). */
int ob_merge_begin(ob_merge *m, const ob_merge_opts *o);
void ob_merge_end(ob_merge *m);
/* Records a problem "<dir>: <text>" and prints it to o->errors. */
void ob_merge_problem(ob_merge *m, const char *dir, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What a shard folder says of itself, whatever the kind. */
typedef struct ob_merge_shard_id {
    const char *dir;
    unsigned long long index, count;
    char version[64], commit[128], cpu[256];
    int use; /* merged: readable, of the same job as the first such, its shard not given before */
} ob_merge_shard_id;

/* A kind's reading of folder k: fills id (all but dir and use); 0, or -1
 * after noting the problem. */
typedef int (*ob_merge_read_fn)(ob_merge *m, void *ctx, size_t k, ob_merge_shard_id *id);
/* Whether folder k holds the same job as folder ref (specification, list
 * of work); notes the difference. */
typedef int (*ob_merge_same_fn)(ob_merge *m, void *ctx, size_t ref, size_t k);

/* Reads every folder and checks it against the first usable one (the same
 * job, N, optbench version and commit), then that the shards cover
 * 0..N-1 once each (a missing or repeated shard is a problem; a repeated
 * one is not used).  Sets m->count.  Returns the first usable folder's k,
 * or n when none is usable. */
size_t ob_merge_read_shards(ob_merge *m, ob_merge_shard_id *ids, const char *const *dirs, size_t n,
                            ob_merge_read_fn read, ob_merge_same_fn same, void *ctx);
/* Notes a merged shard with its record counts for merge.json. */
void ob_merge_shard(ob_merge *m, const ob_merge_shard_id *id, size_t expected, size_t recorded);
/* The verdict before anything is written: OB_EXIT_OK, or OB_EXIT_USAGE
 * with a message when there are problems and no --partial. */
int ob_merge_verdict(const ob_merge *m, char *err, size_t errlen);
/* Writes out_dir/merge.json; 0 or -1 with a message. */
int ob_merge_write_record(const ob_merge *m, const char *out_dir, const char *kind, char *err, size_t errlen);
/* Creates out_dir/sub (which must not exist yet: a merge never mixes
 * with earlier results); OB_EXIT_OK, OB_EXIT_USAGE or OB_EXIT_IO. */
int ob_merge_make_dir(const char *out_dir, const char *sub, char *err, size_t errlen);
/* Puts the file src at dst: a hard link, or a byte-for-byte copy written
 * atomically where linking fails (another file system).  0 or -1. */
int ob_merge_copy(const char *src, const char *dst, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
