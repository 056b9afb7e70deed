/*
 * test_kill.c — no results lost to a crash or an interruption.
 *
 * Every command that writes results is started again and again in a
 * results folder that already holds a finished run and a baseline, and is
 * killed at a random moment with SIGINT, SIGTERM or SIGKILL.  After every
 * kill:
 *   - every results.json under the folder parses and is a results document;
 *   - the earlier finished run and the baseline are byte-identical;
 *   - a file the command itself may replace (a baseline it updates) is
 *     either untouched or a whole new file, never a torn one;
 *   - after SIGINT or SIGTERM, no temporary file is left, and a run that
 *     caught the signal exited 128 + signal, said what it saved, and marked
 *     its results.json "interrupted".
 * SIGKILL cannot be caught: its temporary files are counted and removed.
 *
 * The delays are uniform over the length of an uninterrupted run, from a
 * fixed seed: OPTBENCH_KILL_SEED (or OPTBENCH_SEED) replays another
 * sequence, OPTBENCH_KILLS sets the kills per command and signal.
 *
 * Adding a command is one row of `commands`.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "common/ob_test.h"
#include "common/ob_test_proc.h"

typedef struct kill_cmd {
    const char *name;
    /* @R: the results folder holding the earlier run; @B: the baseline. */
    const char *argv[24];
    /* A file the command may legitimately replace (atomically), or NULL. */
    const char *rewrites;
    /* 1: the command handles SIGINT/SIGTERM itself: exit 128 + signal,
     * saying what it kept (and a results.json it names is marked
     * "interrupted"). */
    int handles_signals;
} kill_cmd;

static const kill_cmd commands[] = {
    {"run",
     {"run", "--quiet", "--problem", "quad_diag", "--opt", "adam,sgd,rmsprop,adagrad,adamw,amsgrad", "--n",
      "3000", "--steps", "150", "--out", "@R"},
     NULL,
     1},
    {"ci", {"ci", "--no-speed", "--update-baseline", "--baseline", "@B"}, "@B", 0},
    {"bench",
     {"bench", "--opt", "sgd", "--sizes", "4Ki", "--threads", "1", "--exact-only",
      "--benchmark_min_time=0.005", "--benchmark_repetitions=1", "--out", "@R"},
     NULL,
     0},
    {"sweep",
     {"sweep", "--problem", "booth", "--opt", "adam,sgd", "--grid", "lr=log:1e-3:1e-1:8", "--steps", "20000",
      "--seeds", "1", "--jobs", "1", "--no-figures", "--quiet", "--out", "@R"},
     NULL,
     1},
};

static const int signals[] = {SIGINT, SIGTERM, SIGKILL};

