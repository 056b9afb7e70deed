/*
 * repro_dettmers.c — 8-bit block-wise Adam matches 32-bit Adam (Dettmers,
 * Lewis, Shleifer & Zettlemoyer, "8-bit Optimizers via Block-wise
 * Quantization", ICLR 2022, Table 1 and §4).
 *
 * The paper's claim: Adam whose two state arrays are stored in 8 bits,
 * block-wise (one absmax per block of 2048) with the dynamic tree code,
 * reaches the final loss / accuracy of 32-bit Adam on its benchmarks, at a
 * quarter of the state memory.  The ablations (§4) attribute it
 * to block-wise quantization (robust to outliers in the state) and the
 * dynamic code (relative precision over seven decades).
 *
 * Here: Adam in fp32 and in the q8-state format (README "8-bit state": the
 * paper's block 2048 and dynamic code, unsigned for v) from the same
 * start, the same mini-batches and the same lr on the catalog's ML
 * problems, scaled to 2 cores; the final training loss of each q8 run is
 * compared with fp32's, relative to the decrease fp32 achieves.  The claim
 * is restricted to these problems, as the paper's is to its ML
 * benchmarks: on ill-conditioned quadratics (quad_diag with a large
 * condition number) the small v values of a block quantize to zero against
 * its absmax, the steps of those coordinates blow up to lr m / eps, and q8
 * does not match fp32 there (README "Reproductions", dettmers).
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

ob_repro_verdict ob_repro_check_dettmers(const ob_repro_dettmers_measured *m, char *why, size_t len)
{
    ob_repro_verdict v = OB_REPRO_REPRODUCED;
    why[0] = '\0';
    if (!m->n_problems) {
        snprintf(why, len, "no problem ran");
        return OB_REPRO_INCONCLUSIVE;
    }
    for (size_t p = 0; p < m->n_problems; p++) {
        const double d = m->loss0[p] - m->loss_fp32[p];
        if (!isfinite(m->loss_fp32[p]) || !(d > 0)) {
            v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
            ob_appendf(why, len, "%s: fp32 Adam did not decrease the loss (%.4g -> %.4g); ", m->problem[p],
                       m->loss0[p], m->loss_fp32[p]);
            continue;
        }
        const double rel = (m->loss_q8[p] - m->loss_fp32[p]) / d;
        if (isfinite(rel) && fabs(rel) <= OB_DETTMERS_MATCH) continue;
        const int bad = !isfinite(rel) || fabs(rel) > OB_DETTMERS_MISMATCH;
        v = ob_repro_combine(v, bad ? OB_REPRO_NOT_REPRODUCED : OB_REPRO_INCONCLUSIVE);
        ob_appendf(why, len,
                   "%s: q8 ends at %.6g, fp32 at %.6g from %.6g: %+.3g%% of fp32's decrease (match: within "
                   "%g%%, mismatch: beyond %g%%); ",
                   m->problem[p], m->loss_q8[p], m->loss_fp32[p], m->loss0[p], 100 * rel, 100 * OB_DETTMERS_MATCH,
                   100 * OB_DETTMERS_MISMATCH);
    }
    if (v == OB_REPRO_REPRODUCED)
        snprintf(why, len,
                 "on every problem 8-bit block-wise Adam's final training loss differs from fp32 Adam's by at "
                 "most %g%% of the decrease fp32 Adam achieves",
                 100 * OB_DETTMERS_MATCH);
    return v;
}

/* ---- the setup ------------------------------------------------------------------ */

/* Steps of every problem (one count keeps the sampled steps common to all
 * curves), and the examples the MLP's reported loss averages over. */
#define DM_STEPS 1000
#define DM_STEPS_SHORT 200
#define DM_MLP_EVAL 2000
#define DM_LOGREG_EVAL 10000
#define DM_FORMAT "q8-state"
/* lr: Adam's default 1e-3 where it trains within the budget (the
 * Fashion-MNIST problems, DeepOBS' setting), 1e-2 on the small convex ones
 * (as test_q8_convergence); mini-batches. */
#define DM_LR_CONVEX 1e-2
#define DM_LR_FMNIST 1e-3
#define DM_BATCH_SPARSE 16
#define DM_BATCH_FMNIST 128

typedef struct dm_problem {
    const char *name;
    const char *param; /* NULL: the defaults */
    size_t batch;      /* 0: the problem's default */
    double lr;
} dm_problem;

