/*
 * fuzz_q8.c — differential fuzzer of the 8-bit block-wise state step
 * (kernels/framework/ob_mixed.h "8-bit block-wise state", README "8-bit
 * state").
 *
 * Input: an optimizer (inputs whose optimizer does not offer q8 check the
 * refusal and stop), a q8 format (f32 or bf16 parameters, f32, bf16 or f16
 * gradients, block 64, 128, 256 or 2048), t, n <= 600, a start offset,
 * the stored p and g (off elements into their allocations; the state off
 * bytes), and the q8 state as raw bytes: any codes and any
 * 32-bit absmax patterns (NaN, Inf, negative, subnormal included).
 * Properties, for every input:
 *   1. every ISA this CPU runs, and two threads on the widest one, give
 *      the scalar step's bytes exactly (p, codes and absmax);
 *   2. after a step every stored absmax is NaN, 0 or a finite value
 *      >= 2^-126, and a block with absmax NaN or 0 holds only the zero
 *      code (the documented rules);
 *   3. nothing is read or written outside the arrays (each ends exactly at
 *      its allocation; the sanitizers catch the rest).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "harness/testkit/ob_testkit.h"
#include "kernels/framework/ob_mixed.h"
#include "ob_fuzz.h"

#define MAX_N 600

static void *q8_buf(void **base, size_t bytes, size_t off)
{
    *base = malloc(off + bytes ? off + bytes : 1);
    if (!*base) abort();
    return (char *)*base + off;
}

static void put_pg(ob_fuzz_reader *r, ob_dtype d, void *a, size_t i)
{
    const float x = ob_fuzz_float(r, 0);
    if (d == OB_DT_F32) memcpy((char *)a + 4 * i, &x, 4);
    else ((uint16_t *)a)[i] = d == OB_DT_BF16 ? ob_f32_to_bf16_rne(x) : ob_f32_to_f16_rne(x);
}

/* Property 2 on one stored q8 array. */
static void check_rules(const ob_format *f, const void *s, size_t n, int u, const char *what)
{
    for (size_t b = 0; b * f->block < n; b++) {
        const float a = ob_q8_absmax_get(s, n, b);
        OB_FUZZ_CHECK(isnan(a) || a == 0 || (a >= FLT_MIN && a <= FLT_MAX), "%s: absmax %zu = %g", what, b,
                      (double)a);
        if (isnan(a) || a == 0)
            for (size_t i = b * f->block; i < n && i < (b + 1) * f->block; i++)
                OB_FUZZ_CHECK(((const uint8_t *)s)[i] == ob_q8_zero_code(u),
                              "%s: block %zu has absmax %g but code %u at %zu", what, b, (double)a,
                              ((const uint8_t *)s)[i], i);
    }
}

