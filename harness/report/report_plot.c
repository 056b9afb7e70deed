/*
 * report_plot.c — running gnuplot: one process per figure, its output
 * captured so that a failure can be reported with the script's name and
 * gnuplot's own words, and each figure written under a temporary name and
 * renamed into place only once it has been checked (a failed re-render
 * never destroys a figure that was there before).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report_internal.h"
#include "harness/core/ob_core.h"

extern char **environ;

/* ---- PNG check -------------------------------------------------------------- */

int ob_png_size(const char *path, unsigned *width, unsigned *height)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t got = fread(b, 1, sizeof b, f);
    fclose(f);
    /* Signature, then the first chunk: length 13, type IHDR, width, height
     * (big-endian). */
    if (got != sizeof b || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0) return -1;
    *width = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *height = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    return 0;
}

/* ob_report.h: assignments for ob_gnuplot_run (a quote in a gnuplot string is doubled). */
void ob_gnuplot_assign_str(char *buf, size_t len, const char *name, const char *value)
{
    size_t used = strlen(buf);
    used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s='", name);
    for (const char *p = value; *p && used + 4 < len; p++) {
        if (*p == '\'') buf[used++] = '\'';
        buf[used++] = *p;
    }
    if (used + 4 < len) snprintf(buf + used, len - used, "'; ");
}

void ob_gnuplot_assign_num(char *buf, size_t len, const char *name, double v)
{
    size_t used = strlen(buf);
    if (used < len) snprintf(buf + used, len - used, "%s=%.17g; ", name, isfinite(v) ? v : 0.0);
}


/* ---- running gnuplot --------------------------------------------------------- */

/* The last `lines` lines of text, on one line ("a | b | c"). */
static void tail_lines(const char *text, size_t len, int lines, char *out, size_t outlen)
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) len--;
    size_t start = len;
    for (int n = 0; start > 0; start--)
        if (text[start - 1] == '\n' && ++n == lines) break;
    size_t o = 0;
    for (size_t i = start; i < len && o + 4 < outlen; i++) {
        if (text[i] == '\n') {
            out[o++] = ' ';
            out[o++] = '|';
            out[o++] = ' ';
        } else if (text[i] != '\r') {
            out[o++] = text[i];
        }
    }
    out[o] = '\0';
}

/* The message for a gnuplot that cannot be started: what, for which
 * script, and how to get it. */
static void missing_gnuplot(char *err, size_t errlen, const char *gnuplot, const char *script,
                            const char *why)
{
    snprintf(err, errlen,
             "cannot run '%.200s' (needed for %.300s): %s. Install gnuplot (Debian: apt-get install "
             "--no-install-recommends gnuplot-nox) or point OPTBENCH_GNUPLOT at it",
             gnuplot, script, why);
}

int ob_gnuplot_run(const char *gnuplot, const char *cwd, const char *script, const char *assignments,
                   int timeout_s, char *err, size_t errlen)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "%s: cannot create a pipe: %s", script, strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    /* posix_spawn takes char *const[]; it does not modify the strings. */
    char *argv[] = {(char *)(uintptr_t)gnuplot, "-e", (char *)(uintptr_t)assignments,
                    (char *)(uintptr_t)script, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, gnuplot, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        missing_gnuplot(err, errlen, gnuplot, script, strerror(rc));
        return -2;
    }
    /* Keep gnuplot's output (warnings and errors) for the message; a script
     * that hangs is killed after timeout_s. */
    char buf[8192];
    size_t len = 0;
    double deadline = ob_now_s() + timeout_s;
    int timed_out = 0;
    for (;;) {
        int left_ms = (int)((deadline - ob_now_s()) * 1000);
        if (left_ms <= 0) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = {pfd[0], POLLIN, 0};
        int pr = poll(&p, 1, left_ms);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) continue;
        char chunk[4096];
        ssize_t got = read(pfd[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        /* Keep the most recent output (a chunk is smaller than buf): the
         * error is at the end. */
        size_t g = (size_t)got;
        if (len + g >= sizeof buf) {
            size_t drop = len + g - (sizeof buf - 1);
            memmove(buf, buf + drop, len - drop);
            len -= drop;
        }
        memcpy(buf + len, chunk, g);
        len += g;
    }
    close(pfd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    char tail[700];
    tail_lines(buf, len, 4, tail, sizeof tail);
    if (timed_out) {
        snprintf(err, errlen, "%s: gnuplot did not finish within %d s and was stopped", script, timeout_s);
        return -1;
    }
    if (WIFSIGNALED(status)) {
        snprintf(err, errlen, "%s: gnuplot was killed by signal %d%s%s", script, WTERMSIG(status),
                 tail[0] ? ": " : "", tail);
        return -1;
    }
    if (WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "%s failed (gnuplot exit status %d): %s", script, WEXITSTATUS(status),
                 tail[0] ? tail : "no output");
        return -1;
    }
    return 0;
}

