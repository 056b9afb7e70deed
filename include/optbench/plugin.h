/*
 * optbench/plugin.h — the plugin ABI: test and benchmark your own fp32
 * optimizer kernel with optbench.  Plain C11, usable from C++.
 *
 * A plugin is a shared object exporting one function,
 *
 *     int optbench_plugin_register(const ob_plugin_host *host);
 *
 * (OPTBENCH_PLUGIN_REGISTER_SYMBOL), with C linkage.  optbench dlopen()s
 * the file, calls it once, and the function registers one or more kernels
 * by calling ob_plugin_add(host, &desc) for each; it returns 0, or nonzero
 * to refuse loading (e.g. the CPU lacks an instruction set it needs).
 *
 * A kernel claims the semantics of one of optbench's optimizers
 * (optbench/optimizers.h: "sgd", "adam", "adamw", ...) and is checked
 * against that optimizer's double reference (optbench/reference.h) and
 * compared with optbench's own kernels.  Its state arrays are the
 * optimizer's, in the optimizer's order (ob_optimizer.state_names), so
 * the same state drives the reference, optbench's kernels and the plugin.
 *
 * What the step receives (ob_plugin_step_fn): the RAW hyperparameters in
 * double (ob_hparams, optbench/hparams.h, exactly as the user gave them),
 * the step index t (1-based, torch's counting: the first step is t = 1), n
 * and the arrays.  It does NOT receive optbench's per-step scalars
 * (ob_step_scalars, rounded once in double): an external kernel computes
 * its own bias corrections, step sizes and decay factors, in whatever
 * precision it uses (llm.c's AdamW calls powf(beta1, t) in its loop).
 *
 * Versioning: OPTBENCH_PLUGIN_ABI changes whenever a struct below or the
 * meaning of a field changes.  ob_plugin_add passes the version the plugin
 * was compiled with, and the host refuses a plugin built for another one
 * before it reads the descriptor.  host->abi is the host's version.
 *
 * Minimal plugin:
 *
 *     #include <optbench/plugin.h>
 *     static int my_step(void *ctx, const ob_hparams *h, uint64_t t, size_t n,
 *                        float *p, const float *g, void *const *state) { ... return 0; }
 *     static const char *const keys[] = {"lr", "beta1", "beta2", "eps", "weight_decay", NULL};
 *     int optbench_plugin_register(const ob_plugin_host *host)
 *     {
 *         ob_plugin_kernel_desc d = {0};
 *         d.name = "my_adamw";
 *         d.optimizer = "adamw";
 *         d.hparams = keys;
 *         d.n_state = 3;          // adamw: exp_avg, exp_avg_sq, max_exp_avg_sq
 *         d.step = my_step;       // state dtypes default to OB_PLUGIN_FP32 (0)
 *         return ob_plugin_add(host, &d);
 *     }
 *
 * Build it as a shared object: cc -O2 -fPIC -shared my.c -o my.so.
 */
#ifndef OPTBENCH_PLUGIN_H
#define OPTBENCH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "hparams.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. */
#define OPTBENCH_PLUGIN_ABI 1u
/* The one symbol a plugin exports (C linkage). */
#define OPTBENCH_PLUGIN_REGISTER_SYMBOL "optbench_plugin_register"
/* At most this many state arrays per kernel (optbench's OB_MAX_STATE). */
#define OB_PLUGIN_MAX_STATE 4

/* Element type of a state array.  ABI 1 accepts OB_PLUGIN_FP32 only; the
 * others are reserved so that low-precision state can come without
 * renumbering (a kernel declaring them is refused for now). */
typedef enum ob_plugin_dtype {
    OB_PLUGIN_FP32 = 0, /* IEEE binary32 (float) */
    OB_PLUGIN_BF16 = 1, /* reserved: bfloat16, stored as uint16_t */
    OB_PLUGIN_FP16 = 2, /* reserved: IEEE binary16 */
    OB_PLUGIN_Q8 = 3    /* reserved: 8-bit blockwise quantised state */
} ob_plugin_dtype;

/* One step, in place.  Returns 0, or nonzero to report a failure (optbench
 * fails the case with "kernel returned <code> at step <t>").
 *   ctx    ob_plugin_kernel_desc.user, or what init stored in its place.
 *   h      raw hyperparameters in double; only the keys the kernel lists in
 *          ob_plugin_kernel_desc.hparams may differ from the claimed
 *          optimizer's defaults (the host enforces it).  Bool options
 *          (amsgrad, nesterov, ...) are ints 0 or 1.
 *   t      step index, 1-based (torch's `step` after its increment).
 *   n      number of elements; 0 is possible and must be a no-op.
 *   p      parameters, fp32, updated in place.  No alignment guaranteed.
 *   g      gradients, fp32, read only.  No alignment guaranteed.
 *   state  n_state arrays in the claimed optimizer's order, each of the
 *          declared dtype (void * so that later dtypes fit); an array
 *          the optimizer does not use with these hyperparameters (e.g.
 *          max_exp_avg_sq without amsgrad) may be NULL.
 * p, g and the state arrays do not overlap.  Writing outside [0, n) of
 * any array is a bug that optbench's guarded runs report by array and
 * index ("out-of-bounds write at p[n+3]"). */
