/*
 * load.c — loading a plugin (optbench/plugin.h): dlopen, the registration
 * function, and the checks that give each kind of bad plugin its own code
 * (ob_plugin_status) and message; the hyperparameter keys a kernel honours.
 */
#include "harness/plugin/ob_plugin.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ob_plugin {
    void *handle;
    char *path;
    ob_plugin_kernel *k;
    size_t n, cap;
    int status;    /* the first refusal during registration */
    char err[512]; /* its message */
};

const char *ob_plugin_status_name(int status)
{
    static const char *const names[] = {
        "ok",
        "no-file",
        "not-a-shared-object",
        "no-register-symbol",
        "abi",
        "unknown-optimizer",
        "state-layout",
        "no-step",
        "duplicate-name",
        "unknown-hparam",
        "register-failed",
    };
    if (status < 0 || (size_t)status >= sizeof names / sizeof names[0]) return "unknown";
    return names[status];
}

/* Records the first refusal during registration; always -1. */
static int refuse(ob_plugin *pl, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(ob_plugin *pl, int status, const char *fmt, ...)
{
    if (pl->status == OB_PLUGIN_OK) {
        va_list ap;
        va_start(ap, fmt);
        pl->status = status;
        vsnprintf(pl->err, sizeof pl->err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int valid_name(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.') return 0;
    return 1;
}

static void optimizer_names(char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < ob_optimizer_count; i++) {
        if (i) strncat(buf, ", ", len - strlen(buf) - 1);
        strncat(buf, ob_optimizer_table[i]->name, len - strlen(buf) - 1);
    }
}

/* The state layout must be the claimed optimizer's: its count, fp32 only in
 * ABI 1 (the other dtypes are reserved). */
static int check_layout(ob_plugin *pl, const ob_plugin_kernel_desc *d, const ob_optimizer *o)
{
    if (d->n_state != o->n_state) {
        char names[160] = "";
        for (size_t k = 0; k < o->n_state; k++) {
            if (k) strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, o->state_names[k], sizeof names - strlen(names) - 1);
        }
        return refuse(pl, OB_PLUGIN_E_LAYOUT, "kernel '%s' declares %zu state arrays; %s has %zu (%s)",
                      d->name, d->n_state, o->name, o->n_state, names);
    }
    for (size_t k = 0; k < o->n_state; k++)
        if (d->state_dtype[k] != OB_PLUGIN_FP32)
            return refuse(pl, OB_PLUGIN_E_LAYOUT,
                          "kernel '%s': state array '%s' has dtype %d; only fp32 (0) is supported", d->name,
                          o->state_names[k], (int)d->state_dtype[k]);
    return 0;
}

static int check_desc(ob_plugin *pl, const ob_plugin_kernel_desc *d, const ob_optimizer **opt)
{
    if (!valid_name(d->name))
        return refuse(pl, OB_PLUGIN_E_REGISTER,
                      "a kernel has an invalid name '%s' (letters, digits, '_', '-', '.')",
                      d->name ? d->name : "(null)");
    const ob_optimizer *o = ob_optimizer_find(d->optimizer);
    if (!o) {
        char known[256];
        optimizer_names(known, sizeof known);
        return refuse(pl, OB_PLUGIN_E_OPTIMIZER, "kernel '%s' claims unknown optimizer '%s' (known: %s)",
                      d->name, d->optimizer ? d->optimizer : "(null)", known);
    }
    if (check_layout(pl, d, o) != 0) return -1;
    if (!d->step) return refuse(pl, OB_PLUGIN_E_NO_STEP, "kernel '%s' has no step function", d->name);
    for (size_t i = 0; d->hparams && d->hparams[i]; i++)
        if (!ob_hparam_find(o, d->hparams[i]))
            return refuse(pl, OB_PLUGIN_E_HPARAM, "kernel '%s' honours '%s', which %s does not have", d->name,
                          d->hparams[i], o->name);
    for (size_t i = 0; i < pl->n; i++)
        if (strcmp(pl->k[i].desc.name, d->name) == 0)
            return refuse(pl, OB_PLUGIN_E_DUPLICATE, "two kernels are named '%s'", d->name);
    *opt = o;
    return 0;
}

/* host->add_kernel: the ABI is checked before the descriptor is read. */
static int add_kernel(const ob_plugin_host *host, unsigned abi, const ob_plugin_kernel_desc *d)
{
    ob_plugin *pl = host->host_ctx;
    if (pl->status != OB_PLUGIN_OK) return -1;
    if (abi != OPTBENCH_PLUGIN_ABI) {
        return refuse(pl, OB_PLUGIN_E_ABI, "built for plugin ABI %u; this optbench implements %u", abi,
                      OPTBENCH_PLUGIN_ABI);
    }
    if (!d) return refuse(pl, OB_PLUGIN_E_REGISTER, "registered a NULL descriptor");
    const ob_optimizer *o = NULL;
    if (check_desc(pl, d, &o) != 0) return -1;
    if (pl->n == pl->cap) {
        size_t cap = pl->cap ? 2 * pl->cap : 8;
        ob_plugin_kernel *k = realloc(pl->k, cap * sizeof *k);
        if (!k) return refuse(pl, OB_PLUGIN_E_REGISTER, "out of memory");
        pl->k = k;
        pl->cap = cap;
    }
    ob_plugin_kernel *k = &pl->k[pl->n++];
    k->desc = *d;
    k->opt = o;
    k->agree_bound = d->agree_bound > 0 ? d->agree_bound : o->agree_bound;
    k->path = pl->path;
    return 0;
}

static int fail(ob_plugin *pl, int status, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", pl->path ? pl->path : "plugin", pl->err);
    ob_plugin_unload(pl);
    return status;
}

int ob_plugin_load(const char *path, ob_plugin **out, char *err, size_t errlen)
{
    *out = NULL;
    ob_plugin *pl = calloc(1, sizeof *pl);
    if (!pl || !(pl->path = strdup(path ? path : ""))) {
        free(pl);
        snprintf(err, errlen, "%s: out of memory", path ? path : "plugin");
        return OB_PLUGIN_E_REGISTER;
    }
    /* A path with a '/' names a file: say so plainly when it is not there
     * (dlerror's text for that case reads like a dlopen failure). */
    if (strchr(pl->path, '/') && access(pl->path, R_OK) != 0) {
        snprintf(pl->err, sizeof pl->err, "no such file or not readable");
        return fail(pl, OB_PLUGIN_E_NOFILE, err, errlen);
    }
    dlerror();
    pl->handle = dlopen(pl->path, RTLD_NOW | RTLD_LOCAL);
    if (!pl->handle) {
        const char *e = dlerror();
        snprintf(pl->err, sizeof pl->err, "not a loadable shared object (%s)", e ? e : "dlopen failed");
        return fail(pl, OB_PLUGIN_E_NOT_SO, err, errlen);
    }
    /* POSIX's way from a data pointer to a function pointer (dlsym(3)). */
    ob_plugin_register_fn reg;
    void *sym = dlsym(pl->handle, OPTBENCH_PLUGIN_REGISTER_SYMBOL);
    memcpy(&reg, &sym, sizeof reg);
    if (!sym) {
        snprintf(pl->err, sizeof pl->err, "no symbol %s (is it declared extern \"C\" and exported?)",
                 OPTBENCH_PLUGIN_REGISTER_SYMBOL);
        return fail(pl, OB_PLUGIN_E_NO_SYMBOL, err, errlen);
    }
    const ob_plugin_host host = {OPTBENCH_PLUGIN_ABI, pl, add_kernel};
    int rc = reg(&host);
    if (pl->status != OB_PLUGIN_OK) return fail(pl, pl->status, err, errlen);
    if (rc != 0 || pl->n == 0) {
        if (rc != 0) snprintf(pl->err, sizeof pl->err, "%s returned %d", OPTBENCH_PLUGIN_REGISTER_SYMBOL, rc);
        else snprintf(pl->err, sizeof pl->err, "%s registered no kernels", OPTBENCH_PLUGIN_REGISTER_SYMBOL);
        return fail(pl, OB_PLUGIN_E_REGISTER, err, errlen);
    }
    *out = pl;
    if (errlen) err[0] = '\0';
    return OB_PLUGIN_OK;
}

void ob_plugin_unload(ob_plugin *pl)
{
    if (!pl) return;
    if (pl->handle) dlclose(pl->handle);
    free(pl->k);
    free(pl->path);
    free(pl);
}

size_t ob_plugin_kernel_count(const ob_plugin *pl)
{
    return pl ? pl->n : 0;
}

const ob_plugin_kernel *ob_plugin_kernel_at(const ob_plugin *pl, size_t i)
{
    return pl && i < pl->n ? &pl->k[i] : NULL;
}

const ob_plugin_kernel *ob_plugin_kernel_find(const ob_plugin *pl, const char *name)
{
    for (size_t i = 0; pl && name && i < pl->n; i++)
        if (strcmp(pl->k[i].desc.name, name) == 0) return &pl->k[i];
    return NULL;
}

/* ---- hyperparameters ------------------------------------------------------ */

int ob_plugin_honours(const ob_plugin_kernel *k, const char *key)
{
    for (size_t i = 0; key && k->desc.hparams && k->desc.hparams[i]; i++)
        if (strcmp(k->desc.hparams[i], key) == 0) return 1;
    return 0;
}

static void honoured_list(const ob_plugin_kernel *k, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; k->desc.hparams && k->desc.hparams[i]; i++) {
        if (i) strncat(buf, ", ", len - strlen(buf) - 1);
        strncat(buf, k->desc.hparams[i], len - strlen(buf) - 1);
    }
    if (!buf[0]) snprintf(buf, len, "none");
}

int ob_plugin_hparam_set(const ob_plugin_kernel *k, ob_hparams *h, const char *assignment, char *err,
                         size_t errlen)
{
    const char *eq = assignment ? strchr(assignment, '=') : NULL;
    if (eq && eq != assignment) {
        char key[64], known[256];
        size_t klen = (size_t)(eq - assignment);
        if (klen >= sizeof key) klen = sizeof key - 1;
        memcpy(key, assignment, klen);
        key[klen] = '\0';
        if (!ob_plugin_honours(k, key)) {
            honoured_list(k, known, sizeof known);
            snprintf(err, errlen, "%s does not honour '%s' (honoured: %s)", k->desc.name, key, known);
            return -1;
        }
    }
    return ob_hparam_set(k->opt, h, assignment, err, errlen);
}

/* Every key of the optimizer and the generic ones, checked against the
 * optimizer's defaults unless honoured. */
static int check_unhonoured(const ob_plugin_kernel *k, const ob_hparams *h, const ob_hparams *def,
                            const ob_hparam_spec *sp, char *err, size_t errlen)
{
    if (ob_plugin_honours(k, sp->name)) return 0;
    double v = ob_hparam_get(h, sp), d = ob_hparam_get(def, sp);
    if (v == d) return 0;
    char known[256];
    honoured_list(k, known, sizeof known);
    snprintf(err, errlen, "%s does not honour '%s' (set to %g, default %g; honoured: %s)", k->desc.name,
             sp->name, v, d, known);
    return -1;
}

int ob_plugin_hparams_check(const ob_plugin_kernel *k, const ob_hparams *h, char *err, size_t errlen)
{
    if (ob_validate(k->opt, h, err, errlen) != 0) return -1;
    ob_hparams def;
    ob_hparams_default(k->opt, &def);
    for (size_t i = 0; i < k->opt->n_hparams; i++)
        if (check_unhonoured(k, h, &def, &k->opt->hparams[i], err, errlen) != 0) return -1;
    for (size_t i = 0; i < ob_generic_hparam_count(); i++)
        if (check_unhonoured(k, h, &def, ob_generic_hparam(i), err, errlen) != 0) return -1;
    return 0;
}
