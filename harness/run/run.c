/*
 * run.c — one case: the fp64 reference path and the fp32 kernel paths,
 * stepped together.
 *
 * Per step t, for each fp32 path (one per ISA):
 *   1. the gradient is evaluated in double at the path's own x (widened)
 *      and rounded to fp32 (reused from another path whose x is bitwise
 *      the same, which is every path while the ISAs agree);
 *   2. the reference step is computed from the path's own state, widened
 *      to double, with its error scales, and the kernel step is compared
 *      with it (single-step agreement, README "Agreement bounds");
 *   3. x and every state array are compared bit for bit with the scalar
 *      path, and the first step/element/array that differs is recorded;
 *   4. box constraints are applied (projection after every step).
 * The reference path runs the reference alone from x0 in double; the
 * deviation of each fp32 trajectory from it is recorded over time.
 *
 * With SAM (sam_rho > 0, kernels/framework/ob_sam.h) every path evaluates the
 * gradient twice per step: at x, then at the perturbed point x_hat (the
 * path's own ob_sam_perturb on its ISA, or ob_ref_sam_perturb on the
 * reference path) with the same t, hence the same mini-batch (a problem's
 * sample depends only on (seed, t)); the base step uses the second
 * gradient.  Step 2 then measures the base step with that gradient, and
 * step 3 also compares x_hat bit for bit.  Counts of gradient evaluations
 * are recorded (grad_evals) so runs compare per evaluation.
 */
#include "ob_run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include "kernels/framework/ob_sam.h"
#include "optbench/reference.h"
#include "harness/core/ob_agree.h"
#include "harness/core/ob_args.h"
#include "harness/core/ob_interrupt.h"
#include "harness/core/ob_results.h"
#include "harness/core/ob_state.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double norm2(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return sqrt(s);
}

static double dist_to(const double *x, const double *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (x[i] - y[i]) * (x[i] - y[i]);
    return sqrt(s);
}

static void widen(const float *a, double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] = (double)a[i];
}

/* Box projection of an fp32 path: the same clamp as the reference's. */
static void project_f32(const ob_problem *pb, float *x, size_t n)
{
    if (!pb->has_box) return;
    const float lo = (float)pb->box_lo, hi = (float)pb->box_hi;
    for (size_t i = 0; i < n; i++) {
        if (x[i] < lo) x[i] = lo;
        else if (x[i] > hi) x[i] = hi;
    }
}

/* Per-path working memory and figures. */
typedef struct path {
    int active;
    float *x, *g, *st[OB_MAX_STATE];
    float *xhat, *gs;                            /* SAM: x_hat, gradient there */
    double loss, gap, dist, gnorm, agree, dev;  /* at the last recorded step */
    double clock;                                /* accumulated time */
} path;

typedef struct work {
    size_t n;
    double *xr, *gr, *str[OB_MAX_STATE];         /* reference path */
    double *xhr, *gsr;                           /* its SAM x_hat and gradient */
    double *xd, *gd;                             /* widened x, double gradient */
    double *xa, *ga, *sa[OB_MAX_STATE], *scale[1 + OB_MAX_STATE];  /* agreement */
    path p[OB_ISA_COUNT];
} work;

static void work_free(work *w)
{
    free(w->xr);
    free(w->gr);
    free(w->xd);
    free(w->gd);
    free(w->xa);
    free(w->ga);
    free(w->xhr);
    free(w->gsr);
    ob_state_free_f64(w->str);
    ob_state_free_f64(w->sa);
    for (int k = 0; k < 1 + OB_MAX_STATE; k++) free(w->scale[k]);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        free(w->p[i].x);
        free(w->p[i].g);
        free(w->p[i].xhat);
        free(w->p[i].gs);
        ob_state_free_f32(w->p[i].st);
    }
}

