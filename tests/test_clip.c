/*
 * test_clip.c — the fixed-order sum of squares and gradient clipping
 * (kernels/framework/ob_reduce.h).
 *
 *  - ob_sumsq_<isa>: bit-identical to the scalar kernel over lengths
 *    relative to the widths (0, 1, W-1, W, W+1, 8W+3 for W = 8 and 16,
 *    1000, 4099), start offsets 0..3, special values; NaN comes back as
 *    the canonical NaN; ob_sumsq is independent of the thread count;
 *    the sum agrees with a compensated double reference within the
 *    derived bound gamma_K.
 *  - clipping: torch's semantics by hand (clip_grad_value_, clip_grad_norm_
 *    above and below max_norm, NaN and Inf norms), the caller's gradient
 *    untouched, every optimizer and ISA bit-identical to scalar with
 *    clipping on (also across threads), agreement with the reference
 *    within each optimizer's bound, and the generic keys validated for
 *    every optimizer.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/optimizers.h"
#include "kernels/framework/ob_reduce.h"
#include "kernels/ob_isa.h"
#include "optbench/reference.h"
#include "common/ob_test.h"

#define FOR_EACH_ISA(isa) \
    for (ob_isa isa = OB_ISA_SCALAR; isa < OB_ISA_COUNT; isa = (ob_isa)(isa + 1)) \
        if (ob_isa_supported(isa))

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- the reduction ---------------------------------------------------- */

static const size_t lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 67, 131, 1000, 4099};

Test(sumsq, bit_identical_across_isas)
{
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 31);
    float *buf = malloc((4099 + 4) * sizeof(float));
    cr_assert(buf != NULL);
    size_t cases = 0;
    for (int special = 0; special < 2; special++)
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++)
            for (size_t off = 0; off < 4; off++) {
                const size_t n = lengths[li];
                float *x = buf + off;
                for (size_t i = 0; i < n; i++)
                    x[i] = special ? ob_rng_special_float(&rng, 0) : ob_rng_normal_float(&rng, 0);
                const double want = ob_sumsq_scalar(n, x);
                FOR_EACH_ISA(isa)
                {
                    const double got = ob_sumsq_kernel(isa)(n, x);
                    cr_assert(same_double(got, want), "%s sumsq n=%zu off=%zu: %a, scalar %a; seed %#llx",
                              ob_isa_name(isa), n, off, got, want, (unsigned long long)ob_test_seed());
                    cases++;
                }
            }
    free(buf);
    cr_log_info("sumsq: %zu cases bit-identical to scalar", cases);
}

Test(sumsq, special_values)
{
    float x[37];
    for (size_t i = 0; i < 37; i++) x[i] = (float)i - 18.0f;
    const double canonical = (double)NAN;
    FOR_EACH_ISA(isa)
    {
        ob_sumsq_fn f = ob_sumsq_kernel(isa);
        cr_assert(same_double(f(0, x), 0.0), "%s: empty sum must be +0", ob_isa_name(isa));
        float y[37];
        memcpy(y, x, sizeof y);
        y[20] = -INFINITY;
        cr_assert_eq(f(37, y), INFINITY, "%s", ob_isa_name(isa));
        /* NaNs of different signs and payloads: the canonical NaN, whatever
         * the order the compiler gave the additions. */
        uint32_t bits[2] = {0xffc00000u, 0x7fc12345u};
        memcpy(&y[3], &bits[0], 4);
        memcpy(&y[35], &bits[1], 4);
        cr_assert(same_double(f(37, y), canonical), "%s: NaN is not canonical", ob_isa_name(isa));
        cr_assert(same_double(ob_sumsq(isa, 37, y, 1), canonical));
        /* Squares are exact: 3^2 + 4^2 = 25 exactly; a subnormal squares
         * to a normal double. */
        const float z[3] = {3.0f, 4.0f, 0x1p-149f};
        cr_assert(same_double(f(3, z), 25.0 + 0x1p-298), "%s: %a", ob_isa_name(isa), f(3, z));
    }
}

