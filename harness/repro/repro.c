/*
 * repro.c — the table of reproductions, running one entry, repro.json and
 * the figures (gnuplot).  The entries live in repro_<topic>.c, their
 * trajectories on the engine in repro_traj.c, the subcommand in
 * cmd_repro.c.
 */
#include "ob_repro.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "repro_internal.h"

/* In the order `optbench repro list` shows them and the report lists them. */
const ob_repro_entry *const ob_repro_table[] = {
    &ob_repro_reddi_thm1, &ob_repro_reddi_online, &ob_repro_reddi_stochastic,
    &ob_repro_wilson,     &ob_repro_kingma,       &ob_repro_duchi,
    &ob_repro_adamw,      &ob_repro_rates,        &ob_repro_nqm,
    &ob_repro_bf16,
    /* dynamics: schedules, bias correction, batch sizes */
    &ob_repro_sgdr,
    &ob_repro_kingma_bias,
    &ob_repro_nqm_batch,
    /* lr x wd grids on Fashion-MNIST (repro_lh.c, repro_lion.c) */
    &ob_repro_lh_heatmap, &ob_repro_lion_lr_wd,
    /* a tuned comparison judged by performance profiles (repro_schmidt.c) */
    &ob_repro_schmidt,
    /* Kingma & Ba 2015 §6.2: the multilayer network */
    &ob_repro_kingma_mlp,
    &ob_repro_dettmers,
};
const size_t ob_repro_count = sizeof ob_repro_table / sizeof ob_repro_table[0];

const ob_repro_entry *ob_repro_find(const char *name)
{
    for (size_t i = 0; name && i < ob_repro_count; i++)
        if (strcmp(ob_repro_table[i]->name, name) == 0) return ob_repro_table[i];
    return NULL;
}

const char *ob_repro_verdict_name(ob_repro_verdict v)
{
    switch (v) {
    case OB_REPRO_REPRODUCED: return "REPRODUCED";
    case OB_REPRO_NOT_REPRODUCED: return "NOT REPRODUCED";
    case OB_REPRO_INCONCLUSIVE: return "INCONCLUSIVE";
    }
    return "INCONCLUSIVE";
}

ob_repro_verdict ob_repro_combine(ob_repro_verdict a, ob_repro_verdict b)
{
    if (a == OB_REPRO_NOT_REPRODUCED || b == OB_REPRO_NOT_REPRODUCED) return OB_REPRO_NOT_REPRODUCED;
    if (a == OB_REPRO_INCONCLUSIVE || b == OB_REPRO_INCONCLUSIVE) return OB_REPRO_INCONCLUSIVE;
    return OB_REPRO_REPRODUCED;
}

void ob_repro_outcome_free(ob_repro_outcome *o)
{
    cJSON_Delete(o->measured);
    o->measured = NULL;
}

/* ---- helpers for the entries ------------------------------------------------------ */

void ob_repro_log(const ob_repro_opts *o, const char *fmt, ...)
{
    if (!o->log) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(o->log, "optbench repro: ");
    vfprintf(o->log, fmt, ap);
    fputc('\n', o->log);
    fflush(o->log);
    va_end(ap);
}

int ob_repro_csv_open(ob_repro_csv *c, const ob_repro_opts *o, const char *stem, ob_repro_outcome *out,
                      char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.csv", o->repro_dir, stem);
    memset(c, 0, sizeof *c);
    if (ob_atomic_open(&c->af, path, err, errlen) != 0) return -1;
    snprintf(out->csv, sizeof out->csv, "repro/%s.csv", stem);
    return 0;
}

int ob_repro_csv_commit(ob_repro_csv *c, char *err, size_t errlen)
{
    return ob_atomic_commit(&c->af, err, errlen);
}

void ob_repro_csv_abort(ob_repro_csv *c)
{
    ob_atomic_abort(&c->af);
}

int ob_repro_first_fp32(unsigned paths)
{
    for (int p = 1; p < OB_REPRO_MAX_PATHS; p++)
        if ((paths >> p) & 1u) return p;
    return -1;
}

/* ---- figures ----------------------------------------------------------------------- */

static int file_nonempty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

