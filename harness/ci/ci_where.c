/*
 * ci_where.c — what makes a CI failure actionable (README "Use in CI"):
 * the kernel source file and the block of it that computed a given
 * element, and the command-line pieces of a line that reproduces it.
 *
 * The block of element i follows from the kernel's structure alone: the
 * ISA's vector width (ob_isa_width) and the kernel's unroll factor, both
 * recorded once in the ISA tables (kernels/ob_isa.h, ob_isa_step.unroll).
 * The first differing element of an exactness failure comes from running
 * the kernel and scalar side by side on the gate's inputs, which
 * ob_ci_write_inputs writes for `optbench trace` to replay.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_internal.h"
#include "harness/core/ob_core.h"
#include "harness/testkit/ob_testkit.h"
#include "kernels/ob_isa.h"

/* The table step of o's kernel for isa (its file is kernels/<isa>/<key>.c);
 * NULL for an entry that brings its own kernels, or none for isa. */
static const ob_isa_step *table_step(const ob_optimizer *o, ob_isa isa)
{
    const ob_isa_table *t = ob_isa_table_of(isa);
    return t && !o->own_kernels ? ob_isa_table_step(t, o->kernel_key) : NULL;
}

static void kernel_file(const ob_optimizer *o, ob_isa isa, char *buf, size_t len)
{
    if (table_step(o, isa)) snprintf(buf, len, "kernels/%s/%s.c", ob_isa_name(isa), o->kernel_key);
    else snprintf(buf, len, "%s's own %s kernel (not in kernels/)", o->name, ob_isa_name(isa));
}

void ci_kernel_where(const ob_optimizer *o, ob_isa isa, size_t n, size_t i, char *buf, size_t len)
{
    const ob_isa_step *st = table_step(o, isa);
    kernel_file(o, isa, buf, len);
    if (!st) {
        size_t k = strlen(buf);
        snprintf(buf + k, len - k, ", element %zu of %zu", i, n);
        return;
    }
    size_t w = ob_isa_width(isa), u = st->unroll ? st->unroll : 1;
    size_t k0 = strlen(buf);
    snprintf(buf + k0, len - k0, ", ");
    char *b = buf + strlen(buf);
    size_t bl = len - (size_t)(b - buf);
    if (w <= 1) {
        snprintf(b, bl, "element loop (element %zu of %zu)", i, n);
        return;
    }
    size_t step = u * w, loop_end = n / step * step;
    if (i < loop_end) {
        snprintf(
            b, bl,
            "unrolled loop (%zu vectors of %zu per iteration: iteration %zu, vector %zu; element %zu of %zu)",
            u, w, i / step, i % step / w, i, n);
        return;
    }
    /* After the loop: u/2, u/4, ..., 1 whole vectors, each where they fit. */
    size_t pos = loop_end;
    for (size_t v = u / 2; v >= 1; v /= 2) {
        if (n - pos < v * w) continue;
        if (i < pos + v * w) {
            if (v == 1)
                snprintf(b, bl, "single vector (elements %zu..%zu; element %zu of %zu)", pos, pos + w - 1, i,
                         n);
            else
                snprintf(b, bl, "%zu-vector block (elements %zu..%zu; element %zu of %zu)", v, pos,
                         pos + v * w - 1, i, n);
            return;
        }
        pos += v * w;
    }
    snprintf(b, bl, "masked tail (elements %zu..%zu, %zu of %zu lanes; element %zu of %zu)", pos, n - 1,
             n - pos, w, i, n);
}

/* v as the shortest of %.15g / %.17g that reads back exactly. */
static void exact_number(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, len, "%.17g", v);
}

void ci_set_args(const ob_optimizer *o, const ob_hparams *h, char *buf, size_t len)
{
    ob_hparams d;
    ob_hparams_default(o, &d);
    size_t k = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < o->n_hparams && k < len; j++) {
        double v = ob_hparam_get(h, &o->hparams[j]);
        if (v == ob_hparam_get(&d, &o->hparams[j])) continue;
        char num[40];
        exact_number(v, num, sizeof num);
        int w = snprintf(buf + k, len - k, " --set %s=%s", o->hparams[j].name, num);
        if (w < 0) break;
        k += (size_t)w;
    }
}

