/*
 * test_sam.c — the SAM / ASAM ascent step (kernels/framework/ob_sam.h).
 *
 *  - the perturbation x_hat and ASAM's fixed-order sum of squares are
 *    bit-identical to the scalar kernels on every ISA (lengths 0, 1, W-1,
 *    W, W+1, 8W+3 for W = 8 and 16, 1000, 4099; unaligned pointers;
 *    ±0, subnormals, huge values, NaN and Inf), for any thread count,
 *    and read and write nothing past the end;
 *  - x_hat agrees with the double reference (ob_ref_sam_perturb) within
 *    the derived bound, and a wrong scale or a missing eta is caught;
 *  - closed forms on f = 1/2 x^T A x with diagonal A: SAM's and ASAM's
 *    x_hat, the gradient A x_hat and the SGD step from it, by hand;
 *    g = 0 gives x_hat = x; non-finite norms as the PyTorch code;
 *  - the keys: known to every optimizer, defaults, bad values rejected
 *    with the key's name; `optbench trace` refuses SAM;
 *  - `optbench run` end to end: the first step by hand, both gradients on
 *    the same mini-batch, gradient evaluations doubled, a SAM run differs
 *    from a plain one, every ISA bit-identical, a --grid over sam_rho.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/testkit/ob_testkit.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "optbench/optimizers.h"
#include "kernels/framework/ob_reduce.h"
#include "kernels/framework/ob_sam.h"
#include "optbench/problems.h"
#include "optbench/reference.h"
#include "common/ob_test.h"
#include "common/ob_test_proc.h"

#define FOR_EACH_ISA(isa) \
    for (ob_isa isa = OB_ISA_SCALAR; isa < OB_ISA_COUNT; isa = (ob_isa)(isa + 1)) \
        if (ob_isa_supported(isa))

#define SEED ((unsigned long long)ob_test_seed())

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* sgd defaults with the SAM keys: rho, adaptive, eta. */
static ob_hparams sam_hp(double rho, int adaptive, double eta)
{
    ob_hparams h;
    ob_hparams_default(ob_optimizer_find("sgd"), &h);
    h.sam_rho = rho;
    h.sam_adaptive = adaptive;
    h.sam_eta = eta;
    return h;
}

/* Both modes with their paper-like radii. */
static const struct {
    double rho;
    int adaptive;
    double eta;
    const char *name;
} modes[] = {
    {0.05, 0, 0.01, "SAM rho=0.05"},
    {0.5, 1, 0.01, "ASAM rho=0.5 eta=0.01"},
    {2.0, 1, 1.0, "ASAM rho=2 eta=1"},
};
#define N_MODES (sizeof modes / sizeof modes[0])

static void skip_line(void)
{
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (!ob_isa_supported((ob_isa)i))
            cr_log_warn("SKIPPED %s: %s", ob_isa_name((ob_isa)i), ob_isa_unavailable_reason((ob_isa)i));
}

/* ---- bit-identity ----------------------------------------------------------- */

static const size_t lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 67, 131, 1000, 4099};

Test(perturb, bit_identical_across_isas)
{
    skip_line();
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 41);
    const size_t cap = 4099 + 4;
    float *xb = malloc(cap * sizeof(float)), *gb = malloc(cap * sizeof(float));
    float *want = malloc(cap * sizeof(float)), *got = malloc(cap * sizeof(float));
    cr_assert(xb && gb && want && got);
    size_t cases = 0;
    for (size_t m = 0; m < N_MODES; m++) {
        const ob_hparams h = sam_hp(modes[m].rho, modes[m].adaptive, modes[m].eta);
        for (int special = 0; special < 3; special++)
            for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++)
                for (size_t off = 0; off < 4; off++) {
                    const size_t n = lengths[li];
                    /* x, g and x_hat at different misalignments. */
                    float *x = xb + off, *g = gb + (3 - off), *w = want + (off + 1) % 4,
                          *o = got + (off + 2) % 4;
                    for (size_t i = 0; i < n; i++) {
                        /* special 0: ordinary; 1: special values in g and x;
                         * 2: mostly ordinary with one special now and then,
                         * so the norm stays finite and the scaling shows. */
                        const int sp = special == 1 || (special == 2 && ob_rng_next(&rng) % 32 == 0);
                        x[i] = sp ? ob_rng_special_float(&rng, 0) : ob_rng_normal_float(&rng, 0);
                        g[i] = sp ? ob_rng_special_float(&rng, 0) : ob_rng_normal_float(&rng, 0);
                    }
                    cr_assert_eq(ob_sam_perturb(OB_ISA_SCALAR, &h, n, x, g, w, 1), 0);
                    const double sum0 = ob_sam_tgsq_scalar(n, x, g, (float)modes[m].eta);
                    FOR_EACH_ISA(isa)
                    {
                        if (isa == OB_ISA_SCALAR) continue;
                        cr_assert_eq(ob_sam_perturb(isa, &h, n, x, g, o, 1), 0);
                        const size_t d = ob_first_diff(w, o, n);
                        cr_assert_eq(d, n,
                                     "%s %s n=%zu off=%zu special=%d: x_hat[%zu] = %a, scalar %a; seed %#llx",
                                     ob_isa_name(isa), modes[m].name, n, off, special, d, (double)o[d],
                                     (double)w[d], SEED);
                        const double sum = ob_sam_tgsq_kernel(isa)(n, x, g, (float)modes[m].eta);
                        cr_assert(same_double(sum, sum0), "%s tgsq n=%zu off=%zu: %a, scalar %a; seed %#llx",
                                  ob_isa_name(isa), n, off, sum, sum0, SEED);
                        cases++;
                    }
                }
    }
    free(xb);
    free(gb);
    free(want);
    free(got);
    cr_log_info("sam: %zu perturbation cases (and ASAM sums) bit-identical to scalar; seed %#llx", cases,
                SEED);
}

