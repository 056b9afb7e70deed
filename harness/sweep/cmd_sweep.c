/*
 * cmd_sweep.c — `optbench sweep`: grid or random search over optimizer
 * hyperparameters with several seeds, resumable, with the tuned
 * comparison and sensitivity figures (README "Hyperparameter sweeps";
 * the machinery is in sweep*.c, ob_sweep.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "ob_sweep.h"

static const ob_opt sweep_opts[] = {
    {"opt", "LIST", 0, "optimizers, comma-separated (default: all)"},
    {"problem", "LIST", 0, "problems, comma-separated (required unless --resume)"},
    {"grid", "SPEC", OB_OPT_REPEAT,
     "KEY=log:LO:HI:N, KEY=lin:LO:HI:N or KEY=V1,V2,...; several make a product"},
    {"random", "N", 0, "random search: N points drawn from the --grid ranges instead of the grid"},
    {"seed", "S", 0, "seed of the random search (default: 1; --search: 0, the sequence unshifted)"},
    {"search", "KIND", 0, "sobol, halton (quasi-random) or bayes (GP, expected improvement) over the --grid ranges"},
    {"budget", "N", 0, "--search: settings per optimizer and problem"},
    {"proposals", "Q", 0, "--search bayes: settings proposed per round (default: --jobs)"},
    {"compare-search", NULL, OB_OPT_FLAG, "compare grid, random, Sobol and Bayesian search (README)"},
    {"search-seeds", "K", 0, "--compare-search: search seeds 1..K of each search but the grid (default: 5)"},
    {"seeds", "K", 0, "problem seeds 0..K-1 for every setting (default: 3; deterministic problems run 1)"},
    {"instances", "K", 0, "problem instances 0..K-1 for every setting, each with every seed; ranked by the median over all (default: 1; README \"Problem instances\")"},
    {"all-seeds", NULL, OB_OPT_FLAG, "run all K seeds on deterministic problems too"},
    {"steps", "N", 0, "steps per run (default: each problem's)"},
    {"set", "KEY=VALUE", OB_OPT_REPEAT, "fixed hyperparameter for every optimizer that has the key"},
    {"param", "KEY=VALUE", OB_OPT_REPEAT, "problem parameter (e.g. cond=1e4)"},
    {"n", "N", 0, "dimension, for problems where it can be chosen"},
    {"batch", "B", 0, "mini-batch size, for stochastic problems"},
    {"isa", "LIST", 0, "fp32 paths run beside the fp64 reference (default: scalar; 'reference': none)"},
    {"schedule", "NAME", 0, "learning-rate schedule (default: constant)"},
    {"sched-set", "KEY=VALUE", OB_OPT_REPEAT, "schedule parameter"},
    {"criterion", "loss|steps", 0, "how the best setting is chosen (default: loss)"},
    {"jobs", "N", 0, "runs in parallel (default: the number of online CPUs)"},
    {"shard", "I/N", 0, "run only shard I of N (round robin over the runs); combine with optbench merge"},
    {"out", "DIR", 0, "results root: a new run folder <DIR>/<run-id>/sweep/ (default: results)"},
    {"run", "DIR", 0,
     "write into the existing run folder DIR (e.g. results/latest); the same sweep again resumes"},
    {"resume", "DIR", 0, "finish the sweep recorded in run folder DIR, with its recorded options"},
    {"no-figures", NULL, OB_OPT_FLAG, "no sensitivity figures (gnuplot not needed)"},
    {"plot-dir", "DIR", 0, OB_PLOT_DIR_HELP},
    {"quiet", NULL, OB_OPT_FLAG, "no progress output"},
    {"tensorboard", "DIR", 0,
     "also write each run's series as a TensorBoard event file under DIR/<problem>.<opt>/<setting>"},
};

const ob_cmd_spec ob_cmd_sweep_spec = {
    "sweep",
    "--problem LIST --grid KEY=SPEC... [--opt LIST] [--random N | --search KIND --budget N] [--seeds K] [--out DIR | --run DIR | --resume DIR] ...",
    "tune hyperparameters: grid, random, quasi-random or Bayesian search with seeds; best settings and sensitivity figures",
    "Grid: --grid 'lr=log:1e-5:1e1:25' (25 log-spaced values, ends included),\n"
    "'momentum=lin:0:0.9:4', 'amsgrad=0,1' (a list); several --grid make their\n"
    "product.  A key must belong to at least one chosen optimizer and applies to\n"
    "those that have it.  --random N draws N points from the same ranges instead\n"
    "(log-uniform, uniform, uniform choice), from --seed; --search sobol|halton\n"
    "--budget N takes N points of GSL's low-discrepancy sequence, --search bayes\n"
    "--budget N a Gaussian process with expected improvement, --proposals per\n"
    "round (README \"Search strategies\"); --compare-search runs grid, random,\n"
    "Sobol and Bayesian search against each other into <run>/sweep-compare/.\n"
    "Settings outside the valid ranges are skipped with a note.  Each setting runs problem seeds\n"
    "0..K-1 (deterministic problems: seed 0), with --instances K on each of\n"
    "problem instances 0..K-1.  Best setting per optimizer and problem: the\n"
    "smallest median over seeds (and instances) of the final loss (diverged: +inf),\n"
    "ties by median steps to target; --criterion steps puts steps to target\n"
    "first where the problem has f*.  Writes <run>/sweep/: points/<hash>.json\n"
    "(one per finished run), sweep.json, <problem>.png/.svg.  Running the same\n"
    "sweep into the same folder (--run DIR, or --resume DIR) skips the runs\n"
    "already recorded; different options are an error naming the difference.\n"
    "Exit status: 0 done, 1 a run or a figure failed, 2 bad arguments, 4 results\n"
    "could not be written, 5 a data set is missing, 130 / 143 SIGINT / SIGTERM\n"
    "(finished runs are kept; resume with --resume DIR).\n"
    "--shard I/N runs every N-th run from the I-th (0 <= I < N) into its own\n"
    "folder, recorded in sweep/shard.json; 'optbench merge OUT DIR...' combines\n"
    "the N folders into one (README \"Scaling out\").\n",
    sweep_opts,
    sizeof sweep_opts / sizeof sweep_opts[0],
    0,
    0,
    ob_cmd_sweep,
};

/* The specification from the command line: the spec options as given. */
static cJSON *spec_from_args(const ob_args *a)
{
    cJSON *spec = cJSON_CreateObject();
    for (size_t k = 0; spec && k < ob_sweep_spec_key_count; k++) {
        const ob_sweep_spec_key *key = &ob_sweep_spec_keys[k];
        if (key->kind == 2) {
            cJSON_AddBoolToObject(spec, key->name, ob_args_has(a, key->name));
        } else if (key->kind == 1) {
            size_t n;
            const char *const *v = ob_args_all(a, key->name, &n);
            cJSON *arr = cJSON_AddArrayToObject(spec, key->name);
            for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
        } else if (ob_args_get(a, key->name)) {
            cJSON_AddStringToObject(spec, key->name, ob_args_get(a, key->name));
        }
    }
    return spec;
}

