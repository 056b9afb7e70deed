/*
 * test_mixed.c — mixed-precision storage (kernels/framework/ob_mixed.h).
 *
 *  - conversions: bf16 -> f32 and f16 -> f32 over all 2^16 inputs, f32 ->
 *    bf16 (round to nearest even) over every high half with edge low
 *    halves (ties, just below and above) plus random patterns, each ISA and
 *    both AVX-512 paths (AVX512_BF16 instructions and integer code) against
 *    the software definition, and the definition against an independent
 *    one (nearest value in double arithmetic);
 *  - the fp16 finiteness pass: every Inf/NaN pattern found at any lane,
 *    loop or tail position, no finite pattern taken for one;
 *  - stochastic rounding: the bits follow the documented hash (an
 *    independent write-up and known answers), arrays identical in every
 *    ISA, the fused kernel right for odd and even index bases, same seed
 *    same result, another seed another, unbiased on average;
 *  - the mixed step: every format x every optimizer x every option
 *    combination x lengths around the vector widths x unaligned starts,
 *    bit-identical to the scalar generic path in every ISA (fused kernels
 *    included), for several thread counts; within the documented bound of
 *    the double reference; fp16 overflow skips the step; bad formats and
 *    arguments are rejected with clear messages.
 *
 * The seed is OPTBENCH_SEED (printed on failure).  ISAs the CPU lacks are
 * SKIPPED with the reason.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/framework/ob_mixed.h"
#include "common/ob_test.h"

#define SEED ((unsigned long long)ob_test_seed())

/* The conversion paths: each ISA, and AVX-512 with and without the
 * AVX512_BF16 instructions. */
typedef struct path {
    ob_isa isa;
    int native;
    const char *name;
} path;

static const path paths[] = {
    {OB_ISA_SCALAR, 0, "scalar"},
    {OB_ISA_AVX2, 0, "avx2"},
    {OB_ISA_AVX512, 0, "avx512"},
    {OB_ISA_AVX512, 1, "avx512+bf16"},
};
#define N_PATHS (sizeof paths / sizeof paths[0])

/* Switches to path k; 0 if it cannot run here (the reason in *why). */
static int use_path(size_t k, const char **why)
{
    const path *pa = &paths[k];
    if (!ob_isa_supported(pa->isa)) {
        *why = ob_isa_unavailable_reason(pa->isa);
        return 0;
    }
    if (pa->native && !ob_bf16_native_supported()) {
        *why = "this CPU (or build) lacks AVX512_BF16";
        return 0;
    }
    ob_bf16_native_set(pa->native);
    return 1;
}

#define FOR_EACH_PATH(k) \
    for (size_t k = 0; k < N_PATHS; k++) \
        if (!use_path(k, &why_)) cr_log_info("%s: SKIPPED — %s", paths[k].name, why_); \
        else

static uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* ---- conversions ---------------------------------------------------------- */

/* The 2^16 16-bit patterns in order, and room for their 2^16 widenings. */
static uint16_t *every_half(float **out)
{
    uint16_t *in = malloc(65536 * 2);
    *out = malloc(65536 * 4);
    cr_assert(in && *out);
    for (uint32_t i = 0; i < 65536; i++) in[i] = (uint16_t)i;
    return in;
}

Test(convert, bf16_to_f32_all_inputs)
{
    const char *why_;
    float *out;
    uint16_t *in = every_half(&out);
    for (uint32_t i = 0; i < 65536; i++)
        cr_assert_eq(bits_of(ob_bf16_to_f32((uint16_t)i)), i << 16, "bf16 %#x", i);
    FOR_EACH_PATH(k)
    {
        ob_cvt_ops_for(paths[k].isa)->bf16_to_f32(65536, in, out);
        for (uint32_t i = 0; i < 65536; i++)
            cr_assert_eq(bits_of(out[i]), i << 16, "%s: bf16 %#x -> %#x", paths[k].name, i, bits_of(out[i]));
    }
    free(in);
    free(out);
}

/* An independent f16 decoding: (-1)^s * m * 2^(e-25) in double. */
static double f16_value(uint16_t h)
{
    const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return s ? -v : v;
}

Test(convert, f16_to_f32_all_inputs)
{
    const char *why_;
    float *out;
    uint16_t *in = every_half(&out);
    for (uint32_t i = 0; i < 65536; i++) {
        const float f = ob_f16_to_f32((uint16_t)i);
        const double want = f16_value((uint16_t)i);
        if (isnan(want)) {
            /* Quiet, same sign, payload shifted by 13. */
            const uint32_t u = bits_of(f);
            cr_assert(isnan(f) && (u & 0x00400000u) && (u >> 31) == (i >> 15) &&
                          ((u >> 13) & 0x1ffu) == (i & 0x1ffu),
                      "f16 NaN %#x -> %#x", i, u);
        } else {
            cr_assert((double)f == want && !signbit(f) == !signbit(want), "f16 %#x -> %a, want %a", i,
                      (double)f, want);
            /* And back: f32 -> f16 rounds an f16 value to itself. */
            cr_assert_eq(ob_f32_to_f16_rne(f), (uint16_t)i, "f16 %#x does not survive f32 -> f16", i);
        }
    }
    FOR_EACH_PATH(k)
    {
        ob_cvt_ops_for(paths[k].isa)->f16_to_f32(65536, in, out, 1.0f);
        for (uint32_t i = 0; i < 65536; i++)
            cr_assert_eq(bits_of(out[i]), bits_of(ob_f16_to_f32((uint16_t)i)),
                         "%s: f16 %#x -> %#x, software %#x", paths[k].name, i, bits_of(out[i]),
                         bits_of(ob_f16_to_f32((uint16_t)i)));
        cr_assert_eq(ob_cvt_ops_for(paths[k].isa)->f16_all_finite(65536, in), 0);
        cr_assert_eq(ob_cvt_ops_for(paths[k].isa)->f16_all_finite(0x7c00, in), 1, "%s", paths[k].name);
        cr_assert_eq(ob_cvt_ops_for(paths[k].isa)->f16_all_finite(0x7c01, in), 0, "%s", paths[k].name);
    }
    free(in);
    free(out);
}

/* The nearest bf16 of x by value (ties to the even pattern), in double:
 * independent of the bit trick.  Inf counts as 2^128 (IEEE overflow). */
