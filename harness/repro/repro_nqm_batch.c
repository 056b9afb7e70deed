/*
 * repro_nqm_batch.c — Zhang, Li, Nado, Martens, Sachdeva, Dahl, Shallue &
 * Grosse, "Which Algorithmic Choices Matter at Which Batch Sizes? Insights
 * From a Noisy Quadratic Model", NeurIPS 2019, §3–4 and Figures 1 and 3:
 * on the noisy quadratic model the steps to a target loss fall like 1/B
 * (perfect scaling) up to a critical batch size and then flatten, and the
 * critical batch size grows with momentum and with preconditioning.
 *
 * The model (§3): l(x) = 1/2 sum h_i x_i^2 with h_i = 1/i, stochastic
 * gradients H x + eps, eps ~ N(0, C/B), C = H (the catalog's nqm problem).
 * Every dimension evolves on its own, linearly, so the first and second
 * moments follow exact recurrences (§3.1 for SGD; the same per-dimension
 * analysis the paper applies to momentum and preconditioning, §3.2–3.3):
 * heavy-ball momentum (torch's SGD momentum: buf = mu buf + g, x -= a buf,
 * i.e. v' = mu v - a g, x' = x + v') with a = alpha h_i^-p (the
 * preconditioner P = H^p) and g = h x + eps gives, with q = 1 - a h,
 *   E[x'^2]  = q^2 X + 2 q mu XV + mu^2 V + a^2 c/B
 *   E[x'v']  = -a h q X + mu (q - a h) XV + mu^2 V + a^2 c/B
 *   E[v'^2]  = a^2 h^2 X - 2 a h mu XV + mu^2 V + a^2 c/B
 * (X = E[x^2], XV = E[x v], V = E[v^2]; x0 = 1, v0 = 0) and E[l] =
 * 1/2 sum h_i X_i.  With mu = 0 and p = 0 this is §3.1's closed form
 * (ob_nqm_expected_loss_sgd; the tests compare them).  Steps to the target
 * follow by stepping the recurrence, so every batch size gets its own
 * tuned learning rate at almost no cost.
 *
 * Preconditioned SGD (x -= alpha P^-1 g) is plain SGD in the variables
 * y = P^(1/2) x, where the model has curvatures h^(1-p), noise variances
 * h^(1-p)/B and y0 = h^(p/2) (the loss is the same); the simulation runs
 * the sgd kernel on that objective, built from the catalog's nqm problem.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/problems.h"
#include "ob_repro.h"
#include "repro_internal.h"
#include "harness/core/ob_core.h"

static const char *const nqmb_name[OB_NQMB_CONFIGS] = {"sgd", "momentum", "precond"};
static const char *const nqmb_label[OB_NQMB_CONFIGS] = {"SGD", "heavy-ball momentum 0.9",
                                                        "preconditioned, p = 0.5"};

#define NQMB_N 100
#define NQMB_TARGET 0.1 /* E[l] to reach; l(x0) = 2.59 */
#define NQMB_MU 0.9
#define NQMB_P 0.5
#define NQMB_DELTA 0.5 /* perfect scaling: B x steps within (1 + delta) of its value at B = 1 */
#define NQMB_B_LOG2 14 /* B = 1, 2, 4, ..., 2^14 */
#define NQMB_TMAX 200000
#define NQMB_LR_PER_DECADE 8
#define NQMB_LR_LO -3.0 /* lr = 10^(k/8) from 1e-3 to 10^(5/8) = 4.2 */
#define NQMB_LR_HI 0.625
#define NQMB_SEEDS 256
#define NQMB_SEEDS_SHORT 96
#define NQMB_ALPHA 0.01 /* family-wise level of the simulation's intervals */

/* ---- the check ------------------------------------------------------------------- */

