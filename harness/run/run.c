/*
 * run.c — one case of `optbench run`: the case's problem as an objective
 * of the trajectory engine (harness/engine/ob_engine.h), which steps the
 * fp64 reference path and the fp32 kernel paths together with agreement
 * at every step, bit-identity across ISAs and sampled convergence; this
 * file writes the engine's rows as the case's CSV and its figures as the
 * case's record.
 *
 * Bit-identity is reported against the scalar path, so a case that does
 * not run scalar reports none.  With SAM (sam_rho > 0) every path
 * evaluates the gradient twice per step, and the counts of gradient
 * evaluations are recorded (grad_evals) so runs compare per evaluation.
 */
#include "run_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include "kernels/framework/ob_sam.h"
#include "harness/core/ob_core.h"
#include "harness/engine/ob_engine.h"

/* What the case's observers write to. */
typedef struct case_obs {
    const ob_case *c;
    FILE *csv;               /* NULL: no CSV */
    const run_plugins *plug; /* the plugin paths, after the ISAs */
    ob_case_result *r;       /* receives the runtimes to targets */
    ob_problem *pb;          /* its held-out evaluation, if it offers one */
    uint64_t rows;           /* rows written so far */
} case_obs;

static void csv_path_header(FILE *f, const char *nm, size_t n)
{
    fprintf(f, ",%s_loss,%s_gap,%s_dist,%s_gnorm,%s_agree,%s_dev", nm, nm, nm, nm, nm, nm);
    if (n == 2) fprintf(f, ",%s_x1,%s_x2", nm, nm);
}

static void csv_header(FILE *f, const case_obs *obs, size_t n)
{
    const ob_case *c = obs->c;
    fprintf(f, "step,ref_loss,ref_gap,ref_dist,ref_gnorm");
    if (n == 2) fprintf(f, ",ref_x1,ref_x2");
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (!((c->isa_mask >> i) & 1u)) continue;
        csv_path_header(f, ob_isa_name((ob_isa)i), n);
    }
    for (size_t e = 0; e < obs->plug->n; e++) csv_path_header(f, obs->plug->name[e], n);
    /* Then the reference path's diagnostics (README "Monitoring"). */
    fprintf(f, ",grad_evals,upd_norm,upd_ratio,lr,cycled,eff_lr_min,eff_lr_med,eff_lr_max,bc1,bc2,clipped,"
               "heldout_loss,heldout_acc");
    /* With a storage format, its loss scale and skipped steps. */
    if (!ob_format_is_fp32(&c->format)) fprintf(f, ",loss_scale,skipped");
    fprintf(f, "\n");
}

static void csv_path_row(FILE *f, const ob_engine_row *r, int k, int x32)
{
    fprintf(f, ",%.9g,%.9g,%.9g,%.9g,%.9g,%.9g", r->loss[k], r->gap[k], r->dist[k], r->gnorm[k], r->agree[k],
            r->dev[k]);
    if (r->n == 2) fprintf(f, ",%.9g,%.9g", (double)r->x32[x32][0], (double)r->x32[x32][1]);
}

/* The row observer: one CSV line per measured step. */
static void csv_row(void *ctx, const ob_engine_row *r)
{
    case_obs *obs = ctx;
    FILE *f = obs->csv;
    if (!f) return;
    fprintf(f, "%llu,%.9g,%.9g,%.9g,%.9g", (unsigned long long)r->t, r->loss[0], r->gap[0], r->dist[0],
            r->gnorm[0]);
    if (r->n == 2) fprintf(f, ",%.9g,%.9g", r->x_ref[0], r->x_ref[1]);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        int k = OB_ENGINE_PATH_ISA(i);
        if (!((r->paths >> k) & 1u)) continue;
        csv_path_row(f, r, k, i);
    }
    for (size_t e = 0; e < obs->plug->n; e++)
        csv_path_row(f, r, OB_ENGINE_PATH_EXTRA(e), OB_ISA_COUNT + (int)e);
    /* Gradient evaluations of each path up to step t, the diagnostics. */
    const ob_engine_monitor *m = &r->mon;
    fprintf(f, ",%llu,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g", (unsigned long long)r->grad_evals,
            m->upd_norm, m->upd_ratio, m->lr, m->cycled, m->eff_min, m->eff_med, m->eff_max, m->bc1, m->bc2,
            m->clipped);
    /* The held-out loss and accuracy at the reference's x, on the
     * problem's schedule (ob_problem.heldout_every) and at the last step;
     * empty elsewhere and where the problem offers none. */
    const ob_problem *pb = obs->pb;
    const uint64_t every = pb->heldout_every ? pb->heldout_every : 1;
    if (pb->heldout && (obs->rows % every == 0 || r->t == obs->c->steps)) {
        double hl, ha;
        pb->heldout(obs->pb, r->x_ref, &hl, &ha);
        fprintf(f, ",%.9g,%.9g", hl, ha);
    } else {
        fprintf(f, ",,");
    }
    if (!ob_format_is_fp32(&obs->c->format)) fprintf(f, ",%.9g,%.9g", r->loss_scale, r->skipped);
    fprintf(f, "\n");
    obs->rows++;
}

