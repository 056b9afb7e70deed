/*
 * profile.c — the measures of ob_profile.h on a table of runtimes, and
 * the seeded bootstrap.  Pure functions: the tests compute every value by
 * hand (tests/test_profile.c).
 */
#include "ob_profile.h"

#include <math.h>
#include <stdlib.h>

double ob_prof_ratio(const double *t, size_t ns, size_t p, size_t s)
{
    const double *row = t + p * ns;
    if (!isfinite(row[s])) return INFINITY;
    double best = INFINITY;
    for (size_t k = 0; k < ns; k++)
        if (row[k] < best) best = row[k];
    return row[s] / best;
}

double ob_prof_perf(const double *t, size_t np, size_t ns, size_t s, double tau)
{
    size_t k = 0;
    for (size_t p = 0; p < np; p++) k += ob_prof_ratio(t, ns, p, s) <= tau;
    return np ? (double)k / (double)np : 0.0;
}

double ob_prof_data(const double *t, const double *dim, size_t np, size_t ns, size_t s, double alpha)
{
    size_t k = 0;
    for (size_t p = 0; p < np; p++) k += t[p * ns + s] / (dim[p] + 1.0) <= alpha;
    return np ? (double)k / (double)np : 0.0;
}

double ob_prof_ecdf(const double *t, size_t np, size_t ns, size_t s, double budget)
{
    size_t k = 0;
    for (size_t p = 0; p < np; p++) k += t[p * ns + s] <= budget;
    return np ? (double)k / (double)np : 0.0;
}

/* Problem p's share of the score: the area under 1[r_ps <= tau] from 1
 * to r_max, normalised. */
static double score_term(const double *t, size_t ns, size_t p, size_t s, double rmax)
{
    double r = ob_prof_ratio(t, ns, p, s);
    return r < rmax ? (rmax - r) / (rmax - 1.0) : 0.0;
}

double ob_prof_score(const double *t, size_t np, size_t ns, size_t s, double rmax)
{
    double sum = 0.0;
    for (size_t p = 0; p < np; p++) sum += score_term(t, ns, p, s, rmax);
    return np ? sum / (double)np : 0.0;
}

uint64_t ob_prof_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The 2.5% and 97.5% order statistics of v (sorted in place). */
static void interval(double *v, size_t reps, double *lo, double *hi)
{
    qsort(v, reps, sizeof *v, cmp_double);
    *lo = v[(size_t)floor(0.025 * (double)(reps - 1))];
    *hi = v[(size_t)ceil(0.975 * (double)(reps - 1))];
}

/* Per group: the rows' sum of x[p] and the count of rows (for a mean over
 * resampled groups). */
typedef struct groups {
    double *sum, *cnt;
    size_t ng;
} groups;

static int groups_init(groups *g, size_t np, const size_t *group, size_t ng)
{
    g->ng = group ? ng : np;
    g->sum = calloc(g->ng ? g->ng : 1, sizeof *g->sum);
    g->cnt = calloc(g->ng ? g->ng : 1, sizeof *g->cnt);
    if (!g->sum || !g->cnt) {
        free(g->sum);
        free(g->cnt);
        return -1;
    }
    for (size_t p = 0; p < np; p++) g->cnt[group ? group[p] : p] += 1;
    return 0;
}

/* One replicate: the mean of the rows of ng groups drawn with replacement. */
static double replicate(const groups *g, uint64_t *state)
{
    double sum = 0, cnt = 0;
    for (size_t k = 0; k < g->ng; k++) {
        size_t i = (size_t)(ob_prof_rand(state) % g->ng);
        sum += g->sum[i];
        cnt += g->cnt[i];
    }
    return cnt > 0 ? sum / cnt : 0.0;
}

int ob_prof_boot_score(const double *t, size_t np, size_t ns, size_t s, double rmax, const size_t *group,
                       size_t ng, uint64_t seed, size_t reps, double *lo, double *hi)
{
    groups g;
    double *v = malloc((reps ? reps : 1) * sizeof *v);
    if (!v || groups_init(&g, np, group, ng) != 0) {
        free(v);
        return -1;
    }
    for (size_t p = 0; p < np; p++) g.sum[group ? group[p] : p] += score_term(t, ns, p, s, rmax);
    uint64_t state = seed;
    for (size_t r = 0; r < reps; r++) v[r] = replicate(&g, &state);
    if (reps) interval(v, reps, lo, hi);
    else *lo = *hi = ob_prof_score(t, np, ns, s, rmax);
    free(v);
    free(g.sum);
    free(g.cnt);
    return 0;
}

int ob_prof_boot_ecdf(const double *t, size_t np, size_t ns, size_t s, const size_t *group, size_t ng,
                      const double *budgets, size_t nb, uint64_t seed, size_t reps, double *lo, double *hi)
{
    groups g;
    double *v = malloc((reps ? reps : 1) * sizeof *v);
    if (!v || groups_init(&g, np, group, ng) != 0) {
        free(v);
        return -1;
    }
    for (size_t b = 0; b < nb; b++) {
        for (size_t k = 0; k < g.ng; k++) g.sum[k] = 0;
        for (size_t p = 0; p < np; p++) g.sum[group ? group[p] : p] += t[p * ns + s] <= budgets[b];
        /* The same draws at every budget: a band of whole curves. */
        uint64_t state = seed;
        for (size_t r = 0; r < reps; r++) v[r] = replicate(&g, &state);
        if (reps) interval(v, reps, &lo[b], &hi[b]);
        else lo[b] = hi[b] = ob_prof_ecdf(t, np, ns, s, budgets[b]);
    }
    free(v);
    free(g.sum);
    free(g.cnt);
    return 0;
}