static int work_alloc(work *w, const ob_case *c, size_t n)
{
    memset(w, 0, sizeof *w);
    w->n = n;
    size_t m = n ? n : 1;
    const ob_optimizer *o = c->opt;
    int bad = !(w->xr = malloc(m * sizeof(double))) || !(w->gr = calloc(m, sizeof(double))) ||
              !(w->xd = malloc(m * sizeof(double))) || !(w->gd = calloc(m, sizeof(double))) ||
              !(w->xa = malloc(m * sizeof(double))) || !(w->ga = malloc(m * sizeof(double))) ||
              ob_state_alloc_f64(o, &c->h, n, w->str) != 0 || ob_state_alloc_f64(o, &c->h, n, w->sa) != 0;
    const int sam = ob_sam_active(&c->h);
    if (!bad && sam) bad = !(w->xhr = malloc(m * sizeof(double))) || !(w->gsr = malloc(m * sizeof(double)));
    for (size_t k = 0; !bad && k < 1 + o->n_state; k++) bad = !(w->scale[k] = calloc(m, sizeof(double)));
    for (int i = 0; !bad && i < OB_ISA_COUNT; i++) {
        if (!((c->isa_mask >> i) & 1u)) continue;
        path *p = &w->p[i];
        p->active = 1;
        bad = !(p->x = malloc(m * sizeof(float))) || !(p->g = calloc(m, sizeof(float))) ||
              ob_state_alloc_f32(o, &c->h, n, p->st) != 0;
        if (!bad && sam) bad = !(p->xhat = malloc(m * sizeof(float))) || !(p->gs = malloc(m * sizeof(float)));
    }
    if (bad) work_free(w);
    return bad ? -1 : 0;
}

/* Records the first element where a and b differ bit for bit (if any) as
 * the path's first difference; returns nonzero if there is one. */
static int first_diff(const float *a, const float *b, size_t n, uint64_t t, const char *array, ob_path_result *r)
{
    for (size_t j = 0; j < n; j++) {
        if (memcmp(&a[j], &b[j], sizeof(float)) != 0) {
            r->identical = 0;
            r->first_diff_step = t;
            r->first_diff_elem = j;
            snprintf(r->first_diff_array, sizeof r->first_diff_array, "%s", array);
            return 1;
        }
    }
    return 0;
}

/* Compares path i's x_hat (with SAM), x and state with the scalar path's,
 * bit for bit. */
static void check_identical(const ob_case *c, work *w, int i, uint64_t t, ob_path_result *r)
{
    const path *a = &w->p[OB_ISA_SCALAR], *b = &w->p[i];
    if (!r->identical) return;  /* the first difference is what matters */
    size_t n = w->n;
    /* The SAM perturbation comes first in the step. */
    if (a->xhat && first_diff(a->xhat, b->xhat, n, t, "x_hat", r)) return;
    if (first_diff(a->x, b->x, n, t, "p", r)) return;
    unsigned mask = c->opt->state_mask(&c->h);
    for (size_t k = 0; k < c->opt->n_state; k++) {
        if (!((mask >> k) & 1u)) continue;
        if (first_diff(a->st[k], b->st[k], n, t, c->opt->state_names[k], r)) return;
    }
}

/* One fp32 step of path i, with its agreement check.  Returns the step's
 * worst agreement error (u*S) and where. */
