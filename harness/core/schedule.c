/*
 * schedule.c — the table of learning-rate schedules (see ob_core.h).
 *
 * Every formula is torch.optim.lr_scheduler's (torch 2.x,
 * torch/optim/lr_scheduler.py), written in the same operation order so that
 * the doubles agree with torch's to the last bit where the closed form is
 * what torch computes:
 *   StepLR._get_closed_form_lr, ExponentialLR._get_closed_form_lr,
 *   CosineAnnealingLR._get_closed_form_lr, LinearLR._get_closed_form_lr,
 *   CosineAnnealingWarmRestarts.step/get_lr (integer T_cur, T_i),
 *   OneCycleLR.get_lr with _annealing_cos / _annealing_linear.
 * Ranges are torch's checks where torch has them; the ones torch lacks are
 * marked "added" (they reject values that only produce NaN, a division by
 * zero or a negative learning rate).
 */
#define _USE_MATH_DEFINES
#include "harness/core/ob_core.h"

#include <math.h>
#include <stdio.h>
#include <string.h>


#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define INF HUGE_VAL
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* Integer keys are stored in a double, which holds every integer up to 2^53. */
#define INT_MAX_EXACT 0x1p53

/* Key constructors: REQ = no default (torch requires the argument). */
#define REAL(name, def, lo, hi, lo_open, hi_open, doc) \
    { \
        name, OB_SK_REAL, 0, def, lo, hi, lo_open, hi_open, NULL, doc \
    }
#define REAL_REQ(name, lo, hi, lo_open, hi_open, doc) \
    { \
        name, OB_SK_REAL, 1, 0, lo, hi, lo_open, hi_open, NULL, doc \
    }
#define INT(name, def, lo, doc) \
    { \
        name, OB_SK_INT, 0, def, lo, INF, 0, 1, NULL, doc \
    }
#define INT_REQ(name, lo, doc) \
    { \
        name, OB_SK_INT, 1, 0, lo, INF, 0, 1, NULL, doc \
    }
#define BOOL(name, def, doc) \
    { \
        name, OB_SK_BOOL, 0, def, 0, 1, 0, 0, NULL, doc \
    }
#define ENUM(name, def, choices, doc) \
    { \
        name, OB_SK_ENUM, 0, def, 0, 0, 0, 0, choices, doc \
    }
#define ETA_MIN REAL("eta_min", 0, 0, INF, 0, 1, "minimum learning rate (added: >= 0)")

/* The value of integer key k as an unsigned integer (exact: <= 2^53). */
static uint64_t ival(const ob_schedule *s, size_t k)
{
    return (uint64_t)s->v[k];
}

static void point_lr(ob_sched_point *out, double lr)
{
    out->lr = lr;
    out->cycles_momentum = 0;
    out->momentum = 0;
}

/* ---- constant ------------------------------------------------------------ */

static int eval_constant(const ob_schedule *s, double base, uint64_t e, ob_sched_point *out, char *err,
                         size_t errlen)
{
    (void)s, (void)e, (void)err, (void)errlen;
    point_lr(out, base);
    return 0;
}

/* ---- inverse square root: lr / sqrt(t) ------------------------------------- */

/* The step size alpha_t = alpha / sqrt(t) of the convergence analyses of
 * AdaGrad, Adam (Kingma & Ba 2015, Thm. 4.1 and §6.1) and AMSGrad (Reddi,
 * Kale & Kumar 2018, Thm. 4).  torch: LambdaLR(lambda e: 1 / sqrt(e + 1));
 * step t is epoch e = t - 1. */
static int eval_inv_sqrt(const ob_schedule *s, double base, uint64_t e, ob_sched_point *out, char *err,
                         size_t errlen)
{
    (void)s, (void)err, (void)errlen;
    point_lr(out, base / sqrt((double)e + 1.0));
    return 0;
}

/* ---- StepLR: base_lr * gamma ** (last_epoch // step_size) ------------------ */

enum { STEP_SIZE, STEP_GAMMA };
static const ob_sched_key step_keys[] = {
    INT_REQ("step_size", 1, "period of the decay, in steps"),
    REAL("gamma", 0.1, 0, INF, 1, 1, "multiplicative decay factor (added: > 0)"),
};