/* The engine's value at every iterate (deterministic problems only: on
 * the others it is a mini-batch's or step t's, not the reported loss). */
static void see_fval(void *ctx, int path, uint64_t t, double f)
{
    case_obs *obs = ctx;
    run_runtimes_see(obs->r, path, t - 1, f);
}

/* The row observer: the sampled losses to the runtimes, then the CSV. */
static void see_row(void *ctx, const ob_engine_row *r)
{
    case_obs *obs = ctx;
    for (int p = 0; p <= OB_ISA_COUNT; p++)
        if ((r->paths >> p) & 1u) run_runtimes_see(obs->r, p, r->t, r->loss[p]);
    csv_row(ctx, r);
}

/* ---- memory ----------------------------------------------------------------- */

/* Bytes a case needs per element: the engine's double vectors (x, g, the
 * widened copies, the agreement inputs: 6), the reference and agreement
 * state and the error scales (3 per state array + 1), fp32 x, g and state
 * per ISA, SAM's x_hat and gradient (double and per ISA), and about 4
 * doubles the problem keeps (x0, x*, data); the engine's fp32 copy of the
 * lead's x is small enough to leave out. */
static double bytes_per_element(const ob_case *c)
{
    double ns = (double)c->opt->n_state, isas = 0;
    for (int i = 0; i < OB_ISA_COUNT; i++) isas += (c->isa_mask >> i) & 1u;
    const double sam = ob_sam_active(&c->h) ? 2 : 0; /* x_hat and its gradient */
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
    snprintf(err, errlen, "n = %zu is too large: the case needs about %s of memory, %s are available", n, a,
             b);
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
    ob_problem_config cfg = {.n = c->n,
                             .seed = c->seed,
                             .instance = c->instance,
                             .batch = c->batch,
                             .params = params,
                             .n_params = c->n_pparams,
                             .why = &why};
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
            snprintf(err, errlen, "step %llu of %llu: %s", (unsigned long long)ends[k],
                     (unsigned long long)c->steps, msg);
            return OB_EXIT_USAGE;
        }
    }
    const int mixed = !ob_format_is_fp32(&c->format);
    if (mixed && ob_sam_active(&c->h)) {
        snprintf(err, errlen, "format %s: the storage formats run without SAM", c->format.name);
        return OB_EXIT_USAGE;
    }
    ob_problem *pb = NULL;
    int code = OB_EXIT_OK;
    if (create_problem(c, &pb, &code, err, errlen) != 0) return code;
    if (mixed && pb->has_box) {
        snprintf(err, errlen, "format %s: %s has a box constraint, and the storage formats run without one",
                 c->format.name, c->problem->name);
        code = OB_EXIT_USAGE;
    }
    ob_problem_destroy(pb);
    return code;
}

void ob_case_id(const ob_case *c, char *buf, size_t len)
{
    /* SAM cases say so ("quad_diag.adam+sam"): the same problem and
     * optimizer usually run without it too. */
    int k = snprintf(buf, len, "%s.%s%s", c->problem->name, c->opt->name,
                     ob_sam_label(c->h.sam_rho, c->h.sam_adaptive));
    if (!ob_format_is_fp32(&c->format) && k >= 0 && (size_t)k + 1 < len) {
        /* "@fp16-grads"; an explicit spec's ',' (and anything a file name
         * or the id's '.' fields would trip on) becomes '+'. */
        buf[k++] = '@';
        for (const char *p = c->format.name; *p && (size_t)k + 1 < len; p++) {
            const char ch = *p;
            const int keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                             ch == '-' || ch == '_' || ch == '=';
            buf[k++] = keep ? ch : '+';
        }
        buf[k] = '\0';
    }
    if (c->instance && k >= 0 && (size_t)k < len)
        snprintf(buf + k, len - (size_t)k, ".i%llu", (unsigned long long)c->instance);
}

