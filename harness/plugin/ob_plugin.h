/*
 * ob_plugin.h — the host side of the plugin ABI (optbench/plugin.h):
 * loading a plugin, stepping its kernels, guarded execution and crash
 * isolation.
 *
 *  - ob_plugin_load: dlopen + the registration function, with one error
 *    code per kind of bad plugin (ob_plugin_status) and a message naming the
 *    file and the kernel.
 *  - ob_plugin_case_*: one case of a kernel (init .. steps .. free).
 *    ob_plugin_case_step has the shape of ob_step (optbench/optimizers.h)
 *    with the case in place of (optimizer, isa), so a loaded kernel plugs
 *    into whatever steps the optimizer table.  With OB_PLUGIN_GUARDED every
 *    step runs on copies of p, g and the state arrays, each between two
 *    PROT_NONE pages with canary-filled slack beside them (the guard-page
 *    buffers of Linux lib/crc's crc_kunit and isa-l's tests): a write into
 *    the slack is found after the step, one that reaches a guard page
 *    faults and is decoded from the fault address; both are reported as
 *    "out-of-bounds write at p[n+3]" (or "g[-1]", "exp_avg[n]", ...).
 *  - ob_plugin_isolate: runs a function (typically a whole case) in a
 *    forked child, so a crash of a plugin kernel (SIGSEGV, SIGILL, abort,
 *    ...) fails that case as "SIGSEGV at step 5" and the caller survives
 *    with its finished cases and results.
 *  - ob_plugin_set_*: the repeatable --plugin PATH.so option (and
 *    --plugin-bound) that the commands share: every file loaded in order,
 *    kernel names unique across them, a bad plugin an exit-2 error.
 */
#ifndef OB_PLUGIN_HOST_H
#define OB_PLUGIN_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/ob_core.h"
#include "optbench/optimizers.h"
#include "optbench/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- loading ------------------------------------------------------------ */

/* One code per kind of bad plugin (ob_plugin_load's return value). */
typedef enum ob_plugin_status {
    OB_PLUGIN_OK = 0,
    OB_PLUGIN_E_NOFILE = 1,    /* the file does not exist or cannot be read */
    OB_PLUGIN_E_NOT_SO = 2,    /* dlopen refused it: not a shared object (or a
                                 * dependency is missing; dlerror's text says) */
    OB_PLUGIN_E_NO_SYMBOL = 3, /* no optbench_plugin_register */
    OB_PLUGIN_E_ABI = 4,       /* built for another OPTBENCH_PLUGIN_ABI */
    OB_PLUGIN_E_OPTIMIZER = 5, /* claims an optimizer optbench does not have */
    OB_PLUGIN_E_LAYOUT = 6,    /* state count or dtype not the optimizer's */
    OB_PLUGIN_E_NO_STEP = 7,   /* a kernel without a step function */
    OB_PLUGIN_E_DUPLICATE = 8, /* two kernels with the same name */
    OB_PLUGIN_E_HPARAM = 9,    /* honours a key the optimizer does not have */
    OB_PLUGIN_E_REGISTER = 10, /* registration failed: returned nonzero,
                                 * registered nothing, or a bad name */
} ob_plugin_status;

/* "ok", "no-file", "not-a-shared-object", "no-register-symbol", "abi",
 * "unknown-optimizer", "state-layout", "no-step", "duplicate-name",
 * "unknown-hparam", "register-failed". */
const char *ob_plugin_status_name(int status);

/* A kernel as loaded: the plugin's descriptor (copied) and what the host
 * resolved.  Valid while its plugin is loaded. */
typedef struct ob_plugin_kernel {
    ob_plugin_kernel_desc desc;
    const ob_optimizer *opt; /* the claimed optimizer */
    double agree_bound;      /* desc.agree_bound, or opt->agree_bound if 0 */
    const char *path;        /* the plugin's file */
} ob_plugin_kernel;

typedef struct ob_plugin ob_plugin;

/* Loads the plugin at path (a path with a '/', or dlopen searches the
 * library path).  On success *out holds it and OB_PLUGIN_OK is returned;
 * otherwise one of ob_plugin_status, *out is NULL, nothing stays loaded,
 * and err holds "<path>: <what>" (naming the kernel where one is at
 * fault). */
int ob_plugin_load(const char *path, ob_plugin **out, char *err, size_t errlen);
/* dlclose's the plugin; its kernels become invalid.  NULL is a no-op. */
void ob_plugin_unload(ob_plugin *pl);