static int eval_step(const ob_schedule *s, double base, uint64_t e, ob_sched_point *out, char *err,
                     size_t errlen)
{
    (void)err, (void)errlen;
    point_lr(out, base * pow(s->v[STEP_GAMMA], (double)(e / ival(s, STEP_SIZE))));
    return 0;
}

/* ---- ExponentialLR: base_lr * gamma ** last_epoch ---------------------------- */

enum { EXP_GAMMA };
static const ob_sched_key exp_keys[] = {
    REAL_REQ("gamma", 0, INF, 1, 1, "multiplicative decay factor per step (added: > 0)"),
};

static int eval_exponential(const ob_schedule *s, double base, uint64_t e, ob_sched_point *out, char *err,
                            size_t errlen)
{
    (void)err, (void)errlen;
    point_lr(out, base * pow(s->v[EXP_GAMMA], (double)e));
    return 0;
}

/* ---- CosineAnnealingLR ----------------------------------------------------- */

/* torch: eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T)) / 2.
 * Shared by cosine (T_cur = e, T = T_max: not clamped, so periodic with
 * period 2 T_max) and cosine_restarts. */
static double cosine_anneal(double base, double eta_min, double t_cur, double t)
{
    return eta_min + (base - eta_min) * (1 + cos(M_PI * t_cur / t)) / 2;
}

enum { COS_T_MAX, COS_ETA_MIN };
static const ob_sched_key cosine_keys[] = {
    INT_REQ("T_max", 1, "half period: lr reaches eta_min at T_max and lr again at 2 T_max"),
    ETA_MIN,
};

static int eval_cosine(const ob_schedule *s, double base, uint64_t e, ob_sched_point *out, char *err,
                       size_t errlen)
{
    (void)err, (void)errlen;
    point_lr(out, cosine_anneal(base, s->v[COS_ETA_MIN], (double)e, s->v[COS_T_MAX]));
    return 0;
}

/* ---- CosineAnnealingWarmRestarts ------------------------------------------ */

enum { CWR_T_0, CWR_T_MULT, CWR_ETA_MIN };
static const ob_sched_key restart_keys[] = {
    INT_REQ("T_0", 1, "steps until the first restart"),
    INT("T_mult", 1, 1, "factor by which the period grows after each restart"),
    ETA_MIN,
};

static int eval_restarts(const ob_schedule *s, double base, uint64_t e, ob_sched_point *out, char *err,
                         size_t errlen)
{
    (void)err, (void)errlen;
    /* torch's step(): T_cur += 1; if T_cur >= T_i: T_cur -= T_i, T_i *= T_mult.
     * Unrolled on integers (exact, unlike torch's log-based closed form for
     * an explicit epoch).  With T_mult >= 2 the loop runs at most 64 times. */
    uint64_t t_i = ival(s, CWR_T_0), t_mult = ival(s, CWR_T_MULT), t_cur;
    if (t_mult == 1) {
        t_cur = e % t_i;
    } else {
        t_cur = e;
        while (t_cur >= t_i) {
            t_cur -= t_i;
            /* Once T_i would overflow it exceeds every epoch: done. */
            if (t_i > UINT64_MAX / t_mult) break;
            t_i *= t_mult;
        }
    }
    point_lr(out, cosine_anneal(base, s->v[CWR_ETA_MIN], (double)t_cur, (double)t_i));
    return 0;
}

/* ---- LinearLR -------------------------------------------------------------- */

enum { LIN_START, LIN_END, LIN_ITERS };
static const ob_sched_key linear_keys[] = {
    REAL("start_factor", 1.0 / 3, 0, 1, 1, 0, "factor at step 1 (torch: 0 < start_factor <= 1)"),
    REAL("end_factor", 1.0, 0, 1, 0, 0, "factor from total_iters on (torch: 0 <= end_factor <= 1)"),
    INT("total_iters", 5, 1, "steps over which the factor changes (added: >= 1)"),
};

