/*
 * cmd_bench.c — `optbench bench`: throughput of every kernel through
 * Google Benchmark, with the memory and divider ceilings measured in the
 * same run, peers, and the speed targets (README "Benchmarks").
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ob_bench.h"
#include "bench_internal.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static const ob_opt bench_opts[] = {
    {"opt", "LIST", 0, "optimizers, comma-separated (default: all)"},
    {"isa", "LIST", 0, "instruction sets, comma-separated (default: every one this CPU runs)"},
    {"sizes", "LIST", 0, "elements per step: numbers or 4Ki, 1Mi, ... (default: 4Ki,64Ki,1Mi,16Mi,64Mi)"},
    {"threads", "LIST", 0, "thread counts, 1 to 8 (default: 1 and the number of CPUs)"},
    {"set", "KEY=VALUE", OB_OPT_REPEAT, "hyperparameter for every optimizer that has the key"},
    {"out", "DIR", 0, "results folder; a new run folder is made in it (default: results)"},
    {"run", "DIR", 0, "add bench.json and bench.csv to this existing run folder instead"},
    {"quick", NULL, OB_OPT_FLAG, "sizes 4Ki,64Ki,16Mi and 3 repetitions of >= 0.05 s"},
    {"exact-only", NULL, OB_OPT_FLAG, "leave out the approximate variants"},
    {"approx", NULL, OB_OPT_FLAG,
     "run the approximate variants even where this CPU class does not offer them (to measure why)"},
    {"model", "NAME", 0,
     "benchmark a model's parameter list instead (gpt2-small, resnet18, or a .shapes file): one flat array, the "
     "multi-tensor step, one call per tensor (one optimizer; default adam), and torch.optim's foreach=True and "
     "single-tensor paths where torch is installed (--peer torch: required)"},
    {"prefetch-check", NULL, OB_OPT_FLAG,
     "also time each vector exact kernel at sizes >= 16Mi with the software prefetch forced against this "
     "CPU class's choice"},
    {"format", "LIST", OB_OPT_REPEAT,
     "mixed-precision formats besides fp32: preset names, comma-separated, or all; or one explicit format "
     "(param=..,grad=..,state=..[,round=..,seed=..]) per --format (optbench list formats)"},
    {"format-opt", "LIST", 0, "the optimizers that run the --format rows (default: every --opt)"},
    {"peer", "NAME", 0, "also time a peer on the same cases: torch, or deepspeed (DEEPSPEED_HOME)"},
    {"peer-optional", NULL, OB_OPT_FLAG, "skip a peer that is not installed (a warning) instead of failing"},
    OB_PLUGIN_OPTIONS,
};

const ob_cmd_spec ob_cmd_bench_spec = {
    "bench",
    "[--opt LIST] [--isa LIST] [--sizes LIST] [--threads LIST] [--format LIST]... [--out DIR | --run DIR] "
    "[--quick] [--peer torch|deepspeed] [--plugin PATH.so]... [--benchmark_*=VALUE]...",
    "throughput of the kernels against same-run memory and divider ceilings",
    "Every optimizer x ISA x size x thread count (and the approximate variants)\n"
    "runs through Google Benchmark, beside a memory probe with the optimizer's\n"
    "access pattern, a STREAM triad and a divider probe per ISA. Reports medians\n"
    "of ns/element, elements/s, GB/s, the fraction of the ceiling that bounds\n"
    "each case, the speed-up over scalar, and the speed targets.\n"
    "Google Benchmark's own --benchmark_* flags pass through (defaults:\n"
    "--benchmark_repetitions=5 --benchmark_min_time=0.1\n"
    "--benchmark_enable_random_interleaving=true); its per-run lines go\n"
    "to stderr, the tables to stdout. Writes <out>/<run-id>/bench.json (Google\n"
    "Benchmark's JSON plus an \"optbench\" section) and bench.csv.\n"
    "With --plugin, each plugin kernel runs beside the kernels of the optimizer\n"
    "it claims (which must be among --opt), as the variant plugin:<kernel>, after\n"
    "a guarded check of 10 steps in a child process; a table gives its ratio to\n"
    "optbench's fastest and scalar kernels measured in the same run.\n"
    "--peer deepspeed runs DeepSpeed's CPU Adam that way (its adapter\n"
    "build/plugins/deepspeed_adam.so, built with DEEPSPEED_HOME set).\n"
    "Exit status: 0 done (whatever the targets say), 1 failure (also: a plugin\n"
    "kernel failed its check; the rest still runs), 2 bad arguments, a bad\n"
    "plugin, a filter that matches no benchmark, or a --peer that is not\n"
    "installed (unless --peer-optional).",
    bench_opts,
    sizeof bench_opts / sizeof bench_opts[0],
    0,
    0,
    ob_cmd_bench,
};

static const size_t default_sizes[] = {(size_t)4 << 10, (size_t)64 << 10, (size_t)1 << 20, (size_t)16 << 20,
                                       (size_t)64 << 20};
static const size_t quick_sizes[] = {(size_t)4 << 10, (size_t)64 << 10, (size_t)16 << 20};

typedef struct list_parse {
    const ob_cmd_spec *c;
    ob_bench_config *cfg;
    FILE *err;
} list_parse;

/* Calls item() on every comma-separated element of `list`; an empty list
 * or element is an error. */
