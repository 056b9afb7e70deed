#include "ob_test_opt.h"

#include <stdio.h>
#include <string.h>

/* A non-default value per key, chosen to switch a code path on (or, for
 * beta1 = 0, to hit the edge where m is just the gradient). */
static double toggle_value(const ob_hparam_spec *sp)
{
    static const struct { const char *key; double v; } alt[] = {
        {"lr", 0.05}, {"beta1", 0.0}, {"beta2", 0.9}, {"eps", 1e-3},
        {"weight_decay", 0.1}, {"momentum", 0.9}, {"dampening", 0.25},
        {"alpha", 0.9}, {"lr_decay", 0.05}, {"initial_accumulator_value", 0.1},
    };
    if (sp->kind == OB_HP_BOOL) return sp->def != 0 ? 0 : 1;
    for (size_t i = 0; i < sizeof alt / sizeof alt[0]; i++)
        if (!strcmp(alt[i].key, sp->name)) return alt[i].v;
    return sp->def * 0.5;
}

size_t ob_test_config_count(const ob_optimizer *o) { return (size_t)1 << o->n_hparams; }

int ob_test_config(const ob_optimizer *o, size_t idx, ob_hparams *h)
{
    ob_hparams_default(o, h);
    for (size_t k = 0; k < o->n_hparams; k++)
        if ((idx >> k) & 1u) ob_hparam_put(h, &o->hparams[k], toggle_value(&o->hparams[k]));
    char err[256];
    return ob_validate(o, h, err, sizeof err);
}

void ob_test_config_name(const ob_optimizer *o, const ob_hparams *h, char *buf, size_t len)
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

int ob_test_state_nonneg(const ob_optimizer *o, size_t k)
{
    if (k >= o->n_state) return 0;
    const char *n = o->state_names[k];
    return !strcmp(n, "sum") || !strcmp(n, "square_avg") || !strcmp(n, "exp_avg_sq") ||
           !strcmp(n, "max_exp_avg_sq");
}