static uint16_t bf16_nearest(float x)
{
    const uint32_t u = bits_of(x);
    if (isnan(x)) return (uint16_t)((u >> 16) | 0x40);
    const uint16_t lo = (uint16_t)(u >> 16);
    if ((u & 0xffff) == 0) return lo;
    const uint16_t hi = (uint16_t)(lo + 1);
    const double a = fabs((double)x), vl = fabs((double)ob_bf16_to_f32(lo));
    const double vh = (hi & 0x7fff) == 0x7f80 ? 0x1p128 : fabs((double)ob_bf16_to_f32(hi));
    if (a - vl < vh - a) return lo;
    if (a - vl > vh - a) return hi;
    return (lo & 1) ? hi : lo;
}

Test(convert, f32_to_bf16_rne)
{
    const char *why_;
    static const uint32_t lows[] = {0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xffff, 0x4000, 0xc000};
    const size_t nl = sizeof lows / sizeof lows[0], nr = (size_t)1 << 20;
    const size_t n = 65536 * nl + nr;
    float *x = malloc(n * 4);
    uint16_t *want = malloc(n * 2), *got = malloc(n * 2);
    cr_assert(x && want && got);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 1);
    size_t j = 0;
    for (uint32_t h = 0; h < 65536; h++)
        for (size_t l = 0; l < nl; l++) x[j++] = float_of(h << 16 | lows[l]);
    while (j < n) x[j++] = float_of((uint32_t)ob_rng_next(&rng));
    for (size_t i = 0; i < n; i++) {
        want[i] = ob_f32_to_bf16_rne(x[i]);
        cr_assert_eq(want[i], bf16_nearest(x[i]), "f32 %#x -> bf16 %#x, nearest %#x; seed %#llx",
                     bits_of(x[i]), want[i], bf16_nearest(x[i]), SEED);
    }
    FOR_EACH_PATH(k)
    {
        /* Odd offsets and lengths: the vector bodies and the tails. */
        for (size_t off = 0; off < 3; off++) {
            ob_cvt_ops_for(paths[k].isa)->f32_to_bf16_rne(n - off, x + off, got + off);
            for (size_t i = off; i < n; i++)
                cr_assert_eq(got[i], want[i], "%s: f32 %#x -> bf16 %#x, software %#x", paths[k].name,
                             bits_of(x[i]), got[i], want[i]);
        }
    }
    free(x);
    free(want);
    free(got);
}

Test(convert, f32_to_f16_rne_matches_nearest)
{
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 2);
    for (int i = 0; i < 2000000; i++) {
        const float x = float_of((uint32_t)ob_rng_next(&rng) & 0xc7ffffffu); /* |x| < 2^17 or so */
        const uint16_t h = ob_f32_to_f16_rne(x);
        if (isnan(x)) {
            cr_assert((h & 0x7c00) == 0x7c00 && (h & 0x3ff) && (h & 0x200));
            continue;
        }
        /* The neighbours of h must be no nearer (ties: h even). */
        const double a = (double)x, v = f16_value(h);
        for (int dlt = -1; dlt <= 1; dlt += 2) {
            const uint16_t o = (uint16_t)(h + dlt);
            if (((h & 0x7fff) == 0 && dlt < 0) || (o & 0x7c00) == 0x7c00 || (h & 0x7fff) == 0x7c00) continue;
            const double w = f16_value(o);
            cr_assert(fabs(a - v) < fabs(a - w) || (fabs(a - v) == fabs(a - w) && !(h & 1)),
                      "f32 %a -> f16 %#x (%a), but %#x (%a) is nearer; seed %#llx", a, h, v, o, w, SEED);
        }
    }
    cr_assert_eq(ob_f32_to_f16_rne(65520.0f), 0x7c00);
    cr_assert_eq(ob_f32_to_f16_rne(65519.99f), 0x7bff);
    cr_assert_eq(ob_f32_to_f16_rne(0x1p-25f), 0);
    cr_assert_eq(ob_f32_to_f16_rne(0x1.000002p-25f), 1);
}

/* ---- stochastic rounding ---------------------------------------------------- */

Test(sr, bits_and_arrays_identical_in_every_isa)
{
    const char *why_;
    const size_t n = 4099;
    float *x = malloc(n * 4);
    uint16_t *want = malloc(n * 2), *got = malloc(n * 2);
    cr_assert(x && want && got);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 3);
    for (size_t i = 0; i < n; i++) x[i] = ob_rng_special_float(&rng, 0);
    const uint64_t key = ob_sr_key(ob_test_seed(), 7);
    /* Bases near 2^32 and past it: the call key carries the high half. */
    const uint64_t bases[] = {0, 12345, (UINT64_C(1) << 32) - 100000, (UINT64_C(1) << 32) + 5};
    for (size_t b = 0; b < 4; b++) {
        const uint64_t base = bases[b];
        for (size_t i = 0; i < n; i++) want[i] = ob_f32_to_bf16_sr(x[i], ob_sr_bits(key, base + i));
        FOR_EACH_PATH(k)
        {
            ob_cvt_ops_for(paths[k].isa)
                ->f32_to_bf16_sr(n, x, got, ob_sr_call_key(key, (uint32_t)(base >> 32)), (uint32_t)base);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(got[i], want[i], "%s: SR of %#x at index %llu: %#x, software %#x; seed %#llx",
                             paths[k].name, bits_of(x[i]), (unsigned long long)(base + i), got[i], want[i],
                             SEED);
        }
    }
    /* The definition's edges: NaN stays a quiet NaN, Inf stays Inf, the
     * largest finite value may round up to Inf, exact values never move. */
    cr_assert_eq(ob_f32_to_bf16_sr(INFINITY, 0xffff), 0x7f80);
    cr_assert_eq(ob_f32_to_bf16_sr(-INFINITY, 0xffff), 0xff80);
    cr_assert_eq(ob_f32_to_bf16_sr(float_of(0x7f800001), 0xffff), 0x7fc0);
    cr_assert_eq(ob_f32_to_bf16_sr(float_of(0x7f7fffff), 0x0001), 0x7f80);
    cr_assert_eq(ob_f32_to_bf16_sr(float_of(0x7f7fffff), 0x0000), 0x7f7f);
    cr_assert_eq(ob_f32_to_bf16_sr(1.0f, 0xffff), 0x3f80);
    free(x);
    free(want);
    free(got);
}

