/*
 * ci_internal.h — what the ci area's files share beyond ob_ci.h: the
 * command files' option parsing and `compare` of results sets, and
 * ci_where.c's locating of failures for ci.c.  Not part of the public API
 * (that is ob_ci.h).
 */
#ifndef OB_CI_INTERNAL_H
#define OB_CI_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "harness/core/ob_core.h"
#include "harness/run/ob_run.h"
#include "ob_ci.h"

/* --speed-alpha and --speed-effect, which `ci` and `compare` both take,
 * into opt (absent: opt keeps its value).  OB_EXIT_OK, or OB_EXIT_USAGE
 * with the message on err. */
int ci_parse_speed_options(const ob_cmd_spec *c, const ob_args *a, ob_ci_options *opt, FILE *err);

/* `compare` of two results sets A (before) and B (after), checks into out
 * (compare_results.c).  Returns the number of cases whose settings differ
 * between A and B, described in diff ("id (hparams.lr 0.01 -> 0.02); ...",
 * truncated to difflen); with allow_different those are listed as skipped
 * "settings" checks, otherwise the caller refuses the comparison. */
size_t ci_compare_results(const cJSON *A, const cJSON *B, int allow_different, ob_check_list *out, char *diff,
                          size_t difflen);

/* ---- shared by ci.c and ci_plugin.c ---- */

/* FNV-1a, 64-bit, over the little-endian bytes of fp32 values: a hash of
 * exact bit patterns, identical on every machine. */
#define CI_HASH_OFFSET 0xcbf29ce484222325ull
uint64_t ci_hash_f32(uint64_t h, const float *x, size_t n);
/* The option sets of the exactness and agreement gates: the defaults, each
 * option toggled alone, and all of them toggled (when valid). */
size_t ci_configs(const ob_optimizer *o, size_t *idx, size_t max);
/* The agreement gate allows the measured error to exceed the baseline's by
 * this relative margin: the reference computes pow() for bias corrections,
 * and libm's pow may differ by an ulp between machines.  Nonzero when
 * measured exceeds baseline by more. */
#define CI_AGREE_MARGIN 1e-6
int ci_agree_grew(double measured, double baseline);
/* Convergence on the CI problems is deterministic, so steps-to-target must
 * match exactly; final losses are equal within a relative 1e-12, room only
 * for libm differences in the double-precision evaluation of f, never for
 * a changed trajectory (NaN equals NaN). */
#define CI_LOSS_RTOL 1e-12
int ci_loss_equal(double a, double b);
/* The agreement gate's inputs (ob_agree_measure). */
#define CI_AGREE_N 1031
#define CI_AGREE_STEPS 20
#define CI_AGREE_SEED 0xa9eeull
/* The convergence gate's cases (the CI problems), parsed. */
int ci_convergence_suite(ob_suite *s, char *err, size_t errlen);

/* ---- ci_plugin.c: ci --plugin ---- */

/* Per plugin kernel of opt: exactness, agreement and convergence records
 * (measured in a child; a crash is recorded as "failed"). */
cJSON *ci_plugin_measure(const ob_ci_options *opt, FILE *progress);
/* The plugin kernels' checks against the baseline's (NULL: only the
 * bound and failures). */
void ci_plugin_compare(const cJSON *measured, const cJSON *baseline, ob_check_list *out);

/* ---- ci_coverage.c: the coverage gate ---- */

/* Per optimizer and vector ISA the CPU has: its kernel against scalar at
 * every length ob_cover_lengths derives, every option set of ci_configs
 * (records with the first difference, where it was computed); and their
 * checks (gate "coverage"), from the measurement alone. */
cJSON *ci_coverage_measure(const ob_ci_options *opt, const ob_optimizer *const *opts, size_t nopt);
void ci_coverage_compare(const cJSON *measured, ob_check_list *out);

/* ---- ci_q8.c: 8-bit block-wise state ---- */

/* Per q8 preset, optimizer of opts that offers it and vector ISA: the q8
 * step against scalar at lengths around the vector widths and block
 * boundaries; per preset and optimizer the q8 agreement contract.  Their
 * checks ("coverage" and "agreement"), judged from the measurement alone
 * (nothing in the baseline). */
cJSON *ci_q8_measure(const ob_optimizer *const *opts, size_t nopt);
void ci_q8_compare(const cJSON *measured, ob_check_list *out);

/* ---- ci_where.c: where a failure was computed, and how to reproduce it ---- */

/* The exactness gate's fixed inputs (ob_ci_write_inputs writes them):
 * x0 in [-2, 2); the gradient of step t in [-1, 1), with special values
 * (+-0, subnormals, huge, NaN, Inf) in the first 8 elements. */
#define CI_EXACT_SEED 0x0c1e0c1e0c1e0ull
void ci_exact_x0(float *p, size_t n);
void ci_exact_grad(float *g, size_t n, uint64_t t);

/* "kernels/avx512/adam.c, single vector (elements 32..47; element 41 of
 * 67)": the source file of o's kernel for isa and the block of it that
 * computes element i of n (ob_isa_step.unroll, kernels/ob_isa.h). */
void ci_kernel_where(const ob_optimizer *o, ob_isa isa, size_t n, size_t i, char *buf, size_t len);
/* " --set key=value" for every hyperparameter of h that is not o's
 * default, each value exact ("" when none). */
void ci_set_args(const ob_optimizer *o, const ob_hparams *h, char *buf, size_t len);

/* Runs ref and k side by side on the exactness inputs: the first
 * difference after any step (lowest step, then lowest element, p before
 * the state arrays) as {step, array, index, value, expected} and the first
 * in p, which `optbench trace` prints, as {p_step, p_index, p_value,
 * p_expected}; values are bit patterns.  NULL when they agree. */
cJSON *ci_exact_locate(const ob_optimizer *o, const ob_hparams *h, ob_kernel_fn ref, ob_kernel_fn k);

/* The failure details (buf is written, or appended to where it says so):
 * an ISA that differs from scalar (case c of the measurement, d its
 * ci_exact_locate record or NULL, hash_step the first step whose hash
 * differs); what to append to a scalar-vs-baseline difference in the
 * final arrays; to an agreement violation (a the measured record, n and
 * steps the gate's); to a convergence change (m the measured record). */
void ci_isa_diff_detail(const cJSON *c, const char *isa_name, const cJSON *d, int hash_step, const char *dir,
                        char *buf, size_t len);
void ci_baseline_diff_detail(const cJSON *c, const char *array, size_t index, const char *got,
                             const char *want, const char *dir, char *buf, size_t len);
void ci_agreement_detail(const cJSON *a, size_t n, uint64_t steps, char *buf, size_t len);
void ci_convergence_detail(const cJSON *m, char *buf, size_t len);
/* ob_ci_write_inputs(dir) when a check of checks is a failing exactness
 * check, whose trace line reads them.  A folder that cannot be written
 * only costs the reproduction: a warning on err, and the verdict stands. */
void ci_write_repro_inputs(const ob_check_list *checks, const char *dir, FILE *err);
/* The `optbench run` line of a convergence case (scalar path). */
void ci_run_line(const ob_case *c, char *buf, size_t len);

#endif
