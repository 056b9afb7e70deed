/*
 * ob_bench.h — throughput benchmarks (`optbench bench`, README
 * "Benchmarks"): kernels, the ceilings measured beside them (memory probes
 * shaped like each optimizer, a STREAM triad, divider probes), peers, and
 * the derived figures (bench.csv, the summary and targets tables).
 *
 * The measurements run through Google Benchmark via the C shim (its API
 * is the first section below; bench_shim.cc, the only C++, implements it
 * and compiles this header as C++, so the header stays valid C++).  A plan is built from a configuration, registered,
 * run, then filled in from Google Benchmark's JSON:
 *
 *   ob_bench_plan_init(&plan, &cfg)  ->  ob_bench_plan_register(&plan)
 *   ->  ob_gb_run(... --benchmark_out=FILE ...)  ->  ob_bench_collect(&plan, json)
 *   ->  [ob_bench_peer_run]  ->  ob_bench_derive(&plan)  ->  write / print
 */
#ifndef OB_BENCH_H
#define OB_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "kernels/framework/ob_mixed.h"
#include "optbench/optimizers.h"
#include "harness/plugin/ob_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== the Google Benchmark shim (bench_shim.cc, the only C++) ==================== */

/*
 * a pure-C API over Google Benchmark.
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

/* ==== the benchmark plan ========================================================== */

#define OB_BENCH_MAX_OPTS 16
#define OB_BENCH_MAX_SIZES 16
#define OB_BENCH_MAX_THREADS 8
#define OB_BENCH_MAX_FORMATS 16
#define OB_BENCH_MAX_PLUGINS 64
/* fp16 gradients in the benchmarks carry a loss scale of 2^10. */
#define OB_BENCH_INV_LOSS_SCALE 0x1p-10f
/* Elements per thread of the divider probe: 3 arrays of 2048 floats
 * (24 KiB) stay in a 32 KiB or larger L1 data cache. */
#define OB_BENCH_DIV_N 2048
/* The step whose scalars (bias corrections) the kernels receive. */
#define OB_BENCH_STEP 10

/* The header of bench.csv, in order (plot/ and the report read it). */
#define OB_BENCH_CSV_HEADER \
    "kind,opt,isa,variant,size,threads,bytes_per_elem,ns_per_elem,elems_per_s,gb_per_s," \
    "mem_ceiling_gb_per_s,frac_mem_ceiling,div_ceiling_ns_per_elem,frac_div_ceiling,speedup_vs_scalar," \
    "bound,frac_bound,mem_ceiling_probe"

typedef enum ob_bench_kind {
    OB_BENCH_KERNEL,
    OB_BENCH_PROBE_MEM,
    OB_BENCH_PROBE_DIV,
    OB_BENCH_TRIAD,
    OB_BENCH_PEER
} ob_bench_kind;

/* "kernel", "probe_mem", "probe_div", "triad", "peer". */
const char *ob_bench_kind_name(ob_bench_kind k);

typedef struct ob_bench_config {
    const ob_optimizer *opts[OB_BENCH_MAX_OPTS];
    ob_hparams h[OB_BENCH_MAX_OPTS]; /* validated hyperparameters per optimizer */
    size_t n_opts;
    unsigned isa_mask;                /* bit 1 << ob_isa: the kernels to run */
    size_t sizes[OB_BENCH_MAX_SIZES]; /* elements */
    size_t n_sizes;
    int threads[OB_BENCH_MAX_THREADS];
    size_t n_threads;
    /* The approximate variants: 0 never, 1 where the CPU class offers
     * them (ob_cpu_tuning; the default), 2 always (--approx, to measure
     * why a class does not offer them). */
    int approx;
    /* Also time every vector exact kernel at sizes >= 16Mi with the
     * software prefetch forced against the CPU class's choice, as the
     * variant ob_bench_prefetch_check_variant() (--prefetch-check). */
    int prefetch_check;
    /* Mixed-precision formats besides fp32 (README "Mixed precision"):
     * each adds kernel rows and its own memory probe, with the format's
     * name as the variant.  None: fp32 only. */
    ob_format formats[OB_BENCH_MAX_FORMATS];
    size_t n_formats;
    /* Bit oi: optimizer opts[oi] runs the formats (0: every one). */
    unsigned format_opt_mask;
    /* Plugin kernels (--plugin), each benchmarked beside the kernels of
     * the optimizer it claims (which must be among opts; its hyperparameters
     * are that optimizer's h) at every size, and at every thread count
     * it can be told (ob_plugin_threads: a kernel without init only at its
     * own count, which must be among threads).  Rows: kind kernel, isa -1,
     * variant "plugin:<name>" (ob_plugin_label), `plugin` set.  Check each
     * with ob_bench_plugin_check first: the benchmark calls its step
     * directly, unguarded. */
    const ob_plugin_kernel *plugins[OB_BENCH_MAX_PLUGINS];
    size_t n_plugins;
} ob_bench_config;

