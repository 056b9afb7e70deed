/*
 * sweep_exec.c — running a sweep's runs and recording each one: in this
 * process (--jobs 1) or in worker processes, one fork per run, up to
 * --jobs at a time.
 *
 * Why processes rather than threads: ob_run_case and its problem are
 * per-call, but a crash, an abort or the OOM killer in one run must not
 * take the finished ones down, and a process needs no audit of every
 * problem's globals.  A run is small next to a fork (a few ms of stepping
 * at least), so the cost is noise.  Each case steps on one thread
 * (ob_case.threads = 1): the parallelism is across runs.
 *
 * Each finished run is one JSON file, points/<hash>.json, written
 * atomically by whoever ran it; the parent reads it back, so the record on
 * disk is the only channel for results and what the summary shows is what
 * a resumed sweep will find.  A worker's error message comes back through
 * a pipe, whose end-of-file also tells the parent (waiting in poll, which
 * a signal interrupts) that the worker is done.
 */
#include "ob_sweep.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/tb/ob_tb.h"

/* ---- records ------------------------------------------------------------------ */

static void add_count(cJSON *o, const char *k, uint64_t v)
{
    if (v) cJSON_AddNumberToObject(o, k, (double)v);
    else cJSON_AddNullToObject(o, k);
}

static void point_path(const char *sweep_dir, const ob_sweep_run *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s/points/%s.json", sweep_dir, r->hash);
}

static cJSON *run_record(const ob_sweep *sw, const ob_sweep_run *r, const ob_case *c,
                         const ob_case_result *res)
{
    const ob_path_result *p = sw->scored >= 0 ? &res->isa[sw->scored] : &res->ref;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "format", OB_SWEEP_POINT_FORMAT);
    cJSON_AddNumberToObject(j, "version", OB_SWEEP_VERSION);
    cJSON_AddStringToObject(j, "key", r->key);
    cJSON_AddStringToObject(j, "problem", c->problem->name);
    cJSON_AddStringToObject(j, "optimizer", c->opt->name);
    cJSON_AddItemToObject(j, "hparams", ob_hparams_json(c->opt, &c->h));
    cJSON_AddNumberToObject(j, "seed", (double)r->seed);
    if (r->instance) cJSON_AddNumberToObject(j, "instance", (double)r->instance);
    cJSON_AddNumberToObject(j, "steps", (double)c->steps);
    cJSON_AddStringToObject(j, "path", sw->scored >= 0 ? ob_isa_name((ob_isa)sw->scored) : "reference");
    ob_json_add_exact(j, "final_loss", p->final_loss);
    ob_json_add_exact(j, "final_gap", p->final_gap);
    add_count(j, "steps_to_target", p->steps_to_target);
    add_count(j, "diverged_at", p->diverged_at);
    ob_json_add_exact(j, "reference_final_loss", res->ref.final_loss);
    int agree = 1, identical = 1;
    double time_s = res->ref.time_s;
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!res->isa[i].ran) continue;
        time_s += res->isa[i].time_s;
        /* A path that diverged overflowed fp32 (inf against a finite
         * reference): that is the learning rate's doing, not the kernel's. */
        if (!res->isa[i].diverged_at) agree &= res->isa[i].agree_ok;
        identical &= res->isa[i].identical;
    }
    cJSON_AddBoolToObject(j, "agreement_ok", agree);
    cJSON_AddBoolToObject(j, "bit_identical", identical);
    if (res->has_fstar) cJSON_AddNumberToObject(j, "fstar", res->fstar);
    else cJSON_AddNullToObject(j, "fstar");
    ob_json_add_num(j, "tol", res->tol);
    cJSON_AddNumberToObject(j, "time_s", time_s);
    return j;
}

/* Fills a run's results from its record; -1 if the record is not this
 * run's or is malformed. */
static int apply_record(ob_sweep_run *r, const cJSON *j)
{
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(j, "key");
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(j, "final_loss");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, OB_SWEEP_POINT_FORMAT) != 0 ||
        !cJSON_IsString(key) || strcmp(key->valuestring, r->key) != 0 ||
        !(cJSON_IsNumber(loss) || cJSON_IsNull(loss)))
        return -1;
    const cJSON *v;
    r->final_loss = cJSON_IsNumber(loss) ? loss->valuedouble : INFINITY;
    v = cJSON_GetObjectItemCaseSensitive(j, "steps_to_target");
    r->steps_to_target = cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
    v = cJSON_GetObjectItemCaseSensitive(j, "diverged_at");
    r->diverged_at = cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
    if (r->diverged_at) r->final_loss = INFINITY;
    r->agree_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "agreement_ok"));
    v = cJSON_GetObjectItemCaseSensitive(j, "fstar");
    r->has_fstar = cJSON_IsNumber(v);
    r->fstar = r->has_fstar ? v->valuedouble : NAN;
    v = cJSON_GetObjectItemCaseSensitive(j, "tol");
    r->tol = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    r->done = 1;
    return 0;
}

