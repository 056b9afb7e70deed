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
#include <signal.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The format name and version results.json carries; readers check both
 * (ob_results_check) and reject other versions with a clear message. */
#define OB_RESULTS_FORMAT "optbench-results"
#define OB_RESULTS_VERSION 1

/* An output file being written atomically. */
typedef struct ob_atomic_file {
    FILE *f;
    int fd;     /* f's descriptor, for fsync */
    void *sink; /* f's write state (results.c): the first write error */
    char path[4096];
    char tmp[4096];
    /* SIGINT and SIGTERM held back while the temporary exists (set when
     * they would kill the process: no handler installed). */
    int held;
} ob_atomic_file;

/* Test hook: with OPTBENCH_TEST_ENOSPC=N in the environment, every write
 * through ob_atomic_* fails with ENOSPC once this process has written N
 * bytes through them in all, as on a full disk (a partial write first,
 * then failures).  Lets the tests prove that a full disk never leaves a
 * partial file that looks complete, without root or a small file system. */
#define OB_TEST_ENOSPC_ENV "OPTBENCH_TEST_ENOSPC"

/* Opens a temporary file beside `path`; 0, or -1 with a message.  When
 * SIGINT or SIGTERM would kill the process (their default action: a
 * command without ob_interrupt.h's handlers, such as bench or ci), both
 * are held back until ob_atomic_commit or ob_atomic_abort (process-wide:
 * a handler records them, and they are raised again once the last such
 * file is done), so that such a command, interrupted from any thread,
 * dies after the rename and never leaves its temporary behind.  With handlers installed (run, sweep) nothing is held:
 * the handler only sets a flag and the command aborts the file itself. */
int ob_atomic_open(ob_atomic_file *af, const char *path, char *err, size_t errlen);
/* Flushes, fsyncs and renames it over `path`; 0, or -1 with a message (the
 * temporary is removed and `path` is untouched).  A write error that
 * happened earlier (e.g. a full disk) is caught here. */
int ob_atomic_commit(ob_atomic_file *af, char *err, size_t errlen);
/* Abandons the file (removes the temporary). */
void ob_atomic_abort(ob_atomic_file *af);
/* Writes a whole buffer atomically.  SIGINT and SIGTERM are held back
 * until the file is in place, so even a command without handlers leaves
 * no temporary file when interrupted.  (A file kept open across long work
 * with ob_atomic_open is the caller's: install ob_interrupt.h's handlers
 * and ob_atomic_abort on a signal, as `run` does.) */
int ob_atomic_write(const char *path, const char *data, size_t len, char *err, size_t errlen);
/* Writes a cJSON tree atomically (pretty-printed). */
int ob_json_write(const char *path, const cJSON *root, char *err, size_t errlen);
/* Reads and parses a JSON file; NULL with a message naming the file and,
 * for a syntax error, the line and column, or a key given twice in one
 * object (ob_json_check_keys).  Files over OB_JSON_MAX_BYTES
 * and files with NUL bytes are rejected before parsing. */
#define OB_JSON_MAX_BYTES ((size_t)1 << 30)
cJSON *ob_json_read(const char *path, char *err, size_t errlen);

/* Checks that root is a results document this optbench can read: an
 * object with "format": OB_RESULTS_FORMAT and "version":
 * OB_RESULTS_VERSION.  Every reader of results.json (or of a baseline
 * made from one) calls it before walking the document.  0, or -1 with a
 * message naming `path`, what it holds and what is expected. */
int ob_results_check(const cJSON *root, const char *path, char *err, size_t errlen);
/* ob_json_read + ob_results_check; NULL with a message. */
cJSON *ob_results_read(const char *path, char *err, size_t errlen);

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
