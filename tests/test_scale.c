/*
 * test_scale.c — scale edges: every kernel at n above 2^31 elements, and a
 * case too large for memory answered with a clear error, not a crash.
 *
 * n > 2^31 without 8 GiB per array: each array is one 3 MiB memory file
 * mapped again and again into a contiguous range of address space, so
 * element i lives in physical slot (s0 + i) mod M.  A kernel step over
 * all n elements then updates every slot K or K+1 times in a row (the
 * aliases of a slot are M elements apart, never in the same vector), and
 * the expected value of a slot is K steps of the scalar kernel on that one
 * element.  A kernel that truncates an index to 32 bits, stops early or
 * runs past the end gets slots updated the wrong number of times (or
 * faults: 8 GiB of PROT_NONE before each array catch an index that went
 * negative as an int, and the array ends against an unmapped page).  M =
 * 3 x 2^18 is no divisor of 2^31 or 2^32, so a wrapped index lands on
 * another slot.  Physical memory: (2 + state arrays) x 3 MiB plus page
 * tables (about 16 MiB per array).
 *
 * Cost: the kernels run over 2^31 elements, with a TLB miss every 4 KiB:
 * 1-2 s per AVX pass, up to 30 s per scalar pass.  So `make test` skips
 * this sweep (test_kernels' edge/n_above_2_pow_31 covers SGD there);
 * OPTBENCH_SCALE=quick runs every optimizer on the best ISA this CPU has
 * and SGD on every ISA (about 30 s on 2 cores), OPTBENCH_SCALE=full every
 * ISA of every optimizer (.ci/run does: 2-3 minutes).
 * OPTBENCH_SKIP_HUGE=1 skips these tests (the sanitized and valgrind runs
 * set it: shadow memory and instrumentation make them far too slow).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/run/ob_run.h"
#include "harness/testkit/ob_testkit.h"
#include "optbench/problems.h"
#include "common/ob_test_proc.h"

#define M_SLOTS ((size_t)3 << 18)
#define GUARD ((size_t)8 << 30)
#define N_BIG (((size_t)1 << 31) + 1003)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

typedef struct aliased {
    char *base; /* the whole reservation: guard, then the span */
    size_t reserve;
    float *ptr;   /* element 0; ptr + n ends at the end of the span */
    float *slots; /* the M physical slots, mapped once more */
    size_t s0;    /* element i is slot (s0 + i) mod M */
} aliased;

static int alias_map(aliased *a, size_t n)
{
    size_t chunk = M_SLOTS * sizeof(float), page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = (n * sizeof(float) + chunk - 1) / chunk * chunk;
    memset(a, 0, sizeof *a);
    a->reserve = GUARD + span + page;
    a->base = mmap(NULL, a->reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a->base == MAP_FAILED) return -1;
    int fd = memfd_create("optbench-scale", 0);
    if (fd < 0 || ftruncate(fd, (off_t)chunk) != 0) return -1;
    for (size_t off = 0; off < span; off += chunk)
        if (mmap(a->base + GUARD + off, chunk, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
                 fd, 0) == MAP_FAILED)
            return -1;
    a->slots = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (a->slots == MAP_FAILED) return -1;
    a->ptr = (float *)(void *)(a->base + GUARD + span - n * sizeof(float));
    a->s0 = (span / sizeof(float) - n) % M_SLOTS;
    return 0;
}

static void alias_unmap(aliased *a)
{
    if (a->slots && a->slots != MAP_FAILED) munmap(a->slots, M_SLOTS * sizeof(float));
    if (a->base && a->base != MAP_FAILED) munmap(a->base, a->reserve);
    memset(a, 0, sizeof *a);
}

/* The starting value of slot j in array k (0 p, 1 g, 2.. state), varied
 * and sign-mixed; state arrays that must stay >= 0 start >= 0. */
static float slot_init(const ob_optimizer *o, size_t k, size_t j)
{
    float v = 0.25f + (float)(j % 97) * 0.01f;
    if (k == 1) return (j & 1 ? -1.0f : 1.0f) * (0.01f + (float)(j % 89) * 0.001f);
    if (k >= 2) return ob_state_nonneg(o, k - 2) ? v * 0.001f : (j & 2 ? -v : v) * 0.01f;
    return v;
}

static void skip_unless_huge_allowed(void)
{
    const char *skip = getenv("OPTBENCH_SKIP_HUGE");
    if (skip && *skip && strcmp(skip, "0") != 0)
        cr_skip_test("n > 2^31: SKIPPED — OPTBENCH_SKIP_HUGE is set");
    double mib = ob_memory_available() / 1048576.0;
    if (mib < 512) cr_skip_test("n > 2^31: SKIPPED — needs 512 MiB available, have %.0f", mib);
}