/* ---- the plan ----------------------------------------------------------------- */

static void job_append(rp_job *j, const char *text)
{
    size_t add = strlen(text);
    char *grown = realloc(j->assign, j->assign_len + add + 1);
    if (!grown) return; /* the figure then fails with gnuplot's message */
    memcpy(grown + j->assign_len, text, add + 1);
    j->assign = grown;
    j->assign_len += add;
}

void rp_assign(rp_job *j, const char *name, const char *fmt, ...)
{
    char *value = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (rc < 0) return;
    /* gnuplot's single-quoted strings take everything literally except a
     * doubled quote, which stands for one. */
    size_t n = strlen(value), extra = 0;
    for (size_t i = 0; i < n; i++) extra += value[i] == '\'';
    char *q = malloc(strlen(name) + n + extra + 8);
    if (q) {
        char *o = q + sprintf(q, "%s='", name);
        for (size_t i = 0; i < n; i++) {
            if (value[i] == '\'') *o++ = '\'';
            *o++ = value[i];
        }
        strcpy(o, "'; ");
        job_append(j, q);
    }
    free(q);
    free(value);
}

void rp_assign_num(rp_job *j, const char *name, double v)
{
    char buf[160];
    /* NaN and Inf are not gnuplot literals; 0 is the scripts' "none". */
    snprintf(buf, sizeof buf, "%s=%.17g; ", name, isfinite(v) ? v : 0.0);
    job_append(j, buf);
}

rp_job *rp_plan_add(rp_plan *p, ob_report_summary *s, const char *section, const char *name,
                    const char *script, int width, int height, const char *caption_fmt, ...)
{
    ob_report_figure *figs = realloc(s->figures, (s->n_figures + 1) * sizeof *figs);
    if (!figs) return NULL;
    s->figures = figs;
    rp_job *jobs = realloc(p->jobs, (p->n + 1) * sizeof *jobs);
    if (!jobs) return NULL;
    p->jobs = jobs;
    ob_report_figure *f = &s->figures[s->n_figures];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->script, sizeof f->script, "%s", script);
    snprintf(f->section, sizeof f->section, "%s", section);
    va_list ap;
    va_start(ap, caption_fmt);
    vsnprintf(f->caption, sizeof f->caption, caption_fmt, ap);
    va_end(ap);
    f->width = width;
    f->height = height;
    rp_job *j = &p->jobs[p->n++];
    memset(j, 0, sizeof *j);
    j->fig = s->n_figures++;
    rp_assign_num(j, "width", width);
    rp_assign_num(j, "height", height);
    if (p->opt_names[0]) rp_assign(j, "opt_names", "%s", p->opt_names);
    return j;
}

void rp_fig_fail(ob_report_summary *s, size_t f, const char *fmt, ...)
{
    ob_report_figure *fig = &s->figures[f];
    if (!fig->ok && fig->error[0]) return; /* the first reason is the one that matters */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fig->error, sizeof fig->error, fmt, ap);
    va_end(ap);
    fig->ok = 0;
}

