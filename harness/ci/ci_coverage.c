/*
 * ci_coverage.c — the coverage gate of `optbench ci` (README "Use in
 * CI"): every ISA's kernel bit-identical to scalar at lengths that run
 * every block of that kernel.
 *
 * The exactness gate's single length (OB_CI_N = 67, fixed by the
 * committed hashes) reaches neither ISA's single-vector block; a kernel
 * broken only there passed it.  Here the lengths come from the kernel's
 * structure (ob_cover_lengths: the unrolled loop zero, one and two times,
 * every straight-line block, every tail remainder, n = 0 and 1), odd ones
 * from a pointer one float off alignment.  ISAs are compared with scalar
 * in the same run, so the gate needs nothing in the baseline.
 */
#include <stdlib.h>
#include <string.h>

#include "ci_internal.h"
#include "harness/core/ob_core.h"
#include "harness/testkit/ob_testkit.h"

/* Enough steps for every step-dependent path of the kernels (RAdam
 * rectifies from step 6 with the default beta2), few enough for < 1 s. */
#define COVER_STEPS 8

typedef struct cover_bufs {
    float *p[2], *g, *st[2][OB_MAX_STATE];
} cover_bufs;

static void bufs_free(cover_bufs *b)
{
    free(b->p[0]);
    free(b->p[1]);
    free(b->g);
    ob_state_free_f32(b->st[0]);
    ob_state_free_f32(b->st[1]);
}

static int bufs_alloc(const ob_optimizer *o, const ob_hparams *h, size_t n, cover_bufs *b)
{
    memset(b, 0, sizeof *b);
    b->p[0] = malloc((n + 1) * sizeof(float));
    b->p[1] = malloc((n + 1) * sizeof(float));
    b->g = malloc((n + 1) * sizeof(float));
    if (!b->p[0] || !b->p[1] || !b->g || ob_state_alloc_f32(o, h, n + 1, b->st[0]) != 0 ||
        ob_state_alloc_f32(o, h, n + 1, b->st[1]) != 0) {
        bufs_free(b);
        return -1;
    }
    return 0;
}

static uint32_t bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

/* COVER_STEPS steps of ref and k at length n, arrays `off` floats into
 * their allocations; a record of the first difference (step, then p
 * before the state arrays, then element), NULL when none; *oom on
 * allocation failure. */
static cJSON *cover_run(const ob_optimizer *o, const ob_hparams *h, ob_kernel_fn ref, ob_kernel_fn k,
                        size_t n, size_t off, int *oom)
{
    cover_bufs b;
    if (bufs_alloc(o, h, n, &b) != 0) {
        *oom = 1;
        return NULL;
    }
    float *p[2] = {b.p[0] + off, b.p[1] + off}, *g = b.g + off, *st[2][OB_MAX_STATE];
    for (int s = 0; s < 2; s++)
        for (size_t j = 0; j < OB_MAX_STATE; j++) st[s][j] = b.st[s][j] ? b.st[s][j] + off : NULL;
    ci_exact_x0(p[0], n);
    ci_exact_x0(p[1], n);
    unsigned mask = o->state_mask(h);
    cJSON *d = NULL;
    for (uint64_t t = 1; t <= COVER_STEPS && !d; t++) {
        ci_exact_grad(g, n, t);
        ob_step_scalars s;
        o->prepare(h, t, &s);
        ref(n, p[0], g, st[0], &s);
        k(n, p[1], g, st[1], &s);
        for (size_t a = 0; a <= o->n_state && !d; a++) {
            if (a > 0 && !((mask >> (a - 1)) & 1u)) continue;
            const float *x = a ? st[1][a - 1] : p[1], *y = a ? st[0][a - 1] : p[0];
            for (size_t i = 0; i < n; i++) {
                if (bits(x[i]) == bits(y[i])) continue;
                d = cJSON_CreateObject();
                cJSON_AddNumberToObject(d, "n", (double)n);
                cJSON_AddNumberToObject(d, "offset", (double)off);
                cJSON_AddNumberToObject(d, "step", (double)t);
                cJSON_AddStringToObject(d, "array", a ? o->state_names[a - 1] : "p");
                cJSON_AddNumberToObject(d, "index", (double)i);
                char hx[9];
                snprintf(hx, sizeof hx, "%08x", (unsigned)bits(x[i]));
                cJSON_AddStringToObject(d, "value", hx);
                snprintf(hx, sizeof hx, "%08x", (unsigned)bits(y[i]));
                cJSON_AddStringToObject(d, "expected", hx);
                break;
            }
        }
    }
    bufs_free(&b);
    return d;
}