static double problem_eval(void *ctx, const double *x, double *g, uint64_t t)
{
    ob_problem *pb = ctx;
    return pb->eval(pb, x, g, t);
}

static double problem_loss(void *ctx, const double *x, uint64_t t)
{
    ob_problem *pb = ctx;
    return pb->loss(pb, x, t);
}

static void case_progress(void *ctx, uint64_t t, uint64_t steps)
{
    const ob_case *c = ((const case_obs *)ctx)->c;
    if (c->progress) c->progress(c->progress_ctx, t, steps);
}

/* The engine's configuration for a case: agreement at every step,
 * convergence sampled; the observers write the CSV and the progress. */
static void engine_cfg(const ob_case *c, case_obs *obs, ob_engine_cfg *e)
{
    memset(e, 0, sizeof *e);
    e->opt = c->opt;
    e->h = c->h;
    e->sched = &c->sched;
    e->steps = c->steps;
    e->paths = 1u | (c->isa_mask << 1);
    e->threads = c->threads;
    e->interruptible = 1;
    e->monitor = 1;
    e->sampling = ob_engine_sampling_convergence(c->steps, c->problem->stochastic);
    e->obs.ctx = obs;
    e->obs.row = see_row;
    e->obs.progress = case_progress;
    memcpy(e->kernel_override, c->kernel_override, sizeof e->kernel_override);
    if (!ob_format_is_fp32(&c->format)) e->format = &c->format;
}

int ob_run_case(const ob_case *c, const char *csv_path, ob_case_result *r, char *err, size_t errlen)
{
    if (c->n_plugins) return run_case_isolated(c, csv_path, r, err, errlen);
    return run_case(c, csv_path, 0, r, err, errlen);
}

