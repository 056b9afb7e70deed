/*
 * datadir.c — the search for the command's run-time files (ob_core.h):
 * gnuplot scripts and peer scripts, found beside the install prefix of the
 * running binary before the source-tree fallbacks.
 */
#include "harness/core/ob_core.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* The folder of the running executable (Linux: /proc/self/exe, which is
 * the real file, so a symlink in PATH leads to the install prefix); "" if
 * unknown. */
static void exe_dir(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = '\0';
    if (n <= 0) return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = '\0';
    snprintf(out, len, "%s", exe);
}

/* dir holds the regular file probe: its absolute path into out. */
static int holds(const char *dir, const char *probe, char *out, size_t len)
{
    char path[PATH_MAX + 256], real[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, probe);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !realpath(dir, real)) return 0;
    snprintf(out, len, "%s", real);
    return 1;
}

/* Appends ", path" (or "path") to the list of places searched; a list too
 * long for the message is cut. */
static void note(char *tried, size_t len, const char *path)
{
    size_t used = strlen(tried);
    if (used + 1 < len && snprintf(tried + used, len - used, "%s%s", used ? ", " : "", path) < 0) tried[used] = '\0';
}

int ob_find_data_dir(const ob_data_dir *d, const char *given, const char *probe, char *out, size_t len, char *err,
                     size_t errlen)
{
    const char *env = d->env ? getenv(d->env) : NULL;
    const char *named = given ? given : env && *env ? env : NULL;
    if (named) {
        if (holds(named, probe, out, len)) return 0;
        return ob_fail(err, errlen, "no %s (%s) in %s, named by %s", d->what, probe, named,
                       given ? d->option : d->env);
    }
    char exe[PATH_MAX], cand[PATH_MAX + 64], tried[2048] = "";
    exe_dir(exe, sizeof exe);
    if (exe[0]) {
        snprintf(cand, sizeof cand, "%s/../share/optbench/%s", exe, d->sub);
        if (holds(cand, probe, out, len)) return 0;
        note(tried, sizeof tried, cand);
    }
    for (const char *const *c = d->cwd_rel; c && *c; c++) {
        if (holds(*c, probe, out, len)) return 0;
        note(tried, sizeof tried, *c);
    }
    for (const char *const *c = d->exe_rel; exe[0] && c && *c; c++) {
        snprintf(cand, sizeof cand, "%s/%s", exe, *c);
        if (holds(cand, probe, out, len)) return 0;
        note(tried, sizeof tried, cand);
    }
    return ob_fail(err, errlen, "no %s (%s) found in %s; name their folder with %s%s%s", d->what, probe, tried,
                   d->option ? d->option : "", d->option && d->env ? " or " : "", d->env ? d->env : "");
}

int ob_find_plot_dir(const char *given, const char *probe, char *out, size_t len, char *err, size_t errlen)
{
    static const char *const cwd_rel[] = {"./plot", NULL};
    static const char *const exe_rel[] = {"../plot", "../../plot", NULL};
    static const ob_data_dir plot = {"plot", "gnuplot scripts", "--plot-dir", "OPTBENCH_PLOT_DIR", cwd_rel, exe_rel};
    return ob_find_data_dir(&plot, given, probe, out, len, err, errlen);
}
