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
#include "harness/core/ob_core.h"
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
            ob_appendf(why, len, "%s: a run diverged; ", m->problem[p]);
            continue;
        }
        /* Nearest rounding costs something: at least 10x fp32's gap. */
        if (!(rne >= 10 * f32)) {
            v = ob_repro_combine(v, rne <= 2 * f32 ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE);
            ob_appendf(why, len,
                             "%s: bf16 with nearest rounding ends at f - f* = %.3g, fp32 at %.3g "
                             "(claim: nearest rounding stalls, >= 10x); ",
                             m->problem[p], rne, f32);
        }
        /* Stochastic rounding recovers it: at most a tenth of RNE's gap. */
        if (!(sr <= 0.1 * rne)) {
            v = ob_repro_combine(v, sr >= 0.5 * rne ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE);
            ob_appendf(why, len,
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

#define SR_SEED 20151

/* Samples of f - f* per (problem, format) at the shared sample steps. */
#define BF16_MAX_SAMPLES 256

typedef struct bf16_curves {
    size_t n;
    uint64_t step[BF16_MAX_SAMPLES];
    /* [problem][0] is the fp64 reference, [problem][1 + format] the formats. */
    double gap[OB_BF16_PROBLEMS][1 + OB_BF16_FORMATS][BF16_MAX_SAMPLES];
} bf16_curves;

/* The row observer: f - f* of one path at the sampled steps after t = 0
 * (ob_engine_next_sample, 20 a decade, and the last). */
typedef struct bf16_rows {
    bf16_curves *cv;
    double *curve;
    int path;
    size_t s;
} bf16_rows;

static void bf16_row(void *ctx, const ob_engine_row *r)
{
    bf16_rows *b = ctx;
    if (r->t == 0 || b->s >= BF16_MAX_SAMPLES) return;
    b->cv->step[b->s] = r->t;
    b->curve[b->s++] = r->gap[b->path];
}

/* One trajectory of adam on pb for T steps on `paths`: the fp64
 * reference alone (fmt NULL) or every chosen ISA in the storage format
 * fmt, in lockstep on the engine (bit-identity with the lead ISA after
 * every step, agreement with the double reference on the first 50 steps
 * and every 97th, in units of the format's bound: README "Mixed
 * precision").  Fills the curve of the lead path, its final gap and skip
 * count; the kernel checks go to k. */
static int run_traj(const ob_repro_opts *op, const ob_optimizer *o, const ob_hparams *h, const ob_format *fmt,
                    ob_problem *pb, uint64_t T, unsigned paths, ob_repro_kernels *k, double *curve,
                    bf16_curves *cv, double *final_gap, uint64_t *skipped, char *err, size_t errlen)
{
    ob_repro_objective obj = ob_repro_problem_objective(pb);
    /* The gap is always against the problem's f* (both problems know it). */
    obj.has_fstar = 1;
    obj.fstar = pb->fstar;
    int lead = OB_REPRO_REF;
    for (int i = OB_ISA_COUNT - 1; fmt && i >= 0; i--)
        if ((paths >> OB_REPRO_PATH_ISA(i)) & 1u) lead = OB_REPRO_PATH_ISA(i);
    bf16_rows rows = {cv, curve, lead, 0};
    ob_repro_traj_cfg c;
    ob_repro_traj_init(&c, fmt ? paths : 1u, o, T, NULL, &rows);
    c.h = *h;
    c.agree_dense = 50;
    c.format = fmt;
    c.measure_per_decade = 20;
    c.row = bf16_row;
    ob_engine_result *r = malloc(sizeof *r);
    if (!r) return snprintf(err, errlen, "out of memory (bf16)"), -1;
    c.result = r;
    int rc = ob_repro_traj(&obj, &c, k, err, errlen);
    if (rc == 0) {
        cv->n = rows.s;
        *final_gap = r->p[lead].final_gap;
        *skipped = r->p[lead].skipped_steps;
        for (int p = 1; p < OB_REPRO_MAX_PATHS; p++)
            if (r->p[p].ran && !r->p[p].agree_ok)
                ob_repro_log(op, "bf16: agreement: %s: %s", ob_repro_path_name(p), r->p[p].max_agree_where);
    }
    free(r);
    return rc;
}

/* bf16.csv: f - f* of the reference and every format per problem, at
 * the sampled steps. */
static int write_csv(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out,
                     const ob_repro_bf16_measured *m, const bf16_curves *cv, char *err, size_t errlen)
{
    ob_repro_csv csv;
    if (ob_repro_csv_open(&csv, op, e->name, out, err, errlen) != 0) return -1;
    fprintf(csv.af.f, "step");
    for (size_t q = 0; q < m->n_problems; q++) {
        fprintf(csv.af.f, ",%s_fp64", m->problem[q]);
        for (int f = 0; f < OB_BF16_FORMATS; f++)
            fprintf(csv.af.f, ",%s_%s", m->problem[q], bf16_formats[f]);
    }
    fputc('\n', csv.af.f);
    for (size_t s = 0; s < cv->n; s++) {
        fprintf(csv.af.f, "%llu", (unsigned long long)cv->step[s]);
        for (size_t q = 0; q < m->n_problems; q++)
            for (int f = 0; f <= OB_BF16_FORMATS; f++) {
                double v = cv->gap[q][f][s];
                if (isfinite(v)) fprintf(csv.af.f, ",%.9g", v);
                else fputc(',', csv.af.f);
            }
        fputc('\n', csv.af.f);
    }
    return ob_repro_csv_commit(&csv, err, errlen);
}

/* repro.json's "measured" of the entry. */
static cJSON *measured_json(const ob_optimizer *o, const ob_repro_bf16_measured *m, uint64_t T)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "optimizer", "adam");
    cJSON_AddNumberToObject(j, "steps", (double)T);
    cJSON_AddNumberToObject(j, "sr_seed", SR_SEED);
    cJSON_AddNumberToObject(j, "loss_scale_init", OB_ENGINE_LOSS_SCALE_INIT);
    cJSON *jp = cJSON_AddObjectToObject(j, "problems");
    ob_hparams hd;
    ob_hparams_default(o, &hd);
    for (size_t q = 0; q < m->n_problems; q++) {
        cJSON *jq = cJSON_AddObjectToObject(jp, m->problem[q]);
        ob_json_add_num(jq, "gap0", m->gap0[q]);
        ob_json_add_num(jq, "gap_fp64", m->gap_fp64[q]);
        for (int f = 0; f < OB_BF16_FORMATS; f++) {
            cJSON *jf = cJSON_AddObjectToObject(jq, bf16_formats[f]);
            ob_format fmt;
            char msg[256];
            ob_format_parse(bf16_formats[f], &fmt, msg, sizeof msg);
            ob_json_add_num(jf, "gap", m->gap[q][f]);
            cJSON_AddNumberToObject(jf, "bytes_per_param", (double)ob_mixed_traffic_bytes(o, &hd, &fmt));
            cJSON_AddNumberToObject(jf, "skipped_steps", (double)m->skipped[q][f]);
        }
    }
    return j;
}

