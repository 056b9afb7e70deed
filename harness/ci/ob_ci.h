/*
 * ob_ci.h — the CI regression suite: measure, compare with a committed
 * baseline, report.
 *
 * Five gates (README "Use in CI"):
 *   exactness    hashes of the final parameters and state after a fixed
 *                number of steps on fixed inputs, per optimizer, option set
 *                and ISA: every ISA equal to scalar, scalar equal to the
 *                baseline (exact: every operation is IEEE);
 *   coverage     every ISA equal to scalar at the lengths that run every
 *                block of its kernel (ob_cover_lengths), per optimizer and
 *                ISA: a comparison within the run, nothing from the baseline;
 *   agreement    the worst single-step error against the reference, per
 *                optimizer: within the documented bound and not above the
 *                baseline's value;
 *   convergence  steps-to-target and final loss on the CI problems, equal
 *                to the baseline's;
 *   speed        throughput against the baseline's samples (Mann-Whitney U
 *                test plus a minimum effect) and the same-run fraction of
 *                the memory ceiling, against the baseline's section for
 *                this machine class (CPU model and ISA set); skipped where
 *                the baseline has none.
 *
 * Baseline format (OB_CI_FORMAT), version 2: the speed part is
 * {"sections": [{cpu_model, isa_supported, recorded, cases}, ...]}, one
 * section per machine class.  Version 1 had one {cpu_model, cases}; such a
 * file still reads, as a single section dated by its meta.date, and is
 * written back as version 2 by --update-baseline.
 */
#ifndef OB_CI_H
#define OB_CI_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "optbench/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OB_CI_BASELINE_DEFAULT "results/baseline/ci-baseline.json"
#define OB_CI_FORMAT "optbench-ci-baseline"
#define OB_CI_VERSION 2

/* Exactness inputs: OB_CI_N elements (8W+3 for AVX2, 4W+3 for AVX-512:
 * unrolled loops and a masked tail of 3; 67 reaches no ISA's
 * single-vector block: the coverage gate runs every block), OB_CI_STEPS
 * steps. */
#define OB_CI_N 67
#define OB_CI_STEPS 30

/* OB_CHECK_IMPROVED: a directional figure (loss, steps-to-target, speed)
 * moved the good way; it passes and is listed as an improvement. */
typedef enum { OB_CHECK_PASS, OB_CHECK_FAIL, OB_CHECK_SKIP, OB_CHECK_IMPROVED } ob_check_status;

typedef struct ob_check {
    char gate[16];  /* completeness | settings | exactness | coverage | agreement | convergence | speed */
    char name[192]; /* e.g. "adam{amsgrad=1}/avx512" */
    ob_check_status status;
    char detail[1024]; /* what changed, or why skipped */
} ob_check;

typedef struct ob_check_list {
    ob_check *v;
    size_t n, cap;
} ob_check_list;

/* The check list (checks.c). */
void ob_checks_add(ob_check_list *l, const char *gate, const char *name, ob_check_status st, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
void ob_checks_free(ob_check_list *l);
size_t ob_checks_count(const ob_check_list *l, ob_check_status st);

/* Options of a CI run. */
typedef struct ob_ci_options {
    int speed;             /* run the speed gate */
    double speed_alpha;    /* U-test significance level (default 0.05) */
    double speed_effect;   /* minimum relative slowdown (default 0.08) */
    int speed_reps;        /* repetitions per speed case (>= 9) */
    double speed_min_time; /* seconds per repetition */
    /* Test hook: replace one ISA's kernel of one optimizer (a kernel with
     * a wrong element, or one slowed down: tests/test_ci.c). */
    const char *override_opt;
    ob_isa override_isa;
    ob_kernel_fn override_kernel;
    const ob_optimizer *const *opts; /* NULL: the whole table */
    size_t n_opts;
    /* Where the exactness inputs for a failure's `optbench trace` line are
     * written (NULL: OB_CI_REPRO_DIR; the command writes them when an
     * exactness check fails, ob_ci_write_inputs). */
    const char *repro_dir;
    /* ci --plugin: only these kernels are measured (and their speed),
     * against the user's own baseline; plugin_bound > 0 replaces their
     * agreement bounds (u*S). */
    const struct ob_plugin_kernel *const *plugins;
    size_t n_plugins;
    double plugin_bound;
} ob_ci_options;

#define OB_CI_REPRO_DIR "results/ci-repro"

/* Writes the exactness gate's inputs as `optbench trace` reads them:
 * dir/x0.txt (one line of OB_CI_N numbers) and dir/grads.txt (one line
 * per step); 0, or -1 with a message. */
int ob_ci_write_inputs(const char *dir, char *err, size_t errlen);

void ob_ci_options_default(ob_ci_options *o);

/* Runs the CI suite and returns its measurements as a baseline-shaped JSON
 * object (the caller owns it), or NULL with a message. */
cJSON *ob_ci_measure(const ob_ci_options *opt, int argc, char **argv, FILE *progress, char *err,
                     size_t errlen);

/* Checks a measurement on its own (every ISA equal to scalar, agreement
 * within bounds) and against a baseline (NULL: no baseline checks). */
void ob_ci_compare(const cJSON *measured, const cJSON *baseline, const ob_ci_options *opt,
                   ob_check_list *out);

/* The speed gate (ci_speed.c): the measurement (this machine's section:
 * {cpu_model, isa_supported, recorded, cases}, NULL with a message), its
 * comparison with the baseline's section of the same machine class (a
 * "speed/section" check names it; none: one SKIP saying how to record
 * it), and the two-sided Mann-Whitney U test's p-value (normal
 * approximation with tie and continuity corrections, as scipy's
 * asymptotic method). */
cJSON *ob_ci_speed_measure(const ob_ci_options *opt, char *err, size_t errlen);
void ob_ci_compare_speed(const cJSON *measured, const cJSON *baseline, const ob_ci_options *opt,
                         ob_check_list *out);
/* This machine's class as an empty section: cpu_model (the environment
 * variable OPTBENCH_CI_CPU_MODEL replaces it: a test hook), isa_supported,
 * recorded (now, UTC). */
cJSON *ob_ci_machine_section(void);
/* A new speed object: old_speed's sections (NULL: none; a version-1
 * object counts as one) with the one of section's class replaced by a
 * copy of section, in its place, or section appended. */
cJSON *ob_ci_speed_merged(const cJSON *old_speed, const cJSON *section);
/* Rewrites a version-1 document's speed object as version 2's sections
 * (the section's isa_supported and recorded from meta); no-op otherwise. */
void ob_ci_speed_upgrade(cJSON *doc);
double ob_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

/* Reads a baseline, checking its format and version (1 or 2; a version-1
 * file is upgraded in memory, ob_ci_speed_upgrade); NULL with a message. */
cJSON *ob_ci_baseline_read(const char *path, char *err, size_t errlen);

/* Output (checks.c): a plain-text table (failures and skips in full, a line per gate),
 * Markdown, JUnit XML (one testcase per check). */
void ob_checks_print_text(const ob_check_list *l, FILE *out, int verbose);
void ob_checks_print_markdown(const ob_check_list *l, FILE *out);
int ob_checks_write_junit(const ob_check_list *l, const char *path, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
