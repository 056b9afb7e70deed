/*
 * ci.c — the CI regression suite (ob_ci.h): measurement and comparison of
 * the exactness, agreement and convergence gates; the speed gate is
 * ci_speed.c, the check list and its output formats checks.c.
 */
#include "ob_ci.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ci_internal.h"
#include "harness/core/ob_core.h"
#include "harness/run/ob_run.h"
#include "harness/testkit/ob_testkit.h"

void ob_ci_options_default(ob_ci_options *o)
{
    memset(o, 0, sizeof *o);
    o->speed = 1;
    o->speed_alpha = 0.05;
    o->speed_effect = 0.08;
    o->speed_reps = 9;
    o->speed_min_time = 0.02;
}

/* ---- exactness ------------------------------------------------------------ */

/* FNV-1a, 64-bit, over the little-endian bytes of fp32 values: a hash of
 * exact bit patterns, identical on every machine. */
uint64_t ci_hash_f32(uint64_t h, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &x[i], 4);
        for (int k = 0; k < 4; k++) {
            h ^= (b >> (8 * k)) & 0xffu;
            h *= 0x100000001b3ull;
        }
    }
    return h;
}


/* The inputs (fixed x0 and gradients, special values in the first 8
 * elements) are ci_where.c's ci_exact_x0 and ci_exact_grad. */

typedef struct exact_out {
    uint64_t step_hash[OB_CI_STEPS];
    float final[1 + OB_MAX_STATE][OB_CI_N];
    unsigned mask;
} exact_out;

static int exact_run(const ob_optimizer *o, const ob_hparams *h, ob_kernel_fn k, exact_out *r)
{
    float p[OB_CI_N], g[OB_CI_N], *st[OB_MAX_STATE];
    if (ob_state_alloc_f32(o, h, OB_CI_N, st) != 0) return -1;
    ci_exact_x0(p, OB_CI_N);
    r->mask = o->state_mask(h);
    for (uint64_t t = 1; t <= OB_CI_STEPS; t++) {
        ci_exact_grad(g, OB_CI_N, t);
        ob_step_scalars s;
        o->prepare(h, t, &s);
        k(OB_CI_N, p, g, st, &s);
        uint64_t hh = ci_hash_f32(CI_HASH_OFFSET, p, OB_CI_N);
        for (size_t j = 0; j < o->n_state; j++)
            if ((r->mask >> j) & 1u) hh = ci_hash_f32(hh, st[j], OB_CI_N);
        r->step_hash[t - 1] = hh;
    }
    memcpy(r->final[0], p, sizeof p);
    for (size_t j = 0; j < o->n_state; j++) memcpy(r->final[1 + j], st[j], sizeof p);
    ob_state_free_f32(st);
    return 0;
}

static void hex64(char *buf, uint64_t v)
{
    snprintf(buf, 17, "%016llx", (unsigned long long)v);
}

/* An array as comma-separated 8-digit bit patterns. */
static cJSON *bits_string(const float *x, size_t n)
{
    char *s = malloc(n * 9 + 1);
    if (!s) return cJSON_CreateNull();
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &x[i], 4);
        snprintf(s + 9 * i, 10, "%08x%s", (unsigned)b, i + 1 < n ? "," : "");
    }
    cJSON *j = cJSON_CreateString(s);
    free(s);
    return j;
}

static cJSON *exact_json(const ob_optimizer *o, const exact_out *r, int with_arrays)
{
    cJSON *j = cJSON_CreateObject();
    char h[17];
    hex64(h, r->step_hash[OB_CI_STEPS - 1]);
    cJSON_AddStringToObject(j, "hash", h);
    cJSON *sh = cJSON_AddArrayToObject(j, "step_hashes");
    for (int t = 0; t < OB_CI_STEPS; t++) {
        hex64(h, r->step_hash[t]);
        cJSON_AddItemToArray(sh, cJSON_CreateString(h));
    }
    if (with_arrays) {
        cJSON *fin = cJSON_AddObjectToObject(j, "final");
        cJSON_AddItemToObject(fin, "p", bits_string(r->final[0], OB_CI_N));
        for (size_t k = 0; k < o->n_state; k++)
            if ((r->mask >> k) & 1u)
                cJSON_AddItemToObject(fin, o->state_names[k], bits_string(r->final[1 + k], OB_CI_N));
    }
    return j;
}