/* The end of the input against a PROT_NONE page: an over-read faults. */
Test(sumsq, reads_nothing_past_the_end)
{
    static const size_t ns[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 131, 4099};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        ob_guarded gx;
        float *x = ob_guarded_alloc(&gx, ns[k]);
        cr_assert(x != NULL);
        for (size_t i = 0; i < ns[k]; i++) x[i] = (float)i;
        FOR_EACH_ISA(isa)
        {
            double want = 0;
            for (size_t i = 0; i < ns[k]; i++) want += (double)i * (double)i; /* exact: integers < 2^53 */
            cr_assert_eq(ob_sumsq_kernel(isa)(ns[k], x), want, "%s n=%zu", ob_isa_name(isa), ns[k]);
        }
        ob_guarded_free(&gx);
    }
}

/* Blocks of OB_SUMSQ_BLOCK: any thread count gives the same bits, and
 * every ISA the same bits as scalar. */
Test(sumsq, blocked_and_threaded_is_one_order, .timeout = 120)
{
    const size_t n = 3 * OB_SUMSQ_BLOCK + 4 * OB_THREAD_MIN_CHUNK + 5;
    float *x = malloc(n * sizeof(float));
    cr_assert(x != NULL);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 32);
    for (size_t i = 0; i < n; i++) x[i] = ob_rng_normal_float(&rng, 0);
    const double want = ob_sumsq(OB_ISA_SCALAR, n, x, 1);
    /* The blocked order spelled out: block sums added in order. */
    double by_hand = 0;
    for (size_t lo = 0; lo < n; lo += OB_SUMSQ_BLOCK)
        by_hand = by_hand + ob_sumsq_scalar(n - lo < OB_SUMSQ_BLOCK ? n - lo : OB_SUMSQ_BLOCK, x + lo);
    cr_assert(same_double(want, by_hand));
    FOR_EACH_ISA(isa)
    {
        for (int threads = 1; threads <= 4; threads++) {
            const double got = ob_sumsq(isa, n, x, threads);
            cr_assert(same_double(got, want), "%s, %d threads: %a vs %a", ob_isa_name(isa), threads, got,
                      want);
        }
    }
    free(x);
}

/* Against the compensated double reference: relative error at most
 * gamma_K = K 2^-53 / (1 - K 2^-53), K = elements per lane per block + 4
 * tree levels + number of blocks (Higham 2002, §4.2: recursive summation
 * of nonnegative terms, with exact squares), plus the reference's 2^-53. */
Test(sumsq, agrees_with_reference_within_gamma_K, .timeout = 120)
{
    static const size_t ns[] = {1, 17, 1000, 4099, OB_SUMSQ_BLOCK + 3, 5 * OB_SUMSQ_BLOCK + 77};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 33);
    double worst = 0;
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        const size_t n = ns[k];
        float *x = malloc(n * sizeof(float));
        double *xd = malloc(n * sizeof(double));
        cr_assert(x && xd);
        for (size_t i = 0; i < n; i++) xd[i] = x[i] = ob_rng_normal_float(&rng, 0);
        const double ref = ob_ref_sumsq(n, xd);
        const double per_block = (double)(n < OB_SUMSQ_BLOCK ? n : OB_SUMSQ_BLOCK);
        const double K = ceil(per_block / OB_SUMSQ_LANES) + 4 + ceil((double)n / OB_SUMSQ_BLOCK);
        const double bound = K * 0x1p-53 / (1 - K * 0x1p-53) + 0x1p-53;
        FOR_EACH_ISA(isa)
        {
            const double got = ob_sumsq(isa, n, x, 2);
            const double rel = fabs(got - ref) / ref;
            cr_assert(rel <= bound, "%s n=%zu: relative error %.3g > gamma_K %.3g", ob_isa_name(isa), n, rel,
                      bound);
            if (rel / bound > worst) worst = rel / bound;
        }
        free(x);
        free(xd);
    }
    cr_log_info("sumsq: worst relative error %.3f of the bound gamma_K", worst);
}

/* ---- clipping by hand --------------------------------------------------- */

