/*
 * cmd_run.c — `optbench run`: runs a matrix of cases (or a suite) and
 * writes a results set (README "Results").
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "harness/tb/ob_tb.h"
#include "ob_run.h"

static const ob_opt run_opts[] = {
    {"opt", "LIST", 0, "optimizers, comma-separated (default: all)"},
    {"isa", "LIST", 0, "instruction sets, comma-separated (default: every one this CPU runs)"},
    {"problem", "LIST", 0, "problems, comma-separated"},
    {"set", "KEY=VALUE", OB_OPT_REPEAT, "hyperparameter for every optimizer that has the key"},
    {"schedule", "NAME", 0, "learning-rate schedule (default: constant)"},
    {"sched-set", "KEY=VALUE", OB_OPT_REPEAT, "schedule parameter"},
    {"param", "KEY=VALUE", OB_OPT_REPEAT, "problem parameter (e.g. cond=1e4)"},
    {"n", "N", 0, "dimension, for problems where it can be chosen"},
    {"batch", "B", 0, "mini-batch size, for stochastic problems"},
    {"steps", "N", 0, "steps per case (default: the problem's or the suite's)"},
    {"seed", "S", 0, "seed for problems and mini-batches (default: 0)"},
    {"instances", "K", 0, "run problem instances 0..K-1 of every case (default: 1; README \"Problem instances\")"},
    {"data-instances", "K", 0, "instances of problems whose instances are data seeds (default: --instances)"},
    {"threads", "T", 0, "threads per kernel step (default: 1)"},
    {"format", "LIST", 0,
     "storage formats of the kernel paths, comma-separated (default: fp32; see optbench list formats)"},
    {"suite", "FILE", 0, "run the cases of a JSON suite file"},
    {"from-sweep", "DIR", 0, "the tuned comparison: each optimizer with its best setting per problem from the finished sweep in DIR"},
    {"out", "DIR", 0, "results folder (default: results)"},
    {"quiet", NULL, OB_OPT_FLAG, "no progress output"},
    {"shard", "I/N", 0, "run only shard I of N of the cases (round robin); combine with optbench merge"},
    {"tensorboard", "DIR", 0, "also write every case's series as TensorBoard event files under DIR"},
    OB_PLUGIN_OPTIONS,
};

const ob_cmd_spec ob_cmd_run_spec = {
    "run",
    "[--opt LIST] [--isa LIST] [--problem LIST] [--set KEY=VALUE]... [--steps N] [--suite FILE] "
    "[--plugin PATH.so]... ...",
    "run optimizers on problems against the reference; write a results set",
    "With no --problem and no --suite, runs the built-in default suite: every\n"
    "optimizer on every available ISA on a representative set of problems.\n"
    "Each case runs the fp64 reference and the fp32 kernels side by side,\n"
    "checks single-step agreement with the reference and bit-identity across\n"
    "ISAs at every step, and records convergence. With --plugin, each plugin\n"
    "kernel runs as one more path (plugin:<kernel>) of every case of the\n"
    "optimizer it claims: agreement at every step against its bound, identity\n"
    "with scalar as information, guarded and crash-isolated. Writes\n"
    "<out>/<run-id>/results.json and cases/<case>.csv; <out>/latest points at it.\n"
    "Exit status: 0 all checks passed, 1 failure, 2 bad arguments or input\n"
    "files, 3 an agreement or bit-identity check failed (named in the summary),\n"
    "4 results could not be written, 5 a data set is missing or corrupt,\n"
    "130 / 143 stopped by SIGINT / SIGTERM (the finished cases are saved).\n"
    "--shard I/N runs every N-th case from the I-th (0 <= I < N), recorded in\n"
    "results.json's \"shard\"; 'optbench merge OUT DIR...' combines the N run\n"
    "folders into one (README \"Scaling out\").\n"
    "--format fp16-grads,bf16,... runs every case once per storage format\n"
    "(ids <problem>.<opt>@<format>; fp32 is the plain kernels): the kernels\n"
    "keep their arrays in that format, and the CSV gains loss_scale and skipped.",
    run_opts,
    sizeof run_opts / sizeof run_opts[0],
    0,
    0,
    ob_cmd_run,
};

/* Splits a comma list into a bit mask of names found by `lookup`. */
static int parse_isa_list(const char *list, unsigned *mask, FILE *err)
{
    *mask = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        ob_isa isa;
        int is_ref;
        if (ob_cli_isa(&ob_cmd_run_spec, "isa", tok, 0, &isa, &is_ref, err) != OB_EXIT_OK)
            return OB_EXIT_USAGE;
        *mask |= 1u << isa;
    }
    if (!*mask) return ob_usage_error(&ob_cmd_run_spec, err, "--isa: empty list");
    return OB_EXIT_OK;
}