static int eval_linear(const ob_schedule *s, double base, uint64_t e, ob_sched_point *out, char *err,
                       size_t errlen)
{
    (void)err, (void)errlen;
    /* torch: base_lr * (start_factor + (end_factor - start_factor)
     *                   * min(total_iters, last_epoch) / total_iters) */
    uint64_t it = ival(s, LIN_ITERS);
    double m = (double)(e < it ? e : it);
    double sf = s->v[LIN_START], ef = s->v[LIN_END];
    point_lr(out, base * (sf + (ef - sf) * m / (double)it));
    return 0;
}

/* ---- OneCycleLR ------------------------------------------------------------ */

enum {
    OC_MAX_LR,
    OC_TOTAL,
    OC_PCT,
    OC_ANNEAL,
    OC_DIV,
    OC_FINAL_DIV,
    OC_THREE,
    OC_CYCLE,
    OC_BASE_M,
    OC_MAX_M
};
static const char *const anneal_choices[] = {"cos", "linear", NULL};
static const ob_sched_key onecycle_keys[] = {
    REAL_REQ("max_lr", 0, INF, 1, 1, "peak learning rate (added: > 0)"),
    INT_REQ("total_steps", 1, "steps in the cycle; stepping past it is an error"),
    REAL("pct_start", 0.3, 0, 1, 0, 0, "fraction of the cycle spent increasing the lr"),
    ENUM("anneal_strategy", 0, anneal_choices, "annealing between the phases' end points"),
    REAL("div_factor", 25, 0, INF, 1, 1, "initial lr = max_lr / div_factor (added: > 0)"),
    REAL("final_div_factor", 1e4, 0, INF, 1, 1, "min lr = initial lr / final_div_factor (added: > 0)"),
    BOOL("three_phase", 0, "third phase: back to the initial lr, then down to the min lr"),
    BOOL("cycle_momentum", 1, "cycle beta1 (Adam family) or momentum inversely to the lr"),
    REAL("base_momentum", 0.85, 0, 1, 0, 1, "momentum at the lr peak (added: in [0, 1))"),
    REAL("max_momentum", 0.95, 0, 1, 0, 1, "momentum at the start and end (added: in [0, 1))"),
};

static int check_onecycle(const ob_schedule *s, char *err, size_t errlen)
{
    /* The first phase ends at pct_start * total_steps - 1; when that is 0
     * the phase has zero length and torch divides 0 by 0 at the first step
     * (ZeroDivisionError).  No other phase can be zero-length at a step
     * within [0, total_steps). */
    if (s->v[OC_PCT] * s->v[OC_TOTAL] == 1.0) {
        snprintf(err, errlen,
                 "onecycle: pct_start * total_steps = 1 (pct_start = %g, total_steps = %.0f) "
                 "makes the warm-up phase zero steps long (torch divides by zero); change either",
                 s->v[OC_PCT], s->v[OC_TOTAL]);
        return -1;
    }
    return 0;
}

static double anneal(int linear, double start, double end, double pct)
{
    if (linear) return (end - start) * pct + start; /* _annealing_linear */
    double cos_out = cos(M_PI * pct) + 1;           /* _annealing_cos */
    return end + (start - end) / 2.0 * cos_out;
}

