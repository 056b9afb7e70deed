/*
 * ob_results.h — results sets on disk: run folders, atomic writes, run
 * metadata.
 *
 * Layout of one run (README "Results"):
 *   results/<run-id>/results.json      metadata + one record per case
 *   results/<run-id>/cases/<case>.csv  per-step series for gnuplot
 *   results/latest -> <run-id>         the newest run (a symlink)
 * Every file is written to a temporary name in the same folder and renamed
 * into place, so a reader never sees a half-written file and an
 * interrupted run leaves the earlier files intact.
 */
#ifndef OB_RESULTS_H
#define OB_RESULTS_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An output file being written atomically. */
typedef struct ob_atomic_file {
    FILE *f;
    char path[4096];
    char tmp[4096];
} ob_atomic_file;

/* Opens a temporary file beside `path`; 0, or -1 with a message. */
int ob_atomic_open(ob_atomic_file *af, const char *path, char *err, size_t errlen);
/* Flushes, fsyncs and renames it over `path`; 0, or -1 with a message (the
 * temporary is removed and `path` is untouched).  A write error that
 * happened earlier (e.g. a full disk) is caught here. */
int ob_atomic_commit(ob_atomic_file *af, char *err, size_t errlen);
/* Abandons the file (removes the temporary). */
void ob_atomic_abort(ob_atomic_file *af);
/* Writes a whole buffer atomically. */
int ob_atomic_write(const char *path, const char *data, size_t len, char *err, size_t errlen);
/* Writes a cJSON tree atomically (pretty-printed). */
int ob_json_write(const char *path, const cJSON *root, char *err, size_t errlen);
/* Reads and parses a JSON file; NULL with a message naming the file and,
 * for a syntax error, the line and column. */
cJSON *ob_json_read(const char *path, char *err, size_t errlen);

/* mkdir -p; 0 or -1 with a message. */
int ob_mkdirs(const char *path, char *err, size_t errlen);

/* Creates a new run folder under `root` (default "results"), named
 * <YYYYmmdd-HHMMSS>-<pid>, with its cases/ subfolder; writes its path to
 * dir.  0 or -1 with a message (e.g. an unwritable folder). */
int ob_run_dir_create(const char *root, char *dir, size_t dirlen, char *err, size_t errlen);
/* Points <root>/latest at run folder `dir` (atomically: a new symlink
 * renamed over the old one).  0 or -1. */
int ob_run_dir_mark_latest(const char *root, const char *dir, char *err, size_t errlen);

/* Run metadata: git commit, compiler and flags, CPU model and features,
 * OS, date, seed and the command line. */
cJSON *ob_run_metadata(int argc, char **argv, unsigned long long seed);

/* CPU model name from /proc/cpuinfo ("unknown" if unavailable). */
void ob_cpu_model(char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
