/*
 * optimizers.c — the table of optimizers, hyperparameter handling,
 * validation and the per-step scalars.
 *
 * Each optimizer is one ob_optimizer entry below; its kernels are the
 * steps each ISA's table lists under its kernel_key (step.c,
 * kernels/ob_isa.h).  Defaults and key names
 * are torch.optim's (torch 2.x).  Valid ranges follow torch's own checks,
 * plus the ones torch is missing (marked "added"): NaN and Inf are rejected
 * everywhere, momentum and dampening must lie in [0, 1), alpha in [0, 1],
 * and no real value may round to infinity in fp32, i.e. exceed FLT_MAX by
 * half an ulp or more (the kernels receive it in fp32).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "optbench/optimizers.h"
#include "ob_reduce.h"
#include "ob_sam.h"
#include "optbench/reference.h"

#define HP(key, kind, def, lo, hi, lo_open, hi_open, doc) \
    { \
#key, offsetof(ob_hparams, key), kind, def, lo, hi, lo_open, hi_open, doc \
    }
#define INF HUGE_VAL

/* ---- per-optimizer rules ---------------------------------------------- */

static unsigned mask_sgd(const ob_hparams *h)
{
    return h->momentum != 0.0 ? 1u : 0u;
}
static unsigned mask_one(const ob_hparams *h)
{
    (void)h;
    return 1u;
}
static unsigned mask_rmsprop(const ob_hparams *h)
{
    return 1u | (h->momentum != 0.0 ? 2u : 0u) | (h->centered ? 4u : 0u);
}
static unsigned mask_adam(const ob_hparams *h)
{
    return 3u | (h->amsgrad ? 4u : 0u);
}

static int check_sgd(const ob_hparams *h, char *err, size_t errlen)
{
    /* torch: "Nesterov momentum requires a momentum and zero dampening". */
    if (h->nesterov && (h->momentum <= 0.0 || h->dampening != 0.0)) {
        snprintf(
            err, errlen,
            "nesterov = true requires momentum > 0 and dampening = 0 (got momentum = %g, dampening = %g)",
            h->momentum, h->dampening);
        return -1;
    }
    return 0;
}

static void prepare_sgd(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    memset(s, 0, sizeof *s);
    s->lr = (float)h->lr;
    s->weight_decay = (float)h->weight_decay;
    s->l2 = h->weight_decay != 0.0;
    s->momentum = (float)h->momentum;
    s->one_minus_dampening = (float)(1.0 - h->dampening);
    s->has_momentum = h->momentum != 0.0;
    s->nesterov = h->nesterov != 0;
    s->first_step = t == 1; /* torch: the buffer is created as a copy of d */
    s->decay_factor = 1.0f;
    ob_prepare_clip(h, s);
}

static void prepare_adagrad(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    memset(s, 0, sizeof *s);
    s->lr = (float)h->lr;
    /* torch: clr = lr / (1 + (step - 1) * lr_decay) */
    s->step_size = (float)(h->lr / (1.0 + (double)(t - 1) * h->lr_decay));
    s->eps = (float)h->eps;
    s->weight_decay = (float)h->weight_decay;
    s->l2 = h->weight_decay != 0.0;
    s->decay_factor = 1.0f;
    ob_prepare_clip(h, s);
}

static void prepare_rmsprop(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    (void)t; /* RMSprop has no bias correction */
    memset(s, 0, sizeof *s);
    s->lr = (float)h->lr;
    s->alpha = (float)h->alpha;
    s->one_minus_alpha = (float)(1.0 - h->alpha);
    s->eps = (float)h->eps;
    s->weight_decay = (float)h->weight_decay;
    s->l2 = h->weight_decay != 0.0;
    s->momentum = (float)h->momentum;
    s->has_momentum = h->momentum != 0.0;
    s->centered = h->centered != 0;
    s->decay_factor = 1.0f;
    ob_prepare_clip(h, s);
}

