/*
 * cmd_trace.c — `optbench trace`: replays a gradient stream through one
 * optimizer and prints the parameters after every step.
 *
 * The gradient at step t is line t of the gradient file, whatever the
 * parameters are, so a trace isolates the update rule from any problem.
 * The reference path runs o->reference in double on double state; the fp32
 * paths round x0 and the gradients to float once and run ob_step (which
 * validates) on the requested instruction set.  Both start from torch's
 * initial state (ob_core.h) and take the hyperparameters of step t from the
 * schedule (ob_schedule_apply), computed in double once per step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/framework/ob_sam.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "harness/plugin/ob_plugin.h"

static const ob_opt trace_opts[] = {
    {"opt", "NAME", OB_OPT_REQUIRED, "optimizer (see optbench list optimizers)"},
    {"set", "KEY=VALUE", OB_OPT_REPEAT, "set a hyperparameter (booleans: 0, 1, false, true)"},
    {"schedule", "NAME", 0, "learning-rate schedule (default: constant)"},
    {"sched-set", "KEY=VALUE", OB_OPT_REPEAT, "set a schedule key"},
    {"isa", "VARIANT", OB_OPT_REQUIRED, "reference (double), scalar, avx2 or avx512 (fp32), or plugin:<kernel>"},
    {"x0", "FILE", OB_OPT_REQUIRED, "starting point: n numbers separated by commas or white space"},
    {"grads", "FILE", OB_OPT_REQUIRED, "one line per step, n comma-separated numbers"},
    OB_PLUGIN_OPTIONS,
};

const ob_cmd_spec ob_cmd_trace_spec = {
    "trace",
    "--opt NAME [--set KEY=VALUE]... [--schedule NAME [--sched-set KEY=VALUE]...]\n"
    "       --isa reference|scalar|avx2|avx512|plugin:KERNEL [--plugin PATH.so]... --x0 FILE --grads FILE",
    "replay a gradient stream and print the parameters after every step",
    "Output: one line per step (line t of --grads is the gradient of step t), the\n"
    "n parameters after that step, comma-separated: %.17g for reference, %.9g for\n"
    "the fp32 variants (x0 and gradients are rounded to float first).  State starts\n"
    "as in torch: zero, except Adagrad's sum = initial_accumulator_value.\n"
    "Everything is checked before the first step: a bad file or a step past a\n"
    "onecycle schedule's total_steps prints an error and nothing else (exit 2).\n"
    "SAM (sam_rho > 0) needs the gradient at a perturbed point and is refused (exit 2).\n"
    "Files: CRLF and a missing final newline are fine, blank lines after the last row\n"
    "are ignored; regular files over 256 MiB and devices (/dev/urandom) are refused\n"
    "before reading, pipes once they hold more than 256 MiB.  NaN prints as nan.\n"
    "--isa plugin:KERNEL replays a kernel of a --plugin file (it must claim --opt;\n"
    "keys it does not honour are an error): each step guarded, in a child process;\n"
    "a write out of bounds or a crash ends the trace with its step (exit 1) after\n"
    "the rows before it.\n",
    trace_opts,
    sizeof trace_opts / sizeof trace_opts[0],
    0,
    0,
    ob_cmd_trace,
};

/* The inputs of a trace once every option has been checked. */
typedef struct trace_job {
    const ob_optimizer *o;
    ob_hparams base;
    ob_schedule sched;
    int reference;
    ob_isa isa;
    double *x0;
    size_t n;
    ob_numrows grads;
    ob_hparams *hp; /* hyperparameters of every step, hp[t-1] */
    ob_plugin_set plugins;
    const ob_plugin_kernel *kernel; /* --isa plugin:<kernel>, else NULL */
} trace_job;

/* One value: NaN as "nan" whatever its sign bit (printf writes "-nan" for
 * a NaN with the sign set, e.g. 0 * inf; the sign of a NaN means nothing
 * and torch prints nan), infinities as "inf" / "-inf". */
static void print_value(FILE *out, int first, const char *fmt, double v)
{
    if (!first) fputc(',', out);
    if (isnan(v)) fputs("nan", out);
    else fprintf(out, fmt, v);
}

static void print_row_f64(FILE *out, const double *p, size_t n)
{
    for (size_t i = 0; i < n; i++) print_value(out, i == 0, "%.17g", p[i]);
    fputc('\n', out);
}

static void print_row_f32(FILE *out, const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++) print_value(out, i == 0, "%.9g", (double)p[i]);
    fputc('\n', out);
}

