/*
 * repro_bf16.c — what storing parameters in bf16 costs, and why the
 * rounding of the update matters (Gupta et al., "Deep Learning with
 * Limited Numerical Precision", ICML 2015, §3-4; Zamirai et al.,
 * "Revisiting BFloat16 Training", arXiv:2010.06192, 2020, §3).
 *
 * Without an fp32 master copy every step rounds p + delta back to bf16.
 * Round-to-nearest drops every update smaller than half a bf16 ULP of the
 * parameter (8 significant bits: |delta| < 2^-9 |p|), so a parameter that
 * Adam moves by about lr per step stops moving once |p| > 2^8 lr: training
 * stalls.  Stochastic rounding rounds up with probability equal to the
 * dropped fraction, so E[round(p + delta)] = p + delta and the small
 * updates survive in expectation: it recovers what nearest rounding loses.
 *
 * The same run measures what every other storage format costs on the same
 * problems (bf16 state, fp16 gradients with dynamic loss scaling, all
 * bf16), so the report's table answers "what does this format cost on
 * these problems" beside the verdict.  Each format runs on every chosen
 * ISA in lockstep; the mixed kernels promise bit-identical results in
 * every ISA, which is checked after every step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/framework/ob_mixed.h"
#include "optbench/problems.h"
#include "ob_repro.h"
#include "harness/testkit/ob_testdata.h"
#include "harness/core/ob_util.h"
#include "repro_internal.h"

/* ---- the check ------------------------------------------------------------------ */

/* Gaps this small count as this small: f - f* can reach 0 exactly. */
#define BF16_GAP_FLOOR 1e-30

ob_repro_verdict ob_repro_check_bf16(const ob_repro_bf16_measured *m, char *why, size_t len)
{
    ob_repro_verdict v = OB_REPRO_REPRODUCED;
    why[0] = '\0';
    if (!m->n_problems) {
        snprintf(why, len, "no problem ran");
        return OB_REPRO_INCONCLUSIVE;
    }
    for (size_t p = 0; p < m->n_problems; p++) {
        double f32 = fmax(m->gap[p][OB_BF16_FP32], BF16_GAP_FLOOR);
        double rne = fmax(m->gap[p][OB_BF16_PARAMS_RNE], BF16_GAP_FLOOR);
        double sr = fmax(m->gap[p][OB_BF16_PARAMS_SR], BF16_GAP_FLOOR);
        if (!isfinite(m->gap[p][OB_BF16_FP32]) || !isfinite(m->gap[p][OB_BF16_PARAMS_RNE]) ||
            !isfinite(m->gap[p][OB_BF16_PARAMS_SR])) {
            v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
            ob_repro_appendf(why, len, "%s: a run diverged; ", m->problem[p]);
            continue;
        }
        /* Nearest rounding costs something: at least 10x fp32's gap. */
        if (!(rne >= 10 * f32)) {
            v = ob_repro_combine(v, rne <= 2 * f32 ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE);
            ob_repro_appendf(why, len,
                             "%s: bf16 with nearest rounding ends at f - f* = %.3g, fp32 at %.3g "
                             "(claim: nearest rounding stalls, >= 10x); ",
                             m->problem[p], rne, f32);
        }
        /* Stochastic rounding recovers it: at most a tenth of RNE's gap. */
        if (!(sr <= 0.1 * rne)) {
            v = ob_repro_combine(v, sr >= 0.5 * rne ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE);
            ob_repro_appendf(why, len,
                             "%s: stochastic rounding ends at %.3g against nearest rounding's %.3g "
                             "(claim: <= 1/10); ",
                             m->problem[p], sr, rne);
        }
    }
    if (v == OB_REPRO_REPRODUCED)
        snprintf(why, len,
                 "on every problem bf16 parameters with nearest rounding end at least 10x further from "
                 "f* than fp32, and stochastic rounding closes at least 90%% of that gap");
    return v;
}