static const dm_problem dm_problems[OB_DETTMERS_PROBLEMS] = {
    {"heart_logreg", NULL, 0, DM_LR_CONVEX},
    {"sparse_logreg", NULL, DM_BATCH_SPARSE, DM_LR_CONVEX},
    {"fmnist_logreg", "eval=" OB_REPRO_STR(DM_LOGREG_EVAL), DM_BATCH_FMNIST, DM_LR_FMNIST},
    {"fmnist_mlp", "eval=" OB_REPRO_STR(DM_MLP_EVAL), DM_BATCH_FMNIST, DM_LR_FMNIST},
};

#define DM_MAX_SAMPLES 128

typedef struct dm_curves {
    size_t n;
    uint64_t step[DM_MAX_SAMPLES];
    double loss[OB_DETTMERS_PROBLEMS][2][DM_MAX_SAMPLES]; /* [problem][fp32, q8] */
} dm_curves;

typedef struct dm_rows {
    dm_curves *cv;
    double *curve;
    int path;
    size_t s;
} dm_rows;

static void dm_row(void *ctx, const ob_engine_row *r)
{
    dm_rows *b = ctx;
    if (b->s >= DM_MAX_SAMPLES) return;
    b->cv->step[b->s] = r->t;
    b->curve[b->s++] = r->loss[b->path];
}

/* One trajectory of Adam on pb in format fmt (NULL: fp32) on `paths` (the
 * chosen ISAs in lockstep, bit-identity checked after every step,
 * agreement on the first 20 steps and every 97th); the lead ISA's loss at
 * the sampled steps goes to curve, its final loss to *fin. */
static int dm_traj(const ob_optimizer *o, const ob_hparams *h, const ob_format *fmt, ob_problem *pb, uint64_t T,
                   unsigned paths, ob_repro_kernels *k, double *curve, dm_curves *cv, double *fin, char *err,
                   size_t errlen)
{
    ob_repro_objective obj = ob_repro_problem_objective(pb);
    int lead = ob_repro_first_fp32(paths);
    dm_rows rows = {cv, curve, lead, 0};
    ob_repro_traj_cfg c;
    ob_repro_traj_init(&c, paths, o, T, NULL, &rows);
    c.h = *h;
    c.agree_dense = 20;
    c.format = fmt;
    c.measure_per_decade = 6;
    c.row = dm_row;
    ob_engine_result *r = malloc(sizeof *r);
    if (!r) return snprintf(err, errlen, "out of memory (dettmers)"), -1;
    c.result = r;
    int rc = ob_repro_traj(&obj, &c, k, err, errlen);
    if (rc == 0) {
        cv->n = rows.s;
        *fin = r->p[lead].final_loss;
    }
    free(r);
    return rc;
}

static int write_csv(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out,
                     const ob_repro_dettmers_measured *m, const dm_curves *cv, char *err, size_t errlen)
{
    ob_repro_csv csv;
    if (ob_repro_csv_open(&csv, op, e->name, out, err, errlen) != 0) return -1;
    fprintf(csv.af.f, "step");
    for (size_t q = 0; q < m->n_problems; q++) fprintf(csv.af.f, ",%s_fp32,%s_q8", m->problem[q], m->problem[q]);
    fputc('\n', csv.af.f);
    for (size_t s = 0; s < cv->n; s++) {
        fprintf(csv.af.f, "%llu", (unsigned long long)cv->step[s]);
        for (size_t q = 0; q < m->n_problems; q++)
            for (int f = 0; f < 2; f++) {
                const double v = cv->loss[q][f][s];
                if (isfinite(v)) fprintf(csv.af.f, ",%.9g", v);
                else fputc(',', csv.af.f);
            }
        fputc('\n', csv.af.f);
    }
    return ob_repro_csv_commit(&csv, err, errlen);
}

