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
 */
#ifndef OB_PLUGIN_HOST_H
#define OB_PLUGIN_HOST_H

#include <stddef.h>
#include <stdint.h>

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

#ifdef __cplusplus
}
#endif
#endif