ob_repro_verdict ob_repro_check_nqm_batch(const ob_repro_nqm_batch_measured *m, char *why, size_t len)
{
    why[0] = '\0';
    if (!m->n_batch || !m->paths) {
        snprintf(why, len, "nothing was measured");
        return OB_REPRO_INCONCLUSIVE;
    }
    ob_repro_verdict v = OB_REPRO_REPRODUCED;
    size_t last = m->n_batch - 1;
    for (int k = 0; k < OB_NQMB_CONFIGS; k++) {
        const char *lab = nqmb_label[k];
        size_t c = m->crit[k];
        if (!m->steps[k][0]) {
            v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
            ob_appendf(why, len, "%s: the target is not reached at B = %g; ", lab, m->batch[0]);
            continue;
        }
        for (size_t b = 0; b < m->n_batch; b++)
            if (m->lr_edge[k][b] && b <= c + 1) {
                v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
                ob_appendf(why, len, "%s: at B = %g the best lr is at an end of the grid; ", lab,
                           m->batch[b]);
            }
        /* Perfect scaling below the critical batch size: at B* / 4 the
         * product B x steps is within 10% of its value at B = 1. */
        if (c >= 2) {
            double r = m->batch[c - 2] * (double)m->steps[k][c - 2] / (m->batch[0] * (double)m->steps[k][0]);
            if (!(r <= 1.1)) {
                v = ob_repro_combine(v, OB_REPRO_NOT_REPRODUCED);
                ob_appendf(why, len,
                           "%s: at B* / 4 = %g, B x steps is %.2fx its value at B = 1 (claim: perfect "
                           "scaling, <= 1.1x); ",
                           lab, m->batch[c - 2], r);
            }
        } else {
            v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
            ob_appendf(why, len, "%s: the critical batch size %g leaves no perfect-scaling range; ", lab,
                       m->batch[c]);
        }
        /* Beyond it the steps flatten: at the largest B at least a
         * quarter of the steps at B* (perfect scaling would give B* / B). */
        if (c + 4 > last) {
            v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
            ob_appendf(why, len, "%s: the grid ends less than 16x beyond the critical batch size %g; ", lab,
                       m->batch[c]);
        } else if (!(m->steps[k][last] && 4.0 * (double)m->steps[k][last] >= (double)m->steps[k][c])) {
            v = ob_repro_combine(v, OB_REPRO_NOT_REPRODUCED);
            ob_appendf(why, len, "%s: the steps do not flatten: %llu at B = %g against %llu at B* = %g; ",
                       lab, (unsigned long long)m->steps[k][last], m->batch[last],
                       (unsigned long long)m->steps[k][c], m->batch[c]);
        }
    }
    for (int k = OB_NQMB_MOMENTUM; k < OB_NQMB_CONFIGS; k++)
        if (!(m->crit[k] > m->crit[OB_NQMB_SGD])) {
            v = ob_repro_combine(v, OB_REPRO_NOT_REPRODUCED);
            ob_appendf(why, len, "the critical batch size of %s (%g) is not above SGD's (%g); ",
                       nqmb_label[k], m->batch[m->crit[k]], m->batch[m->crit[OB_NQMB_SGD]]);
        }
    /* The simulation with the kernels against the recurrences. */
    double zmax = 0;
    for (int k = 0; k < OB_NQMB_CONFIGS; k++)
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
            if (!((m->paths >> p) & 1u)) continue;
            for (size_t i = 0; i < m->n_check; i++) {
                double e = m->expected[k][i], se = m->se[k][p][i];
                double z = fabs(m->mean[k][p][i] - e) / se, w = m->z_crit * se / e;
                if (!(se > 0) || !isfinite(z)) z = m->mean[k][p][i] == e ? 0 : INFINITY;
                if (!(z <= zmax)) zmax = z;
                if (!(z <= m->z_crit)) {
                    v = ob_repro_combine(v, OB_REPRO_NOT_REPRODUCED);
                    ob_appendf(
                        why, len,
                        "%s, %s: at t = %llu (B = %g) the mean loss %.5g is %.2f standard errors from the "
                        "recurrence's %.5g; ",
                        nqmb_label[k], ob_repro_path_name(p), (unsigned long long)m->sim_t[k][i],
                        m->sim_batch[k], m->mean[k][p][i], z, e);
                } else if (!(w <= 0.2)) {
                    v = ob_repro_combine(v, OB_REPRO_INCONCLUSIVE);
                    ob_appendf(why, len, "%s, %s: at t = %llu the interval is +-%.0f%% (too few seeds); ",
                               nqmb_label[k], ob_repro_path_name(p), (unsigned long long)m->sim_t[k][i],
                               100 * w);
                }
            }
        }
    if (v == OB_REPRO_REPRODUCED)
        snprintf(
            why, len,
            "perfect scaling (B x steps within 10%% at B* / 4) up to critical batch sizes %g (SGD), %g "
            "(momentum), %g (preconditioned), flattening beyond; momentum's and preconditioning's above "
            "SGD's; the kernels' mean loss over the seeds within %.2f standard errors of the recurrences at "
            "every checkpoint (largest %.2f)",
            m->batch[m->crit[0]], m->batch[m->crit[1]], m->batch[m->crit[2]], m->z_crit, zmax);
    return v;
}

