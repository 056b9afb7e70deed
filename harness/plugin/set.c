/*
 * set.c — the --plugin PATH.so option the commands share (ob_plugin.h,
 * "the --plugin option of the commands"): every file loaded in the order
 * given, their kernels gathered into one set whose names are unique, and
 * --plugin-bound.  A bad plugin is bad input (exit 2) with the loader's
 * message, reported before the command writes anything.
 */
#include "harness/plugin/ob_plugin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"

void ob_plugin_label(const ob_plugin_kernel *k, char *buf, size_t len)
{
    snprintf(buf, len, "plugin:%s", k->desc.name);
}

const char *ob_plugin_dtype_name(ob_plugin_dtype d)
{
    static const char *const names[] = {"fp32", "bf16", "fp16", "q8"};
    return (unsigned)d < sizeof names / sizeof names[0] ? names[d] : "?";
}

const char *ob_plugin_file(const ob_plugin_kernel *k)
{
    const char *slash = strrchr(k->path, '/');
    return slash ? slash + 1 : k->path;
}

int ob_plugin_threads(const ob_plugin_kernel *k, int threads)
{
    if (k->desc.init) return threads > 0 ? threads : (k->desc.threads > 0 ? k->desc.threads : 1);
    return k->desc.threads > 0 ? k->desc.threads : 1;
}

double ob_plugin_set_bound(const ob_plugin_set *s, const ob_plugin_kernel *k)
{
    return s && s->bound > 0 ? s->bound : k->agree_bound;
}

void ob_plugin_set_free(ob_plugin_set *s)
{
    for (size_t i = 0; i < s->n_pl; i++) ob_plugin_unload(s->pl[i]);
    free(s->pl);
    free(s->k);
    memset(s, 0, sizeof *s);
}

/* Adds pl's kernels to s; a name already in s (from another file) or one
 * too long for the tables is an error. */
static int add_kernels(ob_plugin_set *s, const ob_plugin *pl, const ob_cmd_spec *c, FILE *err)
{
    const size_t m = ob_plugin_kernel_count(pl);
    const ob_plugin_kernel **k = realloc(s->k, (s->n + m) * sizeof *k);
    if (!k) return OB_EXIT_FAIL;
    s->k = k;
    for (size_t i = 0; i < m; i++) {
        const ob_plugin_kernel *nk = ob_plugin_kernel_at(pl, i);
        if (strlen(nk->desc.name) > OB_PLUGIN_NAME_MAX)
            return ob_usage_error(c, err, "--plugin %s: kernel name '%s' is longer than %d characters",
                                  nk->path, nk->desc.name, OB_PLUGIN_NAME_MAX);
        for (size_t j = 0; j < s->n; j++)
            if (!strcmp(s->k[j]->desc.name, nk->desc.name))
                return ob_usage_error(c, err,
                                      "--plugin %s: kernel '%s' is also in %s (kernel names must be unique "
                                      "across the --plugin files)",
                                      nk->path, nk->desc.name, s->k[j]->path);
        s->k[s->n++] = nk;
    }
    return OB_EXIT_OK;
}

int ob_plugin_set_load(ob_plugin_set *s, const ob_cmd_spec *c, const ob_args *a, FILE *err)
{
    memset(s, 0, sizeof *s);
    size_t n;
    const char *const *paths = ob_args_all(a, "plugin", &n);
    const char *bound = ob_args_get(a, "plugin-bound");
    if (bound) {
        double b;
        if (!n) return ob_usage_error(c, err, "--plugin-bound needs --plugin");
        if (ob_parse_real(bound, &b) != 0 || !isfinite(b) || b <= 0)
            return ob_usage_error(c, err, "--plugin-bound '%s': not a finite number > 0 (units of u*S)",
                                  bound);
        s->bound = b;
    }
    if (!n) return OB_EXIT_OK;
    if (!(s->pl = calloc(n, sizeof *s->pl))) return OB_EXIT_FAIL;
    int rc = OB_EXIT_OK;
    for (size_t i = 0; i < n && rc == OB_EXIT_OK; i++) {
        char msg[1024];
        if (ob_plugin_load(paths[i], &s->pl[i], msg, sizeof msg) != OB_PLUGIN_OK) {
            rc = ob_usage_error(c, err, "--plugin %s", msg);
            break;
        }
        s->n_pl++;
        rc = add_kernels(s, s->pl[i], c, err);
    }
    if (rc != OB_EXIT_OK) {
        const double b = s->bound;
        ob_plugin_set_free(s);
        s->bound = b;
    }
    return rc;
}