static char *subst(const char *s, const char *root, const char *baseline)
{
    char *out = malloc(strlen(s) + strlen(root) + strlen(baseline) + 1);
    cr_assert(out);
    if (!strcmp(s, "@R")) strcpy(out, root);
    else if (!strcmp(s, "@B")) strcpy(out, baseline);
    else strcpy(out, s);
    return out;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Temporary files under the folder (counted, then removed: what a kill -9
 * leaves is not a reader's concern, only that it is never read). */
static size_t tmp_found;

static int remove_tmp(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    if (flag == FTW_F && strstr(path + ftw->base, ".tmp.")) {
        tmp_found++;
        remove(path);
    }
    return 0;
}

typedef struct tally {
    size_t kills, caught, finished, died, lost;
} tally;

/* A command that caught the signal says so; a results.json it names as
 * where it saved is marked interrupted by that signal. */
static int check_interrupted(int sig, const char *err, char *msg, size_t len)
{
    const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    char said[64];
    snprintf(said, sizeof said, "interrupted by %s", name);
    if (!strstr(err, said)) {
        snprintf(msg, len, "exit %d without saying it was %s: %s", 128 + sig, said, err);
        return -1;
    }
    const char *p = strstr(err, "/results.json");
    if (!p) return 0;
    const char *start = p;
    while (start > err && start[-1] != ' ') start--;
    char path[512];
    snprintf(path, sizeof path, "%.*s", (int)(p + strlen("/results.json") - start), start);
    char m[512];
    cJSON *j = ob_results_read(path, m, sizeof m);
    if (!j) {
        snprintf(msg, len, "the saved results do not read: %s", m);
        return -1;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(j, "interrupted_by");
    int ok = cJSON_IsString(st) && !strcmp(st->valuestring, "interrupted") && cJSON_IsString(by) &&
             !strcmp(by->valuestring, name);
    if (!ok) snprintf(msg, len, "%s is not marked interrupted by %s", path, name);
    cJSON_Delete(j);
    return ok ? 0 : -1;
}

Test(kill, random_kills_never_lose_finished_results, .timeout = 600)
{
    const char *s = getenv("OPTBENCH_KILL_SEED");
    uint64_t seed = s && *s ? strtoull(s, NULL, 0) : ob_test_seed();
    const char *k = getenv("OPTBENCH_KILLS");
    size_t kills = k && *k ? strtoul(k, NULL, 10) : 5;
    ob_rng rng;
    ob_rng_init(&rng, seed);

    char dir[64], root[128], baseline[192], msg[1024];
    ob_tp_scratch(dir, sizeof dir, "kill");
    snprintf(root, sizeof root, "%s/results", dir);
    snprintf(baseline, sizeof baseline, "%s/baseline/ci-baseline.json", root);
    /* The earlier, finished results: a run and a CI baseline. */
    const char *first[] = {"run",     "--quiet", "--problem", "booth", "--opt", "adam",
                           "--steps", "30",      "--out",     root,    NULL};
    char *out, *err;
    cr_assert_eq(ob_tp_run(first, NULL, dir, &out, &err), 0, "%s", err);
    free(out);
    free(err);
    char bdir[160];
    snprintf(bdir, sizeof bdir, "%s/baseline", root);
    mkdir(bdir, 0755);
    const char *mkbase[] = {"ci", "--no-speed", "--update-baseline", "--baseline", baseline, NULL};
    cr_assert_eq(ob_tp_run(mkbase, NULL, dir, &out, &err), 0, "%s", err);
    free(out);
    free(err);

    for (size_t ci = 0; ci < sizeof commands / sizeof commands[0]; ci++) {
        const kill_cmd *c = &commands[ci];
        char *argv[25] = {NULL};
        for (size_t i = 0; c->argv[i]; i++) argv[i] = subst(c->argv[i], root, baseline);
        char *rewrites = c->rewrites ? subst(c->rewrites, root, baseline) : NULL;
        /* Snapshot everything the command must not touch. */
        ob_tp_snapshot before;
        ob_tp_snapshot_take(root, &before);
        for (size_t i = 0; rewrites && i < before.n; i++) {
            if (strcmp(before.path[i], rewrites) != 0) continue;
            free(before.path[i]);
            free(before.data[i]);
            before.path[i] = before.path[--before.n];
            before.data[i] = before.data[before.n];
            before.len[i] = before.len[before.n];
            break;
        }
        /* How long an uninterrupted run takes (the fastest of three): the
         * range of the delays, so that most kills land inside a run. */
        double span = INFINITY;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now_s();
            cr_assert_eq(ob_tp_run((const char *const *)argv, NULL, dir, &out, &err), 0, "%s: %s", c->name,
                         err);
            if (now_s() - t0 < span) span = now_s() - t0;
            free(out);
            free(err);
        }
        for (size_t si = 0; si < sizeof signals / sizeof signals[0]; si++) {
            int sig = signals[si];
            tally t = {0};
            for (size_t n = 0; n < kills; n++) {
                double delay = span * ob_rng_uniform(&rng);
                char op[128], ep[128];
                snprintf(op, sizeof op, "%s/stdout", dir);
                snprintf(ep, sizeof ep, "%s/stderr", dir);
                pid_t pid = ob_tp_spawn((const char *const *)argv, NULL, op, ep);
                cr_assert(pid > 0);
                sleep_s(delay);
                kill(pid, sig);
                int rc = ob_tp_wait(pid);
                char *e = ob_tp_slurp(ep, NULL);
                t.kills++;
                int lost = 0;
                msg[0] = '\0';
                if (rc == 0) t.finished++;
                else if (rc == 1000 + sig) t.died++;
                else if (rc == 128 + sig && c->handles_signals) {
                    t.caught++;
                    lost |= check_interrupted(sig, e ? e : "", msg, sizeof msg) != 0;
                } else {
                    snprintf(msg, sizeof msg, "unexpected exit %d: %s", rc, e ? e : "");
                    lost = 1;
                }
                /* Every results file readable; no temporary file after a
                 * signal that can be caught. */
                size_t n_res = 0;
                if (!lost && ob_tp_check_tree(root, sig != SIGKILL, &n_res, NULL, msg, sizeof msg) != 0)
                    lost = 1;
                if (!lost && ob_tp_snapshot_same(&before, msg, sizeof msg) != 0) lost = 1;
                if (!lost && rewrites) {
                    char m[512];
                    cJSON *j = ob_json_read(rewrites, m, sizeof m);
                    if (!j) {
                        snprintf(msg, sizeof msg, "%s was torn: %s", rewrites, m);
                        lost = 1;
                    }
                    cJSON_Delete(j);
                }
                t.lost += (size_t)lost;
                cr_expect(!lost, "%s killed by signal %d after %.3f s (kill seed %#llx): %s", c->name, sig,
                          delay, (unsigned long long)seed, msg);
                free(e);
                nftw(root, remove_tmp, 16, FTW_PHYS);
            }
            cr_log_info(
                "kill %-4s %-7s: %zu kills over %.2f s: %zu stopped cleanly, %zu died, %zu finished first; "
                "%zu lost anything",
                c->name,
                sig == SIGINT    ? "SIGINT"
                : sig == SIGTERM ? "SIGTERM"
                                 : "SIGKILL",
                t.kills, span, t.caught, t.died, t.finished, t.lost);
        }
        ob_tp_snapshot_free(&before);
        for (size_t i = 0; argv[i]; i++) free(argv[i]);
        free(rewrites);
    }
    cr_log_info("kill: temporary files left by SIGKILL (removed): %zu; seed %#llx", tmp_found,
                (unsigned long long)seed);
    ob_tp_rmtree(dir);
}

/* A command without handlers (bench, ci, report) interrupted while one of
 * its files is being written: SIGTERM and SIGINT wait for the rename, then
 * kill it, so the new file is whole and no temporary is left.  The window
 * is too short to hit reliably by timing, so the signal is sent inside
 * it, from another thread. */
static void *send_signal(void *sig)
{
    kill(getpid(), *(const int *)sig);
    return NULL;
}

Test(kill, a_signal_during_an_atomic_write_waits_for_the_rename)
{
    static const int sigs[] = {SIGTERM, SIGINT};
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        char dir[] = "/tmp/optbench-atomic-XXXXXX";
        cr_assert(mkdtemp(dir));
        char path[128];
        snprintf(path, sizeof path, "%s/out.csv", dir);
        fflush(NULL);
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            signal(sigs[k], SIG_DFL);
            char err[256];
            ob_atomic_file af;
            if (ob_atomic_open(&af, path, err, sizeof err) != 0) _exit(3);
            fputs("a,b\n", af.f);
            /* From another thread, as a process-directed signal may land
             * on any thread (OpenMP workers in bench): a per-thread mask
             * would not hold it back. */
            pthread_t th;
            if (pthread_create(&th, NULL, send_signal, (void *)&sigs[k]) != 0) _exit(5);
            pthread_join(th, NULL);
            fputs("1,2\n", af.f);
            ob_atomic_commit(&af, err, sizeof err);
            _exit(4); /* not reached: the held signal kills after the rename */
        }
        int st = 0;
        cr_assert(waitpid(pid, &st, 0) == pid);
        cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == sigs[k], "signal %d: the child %s %d", sigs[k],
                  WIFSIGNALED(st) ? "died of signal" : "exited",
                  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        char *text = ob_tp_slurp(path, NULL);
        cr_expect(text && !strcmp(text, "a,b\n1,2\n"), "signal %d: the file is not whole: %s", sigs[k],
                  text ? text : "(missing)");
        free(text);
        tmp_found = 0;
        nftw(dir, remove_tmp, 4, FTW_PHYS);
        cr_expect_eq(tmp_found, 0, "signal %d: %zu temporary files left", sigs[k], tmp_found);
        unlink(path);
        rmdir(dir);
    }
}