/* ---- the recurrences ------------------------------------------------------------- */

typedef struct nqmb_cfg {
    double mu, p;
} nqmb_cfg;

static const nqmb_cfg nqmb_cfgs[OB_NQMB_CONFIGS] = {{0, 0}, {NQMB_MU, 0}, {0, NQMB_P}};

/* E[l_t] for t = 1.. (stepping the moment recurrences of every dimension)
 * until the target is reached or t = tmax; *t_hit the first t with E[l]
 * <= target (0: never); when `at`/`out` are given, out[j] = E[l] at step
 * at[j] (j < n_at, increasing), and the walk goes on to the last of them. */
static void nqmb_walk(const nqmb_cfg *c, double lr, double B, double target, uint64_t tmax, uint64_t *t_hit,
                      const uint64_t *at, double *out, size_t n_at)
{
    double X[NQMB_N], XV[NQMB_N], V[NQMB_N], a[NQMB_N], h[NQMB_N];
    for (int i = 0; i < NQMB_N; i++) {
        h[i] = 1.0 / (i + 1);
        a[i] = lr * pow(h[i], -c->p);
        X[i] = 1.0;
        XV[i] = V[i] = 0.0;
    }
    const double mu = c->mu;
    size_t j = 0;
    uint64_t end = n_at ? at[n_at - 1] : tmax;
    *t_hit = 0;
    for (uint64_t t = 1; t <= end; t++) {
        double loss = 0;
        for (int i = 0; i < NQMB_N; i++) {
            double q = 1.0 - a[i] * h[i], ah = a[i] * h[i], noise = a[i] * a[i] * h[i] / B;
            double x = q * q * X[i] + 2 * q * mu * XV[i] + mu * mu * V[i] + noise;
            double xv = -ah * q * X[i] + mu * (q - ah) * XV[i] + mu * mu * V[i] + noise;
            double v = ah * ah * X[i] - 2 * ah * mu * XV[i] + mu * mu * V[i] + noise;
            X[i] = x;
            XV[i] = xv;
            V[i] = v;
            loss += 0.5 * h[i] * x;
        }
        if (!*t_hit && loss <= target) *t_hit = t;
        if (j < n_at && at[j] == t) out[j++] = loss;
        if (!n_at && (*t_hit || !isfinite(loss) || loss > 1e6)) break;
    }
}

/* Expected loss of config c at step t (the simulation's checkpoints). */
double ob_repro_nqm_batch_expected(int k, double lr, double B, uint64_t t)
{
    uint64_t hit;
    double out = NAN;
    if (k < 0 || k >= OB_NQMB_CONFIGS || !t) return NAN;
    nqmb_walk(&nqmb_cfgs[k], lr, B, -1, t, &hit, &t, &out, 1);
    return out;
}

/* The fewest steps to the target over the lr grid at batch B. */
static void nqmb_tune(int k, double B, uint64_t *steps, double *lr, int *edge)
{
    int n = (int)lround((NQMB_LR_HI - NQMB_LR_LO) * NQMB_LR_PER_DECADE), best = -1;
    *steps = 0;
    *lr = NAN;
    for (int i = 0; i <= n; i++) {
        double a = pow(10.0, NQMB_LR_LO + (double)i / NQMB_LR_PER_DECADE);
        uint64_t t;
        nqmb_walk(&nqmb_cfgs[k], a, B, NQMB_TARGET, *steps ? *steps : NQMB_TMAX, &t, NULL, NULL, 0);
        if (t && (!*steps || t < *steps)) {
            *steps = t;
            *lr = a;
            best = i;
        }
    }
    *edge = best == 0 || best == n;
}