/* The sweep folder's lock: two sweeps writing one folder would redo each
 * other's runs and race on sweep.json.  Held until the process ends. */
static int lock_dir(const char *sweep_dir, int *fd, char *err, size_t errlen)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/.lock", sweep_dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0) return snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno)), -1;
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "%s is in use by another optbench sweep", sweep_dir);
        close(*fd);
        *fd = -1;
        return -1;
    }
    return 0;
}

static void shard_text(const ob_shard *sh, char *buf, size_t len)
{
    if (sh->count) snprintf(buf, len, "--shard %llu/%llu", (unsigned long long)sh->index,
                            (unsigned long long)sh->count);
    else snprintf(buf, len, "no --shard");
}

/* A folder holds one shard for good: the shard recorded in
 * sweep_dir/shard.json (or none: an unsharded sweep) must be the one
 * given, or the folder would mix the runs of two shards. */
static int shard_check(const ob_cmd_spec *c, const char *sweep_dir, const char *dir, const ob_shard *given,
                       FILE *err)
{
    char msg[4600], was[64], now[64];
    ob_sweep_shard_info info;
    int r = ob_sweep_shard_read(sweep_dir, &info, msg, sizeof msg);
    if (r < 0) return ob_usage_error(c, err, "%s", msg);
    if (r == 0 && !given->count) return OB_EXIT_OK;
    if (r == 1 && given->count && info.shard.index == given->index && info.shard.count == given->count)
        return OB_EXIT_OK;
    shard_text(&info.shard, was, sizeof was);
    shard_text(given, now, sizeof now);
    return ob_usage_error(c, err,
                          "the sweep in %s was recorded with %s, now %s; rerun it with the recorded options "
                          "(optbench sweep --resume %s) or write a new one (--out)",
                          sweep_dir, was, now, dir);
}