Test(sr, unbiased_on_average)
{
    /* x = 1 + f * 2^-7 (f in (0, 1)) rounds up to 1 + 2^-7 with
     * probability f: the mean over N elements is x within a few standard
     * deviations sqrt(f (1 - f) / N) * 2^-7.  Round to nearest even is off
     * by min(f, 1 - f) * 2^-7 every time. */
    const size_t n = (size_t)1 << 20;
    const double fr[] = {0.1, 0.25, 0.5, 0.7, 0.93};
    const uint64_t key = ob_sr_key(ob_test_seed(), 1);
    for (size_t j = 0; j < 5; j++) {
        const float x = 1.0f + (float)(fr[j] * 0x1p-7);
        const double f = ((double)x - 1.0) * 0x1p7;
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += ob_bf16_to_f32(ob_f32_to_bf16_sr(x, ob_sr_bits(key, i)));
        const double mean = sum / (double)n, sd = sqrt(f * (1 - f) / (double)n) * 0x1p-7;
        cr_assert(fabs(mean - (double)x) < 5 * sd, "SR mean of %a over %zu: %a, off by %.2f sd; seed %#llx",
                  (double)x, n, mean, fabs(mean - (double)x) / sd, SEED);
    }
}

/* The documented definition (ob_mixed.h), written out independently:
 * one lowbias32 round per pair of elements on (lo32(i) >> 1) ^ K, the even
 * element taking the low half, K = lo32(splitmix64(k ^ hi32(i))), k =
 * splitmix64(seed ^ splitmix64(t)). */
static uint64_t ref_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t ref_sr_bits(uint64_t seed, uint64_t t, uint64_t i)
{
    const uint64_t k = ref_mix64(seed ^ ref_mix64(t));
    uint32_t x = ((uint32_t)i >> 1) ^ (uint32_t)ref_mix64(k ^ (i >> 32));
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return i & 1 ? x >> 16 : x & 0xffff;
}

Test(sr, bits_follow_the_documented_hash)
{
    const uint64_t seeds[] = {0, 1, 12345, ob_test_seed()};
    const uint64_t idx[] = {
        0, 1, 2, 15, 16, 1000, 0xffffffffull, 0x100000000ull, 0x100000001ull, 0x123456789abcull};
    for (size_t a = 0; a < 4; a++)
        for (uint64_t t = 1; t <= 3; t++)
            for (size_t b = 0; b < sizeof idx / sizeof idx[0]; b++) {
                const uint64_t key = ob_sr_key(seeds[a], t);
                cr_assert_eq(ob_sr_bits(key, idx[b]), ref_sr_bits(seeds[a], t, idx[b]),
                             "seed %llu t %llu index %#llx", (unsigned long long)seeds[a],
                             (unsigned long long)t, (unsigned long long)idx[b]);
                cr_assert_eq(ob_sr_call_key(key, (uint32_t)(idx[b] >> 32)),
                             (uint32_t)ref_mix64(key ^ (idx[b] >> 32)));
            }
    /* Known answers of this definition (they change with the hash):
     * seed 0, step 1, indices 0, 1 and 2^32. */
    const uint64_t k0 = ob_sr_key(0, 1);
    cr_assert_eq(ob_sr_bits(k0, 0), 0xfd82, "%#x", ob_sr_bits(k0, 0));
    cr_assert_eq(ob_sr_bits(k0, 1), 0x2719, "%#x", ob_sr_bits(k0, 1));
    cr_assert_eq(ob_sr_bits(k0, 0x100000000ull), 0x2018, "%#x", ob_sr_bits(k0, 0x100000000ull));
    /* Within one call the 16-bit outputs are the top halves of a 32-bit
     * bijection's outputs: over 2^16 consecutive indices every value
     * appears about once (no short cycle in the index). */
    static unsigned count[65536];
    memset(count, 0, sizeof count);
    for (uint64_t i = 0; i < 65536; i++) count[ob_sr_bits(k0, 7 * 65536 + i)]++;
    unsigned most = 0;
    for (size_t v = 0; v < 65536; v++) most = count[v] > most ? count[v] : most;
    cr_assert(most <= 12, "a 16-bit value came %u times in 65536 draws", most);
}

/* The finiteness check of fp16 gradients (a streaming pass): one Inf or
 * NaN pattern anywhere — either half of a 32-bit lane, the main loop or
 * the tail — is found; finite patterns never are. */
Test(convert, f16_all_finite_finds_every_bad_pattern_anywhere)
{
    const char *why_;
    const size_t n = 203;
    const size_t at[] = {0, 1, 15, 16, 31, 32, 33, 63, 64, 127, 128, 129, 191, 192, 202};
    uint16_t *a = malloc(65536 * 2 + 4);
    cr_assert(a);
    FOR_EACH_PATH(k)
    {
        const ob_cvt_ops *cv = ob_cvt_ops_for(paths[k].isa);
        /* Every finite pattern, at both lane parities. */
        size_t m = 0;
        for (uint32_t h = 0; h < 65536; h++)
            if ((h & 0x7c00u) != 0x7c00u) a[1 + m++] = (uint16_t)h;
        a[0] = 0x7bff;
        cr_assert_eq(cv->f16_all_finite(m + 1, a), 1, "%s: a finite pattern was taken for Inf/NaN",
                     paths[k].name);
        cr_assert_eq(cv->f16_all_finite(m, a + 1), 1, "%s: a finite pattern was taken for Inf/NaN",
                     paths[k].name);
        for (uint32_t bad = 0x7c00; bad < 0x10000; bad++) {
            if ((bad & 0x7c00u) != 0x7c00u) continue;
            for (size_t w = 0; w < sizeof at / sizeof at[0]; w++) {
                for (size_t i = 0; i < n; i++) a[i] = (uint16_t)(0x7bff - (i & 0x3ff));
                a[at[w]] = (uint16_t)bad;
                cr_assert_eq(cv->f16_all_finite(n, a), 0, "%s: fp16 %#x at %zu of %zu not found",
                             paths[k].name, bad, at[w], n);
            }
        }
    }
    ob_bf16_native_set(1);
    free(a);
}

/* ---- buffers for mixed steps ------------------------------------------------ */