/* ---- the setup ------------------------------------------------------------------ */

typedef struct bf16_problem {
    const char *name;
    const char *params[2];
    size_t n_params;
    double lr;
} bf16_problem;

/* lr = 1e-3: Adam moves each parameter by about lr per step, which is
 * below half a bf16 ULP once |p| >= 0.5 (ULP(0.5) / 2 = 2^-9 ~ 1.95e-3);
 * quad_diag starts at x0 = 1 and heart_logreg's minimiser has weights up
 * to 2.2, so nearest rounding must stall on both. */
static const bf16_problem bf16_problems[OB_BF16_PROBLEMS] = {
    {"quad_diag", {"cond=100"}, 1, 1e-3},
    {"heart_logreg", {NULL}, 0, 1e-3},
};

static const char *const bf16_formats[OB_BF16_FORMATS] = {
    "fp32", "bf16-state", "fp16-grads", "bf16-params", "bf16-params-sr", "bf16", "bf16-sr",
};

/* torch.cuda.amp.GradScaler's defaults (init_scale 2^16, growth_factor 2,
 * backoff_factor 0.5, growth_interval 2000), within the range where
 * multiplying by 1/scale is exact (ob_step_mixed). */
#define LS_INIT 65536.0
#define LS_MIN 0x1p-24
#define LS_MAX 0x1p64
#define LS_INTERVAL 2000

#define SR_SEED 20151

/* One path of one format: the storage, in the format's element types. */
typedef struct fpath {
    ob_isa isa;
    void *p, *g;
    void *state[OB_MAX_STATE];
    double *x;      /* p widened, for the problem */
    double scale;   /* the loss scale (fp16 gradients) */
    uint64_t good;  /* steps since the scale last changed */
    uint64_t t_opt; /* optimizer steps taken (skipped steps do not count) */
    uint64_t skipped;
} fpath;

static void fpath_free(fpath *f)
{
    free(f->p);
    free(f->g);
    for (int k = 0; k < OB_MAX_STATE; k++) free(f->state[k]);
    free(f->x);
    memset(f, 0, sizeof *f);
}

static int fpath_init(fpath *f, ob_isa isa, const ob_format *fmt, const ob_optimizer *o, const ob_problem *pb)
{
    memset(f, 0, sizeof *f);
    size_t n = pb->n, np = ob_dtype_size(fmt->param), ng = ob_dtype_size(fmt->grad),
           ns = ob_dtype_size(fmt->state);
    f->isa = isa;
    f->scale = fmt->grad == OB_DT_F16 ? LS_INIT : 1.0;
    f->p = calloc(n, np);
    f->g = calloc(n, ng);
    f->x = calloc(n, sizeof(double));
    int ok = f->p && f->g && f->x;
    for (size_t k = 0; k < o->n_state && ok; k++) ok = (f->state[k] = calloc(n, ns)) != NULL;
    if (!ok) return -1;
    for (size_t i = 0; i < n; i++) {
        if (fmt->param == OB_DT_BF16) ((uint16_t *)f->p)[i] = ob_f32_to_bf16_rne((float)pb->x0[i]);
        else ((float *)f->p)[i] = (float)pb->x0[i];
    }
    return 0;
}

static void widen(const ob_format *fmt, const fpath *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        f->x[i] = fmt->param == OB_DT_BF16 ? (double)ob_bf16_to_f32(((const uint16_t *)f->p)[i])
                                           : (double)((const float *)f->p)[i];
}

/* Stores the gradient g (double) in the format's gradient type: fp16
 * gradients are the loss scale times g, rounded to fp32 and then to fp16
 * (overflow gives Inf, which the step detects). */
static void store_grad(const ob_format *fmt, fpath *f, const double *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (fmt->grad == OB_DT_F16) ((uint16_t *)f->g)[i] = ob_f32_to_f16_rne((float)(g[i] * f->scale));
        else if (fmt->grad == OB_DT_BF16) ((uint16_t *)f->g)[i] = ob_f32_to_bf16_rne((float)g[i]);
        else ((float *)f->g)[i] = (float)g[i];
    }
}