/* ---- the exactness inputs ---------------------------------------------------- */

void ci_exact_x0(float *p, size_t n)
{
    ob_rng r;
    ob_rng_init(&r, CI_EXACT_SEED);
    for (size_t i = 0; i < n; i++) p[i] = (float)(4 * ob_rng_uniform(&r) - 2);
}

void ci_exact_grad(float *g, size_t n, uint64_t t)
{
    ob_rng r;
    ob_rng_init(&r, CI_EXACT_SEED ^ (t * 0x9e3779b97f4a7c15ull));
    for (size_t i = 0; i < n; i++)
        g[i] = i < 8 ? ob_rng_special_float(&r, 0) : (float)(2 * ob_rng_uniform(&r) - 1);
}

/* A float as text `optbench trace` reads back to the same value: %.9g
 * round-trips every finite float (through strtod's double, too: 9 digits
 * leave the decimal far closer to the float than to any midpoint); NaN
 * keeps its sign, not its payload (the kernels' NaN stays NaN anyway). */
static void put_float(FILE *f, float x, int comma)
{
    if (comma) fputc(',', f);
    if (x != x) fputs(signbit(x) ? "-nan" : "nan", f);
    else fprintf(f, "%.9g", (double)x);
}

static int write_rows(const char *path, size_t rows, int grads, char *err, size_t errlen)
{
    ob_atomic_file af;
    if (ob_atomic_open(&af, path, err, errlen) != 0) return -1;
    float x[OB_CI_N];
    for (size_t t = 1; t <= rows; t++) {
        if (grads) ci_exact_grad(x, OB_CI_N, t);
        else ci_exact_x0(x, OB_CI_N);
        for (size_t i = 0; i < OB_CI_N; i++) put_float(af.f, x[i], i > 0);
        fputc('\n', af.f);
    }
    return ob_atomic_commit(&af, err, errlen);
}

int ob_ci_write_inputs(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if (ob_mkdirs(dir, err, errlen) != 0) return -1;
    snprintf(path, sizeof path, "%s/x0.txt", dir);
    if (write_rows(path, 1, 0, err, errlen) != 0) return -1;
    snprintf(path, sizeof path, "%s/grads.txt", dir);
    return write_rows(path, OB_CI_STEPS, 1, err, errlen);
}

/* The inputs the failing exactness checks' trace lines read (ci_internal.h). */
void ci_write_repro_inputs(const ob_check_list *checks, const char *dir, FILE *err)
{
    char msg[512];
    for (size_t i = 0; i < checks->n; i++) {
        if (checks->v[i].status != OB_CHECK_FAIL || strcmp(checks->v[i].gate, "exactness") != 0) continue;
        if (ob_ci_write_inputs(dir, msg, sizeof msg) != 0)
            fprintf(err, "optbench: warning: the inputs of the reproducing command: %s\n", msg);
        return;
    }
}

/* ---- the first differing element ----------------------------------------- */

static uint32_t bits(float x)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    return b;
}

static void add_hex(cJSON *j, const char *key, float x)
{
    char h[9];
    snprintf(h, sizeof h, "%08x", (unsigned)bits(x));
    cJSON_AddStringToObject(j, key, h);
}

