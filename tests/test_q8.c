/*
 * test_q8.c — 8-bit block-wise optimizer state (kernels/framework/ob_mixed.h
 * "8-bit block-wise state"; Dettmers, Lewis, Shleifer & Zettlemoyer 2022).
 *
 *  - the dynamic tree codebook: 256 values, strictly ascending, 0 and 1
 *    present, the signed one symmetric, the count per decade and known
 *    values from the definition; midpoints strictly between neighbours;
 *  - the code search: nearest code, a value on a midpoint takes the lower
 *    code, the next float up the upper one;
 *  - the ISA operations (dequantize, absmax, quantize) bit-identical to
 *    scalar at lengths 0, 1, W-1, W, W+1, 8W+3 and unaligned pointers,
 *    with NaN, Inf, zeros and subnormals;
 *  - the q8 step: every q8 format x Adam, AdamW, Lion, SGD x lengths
 *    around the vector widths and the block boundaries x unaligned starts
 *    x 1-2 threads, NaN and Inf gradients mixed in, bit-identical to
 *    scalar in every ISA (codes and absmax); the documented special cases
 *    (all-zero block, a NaN gradient poisons its block);
 *  - agreement with the double reference within the q8 contract, and the
 *    contract's judgement on a constructed midpoint case;
 *  - the formats, bytes and the "not offered" error.
 *
 * ISAs the CPU lacks are SKIPPED with the reason.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/framework/ob_mixed.h"
#include "common/ob_test.h"

#define SEED ((unsigned long long)ob_test_seed())

static const ob_isa isas[] = {OB_ISA_SCALAR, OB_ISA_AVX2, OB_ISA_AVX512};

/* ---- the codebook -------------------------------------------------------- */

Test(codebook, properties_from_the_definition)
{
    for (int u = 0; u < 2; u++) {
        const float *q = ob_q8_codebook(u), *m = ob_q8_midpoints(u);
        for (int j = 0; j < 255; j++) {
            cr_assert(q[j] < q[j + 1], "u=%d: Q[%d] = %g >= Q[%d] = %g", u, j, q[j], j + 1, q[j + 1]);
            cr_assert(q[j] < m[j] && m[j] < q[j + 1], "u=%d: midpoint %d = %g not between", u, j, m[j]);
            cr_assert_eq(m[j], (float)(((double)q[j] + q[j + 1]) / 2));
        }
        cr_assert(isinf(m[255]));
        cr_assert_eq(q[255], 1.0f);
        cr_assert_eq(q[ob_q8_zero_code(u)], 0.0f);
        /* Per decade [10^(i-7), 10^(i-6)): 2^i values (signed, per sign)
         * or 2^(i+1) (unsigned). */
        for (int i = 0; i < 7; i++) {
            const double lo = pow(10, i - 7), hi = pow(10, i - 6);
            int c = 0;
            for (int j = 0; j < 256; j++) c += q[j] > lo && q[j] < hi;
            cr_assert_eq(c, u ? 2 << i : 1 << i, "u=%d decade %d: %d values", u, i, c);
        }
    }
    const float *s = ob_q8_codebook(0), *v = ob_q8_codebook(1);
    for (int j = 0; j < 127; j++) cr_assert_eq(s[j], -s[254 - j], "signed code %d not symmetric", j);
    cr_assert_eq(s[128], (float)(1e-6 * 0.55));
    cr_assert_eq(s[254], (float)(0.1 + 0.9 * 63.5 / 64));
    cr_assert_eq(s[0], -(float)(0.1 + 0.9 * 63.5 / 64));
    cr_assert_eq(v[0], 0.0f);
    cr_assert_eq(v[1], (float)(1e-6 * (0.1 + 0.9 * 0.5 / 2)));
    cr_assert_eq(v[254], (float)(0.1 + 0.9 * 127.5 / 128));
}

