#include "ob_test_proc.h"

#include <fcntl.h>
#include <math.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"

void ob_tp_scratch(char *dir, size_t len, const char *tag)
{
    snprintf(dir, len, "/tmp/optbench-%s-XXXXXX", tag);
    if (!mkdtemp(dir)) {
        perror(dir);
        abort();
    }
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void ob_tp_rmtree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void ob_tp_dirs_make(ob_tp_dirs *s, const char *tag)
{
    char io[96];
    snprintf(io, sizeof io, "%s-io", tag);
    ob_tp_scratch(s->dir, sizeof s->dir, tag);
    ob_tp_scratch(s->io, sizeof s->io, io);
}

void ob_tp_dirs_free(ob_tp_dirs *s)
{
    ob_tp_rmtree(s->dir);
    ob_tp_rmtree(s->io);
}

char *ob_tp_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int ob_tp_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = len && fwrite(data, 1, len, f) != len;
    return fclose(f) != 0 || bad ? -1 : 0;
}

pid_t ob_tp_spawn(const char *const *argv, const char *const *env, const char *out_path, const char *err_path)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0) return pid;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    for (size_t i = 0; env && env[i]; i++) putenv((char *)env[i]);
    int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fo < 0 || fe < 0) _exit(99);
    dup2(fo, 1);
    dup2(fe, 2);
    size_t argc = 0;
    while (argv[argc]) argc++;
    char **args = calloc(argc + 2, sizeof *args);
    if (!args) _exit(98);
    args[0] = (char *)"optbench";
    for (size_t i = 0; i < argc; i++) args[i + 1] = (char *)argv[i];
    int rc = ob_cli_main((int)argc + 1, args, stdout, stderr);
    free(args);
    fflush(stdout);
    fflush(stderr);
    /* Under LeakSanitizer, check the command for leaks here: _exit skips
     * the check at exit, and exit() would run the test framework's
     * handlers in this child.  A leak makes the child exit 23, which no
     * row expects. */
    extern void __lsan_do_leak_check(void) __attribute__((weak));
    if (__lsan_do_leak_check) __lsan_do_leak_check();
    _exit(rc);
}

int ob_tp_wait(pid_t pid)
{
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return 1000 + WTERMSIG(st);
}

int ob_tp_run(const char *const *argv, const char *const *env, const char *scratch, char **out, char **err)
{
    char op[4200], ep[4200];
    snprintf(op, sizeof op, "%s/stdout", scratch);
    snprintf(ep, sizeof ep, "%s/stderr", scratch);
    int rc = ob_tp_wait(ob_tp_spawn(argv, env, op, ep));
    *out = ob_tp_slurp(op, NULL);
    *err = ob_tp_slurp(ep, NULL);
    if (!*out) *out = strdup("");
    if (!*err) *err = strdup("");
    unlink(op);
    unlink(ep);
    return rc;
}

/* ---- tree checks (nftw has no context argument: statics) --------------------- */

static struct {
    int no_tmp, bad;
    size_t results, complete;
    char *msg;
    size_t len;
} walk;

static int check_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    if (flag != FTW_F) return 0;
    const char *base = path + ftw->base;
    if (walk.no_tmp && strstr(base, ".tmp.")) {
        snprintf(walk.msg, walk.len, "temporary file left behind: %s", path);
        walk.bad = 1;
        return 1;
    }
    if (strcmp(base, "results.json") != 0) return 0;
    char m[1024];
    cJSON *j = ob_results_read(path, m, sizeof m);
    if (!j) {
        snprintf(walk.msg, walk.len, "unreadable results file: %s", m);
        walk.bad = 1;
        return 1;
    }
    walk.results++;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
    if (cJSON_IsString(status) && !strcmp(status->valuestring, "complete")) walk.complete++;
    cJSON_Delete(j);
    return 0;
}

int ob_tp_check_tree(const char *dir, int no_tmp, size_t *n_results, size_t *n_complete, char *msg,
                     size_t len)
{
    walk.no_tmp = no_tmp;
    walk.bad = 0;
    walk.results = walk.complete = 0;
    walk.msg = msg;
    walk.len = len;
    msg[0] = '\0';
    nftw(dir, check_one, 16, FTW_PHYS);
    if (n_results) *n_results = walk.results;
    if (n_complete) *n_complete = walk.complete;
    return walk.bad ? -1 : 0;
}

/* ---- snapshots ------------------------------------------------------------------ */

static ob_tp_snapshot *snap;

static int snap_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (flag != FTW_F) return 0;
    size_t n = snap->n;
    char **p = realloc(snap->path, (n + 1) * sizeof *p);
    if (p) snap->path = p;
    char **d = realloc(snap->data, (n + 1) * sizeof *d);
    if (d) snap->data = d;
    size_t *l = realloc(snap->len, (n + 1) * sizeof *l);
    if (l) snap->len = l;
    if (!p || !d || !l) return 1;
    snap->path[n] = strdup(path);
    snap->data[n] = ob_tp_slurp(path, &snap->len[n]);
    snap->n++;
    return 0;
}

int ob_tp_snapshot_take(const char *dir, ob_tp_snapshot *s)
{
    memset(s, 0, sizeof *s);
    snap = s;
    return nftw(dir, snap_one, 16, FTW_PHYS) == 0 ? 0 : -1;
}

int ob_tp_snapshot_same(const ob_tp_snapshot *s, char *msg, size_t len)
{
    for (size_t i = 0; i < s->n; i++) {
        size_t n = 0;
        char *now = ob_tp_slurp(s->path[i], &n);
        int gone = now == NULL;
        int same = !gone && s->data[i] && n == s->len[i] && memcmp(now, s->data[i], n) == 0;
        free(now);
        if (!same) {
            snprintf(msg, len, "%s changed (%zu bytes before, %zu now%s)", s->path[i], s->len[i], n,
                     gone ? ", or gone" : "");
            return -1;
        }
    }
    return 0;
}

void ob_tp_snapshot_free(ob_tp_snapshot *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->path[i]);
        free(s->data[i]);
    }
    free(s->path);
    free(s->data);
    free(s->len);
    memset(s, 0, sizeof *s);
}

double ob_tp_csv_value(const char *path, uint64_t step, const char *name, char *why, size_t why_len)
{
    char line[16384];
    FILE *f = fopen(path, "r");
    if (!f || !fgets(line, sizeof line, f)) {
        if (why) snprintf(why, why_len, "cannot read %s", path);
        if (f) fclose(f);
        return -INFINITY;
    }
    int col = -1, k = 0;
    for (char *save = NULL, *tok = strtok_r(line, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save), k++)
        if (!strcmp(tok, name)) col = k;
    if (col < 0) {
        if (why) snprintf(why, why_len, "%s has no column %s", path, name);
        fclose(f);
        return -INFINITY;
    }
    double v = NAN;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strtoull(line, NULL, 10) != step) continue;
        /* Cell by cell (an empty cell, such as heldout_loss where none is
         * evaluated, is NaN and keeps the columns in place). */
        char *cell = line;
        for (k = 0; k < col && cell; k++) {
            cell = strchr(cell, ',');
            if (cell) cell++;
        }
        v = cell && *cell && *cell != ',' ? strtod(cell, NULL) : NAN;
    }
    fclose(f);
    return v;
}
