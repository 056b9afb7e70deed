/*
 * ob_args.h — the one small option parser every `optbench` subcommand uses.
 *
 * A subcommand describes itself once (ob_cmd_spec: name, synopsis, options,
 * positional arguments, the function that runs it); ob_args_parse then
 * handles --key value and --key=value, flags, repeatable and required
 * options, "--" and --help / -h, and reports unknown options, missing
 * values and missing required options with exit code 2.  The same spec
 * prints the subcommand's --help and feeds the table of subcommands.
 */
#ifndef OB_ARGS_H
#define OB_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif
