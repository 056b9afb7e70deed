/*
 * test_kernels.c — every instruction set against scalar, bit for bit.
 *
 * Order: the scalar kernel is checked against the reference first
 * (test_reference.c); here each vector ISA must reproduce scalar exactly,
 * in p and every state array, for every optimizer, every combination of
 * options, every length ob_cover_lengths derives from the kernel's block
 * structure (the unrolled loop zero, one and two times, every straight-line
 * block, every tail remainder, n = 0 and 1: each block of each kernel runs)
 * plus 1000 and 4099 (the prefetching loop), start offsets of 0..3 floats,
 * random states with +-0, subnormals, huge values, NaN and Inf, over 20
 * steps.  ISAs the CPU lacks
 * are reported as SKIPPED with the reason.  An entry with a scalar kernel
 * only steps on scalar and is SKIPPED ("no <isa> kernel") everywhere else,
 * in ob_step, the run engine and ci, without a crash or a stray file.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optbench/optimizers.h"
#include "common/ob_test.h"
#include "harness/ci/ob_ci.h"
#include "harness/core/ob_core.h"
#include "harness/run/ob_run.h"
#include "harness/testkit/ob_testkit.h"
#include "kernels/framework/ob_mixed.h"

#define STEPS 20
#define CANARY 0x7fc0dead /* a NaN payload no kernel produces */

static void skip_unless_supported(ob_isa isa)
{
    if (!ob_isa_supported(isa))
        cr_skip_test("%s: SKIPPED — %s", ob_isa_name(isa), ob_isa_unavailable_reason(isa));
}

/* A test buffer set: p, g and the state arrays, each allocated with `off`
 * floats of misalignment and 16 canary floats after the end. */
typedef struct {
    float *base[2 + OB_MAX_STATE];
    float *p, *g, *st[OB_MAX_STATE];
} bufset;

static void bufset_alloc(bufset *b, size_t n, size_t off)
{
    for (int k = 0; k < 2 + OB_MAX_STATE; k++) {
        b->base[k] = aligned_alloc(64, ((n + off + 16) * sizeof(float) + 63) / 64 * 64);
        cr_assert(b->base[k] != NULL);
        float *a = b->base[k] + off;
        uint32_t c = CANARY;
        for (size_t i = 0; i < 16; i++) memcpy(&a[n + i], &c, 4);
    }
    b->p = b->base[0] + off;
    b->g = b->base[1] + off;
    for (int k = 0; k < OB_MAX_STATE; k++) b->st[k] = b->base[2 + k] + off;
}

static int bufset_canaries_intact(const bufset *b, size_t n, size_t off)
{
    for (int k = 0; k < 2 + OB_MAX_STATE; k++) {
        const float *a = b->base[k] + off;
        for (size_t i = 0; i < 16; i++) {
            uint32_t c;
            memcpy(&c, &a[n + i], 4);
            if (c != CANARY) return 0;
        }
    }
    return 1;
}

static void bufset_free(bufset *b)
{
    for (int k = 0; k < 2 + OB_MAX_STATE; k++) free(b->base[k]);
}

/* Runs STEPS steps of o/h on the scalar and `isa` kernels from the same
 * random start, comparing everything after each step. */