static double fp32_step(const ob_case *c, ob_problem *pb, work *w, int i, int lead,
                        const ob_hparams *ht, uint64_t t, size_t *at, const char **array)
{
    const ob_optimizer *o = c->opt;
    path *p = &w->p[i];
    size_t n = w->n;
    /* 1. gradient at this path's x, shared with the lead path when equal. */
    if (lead >= 0 && memcmp(p->x, w->p[lead].x, n * sizeof(float)) == 0) {
        memcpy(p->g, w->p[lead].g, n * sizeof(float));
        p->gnorm = w->p[lead].gnorm;
    } else {
        widen(p->x, w->xd, n);
        pb->eval(pb, w->xd, w->gd, t);
        for (size_t j = 0; j < n; j++) p->g[j] = (float)w->gd[j];
        p->gnorm = norm2(w->gd, n);
    }
    /* 1b. SAM: x_hat on this path's ISA, and the gradient there with the
     * same t (the same mini-batch), shared like the first.  The keys were
     * validated and the ISA runs here, so the perturbation cannot fail. */
    const float *gstep = p->g;
    if (p->xhat) {
        if (ob_sam_perturb((ob_isa)i, ht, n, p->x, p->g, p->xhat, c->threads) != 0)
            memcpy(p->xhat, p->x, n * sizeof(float));
        if (lead >= 0 && memcmp(p->xhat, w->p[lead].xhat, n * sizeof(float)) == 0) {
            memcpy(p->gs, w->p[lead].gs, n * sizeof(float));
        } else {
            widen(p->xhat, w->xd, n);
            pb->eval(pb, w->xd, w->gd, t);
            for (size_t j = 0; j < n; j++) p->gs[j] = (float)w->gd[j];
        }
        gstep = p->gs;
    }
    /* 2. the reference step from this path's own state. */
    widen(p->x, w->xa, n);
    widen(gstep, w->ga, n);
    for (size_t k = 0; k < o->n_state; k++) widen(p->st[k], w->sa[k], n);
    o->reference(ht, t, n, w->xa, w->ga, w->sa, w->scale);
    ob_step_scalars s;
    o->prepare(ht, t, &s);
    ob_kernel_fn k = c->kernel_override[i] ? c->kernel_override[i] : ob_optimizer_kernel(o, (ob_isa)i);
    ob_run_kernel_threaded((ob_isa)i, k, n, p->x, gstep, p->st, o->n_state, &s, c->threads);
    size_t where = 0;
    double worst = ob_agree_error(p->x, w->xa, w->scale[0], n, &where);
    *at = where;
    *array = "p";
    unsigned mask = o->state_mask(ht);
    for (size_t j = 0; j < o->n_state; j++) {
        if (!((mask >> j) & 1u)) continue;
        double e = ob_agree_error(p->st[j], w->sa[j], w->scale[1 + j], n, &where);
        if (e > worst) {
            worst = e;
            *at = where;
            *array = o->state_names[j];
        }
    }
    /* 4. feasibility. */
    project_f32(pb, p->x, n);
    return worst;
}

/* Loss, gap and distance to x* at x (double). */
static void measure(ob_problem *pb, const double *x, uint64_t t, double *loss, double *gap, double *dist)
{
    *loss = pb->loss(pb, x, t);
    *gap = pb->has_fstar ? *loss - pb->fstar : NAN;
    *dist = pb->xstar ? dist_to(x, pb->xstar, pb->n) : NAN;
}

static void track_target(ob_problem *pb, ob_path_result *r, double gap, double loss, uint64_t t, double clock)
{
    if (!r->diverged_at && !isfinite(loss)) r->diverged_at = t;
    if (pb->has_fstar && !r->steps_to_target && gap <= pb->tol && t > 0) {
        r->steps_to_target = t;
        r->time_to_target_s = clock;
    }
}

static void csv_header(FILE *f, const ob_case *c, size_t n)
{
    fprintf(f, "step,ref_loss,ref_gap,ref_dist,ref_gnorm");
    if (n == 2) fprintf(f, ",ref_x1,ref_x2");
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!((c->isa_mask >> i) & 1u)) continue;
        const char *nm = ob_isa_name((ob_isa)i);
        fprintf(f, ",%s_loss,%s_gap,%s_dist,%s_gnorm,%s_agree,%s_dev", nm, nm, nm, nm, nm, nm);
        if (n == 2) fprintf(f, ",%s_x1,%s_x2", nm, nm);
    }
    fprintf(f, ",grad_evals\n");
}

static void csv_row(FILE *f, const ob_case *c, const work *w, uint64_t t, double rl, double rg,
                    double rd, double rn)
{
    fprintf(f, "%llu,%.9g,%.9g,%.9g,%.9g", (unsigned long long)t, rl, rg, rd, rn);
    if (w->n == 2) fprintf(f, ",%.9g,%.9g", w->xr[0], w->xr[1]);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!((c->isa_mask >> i) & 1u)) continue;
        const path *p = &w->p[i];
        fprintf(f, ",%.9g,%.9g,%.9g,%.9g,%.9g,%.9g", p->loss, p->gap, p->dist, p->gnorm, p->agree, p->dev);
        if (w->n == 2) fprintf(f, ",%.9g,%.9g", (double)p->x[0], (double)p->x[1]);
    }
    /* Gradient evaluations of each path up to step t. */
    fprintf(f, ",%llu\n", (unsigned long long)(t * (w->xhr ? 2 : 1)));
}

/* ---- memory ----------------------------------------------------------------- */

