/*
 * ob_datadir.h — where the command finds the files it reads at run time
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
#ifndef OB_DATADIR_H
#define OB_DATADIR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

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