static void note(ob_sweep *sw, const char *text)
{
    cJSON_AddItemToArray(sw->notes, cJSON_CreateString(text));
}

size_t ob_sweep_load_done(ob_sweep *sw, const char *sweep_dir)
{
    char dir[4200], path[4500], msg[1024];
    snprintf(dir, sizeof dir, "%s/points", sweep_dir);
    /* A write cut short by SIGKILL leaves its temporary beside the record;
     * nobody else writes here (the caller holds the lock). */
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strstr(e->d_name, ".tmp.")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    size_t found = 0;
    for (size_t i = 0; i < sw->n_runs; i++) {
        ob_sweep_run *r = &sw->runs[i];
        point_path(sweep_dir, r, path, sizeof path);
        if (r->other_shard || access(path, F_OK) != 0) continue;
        cJSON *j = ob_json_read(path, msg, sizeof msg);
        if (!j || apply_record(r, j) != 0) {
            char text[6000];
            snprintf(text, sizeof text, "%s: %s; the run is done again", path,
                     j ? "the record belongs to another run or is malformed" : msg);
            note(sw, text);
        } else {
            r->resumed = 1;
            found++;
        }
        cJSON_Delete(j);
    }
    return found;
}

/* ---- running one ------------------------------------------------------------------- */

/* With --tensorboard: the run's CSV (written beside its record, then
 * removed) as an event file in tb/<problem>.<opt>/<setting> seed=<k>/. */
static int run_events(const ob_sweep *sw, const ob_sweep_run *r, const ob_case *c, const char *csv,
                      const char *tb, char *err, size_t errlen)
{
    char setting[600], dir[5000];
    ob_sweep_describe(sw, &sw->settings[r->setting], setting, sizeof setting);
    size_t l = strlen(setting);
    snprintf(setting + l, sizeof setting - l, "%sseed=%llu", l ? " " : "", (unsigned long long)r->seed);
    int k = snprintf(dir, sizeof dir, "%s/%s.%s/", tb, c->problem->name, c->opt->name);
    /* The folder name: the setting with its spaces (and any '/') as '_'. */
    for (const char *p = setting; *p && k > 0 && (size_t)k + 1 < sizeof dir; p++)
        dir[k++] = *p == ' ' || *p == '/' ? '_' : *p;
    dir[k > 0 && (size_t)k < sizeof dir ? k : 0] = '\0';
    size_t events;
    int rc = ob_tb_from_csv_setting(csv, dir, setting, (double)time(NULL), &events, err, errlen);
    unlink(csv);
    return rc == 0 ? 0 : OB_EXIT_IO;
}

/* Runs r and writes its record (with tb, its event file too); 0, or an
 * exit code with a message. */
static int run_one(const ob_sweep *sw, ob_sweep_run *r, const char *sweep_dir, const char *tb, char *err,
                   size_t errlen)
{
    ob_case c = sw->settings[r->setting].c;
    c.seed = r->seed;
    c.instance = r->instance;
    ob_case_result res;
    char csv[4400];
    snprintf(csv, sizeof csv, "%s/points/%s.csv", sweep_dir, r->hash);
    if (ob_run_case(&c, tb ? csv : NULL, &res, err, errlen) != 0) return res.exit_code ? res.exit_code : OB_EXIT_FAIL;
    if (tb && run_events(sw, r, &c, csv, tb, err, errlen) != 0) return OB_EXIT_IO;
    cJSON *j = run_record(sw, r, &c, &res);
    char path[4400];
    point_path(sweep_dir, r, path, sizeof path);
    if (!j || ob_json_write(path, j, err, errlen) != 0) {
        if (!j) snprintf(err, errlen, "out of memory");
        cJSON_Delete(j);
        return OB_EXIT_IO;
    }
    /* The record is read back from disk (finished), as the workers' are:
     * every sweep, on any number of jobs, resumed or merged, aggregates the
     * same values. */
    cJSON_Delete(j);
    return 0;
}

/* ---- the loop ---------------------------------------------------------------------- */

typedef struct exec_state {
    ob_sweep *sw;
    const char *dir;
    const ob_sweep_exec_opts *o;
    size_t done, total, failed;
    size_t recorded_now; /* by this invocation, for the test hook */
    unsigned long hook_after;
    int hook_signal;
    int stop; /* exit code that ended the sweep early */
    int first_fail;
    char *err;
    size_t errlen;
} exec_state;

static void run_name(const exec_state *st, const ob_sweep_run *r, char *buf, size_t len)
{
    const ob_sweep_setting *s = &st->sw->settings[r->setting];
    char desc[512];
    ob_sweep_describe(st->sw, s, desc, sizeof desc);
    char inst[40] = "";
    if (r->instance) snprintf(inst, sizeof inst, " instance %llu", (unsigned long long)r->instance);
    snprintf(buf, len, "%s.%s %s seed %llu%s", s->c.problem->name, s->c.opt->name, desc,
             (unsigned long long)r->seed, inst);
}

static void show_progress(const exec_state *st, const ob_sweep_run *r, size_t running)
{
    FILE *f = st->o->progress;
    if (!f) return;
    char name[700];
    run_name(st, r, name, sizeof name);
    if (st->o->tty)
        fprintf(f, "\r\033[K[sweep] %zu/%zu runs, %zu running; last: %.60s: loss %.4g", st->done, st->total,
                running, name, r->final_loss);
    else
        fprintf(f, "[sweep] %zu/%zu %s: final loss %.6g%s\n", st->done, st->total, name, r->final_loss,
                r->diverged_at ? " (diverged)" : "");
    fflush(f);
}

/* A run finished with `code`; its record is read back from disk (in
 * process and in the workers alike). */
static void finished(exec_state *st, ob_sweep_run *r, int code, const char *msg, size_t running)
{
    char path[4400], rmsg[1024];
    cJSON *record = NULL;
    if (code == 0) {
        point_path(st->dir, r, path, sizeof path);
        if (!(record = ob_json_read(path, rmsg, sizeof rmsg))) {
            code = OB_EXIT_IO;
            msg = rmsg;
        }
    }
    if (code == 0 && apply_record(r, record) != 0) {
        code = OB_EXIT_IO;
        msg = "the record just written does not read back";
    }
    cJSON_Delete(record);
    if (code == 0) {
        st->done++;
        show_progress(st, r, running);
        if (st->hook_after && ++st->recorded_now == st->hook_after) raise(st->hook_signal);
        return;
    }
    if (code >= 128) {
        if (!st->stop) st->stop = code;
        return;
    }
    char name[700];
    run_name(st, r, name, sizeof name);
    if (st->o->progress && st->o->tty) fprintf(st->o->progress, "\n");
    if (st->o->errors) fprintf(st->o->errors, "optbench sweep: %s: %s\n", name, msg && *msg ? msg : "failed");
    if (code == OB_EXIT_IO) {
        /* A full disk or a vanished folder: every later record would fail too. */
        st->stop = OB_EXIT_IO;
        snprintf(st->err, st->errlen, "%s: %s", name, msg && *msg ? msg : "cannot write the record");
        return;
    }
    if (!st->failed++) {
        st->first_fail = code;
        snprintf(st->err, st->errlen, "%s: %s", name, msg && *msg ? msg : "failed");
    }
}

static void run_in_process(exec_state *st)
{
    for (size_t i = 0; i < st->sw->n_runs && !st->stop; i++) {
        ob_sweep_run *r = &st->sw->runs[i];
        if (r->done || r->other_shard) continue;
        int sig = ob_interrupted();
        if (sig) {
            st->stop = ob_interrupt_exit_code(sig);
            break;
        }
        char msg[1024] = "";
        int code = run_one(st->sw, r, st->dir, st->o->tensorboard, msg, sizeof msg);
        finished(st, r, code, msg, 0);
    }
}

typedef struct worker {
    pid_t pid;
    size_t run;
    int fd; /* read end of its message pipe */
    char msg[1024];
    size_t len;
} worker;

