/*
 * ci_plugin.c — `optbench ci --plugin`: the gates for kernels optbench
 * does not ship, against a baseline their authors keep in their own
 * repository (README "Use in CI").
 *
 * Per plugin kernel, in a forked child (ob_plugin_isolate: a crash fails
 * the kernel's checks, not the command), every step guarded:
 *   - exactness: the hash of p and the state after each of the exactness
 *     gate's 30 steps on its fixed inputs (ci_exact_x0, ci_exact_grad),
 *     for every option set of the gate the kernel honours; equal to the
 *     baseline's bit for bit.  Identity with optbench's scalar kernel on
 *     the same inputs is recorded as information;
 *   - agreement: the worst single-step error against the double reference
 *     on the agreement gate's inputs (ob_agree_measure_step), within the
 *     kernel's bound and not above the baseline's;
 *   - convergence: the CI problems of its optimizer with the kernel as a
 *     path of the run engine: steps to target and final loss unchanged.
 * The speed gate benchmarks the plugin kernels beside optbench's own
 * (ci_speed.c) and compares them with the baseline's samples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ci_internal.h"
#include "harness/core/ob_core.h"
#include "harness/plugin/ob_plugin.h"
#include "harness/run/ob_run.h"
#include "harness/testkit/ob_testkit.h"

/* The JSON a child hands back through shared memory. */
#define CI_PLUGIN_JSON_MAX ((size_t)1 << 20)

static int plugin_step(void *ctx, const ob_hparams *h, uint64_t t, size_t n, float *p, const float *g,
                       float *const *st)
{
    char err[512];
    return ob_plugin_case_step(ctx, h, t, n, p, g, st, err, sizeof err);
}

/* The exactness record of k with h: the hash after every step, and
 * whether optbench's scalar kernel computes the same. */
static cJSON *exact_one(const ob_plugin_kernel *k, const ob_hparams *h, char *err, size_t errlen)
{
    const ob_optimizer *o = k->opt;
    float p[OB_CI_N], g[OB_CI_N], q[OB_CI_N], *st[OB_MAX_STATE], *sq[OB_MAX_STATE];
    if (ob_state_alloc_f32(o, h, OB_CI_N, st) != 0 || ob_state_alloc_f32(o, h, OB_CI_N, sq) != 0) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ob_plugin_case *pc = ob_plugin_case_open(k, h, OB_CI_N, 1, OB_PLUGIN_GUARDED, err, errlen);
    cJSON *j = NULL;
    if (!pc) goto done;
    ci_exact_x0(p, OB_CI_N);
    memcpy(q, p, sizeof q);
    const unsigned mask = o->state_mask(h);
    ob_kernel_fn scalar = ob_optimizer_kernel(o, OB_ISA_SCALAR);
    int identical = 1;
    uint64_t hh = 0;
    cJSON *steps = cJSON_CreateArray();
    for (uint64_t t = 1; t <= OB_CI_STEPS; t++) {
        ci_exact_grad(g, OB_CI_N, t);
        if (ob_plugin_case_step(pc, h, t, OB_CI_N, p, g, st, err, errlen) != 0) {
            cJSON_Delete(steps);
            goto done;
        }
        ob_step_scalars s;
        o->prepare(h, t, &s);
        scalar(OB_CI_N, q, g, sq, &s);
        hh = ci_hash_f32(CI_HASH_OFFSET, p, OB_CI_N);
        identical &= memcmp(p, q, sizeof p) == 0;
        for (size_t a = 0; a < o->n_state; a++)
            if ((mask >> a) & 1u) {
                hh = ci_hash_f32(hh, st[a], OB_CI_N);
                identical &= memcmp(st[a], sq[a], sizeof p) == 0;
            }
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hh);
        cJSON_AddItemToArray(steps, cJSON_CreateString(hex));
    }
    j = cJSON_CreateObject();
    char id[192], hex[17];
    ob_hp_config_name(o, h, id, sizeof id);
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hh);
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "hash", hex);
    cJSON_AddItemToObject(j, "step_hashes", steps);
    cJSON_AddBoolToObject(j, "identical_to_scalar", identical);
done:
    ob_plugin_case_close(pc);
    ob_state_free_f32(st);
    ob_state_free_f32(sq);
    return j;
}

