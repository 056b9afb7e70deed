/*
 * cmd_merge.c — `optbench merge OUT DIR...`: the folders of the shards of
 * a sweep or a run (made with --shard I/N) combined into one run folder
 * (README "Scaling out"; the checks are in merge*.c, ob_merge.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "harness/sweep/ob_sweep.h"
#include "ob_merge.h"

static const ob_opt merge_opts[] = {
    {"partial", NULL, OB_OPT_FLAG,
     "merge what is there despite missing shards or records, duplicates or foreign folders (recorded in "
     "merge.json)"},
    {"criterion", "loss|steps", 0, "sweeps: how the best setting is chosen (default: loss, as sweep's)"},
    {"no-figures", NULL, OB_OPT_FLAG, "sweeps: no sensitivity figures (gnuplot not needed)"},
    {"plot-dir", "DIR", 0, OB_PLOT_DIR_HELP},
};

const ob_cmd_spec ob_cmd_merge_spec = {
    "merge",
    "OUT DIR... [--partial] [--no-figures]",
    "combine the folders of a sharded sweep, run or repro (--shard I/N) into one run folder",
    "Each DIR is the run folder of one shard: `optbench sweep --shard I/N`,\n"
    "`optbench run --shard I/N` or `optbench repro all --shard I/N`.  OUT (a new\n"
    "folder) gets the merged sweep/, results.json and cases/, or repro/, which\n"
    "report and compare read like any other run folder, and merge.json: the\n"
    "shards, the CPU each ran on and any problem.  The records are copied\n"
    "unchanged: merged shards equal an unsharded run bit for bit, apart from\n"
    "measured times, which stay with the machine that measured them.\n"
    "Problems, each named with its folder: a shard missing or given twice, a\n"
    "folder of another job, N, optbench version or commit, a record in two\n"
    "folders or in the wrong shard's, records a shard has not finished.\n"
    "Exit status: 0 merged, 1 a figure failed, 2 a problem (nothing merged;\n"
    "--partial merges what is there and records what is missing), 4 OUT could\n"
    "not be written.\n",
    merge_opts,
    sizeof merge_opts / sizeof merge_opts[0],
    2,
    100000,
    ob_cmd_merge,
};

/* What the folders hold: "sweep" or "repro" when any has sweep/shard.json
 * or repro/shard.json, else "run" when any has a results.json; NULL when
 * none is a shard folder. */
static const char *merge_kind(const char *const *dirs, size_t n)
{
    char path[4400];
    for (size_t k = 0; k < n; k++) {
        snprintf(path, sizeof path, "%s/sweep/shard.json", dirs[k]);
        if (access(path, F_OK) == 0) return "sweep";
        snprintf(path, sizeof path, "%s/repro/shard.json", dirs[k]);
        if (access(path, F_OK) == 0) return "repro";
    }
    for (size_t k = 0; k < n; k++) {
        snprintf(path, sizeof path, "%s/results.json", dirs[k]);
        if (access(path, F_OK) == 0) return "run";
    }
    return NULL;
}

int ob_cmd_merge(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_merge_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    const char *out_dir = a.pos[0];
    const char *const *dirs = a.pos + 1;
    size_t n = a.n_pos - 1;
    ob_sweep_criterion crit;
    struct stat st;
    const char *kind = merge_kind(dirs, n);
    if (ob_sweep_criterion_parse(ob_args_get(&a, "criterion"), &crit) != 0) {
        rc = ob_usage_error(c, err, "--criterion '%s': expected loss or steps", ob_args_get(&a, "criterion"));
    } else if (!kind) {
        rc = ob_usage_error(c, err,
                            "none of the folders given holds a shard (sweep/shard.json, repro/shard.json or "
                            "results.json; made by optbench sweep, run or repro --shard I/N)");
    } else {
        for (size_t k = 0; k < n && rc == OB_EXIT_OK; k++)
            if (stat(dirs[k], &st) != 0 || !S_ISDIR(st.st_mode))
                rc = ob_usage_error(c, err, "%s: not a folder", dirs[k]);
    }
    if (rc != OB_EXIT_OK) {
        ob_args_free(&a);
        return rc;
    }
    cJSON *meta = ob_run_metadata(argc, argv, 0);
    ob_merge_opts o = {ob_args_has(&a, "partial"), !ob_args_has(&a, "no-figures"), ob_args_get(&a, "plot-dir"),
                       (int)crit, meta, err};
    char msg[8192] = "";
    rc = !strcmp(kind, "sweep")   ? ob_merge_sweep(out_dir, dirs, n, &o, out, msg, sizeof msg)
         : !strcmp(kind, "repro") ? ob_merge_repro(out_dir, dirs, n, &o, out, msg, sizeof msg)
                                  : ob_merge_run(out_dir, dirs, n, &o, out, msg, sizeof msg);
    if (rc != OB_EXIT_OK && msg[0]) fprintf(err, "optbench merge: %s\n", msg);
    cJSON_Delete(meta);
    ob_args_free(&a);
    return rc;
}