size_t ob_plugin_kernel_count(const ob_plugin *pl);
const ob_plugin_kernel *ob_plugin_kernel_at(const ob_plugin *pl, size_t i);
/* By name; NULL if the plugin has none. */
const ob_plugin_kernel *ob_plugin_kernel_find(const ob_plugin *pl, const char *name);

/* ---- hyperparameters ------------------------------------------------------ */

/* Nonzero if k lists key among the keys it honours. */
int ob_plugin_honours(const ob_plugin_kernel *k, const char *key);
/* Parses "key=value" into h like ob_hparam_set on the claimed optimizer,
 * but a key the kernel does not honour is an error ("<kernel> does not
 * honour 'amsgrad' (honoured: lr, ...)").  0, or -1 with a message. */
int ob_plugin_hparam_set(const ob_plugin_kernel *k, ob_hparams *h, const char *assignment, char *err,
                         size_t errlen);
/* The check every plugin step runs: ob_validate on the claimed optimizer,
 * and every key the kernel does not honour must hold the optimizer's
 * default (so a key set around ob_plugin_hparam_set is caught too).
 * 0, or -1 with a message. */
int ob_plugin_hparams_check(const ob_plugin_kernel *k, const ob_hparams *h, char *err, size_t errlen);

/* ---- cases and steps -------------------------------------------------- */

enum {
    /* Run every step on guarded copies of p, g and state (see above). */
    OB_PLUGIN_GUARDED = 1,
};

typedef struct ob_plugin_case ob_plugin_case;

/* Opens one case of k for n elements: checks h (ob_plugin_hparams_check),
 * calls the kernel's init (threads as the case asks; <= 0: the kernel's
 * default), and with OB_PLUGIN_GUARDED maps the guarded buffers.  NULL
 * with a message on failure. */
ob_plugin_case *ob_plugin_case_open(const ob_plugin_kernel *k, const ob_hparams *h, size_t n, int threads,
                                    unsigned flags, char *err, size_t errlen);
/* One step t (>= 1) of the case on n elements (at most the n it was
 * opened with), the shape of ob_step.  Checks like ob_step_check (t >= 1,
 * hyperparameters, the arrays the optimizer uses with h are not NULL)
 * and ob_plugin_hparams_check, then runs the kernel; guarded, on copies,
 * with p and the state copied back only when the kernel returned 0 and
 * wrote nothing out of bounds (nor into g).  Returns 0, or -1 with a
 * message: the check's, or one naming the kernel and the step,
 * "<kernel>: kernel returned 3 at step 7", "<kernel>: out-of-bounds write
 * at p[n+3] (n = 17) at step 2", "<kernel>: write to the read-only
 * gradient at g[8] at step 1".  A crash in the kernel crashes the caller:
 * run cases under ob_plugin_isolate to survive it. */
int ob_plugin_case_step(ob_plugin_case *c, const ob_hparams *h, uint64_t t, size_t n, float *p,
                        const float *g, float *const *state, char *err, size_t errlen);
/* Calls the kernel's free and unmaps the buffers.  NULL is a no-op. */
void ob_plugin_case_close(ob_plugin_case *c);

/* One step of a one-step case (open, step, close): for tests and one-off
 * calls; flags as for ob_plugin_case_open. */
int ob_plugin_step(const ob_plugin_kernel *k, unsigned flags, const ob_hparams *h, uint64_t t, size_t n,
                   float *p, const float *g, float *const *state, char *err, size_t errlen);

/* ---- crash isolation ---------------------------------------------------- */

/* What ob_plugin_isolate found. */
typedef enum ob_plugin_verdict {
    OB_PLUGIN_RAN_OK = 0,  /* body returned 0 */
    OB_PLUGIN_FAILED = 1,  /* body returned nonzero; message is its err */
    OB_PLUGIN_CRASHED = 2, /* killed by a signal (or exited on its own) */
    OB_PLUGIN_NO_CHILD = 3 /* fork or the shared page failed */
} ob_plugin_verdict;

typedef struct ob_plugin_outcome {
    ob_plugin_verdict verdict;
    int signal;    /* the signal that ended the child, or 0 */
    uint64_t step; /* the step running then (0: none had started) */
    /* "SIGSEGV at step 5", "SIGSEGV at step 2: out-of-bounds write at
     * g[-1] (n = 17)", "SIGABRT at step 1", or body's own message. */
    char message[512];
} ob_plugin_outcome;

/* The work a child runs: result is result_len bytes of memory shared with
 * the parent (zeroed; what the body writes there comes back); err is for
 * its message.  Returns 0 on success. */
typedef int (*ob_plugin_body_fn)(void *arg, void *result, size_t result_len, char *err, size_t errlen);