/* NaNs of both signs and two payloads in the ASAM sum: the canonical NaN. */
Test(perturb, tgsq_nan_is_canonical)
{
    float x[37], g[37];
    for (int i = 0; i < 37; i++) x[i] = g[i] = (float)i - 18.0f;
    const uint32_t bits[2] = {0xffc00000u, 0x7fc12345u};
    memcpy(&g[3], &bits[0], 4);
    memcpy(&x[35], &bits[1], 4);
    FOR_EACH_ISA(isa)
    {
        const double s = ob_sam_tgsq_kernel(isa)(37, x, g, 0.01f);
        cr_assert(same_double(s, (double)NAN), "%s: %a", ob_isa_name(isa), s);
        cr_assert(same_double(ob_sam_tgsq_kernel(isa)(0, x, g, 0.01f), 0.0), "%s: empty sum",
                  ob_isa_name(isa));
    }
}

/* Several blocks of the reduction and several thread chunks: every ISA and
 * thread count gives the scalar single-thread bits. */
Test(perturb, independent_of_thread_count, .timeout = 300)
{
    const size_t n = 2 * OB_SUMSQ_BLOCK + 3 * OB_THREAD_MIN_CHUNK + 37;
    float *x = malloc(n * sizeof(float)), *g = malloc(n * sizeof(float));
    float *want = malloc(n * sizeof(float)), *got = malloc(n * sizeof(float));
    cr_assert(x && g && want && got);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 42);
    for (size_t i = 0; i < n; i++) {
        x[i] = ob_rng_normal_float(&rng, 0);
        g[i] = ob_rng_normal_float(&rng, 0);
    }
    for (size_t m = 0; m < N_MODES; m++) {
        const ob_hparams h = sam_hp(modes[m].rho, modes[m].adaptive, modes[m].eta);
        cr_assert_eq(ob_sam_perturb(OB_ISA_SCALAR, &h, n, x, g, want, 1), 0);
        FOR_EACH_ISA(isa)
        {
            for (int threads = 1; threads <= 4; threads++) {
                memset(got, 0, n * sizeof(float));
                cr_assert_eq(ob_sam_perturb(isa, &h, n, x, g, got, threads), 0);
                const size_t d = ob_first_diff(want, got, n);
                cr_assert_eq(d, n, "%s %s, %d threads: differs from scalar at %zu; seed %#llx",
                             ob_isa_name(isa), modes[m].name, threads, d, SEED);
            }
        }
    }
    /* x_hat may be x itself. */
    const ob_hparams h = sam_hp(modes[1].rho, 1, modes[1].eta);
    cr_assert_eq(ob_sam_perturb(OB_ISA_SCALAR, &h, n, x, g, want, 1), 0);
    cr_assert_eq(ob_sam_perturb(OB_ISA_SCALAR, &h, n, x, g, x, 2), 0);
    cr_assert_eq(ob_first_diff(want, x, n), n, "in place differs");
    free(x);
    free(g);
    free(want);
    free(got);
}

/* Each array's end against a PROT_NONE page: an over-read or over-write
 * faults. */
