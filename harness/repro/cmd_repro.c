/*
 * cmd_repro.c — `optbench repro`: lists the reproductions, runs one, some
 * or all of them, prints the verdict table and writes repro/repro.json,
 * the CSVs and the figures into a run folder (README "Reproductions").
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "ob_repro.h"
#include "harness/run/ob_run.h"

static const ob_opt repro_opts[] = {
    {"isa", "LIST", 0,
     "fp32 instruction sets, comma-separated (default: every one this CPU runs); the fp64 "
     "reference always runs"},
    {"out", "DIR", 0, "results root: writes a new run folder <DIR>/<run-id>/repro/ (default: results)"},
    {"run", "DIR", 0, "write into the existing run folder DIR (e.g. results/latest) instead, for the report"},
    {"short", NULL, OB_OPT_FLAG, "short mode: fewer steps, the same verdict logic (what the tests run)"},
    {"data-dir", "DIR", 0,
     "folder of the Fashion-MNIST IDX files (default: OPTBENCH_FMNIST_DIR or "
     "/usr/share/datasets/fashion-mnist)"},
    {"no-figures", NULL, OB_OPT_FLAG, "do not draw the figures (no gnuplot)"},
    {"plot-dir", "DIR", 0, OB_PLOT_DIR_HELP},
    {"quiet", NULL, OB_OPT_FLAG, "no progress lines"},
    {"shard", "I/N", 0, "run only shard I of N of the selected entries (round robin); combine with optbench merge"},
};

const ob_cmd_spec ob_cmd_repro_spec = {
    "repro",
    "list [NAME] | run NAME... | all   [--isa LIST] [--out DIR | --run DIR] [--short]",
    "re-run published convergence experiments and give each claim a verdict",
    "Each reproduction states a paper's claim, runs the paper's setup with its\n"
    "hyperparameters on the fp64 reference and on every chosen fp32 ISA, and\n"
    "prints a verdict (REPRODUCED, NOT REPRODUCED or INCONCLUSIVE) with the\n"
    "measured figures.  'list' shows the table ('list NAME': claim, setup and\n"
    "verdict rule); 'run' runs the named ones; 'all' runs every one.\n"
    "Writes <run-dir>/repro/repro.json, <name>.csv and <name>.png/.svg (an\n"
    "existing repro.json in the folder keeps the entries not rerun).\n"
    "The kernels are checked on the way: bit-identity across ISAs at every\n"
    "step, agreement with the reference on a sampled subset of steps.\n"
    "Exit status: 0 every entry ran and drew its figure (whatever the verdicts),\n"
    "1 an entry or a figure failed, 2 bad arguments, 3 a kernel check failed.\n"
    "--shard I/N runs every N-th selected entry from the I-th (0 <= I < N) and\n"
    "records it in repro/shard.json; 'optbench merge OUT DIR...' combines the N\n"
    "run folders into one (README \"Scaling out\").\n",
    repro_opts,
    sizeof repro_opts / sizeof repro_opts[0],
    1,
    64,
    ob_cmd_repro,
};

static const char *entry_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return ob_repro_table[i]->name;
}

static int unknown_entry(const char *name, FILE *err)
{
    char known[512];
    ob_join_names(known, sizeof known, entry_name_at, NULL, ob_repro_count);
    return ob_usage_error(&ob_cmd_repro_spec, err, "unknown reproduction '%s' (known: %s)", name, known);
}

static int list_entries(const ob_args *a, FILE *out, FILE *err)
{
    if (a->n_pos > 2) return ob_usage_error(&ob_cmd_repro_spec, err, "list takes at most one NAME");
    if (a->n_pos == 2) {
        const ob_repro_entry *e = ob_repro_find(a->pos[1]);
        if (!e) return unknown_entry(a->pos[1], err);
        fprintf(out,
                "%s — %s\n\ncitation: %s\n\nclaim: %s\n\nsetup: %s\n\nverdict rule: %s\n\nfigure: plot/%s\n",
                e->name, e->title, e->citation, e->claim, e->setup, e->check, e->plot);
        return OB_EXIT_OK;
    }
    for (size_t i = 0; i < ob_repro_count; i++) {
        const ob_repro_entry *e = ob_repro_table[i];
        fprintf(out, "%-17s %s\n%-17s %s\n", e->name, e->title, "", e->citation);
    }
    fprintf(out, "\nRun 'optbench repro list NAME' for the claim, the setup and the verdict rule.\n");
    return OB_EXIT_OK;
}

/* The fp32 paths of --isa (default: every supported ISA). */
static int parse_paths(const ob_args *a, unsigned *paths, FILE *err)
{
    *paths = 1u; /* the reference */
    const char *list = ob_args_get(a, "isa");
    if (!list) {
        for (int i = 0; i < OB_ISA_COUNT; i++)
            if (ob_isa_supported((ob_isa)i)) *paths |= 1u << OB_REPRO_PATH_ISA(i);
        return OB_EXIT_OK;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    int any = 0;
    for (char *sv = NULL, *tok = strtok_r(buf, ",", &sv); tok; tok = strtok_r(NULL, ",", &sv)) {
        ob_isa isa;
        int is_ref = 0;
        if (ob_cli_isa(&ob_cmd_repro_spec, "isa", tok, 1, &isa, &is_ref, err) != OB_EXIT_OK)
            return OB_EXIT_USAGE;
        if (!is_ref) *paths |= 1u << OB_REPRO_PATH_ISA(isa);
        any = 1;
    }
    if (!any) return ob_usage_error(&ob_cmd_repro_spec, err, "--isa: empty list");
    return OB_EXIT_OK;
}

static void table_header(FILE *out)
{
    fprintf(out, "%-17s %-15s %-8s %7s  %s\n", "reproduction", "verdict", "kernels", "time", "measured");
}

static void table_row(FILE *out, const ob_repro_entry *e, const ob_repro_outcome *r)
{
    char t[32];
    snprintf(t, sizeof t, "%.1fs", r->time_s);
    fprintf(out, "%-17s %-15s %-8s %7s  %s\n", e->name, ob_repro_verdict_name(r->verdict),
            ob_repro_kernels_ok(&r->kernels) ? "ok" : "MISMATCH", t, r->summary);
}

/* The entries an action names ('all': every one; 'run': the named ones,
 * each once) into sel; an exit code. */
static int select_entries(const ob_cmd_spec *c, const ob_args *a, const ob_repro_entry **sel, size_t *nsel,
                          FILE *err)
{
    const char *action = a->pos[0];
    if (!strcmp(action, "all")) {
        if (a->n_pos > 1) return ob_usage_error(c, err, "'all' takes no names (use 'run NAME...')");
        for (size_t i = 0; i < ob_repro_count; i++) sel[(*nsel)++] = ob_repro_table[i];
        return OB_EXIT_OK;
    }
    if (strcmp(action, "run") != 0)
        return ob_usage_error(c, err, "unknown action '%s' (known: list, run, all)", action);
    if (a->n_pos < 2)
        return ob_usage_error(c, err, "'run' needs at least one reproduction name (see optbench repro list)");
    for (size_t i = 1; i < a->n_pos; i++) {
        const ob_repro_entry *e = ob_repro_find(a->pos[i]);
        if (!e) return unknown_entry(a->pos[i], err);
        int dup = 0;
        for (size_t j = 0; j < *nsel; j++) dup |= sel[j] == e;
        if (dup) return ob_usage_error(c, err, "reproduction '%s' named twice", a->pos[i]);
        sel[(*nsel)++] = e;
    }
    return OB_EXIT_OK;
}

/* The folder the entries write to, <run-dir>/repro (created), from --run
 * or a new run folder under --out; checks --data-dir.  An exit code. */
static int repro_folder(const ob_cmd_spec *c, const ob_args *a, char *repro_dir, size_t len, FILE *err)
{
    const char *run_dir = ob_args_get(a, "run"), *root = ob_args_get(a, "out");
    if (run_dir && root)
        return ob_usage_error(
            c, err, "--run and --out exclude each other (--run writes into an existing run folder)");
    const char *data_dir = ob_args_get(a, "data-dir");
    struct stat st;
    if (data_dir && (stat(data_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return ob_usage_error(c, err, "--data-dir %s is not a folder", data_dir);
    char dir[4096], msg[1024];
    if (run_dir) {
        if (stat(run_dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return ob_usage_error(c, err, "--run %s is not an existing run folder", run_dir);
        snprintf(dir, sizeof dir, "%s", run_dir);
    } else if (ob_run_dir_create(root ? root : "results", dir, sizeof dir, msg, sizeof msg) != 0) {
        fprintf(err, "optbench repro: %s\n", msg);
        return OB_EXIT_IO;
    }
    snprintf(repro_dir, len, "%s/repro", dir);
    if (ob_mkdirs(repro_dir, msg, sizeof msg) != 0) {
        fprintf(err, "optbench repro: %s\n", msg);
        return OB_EXIT_IO;
    }
    return OB_EXIT_OK;
}

/* Runs the selected entries, rewriting repro.json after each, and prints
 * the table; an exit code. */
static int run_entries(int argc, char **argv, const ob_repro_entry **sel, size_t nsel, const ob_repro_opts *o,
                       ob_repro_outcome *res, FILE *out, FILE *err)
{
    char msg[1024];
    double t0 = ob_now_s();
    int failures = 0, mismatches = 0, figure_failures = 0;
    const ob_repro_entry **done_e = calloc(nsel ? nsel : 1, sizeof *done_e);
    size_t ndone = 0;
    if (!done_e) return OB_EXIT_FAIL;
    for (size_t i = 0; i < nsel; i++) {
        ob_repro_outcome *r = &res[ndone];
        if (ob_repro_run_entry(sel[i], o, r, msg, sizeof msg) != 0) {
            fprintf(err, "optbench repro: %s: %s\n", sel[i]->name, msg);
            failures++;
            continue;
        }
        if (r->figure_error[0]) {
            fprintf(err, "optbench repro: %s: figure: %s (results kept)\n", sel[i]->name, r->figure_error);
            figure_failures++;
        }
        if (!ob_repro_kernels_ok(&r->kernels)) mismatches++;
        if (o->log)
            fprintf(err, "optbench repro: %s: %s (%.1f s)\n", sel[i]->name, ob_repro_verdict_name(r->verdict),
                    r->time_s);
        done_e[ndone++] = sel[i];
        /* Rewritten after every entry: an interrupted run keeps what finished. */
        if (ob_repro_write_json(o->repro_dir, done_e, res, ndone, ob_run_metadata(argc, argv, 0), msg,
                                sizeof msg) != 0) {
            fprintf(err, "optbench repro: %s\n", msg);
            failures++;
            break;
        }
    }
    fputc('\n', out);
    table_header(out);
    for (size_t i = 0; i < ndone; i++) table_row(out, done_e[i], &res[i]);
    fprintf(out, "\n%zu reproduction%s in %.1f s (%s mode, paths: reference", ndone, ndone == 1 ? "" : "s",
            ob_now_s() - t0, o->short_mode ? "short" : "full");
    for (int p = 1; p < OB_REPRO_MAX_PATHS; p++)
        if ((o->paths >> p) & 1u) fprintf(out, ", %s", ob_repro_path_name(p));
    fprintf(out, "); results in %s\n", o->repro_dir);
    for (size_t i = 0; i < ndone; i++) {
        if (ob_repro_kernels_ok(&res[i].kernels)) continue;
        fprintf(out, "KERNEL CHECK FAILED in %s: see kernels in repro.json\n", done_e[i]->name);
    }
    for (size_t i = 0; i < ndone; i++) ob_repro_outcome_free(&res[i]);
    free(done_e);
    return failures || figure_failures ? OB_EXIT_FAIL : mismatches ? OB_EXIT_AGREEMENT : OB_EXIT_OK;
}

static const char *sel_name_at(const void *ctx, size_t k)
{
    return ((const ob_repro_entry *const *)ctx)[k]->name;
}

/* --shard: keeps the shard's entries of sel, round robin in table order,
 * and returns the record repro/shard.json keeps for `optbench merge`
 * (ob_shard_record, the optbench version); NULL when not sharded. */
static cJSON *shard_select(const ob_shard *sh, const ob_repro_entry **sel, size_t *nsel, int argc, char **argv)
{
    if (!sh->count) return NULL;
    static const char *const with_value[] = {"--shard", "--out", "--run", "--plot-dir", NULL};
    static const char *const flags[] = {"--quiet", "--no-figures", NULL};
    cJSON *rec = ob_shard_record(sh, sel_name_at, sel, *nsel, argc, argv, with_value, flags);
    cJSON_AddStringToObject(rec, "format", "optbench-repro-shard");
    cJSON_AddStringToObject(rec, "optbench_version", OB_VERSION);
    size_t kept = 0;
    for (size_t i = 0; i < *nsel; i++)
        if (ob_shard_owns(sh, i)) sel[kept++] = sel[i];
    *nsel = kept;
    return rec;
}

int ob_cmd_repro(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_repro_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    const ob_repro_entry **sel = NULL;
    ob_repro_outcome *res = NULL;
    size_t nsel = 0;
    ob_shard shard = {0, 0};
    cJSON *shard_rec = NULL;
    char msg[4400];
    if (ob_args_get(&a, "shard") && ob_shard_parse(ob_args_get(&a, "shard"), &shard, msg, sizeof msg) != 0) {
        rc = ob_usage_error(c, err, "%s", msg);
        goto done;
    }
    if (!strcmp(a.pos[0], "list")) {
        rc = list_entries(&a, out, err);
        goto done;
    }
    sel = calloc(ob_repro_count, sizeof *sel);
    res = calloc(ob_repro_count, sizeof *res);
    if (!sel || !res) {
        fprintf(err, "optbench repro: out of memory\n");
        rc = OB_EXIT_FAIL;
        goto done;
    }
    unsigned paths;
    char repro_dir[4200];
    if ((rc = select_entries(c, &a, sel, &nsel, err)) != OB_EXIT_OK ||
        (rc = parse_paths(&a, &paths, err)) != OB_EXIT_OK)
        goto done;
    shard_rec = shard_select(&shard, sel, &nsel, argc, argv);
    if ((rc = repro_folder(c, &a, repro_dir, sizeof repro_dir, err)) != OB_EXIT_OK) goto done;
    if (shard_rec) {
        char path[4400];
        snprintf(path, sizeof path, "%s/shard.json", repro_dir);
        if (ob_json_write(path, shard_rec, msg, sizeof msg) != 0) {
            fprintf(err, "optbench repro: %s\n", msg);
            rc = OB_EXIT_IO;
            goto done;
        }
    }
    ob_repro_opts o = {ob_args_has(&a, "short"),
                       paths,
                       repro_dir,
                       ob_args_get(&a, "data-dir"),
                       ob_args_get(&a, "plot-dir"),
                       ob_args_has(&a, "no-figures"),
                       ob_args_has(&a, "quiet") ? NULL : err};
    rc = run_entries(argc, argv, sel, nsel, &o, res, out, err);
done:
    cJSON_Delete(shard_rec);
    free(sel);
    free(res);
    ob_args_free(&a);
    return rc;
}