/* --shard, or with --resume the shard recorded in the folder (which a
 * --shard given beside it must equal).  Returns an exit code. */
static int shard_setup(const ob_cmd_spec *c, const ob_args *a, ob_shard *shard, FILE *err)
{
    char msg[4600];
    memset(shard, 0, sizeof *shard);
    const char *text = ob_args_get(a, "shard"), *resume = ob_args_get(a, "resume");
    if (text && ob_shard_parse(text, shard, msg, sizeof msg) != 0) return ob_usage_error(c, err, "%s", msg);
    if (!resume) return OB_EXIT_OK;
    char sweep_dir[4200];
    snprintf(sweep_dir, sizeof sweep_dir, "%s/sweep", resume);
    ob_sweep_shard_info info;
    int r = ob_sweep_shard_read(sweep_dir, &info, msg, sizeof msg);
    if (r < 0) return ob_usage_error(c, err, "--resume %s: %s", resume, msg);
    if (r == 1 && !text) *shard = info.shard;
    return shard_check(c, sweep_dir, resume, shard, err);
}

/* The run folder and its sweep/ subfolder, with the specification checked
 * against (or recorded as) spec.json.  Returns an exit code. */
static int prepare_dir(const ob_cmd_spec *c, const ob_args *a, const ob_sweep *sw, const ob_shard *shard,
                       char *dir, size_t dirlen, char *sweep_dir, size_t slen, int *lock_fd, FILE *err)
{
    char msg[9000];
    int rc;
    const char *run = ob_args_get(a, "run") ? ob_args_get(a, "run") : ob_args_get(a, "resume");
    struct stat st;
    if (run) {
        if (stat(run, &st) != 0 || !S_ISDIR(st.st_mode))
            return ob_usage_error(c, err, "--%s %s: not a folder", ob_args_get(a, "run") ? "run" : "resume",
                                  run);
        snprintf(dir, dirlen, "%s", run);
    } else {
        const char *root = ob_args_get(a, "out") ? ob_args_get(a, "out") : "results";
        if (ob_run_dir_create(root, dir, dirlen, msg, sizeof msg) != 0) {
            fprintf(err, "optbench sweep: %s\n", msg);
            return OB_EXIT_IO;
        }
    }
    char points[4400], spec_path[4400];
    snprintf(sweep_dir, slen, "%s/sweep", dir);
    snprintf(points, sizeof points, "%s/points", sweep_dir);
    snprintf(spec_path, sizeof spec_path, "%s/spec.json", sweep_dir);
    if (ob_mkdirs(points, msg, sizeof msg) != 0) {
        fprintf(err, "optbench sweep: %s\n", msg);
        return OB_EXIT_IO;
    }
    if (lock_dir(sweep_dir, lock_fd, msg, sizeof msg) != 0) {
        fprintf(err, "optbench sweep: %s\n", msg);
        return OB_EXIT_FAIL;
    }
    if (access(spec_path, F_OK) == 0) {
        if ((rc = shard_check(c, sweep_dir, dir, shard, err)) != OB_EXIT_OK) return rc;
        cJSON *recorded = ob_sweep_spec_read(spec_path, msg, sizeof msg);
        if (!recorded) return ob_usage_error(c, err, "%s", msg);
        char diff[2600];
        int same = ob_sweep_spec_compare(recorded, sw->spec, diff, sizeof diff) == 0;
        cJSON_Delete(recorded);
        if (!same)
            return ob_usage_error(
                c, err,
                "the sweep in %s was %s; rerun it with the recorded options (optbench sweep "
                "--resume %s) or write a new one (--out)",
                sweep_dir, diff, dir);
        return OB_EXIT_OK;
    }
    if (ob_sweep_spec_write(spec_path, sw->spec, msg, sizeof msg) != 0 ||
        (shard->count && ob_sweep_shard_write(sweep_dir, sw, shard, msg, sizeof msg) != 0)) {
        fprintf(err, "optbench sweep: %s\n", msg);
        return OB_EXIT_IO;
    }
    return OB_EXIT_OK;
}