static void compare_run(const ob_optimizer *o, const ob_hparams *h, ob_isa isa, size_t n, size_t off,
                        ob_rng *rng, const char *cfg)
{
    bufset a, b;
    bufset_alloc(&a, n, off);
    bufset_alloc(&b, n, off);
    for (size_t i = 0; i < n; i++) {
        a.p[i] = ob_rng_special_float(rng, 0);
        for (size_t k = 0; k < o->n_state; k++) a.st[k][i] = ob_rng_special_float(rng, ob_state_nonneg(o, k));
    }
    memcpy(b.p, a.p, n * sizeof(float));
    for (size_t k = 0; k < o->n_state; k++) memcpy(b.st[k], a.st[k], n * sizeof(float));

    for (uint64_t t = 1; t <= STEPS; t++) {
        for (size_t i = 0; i < n; i++) a.g[i] = ob_rng_special_float(rng, 0);
        memcpy(b.g, a.g, n * sizeof(float));
        ob_step_scalars s;
        o->prepare(h, t, &s);
        ob_optimizer_kernel(o, OB_ISA_SCALAR)(n, a.p, a.g, a.st, &s);
        ob_optimizer_kernel(o, isa)(n, b.p, b.g, b.st, &s);
        size_t d = ob_first_diff(a.p, b.p, n);
        if (d < n)
            cr_assert_fail("%s %s n=%zu off=%zu: p differs from scalar at step %llu, element %zu "
                           "(scalar %a, %s %a); seed %#llx",
                           ob_isa_name(isa), cfg, n, off, (unsigned long long)t, d, (double)a.p[d],
                           ob_isa_name(isa), (double)b.p[d], (unsigned long long)ob_test_seed());
        unsigned mask = o->state_mask(h);
        for (size_t k = 0; k < o->n_state; k++) {
            if (!((mask >> k) & 1u)) continue;
            d = ob_first_diff(a.st[k], b.st[k], n);
            if (d < n)
                cr_assert_fail(
                    "%s %s n=%zu off=%zu: state '%s' differs from scalar at step %llu, element %zu "
                    "(scalar %a, %s %a); seed %#llx",
                    ob_isa_name(isa), cfg, n, off, o->state_names[k], (unsigned long long)t, d,
                    (double)a.st[k][d], ob_isa_name(isa), (double)b.st[k][d],
                    (unsigned long long)ob_test_seed());
        }
        if (!bufset_canaries_intact(&b, n, off) || !bufset_canaries_intact(&a, n, off))
            cr_assert_fail(
                "%s %s n=%zu off=%zu: a kernel wrote past the end of an array at step %llu; seed %#llx",
                ob_isa_name(isa), cfg, n, off, (unsigned long long)t, (unsigned long long)ob_test_seed());
    }
    bufset_free(&a);
    bufset_free(&b);
}

/* Every optimizer and option set of isa against scalar: at the lengths
 * that run every block of its kernel (`blocks`; each length at one start
 * offset, cycling through 0..3, which keeps this fast enough to run per
 * mutant: scripts/test-mutants.sh), else at the long lengths, each at
 * every offset. */
static void identity_suite(ob_isa isa, int blocks)
{
    skip_unless_supported(isa);
    static const size_t long_lengths[] = {1000, 4099};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() ^ (uint64_t)isa ^ (blocks ? 0 : 0x1009ull));
    size_t cases = 0;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        if (!ob_optimizer_kernel(o, isa)) { /* a scalar-only entry: SKIPPED on this ISA */
            cr_log_info("%s on %s: SKIPPED: no %s kernel", o->name, ob_isa_name(isa), ob_isa_name(isa));
            continue;
        }
        size_t len[OB_COVER_MAX], nl = ob_cover_lengths(o, isa, len, OB_COVER_MAX);
        if (!blocks) {
            nl = sizeof long_lengths / sizeof long_lengths[0];
            memcpy(len, long_lengths, sizeof long_lengths);
        }
        for (size_t c = 0; c < ob_hp_config_count(o); c++) {
            ob_hparams h;
            if (ob_hp_config(o, c, &h) != 0) continue;
            char cfg[256];
            ob_hp_config_name(o, &h, cfg, sizeof cfg);
            for (size_t li = 0; li < nl; li++)
                for (size_t off = blocks ? li % 4 : 0; off < (blocks ? li % 4 + 1 : 4); off++) {
                    compare_run(o, &h, isa, len[li], off, &rng, cfg);
                    cases++;
                }
        }
    }
    cr_log_info("%s: %zu cases x %d steps bit-identical to scalar (seed %#llx)", ob_isa_name(isa), cases,
                STEPS, (unsigned long long)ob_test_seed());
}

