/*
 * ob_core.h — the harness's core, which every command shares: options and
 * exit codes, value parsers and small helpers, interrupts, atomic files
 * and results documents, number files, optimizer state, learning-rate
 * schedules, and where the run-time data files are.  One section per
 * concern below, each with what it is for.
 */
#ifndef OB_CORE_H
#define OB_CORE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "optbench/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== options ================================================================================= */

/*
 * the one small option parser every `optbench` subcommand uses.
 *
 * A subcommand describes itself once (ob_cmd_spec: name, synopsis, options,
 * positional arguments, the function that runs it); ob_args_parse then
 * handles --key value and --key=value, flags, repeatable and required
 * options, "--" and --help / -h, and reports unknown options, missing
 * values and missing required options with exit code 2.  The same spec
 * prints the subcommand's --help and feeds the table of subcommands.
 */

/* Exit codes of every subcommand (README "Exit codes").  Each kind of
 * failure has its own code so that a script or CI job can tell a typo from
 * a full disk; 3 (OB_EXIT_AGREEMENT, ob_run.h) is an agreement or
 * bit-identity violation found by `run`. */
enum {
    OB_EXIT_OK = 0,
    OB_EXIT_FAIL = 1,         /* the work itself failed (out of memory, too large) */
    OB_EXIT_USAGE = 2,        /* bad options, values, names or input files */
    OB_EXIT_IO = 4,           /* results could not be written (unwritable folder, full disk) */
    OB_EXIT_DATA = 5,         /* a data set is missing or corrupt */
    OB_EXIT_INTERRUPTED = 130 /* stopped by SIGINT (128 + 2); SIGTERM gives 143 */
};

/* Option flags. */
enum {
    OB_OPT_REQUIRED = 1u, /* must be given */
    OB_OPT_REPEAT = 2u,   /* may be given more than once (values kept in order) */
    OB_OPT_FLAG = 4u      /* takes no value */
};

typedef struct ob_opt {
    const char *name;    /* long name without the dashes: "opt" for --opt */
    const char *metavar; /* "NAME" in the help; NULL for flags */
    unsigned flags;
    const char *help;
} ob_opt;

typedef struct ob_cmd_spec {
    const char *name;     /* "trace" */
    const char *synopsis; /* what follows "optbench trace" in the usage line */
    const char *summary;  /* one line, for `optbench --help` */
    const char *details;  /* further --help text, or NULL */
    const ob_opt *opts;
    size_t n_opts;
    size_t min_pos, max_pos; /* how many positional arguments are allowed */
    /* Runs the subcommand; argv[0] is the subcommand's name.  Returns the
     * exit code. */
    int (*run)(int argc, char **argv, FILE *out, FILE *err);
} ob_cmd_spec;

typedef struct ob_args {
    const ob_cmd_spec *cmd;
    size_t *count;        /* per option: how many times it was given */
    const char ***values; /* per option: its values, in order */
    const char **pos;     /* positional arguments */
    size_t n_pos;
} ob_args;

/* Result of ob_args_parse besides OB_EXIT_OK / OB_EXIT_USAGE / OB_EXIT_FAIL:
 * --help was given and the usage has been printed to out (exit 0). */
#define OB_ARGS_HELP (-1)

/* Parses argv[1..argc) against c.  Returns OB_EXIT_OK, OB_ARGS_HELP,
 * OB_EXIT_USAGE (message on err, naming the option and pointing at
 * --help) or OB_EXIT_FAIL (out of memory).  On OB_EXIT_OK the caller frees
 * a with ob_args_free; on every other result nothing is left to free. */
int ob_args_parse(const ob_cmd_spec *c, int argc, char **argv, ob_args *a, FILE *out, FILE *err);
void ob_args_free(ob_args *a);

/* The last value of option `name` (NULL if not given), all its values and
 * their number, and whether it (a flag, say) was given at all.  `name` must
 * be one of the spec's options (anything else is a programming error and
 * aborts). */
const char *ob_args_get(const ob_args *a, const char *name);
const char *const *ob_args_all(const ob_args *a, const char *name, size_t *n);
int ob_args_has(const ob_args *a, const char *name);