static int for_each_item(const char *opt, const char *list, int (*item)(list_parse *, const char *),
                         list_parse *lp)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return ob_usage_error(lp->c, lp->err, "--%s: list too long", opt);
    if (!buf[0] || buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
        return ob_usage_error(lp->c, lp->err, "--%s: empty element in '%s'", opt, list);
    for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        int rc = item(lp, t);
        if (rc != OB_EXIT_OK) return rc;
    }
    return OB_EXIT_OK;
}

static int opt_item(list_parse *lp, const char *t)
{
    const ob_optimizer *o = ob_cli_optimizer(lp->c, t, lp->err);
    if (!o) return OB_EXIT_USAGE;
    for (size_t i = 0; i < lp->cfg->n_opts; i++)
        if (lp->cfg->opts[i] == o) return OB_EXIT_OK;
    if (lp->cfg->n_opts == OB_BENCH_MAX_OPTS)
        return ob_usage_error(lp->c, lp->err, "--opt: too many optimizers");
    lp->cfg->opts[lp->cfg->n_opts++] = o;
    return OB_EXIT_OK;
}

static int isa_item(list_parse *lp, const char *t)
{
    ob_isa isa;
    if (ob_cli_isa(lp->c, "isa", t, 0, &isa, NULL, lp->err) != OB_EXIT_OK) return OB_EXIT_USAGE;
    lp->cfg->isa_mask |= 1u << isa;
    return OB_EXIT_OK;
}

static int size_item(list_parse *lp, const char *t)
{
    size_t n;
    if (ob_bench_parse_size(t, &n) != 0)
        return ob_usage_error(lp->c, lp->err,
                              "--sizes: '%s' is not a size (a whole number of elements >= 1, optionally "
                              "with the suffix Ki, Mi or Gi, at most 1Ti)",
                              t);
    if (lp->cfg->n_sizes == OB_BENCH_MAX_SIZES)
        return ob_usage_error(lp->c, lp->err, "--sizes: at most %d sizes", OB_BENCH_MAX_SIZES);
    lp->cfg->sizes[lp->cfg->n_sizes++] = n;
    return OB_EXIT_OK;
}

static int threads_item(list_parse *lp, const char *t)
{
    uint64_t v;
    if (ob_parse_u64(t, &v) != 0 || v < 1 || v > OB_BENCH_MAX_THREADS)
        return ob_usage_error(lp->c, lp->err, "--threads: '%s' is not an integer in [1, %d]", t,
                              OB_BENCH_MAX_THREADS);
    if (lp->cfg->n_threads == OB_BENCH_MAX_THREADS)
        return ob_usage_error(lp->c, lp->err, "--threads: at most %d thread counts", OB_BENCH_MAX_THREADS);
    lp->cfg->threads[lp->cfg->n_threads++] = (int)v;
    return OB_EXIT_OK;
}

static int add_format(list_parse *lp, const ob_format *f)
{
    if (ob_format_is_fp32(f)) return OB_EXIT_OK; /* the fp32 rows always run */
    for (size_t i = 0; i < lp->cfg->n_formats; i++)
        if (!strcmp(lp->cfg->formats[i].name, f->name)) return OB_EXIT_OK;
    if (lp->cfg->n_formats == OB_BENCH_MAX_FORMATS)
        return ob_usage_error(lp->c, lp->err, "--format: at most %d formats", OB_BENCH_MAX_FORMATS);
    lp->cfg->formats[lp->cfg->n_formats++] = *f;
    return OB_EXIT_OK;
}

static int format_item(list_parse *lp, const char *t)
{
    ob_format f;
    char msg[512];
    if (!strcmp(t, "all")) {
        for (size_t i = 0; i < ob_format_preset_count; i++) {
            if (ob_format_parse(ob_format_presets[i].name, &f, msg, sizeof msg) != 0) return OB_EXIT_FAIL;
            int rc = add_format(lp, &f);
            if (rc != OB_EXIT_OK) return rc;
        }
        return OB_EXIT_OK;
    }
    if (ob_format_parse(t, &f, msg, sizeof msg) != 0)
        return ob_usage_error(lp->c, lp->err, "--format: %s", msg);
    return add_format(lp, &f);
}