#define CANARY 0xa5

typedef struct mbuf {
    unsigned char *base[2 + OB_MAX_STATE];
    void *p, *g, *st[OB_MAX_STATE];
    size_t n, off, size[2 + OB_MAX_STATE];
} mbuf;

static void mbuf_alloc(mbuf *b, const ob_format *f, size_t n, size_t off)
{
    b->n = n;
    b->off = off;
    for (int k = 0; k < 2 + OB_MAX_STATE; k++) {
        const ob_dtype d = k == 0 ? f->param : k == 1 ? f->grad : f->state;
        b->size[k] = ob_dtype_size(d);
        b->base[k] = malloc((n + off + 16) * 4);
        cr_assert(b->base[k]);
        memset(b->base[k], CANARY, (n + off + 16) * 4);
    }
    b->p = b->base[0] + off * b->size[0];
    b->g = b->base[1] + off * b->size[1];
    for (int k = 0; k < OB_MAX_STATE; k++) b->st[k] = b->base[2 + k] + off * b->size[2 + k];
}

static void mbuf_copy(mbuf *dst, const mbuf *src)
{
    for (int k = 0; k < 2 + OB_MAX_STATE; k++)
        memcpy(dst->base[k], src->base[k], (src->n + src->off + 16) * 4);
}

static void mbuf_free(mbuf *b)
{
    for (int k = 0; k < 2 + OB_MAX_STATE; k++) free(b->base[k]);
}

/* Array k (0 p, 1 g, 2+ state): the first differing element, or n. */
static size_t mbuf_diff(const mbuf *a, const mbuf *b, int k)
{
    const size_t s = a->size[k];
    const unsigned char *x = a->base[k] + a->off * s, *y = b->base[k] + b->off * s;
    for (size_t i = 0; i < a->n; i++)
        if (memcmp(x + i * s, y + i * s, s)) return i;
    return a->n;
}

static int mbuf_canaries_intact(const mbuf *b)
{
    for (int k = 0; k < 2 + OB_MAX_STATE; k++) {
        const unsigned char *a = b->base[k];
        for (size_t i = 0; i < b->off * b->size[k]; i++)
            if (a[i] != CANARY) return 0;
        for (size_t i = (b->off + b->n) * b->size[k]; i < (b->n + b->off + 16) * 4; i++)
            if (a[i] != CANARY) return 0;
    }
    return 1;
}

static void put(ob_dtype d, void *a, size_t i, float v)
{
    if (d == OB_DT_F32) memcpy((char *)a + 4 * i, &v, 4);
    else {
        uint16_t h = d == OB_DT_BF16 ? ob_f32_to_bf16_rne(v) : ob_f32_to_f16_rne(v);
        memcpy((char *)a + 2 * i, &h, 2);
    }
}

/* A finite fp16 gradient value: +-0, fp16 subnormals, ordinary and up to
 * the largest fp16. */
static float f16_special(ob_rng *r)
{
    unsigned k = (unsigned)(ob_rng_next(r) % 10);
    if (k == 0) return 0.0f;
    if (k == 1) return -0.0f;
    if (k == 2) return (float)ob_rng_logmag(r, 0x1p-24, 0x1p-14, 0);
    if (k == 3) return (float)ob_rng_logmag(r, 1e4, 65504, 0);
    return (float)ob_rng_logmag(r, 1e-4, 1e3, 0);
}

static void fill_state(mbuf *b, const ob_optimizer *o, const ob_format *f, ob_rng *r)
{
    for (size_t i = 0; i < b->n; i++) {
        put(f->param, b->p, i, ob_rng_special_float(r, 0));
        for (size_t k = 0; k < o->n_state; k++)
            put(f->state, b->st[k], i, ob_rng_special_float(r, ob_state_nonneg(o, k)));
    }
}

static void fill_grad(mbuf *b, const ob_format *f, ob_rng *r)
{
    for (size_t i = 0; i < b->n; i++)
        put(f->grad, b->g, i, f->grad == OB_DT_F16 ? f16_special(r) : ob_rng_special_float(r, 0));
}

static float inv_scale_of(const ob_format *f)
{
    return f->grad == OB_DT_F16 ? 0x1p-10f : 1.0f;
}

/* The non-fp32 presets, with a seed for the SR ones. */
static size_t mixed_formats(ob_format *out)
{
    size_t n = 0;
    for (size_t i = 0; i < ob_format_preset_count; i++) {
        char err[256], spec[64];
        /* 8-bit state has its own suite (tests/test_q8.c). */
        if (!strcmp(ob_format_presets[i].name, "fp32") || ob_format_presets[i].state == OB_DT_Q8) continue;
        snprintf(spec, sizeof spec, "%s%s", ob_format_presets[i].name,
                 ob_format_presets[i].round == OB_ROUND_SR ? ",seed=12345" : "");
        cr_assert_eq(ob_format_parse(spec, &out[n], err, sizeof err), 0, "%s", err);
        n++;
    }
    return n;
}

#define STEPS 4

/* Runs STEPS steps of o/h/f from one random start on the scalar generic
 * path (a) and on path k (b: ob_step_mixed, fused where there is one),
 * comparing every array, g and the canaries after each step. */
