/*
 * fuzz_mixed.c — differential fuzzer of the mixed-precision step
 * (kernels/framework/ob_mixed.h, README "Mixed precision").
 *
 * Input: an optimizer, hyperparameters inside their valid ranges, a
 * storage format (every combination of param/grad/state types, nearest or
 * stochastic rounding, a seed), t, n <= 600, a start offset, an inverse
 * loss scale, and the stored p, g and state as values or raw 16-bit
 * patterns (NaN payloads, Inf, subnormals, fp16 overflow included).
 * Properties, for every input:
 *   1. every ISA this CPU runs — on AVX-512 with and without the
 *      AVX512_BF16 instructions — and two threads on the widest one give
 *      the scalar step's bytes exactly (p and every state array in use)
 *      and the same skip decision;
 *   2. with fp16 gradients the step is skipped exactly when some gradient
 *      is Inf or NaN, and a skipped step writes nothing;
 *   3. nothing is read or written outside the arrays (each ends exactly at
 *      its allocation; the sanitizers catch the rest).
 * Agreement with the reference is tests/test_mixed.c's (its contract
 * excludes overflow, which raw patterns hit at once).
 */
#include <math.h>
#include <string.h>

#include "harness/testkit/ob_testkit.h"
#include "kernels/framework/ob_mixed.h"
#include "ob_fuzz.h"

#define MAX_N 600

/* n elements of `size` bytes at `off` elements into an allocation that
 * ends right after them. */
static void *buf_alloc(void **base, size_t n, size_t size, size_t off)
{
    *base = malloc((off + n ? off + n : 1) * size);
    if (!*base) abort();
    return (char *)*base + off * size;
}

/* One stored value of type d: from a float, or (one time in four) a raw
 * 16-bit pattern for the 16-bit types. */
static void put(ob_fuzz_reader *r, ob_dtype d, void *a, size_t i, int nonneg)
{
    if (d == OB_DT_F32) {
        ((float *)a)[i] = ob_fuzz_float(r, nonneg);
        return;
    }
    uint16_t v;
    if (ob_fuzz_byte(r) % 4 == 0) {
        v = (uint16_t)ob_fuzz_u32(r);
        if (nonneg) v &= 0x7fff;
    } else {
        float x = ob_fuzz_float(r, nonneg);
        v = d == OB_DT_BF16 ? ob_f32_to_bf16_rne(x) : ob_f32_to_f16_rne(x);
    }
    ((uint16_t *)a)[i] = v;
}

static int f16_finite(uint16_t h)
{
    return (h & 0x7c00) != 0x7c00;
}

typedef struct run {
    void *p, *pb, *st[OB_MAX_STATE], *stb[OB_MAX_STATE];
    int skipped;
} run;

static void run_free(run *x)
{
    free(x->pb);
    for (size_t k = 0; k < OB_MAX_STATE; k++) free(x->stb[k]);
}