/* The option sets of the exactness and agreement gates: the defaults, each
 * option toggled alone, and all of them toggled (when valid). */
int ci_agree_grew(double measured, double baseline)
{
    return measured > baseline * (1 + CI_AGREE_MARGIN) + 1e-12;
}

int ci_loss_equal(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b || fabs(a - b) <= CI_LOSS_RTOL * fabs(b);
}

size_t ci_configs(const ob_optimizer *o, size_t *idx, size_t max)
{
    size_t n = 0, all = ob_hp_config_count(o) - 1;
    ob_hparams h;
    for (size_t k = 0; k <= o->n_hparams + 1 && n < max; k++) {
        size_t c = k == 0 ? 0 : k <= o->n_hparams ? (size_t)1 << (k - 1) : all;
        int dup = 0;
        for (size_t j = 0; j < n; j++) dup |= idx[j] == c;
        if (!dup && ob_hp_config(o, c, &h) == 0) idx[n++] = c;
    }
    return n;
}

static cJSON *measure_exactness(const ob_ci_options *opt, const ob_optimizer *const *opts, size_t nopt)
{
    cJSON *ex = cJSON_CreateObject();
    cJSON_AddNumberToObject(ex, "n", OB_CI_N);
    cJSON_AddNumberToObject(ex, "steps", OB_CI_STEPS);
    cJSON *cases = cJSON_AddArrayToObject(ex, "cases");
    exact_out *r = malloc(sizeof *r);
    if (!r) return ex;
    for (size_t oi = 0; oi < nopt; oi++) {
        const ob_optimizer *o = opts[oi];
        size_t idx[OB_MAX_HPARAMS + 2];
        size_t nc = ci_configs(o, idx, sizeof idx / sizeof idx[0]);
        for (size_t c = 0; c < nc; c++) {
            ob_hparams h;
            ob_hp_config(o, idx[c], &h);
            char id[192];
            ob_hp_config_name(o, &h, id, sizeof id);
            cJSON *cj = cJSON_CreateObject();
            cJSON_AddStringToObject(cj, "id", id);
            cJSON_AddStringToObject(cj, "optimizer", o->name);
            cJSON_AddNumberToObject(cj, "config", (double)idx[c]);
            cJSON *isa = cJSON_AddObjectToObject(cj, "isa");
            ob_kernel_fn kscalar = NULL;
            uint64_t hscalar = 0;
            for (int i = 0; i < OB_ISA_COUNT; i++) {
                if (!ob_isa_supported((ob_isa)i)) continue;
                ob_kernel_fn k = ob_optimizer_kernel(o, (ob_isa)i);
                if (opt->override_kernel && opt->override_opt && !strcmp(opt->override_opt, o->name) &&
                    opt->override_isa == (ob_isa)i)
                    k = opt->override_kernel;
                if (!k) { /* SKIPPED: no kernel for this ISA (ob_ci_compare reports it) */
                    char why[32];
                    snprintf(why, sizeof why, "no %s kernel", ob_isa_name((ob_isa)i));
                    cJSON_AddStringToObject(cJSON_AddObjectToObject(isa, ob_isa_name((ob_isa)i)), "skipped",
                                            why);
                    continue;
                }
                if (exact_run(o, &h, k, r) != 0) continue;
                cJSON *xj = exact_json(o, r, 1);
                uint64_t hh = r->step_hash[OB_CI_STEPS - 1];
                if (i == OB_ISA_SCALAR) {
                    kscalar = k;
                    hscalar = hh;
                } else if (kscalar && hh != hscalar) { /* where it first differs, for the report */
                    cJSON *d = ci_exact_locate(o, &h, kscalar, k);
                    if (d) cJSON_AddItemToObject(xj, "first_diff", d);
                }
                cJSON_AddItemToObject(isa, ob_isa_name((ob_isa)i), xj);
            }
            cJSON_AddItemToArray(cases, cj);
        }
    }
    free(r);
    return ex;
}

