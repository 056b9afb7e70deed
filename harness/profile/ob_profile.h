/*
 * ob_profile.h — `optbench profile`: aggregate comparisons of optimizers
 * over a catalog of problems, from the runtimes to targets that `optbench
 * run` records (ob_run.h, ob_runtimes), as the benchmarking literature
 * makes them (README "Profiles"):
 *   - runtime ECDFs (COCO/cocopp: Hansen et al., Optim. Methods Softw.
 *     36(1), 2021): the share of (problem, instance, target) triples solved
 *     within a budget of gradient evaluations, per problem family and over
 *     the catalog, with bootstrapped 95% bands;
 *   - performance profiles (Dolan & Moré, Math. Program. 91:201-213, 2002):
 *     rho_s(tau) = |{p : r_ps <= tau}| / |P|, r_ps = t_ps / min_s t_ps;
 *   - data profiles (Moré & Wild, SIAM J. Optim. 20(1):172-191, 2009):
 *     d_s(alpha) = |{p : t_ps / (n_p + 1) <= alpha}| / |P|;
 *   - one score per optimizer (AlgoPerf, Dahl et al. 2023): the area under
 *     rho_s from tau = 1 to r_max, divided by r_max - 1, with a bootstrap
 *     confidence interval, and a ranking.
 *
 * Sections: the measures on a table of runtimes (pure functions, what the
 * tests check by hand), the seeded bootstrap, and the command.
 */
#ifndef OB_PROFILE_H
#define OB_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== the measures ==========================================================
 * A table of runtimes: t[p * ns + s] is the cost (gradient evaluations,
 * > 0) of solver s on problem p, INFINITY when s never solved p. */

/* The performance ratio r_ps = t_ps / min_s' t_ps' (1 for the best, ties
 * included); INFINITY when s did not solve p (also when nobody did). */
double ob_prof_ratio(const double *t, size_t ns, size_t p, size_t s);

/* Dolan-Moré: the share of the np problems with r_ps <= tau. */
double ob_prof_perf(const double *t, size_t np, size_t ns, size_t s, double tau);

/* Moré-Wild: the share of problems with t_ps / (dim[p] + 1) <= alpha. */
double ob_prof_data(const double *t, const double *dim, size_t np, size_t ns, size_t s, double alpha);

/* The runtime ECDF: the share of rows (triples) with t_ps <= budget. */
double ob_prof_ecdf(const double *t, size_t np, size_t ns, size_t s, double budget);

/* The AlgoPerf-style score: (1 / (r_max - 1)) * integral of rho_s(tau)
 * from 1 to r_max, exactly (rho_s is a step function):
 * mean over p of max(0, r_max - r_ps) / (r_max - 1).  In [0, 1]; 1 when s
 * is the fastest on every problem.  r_max > 1. */
double ob_prof_score(const double *t, size_t np, size_t ns, size_t s, double rmax);

/* ==== the bootstrap ===========================================================
 * Seeded and repeatable: rows are resampled with replacement by group
 * (group[p], 0..ng-1; NULL: every row its own group, ng = np), `reps`
 * times, with splitmix64 from `seed`; the interval is the 2.5% and 97.5%
 * order statistics of the replicates (nearest rank: sorted values at
 * floor(0.025 (reps - 1)) and ceil(0.975 (reps - 1))). */

/* splitmix64 (Steele, Lea & Flood, OOPSLA 2014): the next value of *state. */
uint64_t ob_prof_rand(uint64_t *state);

/* The 95% interval of solver s's score.  0, or -1 when out of memory. */
int ob_prof_boot_score(const double *t, size_t np, size_t ns, size_t s, double rmax, const size_t *group,
                       size_t ng, uint64_t seed, size_t reps, double *lo, double *hi);

/* The 95% band of solver s's ECDF at each of nb budgets (lo[k], hi[k]).
 * 0, or -1 when out of memory. */
int ob_prof_boot_ecdf(const double *t, size_t np, size_t ns, size_t s, const size_t *group, size_t ng,
                      const double *budgets, size_t nb, uint64_t seed, size_t reps, double *lo, double *hi);

/* ==== the command ================================================================ */

typedef struct ob_profile_opts {
    const char *const *runs; /* run folders (results.json in each) */
    size_t n_runs;
    const char *out;      /* output folder; NULL: <runs[0]>/profile */
    const char *path;     /* "fp32" (scalar, else the first ISA; default) or "reference" */
    const char *source;   /* what the runs are ("default suite", "tuned"); NULL: from the runs */
    double tau;           /* Moré-Wild tolerance for the performance and data profiles (1e-3) */
    double rmax;          /* the score's r_max (4) */
    size_t reps;          /* bootstrap replicates (1000) */
    uint64_t seed;        /* bootstrap seed (1) */
    const char *plot_dir; /* NULL: found as the report finds it */
    const char *gnuplot;  /* NULL: OPTBENCH_GNUPLOT, else gnuplot */
    int no_figures;
    FILE *progress; /* NULL: quiet */
    /* Overlay: each run's optimizers are their own series, "<opt>@<label>"
     * (labels[r], NULL: the run folder's name), drawn in the optimizer's
     * colour with a dash pattern per run; the runs must hold the same
     * problem instances (an error names what differs) unless intersect,
     * which keeps the instances every run has.  match_cases: the runs
     * are matched on cases (problem instance and optimizer), as `report
     * --run A --run B` does, not on problem instances alone. */
    int overlay, intersect, match_cases;
    const char *const *labels;
} ob_profile_opts;

/* Reads the runs, writes <out>/profile.json, profile.md, data/<name>.csv
 * and figures/<name>.png/.svg.  Returns an exit code (ob_core.h):
 * OB_EXIT_OK; OB_EXIT_USAGE with a message (no such run, no runtimes in
 * it, no problem that every optimizer ran); OB_EXIT_FAIL (a figure
 * failed, the files are written); OB_EXIT_IO. */
int ob_profile_build(const ob_profile_opts *o, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