/* The GradScaler update after a step (skipped or not). */
static void update_scale(fpath *f, int skipped)
{
    if (skipped) {
        f->skipped++;
        f->good = 0;
        if (f->scale * 0.5 >= LS_MIN) f->scale *= 0.5;
    } else if (++f->good >= LS_INTERVAL) {
        f->good = 0;
        if (f->scale * 2 <= LS_MAX) f->scale *= 2;
    }
}

static int same_storage(const ob_format *fmt, const ob_optimizer *o, const fpath *a, const fpath *b, size_t n)
{
    if (memcmp(a->p, b->p, n * ob_dtype_size(fmt->param)) != 0) return 0;
    for (size_t k = 0; k < o->n_state; k++)
        if (memcmp(a->state[k], b->state[k], n * ob_dtype_size(fmt->state)) != 0) return 0;
    return a->scale == b->scale;
}

/* Samples of f - f* per (problem, format) at the shared sample steps. */
#define BF16_MAX_SAMPLES 256

typedef struct bf16_curves {
    size_t n;
    uint64_t step[BF16_MAX_SAMPLES];
    /* [problem][0] is the fp64 reference, [problem][1 + format] the formats. */
    double gap[OB_BF16_PROBLEMS][1 + OB_BF16_FORMATS][BF16_MAX_SAMPLES];
} bf16_curves;

/* One format on one problem, every ISA of `paths` in lockstep.  Fills the
 * final gap (lead ISA), the skip count and the curve, and the kernel
 * checks: bit-identity with the lead ISA after every step, agreement with
 * the double reference on the first 50 steps and every 97th (in units of
 * the format's bound, README "Mixed precision"). */
static int run_format(const ob_repro_opts *op, const ob_optimizer *o, const ob_hparams *h,
                      const ob_format *fmt, ob_problem *pb, uint64_t T, unsigned paths, ob_repro_kernels *k,
                      double *final_gap, uint64_t *skipped, double *curve, bf16_curves *cv, char *err,
                      size_t errlen)
{
    fpath fp[OB_ISA_COUNT];
    int isas[OB_ISA_COUNT], np = 0, rc = -1;
    size_t n = pb->n;
    double *g = malloc(n * sizeof *g);
    memset(fp, 0, sizeof fp);
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if ((paths >> OB_REPRO_PATH_ISA(i)) & 1u) isas[np++] = i;
    if (!g) goto oom;
    for (int j = 0; j < np; j++)
        if (fpath_init(&fp[j], (ob_isa)isas[j], fmt, o, pb) != 0) goto oom;
    size_t s = 0;
    uint64_t next = 1;
    for (uint64_t t = 1; t <= T; t++) {
        for (int j = 0; j < np; j++) {
            fpath *f = &fp[j];
            widen(fmt, f, n);
            pb->eval(pb, f->x, g, t);
            store_grad(fmt, f, g, n);
            int skip = 0;
            uint64_t topt = f->t_opt + 1;
            const float inv = (float)(1.0 / f->scale);
            ob_repro_kpath *kp = &k->p[OB_REPRO_PATH_ISA(f->isa)];
            if (t <= 50 || t % 97 == 0) {
                /* Sampled steps: the same step, checked against the double
                 * reference from the same storage (the format's bound:
                 * ob_mixed_agree_step, in units of that bound). */
                char where[512];
                double e = ob_mixed_agree_step(o, h, fmt, f->isa, topt, inv, n, f->p, f->g, f->state, &skip,
                                               where, sizeof where);
                if (e < 0) goto oom;
                if (!(e <= 1) && kp->agree_ok) ob_repro_log(op, "bf16: agreement: %s", where);
                kp->agree_checked++;
                kp->bound = 1;
                if (e > kp->max_agree || isnan(e)) kp->max_agree = e;
                if (!(e <= 1)) kp->agree_ok = 0;
            } else if (ob_step_mixed(o, f->isa, h, topt, fmt, inv, n, f->p, f->g, f->state, 1, &skip, err,
                                     errlen) != 0) {
                goto done;
            }
            if (!skip) f->t_opt = topt;
            if (fmt->grad == OB_DT_F16) update_scale(f, skip);
            kp->ran = 1;
            kp->steps++;
            if (j > 0 && kp->identical && !same_storage(fmt, o, &fp[0], f, n)) {
                kp->identical = 0;
                kp->first_diff_step = t;
            }
        }
        if (t == next || t == T) {
            widen(fmt, &fp[0], n);
            double gap = pb->loss(pb, fp[0].x, t) - pb->fstar;
            if (s < BF16_MAX_SAMPLES) {
                cv->step[s] = t;
                curve[s] = gap;
                s++;
            }
            *final_gap = gap;
            next = ob_repro_next_sample(t, T, 20);
        }
    }
    cv->n = s;
    *skipped = fp[0].skipped;
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "out of memory (bf16, %s, n = %zu)", fmt->name, n);
done:
    for (int j = 0; j < np; j++) fpath_free(&fp[j]);
    free(g);
    return rc;
}