/* ---- agreement and convergence --------------------------------------------- */


static cJSON *measure_agreement(const ob_optimizer *const *opts, size_t nopt, const ob_ci_options *opt)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t oi = 0; oi < nopt; oi++) {
        const ob_optimizer *o = opts[oi];
        size_t idx[OB_MAX_HPARAMS + 2];
        size_t nc = ci_configs(o, idx, sizeof idx / sizeof idx[0]);
        double worst = 0;
        size_t worst_cfg = 0;
        char where[512] = "", w[512];
        ob_kernel_fn k = NULL;
        if (opt->override_kernel && opt->override_opt && !strcmp(opt->override_opt, o->name) &&
            opt->override_isa == OB_ISA_SCALAR)
            k = opt->override_kernel;
        for (size_t c = 0; c < nc; c++) {
            ob_hparams h;
            ob_hp_config(o, idx[c], &h);
            double e = ob_agree_measure(o, &h, k, CI_AGREE_SEED + c, CI_AGREE_N, CI_AGREE_STEPS, w, sizeof w);
            if (e > worst || isnan(e)) {
                worst = e;
                worst_cfg = idx[c];
                snprintf(where, sizeof where, "%s", w);
            }
        }
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "optimizer", o->name);
        if (isfinite(worst)) cJSON_AddNumberToObject(j, "max_error_u", worst);
        else cJSON_AddNullToObject(j, "max_error_u");
        cJSON_AddNumberToObject(j, "bound_u", o->agree_bound);
        cJSON_AddStringToObject(j, "where", where);
        cJSON_AddNumberToObject(j, "config", (double)worst_cfg); /* of "where" (ob_hp_config) */
        cJSON_AddItemToArray(arr, j);
    }
    return arr;
}

/* The CI problems: cheap, deterministic, and free of transcendental
 * functions in f, so the double-precision gradients (and hence every fp32
 * step) are the same with any libm. */
static const char ci_convergence_suite_json[] =
    "{\"cases\": ["
    "{\"problem\": \"mgh_rosenbrock\", \"steps\": 400,"
    " \"lr\": {\"sgd\": 1e-3, \"adagrad\": 0.5, \"rmsprop\": 1e-3, \"*\": 0.02},"
    " \"set\": {\"sgd\": [\"momentum=0.9\"]}},"
    "{\"problem\": \"quad_diag\", \"n\": 50, \"params\": [\"cond=100\"], \"steps\": 300,"
    " \"lr\": {\"sgd\": 0.009, \"adagrad\": 0.5, \"rmsprop\": 0.01, \"*\": 0.05}},"
    "{\"problem\": \"booth\", \"steps\": 300,"
    " \"lr\": {\"sgd\": 0.02, \"adagrad\": 0.5, \"rmsprop\": 0.01, \"*\": 0.05}}"
    "]}";

int ci_convergence_suite(ob_suite *s, char *err, size_t errlen)
{
    cJSON *root = cJSON_Parse(ci_convergence_suite_json);
    int rc = root ? ob_suite_from_json(root, "CI convergence suite", s, err, errlen) : -1;
    cJSON_Delete(root);
    return rc;
}

static cJSON *measure_convergence(const ob_optimizer *const *opts, size_t nopt, const ob_ci_options *opt,
                                  char *err, size_t errlen)
{
    ob_suite s;
    if (ci_convergence_suite(&s, err, errlen) != 0) return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < s.n; i++) {
        ob_case *c = &s.cases[i];
        /* Matched by name, so a caller's modified table entry (a test
         * injecting a bug) replaces the table's. */
        const ob_optimizer *chosen = NULL;
        for (size_t k = 0; k < nopt; k++)
            if (!strcmp(opts[k]->name, c->opt->name)) chosen = opts[k];
        if (!chosen) continue;
        c->opt = chosen;
        c->isa_mask = 1u << OB_ISA_SCALAR;
        if (opt->override_kernel && opt->override_opt && !strcmp(opt->override_opt, c->opt->name) &&
            opt->override_isa == OB_ISA_SCALAR)
            c->kernel_override[OB_ISA_SCALAR] = opt->override_kernel;
        ob_case_result r;
        if (ob_run_case(c, NULL, &r, err, errlen) != 0) {
            ob_suite_free(&s);
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", r.id);
        const ob_path_result *p = &r.isa[OB_ISA_SCALAR];
        if (p->steps_to_target) cJSON_AddNumberToObject(j, "steps_to_target", (double)p->steps_to_target);
        else cJSON_AddNullToObject(j, "steps_to_target");
        char v[64];
        snprintf(v, sizeof v, "%.17g", p->final_loss);
        cJSON_AddStringToObject(j, "final_loss", v); /* a string: exact, and NaN-safe */
        cJSON_AddStringToObject(j, "optimizer", c->opt->name);
        char line[1024];
        ci_run_line(c, line, sizeof line);
        cJSON_AddStringToObject(j, "repro", line);
        cJSON_AddItemToArray(arr, j);
    }
    ob_suite_free(&s);
    return arr;
}

