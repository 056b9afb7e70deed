/*
 * repro_nqm.c — the noisy quadratic model of Zhang, Li, Nado, Martens,
 * Sachdeva, Dahl, Shallue & Grosse, "Which Algorithmic Choices Matter at
 * Which Batch Sizes? Insights From a Noisy Quadratic Model", NeurIPS 2019,
 * §3: for SGD the expected loss has a closed form (§3.1),
 *   E[l_i(t)] = (1 - a h_i)^{2t} l_i(0) + a c_i (1 - (1 - a h_i)^{2t}) / (2B (2 - a h_i)),
 * with h_i = 1/i, gradient noise N(0, C/B), C = H.  The catalog's "nqm"
 * problem implements the model and the closed form
 * (ob_nqm_expected_loss_sgd); here the sgd kernel's mean loss over many
 * seeds (each seed a fresh noise sequence) is compared with it, with a
 * confidence interval from the seeds' spread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/problems.h"
#include "ob_repro.h"
#include "repro_internal.h"
#include "harness/core/ob_core.h"

ob_repro_verdict ob_repro_check_nqm(const ob_repro_nqm_measured *m, char *why, size_t len)
{
    ob_repro_verdict v = OB_REPRO_REPRODUCED;
    double zmax = 0, wmax = 0;
    why[0] = '\0';
    if (!m->paths || !m->n_checkpoints) {
        snprintf(why, len, "nothing was measured");
        return OB_REPRO_INCONCLUSIVE;
    }
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        if (!((m->paths >> p) & 1u)) continue;
        for (size_t i = 0; i < m->n_checkpoints; i++) {
            double se = m->stderr_[p][i], e = m->expected[i];
            double z = fabs(m->mean[p][i] - e) / se, w = m->z_crit * se / e;
            if (!(se > 0) || !isfinite(z)) z = m->mean[p][i] == e ? 0 : INFINITY;
            if (z > zmax || isnan(z)) zmax = z;
            if (w > wmax || isnan(w)) wmax = w;
            if (z > m->z_crit) {
                v = OB_REPRO_NOT_REPRODUCED;
                ob_appendf(why, len,
                                 "%s: at t = %llu the mean loss %.5g is %.2f standard errors from the "
                                 "closed form %.5g; ",
                                 ob_repro_path_name(p), (unsigned long long)m->t[i], m->mean[p][i], z, e);
            } else if (!(w <= 0.2) && v == OB_REPRO_REPRODUCED) {
                v = OB_REPRO_INCONCLUSIVE;
                ob_appendf(why, len,
                                 "%s: at t = %llu the interval is +-%.0f%% of the expected loss (too "
                                 "few seeds); ",
                                 ob_repro_path_name(p), (unsigned long long)m->t[i], 100 * w);
            }
        }
    }
    if (v == OB_REPRO_REPRODUCED)
        snprintf(why, len,
                 "at every checkpoint and path the closed form lies within %.2f standard errors of the "
                 "mean over %zu seeds (largest deviation %.2f; intervals at most +-%.1f%%)",
                 m->z_crit, m->seeds, zmax, 100 * wmax);
    return v;
}

double ob_repro_normal_quantile(double p)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

typedef struct nqm_obs {
    ob_problem *pb;
    const ob_repro_nqm_measured *m;
    double sum[OB_REPRO_MAX_PATHS][OB_NQM_MAX_CHECKPOINTS], sq[OB_REPRO_MAX_PATHS][OB_NQM_MAX_CHECKPOINTS];
    size_t next[OB_REPRO_MAX_PATHS];
} nqm_obs;

static void nqm_observe(void *ctx, const ob_repro_step *s)
{
    nqm_obs *o = ctx;
    size_t k = o->next[s->path];
    if (k >= o->m->n_checkpoints || o->m->t[k] != s->t) return;
    double l = o->pb->loss(o->pb, s->x, s->t);
    o->sum[s->path][k] += l;
    o->sq[s->path][k] += l * l;
    o->next[s->path] = k + 1;
}

#define NQM_N 100
#define NQM_BATCH 16
#define NQM_LR 0.5
#define NQM_T 1000
#define NQM_ALPHA 0.01 /* family-wise level of the intervals */

/* The entry's CSV: the closed form on a fine grid; the measured means and
 * intervals at the checkpoints (empty elsewhere). */