int run_case(const ob_case *asked, const char *csv_path, int with_plugins, ob_case_result *r, char *err,
             size_t errlen)
{
    memset(r, 0, sizeof *r);
    ob_case runnable = *asked; /* without the paths that have no kernel: SKIPPED */
    const ob_case *c = &runnable;
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (((c->isa_mask >> i) & 1u) && !c->kernel_override[i] && !ob_optimizer_kernel(c->opt, (ob_isa)i)) {
            runnable.isa_mask &= ~(1u << i);
            snprintf(r->skipped[i], sizeof r->skipped[i], "no %s kernel", ob_isa_name((ob_isa)i));
        }
    ob_problem *pb = NULL;
    if (create_problem(c, &pb, &r->exit_code, err, errlen) != 0) return -1;
    ob_case_id(c, r->id, sizeof r->id);
    r->n = pb->n;
    r->fstar = pb->fstar;
    r->has_fstar = pb->has_fstar;
    r->tol = pb->tol;
    r->batch = pb->batch;
    r->grad_evals_per_step = ob_sam_active(&c->h) ? 2 : 1;
    run_runtimes_start(r);
    /* Every iterate's value is the reported loss only where f does not
     * depend on a sample or on t. */
    r->rt_every_step = !c->problem->stochastic && strcmp(c->problem->family, "online") != 0 &&
                       strcmp(c->problem->family, "nonstationary") != 0;
    ob_atomic_file csv = {0};
    if (csv_path && ob_atomic_open(&csv, csv_path, err, errlen) != 0) {
        r->exit_code = OB_EXIT_IO;
        ob_problem_destroy(pb);
        return -1;
    }
    run_plugins plug = {0};
    if (with_plugins) run_plugins_open(c, pb->n, &plug, r);
    case_obs obs = {c, csv.f, &plug, r, pb, 0};
    if (csv.f) csv_header(csv.f, &obs, pb->n);
    ob_engine_objective obj = {pb->n, pb->x0,       pb->has_box,   pb->box_lo, pb->box_hi, problem_eval,
                               pb,    problem_loss, pb->has_fstar, pb->fstar,  pb->tol,    pb->xstar};
    ob_engine_cfg ec;
    engine_cfg(c, &obs, &ec);
    if (r->rt_every_step) ec.fval = see_fval;
    ec.extra = plug.extra;
    ec.n_extra = plug.n;
    ob_engine_result er;
    int rc = ob_engine_run(&obj, &ec, &er, err, errlen);
    if (rc != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", err);
        if (er.status == OB_ENGINE_EINTR) {
            snprintf(err, errlen, "%s: %s", r->id, msg);
            r->exit_code = ob_interrupt_exit_code(er.signal);
        } else if (er.status == OB_ENGINE_ENOMEM) {
            snprintf(err, errlen, "out of memory for %s with n = %zu", r->id, r->n);
            r->exit_code = OB_EXIT_FAIL;
        } else {
            r->exit_code = OB_EXIT_USAGE;
        }
    }
    r->ref = er.p[OB_ENGINE_REF];
    r->ok = 1;
    const int scalar = (c->isa_mask >> OB_ISA_SCALAR) & 1u;
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        ob_path_result *pr = &r->isa[i];
        *pr = er.p[OB_ENGINE_PATH_ISA(i)];
        if (!scalar) { /* nothing to be identical to */
            pr->identical = 1;
            pr->first_diff_step = 0;
            pr->first_diff_elem = 0;
            pr->first_diff_array[0] = '\0';
        }
        if (pr->ran && (!pr->agree_ok || !pr->identical)) r->ok = 0;
    }
    run_plugins_collect(c, &plug, &er, r);
    run_plugins_close(&plug);
    if (rc == 0 && csv.f && (rc = ob_atomic_commit(&csv, err, errlen)) != 0) r->exit_code = OB_EXIT_IO;
    else if (csv.f) ob_atomic_abort(&csv);
    ob_problem_destroy(pb);
    return rc;
}

/* ---- reporting ------------------------------------------------------------ */