/* Each --format: one explicit format when it holds '=', else a list of
 * presets (or all). */
static int parse_formats(const ob_args *a, list_parse *lp)
{
    size_t n;
    const char *const *v = ob_args_all(a, "format", &n);
    for (size_t i = 0; i < n; i++) {
        int rc = strchr(v[i], '=') ? format_item(lp, v[i]) : for_each_item("format", v[i], format_item, lp);
        if (rc != OB_EXIT_OK) return rc;
    }
    return OB_EXIT_OK;
}

/* --set KEY=VALUE for every chosen optimizer that has KEY (as `run` does);
 * a key no chosen optimizer has is an error. */
static int apply_sets(const ob_cmd_spec *c, const ob_args *a, ob_bench_config *cfg, FILE *err)
{
    size_t nsets;
    const char *const *sets = ob_args_all(a, "set", &nsets);
    char msg[512];
    for (size_t i = 0; i < cfg->n_opts; i++) ob_hparams_default(cfg->opts[i], &cfg->h[i]);
    for (size_t k = 0; k < nsets; k++) {
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(sets[k], "="), sets[k]);
        int found = 0;
        for (size_t i = 0; i < cfg->n_opts; i++) {
            if (!ob_hparam_find(cfg->opts[i], key)) continue;
            found = 1;
            if (ob_hparam_set(cfg->opts[i], &cfg->h[i], sets[k], msg, sizeof msg) != 0)
                return ob_usage_error(c, err, "--set %s", msg);
        }
        if (!found)
            return ob_usage_error(c, err, "--set %s: no chosen optimizer has a hyperparameter '%s'", sets[k],
                                  key);
    }
    for (size_t i = 0; i < cfg->n_opts; i++)
        if (ob_validate(cfg->opts[i], &cfg->h[i], msg, sizeof msg) != 0)
            return ob_usage_error(c, err, "%s", msg);
    return OB_EXIT_OK;
}

static int is_flag(const char *arg, const char *flag)
{
    size_t n = strlen(flag);
    return !strncmp(arg, flag, n) && (arg[n] == '\0' || arg[n] == '=');
}

/* The value of the last --benchmark_<flag>=V among args, or def. */
static double flag_value(char **args, size_t n, const char *flag, double def)
{
    for (size_t i = n; i-- > 0;)
        if (is_flag(args[i], flag) && args[i][strlen(flag)] == '=') {
            char *end;
            double v = strtod(args[i] + strlen(flag) + 1, &end);
            if (*end == '\0') return v;
        }
    return def;
}

/* The configuration from --opt, --isa, --sizes, --threads, --set and
 * --exact-only (defaults where absent).  OB_EXIT_OK or OB_EXIT_USAGE. */
static int parse_config(const ob_cmd_spec *c, const ob_args *a, int quick, ob_bench_config *cfg, FILE *err)
{
    memset(cfg, 0, sizeof *cfg);
    if (ob_args_has(a, "exact-only") && ob_args_has(a, "approx"))
        return ob_usage_error(c, err, "--exact-only and --approx contradict each other");
    cfg->approx = ob_args_has(a, "exact-only") ? 0 : ob_args_has(a, "approx") ? 2 : 1;
    cfg->prefetch_check = ob_args_has(a, "prefetch-check");
    list_parse lp = {c, cfg, err};
    const char *v;
    int rc;
    if ((v = ob_args_get(a, "opt"))) {
        if ((rc = for_each_item("opt", v, opt_item, &lp))) return rc;
    } else {
        for (size_t i = 0; i < ob_optimizer_count && i < OB_BENCH_MAX_OPTS; i++)
            cfg->opts[cfg->n_opts++] = ob_optimizer_table[i];
    }
    if ((v = ob_args_get(a, "isa"))) {
        if ((rc = for_each_item("isa", v, isa_item, &lp))) return rc;
    } else {
        for (int i = 0; i < OB_ISA_COUNT; i++)
            if (ob_isa_supported((ob_isa)i)) cfg->isa_mask |= 1u << i;
    }
    if ((v = ob_args_get(a, "sizes"))) {
        if ((rc = for_each_item("sizes", v, size_item, &lp))) return rc;
    } else {
        const size_t *s = quick ? quick_sizes : default_sizes;
        size_t n = quick ? sizeof quick_sizes / sizeof *s : sizeof default_sizes / sizeof *s;
        for (size_t i = 0; i < n; i++) cfg->sizes[cfg->n_sizes++] = s[i];
    }
    if ((v = ob_args_get(a, "threads"))) {
        if ((rc = for_each_item("threads", v, threads_item, &lp))) return rc;
    } else {
#ifdef _OPENMP
        int ncpu = omp_get_num_procs();
#else
        int ncpu = 1;
#endif
        cfg->threads[cfg->n_threads++] = 1;
        if (ncpu > 1)
            cfg->threads[cfg->n_threads++] = ncpu < OB_BENCH_MAX_THREADS ? ncpu : OB_BENCH_MAX_THREADS;
    }
    if ((rc = parse_formats(a, &lp)) != OB_EXIT_OK) return rc;
    if ((v = ob_args_get(a, "format-opt"))) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", v);
        for (char *sv = NULL, *tok = strtok_r(buf, ",", &sv); tok; tok = strtok_r(NULL, ",", &sv)) {
            size_t oi = 0;
            while (oi < cfg->n_opts && strcmp(cfg->opts[oi]->name, tok)) oi++;
            if (oi == cfg->n_opts)
                return ob_usage_error(
                    c, err, "--format-opt: '%s' is not among the benchmarked optimizers (--opt)", tok);
            cfg->format_opt_mask |= 1u << oi;
        }
        if (!cfg->format_opt_mask) return ob_usage_error(c, err, "--format-opt: empty list");
        if (!cfg->n_formats) return ob_usage_error(c, err, "--format-opt needs --format");
    }
    return apply_sets(c, a, cfg, err);
}

