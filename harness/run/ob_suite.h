/*
 * ob_suite.h — suites of cases: the built-in default suite and suite files.
 *
 * A suite file is JSON (README "Suite files"):
 *   {"cases": [
 *     {"problem": "rosenbrock", "steps": 2000,
 *      "optimizers": ["adam", "sgd"],            (optional; default: all)
 *      "lr": {"adam": 0.02, "*": 1e-3},          (or one number; default: the problem's)
 *      "set": {"sgd": ["momentum=0.9"], "*": []},(or an array for every optimizer)
 *      "schedule": "cosine", "sched_set": ["T_max=2000"],
 *      "n": 10, "batch": 32, "seed": 1, "params": ["cond=100"]}]}
 * Each entry expands to one case per optimizer.  Every error names the
 * file, the entry and the key.  Expansion is linear in the number of cases,
 * stops between entries on SIGINT/SIGTERM (once the command has installed
 * ob_interrupt's handlers: an error saying so, nothing allocated), and a
 * suite of more than OB_SUITE_MAX_CASES cases is refused.
 */
#ifndef OB_SUITE_H
#define OB_SUITE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ob_run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most cases one suite may expand to.  A run rewrites results.json
 * after every case and keeps every case's record in memory (about 2.6 KB
 * each), so far larger suites are better split into several runs (README
 * "Suite files"). */
#define OB_SUITE_MAX_CASES 10000

typedef struct ob_suite {
    ob_case *cases;
    size_t n;
} ob_suite;

/* The built-in default suite, as JSON text. */
extern const char ob_default_suite_json[];

/* Expands a parsed suite into cases.  `origin` names the source in
 * messages.  Returns 0, or -1 with a message (nothing allocated). */
int ob_suite_from_json(const cJSON *root, const char *origin, ob_suite *s, char *err, size_t errlen);
/* Reads a suite file. */
int ob_suite_load(const char *path, ob_suite *s, char *err, size_t errlen);
/* The default suite. */
int ob_suite_default(ob_suite *s, char *err, size_t errlen);
void ob_suite_free(ob_suite *s);

#ifdef __cplusplus
}
#endif
#endif