Test(perturb, reads_and_writes_nothing_past_the_end)
{
    static const size_t ns[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 131, 4099};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        const size_t n = ns[k];
        ob_guarded gx, gg, gh;
        float *x = ob_guarded_alloc(&gx, n), *g = ob_guarded_alloc(&gg, n), *xh = ob_guarded_alloc(&gh, n);
        cr_assert(x && g && xh);
        for (size_t i = 0; i < n; i++) {
            x[i] = (float)i - 3.0f;
            g[i] = 1.0f / (float)(i + 1);
        }
        FOR_EACH_ISA(isa)
        {
            for (int adaptive = 0; adaptive < 2; adaptive++) {
                const ob_hparams h = sam_hp(0.5, adaptive, 0.01);
                cr_assert_eq(ob_sam_perturb(isa, &h, n, x, g, xh, 1), 0);
            }
            cr_assert(ob_sam_tgsq_kernel(isa)(n, x, g, 0.01f) > 0);
        }
        ob_guarded_free(&gx);
        ob_guarded_free(&gg);
        ob_guarded_free(&gh);
    }
}

/* ---- agreement with the reference ------------------------------------------- */

/* Worst error of x_hat from `perturb` against the reference, in u*S. */
typedef void (*perturb_fn)(const ob_hparams *h, size_t n, const float *x, const float *g, float *xh);

static void perturb_scalar(const ob_hparams *h, size_t n, const float *x, const float *g, float *xh)
{
    cr_assert_eq(ob_sam_perturb(OB_ISA_SCALAR, h, n, x, g, xh, 1), 0);
}

/* Broken: the scale off by 2^-16 (a mis-rounded rho). */
static void perturb_wrong_scale(const ob_hparams *h, size_t n, const float *x, const float *g, float *xh)
{
    ob_sam_scalars s;
    ob_sam_prepare(OB_ISA_SCALAR, h, n, x, g, 1, &s);
    s.scale *= 1.0f + 0x1p-16f;
    ob_sam_perturb_scalar(n, x, g, xh, &s);
}

/* Broken: ASAM without eta in T (T = diag(|x|), as some ports have it). */
static void perturb_no_eta(const ob_hparams *h, size_t n, const float *x, const float *g, float *xh)
{
    ob_hparams w = *h;
    w.sam_eta = 0x1p-100; /* > 0 so that the keys stay valid */
    cr_assert_eq(ob_sam_perturb(OB_ISA_SCALAR, &w, n, x, g, xh, 1), 0);
}

static double measure(perturb_fn f, const ob_hparams *h, size_t n, uint64_t seed, size_t *at)
{
    float *x = malloc(n * sizeof(float)), *g = malloc(n * sizeof(float)), *xh = malloc(n * sizeof(float));
    double *xd = malloc(n * sizeof(double)), *gd = malloc(n * sizeof(double));
    double *rd = malloc(n * sizeof(double)), *S = malloc(n * sizeof(double));
    cr_assert(x && g && xh && xd && gd && rd && S);
    ob_rng rng;
    ob_rng_init(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        xd[i] = x[i] = ob_rng_normal_float(&rng, 0);
        gd[i] = g[i] = ob_rng_normal_float(&rng, 0);
    }
    f(h, n, x, g, xh);
    ob_ref_sam_perturb(h, n, xd, gd, rd, S);
    const double e = ob_agree_error(xh, rd, S, n, at);
    free(x);
    free(g);
    free(xh);
    free(xd);
    free(gd);
    free(rd);
    free(S);
    return e;
}

Test(perturb, agrees_with_reference_within_bound, .timeout = 120)
{
    static const size_t ns[] = {1, 17, 1031, 4099, OB_SUMSQ_BLOCK + 3};
    static const double rhos[] = {0.05, 0.5, 2.0, 1e-3};
    static const double etas[] = {0.01, 1.0, 1e-6};
    double worst[2] = {0, 0};
    size_t runs = 0;
    for (int adaptive = 0; adaptive < 2; adaptive++)
        for (size_t r = 0; r < sizeof rhos / sizeof rhos[0]; r++)
            for (size_t e = 0; e < (adaptive ? sizeof etas / sizeof etas[0] : 1); e++)
                for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
                    const ob_hparams h = sam_hp(rhos[r], adaptive, etas[e]);
                    const double bound = adaptive ? OB_ASAM_AGREE_BOUND : OB_SAM_AGREE_BOUND;
                    size_t at;
                    const uint64_t seed = ob_test_seed() + 100 * r + 10 * e + k + 1000 * (uint64_t)adaptive;
                    const double err = measure(perturb_scalar, &h, ns[k], seed, &at);
                    cr_assert(err <= bound,
                              "%s rho=%g eta=%g n=%zu: x_hat[%zu] off by %.3g u*S > %g; seed %#llx",
                              adaptive ? "ASAM" : "SAM", rhos[r], etas[e], ns[k], at, err, bound, SEED);
                    if (err > worst[adaptive]) worst[adaptive] = err;
                    runs++;
                }
    cr_log_info("sam agreement: max error %.3f u*S (bound %g), ASAM %.3f u*S (bound %g), %zu runs", worst[0],
                OB_SAM_AGREE_BOUND, worst[1], OB_ASAM_AGREE_BOUND, runs);
    /* The check can fail. */
    size_t at;
    for (int adaptive = 0; adaptive < 2; adaptive++) {
        const ob_hparams h = sam_hp(0.5, adaptive, 0.01);
        const double bound = adaptive ? OB_ASAM_AGREE_BOUND : OB_SAM_AGREE_BOUND;
        const double e = measure(perturb_wrong_scale, &h, 1031, 7, &at);
        cr_assert(e > bound, "a scale off by 2^-16 went unnoticed (%s, %.3g u*S)", adaptive ? "ASAM" : "SAM",
                  e);
    }
    const ob_hparams h = sam_hp(0.5, 1, 0.01);
    const double e = measure(perturb_no_eta, &h, 1031, 7, &at);
    cr_assert(e > OB_ASAM_AGREE_BOUND, "ASAM without eta went unnoticed (%.3g u*S)", e);
}