static void compare_mixed(const ob_optimizer *o, const ob_hparams *h, const ob_format *f, size_t pk, size_t n,
                          size_t off, int threads, ob_rng *rng, const char *cfg)
{
    if (!ob_optimizer_kernel(o, paths[pk].isa)) return; /* a scalar-only entry: SKIPPED here */
    mbuf a, b;
    mbuf_alloc(&a, f, n, off);
    mbuf_alloc(&b, f, n, off);
    fill_state(&a, o, f, rng);
    const unsigned mask = o->state_mask(h);
    for (uint64_t t = 1; t <= STEPS; t++) {
        fill_grad(&a, f, rng);
        if (t == 1) mbuf_copy(&b, &a);
        else memcpy(b.base[1], a.base[1], (n + off + 16) * 4);
        char err[256];
        int skipped = -1;
        ob_bf16_native_set(0);
        cr_assert_eq(ob_step_mixed_generic(o, OB_ISA_SCALAR, h, t, f, inv_scale_of(f), n, a.p, a.g, a.st, 1,
                                           &skipped, err, sizeof err),
                     0, "%s", err);
        cr_assert_eq(skipped, 0);
        ob_bf16_native_set(paths[pk].native);
        cr_assert_eq(ob_step_mixed(o, paths[pk].isa, h, t, f, inv_scale_of(f), n, b.p, b.g, b.st, threads,
                                   &skipped, err, sizeof err),
                     0, "%s", err);
        for (int k = 0; k < 2 + (int)o->n_state; k++) {
            if (k >= 2 && !((mask >> (k - 2)) & 1u)) continue;
            size_t d = mbuf_diff(&a, &b, k);
            if (d < n)
                cr_assert_fail(
                    "%s %s %s n=%zu off=%zu threads=%d: %s differs from scalar at step %llu, element %zu; "
                    "seed %#llx",
                    paths[pk].name, f->name, cfg, n, off, threads,
                    k == 0   ? "p"
                    : k == 1 ? "g"
                             : o->state_names[k - 2],
                    (unsigned long long)t, d, SEED);
        }
        if (!mbuf_canaries_intact(&a) || !mbuf_canaries_intact(&b))
            cr_assert_fail("%s %s %s n=%zu off=%zu: a step wrote outside its arrays; seed %#llx",
                           paths[pk].name, f->name, cfg, n, off, SEED);
    }
    mbuf_free(&a);
    mbuf_free(&b);
}

static void identity_suite(size_t pk)
{
    const char *why_ = "";
    if (!use_path(pk, &why_)) cr_skip_test("%s: SKIPPED — %s", paths[pk].name, why_);
    const size_t W = paths[pk].isa == OB_ISA_SCALAR ? 16 : ob_isa_width(paths[pk].isa);
    const size_t lengths[] = {0, 1, W - 1, W, W + 1, 8 * W + 3, 1000, 2 * OB_MIXED_BLOCK + 33};
    ob_format fmts[16];
    const size_t nf = mixed_formats(fmts);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() ^ (pk + 1));
    size_t cases = 0;
    for (size_t fi = 0; fi < nf; fi++)
        for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
            const ob_optimizer *o = ob_optimizer_table[oi];
            for (size_t c = 0; c < ob_hp_config_count(o); c++) {
                ob_hparams h;
                if (ob_hp_config(o, c, &h) != 0) continue;
                char cfg[256];
                ob_hp_config_name(o, &h, cfg, sizeof cfg);
                for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
                    compare_mixed(o, &h, &fmts[fi], pk, lengths[li], li & 1, 1, &rng, cfg);
                    cases++;
                }
            }
        }
    ob_bf16_native_set(1);
    cr_log_info("%s: %zu cases x %d steps bit-identical to the scalar generic path (seed %#llx)",
                paths[pk].name, cases, STEPS, SEED);
}

Test(identity, scalar_fused_and_generic, .timeout = 300)
{
    identity_suite(0);
}
Test(identity, avx2, .timeout = 300)
{
    identity_suite(1);
}
Test(identity, avx512, .timeout = 300)
{
    identity_suite(2);
}
Test(identity, avx512_bf16_instructions, .timeout = 300)
{
    identity_suite(3);
}

/* The fused bf16-params-sr kernel called directly with an odd and an even
 * index base (the step only passes even ones, where one hash serves a
 * pair of elements): its parameters are the fp32 kernel's results rounded
 * with the software definition's bits for those indices. */
Test(sr, fused_kernel_any_index_base)
{
    if (!ob_isa_supported(OB_ISA_AVX512))
        cr_skip_test("avx512: SKIPPED — %s", ob_isa_unavailable_reason(OB_ISA_AVX512));
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    ob_step_scalars s;
    o->prepare(&h, 1, &s);
    ob_format f;
    char err[256];
    cr_assert_eq(ob_format_parse("bf16-params-sr", &f, err, sizeof err), 0);
    enum { N = 75 };
    const uint64_t key = ob_sr_key(ob_test_seed(), 1);
    const uint32_t bases[] = {12345, 12346, 0xffffffffu - N};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 9);
    for (int native = 0; native < 2; native++) {
        if (native && !ob_bf16_native_supported()) continue;
        ob_bf16_native_set(native);
        const ob_fused_kernel *fk = ob_fused_find(o, OB_ISA_AVX512, &f);
        cr_assert(fk);
        for (size_t b = 0; b < 3; b++) {
            uint16_t p16[N];
            float pf[N], g[N], m[2][N], v[2][N];
            for (size_t i = 0; i < N; i++) {
                p16[i] = ob_f32_to_bf16_rne((float)ob_rng_logmag(&rng, 0.1, 10, 1));
                pf[i] = ob_bf16_to_f32(p16[i]);
                g[i] = (float)ob_rng_logmag(&rng, 1e-3, 1, 0);
                m[0][i] = m[1][i] = (float)ob_rng_logmag(&rng, 1e-3, 1, 1);
                v[0][i] = v[1][i] = (float)ob_rng_logmag(&rng, 1e-6, 1, 1);
            }
            float *st_ref[OB_MAX_STATE] = {m[0], v[0]};
            void *st[OB_MAX_STATE] = {m[1], v[1]};
            ob_optimizer_kernel(o, OB_ISA_SCALAR)(N, pf, g, st_ref, &s);
            fk->fn(N, p16, g, st, &s, 1.0f, 1, ob_sr_call_key(key, 0), bases[b]);
            for (size_t i = 0; i < N; i++) {
                const uint16_t want = ob_f32_to_bf16_sr(pf[i], ob_sr_bits(key, (uint64_t)bases[b] + i));
                cr_assert_eq(p16[i], want, "%s: base %u element %zu: %#x, want %#x; seed %#llx",
                             native ? "avx512+bf16" : "avx512", bases[b], i, p16[i], want, SEED);
                cr_assert_eq(bits_of(m[1][i]), bits_of(m[0][i]));
                cr_assert_eq(bits_of(v[1][i]), bits_of(v[0][i]));
            }
        }
    }
    ob_bf16_native_set(1);
}

/* The fused kernels are in the table the step uses (so the identity suite
 * exercises them), and the AVX512_BF16 ones are used only when enabled. */
