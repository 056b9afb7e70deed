/*
 * bench_internal.h — what the bench area's translation units share beyond
 * ob_bench.h: the rows' lookups (bench_report.c, bench_targets.c,
 * bench_plugin.c) and the registered cases (bench.c, bench_plugin.c).
 * Not part of the public API (that is ob_bench.h).
 */
#ifndef OB_BENCH_INTERNAL_H
#define OB_BENCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ob_bench.h"
#include "harness/core/ob_core.h"

#define BN_ARRAYS (2 + OB_MAX_STATE)

/* From this size on (16 Mi elements) the arrays are far out of cache: the
 * memory-ceiling targets of the kernels and of the mixed formats hold
 * there. */
#define BN_SIZE_LARGE ((size_t)16 << 20)

/* The measured row of that case; with isa < 0, the fastest of any ISA.
 * NULL when none was measured. */
/* The peers of the run (torch, plugin peers such as DeepSpeed) against
 * optbench's fastest exact kernel, every size and thread count
 * (bench_targets.c). */
void bn_print_peers(FILE *out, const ob_bench_plan *plan);
const ob_bench_row *bn_find_row(const ob_bench_plan *plan, ob_bench_kind kind, const ob_optimizer *o, int isa,
                                const char *variant, size_t size, int threads);
/* A table cell: v printed with fmt ("%*.3f": width, then v), or "-" in
 * `width` columns when v is not finite. */
void bn_cell(FILE *out, int width, const char *fmt, double v);
/* A CSV field: "," then v (%.6g), or a bare "," (empty = unknown) when v
 * is not finite. */
void bn_csv_num(FILE *f, double v);


/* ---- registered cases (bench.c) ----------------------------------------- */

/* One registered benchmark. */
typedef struct bn_case {
    ob_bench_plan *plan;
    size_t row; /* index into plan->rows */
    ob_bench_kind kind;
    ob_kernel_fn fn;
    size_t n;
    int threads;
    int tag;                 /* data layout it needs (-1: any initialised data) */
    unsigned slots;          /* bit k: state[k] points at a buffer */
    ob_step_scalars s[2];    /* the step's scalars; lr and step_size negated */
    float *st[OB_MAX_STATE]; /* set by the setup, the buffers may move */
    /* Mixed-precision formats (fmt >= 0: index into cfg.formats). */
    int fmt;
    const ob_optimizer *o;
    const ob_hparams *h;
    ob_isa isa;
    ob_bench_mixed_probe_fn probe; /* the format's memory probe */
    size_t probe_k;                /* its number of state arrays */
    /* A plugin kernel's case (bench_plugin.c): the kernel, its open case
     * (while it is the plan's open one) and the next step index. */
    const ob_plugin_kernel *pk;
    ob_plugin_case *pc;
    uint64_t t;
    /* The kernels' software prefetch for this case: -1 as the CPU class
     * says (ob_cpu_tuning), 0 or 1 forced (bench --prefetch-check). */
    int prefetch;
} bn_case;

struct ob_bench_priv {
    bn_case **cases; /* each allocated alone: the shim keeps pointers */
    size_t n_cases, cap_cases;
    /* The shared buffers: p, g and the state arrays, cap elements each. */
    void *mem[BN_ARRAYS];
    float *a[BN_ARRAYS];
    size_t cap;
    size_t init_n;
    int init_tag;
    /* The divider probe's per-thread L1 arrays: q, m, v. */
    void *div_mem[OB_BENCH_MAX_THREADS];
    float *div[OB_BENCH_MAX_THREADS][3];
    int div_threads;
    /* The plugin case whose kernel's init has run (at most one at a time). */
    bn_case *open_plugin;
};

/* A new case and its row (values NaN), owned by the plan; NULL if out of
 * memory. */
bn_case *bn_new_case(ob_bench_plan *plan, ob_bench_kind kind, const ob_optimizer *o, int isa,
                     const char *variant, size_t n, int threads);
/* Registers c (its row is the last one) with the shim: name, bytes and
 * items per iteration, counters.  0, or -1 (out of memory). */
int bn_register_case(ob_bench_plan *plan, bn_case *c, double bytes_per_elem);
/* The untimed setup of a kernel or probe case: buffers of the right size
 * holding the data it expects (p refilled for kernels). */
int bn_setup_case(void *ctx);

/* ---- plugin cases (bench_plugin.c) ----------------------------------------- */

/* Registers the plugin kernels claiming optimizer opts[oi] at n elements
 * and t threads (those that run at t).  0, or -1 (out of memory). */
int bn_add_plugins(ob_bench_plan *plan, size_t oi, size_t n, int t);
/* The setup and the timed loop of a plugin case. */
int bn_plugin_setup(void *ctx);
int bn_plugin_run(void *ctx, uint64_t iterations);
/* Ends the open plugin case (the kernel's free); at the end of a plan. */
void bn_plugin_close(ob_bench_priv *pv);

/* A float in [0, 1) from (stream, i): a hash, so that any thread count
 * fills the same values (splitmix64's finaliser, Steele et al. 2014). */
static inline float bn_unit_hash(uint64_t stream, uint64_t i)
{
    uint64_t z = i * UINT64_C(0x9E3779B97F4A7C15) + stream * UINT64_C(0xD1B54A32D192ED03);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return (float)(z >> 40) * 0x1p-24f;
}

/* bench --plugin (bench_plugin.c): loads the --plugin files into ps
 * (ob_plugin_set_load) and their kernels into cfg: those whose optimizer
 * is benchmarked (the others are named as skipped on out), each after its
 * guarded check (ob_bench_plugin_check; a failure is named on err and
 * counted in *failed).  OB_EXIT_OK, or OB_EXIT_USAGE for a bad plugin, a
 * --set key a kernel does not honour or a thread count bench cannot run. */
int bn_load_plugins(const ob_cmd_spec *c, const ob_args *a, ob_plugin_set *ps, ob_bench_config *cfg,
                   size_t *failed, FILE *out, FILE *err);

#endif