/* ---- the simulation ---------------------------------------------------------------- */

/* The nqm problem seen through y = h^(p/2) x (see the top). */
typedef struct nqmb_obj {
    ob_problem *pb;
    double d[NQMB_N]; /* h^(p/2) */
    double x[NQMB_N];
    double y0[NQMB_N];
} nqmb_obj;

static double nqmb_eval(void *ctx, const double *y, double *g, uint64_t t)
{
    nqmb_obj *o = ctx;
    for (int i = 0; i < NQMB_N; i++) o->x[i] = y[i] / o->d[i];
    double f = o->pb->eval(o->pb, o->x, g, t);
    if (g)
        for (int i = 0; i < NQMB_N; i++) g[i] /= o->d[i];
    return f;
}

typedef struct nqmb_sim {
    nqmb_obj *obj;
    const uint64_t *at;
    size_t n_at;
    double sum[OB_REPRO_MAX_PATHS][OB_NQMB_CHECKS], sq[OB_REPRO_MAX_PATHS][OB_NQMB_CHECKS];
    size_t next[OB_REPRO_MAX_PATHS];
} nqmb_sim;

static void nqmb_observe(void *ctx, const ob_repro_step *s)
{
    nqmb_sim *o = ctx;
    size_t j = o->next[s->path];
    if (j >= o->n_at || o->at[j] != s->t) return;
    double l = 0;
    for (int i = 0; i < NQMB_N; i++) {
        double x = s->x[i] / o->obj->d[i];
        l += 0.5 / (i + 1) * x * x;
    }
    o->sum[s->path][j] += l;
    o->sq[s->path][j] += l * l;
    o->next[s->path] = j + 1;
}

/* The kernels at config k's critical batch size and tuned lr, over the
 * seeds, at its checkpoints. */
static int nqmb_simulate(int k, ob_repro_nqm_batch_measured *m, ob_repro_kernels *kc, char *err,
                         size_t errlen)
{
    const ob_optimizer *sgd = ob_optimizer_find("sgd");
    if (!sgd) {
        snprintf(err, errlen, "optimizer sgd missing from the table");
        return -1;
    }
    nqmb_sim *sim = calloc(1, sizeof *sim);
    nqmb_obj *obj = calloc(1, sizeof *obj);
    int rc = -1;
    if (!sim || !obj) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    sim->obj = obj;
    sim->at = m->sim_t[k];
    sim->n_at = m->n_check;
    for (int i = 0; i < NQMB_N; i++) {
        obj->d[i] = pow(1.0 / (i + 1), nqmb_cfgs[k].p / 2);
        obj->y0[i] = obj->d[i]; /* x0 = 1 */
    }
    for (size_t s = 0; s < m->seeds; s++) {
        ob_problem_config cfg = {.n = NQMB_N, .seed = 2000 + s, .batch = (size_t)m->sim_batch[k]};
        if (ob_problem_create("nqm", &cfg, &obj->pb, err, errlen) != 0) goto done;
        ob_repro_objective o = {.n = NQMB_N, .x0 = obj->y0, .eval = nqmb_eval, .ctx = obj};
        ob_repro_traj_cfg c;
        ob_repro_traj_init(&c, m->paths, sgd, m->sim_t[k][m->n_check - 1], nqmb_observe, sim);
        c.h.lr = m->sim_lr[k];
        c.h.momentum = nqmb_cfgs[k].mu;
        c.agree_dense = s == 0 ? 200 : 0;
        memset(sim->next, 0, sizeof sim->next);
        int r = ob_repro_traj(&o, &c, kc, err, errlen);
        ob_problem_destroy(obj->pb);
        obj->pb = NULL;
        if (r != 0) goto done;
    }
    double S = (double)m->seeds;
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
        if (!((m->paths >> p) & 1u)) continue;
        for (size_t i = 0; i < m->n_check; i++) {
            double mean = sim->sum[p][i] / S, var = (sim->sq[p][i] - S * mean * mean) / (S - 1);
            m->mean[k][p][i] = mean;
            m->se[k][p][i] = sqrt(fmax(var, 0) / S);
        }
    }
    rc = 0;