int ob_repro_plot(const ob_repro_opts *o, const char *script, const char *stem, const char *args,
                  ob_repro_outcome *out, char *err, size_t errlen)
{
    char dir[PATH_MAX], abs_script[PATH_MAX + 256];
    if (ob_find_plot_dir(o->plot_dir, script, dir, sizeof dir, err, errlen) != 0) return -1;
    snprintf(abs_script, sizeof abs_script, "%s/%s", dir, script);
    char expr[4096];
    snprintf(expr, sizeof expr, "out='%s'; formats='png svg'; %s", stem, args ? args : "");
    int pfd[2];
    if (pipe(pfd) != 0) {
        snprintf(err, errlen, "gnuplot %s: pipe: %s", abs_script, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        snprintf(err, errlen, "gnuplot %s: fork: %s", abs_script, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* gnuplot runs in the repro folder, so the data and output names
         * it gets are plain file names that need no quoting. */
        dup2(pfd[1], STDOUT_FILENO);
        dup2(pfd[1], STDERR_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        if (chdir(o->repro_dir) != 0) _exit(126);
        execlp("gnuplot", "gnuplot", "-e", expr, abs_script, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    char log[2048];
    size_t used = 0;
    for (;;) {
        char chunk[512];
        ssize_t r = read(pfd[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        /* Keep the last part: gnuplot's error is at the end. */
        for (ssize_t i = 0; i < r; i++) {
            if (used + 1 >= sizeof log) {
                memmove(log, log + sizeof log / 2, sizeof log / 2);
                used -= sizeof log / 2;
            }
            log[used++] = chunk[i];
        }
    }
    log[used] = '\0';
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    for (char *p = log; *p; p++)
        if (*p == '\n') *p = ' ';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            snprintf(err, errlen,
                     "cannot draw %s with %s: gnuplot is not installed (apt-get install "
                     "--no-install-recommends gnuplot-nox)",
                     stem, abs_script);
        else
            snprintf(err, errlen, "gnuplot failed on %s (drawing %s, exit status %d): %.600s", abs_script,
                     stem, WIFEXITED(status) ? WEXITSTATUS(status) : -1, log);
        return -1;
    }
    char png[4400], svg[4400];
    snprintf(png, sizeof png, "%s/%s.png", o->repro_dir, stem);
    snprintf(svg, sizeof svg, "%s/%s.svg", o->repro_dir, stem);
    if (!file_nonempty(png) || !file_nonempty(svg)) {
        snprintf(err, errlen, "gnuplot %s wrote no %s.png/.svg: %.600s", abs_script, stem, log);
        return -1;
    }
    if (out->n_figures < OB_REPRO_MAX_FIGURES) {
        snprintf(out->figures[out->n_figures], sizeof out->figures[0], "repro/%s.png", stem);
        snprintf(out->figures_svg[out->n_figures], sizeof out->figures_svg[0], "repro/%s.svg", stem);
        out->n_figures++;
    }
    return 0;
}

int ob_repro_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, const char *extra,
                    char *err, size_t errlen)
{
    char args[2048];
    int f32 = ob_repro_first_fp32(o->paths);
    snprintf(args, sizeof args, "data='%s.csv'; isa='%s'%s%s", e->name,
             f32 > 0 ? ob_repro_path_name(f32) : "", extra ? "; " : "", extra ? extra : "");
    return ob_repro_plot(o, e->plot, e->name, args, out, err, errlen);
}

/* ---- one entry ------------------------------------------------------------------------ */

int ob_repro_run_entry(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    ob_repro_kernels_init(&out->kernels);
    out->verdict = OB_REPRO_INCONCLUSIVE;
    out->short_mode = o->short_mode;
    double t0 = ob_now_s();
    if (ob_mkdirs(o->repro_dir, err, errlen) != 0) return -1;
    if (e->run(e, o, out, err, errlen) != 0) {
        ob_repro_outcome_free(out);
        return -1;
    }
    if (!out->measured) out->measured = cJSON_CreateObject();
    if (e->figure && !o->no_figures) {
        if (e->figure(e, o, out, out->figure_error, sizeof out->figure_error) != 0 && !out->figure_error[0])
            snprintf(out->figure_error, sizeof out->figure_error, "the figure could not be drawn");
    }
    out->time_s = ob_now_s() - t0;
    return 0;
}

/* ---- repro.json ------------------------------------------------------------------------ */

static cJSON *kernels_json(const ob_repro_kernels *k)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", ob_repro_kernels_ok(k));
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        const ob_repro_kpath *kp = &k->p[p];
        if (!kp->ran) continue;
        cJSON *jp = cJSON_AddObjectToObject(j, ob_repro_path_name(p));
        cJSON_AddNumberToObject(jp, "steps", (double)kp->steps);
        if (p == OB_REPRO_REF) continue;
        cJSON_AddNumberToObject(jp, "agreement_checked_steps", (double)kp->agree_checked);
        ob_json_add_num(jp, "agreement_max_u", kp->max_agree);
        cJSON_AddNumberToObject(jp, "agreement_bound_u", kp->bound);
        cJSON_AddBoolToObject(jp, "agreement_ok", kp->agree_ok);
        cJSON_AddBoolToObject(jp, "bit_identical", kp->identical);
        if (!kp->identical) cJSON_AddNumberToObject(jp, "first_difference_step", (double)kp->first_diff_step);
        ob_json_add_num(jp, "max_deviation_from_fp64", kp->max_dev);
    }
    return j;
}

static cJSON *string_array(const char (*items)[256], size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
    return a;
}

cJSON *ob_repro_entry_json(const ob_repro_entry *e, const ob_repro_outcome *out)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", e->name);
    cJSON_AddStringToObject(j, "title", e->title);
    cJSON_AddStringToObject(j, "citation", e->citation);
    cJSON_AddStringToObject(j, "claim", e->claim);
    cJSON_AddStringToObject(j, "setup", e->setup);
    cJSON_AddStringToObject(j, "check", e->check);
    cJSON_AddStringToObject(j, "verdict", ob_repro_verdict_name(out->verdict));
    cJSON_AddStringToObject(j, "mode", out->short_mode ? "short" : "full");
    cJSON_AddStringToObject(j, "summary", out->summary);
    cJSON_AddStringToObject(j, "why", out->why);
    cJSON_AddItemToObject(j, "figures", string_array(out->figures, out->n_figures));
    cJSON_AddItemToObject(j, "figures_svg", string_array(out->figures_svg, out->n_figures));
    if (out->figure_error[0]) cJSON_AddStringToObject(j, "figure_error", out->figure_error);
    if (out->csv[0]) cJSON_AddStringToObject(j, "csv", out->csv);
    cJSON_AddItemToObject(j, "measured",
                          out->measured ? cJSON_Duplicate(out->measured, 1) : cJSON_CreateObject());
    cJSON_AddItemToObject(j, "kernels", kernels_json(&out->kernels));
    cJSON_AddNumberToObject(j, "time_s", out->time_s);
    return j;
}

static size_t table_index(const char *name)
{
    for (size_t i = 0; i < ob_repro_count; i++)
        if (name && strcmp(ob_repro_table[i]->name, name) == 0) return i;
    return ob_repro_count;
}

int ob_repro_write_json(const char *repro_dir, const ob_repro_entry *const *entries,
                        const ob_repro_outcome *outs, size_t n, cJSON *meta, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/repro.json", repro_dir);
    /* One slot per table entry (then entries of unknown names, kept last). */
    cJSON *slot[64] = {0};
    cJSON *extra = cJSON_CreateArray();
    struct stat st;
    if (stat(path, &st) == 0) {
        char msg[512];
        cJSON *old = ob_json_read(path, msg, sizeof msg);
        const cJSON *fmt = old ? cJSON_GetObjectItemCaseSensitive(old, "format") : NULL;
        const cJSON *arr = old ? cJSON_GetObjectItemCaseSensitive(old, "entries") : NULL;
        if (cJSON_IsString(fmt) && !strcmp(fmt->valuestring, "optbench-repro") && cJSON_IsArray(arr)) {
            const cJSON *it;
            cJSON_ArrayForEach(it, arr)
            {
                const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
                size_t k = table_index(cJSON_IsString(nm) ? nm->valuestring : NULL);
                if (k < ob_repro_count && k < 64) {
                    cJSON_Delete(slot[k]);
                    slot[k] = cJSON_Duplicate(it, 1);
                } else {
                    cJSON_AddItemToArray(extra, cJSON_Duplicate(it, 1));
                }
            }
        }
        cJSON_Delete(old);
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = table_index(entries[i]->name);
        cJSON *j = ob_repro_entry_json(entries[i], &outs[i]);
        if (k < ob_repro_count && k < 64) {
            cJSON_Delete(slot[k]);
            slot[k] = j;
        } else {
            cJSON_AddItemToArray(extra, j);
        }
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "format", "optbench-repro");
    cJSON_AddNumberToObject(doc, "version", 1);
    cJSON *sum = cJSON_AddStringToObject(doc, "summary", "");
    if (meta) cJSON_AddItemToObject(doc, "meta", meta);
    cJSON *arr = cJSON_AddArrayToObject(doc, "entries");
    for (size_t k = 0; k < ob_repro_count && k < 64; k++)
        if (slot[k]) cJSON_AddItemToArray(arr, slot[k]);
    cJSON *it = extra->child;
    while (it) {
        cJSON *next = it->next;
        cJSON_AddItemToArray(arr, cJSON_DetachItemViaPointer(extra, it));
        it = next;
    }
    cJSON_Delete(extra);
    /* "9 reproductions: 8 REPRODUCED, 1 INCONCLUSIVE, 0 NOT REPRODUCED." */
    int count[3] = {0, 0, 0}, total = 0;
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "verdict");
        total++;
        for (int k = 0; k < 3; k++)
            if (cJSON_IsString(v) && !strcmp(v->valuestring, ob_repro_verdict_name((ob_repro_verdict)k)))
                count[k]++;
    }
    char line[256];
    snprintf(line, sizeof line,
             "%d reproduction%s: %d REPRODUCED, %d NOT REPRODUCED, %d INCONCLUSIVE "
             "(claims, setups, verdict rules and measured figures per entry; see optbench repro list NAME).",
             total, total == 1 ? "" : "s", count[OB_REPRO_REPRODUCED], count[OB_REPRO_NOT_REPRODUCED],
             count[OB_REPRO_INCONCLUSIVE]);
    cJSON_SetValuestring(sum, line);
    int rc = ob_json_write(path, doc, err, errlen);
    cJSON_Delete(doc);
    return rc;
}

void ob_repro_fmnist_missing(ob_repro_outcome *out, const char *why)
{
    out->measured = cJSON_CreateObject();
    cJSON_AddStringToObject(out->measured, "data_missing", why);
    snprintf(out->summary, sizeof out->summary, "not run: Fashion-MNIST could not be loaded (%s)", why);
}
