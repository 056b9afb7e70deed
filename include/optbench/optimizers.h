/*
 * optbench/optimizers.h — the single table of optimizers and their variants.
 *
 * This table drives dispatch, the tests, the harness and the benchmarks.
 * Adding an optimizer means adding one entry (kernels/framework/optimizers.c), its
 * kernels (kernels/<isa>/, each listed under the entry's kernel_key in its
 * ISA's table, kernels/<isa>/table.c), its reference (reference/) and its
 * tests; no switch statement elsewhere names optimizers.  An ISA without
 * the kernel yet is SKIPPED ("no <isa> kernel"), never a crash.
 */
#ifndef OB_OPTIMIZERS_H
#define OB_OPTIMIZERS_H

#include <stddef.h>
#include <stdint.h>

#include "hparams.h"
#include "step.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- instruction sets ------------------------------------------------- */

typedef enum ob_isa { OB_ISA_SCALAR = 0, OB_ISA_AVX2 = 1, OB_ISA_AVX512 = 2, OB_ISA_COUNT } ob_isa;

/* "scalar", "avx2", "avx512". */
const char *ob_isa_name(ob_isa isa);
/* Parses an ISA name; returns 0 on success, -1 for an unknown name. */
int ob_isa_parse(const char *name, ob_isa *out);
/* Vector width in fp32 lanes (1, 8, 16). */
size_t ob_isa_width(ob_isa isa);
/* Nonzero if this binary was built with the ISA's translation units. */
int ob_isa_compiled(ob_isa isa);
/* Nonzero if the ISA was compiled in and this CPU (and OS) can run it.
 * Detection (CPUID + XGETBV through __builtin_cpu_supports) runs once. */
int ob_isa_supported(ob_isa isa);
/* Why an ISA is unavailable ("" when it is available). */
const char *ob_isa_unavailable_reason(ob_isa isa);
/* The ISA the dispatcher uses: OPTBENCH_ISA if set, else the best supported.
 * Returns 0, or -1 with a message in err when OPTBENCH_ISA names an unknown
 * ISA or one this CPU lacks (never a SIGILL).  With OPTBENCH_LOG_ISA=1 the
 * choice is logged to stderr once. */
int ob_isa_select(ob_isa *out, char *err, size_t errlen);

/* ---- per-CPU-class code paths ----------------------------------------- */

/* Choices that change speed, never a result (kernels/framework/tuning.c
 * has the table, keyed by CPUID vendor and family, and the measurements
 * behind each entry; README "Per-CPU code paths"). */
typedef struct ob_cpu_tuning {
    const char *cpu_class; /* the table entry: "AMD family 0x19", "Intel family 6", "other" */
    int prefetch;          /* the vector kernels prefetch from main-memory sizes on */
    int approx;            /* the approximate variant is offered (bench runs it by default) */
    const char *why;       /* the measurement behind the entry */
    int prefetch_forced;   /* OPTBENCH_PREFETCH=on|off overrode the table */
} ob_cpu_tuning;
/* This CPU's entry (with OPTBENCH_PREFETCH applied), looked up once. */
const ob_cpu_tuning *ob_cpu_tuning_get(void);
/* Switches the kernels' software prefetch on or off for this process, for
 * benchmarks that measure both (`optbench bench --prefetch-check`);
 * ob_cpu_tuning_get()->prefetch stays the class's choice, to restore it
 * with.  Call only while no kernel runs. */
void ob_cpu_tuning_set_prefetch(int on);

/* ---- hyperparameter specs --------------------------------------------- */

typedef enum ob_hp_kind { OB_HP_REAL, OB_HP_BOOL } ob_hp_kind;

typedef struct ob_hparam_spec {
    const char *name; /* torch key: "lr", "beta1", ... */
    size_t offset;    /* offsetof(ob_hparams, field) */
    ob_hp_kind kind;
    double def;           /* default (torch's) */
    double lo, hi;        /* valid range */
    int lo_open, hi_open; /* 1 if the bound itself is excluded */
    const char *doc;
} ob_hparam_spec;

/* ---- the table -------------------------------------------------------- */

#define OB_MAX_STATE 4
/* ob_optimizer.divides: n_sqrt square roots and n_div divisions. */
#define OB_DIVIDER(n_sqrt, n_div) ((n_sqrt) << 4 | (n_div))
#define OB_DIVIDER_SQRTS(d) ((d) >> 4)
#define OB_DIVIDER_DIVS(d) ((d)&15)
#define OB_MAX_HPARAMS 12

/* Kernels per ISA (NULL: none), for an entry that brings its own
 * (ob_optimizer.own_kernels).  approx: the approximate variants, never
 * chosen by dispatch or by `optbench run`; `optbench bench` reports them
 * as variant=approx. */
typedef struct ob_kernel_set {
    ob_kernel_fn exact[OB_ISA_COUNT];
    ob_kernel_fn approx[OB_ISA_COUNT];
} ob_kernel_set;

