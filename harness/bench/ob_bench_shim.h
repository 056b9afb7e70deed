/*
 * ob_bench_shim.h — a pure-C API over Google Benchmark.
 *
 * The implementation (harness/bench/bench_shim.cc) is the only C++ in the
 * project; this header is C only and includes nothing from C++, so C code
 * registers, configures and runs benchmarks without a C++ compiler.  The
 * shape follows IREE's ukernel benchmark API (a C benchmark-definition
 * struct over RegisterBenchmark with a lambda, which Google Benchmark
 * 1.7.1's benchmark::RegisterBenchmark accepts).
 *
 * Timing model: the C function receives the whole batch Google Benchmark
 * asks for (KeepRunningBatch(state.max_iterations)) and loops over it
 * itself, so there is no per-iteration call into C++.  Time is wall-clock
 * (UseRealTime): the functions may run OpenMP threads of their own, which
 * the CPU time of the calling thread would not see.
 */
#ifndef OB_BENCH_SHIM_H
#define OB_BENCH_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A registered benchmark (owned by the shim until ob_gb_clear). */
typedef struct ob_gb_bench ob_gb_bench;

/* Runs `iterations` iterations of the measured work; returns 0, or
 * nonzero to abort this benchmark (reported as an error in its results). */
typedef int (*ob_gb_fn)(void *ctx, uint64_t iterations);
/* Untimed preparation, called before every batch (also before each
 * repetition); returns 0, or nonzero to abort this benchmark. */
typedef int (*ob_gb_setup_fn)(void *ctx);

/* Counter flags (Google Benchmark's benchmark::Counter::Flags). */
enum {
    OB_GB_RATE = 1u,           /* divided by the elapsed seconds */
    OB_GB_PER_ITERATION = 2u,  /* multiplied by the number of iterations */
    OB_GB_AVG_ITERATIONS = 4u, /* divided by the number of iterations */
    OB_GB_INVERT = 8u          /* 1/value, after the above */
};

/* Registers benchmark `name` (copied).  Every iteration processes
 * bytes_per_iter bytes and items_per_iter items: they become the
 * bytes_per_second and items_per_second of its results (0: not reported).
 * Returns NULL if out of memory or name/fn is NULL. */
ob_gb_bench *ob_gb_register(const char *name, ob_gb_fn fn, void *ctx, double bytes_per_iter,
                            double items_per_iter);
/* Sets an untimed setup function (see ob_gb_setup_fn). */
void ob_gb_set_setup(ob_gb_bench *b, ob_gb_setup_fn setup);
/* Adds a counter reported with every run of b: `value` transformed by the
 * OB_GB_* flags.  For example (n elements per iteration)
 *   ob_gb_add_counter(b, "ns_per_elem", n * 1e-9,
 *                     OB_GB_RATE | OB_GB_PER_ITERATION | OB_GB_INVERT)
 * reports nanoseconds per element.  Returns 0, or -1 (out of memory). */
int ob_gb_add_counter(ob_gb_bench *b, const char *name, double value, unsigned flags);
/* Per-benchmark repetitions and minimum time (seconds).  Set in code these
 * override the --benchmark_repetitions / --benchmark_min_time flags
 * (Google Benchmark 1.7.1: Repetitions() and MinTime() on a benchmark win
 * over the command line). */
void ob_gb_set_repetitions(ob_gb_bench *b, int repetitions);
void ob_gb_set_min_time(ob_gb_bench *b, double seconds);

/* Initialises Google Benchmark with argv[1..argc) (its --benchmark_* flags;
 * argv[0] is a program name) and runs every registered benchmark that
 * matches --benchmark_filter.  The console report (context and one line
 * per run) goes to `display` (NULL: discarded), Google Benchmark's own
 * messages to `errors`; --benchmark_out=FILE writes a file report as usual.
 * Returns the number of benchmarks run (0 when the filter matches none:
 * Google Benchmark's message is then on `errors`), or -1 when an argument
 * is not a flag it knows (the argument is named in msg). */
long ob_gb_run(int argc, char **argv, FILE *display, FILE *errors, char *msg, size_t msglen);

/* Unregisters and frees every benchmark (Google Benchmark keeps its
 * registry for the life of the process). */
void ob_gb_clear(void);

/* Optimisation barriers, empty inline asm with a "memory" clobber as
 * benchmark::DoNotOptimize / ClobberMemory are in benchmark/benchmark.h:
 * the compiler must assume *p is read and all memory may have changed. */
static inline void ob_gb_escape(const void *p)
{
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

static inline void ob_gb_clobber(void)
{
    __asm__ __volatile__("" : : : "memory");
}

#ifdef __cplusplus
}
#endif
#endif