/* torch.clamp_(min=-c, max=c): NaN stays NaN, +-Inf become +-c. */
Test(clip, by_value)
{
    const float g[7] = {3.0f, -5.0f, 0.5f, NAN, INFINITY, -INFINITY, -0.0f};
    const float want[7] = {1.0f, -1.0f, 0.5f, NAN, 1.0f, -1.0f, -0.0f};
    float out[7];
    ob_clip_grad(7, g, out, 0, 1.0f, 1.0);
    for (int i = 0; i < 7; i++)
        cr_assert(memcmp(&out[i], &want[i], 4) == 0 || (isnan(out[i]) && isnan(want[i])), "g[%d]: %a", i,
                  (double)out[i]);
}

/* SGD with lr = 1 makes p - p0 = -g_clipped.  g = (3, 4): norm 5 > 1, so
 * g is scaled by 1/(5 + 1e-6) (computed in double, rounded to fp32 once);
 * with clip_norm = 10 the coefficient clamps to 1 and g is unchanged. */
Test(clip, by_norm_above_and_below_max)
{
    const ob_optimizer *o = ob_optimizer_find("sgd");
    FOR_EACH_ISA(isa)
    {
        for (int below = 0; below < 2; below++) {
            ob_hparams h;
            char err[256];
            ob_hparams_default(o, &h);
            h.lr = 1;
            cr_assert_eq(ob_hparam_set(o, &h, below ? "clip_norm=10" : "clip_norm=1", err, sizeof err), 0,
                         "%s", err);
            float p[2] = {0, 0};
            const float g[2] = {3, 4};
            cr_assert_eq(ob_step(o, isa, &h, 1, 2, p, g, NULL, err, sizeof err), 0, "%s", err);
            const float scale = below ? 1.0f : (float)(1.0 / (5.0 + 1e-6));
            for (int i = 0; i < 2; i++)
                cr_assert_eq(p[i], -(g[i] * scale), "%s %s: p[%d] = %a", ob_isa_name(isa),
                             below ? "below" : "above", i, (double)p[i]);
            cr_assert(g[0] == 3 && g[1] == 4, "the caller's gradient was modified");
        }
    }
}

/* torch with error_if_nonfinite = False: a NaN norm makes the coefficient
 * NaN and every gradient NaN; an infinite norm makes it 0: finite elements
 * become +-0 (p unchanged under SGD), the infinite one NaN. */
Test(clip, nonfinite_norm_as_torch)
{
    const ob_optimizer *o = ob_optimizer_find("sgd");
    FOR_EACH_ISA(isa)
    {
        ob_hparams h;
        char err[256];
        ob_hparams_default(o, &h);
        h.lr = 1;
        h.clip_norm = 1;
        float p[3] = {1, 2, 3};
        const float gn[3] = {1, NAN, 2};
        cr_assert_eq(ob_step(o, isa, &h, 1, 3, p, gn, NULL, err, sizeof err), 0, "%s", err);
        for (int i = 0; i < 3; i++)
            cr_assert(isnan(p[i]), "%s: NaN norm: p[%d] = %g", ob_isa_name(isa), i, (double)p[i]);
        float q[3] = {1, 2, 3};
        const float gi[3] = {1, INFINITY, -2};
        cr_assert_eq(ob_step(o, isa, &h, 1, 3, q, gi, NULL, err, sizeof err), 0, "%s", err);
        cr_assert(q[0] == 1 && q[2] == 3 && isnan(q[1]), "%s: Inf norm: %g %g %g", ob_isa_name(isa),
                  (double)q[0], (double)q[1], (double)q[2]);
    }
}

/* ---- every optimizer, every ISA ----------------------------------------- */

static const char *const clip_modes[][2] = {
    {"clip_norm=1", "clip_value=0"},      /* norm only, always clips */
    {"clip_norm=0", "clip_value=0.01"},   /* value only */
    {"clip_norm=0.5", "clip_value=1e-3"}, /* both */
    {"clip_norm=1e30", "clip_value=0"},   /* norm below max: coefficient 1 */
};
#define N_MODES (sizeof clip_modes / sizeof clip_modes[0])

