/*
 * engine_internal.h — the trajectory engine's working memory, shared by
 * engine.c (the reference and fp32 paths, convergence, the run) and
 * engine_mixed.c (kernel paths in a storage format, ob_engine_cfg.format).
 * Internal to harness/engine/; the prefix is eng_.
 */
#ifndef OB_ENGINE_INTERNAL_H
#define OB_ENGINE_INTERNAL_H

#include "ob_engine.h"

/* One kernel path.  x is the path's parameters as fp32: the iterate
 * itself on an fp32 path, the stored parameters widened (exactly) on a
 * mixed path, so that measuring, sharing gradients and comparing x work
 * the same for both. */
typedef struct epath {
    int active;
    float *x, *g, *st[OB_MAX_STATE];
    float *xhat, *gs;                          /* SAM: x_hat, the gradient there */
    double f;                                  /* f_t at the point of this step's gradient */
    double loss, gap, dist, gnorm, agree, dev; /* at the last measured or checked step */
    double clock;                              /* accumulated time */
    /* Mixed paths: p, g and the state in the format's element types, the
     * loss scale (fp16 gradients), the steps since it last changed, and
     * the optimizer steps taken (a skipped step does not count: t of the
     * update and of stochastic rounding is this plus one). */
    void *mp, *mg, *mst[OB_MAX_STATE];
    double loss_scale, scale_used; /* scale_used: the one the last step's gradient had */
    uint64_t good, t_opt;
} epath;

typedef struct eng {
    const ob_engine_objective *obj;
    const ob_engine_cfg *c;
    ob_engine_result *r;
    size_t n;
    int ref;                             /* the reference path runs */
    int conv;                            /* convergence is measured: times and gradient norms too */
    int lead;                            /* the lowest fp32 ISA that runs, -1 none */
    double *xr, *gr, *str[OB_MAX_STATE]; /* the reference path */
    double *xhr, *gsr;                   /* its SAM x_hat and gradient */
    double *xprev, *gd;                  /* an fp32 x widened, its gradient in double */
    double *gview, *xview;               /* the views a step observer gets (with one) */
    double *xa, *ga, *sa[OB_MAX_STATE], *scale[1 + OB_MAX_STATE]; /* agreement */
    float *lead_x; /* the first stepped path's x before its step */
    ob_engine_mistake mistake; /* the test hook's, read once at the start (NONE in production) */
    /* Monitoring (engine_monitor.c): whether step t will be measured, the
     * reference's x before it, the effective learning rates, the result. */
    int mon_due;
    double *xmon, *effbuf;
    ob_engine_monitor mon;
    epath p[OB_ENGINE_KPATHS]; /* the ISAs, then the extra paths */
} eng;

/* The Euclidean norm of x. */
double eng_norm2(const double *x, size_t n);

/* Widens n floats to double. */
void eng_widen(const float *a, double *b, size_t n);

/* Records the first element (of esize bytes) where a and b differ bit for
 * bit, if any, as r's first difference; returns nonzero if there is one. */
int eng_first_diff(const void *a, const void *b, size_t n, size_t esize, uint64_t t, const char *array,
                   ob_engine_path_result *r);

/* Records an agreement error of path i at step t in its result and tells
 * the agreement observer. */
void eng_record_agree(eng *e, int i, uint64_t t, double err, size_t at, const char *array);

/* Monitoring (engine_monitor.c, ob_engine_cfg.monitor): the buffers (-1
 * when out of memory), then around the reference step of a measured step:
 * before it (keeps x), after it (fills e->mon from x, the gradient the
 * step used, the state and the hyperparameters in force). */
int eng_monitor_alloc(eng *e, size_t n);
void eng_monitor_free(eng *e);
void eng_monitor_before(eng *e);
void eng_monitor_reset(ob_engine_monitor *m);
void eng_monitor_after(eng *e, const ob_hparams *ht, uint64_t t, const double *g);

/* Mixed paths (engine_mixed.c): the storage of path p (-1 when out of
 * memory), its start from x0, its release, and step t (0, or -1 with a
 * message and the engine status in *status). */
int eng_mixed_alloc(const ob_engine_cfg *c, size_t n, epath *p);
void eng_mixed_start(eng *e, epath *p);
void eng_mixed_free(epath *p);
/* A measured row's loss scale and skipped steps (those of the lead path). */
void eng_mixed_row(const eng *e, ob_engine_row *row);
int eng_mixed_step(eng *e, int i, int glead, const ob_hparams *ht, uint64_t t, int check, int *status,
                   char *err, size_t errlen);

#endif