static cJSON *measured_json(const ob_repro_dettmers_measured *m, const ob_format *fmt)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "optimizer", "adam");
    cJSON_AddStringToObject(j, "format", fmt->name);
    cJSON_AddNumberToObject(j, "block", fmt->block);
    cJSON_AddNumberToObject(j, "steps", (double)m->steps);
    cJSON_AddNumberToObject(j, "mlp_eval", DM_MLP_EVAL);
    cJSON_AddNumberToObject(j, "logreg_eval", DM_LOGREG_EVAL);
    cJSON_AddNumberToObject(j, "match", OB_DETTMERS_MATCH);
    cJSON_AddNumberToObject(j, "mismatch", OB_DETTMERS_MISMATCH);
    cJSON *jp = cJSON_AddObjectToObject(j, "problems");
    for (size_t q = 0; q < m->n_problems; q++) {
        cJSON *jq = cJSON_AddObjectToObject(jp, m->problem[q]);
        cJSON_AddNumberToObject(jq, "lr", m->lr[q]);
        cJSON_AddNumberToObject(jq, "batch", (double)m->batch[q]);
        cJSON_AddNumberToObject(jq, "dimension", (double)m->dim[q]);
        ob_json_add_num(jq, "loss0", m->loss0[q]);
        ob_json_add_num(jq, "loss_fp32", m->loss_fp32[q]);
        ob_json_add_num(jq, "loss_q8", m->loss_q8[q]);
        ob_json_add_num(jq, "rel", (m->loss_q8[q] - m->loss_fp32[q]) / (m->loss0[q] - m->loss_fp32[q]));
    }
    return j;
}

/* Runs problem q of the table (fp32, then q8); 1 when its data set is
 * missing (noted in the summary), 0, or -1 with a message. */
static int dm_problem_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, size_t q,
                          const ob_format *fmt, ob_repro_dettmers_measured *m, dm_curves *cv, char *err,
                          size_t errlen)
{
    const dm_problem *bp = &dm_problems[q];
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_problem_config cfg = {0};
    const char *params[1] = {bp->param};
    cfg.params = params;
    cfg.n_params = bp->param ? 1 : 0;
    cfg.batch = bp->batch;
    cfg.data_dir = op->data_dir;
    ob_problem_error why = OB_PROBLEM_OK;
    cfg.why = &why;
    ob_problem *pb = NULL;
    if (ob_problem_create(bp->name, &cfg, &pb, err, errlen) != 0) {
        if (why != OB_PROBLEM_EDATA) return -1;
        ob_appendf(out->summary, sizeof out->summary, "%s not run (%s); ", bp->name, err);
        return 1;
    }
    ob_hparams h;
    ob_hparams_default(o, &h);
    h.lr = bp->lr;
    const size_t k = m->n_problems;
    snprintf(m->problem[k], sizeof m->problem[k], "%s", bp->name);
    m->lr[k] = bp->lr;
    m->batch[k] = pb->batch;
    m->dim[k] = pb->n;
    m->loss0[k] = pb->loss(pb, pb->x0, 0);
    ob_repro_log(op, "%s: %s (n = %zu), %llu steps of adam, lr %g, fp32 and %s", e->name, bp->name, pb->n,
                 (unsigned long long)m->steps, bp->lr, fmt->name);
    int rc = dm_traj(o, &h, NULL, pb, m->steps, m->paths, &out->kernels, cv->loss[k][0], cv, &m->loss_fp32[k],
                     err, errlen);
    if (rc == 0)
        rc = dm_traj(o, &h, fmt, pb, m->steps, m->paths, &out->kernels, cv->loss[k][1], cv, &m->loss_q8[k], err,
                     errlen);
    ob_problem_destroy(pb);
    if (rc == 0) m->n_problems++;
    return rc;
}

static int dettmers_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                        size_t errlen)
{
    ob_repro_dettmers_measured m;
    memset(&m, 0, sizeof m);
    ob_format fmt;
    if (ob_format_parse(DM_FORMAT, &fmt, err, errlen) != 0) return -1;
    dm_curves *cv = calloc(1, sizeof *cv);
    if (!cv) return snprintf(err, errlen, "out of memory (dettmers curves)"), -1;
    m.steps = op->short_mode ? DM_STEPS_SHORT : DM_STEPS;
    /* The format runs on kernel paths only: the chosen ISAs, at least the
     * best one. */
    m.paths = op->paths & ~1u;
    if (!m.paths) {
        ob_isa best = OB_ISA_SCALAR;
        for (int i = 0; i < OB_ISA_COUNT; i++)
            if (ob_isa_supported((ob_isa)i)) best = (ob_isa)i;
        m.paths = 1u << OB_REPRO_PATH_ISA(best);
    }
    int rc = -1;
    for (size_t q = 0; q < OB_DETTMERS_PROBLEMS; q++)
        if (dm_problem_run(e, op, out, q, &fmt, &m, cv, err, errlen) < 0) goto done;
    out->verdict = ob_repro_check_dettmers(&m, out->why, sizeof out->why);
    if (write_csv(e, op, out, &m, cv, err, errlen) != 0) goto done;
    out->measured = measured_json(&m, &fmt);
    for (size_t q = 0; q < m.n_problems; q++)
        ob_appendf(out->summary, sizeof out->summary, "%s%s loss after %llu steps: fp32 %.5g, q8 %.5g (%+.3g%%)",
                   q ? "; " : "", m.problem[q], (unsigned long long)m.steps, m.loss_fp32[q], m.loss_q8[q],
                   100 * (m.loss_q8[q] - m.loss_fp32[q]) / (m.loss0[q] - m.loss_fp32[q]));
    rc = 0;
done:
    free(cv);
    return rc;
}