/* Prints the usage of c ("usage: optbench trace ...", the options, the
 * details). */
void ob_args_usage(const ob_cmd_spec *c, FILE *out);

/* Prints "optbench <cmd>: <message>\n" to err and returns OB_EXIT_USAGE,
 * so that a subcommand can `return ob_usage_error(...)`. */
int ob_usage_error(const ob_cmd_spec *c, FILE *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ==== values, failures and small helpers ====================================================== */

/*
 * the small helpers every area of the harness shares, in one
 * place so that each is written once:
 *   - text values: parsers for option and file values (a whole string or
 *     nothing), the "known: a, b, c" list of an error message, intervals;
 *   - ob_fail: an error message into a caller's buffer, returning -1;
 *   - ob_json_check_keys: duplicate keys in a parsed JSON document;
 *   - ob_json_add_num: a JSON number, or null where the value is not finite
 *     (JSON has no NaN or Inf, and cJSON would write them as null anyway,
 *     but silently);
 *   - ob_median: the median of a sample (four commands take one);
 *   - ob_now_s: the monotonic clock, for durations.
 */

/* ---- text values ---------------------------------------------------------- */

/* Value parsers shared by the subcommands (--steps, --n, --set,
 * --sched-set, ...), the schedule table, the sweep grid and the report's
 * CSV reader.  One rule for all: the whole string is the value, with no
 * white space before or after it and nothing trailing; an integer may be
 * written as digits or as an exactly integral decimal ("1e3", "2.0", up to
 * 2^53).  Each returns 0 or -1. */
int ob_parse_real(const char *s,
                  double *out); /* strtod syntax; a nonzero literal that rounds to 0 (1e-400) is refused */
int ob_parse_u64(const char *s, uint64_t *out); /* digits, or an integral "1e3" */
int ob_parse_bool(const char *s, int *out);     /* 0, 1, false, true (any case) */

/* A shard of a work list, "I/N" (--shard of sweep, run and repro all):
 * shard I of N takes the items whose index k in the planned order has
 * k % N == I (round robin, as COCO's batch=i/n).  count 0: not sharded
 * (every item).  ob_shard_parse accepts exactly "I/N" with 0 <= I < N;
 * anything else is -1 with a message quoting the text (a usage error). */
typedef struct ob_shard {
    uint64_t index, count;
} ob_shard;
int ob_shard_parse(const char *text, ob_shard *sh, char *err, size_t errlen);
/* Whether item k of the planned order is the shard's (always when not sharded). */
int ob_shard_owns(const ob_shard *sh, size_t k);
/* The record a shard keeps for `optbench merge` (ob_merge.h): {"index",
 * "count", "total", "ids": [id_at(ctx, k) for every item k of the whole
 * list], "spec": [argv[1..] without the options that shards of one job may
 * differ in: `with_value` (e.g. "--out") and `flags` (e.g. "--quiet"),
 * NULL-terminated lists]}.  NULL when out of memory. */
cJSON *ob_shard_record(const ob_shard *sh, const char *(*id_at)(const void *ctx, size_t k), const void *ctx,
                       size_t total, int argc, char **argv, const char *const *with_value,
                       const char *const *flags);

/* Formats an interval: "[0, 1)", "(0, inf)". */
void ob_format_interval(double lo, double hi, int lo_open, int hi_open, char *buf, size_t len);

/* Writes the names name_at(ctx, 0) .. name_at(ctx, n-1) joined by ", " into
 * buf (for the "known: ..." part of an error), truncating if buf is too
 * short; "none" when n == 0. */
void ob_join_names(char *buf, size_t len, const char *(*name_at)(const void *ctx, size_t i), const void *ctx,
                   size_t n);

/* ---- messages, JSON, clock ---------------------------------------------------- */

/* Appends printf-style text to the NUL-terminated buf of len bytes,
 * truncating (never past buf + len); nothing when it is already full. */
void ob_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Formats a message into err (errlen bytes, truncated) and returns -1, so
 * that a function reporting through (err, errlen) can `return ob_fail(...)`. */
int ob_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Adds key: v to object o, or key: null when v is NaN or infinite. */
void ob_json_add_num(cJSON *o, const char *key, double v);
/* The same with 17 significant digits, so that reading the file back gives
 * v exactly (cJSON's own printing may drop the last ulp): for values that
 * are aggregated again after a read (a sweep's point records). */
void ob_json_add_exact(cJSON *o, const char *key, double v);

/* Checks that no object anywhere in root holds a key twice (cJSON keeps
 * both and every lookup finds the first, so `"lr": {"sgd": 0.1, "sgd":
 * 0.01}` or a second top-level "cases" would be silently ignored).  0, or
 * -1 with a message naming the key, where it is ("cases[0].lr") and file.
 * ob_json_read (this header), which every reader of a JSON file uses,
 * calls it. */
int ob_json_check_keys(const cJSON *root, const char *file, char *err, size_t errlen);

/* Sorts v[0..n) in place (ascending) and returns its median: the middle
 * value, or the mean of the two middle ones; NaN when n == 0.  Callers
 * drop NaNs first where they may occur (they do not sort). */
double ob_median(double *v, size_t n);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC), for measuring
 * durations; the origin is arbitrary. */
