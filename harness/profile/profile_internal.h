/*
 * profile_internal.h — shared by the files of harness/profile/: the runs
 * read into cases (profile_read.c), the tables built from them and the
 * files written (profile_out.c).  Internal; the prefix is pf_.
 */
#ifndef OB_PROFILE_INTERNAL_H
#define OB_PROFILE_INTERNAL_H

#include "ob_profile.h"

#define PF_TARGETS 51

/* One case of a run: a solver (optimizer, "+sam") on a problem instance. */
typedef struct pf_case {
    char problem[64]; /* "mgh_rosenbrock" */
    char key[160];    /* the problem instance: "mgh_rosenbrock.i2" */
    char family[32];
    char solver[64]; /* "adam", "adam+sam"; overlaid: "adam@<label>" */
    size_t run;      /* which run folder */
    int skip;        /* overlay with intersect: an instance not every run has */
    double dim;
    double gpe; /* gradient evaluations per step */
    int has_fstar;
    double fstar, f0;
    double evals[PF_TARGETS]; /* f* known: to target j, INFINITY never */
    double *trace_s, *trace_f; /* f* unknown: (step, loss); NaN loss where diverged */
    size_t n_trace;
} pf_case;

typedef struct pf_model {
    pf_case *c;
    size_t n;
    char source[640]; /* what the runs are (overlaid: each run's, "label: ...; ...") */
    char labels[512]; /* overlay: the runs' labels, space-separated */
    size_t n_runs;
    int intersect, match_cases;
    char path[16];    /* the path profiled: "fp32" or "reference" */
} pf_model;

/* Reads the runs' results.json into m; OB_EXIT_OK, or an exit code with
 * a message. */
int pf_read(const ob_profile_opts *o, pf_model *m, char *err, size_t errlen);
void pf_free(pf_model *m);

/* The target j of the grid (10^(2 - j/5)), as `optbench run` records. */
double pf_target(size_t j);

/* Rows of runtimes (evaluations, INFINITY unsolved) by solver, each row
 * in a group (its problem instance). */
typedef struct pf_rows {
    double *t; /* n x ns */
    size_t *group;
    double *dim; /* per row: the problem's n */
    size_t n, cap, ngroups, last_key;
} pf_rows;

/* The tables of a profile (profile_tables.c). */
typedef struct pf_tables {
    char (*solvers)[64]; /* kept: those that ran every problem instance */
    size_t ns;
    char (*keys)[160]; /* problem instances */
    char (*fam_of)[32];
    size_t np;
    char dropped[1024]; /* solvers left out, comma-separated */
    pf_rows mw;         /* one row per instance: evaluations to the Moré-Wild test */
    char (*families)[32]; /* "all" first, then each family with f* */
    pf_rows *ecdf;        /* per family: (instance, target) triples */
    size_t nf;
} pf_tables;

/* Overlay: checks (or, with intersect, marks) the instances the runs share. */
int pf_tables_build(pf_model *m, double tau, pf_tables *t, char *err, size_t errlen);
void pf_tables_free(pf_tables *t);

/* Writes the CSVs, figures, profile.json and profile.md (profile_out.c). */
int pf_write(const ob_profile_opts *o, const pf_model *m, const pf_tables *t, const char *out, char *err,
             size_t errlen);

#endif