static void prepare_adam(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    memset(s, 0, sizeof *s);
    /* Kingma & Ba Alg. 1 bias corrections, in double, once per step. */
    const double bc1 = 1.0 - pow(h->beta1, (double)t);
    const double bc2 = 1.0 - pow(h->beta2, (double)t);
    s->lr = (float)h->lr;
    s->step_size = (float)(h->lr / bc1);
    s->inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    s->beta1 = (float)h->beta1;
    s->one_minus_beta1 = (float)(1.0 - h->beta1);
    s->beta2 = (float)h->beta2;
    s->one_minus_beta2 = (float)(1.0 - h->beta2);
    s->eps = (float)h->eps;
    s->weight_decay = (float)h->weight_decay;
    const int has_wd = h->weight_decay != 0.0;
    s->l2 = has_wd && !h->decoupled_wd;
    s->decoupled = has_wd && h->decoupled_wd;
    s->decay_factor = (float)(s->decoupled ? 1.0 - h->lr * h->weight_decay : 1.0);
    s->amsgrad = h->amsgrad != 0;
    ob_prepare_clip(h, s);
}

static int check_adamw(const ob_hparams *h, char *err, size_t errlen)
{
    /* Added: a decay factor 1 - lr*wd below 0 flips the sign of every
     * weight each step, which is never what a user meant. */
    if (h->lr * h->weight_decay > 1.0) {
        snprintf(
            err, errlen,
            "lr * weight_decay = %g exceeds 1: the decoupled decay factor 1 - lr*weight_decay would be negative",
            h->lr * h->weight_decay);
        return -1;
    }
    return 0;
}

/* NAdam, RAdam: the AdamW rule when decoupled_weight_decay is on. */
static int check_decoupled(const ob_hparams *h, char *err, size_t errlen)
{
    return h->decoupled_wd ? check_adamw(h, err, errlen) : 0;
}

static unsigned mask_two(const ob_hparams *h)
{
    (void)h;
    return 3u;
}

/* Per-step scalars shared by NAdam, RAdam, Adamax and Lion: lr, betas,
 * eps, weight decay (L2, or decoupled when h->decoupled_wd) and clipping. */
static void prepare_moments(const ob_hparams *h, ob_step_scalars *s)
{
    memset(s, 0, sizeof *s);
    s->lr = (float)h->lr;
    s->beta1 = (float)h->beta1;
    s->one_minus_beta1 = (float)(1.0 - h->beta1);
    s->beta2 = (float)h->beta2;
    s->one_minus_beta2 = (float)(1.0 - h->beta2);
    s->eps = (float)h->eps;
    s->weight_decay = (float)h->weight_decay;
    const int has_wd = h->weight_decay != 0.0;
    s->l2 = has_wd && !h->decoupled_wd;
    s->decoupled = has_wd && h->decoupled_wd;
    s->decay_factor = (float)(s->decoupled ? 1.0 - h->lr * h->weight_decay : 1.0);
    ob_prepare_clip(h, s);
}

static void prepare_nadam(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    prepare_moments(h, s);
    /* torch 2.x: the coefficient of d/den uses prod_{i<=t} mu_i, that of
     * m/den prod_{i<=t+1} mu_i = P_t mu_{t+1} (torch 1.13's single-tensor
     * path had P_t mu_t mu_{t+1}).  P_t is a pure function of (beta1, psi,
     * t): the product over i = 1..t in double (ob_ref_nadam_mu_product). */
    const double b1 = h->beta1, psi = h->momentum_decay;
    const double mu = ob_ref_nadam_mu(b1, psi, t), mu_next = ob_ref_nadam_mu(b1, psi, t + 1);
    const double prod = ob_ref_nadam_mu_product(b1, psi, t);
    s->grad_step = (float)(h->lr * (1.0 - mu) / (1.0 - prod));
    s->step_size = (float)(h->lr * mu_next / (1.0 - prod * mu_next));
    s->inv_sqrt_bc2 = (float)(1.0 / sqrt(1.0 - pow(h->beta2, (double)t)));
}

static void prepare_radam(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    prepare_moments(h, s);
    const double bc1 = 1.0 - pow(h->beta1, (double)t), bc2 = 1.0 - pow(h->beta2, (double)t);
    /* rho_t as torch computes it, shared with the reference, so both switch
     * to the rectified update at the same step. */
    s->rectified = ob_ref_radam_rho(h->beta2, t) > 5.0;
    s->step_size = (float)(s->rectified ? h->lr * ob_ref_radam_rect(h->beta2, t) * sqrt(bc2) / bc1
                                        : h->lr / bc1);
}

