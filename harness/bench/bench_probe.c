/*
 * bench_probe.c — the ceilings `optbench bench` measures in the same run
 * as the kernels (README "Benchmarks"): the memory probe, STREAM's triad,
 * the divider probe and a mixed format's memory probe.  The fp32 memory
 * probe comes in three patterns (plain, with software prefetch, with
 * streaming stores): the ceiling is the fastest of them and the triad, so
 * that it is not the kernels' own access pattern.  The probes are
 * ISA code and live with the kernels, one set per instruction-set folder
 * built with that folder's flags (kernels/<isa>/probe.c; what each
 * measures: kernels/ob_probe.h).  This file only finds them in the ISA
 * tables (kernels/ob_isa.h) and says which arrays of a format are 16-bit.
 */
#include "ob_bench.h"

#include <string.h>

#include "kernels/ob_isa.h"

static const ob_isa_probes *probes(ob_isa isa)
{
    const ob_isa_table *t = ob_isa_table_of(isa);
    return t ? t->probes : NULL;
}

const char *const ob_bench_probe_patterns[3] = {"plain", "prefetch", "nt"};

ob_kernel_fn ob_bench_probe_mem(ob_isa isa, size_t k, const char *pattern)
{
    const ob_isa_probes *p = probes(isa);
    if (!p || k > OB_MAX_STATE || !pattern) return NULL;
    if (!strcmp(pattern, "plain")) return p->mem_plain[k];
    if (!strcmp(pattern, "prefetch")) return p->mem[k];
    if (!strcmp(pattern, "nt")) return p->mem_nt[k];
    return NULL;
}

ob_kernel_fn ob_bench_probe_triad(ob_isa isa)
{
    const ob_isa_probes *p = probes(isa);
    return p ? p->triad : NULL;
}

ob_kernel_fn ob_bench_probe_div(ob_isa isa, int n_sqrt, int n_div)
{
    const ob_isa_probes *p = probes(isa);
    if (!p || n_sqrt < 0 || n_sqrt > 2 || n_div < 1 || n_div > 2) return NULL;
    return p->div[n_sqrt][n_div - 1];
}

ob_bench_mixed_probe_fn ob_bench_probe_mem_mixed(ob_isa isa)
{
    const ob_isa_probes *p = probes(isa);
    return p ? p->mem_mixed : NULL;
}

unsigned ob_bench_probe_halves(const ob_format *f)
{
    return (f->param != OB_DT_F32 ? OB_PROBE_HALF_P : 0u) | (f->grad != OB_DT_F32 ? OB_PROBE_HALF_G : 0u) |
           (f->state != OB_DT_F32 ? OB_PROBE_HALF_S : 0u);
}
