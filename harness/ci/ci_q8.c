/*
 * ci_q8.c — 8-bit block-wise state in `optbench ci` (README "8-bit state",
 * kernels/framework/ob_mixed.h): per q8 preset and optimizer that offers
 * it, every vector ISA's q8 step byte-identical to scalar (p, codes and
 * absmax) at lengths around the vector widths and the block boundaries,
 * from unaligned starts and with NaN/Inf gradients (ci_exact_grad's first
 * elements), gate "coverage"; and the q8 agreement contract against the
 * double reference, gate "agreement".  Both are judged within the run: the
 * checks need nothing from the baseline, so a baseline recorded before q8
 * existed still passes, and they are listed as new checks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ci_internal.h"
#include "harness/core/ob_core.h"
#include "harness/testkit/ob_testkit.h"
#include "kernels/framework/ob_mixed.h"

#define Q8_STEPS 4
#define Q8_BLOCK 64 /* the lengths below cross blocks of this size */

static void q8_hparams(const ob_optimizer *o, ob_hparams *h)
{
    ob_hparams_default(o, h);
    if (!strcmp(o->name, "sgd")) h->momentum = 0.9; /* the momentum buffer is the state */
}

/* Q8_STEPS steps of o in f on scalar and on isa at length n, arrays `off`
 * elements into their allocations; 0 if every byte agrees, 1 if not (what
 * names the first array), -1 on failure (message in what). */
static int q8_run(const ob_optimizer *o, const ob_hparams *h, const ob_format *f, ob_isa isa, size_t n,
                  size_t off, char *what, size_t wlen)
{
    const size_t sp = ob_dtype_size(f->param), ss = ob_mixed_state_array_bytes(f, n);
    unsigned char *mem[2][4] = {{NULL}};
    int rc = 0;
    float *g = malloc((n ? n : 1) * sizeof(float)), *x0 = malloc((n ? n : 1) * sizeof(float));
    /* p starts off elements, the state arrays off bytes into their
     * allocations. */
    const size_t po = off * sp;
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++) mem[s][a] = calloc(off * 4 + (a == 0 ? n * sp : ss) + 1, 1);
    for (int s = 0; s < 2 && g && x0; s++)
        for (int a = 0; a < 4; a++) rc |= !mem[s][a];
    if (rc || !g || !x0) {
        snprintf(what, wlen, "out of memory");
        rc = -1;
        goto done;
    }
    ci_exact_x0(x0, n);
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < n; i++) {
            if (f->param == OB_DT_BF16) ((uint16_t *)(void *)(mem[s][0] + po))[i] = ob_f32_to_bf16_rne(x0[i]);
            else memcpy(mem[s][0] + po + 4 * i, &x0[i], 4);
        }
    for (uint64_t t = 1; t <= Q8_STEPS && !rc; t++) {
        ci_exact_grad(g, n, t);
        for (int s = 0; s < 2 && rc >= 0; s++) {
            void *st[OB_MAX_STATE] = {mem[s][1] + off, mem[s][2] + off, mem[s][3] + off, NULL};
            char err[256];
            if (ob_step_mixed(o, s ? isa : OB_ISA_SCALAR, h, t, f, 1.0f, n, mem[s][0] + po, g, st, 1, NULL, err,
                              sizeof err) != 0) {
                snprintf(what, wlen, "%s", err);
                rc = -1;
            }
        }
        for (int a = 0; a < 4 && !rc; a++)
            if (memcmp(mem[0][a] + (a ? off : po), mem[1][a] + (a ? off : po), a == 0 ? n * sp : ss)) {
                snprintf(what, wlen, "step %llu: %s", (unsigned long long)t,
                         a == 0 ? "p" : o->state_names[a - 1] ? o->state_names[a - 1] : "state");
                rc = 1;
            }
    }
done:
    free(g);
    free(x0);
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++) free(mem[s][a]);
    return rc;
}

