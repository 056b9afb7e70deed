/*
 * dispatch.c — the one dispatch point: which instruction-set folders were
 * compiled in (their tables, kernels/ob_isa.h), CPU detection and the
 * choice of variant.  No other file tests OB_BUILD_*: everything reaches
 * an ISA's kernels, reductions, conversions and probes through
 * ob_isa_table_of(), NULL for a folder the compiler could not build.
 *
 * Built with the baseline flags only: this file must never be compiled with
 * a global -mavx2/-mavx512f, or the compiler could emit those instructions
 * in the detection code itself and fault on the CPUs it is meant to reject
 * (the same guard as xxHash's xxh_x86dispatch.c).
 */
#if defined(__AVX2__) || defined(__AVX512F__)
#error "dispatch.c must be built without -mavx2/-mavx512f: it runs before any ISA check"
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/optimizers.h"
#include "kernels/ob_isa.h"

static const char *const isa_names[OB_ISA_COUNT] = {"scalar", "avx2", "avx512"};
static const size_t isa_widths[OB_ISA_COUNT] = {1, 8, 16};

const char *ob_isa_name(ob_isa isa)
{
    return (unsigned)isa < OB_ISA_COUNT ? isa_names[isa] : "?";
}

size_t ob_isa_width(ob_isa isa)
{
    return (unsigned)isa < OB_ISA_COUNT ? isa_widths[isa] : 1;
}

int ob_isa_parse(const char *name, ob_isa *out)
{
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (name && strcmp(name, isa_names[i]) == 0) {
            *out = (ob_isa)i;
            return 0;
        }
    }
    return -1;
}

/* The tables of the folders the Makefile built (it defines OB_BUILD_<ISA>
 * exactly when the compiler accepted the folder's flags). */
static const ob_isa_table *const isa_tables[OB_ISA_COUNT] = {
    [OB_ISA_SCALAR] = &ob_isa_table_scalar,
#ifdef OB_BUILD_AVX2
    [OB_ISA_AVX2] = &ob_isa_table_avx2,
#endif
#ifdef OB_BUILD_AVX512
    [OB_ISA_AVX512] = &ob_isa_table_avx512,
#endif
};

const ob_isa_table *ob_isa_table_of(ob_isa isa)
{
    return (unsigned)isa < OB_ISA_COUNT ? isa_tables[isa] : NULL;
}

const ob_isa_table *ob_isa_table_avx512bf16_ext(void)
{
#if defined(OB_BUILD_AVX512) && defined(OB_BUILD_AVX512BF16)
    return &ob_isa_table_avx512bf16;
#else
    return NULL;
#endif
}

const ob_isa_step *ob_isa_table_step(const ob_isa_table *t, const char *key)
{
    for (size_t i = 0; t && key && i < t->n_steps; i++)
        if (strcmp(t->steps[i].key, key) == 0) return &t->steps[i];
    return NULL;
}

int ob_isa_compiled(ob_isa isa)
{
    return ob_isa_table_of(isa) != NULL;
}

/* CPU features, detected once.  __builtin_cpu_supports checks CPUID and,
 * for AVX/AVX-512, that the OS saves the wider registers (XGETBV). */
static int cpu_has(ob_isa isa)
{
#if defined(__x86_64__) || defined(__i386__)
    static int detected = 0, avx2 = 0, avx512 = 0;
    if (!detected) {
        __builtin_cpu_init();
        /* F16C: the AVX2 mixed-precision conversions widen fp16 with
         * VCVTPH2PS (every AVX2 CPU so far has it).  Read from CPUID leaf
         * 1 (ECX bit 29) directly: clang 14 rejects "f16c" in
         * __builtin_cpu_supports, and the AVX check above already covers
         * the OS saving the registers. */
        unsigned a = 0, b = 0, c = 0, d = 0;
        const int f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
        avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
        avx512 = __builtin_cpu_supports("avx512f");
        detected = 1;
    }
    switch (isa) {
    case OB_ISA_SCALAR: return 1;
    case OB_ISA_AVX2: return avx2;
    case OB_ISA_AVX512: return avx512;
    default: return 0;
    }
#else
    return isa == OB_ISA_SCALAR;
#endif
}

int ob_isa_supported(ob_isa isa)
{
    return (unsigned)isa < OB_ISA_COUNT && ob_isa_compiled(isa) && cpu_has(isa);
}

int ob_bf16_native_supported(void)
{
#if defined(__x86_64__) || defined(__i386__)
    static int known = 0, yes = 0;
    if (!known) {
        __builtin_cpu_init();
        yes = ob_isa_table_avx512bf16_ext() && ob_isa_supported(OB_ISA_AVX512) &&
              __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl");
        known = 1;
    }
    return yes;
#else
    return 0;
#endif
}

const char *ob_isa_unavailable_reason(ob_isa isa)
{
    if ((unsigned)isa >= OB_ISA_COUNT) return "unknown instruction set";
    if (!ob_isa_compiled(isa)) return "not compiled in (the compiler rejected its -m flags)";
    if (!cpu_has(isa)) return isa == OB_ISA_AVX2 ? "this CPU lacks AVX2+FMA+F16C" : "this CPU lacks AVX-512F";
    return "";
}

int ob_isa_select(ob_isa *out, char *err, size_t errlen)
{
    static int logged = 0;
    const char *forced = getenv("OPTBENCH_ISA");
    ob_isa isa = OB_ISA_SCALAR;
    const char *why = "best supported";
    if (forced && *forced) {
        if (ob_isa_parse(forced, &isa) != 0) {
            snprintf(err, errlen, "OPTBENCH_ISA=%s is not an instruction set (use scalar, avx2 or avx512)",
                     forced);
            return -1;
        }
        if (!ob_isa_supported(isa)) {
            snprintf(err, errlen, "OPTBENCH_ISA=%s cannot run here: %s", forced,
                     ob_isa_unavailable_reason(isa));
            return -1;
        }
        why = "forced by OPTBENCH_ISA";
    } else {
        for (int i = OB_ISA_COUNT - 1; i >= 0; i--) {
            if (ob_isa_supported((ob_isa)i)) {
                isa = (ob_isa)i;
                break;
            }
        }
    }
    const char *log = getenv("OPTBENCH_LOG_ISA");
    if (log && *log && strcmp(log, "0") != 0 && !logged) {
        fprintf(stderr, "optbench: using %s kernels (%s)\n", ob_isa_name(isa), why);
        logged = 1;
    }
    *out = isa;
    return 0;
}

int ob_q8_vbmi_supported(void)
{
#if defined(__x86_64__) || defined(__i386__)
    static int known = 0, yes = 0;
    if (!known) {
        __builtin_cpu_init();
        yes = ob_isa_supported(OB_ISA_AVX512) && __builtin_cpu_supports("avx512vbmi") &&
              __builtin_cpu_supports("avx512bw");
        known = 1;
    }
    return yes;
#else
    return 0;
#endif
}

static int q8_vbmi_off;

int ob_q8_vbmi_enabled(void)
{
    return !q8_vbmi_off && ob_q8_vbmi_supported();
}

int ob_q8_vbmi_set(int on)
{
    const int was = ob_q8_vbmi_enabled();
    q8_vbmi_off = !on;
    return was;
}
