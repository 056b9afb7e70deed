/*
 * run_plugin.c — the plugin kernel paths of a case of `optbench run`
 * (ob_case.plugin): each a path of the trajectory engine
 * (ob_engine_kernel_path) stepped through the plugin host's guarded step,
 * and the case in a forked child while it has any, so that a kernel
 * that crashes fails its path and not the run.
 *
 * A plugin kernel is judged by its agreement with the double reference,
 * measured from its own state at every step like optbench's kernels
 * (README "Agreement bounds"), against its bound: an external kernel may
 * order its operations differently, so bit-identity with optbench's
 * scalar kernel is reported as information only.
 */
#include <glob.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "run_internal.h"
#include "harness/core/ob_core.h"

static int plugin_step(void *ctx, const ob_hparams *h, uint64_t t, size_t n, float *p, const float *g,
                       float *const *state, char *err, size_t errlen)
{
    return ob_plugin_case_step(ctx, h, t, n, p, g, state, err, errlen);
}

static double plugin_bound(const ob_case *c, const ob_plugin_kernel *k)
{
    return c->plugin_bound > 0 ? c->plugin_bound : k->agree_bound;
}

void run_plugins_open(const ob_case *c, size_t n, run_plugins *rp, ob_case_result *r)
{
    memset(rp, 0, sizeof *rp);
    for (size_t j = 0; j < c->n_plugins && j < OB_ENGINE_MAX_EXTRA; j++) {
        const ob_plugin_kernel *k = c->plugin[j];
        ob_path_result *pr = &r->plugin[j];
        r->plugin_bound[j] = plugin_bound(c, k);
        /* Guarded: every step on copies between guard pages, so a write
         * out of bounds fails the path with its array and index. */
        ob_plugin_case *pc = ob_plugin_case_open(k, &c->h, n, c->threads, OB_PLUGIN_GUARDED, pr->failed,
                                                 sizeof pr->failed);
        if (!pc) {
            pr->ran = 1;
            continue;
        }
        size_t e = rp->n++;
        rp->open[e] = pc;
        rp->map[e] = (int)j;
        snprintf(rp->name[e], sizeof rp->name[e], "plugin:%s", k->desc.name);
        rp->extra[e] = (ob_engine_kernel_path){rp->name[e], r->plugin_bound[j], plugin_step, pc};
    }
}

void run_plugins_close(run_plugins *rp)
{
    for (size_t e = 0; e < rp->n; e++) ob_plugin_case_close(rp->open[e]);
    rp->n = 0;
}

void run_plugins_collect(const ob_case *c, const run_plugins *rp, const ob_engine_result *er, ob_case_result *r)
{
    const int scalar = (c->isa_mask >> OB_ISA_SCALAR) & 1u;
    for (size_t e = 0; e < rp->n; e++) {
        ob_path_result *pr = &r->plugin[rp->map[e]];
        *pr = er->p[OB_ENGINE_PATH_EXTRA(e)];
        if (!scalar) pr->identical = 1; /* nothing to compare with */
    }
    run_plugins_judge(c, r);
}

void run_plugins_judge(const ob_case *c, ob_case_result *r)
{
    for (size_t j = 0; j < c->n_plugins; j++) {
        const ob_path_result *pr = &r->plugin[j];
        if (pr->failed[0] || (pr->ran && !pr->agree_ok)) r->ok = 0;
    }
}

/* ---- crash isolation ---------------------------------------------------- */

typedef struct iso_arg {
    const ob_case *c;
    const char *csv_path;
} iso_arg;

typedef struct iso_result {
    ob_case_result r;
    int rc;
    char err[1024];
} iso_result;

static int iso_body(void *arg, void *result, size_t len, char *err, size_t errlen)
{
    (void)len;
    (void)err;
    (void)errlen;
    const iso_arg *a = arg;
    iso_result *o = result;
    o->rc = run_case(a->c, a->csv_path, 1, &o->r, o->err, sizeof o->err);
    return 0;
}

/* A child that died while writing the CSV leaves its temporary behind
 * (ob_atomic_open: "<path>.tmp.XXXXXX"): nothing else writes those. */
static void remove_temporaries(const char *csv_path)
{
    char pattern[4200];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s.tmp.??????", csv_path);
    if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0) return;
    for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
    globfree(&g);
}

/* Plugin kernel j of c alone beside the reference, in a child: what its
 * path is after the whole case crashed. */