int ob_fuzz_q8(const uint8_t *data, size_t size)
{
    ob_fuzz_reader r;
    ob_fuzz_reader_init(&r, data, size, 0x0b5eed08);
    ob_hparams h;
    const ob_optimizer *o = ob_fuzz_optimizer(&r, &h);
    if (!o) return 0;
    static const ob_dtype params[] = {OB_DT_F32, OB_DT_BF16}, grads[] = {OB_DT_F32, OB_DT_BF16, OB_DT_F16};
    static const unsigned blocks[] = {64, 128, 256, 2048};
    const unsigned fb = ob_fuzz_byte(&r);
    char spec[160], err[512];
    snprintf(spec, sizeof spec, "param=%s,grad=%s,state=q8,block=%u", ob_dtype_name(params[fb & 1]),
             ob_dtype_name(grads[(fb >> 1) % 3]), blocks[(fb >> 3) & 3]);
    ob_format f;
    OB_FUZZ_CHECK(ob_format_parse(spec, &f, err, sizeof err) == 0, "format %s rejected: %s", spec, err);
    const uint64_t t = 1 + ob_fuzz_byte(&r) % 8;
    const size_t n = (ob_fuzz_byte(&r) | (size_t)ob_fuzz_byte(&r) << 8) % (MAX_N + 1);
    const size_t off = ob_fuzz_byte(&r) % 16;
    const float inv = f.grad == OB_DT_F16 ? ldexpf(1.0f, -(int)(ob_fuzz_byte(&r) % 25)) : 1.0f;
    const unsigned mask = o->state_mask(&h);
    const size_t sp = ob_dtype_size(f.param), sg = ob_dtype_size(f.grad), ss = ob_mixed_state_array_bytes(&f, n);
    char why[256];
    if (!ob_q8_offered(o, &h, why, sizeof why)) {
        float p[1] = {1}, g[1] = {1};
        unsigned char s[3][8] = {{0}};
        void *st[OB_MAX_STATE] = {s[0], s[1], s[2], NULL};
        OB_FUZZ_CHECK(ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &f, 1.0f, 1, p, g, st, 1, NULL, err, sizeof err) != 0 &&
                          strstr(err, "format q8 not offered for") && p[0] == 1,
                      "%s: q8 not refused (%s)", o->name, err);
        return 0;
    }
    void *p0b, *gb, *s0b[OB_MAX_STATE] = {NULL};
    void *p0 = q8_buf(&p0b, n * sp, 0), *g = q8_buf(&gb, n * sg, off * sg), *s0[OB_MAX_STATE] = {NULL};
    for (size_t i = 0; i < n; i++) {
        put_pg(&r, f.param, p0, i);
        put_pg(&r, f.grad, g, i);
    }
    for (size_t k = 0; k < o->n_state; k++) {
        s0[k] = q8_buf(&s0b[k], ss, 0);
        for (size_t i = 0; i < ss; i++) ((uint8_t *)s0[k])[i] = (uint8_t)ob_fuzz_byte(&r);
    }
    void *pa = NULL, *sa[OB_MAX_STATE] = {NULL}, *bases[2 * OB_ISA_COUNT * (1 + OB_MAX_STATE)];
    size_t nb = 0;
    ob_isa widest = OB_ISA_SCALAR;
    for (int pass = 0; pass <= OB_ISA_COUNT; pass++) {
        ob_isa isa = pass < OB_ISA_COUNT ? (ob_isa)pass : widest;
        const int threads = pass < OB_ISA_COUNT ? 1 : 2;
        if (pass < OB_ISA_COUNT && !ob_optimizer_runs_on(o, isa, NULL, 0)) continue;
        if (pass < OB_ISA_COUNT) widest = isa;
        void *p = q8_buf(&bases[nb++], n * sp, off * sp), *st[OB_MAX_STATE] = {NULL};
        if (n) memcpy(p, p0, n * sp);
        for (size_t k = 0; k < o->n_state; k++) {
            if (!((mask >> k) & 1u)) continue;
            st[k] = q8_buf(&bases[nb++], ss, off);
            memcpy(st[k], s0[k], ss);
        }
        int skipped = 0;
        const int rc = ob_step_mixed(o, isa, &h, t, &f, inv, n, p, g, st, threads, &skipped, err, sizeof err);
        OB_FUZZ_CHECK(rc == 0, "%s %s on %s: %s", o->name, spec, ob_isa_name(isa), err);
        if (!pa) {
            pa = p;
            memcpy(sa, st, sizeof sa);
            for (size_t k = 0; k < o->n_state; k++)
                if (st[k] && !skipped) check_rules(&f, st[k], n, ob_q8_state_unsigned(o, k), o->state_names[k]);
            continue;
        }
        OB_FUZZ_CHECK(!n || !memcmp(p, pa, n * sp), "%s %s t=%llu n=%zu: %s (%d threads) differs from scalar in p",
                      o->name, spec, (unsigned long long)t, n, ob_isa_name(isa), threads);
        for (size_t k = 0; k < o->n_state; k++)
            OB_FUZZ_CHECK(!st[k] || !memcmp(st[k], sa[k], ss),
                          "%s %s t=%llu n=%zu: %s (%d threads) differs from scalar in %s", o->name, spec,
                          (unsigned long long)t, n, ob_isa_name(isa), threads, o->state_names[k]);
    }
    for (size_t i = 0; i < nb; i++) free(bases[i]);
    free(p0b);
    free(gb);
    for (size_t k = 0; k < OB_MAX_STATE; k++) free(s0b[k]);
    return 0;
}

OB_FUZZ_ENTRY(ob_fuzz_q8)
