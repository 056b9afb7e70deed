/*
 * ob_isa.h — what one instruction-set folder provides, as one table.
 *
 * Each folder kernels/<isa>/ is built with its own -m flags and exports one
 * ob_isa_table (kernels/<isa>/table.c): its optimizer steps and approximate
 * variants, its reductions, its SAM kernels, its mixed-precision
 * conversions and fused steps, and the probes `optbench bench` measures
 * ceilings with.  kernels/framework/dispatch.c is the only file that knows
 * which folders were compiled in: everything else reaches an ISA's code
 * through ob_isa_table_of(), which also answers NULL for an ISA that was
 * not built (the compiler rejected its flags).
 *
 * Nothing here checks the CPU: a table's functions may only be called
 * after ob_isa_supported() (and, for the avx512bf16 extension,
 * ob_bf16_native_supported()) said yes.  Internal to kernels/ and the
 * harness; the public API is optbench/optimizers.h.
 *
 * Adding an optimizer's kernel for an ISA = one line in that folder's
 * steps[] (kernels/<isa>/table.c) under the key the table entry names
 * (ob_optimizer.kernel_key).  An ISA that does not list a key has no
 * kernel for it: ob_optimizer_kernel() answers NULL and the harness
 * reports that ISA as SKIPPED ("no <isa> kernel").
 */
#ifndef OB_ISA_H
#define OB_ISA_H

#include <stddef.h>

#include "optbench/optimizers.h"
#include "kernels/framework/ob_mixed.h"
#include "kernels/framework/ob_reduce.h"
#include "kernels/framework/ob_sam.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One optimizer step of the ISA: the kernel every entry whose kernel_key is
 * `key` runs (adam, adamw and amsgrad share "adam"), and its approximate
 * variant (README "The approximate variant"; NULL where there is none).
 *
 * unroll: the exact kernel's block structure, which element i of n falls
 * into (`optbench ci` names the block where a difference was computed).
 * With W = ob_isa_width(isa) lanes, the element loop takes unroll whole
 * vectors per iteration while at least unroll*W elements remain, then one
 * straight-line block of unroll/2, unroll/4, ..., 1 vectors each where that
 * many remain, then one masked tail of the last n mod W elements: the
 * FOR_EACH macros of kernels/avx2/avx2_ops.h and kernels/avx512/avx512_ops.h
 * (OB_*_FOR_EACH_PF: 2, OB_*_FOR_EACH4_PF: 4).  1 for the scalar loop. */
typedef struct ob_isa_step {
    const char *key;
    ob_kernel_fn exact;
    ob_kernel_fn approx;
    unsigned unroll;
} ob_isa_step;

/* Bits of a mixed probe's `halves`: the array is 16-bit (else fp32). */
#define OB_PROBE_HALF_P 1u
#define OB_PROBE_HALF_G 2u
#define OB_PROBE_HALF_S 4u

/* The memory probe of a mixed format: p, g and k state arrays, 16-bit
 * where `halves` says so, x = narrow(widen(x) + c*widen(g)). */
typedef void (*ob_probe_mixed_fn)(size_t n, void *p, const void *g, void *const *state, size_t k,
                                  unsigned halves, float c);

/* The ceilings `optbench bench` measures (README "Benchmarks"), in the
 * kernels' ob_kernel_fn shape so they run through the same chunking:
 *   mem[k]             p += c*g and state[j] += c*g for j < k, c = s->lr;
 *   triad              STREAM's p = g + c*state[0];
 *   div[s][d - 1]      p = g / den (d divisions), den = s square roots of
 *                      state[0] (0 <= s <= 2, 1 <= d <= 2), correctly
 *                      rounded: the divider operations of one element of an
 *                      exact kernel (ob_optimizer.divides);
 *   mem_mixed          the memory probe of a mixed format. */
typedef struct ob_isa_probes {
    ob_kernel_fn mem[OB_MAX_STATE + 1];       /* with software prefetch (OB_PROBE_PREFETCH) */
    ob_kernel_fn mem_plain[OB_MAX_STATE + 1]; /* without (OB_PROBE_PLAIN) */
    ob_kernel_fn mem_nt[OB_MAX_STATE + 1];    /* streaming stores (OB_PROBE_NT); NULL: none */
    ob_kernel_fn triad;
    ob_kernel_fn div[3][2];
    ob_probe_mixed_fn mem_mixed;
} ob_isa_probes;

typedef struct ob_isa_table {
    const char *name;         /* "scalar", "avx2", "avx512", "avx512bf16" */
    const ob_isa_step *steps; /* the optimizer steps it has */
    size_t n_steps;
    ob_sumsq_fn sumsq;             /* ob_reduce.h */
    ob_sam_perturb_fn sam_perturb; /* ob_sam.h */
    ob_sam_tgsq_fn sam_tgsq;
    const ob_cvt_ops *cvt;        /* ob_mixed.h */
    const ob_fused_kernel *fused; /* fused mixed-precision steps */
    size_t n_fused;
    const ob_isa_probes *probes; /* NULL: none (the avx512bf16 extension) */
} ob_isa_table;

/* The folders' tables (kernels/<isa>/table.c).  Referenced by dispatch.c
 * alone, and only for the folders that were compiled in. */
extern const ob_isa_table ob_isa_table_scalar;
extern const ob_isa_table ob_isa_table_avx2;
extern const ob_isa_table ob_isa_table_avx512;
extern const ob_isa_table ob_isa_table_avx512bf16;
/* The folders' probes (kernels/<isa>/probe.c). */
extern const ob_isa_probes ob_isa_probes_scalar;
extern const ob_isa_probes ob_isa_probes_avx2;
extern const ob_isa_probes ob_isa_probes_avx512;

/* The table of an ISA; NULL where it was not compiled in (or isa is out of
 * range).  Does not check the CPU. */
const ob_isa_table *ob_isa_table_of(ob_isa isa);
/* The AVX512_BF16 extension of the AVX-512 table (conversions and fused
 * steps with VCVTNEPS2BF16); NULL where it was not compiled in.  Does not
 * check the CPU (ob_bf16_native_supported does). */
const ob_isa_table *ob_isa_table_avx512bf16_ext(void);
/* The step an ISA table lists under key; NULL if none. */
const ob_isa_step *ob_isa_table_step(const ob_isa_table *t, const char *key);

#ifdef __cplusplus
}
#endif
#endif