typedef struct progress_ctx {
    int tty;
    size_t index, total;
    const char *id;
} progress_ctx;

static void show_progress(void *ctx, uint64_t t, uint64_t steps)
{
    progress_ctx *p = ctx;
    if (!p->tty) return;
    fprintf(stderr, "\r[%zu/%zu] %-40s step %llu/%llu ", p->index, p->total, p->id, (unsigned long long)t,
            (unsigned long long)steps);
    fflush(stderr);
}

/* Builds the cases from --opt/--problem (the cross product). */
static int cases_from_args(const ob_args *a, ob_suite *s, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_run_spec;
    memset(s, 0, sizeof *s);
    const ob_optimizer *opts[64];
    size_t nopt = 0;
    const char *ol = ob_args_get(a, "opt");
    if (ol) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", ol);
        for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t && nopt < 64; t = strtok_r(NULL, ",", &sv))
            if (!(opts[nopt++] = ob_cli_optimizer(c, t, err))) return OB_EXIT_USAGE;
        if (nopt == 0) return ob_usage_error(c, err, "--opt '%s': empty list", ol);
    } else {
        for (size_t i = 0; i < ob_optimizer_count && nopt < 64; i++) opts[nopt++] = ob_optimizer_table[i];
    }
    size_t nsets, nss, npp;
    const char *const *sets = ob_args_all(a, "set", &nsets);
    const char *const *ssets = ob_args_all(a, "sched-set", &nss);
    const char *const *pp = ob_args_all(a, "param", &npp);
    if (npp > OB_MAX_PROBLEM_PARAMS)
        return ob_usage_error(c, err, "at most %d --param", OB_MAX_PROBLEM_PARAMS);
    for (size_t k = 0; k < npp; k++)
        if (strlen(pp[k]) >= sizeof s->cases[0].pparams[0])
            return ob_usage_error(c, err, "--param '%.40s...' is too long (at most %zu characters)", pp[k],
                                  sizeof s->cases[0].pparams[0] - 1);
    /* Every --set key must belong to at least one chosen optimizer. */
    for (size_t k = 0; k < nsets; k++) {
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(sets[k], "="), sets[k]);
        int found = 0;
        for (size_t i = 0; i < nopt; i++) found |= ob_hparam_find(opts[i], key) != NULL;
        if (!found)
            return ob_usage_error(c, err, "--set %s: no chosen optimizer has a hyperparameter '%s'", sets[k],
                                  key);
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", ob_args_get(a, "problem"));
    for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        const ob_problem_spec *ps = ob_problem_find(t);
        if (!ps) {
            ob_usage_error(c, err, "unknown problem '%s' (see optbench list)", t);
            ob_suite_free(s);
            return OB_EXIT_USAGE;
        }
        ob_case *grown = realloc(s->cases, (s->n + nopt) * sizeof *grown);
        if (!grown) {
            ob_suite_free(s);
            return OB_EXIT_FAIL;
        }
        s->cases = grown;
        for (size_t i = 0; i < nopt; i++) {
            ob_case cs;
            memset(&cs, 0, sizeof cs);
            cs.opt = opts[i];
            cs.problem = ps;
            cs.steps = ps->default_steps ? ps->default_steps : 1000;
            cs.threads = 1;
            ob_hparams_default(cs.opt, &cs.h);
            if (ps->default_lr > 0) cs.h.lr = ps->default_lr;
            char msg[512];
            for (size_t k = 0; k < nsets; k++) {
                char key[64];
                snprintf(key, sizeof key, "%.*s", (int)strcspn(sets[k], "="), sets[k]);
                if (!ob_hparam_find(cs.opt, key)) continue;
                if (ob_hparam_set(cs.opt, &cs.h, sets[k], msg, sizeof msg) != 0) {
                    ob_usage_error(c, err, "--set %s", msg);
                    ob_suite_free(s);
                    return OB_EXIT_USAGE;
                }
            }
            /* ob_cli_schedule prints its own message; msg is only set by a
             * failed ob_validate. */
            int bad_h = ob_validate(cs.opt, &cs.h, msg, sizeof msg) != 0;
            if (bad_h) ob_usage_error(c, err, "%s", msg);
            if (bad_h || ob_cli_schedule(c, ob_args_get(a, "schedule"), ssets, nss, cs.opt, &cs.sched, err) !=
                             OB_EXIT_OK) {
                ob_suite_free(s);
                return OB_EXIT_USAGE;
            }
            for (size_t k = 0; k < npp; k++) snprintf(cs.pparams[k], sizeof cs.pparams[k], "%s", pp[k]);
            cs.n_pparams = npp;
            s->cases[s->n++] = cs;
        }
    }
    if (s->n == 0) return ob_usage_error(c, err, "--problem '%s': empty list", ob_args_get(a, "problem"));
    return OB_EXIT_OK;
}