Test(codebook, nearest_code_ties_to_the_lower)
{
    for (int u = 0; u < 2; u++) {
        const float *q = ob_q8_codebook(u), *m = ob_q8_midpoints(u);
        for (int j = 0; j < 256; j++) cr_assert_eq(ob_q8_code_of(q[j], u), j);
        for (int j = 0; j < 255; j++) {
            cr_assert_eq(ob_q8_code_of(m[j], u), j, "u=%d: the midpoint %d goes to the lower code", u, j);
            cr_assert_eq(ob_q8_code_of(nextafterf(m[j], INFINITY), u), j + 1);
            cr_assert_eq(ob_q8_code_of(nextafterf(m[j], -INFINITY), u), j);
        }
        cr_assert_eq(ob_q8_code_of(NAN, u), 0);
        cr_assert_eq(ob_q8_code_of(2.0f, u), 255);
    }
    cr_assert_eq(ob_q8_code_of(-0.0f, 0), 127);
}

/* ---- the ISA operations ---------------------------------------------------- */

static float special(ob_rng *r)
{
    const unsigned k = (unsigned)(ob_rng_next(r) % 16);
    if (k == 0) return 0.0f;
    if (k == 1) return -0.0f;
    return ob_rng_special_float(r, 0);
}

Test(ops, bit_identical_in_every_isa)
{
    static const size_t lens[] = {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 67, 127, 128, 131, 255, 256, 257, 1000};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed());
    float *x = malloc(1100 * 4), *d0 = malloc(1100 * 4), *d1 = malloc(1100 * 4);
    uint8_t *c = malloc(1100), *c0 = malloc(1100), *c1 = malloc(1100);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
        for (size_t off = 0; off < 3; off++)
            for (int u = 0; u < 2; u++) {
                const size_t n = lens[li];
                for (size_t i = 0; i < n + off; i++) {
                    x[i] = ob_rng_next(&rng) % 4 ? (float)ob_rng_logmag(&rng, 1e-9, 1, u) : special(&rng);
                    c[i] = (uint8_t)ob_rng_next(&rng);
                }
                const ob_cvt_ops *s = ob_cvt_ops_for(OB_ISA_SCALAR);
                int bad0 = 0;
                const float a0 = s->q8_absmax(n, x + off, &bad0);
                s->q8_dequant(n, c + off, 0.37f, ob_q8_codebook(u), d0 + off);
                s->q8_quant(n, x + off, 1.7f, ob_q8_quant_table(u), c0 + off);
                for (size_t k = 1; k < 3; k++) {
                    if (!ob_isa_supported(isas[k])) continue;
                    const ob_cvt_ops *v = ob_cvt_ops_for(isas[k]);
                    int bad1 = 0;
                    const float a1 = v->q8_absmax(n, x + off, &bad1);
                    cr_assert(!memcmp(&a0, &a1, 4) && bad0 == bad1, "%s absmax n=%zu: %g/%d vs %g/%d", v->name, n,
                              a1, bad1, a0, bad0);
                    /* AVX-512: with the VBMI byte permutes where the CPU
                     * has them, and with the gather alone. */
                    for (int vbmi = 1; vbmi >= 0; vbmi--) {
                        const int was = ob_q8_vbmi_set(vbmi);
                        memset(d1, 0x55, 1100 * 4);
                        v->q8_dequant(n, c + off, 0.37f, ob_q8_codebook(u), d1 + off);
                        ob_q8_vbmi_set(was);
                        cr_assert(!memcmp(d0 + off, d1 + off, n * 4), "%s dequant n=%zu off=%zu vbmi=%d", v->name, n,
                                  off, vbmi);
                        cr_assert_eq(((uint32_t *)(void *)d1)[off + n], 0x55555555u, "%s wrote past n", v->name);
                    }
                    memset(c1, 0x55, 1100);
                    v->q8_quant(n, x + off, 1.7f, ob_q8_quant_table(u), c1 + off);
                    cr_assert(!memcmp(c0 + off, c1 + off, n), "%s quant n=%zu off=%zu", v->name, n, off);
                    cr_assert_eq(c1[off + n], 0x55, "%s wrote past n", v->name);
                }
            }
    free(x);
    free(d0);
    free(d1);
    free(c);
    free(c0);
    free(c1);
}