/* Runs body(arg, ...) in a forked child and waits for it.  The child's
 * plugin steps (ob_plugin_case_step) publish the step they are in, and a
 * fault in a guard page is decoded to array and index.  timeout_s > 0
 * ends a child that runs longer (SIGALRM).  When the child returned 0 or
 * nonzero, result_len bytes of its result are copied to `result` (may be
 * NULL when result_len is 0).  Returns out->verdict.  stdio is flushed
 * before the fork (so nothing pending is written twice) and by the child
 * when body returns; the child then ends with _exit, so nothing registered
 * with atexit runs in it. */
int ob_plugin_isolate(ob_plugin_body_fn body, void *arg, void *result, size_t result_len, unsigned timeout_s,
                      ob_plugin_outcome *out);

/* ---- the --plugin option of the commands (set.c) ------------------------ */

/* The longest kernel name a command accepts (tables, bench.csv's variant
 * column and the Google Benchmark names have room for this much). */
#define OB_PLUGIN_NAME_MAX 56

/* The options every command that takes plugins declares: splice this
 * into the command's ob_opt array (one line), then call
 * ob_plugin_set_load with the parsed arguments. */
#define OB_PLUGIN_OPTIONS \
    {"plugin", "PATH.so", OB_OPT_REPEAT, OB_PLUGIN_HELP}, \
    { \
        "plugin-bound", "U", 0, OB_PLUGIN_BOUND_HELP \
    }
#define OB_PLUGIN_HELP \
    "load a kernel plugin (optbench/plugin.h); repeatable: its kernels run beside optbench's own as plugin:<kernel>"
#define OB_PLUGIN_BOUND_HELP \
    "agreement bound in u*S for every plugin kernel, instead of the one each declares (needs --plugin)"

/* The kernels of every --plugin file of a command line, in the order given
 * (each file's kernels in its registration order), with names unique
 * across files. */
typedef struct ob_plugin_set {
    ob_plugin **pl; /* the loaded plugins */
    size_t n_pl;
    const ob_plugin_kernel **k; /* every kernel */
    size_t n;
    double bound; /* --plugin-bound, or 0 when not given */
} ob_plugin_set;

/* Loads every --plugin of a (parsed against a spec holding
 * OB_PLUGIN_OPTIONS) into *s, zeroed first, and reads --plugin-bound.
 * Returns OB_EXIT_OK (no --plugin: an empty set), or OB_EXIT_USAGE with
 * "optbench <cmd>: <the loader's message>" on err and nothing loaded: a
 * bad plugin (ob_plugin_load's message, naming the file and the kernel),
 * a kernel name used by two files or longer than OB_PLUGIN_NAME_MAX,
 * --plugin-bound not a finite number > 0, or given without --plugin.
 * OB_EXIT_FAIL when out of memory.  A command calls it before it writes
 * anything, so a bad plugin leaves nothing behind. */
int ob_plugin_set_load(ob_plugin_set *s, const ob_cmd_spec *c, const ob_args *a, FILE *err);
/* Unloads every plugin of s; its kernels become invalid.  Idempotent. */
void ob_plugin_set_free(ob_plugin_set *s);
/* The agreement bound k is held to: --plugin-bound when given, else the
 * kernel's own (ob_plugin_kernel.agree_bound). */
double ob_plugin_set_bound(const ob_plugin_set *s, const ob_plugin_kernel *k);
/* The name a plugin kernel goes by in tables, bench.csv's variant column,
 * figures and results: "plugin:<kernel name>" (unique in a set). */
void ob_plugin_label(const ob_plugin_kernel *k, char *buf, size_t len);
/* "fp32", "bf16", "fp16", "q8" ("?" for anything else). */
const char *ob_plugin_dtype_name(ob_plugin_dtype d);
/* The plugin's file name without its folders ("plain_adamw.so"). */
const char *ob_plugin_file(const ob_plugin_kernel *k);
/* Threads the kernel runs with when a case asks for `threads`: a kernel
 * with an init is told the case's count and is taken to use it; one
 * without cannot be told, so it runs its declared desc.threads (0: one). */
int ob_plugin_threads(const ob_plugin_kernel *k, int threads);

/* The step of an open case for calling it directly, unchecked and
 * unguarded, with the context its init made: for throughput runs, where
 * the per-step checks and guarded copies of ob_plugin_case_step would be
 * timed with the kernel.  Run checked steps first. */
ob_plugin_step_fn ob_plugin_case_direct(const ob_plugin_case *c, void **ctx);

#ifdef __cplusplus
}
#endif
#endif