/* Every problem is created once before anything runs, so that a bad
 * --param, a missing data set or a case too large for memory is an error
 * up front rather than one per run. */
static int check_problems(const ob_sweep *sw, FILE *err)
{
    char msg[1024];
    for (size_t p = 0; p < sw->n_problems; p++) {
        for (size_t i = 0; i < sw->n_settings; i++) {
            if (sw->settings[i].problem != p) continue;
            int rc = ob_case_check(&sw->settings[i].c, msg, sizeof msg);
            if (rc != OB_EXIT_OK) {
                fprintf(err, "optbench sweep: %s.%s: %s\n", sw->problems[p]->name,
                        sw->settings[i].c.opt->name, msg);
                return rc;
            }
            break;
        }
    }
    return OB_EXIT_OK;
}

/* --jobs (default: the online CPUs); an exit code. */
static int parse_jobs(const ob_cmd_spec *c, const ob_args *a, int *jobs, FILE *err)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *jobs = cpus > 0 ? (int)cpus : 1;
    const char *j = ob_args_get(a, "jobs");
    uint64_t v;
    if (j && (ob_parse_u64(j, &v) != 0 || v < 1 || v > 1024))
        return ob_usage_error(c, err, "--jobs: '%s' is not an integer in [1, 1024]", j);
    if (j) *jobs = (int)v;
    return OB_EXIT_OK;
}

/* `sweep --compare-search`: the run folder, then ob_sweep_compare. */
static int compare_searches(const ob_cmd_spec *c, const ob_args *a, FILE *out, FILE *err)
{
    ob_sweep_compare_opts o = {NULL, 5, 1, ob_args_has(a, "quiet") ? NULL : err, err, -1,
                               !ob_args_has(a, "no-figures"), ob_args_get(a, "plot-dir")};
    char dir[4096], msg[10000];
    const char *k = ob_args_get(a, "search-seeds");
    if (ob_args_get(a, "resume"))
        return ob_usage_error(c, err, "--compare-search resumes with --run DIR (the same options again)");
    if (k && (ob_parse_u64(k, &o.search_seeds) != 0 || o.search_seeds < 1 || o.search_seeds > 1000))
        return ob_usage_error(c, err, "--search-seeds: '%s' is not an integer in [1, 1000]", k);
    int rc = parse_jobs(c, a, &o.jobs, err);
    if (rc != OB_EXIT_OK) return rc;
    if (ob_args_get(a, "run")) snprintf(dir, sizeof dir, "%s", ob_args_get(a, "run"));
    else if (ob_run_dir_create(ob_args_get(a, "out") ? ob_args_get(a, "out") : "results", dir, sizeof dir, msg,
                               sizeof msg) != 0)
        return fprintf(err, "optbench sweep: %s\n", msg), OB_EXIT_IO;
    char cdir[4200];
    snprintf(cdir, sizeof cdir, "%s/sweep-compare", dir);
    if (ob_mkdirs(cdir, msg, sizeof msg) != 0) return fprintf(err, "optbench sweep: %s\n", msg), OB_EXIT_IO;
    if (lock_dir(cdir, &o.lock_fd, msg, sizeof msg) != 0)
        return fprintf(err, "optbench sweep: %s\n", msg), OB_EXIT_FAIL;
    cJSON *spec = spec_from_args(a);
    o.run_dir = dir;
    ob_interrupt_install();
    rc = spec ? ob_sweep_compare(spec, &o, out, msg, sizeof msg) : OB_EXIT_FAIL;
    ob_interrupt_restore();
    if (rc != OB_EXIT_OK) fprintf(err, "optbench sweep: --compare-search: %s\n", msg);
    cJSON_Delete(spec);
    close(o.lock_fd);
    return rc;
}