/* ---- closed forms ------------------------------------------------------------- */

/* Relative closeness within k fp32 ulps of the value. */
static int near(float got, double want, double k)
{
    return fabs((double)got - want) <= k * 0x1p-23 * fabs(want);
}

/* f = 1/2 x^T A x, A = diag(3, 4), x = (1, 1): g = A x = (3, 4), ||g|| = 5,
 * eps = 0.05 (3, 4) / (5 + 1e-12) = (0.03, 0.04) (the 1e-12 moves it by
 * 2e-13 relative), x_hat = (1.03, 1.04), the SAM gradient A x_hat =
 * (3.09, 4.16), and SGD with lr = 0.1 from x: (0.691, 0.584). */
Test(closed_form, sam_on_a_diagonal_quadratic)
{
    const ob_optimizer *sgd = ob_optimizer_find("sgd");
    FOR_EACH_ISA(isa)
    {
        ob_hparams h;
        char err[256];
        ob_hparams_default(sgd, &h);
        cr_assert_eq(ob_hparam_set(sgd, &h, "lr=0.1", err, sizeof err), 0, "%s", err);
        cr_assert_eq(ob_hparam_set(sgd, &h, "sam_rho=0.05", err, sizeof err), 0, "%s", err);
        const float A[2] = {3, 4};
        float x[2] = {1, 1}, g[2], xh[2], gs[2];
        for (int i = 0; i < 2; i++) g[i] = A[i] * x[i];
        cr_assert_eq(ob_sam_perturb(isa, &h, 2, x, g, xh, 1), 0);
        cr_assert(near(xh[0], 1.03, 1) && near(xh[1], 1.04, 1), "%s: x_hat = (%.9g, %.9g), want (1.03, 1.04)",
                  ob_isa_name(isa), (double)xh[0], (double)xh[1]);
        cr_assert(x[0] == 1 && x[1] == 1 && g[0] == 3 && g[1] == 4, "x or g modified");
        for (int i = 0; i < 2; i++) gs[i] = A[i] * xh[i];
        cr_assert(near(gs[0], 3.09, 2) && near(gs[1], 4.16, 2), "%s: A x_hat = (%.9g, %.9g)",
                  ob_isa_name(isa), (double)gs[0], (double)gs[1]);
        cr_assert_eq(ob_step(sgd, isa, &h, 1, 2, x, gs, NULL, err, sizeof err), 0, "%s", err);
        cr_assert(near(x[0], 0.691, 4) && near(x[1], 0.584, 4), "%s: x1 = (%.9g, %.9g), want (0.691, 0.584)",
                  ob_isa_name(isa), (double)x[0], (double)x[1]);
    }
}

/* ASAM, A = diag(1, 2), x = (3, -1), eta = 0.01, rho = 0.5: g = (3, -2),
 * t = |x| + eta = (3.01, 1.01), T g = (9.03, -2.02),
 * ||T g|| = sqrt(81.5409 + 4.0804) = sqrt(85.6213) = 9.253177832507,
 * eps = rho t^2 g / ||T g|| = (0.5 * 9.0601 * 3, 0.5 * 1.0201 * -2) / 9.253177832507
 *     = (1.468700834026, -0.110243207087),
 * x_hat = (4.468700834026, -1.110243207087), A x_hat = (4.468700834026, -2.220486414174).
 * Plain SAM would move both coordinates by rho g/||g|| = (0.416, -0.277):
 * ASAM moves the large weight 13 times as far as the small one. */