done:
    free(sim);
    free(obj);
    return rc;
}

/* ---- output ------------------------------------------------------------------------- */

/* CSV: batch, then per config steps, B x steps / (steps at B = 1), lr. */
static int nqmb_csv(const ob_repro_entry *e, const ob_repro_opts *op, const ob_repro_nqm_batch_measured *m,
                    ob_repro_outcome *out, char *err, size_t errlen)
{
    ob_repro_csv csv;
    if (ob_repro_csv_open(&csv, op, e->name, out, err, errlen) != 0) return -1;
    fprintf(csv.af.f, "batch");
    for (int k = 0; k < OB_NQMB_CONFIGS; k++)
        fprintf(csv.af.f, ",%s_steps,%s_rel,%s_lr,%s_crit", nqmb_name[k], nqmb_name[k], nqmb_name[k],
                nqmb_name[k]);
    fputc('\n', csv.af.f);
    for (size_t b = 0; b < m->n_batch; b++) {
        fprintf(csv.af.f, "%g", m->batch[b]);
        for (int k = 0; k < OB_NQMB_CONFIGS; k++) {
            if (m->steps[k][b])
                fprintf(csv.af.f, ",%llu,%.9g,%.9g", (unsigned long long)m->steps[k][b],
                        m->batch[b] * (double)m->steps[k][b] / (m->batch[0] * (double)m->steps[k][0]),
                        m->best_lr[k][b]);
            else fprintf(csv.af.f, ",,,");
            fprintf(csv.af.f, ",%s", b == m->crit[k] ? "1" : "");
        }
        fputc('\n', csv.af.f);
    }
    return ob_repro_csv_commit(&csv, err, errlen);
}

static void nqmb_report(const ob_repro_nqm_batch_measured *m, ob_repro_outcome *out)
{
    double zmax = 0;
    for (int k = 0; k < OB_NQMB_CONFIGS; k++)
        for (int p = 0; p < OB_REPRO_MAX_PATHS; p++)
            for (size_t i = 0; (m->paths >> p) & 1u && i < m->n_check; i++) {
                double z = fabs(m->mean[k][p][i] - m->expected[k][i]) / m->se[k][p][i];
                if (!(z <= zmax)) zmax = z;
            }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "dimension", NQMB_N);
    cJSON_AddNumberToObject(j, "target", NQMB_TARGET);
    cJSON_AddNumberToObject(j, "mu", NQMB_MU);
    cJSON_AddNumberToObject(j, "power", NQMB_P);
    cJSON_AddNumberToObject(j, "delta", NQMB_DELTA);
    cJSON_AddNumberToObject(j, "seeds", (double)m->seeds);
    cJSON_AddNumberToObject(j, "z_crit", m->z_crit);
    for (int k = 0; k < OB_NQMB_CONFIGS; k++) {
        cJSON *jk = cJSON_AddObjectToObject(j, nqmb_name[k]);
        cJSON_AddNumberToObject(jk, "critical_batch", m->batch[m->crit[k]]);
        cJSON *a = cJSON_AddArrayToObject(jk, "by_batch");
        for (size_t b = 0; b < m->n_batch; b++) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddNumberToObject(r, "batch", m->batch[b]);
            cJSON_AddNumberToObject(r, "steps", (double)m->steps[k][b]);
            ob_json_add_num(r, "lr", m->best_lr[k][b]);
            cJSON_AddItemToArray(a, r);
        }
        cJSON *js = cJSON_AddObjectToObject(jk, "simulation");
        cJSON_AddNumberToObject(js, "batch", m->sim_batch[k]);
        cJSON_AddNumberToObject(js, "lr", m->sim_lr[k]);
        cJSON *c = cJSON_AddArrayToObject(js, "checkpoints");
        for (size_t i = 0; i < m->n_check; i++) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddNumberToObject(r, "t", (double)m->sim_t[k][i]);
            ob_json_add_num(r, "expected", m->expected[k][i]);
            for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) {
                if (!((m->paths >> p) & 1u)) continue;
                cJSON *jp = cJSON_AddObjectToObject(r, ob_repro_path_name(p));
                ob_json_add_num(jp, "mean", m->mean[k][p][i]);
                ob_json_add_num(jp, "stderr", m->se[k][p][i]);
            }
            cJSON_AddItemToArray(c, r);
        }
    }
    out->measured = j;
    snprintf(
        out->summary, sizeof out->summary,
        "critical batch size (B x steps within %.1fx of B = 1, lr tuned per B): SGD %g, momentum %g, "
        "preconditioned %g; steps at B = 1: %llu, %llu, %llu; at B = %g: %llu, %llu, %llu; kernels at each "
        "B* (%zu seeds): largest deviation from the recurrences %.2f standard errors (bound %.2f)",
        1 + NQMB_DELTA, m->batch[m->crit[0]], m->batch[m->crit[1]], m->batch[m->crit[2]],
        (unsigned long long)m->steps[0][0], (unsigned long long)m->steps[1][0],
        (unsigned long long)m->steps[2][0], m->batch[m->n_batch - 1],
        (unsigned long long)m->steps[0][m->n_batch - 1], (unsigned long long)m->steps[1][m->n_batch - 1],
        (unsigned long long)m->steps[2][m->n_batch - 1], m->seeds, zmax, m->z_crit);
}