Test(identity, fused_kernels_are_found)
{
    if (!ob_isa_supported(OB_ISA_AVX512))
        cr_skip_test("avx512: SKIPPED — %s", ob_isa_unavailable_reason(OB_ISA_AVX512));
    char err[256];
    ob_format f;
    static const char *const names[] = {"adam", "adamw", "amsgrad"};
    static const char *const fused[] = {"bf16-state", "bf16", "bf16-sr", "bf16-params", "bf16-params-sr"};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 5; j++) {
            cr_assert_eq(ob_format_parse(fused[j], &f, err, sizeof err), 0);
            const ob_fused_kernel *a = (ob_bf16_native_set(0),
                                        ob_fused_find(ob_optimizer_find(names[i]), OB_ISA_AVX512, &f));
            cr_assert(a && !a->native_bf16, "%s/%s: no fused AVX-512 kernel", names[i], fused[j]);
            if (ob_bf16_native_supported()) {
                ob_bf16_native_set(1);
                const ob_fused_kernel *b = ob_fused_find(ob_optimizer_find(names[i]), OB_ISA_AVX512, &f);
                cr_assert(b && b->native_bf16, "%s/%s: no AVX512_BF16 twin", names[i], fused[j]);
            }
        }
        /* fp16-grads rounds nothing to bf16: one AVX-512F kernel for both
         * settings. */
        cr_assert_eq(ob_format_parse("fp16-grads", &f, err, sizeof err), 0);
        for (int native = 0; native < 2; native++) {
            ob_bf16_native_set(native);
            const ob_fused_kernel *a = ob_fused_find(ob_optimizer_find(names[i]), OB_ISA_AVX512, &f);
            cr_assert(a && !a->native_bf16, "%s/fp16-grads: no fused AVX-512 kernel", names[i]);
        }
    }
    /* Not on other ISAs, other optimizers or formats without a kernel. */
    cr_assert_null(ob_fused_find(ob_optimizer_find("adam"), OB_ISA_SCALAR, &f));
    cr_assert_null(ob_fused_find(ob_optimizer_find("adam"), OB_ISA_AVX2, &f));
    cr_assert_null(ob_fused_find(ob_optimizer_find("sgd"), OB_ISA_AVX512, &f));
    cr_assert_eq(ob_format_parse("param=bf16,grad=f16,state=bf16", &f, err, sizeof err), 0);
    cr_assert_null(ob_fused_find(ob_optimizer_find("adam"), OB_ISA_AVX512, &f));
    ob_bf16_native_set(1);
}

/* Any thread count gives the same bits (SR included: its bits depend on
 * the element's index in the whole array, not in a chunk). */
Test(threads, bit_identical_for_any_thread_count, .timeout = 300)
{
    const char *why_;
    const size_t n = 3 * OB_THREAD_MIN_CHUNK + 37;
    const int counts[] = {2, 3};
    ob_format fmts[16];
    const size_t nf = mixed_formats(fmts);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 5);
    FOR_EACH_PATH(k)
    {
        if (paths[k].isa == OB_ISA_SCALAR) continue; /* the reference run of compare_mixed */
        for (size_t fi = 0; fi < nf; fi++)
            for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
                const ob_optimizer *o = ob_optimizer_table[oi];
                ob_hparams h;
                ob_hparams_default(o, &h);
                for (size_t c = 0; c < 2; c++)
                    compare_mixed(o, &h, &fmts[fi], k, n, 0, counts[c], &rng, o->name);
            }
    }
    ob_bf16_native_set(1);
}

/* Same seed, same bits; another seed, other bits; another step, other bits. */
Test(sr, reproducible_from_the_seed)
{
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    const size_t n = 5000;
    ob_format f[3];
    char err[256];
    cr_assert_eq(ob_format_parse("bf16-sr,seed=1", &f[0], err, sizeof err), 0);
    cr_assert_eq(ob_format_parse("bf16-sr,seed=1", &f[1], err, sizeof err), 0);
    cr_assert_eq(ob_format_parse("bf16-sr,seed=2", &f[2], err, sizeof err), 0);
    mbuf b[3];
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 6);
    mbuf_alloc(&b[0], &f[0], n, 0);
    for (size_t i = 0; i < n; i++) {
        put(OB_DT_BF16, b[0].p, i, (float)ob_rng_logmag(&rng, 0.1, 10, 0));
        put(OB_DT_BF16, b[0].g, i, (float)ob_rng_logmag(&rng, 1e-3, 1, 0));
        put(OB_DT_BF16, b[0].st[0], i, 0);
        put(OB_DT_BF16, b[0].st[1], i, 0);
    }
    for (int j = 1; j < 3; j++) {
        mbuf_alloc(&b[j], &f[j], n, 0);
        mbuf_copy(&b[j], &b[0]);
    }
    for (int j = 0; j < 3; j++)
        cr_assert_eq(ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &f[j], 1.0f, n, b[j].p, b[j].g, b[j].st, 1, NULL,
                                   err, sizeof err),
                     0, "%s", err);
    cr_assert_eq(mbuf_diff(&b[0], &b[1], 0), n, "the same seed gave different parameters");
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) differ += ((uint16_t *)b[0].p)[i] != ((uint16_t *)b[2].p)[i];
    cr_assert(differ > n / 20, "seeds 1 and 2 gave the same rounding for all but %zu of %zu elements", differ,
              n);
    cr_assert_neq(ob_sr_key(1, 1), ob_sr_key(1, 2));
    cr_assert_neq(ob_sr_key(1, 1), ob_sr_key(2, 1));
    for (int j = 0; j < 3; j++) mbuf_free(&b[j]);
}

/* ---- agreement with the double reference -------------------------------------- */

Test(agreement, every_format_within_its_bound, .timeout = 300)
{
    ob_format fmts[16];
    const size_t nf = mixed_formats(fmts);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 7);
    for (size_t fi = 0; fi < nf; fi++) {
        double fmt_worst = 0;
        char fmt_where[512] = "";
        for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
            const ob_optimizer *o = ob_optimizer_table[oi];
            for (size_t c = 0; c < ob_hp_config_count(o); c++) {
                ob_hparams h;
                if (ob_hp_config(o, c, &h) != 0) continue;
                char where[512];
                const double e = ob_mixed_agree_measure(o, &h, &fmts[fi], OB_ISA_SCALAR, ob_rng_next(&rng),
                                                        257, 6, where, sizeof where);
                cr_assert(e >= 0 && e <= 1.0, "%s: error %.3g of the bound at %s; seed %#llx", fmts[fi].name,
                          e, where, SEED);
                if (e > fmt_worst) {
                    fmt_worst = e;
                    snprintf(fmt_where, sizeof fmt_where, "%s", where);
                }
            }
        }
        cr_log_info("%s: worst error %.3f of the bound (%s)", fmts[fi].name, fmt_worst, fmt_where);
    }
}