/* The speed gate's section of this machine into m (with opt->speed);
 * m, or NULL (m freed) when it failed. */
static cJSON *ci_add_speed(cJSON *m, const ob_ci_options *opt, FILE *progress, char *err, size_t errlen)
{
    if (!opt->speed) return m;
    if (progress) fprintf(progress, "optbench ci: speed (%d repetitions per case)\n", opt->speed_reps);
    cJSON *sp = ob_ci_speed_measure(opt, err, errlen);
    if (!sp) {
        cJSON_Delete(m);
        return NULL;
    }
    cJSON *speed = cJSON_AddObjectToObject(m, "speed");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(speed, "sections"), sp);
    return m;
}

cJSON *ob_ci_measure(const ob_ci_options *opt, int argc, char **argv, FILE *progress, char *err,
                     size_t errlen)
{
    const ob_optimizer *const *opts = opt->opts ? opt->opts : ob_optimizer_table;
    size_t nopt = opt->opts ? opt->n_opts : ob_optimizer_count;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "format", OB_CI_FORMAT);
    cJSON_AddNumberToObject(m, "version", OB_CI_VERSION);
    cJSON_AddItemToObject(m, "meta", ob_run_metadata(argc, argv, 0));
    if (opt->n_plugins) {
        /* The user's kernels only (ci_plugin.c), and their speed; optbench's
         * own gates are there, empty, so that the file reads as any
         * baseline. */
        cJSON_AddArrayToObject(cJSON_AddObjectToObject(m, "exactness"), "cases");
        cJSON_AddArrayToObject(m, "agreement");
        cJSON_AddArrayToObject(m, "convergence");
        cJSON_AddItemToObject(m, "plugins", ci_plugin_measure(opt, progress));
        return ci_add_speed(m, opt, progress, err, errlen);
    }
    if (progress)
        fprintf(progress, "optbench ci: exactness (%d steps x %d elements per case)\n", OB_CI_STEPS, OB_CI_N);
    cJSON_AddItemToObject(m, "exactness", measure_exactness(opt, opts, nopt));
    if (progress) fprintf(progress, "optbench ci: coverage (every block of every kernel)\n");
    cJSON_AddItemToObject(m, "coverage", ci_coverage_measure(opt, opts, nopt));
    if (progress) fprintf(progress, "optbench ci: 8-bit state (q8 formats against scalar and the reference)\n");
    cJSON_AddItemToObject(m, "q8", ci_q8_measure(opts, nopt));
    if (progress) fprintf(progress, "optbench ci: agreement\n");
    cJSON_AddItemToObject(m, "agreement", measure_agreement(opts, nopt, opt));
    if (progress) fprintf(progress, "optbench ci: convergence\n");
    cJSON *conv = measure_convergence(opts, nopt, opt, err, errlen);
    if (!conv) {
        cJSON_Delete(m);
        return NULL;
    }
    cJSON_AddItemToObject(m, "convergence", conv);
    return ci_add_speed(m, opt, progress, err, errlen);
}

/* ---- comparison -------------------------------------------------------------- */

static const cJSON *find_by(const cJSON *arr, const char *key, const char *value)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, key);
        if (cJSON_IsString(v) && !strcmp(v->valuestring, value)) return it;
    }
    return NULL;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* First step whose hash differs (1-based), 0 if none. */
