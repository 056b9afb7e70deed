/*
 * bench_peer.c — peers of `optbench bench`: other implementations timed on
 * the same sizes and thread counts, reported beside ours as kind=peer
 * (README "Benchmarks").
 *
 * torch.optim runs through harness/bench/peers/torch_optim.py and
 * Debian's python3-torch.  The interpreter is OPTBENCH_PYTHON, else
 * /usr/bin/python3 (Debian's packages are installed for it; a `python3`
 * earlier on PATH may be another interpreter without them), else python3
 * from PATH.  The scripts are found in OPTBENCH_PEER_DIR, else in
 * <prefix>/share/optbench/peers beside an installed binary (`make
 * install`), else in the source tree the binary was built from
 * (OB_PEER_DIR, set by the Makefile).  They run without a shell (fork +
 * exec), so no argument is ever parsed as shell syntax.  For `bench
 * --model` the same script times torch.optim's foreach=True and
 * single-tensor paths over the model's tensor list (ob_bench_peer_model);
 * there an interpreter without torch is "not installed", not a failure.
 *
 * DeepSpeed's CPU Adam is a plugin peer: its adapter
 * (examples/plugins/deepspeed_adam.cc, built with DEEPSPEED_HOME) is
 * loaded as one more --plugin (cmd_bench.c), so the measured run itself
 * times it beside optbench's kernels, with the same sizes, threads and
 * ceilings (bench_plugin.c), rather than a second timing path.  The
 * adapter is OPTBENCH_DEEPSPEED_PLUGIN, else the one the build made
 * (OB_DEEPSPEED_PLUGIN, set by examples/plugins/plugins.mk).
 */
#include "ob_bench.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/core/ob_core.h"

#ifndef OB_PEER_DIR
#define OB_PEER_DIR "harness/bench/peers"
#endif
#ifndef OB_DEEPSPEED_PLUGIN
#define OB_DEEPSPEED_PLUGIN "build/plugins/deepspeed_adam.so"
#endif

int ob_bench_peer_known(const char *name)
{
    return name && (!strcmp(name, "torch") || !strcmp(name, "deepspeed"));
}

static const char *deepspeed_plugin(void)
{
    const char *env = getenv("OPTBENCH_DEEPSPEED_PLUGIN");
    return env && *env ? env : OB_DEEPSPEED_PLUGIN;
}

int ob_bench_peer_plugin(const char *name, char *path, size_t len)
{
    if (!name || strcmp(name, "deepspeed") != 0) return 0;
    if (path) snprintf(path, len, "%s", deepspeed_plugin());
    return 1;
}

/* DEEPSPEED_HOME set and the adapter built.  0, or -1 with a message. */
static int deepspeed_check(char *msg, size_t msglen)
{
    const char *home = getenv("DEEPSPEED_HOME"), *so = deepspeed_plugin();
    if (!home || !*home) {
        snprintf(msg, msglen,
                 "peer deepspeed is not available: DEEPSPEED_HOME is not set (point it at a DeepSpeed source "
                 "tree and build the adapter: make DEEPSPEED_HOME=/path/to/DeepSpeed build-all)");
        return -1;
    }
    if (access(so, R_OK) != 0) {
        snprintf(msg, msglen,
                 "peer deepspeed is not available: its adapter %s: %s (DEEPSPEED_HOME=%s; build it with make "
                 "DEEPSPEED_HOME=%s build-all, or set OPTBENCH_DEEPSPEED_PLUGIN)",
                 so, strerror(errno), home, home);
        return -1;
    }
    return 0;
}

static const char *python(void)
{
    const char *env = getenv("OPTBENCH_PYTHON");
    if (env && *env) return env;
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* OPTBENCH_PEER_DIR, else <prefix>/share/optbench/peers beside an
 * installed binary, else the source tree (ob_find_data_dir).  Where none
 * holds the script, the path it would have is kept, so that the peer's
 * failure names it. */
static void script(char *buf, size_t len)
{
    static const char *const source_tree[] = {OB_PEER_DIR, NULL};
    static const ob_data_dir peers = {"peers", "peer scripts", NULL, "OPTBENCH_PEER_DIR", source_tree, NULL};
    char dir[PATH_MAX - sizeof "/torch_optim.py"], msg[512];
    if (ob_find_data_dir(&peers, NULL, "torch_optim.py", dir, sizeof dir, msg, sizeof msg) != 0) {
        const char *env = getenv("OPTBENCH_PEER_DIR");
        snprintf(dir, sizeof dir, "%s", env && *env ? env : OB_PEER_DIR);
    }
    snprintf(buf, len, "%s/torch_optim.py", dir);
}

/* The script's path, and whether it can be read: 0, or -1 with a message. */
static int torch_script(char *path, size_t len, char *msg, size_t msglen)
{
    script(path, len);
    if (access(path, R_OK) == 0) return 0;
    snprintf(msg, msglen, "peer torch: cannot read %s: %s", path, strerror(errno));
    return -1;
}

static void torch_unavailable(char *msg, size_t msglen, const char *why)
{
    snprintf(
        msg, msglen,
        "peer torch is not available: %s (python3-torch; interpreter %s, set OPTBENCH_PYTHON to choose another)",
        why, python());
}

typedef void (*line_fn)(void *ctx, const char *line);

/* Runs argv with stdout and stderr on one pipe, calling on_line for each
 * line.  Returns the exit status (127 if it could not be started, as a
 * shell would), or -1 with a message. */
static int run_lines(char *const argv[], line_fn on_line, void *ctx, char *msg, size_t msglen)
{
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(msg, msglen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msglen, "fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        close(fd[1]);
        execvp(argv[0], argv);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, f)) >= 0) {
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
            on_line(ctx, line);
        }
        free(line);
        fclose(f);
    } else {
        close(fd[0]);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(msg, msglen, "waitpid: %s", strerror(errno));
            return -1;
        }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Keeps the last line (the reason a check failed). */