/* One row of bench.csv.  Every double is a median over the repetitions,
 * or NaN when unknown (an empty field in the CSV). */
typedef struct ob_bench_row {
    ob_bench_kind kind;
    const ob_optimizer *opt; /* NULL for probe_div and triad */
    int isa;                 /* ob_isa, or -1 (peers, plugin kernels) */
    char variant[64];        /* "exact", "approx", a format's, a peer's or a plugin kernel's name; probe_mem:
                              * its pattern (plain, prefetch, nt) or its format's name; else "" */
    size_t size;             /* elements per step */
    int threads;             /* threads asked for */
    int threads_used;        /* threads the step really uses (ob_thread_count) */
    double bytes_per_elem;
    double ns_per_elem, elems_per_s, gb_per_s;
    double mem_ceiling_gb_per_s, frac_mem_ceiling;
    /* The probe that set the memory ceiling (README "The honest memory
     * ceiling"): "<pattern>/<isa>" of the fastest memory probe (pattern
     * plain, prefetch or nt; a format's name for its probe), or "triad"
     * (STREAM's triad bandwidth over this case's bytes). */
    char mem_ceiling_probe[80];
    double div_ceiling_ns_per_elem, frac_div_ceiling;
    double speedup_vs_scalar;
    const char *bound; /* "memory", "divider" or "" */
    double frac_bound;
    int format;                     /* index into cfg.formats; -1: fp32 */
    double speedup_vs_fp32;         /* format rows: the fp32 exact kernel's time / this one's */
    char name[192];                 /* the Google Benchmark name ("" for peers) */
    const ob_plugin_kernel *plugin; /* a plugin kernel's row: the kernel; else NULL */
} ob_bench_row;

typedef struct ob_bench_priv ob_bench_priv;

typedef struct ob_bench_plan {
    ob_bench_config cfg;
    ob_isa probe_isa;    /* the widest ISA probed: the triad's */
    unsigned probe_mask; /* the ISAs of the memory probes */
    ob_bench_row *rows;
    size_t n_rows, cap_rows;
    ob_bench_priv *priv; /* benchmark contexts and buffers */
} ob_bench_plan;

/* Nonzero if the plan runs the approximate variants (cfg->approx and the
 * CPU class, ob_cpu_tuning). */
int ob_bench_runs_approx(const ob_bench_config *cfg);
/* "exact-noprefetch" where the CPU class prefetches, else "exact+prefetch". */
const char *ob_bench_prefetch_check_variant(void);

/* Parses a size: digits with an optional binary suffix Ki, Mi or Gi
 * ("4Ki" = 4096).  Returns 0, or -1 for anything else, including 0,
 * negative values and values above 2^40. */
int ob_bench_parse_size(const char *s, size_t *out);
/* Formats a size the way it was likely written: "4Ki", "1Mi", "1000". */
void ob_bench_format_size(size_t n, char *buf, size_t len);

/* The name of a combination of divider operations (ob_optimizer.divides),
 * e.g. "1sqrt_1div": the variant of the probe_div rows. */
void ob_bench_divider_name(int divides, char *buf, size_t len);

/* A plan with no rows; cfg is copied.  ob_bench_plan_free releases it. */
void ob_bench_plan_init(ob_bench_plan *plan, const ob_bench_config *cfg);
void ob_bench_plan_free(ob_bench_plan *plan);
/* Appends a row (values NaN, strings empty); NULL if out of memory.  The
 * pointer is valid until the next append. */
ob_bench_row *ob_bench_plan_add(ob_bench_plan *plan, ob_bench_kind kind);

/* Registers every benchmark of the plan with the shim: the divider probes
 * per ISA and thread count, then per size and optimizer the memory probe
 * and the kernels (every ISA of cfg, exact and approximate), then the
 * triad.  Returns 0, or -1 with a message (out of memory). */
int ob_bench_plan_register(ob_bench_plan *plan, char *err, size_t errlen);

/* Fills the measured fields of the registered rows from Google
 * Benchmark's JSON report: the "median" aggregates when present, else the
 * median of the repetitions.  Rows that did not run stay NaN.  Returns the
 * number of rows filled. */
size_t ob_bench_collect(ob_bench_plan *plan, const cJSON *gb_report);

/* Computes the derived fields of every row: the ceilings of its case,
 * the fractions, the bound and the speed-up over scalar.  Optimizers that
 * share a memory probe (the same number of state arrays) get probe_mem
 * rows of their own, copies of the shared one.  Call it once. */
void ob_bench_derive(ob_bench_plan *plan);

