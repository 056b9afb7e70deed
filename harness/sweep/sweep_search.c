/*
 * sweep_search.c — the points of quasi-random search (`sweep --search
 * sobol|halton --budget N`, README "Search strategies"): the first N points
 * of GSL's Sobol or Halton sequence in as many dimensions as there are
 * --grid axes, mapped to each axis as --random maps its uniform draws
 * (ob_sweep_axis_at: log ranges in log space).  GSL provides the sequences
 * (gsl_qrng_sobol: Bratley & Fox 1988, Antonov & Saleev 1979; gsl_qrng_halton:
 * Halton 1960, the first primes as bases), so none is written here.
 *
 * AlgoPerf tunes its baselines by quasi-random search (Dahl et al. 2023,
 * after Bousquet et al. 2017): low-discrepancy points cover a box more
 * evenly than independent draws, with a budget that is not a product.
 */
#include "sweep_internal.h"

#include <gsl/gsl_qrng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"
#include "harness/testkit/ob_testkit.h"

const char *ob_sweep_search_name(ob_sweep_search_kind k)
{
    static const char *const names[] = {"grid", "random", "sobol", "halton", "bayes"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

int ob_sweep_qrng_points(ob_sweep_search_kind kind, size_t dim, uint64_t n, uint64_t seed, double *u, char *err,
                         size_t errlen)
{
    const gsl_qrng_type *t = kind == OB_SWEEP_SEARCH_HALTON ? gsl_qrng_halton : gsl_qrng_sobol;
    /* The sweep's limit; GSL's are 40 dimensions (Sobol) and 1229 (Halton). */
    if (dim < 1 || dim > OB_SWEEP_MAX_AXES)
        return ob_fail(err, errlen, "%s points in %zu dimensions: 1 to %d are supported", t->name, dim,
                       OB_SWEEP_MAX_AXES);
    gsl_qrng *q = gsl_qrng_alloc(t, (unsigned)dim);
    if (!q) return ob_fail(err, errlen, "out of memory");
    double shift[OB_SWEEP_MAX_AXES] = {0};
    if (seed) {
        ob_rng r;
        ob_rng_init(&r, seed);
        for (size_t a = 0; a < dim; a++) shift[a] = ob_rng_uniform(&r);
    }
    for (uint64_t i = 0; i < n; i++) {
        double *p = u + i * dim;
        gsl_qrng_get(q, p);
        for (size_t a = 0; seed && a < dim; a++) {
            p[a] += shift[a];
            if (p[a] >= 1) p[a] -= 1;
        }
    }
    gsl_qrng_free(q);
    return 0;
}

int ob_sweep_draw_points(const ob_sweep *sw, uint64_t n, double **draws, char *err, size_t errlen)
{
    const char *what = sw->search == OB_SWEEP_SEARCH_RANDOM ? "--random" : "--budget";
    *draws = NULL;
    if (n > OB_SWEEP_MAX_RUNS)
        return ob_fail(err, errlen, "%s %llu: at most %d points", what, (unsigned long long)n, OB_SWEEP_MAX_RUNS);
    double *d = malloc((size_t)n * sw->n_axes * sizeof *d);
    if (!d) return ob_fail(err, errlen, "out of memory");
    ob_sweep_search_kind k = sw->search == OB_SWEEP_SEARCH_HALTON ? OB_SWEEP_SEARCH_HALTON : OB_SWEEP_SEARCH_SOBOL;
    if (sw->search != OB_SWEEP_SEARCH_RANDOM && ob_sweep_qrng_points(k, sw->n_axes, n, sw->seed, d, err, errlen) != 0) {
        free(d);
        return -1;
    }
    /* One draw is a point of the whole space; each optimizer uses the
     * coordinates of the keys it has, so all share the same lrs.  Random
     * search draws in the order it always did: point by point, axis by
     * axis, from --seed. */
    ob_rng r;
    ob_rng_init(&r, sw->seed);
    for (uint64_t i = 0; i < n; i++)
        for (size_t a = 0; a < sw->n_axes; a++) {
            double *v = &d[i * sw->n_axes + a];
            *v = ob_sweep_axis_at(&sw->axes[a], sw->search == OB_SWEEP_SEARCH_RANDOM ? ob_rng_uniform(&r) : *v);
        }
    *draws = d;
    return 0;
}

/* ---- the options ----------------------------------------------------------------- */

static const char *sget(const cJSON *spec, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int ob_sweep_search_key(const char *name)
{
    return !strcmp(name, "search") || !strcmp(name, "budget") || !strcmp(name, "proposals");
}

/* --search, --budget, --proposals of a quasi-random or Bayesian search,
 * normalised (--proposals only for bayes). */
void ob_sweep_search_normalise(cJSON *n, const ob_sweep *sw, const char *name)
{
    char buf[32];
    if (!strcmp(name, "search")) {
        cJSON_AddStringToObject(n, name, ob_sweep_search_name(sw->search));
        return;
    }
    if (!strcmp(name, "proposals") && sw->search != OB_SWEEP_SEARCH_BAYES) return;
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)(!strcmp(name, "budget") ? sw->budget : sw->proposals));
    cJSON_AddStringToObject(n, name, buf);
}

/* --search, --budget and --proposals (README "Search strategies"); the
 * seed of a quasi-random or Bayesian search defaults to 0, the sequence
 * as GSL gives it.  0, or -1 with a message. */
int ob_sweep_search_parse(const cJSON *spec, ob_sweep *sw, char *err, size_t errlen)
{
    static const ob_sweep_search_kind kinds[] = {OB_SWEEP_SEARCH_SOBOL, OB_SWEEP_SEARCH_HALTON,
                                                 OB_SWEEP_SEARCH_BAYES};
    const char *s = sget(spec, "search");
    sw->search = sw->random ? OB_SWEEP_SEARCH_RANDOM : OB_SWEEP_SEARCH_GRID;
    if (ob_sweep_spec_count(spec, "budget", 1, &sw->budget, err, errlen) ||
        ob_sweep_spec_count(spec, "proposals", 1, &sw->proposals, err, errlen))
        return -1;
    if (!s) {
        if (sget(spec, "budget"))
            return ob_fail(err, errlen,
                           "--budget %s needs --search sobol, halton or bayes (--random N counts its own points)",
                           sget(spec, "budget"));
        if (sget(spec, "proposals")) return ob_fail(err, errlen, "--proposals is for --search bayes only");
        return 0;
    }
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (!strcmp(s, ob_sweep_search_name(kinds[k]))) sw->search = kinds[k];
    if (sw->search < OB_SWEEP_SEARCH_SOBOL)
        return ob_fail(err, errlen,
                       "unknown --search '%s' (known: sobol, halton, bayes; the grid needs no option, random "
                       "search is --random N)",
                       s);
    if (sw->random) return ob_fail(err, errlen, "give either --random N or --search %s, not both", s);
    if (!sw->budget)
        return ob_fail(err, errlen, "--search %s needs --budget N (settings per optimizer and problem)", s);
    if (sw->budget > OB_SWEEP_MAX_RUNS)
        return ob_fail(err, errlen, "--budget %llu: at most %d settings", (unsigned long long)sw->budget,
                       OB_SWEEP_MAX_RUNS);
    if (sw->search != OB_SWEEP_SEARCH_BAYES && sw->proposals)
        return ob_fail(err, errlen, "--proposals is for --search bayes only");
    if (sw->search == OB_SWEEP_SEARCH_BAYES && !sw->proposals) sw->proposals = 1;
    if (!sget(spec, "seed")) sw->seed = 0;
    return 0;
}

/* The number of points the search starts from (0: the grid).  The
 * Bayesian search starts from max(3, 2 d) Sobol points, d the number of
 * axes (the 2d of e.g. Shahriari et al. 2016's surveyed practice, at
 * least three so that the first fit has a slope and a curvature). */
uint64_t ob_sweep_first_points(const ob_sweep *sw)
{
    if (sw->search == OB_SWEEP_SEARCH_RANDOM) return sw->random;
    if (sw->search != OB_SWEEP_SEARCH_BAYES) return sw->budget;
    uint64_t init = 2 * (uint64_t)sw->n_axes < 3 ? 3 : 2 * (uint64_t)sw->n_axes;
    return init < sw->budget ? init : sw->budget;
}

