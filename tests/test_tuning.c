/*
 * test_tuning.c — the per-CPU-class code paths (ob_cpu_tuning,
 * kernels/framework/tuning.c) and the memory probes behind the honest
 * memory ceiling (kernels/<isa>/probe.c, README "The honest memory
 * ceiling"):
 *   - the software prefetch changes no result: every vector kernel, with
 *     every option set, gives the same bits with it on and off, from main
 *     memory sizes on (where it is issued);
 *   - the class table answers, OPTBENCH_PREFETCH overrides it and a bad
 *     value is refused;
 *   - every memory probe pattern (plain, prefetch, streaming stores)
 *     computes x += c*g on every array it is given, at the anchor lengths,
 *     aligned and not (the streaming one falls back to plain stores);
 *   - the bench ceiling is the fastest probe of any pattern or the triad,
 *     and names it.
 * Timing is never asserted: numbers live in `optbench bench`.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "optbench/optimizers.h"
#include "kernels/ob_isa.h"
#include "kernels/ob_prefetch.h"
#include "harness/bench/ob_bench.h"
#include "common/ob_test.h"

static void skip_unless(ob_isa isa)
{
    if (!ob_isa_supported(isa)) cr_skip_test("SKIPPED: %s: %s", ob_isa_name(isa), ob_isa_unavailable_reason(isa));
}

/* ---- the prefetch changes no result ------------------------------------------ */

/* One step of kernel k on copies of the same start, with the prefetch on
 * and off: the outputs must be the same bits. */
static void same_bits(const ob_optimizer *o, const ob_hparams *h, ob_isa isa, ob_kernel_fn k, const char *what,
                      size_t n, ob_rng *rng)
{
    float *a[2][2 + OB_MAX_STATE];
    for (int c = 0; c < 2; c++)
        for (int j = 0; j < 2 + OB_MAX_STATE; j++) cr_assert_not_null(a[c][j] = malloc(n * sizeof(float)));
    for (size_t i = 0; i < n; i++) {
        a[0][0][i] = ob_rng_normal_float(rng, 0);
        a[0][1][i] = ob_rng_normal_float(rng, 0);
        for (size_t j = 0; j < OB_MAX_STATE; j++)
            a[0][2 + j][i] = j < o->n_state ? fabsf(ob_rng_normal_float(rng, 1)) : 0.0f;
    }
    for (int j = 0; j < 2 + OB_MAX_STATE; j++) memcpy(a[1][j], a[0][j], n * sizeof(float));
    ob_step_scalars s;
    o->prepare(h, 3, &s);
    for (int c = 0; c < 2; c++) {
        ob_cpu_tuning_set_prefetch(c == 0);
        k(n, a[c][0], a[c][1], &a[c][2], &s);
    }
    ob_cpu_tuning_set_prefetch(ob_cpu_tuning_get()->prefetch);
    const unsigned mask = o->state_mask(h);
    size_t d = ob_first_diff(a[0][0], a[1][0], n);
    cr_assert_eq(d, n, "%s %s %s n=%zu: p differs with the prefetch on and off at %zu; seed %#llx", o->name,
                 ob_isa_name(isa), what, n, d, (unsigned long long)ob_test_seed());
    for (size_t j = 0; j < o->n_state; j++) {
        if (!((mask >> j) & 1u)) continue;
        d = ob_first_diff(a[0][2 + j], a[1][2 + j], n);
        cr_assert_eq(d, n, "%s %s %s n=%zu: %s differs with the prefetch on and off at %zu; seed %#llx",
                     o->name, ob_isa_name(isa), what, n, o->state_names[j], d,
                     (unsigned long long)ob_test_seed());
    }
    for (int c = 0; c < 2; c++)
        for (int j = 0; j < 2 + OB_MAX_STATE; j++) free(a[c][j]);
}

static void prefetch_identity(ob_isa isa)
{
    skip_unless(isa);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() ^ 0x9f3u ^ (uint64_t)isa);
    /* From OB_PREFETCH_MIN_N on the loops issue it; + W + 3: a vector
     * tail and a masked one too. */
    const size_t n = OB_PREFETCH_MIN_N + ob_isa_width(isa) + 3;
    size_t cases = 0;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        const ob_kernel_fn k = ob_optimizer_kernel(o, isa), ax = ob_optimizer_approx_kernel(o, isa);
        if (!k) continue;
        /* Up to 8 option sets per optimizer, spread over its list (each
         * step is a quarter of a million elements). */
        const size_t nc = ob_hp_config_count(o), stride = nc > 8 ? (nc + 7) / 8 : 1;
        for (size_t c = 0; c < nc; c += stride) {
            ob_hparams h;
            if (ob_hp_config(o, c, &h) != 0) continue;
            same_bits(o, &h, isa, k, "exact", n, &rng);
            if (ax) same_bits(o, &h, isa, ax, "approx", n, &rng);
            cases++;
        }
    }
    cr_assert(cases > 0);
    cr_log_info("%s: %zu option sets bit-identical with the prefetch on and off (n=%zu)", ob_isa_name(isa), cases,
                n);
}