Test(identity, avx2_every_block, .timeout = 300)
{
    identity_suite(OB_ISA_AVX2, 1);
}
Test(identity, avx512_every_block, .timeout = 300)
{
    identity_suite(OB_ISA_AVX512, 1);
}
Test(identity, avx2_long, .timeout = 300)
{
    identity_suite(OB_ISA_AVX2, 0);
}
Test(identity, avx512_long, .timeout = 300)
{
    identity_suite(OB_ISA_AVX512, 0);
}

/* Every variant, scalar included, with the end of every array against a
 * PROT_NONE page: an over-read or over-write is a SIGSEGV, i.e. a crash
 * that Criterion reports as a failure. */
static void guard_suite(ob_isa isa)
{
    skip_unless_supported(isa);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 17);
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        if (!ob_optimizer_kernel(o, isa)) continue; /* a scalar-only entry: SKIPPED on this ISA */
        /* Every block of the kernel ends at a guard page once (n = 0 is
         * edge/n_zero_is_noop's), and the prefetching loop's lengths. */
        size_t lengths[OB_COVER_MAX + 2], nl = ob_cover_lengths(o, isa, lengths, OB_COVER_MAX);
        lengths[nl++] = 1000;
        lengths[nl++] = 4099;
        for (size_t c = 0; c < ob_hp_config_count(o); c++) {
            ob_hparams h;
            if (ob_hp_config(o, c, &h) != 0) continue;
            for (size_t li = 1; li < nl; li++) {
                size_t n = lengths[li];
                ob_guarded gp, gg, gs[OB_MAX_STATE];
                float *p = ob_guarded_alloc(&gp, n), *g = ob_guarded_alloc(&gg, n);
                float *st[OB_MAX_STATE] = {0};
                cr_assert(p && g);
                for (size_t k = 0; k < o->n_state; k++) {
                    st[k] = ob_guarded_alloc(&gs[k], n);
                    cr_assert(st[k]);
                }
                for (size_t i = 0; i < n; i++) {
                    p[i] = ob_rng_special_float(&rng, 0);
                    g[i] = ob_rng_special_float(&rng, 0);
                }
                for (uint64_t t = 1; t <= 3; t++) {
                    ob_step_scalars s;
                    o->prepare(&h, t, &s);
                    ob_optimizer_kernel(o, isa)(n, p, g, st, &s);
                }
                ob_guarded_free(&gp);
                ob_guarded_free(&gg);
                for (size_t k = 0; k < o->n_state; k++) ob_guarded_free(&gs[k]);
            }
        }
    }
}

Test(guard, scalar)
{
    guard_suite(OB_ISA_SCALAR);
}
Test(guard, avx2)
{
    guard_suite(OB_ISA_AVX2);
}
Test(guard, avx512)
{
    guard_suite(OB_ISA_AVX512);
}

/* n = 0 is a no-op: nothing is read or written, NULL pointers are fine. */
Test(edge, n_zero_is_noop)
{
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        ob_hparams h;
        ob_hparams_default(o, &h);
        for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
            if (!ob_optimizer_runs_on(o, (ob_isa)isa, NULL, 0)) continue;
            char err[256];
            cr_assert_eq(ob_step(o, (ob_isa)isa, &h, 1, 0, NULL, NULL, NULL, err, sizeof err), 0,
                         "%s/%s: n = 0 must be a no-op, got: %s", o->name, ob_isa_name((ob_isa)isa), err);
        }
    }
}

/* A NaN or Inf in one gradient element changes only that element, in p
 * and in every state array (torch behaves the same way). */