static int nqmb_run(const ob_repro_entry *e, const ob_repro_opts *op, ob_repro_outcome *out, char *err,
                    size_t errlen)
{
    ob_repro_nqm_batch_measured *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->paths = op->paths;
    m->seeds = op->short_mode ? NQMB_SEEDS_SHORT : NQMB_SEEDS;
    m->n_batch = NQMB_B_LOG2 + 1;
    for (size_t b = 0; b < m->n_batch; b++) m->batch[b] = ldexp(1.0, (int)b);
    for (int k = 0; k < OB_NQMB_CONFIGS; k++) {
        for (size_t b = 0; b < m->n_batch; b++)
            nqmb_tune(k, m->batch[b], &m->steps[k][b], &m->best_lr[k][b], &m->lr_edge[k][b]);
        /* The critical batch size: the last B before B x steps first
         * exceeds (1 + delta) x its value at B = 1. */
        m->crit[k] = 0;
        for (size_t b = 1; b < m->n_batch; b++) {
            double r = m->steps[k][b] ? m->batch[b] * (double)m->steps[k][b] / (double)m->steps[k][0]
                                      : INFINITY;
            if (!(r <= 1 + NQMB_DELTA)) break;
            m->crit[k] = b;
        }
        ob_repro_log(op, "%s: %s: critical batch size %g (steps %llu at B = 1)", e->name, nqmb_name[k],
                     m->batch[m->crit[k]], (unsigned long long)m->steps[k][0]);
    }
    /* Simulation at each config's critical batch size and tuned lr, at
     * t* / 8, t* / 4, t* / 2 and t* (t* the steps to the target there). */
    m->n_check = OB_NQMB_CHECKS;
    m->z_crit = ob_repro_normal_quantile(1.0 - NQMB_ALPHA / (2.0 * OB_NQMB_CONFIGS * OB_NQMB_CHECKS));
    int rc = -1;
    for (int k = 0; k < OB_NQMB_CONFIGS; k++) {
        size_t c = m->crit[k];
        uint64_t ts = m->steps[k][c];
        m->sim_batch[k] = m->batch[c];
        m->sim_lr[k] = m->best_lr[k][c];
        for (size_t i = 0; i < OB_NQMB_CHECKS; i++) {
            uint64_t t = ts >> (OB_NQMB_CHECKS - 1 - i);
            m->sim_t[k][i] = t ? t : 1;
            m->expected[k][i] = ob_repro_nqm_batch_expected(k, m->sim_lr[k], m->sim_batch[k], m->sim_t[k][i]);
        }
        ob_repro_log(op, "%s: %s on the kernels: B = %g, lr %.4g, %zu seeds x %llu steps", e->name,
                     nqmb_name[k], m->sim_batch[k], m->sim_lr[k], m->seeds, (unsigned long long)ts);
        if (!ts || nqmb_simulate(k, m, &out->kernels, err, errlen) != 0) {
            if (!ts)
                snprintf(err, errlen, "%s: the target is not reached at its critical batch size",
                         nqmb_name[k]);
            goto done;
        }
    }
    out->verdict = ob_repro_check_nqm_batch(m, out->why, sizeof out->why);
    if (nqmb_csv(e, op, m, out, err, errlen) != 0) goto done;
    nqmb_report(m, out);
    rc = 0;
done:
    free(m);
    return rc;
}