/* ---- the step ------------------------------------------------------------ */

typedef struct qbuf {
    unsigned char *base[2 + 2];
    void *p, *g, *st[OB_MAX_STATE];
    size_t bytes[4], off[4];
} qbuf;

/* p, g and two state arrays of n elements in format f, p and g `off`
 * elements and the state `off` bytes into allocations that end right
 * after them. */
static void qbuf_alloc(qbuf *b, const ob_format *f, size_t n, size_t off)
{
    memset(b, 0, sizeof *b);
    b->bytes[0] = n * ob_dtype_size(f->param);
    b->bytes[1] = n * ob_dtype_size(f->grad);
    b->bytes[2] = b->bytes[3] = ob_mixed_state_array_bytes(f, n);
    void **dst[4] = {&b->p, &b->g, &b->st[0], &b->st[1]};
    for (int k = 0; k < 4; k++) {
        b->off[k] = k == 0 ? off * ob_dtype_size(f->param) : k == 1 ? off * ob_dtype_size(f->grad) : off;
        b->base[k] = malloc(b->bytes[k] + b->off[k] + 1);
        cr_assert(b->base[k]);
        *dst[k] = b->base[k] + b->off[k];
    }
}

static void qbuf_free(qbuf *b)
{
    for (int k = 0; k < 4; k++) free(b->base[k]);
}

/* Random p, grads with NaN/Inf (specials), and a state from random values. */
static void qbuf_fill(qbuf *b, const ob_optimizer *o, const ob_format *f, size_t n, ob_rng *r, int specials)
{
    float *x = malloc((n ? n : 1) * 4);
    for (size_t i = 0; i < n; i++) {
        const float v = (float)ob_rng_logmag(r, 1e-3, 1, 0);
        if (f->param == OB_DT_BF16) ((uint16_t *)b->p)[i] = ob_f32_to_bf16_rne(v);
        else memcpy((char *)b->p + 4 * i, &v, 4);
        const float gv = specials && ob_rng_next(r) % 97 == 0 ? special(r) : (float)ob_rng_logmag(r, 1e-6, 1, 0);
        if (f->grad == OB_DT_BF16) ((uint16_t *)b->g)[i] = ob_f32_to_bf16_rne(gv);
        else memcpy((char *)b->g + 4 * i, &gv, 4);
    }
    for (size_t k = 0; k < 2; k++) {
        const int u = ob_q8_state_unsigned(o, k);
        for (size_t i = 0; i < n; i++) x[i] = (float)ob_rng_logmag(r, 1e-8, 1e-1, u);
        for (size_t lo = 0; lo < n; lo += f->block) {
            const size_t m = n - lo < f->block ? n - lo : f->block;
            ob_q8_absmax_set(b->st[k], n, lo / f->block,
                             ob_q8_quantize_block(m, x + lo, (uint8_t *)b->st[k] + lo, u));
        }
    }
    free(x);
}

static const char *const q8_opts[] = {"adam", "adamw", "lion", "sgd"};