/* Writes bench.csv atomically.  0, or -1 with a message. */
int ob_bench_write_csv(const ob_bench_plan *plan, const char *path, char *err, size_t errlen);
/* The rows, targets and memory table as JSON (for bench.json). */
cJSON *ob_bench_rows_json(const ob_bench_plan *plan);
cJSON *ob_bench_targets_json(const ob_bench_plan *plan);
cJSON *ob_bench_memory_json(const ob_bench_plan *plan);

/* The tables printed at the end of a run. */
void ob_bench_print_memory(FILE *out, const ob_bench_plan *plan);
void ob_bench_print_summary(FILE *out, const ob_bench_plan *plan);
void ob_bench_print_targets(FILE *out, const ob_bench_plan *plan);
/* The CPU class's code-path choices (ob_cpu_tuning) and, with
 * --prefetch-check, each exact kernel against itself with the prefetch
 * forced the other way: whether the class's table entry holds here. */
void ob_bench_print_prefetch_check(FILE *out, const ob_bench_plan *plan);
/* The formats table (when cfg.n_formats > 0): per format row, bytes per
 * element, the fraction of its own memory ceiling, the speed-up over fp32
 * and the byte ratio that bounds it; and its JSON. */
void ob_bench_print_formats(FILE *out, const ob_bench_plan *plan);
cJSON *ob_bench_formats_json(const ob_bench_plan *plan);

/* ---- plugin kernels (bench_plugin.c) --------------------------------------- */

/* The check a plugin kernel passes before it is benchmarked unguarded:
 * steps 1 .. OB_BENCH_STEP of one case on n elements of benchmark-like
 * data with `threads` (as ob_plugin_case_open), every step guarded
 * (OB_PLUGIN_GUARDED) and the whole case in a forked child
 * (ob_plugin_isolate), then p and the state must be finite.  0, or -1
 * with the reason ("SIGSEGV at step 5", "plain: out-of-bounds write at
 * p[n] (n = 4096) at step 1", "plain: non-finite p[7] after step 10"). */
int ob_bench_plugin_check(const ob_plugin_kernel *k, const ob_hparams *h, size_t n, int threads, char *msg,
                          size_t msglen);
/* Per plugin row of a derived plan: its throughput against optbench's own
 * kernels of the same optimizer, size and threads measured in the same
 * run, as ratios of ns/element (optbench's / the plugin's: 1 = as fast,
 * > 1 faster): to the fastest exact ISA and to scalar.  The table and its
 * JSON (bench.json "plugins"). */
void ob_bench_print_plugins(FILE *out, const ob_bench_plan *plan);
cJSON *ob_bench_plugins_json(const ob_bench_plan *plan);

/* ---- whole models (bench_model.c; bench --model) --------------------------- */

/* A model's parameter list from a shape file, its buffers and its
 * benchmarks: the list stepped as one flat array, through
 * ob_run_kernel_multi and one call per tensor (README "Whole models: the
 * multi-tensor step"). */
typedef struct ob_bench_model {
    char name[128];
    char path[4096]; /* the shape file read */
    size_t n, total; /* tensors, parameters */
    size_t *len;     /* elements per tensor */
    void *mem[2 + OB_MAX_STATE];
    ob_tensor *tensors, *ovh; /* the model's list; the per-tensor overhead list */
    const ob_optimizer *opt;
    ob_isa isa;
    void *cases;
    size_t n_cases;
    /* torch.optim over the same list (ob_bench_model_peer), per thread
     * count threads[i]: ns per step of foreach=True ([i][0]) and of the
     * single-tensor path ([i][1]), NAN where not measured; torch is
     * "measured", "not installed", "not offered" (torch lacks the
     * optimizer) or "failed", torch_why the reason. */
    int threads[OB_BENCH_MAX_THREADS];
    size_t n_threads;
    double torch_ns[OB_BENCH_MAX_THREADS][2];
    char torch[32], torch_why[1024];
    /* The 1-minute load average before and after the timed runs (set by
     * the command; NAN if unknown): other work on the same cores disturbs
     * every figure. */
    double load_before, load_after;
} ob_bench_model;

/* Reads harness/bench/models/<name>.shapes (OPTBENCH_MODEL_DIR, the
 * install's share/optbench/models, the source tree), or the file `name`
 * when it holds a '/' or ends in .shapes: "# comment" lines and one
 * "name d1xd2x..." per tensor.  0, or -1 with a message naming the file
 * and line. */
int ob_bench_model_load(const char *name, ob_bench_model *m, char *err, size_t errlen);
/* Allocates and fills the arrays and registers the benchmarks for
 * cfg->opts[0] on the widest ISA of cfg->isa_mask it has a kernel for, at
 * every thread count.  0, or -1 with a message. */