/* The options, the specification and the plan; returns an exit code. */
static int setup(const ob_cmd_spec *c, const ob_args *a, ob_sweep *sw, int *jobs, ob_sweep_criterion *crit,
                 FILE *err)
{
    char msg[2048];
    const char *resume = ob_args_get(a, "resume");
    if ((ob_args_get(a, "out") != NULL) + (ob_args_get(a, "run") != NULL) + (resume != NULL) > 1)
        return ob_usage_error(c, err, "give one of --out, --run and --resume");
    cJSON *spec;
    if (resume) {
        for (size_t k = 0; k < ob_sweep_spec_key_count; k++)
            if (ob_args_has(a, ob_sweep_spec_keys[k].name))
                return ob_usage_error(c, err,
                                      "--resume takes the options recorded in %s/sweep/spec.json; --%s "
                                      "cannot be given with it",
                                      resume, ob_sweep_spec_keys[k].name);
        char path[4400];
        snprintf(path, sizeof path, "%s/sweep/spec.json", resume);
        if (!(spec = ob_sweep_spec_read(path, msg, sizeof msg)))
            return ob_usage_error(c, err, "--resume %s: %s", resume, msg);
    } else if (!(spec = spec_from_args(a))) {
        return OB_EXIT_FAIL;
    }
    if (parse_jobs(c, a, jobs, err) != OB_EXIT_OK) {
        cJSON_Delete(spec);
        return OB_EXIT_USAGE;
    }
    /* A Bayesian search proposes --jobs settings per round unless told; the
     * number is recorded, since the rounds depend on it. */
    const cJSON *search = cJSON_GetObjectItemCaseSensitive(spec, "search");
    if (!resume && cJSON_IsString(search) && !strcmp(search->valuestring, "bayes") &&
        !cJSON_GetObjectItemCaseSensitive(spec, "proposals")) {
        char q[32];
        snprintf(q, sizeof q, "%d", *jobs);
        cJSON_AddStringToObject(spec, "proposals", q);
    }
    int rc = ob_sweep_plan(spec, sw, msg, sizeof msg);
    cJSON_Delete(spec);
    if (rc != 0)
        return resume ? ob_usage_error(c, err, "%s/sweep/spec.json: %s", resume, msg)
                      : ob_usage_error(c, err, "%s", msg);
    if (ob_sweep_criterion_parse(ob_args_get(a, "criterion"), crit) != 0)
        return ob_usage_error(c, err, "--criterion '%s': expected loss or steps",
                              ob_args_get(a, "criterion"));
    return OB_EXIT_OK;
}