/* The option combination that uses the most state arrays. */
static void widest_config(const ob_optimizer *o, ob_hparams *h)
{
    size_t best = 0;
    ob_hparams_default(o, h);
    for (size_t c = 0; c < ob_hp_config_count(o); c++) {
        ob_hparams t;
        if (ob_hp_config(o, c, &t) != 0 || ob_state_count(o, &t) <= best) continue;
        best = ob_state_count(o, &t);
        *h = t;
    }
}

static int sweep_enabled(void)
{
    const char *mode = getenv("OPTBENCH_SCALE");
    return mode && *mode && strcmp(mode, "0") != 0;
}

/* One SKIPPED line rather than one per optimizer when the sweep is off. */
Test(scale, kernel_sweep_mode)
{
    if (!sweep_enabled())
        cr_skip_test("n > 2^31 for every kernel: SKIPPED — set OPTBENCH_SCALE=quick (best ISA) or full (CI)");
}

ParameterizedTestParameters(scale, every_kernel_above_2_pow_31)
{
    size_t count = sweep_enabled() ? ob_optimizer_count : 0;
    size_t *idx = cr_malloc((count ? count : 1) * sizeof *idx);
    for (size_t i = 0; i < count; i++) idx[i] = i;
    return cr_make_param_array(size_t, idx, count);
}

ParameterizedTest(size_t *oi, scale, every_kernel_above_2_pow_31, .timeout = 1200)
{
    skip_unless_huge_allowed();
    const ob_optimizer *o = ob_optimizer_table[*oi];
    int full = !strcmp(getenv("OPTBENCH_SCALE"), "full");
    ob_isa best;
    char err[256];
    cr_assert(ob_isa_select(&best, err, sizeof err) == 0, "%s", err);
    ob_hparams h;
    widest_config(o, &h);
    char cfg[256];
    ob_hp_config_name(o, &h, cfg, sizeof cfg);
    const size_t n = N_BIG, arrays = 2 + o->n_state;
    aliased a[2 + OB_MAX_STATE];
    for (size_t k = 0; k < arrays; k++)
        cr_assert(alias_map(&a[k], n) == 0, "cannot map %zu GiB of address space: %s", (n * 4) >> 30,
                  strerror(errno));
    float *st[OB_MAX_STATE] = {NULL};
    for (size_t k = 0; k < o->n_state; k++) st[k] = a[2 + k].ptr;
    const uint64_t t = 3; /* not the first step: SGD's buffer is then used, not copied */
    ob_step_scalars s;
    o->prepare(&h, t, &s);
    /* Probe elements: both sides of 2^31, the end, and a spread. */
    size_t probe[40], np = 0;
    const size_t fixed[] = {
        0, 1, 17, ((size_t)1 << 31) - 1, (size_t)1 << 31, ((size_t)1 << 31) + 1, n - 17, n - 2, n - 1};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) probe[np++] = fixed[i];
    ob_rng rng;
    ob_rng_init(&rng, 0x5ca1e);
    while (np < 40) probe[np++] = ob_rng_next(&rng) % n;
    size_t tested = 0;
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        if (!ob_isa_supported((ob_isa)isa)) continue;
        if (!full && isa != (int)best && strcmp(o->name, "sgd") != 0) continue;
        for (size_t k = 0; k < arrays; k++)
            for (size_t j = 0; j < M_SLOTS; j++) a[k].slots[j] = slot_init(o, k, j);
        cr_assert(ob_step(o, (ob_isa)isa, &h, t, n, a[0].ptr, a[1].ptr, st, err, sizeof err) == 0, "%s", err);
        for (size_t q = 0; q < np; q++) {
            size_t j = (a[0].s0 + probe[q]) % M_SLOTS;
            size_t first = (j + M_SLOTS - a[0].s0) % M_SLOTS; /* the first element on slot j */
            size_t times = first < n ? (n - 1 - first) / M_SLOTS + 1 : 0;
            /* The expected slot: `times` scalar steps on that one element. */
            float p = slot_init(o, 0, j), g = slot_init(o, 1, j), sv[OB_MAX_STATE] = {0};
            float *sp[OB_MAX_STATE] = {NULL};
            for (size_t k = 0; k < o->n_state; k++) {
                sv[k] = slot_init(o, 2 + k, j);
                sp[k] = &sv[k];
            }
            for (size_t r = 0; r < times; r++) ob_optimizer_kernel(o, OB_ISA_SCALAR)(1, &p, &g, sp, &s);
            cr_assert(!memcmp(&p, &a[0].slots[j], sizeof p),
                      "%s/%s, n = %zu: p[%zu] = %.9g, expected %.9g (%zu updates of its slot)", cfg,
                      ob_isa_name((ob_isa)isa), n, probe[q], (double)a[0].slots[j], (double)p, times);
            unsigned mask = o->state_mask(&h);
            for (size_t k = 0; k < o->n_state; k++)
                cr_assert(!((mask >> k) & 1u) || !memcmp(&sv[k], &a[2 + k].slots[j], sizeof sv[k]),
                          "%s/%s, n = %zu: %s[%zu] = %.9g, expected %.9g", cfg, ob_isa_name((ob_isa)isa), n,
                          o->state_names[k], probe[q], (double)a[2 + k].slots[j], (double)sv[k]);
        }
        tested++;
    }
    cr_log_info("n = 2^31 + 1003: %s correct on %zu ISA%s at %zu probes%s", cfg, tested,
                tested == 1 ? "" : "s", np, full ? "" : " (OPTBENCH_SCALE=full: every ISA)");
    for (size_t k = 0; k < arrays; k++) alias_unmap(&a[k]);
}