static void keep_line(void *ctx, const char *line)
{
    char *buf = ctx;
    if (*line) snprintf(buf, 512, "%s", line);
}

int ob_bench_peer_check(const char *name, char *msg, size_t msglen)
{
    if (!ob_bench_peer_known(name)) {
        snprintf(msg, msglen, "unknown peer '%s' (known: torch, deepspeed)", name ? name : "");
        return -1;
    }
    if (!strcmp(name, "deepspeed")) return deepspeed_check(msg, msglen);
    char path[4096], last[512] = "", err[256];
    if (torch_script(path, sizeof path, msg, msglen) != 0) return -1;
    char *argv[] = {(char *)python(), path, "--check", NULL};
    int rc = run_lines(argv, keep_line, last, err, sizeof err);
    if (rc == 0) return 0;
    torch_unavailable(msg, msglen, rc < 0 ? err : last[0] ? last : "the check failed");
    return -1;
}

typedef struct peer_ctx {
    ob_bench_plan *plan;
    FILE *err;
    const char *variant;
    int bad; /* out of memory or a malformed line */
} peer_ctx;

static void peer_line(void *vctx, const char *line)
{
    peer_ctx *c = vctx;
    if (strncmp(line, "ROW,", 4) != 0) {
        fprintf(c->err, "%s\n", line);
        return;
    }
    char opt[64];
    unsigned long long size;
    int threads;
    double ns;
    if (sscanf(line + 4, "%63[^,],%llu,%d,%lf", opt, &size, &threads, &ns) != 4) {
        fprintf(c->err, "peer: malformed line '%s'\n", line);
        c->bad = 1;
        return;
    }
    const ob_optimizer *o = NULL;
    size_t oi = 0;
    for (; oi < c->plan->cfg.n_opts; oi++)
        if (!strcmp(c->plan->cfg.opts[oi]->name, opt)) {
            o = c->plan->cfg.opts[oi];
            break;
        }
    ob_bench_row *r = o ? ob_bench_plan_add(c->plan, OB_BENCH_PEER) : NULL;
    if (!r) {
        c->bad = 1;
        return;
    }
    r->opt = o;
    snprintf(r->variant, sizeof r->variant, "%s", c->variant);
    r->size = (size_t)size;
    r->threads = threads;
    r->threads_used = ob_thread_count(r->size, threads);
    r->bytes_per_elem = (double)ob_traffic_bytes_per_param(o, &c->plan->cfg.h[oi]);
    r->ns_per_elem = ns;
    r->elems_per_s = 1e9 / ns;
    r->gb_per_s = r->bytes_per_elem / ns;
}

/* Appends "," or "" then the formatted text to buf. */
static void append(char *buf, size_t len, const char *text)
{
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", used ? "," : "", text);
}

/* The thread counts as "1,2,...". */
static void thread_list(const int *threads, size_t n, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char s[32];
        snprintf(s, sizeof s, "%d", threads[i]);
        append(buf, len, s);
    }
}

/* The script's "--opt" value: "name:key=value,..." with every hyperparameter. */
static void opt_spec(const ob_optimizer *o, const ob_hparams *h, char *buf, size_t len)
{
    snprintf(buf, len, "%s:", o->name);
    for (size_t j = 0; j < o->n_hparams; j++) {
        char kv[96];
        snprintf(kv, sizeof kv, "%s%s=%.17g", j ? "," : "", o->hparams[j].name,
                 ob_hparam_get(h, &o->hparams[j]));
        strncat(buf, kv, len - strlen(buf) - 1);
    }
}