static int parse_count(const ob_args *a, const char *name, uint64_t lo, uint64_t *v, int *given, FILE *err)
{
    const char *s = ob_args_get(a, name);
    *given = s != NULL;
    if (!s) return OB_EXIT_OK;
    if (ob_parse_u64(s, v) != 0 || *v < lo)
        return ob_usage_error(&ob_cmd_run_spec, err, "--%s: '%s' is not an integer >= %llu", name, s,
                              (unsigned long long)lo);
    return OB_EXIT_OK;
}

/* The run's cases from the arguments (a suite file, --problem and its
 * options, or the default suite) with the overrides that apply to every
 * case; *seed receives --seed (0 when not given). */
static int build_suite(const ob_cmd_spec *c, const ob_args *a, ob_suite *s, uint64_t *seed, FILE *err)
{
    unsigned isa_mask = 0;
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (ob_isa_supported((ob_isa)i)) isa_mask |= 1u << i;
    uint64_t steps = 0, threads = 1, n = 0, batch = 0;
    int has_steps, has_seed, has_threads, has_n, has_batch, rc;
    char msg[1024];
    if ((rc = parse_count(a, "steps", 1, &steps, &has_steps, err)) ||
        (rc = parse_count(a, "seed", 0, seed, &has_seed, err)) ||
        (rc = parse_count(a, "threads", 1, &threads, &has_threads, err)) ||
        (rc = parse_count(a, "n", 1, &n, &has_n, err)) ||
        (rc = parse_count(a, "batch", 1, &batch, &has_batch, err)))
        return rc;
    if (ob_args_get(a, "isa") && (rc = parse_isa_list(ob_args_get(a, "isa"), &isa_mask, err))) return rc;
    ob_format formats[OB_RUN_MAX_FORMATS];
    int nformats = 0;
    if (ob_args_get(a, "format") &&
        (nformats = ob_format_list_parse(ob_args_get(a, "format"), formats, OB_RUN_MAX_FORMATS, msg, sizeof msg)) < 0)
        return ob_usage_error(c, err, "--format: %s", msg);
    const char *suite = ob_args_get(a, "suite"), *sweep = ob_args_get(a, "from-sweep");
    if (sweep && (suite || ob_args_get(a, "problem") || ob_args_get(a, "opt") || ob_args_has(a, "set") ||
                  ob_args_get(a, "schedule") || ob_args_has(a, "param") || has_steps || has_n || has_batch))
        return ob_usage_error(c, err,
                              "--from-sweep runs the sweep's settings: no --suite, --problem, --opt, --set, "
                              "--schedule, --param, --steps, --n or --batch");
    if (suite && (ob_args_get(a, "problem") || ob_args_get(a, "opt") || ob_args_has(a, "set") ||
                  ob_args_get(a, "schedule") || ob_args_has(a, "param")))
        return ob_usage_error(
            c, err, "--suite cannot be combined with --opt, --problem, --set, --schedule or --param");
    if (!ob_args_get(a, "problem") && !suite &&
        (ob_args_get(a, "opt") || ob_args_has(a, "set") || ob_args_has(a, "param")))
        return ob_usage_error(c, err, "--opt, --set and --param need --problem (or use --suite)");
    if (sweep) {
        if (ob_suite_from_sweep(sweep, s, msg, sizeof msg) != 0) return ob_usage_error(c, err, "%s", msg);
    } else if (suite) {
        if (ob_suite_load(suite, s, msg, sizeof msg) != 0) return ob_usage_error(c, err, "%s", msg);
    } else if (ob_args_get(a, "problem")) {
        if ((rc = cases_from_args(a, s, err)) != OB_EXIT_OK) return rc;
    } else if (ob_suite_default(s, msg, sizeof msg) != 0) {
        fprintf(err, "optbench run: %s\n", msg);
        return OB_EXIT_FAIL;
    }
    for (size_t i = 0; i < s->n; i++) {
        ob_case *cs = &s->cases[i];
        cs->isa_mask = isa_mask;
        if (has_steps) cs->steps = steps;
        if (has_seed) cs->seed = *seed;
        if (has_threads) cs->threads = (int)threads;
        if (has_n) cs->n = (size_t)n;
        if (has_batch) cs->batch = (size_t)batch;
    }
    if (nformats > 0 && ob_suite_formats(s, formats, (size_t)nformats, msg, sizeof msg) != 0)
        return ob_usage_error(c, err, "%s", msg);
    uint64_t inst = 1, inst_data = 0;
    int has_inst, has_data;
    if ((rc = parse_count(a, "instances", 1, &inst, &has_inst, err)) ||
        (rc = parse_count(a, "data-instances", 1, &inst_data, &has_data, err)))
        return rc;
    if (ob_suite_instances(s, inst, has_data ? inst_data : inst, msg, sizeof msg) != 0)
        return ob_usage_error(c, err, "%s", msg);
    return OB_EXIT_OK;
}