static int eval_onecycle(const ob_schedule *s, double base, uint64_t e, ob_sched_point *out, char *err,
                         size_t errlen)
{
    (void)base; /* OneCycleLR ignores the optimizer's lr */
    const double total = s->v[OC_TOTAL], pct_start = s->v[OC_PCT];
    if ((double)e >= total) {
        /* torch raises ValueError("Tried to step ... times. The specified
         * number of total steps is ...") once scheduler.step() is called the
         * total_steps + 1-th time, i.e. during step total_steps + 1. */
        snprintf(err, errlen, "onecycle: step %llu is past total_steps = %.0f", (unsigned long long)e + 1,
                 total);
        return -1;
    }
    const double max_lr = s->v[OC_MAX_LR];
    const double initial = max_lr / s->v[OC_DIV];
    const double min_lr = initial / s->v[OC_FINAL_DIV];
    const double bm = s->v[OC_BASE_M], mm = s->v[OC_MAX_M];
    /* torch's _schedule_phases: end_step, (start_lr, end_lr),
     * (start_momentum, end_momentum). */
    struct phase {
        double end, lr0, lr1, m0, m1;
    } ph[3];
    size_t n;
    if (s->v[OC_THREE] != 0) {
        ph[0] = (struct phase){pct_start * total - 1, initial, max_lr, mm, bm};
        ph[1] = (struct phase){2 * pct_start * total - 2, max_lr, initial, bm, mm};
        ph[2] = (struct phase){total - 1, initial, min_lr, mm, mm};
        n = 3;
    } else {
        ph[0] = (struct phase){pct_start * total - 1, initial, max_lr, mm, bm};
        ph[1] = (struct phase){total - 1, max_lr, min_lr, bm, mm};
        n = 2;
    }
    const int linear = s->v[OC_ANNEAL] != 0;
    const double step = (double)e;
    double start = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (step <= ph[i].end || i == n - 1) {
            double pct = (step - start) / (ph[i].end - start);
            out->lr = anneal(linear, ph[i].lr0, ph[i].lr1, pct);
            out->cycles_momentum = s->v[OC_CYCLE] != 0;
            out->momentum = out->cycles_momentum ? anneal(linear, ph[i].m0, ph[i].m1, pct) : 0;
            return 0;
        }
        start = ph[i].end;
    }
    return -1; /* unreachable: the last phase always matches */
}

/* ---- the table ------------------------------------------------------------- */

static const ob_schedule_spec sched_constant = {
    "constant", "(none)", "lr", NULL, 0, NULL, eval_constant,
};
static const ob_schedule_spec sched_inv_sqrt = {
    "inv_sqrt",
    "LambdaLR(lambda e: 1 / sqrt(e + 1))",
    "lr / sqrt(t), t = e + 1 (Kingma & Ba 2015 §6.1; Reddi et al. 2018)",
    NULL,
    0,
    NULL,
    eval_inv_sqrt,
};
static const ob_schedule_spec sched_step = {
    "step", "StepLR", "lr * gamma^floor(e / step_size)", step_keys, COUNT(step_keys), NULL, eval_step,
};
static const ob_schedule_spec sched_exponential = {
    "exponential", "ExponentialLR", "lr * gamma^e", exp_keys, COUNT(exp_keys), NULL, eval_exponential,
};
static const ob_schedule_spec sched_cosine = {
    "cosine",
    "CosineAnnealingLR",
    "eta_min + (lr - eta_min) * (1 + cos(pi * e / T_max)) / 2  (not clamped: back to lr at e = 2 T_max)",
    cosine_keys,
    COUNT(cosine_keys),
    NULL,
    eval_cosine,
};
static const ob_schedule_spec sched_restarts = {
    "cosine_restarts",
    "CosineAnnealingWarmRestarts",
    "eta_min + (lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2; restart when T_cur reaches T_i, "
    "then T_i *= T_mult",
    restart_keys,
    COUNT(restart_keys),
    NULL,
    eval_restarts,
};
static const ob_schedule_spec sched_linear = {
    "linear",
    "LinearLR",
    "lr * (start_factor + (end_factor - start_factor) * min(e, total_iters) / total_iters)",
    linear_keys,
    COUNT(linear_keys),
    NULL,
    eval_linear,
};
static const ob_schedule_spec sched_onecycle = {
    "onecycle",
    "OneCycleLR",
    "max_lr/div_factor -> max_lr over pct_start*total_steps steps, then -> "
    "max_lr/div_factor/final_div_factor (three_phase: back to max_lr/div_factor first); "
    "ignores the optimizer's lr; momentum max_momentum -> base_momentum -> max_momentum",
    onecycle_keys,
    COUNT(onecycle_keys),
    check_onecycle,
    eval_onecycle,
};

const ob_schedule_spec *const ob_schedule_table[] = {
    &sched_constant, &sched_inv_sqrt, &sched_step,   &sched_exponential,
    &sched_cosine,   &sched_restarts, &sched_linear, &sched_onecycle,
};
const size_t ob_schedule_count = COUNT(ob_schedule_table);