int ob_bench_peer_run(ob_bench_plan *plan, const char *name, int repetitions, double min_time, FILE *err,
                      char *msg, size_t msglen)
{
    if (ob_bench_peer_check(name, msg, msglen) != 0) return -1;
    if (ob_bench_peer_plugin(name, NULL, 0)) return 0; /* timed in the measured run */
    const ob_bench_config *cfg = &plan->cfg;
    char path[4096], sizes[1024] = "", threads[256], reps[32], mt[32];
    script(path, sizeof path);
    for (size_t i = 0; i < cfg->n_sizes; i++) {
        char s[32];
        snprintf(s, sizeof s, "%zu", cfg->sizes[i]);
        append(sizes, sizeof sizes, s);
    }
    thread_list(cfg->threads, cfg->n_threads, threads, sizeof threads);
    snprintf(reps, sizeof reps, "%d", repetitions);
    snprintf(mt, sizeof mt, "%g", min_time);
    /* argv: python script (--opt spec)* --sizes --threads --reps --min-time */
    char specs[OB_BENCH_MAX_OPTS][1024];
    char *argv[2 + 2 * OB_BENCH_MAX_OPTS + 9];
    size_t k = 0;
    argv[k++] = (char *)python();
    argv[k++] = path;
    for (size_t i = 0; i < cfg->n_opts; i++) {
        opt_spec(cfg->opts[i], &cfg->h[i], specs[i], sizeof specs[i]);
        argv[k++] = "--opt";
        argv[k++] = specs[i];
    }
    argv[k++] = "--sizes";
    argv[k++] = sizes;
    argv[k++] = "--threads";
    argv[k++] = threads;
    argv[k++] = "--reps";
    argv[k++] = reps;
    argv[k++] = "--min-time";
    argv[k++] = mt;
    argv[k] = NULL;
    peer_ctx c = {plan, err, name, 0};
    int rc = run_lines(argv, peer_line, &c, msg, msglen);
    if (rc < 0) return -1;
    if (rc != 0 || c.bad) {
        snprintf(msg, msglen, "peer %s failed (exit status %d%s)", name, rc,
                 c.bad ? ", malformed output" : "");
        return -1;
    }
    return 0;
}

typedef struct model_peer_ctx {
    const int *threads;
    size_t n_threads;
    double (*ns)[2];
    FILE *err;
    int bad;        /* a malformed line */
    char last[512]; /* the last other line: why torch is not available */
} model_peer_ctx;

/* "MODEL,<opt>,<foreach|single>,<threads>,<ns per step>" into ns[thread
 * index][0 foreach, 1 single]; every other line goes to err. */
static void model_peer_line(void *vctx, const char *line)
{
    model_peer_ctx *c = vctx;
    if (strncmp(line, "MODEL,", 6) != 0) {
        fprintf(c->err, "%s\n", line);
        keep_line(c->last, line);
        return;
    }
    char opt[64], impl[16];
    int threads;
    double ns;
    if (sscanf(line + 6, "%63[^,],%15[^,],%d,%lf", opt, impl, &threads, &ns) != 4 ||
        (strcmp(impl, "foreach") && strcmp(impl, "single")) || !(ns > 0)) {
        fprintf(c->err, "peer: malformed line '%s'\n", line);
        c->bad = 1;
        return;
    }
    for (size_t i = 0; i < c->n_threads; i++)
        if (c->threads[i] == threads) c->ns[i][strcmp(impl, "foreach") != 0] = ns;
}

int ob_bench_peer_model(const char *shapes, const ob_optimizer *o, const ob_hparams *h, const int *threads,
                        size_t n_threads, int repetitions, double min_time, double (*ns)[2], FILE *err,
                        char *msg, size_t msglen)
{
    for (size_t i = 0; i < n_threads; i++) ns[i][0] = ns[i][1] = NAN;
    char path[4096], spec[1024], thr[256], reps[32], mt[32];
    if (torch_script(path, sizeof path, msg, msglen) != 0) return 1;
    opt_spec(o, h, spec, sizeof spec);
    thread_list(threads, n_threads, thr, sizeof thr);
    snprintf(reps, sizeof reps, "%d", repetitions);
    snprintf(mt, sizeof mt, "%g", min_time);
    char *argv[] = {
        (char *)python(), path, "--model", (char *)shapes, "--opt", spec, "--threads", thr, "--reps", reps,
        "--min-time",     mt,   NULL};
    model_peer_ctx c = {threads, n_threads, ns, err, 0, ""};
    int rc = run_lines(argv, model_peer_line, &c, msg, msglen);
    if (rc < 0) return -1;
    /* 3: the script could not import torch; 127: no interpreter. */
    if ((rc == 3 || rc == 127) && !c.bad) {
        torch_unavailable(msg, msglen, c.last[0] ? c.last : "the interpreter failed");
        return 1;
    }
    if (rc != 0 || c.bad) {
        snprintf(msg, msglen, "peer torch failed on the model's list (exit status %d%s)", rc,
                 c.bad ? ", malformed output" : "");
        return -1;
    }
    return 0;
}