Test(prefetch, avx2_changes_no_result, .timeout = 120)
{
    prefetch_identity(OB_ISA_AVX2);
}

Test(prefetch, avx512_changes_no_result, .timeout = 120)
{
    prefetch_identity(OB_ISA_AVX512);
}

/* ---- the class table and its override ---------------------------------------- */

Test(tuning, a_class_for_every_cpu)
{
    const ob_cpu_tuning *t = ob_cpu_tuning_get();
    cr_assert(t->cpu_class && t->cpu_class[0]);
    cr_assert(t->why && t->why[0]);
    cr_assert(t->prefetch == 0 || t->prefetch == 1);
    cr_assert(t->approx == 0 || t->approx == 1);
    /* The kernels' threshold follows the class (or OPTBENCH_PREFETCH). */
    cr_assert_eq(ob_prefetch_from, t->prefetch ? OB_PREFETCH_MIN_N : SIZE_MAX);
    cr_log_info("this CPU: %s, prefetch %s, approx %s", t->cpu_class, t->prefetch ? "on" : "off",
                t->approx ? "offered" : "not offered");
}

/* `build/optbench list isas` with OPTBENCH_PREFETCH set, as a new process
 * (the class is looked up before main, so it must start with the
 * variable set); stdout and stderr together.  NULL if the binary is not
 * built. */
static char *list_isas(const char *value, int *rc)
{
    if (access("build/optbench", X_OK) != 0) return NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "OPTBENCH_PREFETCH=%s build/optbench list isas 2>&1", value);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char *buf = calloc(1, 8192);
    cr_assert_not_null(buf);
    size_t n = fread(buf, 1, 8191, f);
    buf[n] = '\0';
    const int st = pclose(f);
    *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

Test(tuning, optbench_prefetch_overrides_the_table_and_bad_values_are_refused)
{
    int rc;
    char *out = list_isas("on", &rc);
    if (!out) cr_skip_test("SKIPPED: build/optbench not built");
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "software prefetch on (OPTBENCH_PREFETCH=on)"), "%s", out);
    free(out);
    out = list_isas("off", &rc);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "software prefetch off (OPTBENCH_PREFETCH=off)"), "%s", out);
    free(out);
    out = list_isas("sometimes", &rc);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "OPTBENCH_PREFETCH=sometimes is neither on nor off"), "%s", out);
    free(out);
}

/* ---- the memory probes ---------------------------------------------------------- */

/* Every pattern of isa's memory probe with k = 0..OB_MAX_STATE arrays: x
 * += c*g exactly as fmaf (a vector FMA, or the scalar tail's multiply and
 * add: both checked against their own formula within one rounding). */
static void probes_compute(ob_isa isa)
{
    skip_unless(isa);
    const size_t w = ob_isa_width(isa);
    const size_t lens[] = {0, 1, w - 1, w, w + 1, 8 * w + 3, 4096 + 7};
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() ^ 0x51u);
    for (size_t pi = 0; pi < 3; pi++) {
        const char *pattern = ob_bench_probe_patterns[pi];
        for (size_t k = 0; k <= OB_MAX_STATE; k++) {
            const ob_kernel_fn fn = ob_bench_probe_mem(isa, k, pattern);
            if (!fn) {
                cr_assert(isa == OB_ISA_SCALAR && !strcmp(pattern, "nt"), "%s has no %s probe", ob_isa_name(isa),
                          pattern);
                continue;
            }
            for (size_t li = 0; li < sizeof lens / sizeof *lens; li++)
                for (size_t off = 0; off < 2; off++) { /* 64-byte aligned, then not */
                    const size_t n = lens[li];
                    float *buf[2 + OB_MAX_STATE], *x[2 + OB_MAX_STATE], *want[2 + OB_MAX_STATE];
                    for (int j = 0; j < 2 + OB_MAX_STATE; j++) {
                        cr_assert_eq(posix_memalign((void **)&buf[j], 64, (n + 16) * sizeof(float)), 0);
                        x[j] = buf[j] + off;
                        cr_assert_not_null(want[j] = malloc((n + 1) * sizeof(float)));
                        for (size_t i = 0; i < n; i++) want[j][i] = x[j][i] = ob_rng_normal_float(&rng, 0);
                    }
                    ob_step_scalars s;
                    memset(&s, 0, sizeof s);
                    s.lr = 0.375f;
                    fn(n, x[0], x[1], &x[2], &s);
                    for (size_t j = 0; j < 1 + k; j++) {
                        const size_t a = j == 0 ? 0 : 1 + j;
                        for (size_t i = 0; i < n; i++) {
                            const float fused = fmaf(s.lr, want[1][i], want[a][i]);
                            const float split = want[a][i] + want[1][i] * s.lr;
                            cr_assert(x[a][i] == fused || x[a][i] == split,
                                      "%s %s probe, k=%zu, n=%zu, offset %zu: array %zu element %zu is %a, "
                                      "expected %a; seed %#llx",
                                      ob_isa_name(isa), pattern, k, n, off, a, i, (double)x[a][i], (double)fused,
                                      (unsigned long long)ob_test_seed());
                        }
                    }
                    for (size_t j = k + 2; j < 2 + OB_MAX_STATE; j++) /* arrays beyond k untouched */
                        cr_assert_eq(ob_first_diff(x[j], want[j], n), n, "%s %s k=%zu wrote array %zu",
                                     ob_isa_name(isa), pattern, k, j);
                    cr_assert_eq(ob_first_diff(x[1], want[1], n), n, "the probe wrote g");
                    for (int j = 0; j < 2 + OB_MAX_STATE; j++) {
                        free(buf[j]);
                        free(want[j]);
                    }
                }
        }
    }
}