/* What the plan leaves out: the ISAs an optimizer has no kernel for. */
static void print_skipped(const ob_bench_config *cfg, FILE *out)
{
    for (size_t i = 0; i < cfg->n_opts; i++)
        for (int k = 0; k < OB_ISA_COUNT; k++)
            if (((cfg->isa_mask >> k) & 1u) && !ob_optimizer_kernel(cfg->opts[i], (ob_isa)k))
                fprintf(out, "%s/%s: SKIPPED: no %s kernel\n", cfg->opts[i]->name, ob_isa_name((ob_isa)k),
                        ob_isa_name((ob_isa)k));
}

/* bench.json (Google Benchmark's report `doc` plus an "optbench" object)
 * and bench.csv in dir.  0, or -1 with a message. */
static int write_results(const ob_bench_plan *plan, cJSON *doc, const char *dir, int argc, char **argv,
                         double load_before, double load_after, char *msg, size_t msglen)
{
    cJSON *ours = cJSON_CreateObject();
    cJSON_AddItemToObject(ours, "meta", ob_run_metadata(argc, argv, 0));
    cJSON_AddStringToObject(ours, "csv_header", OB_BENCH_CSV_HEADER);
    cJSON *probe_isas = cJSON_AddArrayToObject(ours, "memory_probe_isas");
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if ((plan->probe_mask >> i) & 1u)
            cJSON_AddItemToArray(probe_isas, cJSON_CreateString(ob_isa_name((ob_isa)i)));
    cJSON_AddStringToObject(ours, "triad_isa", ob_isa_name(plan->probe_isa));
    cJSON_AddNumberToObject(ours, "thread_min_chunk", (double)OB_THREAD_MIN_CHUNK);
    const ob_cpu_tuning *tu = ob_cpu_tuning_get();
    cJSON *tj = cJSON_AddObjectToObject(ours, "cpu_tuning");
    cJSON_AddStringToObject(tj, "cpu_class", tu->cpu_class);
    cJSON_AddBoolToObject(tj, "prefetch", tu->prefetch);
    cJSON_AddBoolToObject(tj, "prefetch_forced", tu->prefetch_forced);
    cJSON_AddBoolToObject(tj, "approx_offered", tu->approx);
    cJSON_AddStringToObject(tj, "why", tu->why);
    cJSON_AddNumberToObject(ours, "loadavg_before", isfinite(load_before) ? load_before : -1);
    cJSON_AddNumberToObject(ours, "loadavg_after", isfinite(load_after) ? load_after : -1);
    cJSON_AddItemToObject(ours, "memory", ob_bench_memory_json(plan));
    cJSON_AddItemToObject(ours, "rows", ob_bench_rows_json(plan));
    cJSON_AddItemToObject(ours, "targets", ob_bench_targets_json(plan));
    if (plan->cfg.n_formats) cJSON_AddItemToObject(ours, "formats", ob_bench_formats_json(plan));
    if (plan->cfg.n_plugins) cJSON_AddItemToObject(ours, "plugins", ob_bench_plugins_json(plan));
    cJSON_AddItemToObject(doc, "optbench", ours);
    char json_path[4200], csv_path[4200];
    snprintf(json_path, sizeof json_path, "%s/bench.json", dir);
    snprintf(csv_path, sizeof csv_path, "%s/bench.csv", dir);
    if (ob_json_write(json_path, doc, msg, msglen) != 0) return -1;
    return ob_bench_write_csv(plan, csv_path, msg, msglen);
}