/* The option sets of the gate (ci_configs) that k honours. */
static size_t honoured_configs(const ob_plugin_kernel *k, size_t *idx, size_t max)
{
    size_t all[OB_MAX_HPARAMS + 2], n = ci_configs(k->opt, all, sizeof all / sizeof all[0]), m = 0;
    for (size_t c = 0; c < n && m < max; c++) {
        ob_hparams h;
        char msg[256];
        ob_hp_config(k->opt, all[c], &h);
        if (ob_plugin_hparams_check(k, &h, msg, sizeof msg) == 0) idx[m++] = all[c];
    }
    return m;
}

static cJSON *agreement_of(const ob_plugin_kernel *k, const size_t *idx, size_t nc, double bound, char *err,
                           size_t errlen)
{
    double worst = 0;
    char where[512] = "", w[512];
    for (size_t c = 0; c < nc; c++) {
        ob_hparams h;
        ob_hp_config(k->opt, idx[c], &h);
        ob_plugin_case *pc = ob_plugin_case_open(k, &h, CI_AGREE_N, 1, OB_PLUGIN_GUARDED, err, errlen);
        if (!pc) return NULL;
        double e = ob_agree_measure_step(k->opt, &h, plugin_step, pc, CI_AGREE_SEED + idx[c], CI_AGREE_N,
                                         CI_AGREE_STEPS, w, sizeof w);
        ob_plugin_case_close(pc);
        if (e < 0) {
            snprintf(err, errlen, "%s", e == -1 ? "out of memory" : w);
            return NULL;
        }
        if (e > worst || isnan(e)) {
            worst = e;
            snprintf(where, sizeof where, "%s", w);
        }
    }
    cJSON *j = cJSON_CreateObject();
    if (isfinite(worst)) cJSON_AddNumberToObject(j, "max_error_u", worst);
    else cJSON_AddNullToObject(j, "max_error_u");
    cJSON_AddNumberToObject(j, "bound_u", bound);
    cJSON_AddStringToObject(j, "where", where);
    return j;
}

static cJSON *convergence_of(const ob_plugin_kernel *k, double bound, char *err, size_t errlen)
{
    ob_suite s;
    if (ci_convergence_suite(&s, err, errlen) != 0) return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < s.n; i++) {
        ob_case *c = &s.cases[i];
        char msg[512];
        if (c->opt != k->opt || ob_plugin_hparams_check(k, &c->h, msg, sizeof msg) != 0) continue;
        /* The reference and the kernel only: optbench's paths are its own
         * gates' business. */
        c->isa_mask = 0;
        c->plugin[0] = k;
        c->n_plugins = 1;
        c->plugin_bound = bound;
        ob_case_result *r = malloc(sizeof *r);
        if (!r || ob_run_case(c, NULL, r, err, errlen) != 0) {
            if (r) snprintf(err + strlen(err), errlen - strlen(err), " (%s)", c->problem->name);
            free(r);
            cJSON_Delete(arr);
            arr = NULL;
            break;
        }
        const ob_path_result *p = &r->plugin[0];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", r->id);
        if (p->failed[0]) cJSON_AddStringToObject(j, "failed", p->failed);
        if (p->steps_to_target) cJSON_AddNumberToObject(j, "steps_to_target", (double)p->steps_to_target);
        else cJSON_AddNullToObject(j, "steps_to_target");
        char v[64];
        snprintf(v, sizeof v, "%.17g", p->final_loss);
        cJSON_AddStringToObject(j, "final_loss", v);
        cJSON_AddItemToArray(arr, j);
        free(r);
    }
    ob_suite_free(&s);
    return arr;
}

typedef struct measure_arg {
    const ob_plugin_kernel *k;
    double bound;
} measure_arg;

/* The child's work: the kernel's three records, as JSON text. */
static int measure_body(void *arg, void *result, size_t len, char *err, size_t errlen)
{
    const measure_arg *a = arg;
    const ob_plugin_kernel *k = a->k;
    size_t idx[OB_MAX_HPARAMS + 2], nc = honoured_configs(k, idx, sizeof idx / sizeof idx[0]);
    if (!nc) return snprintf(err, errlen, "honours none of the gate's option sets"), -1;
    cJSON *j = cJSON_CreateObject(), *ex = cJSON_AddArrayToObject(j, "exactness");
    for (size_t c = 0; c < nc; c++) {
        ob_hparams h;
        ob_hp_config(k->opt, idx[c], &h);
        cJSON *x = exact_one(k, &h, err, errlen);
        if (!x) return cJSON_Delete(j), -1;
        cJSON_AddItemToArray(ex, x);
    }
    cJSON *ag = agreement_of(k, idx, nc, a->bound, err, errlen);
    cJSON *cv = ag ? convergence_of(k, a->bound, err, errlen) : NULL;
    if (!ag || !cv) return cJSON_Delete(ag), cJSON_Delete(j), -1;
    cJSON_AddItemToObject(j, "agreement", ag);
    cJSON_AddItemToObject(j, "convergence", cv);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    int rc = text && strlen(text) < len ? 0 : -1;
    if (rc == 0) memcpy(result, text, strlen(text) + 1);
    else snprintf(err, errlen, "its record is too large");
    free(text);
    return rc;
}