void rp_plan_free(rp_plan *p)
{
    for (size_t i = 0; i < p->n; i++) free(p->jobs[i].assign);
    free(p->jobs);
    p->jobs = NULL;
    p->n = 0;
}

/* Renders one figure to .tmp names, checks the PNG, renames both files. */
static int render_one(const rp_plan *p, const rp_job *j, ob_report_figure *f, const char *plot_dir,
                      const char *gnuplot)
{
    char script[4400], tmp[300];
    snprintf(script, sizeof script, "%s/%s", plot_dir, f->script);
    /* gnuplot runs in the run folder; `out` is relative to it. */
    snprintf(tmp, sizeof tmp, "figures/.tmp-%ld-%s", (long)getpid(), f->name);
    rp_job all = {0};
    if (j->assign) job_append(&all, j->assign);
    rp_assign(&all, "out", "%s", tmp);
    char msg[1024];
    int rc = all.assign ? ob_gnuplot_run(gnuplot, p->rundir, script, all.assign, 120, msg, sizeof msg) : -1;
    if (!all.assign) snprintf(msg, sizeof msg, "%s: out of memory", f->name);
    free(all.assign);
    char png_tmp[4700], svg_tmp[4700], png[4700], svg[4700];
    snprintf(png_tmp, sizeof png_tmp, "%s/%s.png", p->rundir, tmp);
    snprintf(svg_tmp, sizeof svg_tmp, "%s/%s.svg", p->rundir, tmp);
    snprintf(png, sizeof png, "%s/figures/%s.png", p->rundir, f->name);
    snprintf(svg, sizeof svg, "%s/figures/%s.svg", p->rundir, f->name);
    unsigned w = 0, h = 0;
    if (rc == 0 && ob_png_size(png_tmp, &w, &h) != 0) {
        snprintf(msg, sizeof msg, "%.400s exited 0 but wrote no valid PNG (%s.png)", script, f->name);
        rc = -1;
    } else if (rc == 0 && (w != (unsigned)f->width || h != (unsigned)f->height)) {
        snprintf(msg, sizeof msg, "%.400s wrote a %ux%u PNG, expected %dx%d", script, w, h, f->width,
                 f->height);
        rc = -1;
    }
    if (rc == 0 && (rename(png_tmp, png) != 0 || rename(svg_tmp, svg) != 0)) {
        snprintf(msg, sizeof msg, "%s: cannot move the figure into place: %s", f->name, strerror(errno));
        rc = -1;
    }
    unlink(png_tmp);
    unlink(svg_tmp);
    if (rc == 0) {
        f->ok = 1;
        f->error[0] = '\0';
    } else {
        snprintf(f->error, sizeof f->error, "%s", msg);
    }
    return rc;
}

void rp_render(rp_plan *p, ob_report_summary *s, const char *plot_dir, const char *gnuplot, FILE *progress)
{
    int missing_program = 0;
    for (size_t i = 0; i < p->n; i++) {
        ob_report_figure *f = &s->figures[p->jobs[i].fig];
        if (f->error[0]) continue; /* its data could not be prepared */
        if (missing_program) {
            /* gnuplot is not there: every figure says so, without trying
             * again for each. */
            char script[4400];
            snprintf(script, sizeof script, "%s/%s", plot_dir, f->script);
            missing_gnuplot(f->error, sizeof f->error, gnuplot, script, "not found");
            continue;
        }
        if (progress) {
            fprintf(progress, "[report] figure %zu/%zu: %s (%s/%s)\n", i + 1, p->n, f->name, plot_dir,
                    f->script);
            fflush(progress);
        }
        int rc = render_one(p, &p->jobs[i], f, plot_dir, gnuplot);
        if (rc == -2) missing_program = 1;
        if (rc != 0 && progress) fprintf(progress, "[report] FAILED: %s\n", f->error);
    }
    s->n_failed = 0;
    for (size_t i = 0; i < s->n_figures; i++) s->n_failed += !s->figures[i].ok;
}