/* The fp64 reference on the same problem: the ideal line of the figure. */
static int run_reference(const ob_optimizer *o, const ob_hparams *h, ob_problem *pb, uint64_t T,
                         double *curve, double *final_gap, char *err, size_t errlen)
{
    size_t n = pb->n;
    double *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g), *st[OB_MAX_STATE] = {0};
    int rc = -1, ok = x && g;
    for (size_t k = 0; k < o->n_state && ok; k++) ok = (st[k] = calloc(n, sizeof(double))) != NULL;
    if (!ok) {
        snprintf(err, errlen, "out of memory (bf16 reference, n = %zu)", n);
        goto done;
    }
    memcpy(x, pb->x0, n * sizeof *x);
    size_t s = 0;
    uint64_t next = 1;
    for (uint64_t t = 1; t <= T; t++) {
        pb->eval(pb, x, g, t);
        o->reference(h, t, n, x, g, st, NULL);
        if (t == next || t == T) {
            double gap = pb->loss(pb, x, t) - pb->fstar;
            if (s < BF16_MAX_SAMPLES) curve[s++] = gap;
            *final_gap = gap;
            next = ob_repro_next_sample(t, T, 20);
        }
    }
    rc = 0;
done:
    for (int k = 0; k < OB_MAX_STATE; k++) free(st[k]);
    free(x);
    free(g);
    return rc;
}