typedef int (*ob_plugin_step_fn)(void *ctx, const ob_hparams *h, uint64_t t, size_t n, float *p,
                                 const float *g, void *const *state);

/* Optional, once per case before its first step: set up the kernel's own
 * state or thread pool for n elements and `threads` threads (the value the
 * case asks for; <= 0 means the kernel's default).  *ctx holds desc.user on
 * entry; what init stores there is what step and free receive.  Returns 0,
 * or nonzero to fail the case (free is then not called). */
typedef int (*ob_plugin_init_fn)(void **ctx, const ob_hparams *h, size_t n, int threads);
/* Optional, once per case after its last step (also after a failed one):
 * release what init made. */
typedef void (*ob_plugin_free_fn)(void *ctx);

/* What a plugin says about one kernel.  Zero-initialise it, then fill the
 * fields; the host copies the struct, but the strings and the hparams list
 * it points to must live as long as the plugin is loaded (string literals
 * and static arrays do). */
typedef struct ob_plugin_kernel_desc {
    /* Unique within the plugin: letters, digits, '_', '-', '.'.
     * Two kernels with the same name make the whole plugin fail to load. */
    const char *name;
    /* The optimizer whose semantics it claims, by optbench's name
     * (ob_optimizer_find): "adamw" means torch.optim.AdamW's update. */
    const char *optimizer;
    /* The hyperparameter keys it honours, NULL-terminated, each one of the
     * claimed optimizer's keys (or a generic key such as clip_norm, if the
     * kernel implements it).  Any other key set for a case is an error; so
     * is a key here that the optimizer does not have.  NULL: none. */
    const char *const *hparams;
    /* Number of state arrays: must equal the claimed optimizer's (adamw: 3,
     * exp_avg, exp_avg_sq, max_exp_avg_sq), even if some stay unused. */
    size_t n_state;
    /* Element type of each state array (entries past n_state ignored).
     * All zero means all OB_PLUGIN_FP32. */
    ob_plugin_dtype state_dtype[OB_PLUGIN_MAX_STATE];
    /* The step; required (NULL makes the plugin fail to load). */
    ob_plugin_step_fn step;
    /* Optional (NULL: nothing to set up / release). */
    ob_plugin_init_fn init;
    ob_plugin_free_fn free;
    /* Handed to step as ctx (and to init in *ctx): lets one step function
     * serve several kernels.  Optional. */
    void *user;
    /* Threads the kernel uses when the case does not say (0: one thread,
     * or whatever its init decides).  Informative: optbench reports it. */
    int threads;
    /* The kernel's own single-step agreement bound against the double
     * reference, in units of u*S (u = 2^-24, S the reference's error scale;
     * README "Agreement bounds").  0: the claimed optimizer's bound.  A
     * kernel computing its per-step scalars in fp32 needs more than
     * optbench's own (examples/plugins/plain_adamw.c derives 221 for
     * AdamW with torch's betas), and says so here. */
    double agree_bound;
} ob_plugin_kernel_desc;

/* What the host hands the registration function.  Fixed layout in every
 * ABI version, so a plugin can read host->abi before anything else. */
typedef struct ob_plugin_host {
    unsigned abi;   /* the host's OPTBENCH_PLUGIN_ABI */
    void *host_ctx; /* the host's; pass back unchanged */
    /* Registers one kernel.  abi: the version the plugin was compiled for.
     * Returns 0, or nonzero when the host refuses it (the load then fails
     * with the host's message, whatever the plugin returns). */
    int (*add_kernel)(const struct ob_plugin_host *host, unsigned abi, const ob_plugin_kernel_desc *desc);
} ob_plugin_host;

/* Registers one kernel with the version of this header. */
static inline int ob_plugin_add(const ob_plugin_host *host, const ob_plugin_kernel_desc *desc)
{
    return host->add_kernel(host, OPTBENCH_PLUGIN_ABI, desc);
}

/* Marks the registration function exported, also when the plugin is built
 * with -fvisibility=hidden (as the examples are). */
#if defined(__GNUC__) || defined(__clang__)
#define OB_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define OB_PLUGIN_EXPORT
#endif

/* The registration function every plugin defines. */
typedef int (*ob_plugin_register_fn)(const ob_plugin_host *host);
OB_PLUGIN_EXPORT int optbench_plugin_register(const ob_plugin_host *host);

#ifdef __cplusplus
}
#endif
#endif