/* Splits argv: Google Benchmark's --benchmark_* flags go to `user` (handed
 * to it untouched), everything else to `ours`; *list_only is set by
 * --benchmark_list_tests.  OB_EXIT_OK, or OB_EXIT_USAGE for a flag that
 * bench sets itself. */
static int split_gb_flags(const ob_cmd_spec *c, int argc, char **argv, char **ours, int *n_ours, char **user,
                          size_t *n_user, int *list_only, FILE *err)
{
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !strncmp(argv[i], "--benchmark_", 12)) {
            if (is_flag(argv[i], "--benchmark_out") || is_flag(argv[i], "--benchmark_out_format"))
                return ob_usage_error(c, err, "%s: bench writes bench.json itself (use --out or --run)",
                                      argv[i]);
            if (is_flag(argv[i], "--benchmark_list_tests"))
                *list_only = strcmp(argv[i], "--benchmark_list_tests=false") != 0;
            user[(*n_user)++] = argv[i];
        } else {
            ours[(*n_ours)++] = argv[i];
        }
    }
    return OB_EXIT_OK;
}

/* The output options: --out or --run (not both; --run an existing folder),
 * --peer and --peer-optional (a known peer that is missing is then skipped
 * with a warning: *peer becomes NULL).  OB_EXIT_OK or OB_EXIT_USAGE. */
static int check_outputs(const ob_cmd_spec *c, const ob_args *a, const char **peer, FILE *err)
{
    const char *run_dir = ob_args_get(a, "run");
    char msg[1024];
    if (run_dir && ob_args_get(a, "out")) return ob_usage_error(c, err, "--out and --run cannot be combined");
    struct stat sb;
    if (run_dir && (stat(run_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        return ob_usage_error(c, err, "--run %s: not an existing run folder", run_dir);
    if (ob_args_has(a, "peer-optional") && !*peer)
        return ob_usage_error(c, err, "--peer-optional needs --peer");
    if (*peer && ob_args_get(a, "model") && strcmp(*peer, "torch") != 0)
        return ob_usage_error(c, err, "--peer %s does not apply with --model (only torch)", *peer);
    if (*peer && ob_bench_peer_check(*peer, msg, sizeof msg) != 0) {
        if (!ob_bench_peer_known(*peer) || !ob_args_has(a, "peer-optional"))
            return ob_usage_error(c, err, "%s", msg);
        fprintf(err, "optbench bench: warning: %s; skipping it (--peer-optional)\n", msg);
        *peer = NULL;
    }
    return OB_EXIT_OK;
}

/* A plugin peer (--peer deepspeed, ob_bench_peer_plugin) that check_outputs
 * found available: its adapter goes into ours as one more --plugin (unless
 * one names that file already) and *a is parsed again, so the plugin
 * machinery times it in the measured run; *peer becomes NULL (nothing is
 * left to run after it).  ours has room for two more words.  OB_EXIT_OK,
 * or ob_args_parse's code. */
static int peer_as_plugin(const ob_cmd_spec *c, ob_args *a, const char **peer, char **ours, int *n_ours,
                          char *path, size_t len, FILE *out, FILE *err)
{
    if (!*peer || !ob_bench_peer_plugin(*peer, path, len)) return OB_EXIT_OK;
    *peer = NULL;
    char want[PATH_MAX], have[PATH_MAX];
    size_t n;
    const char *const *given = ob_args_all(a, "plugin", &n);
    for (size_t i = 0; i < n; i++)
        if (realpath(given[i], have) && realpath(path, want) && !strcmp(have, want)) return OB_EXIT_OK;
    ours[(*n_ours)++] = "--plugin";
    ours[(*n_ours)++] = path;
    ob_args_free(a);
    return ob_args_parse(c, *n_ours, ours, a, out, err);
}

/* The run folder into dir: --run's, or a new one under --out (default
 * "results"; *made is set).  OB_EXIT_OK, or OB_EXIT_IO (exit 4, as for
 * every command) with a message naming the folder that cannot be written:
 * checked before the measurements, which would otherwise run for minutes
 * and end in Google Benchmark's bare "invalid file name". */
static int open_run_dir(const ob_args *a, char *dir, size_t dirlen, int *made, FILE *err)
{
    const char *run_dir = ob_args_get(a, "run");
    if (run_dir) {
        if (access(run_dir, W_OK) != 0) {
            fprintf(err, "optbench bench: folder %s is not writable: %s\n", run_dir, strerror(errno));
            return OB_EXIT_IO;
        }
        snprintf(dir, dirlen, "%s", run_dir);
        return OB_EXIT_OK;
    }
    const char *root = ob_args_get(a, "out") ? ob_args_get(a, "out") : "results";
    char msg[1024];
    if (ob_run_dir_create(root, dir, dirlen, msg, sizeof msg) != 0) {
        fprintf(err, "optbench bench: %s\n", msg);
        return OB_EXIT_IO;
    }
    *made = 1;
    char cases[4200];
    snprintf(cases, sizeof cases, "%s/cases", dir);
    rmdir(cases); /* bench writes no per-case series */
    return OB_EXIT_OK;
}

/* Google Benchmark's report at gb_path, read back into the plan; NULL
 * (message on err) when it is unreadable or holds no result. */
static cJSON *collect_report(ob_bench_plan *plan, const char *gb_path, FILE *err)
{
    char msg[1024];
    cJSON *doc = ob_json_read(gb_path, msg, sizeof msg);
    if (!doc) {
        fprintf(err, "optbench bench: Google Benchmark's report: %s\n", msg);
        return NULL;
    }
    if (ob_bench_collect(plan, doc) == 0) {
        fprintf(err, "optbench bench: no benchmark produced a result (see the errors above)\n");
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

/* Benchmarks that Google Benchmark reports as errors (the setup could not
 * allocate a case's arrays, or a kernel failed): their rows stay empty, so
 * the run must not pass for a whole one.  Names the first and the count
 * on err; returns the count. */
static size_t report_errors(const cJSON *doc, FILE *err)
{
    size_t k = 0;
    const char *first = NULL, *why = NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "benchmarks"))
    {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "error_occurred"))) continue;
        if (!k++) {
            first = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
            why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "error_message"));
        }
    }
    if (k)
        fprintf(err, "optbench bench: %zu benchmark run%s failed, first %s: %s%s; their rows are empty\n", k,
                k == 1 ? "" : "s", first ? first : "?", why ? why : "error",
                why && !strcmp(why, "setup failed")
                    ? " (its arrays could not be allocated: out of memory for this size)"
                    : "");
    return k;
}