static void step_identity(const ob_format *f, size_t n, size_t off, int specials, ob_rng *rng)
{
    /* The four optimizers, then SGD with Nesterov momentum (each flag of
     * the fused passes, kernels/avx512/q8_vbmi.c, is on somewhere). */
    for (size_t oi = 0; oi < 5; oi++) {
        const ob_optimizer *o = ob_optimizer_find(q8_opts[oi < 4 ? oi : 3]);
        ob_hparams h;
        ob_hparams_default(o, &h);
        if (!strcmp(o->name, "sgd")) h.momentum = 0.9;
        h.nesterov = oi == 4;
        h.weight_decay = 0.01;
        qbuf a, b;
        qbuf_alloc(&a, f, n, 0);
        qbuf_fill(&a, o, f, n, rng, specials);
        for (size_t k = 1; k < 3; k++)
            for (int threads = 1; threads <= 2; threads++) {
                if (!ob_isa_supported(isas[k])) continue;
                qbuf_alloc(&b, f, n, off);
                for (int j = 0; j < 4; j++) memcpy(b.base[j] + b.off[j], a.base[j], a.bytes[j]);
                qbuf s;
                qbuf_alloc(&s, f, n, 0);
                for (int j = 0; j < 4; j++) memcpy(s.base[j], a.base[j], a.bytes[j]);
                for (uint64_t t = 1; t <= 3; t++) {
                    char err[256];
                    cr_assert_eq(ob_step_mixed(o, OB_ISA_SCALAR, &h, t, f, 1.0f, n, s.p, s.g, s.st, 1, NULL, err,
                                               sizeof err),
                                 0, "%s", err);
                    cr_assert_eq(ob_step_mixed(o, isas[k], &h, t, f, 1.0f, n, b.p, b.g, b.st, threads, NULL, err,
                                               sizeof err),
                                 0, "%s", err);
                    for (int j = 0; j < 4; j++)
                        cr_assert(!memcmp(s.base[j], b.base[j] + b.off[j], s.bytes[j]),
                                  "%s %s %s n=%zu off=%zu threads=%d step %llu: array %d differs from scalar",
                                  f->name, o->name, ob_isa_name(isas[k]), n, off, threads, (unsigned long long)t,
                                  j);
                }
                qbuf_free(&s);
                qbuf_free(&b);
            }
        qbuf_free(&a);
    }
}

Test(step, bit_identical_in_every_isa_and_thread_count, .timeout = 300)
{
    static const char *const fmts[] = {"q8-state", "q8-state-b256", "q8-state-bf16-params",
                                       "state=q8,block=64,grad=bf16"};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 1);
    for (size_t fi = 0; fi < sizeof fmts / sizeof fmts[0]; fi++) {
        ob_format f;
        char err[256];
        cr_assert_eq(ob_format_parse(fmts[fi], &f, err, sizeof err), 0, "%s", err);
        const size_t B = f.block;
        const size_t lens[] = {0, 1, 7, 8, 9, 15, 16, 17, 67, 131, B - 1, B, B + 1, 2 * B + 5};
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
            step_identity(&f, lens[li], li % 3 ? 1 + li % 4 : 0, li % 2, &rng);
    }
}

/* The fused first passes (kernels/avx512/q8_vbmi.c) are what the AVX-512
 * step runs where the CPU has VBMI, for every q8 optimizer and both
 * parameter types, so the identity test above compares them with scalar;
 * the generic path stays for stochastic rounding and other ISAs. */
Test(step, the_fused_passes_are_found)
{
    if (!ob_q8_vbmi_supported()) {
        cr_log_warn("SKIPPED: this CPU has no AVX512-VBMI (no fused q8 pass)");
        return;
    }
    static const char *const fmts[] = {"q8-state", "q8-state-bf16-params"};
    for (size_t oi = 0; oi < 4; oi++)
        for (size_t fi = 0; fi < 2; fi++) {
            ob_format f;
            char err[256];
            cr_assert_eq(ob_format_parse(fmts[fi], &f, err, sizeof err), 0, "%s", err);
            const ob_fused_kernel *k = ob_fused_find(ob_optimizer_find(q8_opts[oi]), OB_ISA_AVX512, &f);
            cr_assert(k && k->q8 && !k->fn && k->needs_vbmi, "%s/%s: no fused q8 pass", q8_opts[oi], fmts[fi]);
            cr_assert_null(ob_fused_find(ob_optimizer_find(q8_opts[oi]), OB_ISA_AVX2, &f));
        }
}

