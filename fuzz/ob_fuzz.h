/*
 * ob_fuzz.h — the fuzz targets (libFuzzer entry points) and what they share.
 *
 * Each target is a plain function `int ob_fuzz_<name>(const uint8_t *data,
 * size_t size)` that feeds the input to one parser or kernel and checks
 * properties that must hold for every input; a violated property prints
 * what it saw and aborts (libFuzzer records the input as a crash).  Built
 * with -DOB_FUZZ_LIBFUZZER (make fuzz, clang), each file also defines
 * LLVMFuzzerTestOneInput; built without it (make test, any compiler), the
 * functions are linked into tests/test_badinput_fuzz.c, which replays the
 * committed corpora (fuzz/corpus/<target>/) and every crash ever found
 * (fuzz/regressions/<target>/) through the same functions.
 *
 * Adding a target: fuzz/fuzz_<name>.c ending in OB_FUZZ_ENTRY(ob_fuzz_<name>),
 * one line in ob_fuzz_targets (targets.c) and a seed corpus folder.
 */
#ifndef OB_FUZZ_H
#define OB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "optbench/optimizers.h"

int ob_fuzz_hparam(const uint8_t *data, size_t size);
int ob_fuzz_schedule(const uint8_t *data, size_t size);
int ob_fuzz_suite(const uint8_t *data, size_t size);
int ob_fuzz_numfile(const uint8_t *data, size_t size);
int ob_fuzz_json(const uint8_t *data, size_t size);
int ob_fuzz_diff(const uint8_t *data, size_t size);
int ob_fuzz_mixed(const uint8_t *data, size_t size);
int ob_fuzz_q8(const uint8_t *data, size_t size);

/* What ob_fuzz_diff did, summed over its calls (for the replay's log). */
typedef struct ob_fuzz_diff_stats {
    size_t inputs, valid; /* inputs; those with valid hyperparameters */
    size_t isa_compared;  /* vector ISA runs compared bit for bit with scalar */
    size_t elems_checked; /* scalar element-steps checked against the reference */
    size_t elems_outside; /* scalar element-steps outside the agreement contract */
} ob_fuzz_diff_stats;
extern ob_fuzz_diff_stats ob_fuzz_diff_counts;

typedef struct ob_fuzz_target {
    const char *name; /* the folder names under fuzz/corpus and fuzz/regressions */
    int (*fn)(const uint8_t *data, size_t size);
} ob_fuzz_target;

extern const ob_fuzz_target ob_fuzz_targets[];
extern const size_t ob_fuzz_target_count;

/* An input read as a stream of choices; once it is used up, the rest
 * comes from splitmix64 seeded by it (set s from the whole input). */
typedef struct ob_fuzz_reader {
    const uint8_t *d;
    size_t n, i;
    uint64_t s; /* splitmix64 state once the input is used up */
} ob_fuzz_reader;
/* Reads data (seed: the generator's base, mixed with every byte). */
void ob_fuzz_reader_init(ob_fuzz_reader *r, const uint8_t *data, size_t size, uint64_t seed);
uint64_t ob_fuzz_u64(ob_fuzz_reader *r);
unsigned ob_fuzz_byte(ob_fuzz_reader *r);
uint32_t ob_fuzz_u32(ob_fuzz_reader *r);
/* A value of a hyperparameter inside its accepted range: [lo, hi] with its
 * open ends excluded and, for an unbounded key, up to FLT_MAX (the bounds,
 * the default, the toggle value, fp32's edges: double and fp32 subnormals,
 * FLT_MIN, 1 - 2^-k, huge values; or a log-spread draw over every binade). */
double ob_fuzz_hp_value(ob_fuzz_reader *r, const ob_hparam_spec *sp);
/* An fp32 value: log-uniform in [1e-6, 1e6] mostly, +-0, subnormals, NaN,
 * +-Inf, huge and tiny normals, small integers or any bit pattern; |v|
 * when nonneg (NaN kept). */
float ob_fuzz_float(ob_fuzz_reader *r, int nonneg);

/* An optimizer of the table and hyperparameters inside their ranges, in
 * *h; NULL when a rule across keys rejects them (e.g. nesterov without
 * momentum). */
const ob_optimizer *ob_fuzz_optimizer(ob_fuzz_reader *r, ob_hparams *h);

/* A property that must hold: otherwise say which and abort. */
#define OB_FUZZ_CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: fuzz property violated: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
            abort(); \
        } \
    } while (0)

/* A NUL-terminated copy of the input (malloc'd, exactly size + 1 bytes so
 * that an over-read is caught). */
char *ob_fuzz_cstr(const uint8_t *data, size_t size);
/* The input as a file that the readers can open: a memfd, reached as
 * /proc/self/fd/N (no disk writes per execution).  Returns the fd (close
 * it after use) and writes its path; -1 on failure. */
int ob_fuzz_file(const uint8_t *data, size_t size, char *path, size_t pathlen);
/* Checks that a message is a non-empty, NUL-terminated string of at most
 * len - 1 bytes. */
void ob_fuzz_check_msg(const char *msg, size_t len);

#ifdef OB_FUZZ_LIBFUZZER
#define OB_FUZZ_ENTRY(fn) \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) \
    { \
        return fn(data, size); \
    }
#else
#define OB_FUZZ_ENTRY(fn)
#endif

#endif