static void set_clip(const ob_optimizer *o, ob_hparams *h, size_t mode)
{
    char err[256];
    for (int k = 0; k < 2; k++)
        cr_assert_eq(ob_hparam_set(o, h, clip_modes[mode][k], err, sizeof err), 0, "%s", err);
}

/* Steps n elements (from a fresh random start for `seed`) through ob_step
 * on `isa` with `threads` threads; p and the state are returned in one
 * array of (1 + n_state) n floats.  g is checked unmodified. */
static float *clipped_run(const ob_optimizer *o, const ob_hparams *h, ob_isa isa, int threads, size_t n,
                          uint64_t seed)
{
    const size_t ns = o->n_state;
    float *out = malloc((1 + ns) * n * sizeof(float)), *g = malloc(n * sizeof(float)),
          *g0 = malloc(n * sizeof(float));
    cr_assert(out && g && g0);
    float *st[OB_MAX_STATE] = {0};
    for (size_t k = 0; k < ns; k++) st[k] = out + (1 + k) * n;
    ob_rng rng;
    ob_rng_init(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        out[i] = ob_rng_special_float(&rng, 0);
        for (size_t k = 0; k < ns; k++) st[k][i] = ob_rng_special_float(&rng, ob_state_nonneg(o, k));
    }
    char err[256];
    for (uint64_t t = 1; t <= 4; t++) {
        /* Mostly ordinary values, so the norm stays finite in most steps
         * and the scaling is exercised; a special value now and then. */
        for (size_t i = 0; i < n; i++)
            g0[i] = g[i] = ob_rng_next(&rng) % 64 ? ob_rng_normal_float(&rng, 0)
                                                  : ob_rng_special_float(&rng, 0);
        cr_assert_eq(ob_step_threaded(o, isa, h, t, n, out, g, st, threads, err, sizeof err), 0, "%s", err);
        cr_assert(memcmp(g, g0, n * sizeof(float)) == 0, "%s: the caller's gradient was modified", o->name);
    }
    free(g);
    free(g0);
    return out;
}

Test(clip, every_optimizer_bit_identical_across_isas, .timeout = 300)
{
    static const size_t ns[] = {1, 17, 1000, 2 * OB_CLIP_BLOCK + 3};
    size_t cases = 0;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        for (size_t mode = 0; mode < N_MODES; mode++) {
            ob_hparams h;
            ob_hp_config(o, ob_hp_config_count(o) - 1, &h); /* every option toggled, if valid */
            char err[256];
            if (ob_validate(o, &h, err, sizeof err) != 0) ob_hparams_default(o, &h);
            set_clip(o, &h, mode);
            for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
                const size_t n = ns[k], len = (1 + o->n_state) * n;
                const uint64_t seed = ob_test_seed() + 1000 * oi + 10 * mode + k;
                float *want = clipped_run(o, &h, OB_ISA_SCALAR, 1, n, seed);
                FOR_EACH_ISA(isa)
                {
                    if (isa == OB_ISA_SCALAR || !ob_optimizer_kernel(o, isa)) continue;
                    float *got = clipped_run(o, &h, isa, 1, n, seed);
                    size_t d = ob_first_diff(want, got, len);
                    cr_assert_eq(d, len,
                                 "%s %s/%s n=%zu: differs from scalar at %zu (array %zu, element %zu)",
                                 o->name, clip_modes[mode][0], clip_modes[mode][1], n, d, d / n, d % n);
                    free(got);
                    cases++;
                }
                free(want);
            }
        }
    }
    cr_log_info("clip: %zu optimizer x mode x length x ISA cases bit-identical to scalar", cases);
}