static int dettmers_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                           size_t errlen)
{
    /* The problems, and each one's rel (the check's figure) for the panel titles. */
    char extra[512] = "problems='", rels[256] = "";
    const cJSON *jp = cJSON_GetObjectItemCaseSensitive(out->measured, "problems"), *q;
    int nq = 0;
    cJSON_ArrayForEach(q, jp)
    {
        const cJSON *rel = cJSON_GetObjectItemCaseSensitive(q, "rel");
        ob_appendf(extra, sizeof extra, "%s%s", nq ? " " : "", q->string);
        if (cJSON_IsNumber(rel) && isfinite(rel->valuedouble))
            ob_appendf(rels, sizeof rels, "%s%+.3g%%", nq ? " " : "", 100 * rel->valuedouble);
        else ob_appendf(rels, sizeof rels, "%snot-finite", nq ? " " : "");
        nq++;
    }
    ob_appendf(extra, sizeof extra, "'; rels='%s'", rels);
    if (!nq) return snprintf(err, errlen, "no problem ran"), -1;
    return ob_repro_figure(e, o, out, extra, err, errlen);
}

const ob_repro_entry ob_repro_dettmers = {
    "dettmers",
    "8-bit block-wise Adam matches 32-bit Adam",
    "T. Dettmers, M. Lewis, S. Shleifer & L. Zettlemoyer, 8-bit Optimizers via Block-wise Quantization, "
    "ICLR 2022, Table 1, §2 and §4 (ablations)",
    "Adam with both state arrays stored in 8 bits, block-wise (one absmax per block of 2048 values) with the "
    "dynamic tree code, reaches the final loss of 32-bit Adam (Table 1), at a quarter of the state memory; the "
    "ablations (§4) attribute it to block-wise quantization and the dynamic code. Restricted here, as in the "
    "paper, to ML problems: on ill-conditioned quadratics small v values quantize to zero against their "
    "block's absmax and q8 does not match.",
    "Adam (torch defaults but lr) for " OB_REPRO_STR(DM_STEPS) " steps (" OB_REPRO_STR(DM_STEPS_SHORT) " in "
    "short mode) in fp32 and in format " DM_FORMAT " (blocks of 2048, dynamic tree code, unsigned for v; fp32 "
    "parameters and gradients), same start, mini-batches and lr, on heart_logreg (full batch, lr "
    OB_REPRO_STR(DM_LR_CONVEX) "), sparse_logreg (n = 10000 power-law features, batch " OB_REPRO_STR(
        DM_BATCH_SPARSE) ", lr " OB_REPRO_STR(DM_LR_CONVEX) "), fmnist_logreg (batch " OB_REPRO_STR(DM_BATCH_FMNIST)
    ", lr " OB_REPRO_STR(DM_LR_FMNIST) ", loss over the first eval=" OB_REPRO_STR(DM_LOGREG_EVAL)
    " training examples) and fmnist_mlp (784-256-10, 203530 parameters, batch " OB_REPRO_STR(DM_BATCH_FMNIST)
    ", lr " OB_REPRO_STR(DM_LR_FMNIST) ", loss over the first eval=" OB_REPRO_STR(DM_MLP_EVAL)
    " training examples). Scaled down from the paper's GPU-days benchmarks to a few hundred steps on 2 cores; "
    "every chosen ISA in lockstep, checked bit-identical after every step.",
    "Per problem, rel = (loss_q8 - loss_fp32) / (loss_0 - loss_fp32), the final training losses relative to "
    "the decrease fp32 achieves: REPRODUCED when |rel| <= " OB_REPRO_STR(OB_DETTMERS_MATCH) " on every problem "
    "(the 5% margin of README \"8-bit state\"; the paper's 8-bit and 32-bit results differ by less than their "
    "seeds' spread); NOT REPRODUCED when some |rel| > " OB_REPRO_STR(OB_DETTMERS_MISMATCH) " or q8 diverged; "
    "INCONCLUSIVE in between or when fp32 did not decrease the loss.",
    "repro_dettmers.gp",
    dettmers_run,
    dettmers_figure,
};
