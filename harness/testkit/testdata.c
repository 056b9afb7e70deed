/*
 * testdata.c — deterministic test data (ob_testkit.h).
 */
#include "harness/testkit/ob_testkit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void ob_rng_init(ob_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t ob_rng_next(ob_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double ob_rng_uniform(ob_rng *r)
{
    return (double)(ob_rng_next(r) >> 11) * 0x1p-53;
}

double ob_rng_logmag(ob_rng *r, double lo, double hi, int nonneg)
{
    double m = exp(log(lo) + (log(hi) - log(lo)) * ob_rng_uniform(r));
    if (!nonneg && (ob_rng_next(r) & 1)) m = -m;
    return m;
}

float ob_rng_special_float(ob_rng *r, int nonneg)
{
    unsigned k = (unsigned)(ob_rng_next(r) % 100);
    float v;
    if (k < 70) v = (float)ob_rng_logmag(r, 1e-4, 1e4, 0);
    else if (k < 75) v = 0.0f;
    else if (k < 79) v = -0.0f;
    else if (k < 85) v = (float)ob_rng_logmag(r, 1e-44, 1e-38, 0); /* subnormal */
    else if (k < 91) v = (float)ob_rng_logmag(r, 1e18, 3e38, 0);   /* huge */
    else if (k < 95) v = NAN;
    else v = (ob_rng_next(r) & 1) ? INFINITY : -INFINITY;
    if (nonneg && !isnan(v)) v = fabsf(v);
    return v;
}

float ob_rng_normal_float(ob_rng *r, int nonneg)
{
    unsigned k = (unsigned)(ob_rng_next(r) % 100);
    if (k < 3) return 0.0f;
    if (k < 6) return nonneg ? 0.0f : -0.0f;
    if (k < 10) return (float)ob_rng_logmag(r, 1e-44, 1e-38, nonneg); /* subnormal */
    return (float)ob_rng_logmag(r, 1e-6, 1e6, nonneg);
}

/* A non-default value per key, chosen to switch a code path on (or, for
 * beta1 = 0, to hit the edge where m is just the gradient). */
double ob_hparam_toggle_value(const ob_hparam_spec *sp)
{
    static const struct {
        const char *key;
        double v;
    } alt[] = {
        {"lr", 0.05},
        {"beta1", 0.0},
        {"beta2", 0.9},
        {"eps", 1e-3},
        {"weight_decay", 0.1},
        {"momentum", 0.9},
        {"dampening", 0.25},
        {"alpha", 0.9},
        {"lr_decay", 0.05},
        {"initial_accumulator_value", 0.1},
        {"momentum_decay", 0.0}, /* NAdam: mu_t = beta1/2 at every step */
    };
    if (sp->kind == OB_HP_BOOL) return sp->def != 0 ? 0 : 1;
    for (size_t i = 0; i < sizeof alt / sizeof alt[0]; i++)
        if (!strcmp(alt[i].key, sp->name)) return alt[i].v;
    return sp->def * 0.5;
}

size_t ob_hp_config_count(const ob_optimizer *o)
{
    return (size_t)1 << o->n_hparams;
}

int ob_hp_config(const ob_optimizer *o, size_t idx, ob_hparams *h)
{
    ob_hparams_default(o, h);
    for (size_t k = 0; k < o->n_hparams; k++)
        if ((idx >> k) & 1u) ob_hparam_put(h, &o->hparams[k], ob_hparam_toggle_value(&o->hparams[k]));
    char err[256];
    return ob_validate(o, h, err, sizeof err);
}

void ob_hp_config_name(const ob_optimizer *o, const ob_hparams *h, char *buf, size_t len)
{
    ob_hparams d;
    ob_hparams_default(o, &d);
    int w = snprintf(buf, len, "%s{", o->name);
    int first = 1;
    for (size_t k = 0; k < o->n_hparams && w > 0 && (size_t)w < len; k++) {
        double v = ob_hparam_get(h, &o->hparams[k]);
        if (v == ob_hparam_get(&d, &o->hparams[k])) continue;
        w += snprintf(buf + w, len - (size_t)w, "%s%s=%g", first ? "" : ",", o->hparams[k].name, v);
        first = 0;
    }
    if (w > 0 && (size_t)w < len) snprintf(buf + w, len - (size_t)w, "}");
}