/* ---- linear-time duplicate detection ----------------------------------------- */

/* An open-addressing table of case indices keyed by a hash and an equality
 * test, so that finding the first earlier case with the same key is O(1)
 * expected: the duplicate checks below were scans of every earlier case,
 * O(n^2) (30 000 cases took minutes, with Ctrl-C ignored meanwhile). */
typedef struct first_index {
    size_t *slot; /* index + 1; 0 = empty */
    size_t mask;
} first_index;

static int first_index_init(first_index *t, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    t->mask = cap - 1;
    t->slot = calloc(cap, sizeof *t->slot);
    return t->slot ? 0 : -1;
}

/* The first index stored with a key equal to i's (eq), or i itself, which
 * is then stored. */
static size_t first_index_of(first_index *t, uint64_t h, size_t i, int (*eq)(const void *, size_t, size_t),
                             const void *ctx)
{
    for (size_t k = (size_t)h & t->mask;; k = (k + 1) & t->mask) {
        if (!t->slot[k]) {
            t->slot[k] = i + 1;
            return i;
        }
        if (eq(ctx, t->slot[k] - 1, i)) return t->slot[k] - 1;
    }
}

/* FNV-1a over len bytes, continuing from h. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t len)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}
#define FNV_START 0xcbf29ce484222325ull

/* Two cases that ob_case_check would judge alike: the same problem
 * instance and the same memory need. */
static int same_check(const void *ctx, size_t a, size_t b)
{
    const ob_case *ca = &((const ob_suite *)ctx)->cases[a], *cb = &((const ob_suite *)ctx)->cases[b];
    /* A storage format adds checks of its own (SAM, a box): never shared. */
    if (!ob_format_is_fp32(&ca->format) || !ob_format_is_fp32(&cb->format)) return 0;
    return ca->problem == cb->problem && ca->n == cb->n && ca->seed == cb->seed && ca->batch == cb->batch &&
           ca->instance == cb->instance &&
           ca->opt->n_state == cb->opt->n_state && ca->n_pparams == cb->n_pparams &&
           !memcmp(ca->pparams, cb->pparams, sizeof ca->pparams);
}