/* Bytes a case needs per element: work_alloc's double vectors (x, g, the
 * widened copies, the agreement inputs: 6), the reference and agreement
 * state and the error scales (3 per state array + 1), fp32 x, g and state
 * per ISA, SAM's x_hat and gradient (double and per ISA), and about 4
 * doubles the problem keeps (x0, x*, data). */
static double bytes_per_element(const ob_case *c)
{
    double ns = (double)c->opt->n_state, isas = 0;
    for (int i = 0; i < OB_ISA_COUNT; i++) isas += (c->isa_mask >> i) & 1u;
    const double sam = ob_sam_active(&c->h) ? 2 : 0;  /* x_hat and its gradient */
    return 8.0 * (6 + 3 * ns + 1 + 4 + sam) + 4.0 * (2 + ns + sam) * isas;
}

double ob_memory_available(void)
{
    double avail = INFINITY, kb_avail = -1, kb_swap = 0, kb_vm = 0, kb;
    char line[256];
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) kb_avail = kb;
        else if (sscanf(line, "SwapFree: %lf kB", &kb) == 1) kb_swap = kb;
    }
    if (f) fclose(f);
    if (kb_avail >= 0) avail = 1024.0 * (kb_avail + kb_swap);
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        f = fopen("/proc/self/status", "r");
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "VmSize: %lf kB", &kb) == 1) kb_vm = kb;
        if (f) fclose(f);
        double left = (double)rl.rlim_cur - 1024.0 * kb_vm;
        if (left < avail) avail = left > 0 ? left : 0;
    }
    return avail;
}

static void fmt_bytes(char *buf, size_t len, double b)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int k = 0;
    while (b >= 1024 && k < 6) {
        b /= 1024;
        k++;
    }
    snprintf(buf, len, "%.1f %s", b, unit[k]);
}

/* A case too large for this machine is refused with a clear message
 * before any allocation: the kernel's overcommit would otherwise let the
 * mallocs succeed and the OOM killer end the run. */
static int memory_check(const ob_case *c, char *err, size_t errlen)
{
    size_t n = c->n ? c->n : c->problem->default_n;
    double need = bytes_per_element(c) * (double)n, avail = ob_memory_available();
    if (need <= avail) return 0;
    char a[32], b[32];
    fmt_bytes(a, sizeof a, need);
    fmt_bytes(b, sizeof b, avail);
    snprintf(err, errlen, "n = %zu is too large: the case needs about %s of memory, %s are available", n, a, b);
    return -1;
}

static int problem_exit_code(ob_problem_error why)
{
    return why == OB_PROBLEM_EDATA ? OB_EXIT_DATA : why == OB_PROBLEM_ENOMEM ? OB_EXIT_FAIL : OB_EXIT_USAGE;
}

/* Creates the case's problem; -1 with a message and *code on failure. */
static int create_problem(const ob_case *c, ob_problem **pb, int *code, char *err, size_t errlen)
{
    const char *params[OB_MAX_PROBLEM_PARAMS];
    for (size_t k = 0; k < c->n_pparams; k++) params[k] = c->pparams[k];
    ob_problem_error why = OB_PROBLEM_OK;
    ob_problem_config cfg = {.n = c->n, .seed = c->seed, .batch = c->batch,
                             .params = params, .n_params = c->n_pparams, .why = &why};
    if (memory_check(c, err, errlen) != 0) {
        *code = OB_EXIT_FAIL;
        return -1;
    }
    if (ob_problem_create(c->problem->name, &cfg, pb, err, errlen) != 0) {
        *code = problem_exit_code(why);
        return -1;
    }
    return 0;
}

int ob_case_check(const ob_case *c, char *err, size_t errlen)
{
    /* The schedule at the first and the last step: a onecycle shorter than
     * the run, or an lr that decays or grows out of range, is a bad input
     * found now rather than a failure after hours.  (Every schedule is
     * monotone or bounded between its ends.) */
    uint64_t ends[2] = {1, c->steps};
    for (int k = 0; k < 2; k++) {
        ob_hparams ht;
        char msg[512];
        if (ob_schedule_apply(&c->sched, c->opt, &c->h, ends[k], &ht, msg, sizeof msg) != 0 ||
            ob_validate(c->opt, &ht, msg, sizeof msg) != 0) {
            snprintf(err, errlen, "step %llu of %llu: %s", (unsigned long long)ends[k], (unsigned long long)c->steps, msg);
            return OB_EXIT_USAGE;
        }
    }
    ob_problem *pb = NULL;
    int code = OB_EXIT_OK;
    if (create_problem(c, &pb, &code, err, errlen) == 0) ob_problem_destroy(pb);
    return code;
}