int ob_fuzz_mixed(const uint8_t *data, size_t size)
{
    ob_fuzz_reader r;
    ob_fuzz_reader_init(&r, data, size, 0x0b5eed16);
    ob_hparams h;
    const ob_optimizer *o = ob_fuzz_optimizer(&r, &h);
    char err[512];
    if (!o) return 0;
    static const ob_dtype params[] = {OB_DT_F32, OB_DT_BF16}, grads[] = {OB_DT_F32, OB_DT_BF16, OB_DT_F16};
    unsigned fb = ob_fuzz_byte(&r);
    char spec[160];
    ob_format f;
    /* Stochastic rounding (and its seed) applies to bf16 parameters only. */
    const int sr = (fb & 1) && (fb >> 4) & 1;
    int len = snprintf(spec, sizeof spec, "param=%s,grad=%s,state=%s", ob_dtype_name(params[fb & 1]),
                       ob_dtype_name(grads[(fb >> 1) % 3]), ob_dtype_name(params[(fb >> 3) & 1]));
    const unsigned seed = (unsigned)ob_fuzz_u32(&r);
    if (sr) snprintf(spec + len, sizeof spec - (size_t)len, ",round=sr,seed=%u", seed);
    OB_FUZZ_CHECK(ob_format_parse(spec, &f, err, sizeof err) == 0, "format %s rejected: %s", spec, err);
    uint64_t t = ob_fuzz_byte(&r) % 2 ? 1 + ob_fuzz_byte(&r) % 8 : 1 + (ob_fuzz_u32(&r) & 0xfffff);
    size_t n = (ob_fuzz_byte(&r) | (size_t)ob_fuzz_byte(&r) << 8) % (MAX_N + 1);
    size_t off = ob_fuzz_byte(&r) % 16;
    const float inv = f.grad == OB_DT_F16 ? ldexpf(1.0f, -(int)(ob_fuzz_byte(&r) % 25)) : 1.0f;
    const unsigned mask = o->state_mask(&h);
    const size_t sp = ob_dtype_size(f.param), sg = ob_dtype_size(f.grad), ss = ob_dtype_size(f.state);

    void *p0b, *gb, *s0b[OB_MAX_STATE] = {NULL};
    void *p0 = buf_alloc(&p0b, n, sp, 0), *g = buf_alloc(&gb, n, sg, off), *s0[OB_MAX_STATE] = {NULL};
    for (size_t k = 0; k < o->n_state; k++) s0[k] = buf_alloc(&s0b[k], n, ss, 0);
    int all_finite = 1;
    for (size_t i = 0; i < n; i++) {
        put(&r, f.param, p0, i, 0);
        put(&r, f.grad, g, i, 0);
        if (f.grad == OB_DT_F16) all_finite &= f16_finite(((uint16_t *)g)[i]);
        for (size_t k = 0; k < o->n_state; k++) put(&r, f.state, s0[k], i, ob_state_nonneg(o, k));
    }
    char fmt[128];
    ob_format_describe(&f, fmt, sizeof fmt);

    /* The runs: scalar, then each vector ISA (AVX-512 twice when the CPU
     * has AVX512_BF16), then the widest with two threads. */
    run runs[2 * OB_ISA_COUNT + 1];
    memset(runs, 0, sizeof runs);
    size_t nr = 0;
    const int native0 = ob_bf16_native_enabled();
    ob_isa widest = OB_ISA_SCALAR;
    for (int pass = 0; pass < 2 * OB_ISA_COUNT + 1; pass++) {
        ob_isa isa;
        int threads = 1, native = 0;
        if (pass < 2 * OB_ISA_COUNT) {
            isa = (ob_isa)(pass / 2);
            native = pass % 2;
            if (!ob_optimizer_runs_on(o, isa, NULL, 0) ||
                (native && (isa != OB_ISA_AVX512 || !ob_bf16_native_supported())))
                continue;
            widest = isa;
        } else {
            isa = widest;
            threads = 2;
        }
        ob_bf16_native_set(native);
        run *x = &runs[nr++];
        x->p = buf_alloc(&x->pb, n, sp, off);
        if (n) memcpy(x->p, p0, n * sp);
        for (size_t k = 0; k < o->n_state; k++) {
            if (!((mask >> k) & 1u)) continue; /* unused: NULL */
            x->st[k] = buf_alloc(&x->stb[k], n, ss, off);
            if (n) memcpy(x->st[k], s0[k], n * ss);
        }
        int rc = ob_step_mixed(o, isa, &h, t, &f, inv, n, x->p, g, x->st, threads, &x->skipped, err,
                               sizeof err);
        /* clip_norm with 16-bit gradients is the one documented refusal;
         * the generic keys stay 0 here, so every step must run. */
        OB_FUZZ_CHECK(rc == 0, "%s %s on %s: %s", o->name, fmt, ob_isa_name(isa), err);
        OB_FUZZ_CHECK(f.grad != OB_DT_F16 ? !x->skipped : x->skipped == !all_finite,
                      "%s %s on %s: skipped = %d with %s fp16 gradients", o->name, fmt, ob_isa_name(isa),
                      x->skipped, all_finite ? "finite" : "non-finite");
        if (x->skipped) {
            OB_FUZZ_CHECK(!n || !memcmp(x->p, p0, n * sp), "%s %s on %s: a skipped step wrote p", o->name,
                          fmt, ob_isa_name(isa));
            for (size_t k = 0; k < o->n_state; k++)
                OB_FUZZ_CHECK(!x->st[k] || !n || !memcmp(x->st[k], s0[k], n * ss),
                              "%s %s on %s: a skipped step wrote %s", o->name, fmt, ob_isa_name(isa),
                              o->state_names[k]);
        }
        if (nr > 1) {
            const run *a = &runs[0];
            const char *what = threads > 1 ? "2 threads" : native ? "avx512 (AVX512_BF16)" : ob_isa_name(isa);
            OB_FUZZ_CHECK(x->skipped == a->skipped, "%s %s t=%llu n=%zu: %s skips differently from scalar",
                          o->name, fmt, (unsigned long long)t, n, what);
            for (size_t i = 0; i < n; i++) {
                OB_FUZZ_CHECK(!memcmp((char *)x->p + i * sp, (char *)a->p + i * sp, sp),
                              "%s %s t=%llu n=%zu: %s differs from scalar at p[%zu]", o->name, fmt,
                              (unsigned long long)t, n, what, i);
                for (size_t k = 0; k < o->n_state; k++)
                    OB_FUZZ_CHECK(!x->st[k] ||
                                      !memcmp((char *)x->st[k] + i * ss, (char *)a->st[k] + i * ss, ss),
                                  "%s %s t=%llu n=%zu: %s differs from scalar at %s[%zu]", o->name, fmt,
                                  (unsigned long long)t, n, what, o->state_names[k], i);
            }
        }
    }
    ob_bf16_native_set(native0);
    for (size_t i = 0; i < nr; i++) run_free(&runs[i]);
    free(p0b);
    free(gb);
    for (size_t k = 0; k < OB_MAX_STATE; k++) free(s0b[k]);
    return 0;
}

OB_FUZZ_ENTRY(ob_fuzz_mixed)