static void prepare_adamax(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    prepare_moments(h, s);
    s->step_size = (float)(h->lr / (1.0 - pow(h->beta1, (double)t)));
}

static void prepare_lion(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    (void)t; /* no bias correction */
    prepare_moments(h, s);
    /* Lion's weight decay is always decoupled (Chen et al. 2023, Alg. 2). */
    s->l2 = 0;
    s->decoupled = h->weight_decay != 0.0;
    s->decay_factor = (float)(s->decoupled ? 1.0 - h->lr * h->weight_decay : 1.0);
}

/* ---- the table -------------------------------------------------------- */

#define LR(def) HP(lr, OB_HP_REAL, def, 0, INF, 0, 1, "learning rate")
#define WD(def) HP(weight_decay, OB_HP_REAL, def, 0, INF, 0, 1, "weight decay")
#define EPS(def) HP(eps, OB_HP_REAL, def, 0, INF, 0, 1, "term added to the denominator")
#define BETAS \
    HP(beta1, OB_HP_REAL, 0.9, 0, 1, 0, 1, "decay of the first moment"), \
        HP(beta2, OB_HP_REAL, 0.999, 0, 1, 0, 1, "decay of the second moment")
#define MOMENTUM HP(momentum, OB_HP_REAL, 0, 0, 1, 0, 1, "momentum factor (added: < 1)")

static const ob_hparam_spec sgd_hp[] = {
    LR(1e-3),
    MOMENTUM,
    HP(dampening, OB_HP_REAL, 0, 0, 1, 0, 1, "dampening for momentum (added: in [0, 1))"),
    HP(nesterov, OB_HP_BOOL, 0, 0, 1, 0, 0, "Nesterov momentum"),
    WD(0),
};
static const ob_hparam_spec adagrad_hp[] = {
    LR(1e-2),
    HP(lr_decay, OB_HP_REAL, 0, 0, INF, 0, 1, "learning-rate decay"),
    WD(0),
    HP(initial_accumulator_value, OB_HP_REAL, 0, 0, INF, 0, 1, "initial value of the sum of squares"),
    EPS(1e-10),
};
static const ob_hparam_spec rmsprop_hp[] = {
    LR(1e-2),  HP(alpha, OB_HP_REAL, 0.99, 0, 1, 0, 0, "smoothing constant (added: <= 1)"),
    EPS(1e-8), WD(0),
    MOMENTUM,  HP(centered, OB_HP_BOOL, 0, 0, 1, 0, 0, "normalise by the estimated variance"),
};
static const ob_hparam_spec adam_hp[] = {
    LR(1e-3), BETAS, EPS(1e-8), WD(0), HP(amsgrad, OB_HP_BOOL, 0, 0, 1, 0, 0, "AMSGrad maximum of v"),
};
static const ob_hparam_spec adamw_hp[] = {
    LR(1e-3), BETAS, EPS(1e-8), WD(1e-2), HP(amsgrad, OB_HP_BOOL, 0, 0, 1, 0, 0, "AMSGrad maximum of v"),
};
static const ob_hparam_spec amsgrad_hp[] = {
    LR(1e-3),
    BETAS,
    EPS(1e-8),
    WD(0),
};
/* torch's key is decoupled_weight_decay; it sets ob_hparams.decoupled_wd. */
#define DECOUPLED \
    { \
        "decoupled_weight_decay", offsetof(ob_hparams, decoupled_wd), OB_HP_BOOL, 0, 0, 1, 0, 0, \
            "AdamW-style weight decay p <- p (1 - lr wd) instead of L2" \
    }