void ob_case_id(const ob_case *c, char *buf, size_t len)
{
    /* SAM cases say so ("quad_diag.adam+sam"): the same problem and
     * optimizer usually run without it too. */
    snprintf(buf, len, "%s.%s%s", c->problem->name, c->opt->name, ob_sam_label(c->h.sam_rho, c->h.sam_adaptive));
}

int ob_run_case(const ob_case *asked, const char *csv_path, ob_case_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    ob_case runnable = *asked;  /* without the paths that have no kernel: SKIPPED */
    const ob_case *c = &runnable;
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (((c->isa_mask >> i) & 1u) && !c->kernel_override[i] && !ob_optimizer_kernel(c->opt, (ob_isa)i)) {
            runnable.isa_mask &= ~(1u << i);
            snprintf(r->isa[i].skipped, sizeof r->isa[i].skipped, "no %s kernel", ob_isa_name((ob_isa)i));
        }
    const ob_optimizer *o = c->opt;
    ob_problem *pb = NULL;
    if (create_problem(c, &pb, &r->exit_code, err, errlen) != 0) return -1;
    size_t n = pb->n;
    ob_case_id(c, r->id, sizeof r->id);
    r->n = n;
    r->fstar = pb->fstar;
    r->has_fstar = pb->has_fstar;
    r->tol = pb->tol;
    r->batch = pb->batch;
    r->grad_evals_per_step = ob_sam_active(&c->h) ? 2 : 1;
    work w;
    if (work_alloc(&w, c, n) != 0) {
        snprintf(err, errlen, "out of memory for %s with n = %zu", r->id, n);
        r->exit_code = OB_EXIT_FAIL;
        ob_problem_destroy(pb);
        return -1;
    }
    ob_atomic_file csv = {0};
    if (csv_path && ob_atomic_open(&csv, csv_path, err, errlen) != 0) {
        r->exit_code = OB_EXIT_IO;
        work_free(&w);
        ob_problem_destroy(pb);
        return -1;
    }
    memcpy(w.xr, pb->x0, n * sizeof(double));
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        ob_path_result *pr = &r->isa[i];
        pr->identical = 1;
        if (!w.p[i].active) continue;
        pr->ran = 1;
        for (size_t j = 0; j < n; j++) w.p[i].x[j] = (float)pb->x0[j];
    }
    r->ref.ran = 1;

    /* Convergence is measured every `every` steps (and at the last one):
     * a full loss evaluation can cost far more than a step. */
    uint64_t every = c->steps > 1000 ? c->steps / 1000 : 1;
    if (c->problem->stochastic && c->steps > 50) every = c->steps / 50;
    if (csv.f) csv_header(csv.f, c, n);
    int rc = 0;
    for (uint64_t t = 0; t <= c->steps; t++) {
        double rl = NAN, rg = NAN, rd = NAN;
        int sig = ob_interrupted();
        if (sig) {
            snprintf(err, errlen, "%s: interrupted by %s at step %llu of %llu", r->id, ob_interrupt_name(sig),
                     (unsigned long long)t, (unsigned long long)c->steps);
            r->exit_code = ob_interrupt_exit_code(sig);
            rc = -1;
            break;
        }
        if (t > 0) {
            ob_hparams ht;
            if (ob_schedule_apply(&c->sched, o, &c->h, t, &ht, err, errlen) != 0 ||
                ob_validate(o, &ht, err, errlen) != 0) {
                /* e.g. a onecycle schedule shorter than the run */
                r->exit_code = OB_EXIT_USAGE;
                rc = -1;
                break;
            }
            if (!r->ref.diverged_at) {
                double t0 = now_s();
                pb->eval(pb, w.xr, w.gr, t);
                const double *gstep = w.gr;
                if (w.xhr) {
                    /* SAM: the gradient at x_hat, same t, same mini-batch. */
                    ob_ref_sam_perturb(&ht, n, w.xr, w.gr, w.xhr, NULL);
                    pb->eval(pb, w.xhr, w.gsr, t);
                    gstep = w.gsr;
                }
                o->reference(&ht, t, n, w.xr, gstep, w.str, NULL);
                ob_problem_project(pb, w.xr);
                r->ref.time_s += now_s() - t0;
            }
            int lead = -1;
            for (int i = 0; i < OB_ISA_COUNT; i++) {
                path *p = &w.p[i];
                ob_path_result *pr = &r->isa[i];
                if (!p->active || pr->diverged_at) continue;
                double t0 = now_s();
                size_t at;
                const char *array;
                double e = fp32_step(c, pb, &w, i, lead, &ht, t, &at, &array);
                p->clock += now_s() - t0;
                p->agree = e;
                if (e > pr->max_agree || (isnan(e) && !isnan(pr->max_agree))) {
                    pr->max_agree = e;
                    pr->max_agree_step = t;
                    pr->max_agree_elem = at;
                    snprintf(pr->max_agree_array, sizeof pr->max_agree_array, "%s", array);
                }
                if (i != OB_ISA_SCALAR && w.p[OB_ISA_SCALAR].active) check_identical(c, &w, i, t, pr);
                if (lead < 0) lead = i;
            }
        }
        if (t % every != 0 && t != c->steps) continue;
        /* Record convergence at this step. */
        if (!r->ref.diverged_at || t == r->ref.diverged_at) {
            measure(pb, w.xr, t, &rl, &rg, &rd);
            track_target(pb, &r->ref, rg, rl, t, r->ref.time_s);
            r->ref.final_loss = rl;
            r->ref.final_gap = rg;
            r->ref.final_dist = rd;
        }
        double xr_norm = norm2(w.xr, n);
        int lead = -1;
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            path *p = &w.p[i];
            ob_path_result *pr = &r->isa[i];
            if (!p->active) continue;
            if (pr->diverged_at && t != pr->diverged_at) {
                p->loss = p->gap = p->dist = NAN;
                continue;
            }
            if (lead >= 0 && memcmp(p->x, w.p[lead].x, n * sizeof(float)) == 0) {
                p->loss = w.p[lead].loss;
                p->gap = w.p[lead].gap;
                p->dist = w.p[lead].dist;
                p->dev = w.p[lead].dev;
            } else {
                widen(p->x, w.xd, n);
                measure(pb, w.xd, t, &p->loss, &p->gap, &p->dist);
                p->dev = dist_to(w.xd, w.xr, n) / (xr_norm > 1e-12 ? xr_norm : 1e-12);
            }
            if (lead < 0) lead = i;
            track_target(pb, pr, p->gap, p->loss, t, p->clock);
            pr->final_loss = p->loss;
            pr->final_gap = p->gap;
            pr->final_dist = p->dist;
            if (p->dev > pr->max_dev) pr->max_dev = p->dev;
            if (!pr->dev_exceeds_step && p->dev > OB_DEV_THRESHOLD) pr->dev_exceeds_step = t;
        }
        if (csv.f) csv_row(csv.f, c, &w, t, rl, rg, rd, norm2(w.gr, n));
        if (t > 0 && c->progress) c->progress(c->progress_ctx, t, c->steps);
    }
    r->ok = 1;
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        ob_path_result *pr = &r->isa[i];
        if (!pr->ran) continue;
        pr->time_s = w.p[i].clock;
        pr->agree_ok = pr->max_agree <= o->agree_bound;
        if (!pr->agree_ok || !pr->identical) r->ok = 0;
    }
    if (rc == 0 && csv.f && (rc = ob_atomic_commit(&csv, err, errlen)) != 0) r->exit_code = OB_EXIT_IO;
    else if (csv.f) ob_atomic_abort(&csv);
    work_free(&w);
    ob_problem_destroy(pb);
    return rc;
}