static int bf16_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                    size_t errlen)
{
    const ob_optimizer *o = ob_optimizer_find("adam");
    const uint64_t T = op->short_mode ? 3000 : 10000;
    ob_repro_bf16_measured m;
    memset(&m, 0, sizeof m);
    bf16_curves *cv = calloc(1, sizeof *cv);
    ob_problem *pb = NULL;
    int rc = -1;
    if (!cv) {
        snprintf(err, errlen, "out of memory (bf16 curves)");
        return -1;
    }
    m.steps = T;
    m.paths = op->paths & ~1u;
    if (!m.paths) {
        /* The formats have no fp64 path: run the best ISA at least. */
        ob_isa best = OB_ISA_SCALAR;
        for (int i = 0; i < OB_ISA_COUNT; i++)
            if (ob_isa_supported((ob_isa)i)) best = (ob_isa)i;
        m.paths = 1u << OB_REPRO_PATH_ISA(best);
    }
    for (size_t p = 0; p < OB_BF16_PROBLEMS; p++) {
        const bf16_problem *bp = &bf16_problems[p];
        ob_problem_config cfg = {0};
        cfg.params = bp->params;
        cfg.n_params = bp->n_params;
        ob_problem_error why = OB_PROBLEM_OK;
        cfg.why = &why;
        if (ob_problem_create(bp->name, &cfg, &pb, err, errlen) != 0) {
            if (why == OB_PROBLEM_EDATA) {
                /* heart_scale is a Debian package: without it, say so. */
                ob_repro_appendf(out->summary, sizeof out->summary, "%s not run (%s); ", bp->name, err);
                continue;
            }
            goto done;
        }
        ob_hparams h;
        ob_hparams_default(o, &h);
        h.lr = bp->lr;
        size_t q = m.n_problems++;
        snprintf(m.problem[q], sizeof m.problem[q], "%s", bp->name);
        m.gap0[q] = pb->loss(pb, pb->x0, 0) - pb->fstar;
        ob_repro_log(op, "%s: %s, %llu steps of adam, lr %g, fp64 reference", e->name, bp->name,
                     (unsigned long long)T, bp->lr);
        if (run_reference(o, &h, pb, T, cv->gap[q][0], &m.gap_fp64[q], err, errlen) != 0) goto done;
        for (int f = 0; f < OB_BF16_FORMATS; f++) {
            ob_format fmt;
            if (ob_format_parse(bf16_formats[f], &fmt, err, errlen) != 0) goto done;
            fmt.seed = SR_SEED;
            ob_repro_log(op, "%s: %s, format %s", e->name, bp->name, bf16_formats[f]);
            if (run_format(op, o, &h, &fmt, pb, T, m.paths, &out->kernels, &m.gap[q][f], &m.skipped[q][f],
                           cv->gap[q][1 + f], cv, err, errlen) != 0)
                goto done;
        }
        ob_problem_destroy(pb);
        pb = NULL;
    }
    out->verdict = ob_repro_check_bf16(&m, out->why, sizeof out->why);

    {
        ob_repro_csv csv;
        if (ob_repro_csv_open(&csv, op, e->name, out, err, errlen) != 0) goto done;
        fprintf(csv.af.f, "step");
        for (size_t q = 0; q < m.n_problems; q++) {
            fprintf(csv.af.f, ",%s_fp64", m.problem[q]);
            for (int f = 0; f < OB_BF16_FORMATS; f++)
                fprintf(csv.af.f, ",%s_%s", m.problem[q], bf16_formats[f]);
        }
        fputc('\n', csv.af.f);
        for (size_t s = 0; s < cv->n; s++) {
            fprintf(csv.af.f, "%llu", (unsigned long long)cv->step[s]);
            for (size_t q = 0; q < m.n_problems; q++)
                for (int f = 0; f <= OB_BF16_FORMATS; f++) {
                    double v = cv->gap[q][f][s];
                    if (isfinite(v)) fprintf(csv.af.f, ",%.9g", v);
                    else fputc(',', csv.af.f);
                }
            fputc('\n', csv.af.f);
        }
        if (ob_repro_csv_commit(&csv, err, errlen) != 0) goto done;
    }

    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "optimizer", "adam");
    cJSON_AddNumberToObject(j, "steps", (double)T);
    cJSON_AddNumberToObject(j, "sr_seed", SR_SEED);
    cJSON_AddNumberToObject(j, "loss_scale_init", LS_INIT);
    cJSON *jp = cJSON_AddObjectToObject(j, "problems");
    ob_hparams hd;
    ob_hparams_default(o, &hd);
    for (size_t q = 0; q < m.n_problems; q++) {
        cJSON *jq = cJSON_AddObjectToObject(jp, m.problem[q]);
        ob_json_add_num(jq, "gap0", m.gap0[q]);
        ob_json_add_num(jq, "gap_fp64", m.gap_fp64[q]);
        for (int f = 0; f < OB_BF16_FORMATS; f++) {
            cJSON *jf = cJSON_AddObjectToObject(jq, bf16_formats[f]);
            ob_format fmt;
            ob_format_parse(bf16_formats[f], &fmt, err, errlen);
            ob_json_add_num(jf, "gap", m.gap[q][f]);
            cJSON_AddNumberToObject(jf, "bytes_per_param", (double)ob_mixed_traffic_bytes(o, &hd, &fmt));
            cJSON_AddNumberToObject(jf, "skipped_steps", (double)m.skipped[q][f]);
        }
    }
    out->measured = j;
    for (size_t q = 0; q < m.n_problems; q++) {
        ob_repro_appendf(out->summary, sizeof out->summary, "%s%s f-f* after %llu steps:", q ? "; " : "",
                         m.problem[q], (unsigned long long)T);
        for (int f = 0; f < OB_BF16_FORMATS; f++)
            ob_repro_appendf(out->summary, sizeof out->summary, " %s %.2g%s", bf16_formats[f], m.gap[q][f],
                             m.skipped[q][f] ? " (skips)" : "");
    }
    rc = 0;