Test(edge, nonfinite_gradient_stays_in_its_element)
{
    const size_t n = 67, bad = 33;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
            if (!ob_optimizer_runs_on(o, (ob_isa)isa, NULL, 0)) continue;
            for (int which = 0; which < 3; which++) {
                float special = which == 0 ? NAN : which == 1 ? INFINITY : -INFINITY;
                ob_hparams h;
                ob_hparams_default(o, &h);
                float p[2][67], g[2][67], st[2][OB_MAX_STATE][67];
                for (int r = 0; r < 2; r++) {
                    for (size_t i = 0; i < n; i++) {
                        p[r][i] = 0.5f + (float)i / 64;
                        g[r][i] = 0.25f - (float)i / 128;
                        for (size_t k = 0; k < OB_MAX_STATE; k++) st[r][k][i] = 0.0f;
                    }
                }
                /* 0 at `bad` in the finite run: a stateless sign update
                 * moves p by the same -lr*sign(g) for -Inf as for any
                 * negative g (and +Inf as any positive one). */
                g[0][bad] = g[1][bad] = 0.0f;
                g[1][bad] = special;
                for (int r = 0; r < 2; r++) {
                    float *sp[OB_MAX_STATE];
                    for (size_t k = 0; k < OB_MAX_STATE; k++) sp[k] = st[r][k];
                    char err[256];
                    for (uint64_t t = 1; t <= 3; t++)
                        cr_assert_eq(ob_step(o, (ob_isa)isa, &h, t, n, p[r], g[r], sp, err, sizeof err), 0,
                                     "%s", err);
                }
                for (size_t i = 0; i < n; i++) {
                    if (i == bad) {
                        /* p, or for a sign update (Lion: sign(Inf) = 1, a
                         * bounded step) at least the state, must change. */
                        int changed = !isfinite(p[1][i]) || p[1][i] != p[0][i];
                        for (size_t k = 0; k < o->n_state; k++)
                            changed |= memcmp(&st[0][k][i], &st[1][k][i], 4) != 0;
                        cr_assert(changed, "%s/%s: a non-finite gradient left its own element unchanged",
                                  o->name, ob_isa_name((ob_isa)isa));
                        continue;
                    }
                    cr_assert(memcmp(&p[0][i], &p[1][i], 4) == 0,
                              "%s/%s: a non-finite gradient at %zu changed p[%zu]", o->name,
                              ob_isa_name((ob_isa)isa), bad, i);
                    for (size_t k = 0; k < o->n_state; k++)
                        cr_assert(memcmp(&st[0][k][i], &st[1][k][i], 4) == 0,
                                  "%s/%s: a non-finite gradient at %zu changed %s[%zu]", o->name,
                                  ob_isa_name((ob_isa)isa), bad, o->state_names[k], i);
                }
            }
        }
    }
}

/* Results do not depend on the thread count: the arrays are split into
 * chunks and every kernel is element-wise. */
Test(threads, bit_identical_for_any_thread_count, .timeout = 300)
{
    const size_t n = 3 * OB_THREAD_MIN_CHUNK + 37;
    const int counts[] = {1, 2, 3, 4};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 99);
    float *g = malloc(n * sizeof(float)), *p0 = malloc(n * sizeof(float));
    cr_assert(g && p0);
    for (size_t i = 0; i < n; i++) {
        g[i] = ob_rng_special_float(&rng, 0);
        p0[i] = ob_rng_special_float(&rng, 0);
    }
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        ob_hparams h;
        ob_hp_config(o, ob_hp_config_count(o) - 1, &h);
        if (ob_validate(o, &h, (char[256]){0}, 256) != 0) ob_hparams_default(o, &h);
        for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
            if (!ob_optimizer_runs_on(o, (ob_isa)isa, NULL, 0)) continue;
            float *ref[1 + OB_MAX_STATE] = {0};
            for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
                float *p = malloc(n * sizeof(float)), *st[OB_MAX_STATE] = {0};
                cr_assert(p);
                memcpy(p, p0, n * sizeof(float));
                for (size_t k = 0; k < o->n_state; k++) st[k] = calloc(n, sizeof(float));
                char err[256];
                for (uint64_t t = 1; t <= 3; t++)
                    cr_assert_eq(
                        ob_step_threaded(o, (ob_isa)isa, &h, t, n, p, g, st, counts[ci], err, sizeof err), 0,
                        "%s", err);
                if (ci == 0) {
                    ref[0] = p;
                    for (size_t k = 0; k < o->n_state; k++) ref[1 + k] = st[k];
                    continue;
                }
                size_t d = ob_first_diff(ref[0], p, n);
                cr_assert_eq(d, n, "%s/%s: p with %d threads differs from 1 thread at element %zu", o->name,
                             ob_isa_name((ob_isa)isa), counts[ci], d);
                for (size_t k = 0; k < o->n_state; k++) {
                    d = ob_first_diff(ref[1 + k], st[k], n);
                    cr_assert_eq(d, n, "%s/%s: %s with %d threads differs at element %zu", o->name,
                                 ob_isa_name((ob_isa)isa), o->state_names[k], counts[ci], d);
                    free(st[k]);
                }
                free(p);
            }
            for (size_t k = 0; k < 1 + OB_MAX_STATE; k++) free(ref[k]);
        }
    }
    free(g);
    free(p0);
}