Test(closed_form, asam_on_a_diagonal_quadratic)
{
    FOR_EACH_ISA(isa)
    {
        const ob_hparams h = sam_hp(0.5, 1, 0.01);
        const float A[2] = {1, 2}, x[2] = {3, -1};
        float g[2], xh[2];
        for (int i = 0; i < 2; i++) g[i] = A[i] * x[i];
        cr_assert_eq(ob_sam_perturb(isa, &h, 2, x, g, xh, 1), 0);
        cr_assert(near(xh[0], 4.468700834026, 4) && near(xh[1], -1.110243207087, 4),
                  "%s: x_hat = (%.9g, %.9g), want (4.468700834, -1.110243207)", ob_isa_name(isa),
                  (double)xh[0], (double)xh[1]);
        cr_assert(near(A[1] * xh[1], -2.220486414174, 4), "%s", ob_isa_name(isa));
        /* The reference reads the same. */
        const double xd[2] = {3, -1}, gd[2] = {3, -2};
        double rd[2];
        ob_ref_sam_perturb(&h, 2, xd, gd, rd, NULL);
        cr_assert(fabs(rd[0] - 4.468700834026) < 1e-11 && fabs(rd[1] + 1.110243207087) < 1e-11,
                  "reference %.15g %.15g", rd[0], rd[1]);
    }
}

/* g = 0: eps = rho * 0 / (0 + 1e-12) = 0, x_hat = x (as numbers: fma(s, +0,
 * -0) is +0).  sam_rho = 0 copies x bit for bit. */
Test(closed_form, zero_gradient_and_rho_zero)
{
    const float x[19] = {1, -2, 0.5f, 0, -0.0f, 1e30f, -1e-30f, 0x1p-140f, 3, 4,
                         5, 6,  7,    8, 9,     10,    11,      12,        13};
    float g[19], xh[19];
    for (int i = 0; i < 19; i++) g[i] = i % 2 ? 0.0f : -0.0f;
    FOR_EACH_ISA(isa)
    {
        for (size_t m = 0; m < N_MODES; m++) {
            const ob_hparams h = sam_hp(modes[m].rho, modes[m].adaptive, modes[m].eta);
            cr_assert_eq(ob_sam_perturb(isa, &h, 19, x, g, xh, 1), 0);
            for (int i = 0; i < 19; i++)
                cr_assert(xh[i] == x[i], "%s %s: g = 0 moved x[%d] %a to %a", ob_isa_name(isa), modes[m].name,
                          i, (double)x[i], (double)xh[i]);
        }
        const ob_hparams off = sam_hp(0, 1, 0.01);
        float gr[19];
        for (int i = 0; i < 19; i++) gr[i] = (float)i + 1;
        cr_assert_eq(ob_sam_perturb(isa, &off, 19, x, gr, xh, 1), 0);
        cr_assert_eq(ob_first_diff(x, xh, 19), 19, "%s: sam_rho = 0 must copy x", ob_isa_name(isa));
    }
}

/* As the PyTorch implementation: a NaN norm makes every x_hat NaN; an
 * infinite norm gives scale 0, so finite elements stay and an infinite
 * gradient element gives NaN (0 * inf). */
Test(closed_form, nonfinite_norms)
{
    const float x[5] = {1, 2, 3, 4, 5};
    FOR_EACH_ISA(isa)
    {
        for (int adaptive = 0; adaptive < 2; adaptive++) {
            const ob_hparams h = sam_hp(0.05, adaptive, 0.01);
            float xh[5];
            const float gn[5] = {1, NAN, 1, 1, 1};
            cr_assert_eq(ob_sam_perturb(isa, &h, 5, x, gn, xh, 1), 0);
            for (int i = 0; i < 5; i++)
                cr_assert(isnan(xh[i]), "%s: NaN norm, x_hat[%d] = %g", ob_isa_name(isa), i, (double)xh[i]);
            const float gi[5] = {1, -INFINITY, 1, 1, 1};
            cr_assert_eq(ob_sam_perturb(isa, &h, 5, x, gi, xh, 1), 0);
            for (int i = 0; i < 5; i++)
                cr_assert(i == 1 ? isnan(xh[i]) : xh[i] == x[i], "%s adaptive=%d: Inf norm, x_hat[%d] = %g",
                          ob_isa_name(isa), adaptive, i, (double)xh[i]);
        }
    }
}

/* ---- the keys ---------------------------------------------------------------- */