static uint64_t check_hash(const ob_case *c)
{
    uint64_t h = fnv1a(FNV_START, &c->problem, sizeof c->problem);
    h = fnv1a(h, &c->n, sizeof c->n);
    h = fnv1a(h, &c->seed, sizeof c->seed);
    h = fnv1a(h, &c->instance, sizeof c->instance);
    h = fnv1a(h, &c->batch, sizeof c->batch);
    h = fnv1a(h, &c->opt->n_state, sizeof c->opt->n_state);
    h = fnv1a(h, &c->n_pparams, sizeof c->n_pparams);
    for (size_t k = 0; k < c->n_pparams; k++) h = fnv1a(h, c->pparams[k], strlen(c->pparams[k]));
    return h;
}

/* The exit code of a command interrupted before anything was written, with
 * its message; OB_EXIT_OK when no signal came. */
static int stopped_before_writing(const char *what, FILE *err)
{
    int sig = ob_interrupted();
    if (!sig) return OB_EXIT_OK;
    fprintf(err, "optbench run: interrupted by %s while %s; nothing was written\n", ob_interrupt_name(sig), what);
    return ob_interrupt_exit_code(sig);
}

/* Every case is checked before anything is written, so that a bad
 * --param, a missing data set or a case too large for memory is an error
 * with no output, not a results set that is partly missing.  Cases alike
 * for ob_case_check (same_check) are checked once. */
static int check_cases(const ob_suite *s, FILE *err)
{
    char msg[1024];
    first_index t;
    if (first_index_init(&t, s->n) != 0) {
        fprintf(err, "optbench run: out of memory checking %zu cases\n", s->n);
        return OB_EXIT_FAIL;
    }
    int rc = OB_EXIT_OK;
    for (size_t i = 0; i < s->n && rc == OB_EXIT_OK; i++) {
        const ob_case *ci = &s->cases[i];
        if ((rc = stopped_before_writing("checking the cases", err)) != OB_EXIT_OK) break;
        if (first_index_of(&t, check_hash(ci), i, same_check, s) != i) continue;
        if ((rc = ob_case_check(ci, msg, sizeof msg)) != OB_EXIT_OK)
            fprintf(err, "optbench run: %s.%s: %s\n", ci->problem->name, ci->opt->name, msg);
    }
    free(t.slot);
    return rc;
}

/* Attaches each plugin kernel to every case of the optimizer it claims
 * (a plugin may export kernels for optimizers the run does not choose;
 * only plugins none of whose kernels can run are an error).  A case whose
 * hyperparameters the kernel does not honour is an error when the command
 * line set them (--problem with --set), and is run without that kernel,
 * with a note, when a suite did. */
static int attach_plugins(const ob_args *a, const ob_plugin_set *ps, ob_suite *s, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_run_spec;
    const int from_args = ob_args_get(a, "problem") != NULL;
    const char *unused = NULL; /* a plugin file none of whose kernels ran so far */
    for (size_t k = 0; k < ps->n; k++) {
        const ob_plugin_kernel *pk = ps->k[k];
        if (k == 0 || ps->k[k - 1]->path != pk->path) {
            if (unused) break;
            unused = pk->path;
        }
        for (size_t i = 0; i < s->n; i++) {
            ob_case *cs = &s->cases[i];
            /* Plugin kernels step fp32 arrays only. */
            if (cs->opt != pk->opt || !ob_format_is_fp32(&cs->format)) continue;
            char msg[512], id[160];
            ob_case_id(cs, id, sizeof id);
            if (ob_plugin_hparams_check(pk, &cs->h, msg, sizeof msg) != 0) {
                if (from_args) return ob_usage_error(c, err, "--plugin: %s: %s", id, msg);
                fprintf(err, "optbench run: note: plugin:%s does not run %s: %s\n", pk->desc.name, id, msg);
                continue;
            }
            if (cs->n_plugins == OB_ENGINE_MAX_EXTRA)
                return ob_usage_error(c, err, "--plugin: at most %d plugin kernels per optimizer",
                                      OB_ENGINE_MAX_EXTRA);
            cs->plugin[cs->n_plugins++] = pk;
            cs->plugin_bound = ps->bound;
            unused = NULL;
        }
    }
    if (unused)
        return ob_usage_error(c, err,
                              "--plugin %s: no case of this run has an optimizer its kernels claim, or "
                              "hyperparameters they honour (see optbench list --plugin %s)",
                              unused, unused);
    return OB_EXIT_OK;
}