int ob_bench_model_register(ob_bench_model *m, const ob_bench_config *cfg, char *err, size_t errlen);
/* Times torch.optim over the model's list (ob_bench_peer_model) at the
 * thread counts of ob_bench_model_register, with reps repetitions of
 * min_time seconds, into m->torch_ns.  Without torch, m->torch says "not
 * installed" and nothing fails.  0, or -1 when torch is there but the
 * peer failed (m->torch "failed"; the reason on err and in torch_why). */
int ob_bench_model_peer(ob_bench_model *m, const ob_bench_config *cfg, int reps, double min_time, FILE *err);
/* Reads the medians from Google Benchmark's report, prints the tables
 * (with torch's, or why it is missing) and writes model.json and
 * model.csv into dir.  0, or -1 with a message. */
int ob_bench_model_finish(ob_bench_model *m, const cJSON *report, const char *dir, int argc, char **argv,
                          FILE *out, char *err, size_t errlen);
void ob_bench_model_free(ob_bench_model *m);

/* ---- probes (kernels/<isa>/probe.c, found by bench_probe.c) -------------- */

/* Memory probe with k state arrays (0 <= k <= OB_MAX_STATE): p += c*g and
 * state[j] += c*g, c = s->lr, in one of the patterns of
 * ob_bench_probe_patterns (kernels/ob_probe.h says what each does).  NULL
 * if the ISA is not compiled in or has no such pattern. */
ob_kernel_fn ob_bench_probe_mem(ob_isa isa, size_t k, const char *pattern);
/* "plain", "prefetch", "nt": the memory probes' patterns, in the order
 * they are registered. */
extern const char *const ob_bench_probe_patterns[3];
/* STREAM triad: p = g + c*state[0]. */
ob_kernel_fn ob_bench_probe_triad(ob_isa isa);
/* Divider probe: p = g / den (n_div times), den = n_sqrt square roots of
 * state[0], correctly rounded (the ISA's VSQRTPS/VDIVPS or sqrtss/divss).
 * NULL outside 0 <= n_sqrt <= 2, 1 <= n_div <= 2. */
ob_kernel_fn ob_bench_probe_div(ob_isa isa, int n_sqrt, int n_div);

/* Memory probe of a mixed format: p, g and k state
 * arrays, 16-bit where bit 0 (p), 1 (g), 2 (state) of `halves` is set,
 * else fp32; x = narrow(widen(x) + c*widen(g)).  NULL if the ISA is not
 * compiled in. */
typedef void (*ob_bench_mixed_probe_fn)(size_t n, void *p, const void *g, void *const *state, size_t k,
                                        unsigned halves, float c);
ob_bench_mixed_probe_fn ob_bench_probe_mem_mixed(ob_isa isa);
unsigned ob_bench_probe_halves(const ob_format *f);

/* ---- peers (bench_peer.c) ------------------------------------------------ */

/* Known peers: "torch" (torch.optim through harness/bench/peers/torch_optim.py)
 * and "deepspeed" (DeepSpeed's CPU Adam, a plugin peer). */
int ob_bench_peer_known(const char *name);
/* 0 if the peer can run here, else -1 with the reason in msg (e.g. "torch
 * is not installed for /usr/bin/python3", "DEEPSPEED_HOME is not set"). */
int ob_bench_peer_check(const char *name, char *msg, size_t msglen);
/* 1 if the peer is a plugin (optbench/plugin.h) that the command loads as
 * one more --plugin, so that the measured run times its kernels, with its
 * path in path (when path is not NULL); 0 for a peer of its own process. */
int ob_bench_peer_plugin(const char *name, char *path, size_t len);
/* Runs the peer on the plan's optimizers, sizes and thread counts and
 * appends kind=peer rows.  Its progress and messages go to err.  Returns
 * 0, or -1 with a message.  A plugin peer has nothing to run here (0). */
int ob_bench_peer_run(ob_bench_plan *plan, const char *name, int repetitions, double min_time, FILE *err,
                      char *msg, size_t msglen);
/* torch.optim over a model's tensor list (bench --model): the shape file
 * `shapes`, read by torch_optim.py --model itself, stepped by optimizer o
 * with h at every thread count, with the timing protocol of
 * ob_bench_peer_run: the median ns per step of foreach=True in ns[i][0]
 * and of the single-tensor path in ns[i][1] (NAN where the script gave
 * none, e.g. an optimizer torch lacks).  Progress goes to err.  0; 1
 * when torch is not available (the script cannot import it, or there is
 * no interpreter or script; msg says why); -1 when the script failed. */
int ob_bench_peer_model(const char *shapes, const ob_optimizer *o, const ob_hparams *h, const int *threads,
                        size_t n_threads, int repetitions, double min_time, double (*ns)[2], FILE *err, char *msg,
                        size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