Test(keys, known_defaulted_and_validated_for_every_optimizer)
{
    static const struct {
        const char *name;
        double def;
    } keys[] = {{"sam_rho", 0}, {"sam_adaptive", 0}, {"sam_eta", 0.01}};
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        for (size_t k = 0; k < 3; k++) {
            const ob_hparam_spec *sp = ob_hparam_find(o, keys[k].name);
            cr_assert(sp != NULL, "%s does not know %s", o->name, keys[k].name);
            ob_hparams h;
            char err[256], set[64];
            ob_hparams_default(o, &h);
            cr_assert_eq(ob_hparam_get(&h, sp), keys[k].def, "%s: %s default", o->name, keys[k].name);
            snprintf(set, sizeof set, "%s=1", keys[k].name);
            cr_assert_eq(ob_hparam_set(o, &h, set, err, sizeof err), 0, "%s", err);
            cr_assert_eq(ob_hparam_get(&h, sp), 1.0);
            cr_assert_eq(ob_validate(o, &h, err, sizeof err), 0, "%s", err);
        }
        static const char *const bad[] = {"sam_rho=-0.1",   "sam_rho=nan",  "sam_rho=inf", "sam_rho=-inf",
                                          "sam_eta=0",      "sam_eta=-1",   "sam_eta=nan", "sam_eta=inf",
                                          "sam_adaptive=2", "sam_rho=0.05x"};
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
            ob_hparams h, before;
            char err[256] = "";
            ob_hparams_default(o, &h);
            before = h;
            cr_assert_eq(ob_hparam_set(o, &h, bad[b], err, sizeof err), -1, "%s: '%s' accepted", o->name,
                         bad[b]);
            char key[16];
            snprintf(key, sizeof key, "%.*s", (int)strcspn(bad[b], "="), bad[b]);
            cr_assert(strstr(err, key), "%s: message for '%s' does not name %s: %s", o->name, bad[b], key,
                      err);
            cr_assert(memcmp(&h, &before, sizeof h) == 0, "'%s' changed the hyperparameters", bad[b]);
        }
        /* Set directly: ob_validate (hence ob_step) rejects with the range,
         * ob_sam_perturb writes nothing. */
        ob_hparams h;
        char err[256];
        ob_hparams_default(o, &h);
        h.sam_eta = 0;
        cr_assert_eq(ob_validate(o, &h, err, sizeof err), -1);
        cr_assert(strstr(err, "sam_eta") && strstr(err, "valid"), "%s", err);
        float x[2] = {1, 2}, g[2] = {1, 1}, xh[2] = {7, 7};
        h.sam_rho = 0.1;
        cr_assert_eq(ob_sam_perturb(OB_ISA_SCALAR, &h, 2, x, g, xh, 1), -1);
        h.sam_eta = 0.01;
        h.sam_rho = NAN;
        cr_assert_eq(ob_sam_perturb(OB_ISA_SCALAR, &h, 2, x, g, xh, 1), -1);
        cr_assert(xh[0] == 7 && xh[1] == 7, "x_hat written after rejected keys");
    }
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (ob_isa_supported((ob_isa)i)) continue;
        const ob_hparams h = sam_hp(0.05, 0, 0.01);
        float x = 1, g = 1, xh = 0;
        cr_assert_eq(ob_sam_perturb((ob_isa)i, &h, 1, &x, &g, &xh, 1), -1, "unsupported ISA must be refused");
    }
}

/* ---- the command line ----------------------------------------------------------- */

static void scratch(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/optbench-test-sam-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
}

static int cli(const char *const *argv, char **out, char **err)
{
    return ob_cli_capture(argv, out, err);
}

Test(cli, trace_refuses_sam_and_list_shows_the_keys)
{
    char dir[64], x0[128], grads[128];
    scratch(dir, sizeof dir);
    snprintf(x0, sizeof x0, "%s/x0", dir);
    snprintf(grads, sizeof grads, "%s/g", dir);
    FILE *f = fopen(x0, "w");
    fputs("1,2\n", f);
    fclose(f);
    f = fopen(grads, "w");
    fputs("1,1\n", f);
    fclose(f);
    const char *argv[] = {"optbench", "trace", "--opt",   "sgd", "--set", "sam_rho=0.05", "--isa", "scalar",
                          "--x0",     x0,      "--grads", grads, NULL};
    char *out, *err;
    int rc = cli(argv, &out, &err);
    cr_assert_eq(rc, OB_EXIT_USAGE, "trace with SAM: exit %d, %s", rc, err);
    cr_assert(strstr(err, "sam_rho") && strstr(err, "SAM"), "%s", err);
    cr_assert_str_eq(out, "", "nothing may be printed: %s", out);
    free(out);
    free(err);
    argv[5] = "sam_rho=0"; /* off: the trace runs */
    rc = cli(argv, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(out);
    free(err);
    const char *list[] = {"optbench", "list", "optimizers", "adam", NULL};
    rc = cli(list, &out, &err);
    cr_assert_eq(rc, 0);
    cr_assert(strstr(out, "sam_rho") && strstr(out, "sam_adaptive") && strstr(out, "sam_eta") &&
                  strstr(out, "clip_norm"),
              "list does not show the generic keys:\n%s", out);
    free(out);
    free(err);
}

/* One value of a case CSV: column `name` at the row of `step`. */
static double csv_value(const char *root, const char *id, uint64_t step, const char *name)
{
    char path[512], why[600];
    snprintf(path, sizeof path, "%s/latest/cases/%s.csv", root, id);
    const double v = ob_tp_csv_value(path, step, name, why, sizeof why);
    cr_assert(v != -INFINITY, "%s", why);
    return v;
}

static cJSON *run_case(const char *root, const char *const *extra, size_t n_extra)
{
    const char *argv[40] = {"optbench", "run", "--out", root, "--quiet"};
    size_t a = 5;
    for (size_t i = 0; i < n_extra; i++) argv[a++] = extra[i];
    argv[a] = NULL;
    char *out, *err;
    int rc = cli(argv, &out, &err);
    cr_assert_eq(rc, 0, "run failed (%d): %s\n%s", rc, err, out);
    free(out);
    free(err);
    char path[512], msg[512];
    snprintf(path, sizeof path, "%s/latest/results.json", root);
    cJSON *j = ob_json_read(path, msg, sizeof msg);
    cr_assert(j != NULL, "%s", msg);
    cr_assert(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "cases"), 0) != NULL, "no case in %s", path);
    return j;
}