static int run_reference(const trace_job *j, FILE *out, FILE *err)
{
    double *p = malloc(j->n * sizeof *p), *st[OB_MAX_STATE];
    if (!p || ob_state_alloc_f64(j->o, &j->base, j->n, st) != 0) {
        free(p);
        fprintf(err, "optbench trace: out of memory\n");
        return OB_EXIT_FAIL;
    }
    for (size_t i = 0; i < j->n; i++) p[i] = j->x0[i];
    for (size_t t = 1; t <= j->grads.rows; t++) {
        j->o->reference(&j->hp[t - 1], t, j->n, p, j->grads.v + (t - 1) * j->n, st, NULL);
        print_row_f64(out, p, j->n);
    }
    ob_state_free_f64(st);
    free(p);
    return OB_EXIT_OK;
}

static int run_fp32(const trace_job *j, FILE *out, FILE *err)
{
    int rc = OB_EXIT_OK;
    float *p = malloc(j->n * sizeof *p), *g = malloc(j->n * sizeof *g), *st[OB_MAX_STATE];
    if (!p || !g || ob_state_alloc_f32(j->o, &j->base, j->n, st) != 0) {
        free(p);
        free(g);
        fprintf(err, "optbench trace: out of memory\n");
        return OB_EXIT_FAIL;
    }
    for (size_t i = 0; i < j->n; i++) p[i] = (float)j->x0[i];
    for (size_t t = 1; t <= j->grads.rows && rc == OB_EXIT_OK; t++) {
        const double *gd = j->grads.v + (t - 1) * j->n;
        for (size_t i = 0; i < j->n; i++) g[i] = (float)gd[i];
        char msg[512];
        if (ob_step(j->o, j->isa, &j->hp[t - 1], t, j->n, p, g, st, msg, sizeof msg) != 0) {
            /* Not expected: every step's hyperparameters were validated. */
            rc = ob_usage_error(&ob_cmd_trace_spec, err, "step %zu: %s", t, msg);
            break;
        }
        print_row_f32(out, p, j->n);
    }
    ob_state_free_f32(st);
    free(p);
    free(g);
    return rc;
}

/* --isa: reference, an ISA, or plugin:<kernel> of a --plugin file (which
 * must claim --opt). */
static int choose_variant(const ob_args *a, trace_job *j, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_trace_spec;
    const char *v = ob_args_get(a, "isa");
    if (strncmp(v, "plugin:", 7) != 0) return ob_cli_isa(c, "isa", v, 1, &j->isa, &j->reference, err);
    for (size_t k = 0; k < j->plugins.n; k++)
        if (!strcmp(j->plugins.k[k]->desc.name, v + 7)) j->kernel = j->plugins.k[k];
    if (!j->kernel)
        return ob_usage_error(c, err, "--isa %s: no such kernel in the --plugin files%s", v,
                              j->plugins.n ? "" : " (none given)");
    if (j->kernel->opt != j->o)
        return ob_usage_error(c, err, "--isa %s claims %s, not %s", v, j->kernel->opt->name, j->o->name);
    return OB_EXIT_OK;
}

/* The plugin kernel's trace, in the child of ob_plugin_isolate: every
 * step guarded, every row flushed, so that the rows before a crash are
 * out. */
typedef struct plugin_trace {
    const trace_job *j;
    FILE *out;
} plugin_trace;