/* Everything after the measured run: the peer (reps repetitions of
 * min_time seconds), the derived figures, bench.json and bench.csv in dir,
 * the tables on out.  OB_EXIT_OK, or OB_EXIT_FAIL when the peer or the
 * results failed (the rest is still done). */
static int finish_run(ob_bench_plan *plan, cJSON *doc, const char *dir, const char *peer, int reps,
                      double min_time, int argc, char **argv, double load_before, double load_after,
                      FILE *out, FILE *err)
{
    int rc = OB_EXIT_OK;
    char msg[1024];
    if (peer) {
        fprintf(err, "optbench bench: running peer %s\n", peer);
        if (ob_bench_peer_run(plan, peer, reps > 0 ? reps : 1, min_time > 0 ? min_time : 0.1, err, msg,
                              sizeof msg) != 0) {
            fprintf(err, "optbench bench: %s\n", msg);
            rc = OB_EXIT_FAIL;
        }
    }
    ob_bench_derive(plan);
    if (write_results(plan, doc, dir, argc, argv, load_before, load_after, msg, sizeof msg) != 0) {
        fprintf(err, "optbench bench: %s\n", msg);
        rc = OB_EXIT_FAIL;
    }
    ob_bench_print_memory(out, plan);
    ob_bench_print_summary(out, plan);
    ob_bench_print_targets(out, plan);
    ob_bench_print_prefetch_check(out, plan);
    ob_bench_print_formats(out, plan);
    ob_bench_print_plugins(out, plan);
    fprintf(out, "\nload average (1 min) before the run %.2f, after %.2f\n", load_before, load_after);
    fprintf(out, "results in %s (bench.json, bench.csv)\n", dir);
    return rc;
}

/* Google Benchmark's argv: our defaults first (later flags win, so the
 * user's, already at gb + 8, override them), then the report file. */
typedef struct gb_flags {
    char reps[64], time[64], out[4300];
} gb_flags;

static size_t gb_argv(gb_flags *fl, char **gb, size_t n_user, int quick, int list_only, const char *gb_path)
{
    snprintf(fl->reps, sizeof fl->reps, "--benchmark_repetitions=%d", quick ? 3 : 5);
    snprintf(fl->time, sizeof fl->time, "--benchmark_min_time=%s", quick ? "0.05" : "0.1");
    snprintf(fl->out, sizeof fl->out, "--benchmark_out=%s", gb_path);
    char *defaults[8] = {"optbench-bench",
                         fl->reps,
                         fl->time,
                         "--benchmark_display_aggregates_only=true",
                         "--benchmark_report_aggregates_only=false",
                         "--benchmark_filter=all",
                         "--benchmark_list_tests=false",
                         "--benchmark_enable_random_interleaving=true"};
    memcpy(gb, defaults, sizeof defaults);
    size_t n_gb = 8 + n_user;
    if (!list_only) {
        gb[n_gb++] = fl->out;
        gb[n_gb++] = "--benchmark_out_format=json";
    }
    return n_gb;
}