Test(step, special_blocks)
{
    ob_format f;
    char err[256];
    cr_assert_eq(ob_format_parse("state=q8,block=64", &f, err, sizeof err), 0, "%s", err);
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    const size_t n = 192; /* three blocks */
    float p[192], g[192];
    qbuf b;
    qbuf_alloc(&b, &f, n, 0);
    memset(b.st[0], 0, b.bytes[2]); /* an all-zero buffer is a zero state */
    memset(b.st[1], 0, b.bytes[3]);
    for (size_t i = 0; i < n; i++) {
        p[i] = 1;
        g[i] = i < 64 ? 0.0f : 0.5f; /* block 0: all zero */
    }
    g[100] = NAN; /* block 1 */
    cr_assert_eq(ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &f, 1.0f, n, p, g, b.st, 1, NULL, err, sizeof err), 0, "%s",
                 err);
    for (size_t k = 0; k < 2; k++) {
        const int u = ob_q8_state_unsigned(o, k);
        cr_assert_eq(ob_q8_absmax_get(b.st[k], n, 0), 0.0f);
        cr_assert(isnan(ob_q8_absmax_get(b.st[k], n, 1)), "a NaN makes its block's absmax NaN");
        cr_assert(ob_q8_absmax_get(b.st[k], n, 2) > 0);
        for (size_t i = 0; i < 128; i++)
            cr_assert_eq(((uint8_t *)b.st[k])[i], ob_q8_zero_code(u), "element %zu: the zero code", i);
    }
    cr_assert(isnan(p[100]) && !isnan(p[99]) && p[0] == 1.0f);
    g[100] = 0.5f;
    cr_assert_eq(ob_step_mixed(o, OB_ISA_SCALAR, &h, 2, &f, 1.0f, n, p, g, b.st, 1, NULL, err, sizeof err), 0, "%s",
                 err);
    for (size_t i = 64; i < 128; i++) cr_assert(isnan(p[i]), "the NaN block reads back as NaN (element %zu)", i);
    cr_assert(!isnan(p[130]) && !isnan(p[10]));
    qbuf_free(&b);
}

/* ---- agreement --------------------------------------------------------------- */

Test(agreement, within_the_q8_contract, .timeout = 300)
{
    static const char *const fmts[] = {"q8-state", "q8-state-b256", "q8-state-bf16-params"};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 2);
    for (size_t fi = 0; fi < 3; fi++) {
        ob_format f;
        char err[256];
        cr_assert_eq(ob_format_parse(fmts[fi], &f, err, sizeof err), 0, "%s", err);
        double worst = 0;
        for (size_t oi = 0; oi < 4; oi++) {
            const ob_optimizer *o = ob_optimizer_find(q8_opts[oi]);
            for (size_t c = 0; c < ob_hp_config_count(o); c++) {
                ob_hparams h;
                if (ob_hp_config(o, c, &h) != 0 || h.amsgrad) continue;
                char where[512];
                const double e =
                    ob_mixed_agree_measure(o, &h, &f, OB_ISA_SCALAR, ob_rng_next(&rng), 600, 4, where, sizeof where);
                cr_assert(e >= 0 && e <= 1.0, "%s: %.3g of the allowance at %s; seed %#llx", f.name, e, where, SEED);
                worst = e > worst ? e : worst;
            }
        }
        cr_log_info("%s: worst %.3f of the q8 allowance", f.name, worst);
    }
}

Test(agreement, judgement_at_a_constructed_midpoint)
{
    ob_format f;
    char err[256];
    cr_assert_eq(ob_format_parse("state=q8,block=64", &f, err, sizeof err), 0, "%s", err);
    const float *q = ob_q8_codebook(0);
    const int j = 200;
    const double mid = ((double)q[j] + q[j + 1]) / 2;
    double r[2] = {1.0, mid}, S[2] = {1e-3, 1e-3};
    unsigned char st[2 + 4];
    ob_q8_absmax_set(st, 2, 0, 1.0f);
    st[0] = 255;
    size_t at;
    /* Exactly on the midpoint: either neighbour passes. */
    st[1] = (unsigned char)j;
    cr_assert_leq(ob_q8_agree_array(&f, 0, 2, st, r, S, 10, &at), 1.0);
    st[1] = (unsigned char)(j + 1);
    cr_assert_leq(ob_q8_agree_array(&f, 0, 2, st, r, S, 10, &at), 1.0);
    /* Two codes away: fails. */
    st[1] = (unsigned char)(j + 2);
    cr_assert(ob_q8_agree_array(&f, 0, 2, st, r, S, 10, &at) > 1.0);
    /* One code away but the value on a code, far from the midpoint: fails. */
    r[1] = q[j];
    st[1] = (unsigned char)(j + 1);
    cr_assert(ob_q8_agree_array(&f, 0, 2, st, r, S, 10, &at) > 1.0);
    st[1] = (unsigned char)j;
    cr_assert_eq(ob_q8_agree_array(&f, 0, 2, st, r, S, 10, &at), 0.0);
    /* Within the allowance of the midpoint (a few ulp of fp32 above it). */
    r[1] = mid + 4 * 0x1p-24 * mid;
    st[1] = (unsigned char)j;
    cr_assert_leq(ob_q8_agree_array(&f, 0, 2, st, r, S, 10, &at), 1.0);
    /* An absmax off by more than the block's fp32 error: fails. */
    r[1] = q[j];
    ob_q8_absmax_set(st, 2, 0, 1.001f);
    cr_assert(ob_q8_agree_array(&f, 0, 2, st, r, S, 10, &at) > 1.0);
}