Test(clip, independent_of_thread_count, .timeout = 300)
{
    const size_t n = 2 * OB_SUMSQ_BLOCK + 3 * OB_THREAD_MIN_CHUNK + 37;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        ob_hparams h;
        ob_hparams_default(o, &h);
        set_clip(o, &h, 2);
        const size_t len = (1 + o->n_state) * n;
        FOR_EACH_ISA(isa)
        {
            if (!ob_optimizer_kernel(o, isa)) continue; /* a scalar-only entry */
            float *want = clipped_run(o, &h, isa, 1, n, ob_test_seed() + oi);
            for (int threads = 2; threads <= 4; threads++) {
                float *got = clipped_run(o, &h, isa, threads, n, ob_test_seed() + oi);
                size_t d = ob_first_diff(want, got, len);
                cr_assert_eq(d, len, "%s/%s: %d threads differ from 1 at %zu", o->name, ob_isa_name(isa),
                             threads, d);
                free(got);
            }
            free(want);
        }
    }
}

/* ---- agreement with the reference ---------------------------------------- */

/* ob_agree_measure runs a kernel directly; this one goes through the step
 * runner, which clips, with the scalar kernel of the optimizer under test. */
static ob_kernel_fn current_kernel;
static void clipped_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    ob_run_kernel_threaded(OB_ISA_SCALAR, current_kernel, n, p, g, st, OB_MAX_STATE, s, 1);
}

/* A broken clip: the clip coefficient off by 2^-12 (max_norm mis-rounded). */
static void clipped_wrong(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    ob_step_scalars w = *s;
    w.clip_norm *= 1 + 0x1p-12;
    ob_run_kernel_threaded(OB_ISA_SCALAR, current_kernel, n, p, g, st, OB_MAX_STATE, &w, 1);
}

Test(clip, agrees_with_reference_within_bound, .timeout = 300)
{
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 34);
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        current_kernel = ob_optimizer_kernel(o, OB_ISA_SCALAR);
        double worst = 0;
        size_t configs = 0;
        for (size_t c = 0; c < ob_hp_config_count(o); c++) {
            for (size_t mode = 0; mode < N_MODES; mode++) {
                ob_hparams h;
                if (ob_hp_config(o, c, &h) != 0) continue;
                set_clip(o, &h, mode);
                char where[512] = "";
                double e = ob_agree_measure(o, &h, clipped_scalar, ob_rng_next(&rng), 257, 8, where,
                                            sizeof where);
                cr_assert(e >= 0, "out of memory");
                cr_assert(e <= o->agree_bound, "%s %s/%s: error %.3g u*S exceeds the bound %g; seed %#llx",
                          where, clip_modes[mode][0], clip_modes[mode][1], e, o->agree_bound,
                          (unsigned long long)ob_test_seed());
                if (e > worst) worst = e;
                configs++;
            }
        }
        cr_log_info("clip agreement %-8s: max error %.3f u*S over %zu configs (bound %g)", o->name, worst,
                    configs, o->agree_bound);
    }
    /* The check can fail: a clip coefficient off by 2^-12. */
    const ob_optimizer *adam = ob_optimizer_find("adam");
    current_kernel = ob_optimizer_kernel(adam, OB_ISA_SCALAR);
    ob_hparams h;
    ob_hparams_default(adam, &h);
    set_clip(adam, &h, 0);
    char where[512];
    double e = ob_agree_measure(adam, &h, clipped_wrong, 7, 257, 8, where, sizeof where);
    cr_assert(e > adam->agree_bound, "a wrong clipped gradient went unnoticed (%.3g u*S)", e);
}

/* ---- the generic keys ----------------------------------------------------- */

