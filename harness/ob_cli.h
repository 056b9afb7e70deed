/*
 * ob_cli.h — the `optbench` command line: the table of subcommands, the
 * subcommands themselves (callable in-process, e.g. by the tests, with any
 * FILE* for output and errors) and the helpers they share.
 *
 * Every subcommand is `int ob_cmd_<name>(int argc, char **argv, FILE *out,
 * FILE *err)` with argv[0] the subcommand's name, returning the exit code:
 * 0 success, 1 the work failed, 2 bad options, values, names or input
 * files (ob_core.h).  Each is described by an ob_cmd_spec (options, help
 * text) listed in ob_command_table (cli.c).
 */
#ifndef OB_CLI_H
#define OB_CLI_H

#include <stdio.h>

#include "optbench/optimizers.h"
#include "harness/core/ob_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version `optbench --version` prints; the build may override it
 * (e.g. -DOB_VERSION="\"$(git describe)\""). */
#ifndef OB_VERSION
#define OB_VERSION "0.1.0"
#endif

/* ---- subcommands ------------------------------------------------------- */

extern const ob_cmd_spec ob_cmd_list_spec;
extern const ob_cmd_spec ob_cmd_schedule_spec;
extern const ob_cmd_spec ob_cmd_trace_spec;
extern const ob_cmd_spec ob_cmd_run_spec;
extern const ob_cmd_spec ob_cmd_report_spec;
extern const ob_cmd_spec ob_cmd_repro_spec;
extern const ob_cmd_spec ob_cmd_bench_spec;
extern const ob_cmd_spec ob_cmd_ci_spec;
extern const ob_cmd_spec ob_cmd_compare_spec;
extern const ob_cmd_spec ob_cmd_sweep_spec;
extern const ob_cmd_spec ob_cmd_tensorboard_spec;
extern const ob_cmd_spec ob_cmd_merge_spec;
extern const ob_cmd_spec ob_cmd_profile_spec;

int ob_cmd_list(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_schedule(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_trace(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_run(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_report(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_bench(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_ci(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_compare(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_tensorboard(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_profile(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_sweep(int argc, char **argv, FILE *out, FILE *err);
int ob_cmd_merge(int argc, char **argv, FILE *out, FILE *err);

/* The overlaid profiles of `report --run A --run B ...` (profile/cmd_profile.c;
 * ob_report_overlay_opts.profile): `optbench profile --overlay` of the
 * runs, matched case by case, into out. */
int ob_overlay_profile(const char *const *runs, size_t n_runs, const char *const *labels, int intersect,
                       const char *out, const char *plot_dir, const char *gnuplot, int no_figures, char *err,
                       size_t errlen);

/* The table of subcommands, in the order `optbench --help` lists them. */
extern const ob_cmd_spec *const ob_command_table[];
extern const size_t ob_command_count;
const ob_cmd_spec *ob_command_find(const char *name);

/* The whole command line: argv[0] is the program, argv[1] the subcommand,
 * --help or --version.  Returns the exit code. */
int ob_cli_main(int argc, char **argv, FILE *out, FILE *err);

/* Runs ob_cli_main in-process on a NULL-terminated argv (argv[0] is the
 * program name) and returns its exit code, with everything it printed to
 * its output and to its errors in *out and *err (malloc'd, NUL-terminated;
 * free them).  For the tests, and for subcommands that run others and keep
 * their output.  Returns -1 (and nothing to free) if the capture buffers
 * cannot be created. */
int ob_cli_capture(const char *const *argv, char **out, char **err);

/* ---- helpers shared by the subcommands ------------------------------------ */

/* Looks an optimizer up; an unknown name prints an error listing the known
 * ones and returns NULL. */
const ob_optimizer *ob_cli_optimizer(const ob_cmd_spec *c, const char *name, FILE *err);

/* o's defaults, then each "key=value" of sets in order, then ob_validate.
 * Returns OB_EXIT_OK or OB_EXIT_USAGE (message printed). */
int ob_cli_hparams(const ob_cmd_spec *c, const ob_optimizer *o, const char *const *sets, size_t nsets,
                   ob_hparams *h, FILE *err);

/* ob_schedule_parse with the message printed; name NULL means "constant".
 * With o != NULL also checks that the schedule can cycle o's momentum.
 * Returns OB_EXIT_OK or OB_EXIT_USAGE. */
int ob_cli_schedule(const ob_cmd_spec *c, const char *name, const char *const *sets, size_t nsets,
                    const ob_optimizer *o, ob_schedule *s, FILE *err);

/* An instruction set this CPU can run (an unknown name or one the CPU
 * lacks prints an error and returns OB_EXIT_USAGE).  With allow_reference,
 * "reference" is accepted too and gives *is_reference = 1. */
int ob_cli_isa(const ob_cmd_spec *c, const char *opt_name, const char *name, int allow_reference, ob_isa *isa,
               int *is_reference, FILE *err);

#ifdef __cplusplus
}
#endif
#endif