double ob_now_s(void);

/* ==== interrupts ============================================================================== */

/*
 * stopping a long command cleanly on SIGINT or SIGTERM.
 *
 * A command that writes results (`run`; `bench`, `sweep` and `ci` can do
 * the same) installs the handlers for its duration.  The handler only
 * records the signal: the command checks ob_interrupted() between steps
 * and between cases, saves what has finished (marked as interrupted),
 * says what it saved and exits with 128 + the signal number (130 for
 * SIGINT, 143 for SIGTERM).  The handler is one-shot: a second Ctrl-C
 * kills at once, which is safe because every file is written atomically.
 */

/* Installs the SIGINT and SIGTERM handlers and clears the flag; the
 * previous dispositions are kept for ob_interrupt_restore.  Not nested. */
void ob_interrupt_install(void);
/* Puts the previous dispositions back and clears the flag. */
void ob_interrupt_restore(void);
/* The signal caught since ob_interrupt_install (SIGINT or SIGTERM), or 0.
 * Async-signal-safe to read; always 0 when no handler is installed. */
int ob_interrupted(void);
/* "SIGINT", "SIGTERM" (or "a signal"). */
const char *ob_interrupt_name(int sig);
/* The exit code for a command stopped by sig: 128 + sig (the shell's). */
int ob_interrupt_exit_code(int sig);

/* ==== atomic files and results ================================================================ */

/*
 * results sets on disk: run folders, atomic writes, run
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
 * command without the interrupt handlers above, such as bench or ci), both
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
 * with ob_atomic_open is the caller's: install the interrupt handlers
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

/* ==== number files ============================================================================ */

/*
 * the number files `optbench trace` reads: a list of
 * numbers (x0) and a file of rows (one gradient per line).
 *
 * The parsers work on a buffer of known length (NUL bytes included), so
 * they never read past it and can be fuzzed directly; the file readers
 * load a whole file and call them.  Every error names the file, the line
 * and the column ("x0.txt:3:7: 'abc' is not a number"), GNU style, with
 * 1-based lines and 1-based byte columns.
 *
 * Numbers are what strtod accepts as a whole token in the C locale: decimal
 * and hexadecimal floating point, and inf / nan in any case and with a
 * sign ("inf", "-Infinity", "nan", "-nan", "NAN(123)"; gradients with NaN
 * or Inf are legitimate test input: the kernels keep them element-local).
 */

/* Longest accepted number token, in bytes (a double never needs more than
 * 17 significant digits; 767 digits would be its exact decimal form). */
#define OB_NUM_TOKEN_MAX 1023

/* A list: numbers separated by white space and/or single commas, across
 * any number of lines ("1, -2\n3" is three numbers).  A comma with no
 * number on one side (",1", "1,,2", "1,") is an error, and so is a text
 * with no number at all.  On success *out (malloc'd, free with free()) has
 * *n >= 1 numbers.  Returns 0 or -1 with a message; `name` is the file
 * name used in messages. */
int ob_numlist_parse(const char *text, size_t len, const char *name, double **out, size_t *n, char *err,
                     size_t errlen);

/* Rows: one row per line, `cols` numbers separated by commas (spaces and
 * tabs around them are ignored, and so is a '\r' before the '\n': CRLF
 * files read as LF files).  Every line up to the last one holding a number
 * is a row: an empty or blank (white space only) line among them, a line
 * with the wrong number of values (a truncated last line included), an
 * empty field ("1,,2") or a non-number is an error naming line and column.
 * Blank lines after the last row are ignored (editors add them), and the
 * last row needs no '\n'.  cols == 0 takes the count from the first line.
 * A text with no row at all is an error ("empty file", "only blank
 * lines"). */
typedef struct ob_numrows {
    size_t rows, cols;
    double *v; /* rows * cols, row-major; free with ob_numrows_free */
} ob_numrows;

int ob_numrows_parse(const char *text, size_t len, const char *name, size_t cols, ob_numrows *out, char *err,
                     size_t errlen);
void ob_numrows_free(ob_numrows *r);

/* Reads a whole file into a malloc'd buffer (NUL-terminated for
 * convenience; *len excludes that NUL).  Errors name the file and the
 * system's reason ("x0.txt: cannot open: No such file or directory").
 * Only regular files and pipes (FIFOs, `<(...)`, a piped stdin) are read:
 * a device (/dev/urandom, /dev/zero, a terminal), a directory or a socket
 * is refused before reading anything, since it may never end.  A regular
 * file larger than max bytes is refused before reading (its size is
 * known); a pipe is read up to max bytes and refused once it holds more.
 * ob_read_file uses max = OB_READ_FILE_MAX. */
#define OB_READ_FILE_MAX ((size_t)1 << 30)
int ob_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen);
int ob_read_file_max(const char *path, size_t max, char **text, size_t *len, char *err, size_t errlen);

/* The cap on a number file (`optbench trace --x0/--grads`): 256 MiB, about
 * ten million numbers, far beyond a replay anyone reads step by step. */
#define OB_NUMFILE_MAX ((size_t)256 << 20)

/* ob_read_file_max(OB_NUMFILE_MAX) + ob_numlist_parse / ob_numrows_parse. */
int ob_numlist_read(const char *path, double **out, size_t *n, char *err, size_t errlen);
int ob_numrows_read(const char *path, size_t cols, ob_numrows *out, char *err, size_t errlen);

/* ==== optimizer state ========================================================================= */

/*
 * optimizer state arrays as the harness allocates them, in
 * fp32 for the kernels and in double for the reference.
 *
 * Every state array the optimizer's table entry lists (ob_optimizer.n_state)
 * is allocated, whatever the hyperparameters (a schedule may switch
 * momentum on), and set to torch's initial value: zero, except where a
 * hyperparameter gives the initial value (Adagrad: state["sum"] =
 * torch.full_like(p, initial_accumulator_value), torch/optim/adagrad.py).
 * The fp32 and the double state start from the same value, rounded to
 * float once for fp32.
 */

/* torch's initial value of state array k of o under hyperparameters h. */
double ob_state_initial(const ob_optimizer *o, const ob_hparams *h, size_t k);

/* Allocates and initialises o->n_state arrays of n elements; the unused
 * slots up to OB_MAX_STATE are NULL.  Returns 0, or -1 (out of memory;
 * nothing left allocated).  n == 0 allocates one element per array so
 * that the pointers are never NULL. */
int ob_state_alloc_f32(const ob_optimizer *o, const ob_hparams *h, size_t n, float *state[OB_MAX_STATE]);
int ob_state_alloc_f64(const ob_optimizer *o, const ob_hparams *h, size_t n, double *state[OB_MAX_STATE]);
/* Frees what the allocators returned (and sets the pointers to NULL). */
void ob_state_free_f32(float *state[OB_MAX_STATE]);
void ob_state_free_f64(double *state[OB_MAX_STATE]);

/* ==== learning-rate schedules ================================================================= */