/* ---- reporting ------------------------------------------------------------ */

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v)) cJSON_AddNumberToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

static cJSON *path_json(const ob_path_result *p, int fp32, double bound)
{
    cJSON *j = cJSON_CreateObject();
    add_num(j, "final_loss", p->final_loss);
    add_num(j, "final_gap", p->final_gap);
    add_num(j, "final_dist", p->final_dist);
    if (p->steps_to_target) {
        cJSON_AddNumberToObject(j, "steps_to_target", (double)p->steps_to_target);
        cJSON_AddNumberToObject(j, "time_to_target_s", p->time_to_target_s);
    } else {
        cJSON_AddNullToObject(j, "steps_to_target");
        cJSON_AddNullToObject(j, "time_to_target_s");
    }
    if (p->diverged_at) cJSON_AddNumberToObject(j, "diverged_at", (double)p->diverged_at);
    else cJSON_AddNullToObject(j, "diverged_at");
    cJSON_AddNumberToObject(j, "time_s", p->time_s);
    if (!fp32) return j;
    cJSON *a = cJSON_AddObjectToObject(j, "agreement");
    add_num(a, "max_error_u", p->max_agree);
    cJSON_AddNumberToObject(a, "bound_u", bound);
    cJSON_AddBoolToObject(a, "ok", p->agree_ok);
    cJSON_AddNumberToObject(a, "step", (double)p->max_agree_step);
    cJSON_AddNumberToObject(a, "element", (double)p->max_agree_elem);
    cJSON_AddStringToObject(a, "array", p->max_agree_array);
    cJSON_AddBoolToObject(j, "bit_identical", p->identical);
    if (!p->identical) {
        cJSON *d = cJSON_AddObjectToObject(j, "first_difference");
        cJSON_AddNumberToObject(d, "step", (double)p->first_diff_step);
        cJSON_AddNumberToObject(d, "element", (double)p->first_diff_elem);
        cJSON_AddStringToObject(d, "array", p->first_diff_array);
    } else {
        cJSON_AddNullToObject(j, "first_difference");
    }
    add_num(j, "max_deviation", p->max_dev);
    if (p->dev_exceeds_step) cJSON_AddNumberToObject(j, "deviation_exceeds_at", (double)p->dev_exceeds_step);
    else cJSON_AddNullToObject(j, "deviation_exceeds_at");
    return j;
}