Test(clip, keys_are_known_and_validated_for_every_optimizer)
{
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        for (size_t k = 0; k < ob_clip_hparam_count; k++) {
            const ob_hparam_spec *sp = &ob_clip_hparams[k];
            cr_assert_eq(ob_hparam_find(o, sp->name), sp, "%s does not know %s", o->name, sp->name);
            ob_hparams h;
            char err[256], set[64];
            ob_hparams_default(o, &h);
            cr_assert_eq(ob_hparam_get(&h, sp), 0.0, "%s: %s must default to 0 (off)", o->name, sp->name);
            snprintf(set, sizeof set, "%s=2.5", sp->name);
            cr_assert_eq(ob_hparam_set(o, &h, set, err, sizeof err), 0, "%s", err);
            cr_assert_eq(ob_hparam_get(&h, sp), 2.5);
            const double bad[] = {-1e-3, NAN, INFINITY, -INFINITY};
            for (size_t b = 0; b < 4; b++) {
                ob_hparams_default(o, &h);
                ob_hparam_put(&h, sp, bad[b]);
                float p[3] = {1, 2, 3}, g[3] = {1, 1, 1};
                float st[OB_MAX_STATE][3] = {{7, 7, 7}, {7, 7, 7}, {7, 7, 7}, {7, 7, 7}};
                float *stp[OB_MAX_STATE] = {st[0], st[1], st[2], st[3]};
                cr_assert_eq(ob_step(o, OB_ISA_SCALAR, &h, 1, 3, p, g, stp, err, sizeof err), -1,
                             "%s: %s = %g accepted", o->name, sp->name, bad[b]);
                cr_assert(strstr(err, sp->name) && strstr(err, "valid"), "%s", err);
                cr_assert(p[0] == 1 && p[1] == 2 && p[2] == 3 && st[0][0] == 7, "%s: state touched", o->name);
            }
        }
    }
}

/* The ISA is passed explicitly: each ISA's kernels and reductions come
 * from that ISA's own table (NULL where it was not compiled in), and a
 * clipped step reduces with the ISA its caller names; every ISA's
 * reduction gives the scalar one's bits, so the choice changes nothing. */
Test(clip, isa_is_passed_explicitly)
{
    enum { N = 3001 };
    const ob_optimizer *adam = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(adam, &h);
    h.clip_norm = 0.5;
    ob_step_scalars s;
    adam->prepare(&h, 3, &s);
    float *g = malloc(N * sizeof *g), *want = malloc(N * sizeof *want), *got = malloc(N * sizeof *got);
    float *st[2][OB_MAX_STATE];
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < OB_MAX_STATE; j++) st[k][j] = calloc(N, sizeof(float));
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 35);
    for (size_t i = 0; i < N; i++) {
        g[i] = ob_rng_normal_float(&rng, 0);
        want[i] = ob_rng_normal_float(&rng, 0);
    }
    ob_run_kernel_threaded(OB_ISA_SCALAR, ob_optimizer_kernel(adam, OB_ISA_SCALAR), N, want, g, st[0],
                           OB_MAX_STATE, &s, 1);
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        const ob_isa_table *t = ob_isa_table_of((ob_isa)isa);
        cr_assert_eq(t != NULL, ob_isa_compiled((ob_isa)isa) != 0, "%s", ob_isa_name((ob_isa)isa));
        cr_assert(ob_sumsq_kernel((ob_isa)isa) == (t ? t->sumsq : NULL));
        for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
            const ob_optimizer *o = ob_optimizer_table[oi];
            const ob_isa_step *k = ob_isa_table_step(t, o->kernel_key);
            cr_assert(ob_optimizer_kernel(o, (ob_isa)isa) == (k ? k->exact : NULL), "%s/%s", o->name,
                      ob_isa_name((ob_isa)isa));
        }
        if (!ob_isa_supported((ob_isa)isa)) continue;
        /* The scalar kernel with this ISA's reduction: the scalar result. */
        ob_rng_init(&rng, ob_test_seed() + 35);
        for (size_t i = 0; i < N; i++) {
            (void)ob_rng_normal_float(&rng, 0);
            got[i] = ob_rng_normal_float(&rng, 0);
        }
        for (int j = 0; j < OB_MAX_STATE; j++) memset(st[1][j], 0, N * sizeof(float));
        ob_run_kernel_threaded((ob_isa)isa, ob_optimizer_kernel(adam, OB_ISA_SCALAR), N, got, g, st[1],
                               OB_MAX_STATE, &s, 1);
        cr_assert_eq(ob_first_diff(want, got, N), (size_t)N, "%s reduction", ob_isa_name((ob_isa)isa));
    }
    free(g);
    free(want);
    free(got);
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < OB_MAX_STATE; j++) free(st[k][j]);
}