static const ob_hparam_spec nadam_hp[] = {
    LR(2e-3),
    BETAS,
    EPS(1e-8),
    WD(0),
    HP(momentum_decay, OB_HP_REAL, 4e-3, 0, INF, 0, 1, "psi in mu_t = beta1 (1 - 0.5 * 0.96^(t psi))"),
    DECOUPLED,
};
static const ob_hparam_spec radam_hp[] = {
    LR(1e-3), BETAS, EPS(1e-8), WD(0), DECOUPLED,
};
static const ob_hparam_spec adamax_hp[] = {
    LR(2e-3),
    BETAS,
    EPS(1e-8),
    WD(0),
};
static const ob_hparam_spec lion_hp[] = {
    LR(1e-4),
    HP(beta1, OB_HP_REAL, 0.9, 0, 1, 0, 1, "interpolation of m and g inside the sign"),
    HP(beta2, OB_HP_REAL, 0.99, 0, 1, 0, 1, "decay of the momentum m"),
    WD(0),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const ob_optimizer opt_sgd = {
    .name = "sgd",
    .title = "SGD with momentum / Nesterov",
    .source = "Robbins & Monro 1951; Sutskever et al. 2013; torch.optim.SGD",
    .hparams = sgd_hp,
    .n_hparams = COUNT(sgd_hp),
    .n_state = 1,
    .state_names = {"momentum_buffer"},
    .state_mask = mask_sgd,
    .check = check_sgd,
    .prepare = prepare_sgd,
    .kernel_key = "sgd",
    .reference = ob_ref_sgd_step,
    .agree_bound = 6,
    .divides = 0,
};
static const ob_optimizer opt_adagrad = {
    .name = "adagrad",
    .title = "Adagrad",
    .source = "Duchi, Hazan & Singer 2011; torch.optim.Adagrad",
    .hparams = adagrad_hp,
    .n_hparams = COUNT(adagrad_hp),
    .n_state = 1,
    .state_names = {"sum"},
    .state_mask = mask_one,
    .prepare = prepare_adagrad,
    .kernel_key = "adagrad",
    .reference = ob_ref_adagrad_step,
    .agree_bound = 8,
    .divides = OB_DIVIDER(1, 1),
    .monitor = ob_ref_adagrad_monitor,
};
static const ob_optimizer opt_rmsprop = {
    .name = "rmsprop",
    .title = "RMSprop (optionally centered, with momentum)",
    .source = "Tieleman & Hinton 2012, lecture 6e; Graves 2013 (centered); torch.optim.RMSprop",
    .hparams = rmsprop_hp,
    .n_hparams = COUNT(rmsprop_hp),
    .n_state = 3,
    .state_names = {"square_avg", "momentum_buffer", "grad_avg"},
    .state_mask = mask_rmsprop,
    .prepare = prepare_rmsprop,
    .kernel_key = "rmsprop",
    .reference = ob_ref_rmsprop_step,
    .agree_bound = 10,
    .divides = OB_DIVIDER(1, 1),
    .monitor = ob_ref_rmsprop_monitor,
};
static const ob_optimizer opt_adam = {
    .name = "adam",
    .title = "Adam (L2 weight decay)",
    .source = "Kingma & Ba 2015, Alg. 1; torch.optim.Adam",
    .hparams = adam_hp,
    .n_hparams = COUNT(adam_hp),
    .n_state = 3,
    .state_names = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    .state_mask = mask_adam,
    .prepare = prepare_adam,
    .kernel_key = "adam",
    .reference = ob_ref_adam_step,
    .agree_bound = 10,
    .divides = OB_DIVIDER(1, 1),
    .approx_bound = 12, /* README "The approximate variant" */
    .monitor = ob_ref_adam_monitor,
};
/* AdamW and AMSGrad are Adam's kernel with a fixed flag: the entry's
 * decoupled_wd / amsgrad field, not a user option (no hyperparameter key
 * switches it off). */
static const ob_optimizer opt_adamw = {
    .name = "adamw",
    .title = "AdamW (decoupled weight decay)",
    .source = "Loshchilov & Hutter 2019, Alg. 2; torch.optim.AdamW",
    .hparams = adamw_hp,
    .n_hparams = COUNT(adamw_hp),
    .n_state = 3,
    .state_names = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    .state_mask = mask_adam,
    .check = check_adamw,
    .prepare = prepare_adam,
    .kernel_key = "adam",
    .reference = ob_ref_adam_step,
    .agree_bound = 10,
    .divides = OB_DIVIDER(1, 1),
    .approx_bound = 12, /* README "The approximate variant" */
    .decoupled_wd = 1,
    .monitor = ob_ref_adam_monitor,
};
static const ob_optimizer opt_amsgrad = {
    .name = "amsgrad",
    .title = "AMSGrad (Adam with the running maximum of v)",
    .source = "Reddi, Kale & Kumar 2018, Alg. 2; torch.optim.Adam(amsgrad=True)",
    .hparams = amsgrad_hp,
    .n_hparams = COUNT(amsgrad_hp),
    .n_state = 3,
    .state_names = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    .state_mask = mask_adam,
    .prepare = prepare_adam,
    .kernel_key = "adam",
    .reference = ob_ref_adam_step,
    .agree_bound = 10,
    .divides = OB_DIVIDER(1, 1),
    .approx_bound = 12, /* README "The approximate variant" */
    .amsgrad = 1,
    .monitor = ob_ref_adam_monitor,
};

/* Bounds B: README "Agreement bounds" (NAdam: Adam's path with a second
 * quotient and fma, 10; RAdam: 9 rectified, 6 otherwise; Adamax: 6;
 * Lion: 3 away from sign changes, kernels/scalar/lion.c). */
static const ob_optimizer opt_nadam = {
    .name = "nadam",
    .title = "NAdam (Adam with Nesterov momentum; L2 or decoupled weight decay)",
    .source = "Dozat 2016; torch.optim.NAdam (torch 2.x)",
    .hparams = nadam_hp,
    .n_hparams = COUNT(nadam_hp),
    .n_state = 2,
    .state_names = {"exp_avg", "exp_avg_sq"},
    .state_mask = mask_two,
    .check = check_decoupled,
    .prepare = prepare_nadam,
    .kernel_key = "nadam",
    .reference = ob_ref_nadam_step,
    .agree_bound = 10,
    .divides = OB_DIVIDER(1, 2),
    .monitor = ob_ref_nadam_monitor,
};
static const ob_optimizer opt_radam = {
    .name = "radam",
    .title = "RAdam (rectified Adam; L2 or decoupled weight decay)",
    .source = "Liu et al. 2020, Alg. 2; torch.optim.RAdam",
    .hparams = radam_hp,
    .n_hparams = COUNT(radam_hp),
    .n_state = 2,
    .state_names = {"exp_avg", "exp_avg_sq"},
    .state_mask = mask_two,
    .check = check_decoupled,
    .prepare = prepare_radam,
    .kernel_key = "radam",
    .reference = ob_ref_radam_step,
    .agree_bound = 9,
    .divides = OB_DIVIDER(1, 1),
    .monitor = ob_ref_radam_monitor,
};
static const ob_optimizer opt_adamax = {
    .name = "adamax",
    .title = "Adamax (Adam with the infinity norm)",
    .source = "Kingma & Ba 2015, Sec. 7.1; torch.optim.Adamax",
    .hparams = adamax_hp,
    .n_hparams = COUNT(adamax_hp),
    .n_state = 2,
    .state_names = {"exp_avg", "exp_inf"},
    .state_mask = mask_two,
    .prepare = prepare_adamax,
    .kernel_key = "adamax",
    .reference = ob_ref_adamax_step,
    .agree_bound = 6,
    .divides = OB_DIVIDER(0, 1),
    .monitor = ob_ref_adamax_monitor,
};
static const ob_optimizer opt_lion = {
    .name = "lion",
    .title = "Lion (sign momentum, decoupled weight decay)",
    .source = "Chen et al. 2023, Alg. 2 (no torch class)",
    .hparams = lion_hp,
    .n_hparams = COUNT(lion_hp),
    .n_state = 1,
    .state_names = {"exp_avg"},
    .state_mask = mask_one,
    .check = check_adamw,
    .prepare = prepare_lion,
    .kernel_key = "lion",
    .reference = ob_ref_lion_step,
    .agree_bound = 3,
    .divides = 0,
};

const ob_optimizer *const ob_optimizer_table[] = {
    &opt_sgd,     &opt_adagrad, &opt_rmsprop, &opt_adam,   &opt_adamw,
    &opt_amsgrad, &opt_nadam,   &opt_radam,   &opt_adamax, &opt_lion,
};
const size_t ob_optimizer_count = COUNT(ob_optimizer_table);

/* ---- lookup and hyperparameters --------------------------------------- */

const ob_optimizer *ob_optimizer_find(const char *name)
{
    for (size_t i = 0; name && i < ob_optimizer_count; i++)
        if (strcmp(ob_optimizer_table[i]->name, name) == 0) return ob_optimizer_table[i];
    return NULL;
}

double ob_hparam_get(const ob_hparams *h, const ob_hparam_spec *spec)
{
    const char *base = (const char *)h + spec->offset;
    if (spec->kind == OB_HP_BOOL) return *(const int *)(const void *)base ? 1.0 : 0.0;
    return *(const double *)(const void *)base;
}

void ob_hparam_put(ob_hparams *h, const ob_hparam_spec *spec, double v)
{
    char *base = (char *)h + spec->offset;
    if (spec->kind == OB_HP_BOOL) *(int *)(void *)base = v != 0.0;
    else *(double *)(void *)base = v;
}

size_t ob_generic_hparam_count(void)
{
    return ob_clip_hparam_count + ob_sam_hparam_count;
}

const ob_hparam_spec *ob_generic_hparam(size_t i)
{
    if (i < ob_clip_hparam_count) return &ob_clip_hparams[i];
    i -= ob_clip_hparam_count;
    return i < ob_sam_hparam_count ? &ob_sam_hparams[i] : NULL;
}

void ob_hparams_default(const ob_optimizer *o, ob_hparams *h)
{
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < o->n_hparams; i++) ob_hparam_put(h, &o->hparams[i], o->hparams[i].def);
    for (size_t i = 0; i < ob_generic_hparam_count(); i++)
        ob_hparam_put(h, ob_generic_hparam(i), ob_generic_hparam(i)->def);
    /* Fixed properties of the entry, not user options. */
    if (o->amsgrad) h->amsgrad = 1;
    if (o->decoupled_wd) h->decoupled_wd = 1;
}