/* n above 2^31 elements indexes correctly (no int truncation anywhere).
 * SGD without momentum has the fewest arrays (p and g): 2 x 8 GiB of
 * address space.  g is mapped lazily and only its last pages are written,
 * so it costs no memory; p is written in full (8 GiB), so the test is
 * skipped when less than 12 GiB is available or OPTBENCH_SKIP_HUGE=1. */
#include <sys/mman.h>

static size_t mem_available_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    size_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb * 1024;
}

Test(edge, n_above_2_pow_31, .timeout = 600)
{
    const char *skip = getenv("OPTBENCH_SKIP_HUGE");
    if (skip && *skip && strcmp(skip, "0") != 0)
        cr_skip_test("n > 2^31: SKIPPED — OPTBENCH_SKIP_HUGE is set");
    const size_t n = ((size_t)1 << 31) + 1003;
    if (mem_available_bytes() < ((size_t)12 << 30))
        cr_skip_test("n > 2^31: SKIPPED — needs 12 GiB of available memory, have %zu MiB",
                     mem_available_bytes() >> 20);
    const size_t bytes = n * sizeof(float);
    float *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    float *g = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    cr_assert(p != MAP_FAILED && g != MAP_FAILED, "cannot map 2 x %zu bytes", bytes);
    /* Huge pages cut the 2 million page faults of touching p to a few thousand. */
    madvise(p, bytes, MADV_HUGEPAGE);
    const size_t probe[] = {5, ((size_t)1 << 31) - 1, (size_t)1 << 31, ((size_t)1 << 31) + 1, n - 17, n - 1};
    const size_t np = sizeof probe / sizeof probe[0];
    const ob_optimizer *o = ob_optimizer_find("sgd");
    ob_hparams h;
    ob_hparams_default(o, &h);
    h.lr = 0.5;
    for (size_t k = 0; k < np; k++) g[probe[k]] = (float)(k + 1);
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        if (!ob_isa_supported((ob_isa)isa)) continue;
        for (size_t k = 0; k < np; k++) p[probe[k]] = 100.0f;
        char err[256];
        cr_assert_eq(ob_step(o, (ob_isa)isa, &h, 1, n, p, g, NULL, err, sizeof err), 0, "%s", err);
        for (size_t k = 0; k < np; k++)
            cr_assert_eq(p[probe[k]], 100.0f - 0.5f * (float)(k + 1),
                         "%s: p[%zu] = %g after a step with n = %zu", ob_isa_name((ob_isa)isa), probe[k],
                         (double)p[probe[k]], n);
        cr_assert_eq(p[probe[2] + 2], 0.0f, "%s: an element with g = 0 moved", ob_isa_name((ob_isa)isa));
    }
    munmap(p, bytes);
    munmap(g, bytes);
}

/* ---- an entry with a scalar kernel only ------------------------------------ */

/* AdamW as a new optimizer whose vector kernels are not written yet: the
 * scalar kernel of its own, none for the vector ISAs. */