static int first_step_diff(const cJSON *a, const cJSON *b)
{
    const cJSON *sa = cJSON_GetObjectItemCaseSensitive(a, "step_hashes");
    const cJSON *sb = cJSON_GetObjectItemCaseSensitive(b, "step_hashes");
    int na = cJSON_GetArraySize(sa), nb = cJSON_GetArraySize(sb);
    for (int t = 0; t < na && t < nb; t++) {
        const cJSON *x = cJSON_GetArrayItem(sa, t), *y = cJSON_GetArrayItem(sb, t);
        if (!cJSON_IsString(x) || !cJSON_IsString(y) || strcmp(x->valuestring, y->valuestring)) return t + 1;
    }
    return na == nb ? 0 : (na < nb ? na : nb) + 1;
}

/* The first element that differs between two final-state records: its
 * array and index, and both bit patterns (got from a, want from b).
 * Returns 1 if found; 0 with *array "" when none differs or nothing was
 * recorded. */
typedef struct elem_diff {
    char array[64];
    size_t index;
    char got[9], want[9];
} elem_diff;

static int first_elem_diff(const cJSON *a, const cJSON *b, elem_diff *d)
{
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(a, "final");
    const cJSON *fb = cJSON_GetObjectItemCaseSensitive(b, "final");
    memset(d, 0, sizeof *d);
    const cJSON *arr;
    cJSON_ArrayForEach(arr, fa)
    {
        const char *x = cJSON_IsString(arr) ? arr->valuestring : NULL;
        const char *y = str_of(fb, arr->string);
        if (!x || !y) continue;
        for (size_t i = 0; *x && *y; i++) {
            if (strncmp(x, y, 8) != 0) {
                snprintf(d->array, sizeof d->array, "%s", arr->string);
                d->index = i;
                snprintf(d->got, sizeof d->got, "%.8s", x);
                snprintf(d->want, sizeof d->want, "%.8s", y);
                return 1;
            }
            x += x[8] == ',' ? 9 : 8;
            y += y[8] == ',' ? 9 : 8;
        }
    }
    return 0;
}

static void compare_exactness(const cJSON *m, const cJSON *b, const char *dir, ob_check_list *out)
{
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "exactness"),
                                                       "cases");
    const cJSON *bc = b ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b, "exactness"),
                                                           "cases")
                        : NULL;
    const cJSON *c;
    cJSON_ArrayForEach(c, mc)
    {
        const char *id = str_of(c, "id");
        const cJSON *isa = cJSON_GetObjectItemCaseSensitive(c, "isa");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(isa, "scalar");
        const cJSON *bcase = bc ? find_by(bc, "id", id) : NULL;
        const cJSON *bs = bcase ? cJSON_GetObjectItemCaseSensitive(
                                      cJSON_GetObjectItemCaseSensitive(bcase, "isa"), "scalar")
                                : NULL;
        const char *hm = str_of(sc, "hash"), *hb = str_of(bs, "hash");
        int scalar_changed = bs && !(hm && hb && !strcmp(hm, hb));
        const cJSON *x;
        cJSON_ArrayForEach(x, isa)
        {
            char name[192];
            snprintf(name, sizeof name, "%s/%s", id, x->string);
            if (x == sc) continue;
            if (str_of(x, "skipped")) {
                ob_checks_add(out, "exactness", name, OB_CHECK_SKIP, "%s", str_of(x, "skipped"));
                continue;
            }
            const char *hx = str_of(x, "hash"), *hs = str_of(sc, "hash");
            if (hx && hs && !strcmp(hx, hs)) {
                ob_checks_add(out, "exactness", name, OB_CHECK_PASS, "bit-identical to scalar (hash %s)", hx);
            } else {
                char detail[1024];
                ci_isa_diff_detail(c, x->string, cJSON_GetObjectItemCaseSensitive(x, "first_diff"),
                                   first_step_diff(x, sc), dir, detail, sizeof detail);
                /* Which side is wrong: the baseline check says whether scalar moved. */
                ob_checks_add(out, "exactness", name, OB_CHECK_FAIL, "%s%s", detail,
                              scalar_changed ? " [the scalar kernel changed too: see scalar-vs-baseline]"
                                             : "");
            }
        }
        if (!bc) continue;
        char name[192];
        snprintf(name, sizeof name, "%s/scalar-vs-baseline", id);
        if (!bs) {
            ob_checks_add(
                out, "exactness", name, OB_CHECK_FAIL,
                "no baseline for this case (a new optimizer or option? run optbench ci --update-baseline)");
            continue;
        }
        if (!scalar_changed) {
            ob_checks_add(out, "exactness", name, OB_CHECK_PASS, "hash %s unchanged", hm);
        } else {
            char detail[1024];
            elem_diff d;
            snprintf(detail, sizeof detail,
                     "scalar hash changed (%s, baseline %s): first differs at step %d; ", hm ? hm : "?",
                     hb ? hb : "?", first_step_diff(sc, bs));
            size_t k = strlen(detail);
            if (!first_elem_diff(sc, bs, &d))
                snprintf(detail + k, sizeof detail - k, "final arrays equal or not recorded");
            else {
                snprintf(detail + k, sizeof detail - k, "final %s[%zu] = %s (expected %s)", d.array, d.index,
                         d.got, d.want);
                ci_baseline_diff_detail(c, d.array, d.index, d.got, d.want, dir, detail, sizeof detail);
            }
            ob_checks_add(out, "exactness", name, OB_CHECK_FAIL, "%s", detail);
        }
    }
    /* Cases that vanished from the measurement. */
    cJSON_ArrayForEach(c, bc)
    {
        const char *id = str_of(c, "id");
        if (id && !find_by(mc, "id", id))
            ob_checks_add(out, "exactness", id, OB_CHECK_FAIL, "in the baseline but not measured");
    }
}