static int nqm_csv(const ob_repro_entry *e, const ob_repro_opts *op, const ob_repro_nqm_measured *m,
                   ob_repro_outcome *out, char *err, size_t errlen)
{
    ob_problem_config cfg = {.n = NQM_N, .seed = 1000, .batch = NQM_BATCH};
    ob_problem *pb = NULL;
    if (ob_problem_create("nqm", &cfg, &pb, err, errlen) != 0) return -1;
    ob_repro_csv csv;
    if (ob_repro_csv_open(&csv, op, e->name, out, err, errlen) != 0) {
        ob_problem_destroy(pb);
        return -1;
    }
    fprintf(csv.af.f, "step,expected");
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
        if ((m->paths >> p) & 1u)
            fprintf(csv.af.f, ",%s_mean,%s_lo,%s_hi", ob_repro_path_name(p), ob_repro_path_name(p),
                    ob_repro_path_name(p));
    fputc('\n', csv.af.f);
    /* Rows: the union of a fine log grid and the checkpoints. */
    size_t k = 0;
    uint64_t fine = 1;
    while (fine || k < m->n_checkpoints) {
        uint64_t t = k < m->n_checkpoints && (!fine || m->t[k] <= fine) ? m->t[k] : fine;
        if (fine == t) fine = ob_engine_next_sample(fine, NQM_T, 60);
        fprintf(csv.af.f, "%llu,%.9g", (unsigned long long)t, ob_nqm_expected_loss_sgd(pb, NQM_LR, t));
        int at = k < m->n_checkpoints && m->t[k] == t;
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
            if (!((m->paths >> p) & 1u)) continue;
            if (at)
                fprintf(csv.af.f, ",%.9g,%.9g,%.9g", m->mean[p][k],
                        m->mean[p][k] - m->z_crit * m->stderr_[p][k],
                        m->mean[p][k] + m->z_crit * m->stderr_[p][k]);
            else fprintf(csv.af.f, ",,,");
        }
        fputc('\n', csv.af.f);
        k += at;
    }
    ob_problem_destroy(pb);
    return ob_repro_csv_commit(&csv, err, errlen);
}


/* The measured figures (JSON) and the summary line. */
static void nqm_report(const ob_repro_nqm_measured *m, ob_repro_outcome *out)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "dimension", NQM_N);
    cJSON_AddNumberToObject(j, "batch", NQM_BATCH);
    cJSON_AddNumberToObject(j, "lr", NQM_LR);
    cJSON_AddNumberToObject(j, "steps", NQM_T);
    cJSON_AddNumberToObject(j, "seeds", (double)m->seeds);
    cJSON_AddNumberToObject(j, "z_crit", m->z_crit);
    cJSON *jc = cJSON_AddArrayToObject(j, "checkpoints");
    double zmax = 0;
    int zpath = OB_REPRO_REF;
    size_t zat = 0;
    for (size_t i = 0; i < m->n_checkpoints; i++) {
        cJSON *ji = cJSON_CreateObject();
        cJSON_AddNumberToObject(ji, "t", (double)m->t[i]);
        ob_json_add_num(ji, "expected", m->expected[i]);
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
            if (!((m->paths >> p) & 1u)) continue;
            cJSON *jp = cJSON_AddObjectToObject(ji, ob_repro_path_name(p));
            ob_json_add_num(jp, "mean", m->mean[p][i]);
            ob_json_add_num(jp, "stderr", m->stderr_[p][i]);
            double z = fabs(m->mean[p][i] - m->expected[i]) / m->stderr_[p][i];
            if (z > zmax) {
                zmax = z;
                zpath = p;
                zat = i;
            }
        }
        cJSON_AddItemToArray(jc, ji);
    }
    out->measured = j;
    size_t last = m->n_checkpoints - 1;
    snprintf(out->summary, sizeof out->summary,
             "%zu seeds, %zu checkpoints: at t=%d mean loss %.5g +- %.2g (fp64) vs closed form %.5g; largest "
             "deviation %.2f SE (%s, t=%llu) against the %.2f-SE bound",
             m->seeds, m->n_checkpoints, NQM_T, m->mean[OB_REPRO_REF][last],
             m->z_crit * m->stderr_[OB_REPRO_REF][last], m->expected[last], zmax, ob_repro_path_name(zpath),
             (unsigned long long)m->t[zat], m->z_crit);
}


#define NQM_SEEDS 400
#define NQM_SEEDS_SHORT 128