static ob_kernel_set scalar_only_kernels;
static ob_optimizer scalar_only_entry(void)
{
    const ob_optimizer *adamw = ob_optimizer_find("adamw");
    ob_optimizer o = *adamw;
    o.name = "adamw_scalar_only";
    memset(&scalar_only_kernels, 0, sizeof scalar_only_kernels);
    scalar_only_kernels.exact[OB_ISA_SCALAR] = ob_optimizer_kernel(adamw, OB_ISA_SCALAR);
    o.own_kernels = &scalar_only_kernels;
    return o;
}

Test(scalar_only, steps_on_scalar_and_is_skipped_elsewhere)
{
    const ob_optimizer o = scalar_only_entry();
    const ob_optimizer *adamw = ob_optimizer_find("adamw");
    enum { N = 37 };
    ob_hparams h;
    ob_hparams_default(&o, &h);
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        const char *name = ob_isa_name((ob_isa)isa);
        float p[N], g[N], m[N] = {0}, v[N] = {0}, want[N], wm[N] = {0}, wv[N] = {0};
        float *st[OB_MAX_STATE] = {m, v}, *wst[OB_MAX_STATE] = {wm, wv};
        for (int i = 0; i < N; i++) {
            p[i] = want[i] = 0.25f * (float)(i - 17);
            g[i] = 0.125f * (float)(i % 7) - 0.3f;
        }
        char err[256], why[128];
        const int rc = ob_step(&o, (ob_isa)isa, &h, 1, N, p, g, st, err, sizeof err);
        const int runs = ob_optimizer_runs_on(&o, (ob_isa)isa, why, sizeof why);
        if (isa == OB_ISA_SCALAR) {
            cr_assert(runs && rc == 0, "%s", err);
            cr_assert_eq(ob_step(adamw, OB_ISA_SCALAR, &h, 1, N, want, g, wst, err, sizeof err), 0, "%s",
                         err);
            cr_assert_eq(ob_first_diff(p, want, N), (size_t)N, "the scalar step is not AdamW's");
            continue;
        }
        cr_assert_null(ob_optimizer_kernel(&o, (ob_isa)isa));
        cr_assert_eq(rc, -1, "%s stepped without a kernel", name);
        cr_assert_eq(runs, 0);
        if (!ob_isa_supported((ob_isa)isa)) continue; /* the CPU's reason comes first */
        char want_why[64];
        snprintf(want_why, sizeof want_why, "no %s kernel", name);
        cr_assert(strstr(err, want_why), "%s: %s", name, err);
        cr_assert_str_eq(why, want_why);
        cr_assert_eq(memcmp(p, want, sizeof p), 0, "%s: p touched", name);
        /* The mixed-precision step refuses the same way. */
        ob_format f;
        cr_assert_eq(ob_format_parse("bf16-state", &f, err, sizeof err), 0, "%s", err);
        uint16_t bm[N] = {0}, bv[N] = {0};
        void *bst[OB_MAX_STATE] = {bm, bv};
        cr_assert_eq(ob_step_mixed(&o, (ob_isa)isa, &h, 1, &f, 1.0f, N, p, g, bst, 1, NULL, err, sizeof err),
                     -1);
        cr_assert(strstr(err, want_why), "%s", err);
        cr_log_info("%s on %s: SKIPPED: %s", o.name, name, why);
    }
}

/* Whether a file in dir has ".tmp" in its name (an atomic write left behind). */
static int dir_has_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert(d != NULL, "cannot open %s", dir);
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) found |= strstr(e->d_name, ".tmp") != NULL;
    closedir(d);
    return found;
}