static void rerun_alone(const ob_case *c, size_t j, iso_result *o, ob_case_result *r)
{
    ob_case one = *c;
    one.isa_mask = 0;
    one.plugin[0] = c->plugin[j];
    one.n_plugins = 1;
    iso_arg a = {&one, NULL};
    ob_plugin_outcome out;
    ob_path_result *pr = &r->plugin[j];
    r->plugin_bound[j] = plugin_bound(c, c->plugin[j]);
    memset(o, 0, sizeof *o);
    if (ob_plugin_isolate(iso_body, &a, o, sizeof *o, 0, &out) == OB_PLUGIN_RAN_OK && o->rc == 0) {
        *pr = o->r.plugin[0];
        return;
    }
    memset(pr, 0, sizeof *pr);
    pr->ran = 1;
    pr->failed_at = out.step;
    snprintf(pr->failed, sizeof pr->failed, "%.500s", out.verdict == OB_PLUGIN_CRASHED ? out.message : o->err);
}

int run_case_isolated(const ob_case *c, const char *csv_path, ob_case_result *r, char *err, size_t errlen)
{
    iso_arg a = {c, csv_path};
    iso_result *o = malloc(sizeof *o);
    if (!o) return snprintf(err, errlen, "out of memory"), r->exit_code = OB_EXIT_FAIL, -1;
    ob_plugin_outcome out;
    int v = ob_plugin_isolate(iso_body, &a, o, sizeof *o, 0, &out);
    int rc;
    if (v == OB_PLUGIN_RAN_OK) {
        *r = o->r;
        rc = o->rc;
        snprintf(err, errlen, "%s", o->err);
    } else if (v == OB_PLUGIN_NO_CHILD) {
        snprintf(err, errlen, "cannot isolate the plugin kernels: %s", out.message);
        r->exit_code = OB_EXIT_FAIL;
        rc = -1;
    } else {
        /* The child died in a plugin kernel (optbench's own paths do not
         * crash): the case again without the plugins, then each plugin
         * kernel alone beside the reference, so that the one that crashed
         * fails with its signal and step and the others keep their
         * figures. */
        if (csv_path) remove_temporaries(csv_path);
        rc = run_case(c, csv_path, 0, r, err, errlen);
        for (size_t j = 0; rc == 0 && j < c->n_plugins; j++) rerun_alone(c, j, o, r);
        run_plugins_judge(c, r);
    }
    free(o);
    return rc;
}

/* ---- reporting ------------------------------------------------------------ */

cJSON *run_plugins_json(const ob_case *c, const ob_case_result *r)
{
    if (!c->n_plugins) return NULL;
    cJSON *j = cJSON_CreateObject();
    for (size_t k = 0; k < c->n_plugins; k++) {
        const ob_plugin_kernel *pk = c->plugin[k];
        const ob_path_result *pr = &r->plugin[k];
        cJSON *p = run_path_json(pr, 1, r->plugin_bound[k]);
        cJSON_AddStringToObject(p, "plugin", pk->path);
        cJSON_AddStringToObject(p, "kernel", pk->desc.name);
        /* An external kernel may order its operations differently: its
         * identity with optbench's scalar kernel is not judged. */
        cJSON_AddBoolToObject(p, "bit_identical_judged", 0);
        if (pr->failed[0]) {
            cJSON_AddStringToObject(p, "failed", pr->failed);
            cJSON_AddNumberToObject(p, "failed_at", (double)pr->failed_at);
        } else {
            cJSON_AddNullToObject(p, "failed");
        }
        cJSON_AddBoolToObject(p, "ok", !pr->failed[0] && pr->agree_ok);
        cJSON_AddItemToObject(j, pk->desc.name, p);
    }
    return j;
}

void run_plugins_summary(FILE *out, const ob_case *c, const ob_case_result *r)
{
    /* The kernel's name in the case column (empty on a path's line), so
     * that the path column keeps its width. */
    for (size_t k = 0; k < c->n_plugins; k++) {
        char name[96];
        snprintf(name, sizeof name, "  plugin:%s", c->plugin[k]->desc.name);
        const ob_path_result *pr = &r->plugin[k];
        if (pr->failed[0]) fprintf(out, "%-34s %-9s FAILED: %s\n", name, "plugin", pr->failed);
        else run_summary_line(out, name, "plugin", pr, 1, 1, r->plugin_bound[k]);
    }
}