int ob_cmd_sweep(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_sweep_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    /* A Bayesian search is sequential (each round is proposed from every
     * earlier result), and the comparison runs one: neither splits into
     * independent shards.  Grid, random and quasi-random points do. */
    const char *search = ob_args_get(&a, "search");
    if (ob_args_get(&a, "shard") && (ob_args_has(&a, "compare-search") || (search && !strcmp(search, "bayes")))) {
        rc = ob_usage_error(c, err,
                            "--shard does not apply to %s: each round of a Bayesian search needs every earlier "
                            "result (shard the problems or optimizers into separate sweeps instead)",
                            ob_args_has(&a, "compare-search") ? "--compare-search" : "--search bayes");
        ob_args_free(&a);
        return rc;
    }
    if (ob_args_has(&a, "compare-search") || ob_args_get(&a, "search-seeds")) {
        rc = ob_args_has(&a, "compare-search")
                 ? compare_searches(c, &a, out, err)
                 : ob_usage_error(c, err, "--search-seeds is for --compare-search (--seed S seeds one search)");
        ob_args_free(&a);
        return rc;
    }
    ob_sweep sw;
    memset(&sw, 0, sizeof sw);
    int jobs = 1, lock_fd = -1;
    ob_shard shard;
    ob_sweep_criterion crit;
    char dir[4096], sweep_dir[4200], msg[10000];
    int quiet = ob_args_has(&a, "quiet");
    if ((rc = setup(c, &a, &sw, &jobs, &crit, err)) != OB_EXIT_OK ||
        (rc = shard_setup(c, &a, &shard, err)) != OB_EXIT_OK || (rc = check_problems(&sw, err)) != OB_EXIT_OK)
        goto done;
    size_t own = ob_sweep_select_shard(&sw, &shard);
    if ((rc = prepare_dir(c, &a, &sw, &shard, dir, sizeof dir, sweep_dir, sizeof sweep_dir, &lock_fd, err)) !=
        OB_EXIT_OK)
        goto done;
    size_t found = ob_sweep_load_done(&sw, sweep_dir);
    const cJSON *note;
    if (!quiet)
        cJSON_ArrayForEach(note, sw.notes) fprintf(err, "optbench sweep: note: %s\n", note->valuestring);
    if (!quiet) {
        fprintf(err, "[sweep] %zu optimizer%s x %zu problem%s: %zu settings, %zu runs, %d job%s; %s\n",
                sw.n_opts, sw.n_opts == 1 ? "" : "s", sw.n_problems, sw.n_problems == 1 ? "" : "s",
                sw.n_settings, sw.n_runs, jobs, jobs == 1 ? "" : "s", sweep_dir);
        if (found) fprintf(err, "[sweep] resuming: %zu of %zu runs already recorded\n", found, own);
    }
    /* From here on SIGINT and SIGTERM stop the sweep between steps; the
     * finished runs are on disk already. */
    ob_interrupt_install();
    ob_sweep_exec_opts eo = {jobs, quiet ? NULL : err, err, !quiet && isatty(fileno(err)), lock_fd,
                             ob_args_get(&a, "tensorboard")};
    size_t failed = 0;
    char emsg[2048] = "";
    int xrc = ob_sweep_run_search(&sw, sweep_dir, &eo, &failed, emsg, sizeof emsg);
    size_t done_runs = 0;
    for (size_t i = 0; i < sw.n_runs; i++) done_runs += sw.runs[i].done;
    ob_sweep_report_opts ro = {crit,
                               xrc >= 128               ? "interrupted"
                               : done_runs == own       ? "complete"
                                                        : "incomplete",
                               /* A shard's figures would show a part; the merge draws them. */
                               xrc < 128 && !ob_args_has(&a, "no-figures") && !shard.count,
                               ob_args_get(&a, "plot-dir"),
                               NULL,
                               ob_run_metadata(argc, argv, (unsigned long long)sw.seed)};
    int rrc = ob_sweep_report(&sw, sweep_dir, &ro, out, msg, sizeof msg);
    fprintf(out, "\n%zu of %zu runs recorded; results in %s/sweep.json\n", done_runs, own, sweep_dir);
    if (xrc >= 128) {
        fprintf(err,
                "optbench sweep: %s: %zu of %zu runs are recorded in %s/points; resume with: optbench sweep "
                "--resume %s\n",
                emsg, done_runs, own, sweep_dir, dir);
    } else if (xrc == OB_EXIT_IO) {
        fprintf(err,
                "optbench sweep: stopped: a record could not be written (%s); %zu of %zu runs are recorded\n",
                emsg, done_runs, own);
    } else if (xrc != OB_EXIT_OK) {
        fprintf(err, "optbench sweep: %zu run%s failed (first: %s)\n", failed ? failed : 1,
                failed == 1 ? "" : "s", emsg);
    }
    if (rrc != OB_EXIT_OK) fprintf(err, "optbench sweep: %s (the results are kept)\n", msg);
    rc = xrc != OB_EXIT_OK ? xrc : rrc;
done:
    ob_interrupt_restore();
    if (lock_fd >= 0) close(lock_fd);
    ob_sweep_free(&sw);
    ob_args_free(&a);
    return rc;
}