Test(scalar_only, the_run_engine_skips_the_vector_paths)
{
    ob_optimizer o = scalar_only_entry();
    ob_case c;
    memset(&c, 0, sizeof c);
    c.opt = &o;
    ob_hparams_default(&o, &c.h);
    char msg[512];
    cr_assert_eq(ob_schedule_parse(NULL, NULL, 0, &c.sched, msg, sizeof msg), 0, "%s", msg);
    c.problem = ob_problem_find("quad_diag");
    cr_assert(c.problem);
    c.n = 20;
    c.steps = 20;
    c.threads = 1;
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (ob_isa_supported((ob_isa)i)) c.isa_mask |= 1u << i;
    char dir[64], csv[128];
    snprintf(dir, sizeof dir, "/tmp/optbench-test-scalar-only-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(csv, sizeof csv, "%s/case.csv", dir);
    ob_case_result r;
    cr_assert_eq(ob_run_case(&c, csv, &r, msg, sizeof msg), 0, "%s", msg);
    cr_assert(r.isa[OB_ISA_SCALAR].ran && r.ok);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ob_case_summary(f, &c, &r);
    fclose(f);
    cJSON *j = ob_case_to_json(&c, &r);
    for (int i = 1; i < OB_ISA_COUNT; i++) {
        if (!ob_isa_supported((ob_isa)i)) continue;
        char want[64];
        snprintf(want, sizeof want, "SKIPPED: no %s kernel", ob_isa_name((ob_isa)i));
        cr_assert_eq(r.isa[i].ran, 0);
        cr_assert_str_eq(r.skipped[i], want + strlen("SKIPPED: "));
        cr_assert(strstr(buf, want), "summary lacks '%s':\n%s", want, buf);
        const cJSON *sk = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "skipped"),
                                                           ob_isa_name((ob_isa)i));
        cr_assert(cJSON_IsString(sk) && !strcmp(sk->valuestring, r.skipped[i]), "results.json lacks it");
    }
    cJSON_Delete(j);
    free(buf);
    FILE *in = fopen(csv, "r");
    cr_assert(in != NULL, "no CSV written");
    fclose(in);
    cr_assert(!dir_has_tmp(dir), "a temporary file was left in %s", dir);
    remove(csv);
    rmdir(dir);
}

Test(scalar_only, ci_reports_the_vector_isas_as_skipped)
{
    const ob_optimizer o = scalar_only_entry();
    const ob_optimizer *opts[] = {&o};
    ob_ci_options opt;
    ob_ci_options_default(&opt);
    opt.speed = 0;
    opt.opts = opts;
    opt.n_opts = 1;
    char err[512];
    cJSON *m = ob_ci_measure(&opt, 0, NULL, NULL, err, sizeof err);
    cr_assert(m != NULL, "%s", err);
    ob_check_list l = {0};
    ob_ci_compare(m, NULL, &opt, &l);
    size_t skipped = 0, vector = 0;
    for (int i = 1; i < OB_ISA_COUNT; i++) vector += ob_isa_supported((ob_isa)i) != 0;
    for (size_t k = 0; k < l.n; k++) {
        cr_assert_neq(l.v[k].status, OB_CHECK_FAIL, "%s %s: %s", l.v[k].gate, l.v[k].name, l.v[k].detail);
        if (l.v[k].status != OB_CHECK_SKIP) continue;
        cr_assert(strstr(l.v[k].detail, "no ") && strstr(l.v[k].detail, " kernel"), "%s", l.v[k].detail);
        skipped++;
    }
    cr_assert_gt(ob_checks_count(&l, OB_CHECK_PASS), 0);
    /* One exactness check per configuration and vector ISA, each SKIPPED. */
    cr_assert_eq(skipped % (vector ? vector : 1), 0);
    cr_assert_eq(skipped > 0, vector > 0, "%zu skipped checks for %zu vector ISAs", skipped, vector);
    ob_checks_free(&l);
    cJSON_Delete(m);
}

/* The widest vector ISA the CPU runs (scalar when none). */
static ob_isa widest_isa(void)
{
    return ob_isa_supported(OB_ISA_AVX512) ? OB_ISA_AVX512
           : ob_isa_supported(OB_ISA_AVX2) ? OB_ISA_AVX2
                                           : OB_ISA_SCALAR;
}

/* That ISA's Adam, one ulp off in the last lane of its single-vector block
 * (after the loop of two vectors), which the exactness gate's 67 elements
 * never reach. */