Test(probes, scalar_patterns_compute_x_plus_c_g)
{
    probes_compute(OB_ISA_SCALAR);
}
Test(probes, avx2_patterns_compute_x_plus_c_g)
{
    probes_compute(OB_ISA_AVX2);
}
Test(probes, avx512_patterns_compute_x_plus_c_g)
{
    probes_compute(OB_ISA_AVX512);
}

/* ---- the ceiling is the best probe or the triad ---------------------------------- */

static ob_bench_row *row(ob_bench_plan *plan, ob_bench_kind kind, const ob_optimizer *o, int isa,
                         const char *variant, double ns, double bytes)
{
    ob_bench_row *r = ob_bench_plan_add(plan, kind);
    cr_assert_not_null(r);
    r->opt = o;
    r->isa = isa;
    snprintf(r->variant, sizeof r->variant, "%s", variant);
    r->size = (size_t)16 << 20;
    r->threads = r->threads_used = 1;
    r->bytes_per_elem = bytes;
    r->ns_per_elem = ns;
    r->gb_per_s = bytes / ns;
    return r;
}

/* A kernel row at 0.60 ns against probes at 0.55 (plain), 0.66
 * (prefetch), 0.58 (nt) and a triad given (its own 12 bytes) in triad_ns:
 * the ceiling and its name. */
static void derive_with_triad(double triad_ns, double *frac, char *probe, size_t len)
{
    const ob_optimizer *adam = ob_optimizer_find("adam");
    ob_bench_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.opts[0] = adam;
    ob_hparams_default(adam, &cfg.h[0]);
    cfg.n_opts = 1;
    ob_bench_plan plan;
    ob_bench_plan_init(&plan, &cfg);
    row(&plan, OB_BENCH_PROBE_MEM, adam, OB_ISA_AVX512, "plain", 0.55, 28)->format = -1;
    row(&plan, OB_BENCH_PROBE_MEM, adam, OB_ISA_AVX512, "prefetch", 0.66, 28)->format = -1;
    row(&plan, OB_BENCH_PROBE_MEM, adam, OB_ISA_AVX512, "nt", 0.58, 28)->format = -1;
    row(&plan, OB_BENCH_TRIAD, NULL, OB_ISA_AVX512, "", triad_ns, 12);
    ob_bench_row *k = row(&plan, OB_BENCH_KERNEL, adam, OB_ISA_AVX512, "exact", 0.60, 28);
    k->format = -1;
    const size_t ki = (size_t)(k - plan.rows);
    ob_bench_derive(&plan);
    *frac = plan.rows[ki].frac_mem_ceiling;
    snprintf(probe, len, "%s", plan.rows[ki].mem_ceiling_probe);
    ob_bench_plan_free(&plan);
}

Test(ceiling, the_fastest_probe_of_any_pattern_or_the_triad)
{
    double frac;
    char probe[80];
    /* Triad 12 B in 0.30 ns = 40 GB/s: 28 B take 0.70 ns, slower than
     * the plain probe, which sets the ceiling. */
    derive_with_triad(0.30, &frac, probe, sizeof probe);
    cr_assert_str_eq(probe, "plain/avx512");
    cr_assert_float_eq(frac, 0.55 / 0.60, 1e-12);
    /* Triad 12 B in 0.18 ns = 66.7 GB/s: 28 B in 0.42 ns, the ceiling. */
    derive_with_triad(0.18, &frac, probe, sizeof probe);
    cr_assert_str_eq(probe, "triad");
    cr_assert_float_eq(frac, (28.0 / (12.0 / 0.18)) / 0.60, 1e-12);
}