static int same_id(const void *ctx, size_t a, size_t b)
{
    const char(*ids)[160] = ctx;
    return !strcmp(ids[a], ids[b]);
}

/* A unique id per case: problem.optimizer[+sam], suffixed ".k" for the
 * k-th case with the same id.  0, or -1 when out of memory. */
static int case_ids(const ob_suite *s, char (*ids)[160])
{
    first_index t;
    size_t *count = calloc(s->n ? s->n : 1, sizeof *count);
    if (!count || first_index_init(&t, s->n) != 0) {
        free(count);
        return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        ob_case_id(&s->cases[i], ids[i], sizeof ids[i]);
        size_t first = first_index_of(&t, fnv1a(FNV_START, ids[i], strlen(ids[i])), i, same_id, ids);
        if (first == i) {
            count[i] = 1;
            continue;
        }
        size_t len = strlen(ids[i]);
        snprintf(ids[i] + len, sizeof ids[i] - len, ".%zu", ++count[first]);
    }
    free(t.slot);
    free(count);
    return 0;
}

/* A run in progress: its results document and counts. */
typedef struct run_state {
    const char *dir;
    char json_path[4200];
    cJSON *doc, *cases, *failed;
    /* stop: the exit code of an I/O error or a signal that ended the run;
     * fail_code: that of the first case that failed (bad input, data, memory). */
    int violations, failures, stop, fail_code;
    size_t done_cases;
} run_state;

/* The results document, "running" until the last write: a run killed
 * outright (SIGKILL, a full disk) never leaves a results.json that claims
 * to be complete. */
static void results_doc(run_state *rs, size_t planned, cJSON *meta)
{
    rs->doc = cJSON_CreateObject();
    cJSON_AddStringToObject(rs->doc, "format", OB_RESULTS_FORMAT);
    cJSON_AddNumberToObject(rs->doc, "version", OB_RESULTS_VERSION);
    cJSON_AddStringToObject(rs->doc, "status", "running");
    cJSON_AddNumberToObject(rs->doc, "cases_planned", (double)planned);
    cJSON_AddItemToObject(rs->doc, "meta", meta);
    rs->cases = cJSON_AddArrayToObject(rs->doc, "cases");
    rs->failed = cJSON_AddArrayToObject(rs->doc, "failed_cases");
    snprintf(rs->json_path, sizeof rs->json_path, "%s/results.json", rs->dir);
}