static void compare_agreement(const cJSON *m, const cJSON *b, ob_check_list *out)
{
    const cJSON *ma = cJSON_GetObjectItemCaseSensitive(m, "agreement");
    const cJSON *ba = b ? cJSON_GetObjectItemCaseSensitive(b, "agreement") : NULL;
    const cJSON *a;
    cJSON_ArrayForEach(a, ma)
    {
        const char *o = str_of(a, "optimizer");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(a, "max_error_u");
        double bound = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "bound_u"));
        char name[192];
        snprintf(name, sizeof name, "%s/bound", o);
        char more[768] = "";
        ci_agreement_detail(a, CI_AGREE_N, CI_AGREE_STEPS, more, sizeof more);
        if (!cJSON_IsNumber(e) || e->valuedouble > bound)
            ob_checks_add(out, "agreement", name, OB_CHECK_FAIL,
                          "max error %.6g u*S exceeds the bound %g: %s%s",
                          cJSON_IsNumber(e) ? e->valuedouble : INFINITY, bound, str_of(a, "where"), more);
        else
            ob_checks_add(out, "agreement", name, OB_CHECK_PASS, "max error %.3f u*S <= %g", e->valuedouble,
                          bound);
        if (!ba) continue;
        snprintf(name, sizeof name, "%s/vs-baseline", o);
        const cJSON *bb = find_by(ba, "optimizer", o);
        const cJSON *be = bb ? cJSON_GetObjectItemCaseSensitive(bb, "max_error_u") : NULL;
        if (!cJSON_IsNumber(be)) {
            ob_checks_add(out, "agreement", name, OB_CHECK_FAIL, "no baseline value for %s", o);
        } else if (!cJSON_IsNumber(e) || ci_agree_grew(e->valuedouble, be->valuedouble)) {
            ob_checks_add(out, "agreement", name, OB_CHECK_FAIL, "max error grew from %.6g to %.6g u*S: %s%s",
                          be->valuedouble, cJSON_IsNumber(e) ? e->valuedouble : INFINITY, str_of(a, "where"),
                          more);
        } else {
            ob_checks_add(out, "agreement", name, OB_CHECK_PASS, "%.6g u*S (baseline %.6g)", e->valuedouble,
                          be->valuedouble);
        }
    }
}