/* The load average before the run.  Other processes on the same cores
 * disturb every timing, the 2-thread ones most (a step waits for a
 * descheduled thread): say so. */
static double load_warning(int list_only, FILE *err)
{
    double la[1], load = NAN;
    if (getloadavg(la, 1) == 1) load = la[0];
    if (!list_only && load > 0.5)
        fprintf(err,
                "optbench bench: warning: load average %.2f before the run: other processes share the CPUs "
                "and may disturb the timings\n",
                load);
    return load;
}

/* The model benchmark's results from Google Benchmark's report at
 * gb_path (removed once read).  OB_EXIT_OK or OB_EXIT_FAIL. */
static int model_results(ob_bench_model *m, const char *gb_path, const char *dir, int argc, char **argv, FILE *out,
                         FILE *err)
{
    char msg[1024];
    cJSON *doc = ob_json_read(gb_path, msg, sizeof msg);
    if (!doc) {
        fprintf(err, "optbench bench: Google Benchmark's report: %s\n", msg);
        return OB_EXIT_FAIL;
    }
    unlink(gb_path);
    int rc = ob_bench_model_finish(m, doc, dir, argc, argv, out, msg, sizeof msg);
    cJSON_Delete(doc);
    if (rc != 0) fprintf(err, "optbench bench: %s\n", msg);
    return rc == 0 ? OB_EXIT_OK : OB_EXIT_FAIL;
}

/* --model: the shape file, and the configuration it runs with (one
 * optimizer, adam unless --opt names another; no sizes, formats, plugins
 * or peers other than torch, which apply to the kernel benchmarks).
 * torch runs wherever it is installed; --peer torch makes it required.
 * OB_EXIT_OK, or OB_EXIT_USAGE with a message. */
static int model_args(const ob_cmd_spec *c, const ob_args *a, ob_bench_config *cfg, ob_bench_model *m, FILE *err)
{
    static const char *const not_with[] = {"sizes", "format", "plugin", "prefetch-check", "approx"};
    for (size_t i = 0; i < sizeof not_with / sizeof *not_with; i++)
        if (ob_args_has(a, not_with[i])) return ob_usage_error(c, err, "--%s does not apply with --model", not_with[i]);
    if (!ob_args_get(a, "opt")) {
        cfg->opts[0] = ob_optimizer_find("adam");
        cfg->n_opts = 1;
    }
    if (cfg->n_opts != 1) return ob_usage_error(c, err, "--model takes one optimizer (--opt NAME)");
    char msg[1024];
    if (ob_bench_model_load(ob_args_get(a, "model"), m, msg, sizeof msg) != 0)
        return ob_usage_error(c, err, "--model: %s", msg);
    return OB_EXIT_OK;
}

