/*
 * profile_tables.c — the tables of `optbench profile` from the cases read:
 *   - one row per problem instance: the evaluations until Moré & Wild's
 *     test f(x0) - f <= ... holds, i.e. f - f_L <= tau (f(x0) - f_L), with
 *     f_L = f* where known, else the lowest loss any kept solver reached
 *     (their traces); with f* known the test's threshold is rounded down to
 *     the target grid (stricter by at most 10^0.2; below 10^-8 the last
 *     target): these feed the performance and data profiles and the score;
 *   - per family with f* (and over all of them): one row per (instance,
 *     target) triple, the targets f - f* <= 10^(2 - j/5) that the start
 *     does not already meet: the runtime ECDFs.
 * Only solvers that ran every problem instance are kept (a profile
 * compares solvers on the same problems); the others are named.
 */
#include "profile_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"

static int rows_add(pf_rows *r, size_t ns, const double *t, size_t key, double dim)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        double *nt = realloc(r->t, cap * ns * sizeof *nt);
        if (nt) r->t = nt;
        size_t *ng = realloc(r->group, cap * sizeof *ng);
        if (ng) r->group = ng;
        double *nd = realloc(r->dim, cap * sizeof *nd);
        if (nd) r->dim = nd;
        if (!nt || !ng || !nd) return -1;
        r->cap = cap;
    }
    /* Groups numbered densely in the order rows come (an instance's rows
     * are added together), so that the bootstrap draws only groups that
     * have rows. */
    if (r->n == 0 || key != r->last_key) r->ngroups++;
    r->last_key = key;
    memcpy(r->t + r->n * ns, t, ns * sizeof *t);
    r->group[r->n] = r->ngroups - 1;
    r->dim[r->n++] = dim;
    return 0;
}

static void rows_free(pf_rows *r)
{
    free(r->t);
    free(r->group);
    free(r->dim);
}

void pf_tables_free(pf_tables *t)
{
    rows_free(&t->mw);
    for (size_t f = 0; f < t->nf; f++) rows_free(&t->ecdf[f]);
    free(t->ecdf);
    free(t->families);
    free(t->solvers);
    free(t->keys);
    free(t->fam_of);
    memset(t, 0, sizeof *t);
}

static size_t find_name(const char (*names)[64], size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], s)) return i;
    return n;
}

/* The same solver, its run's "@<label>" aside. */
static int same_base(const char *a, const char *b)
{
    size_t la = strcspn(a, "@"), lb = strcspn(b, "@");
    return la == lb && !strncmp(a, b, la);
}

/* Overlay: every run must hold the same problem instances (with
 * match_cases, the same cases: instance and solver); with intersect, what
 * some run lacks is skipped instead. */
static int match_runs(pf_model *m, char *err, size_t errlen)
{
    if (!m->labels[0]) return 0;
    size_t missing = 0, first = 0, in_run = 0;
    for (size_t i = 0; i < m->n; i++)
        for (size_t r = 0; r < m->n_runs; r++) {
            int found = 0;
            for (size_t k = 0; k < m->n && !found; k++)
                found = m->c[k].run == r && !strcmp(m->c[k].key, m->c[i].key) &&
                        (!m->match_cases || same_base(m->c[k].solver, m->c[i].solver));
            if (found) continue;
            if (!missing++) first = i, in_run = r;
            m->c[i].skip = 1;
        }
    if (!missing || m->intersect) return 0;
    char lab[128] = "";
    const char *p = m->labels;
    for (size_t r = 0; r < in_run && p; r++) p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
    snprintf(lab, sizeof lab, "%.*s", p ? (int)strcspn(p, " ") : 0, p ? p : "");
    return ob_fail(err, errlen,
                   "the runs hold different %s: %s (of %s) is not in run %s, and %zu more "
                   "differences; --intersect compares the %s every run has",
                   m->match_cases ? "cases" : "problem instances",
                   m->c[first].key, m->c[first].solver, lab, missing - 1,
                   m->match_cases ? "cases" : "instances");
}

