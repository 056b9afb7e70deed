/*
 * fuzz_diff.c — differential fuzzing of the kernels.
 *
 * From the input: an optimizer, hyperparameters anywhere in the range
 * validation accepts (the table's specs up to FLT_MAX: the bounds
 * themselves, the values just inside open bounds, defaults, toggles,
 * double and fp32 subnormals, FLT_MIN, 1 - 2^-k, huge values, a spread over
 * every binade; ob_fuzz_hp_value), a step t, a length n and a
 * start offset, and states and gradients with special values (+-0,
 * subnormals, huge values, NaN, +-Inf, raw bit patterns).  One to three
 * steps are run on every ISA this CPU has, on buffers that end exactly at
 * the end of their allocation (AddressSanitizer catches any read or write
 * past them), with NULL for the state arrays the options do not use.
 *
 * Properties, for every input:
 *   1. every ISA is bit-identical to scalar in p and in every state array
 *      in use (the numeric contract, README "Numeric contract");
 *   2. each scalar step agrees with the double reference from the same
 *      state within the optimizer's documented bound B * u * S, for every
 *      hyperparameter validation accepts, on finite inputs of magnitude at
 *      most 2^40.  Where an fp32 intermediate (d, g^2, v, m / den, ...) can
 *      overflow, or a denominator underflow to 0, where the double one does
 *      not, the reference itself reports an infinite scale, which the
 *      check accepts (README "Agreement bounds"; such elements are covered
 *      by bit-identity only); so does centered RMSprop where its variance
 *      is lost to rounding (found by this fuzzer:
 *      regressions/diff/rmsprop-centered-*).  Hyperparameters below FLT_MIN
 *      are held to the bound through their rounding error (reference/
 *      ref_scale.h, ref_hp).  The check is per element: the kernels are
 *      element-wise.
 * When the input runs out, the rest comes from a generator seeded by it.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "harness/testkit/ob_testkit.h"
#include "optbench/optimizers.h"
#include "optbench/reference.h"
#include "ob_fuzz.h"

#define MAX_N 600
#define CONTRACT_MAG 0x1p40

static int in_contract_f(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || fabsf(x[i]) > CONTRACT_MAG) return 0;
    return 1;
}

/* ob_agree_error over the elements with keep[i] set; *at is the worst. */
static double agree_kept(const float *k, const double *r, const double *S, const unsigned char *keep,
                         size_t n, size_t *at)
{
    double worst = 0;
    *at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t one;
        if (!keep[i]) continue;
        double e = ob_agree_error(&k[i], &r[i], &S[i], 1, &one);
        if (e > worst) {
            worst = e;
            *at = i;
        }
    }
    return worst;
}