cJSON *ci_exact_locate(const ob_optimizer *o, const ob_hparams *h, ob_kernel_fn ref, ob_kernel_fn k)
{
    float p[2][OB_CI_N], g[OB_CI_N], *st[2][OB_MAX_STATE];
    if (ob_state_alloc_f32(o, h, OB_CI_N, st[0]) != 0) return NULL;
    if (ob_state_alloc_f32(o, h, OB_CI_N, st[1]) != 0) {
        ob_state_free_f32(st[0]);
        return NULL;
    }
    ci_exact_x0(p[0], OB_CI_N);
    ci_exact_x0(p[1], OB_CI_N);
    unsigned mask = o->state_mask(h);
    cJSON *d = NULL;
    int p_found = 0;
    for (uint64_t t = 1; t <= OB_CI_STEPS && !(d && p_found); t++) {
        ci_exact_grad(g, OB_CI_N, t);
        ob_step_scalars s;
        o->prepare(h, t, &s);
        ref(OB_CI_N, p[0], g, st[0], &s);
        k(OB_CI_N, p[1], g, st[1], &s);
        for (size_t i = 0; i < OB_CI_N && !(d && p_found); i++) {
            /* Array 0 is p, 1 + j state array j: p first at each element. */
            for (size_t a = 0; a <= o->n_state; a++) {
                if (a > 0 && !((mask >> (a - 1)) & 1u)) continue;
                float x = a ? st[1][a - 1][i] : p[1][i], y = a ? st[0][a - 1][i] : p[0][i];
                if (bits(x) == bits(y)) continue;
                if (!d) {
                    d = cJSON_CreateObject();
                    cJSON_AddNumberToObject(d, "step", (double)t);
                    cJSON_AddStringToObject(d, "array", a ? o->state_names[a - 1] : "p");
                    cJSON_AddNumberToObject(d, "index", (double)i);
                    add_hex(d, "value", x);
                    add_hex(d, "expected", y);
                }
                if (a == 0 && !p_found) { /* what `optbench trace` prints */
                    p_found = 1;
                    cJSON_AddNumberToObject(d, "p_step", (double)t);
                    cJSON_AddNumberToObject(d, "p_index", (double)i);
                    add_hex(d, "p_value", x);
                    add_hex(d, "p_expected", y);
                }
                break;
            }
        }
    }
    ob_state_free_f32(st[0]);
    ob_state_free_f32(st[1]);
    return d;
}

/* ---- failure details --------------------------------------------------------- */