cJSON *ob_hparams_json(const ob_optimizer *o, const ob_hparams *h)
{
    cJSON *hp = cJSON_CreateObject();
    for (size_t k = 0; k < o->n_hparams; k++)
        cJSON_AddNumberToObject(hp, o->hparams[k].name, ob_hparam_get(h, &o->hparams[k]));
    /* Generic keys only when in use, so that records of runs without them
     * stay as they were. */
    for (size_t k = 0; k < ob_generic_hparam_count(); k++) {
        const ob_hparam_spec *sp = ob_generic_hparam(k);
        const int is_sam = !strncmp(sp->name, "sam_", 4);
        if (is_sam ? ob_sam_active(h) : ob_hparam_get(h, sp) != 0)
            cJSON_AddNumberToObject(hp, sp->name, ob_hparam_get(h, sp));
    }
    return hp;
}

cJSON *ob_case_to_json(const ob_case *c, const ob_case_result *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", r->id);
    cJSON_AddStringToObject(j, "problem", c->problem->name);
    cJSON_AddStringToObject(j, "optimizer", c->opt->name);
    cJSON_AddItemToObject(j, "hparams", ob_hparams_json(c->opt, &c->h));
    cJSON *sc = cJSON_AddObjectToObject(j, "schedule");
    cJSON_AddStringToObject(sc, "name", c->sched.spec->name);
    for (size_t k = 0; k < c->sched.spec->n_keys; k++)
        cJSON_AddNumberToObject(sc, c->sched.spec->keys[k].name, c->sched.v[k]);
    cJSON *pc = cJSON_AddObjectToObject(j, "problem_config");
    cJSON_AddNumberToObject(pc, "n", (double)r->n);
    cJSON_AddNumberToObject(pc, "seed", (double)c->seed);
    cJSON_AddNumberToObject(pc, "batch", (double)r->batch);
    cJSON *pp = cJSON_AddArrayToObject(pc, "params");
    for (size_t k = 0; k < c->n_pparams; k++) cJSON_AddItemToArray(pp, cJSON_CreateString(c->pparams[k]));
    cJSON_AddNumberToObject(j, "steps", (double)c->steps);
    /* Per path: SAM evaluates the gradient twice per step. */
    cJSON_AddNumberToObject(j, "grad_evals_per_step", (double)r->grad_evals_per_step);
    cJSON_AddNumberToObject(j, "grad_evals", (double)r->grad_evals_per_step * (double)c->steps);
    if (r->has_fstar) cJSON_AddNumberToObject(j, "fstar", r->fstar);
    else cJSON_AddNullToObject(j, "fstar");
    add_num(j, "tol", r->tol);
    char csv[256];
    snprintf(csv, sizeof csv, "cases/%s.csv", r->id);
    cJSON_AddStringToObject(j, "csv", csv);
    cJSON_AddItemToObject(j, "reference", path_json(&r->ref, 0, 0));
    cJSON *isa = cJSON_AddObjectToObject(j, "isa");
    cJSON *skipped = NULL;
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (r->isa[i].ran)
            cJSON_AddItemToObject(isa, ob_isa_name((ob_isa)i), path_json(&r->isa[i], 1, c->opt->agree_bound));
        else if (r->isa[i].skipped[0] && (skipped || (skipped = cJSON_AddObjectToObject(j, "skipped"))))
            cJSON_AddStringToObject(skipped, ob_isa_name((ob_isa)i), r->isa[i].skipped);
    }
    cJSON_AddBoolToObject(j, "ok", r->ok);
    return j;
}