/* o's kernel for isa, or the caller's override (a test injecting a bug). */
static ob_kernel_fn kernel_of(const ob_ci_options *opt, const ob_optimizer *o, ob_isa isa)
{
    if (opt->override_kernel && opt->override_opt && !strcmp(opt->override_opt, o->name) &&
        opt->override_isa == isa)
        return opt->override_kernel;
    return ob_optimizer_kernel(o, isa);
}

/* One record: o's kernel for isa against scalar at every derived length
 * and option set, up to the first difference. */
static cJSON *cover_isa(const ob_ci_options *opt, const ob_optimizer *o, ob_isa isa)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "optimizer", o->name);
    cJSON_AddStringToObject(r, "isa", ob_isa_name(isa));
    ob_kernel_fn ref = kernel_of(opt, o, OB_ISA_SCALAR), k = kernel_of(opt, o, isa);
    if (!k || !ref) {
        char why[32];
        snprintf(why, sizeof why, "no %s kernel", ob_isa_name(k ? OB_ISA_SCALAR : isa));
        cJSON_AddStringToObject(r, "skipped", why);
        return r;
    }
    size_t len[OB_COVER_MAX], nl = ob_cover_lengths(o, isa, len, OB_COVER_MAX);
    size_t idx[OB_MAX_HPARAMS + 2], nc = ci_configs(o, idx, sizeof idx / sizeof idx[0]);
    cJSON_AddNumberToObject(r, "lengths", (double)nl);
    cJSON_AddNumberToObject(r, "max_n", nl ? (double)len[nl - 1] : 0);
    cJSON_AddNumberToObject(r, "unroll", (double)ob_cover_unroll(o, isa));
    cJSON_AddNumberToObject(r, "configs", (double)nc);
    cJSON_AddNumberToObject(r, "steps", COVER_STEPS);
    int oom = 0;
    for (size_t c = 0; c < nc; c++) {
        ob_hparams h;
        ob_hp_config(o, idx[c], &h);
        for (size_t li = 0; li < nl; li++) {
            cJSON *d = cover_run(o, &h, ref, k, len[li], len[li] & 1u, &oom);
            if (oom) {
                cJSON_AddStringToObject(r, "error", "out of memory");
                return r;
            }
            if (!d) continue;
            char id[192], where[256];
            ob_hp_config_name(o, &h, id, sizeof id);
            cJSON_AddStringToObject(d, "id", id);
            ci_kernel_where(o, isa, len[li], (size_t)cJSON_GetNumberValue(cJSON_GetObjectItem(d, "index")),
                            where, sizeof where);
            cJSON_AddStringToObject(d, "where", where);
            cJSON_AddItemToObject(r, "first_diff", d);
            return r;
        }
    }
    return r;
}

cJSON *ci_coverage_measure(const ob_ci_options *opt, const ob_optimizer *const *opts, size_t nopt)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t oi = 0; oi < nopt; oi++)
        for (int i = 0; i < OB_ISA_COUNT; i++)
            if (i != OB_ISA_SCALAR && ob_isa_supported((ob_isa)i))
                cJSON_AddItemToArray(arr, cover_isa(opt, opts[oi], (ob_isa)i));
    return arr;
}

static const char *str_of(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double num_of(const cJSON *o, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

void ci_coverage_compare(const cJSON *measured, ob_check_list *out)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(measured, "coverage"))
    {
        char name[192];
        snprintf(name, sizeof name, "%s/%s", str_of(r, "optimizer") ? str_of(r, "optimizer") : "?",
                 str_of(r, "isa") ? str_of(r, "isa") : "?");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "first_diff");
        if (str_of(r, "skipped"))
            ob_checks_add(out, "coverage", name, OB_CHECK_SKIP, "%s", str_of(r, "skipped"));
        else if (str_of(r, "error"))
            ob_checks_add(out, "coverage", name, OB_CHECK_FAIL, "%s", str_of(r, "error"));
        else if (d)
            ob_checks_add(out, "coverage", name, OB_CHECK_FAIL,
                          "%s differs from scalar at n = %.0f (arrays %.0f float(s) off alignment), step "
                          "%.0f: %s[%.0f] = %s (scalar %s), computed in %s",
                          str_of(d, "id"), num_of(d, "n"), num_of(d, "offset"), num_of(d, "step"),
                          str_of(d, "array"), num_of(d, "index"), str_of(d, "value"), str_of(d, "expected"),
                          str_of(d, "where"));
        else
            ob_checks_add(out, "coverage", name, OB_CHECK_PASS,
                          "bit-identical to scalar at %.0f lengths 0..%.0f (every block: %.0f vector(s) per "
                          "iteration), %.0f option set(s), %.0f steps",
                          num_of(r, "lengths"), num_of(r, "max_n"), num_of(r, "unroll"), num_of(r, "configs"),
                          num_of(r, "steps"));
    }
}