/* ---- fp16 gradients: loss scale and overflow ----------------------------------- */

Test(fp16, overflow_skips_the_step)
{
    const char *why_;
    ob_format f;
    char err[256];
    /* fp16-grads: the fused AVX-512 kernel for Adam; the other: the
     * generic path. */
    static const char *const specs[] = {"param=bf16,grad=f16,state=bf16", "fp16-grads"};
    const size_t n = 3 * OB_THREAD_MIN_CHUNK + 37;
    const size_t where[] = {0, 17, OB_THREAD_MIN_CHUNK + 5, n - 1};
    const uint16_t bad[] = {0x7c00, 0xfc00, 0x7e00, 0x7d01};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 8);
    for (size_t fs = 0; fs < 2; fs++) FOR_EACH_PATH(k)
        {
            cr_assert_eq(ob_format_parse(specs[fs], &f, err, sizeof err), 0, "%s", err);
            for (size_t oi = 0; oi < ob_optimizer_count; oi += 3) {
                const ob_optimizer *o = ob_optimizer_table[oi];
                ob_hparams h;
                ob_hparams_default(o, &h);
                mbuf a, b;
                mbuf_alloc(&a, &f, n, 0);
                mbuf_alloc(&b, &f, n, 0);
                fill_state(&a, o, &f, &rng);
                fill_grad(&a, &f, &rng);
                for (size_t w = 0; w < 4; w++) {
                    mbuf_copy(&b, &a);
                    memcpy((uint16_t *)b.g + where[w], &bad[w], 2);
                    int skipped = 0;
                    cr_assert_eq(ob_step_mixed(o, paths[k].isa, &h, 1, &f, 0x1p-12f, n, b.p, b.g, b.st, 2,
                                               &skipped, err, sizeof err),
                                 0, "%s", err);
                    cr_assert_eq(skipped, 1, "%s %s: fp16 %#x at %zu did not skip the step", paths[k].name,
                                 o->name, bad[w], where[w]);
                    for (int j = 0; j < 2 + OB_MAX_STATE; j++)
                        if (j != 1)
                            cr_assert_eq(mbuf_diff(&a, &b, j), n, "%s %s: a skipped step changed array %d",
                                         paths[k].name, o->name, j);
                }
                int skipped = 1;
                cr_assert_eq(ob_step_mixed(o, paths[k].isa, &h, 1, &f, 0x1p-12f, n, a.p, a.g, a.st, 2,
                                           &skipped, err, sizeof err),
                             0, "%s", err);
                cr_assert_eq(skipped, 0);
                mbuf_free(&a);
                mbuf_free(&b);
            }
        }
    ob_bf16_native_set(1);
}

/* Unscaling is exact: fp16 grads at scale 2^s step exactly like the fp32
 * gradients they encode. */
Test(fp16, unscaling_is_exact)
{
    const ob_optimizer *o = ob_optimizer_find("adamw");
    ob_hparams h;
    ob_hparams_default(o, &h);
    ob_format f16, f32;
    char err[256];
    cr_assert_eq(ob_format_parse("fp16-grads", &f16, err, sizeof err), 0);
    ob_format_fp32(&f32);
    const size_t n = 1000;
    float p[2][1000], g[1000], m[2][1000], v[2][1000];
    uint16_t gh[1000];
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 9);
    for (size_t i = 0; i < n; i++) {
        gh[i] = ob_f32_to_f16_rne(f16_special(&rng));
        g[i] = ob_f16_to_f32(gh[i]) * 0x1p-16f;
        p[0][i] = p[1][i] = (float)ob_rng_logmag(&rng, 0.01, 10, 0);
        m[0][i] = m[1][i] = v[0][i] = v[1][i] = 0;
    }
    void *s0[2] = {m[0], v[0]}, *s1[2] = {m[1], v[1]};
    cr_assert_eq(ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &f32, 1.0f, n, p[0], g, s0, 1, NULL, err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(
        ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &f16, 0x1p-16f, n, p[1], gh, s1, 1, NULL, err, sizeof err), 0,
        "%s", err);
    cr_assert(!memcmp(p[0], p[1], sizeof p[0]) && !memcmp(m[0], m[1], sizeof m[0]) &&
              !memcmp(v[0], v[1], sizeof v[0]));
}

/* ---- the fp32 format and clipping ------------------------------------------------ */

Test(format, fp32_is_the_plain_step)
{
    const ob_optimizer *o = ob_optimizer_find("rmsprop");
    ob_hparams h;
    ob_hparams_default(o, &h);
    h.momentum = 0.9;
    h.centered = 1;
    ob_format f;
    char err[256];
    cr_assert_eq(ob_format_parse("fp32", &f, err, sizeof err), 0);
    enum { N = 777 };
    float p[2][N], g[N], st[2][3][N];
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 10);
    for (size_t i = 0; i < N; i++) {
        p[0][i] = p[1][i] = ob_rng_special_float(&rng, 0);
        g[i] = ob_rng_special_float(&rng, 0);
        for (int k = 0; k < 3; k++) st[0][k][i] = st[1][k][i] = k ? 0.0f : 1.0f;
    }
    float *a[3] = {st[0][0], st[0][1], st[0][2]};
    void *b[3] = {st[1][0], st[1][1], st[1][2]};
    cr_assert_eq(ob_step_threaded(o, OB_ISA_SCALAR, &h, 1, N, p[0], g, a, 1, err, sizeof err), 0);
    cr_assert_eq(ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &f, 1.0f, N, p[1], g, b, 1, NULL, err, sizeof err),
                 0);
    cr_assert(!memcmp(p, p[1], sizeof p[0]) && !memcmp(st[0], st[1], sizeof st[0]));
}