cJSON *run_path_json(const ob_path_result *p, int fp32, double bound)
{
    cJSON *j = cJSON_CreateObject();
    ob_json_add_num(j, "final_loss", p->final_loss);
    ob_json_add_num(j, "final_gap", p->final_gap);
    ob_json_add_num(j, "final_dist", p->final_dist);
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
    ob_json_add_num(a, "max_error_u", p->max_agree);
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
    ob_json_add_num(j, "max_deviation", p->max_dev);
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
    cJSON_AddNumberToObject(pc, "instance", (double)c->instance);
    cJSON_AddNumberToObject(pc, "batch", (double)r->batch);
    cJSON *pp = cJSON_AddArrayToObject(pc, "params");
    for (size_t k = 0; k < c->n_pparams; k++) cJSON_AddItemToArray(pp, cJSON_CreateString(c->pparams[k]));
    cJSON_AddNumberToObject(j, "steps", (double)c->steps);
    /* Per path: SAM evaluates the gradient twice per step. */
    cJSON_AddNumberToObject(j, "grad_evals_per_step", (double)r->grad_evals_per_step);
    cJSON_AddNumberToObject(j, "grad_evals", (double)r->grad_evals_per_step * (double)c->steps);
    if (r->has_fstar) cJSON_AddNumberToObject(j, "fstar", r->fstar);
    else cJSON_AddNullToObject(j, "fstar");
    ob_json_add_num(j, "tol", r->tol);
    cJSON_AddItemToObject(j, "targets", run_targets_json(r));
    char csv[256];
    snprintf(csv, sizeof csv, "cases/%s.csv", r->id);
    cJSON_AddStringToObject(j, "csv", csv);
    cJSON *ref = run_path_json(&r->ref, 0, 0);
    run_runtimes_json(ref, r, 0);
    cJSON_AddItemToObject(j, "reference", ref);
    cJSON *isa = cJSON_AddObjectToObject(j, "isa");
    cJSON *skipped = NULL;
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (r->isa[i].ran) {
            cJSON *pj = run_path_json(&r->isa[i], 1, c->opt->agree_bound);
            run_runtimes_json(pj, r, 1 + i);
            cJSON_AddItemToObject(isa, ob_isa_name((ob_isa)i), pj);
        } else if (r->skipped[i][0] && (skipped || (skipped = cJSON_AddObjectToObject(j, "skipped"))))
            cJSON_AddStringToObject(skipped, ob_isa_name((ob_isa)i), r->skipped[i]);
    }
    cJSON *plugins = run_plugins_json(c, r);
    if (plugins) cJSON_AddItemToObject(j, "plugins", plugins);
    if (!ob_format_is_fp32(&c->format)) {
        /* The storage format and, of the first kernel path that ran (all
         * are bit-identical, the loss scale included), its skipped steps
         * and last loss scale. */
        cJSON *fj = cJSON_AddObjectToObject(j, "format");
        char desc[160];
        ob_format_describe(&c->format, desc, sizeof desc);
        cJSON_AddStringToObject(fj, "name", c->format.name);
        cJSON_AddStringToObject(fj, "spec", desc);
        for (int i = 0; i < OB_ISA_COUNT; i++)
            if (r->isa[i].ran) {
                cJSON_AddNumberToObject(fj, "skipped_steps", (double)r->isa[i].skipped_steps);
                cJSON_AddNumberToObject(fj, "loss_scale", r->isa[i].loss_scale);
                break;
            }
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

void run_summary_line(FILE *out, const char *id, const char *path, const ob_path_result *p, int fp32, int plugin,
                      double bound)
{
    char loss[32], gap[32], tgt[32], agree[32], dev[32], status[160];
    fmt_g(loss, sizeof loss, p->final_loss);
    fmt_g(gap, sizeof gap, p->final_gap);
    if (p->steps_to_target) snprintf(tgt, sizeof tgt, "%llu", (unsigned long long)p->steps_to_target);
    else snprintf(tgt, sizeof tgt, "-");
    if (fp32) snprintf(agree, sizeof agree, "%.2f", p->max_agree);
    else agree[0] = '\0';
    if (fp32 && p->dev_exceeds_step)
        snprintf(dev, sizeof dev, "step %llu", (unsigned long long)p->dev_exceeds_step);
    else snprintf(dev, sizeof dev, "%s", fp32 ? "never" : "");
    status[0] = '\0';
    if (p->diverged_at)
        snprintf(status, sizeof status, "diverged at step %llu ", (unsigned long long)p->diverged_at);
    if (fp32 && !p->agree_ok) {
        size_t l = strlen(status);
        snprintf(status + l, sizeof status - l, "AGREEMENT VIOLATION: %.3g u*S > %g at step %llu, %s[%zu] ",
                 p->max_agree, bound, (unsigned long long)p->max_agree_step, p->max_agree_array,
                 p->max_agree_elem);
    }
    if (fp32 && !p->identical && !plugin) {
        size_t l = strlen(status);
        snprintf(status + l, sizeof status - l, "NOT BIT-IDENTICAL to scalar: step %llu, %s[%zu]",
                 (unsigned long long)p->first_diff_step, p->first_diff_array, p->first_diff_elem);
    }
    if (!status[0]) snprintf(status, sizeof status, "ok");
    if (plugin) { /* identity is information for a kernel that is not optbench's */
        size_t l = strlen(status);
        snprintf(status + l, sizeof status - l, " (bound %g u*S; bit-identity with scalar not judged)", bound);
    }
    fprintf(out, "%-34s %-9s %12s %11s %9s %9s %-10s %10s  %s\n", id, path, loss, gap, tgt, agree,
            fp32 ? (p->identical ? "yes" : plugin ? "no" : "NO") : "", dev, status);
}

void ob_case_summary(FILE *out, const ob_case *c, const ob_case_result *r)
{
    run_summary_line(out, r->id, "reference", &r->ref, 0, 0, 0);
    for (int i = 0; i < OB_ISA_COUNT; i++) {
        if (r->isa[i].ran)
            run_summary_line(out, "", ob_isa_name((ob_isa)i), &r->isa[i], 1, 0, c->opt->agree_bound);
        else if (r->skipped[i][0])
            fprintf(out, "%-34s %-9s SKIPPED: %s\n", "", ob_isa_name((ob_isa)i), r->skipped[i]);
    }
    run_plugins_summary(out, c, r);
}