cJSON *ci_plugin_measure(const ob_ci_options *opt, FILE *progress)
{
    cJSON *arr = cJSON_CreateArray();
    char *buf = malloc(CI_PLUGIN_JSON_MAX);
    for (size_t i = 0; i < opt->n_plugins; i++) {
        const ob_plugin_kernel *k = opt->plugins[i];
        measure_arg a = {k, opt->plugin_bound > 0 ? opt->plugin_bound : k->agree_bound};
        cJSON *j = NULL;
        ob_plugin_outcome out;
        if (progress) fprintf(progress, "optbench ci: plugin:%s\n", k->desc.name);
        if (buf && ob_plugin_isolate(measure_body, &a, buf, CI_PLUGIN_JSON_MAX, 0, &out) == OB_PLUGIN_RAN_OK)
            j = cJSON_Parse(buf);
        if (!j) {
            j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "failed", buf ? out.message : "out of memory");
        }
        char label[96];
        ob_plugin_label(k, label, sizeof label);
        cJSON_AddStringToObject(j, "kernel", label);
        cJSON_AddStringToObject(j, "optimizer", k->opt->name);
        cJSON_AddStringToObject(j, "plugin", ob_plugin_file(k));
        cJSON_AddItemToArray(arr, j);
    }
    free(buf);
    return arr;
}

/* ---- comparison ------------------------------------------------------------- */

static const cJSON *by_key(const cJSON *arr, const char *key, const char *value)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr)
    {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, key));
        if (v && value && !strcmp(v, value)) return x;
    }
    return NULL;
}

static const char *str(const cJSON *o, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return v ? v : "";
}

/* The first step whose hash differs (1-based), 0 when none does. */
static int first_step(const cJSON *a, const cJSON *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, "step_hashes"),
                *y = cJSON_GetObjectItemCaseSensitive(b, "step_hashes");
    int n = cJSON_GetArraySize(x) < cJSON_GetArraySize(y) ? cJSON_GetArraySize(x) : cJSON_GetArraySize(y);
    for (int i = 0; i < n; i++)
        if (strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(x, i)), cJSON_GetStringValue(cJSON_GetArrayItem(y, i))))
            return i + 1;
    return 0;
}

static void compare_exactness(const char *kname, const cJSON *m, const cJSON *b, ob_check_list *out)
{
    const cJSON *c;
    char name[192];
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(m, "exactness"))
    {
        snprintf(name, sizeof name, "%s/%s", kname, str(c, "id"));
        const cJSON *bc = by_key(cJSON_GetObjectItemCaseSensitive(b, "exactness"), "id", str(c, "id"));
        const char *info = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "identical_to_scalar"))
                               ? "bit-identical to optbench's scalar kernel"
                               : "differs from optbench's scalar kernel (information)";
        if (!bc)
            ob_checks_add(out, "exactness", name, OB_CHECK_FAIL,
                          "no baseline for this option set (run optbench ci --plugin ... --update-baseline)");
        else if (!strcmp(str(c, "hash"), str(bc, "hash")))
            ob_checks_add(out, "exactness", name, OB_CHECK_PASS, "hash %s unchanged; %s", str(c, "hash"), info);
        else
            ob_checks_add(out, "exactness", name, OB_CHECK_FAIL,
                          "hash %s, baseline %s: p or the state first differ after step %d of %d on the gate's "
                          "fixed inputs",
                          str(c, "hash"), str(bc, "hash"), first_step(c, bc), OB_CI_STEPS);
    }
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(b, "exactness"))
    {
        if (by_key(cJSON_GetObjectItemCaseSensitive(m, "exactness"), "id", str(c, "id"))) continue;
        snprintf(name, sizeof name, "%s/%s", kname, str(c, "id"));
        ob_checks_add(out, "exactness", name, OB_CHECK_FAIL, "in the baseline but not measured");
    }
}