static const cJSON *first_case(const cJSON *j)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(j, "cases"), 0);
}
static double num(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItem(o, k)->valuedouble;
}

/* quad_diag with n = 2, cond = 4: h = (1, 4), x0 = (1, 1), g = (1, 4),
 * ||g|| = sqrt(17); eps = 0.05 (1, 4)/sqrt(17) = (0.0121267813, 0.0485071250),
 * x_hat = (1.0121267813, 1.0485071250), g_sam = (1.0121267813, 4.1940285000);
 * SGD, lr = 0.1: x1 = (0.8987873219, 0.5805971500). */
Test(run, first_step_by_hand_on_every_path)
{
    char root[64];
    scratch(root, sizeof root);
    const char *args[] = {"--problem", "quad_diag", "--n",    "2",     "--param",      "cond=4",  "--opt",
                          "sgd",       "--set",     "lr=0.1", "--set", "sam_rho=0.05", "--steps", "1"};
    cJSON *j = run_case(root, args, sizeof args / sizeof args[0]);
    const double want[2] = {0.8987873218748186, 0.5805971499970981};
    for (int i = -1; i < OB_ISA_COUNT; i++) {
        if (i >= 0 && !ob_isa_supported((ob_isa)i)) continue;
        for (int k = 0; k < 2; k++) {
            char col[32];
            snprintf(col, sizeof col, "%s_x%d", i < 0 ? "ref" : ob_isa_name((ob_isa)i), k + 1);
            const double v = csv_value(root, "quad_diag.sgd+sam", 1, col);
            cr_assert(fabs(v - want[k]) <= 4e-7 * fabs(want[k]), "%s = %.9g, want %.9g", col, v, want[k]);
        }
    }
    cr_assert_eq(csv_value(root, "quad_diag.sgd+sam", 1, "grad_evals"), 2);
    cJSON_Delete(j);
}

/* nqm is stochastic: the gradient at step t is H x + e_t with e_t drawn
 * from (seed, t).  The run's first step must use the SAME draw at x and at
 * x_hat; recomputed here through the problem API, and shown to differ
 * from a second draw (so the check can fail). */
Test(run, both_gradients_on_the_same_minibatch)
{
    char root[64];
    scratch(root, sizeof root);
    const char *args[] = {"--problem", "nqm",   "--n",    "2",     "--seed",      "11",      "--opt",
                          "sgd",       "--set", "lr=0.5", "--set", "sam_rho=0.5", "--steps", "1"};
    cJSON *j = run_case(root, args, sizeof args / sizeof args[0]);
    ob_problem_config cfg = {.n = 2, .seed = 11};
    ob_problem *pb = NULL;
    char msg[256];
    cr_assert_eq(ob_problem_create("nqm", &cfg, &pb, msg, sizeof msg), 0, "%s", msg);
    double g[2], xh[2], gs[2], want[2], other[2];
    pb->eval(pb, pb->x0, g, 1);
    ob_hparams h = sam_hp(0.5, 0, 0.01);
    ob_ref_sam_perturb(&h, 2, pb->x0, g, xh, NULL);
    pb->eval(pb, xh, gs, 1);
    for (int k = 0; k < 2; k++) want[k] = pb->x0[k] - 0.5 * gs[k];
    pb->eval(pb, xh, gs, 2); /* another mini-batch */
    for (int k = 0; k < 2; k++) other[k] = pb->x0[k] - 0.5 * gs[k];
    cr_assert(fabs(other[0] - want[0]) + fabs(other[1] - want[1]) > 1e-3, "the draws do not differ");
    for (int k = 0; k < 2; k++) {
        char col[16];
        snprintf(col, sizeof col, "ref_x%d", k + 1);
        const double v = csv_value(root, "nqm.sgd+sam", 1, col);
        cr_assert(fabs(v - want[k]) <= 1e-8 * (1 + fabs(want[k])),
                  "%s = %.9g, want %.9g (another batch: %.9g)", col, v, want[k], other[k]);
        snprintf(col, sizeof col, "scalar_x%d", k + 1);
        const double s = csv_value(root, "nqm.sgd+sam", 1, col);
        cr_assert(fabs(s - want[k]) <= 1e-6 * (1 + fabs(want[k])), "%s = %.9g, want %.9g", col, s, want[k]);
    }
    ob_problem_destroy(pb);
    cJSON_Delete(j);
}

