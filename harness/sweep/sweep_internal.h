/*
 * sweep_internal.h — what the sweep's files share beyond ob_sweep.h: the
 * map between an axis and the unit interval (sweep_axis.c), the
 * low-discrepancy sequences (sweep_search.c), adding one setting to a
 * planned sweep (sweep.c) and the Gaussian process of the Bayesian search
 * (sweep_bayes.c).  The tests include it to check the pieces directly.
 */
#ifndef OB_SWEEP_INTERNAL_H
#define OB_SWEEP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "ob_sweep.h"

/* ---- axes and the unit interval (sweep_axis.c) ----------------------------------- */

/* The value at u in [0, 1): log ranges in log10 space, lin ranges
 * linearly, lists by index floor(u n) (the arithmetic of --random). */
double ob_sweep_axis_at(const ob_sweep_axis *ax, double u);
/* The inverse: the u of value v (a list value: the middle of its cell;
 * a range of one value: 0.5). */
double ob_sweep_axis_unit(const ob_sweep_axis *ax, double v);
/* Snaps u to where the search can actually land: a list axis's cell
 * middle, anything else clamped to [0, 1]. */
double ob_sweep_axis_snap(const ob_sweep_axis *ax, double u);

/* ---- low-discrepancy sequences (sweep_search.c) --------------------------------- */

/* The names of --search (index = ob_sweep_search_kind; "grid" and
 * "random" are not --search values, they name the other searches in the
 * comparison). */
const char *ob_sweep_search_name(ob_sweep_search_kind k);

/* The first n points of GSL's Sobol (gsl_qrng_sobol, dim <= 40) or Halton
 * (gsl_qrng_halton) sequence in dim dimensions into u[n * dim].  seed 0:
 * the sequence as GSL gives it; any other seed: the same points shifted
 * modulo 1 by a uniform vector drawn from seed (Cranley & Patterson 1976,
 * the usual randomisation of a quasi-random rule).  0, or -1 with a
 * message. */
int ob_sweep_qrng_points(ob_sweep_search_kind kind, size_t dim, uint64_t n, uint64_t seed, double *u, char *err,
                         size_t errlen);

/* --search, --budget, --proposals (sweep_search.c): whether `name` is
 * one of them; parsing them into sw (after --random and --seed; 0, or -1
 * with a message); adding one to a normalised specification (grid and
 * random searches leave them out); the number of points drawn before the
 * search runs (0: the grid). */
int ob_sweep_search_key(const char *name);
int ob_sweep_search_parse(const cJSON *spec, ob_sweep *sw, char *err, size_t errlen);
void ob_sweep_search_normalise(cJSON *n, const ob_sweep *sw, const char *name);
uint64_t ob_sweep_first_points(const ob_sweep *sw);

/* The points a search starts from, n of the whole space (every axis) into
 * *draws (malloc'd): --random's uniform draws from --seed, the Sobol or
 * Halton points of --search sobol|halton, or the Sobol start of --search
 * bayes, mapped to the axes.  0, or -1 with a message. */
int ob_sweep_draw_points(const ob_sweep *sw, uint64_t n, double **draws, char *err, size_t errlen);

/* ---- growing a planned sweep (sweep.c) ---------------------------------------- */

/* An integer option >= lo of a specification (*v unchanged when absent);
 * 0, or -1 with the message of every such option. */
int ob_sweep_spec_count(const cJSON *spec, const char *key, uint64_t lo, uint64_t *v, char *err, size_t errlen);

/* Adds the setting of (problem pi, optimizer oi) with the swept values
 * value[axis] (axes the optimizer lacks are ignored) and its runs.
 * Returns 1 when added; 0 when it repeats a setting of the pair or is out
 * of the valid ranges (noted in sw->skipped when note_invalid); -1 with a
 * message (out of memory, too many runs). */
int ob_sweep_add_point(ob_sweep *sw, size_t pi, size_t oi, const double *value, int note_invalid, char *err,
                       size_t errlen);

/* The axes optimizer oi has, in --grid order; returns how many. */
size_t ob_sweep_pair_axes(const ob_sweep *sw, size_t oi, size_t *axes);

/* ---- the Gaussian process (sweep_bayes.c) --------------------------------------- */

/* The criterion of setting i as the searches compare it: the median over
 * its seeds of the final loss (+inf: diverged), minus f* where known
 * (*has_fstar), floored at the target tol on deterministic problems (the
 * ranking counts everything within it as equal); NaN while a run is
 * missing. */
double ob_sweep_setting_gap(const ob_sweep *sw, size_t i, int *has_fstar);

/* A GP on [0, 1]^d with a constant mean (the data's), a Matérn-5/2 kernel
 * with one length scale per axis, a signal variance and a noise variance
 * (Rasmussen & Williams 2006, eq. 4.17 and ch. 5), on standardised
 * targets. */
typedef struct ob_gp {
    size_t n, d, cap;
    double *x;            /* n x d inputs */
    double *y;            /* n standardised targets */
    double ymean, ysd;    /* of the targets the fit was given */
    double best;          /* smallest standardised target of the fit */
    double len[OB_SWEEP_MAX_AXES], s2, noise; /* fitted hyperparameters */
    double lml;           /* log marginal likelihood at them */
    gsl_matrix *L;        /* Cholesky factor of K + noise I (lower) */
    gsl_vector *alpha;    /* (K + noise I)^-1 y */
} ob_gp;

/* Fits the hyperparameters by maximum marginal likelihood (GSL's
 * Nelder-Mead simplex from three starts, within fixed bounds) and
 * conditions on the data.  0, or -1 with a message. */
int ob_gp_fit(ob_gp *gp, const double *x, const double *y, size_t n, size_t d, char *err, size_t errlen);
/* One more observation with the hyperparameters kept (the constant liar
 * of a batch): y_std in standardised units.  0, or -1. */
int ob_gp_add(ob_gp *gp, const double *x, double y_std);
/* Posterior mean and standard deviation of the latent function at x, in
 * the units of the targets. */
void ob_gp_predict(const ob_gp *gp, const double *x, double *mean, double *sd);
/* Expected improvement below gp->best at x (standardised units; Jones,
 * Schonlau & Welch 1998, eq. 15). */
double ob_gp_ei(const ob_gp *gp, const double *x);
/* The maximiser of EI: the best of the m candidates cand[m * d], refined
 * by a Nelder-Mead search from the best three (clamped to [0, 1]^d), into
 * x; order[m] receives the candidates by decreasing EI (ties: the earlier
 * first) for when x cannot be used.  0, or -1 (out of memory). */
int ob_gp_argmax_ei(const ob_gp *gp, const double *cand, size_t m, double *x, size_t *order);
void ob_gp_free(ob_gp *gp);

#endif