/* Only onecycle cycles momentum, through this key. */
static const char *const cycle_flag_name = "cycle_momentum";

/* ---- parsing ----------------------------------------------------------------- */

const ob_schedule_spec *ob_schedule_find(const char *name)
{
    for (size_t i = 0; name && i < ob_schedule_count; i++)
        if (strcmp(ob_schedule_table[i]->name, name) == 0) return ob_schedule_table[i];
    return NULL;
}

static const char *schedule_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return ob_schedule_table[i]->name;
}

static const char *key_name_at(const void *ctx, size_t i)
{
    return ((const ob_schedule_spec *)ctx)->keys[i].name;
}

void ob_sched_key_range(const ob_sched_key *k, char *buf, size_t len)
{
    switch (k->kind) {
    case OB_SK_BOOL: snprintf(buf, len, "0, 1, false or true"); return;
    case OB_SK_ENUM: {
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; k->choices[i] && used < len; i++) {
            int w = snprintf(buf + used, len - used, "%s%s", i ? " | " : "", k->choices[i]);
            if (w < 0) break;
            used += (size_t)w;
        }
        return;
    }
    case OB_SK_INT: snprintf(buf, len, "integer >= %g", k->lo); return;
    case OB_SK_REAL: ob_format_interval(k->lo, k->hi, k->lo_open, k->hi_open, buf, len); return;
    }
}

void ob_sched_key_default(const ob_sched_key *k, char *buf, size_t len)
{
    if (k->required) snprintf(buf, len, "required");
    else if (k->kind == OB_SK_ENUM) snprintf(buf, len, "%s", k->choices[(size_t)k->def]);
    else snprintf(buf, len, "%.6g", k->def);
}

/* Parses value `val` of key k into *out; 0 or -1 with a message. */
static int parse_key(const ob_schedule_spec *sp, const ob_sched_key *k, const char *val, double *out,
                     char *err, size_t errlen)
{
    char range[96];
    ob_sched_key_range(k, range, sizeof range);
    double v;
    int b;
    switch (k->kind) {
    case OB_SK_BOOL:
        if (ob_parse_bool(val, &b) != 0) goto bad;
        *out = b;
        return 0;
    case OB_SK_ENUM:
        for (size_t i = 0; k->choices[i]; i++) {
            if (strcmp(val, k->choices[i]) == 0) {
                *out = (double)i;
                return 0;
            }
        }
        goto bad;
    case OB_SK_INT:
    case OB_SK_REAL:
        if (ob_parse_real(val, &v) != 0) {
            snprintf(err, errlen, "%s: %s = '%s' is not a number; valid: %s", sp->name, k->name, val, range);
            return -1;
        }
        if (k->kind == OB_SK_INT && isfinite(v) && v != floor(v)) {
            snprintf(err, errlen, "%s: %s = %s is not an integer; valid: %s", sp->name, k->name, val, range);
            return -1;
        }
        if (!isfinite(v) || (k->lo_open ? !(v > k->lo) : !(v >= k->lo)) ||
            (k->hi_open ? !(v < k->hi) : !(v <= k->hi)) || (k->kind == OB_SK_INT && v > INT_MAX_EXACT)) {
            snprintf(err, errlen, "%s: %s = %s is out of range; valid: %s%s", sp->name, k->name, val, range,
                     k->kind == OB_SK_INT && v > INT_MAX_EXACT ? " (at most 2^53)" : "");
            return -1;
        }
        *out = v;
        return 0;
    }
bad:
    snprintf(err, errlen, "%s: %s = '%s' is not valid; valid: %s", sp->name, k->name, val, range);
    return -1;
}