/* A longer stochastic run: SAM and ASAM each differ from the plain run,
 * count twice the gradient evaluations, record their keys, and keep every
 * ISA bit-identical to scalar (x_hat included) within the agreement
 * bound. */
Test(run, sam_and_asam_end_to_end, .timeout = 300)
{
    static const char *const variants[][4] = {
        {"--set", "sam_rho=0", "--set", "sam_adaptive=0"},
        {"--set", "sam_rho=0.05", "--set", "sam_adaptive=0"},
        {"--set", "sam_rho=0.5", "--set", "sam_adaptive=1"},
    };
    double final[3];
    for (int v = 0; v < 3; v++) {
        char root[64];
        scratch(root, sizeof root);
        const char *args[] = {"--problem",    "quadratic_deep", "--opt",   "adam",         "--steps",
                              "60",           "--set",          "lr=0.05", variants[v][0], variants[v][1],
                              variants[v][2], variants[v][3]};
        cJSON *j = run_case(root, args, sizeof args / sizeof args[0]);
        const cJSON *c = first_case(j);
        const int sam = v > 0;
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "ok")), "variant %d not ok", v);
        cr_assert_eq(num(c, "grad_evals_per_step"), sam ? 2 : 1);
        cr_assert_eq(num(c, "grad_evals"), sam ? 120 : 60);
        /* The case id (and CSV name) says SAM or ASAM. */
        static const char *const ids[] = {"quadratic_deep.adam", "quadratic_deep.adam+sam",
                                          "quadratic_deep.adam+asam"};
        cr_assert_str_eq(cJSON_GetObjectItem(c, "id")->valuestring, ids[v]);
        cr_assert_eq(csv_value(root, ids[v], 60, "grad_evals"), sam ? 120 : 60);
        const cJSON *hp = cJSON_GetObjectItem(c, "hparams");
        cr_assert_eq(cJSON_GetObjectItem(hp, "sam_rho") != NULL, sam, "hparams: %s",
                     cJSON_PrintUnformatted(hp));
        if (sam) cr_assert_eq(num(hp, "sam_adaptive"), v == 2);
        const cJSON *isa = cJSON_GetObjectItem(c, "isa");
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            const cJSON *p = cJSON_GetObjectItem(isa, ob_isa_name((ob_isa)i));
            if (!ob_isa_supported((ob_isa)i)) continue;
            cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(p, "bit_identical")),
                      "%s not bit-identical (variant %d)", ob_isa_name((ob_isa)i), v);
            cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "agreement"), "ok")));
        }
        final[v] = num(cJSON_GetObjectItem(c, "reference"), "final_loss");
        cJSON_Delete(j);
    }
    cr_assert(final[1] != final[0] && final[2] != final[0] && final[1] != final[2],
              "SAM/ASAM runs equal the plain run: %.9g %.9g %.9g", final[0], final[1], final[2]);
    cr_log_info("quadratic_deep adam 60 steps: final loss plain %.6g, SAM %.6g, ASAM %.6g", final[0],
                final[1], final[2]);
}

/* sam_rho is a sweep axis like any key. */
Test(run, sweep_grid_over_sam_rho)
{
    char root[64];
    scratch(root, sizeof root);
    const char *argv[] = {"optbench", "sweep", "--problem",    "quad_diag", "--opt",
                          "sgd",      "--set", "lr=1e-4",      "--grid",    "sam_rho=lin:0:0.2:5",
                          "--steps",  "20",    "--no-figures", "--out",     root,
                          "--quiet",  NULL};
    char *out, *err;
    int rc = cli(argv, &out, &err);
    cr_assert_eq(rc, 0, "sweep failed (%d): %s\n%s", rc, err, out);
    cr_assert(strstr(out, "sam_rho"), "the sweep does not report sam_rho:\n%s", out);
    free(out);
    free(err);
}