/* Runs the cases in turn, rewriting results.json after each. */
static void run_cases(ob_suite *s, char (*ids)[160], ob_case_result *res, progress_ctx *pc, int plain,
                      run_state *rs, FILE *err)
{
    char msg[1024];
    for (size_t i = 0; i < s->n && !rs->stop; i++) {
        ob_case *cs = &s->cases[i];
        ob_case_result *r = &res[i];
        const char *id = ids[i];
        if (ob_interrupted()) {
            rs->stop = ob_interrupt_exit_code(ob_interrupted());
            break;
        }
        pc->index = i + 1;
        pc->id = id;
        cs->progress = show_progress;
        cs->progress_ctx = pc;
        if (plain)
            fprintf(err, "[%zu/%zu] %s (%llu steps)\n", i + 1, s->n, id, (unsigned long long)cs->steps);
        char csv[4400];
        snprintf(csv, sizeof csv, "%s/cases/%s.csv", rs->dir, id);
        if (ob_run_case(cs, csv, r, msg, sizeof msg) != 0) {
            if (pc->tty) fprintf(stderr, "\n");
            r->id[0] = '\0';
            if (r->exit_code >= 128) {
                fprintf(err, "optbench run: %s; the case is not saved\n", msg);
                rs->stop = r->exit_code;
                break;
            }
            fprintf(err, "optbench run: %s: %s\n", id, msg);
            if (r->exit_code == OB_EXIT_IO) {
                /* A full disk or a vanished folder: the next case would fail too. */
                rs->stop = OB_EXIT_IO;
                break;
            }
            if (!rs->failures++) rs->fail_code = r->exit_code ? r->exit_code : OB_EXIT_FAIL;
            cJSON *fc = cJSON_CreateObject();
            cJSON_AddStringToObject(fc, "id", id);
            cJSON_AddStringToObject(fc, "error", msg);
            cJSON_AddItemToArray(rs->failed, fc);
        } else {
            snprintf(r->id, sizeof r->id, "%s", id);
            if (!r->ok) rs->violations++;
            cJSON_AddItemToArray(rs->cases, ob_case_to_json(cs, r));
            rs->done_cases++;
        }
        /* Rewritten after every case: an interrupted run keeps what finished. */
        if (ob_json_write(rs->json_path, rs->doc, msg, sizeof msg) != 0) {
            fprintf(err, "optbench run: %s\n", msg);
            rs->stop = OB_EXIT_IO;
        }
    }
}

/* The last write of results.json, the latest link, the summary and how the
 * run ended. */
static void finish_run(const char *root, const ob_suite *s, const ob_case_result *res, run_state *rs,
                       FILE *out, FILE *err)
{
    char msg[1024];
    int stop = rs->stop;
    /* The last write says how the run ended; after an I/O error it is still
     * tried (it may fit), and if it fails the previous results.json stays,
     * marked "running". */
    cJSON_ReplaceItemInObject(rs->doc, "status",
                              cJSON_CreateString(stop >= 128 ? "interrupted"
                                                 : stop      ? "write_failed"
                                                             : "complete"));
    if (stop >= 128) cJSON_AddStringToObject(rs->doc, "interrupted_by", ob_interrupt_name(stop - 128));
    if (ob_json_write(rs->json_path, rs->doc, msg, sizeof msg) != 0) {
        if (stop != OB_EXIT_IO) fprintf(err, "optbench run: %s\n", msg);
        if (stop < 128) stop = OB_EXIT_IO;
    }
    rs->stop = stop;
    /* latest points at complete runs only. */
    if (!stop && ob_run_dir_mark_latest(root, rs->dir, msg, sizeof msg) != 0)
        fprintf(err, "optbench run: %s\n", msg);
    ob_case_summary_header(out);
    for (size_t i = 0; i < s->n; i++)
        if (res[i].id[0]) ob_case_summary(out, &s->cases[i], &res[i]);
    char count[64];
    size_t done = rs->done_cases;
    int v = rs->violations, f = rs->failures;
    if (stop) snprintf(count, sizeof count, "%zu of %zu cases run", done + (size_t)f, s->n);
    else snprintf(count, sizeof count, "%zu case%s", s->n, s->n == 1 ? "" : "s");
    fprintf(out, "\n%s, %d agreement violation%s, %d failure%s; results in %s\n", count, v, v == 1 ? "" : "s",
            f, f == 1 ? "" : "s", rs->dir);
    if (stop >= 128)
        fprintf(err, "optbench run: interrupted by %s: saved %zu finished case%s of %zu in %s\n",
                ob_interrupt_name(stop - 128), done, done == 1 ? "" : "s", s->n, rs->json_path);
    else if (stop && access(rs->json_path, F_OK) == 0)
        fprintf(
            err,
            "optbench run: stopped: results could not be written; %s keeps the %zu case%s finished before, "
            "marked as not complete\n",
            rs->json_path, done, done == 1 ? "" : "s");
    else if (stop)
        fprintf(err, "optbench run: stopped: results could not be written; nothing was saved in %s\n",
                rs->dir);
}