/* ---- formats ------------------------------------------------------------------ */

Test(format, q8_specs_bytes_and_errors)
{
    const ob_optimizer *adam = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(adam, &h);
    ob_format f;
    char err[256], d[128];
    cr_assert_eq(ob_format_parse("q8-state", &f, err, sizeof err), 0, "%s", err);
    cr_assert_eq(f.state, OB_DT_Q8);
    cr_assert_eq(f.block, 2048);
    cr_assert_eq(ob_mixed_traffic_bytes(adam, &h, &f), 16);
    cr_assert_float_eq(ob_mixed_traffic_bytes_exact(adam, &h, &f), 16 + 16.0 / 2048, 1e-12);
    cr_assert_eq(ob_mixed_state_array_bytes(&f, 4097), 4097 + 12);
    cr_assert_eq(ob_format_parse("q8-state-bf16-params", &f, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ob_mixed_traffic_bytes(adam, &h, &f), 12);
    cr_assert_eq(ob_format_parse("grad=bf16,state=q8,block=256", &f, err, sizeof err), 0, "%s", err);
    ob_format_describe(&f, d, sizeof d);
    cr_assert_str_eq(d, "param=f32,grad=bf16,state=q8,block=256");
    cr_assert_eq(ob_format_parse("q8-state,block=512", &f, err, sizeof err), 0, "%s", err);
    cr_assert_eq(f.block, 512);
    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"state=q8,block=100", "power of two"},
        {"state=q8,block=32", "power of two"},
        {"state=q8,block=8192", "power of two"},
        {"state=bf16,block=256", "block= is only used with 8-bit state"},
        {"param=q8", "parameters are stored as f32 or bf16"},
        {"grad=q8", "gradients are stored as f32, bf16 or f16"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(ob_format_parse(bad[i].spec, &f, err, sizeof err), -1, "'%s' accepted", bad[i].spec);
        cr_assert(strstr(err, bad[i].msg), "'%s': '%s' lacks '%s'", bad[i].spec, err, bad[i].msg);
    }
}

Test(format, q8_not_offered_for_other_optimizers)
{
    ob_format f;
    char err[256];
    cr_assert_eq(ob_format_parse("q8-state", &f, err, sizeof err), 0, "%s", err);
    float p[4] = {1, 2, 3, 4}, g[4] = {1, 1, 1, 1};
    unsigned char s0[64] = {0}, s1[64] = {0}, s2[64] = {0};
    void *st[OB_MAX_STATE] = {s0, s1, s2, NULL};
    static const char *const no[] = {"rmsprop", "adagrad", "nadam", "radam", "adamax", "amsgrad"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        const ob_optimizer *o = ob_optimizer_find(no[i]);
        if (!o) continue;
        ob_hparams h;
        ob_hparams_default(o, &h);
        char want[64];
        snprintf(want, sizeof want, "format q8 not offered for %s", no[i]);
        cr_assert_eq(ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &f, 1.0f, 4, p, g, st, 1, NULL, err, sizeof err), -1);
        cr_assert(strstr(err, want), "'%s' lacks '%s'", err, want);
        cr_assert_eq(p[0], 1.0f);
    }
}
