/*
 * test_badinput_fuzz.c — the fuzzers' inputs, replayed in `make test`.
 *
 * Every file of fuzz/corpus/<target>/ (the committed seeds and what the
 * fuzzer kept) and of fuzz/regressions/<target>/ (every crash a fuzzer
 * ever found, kept so it stays fixed) goes through the same entry point
 * the fuzzer calls (fuzz/ob_fuzz.h), built with the ordinary compiler, so
 * these run without clang or libFuzzer.  A violated property aborts: the
 * file being replayed is printed first.  OPTBENCH_FUZZ_DIR points at
 * another fuzz/ folder.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/ob_fuzz.h"
#include "common/ob_test_proc.h"

static const char *current;

/* Names the input that broke a property (abort) or tripped a sanitizer. */
static void say_which(void)
{
    if (current) fprintf(stderr, "\nfuzz replay: the failing input is %s\n", current);
}

static void on_abort(int sig)
{
    say_which();
    signal(sig, SIG_DFL);
    raise(sig);
}

extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

/* Replays every file of dir through fn; returns how many (-1: no folder). */
static long replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    long count = 0;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* ., .., .gitkeep */
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        char *data = ob_tp_slurp(path, &len);
        if (!data) continue; /* a folder */
        current = path;
        fn((const uint8_t *)data, len);
        current = NULL;
        free(data);
        count++;
    }
    closedir(d);
    return count;
}

ParameterizedTestParameters(fuzz, replay_corpus_and_regressions)
{
    size_t *idx = cr_malloc(ob_fuzz_target_count * sizeof *idx);
    for (size_t i = 0; i < ob_fuzz_target_count; i++) idx[i] = i;
    return cr_make_param_array(size_t, idx, ob_fuzz_target_count);
}

ParameterizedTest(size_t *ti, fuzz, replay_corpus_and_regressions, .timeout = 300)
{
    const ob_fuzz_target *t = &ob_fuzz_targets[*ti];
    const char *root = getenv("OPTBENCH_FUZZ_DIR");
    if (!root || !*root) root = "fuzz";
    signal(SIGABRT, on_abort);
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(say_which);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus/%s", root, t->name);
    long corpus = replay_dir(dir, t->fn);
    cr_assert(corpus > 0,
              "%s: no seed corpus (run the tests from the repository root, or set OPTBENCH_FUZZ_DIR)", dir);
    snprintf(dir, sizeof dir, "%s/regressions/%s", root, t->name);
    long regressions = replay_dir(dir, t->fn);
    cr_log_info("fuzz replay %-8s: %ld corpus inputs, %ld regression inputs, every property held", t->name,
                corpus, regressions < 0 ? 0 : regressions);
    if (t->fn == ob_fuzz_diff) {
        const ob_fuzz_diff_stats *d = &ob_fuzz_diff_counts;
        cr_log_info(
            "fuzz replay diff    : %zu valid inputs, %zu vector runs bit-identical to scalar, %zu element-steps "
            "of scalar within the bound of the reference (%zu outside the agreement contract)",
            d->valid, d->isa_compared, d->elems_checked, d->elems_outside);
    }
}