static void compare_agreement(const char *kname, const cJSON *m, const cJSON *b, ob_check_list *out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "agreement");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(a, "max_error_u");
    const cJSON *be = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b, "agreement"),
                                                       "max_error_u");
    const double bound = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "bound_u"));
    const double v = cJSON_IsNumber(e) ? e->valuedouble : INFINITY;
    char name[192];
    snprintf(name, sizeof name, "%s/bound", kname);
    ob_checks_add(out, "agreement", name, v <= bound ? OB_CHECK_PASS : OB_CHECK_FAIL,
                  "max error %.6g u*S, bound %g%s%s", v, bound, v <= bound ? "" : ": ", v <= bound ? "" : str(a, "where"));
    snprintf(name, sizeof name, "%s/vs-baseline", kname);
    if (!b) return;
    if (!cJSON_IsNumber(be))
        ob_checks_add(out, "agreement", name, OB_CHECK_FAIL, "no baseline value");
    else if (ci_agree_grew(v, be->valuedouble))
        ob_checks_add(out, "agreement", name, OB_CHECK_FAIL, "max error grew from %.6g to %.6g u*S: %s",
                      be->valuedouble, v, str(a, "where"));
    else
        ob_checks_add(out, "agreement", name, OB_CHECK_PASS, "%.6g u*S (baseline %.6g)", v, be->valuedouble);
}

static void compare_convergence(const char *kname, const cJSON *m, const cJSON *b, ob_check_list *out)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(m, "convergence"))
    {
        char name[192];
        snprintf(name, sizeof name, "%s/%s", kname, str(c, "id"));
        const cJSON *bc = by_key(cJSON_GetObjectItemCaseSensitive(b, "convergence"), "id", str(c, "id"));
        if (str(c, "failed")[0]) {
            ob_checks_add(out, "convergence", name, OB_CHECK_FAIL, "the kernel failed: %s", str(c, "failed"));
            continue;
        }
        if (!b) continue;
        if (!bc) {
            ob_checks_add(out, "convergence", name, OB_CHECK_FAIL, "no baseline for this case");
            continue;
        }
        const cJSON *sm = cJSON_GetObjectItemCaseSensitive(c, "steps_to_target");
        const cJSON *sb = cJSON_GetObjectItemCaseSensitive(bc, "steps_to_target");
        double lm = strtod(str(c, "final_loss")[0] ? str(c, "final_loss") : "nan", NULL);
        double lb = strtod(str(bc, "final_loss")[0] ? str(bc, "final_loss") : "nan", NULL);
        int same_steps = cJSON_IsNumber(sm) == cJSON_IsNumber(sb) &&
                         (!cJSON_IsNumber(sm) || sm->valuedouble == sb->valuedouble);
        int same_loss = ci_loss_equal(lm, lb);
        char ssm[32], ssb[32];
        snprintf(ssm, sizeof ssm, cJSON_IsNumber(sm) ? "%.0f" : "never", cJSON_GetNumberValue(sm));
        snprintf(ssb, sizeof ssb, cJSON_IsNumber(sb) ? "%.0f" : "never", cJSON_GetNumberValue(sb));
        ob_checks_add(out, "convergence", name, same_steps && same_loss ? OB_CHECK_PASS : OB_CHECK_FAIL,
                      "steps to target %s (baseline %s), final loss %.9g (baseline %.9g)", ssm, ssb, lm, lb);
    }
}

void ci_plugin_compare(const cJSON *measured, const cJSON *baseline, ob_check_list *out)
{
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(measured, "plugins");
    const cJSON *bp = baseline ? cJSON_GetObjectItemCaseSensitive(baseline, "plugins") : NULL;
    const cJSON *k;
    cJSON_ArrayForEach(k, mp)
    {
        const char *kname = str(k, "kernel");
        if (str(k, "failed")[0]) {
            ob_checks_add(out, "exactness", kname, OB_CHECK_FAIL, "the kernel failed its checks: %s",
                          str(k, "failed"));
            continue;
        }
        const cJSON *b = by_key(bp, "kernel", kname);
        if (baseline && !b) {
            ob_checks_add(out, "exactness", kname, OB_CHECK_FAIL,
                          "not in the baseline (record it with --update-baseline)");
            continue;
        }
        /* Without a baseline (--update-baseline) only what one run can
         * judge: the bound and the kernel's failures. */
        if (b) compare_exactness(kname, k, b, out);
        compare_agreement(kname, k, b, out);
        compare_convergence(kname, k, b, out);
    }
    cJSON_ArrayForEach(k, bp)
    {
        if (!by_key(mp, "kernel", str(k, "kernel")))
            ob_checks_add(out, "exactness", str(k, "kernel"), OB_CHECK_FAIL,
                          "in the baseline but not measured (its --plugin not given?)");
    }
}
