/*
 * repro_internal.h — helpers shared by the reproduction entries (internal to
 * harness/repro/): progress lines, the entry's CSV, JSON numbers.
 */
#ifndef OB_REPRO_UTIL_H
#define OB_REPRO_UTIL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ob_repro.h"
#include "harness/core/ob_core.h"

/* A progress line "optbench repro: ..." on o->log (nothing when NULL). */
void ob_repro_log(const ob_repro_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The entry's CSV, <repro_dir>/<stem>.csv, written atomically; records
 * its path (relative to the run folder) in out->csv. */
typedef struct ob_repro_csv {
    ob_atomic_file af;
} ob_repro_csv;
int ob_repro_csv_open(ob_repro_csv *c, const ob_repro_opts *o, const char *stem, ob_repro_outcome *out,
                      char *err, size_t errlen);
int ob_repro_csv_commit(ob_repro_csv *c, char *err, size_t errlen);
void ob_repro_csv_abort(ob_repro_csv *c);

/* A macro's value as a string literal: the entries' setup texts state the
 * constants their code runs with, spelled from the same macros. */
#define OB_REPRO_STR_(x) #x
#define OB_REPRO_STR(x) OB_REPRO_STR_(x)

/* The first fp32 path in a mask (1 + isa), or -1 when none runs. */
int ob_repro_first_fp32(unsigned paths);

#endif