/*
 * learning-rate schedules, following
 * torch.optim.lr_scheduler exactly (torch 2.x, lr_scheduler.py).
 *
 * One table (ob_schedule_table) lists every schedule: its name, the torch
 * class it mirrors, its keys with defaults and valid ranges, and the
 * function that computes the value.  Parsing, validation, `optbench list`
 * and `optbench schedule` are all driven by that table; no code elsewhere
 * names a schedule.
 *
 * Convention.  The optimizer's step t (1-based) uses the schedule's value at
 * scheduler epoch e = t - 1, i.e. after t - 1 calls of scheduler.step().
 * That is torch's order (optimizer.step() then scheduler.step()), so step 1
 * uses the initial value.  Values come from torch's closed forms
 * (_get_closed_form_lr), computed in double once per step; torch's default
 * recursive (chainable) form agrees with them to rounding.
 *
 * OneCycleLR ignores the optimizer's lr (initial = max_lr / div_factor) and,
 * unless cycle_momentum = 0, also cycles beta1 (optimizers with a "beta1"
 * hyperparameter: the Adam family) or else "momentum" (SGD, RMSprop) in the
 * opposite direction to the lr, as torch does for optimizers whose defaults
 * have "betas" or "momentum".  An optimizer with neither is an error (torch
 * raises ValueError).  A step past total_steps is an error, as in torch
 * ("Tried to step ... times").
 */

typedef enum ob_sched_kind {
    OB_SK_REAL, /* a finite double */
    OB_SK_INT,  /* an integer (stored exactly in the double, <= 2^53) */
    OB_SK_BOOL, /* 0, 1, false, true */
    OB_SK_ENUM  /* one of `choices`; stored as the index */
} ob_sched_kind;

typedef struct ob_sched_key {
    const char *name; /* torch's argument name */
    ob_sched_kind kind;
    int required;               /* 1: torch has no default, the user must set it */
    double def;                 /* default (ignored when required) */
    double lo, hi;              /* valid range (OB_SK_REAL, OB_SK_INT) */
    int lo_open, hi_open;       /* 1: the bound itself is excluded */
    const char *const *choices; /* OB_SK_ENUM: NULL-terminated names */
    const char *doc;
} ob_sched_key;

#define OB_SCHED_MAX_KEYS 12

typedef struct ob_schedule ob_schedule;

/* The value of a schedule at one scheduler epoch. */
typedef struct ob_sched_point {
    double lr;
    int cycles_momentum; /* 1: `momentum` below replaces beta1 / momentum */
    double momentum;
} ob_sched_point;

typedef struct ob_schedule_spec {
    const char *name;    /* "cosine" */
    const char *torch;   /* "CosineAnnealingLR" */
    const char *formula; /* the closed form, for `optbench list` */
    const ob_sched_key *keys;
    size_t n_keys;
    /* Rules across keys, after every key is in range; 0 or -1 with a
     * message.  NULL: none. */
    int (*check)(const ob_schedule *s, char *err, size_t errlen);
    /* The value at scheduler epoch e (0-based) for an optimizer lr base_lr;
     * 0, or -1 with a message. */
    int (*eval)(const ob_schedule *s, double base_lr, uint64_t e, ob_sched_point *out, char *err,
                size_t errlen);
} ob_schedule_spec;

/* A parsed schedule: the spec and the value of every key (by index). */
struct ob_schedule {
    const ob_schedule_spec *spec;
    double v[OB_SCHED_MAX_KEYS];
};

extern const ob_schedule_spec *const ob_schedule_table[];
extern const size_t ob_schedule_count;

/* Looks a schedule up by name; NULL if unknown. */
const ob_schedule_spec *ob_schedule_find(const char *name);

/* Parses schedule `name` (NULL: "constant") with the "key=value" strings in
 * sets (later ones win).  Unknown names and keys, values that are not
 * numbers (or not integers, booleans, choices), NaN, Inf and out-of-range
 * values are errors naming the key, the value and the valid range; so is a
 * required key left unset.  Returns 0, or -1 with a message (out untouched). */
int ob_schedule_parse(const char *name, const char *const *sets, size_t nsets, ob_schedule *out, char *err,
                      size_t errlen);