static void adam_single_block_off(size_t n, float *p, const float *g, float *const *st,
                                  const ob_step_scalars *s)
{
    ob_isa isa = widest_isa();
    ob_optimizer_kernel(ob_optimizer_find("adam"), isa)(n, p, g, st, s);
    size_t w = ob_isa_width(isa), pos = n / (2 * w) * (2 * w);
    if (n - pos >= w) {
        uint32_t b;
        memcpy(&b, &p[pos + w - 1], 4);
        b += 1;
        memcpy(&p[pos + w - 1], &b, 4);
    }
}

/* ci's coverage gate runs every block (ob_cover_lengths): a kernel broken
 * in one block alone fails it, naming the block, where exactness passes. */
Test(coverage, a_kernel_broken_in_its_single_vector_block_fails_the_coverage_gate)
{
    ob_isa isa = widest_isa();
    if (isa == OB_ISA_SCALAR) cr_skip_test("no vector ISA on this CPU: SKIPPED");
    const ob_optimizer *opts[] = {ob_optimizer_find("adam")};
    ob_ci_options opt;
    ob_ci_options_default(&opt);
    opt.speed = 0;
    opt.opts = opts;
    opt.n_opts = 1;
    opt.override_opt = "adam";
    opt.override_isa = isa;
    opt.override_kernel = adam_single_block_off;
    char err[512], name[64];
    cJSON *m = ob_ci_measure(&opt, 0, NULL, NULL, err, sizeof err);
    cr_assert(m != NULL, "%s", err);
    ob_check_list l = {0};
    ob_ci_compare(m, NULL, &opt, &l);
    snprintf(name, sizeof name, "adam/%s", ob_isa_name(isa));
    int found = 0;
    for (size_t k = 0; k < l.n; k++) {
        const ob_check *c = &l.v[k];
        if (!strcmp(c->gate, "exactness"))
            cr_assert_neq(c->status, OB_CHECK_FAIL, "exactness reaches the block after all: %s", c->detail);
        if (strcmp(c->gate, "coverage") || strcmp(c->name, name)) continue;
        found = 1;
        cr_assert_eq(c->status, OB_CHECK_FAIL, "the coverage gate missed it: %s", c->detail);
        char file[64];
        snprintf(file, sizeof file, "kernels/%s/adam.c, single vector", ob_isa_name(isa));
        cr_assert(strstr(c->detail, file), "detail: %s", c->detail);
    }
    cr_assert(found, "no coverage check %s", name);
    ob_checks_free(&l);
    cJSON_Delete(m);
}

/* The derived lengths: every block of every kernel, n = 0 and 1. */
Test(coverage, the_derived_lengths_run_every_block)
{
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            size_t len[OB_COVER_MAX], nl = ob_cover_lengths(o, (ob_isa)i, len, OB_COVER_MAX);
            size_t w = ob_isa_width((ob_isa)i), u = ob_cover_unroll(o, (ob_isa)i);
            cr_assert(nl >= 3 && len[0] == 0 && len[1] == 1, "%s/%s", o->name, ob_isa_name((ob_isa)i));
            /* Bit k of s: the block of 2^k vectors after the loop; r: the tail. */
            unsigned seen_tail[64] = {0}, seen_s[8] = {0}, iters = 0;
            for (size_t j = 0; j < nl; j++) {
                if (j) cr_assert_gt(len[j], len[j - 1]);
                size_t n = len[j], k = n / (u * w), s = n % (u * w) / w, r = n % w;
                seen_tail[r] = 1;
                seen_s[s] = 1;
                if (k > iters) iters = (unsigned)k;
            }
            for (size_t r = 0; r < w; r++)
                cr_assert(seen_tail[r], "%s/%s: no tail of %zu", o->name, ob_isa_name((ob_isa)i), r);
            for (size_t s = 0; s < u; s++)
                cr_assert(seen_s[s], "%s/%s: no %zu whole vectors after the loop", o->name,
                          ob_isa_name((ob_isa)i), s);
            cr_assert_geq(iters, w > 1 ? 2u : 1u, "%s/%s: the loop runs at most %u times", o->name,
                          ob_isa_name((ob_isa)i), iters);
        }
    }
}