int ob_state_nonneg(const ob_optimizer *o, size_t k)
{
    if (k >= o->n_state) return 0;
    const char *n = o->state_names[k];
    return !strcmp(n, "sum") || !strcmp(n, "square_avg") || !strcmp(n, "exp_avg_sq") ||
           !strcmp(n, "max_exp_avg_sq") || !strcmp(n, "exp_inf");
}

/* ob_agree_measure's step: a table kernel with its prepared scalars. */
typedef struct kernel_ctx {
    const ob_optimizer *o;
    ob_kernel_fn k;
} kernel_ctx;

static int kernel_step(void *ctx, const ob_hparams *h, uint64_t t, size_t n, float *p, const float *g,
                       float *const *state)
{
    const kernel_ctx *kc = ctx;
    ob_step_scalars s;
    kc->o->prepare(h, t, &s);
    kc->k(n, p, g, state, &s);
    return 0;
}

double ob_agree_measure(const ob_optimizer *o, const ob_hparams *h, ob_kernel_fn kernel, uint64_t seed,
                        size_t n, uint64_t steps, char *where, size_t wlen)
{
    kernel_ctx kc = {o, kernel ? kernel : ob_optimizer_kernel(o, OB_ISA_SCALAR)};
    return ob_agree_measure_step(o, h, kernel_step, &kc, seed, n, steps, where, wlen);
}

double ob_agree_measure_step(const ob_optimizer *o, const ob_hparams *h, ob_agree_step_fn step, void *ctx,
                             uint64_t seed, size_t n, uint64_t steps, char *where, size_t wlen)
{
    const size_t ns = OB_MAX_STATE, m = n ? n : 1;
    float *f = malloc((2 + ns) * m * sizeof(float));
    double *d = malloc((2 + ns + 1 + ns) * m * sizeof(double));
    if (!f || !d) {
        free(f);
        free(d);
        return -1;
    }
    float *p = f, *g = f + m, *st[OB_MAX_STATE];
    double *pd = d, *gd = d + m, *sd[OB_MAX_STATE], *scale[1 + OB_MAX_STATE];
    for (size_t k = 0; k < ns; k++) {
        st[k] = f + (2 + k) * m;
        sd[k] = d + (2 + k) * m;
    }
    for (size_t k = 0; k < 1 + ns; k++) scale[k] = d + (2 + ns + k) * m;
    ob_rng rng;
    ob_rng_init(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        p[i] = ob_rng_normal_float(&rng, 0);
        for (size_t k = 0; k < ns; k++) st[k][i] = ob_rng_normal_float(&rng, ob_state_nonneg(o, k));
    }
    unsigned mask = o->state_mask(h);
    double worst = 0;
    char cfg[256];
    ob_hp_config_name(o, h, cfg, sizeof cfg);
    if (wlen) where[0] = '\0';
    for (uint64_t t = 1; t <= steps; t++) {
        for (size_t i = 0; i < n; i++) g[i] = ob_rng_normal_float(&rng, 0);
        for (size_t i = 0; i < n; i++) {
            pd[i] = p[i];
            gd[i] = g[i];
            for (size_t k = 0; k < ns; k++) sd[k][i] = st[k][i];
        }
        o->reference(h, t, n, pd, gd, sd, scale);
        if (step(ctx, h, t, n, p, g, st) != 0) {
            snprintf(where, wlen, "%s step %llu: the kernel failed", cfg, (unsigned long long)t);
            worst = -2;
            break;
        }
        /* Index 0 is p; 1 + k is state array k. */
        for (size_t k = 0; k <= o->n_state; k++) {
            if (k > 0 && !((mask >> (k - 1)) & 1u)) continue;
            const float *kx = k ? st[k - 1] : p;
            const double *rx = k ? sd[k - 1] : pd;
            size_t at = 0;
            double e = ob_agree_error(kx, rx, scale[k], n, &at);
            if (e > worst || (isnan(e) && !isnan(worst))) {
                worst = e;
                snprintf(where, wlen, "%s step %llu: %s[%zu] = %.9g vs reference %.17g (S = %.6g)", cfg,
                         (unsigned long long)t, k ? o->state_names[k - 1] : "p", at, (double)kx[at], rx[at],
                         scale[k][at]);
            }
        }
    }
    free(f);
    free(d);
    return worst;
}