const ob_hparam_spec *ob_hparam_find(const ob_optimizer *o, const char *key)
{
    for (size_t i = 0; i < o->n_hparams; i++)
        if (strcmp(o->hparams[i].name, key) == 0) return &o->hparams[i];
    /* Gradient clipping and SAM: every optimizer's (kernels/framework/ob_reduce.h,
     * kernels/framework/ob_sam.h). */
    for (size_t i = 0; i < ob_generic_hparam_count(); i++)
        if (strcmp(ob_generic_hparam(i)->name, key) == 0) return ob_generic_hparam(i);
    return NULL;
}

static void format_range(const ob_hparam_spec *sp, char *buf, size_t len)
{
    if (sp->kind == OB_HP_BOOL) {
        snprintf(buf, len, "0, 1, false or true");
        return;
    }
    char hi[32];
    if (isinf(sp->hi)) snprintf(hi, sizeof hi, "inf");
    else snprintf(hi, sizeof hi, "%g", sp->hi);
    snprintf(buf, len, "%c%g, %s%c", sp->lo_open ? '(' : '[', sp->lo, hi, sp->hi_open ? ')' : ']');
}

static int check_one(const ob_optimizer *o, const ob_hparam_spec *sp, double v, char *err, size_t errlen)
{
    int ok = isfinite(v) && (sp->lo_open ? v > sp->lo : v >= sp->lo) &&
             (sp->hi_open ? v < sp->hi : v <= sp->hi);
    if (ok && sp->kind == OB_HP_REAL && isinf((float)v)) {
        /* Inside torch's range but past what fp32 holds, where the kernels
         * receive it: it rounds to infinity there (README "Agreement
         * bounds"). */
        snprintf(err, errlen,
                 "%s: %s = %g exceeds the largest fp32 value %g: the kernels compute in fp32, where it "
                 "would be infinite",
                 o->name, sp->name, v, (double)FLT_MAX);
        return -1;
    }
    if (ok) return 0;
    char range[64];
    format_range(sp, range, sizeof range);
    snprintf(err, errlen, "%s: %s = %g is out of range; valid: %s", o->name, sp->name, v, range);
    return -1;
}

