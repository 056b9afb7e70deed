/*
 * test_q8_bucket.c — the q8 bucket quantizer (kernels/framework/ob_mixed.h
 * "ob_q8_qtab") against the definition c = #{j : y > M[j]}.
 *
 *  - the table's invariants: at most one midpoint per bucket, none in
 *    bucket 0 or in the last bucket, base counts the midpoints below;
 *  - every fp32 bit pattern with a stride, every midpoint +-2 ulp and the
 *    special values, through ob_q8_code_bucket and every vector ISA's
 *    q8_quant (r = 1, so y is the pattern itself): equal to the
 *    definition (ob_q8_code_of);
 *  - the arithmetic count (ob_q8_count_arith) against the definition
 *    wherever it decides, and how often it does not;
 *  - with OPTBENCH_Q8_EXHAUSTIVE=1 (make q8-exhaustive; ~1 min): all 2^32
 *    bit patterns, both codebooks, against the count kept by a walk over
 *    the sorted midpoints.
 *
 * ISAs the CPU lacks are skipped.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/framework/ob_mixed.h"
#include "common/ob_test.h"

static const ob_isa vec_isas[] = {OB_ISA_AVX2, OB_ISA_AVX512};

static float from_bits(uint32_t b)
{
    float x;
    memcpy(&x, &b, 4);
    return x;
}

static uint32_t to_bits(float x)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    return b;
}

Test(bucket, table_invariants)
{
    for (int u = 0; u < 2; u++) {
        const ob_q8_qtab *t = ob_q8_quant_table(u);
        const float *m = ob_q8_midpoints(u);
        cr_assert_eq(t->mid, m);
        cr_assert_eq(t->unsigned_, u);
        cr_assert(t->shift >= 16 && t->shift <= 23);
        const int j0 = u ? 0 : 127; /* the positive midpoints */
        uint32_t seen = 0;
        for (uint32_t k = 0; k <= t->last; k++) {
            const uint32_t e = t->bucket[k], base = e & 0xff, key = k + t->first;
            uint32_t in = 0, below = 0;
            for (int j = j0; j < 255; j++) {
                const uint32_t mk = to_bits(m[j]) >> t->shift;
                in += mk == key;
                below += mk < key;
            }
            cr_assert(in <= 1, "u=%d: bucket %u holds %u midpoints", u, k, in);
            cr_assert(!(in && (k == 0 || k == t->last)), "u=%d: the edge bucket %u holds a midpoint", u, k);
            cr_assert_eq(base, below, "u=%d bucket %u: base %u, %u midpoints below", u, k, base, below);
            if (in) cr_assert_eq(e >> 8, to_bits(m[j0 + base]) & ((1u << t->shift) - 1));
            else cr_assert_eq(e >> 8, 1u << t->shift);
            seen += in;
        }
        cr_assert_eq(seen, (uint32_t)(255 - j0), "u=%d: every positive midpoint has its bucket", u);
    }
}

/* Codes of n patterns x by the definition, by ob_q8_code_bucket and by
 * every vector ISA; fails on the first difference. */
static void check_patterns(int u, size_t n, const float *x, const uint8_t *want, uint8_t *got)
{
    const ob_q8_qtab *t = ob_q8_quant_table(u);
    for (size_t i = 0; i < n; i++) {
        const uint8_t c = ob_q8_code_bucket(x[i], t);
        if (c != want[i])
            cr_assert_fail("u=%d: bucket code of %a (0x%08x) is %u, the definition %u", u, (double)x[i], to_bits(x[i]), c,
                     want[i]);
    }
    for (size_t k = 0; k < sizeof vec_isas / sizeof vec_isas[0]; k++) {
        if (!ob_isa_supported(vec_isas[k])) continue;
        const ob_cvt_ops *v = ob_cvt_ops_for(vec_isas[k]);
        v->q8_quant(n, x, 1.0f, t, got);
        if (memcmp(got, want, n))
            for (size_t i = 0; i < n; i++)
                if (got[i] != want[i])
                    cr_assert_fail("u=%d %s: code of %a (0x%08x) is %u, the definition %u", u, v->name, (double)x[i],
                             to_bits(x[i]), got[i], want[i]);
    }
}