/* Starts a worker for run i; 0, or -1 when fork or pipe failed. */
static int launch(exec_state *st, size_t i, worker *w)
{
    int pfd[2];
    if (pipe(pfd) != 0) return -1;
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        if (st->o->lock_fd >= 0) close(st->o->lock_fd);
        char msg[1024] = "";
        int code = run_one(st->sw, &st->sw->runs[i], st->dir, st->o->tensorboard, msg, sizeof msg);
        if (code) {
            ssize_t wr = write(pfd[1], msg, strlen(msg));
            (void)wr; /* the parent reports a generic failure without it */
        }
        /* _exit: the parent's atexit handlers and stdio buffers are not
         * this process's to run or flush. */
        _exit(code);
    }
    close(pfd[1]);
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->run = i;
    w->fd = pfd[0];
    return 0;
}

static void reap(exec_state *st, worker *w, size_t running)
{
    int status, code;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    close(w->fd);
    w->msg[w->len] = '\0';
    if (WIFEXITED(status)) code = WEXITSTATUS(status);
    else {
        snprintf(w->msg, sizeof w->msg, "the worker process was killed by signal %d", WTERMSIG(status));
        /* The SIGTERM we sent to stop it is an interruption, not a failure. */
        code = st->stop && WTERMSIG(status) == SIGTERM ? 128 + SIGTERM : OB_EXIT_FAIL;
    }
    finished(st, &st->sw->runs[w->run], code, w->msg, running);
}

static void run_workers(exec_state *st, int jobs)
{
    worker *w = calloc((size_t)jobs, sizeof *w);
    struct pollfd *pf = calloc((size_t)jobs, sizeof *pf);
    if (!w || !pf) {
        free(w);
        free(pf);
        run_in_process(st);
        return;
    }
    size_t running = 0, next = 0;
    int signalled = 0;
    for (;;) {
        int sig = ob_interrupted();
        if (sig && !st->stop) st->stop = ob_interrupt_exit_code(sig);
        if (st->stop && !signalled) {
            /* Workers check for SIGTERM between steps and leave without a
             * record; what finished stays. */
            for (size_t k = 0; k < running; k++) kill(w[k].pid, SIGTERM);
            signalled = 1;
        }
        while (!st->stop && running < (size_t)jobs) {
            while (next < st->sw->n_runs && (st->sw->runs[next].done || st->sw->runs[next].other_shard)) next++;
            if (next >= st->sw->n_runs) break;
            if (launch(st, next, &w[running]) != 0) {
                if (running) break; /* try again when one has finished */
                run_in_process(st); /* no process to spare: do it here */
                free(w);
                free(pf);
                return;
            }
            next++;
            running++;
        }
        if (running == 0) break;
        for (size_t k = 0; k < running; k++) pf[k] = (struct pollfd){w[k].fd, POLLIN, 0};
        /* The timeout only bounds how late a SIGTERM to this process is
         * seen; a worker's end wakes poll at once. */
        int pr = poll(pf, running, 250);
        if (pr <= 0) continue;
        for (size_t k = running; k-- > 0;) {
            if (!pf[k].revents) continue;
            ssize_t got = read(w[k].fd, w[k].msg + w[k].len, sizeof w[k].msg - 1 - w[k].len);
            if (got > 0) {
                w[k].len += (size_t)got;
                continue;
            }
            if (got < 0 && errno == EINTR) continue;
            reap(st, &w[k], running - 1);
            w[k] = w[--running];
        }
    }
    free(w);
    free(pf);
}

int ob_sweep_execute(ob_sweep *sw, const char *sweep_dir, const ob_sweep_exec_opts *o, size_t *n_failed,
                     char *err, size_t errlen)
{
    exec_state st = {sw, sweep_dir, o, 0, 0, 0, 0, 0, 0, 0, 0, err, errlen};
    for (size_t i = 0; i < sw->n_runs; i++) {
        st.done += sw->runs[i].done;
        st.total += !sw->runs[i].other_shard;
    }
    const char *hook = getenv(OB_SWEEP_TEST_SIGNAL_ENV);
    if (hook && sscanf(hook, "%lu:%d", &st.hook_after, &st.hook_signal) != 2) st.hook_after = 0;
    if (o->jobs > 1) run_workers(&st, o->jobs);
    else run_in_process(&st);
    if (o->progress && o->tty) fprintf(o->progress, "\r\033[K");
    if (!st.stop && ob_interrupted()) st.stop = ob_interrupt_exit_code(ob_interrupted());
    *n_failed = st.failed;
    if (st.stop) {
        if (st.stop >= 128) snprintf(err, errlen, "interrupted by %s", ob_interrupt_name(st.stop - 128));
        return st.stop;
    }
    return st.failed ? st.first_fail : OB_EXIT_OK;
}