/* Monitoring (README "Monitoring"): after step t, from the double state
 * of the reference, each coordinate's effective learning rate into eff
 * (when not NULL) and the bias-correction factors 1 - beta1^t and
 * 1 - beta2^t into bc (NaN where the method has none); reference/monitor.c. */
typedef void (*ob_monitor_fn)(const ob_hparams *h, uint64_t t, size_t n, double *const *state, double *eff,
                              double bc[2]);
typedef void (*ob_ref_fn)(const ob_hparams *h, uint64_t t, size_t n, double *p, const double *g,
                          double *const *state, double *const *scale);

typedef struct ob_optimizer {
    const char *name;   /* "adam" */
    const char *title;  /* "Adam (Kingma & Ba 2015), L2 weight decay" */
    const char *source; /* paper and torch class */
    const ob_hparam_spec *hparams;
    size_t n_hparams;
    size_t n_state; /* state arrays the kernel may use */
    const char *state_names[OB_MAX_STATE];
    /* Bit k set: state array k is used with these hyperparameters. */
    unsigned (*state_mask)(const ob_hparams *h);
    /* Extra checks beyond the per-key ranges (e.g. nesterov needs momentum);
     * 0 or -1 with a message. */
    int (*check)(const ob_hparams *h, char *err, size_t errlen);
    /* Per-step scalars for step t (1-based), in double, rounded once. */
    void (*prepare)(const ob_hparams *h, uint64_t t, ob_step_scalars *s);
    /* The kernels: the step each ISA's table lists under this key
     * (kernels/<isa>/table.c; adam, adamw and amsgrad share "adam").  An
     * ISA that lists no such step has no kernel for the entry: its
     * ob_optimizer_kernel is NULL and every command reports that ISA as
     * SKIPPED ("no <isa> kernel").  Reach them through ob_optimizer_kernel. */
    const char *kernel_key;
    /* Kernels the entry brings itself, in place of kernel_key's (an entry
     * built at run time: a test's broken or scalar-only copy, a benchmark's
     * hook); NULL for the entries of the table. */
    const ob_kernel_set *own_kernels;
    ob_ref_fn reference;
    /* Single-step agreement bound against the reference, in units of
     * u = 2^-24 times the per-element error scale the reference reports
     * (README, "Agreement bounds"). */
    double agree_bound;
    /* Correctly rounded divider operations per element in the exact
     * kernels, OB_DIVIDER(sqrts, divisions); 0 for none.  `optbench bench`
     * measures the divider ceiling with the same operations. */
    int divides;
    /* Agreement bound of the approximate variants (README "The
     * approximate variant"; ob_optimizer_approx_kernel), in the same units
     * as agree_bound; 0 where the kernel has none. */
    double approx_bound;
    /* Fixed properties of the entry, not user options: ob_hparams_default
     * sets ob_hparams.decoupled_wd (AdamW) and ob_hparams.amsgrad
     * (AMSGrad) to 1 where these are 1, and the entry offers no key that
     * switches them off.  An entry copied from AdamW keeps AdamW's rule. */
    int decoupled_wd;
    int amsgrad;
    /* The adaptive methods' monitor (effective per-coordinate learning
     * rate, bias corrections); NULL for one learning rate for every
     * coordinate (SGD, Lion). */
    ob_monitor_fn monitor;
} ob_optimizer;

extern const ob_optimizer *const ob_optimizer_table[];
extern const size_t ob_optimizer_count;

/* Looks an optimizer up by name; NULL if unknown. */
const ob_optimizer *ob_optimizer_find(const char *name);

/* The kernel of o for isa (its own_kernels, else the step its ISA table
 * lists under o->kernel_key); NULL where that ISA has none or was not
 * compiled in.  Does not check the CPU (ob_isa_supported does). */
ob_kernel_fn ob_optimizer_kernel(const ob_optimizer *o, ob_isa isa);
/* The approximate variant likewise; NULL where there is none. */
ob_kernel_fn ob_optimizer_approx_kernel(const ob_optimizer *o, ob_isa isa);
/* Every ISA's kernels of o, e.g. to build a copy with one replaced. */
void ob_optimizer_kernels(const ob_optimizer *o, ob_kernel_set *out);
/* Whether o can step on isa here: 1, or 0 with the reason in why ("no
 * avx2 kernel", or ob_isa_unavailable_reason's). */
int ob_optimizer_runs_on(const ob_optimizer *o, ob_isa isa, char *why, size_t len);

/* Fills h with the optimizer's defaults and those of the generic keys
 * (other fields are 0). */
void ob_hparams_default(const ob_optimizer *o, ob_hparams *h);
/* The generic keys every optimizer takes besides its own, in this order:
 * gradient clipping (clip_norm, clip_value; kernels/framework/ob_reduce.h) and SAM
 * (sam_rho, sam_adaptive, sam_eta; kernels/framework/ob_sam.h).  i < count. */
size_t ob_generic_hparam_count(void);
const ob_hparam_spec *ob_generic_hparam(size_t i);
const ob_hparam_spec *ob_hparam_find(const ob_optimizer *o, const char *key);
double ob_hparam_get(const ob_hparams *h, const ob_hparam_spec *spec);
void ob_hparam_put(ob_hparams *h, const ob_hparam_spec *spec, double v);
/* Parses "key=value" for this optimizer into h.  Booleans accept 0, 1,
 * false, true.  Returns 0, or -1 with a message (h untouched). */