static int nqm_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                   size_t errlen)
{
    ob_repro_nqm_measured m;
    memset(&m, 0, sizeof m);
    m.paths = op->paths;
    m.seeds = op->short_mode ? NQM_SEEDS_SHORT : NQM_SEEDS;
    for (uint64_t t = 1; t && m.n_checkpoints < OB_NQM_MAX_CHECKPOINTS; t = ob_engine_next_sample(t, NQM_T, 8))
        m.t[m.n_checkpoints++] = t;
    m.z_crit = ob_repro_normal_quantile(1.0 - NQM_ALPHA / (2.0 * (double)m.n_checkpoints));
    const ob_optimizer *sgd = ob_optimizer_find("sgd");
    if (!sgd) {
        snprintf(err, errlen, "optimizer sgd missing from the table");
        return -1;
    }
    nqm_obs *obs = calloc(1, sizeof *obs);
    if (!obs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    obs->m = &m;
    ob_repro_log(op, "%s: sgd on nqm, %zu seeds x %d steps", e->name, m.seeds, NQM_T);
    for (size_t s = 0; s < m.seeds; s++) {
        ob_problem_config cfg = {.n = NQM_N, .seed = 1000 + s, .batch = NQM_BATCH};
        ob_problem *pb = NULL;
        if (ob_problem_create("nqm", &cfg, &pb, err, errlen) != 0) {
            free(obs);
            return -1;
        }
        if (s == 0)
            for (size_t i = 0; i < m.n_checkpoints; i++)
                m.expected[i] = ob_nqm_expected_loss_sgd(pb, NQM_LR, m.t[i]);
        obs->pb = pb;
        memset(obs->next, 0, sizeof obs->next);
        ob_repro_objective obj = ob_repro_problem_objective(pb);
        ob_repro_traj_cfg c;
        ob_repro_traj_init(&c, op->paths, sgd, NQM_T, nqm_observe, obs);
        c.h.lr = NQM_LR;
        /* Agreement on the first seed's every step, then sampled. */
        c.agree_dense = s == 0 ? NQM_T : 0;
        int rc = ob_repro_traj(&obj, &c, &out->kernels, err, errlen);
        ob_problem_destroy(pb);
        if (rc != 0) {
            free(obs);
            return -1;
        }
    }
    double S = (double)m.seeds;
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        if (!((m.paths >> p) & 1u)) continue;
        for (size_t i = 0; i < m.n_checkpoints; i++) {
            double mean = obs->sum[p][i] / S, var = (obs->sq[p][i] - S * mean * mean) / (S - 1);
            m.mean[p][i] = mean;
            m.stderr_[p][i] = sqrt(fmax(var, 0) / S);
        }
    }
    free(obs);
    out->verdict = ob_repro_check_nqm(&m, out->why, sizeof out->why);

    if (nqm_csv(e, op, &m, out, err, errlen) != 0) return -1;
    nqm_report(&m, out);
    return 0;
}

static int nqm_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                      size_t errlen)
{
    char extra[64];
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(out->measured, "seeds");
    snprintf(extra, sizeof extra, "seeds=%d", cJSON_IsNumber(s) ? s->valueint : 0);
    return ob_repro_figure(e, o, out, extra, err, errlen);
}

const ob_repro_entry ob_repro_nqm = {
    "nqm",
    "SGD's mean loss on the noisy quadratic model",
    "G. Zhang, L. Li, Z. Nado, J. Martens, S. Sachdeva, G. E. Dahl, C. J. Shallue & R. Grosse, Which "
    "Algorithmic Choices Matter at Which Batch Sizes? Insights From a Noisy Quadratic Model, NeurIPS 2019, §3 "
    "(the model) and §3.1 (SGD's expected loss in closed form)",
    "On the noisy quadratic model (h_i = 1/i, gradient noise N(0, H/B)), the expected loss of SGD with step a "
    "after t steps is sum_i (1 - a h_i)^{2t} l_i(0) + a h_i (1 - (1 - a h_i)^{2t}) / (2B (2 - a h_i)); the "
    "measured mean loss over independent runs matches it within its confidence interval.",
    "Problem nqm, n = " OB_REPRO_STR(NQM_N) ", batch B = " OB_REPRO_STR(NQM_BATCH) ", x0 = 1; sgd (no momentum) "
    "with lr = " OB_REPRO_STR(NQM_LR) ", " OB_REPRO_STR(NQM_T) " steps, " OB_REPRO_STR(NQM_SEEDS) " runs (" OB_REPRO_STR(NQM_SEEDS_SHORT) " in "
    "short mode) with seeds 1000, 1001, ..., each a fresh noise sequence. Mean loss and its standard error over the "
    "seeds at 26 log-spaced checkpoints (every step to 10, then 8 per decade), against "
    "ob_nqm_expected_loss_sgd. Interval: z_crit standard errors, z_crit the Bonferroni quantile for a 1% "
    "family-wise level over the checkpoints (3.55). fp64 reference and every fp32 ISA (the same seeds).",
    "Per path and checkpoint, z = |mean - closed form| / standard error. REPRODUCED when every z <= z_crit; NOT "
    "REPRODUCED when any z > z_crit; INCONCLUSIVE when some interval z_crit * SE is wider than 20% of the "
    "expected loss (too few seeds to tell).",
    "repro_nqm.gp",
    nqm_run,
    nqm_figure,
};