static double num(const cJSON *o, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static float hexf(const char *h)
{
    uint32_t b = h ? (uint32_t)strtoul(h, NULL, 16) : 0x7fc00000u;
    float x;
    memcpy(&x, &b, 4);
    return x;
}

/* The optimizer entry and hyperparameters of an exactness case (NULL when
 * its optimizer is not in the table, e.g. a test's modified copy). */
static const ob_optimizer *case_config(const cJSON *c, ob_hparams *h)
{
    const char *name = str(c, "optimizer");
    const ob_optimizer *o = name ? ob_optimizer_find(name) : NULL;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(c, "config");
    if (!o || !cJSON_IsNumber(cfg) || ob_hp_config(o, (size_t)cfg->valuedouble, h) != 0) return NULL;
    return o;
}

/* " | reproduce: OPTBENCH_ISA=<isa> optbench trace --opt ... " */
static int trace_line(const ob_optimizer *o, const ob_hparams *h, const char *isa, const char *dir, char *buf,
                      size_t len)
{
    char sets[512];
    ci_set_args(o, h, sets, sizeof sets);
    return snprintf(buf, len,
                    "; reproduce: OPTBENCH_ISA=%s optbench trace --opt %s%s --isa %s --x0 %s/x0.txt --grads "
                    "%s/grads.txt",
                    isa, o->name, sets, isa, dir, dir);
}

void ci_isa_diff_detail(const cJSON *c, const char *isa_name, const cJSON *d, int hash_step, const char *dir,
                        char *buf, size_t len)
{
    ob_hparams h;
    const ob_optimizer *o = case_config(c, &h);
    ob_isa isa;
    if (!d && hash_step == 0) { /* a record edited or cut short: nothing to locate */
        snprintf(buf, len, "%s differs from scalar: its final hash (every step's hash agrees)", isa_name);
        return;
    }
    snprintf(buf, len, "%s differs from scalar: first at step %d", isa_name,
             d ? (int)num(d, "step") : hash_step);
    if (!d) return;
    ob_appendf(buf, len, "; %s[%zu] = %s (scalar %s)", str(d, "array"), (size_t)num(d, "index"), str(d, "value"),
           str(d, "expected"));
    if (!o || ob_isa_parse(isa_name, &isa) != 0) return;
    char where[256];
    ci_kernel_where(o, isa, OB_CI_N, (size_t)num(d, "index"), where, sizeof where);
    ob_appendf(buf, len, ", computed in %s", where);
    trace_line(o, &h, isa_name, dir, buf + strlen(buf), len - strlen(buf));
    if (cJSON_GetObjectItemCaseSensitive(d, "p_step"))
        ob_appendf(buf, len, " (line %d, value %zu: %.9g; %.9g with --isa scalar)", (int)num(d, "p_step"),
               (size_t)num(d, "p_index") + 1, (double)hexf(str(d, "p_value")),
               (double)hexf(str(d, "p_expected")));
    else
        ob_appendf(buf, len, " (prints p, which agrees at every step: the difference is in %s only)",
               str(d, "array"));
}

void ci_baseline_diff_detail(const cJSON *c, const char *array, size_t index, const char *got,
                             const char *want, const char *dir, char *buf, size_t len)
{
    ob_hparams h;
    const ob_optimizer *o = case_config(c, &h);
    if (!o) return;
    char where[256];
    ci_kernel_where(o, OB_ISA_SCALAR, OB_CI_N, index, where, sizeof where);
    ob_appendf(buf, len, ", computed in %s", where);
    trace_line(o, &h, "scalar", dir, buf + strlen(buf), len - strlen(buf));
    if (!strcmp(array, "p"))
        ob_appendf(buf, len, " (line %d, value %zu: %.9g; the baseline's %.9g)", OB_CI_STEPS, index + 1,
               (double)hexf(got), (double)hexf(want));
    else ob_appendf(buf, len, " (prints p; the final difference is in %s)", array);
}

void ci_agreement_detail(const cJSON *a, size_t n, uint64_t steps, char *buf, size_t len)
{
    const char *name = str(a, "optimizer"), *w = str(a, "where");
    const ob_optimizer *o = name ? ob_optimizer_find(name) : NULL;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(a, "config");
    ob_hparams h;
    if (!o || !cJSON_IsNumber(cfg) || ob_hp_config(o, (size_t)cfg->valuedouble, &h) != 0) return;
    const char *br = w ? strchr(w, '[') : NULL;
    char where[256], sets[512];
    if (br) {
        ci_kernel_where(o, OB_ISA_SCALAR, n, (size_t)strtoull(br + 1, NULL, 10), where, sizeof where);
        ob_appendf(buf, len, ", computed in %s", where);
    }
    /* The gate's data (random states, subnormals, ...) is not a command's
     * input: the closest line is run's own agreement check on a problem. */
    ci_set_args(o, &h, sets, sizeof sets);
    ob_appendf(
        buf, len,
        "; reproduce on a problem: OPTBENCH_ISA=scalar optbench run --opt %s%s --problem quad_diag --n %zu "
        "--steps %llu --seed 0",
        o->name, sets, n, (unsigned long long)steps);
}

void ci_run_line(const ob_case *c, char *buf, size_t len)
{
    char sets[512];
    ci_set_args(c->opt, &c->h, sets, sizeof sets);
    snprintf(buf, len, "OPTBENCH_ISA=scalar optbench run --opt %s%s --problem %s", c->opt->name, sets,
             c->problem->name);
    if (c->n) ob_appendf(buf, len, " --n %zu", c->n);
    for (size_t k = 0; k < c->n_pparams; k++) ob_appendf(buf, len, " --param %s", c->pparams[k]);
    ob_appendf(buf, len, " --steps %llu --seed %llu", (unsigned long long)c->steps, (unsigned long long)c->seed);
}

void ci_convergence_detail(const cJSON *m, char *buf, size_t len)
{
    const char *name = str(m, "optimizer"), *line = str(m, "repro");
    const ob_optimizer *o = name ? ob_optimizer_find(name) : NULL;
    if (o) {
        char file[256];
        kernel_file(o, OB_ISA_SCALAR, file, sizeof file);
        /* The file only: a trajectory records no element. */
        ob_appendf(buf, len, "; the scalar path: %s (its one element loop) and the step's scalars", file);
    }
    if (line) ob_appendf(buf, len, "; reproduce: %s", line);
}