static int plugin_body(void *arg, void *result, size_t len, char *err, size_t errlen)
{
    (void)result;
    (void)len;
    const plugin_trace *pt = arg;
    const trace_job *j = pt->j;
    float *p = malloc(j->n * sizeof *p), *g = malloc(j->n * sizeof *g), *st[OB_MAX_STATE] = {0};
    ob_plugin_case *pc = NULL;
    int rc = -1;
    if (!p || !g || ob_state_alloc_f32(j->o, &j->base, j->n, st) != 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (!(pc = ob_plugin_case_open(j->kernel, &j->base, j->n, 0, OB_PLUGIN_GUARDED, err, errlen))) goto done;
    for (size_t i = 0; i < j->n; i++) p[i] = (float)j->x0[i];
    for (size_t t = 1; t <= j->grads.rows; t++) {
        const double *gd = j->grads.v + (t - 1) * j->n;
        for (size_t i = 0; i < j->n; i++) g[i] = (float)gd[i];
        if (ob_plugin_case_step(pc, &j->hp[t - 1], t, j->n, p, g, st, err, errlen) != 0) goto done;
        print_row_f32(pt->out, p, j->n);
        fflush(pt->out);
    }
    rc = 0;
done:
    ob_plugin_case_close(pc);
    ob_state_free_f32(st);
    free(p);
    free(g);
    return rc;
}

static int run_plugin(const trace_job *j, FILE *out, FILE *err)
{
    plugin_trace pt = {j, out};
    ob_plugin_outcome o;
    if (ob_plugin_isolate(plugin_body, &pt, NULL, 0, 0, &o) == OB_PLUGIN_RAN_OK) return OB_EXIT_OK;
    fprintf(err, "optbench trace: plugin:%s: %s\n", j->kernel->desc.name, o.message);
    return OB_EXIT_FAIL;
}

/* Checks the options and loads the files into j; OB_EXIT_OK or an exit code
 * with the message printed. */
static int prepare(const ob_args *a, trace_job *j, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_trace_spec;
    size_t nsets, nsched;
    const char *const *sets = ob_args_all(a, "set", &nsets);
    const char *const *ssets = ob_args_all(a, "sched-set", &nsched);
    char msg[512];
    int rc;

    if (!(j->o = ob_cli_optimizer(c, ob_args_get(a, "opt"), err))) return OB_EXIT_USAGE;
    if ((rc = ob_cli_hparams(c, j->o, sets, nsets, &j->base, err)) != OB_EXIT_OK) return rc;
    /* SAM needs a second gradient at the perturbed point x_hat, which a
     * fixed gradient stream does not have. */
    if (ob_sam_active(&j->base))
        return ob_usage_error(c, err,
                              "sam_rho = %g: a trace replays fixed gradients and cannot evaluate the "
                              "gradient at SAM's perturbed point; use sam_rho=0 (or optbench run)",
                              j->base.sam_rho);
    rc = ob_cli_schedule(c, ob_args_get(a, "schedule"), ssets, nsched, j->o, &j->sched, err);
    if (rc != OB_EXIT_OK) return rc;
    if ((rc = ob_plugin_set_load(&j->plugins, c, a, err)) != OB_EXIT_OK) return rc;
    if (j->plugins.bound > 0) return ob_usage_error(c, err, "--plugin-bound: a trace measures no agreement");
    if ((rc = choose_variant(a, j, err)) != OB_EXIT_OK) return rc;
    if (!j->kernel && !j->reference && !ob_optimizer_kernel(j->o, j->isa))
        return ob_usage_error(c, err, "--isa %s: SKIPPED: no %s kernel for %s", ob_isa_name(j->isa),
                              ob_isa_name(j->isa), j->o->name);

    if (ob_numlist_read(ob_args_get(a, "x0"), &j->x0, &j->n, msg, sizeof msg) != 0 ||
        ob_numrows_read(ob_args_get(a, "grads"), j->n, &j->grads, msg, sizeof msg) != 0)
        return ob_usage_error(c, err, "%s", msg);

    /* Every step's hyperparameters, checked before the first step so that
     * an error leaves no partial output. */
    j->hp = malloc(j->grads.rows * sizeof *j->hp);
    if (!j->hp) {
        fprintf(err, "optbench trace: out of memory\n");
        return OB_EXIT_FAIL;
    }
    for (size_t t = 1; t <= j->grads.rows; t++) {
        if (ob_schedule_apply(&j->sched, j->o, &j->base, t, &j->hp[t - 1], msg, sizeof msg) != 0 ||
            ob_validate(j->o, &j->hp[t - 1], msg, sizeof msg) != 0 ||
            (j->kernel && ob_plugin_hparams_check(j->kernel, &j->hp[t - 1], msg, sizeof msg) != 0))
            return ob_usage_error(c, err, "step %zu (line %zu of %s): %s", t, t, ob_args_get(a, "grads"),
                                  msg);
    }
    return OB_EXIT_OK;
}

int ob_cmd_trace(int argc, char **argv, FILE *out, FILE *err)
{
    ob_args a;
    int rc = ob_args_parse(&ob_cmd_trace_spec, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;

    trace_job j = {0};
    rc = prepare(&a, &j, err);
    if (rc == OB_EXIT_OK)
        rc = j.kernel ? run_plugin(&j, out, err) : j.reference ? run_reference(&j, out, err) : run_fp32(&j, out, err);
    ob_plugin_set_free(&j.plugins);
    free(j.hp);
    free(j.x0);
    ob_numrows_free(&j.grads);
    ob_args_free(&a);
    return rc;
}
