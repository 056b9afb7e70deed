/*
 * tuning.c — the per-CPU-class code-path choices (ob_cpu_tuning,
 * include/optbench/optimizers.h): whether the vector kernels issue their
 * software prefetch from main-memory sizes on, and whether the approximate
 * (rsqrt14/rcp14) variant is offered.  Neither changes a result: a prefetch
 * moves no data into a register, and the approximate variant is a separate
 * kernel the harness only runs when asked.
 *
 * The table is keyed by CPUID vendor and family, and every entry cites
 * the measurement that justifies it; `optbench bench --prefetch-check`
 * repeats that measurement on the machine at hand (README "Per-CPU code
 * paths").  Built with the baseline flags, like dispatch.c: it runs before
 * any ISA check.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/optimizers.h"
#include "kernels/ob_prefetch.h"

typedef struct tuning_entry {
    const char *vendor; /* CPUID leaf 0's vendor string; NULL: any */
    int family;         /* the displayed family (base + extended); -1: any */
    ob_cpu_tuning t;
} tuning_entry;

static const tuning_entry table[] = {
    /* Intel Xeon (Sapphire Rapids, family 6): the software prefetch
     * raised the AVX-512 Adam loop's bandwidth by ~6% at 16Mi-64Mi
     * elements, and the approximate Adam ran 1.54-1.65x the exact one in
     * cache (optbench bench, README "Per-CPU code paths"). */
    {"GenuineIntel", 6,
     {.cpu_class = "Intel family 6", .prefetch = 1, .approx = 1,
      .why = "prefetch +6% at 16Mi-64Mi, approx 1.54-1.65x exact in cache (Xeon, Sapphire Rapids)"}},
    /* AMD EPYC (Zen 3/Zen 4, family 0x19): the same prefetch made the
     * exact AVX-512 Adam 1.21-1.23x slower at 16Mi-64Mi on 1 thread (A/B
     * pairs against DeepSpeed's cpu_adam, which has none), and the
     * approximate variant ran 0.83x the exact one in cache: VSQRTPS and
     * VDIVPS are cheap there, and the Newton steps cost more than they
     * save. */
    {"AuthenticAMD", 0x19,
     {.cpu_class = "AMD family 0x19", .prefetch = 0, .approx = 0,
      .why = "prefetch 1.21-1.23x slower at 16Mi-64Mi, approx 0.83x exact in cache (EPYC, Zen 4)"}},
    /* Any other CPU: no software prefetch (the hardware prefetchers of
     * current cores follow these unit-stride streams; the prefetch only
     * paid on the one class it was measured on) and no approximate
     * variant (it is offered only where it was measured to win). */
    {NULL, -1,
     {.cpu_class = "other", .prefetch = 0, .approx = 0,
      .why = "not measured: hardware prefetch only, exact kernels only"}},
};

/* The CPU's vendor string and displayed family; "" and -1 off x86. */
static void cpu_identity(char vendor[13], int *family)
{
    vendor[0] = '\0';
    *family = -1;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = '\0';
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    /* Intel SDM Vol. 2A, CPUID leaf 01H: the extended family is added
     * when the base family is 0xF. */
    const int base = (int)((a >> 8) & 0xF);
    *family = base == 0xF ? base + (int)((a >> 20) & 0xFF) : base;
#endif
}

size_t ob_prefetch_from = OB_PREFETCH_MIN_N;

static ob_cpu_tuning chosen;
static int chosen_ready;

/* Looks the CPU up and applies OPTBENCH_PREFETCH (on, off) if set. */
static void choose(void)
{
    char vendor[13];
    int family;
    cpu_identity(vendor, &family);
    size_t i = 0;
    for (; table[i].vendor; i++)
        if (!strcmp(table[i].vendor, vendor) && table[i].family == family) break;
    chosen = table[i].t;
    const char *env = getenv("OPTBENCH_PREFETCH");
    if (env && !strcmp(env, "on")) chosen.prefetch = 1, chosen.prefetch_forced = 1;
    if (env && !strcmp(env, "off")) chosen.prefetch = 0, chosen.prefetch_forced = 1;
    ob_prefetch_from = chosen.prefetch ? OB_PREFETCH_MIN_N : SIZE_MAX;
    chosen_ready = 1;
}

/* Before main, so that a kernel called first (by a plugin host that
 * never asks) already prefetches as its CPU class wants. */
__attribute__((constructor)) static void tuning_init(void)
{
    choose();
}

const ob_cpu_tuning *ob_cpu_tuning_get(void)
{
    if (!chosen_ready) choose();
    return &chosen;
}

void ob_cpu_tuning_set_prefetch(int on)
{
    if (!chosen_ready) choose();
    ob_prefetch_from = on ? OB_PREFETCH_MIN_N : SIZE_MAX;
}