Test(clip, value_with_every_format_norm_with_f32_gradients)
{
    const char *why_;
    ob_format fmts[16];
    const size_t nf = mixed_formats(fmts);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 11);
    const ob_optimizer *o = ob_optimizer_find("adam");
    for (size_t fi = 0; fi < nf; fi++) {
        ob_hparams h;
        ob_hparams_default(o, &h);
        h.clip_value = 0.5;
        if (fmts[fi].grad == OB_DT_F32) h.clip_norm = 2.0;
        FOR_EACH_PATH(k) compare_mixed(o, &h, &fmts[fi], k, 2 * OB_MIXED_BLOCK + 77, 1, 2, &rng, "clipped");
        if (fmts[fi].grad != OB_DT_F32) {
            h.clip_norm = 2.0;
            mbuf b;
            mbuf_alloc(&b, &fmts[fi], 10, 0);
            char err[256];
            cr_assert_eq(ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &fmts[fi], inv_scale_of(&fmts[fi]), 10, b.p,
                                       b.g, b.st, 1, NULL, err, sizeof err),
                         -1);
            cr_assert(strstr(err, "clip_norm needs f32 gradients"), "%s", err);
            mbuf_free(&b);
        }
    }
    ob_bf16_native_set(1);
}

/* ---- formats: parsing, bytes, errors ---------------------------------------------- */

Test(format, presets_and_bytes)
{
    static const struct {
        const char *name;
        size_t adam_bytes;
    } want[] = {
        {"fp32", 28}, {"bf16-state", 20}, {"bf16-params", 24}, {"bf16-params-sr", 24},
        {"bf16", 14}, {"bf16-sr", 14},    {"fp16-grads", 28}, {"q8-state", 16}, {"q8-state-b256", 16},
        {"q8-state-bf16-params", 12},
    };
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    cr_assert_eq(ob_format_preset_count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < ob_format_preset_count; i++) {
        ob_format f;
        char err[256];
        cr_assert_eq(ob_format_parse(want[i].name, &f, err, sizeof err), 0, "%s", err);
        cr_assert_str_eq(f.name, want[i].name);
        cr_assert_eq(ob_mixed_traffic_bytes(o, &h, &f), want[i].adam_bytes, "%s: %zu B", want[i].name,
                     ob_mixed_traffic_bytes(o, &h, &f));
    }
    ob_format f;
    char err[256], d[128];
    cr_assert_eq(ob_format_parse("state=bf16,round=sr,param=bf16,grad=f16,seed=0x10", &f, err, sizeof err), 0,
                 "%s", err);
    ob_format_describe(&f, d, sizeof d);
    cr_assert_str_eq(d, "param=bf16,grad=f16,state=bf16,round=sr,seed=16");
    cr_assert_eq(ob_mixed_state_bytes(o, &h, &f), 4);
    cr_assert_eq(ob_format_parse("bf16-sr,seed=99", &f, err, sizeof err), 0, "%s", err);
    cr_assert_eq(f.seed, 99);
    cr_assert_eq(f.round, OB_ROUND_SR);
}

Test(format, bad_specs_rejected_with_the_bad_part_named)
{
    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"", "empty format"},
        {"bf17", "unknown preset 'bf17'"},
        {"param=f16", "'param=f16': parameters are stored as f32 or bf16"},
        {"state=f16", "optimizer states are stored as f32, bf16 or q8"},
        {"grad=f64", "gradients are stored as f32, bf16 or f16"},
        {"param=bf16,round=nearest", "rounding is rne"},
        {"param=bf16,colour=red", "unknown key 'colour'"},
        {"param=bf16,param=f32", "'param' is given twice"},
        {"round=sr", "round=sr applies to bf16 parameters only"},
        {"param=bf16,round=sr,seed=-1", "the seed is an integer"},
        {"param=bf16,round=sr,seed=12x", "the seed is an integer"},
        {"param=bf16,seed=3", "seed= is only used with stochastic rounding"},
        {"bf16,state=f32", "a preset fixes the storage"},
        {"param=bf16,bf16", "is neither a preset"},
        {"bf16,,seed=1", "empty part"},
        {"bf16,", "empty part"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ob_format f;
        char err[512] = "";
        cr_assert_eq(ob_format_parse(bad[i].spec, &f, err, sizeof err), -1, "'%s' was accepted", bad[i].spec);
        cr_assert(strstr(err, bad[i].msg), "'%s': message '%s' lacks '%s'", bad[i].spec, err, bad[i].msg);
    }
}

Test(format, bad_step_arguments_touch_nothing)
{
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    ob_format f16, bf;
    char err[256];
    cr_assert_eq(ob_format_parse("fp16-grads", &f16, err, sizeof err), 0);
    cr_assert_eq(ob_format_parse("bf16", &bf, err, sizeof err), 0);
    mbuf b, c;
    mbuf_alloc(&b, &f16, 50, 0);
    mbuf_alloc(&c, &f16, 50, 0);
    static const float scales[] = {0.3f, 0.0f, -0.5f, INFINITY, NAN, 0x1p25f, 0x1p-70f};
    for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++) {
        cr_assert_eq(ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &f16, scales[i], 50, b.p, b.g, b.st, 1, NULL, err,
                                   sizeof err),
                     -1, "inverse loss scale %g accepted", (double)scales[i]);
        cr_assert(strstr(err, "power of two"), "%s", err);
    }
    cr_assert_eq(
        ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &bf, 0.5f, 50, b.p, b.g, b.st, 1, NULL, err, sizeof err), -1);
    cr_assert(strstr(err, "only used with fp16 gradients"), "%s", err);
    void *missing[3] = {b.st[0], NULL, NULL};
    cr_assert_eq(
        ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &f16, 1.0f, 50, b.p, b.g, missing, 1, NULL, err, sizeof err),
        -1);
    cr_assert(strstr(err, "exp_avg_sq"), "%s", err);
    cr_assert_eq(
        ob_step_mixed(o, OB_ISA_SCALAR, &h, 0, &f16, 1.0f, 50, b.p, b.g, b.st, 1, NULL, err, sizeof err), -1);
    for (int k = 0; k < 2 + OB_MAX_STATE; k++) cr_assert_eq(mbuf_diff(&b, &c, k), 50);
    cr_assert_eq(
        ob_step_mixed(o, OB_ISA_SCALAR, &h, 1, &bf, 1.0f, 0, NULL, NULL, NULL, 1, NULL, err, sizeof err), 0,
        "n = 0 must be a no-op: %s", err);
    mbuf_free(&b);
    mbuf_free(&c);
}