int ob_hparam_set(const ob_optimizer *o, ob_hparams *h, const char *assignment, char *err, size_t errlen)
{
    const char *eq = assignment ? strchr(assignment, '=') : NULL;
    if (!eq || eq == assignment) {
        snprintf(err, errlen, "expected key=value, got '%s'", assignment ? assignment : "");
        return -1;
    }
    char key[64];
    size_t klen = (size_t)(eq - assignment);
    if (klen >= sizeof key) klen = sizeof key - 1;
    memcpy(key, assignment, klen);
    key[klen] = '\0';
    const ob_hparam_spec *sp = ob_hparam_find(o, key);
    if (!sp) {
        char known[512] = "";
        for (size_t i = 0; i < o->n_hparams; i++) {
            strncat(known, o->hparams[i].name, sizeof known - strlen(known) - 1);
            if (i + 1 < o->n_hparams) strncat(known, ", ", sizeof known - strlen(known) - 1);
        }
        for (size_t i = 0; i < ob_generic_hparam_count(); i++) {
            strncat(known, ", ", sizeof known - strlen(known) - 1);
            strncat(known, ob_generic_hparam(i)->name, sizeof known - strlen(known) - 1);
        }
        snprintf(err, errlen, "%s has no hyperparameter '%s' (known: %s)", o->name, key, known);
        return -1;
    }
    const char *val = eq + 1;
    double v;
    if (sp->kind == OB_HP_BOOL) {
        if (!strcmp(val, "1") || !strcasecmp(val, "true")) v = 1;
        else if (!strcmp(val, "0") || !strcasecmp(val, "false")) v = 0;
        else {
            snprintf(err, errlen, "%s: %s must be 0, 1, false or true, got '%s'", o->name, key, val);
            return -1;
        }
    } else {
        char *end = NULL;
        errno = 0;
        v = strtod(val, &end);
        if (*val == '\0' || end == val || *end != '\0') {
            snprintf(err, errlen, "%s: %s = '%s' is not a number", o->name, key, val);
            return -1;
        }
        /* A nonzero literal that rounds to 0 in double (1e-400) would
         * silently switch the option off. */
        if (errno == ERANGE && v == 0.0) {
            snprintf(err, errlen, "%s: %s = '%s' underflows to 0 in double; write 0 if 0 is meant", o->name,
                     key, val);
            return -1;
        }
    }
    if (check_one(o, sp, v, err, errlen) != 0) return -1;
    ob_hparam_put(h, sp, v);
    return 0;
}