void ob_case_summary_header(FILE *out)
{
    fprintf(out, "%-34s %-9s %12s %11s %9s %9s %-10s %10s  %s\n", "case", "path", "final loss", "f - f*",
            "to target", "agree u*S", "identical", "dev>1e-3", "status");
}

static void fmt_g(char *buf, size_t len, double v)
{
    if (isnan(v)) snprintf(buf, len, "-");
    else snprintf(buf, len, "%.4g", v);
}

static void summary_line(FILE *out, const char *id, const char *path, const ob_path_result *p, int fp32,
                         double bound)
{
    char loss[32], gap[32], tgt[32], agree[32], dev[32], status[160];
    fmt_g(loss, sizeof loss, p->final_loss);
    fmt_g(gap, sizeof gap, p->final_gap);
    if (p->steps_to_target) snprintf(tgt, sizeof tgt, "%llu", (unsigned long long)p->steps_to_target);
    else snprintf(tgt, sizeof tgt, "-");
    if (fp32) snprintf(agree, sizeof agree, "%.2f", p->max_agree);
    else agree[0] = '\0';
    if (fp32 && p->dev_exceeds_step) snprintf(dev, sizeof dev, "step %llu", (unsigned long long)p->dev_exceeds_step);
    else snprintf(dev, sizeof dev, "%s", fp32 ? "never" : "");
    status[0] = '\0';
    if (p->diverged_at) snprintf(status, sizeof status, "diverged at step %llu ", (unsigned long long)p->diverged_at);
    if (fp32 && !p->agree_ok) {
        size_t l = strlen(status);
        snprintf(status + l, sizeof status - l, "AGREEMENT VIOLATION: %.3g u*S > %g at step %llu, %s[%zu] ",
                 p->max_agree, bound, (unsigned long long)p->max_agree_step, p->max_agree_array, p->max_agree_elem);
    }
    if (fp32 && !p->identical) {
        size_t l = strlen(status);
        snprintf(status + l, sizeof status - l, "NOT BIT-IDENTICAL to scalar: step %llu, %s[%zu]",
                 (unsigned long long)p->first_diff_step, p->first_diff_array, p->first_diff_elem);
    }
    if (!status[0]) snprintf(status, sizeof status, "ok");
    fprintf(out, "%-34s %-9s %12s %11s %9s %9s %-10s %10s  %s\n", id, path, loss, gap, tgt, agree,
            fp32 ? (p->identical ? "yes" : "NO") : "", dev, status);
}

void ob_case_summary(FILE *out, const ob_case *c, const ob_case_result *r)
{
    summary_line(out, r->id, "reference", &r->ref, 0, 0);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (r->isa[i].ran) summary_line(out, "", ob_isa_name((ob_isa)i), &r->isa[i], 1, c->opt->agree_bound);
        else if (r->isa[i].skipped[0])
            fprintf(out, "%-34s %-9s SKIPPED: %s\n", "", ob_isa_name((ob_isa)i), r->isa[i].skipped);
    }
}
