/*
 * bench_internal.h — what the bench area's translation units share beyond
 * ob_bench.h (bench_report.c and bench_targets.c).  Not part of the public
 * API (that is ob_bench.h).
 */
#ifndef OB_BENCH_INTERNAL_H
#define OB_BENCH_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "ob_bench.h"

/* From this size on (16 Mi elements) the arrays are far out of cache: the
 * memory-ceiling targets of the kernels and of the mixed formats hold
 * there. */
#define BN_SIZE_LARGE ((size_t)16 << 20)

/* The measured row of that case; with isa < 0, the fastest of any ISA.
 * NULL when none was measured. */
const ob_bench_row *bn_find_row(const ob_bench_plan *plan, ob_bench_kind kind, const ob_optimizer *o, int isa,
                                const char *variant, size_t size, int threads);
/* A table cell: v printed with fmt ("%*.3f": width, then v), or "-" in
 * `width` columns when v is not finite. */
void bn_cell(FILE *out, int width, const char *fmt, double v);

#endif