int ob_validate(const ob_optimizer *o, const ob_hparams *h, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->n_hparams; i++)
        if (check_one(o, &o->hparams[i], ob_hparam_get(h, &o->hparams[i]), err, errlen) != 0) return -1;
    for (size_t i = 0; i < ob_generic_hparam_count(); i++)
        if (check_one(o, ob_generic_hparam(i), ob_hparam_get(h, ob_generic_hparam(i)), err, errlen) != 0)
            return -1;
    if (o->check && o->check(h, err, errlen) != 0) {
        /* Prefix the optimizer's name, like the range messages. */
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s: %s", o->name, err);
        snprintf(err, errlen, "%s", tmp);
        return -1;
    }
    return 0;
}

size_t ob_state_count(const ob_optimizer *o, const ob_hparams *h)
{
    unsigned m = o->state_mask(h);
    size_t c = 0;
    for (size_t k = 0; k < o->n_state; k++) c += (m >> k) & 1u;
    return c;
}

size_t ob_state_bytes_per_param(const ob_optimizer *o, const ob_hparams *h)
{
    return ob_state_count(o, h) * sizeof(float);
}

size_t ob_traffic_bytes_per_param(const ob_optimizer *o, const ob_hparams *h)
{
    /* p read + written, g read, each state array read + written. */
    return 3 * sizeof(float) + 2 * ob_state_bytes_per_param(o, h);
}