#define BF16_STEPS 10000
#define BF16_STEPS_SHORT 3000

static int bf16_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                    size_t errlen)
{
    const ob_optimizer *o = ob_optimizer_find("adam");
    const uint64_t T = op->short_mode ? BF16_STEPS_SHORT : BF16_STEPS;
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
                ob_appendf(out->summary, sizeof out->summary, "%s not run (%s); ", bp->name, err);
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
        ob_repro_kernels ref_k; /* the reference is no kernel: its checks are not reported */
        ob_repro_kernels_init(&ref_k);
        uint64_t none;
        if (run_traj(op, o, &h, NULL, pb, T, 1u, &ref_k, cv->gap[q][0], cv, &m.gap_fp64[q], &none, err, errlen) !=
            0)
            goto done;
        for (int f = 0; f < OB_BF16_FORMATS; f++) {
            ob_format fmt;
            if (ob_format_parse(bf16_formats[f], &fmt, err, errlen) != 0) goto done;
            fmt.seed = SR_SEED;
            ob_repro_log(op, "%s: %s, format %s", e->name, bp->name, bf16_formats[f]);
            if (run_traj(op, o, &h, &fmt, pb, T, m.paths, &out->kernels, cv->gap[q][1 + f], cv, &m.gap[q][f],
                         &m.skipped[q][f], err, errlen) != 0)
                goto done;
        }
        ob_problem_destroy(pb);
        pb = NULL;
    }
    out->verdict = ob_repro_check_bf16(&m, out->why, sizeof out->why);

    if (write_csv(e, op, out, &m, cv, err, errlen) != 0) goto done;
    out->measured = measured_json(o, &m, T);
    for (size_t q = 0; q < m.n_problems; q++) {
        ob_appendf(out->summary, sizeof out->summary, "%s%s f-f* after %llu steps:", q ? "; " : "",
                         m.problem[q], (unsigned long long)T);
        for (int f = 0; f < OB_BF16_FORMATS; f++)
            ob_appendf(out->summary, sizeof out->summary, " %s %.2g%s", bf16_formats[f], m.gap[q][f],
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
        ob_appendf(extra, sizeof extra, "%s%s", nq ? " " : "", q->string);
        nq++;
    }
    for (int f = 0; f < OB_BF16_FORMATS; f++)
        ob_appendf(fmts, sizeof fmts, "%s%s", f ? " " : "", bf16_formats[f]);
    ob_appendf(extra, sizeof extra, "'; fmts='%s'", fmts);
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
    "Adam (torch defaults, lr 1e-3: about 1e-3 per step, below half a bf16 ULP once |p| >= 0.5) for " OB_REPRO_STR(BF16_STEPS) " "
    "steps (" OB_REPRO_STR(BF16_STEPS_SHORT) " in short mode) on quad_diag (n = 100, cond = 100, x0 = 1) and heart_logreg (x* up to 2.2), in the "
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