int ob_hparam_set(const ob_optimizer *o, ob_hparams *h, const char *assignment, char *err, size_t errlen);
/* Checks every hyperparameter against its range (NaN and Inf rejected) and
 * the optimizer's extra rules.  The message names the parameter, its value
 * and the valid range.  Returns 0 or -1. */
int ob_validate(const ob_optimizer *o, const ob_hparams *h, char *err, size_t errlen);

/* Number of state arrays in use and bytes of state per parameter. */
size_t ob_state_count(const ob_optimizer *o, const ob_hparams *h);
size_t ob_state_bytes_per_param(const ob_optimizer *o, const ob_hparams *h);
/* Bytes of memory traffic per element and step: p, g, state read; p and
 * state written (fp32). */
size_t ob_traffic_bytes_per_param(const ob_optimizer *o, const ob_hparams *h);

/* ---- stepping --------------------------------------------------------- */

/* Validates h, prepares the scalars for step t (t >= 1) and runs the kernel
 * of `isa` on one thread.  On invalid input returns -1 with a message and
 * touches nothing.  NaN/Inf in g are not errors: they stay in their own
 * element, as in torch (unless clip_norm is set: a non-finite norm reaches
 * every element, as in torch's clip_grad_norm_).  Gradient clipping
 * (h->clip_norm, h->clip_value; kernels/framework/ob_reduce.h) works on a copy: g is
 * never modified. */
int ob_step(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, size_t n, float *p,
            const float *g, float *const *state, char *err, size_t errlen);

/* The checks every step runs before it touches anything: isa supported
 * and o has a kernel for it (ob_optimizer_runs_on), t >= 1, ob_validate,
 * and for n > 0 the arrays (have_pg: p and g are not NULL; bit k of
 * state_present: state[k] is not NULL).  0, or -1 with a message. */
int ob_step_check(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, size_t n, int have_pg,
                  unsigned state_present, char *err, size_t errlen);

/* Below this many elements per thread a step runs on one thread, so small
 * tensors never pay for thread start-up. */
#define OB_THREAD_MIN_CHUNK ((size_t)1 << 15)

/* Runs a prepared kernel k of ISA isa over [0, n) split into chunks
 * across `threads` threads (<= 0: OpenMP's default).  Chunk boundaries
 * are multiples of 64 elements.  The kernels are element-wise, so the
 * result is bit-identical for any thread count.  When s asks for gradient
 * clipping, the gradient norm is reduced first in one fixed order, with
 * isa's reduction, and the kernel runs on clipped copies of g
 * (ob_run_kernel_clipped, kernels/framework/ob_reduce.h): still
 * bit-identical for any thread count and ISA.  isa must be supported. */
void ob_run_kernel_threaded(ob_isa isa, ob_kernel_fn k, size_t n, float *p, const float *g,
                            float *const *state, size_t n_state, const ob_step_scalars *s, int threads);

/* The number of threads ob_run_kernel_threaded uses for n elements when
 * asked for `threads` (<= 0: OpenMP's default): at most one per
 * OB_THREAD_MIN_CHUNK elements, at least 1. */
int ob_thread_count(size_t n, int threads);
/* The chunk length for n elements on nt threads: ceil(n/nt) rounded up to
 * a multiple of 64 floats (256 bytes, so no two threads write the same
 * cache line); n when nt <= 1. */
size_t ob_thread_chunk(size_t n, size_t nt);

/* ---- the multi-tensor step (kernels/framework/multi.c) ------------------ */

/* One tensor of a parameter list: n elements of p, g and the optimizer's
 * state arrays (those its hyperparameters use must not be NULL when n > 0). */
typedef struct ob_tensor {
    size_t n;
    float *p;
    const float *g;
    float *state[OB_MAX_STATE];
} ob_tensor;

/* Steps every tensor of the list in one call, bit-identical to ob_step on
 * each tensor alone.  With threads > 1 the threads split the total work
 * (the tensors end to end, in ob_thread_chunk chunks, inside one parallel
 * region), so many small tensors pay one fork/join, not one each.  The
 * checks of ob_step for every tensor, before anything is touched; -1 with
 * a message naming the tensor.  Gradient clipping (h->clip_norm,
 * h->clip_value) is refused: clip the list's gradients first. */
int ob_step_multi(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, const ob_tensor *tensors,
                  size_t n_tensors, int threads, char *err, size_t errlen);
/* The same with a prepared kernel and scalars, unchecked (the benchmarks'
 * entry; s must not ask for clipping). */
void ob_run_kernel_multi(ob_kernel_fn k, const ob_tensor *tensors, size_t n_tensors, const ob_step_scalars *s,
                         int threads);

/* The threaded form of ob_step. */
int ob_step_threaded(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, size_t n, float *p,
                     const float *g, float *const *state, int threads, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