int ob_cmd_run(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_run_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    ob_suite s = {0};
    ob_plugin_set ps = {0};
    uint64_t seed = 0;
    char msg[1024];
    char(*ids)[160] = NULL;
    ob_shard shard = {0, 0};
    cJSON *shard_rec = NULL;
    if (ob_args_get(&a, "shard") && ob_shard_parse(ob_args_get(&a, "shard"), &shard, msg, sizeof msg) != 0) {
        rc = ob_usage_error(c, err, "%s", msg);
        ob_args_free(&a);
        return rc;
    }
    /* From here on SIGINT and SIGTERM stop the command: while the suite is
     * expanded and checked, before anything is written (exit 130/143 and
     * nothing on disk); later between steps, after saving the finished
     * cases. */
    ob_interrupt_install();
    rc = build_suite(c, &a, &s, &seed, err);
    if (rc != OB_EXIT_OK && ob_interrupted()) {
        /* build_suite's message says where the expansion stopped. */
        rc = ob_interrupt_exit_code(ob_interrupted());
        fprintf(err, "optbench run: nothing was written\n");
    }
    if (rc != OB_EXIT_OK || (rc = check_cases(&s, err)) != OB_EXIT_OK ||
        (rc = ob_plugin_set_load(&ps, c, &a, err)) != OB_EXIT_OK || (rc = attach_plugins(&a, &ps, &s, err)))
        goto done;
    ids = calloc(s.n ? s.n : 1, sizeof *ids);
    if (!ids || case_ids(&s, ids) != 0) {
        fprintf(err, "optbench run: out of memory for %zu case ids\n", s.n);
        rc = OB_EXIT_FAIL;
        goto done;
    }
    shard_rec = ob_run_shard_select(&s, ids, &shard, argc, argv);
    if ((rc = stopped_before_writing("preparing the cases", err)) != OB_EXIT_OK) goto done;
    const char *root = ob_args_get(&a, "out") ? ob_args_get(&a, "out") : "results";
    char dir[4096];
    if (ob_run_dir_create(root, dir, sizeof dir, msg, sizeof msg) != 0) {
        fprintf(err, "optbench run: %s\n", msg);
        rc = OB_EXIT_IO;
        goto done;
    }
    run_state rs = {.dir = dir, .fail_code = OB_EXIT_OK};
    results_doc(&rs, s.n, ob_run_metadata(argc, argv, (unsigned long long)seed));
    if (shard_rec) cJSON_AddItemToObject(rs.doc, "shard", shard_rec);
    shard_rec = NULL;
    progress_ctx pc = {isatty(fileno(stderr)) && !ob_args_has(&a, "quiet"), 0, s.n, ""};
    int plain = !pc.tty && !ob_args_has(&a, "quiet");
    ob_case_result *res = calloc(s.n ? s.n : 1, sizeof *res);
    if (!res) {
        rc = OB_EXIT_FAIL;
        cJSON_Delete(rs.doc);
        goto done;
    }
    run_cases(&s, ids, res, &pc, plain, &rs, err);
    if (pc.tty) fprintf(stderr, "\r%-80s\r", "");
    if (!rs.stop && ob_interrupted()) rs.stop = ob_interrupt_exit_code(ob_interrupted());
    finish_run(root, &s, res, &rs, out, err);
    cJSON_Delete(rs.doc);
    free(res);
    rc = rs.stop ? rs.stop : rs.failures ? rs.fail_code : rs.violations ? OB_EXIT_AGREEMENT : OB_EXIT_OK;
    /* The event files from the case CSVs just written (harness/tb/). */
    const char *tb = ob_args_get(&a, "tensorboard");
    size_t tb_files, tb_events;
    if (tb && rs.done_cases && ob_tb_from_run(dir, tb, &tb_files, &tb_events, msg, sizeof msg) != 0) {
        fprintf(err, "optbench run: --tensorboard: %s\n", msg);
        if (rc == OB_EXIT_OK) rc = OB_EXIT_IO;
    } else if (tb && rs.done_cases) {
        fprintf(out, "TensorBoard: %zu event files, %zu scalars in %s\n", tb_files, tb_events, tb);
    }
done:
    cJSON_Delete(shard_rec);
    free(ids);
    ob_interrupt_restore();
    ob_suite_free(&s);
    ob_plugin_set_free(&ps);
    ob_args_free(&a);
    return rc;
}