int ob_cmd_bench(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_bench_spec;
    /* Google Benchmark's flags go to it untouched; everything else is ours. */
    char **ours = calloc((size_t)argc + 3, sizeof *ours), **gb = calloc((size_t)argc + 16, sizeof *gb);
    if (!ours || !gb) {
        free(ours);
        free(gb);
        return OB_EXIT_FAIL;
    }
    int n_ours = 0;
    size_t n_user = 0;
    char **user = gb + 8; /* after the defaults, before --benchmark_out */
    int list_only = 0;
    int rc = split_gb_flags(c, argc, argv, ours, &n_ours, user, &n_user, &list_only, err);
    ob_args a;
    if (rc == OB_EXIT_OK) rc = ob_args_parse(c, n_ours, ours, &a, out, err);
    if (rc == OB_ARGS_HELP || rc != OB_EXIT_OK) {
        free(ours);
        free(gb);
        return rc == OB_ARGS_HELP ? OB_EXIT_OK : rc;
    }
    ob_bench_config cfg;
    const int quick = ob_args_has(&a, "quick");
    ob_bench_plan plan;
    memset(&plan, 0, sizeof plan);
    char dir[4096] = "", gb_path[4200] = "", msg[1024];
    int made_dir = 0;
    ob_plugin_set ps = {0};
    size_t failed_plugins = 0;
    const char *model_name = ob_args_get(&a, "model");
    ob_bench_model model;
    memset(&model, 0, sizeof model);
    const char *peer = ob_args_get(&a, "peer");
    char peer_so[4096];
    if ((rc = check_outputs(c, &a, &peer, err)) != OB_EXIT_OK) goto done;
    if ((rc = peer_as_plugin(c, &a, &peer, ours, &n_ours, peer_so, sizeof peer_so, out, err)) != OB_EXIT_OK)
        goto done;
    if ((rc = parse_config(c, &a, quick, &cfg, err)) != OB_EXIT_OK) goto done;
    if (model_name && (rc = model_args(c, &a, &cfg, &model, err)) != OB_EXIT_OK) goto done;
    /* Plugins before the run folder: a bad one leaves nothing behind. */
    if ((rc = bn_load_plugins(c, &a, &ps, &cfg, &failed_plugins, out, err)) != OB_EXIT_OK) goto done;
    /* The run folder and Google Benchmark's own report inside it. */
    if (!list_only) {
        if ((rc = open_run_dir(&a, dir, sizeof dir, &made_dir, err)) != OB_EXIT_OK) goto done;
        snprintf(gb_path, sizeof gb_path, "%s/.bench-gb-%ld.json.tmp", dir, (long)getpid());
    }
    ob_bench_plan_init(&plan, &cfg);
    if (model_name ? ob_bench_model_register(&model, &cfg, msg, sizeof msg) != 0
                   : ob_bench_plan_register(&plan, msg, sizeof msg) != 0) {
        fprintf(err, "optbench bench: %s\n", msg);
        rc = OB_EXIT_FAIL;
        goto done;
    }
    print_skipped(&cfg, out);
    /* Defaults first: later flags win, so the user's override them.
     * Random interleaving spreads every benchmark's repetitions over the
     * whole run, so the medians of a kernel and of its probes sample the
     * same disturbances of a shared machine.  Every exact kernel at 16Mi
     * and 64Mi, 1 and 2 threads, two runs each way, alternated: the
     * fraction of the ceiling differed between two runs by up to 18%
     * (median 4.3%) back to back, 10% (median 1.6%) interleaved; cells
     * under 0.95: 13 and 19 of 80 against 8 and 6.  It costs time: the full
     * default run took 11.7 min instead of 8.9. */
    gb_flags fl;
    size_t n_gb = gb_argv(&fl, gb, n_user, quick, list_only, gb_path);
    const int reps = (int)flag_value(user, n_user, "--benchmark_repetitions", quick ? 3 : 5);
    const double min_time = flag_value(user, n_user, "--benchmark_min_time", quick ? 0.05 : 0.1);
    double load_before = load_warning(list_only, err), load_after = NAN, la[1];
    long ran = ob_gb_run((int)n_gb, gb, list_only ? out : err, err, msg, sizeof msg);
    if (getloadavg(la, 1) == 1) load_after = la[0];
    if (ran < 0) {
        rc = ob_usage_error(c, err, "%s", msg);
        goto done;
    }
    if (ran == 0) {
        rc = ob_usage_error(c, err, "no benchmark matches the --benchmark_filter given; nothing was run");
        goto done;
    }
    if (list_only) {
        rc = OB_EXIT_OK;
        goto done;
    }
    if (model_name) {
        const int peer_failed = ob_bench_model_peer(&model, &cfg, reps > 0 ? reps : 1,
                                                    min_time > 0 ? min_time : 0.1, err) != 0;
        model.load_before = load_before;
        model.load_after = getloadavg(la, 1) == 1 ? la[0] : NAN; /* after torch too */
        rc = model_results(&model, gb_path, dir, argc, argv, out, err);
        if (rc == OB_EXIT_OK) made_dir = 0;
        if (peer_failed) rc = OB_EXIT_FAIL;
        goto done;
    }
    cJSON *doc = collect_report(&plan, gb_path, err);
    if (!doc) {
        rc = OB_EXIT_FAIL;
        goto done;
    }
    unlink(gb_path);
    gb_path[0] = '\0';
    made_dir = 0; /* it holds the results now */
    size_t failed_runs = report_errors(doc, err);
    rc = finish_run(&plan, doc, dir, peer, reps, min_time, argc, argv, load_before, load_after, out, err);
    if ((failed_runs || failed_plugins) && rc == OB_EXIT_OK) rc = OB_EXIT_FAIL;
    cJSON_Delete(doc);
done:
    if (gb_path[0]) unlink(gb_path);
    if (made_dir) rmdir(dir); /* only if nothing was written into it */
    ob_gb_clear();
    ob_bench_plan_free(&plan); /* before the plugins: it may hold a case of one */
    ob_bench_model_free(&model);
    ob_plugin_set_free(&ps);
    ob_args_free(&a);
    free(ours);
    free(gb);
    return rc;
}