cJSON *ci_q8_measure(const ob_optimizer *const *opts, size_t nopt)
{
    static const char *const presets[] = {"q8-state", "q8-state-b256", "q8-state-bf16-params"};
    cJSON *arr = cJSON_CreateArray();
    for (size_t pi = 0; pi < sizeof presets / sizeof presets[0]; pi++) {
        ob_format f;
        char err[256];
        if (ob_format_parse(presets[pi], &f, err, sizeof err) != 0) continue;
        char spec[96];
        snprintf(spec, sizeof spec, "%s,block=%u", presets[pi], Q8_BLOCK);
        ob_format fb; /* the same storage with small blocks: many block boundaries */
        if (ob_format_parse(spec, &fb, err, sizeof err) != 0) continue;
        for (size_t oi = 0; oi < nopt; oi++) {
            const ob_optimizer *o = opts[oi];
            ob_hparams h;
            q8_hparams(o, &h);
            if (!ob_q8_offered(o, &h, err, sizeof err)) continue;
            for (int i = 0; i < OB_ISA_COUNT; i++) {
                if (i == OB_ISA_SCALAR || !ob_isa_supported((ob_isa)i)) continue;
                const size_t W = ob_isa_width((ob_isa)i);
                const size_t len[] = {0, 1, W - 1, W, W + 1, 8 * W + 3, Q8_BLOCK - 1, Q8_BLOCK + 1,
                                      3 * Q8_BLOCK + 5, f.block + 7};
                cJSON *r = cJSON_CreateObject();
                cJSON_AddStringToObject(r, "format", presets[pi]);
                cJSON_AddStringToObject(r, "optimizer", o->name);
                cJSON_AddStringToObject(r, "isa", ob_isa_name((ob_isa)i));
                cJSON_AddNumberToObject(r, "lengths", (double)(sizeof len / sizeof len[0]));
                for (size_t li = 0; li < sizeof len / sizeof len[0]; li++) {
                    char what[300] = "";
                    const ob_format *ff = li + 1 < sizeof len / sizeof len[0] ? &fb : &f;
                    const int rc = q8_run(o, &h, ff, (ob_isa)i, len[li], len[li] & 3u, what, sizeof what);
                    if (rc) {
                        char d[400];
                        snprintf(d, sizeof d, "%s at n = %zu (block %u, arrays %zu elements off alignment): %s",
                                 rc < 0 ? "failed" : "differs from scalar", len[li], (unsigned)ff->block,
                                 len[li] & 3u, what);
                        cJSON_AddStringToObject(r, "first_diff", d);
                        break;
                    }
                }
                cJSON_AddItemToArray(arr, r);
            }
            char where[512] = "";
            const double e = ob_mixed_agree_measure(o, &h, &f, OB_ISA_SCALAR, 0x0b8, 300, 4, where, sizeof where);
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "format", presets[pi]);
            cJSON_AddStringToObject(a, "optimizer", o->name);
            cJSON_AddStringToObject(a, "isa", "agreement");
            ob_json_add_num(a, "max_fraction", e);
            cJSON_AddStringToObject(a, "where", where);
            cJSON_AddItemToArray(arr, a);
        }
    }
    return arr;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return s ? s : "?";
}

void ci_q8_compare(const cJSON *measured, ob_check_list *out)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(measured, "q8"))
    {
        char name[192];
        snprintf(name, sizeof name, "%s/%s/%s", str_of(r, "format"), str_of(r, "optimizer"), str_of(r, "isa"));
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "max_fraction");
        if (e) {
            const double v = cJSON_IsNumber(e) ? e->valuedouble : INFINITY;
            if (v >= 0 && v <= 1)
                ob_checks_add(out, "agreement", name, OB_CHECK_PASS,
                              "%.3f of the q8 allowance (new check: judged in the run, not in the baseline)", v);
            else
                ob_checks_add(out, "agreement", name, OB_CHECK_FAIL, "%.6g of the q8 allowance: %s", v,
                              str_of(r, "where"));
            continue;
        }
        const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "first_diff"));
        if (d) ob_checks_add(out, "coverage", name, OB_CHECK_FAIL, "%s", d);
        else
            ob_checks_add(out, "coverage", name, OB_CHECK_PASS,
                          "bit-identical to scalar (p, codes, absmax) at %.0f lengths (new check: within the "
                          "run, not in the baseline)",
                          cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "lengths")));
    }
}