int ob_schedule_parse(const char *name, const char *const *sets, size_t nsets, ob_schedule *out, char *err,
                      size_t errlen)
{
    if (!name) name = "constant";
    const ob_schedule_spec *sp = ob_schedule_find(name);
    if (!sp) {
        char known[256];
        ob_join_names(known, sizeof known, schedule_name_at, NULL, ob_schedule_count);
        snprintf(err, errlen, "unknown schedule '%s' (known: %s)", name, known);
        return -1;
    }
    ob_schedule s;
    memset(&s, 0, sizeof s);
    s.spec = sp;
    int given[OB_SCHED_MAX_KEYS] = {0};
    for (size_t i = 0; i < sp->n_keys; i++) s.v[i] = sp->keys[i].def;

    for (size_t j = 0; j < nsets; j++) {
        const char *a = sets[j];
        const char *eq = strchr(a, '=');
        if (!eq || eq == a) {
            snprintf(err, errlen, "%s: expected key=value, got '%s'", sp->name, a);
            return -1;
        }
        size_t klen = (size_t)(eq - a), i;
        for (i = 0; i < sp->n_keys; i++)
            if (strlen(sp->keys[i].name) == klen && strncmp(sp->keys[i].name, a, klen) == 0) break;
        if (i == sp->n_keys) {
            char known[256];
            ob_join_names(known, sizeof known, key_name_at, sp, sp->n_keys);
            snprintf(err, errlen, "%s has no key '%.*s' (known: %s)", sp->name, (int)klen, a, known);
            return -1;
        }
        if (parse_key(sp, &sp->keys[i], eq + 1, &s.v[i], err, errlen) != 0) return -1;
        given[i] = 1;
    }
    for (size_t i = 0; i < sp->n_keys; i++) {
        if (sp->keys[i].required && !given[i]) {
            snprintf(err, errlen, "%s: %s is required (torch has no default); valid: ", sp->name,
                     sp->keys[i].name);
            size_t used = strlen(err);
            if (used < errlen) ob_sched_key_range(&sp->keys[i], err + used, errlen - used);
            return -1;
        }
    }
    if (sp->check && sp->check(&s, err, errlen) != 0) return -1;
    *out = s;
    return 0;
}

/* ---- evaluation -------------------------------------------------------------- */

int ob_schedule_at(const ob_schedule *s, double base_lr, uint64_t t, ob_sched_point *out, char *err,
                   size_t errlen)
{
    if (t == 0) {
        snprintf(err, errlen, "%s: step t must be >= 1", s->spec->name);
        return -1;
    }
    ob_sched_point p;
    if (s->spec->eval(s, base_lr, t - 1, &p, err, errlen) != 0) return -1;
    if (!isfinite(p.lr)) {
        /* e.g. exponential with gamma > 1 after many steps */
        snprintf(err, errlen, "%s: the learning rate at step %llu is %g", s->spec->name,
                 (unsigned long long)t, p.lr);
        return -1;
    }
    *out = p;
    return 0;
}

int ob_schedule_cycled_key(const ob_schedule *s, const ob_optimizer *o, const ob_hparam_spec **key, char *err,
                           size_t errlen)
{
    *key = NULL;
    size_t i;
    for (i = 0; i < s->spec->n_keys; i++)
        if (strcmp(s->spec->keys[i].name, cycle_flag_name) == 0) break;
    if (i == s->spec->n_keys || s->v[i] == 0) return 0;
    /* torch: use_beta1 = "betas" in optimizer.defaults, else "momentum". */
    const ob_hparam_spec *k = ob_hparam_find(o, "beta1");
    if (!k) k = ob_hparam_find(o, "momentum");
    if (!k) {
        snprintf(err, errlen,
                 "%s with cycle_momentum = 1 needs an optimizer with beta1 or momentum, and %s "
                 "has neither (torch raises ValueError); set cycle_momentum=0",
                 s->spec->name, o->name);
        return -1;
    }
    *key = k;
    return 0;
}

int ob_schedule_apply(const ob_schedule *s, const ob_optimizer *o, const ob_hparams *base, uint64_t t,
                      ob_hparams *out, char *err, size_t errlen)
{
    ob_sched_point p;
    const ob_hparam_spec *mk = NULL;
    if (ob_schedule_at(s, base->lr, t, &p, err, errlen) != 0) return -1;
    if (p.cycles_momentum && ob_schedule_cycled_key(s, o, &mk, err, errlen) != 0) return -1;
    ob_hparams h = *base;
    h.lr = p.lr;
    if (mk) ob_hparam_put(&h, mk, p.momentum);
    *out = h;
    return 0;
}