/* ---- too large for memory ---------------------------------------------------------- */

Test(scale, too_large_for_memory_is_a_clear_error)
{
    char dir[64];
    ob_tp_scratch(dir, sizeof dir, "scale");
    char out_dir[128];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    const char *argv[] = {"run",          "--quiet", "--problem", "quad_diag", "--n",
                          "100000000000", "--opt",   "adam",      "--steps",   "1",
                          "--out",        out_dir,   NULL};
    char *out, *err;
    int rc = ob_tp_run(argv, NULL, dir, &out, &err);
    cr_expect_eq(rc, OB_EXIT_FAIL, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "n = 100000000000 is too large") && strstr(err, "TiB of memory"), "%s", err);
    cr_expect(access(out_dir, F_OK) != 0, "a case refused for its size wrote %s", out_dir);
    free(out);
    free(err);
    ob_tp_rmtree(dir);
}

/* Allocation failures behind the size check: the problem's own arrays,
 * asked for directly. */
Test(scale, allocation_failure_is_reported_not_fatal)
{
    ob_problem *pb = NULL;
    ob_problem_error why = OB_PROBLEM_OK;
    char err[256];
    ob_problem_config cfg = {.n = (size_t)1 << 45, .why = &why}; /* 256 TiB of x0 */
    cr_expect_eq(ob_problem_create("quad_diag", &cfg, &pb, err, sizeof err), -1);
    cr_expect(pb == NULL);
    cr_expect_eq(why, OB_PROBLEM_ENOMEM, "why = %d: %s", why, err);
    cr_expect(strstr(err, "out of memory"), "%s", err);
}

/* Under `ulimit -v` (RLIMIT_AS): the limit is part of what is available,
 * so a run that does not fit is refused up front, and one that does fit
 * runs.  (Not under ASan, which needs terabytes of address space.) */
Test(scale, ulimit_v_is_respected)
{
    if (UNDER_ASAN) cr_skip_test("ulimit -v: SKIPPED — AddressSanitizer reserves terabytes of address space");
    if (getenv("OPTBENCH_UNDER_VALGRIND"))
        cr_skip_test("ulimit -v: SKIPPED — valgrind needs the address space");
    char dir[64];
    ob_tp_scratch(dir, sizeof dir, "ulimit");
    char out_dir[128];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    static const struct {
        const char *n;
        int rc;
        const char *needle;
    } cases[] = {{"20000000", OB_EXIT_FAIL, "is too large"}, {"1000", 0, ""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            /* 1.5 GiB of address space in all; the case needs about 4 GiB. */
            struct rlimit rl = {(rlim_t)3 << 29, (rlim_t)3 << 29};
            setrlimit(RLIMIT_AS, &rl);
            const char *argv[] = {"run",  "--quiet", "--problem", "quad_diag", "--n",   cases[i].n, "--opt",
                                  "adam", "--steps", "2",         "--out",     out_dir, NULL};
            char *out, *err;
            int rc = ob_tp_run(argv, NULL, dir, &out, &err);
            int ok = rc == cases[i].rc && strstr(err, cases[i].needle);
            if (!ok) fprintf(stderr, "ulimit -v, n = %s: exit %d: %s\n", cases[i].n, rc, err);
            _exit(ok ? 0 : 1);
        }
        cr_expect_eq(ob_tp_wait(pid), 0, "n = %s under ulimit -v 1.5 GiB (see stderr)", cases[i].n);
    }
    ob_tp_rmtree(dir);
}