static uint32_t bits_of(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* One buffer of n floats at `off` floats into an allocation that ends
 * right after it. */
static float *buf_alloc(float **base, size_t n, size_t off)
{
    *base = malloc((off + n ? off + n : 1) * sizeof(float));
    if (!*base) abort();
    return *base + off;
}

ob_fuzz_diff_stats ob_fuzz_diff_counts;

int ob_fuzz_diff(const uint8_t *data, size_t size)
{
    ob_fuzz_diff_counts.inputs++;
    ob_fuzz_reader r;
    ob_fuzz_reader_init(&r, data, size, 0x0b5eed);
    ob_hparams h;
    const ob_optimizer *o = ob_fuzz_optimizer(&r, &h);
    char err[512];
    if (!o) return 0; /* a rule across keys, e.g. nesterov */
    ob_fuzz_diff_counts.valid++;
    /* t up to 2^20: NAdam's product of mu_i is computed step by step from
     * the last step seen (ob_ref_nadam_mu_product), so one cold call at
     * t = 2^32 loops 4e9 times (this fuzzer's first timeout, reported). */
    unsigned ts = ob_fuzz_byte(&r) % 8;
    uint64_t t = ts < 6    ? 1 + ob_fuzz_byte(&r) % 8
                 : ts == 6 ? 1 + (ob_fuzz_u32(&r) & 0xffff)
                           : 1 + (ob_fuzz_u32(&r) & 0xfffff);
    size_t n = (ob_fuzz_byte(&r) | (size_t)ob_fuzz_byte(&r) << 8) % (MAX_N + 1);
    size_t off = ob_fuzz_byte(&r) % 16;
    unsigned steps = 1 + ob_fuzz_byte(&r) % 3;
    unsigned mask = o->state_mask(&h);
    char cfg[256];
    ob_hp_config_name(o, &h, cfg, sizeof cfg);

    /* Inputs: p, g, the state arrays (all of them: unused ones are ignored). */
    float *p0, *p0b, *g, *gb, *s0[OB_MAX_STATE] = {NULL}, *s0b[OB_MAX_STATE] = {NULL};
    p0 = buf_alloc(&p0b, n, 0);
    g = buf_alloc(&gb, n, off);
    for (size_t k = 0; k < o->n_state; k++) s0[k] = buf_alloc(&s0b[k], n, 0);
    for (size_t i = 0; i < n; i++) {
        p0[i] = ob_fuzz_float(&r, 0);
        g[i] = ob_fuzz_float(&r, 0);
        for (size_t k = 0; k < o->n_state; k++) s0[k][i] = ob_fuzz_float(&r, ob_state_nonneg(o, k));
    }
    /* Per ISA: its own p and state, run `steps` steps; scalar first. */
    float *p[OB_ISA_COUNT] = {NULL}, *pb[OB_ISA_COUNT] = {NULL};
    float *st[OB_ISA_COUNT][OB_MAX_STATE] = {{NULL}}, *stb[OB_ISA_COUNT][OB_MAX_STATE] = {{NULL}};
    double *pd = malloc((n ? n : 1) * sizeof *pd), *gd = malloc((n ? n : 1) * sizeof *gd);
    double *sd[OB_MAX_STATE] = {NULL}, *sc[1 + OB_MAX_STATE] = {NULL};
    if (!pd || !gd) abort();
    for (size_t k = 0; k < OB_MAX_STATE; k++)
        if (!(sd[k] = malloc((n ? n : 1) * sizeof(double)))) abort();
    for (size_t k = 0; k < 1 + OB_MAX_STATE; k++)
        if (!(sc[k] = malloc((n ? n : 1) * sizeof(double)))) abort();
    unsigned char *keep = malloc(n ? n : 1);
    if (!keep) abort();
    for (size_t i = 0; i < n; i++) gd[i] = g[i];
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        if (!ob_optimizer_runs_on(o, (ob_isa)isa, NULL, 0)) continue; /* also: a scalar-only entry */
        p[isa] = buf_alloc(&pb[isa], n, off);
        if (n) memcpy(p[isa], p0, n * sizeof(float));
        for (size_t k = 0; k < o->n_state; k++) {
            if (!((mask >> k) & 1u)) continue; /* unused: NULL, and must stay untouched */
            st[isa][k] = buf_alloc(&stb[isa][k], n, off);
            if (n) memcpy(st[isa][k], s0[k], n * sizeof(float));
        }
        for (unsigned s = 0; s < steps; s++) {
            /* Property 2, from the scalar path's own state before the step,
             * on the elements inside the contract (the kernels are
             * element-wise: each element is its own check). */
            int check = isa == OB_ISA_SCALAR;
            if (check) {
                for (size_t i = 0; i < n; i++) {
                    int in = in_contract_f(&p[isa][i], 1) && in_contract_f(&g[i], 1);
                    pd[i] = p[isa][i];
                    for (size_t k = 0; k < o->n_state; k++) {
                        sd[k][i] = st[isa][k] ? st[isa][k][i] : 0.0;
                        if (st[isa][k]) in = in && in_contract_f(&st[isa][k][i], 1);
                    }
                    keep[i] = (unsigned char)in;
                }
                o->reference(&h, t + s, n, pd, gd, sd, sc);
            }
            OB_FUZZ_CHECK(ob_step(o, (ob_isa)isa, &h, t + s, n, p[isa], g, st[isa], err, sizeof err) == 0,
                          "%s t=%llu n=%zu: %s", cfg, (unsigned long long)(t + s), n, err);
            if (!check) continue;
            for (size_t i = 0; i < n; i++) {
                ob_fuzz_diff_counts.elems_checked += (size_t)keep[i];
                ob_fuzz_diff_counts.elems_outside += (size_t)!keep[i];
            }
            size_t at;
            double e = agree_kept(p[isa], pd, sc[0], keep, n, &at);
            OB_FUZZ_CHECK(e <= o->agree_bound,
                          "%s t=%llu n=%zu: p[%zu] = %.9g, reference %.17g, S = %g: %.3g u*S > %g", cfg,
                          (unsigned long long)(t + s), n, at, (double)p[isa][at], pd[at], sc[0][at], e,
                          o->agree_bound);
            for (size_t k = 0; k < o->n_state; k++) {
                if (!st[isa][k]) continue;
                e = agree_kept(st[isa][k], sd[k], sc[1 + k], keep, n, &at);
                OB_FUZZ_CHECK(e <= o->agree_bound,
                              "%s t=%llu n=%zu: %s[%zu] = %.9g, reference %.17g, S = %g: %.3g u*S > %g", cfg,
                              (unsigned long long)(t + s), n, o->state_names[k], at, (double)st[isa][k][at],
                              sd[k][at], sc[1 + k][at], e, o->agree_bound);
            }
        }
        /* Property 1. */
        if (isa == OB_ISA_SCALAR) continue;
        ob_fuzz_diff_counts.isa_compared++;
        for (size_t i = 0; i < n; i++) {
            OB_FUZZ_CHECK(bits_of(p[isa][i]) == bits_of(p[OB_ISA_SCALAR][i]),
                          "%s/%s t=%llu n=%zu off=%zu: p[%zu] = %.9g (0x%08x), scalar %.9g (0x%08x)", cfg,
                          ob_isa_name((ob_isa)isa), (unsigned long long)t, n, off, i, (double)p[isa][i],
                          bits_of(p[isa][i]), (double)p[OB_ISA_SCALAR][i], bits_of(p[OB_ISA_SCALAR][i]));
            for (size_t k = 0; k < o->n_state; k++)
                OB_FUZZ_CHECK(!st[isa][k] || bits_of(st[isa][k][i]) == bits_of(st[OB_ISA_SCALAR][k][i]),
                              "%s/%s t=%llu n=%zu off=%zu: %s[%zu] = %.9g (0x%08x), scalar %.9g (0x%08x)",
                              cfg, ob_isa_name((ob_isa)isa), (unsigned long long)t, n, off, o->state_names[k],
                              i, (double)st[isa][k][i], bits_of(st[isa][k][i]),
                              (double)st[OB_ISA_SCALAR][k][i], bits_of(st[OB_ISA_SCALAR][k][i]));
        }
    }
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        free(pb[isa]);
        for (size_t k = 0; k < OB_MAX_STATE; k++) free(stb[isa][k]);
    }
    for (size_t k = 0; k < OB_MAX_STATE; k++) {
        free(s0b[k]);
        free(sd[k]);
    }
    for (size_t k = 0; k < 1 + OB_MAX_STATE; k++) free(sc[k]);
    free(p0b);
    free(gb);
    free(pd);
    free(gd);
    free(keep);
    return 0;
}

OB_FUZZ_ENTRY(ob_fuzz_diff)
