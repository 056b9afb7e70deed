/*
 * run_internal.h — shared by run.c (one case on the engine, its record
 * and summary) and run_plugin.c (the case's plugin kernel paths and their
 * crash isolation).  Internal to harness/run/; the prefix is run_.
 */
#ifndef OB_RUN_INTERNAL_H
#define OB_RUN_INTERNAL_H

#include "ob_run.h"

/* The case without its crash isolation: with_plugins 0 leaves the plugin
 * paths out (what a crashed case is rerun as). */
int run_case(const ob_case *c, const char *csv_path, int with_plugins, ob_case_result *r, char *err,
             size_t errlen);

/* A path's record in results.json (fp32: with agreement and identity). */
cJSON *run_path_json(const ob_path_result *p, int fp32, double bound);
/* A path's line of the summary table (plugin: identity is information). */
void run_summary_line(FILE *out, const char *id, const char *path, const ob_path_result *p, int fp32,
                      int plugin, double bound);

/* The plugin paths of one case, opened for the engine: extra[j] steps
 * plugin[map[j]] of the case. */
typedef struct run_plugins {
    ob_plugin_case *open[OB_ENGINE_MAX_EXTRA];
    ob_engine_kernel_path extra[OB_ENGINE_MAX_EXTRA];
    char name[OB_ENGINE_MAX_EXTRA][80]; /* "plugin:<kernel>" */
    int map[OB_ENGINE_MAX_EXTRA];
    size_t n;
} run_plugins;

/* Opens c's plugin kernels for n elements (each guarded); a kernel that
 * cannot open (its hyperparameters, its init) gets its failure in r and
 * no path. */
void run_plugins_open(const ob_case *c, size_t n, run_plugins *rp, ob_case_result *r);
void run_plugins_close(run_plugins *rp);
/* Copies the plugin paths' figures from the engine and judges them:
 * r->ok falls when one failed or broke its bound. */
void run_plugins_collect(const ob_case *c, const run_plugins *rp, const ob_engine_result *er, ob_case_result *r);
/* r->ok falls when a plugin path failed or broke its bound. */
void run_plugins_judge(const ob_case *c, ob_case_result *r);
/* The case with plugin paths, in a child process; on a crash the case is
 * rerun here without them and their paths say "SIGSEGV at step 5". */
int run_case_isolated(const ob_case *c, const char *csv_path, ob_case_result *r, char *err, size_t errlen);
/* results.json's "plugins" object of a case (NULL: none). */
cJSON *run_plugins_json(const ob_case *c, const ob_case_result *r);
/* The plugin paths' summary lines. */
void run_plugins_summary(FILE *out, const ob_case *c, const ob_case_result *r);

/* Runtimes to targets (runtimes.c): starts them (nothing reached), and
 * feeds path p (0 the reference, 1 + isa) the loss f at iterate s. */
void run_runtimes_start(ob_case_result *r);
void run_runtimes_see(ob_case_result *r, int p, uint64_t s, double f);
/* A path's "runtimes" (or, without f*, "loss_trace") in results.json. */
void run_runtimes_json(cJSON *path, const ob_case_result *r, int p);
/* The case's "targets" object. */
cJSON *run_targets_json(const ob_case_result *r);

#endif