static void compare_convergence(const cJSON *m, const cJSON *b, ob_check_list *out)
{
    if (!b) return;
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(m, "convergence");
    const cJSON *bc = cJSON_GetObjectItemCaseSensitive(b, "convergence");
    const cJSON *c;
    cJSON_ArrayForEach(c, mc)
    {
        const char *id = str_of(c, "id");
        const cJSON *bb = find_by(bc, "id", id);
        if (!bb) {
            ob_checks_add(out, "convergence", id, OB_CHECK_FAIL, "no baseline for this case");
            continue;
        }
        const cJSON *sm = cJSON_GetObjectItemCaseSensitive(c, "steps_to_target");
        const cJSON *sb = cJSON_GetObjectItemCaseSensitive(bb, "steps_to_target");
        double lm = strtod(str_of(c, "final_loss") ? str_of(c, "final_loss") : "nan", NULL);
        double lb = strtod(str_of(bb, "final_loss") ? str_of(bb, "final_loss") : "nan", NULL);
        char ssm[32], ssb[32];
        snprintf(ssm, sizeof ssm, cJSON_IsNumber(sm) ? "%.0f" : "never", cJSON_GetNumberValue(sm));
        snprintf(ssb, sizeof ssb, cJSON_IsNumber(sb) ? "%.0f" : "never", cJSON_GetNumberValue(sb));
        int same_steps = strcmp(ssm, ssb) == 0;
        int same_loss = ci_loss_equal(lm, lb);
        if (same_steps && same_loss)
            ob_checks_add(out, "convergence", id, OB_CHECK_PASS, "steps to target %s, final loss %.9g", ssm,
                          lm);
        else {
            char more[768] = "";
            ci_convergence_detail(c, more, sizeof more);
            ob_checks_add(out, "convergence", id, OB_CHECK_FAIL,
                          "steps to target %s (baseline %s), final loss %.9g (baseline %.9g)%s", ssm, ssb, lm,
                          lb, more);
        }
    }
}

void ob_ci_compare(const cJSON *measured, const cJSON *baseline, const ob_ci_options *opt, ob_check_list *out)
{
    compare_exactness(measured, baseline, opt && opt->repro_dir ? opt->repro_dir : OB_CI_REPRO_DIR, out);
    ci_coverage_compare(measured, out);
    ci_q8_compare(measured, out);
    compare_agreement(measured, baseline, out);
    compare_convergence(measured, baseline, out);
    ci_plugin_compare(measured, baseline, out);
    ob_ci_compare_speed(measured, baseline, opt, out);
}

cJSON *ob_ci_baseline_read(const char *path, char *err, size_t errlen)
{
    char msg[512];
    cJSON *b = ob_json_read(path, msg, sizeof msg);
    if (!b) {
        snprintf(err, errlen, "baseline %s: %s (create one with optbench ci --update-baseline)", path, msg);
        return NULL;
    }
    const char *fmt = str_of(b, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(b, "version");
    if (!fmt || strcmp(fmt, OB_CI_FORMAT) != 0) {
        snprintf(err, errlen, "%s is not an optbench CI baseline (format \"%s\", expected \"%s\")", path,
                 fmt ? fmt : "missing", OB_CI_FORMAT);
        cJSON_Delete(b);
        return NULL;
    }
    /* Version 1 differs only in its speed part (ob_ci.h). */
    if (!cJSON_IsNumber(ver) || (ver->valuedouble != 1 && ver->valuedouble != OB_CI_VERSION)) {
        snprintf(
            err, errlen,
            "%s has baseline format version %g; this optbench reads versions 1 and %d (regenerate it with optbench ci --update-baseline)",
            path, cJSON_IsNumber(ver) ? ver->valuedouble : -1.0, OB_CI_VERSION);
        cJSON_Delete(b);
        return NULL;
    }
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(b, "exactness")) ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(b, "agreement")) ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(b, "convergence"))) {
        snprintf(err, errlen, "%s is malformed: it lacks the exactness, agreement or convergence section",
                 path);
        cJSON_Delete(b);
        return NULL;
    }
    if (ver->valuedouble == 1) {
        ob_ci_speed_upgrade(b);
        cJSON_ReplaceItemInObjectCaseSensitive(b, "version", cJSON_CreateNumber(OB_CI_VERSION));
    }
    return b;
}