static int nqmb_figure(const ob_repro_entry *e, const ob_repro_opts *o, ob_repro_outcome *out, char *err,
                       size_t errlen)
{
    return ob_repro_figure(e, o, out, NULL, err, errlen);
}

const ob_repro_entry ob_repro_nqm_batch = {
    "nqm_batch",
    "NQM: critical batch size of SGD, momentum and preconditioning",
    "G. Zhang, L. Li, Z. Nado, J. Martens, S. Sachdeva, G. E. Dahl, C. J. Shallue & R. Grosse, Which "
    "Algorithmic Choices Matter at Which Batch Sizes? Insights From a Noisy Quadratic Model, NeurIPS 2019, §3 "
    "(the model and its per-dimension dynamics), §4 and Figures 1 and 3 (steps to target against batch size)",
    "On the noisy quadratic model, with the learning rate tuned for every batch size, the steps to a target loss "
    "fall like 1/B (perfect scaling) up to a critical batch size and then flatten; the critical batch size is "
    "larger with momentum and with preconditioning (P = H^p) than with plain SGD.",
    "Noisy quadratic model, n = " OB_REPRO_STR(
        NQMB_N) ", h_i = 1/i, noise N(0, H/B), x0 = 1 (l(x0) = 2.59); "
                "target E[l] = " OB_REPRO_STR(
                    NQMB_TARGET) ". Closed form: the per-dimension moment recurrences (E[x^2], "
                                 "E[xv], E[v^2]) of SGD, heavy-ball momentum mu = " OB_REPRO_STR(
                                     NQMB_MU) " (torch's SGD momentum; fixed: "
                                              "deviation, the paper tunes it) and SGD preconditioned by H^p, p = " OB_REPRO_STR(
                                                  NQMB_P) " (Adam-like "
                                                          "diagonal preconditioning), stepped to the target for B = 1, 2, 4, ..., 2^14, each B with its lr tuned "
                                                          "over 10^(k/8) from 1e-3 to 4.2 (the fewest steps). Critical batch size B* = the last B before B x steps "
                                                          "exceeds 1.5x its value at B = 1. Simulation: the sgd kernel (momentum 0.9, or on the nqm problem in the "
                                                          "variables y = H^(p/2) x) at each B* with its tuned lr, " OB_REPRO_STR(
                                                              NQMB_SEEDS) " seeds (" OB_REPRO_STR(NQMB_SEEDS_SHORT) " in short mode, 2000, 2001, ...), mean loss at t* / 8, t* / 4, t* / 2 and t* (t* the steps to "
                                                                                                                    "the target) against the recurrences, with Bonferroni 99% intervals over the 12 comparisons; reference and "
                                                                                                                    "every fp32 ISA. Deviations: n = 100 (the paper's model is larger), one target, powers-of-2 batch sizes.",
    "REPRODUCED when, for each of SGD, momentum and preconditioning, B x steps at B* / 4 is within 1.1x of its "
    "value at B = 1 (perfect scaling), the steps at B = 2^14 are at least a quarter of those at B* (flattening), "
    "momentum's and preconditioning's B* exceed SGD's, and every simulated mean lies within z_crit standard "
    "errors of the recurrence. NOT REPRODUCED when any of these fails; INCONCLUSIVE when a tuned lr up to 2 B* "
    "is at an end of its grid, the grid does not reach 16 B*, or an interval is wider than 20% of the expected "
    "loss.",
    "repro_nqm_batch.gp",
    nqmb_run,
    nqmb_figure,
};