/* Solvers and problem instances, and which case ran each pair. */
static int index_cases(const pf_model *m, pf_tables *t, const pf_case ***grid, char *err, size_t errlen)
{
    char(*sv)[64] = calloc(m->n, sizeof *sv);
    t->keys = calloc(m->n, sizeof *t->keys);
    t->fam_of = calloc(m->n, sizeof *t->fam_of);
    size_t ns = 0;
    if (!sv || !t->keys || !t->fam_of) return free(sv), ob_fail(err, errlen, "out of memory");
    for (size_t i = 0; i < m->n; i++) {
        if (m->c[i].skip) continue;
        if (find_name((const char(*)[64])sv, ns, m->c[i].solver) == ns) snprintf(sv[ns++], 64, "%s", m->c[i].solver);
        size_t k = 0;
        while (k < t->np && strcmp(t->keys[k], m->c[i].key)) k++;
        if (k == t->np) {
            snprintf(t->keys[t->np], sizeof t->keys[0], "%s", m->c[i].key);
            snprintf(t->fam_of[t->np++], sizeof t->fam_of[0], "%s", m->c[i].family);
        }
    }
    const pf_case **g = calloc(t->np * ns, sizeof *g);
    if (!g) return free(sv), ob_fail(err, errlen, "out of memory");
    for (size_t i = 0; i < m->n; i++) {
        if (m->c[i].skip) continue;
        size_t k = 0;
        while (strcmp(t->keys[k], m->c[i].key)) k++;
        g[k * ns + find_name((const char(*)[64])sv, ns, m->c[i].solver)] = &m->c[i];
    }
    /* Kept: the solvers that ran every instance. */
    t->solvers = calloc(ns ? ns : 1, sizeof *t->solvers);
    const pf_case **kept = calloc(t->np * (ns ? ns : 1), sizeof *kept);
    if (!t->solvers || !kept) return free(sv), free(g), free(kept), ob_fail(err, errlen, "out of memory");
    for (size_t s = 0; s < ns; s++) {
        int all = 1;
        for (size_t k = 0; k < t->np; k++) all &= g[k * ns + s] != NULL;
        if (!all) {
            size_t l = strlen(t->dropped);
            snprintf(t->dropped + l, sizeof t->dropped - l, "%s%s", l ? ", " : "", sv[s]);
            continue;
        }
        for (size_t k = 0; k < t->np; k++) kept[k * ns + t->ns] = g[k * ns + s];
        snprintf(t->solvers[t->ns++], 64, "%s", sv[s]);
    }
    /* Compact to ns = t->ns columns. */
    for (size_t k = 0; k < t->np; k++)
        for (size_t s = 0; s < t->ns; s++) kept[k * t->ns + s] = kept[k * ns + s];
    free(sv);
    free(g);
    *grid = kept;
    if (!t->ns) return ob_fail(err, errlen, "no optimizer ran every problem instance (%s)", t->dropped);
    return 0;
}

/* Evaluations until loss <= thr along a trace; INFINITY if never. */
static double trace_runtime(const pf_case *c, double thr)
{
    for (size_t i = 0; i < c->n_trace; i++)
        if (c->trace_f[i] <= thr) return c->trace_s[i] * c->gpe + 1;
    return INFINITY;
}

/* The Moré-Wild row of instance k. */
static void mw_row(const pf_case *const *row, size_t ns, double tau, double *t)
{
    const pf_case *c0 = row[0];
    if (c0->has_fstar) {
        double thr = tau * (c0->f0 - c0->fstar);
        size_t j = 0;
        while (j + 1 < PF_TARGETS && !(pf_target(j) <= thr)) j++;
        for (size_t s = 0; s < ns; s++) t[s] = thr > 0 ? row[s]->evals[j] : 1;
        return;
    }
    double fl = INFINITY;
    for (size_t s = 0; s < ns; s++)
        for (size_t i = 0; i < row[s]->n_trace; i++)
            if (row[s]->trace_f[i] < fl) fl = row[s]->trace_f[i];
    for (size_t s = 0; s < ns; s++) t[s] = trace_runtime(row[s], fl + tau * (c0->f0 - fl));
}

static size_t family_index(pf_tables *t, const char *fam)
{
    for (size_t f = 0; f < t->nf; f++)
        if (!strcmp(t->families[f], fam)) return f;
    snprintf(t->families[t->nf], sizeof t->families[0], "%s", fam);
    return t->nf++;
}

int pf_tables_build(pf_model *m, double tau, pf_tables *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (match_runs(m, err, errlen) != 0) return -1;
    const pf_case **grid = NULL;
    if (index_cases(m, t, &grid, err, errlen) != 0) return free(grid), -1;
    size_t ns = t->ns;
    double *row = malloc(ns * sizeof *row);
    t->families = calloc(t->np + 1, sizeof *t->families);
    t->ecdf = calloc(t->np + 1, sizeof *t->ecdf);
    int bad = !row || !t->families || !t->ecdf;
    if (!bad) family_index(t, "all");
    for (size_t k = 0; !bad && k < t->np; k++) {
        const pf_case *const *g = grid + k * ns;
        mw_row(g, ns, tau, row);
        bad = rows_add(&t->mw, ns, row, k, g[0]->dim) != 0;
        if (!g[0]->has_fstar) continue;
        size_t f = family_index(t, g[0]->family);
        for (size_t j = 0; !bad && j < PF_TARGETS; j++) {
            if (!(pf_target(j) < g[0]->f0 - g[0]->fstar)) continue; /* the start meets it */
            for (size_t s = 0; s < ns; s++) row[s] = g[s]->evals[j];
            bad = rows_add(&t->ecdf[0], ns, row, k, g[0]->dim) || rows_add(&t->ecdf[f], ns, row, k, g[0]->dim);
        }
    }
    free(row);
    free(grid);
    if (bad) return ob_fail(err, errlen, "out of memory for the profile tables");
    return 0;
}