done:
    if (pb) ob_problem_destroy(pb);
    free(cv);
    return rc;
}

static int bf16_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                       size_t errlen)
{
    char extra[512] = "problems='", fmts[256] = "";
    const cJSON *jp = cJSON_GetObjectItemCaseSensitive(out->measured, "problems"), *q;
    int nq = 0;
    cJSON_ArrayForEach(q, jp)
    {
        ob_repro_appendf(extra, sizeof extra, "%s%s", nq ? " " : "", q->string);
        nq++;
    }
    for (int f = 0; f < OB_BF16_FORMATS; f++)
        ob_repro_appendf(fmts, sizeof fmts, "%s%s", f ? " " : "", bf16_formats[f]);
    ob_repro_appendf(extra, sizeof extra, "'; fmts='%s'", fmts);
    if (!nq) return snprintf(err, errlen, "no problem ran"), -1;
    return ob_repro_figure(e, o, out, extra, err, errlen);
}

const ob_repro_entry ob_repro_bf16 = {
    "bf16",
    "bf16 parameters: nearest rounding stalls, stochastic rounding does not",
    "S. Gupta, A. Agrawal, K. Gopalakrishnan & P. Narayanan, Deep Learning with Limited Numerical Precision, "
    "ICML 2015, §3-4; P. Zamirai, J. Zhang, C. R. Aberger & C. De Sa, Revisiting BFloat16 Training, "
    "arXiv:2010.06192, 2020, §3",
    "With bf16 parameters and no fp32 master copy, round-to-nearest weight updates cancel every update smaller "
    "than half a bf16 ULP of the weight, so training stalls short of what fp32 reaches; stochastic rounding "
    "keeps those updates in expectation and recovers (most of) the fp32 result. Beside the verdict the run "
    "measures what every storage format costs on the same problems.",
    "Adam (torch defaults, lr 1e-3: about 1e-3 per step, below half a bf16 ULP once |p| >= 0.5) for 10^4 steps "
    "(3000 in short mode) on quad_diag (n = 100, cond = 100, x0 = 1) and heart_logreg (x* up to 2.2), in the "
    "formats fp32, bf16-state, fp16-grads (dynamic loss scale: GradScaler's defaults 2^16, x0.5 on overflow, "
    "x2 after 2000 good steps), bf16-params (nearest), bf16-params-sr, bf16 and bf16-sr (stochastic rounding "
    "seed 20151), and the fp64 reference; every chosen ISA in lockstep, checked bit-identical after every step.",
    "Per problem: REPRODUCED when bf16-params ends with f - f* at least 10x fp32's and bf16-params-sr at most a "
    "tenth of bf16-params'; NOT REPRODUCED when bf16-params is within 2x of fp32 or bf16-params-sr keeps at "
    "least half of bf16-params' gap; INCONCLUSIVE otherwise (or when a run diverged).",
    "repro_bf16.gp",
    bf16_run,
    bf16_figure,
};