/* The value of the schedule at the optimizer's step t (1-based), i.e. at
 * scheduler epoch t - 1, for an optimizer lr base_lr.  Errors: t == 0, and
 * t > total_steps for onecycle. */
int ob_schedule_at(const ob_schedule *s, double base_lr, uint64_t t, ob_sched_point *out, char *err,
                   size_t errlen);

/* The hyperparameter the schedule cycles for optimizer o ("beta1" or
 * "momentum"), or NULL when it cycles none.  Returns 0, or -1 with a
 * message when the schedule cycles momentum and o has neither key. */
int ob_schedule_cycled_key(const ob_schedule *s, const ob_optimizer *o, const ob_hparam_spec **key, char *err,
                           size_t errlen);

/* The hyperparameters in force at step t (1-based): *base with lr replaced
 * by the schedule's value and, when onecycle cycles momentum, beta1 or
 * momentum replaced too.  out may alias base.  Returns 0, or -1 with a
 * message (out untouched). */
int ob_schedule_apply(const ob_schedule *s, const ob_optimizer *o, const ob_hparams *base, uint64_t t,
                      ob_hparams *out, char *err, size_t errlen);

/* Formats a key's valid range ("(0, inf)", "integer >= 1", "cos | linear",
 * "0, 1, false or true") and its default ("0.1", "cos", "required"). */
void ob_sched_key_range(const ob_sched_key *k, char *buf, size_t len);
void ob_sched_key_default(const ob_sched_key *k, char *buf, size_t len);

/* ==== run-time data files ===================================================================== */

/*
 * where the command finds the files it reads at run time
 * besides its input: the gnuplot scripts (plot/) of `report`, `repro` and
 * `sweep`, and the scripts of `bench --peer`.  One search for all of them,
 * so that a binary built in the source tree, one copied elsewhere and one
 * installed by `make install` (README "Install") all find theirs.
 *
 * The order:
 *   1. the folder named on the command line (`--plot-dir DIR`), if given;
 *   2. else the environment variable (OPTBENCH_PLOT_DIR), if set;
 *   3. else <exe>/../share/optbench/<sub>: the install prefix of the
 *      running binary (/proc/self/exe), where `make install` puts them;
 *   4. else the source-tree fallbacks: folders relative to the current
 *      folder, then folders relative to the executable's folder (the
 *      build folder: build/optbench, build/tests/test_x).
 * A folder counts only if it holds the probe file; 1 and 2 are final (a
 * folder named explicitly that lacks it is an error, not skipped).
 */

typedef struct ob_data_dir {
    const char *sub;              /* the folder under <prefix>/share/optbench: "plot" */
    const char *what;             /* for the message: "gnuplot scripts" */
    const char *option;           /* the option naming it ("--plot-dir"), or NULL */
    const char *env;              /* the variable naming it ("OPTBENCH_PLOT_DIR"), or NULL */
    const char *const *cwd_rel;   /* NULL-terminated fallbacks from the current folder, or NULL */
    const char *const *exe_rel;   /* NULL-terminated fallbacks from the executable's folder, or NULL */
} ob_data_dir;

/* Finds the folder of d holding `probe` (a file name) and writes its
 * absolute path to out.  given: the command-line folder, or NULL.  0, or
 * -1 with a message naming the places searched, the option and the
 * variable. */
int ob_find_data_dir(const ob_data_dir *d, const char *given, const char *probe, char *out, size_t len, char *err,
                     size_t errlen);

/* The gnuplot scripts: --plot-dir, OPTBENCH_PLOT_DIR, <prefix>/share/
 * optbench/plot, ./plot, plot/ beside the build folder (<exe>/../plot,
 * <exe>/../../plot).  probe: the script that must be there. */
int ob_find_plot_dir(const char *given, const char *probe, char *out, size_t len, char *err, size_t errlen);
/* The help text of --plot-dir, for every command that draws figures. */
#define OB_PLOT_DIR_HELP "the gnuplot scripts (default: OPTBENCH_PLOT_DIR, the install's share/optbench/plot, ./plot)"

#ifdef __cplusplus
}
#endif
#endif
