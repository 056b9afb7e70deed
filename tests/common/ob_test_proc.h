/*
 * ob_test_proc.h — helpers for the suites that treat `optbench` as a user
 * would (test_badinput, test_kill, test_scale): run a command line in a
 * child process with its own environment and captured output, make and
 * remove scratch folders, and check a results folder after the fact (every
 * results.json readable, no temporary file left, earlier files unchanged).
 *
 * Commands run through ob_cli_main in a forked child rather than by
 * exec'ing build/optbench: the same code, no dependency on where the
 * binary was built (build/ or build-san/), and a crash, a signal or
 * exit() in the command cannot take the test down with it.
 */
#ifndef OB_TEST_PROC_H
#define OB_TEST_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A fresh folder "/tmp/optbench-<tag>-XXXXXX" (Criterion ignores TMPDIR,
 * so the tests do too). */
void ob_tp_scratch(char *dir, size_t len, const char *tag);
/* rm -rf; silent about what is already gone. */
void ob_tp_rmtree(const char *dir);
/* A test's scratch folder, dir, and a second one, io, for the captured
 * output of its commands (ob_tp_run), so that the stdout/stderr files
 * never land in a folder whose files are counted: "<tag>" and "<tag>-io"
 * made by ob_tp_scratch. */
typedef struct ob_tp_dirs {
    char dir[128], io[128];
} ob_tp_dirs;
void ob_tp_dirs_make(ob_tp_dirs *s, const char *tag);
/* Removes both folders and all they hold. */
void ob_tp_dirs_free(ob_tp_dirs *s);
/* A whole file, NUL-terminated (NULL if it cannot be read); *len if given. */
char *ob_tp_slurp(const char *path, size_t *len);
/* Writes len bytes; 0 or -1. */
int ob_tp_write(const char *path, const void *data, size_t len);

/* Starts `optbench argv...` (argv[0] is the subcommand; NULL-terminated)
 * in a child with the "NAME=VALUE" strings of env (NULL-terminated, may
 * be NULL) added to its environment and SIGINT/SIGTERM at their defaults,
 * as in a fresh process.  stdout and stderr go to out_path and err_path.
 * Returns the child's pid (-1 if fork failed). */
pid_t ob_tp_spawn(const char *const *argv, const char *const *env, const char *out_path,
                  const char *err_path);
/* Waits for pid: its exit status, or 1000 + the signal that killed it. */
int ob_tp_wait(pid_t pid);

/* ob_tp_spawn + ob_tp_wait, with the output read back into *out and
 * *err (malloc'd; free them).  Files go to scratch/stdout, scratch/stderr. */
int ob_tp_run(const char *const *argv, const char *const *env, const char *scratch, char **out, char **err);

/* The value in column `name` of the row whose first column (the step) is
 * `step` of a case CSV (the last such row); NaN when no row has that
 * step; -INFINITY when the file or the column is missing (with a message
 * in why, if not NULL). */
double ob_tp_csv_value(const char *path, uint64_t step, const char *name, char *why, size_t why_len);

/* Walks every file under dir and checks what a reader must be able to
 * rely on: every results.json parses and is a results document of this
 * version (ob_results_check); with no_tmp, no temporary file ("*.tmp.*")
 * is left.  Counts the results files and those whose "status" is
 * "complete".  0, or -1 with a message naming the file. */
int ob_tp_check_tree(const char *dir, int no_tmp, size_t *n_results, size_t *n_complete, char *msg,
                     size_t len);

/* Every regular file under a folder with its bytes, to prove that earlier
 * results come out of a crash byte-identical. */
typedef struct ob_tp_snapshot {
    char **path;
    char **data;
    size_t *len;
    size_t n;
} ob_tp_snapshot;

int ob_tp_snapshot_take(const char *dir, ob_tp_snapshot *s);
/* 0 if every file is still there with the same bytes; else -1 with the
 * first difference in msg. */
int ob_tp_snapshot_same(const ob_tp_snapshot *s, char *msg, size_t len);
void ob_tp_snapshot_free(ob_tp_snapshot *s);

#endif
