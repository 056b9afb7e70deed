/*
 * repro_internal.h — helpers shared by the reproduction entries (internal to
 * harness/repro/): progress lines, the entry's CSV, JSON numbers.
 */
#ifndef OB_REPRO_UTIL_H
#define OB_REPRO_UTIL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ob_repro.h"
#include "harness/core/ob_core.h"

/* A progress line "optbench repro: ..." on o->log (nothing when NULL). */
void ob_repro_log(const ob_repro_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The entry's CSV, <repro_dir>/<stem>.csv, written atomically; records
 * its path (relative to the run folder) in out->csv. */
typedef struct ob_repro_csv {
    ob_atomic_file af;
} ob_repro_csv;
int ob_repro_csv_open(ob_repro_csv *c, const ob_repro_opts *o, const char *stem, ob_repro_outcome *out,
                      char *err, size_t errlen);
int ob_repro_csv_commit(ob_repro_csv *c, char *err, size_t errlen);
void ob_repro_csv_abort(ob_repro_csv *c);

/* A macro's value as a string literal: the entries' setup texts state the
 * constants their code runs with, spelled from the same macros. */
#define OB_REPRO_STR_(x) #x
#define OB_REPRO_STR(x) OB_REPRO_STR_(x)

/* The first fp32 path in a mask (1 + isa), or -1 when none runs. */
int ob_repro_first_fp32(unsigned paths);

/* The standard normal quantile by bisection on erfc (to 1e-12;
 * repro_nqm.c): the two-sided z of a family-wise level alpha over k
 * comparisons (Bonferroni) is ob_repro_normal_quantile(1 - alpha / (2k)). */
double ob_repro_normal_quantile(double p);

/* ---- learning-rate tuning on the fp64 reference (repro_ml.c; kingma, duchi, kingma_mlp) ---- */

/* a scores better than b: lower, and any number beats NaN (a diverged run). */
int ob_repro_better(double a, double b);
/* The score of one learning rate (the final fp64 loss; NaN: diverged).
 * 0, or -1 with err. */
typedef int (*ob_repro_score_fn)(void *ctx, double lr, double *score, char *err, size_t errlen);
/* Grid search: lr0 * sqrt(10)^i for i = first, first + 1, first + 2; then
 * one more half-decade value at whichever end holds the best, until the
 * best lies inside the grid or the grid holds max_n values; then, when
 * bracketed, the two quarter-decade values beside the best.  t->lr
 * increases; t->best is the lowest score (ob_repro_better; the first of
 * equals).  0, or -1 with err (from score). */
int ob_repro_tune(double lr0, int first, size_t max_n, ob_repro_score_fn score, void *ctx, ob_repro_tuning *t,
                  char *err, size_t errlen);
/* The tuning as JSON: best_lr, bracketed, grid [{lr, loss}]. */
cJSON *ob_repro_tuning_json(const ob_repro_tuning *t);

/* ---- Fashion-MNIST grids (repro_grid.c; lh_heatmap, lion_lr_wd) ---- */

struct ob_problem;
/* Softmax regression trained on a fixed subset of Fashion-MNIST and
 * scored on its test set: the training set is the catalog problem
 * fmnist_logreg's mini-batches t = 1..batches (batch 128, seed 0),
 * cycled; the test problem is fmnist_logreg over the 10000 test images
 * (the t10k files linked under <repro_dir>/<stem>_testset/ with the
 * training files' names, so the catalog's loader and loss serve
 * unchanged; the links go once the images are loaded). */
typedef struct ob_repro_fmgrid {
    struct ob_problem *train, *test;
    uint64_t batches;
    double loss0; /* test loss at x0 */
} ob_repro_fmgrid;

/* 0, or -1 with the reason when the data set cannot be loaded. */
int ob_repro_fmgrid_open(const ob_repro_opts *op, const char *stem, size_t batch, uint64_t batches,
                         ob_repro_fmgrid *g, char *why, size_t len);
void ob_repro_fmgrid_close(ob_repro_fmgrid *g);

/* The opening of a grid entry (lh_heatmap, lion_lr_wd): the data set
 * (ob_repro_fmgrid_open), the cosine schedule over `steps` steps
 * (T_max = steps) and OpenBLAS on one thread (the products are small:
 * 128 x 784 x 10; its threads only contend), *blas_threads keeping its
 * count for ob_repro_fmgrid_end.  0; 1 with why when the data set cannot
 * be loaded (the entry's finding, not a failure); -1 with err. */
int ob_repro_fmgrid_begin(const ob_repro_opts *op, const char *stem, size_t batch, uint64_t batches,
                          uint64_t steps, ob_repro_fmgrid *g, ob_schedule *sched, int *blas_threads,
                          char *why, size_t whylen, char *err, size_t errlen);
/* Gives OpenBLAS its thread count back and closes the grid. */
void ob_repro_fmgrid_end(ob_repro_fmgrid *g, int blas_threads);

/* One run of opt with hyperparameters h (and sched, may be NULL) for
 * `steps` steps on `paths`; test_loss[path] after the last step (NaN on
 * a diverged run).  Kernel checks accumulate in k. */
int ob_repro_fmgrid_cell(ob_repro_fmgrid *g, const ob_optimizer *opt, const ob_hparams *h,
                         const ob_schedule *sched, uint64_t steps, unsigned paths,
                         double test_loss[OB_REPRO_MAX_PATHS], ob_repro_kernels *k, char *err, size_t errlen);

/* Two methods' grids as the CSV of plot/repro_grid.gp: gnuplot `index`
 * 0 and 1 the grids, rows "lr,wd,score" with a blank line after each lr;
 * 2 and 3 the fits (ob_repro_grid_fit_of with margin good), "lr,best wd"
 * of the rows used; 4 and 5 the best cells. */
void ob_repro_grids_csv(FILE *f, const char *const *labels, const ob_repro_grid *g, double good);
/* The grid and its fit as JSON. */
cJSON *ob_repro_grid_json(const ob_repro_grid *g, const ob_repro_grid_fit *fit);

/* The outcome of an entry that could not load Fashion-MNIST (a finding,
 * not a failure: its check gives INCONCLUSIVE): measured says why, and so
 * does the summary line. */
void ob_repro_fmnist_missing(ob_repro_outcome *out, const char *why);

#endif