Test(bucket, sampled_patterns_and_midpoints)
{
    enum { N = 4096 };
    float *x = malloc(N * 4);
    uint8_t *want = malloc(N), *got = malloc(N);
    for (int u = 0; u < 2; u++) {
        const float *m = ob_q8_midpoints(u);
        size_t n = 0;
        /* Every midpoint and codebook value, +-2 ulp, both signs. */
        for (int j = 0; j < 255; j++)
            for (int d = -2; d <= 2; d++)
                for (int s = 0; s < 2; s++) {
                    const float y = from_bits(to_bits(m[j]) + (uint32_t)d);
                    x[n++] = s ? -y : y;
                }
        static const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, -2.0f, INFINITY, -INFINITY, NAN, -NAN,
                                        1e-45f, -1e-45f, 1e-38f, -1e-38f, 1.0000001f, -1.0000001f};
        memcpy(x + n, special, sizeof special);
        n += sizeof special / sizeof special[0];
        for (size_t i = 0; i < n; i++) want[i] = ob_q8_code_of(x[i], u);
        check_patterns(u, n, x, want, got);
        /* Every 65537th bit pattern, in chunks (all exponents, sign,
         * NaNs), with unaligned lengths. */
        for (uint64_t b = 0; b < (UINT64_C(1) << 32);) {
            size_t k = 0;
            for (; k < N - 3 && b < (UINT64_C(1) << 32); k++, b += 65537) x[k] = from_bits((uint32_t)b);
            for (size_t i = 0; i < k; i++) want[i] = ob_q8_code_of(x[i], u);
            check_patterns(u, k, x, want, got);
        }
    }
    free(x);
    free(want);
    free(got);
}

/* All 2^32 patterns of one sign (neg = 0: 0x00000000..0x7fffffff, else
 * 0x80000000..0xffffffff), the expected code kept by a walk: positive
 * patterns ascend in value (NaNs last), negative ones descend. */
/* The arithmetic count (ob_mixed.h "ob_q8_arith"; ob_q8_count_arith is
 * what each AVX-512 lane computes): wherever it does not flag a lane, it
 * is the definition's #{positive midpoints < x}: at every midpoint +-3
 * ulp, and on every 97th magnitude in [0, 1] against a walk over the
 * sorted midpoints; and it flags few lanes (the vectors holding one go to
 * the bucket table, so a rule that flagged everything would be exact and
 * slow). */
Test(arith, the_count_where_decided_and_how_often)
{
    for (int u = 0; u < 2; u++) {
        const ob_q8_qtab *t = ob_q8_quant_table(u);
        const float *pos = ob_q8_midpoints(u) + (u ? 0 : 127);
        const uint32_t np = u ? 255 : 128;
        for (uint32_t j = 0; j < np; j++)
            for (int d = -3; d <= 3; d++) {
                const uint32_t x = to_bits(pos[j]) + (uint32_t)d;
                int amb;
                const uint32_t G = ob_q8_count_arith(x, &t->ar, &amb);
                const uint32_t want = j + (d > 0);
                if (!amb) cr_assert_eq(G, want, "u=%d: midpoint %u %+d ulp: count %u, the definition %u", u, j, d, G, want);
            }
        uint32_t j = 0, n = 0, flagged = 0;
        for (uint32_t x = 0; x <= 0x3f800000u; x += 97) {
            while (j < np && to_bits(pos[j]) < x) j++; /* positive floats order as their bits */
            int amb;
            const uint32_t G = ob_q8_count_arith(x, &t->ar, &amb);
            n++;
            flagged += amb != 0;
            if (!amb && G != j) cr_assert_fail("u=%d: |y| = %a: count %u, the definition %u", u, (double)from_bits(x), G, j);
        }
        cr_assert(flagged < n / 1000, "u=%d: %u of %u magnitudes flagged", u, flagged, n);
    }
}

static void exhaustive_sign(int u, int neg, float *x, uint8_t *want, uint8_t *got, size_t N)
{
    const float *m = ob_q8_midpoints(u);
    int below = 0; /* #{j : M[j] < y} for the current y */
    while (below < 255 && m[below] < 0.0f) below++;
    for (uint64_t b = 0; b < (UINT64_C(1) << 31); b += N) {
        for (size_t i = 0; i < N; i++) {
            const uint32_t pat = (uint32_t)(b + i) | (neg ? 0x80000000u : 0);
            const float y = from_bits(pat);
            x[i] = y;
            if (isnan(y)) {
                want[i] = 0;
                continue;
            }
            if (!neg)
                while (below < 255 && m[below] < y) below++;
            else
                while (below > 0 && !(m[below - 1] < y)) below--;
            want[i] = (uint8_t)below;
        }
        check_patterns(u, N, x, want, got);
    }
}

Test(bucket, exhaustive_all_patterns, .timeout = 600)
{
    const char *e = getenv("OPTBENCH_Q8_EXHAUSTIVE");
    if (!e || strcmp(e, "1")) cr_skip_test("all 2^32 patterns run with OPTBENCH_Q8_EXHAUSTIVE=1 (make q8-exhaustive)");
    enum { N = 1 << 16 };
    float *x = malloc(N * 4);
    uint8_t *want = malloc(N), *got = malloc(N);
    for (int u = 0; u < 2; u++)
        for (int neg = 0; neg < 2; neg++) exhaustive_sign(u, neg, x, want, got, N);
    free(x);
    free(want);
    free(got);
}
