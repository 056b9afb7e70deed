/*
 * test_reference.c — the scalar fp32 kernels against the double reference.
 *
 * Single-step agreement: from the kernel's own state, widened to double,
 * one reference step and one kernel step must agree within the optimizer's
 * documented bound |x32 - x64| <= B * u * S (u = 2^-24, S the error scale
 * the reference reports per element; README "Agreement bounds").  This is
 * checked for every array, every option combination, along 20-step
 * trajectories, and the measured maximum is printed.  Then closed forms
 * worked out by hand: Adam's first step, AdaGrad's first step, RMSprop's
 * first-step magnitude and a few constant-gradient steps.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/optimizers.h"
#include "common/ob_test.h"
#include "harness/testkit/ob_testkit.h"

#define U32 0x1p-24
#define N 1031
#define STEPS 20

/* Runs STEPS steps of N elements, comparing each kernel step with a
 * reference step from the same state (ob_agree_measure); the worst error
 * in units of u*S, described in `where`. */
static double agreement_run(const ob_optimizer *o, const ob_hparams *h, ob_rng *rng, const char *cfg,
                            char *where, size_t wlen)
{
    (void)cfg;
    double e = ob_agree_measure(o, h, NULL, ob_rng_next(rng), N, STEPS, where, wlen);
    cr_assert(e >= 0, "out of memory");
    return e;
}

Test(agreement, scalar_within_documented_bound, .timeout = 300)
{
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 5);
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        double m = 0;
        size_t configs = 0;
        for (size_t c = 0; c < ob_hp_config_count(o); c++) {
            ob_hparams h;
            if (ob_hp_config(o, c, &h) != 0) continue;
            char cfg[256];
            ob_hp_config_name(o, &h, cfg, sizeof cfg);
            char where[512] = "";
            double e = agreement_run(o, &h, &rng, cfg, where, sizeof where);
            cr_assert(e <= o->agree_bound, "%s: error %.3g u*S exceeds the bound %g; seed %#llx", where, e,
                      o->agree_bound, (unsigned long long)ob_test_seed());
            if (e > m) m = e;
            configs++;
        }
        cr_log_info("agreement %-8s: max error %.3f u*S over %zu configs x %d steps x %d elements (bound %g)",
                    o->name, m, configs, STEPS, N, o->agree_bound);
    }
}

/* The bound must be able to fail: a kernel fed a bias correction off by
 * 2^-16 (a plausible bug: bc2 computed in fp32) is caught, as is a kernel
 * that flips the lowest bit of one element of p. */
static void prepare_adam_wrong_bc(const ob_hparams *h, uint64_t t, ob_step_scalars *s)
{
    ob_optimizer_find("adam")->prepare(h, t, s);
    s->inv_sqrt_bc2 *= 1.0f + 0x1p-16f;
}

static void adam_flip_one_bit(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    ob_optimizer_kernel(ob_optimizer_find("adam"), OB_ISA_SCALAR)(n, p, g, st, s);
    if (n > 7) {
        uint32_t b;
        memcpy(&b, &p[7], 4);
        b ^= 1u << 12;
        memcpy(&p[7], &b, 4);
    }
}

Test(agreement, broken_kernels_are_caught)
{
    ob_optimizer wrong_bc = *ob_optimizer_find("adam"), flipped = wrong_bc;
    wrong_bc.prepare = prepare_adam_wrong_bc;
    ob_kernel_set flip;
    ob_optimizer_kernels(&flipped, &flip);
    flip.exact[OB_ISA_SCALAR] = adam_flip_one_bit;
    flipped.own_kernels = &flip;
    ob_hparams h;
    ob_hparams_default(&wrong_bc, &h);
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() + 6);
    char where[512];
    double e1 = agreement_run(&wrong_bc, &h, &rng, "adam with a wrong bias correction", where, sizeof where);
    cr_assert(e1 > wrong_bc.agree_bound, "a wrong bias correction went unnoticed (error %.3g u*S)", e1);
    double e2 = agreement_run(&flipped, &h, &rng, "adam with a flipped bit", where, sizeof where);
    cr_assert(e2 > flipped.agree_bound, "a flipped bit went unnoticed (error %.3g u*S)", e2);
    cr_log_info("broken kernels: wrong bias correction %.3g u*S, flipped bit %.3g u*S (bound %g)", e1, e2,
                wrong_bc.agree_bound);
}

/* ---- closed forms ------------------------------------------------------ */

static void step_all(const char *name, const char *const *sets, size_t nsets, uint64_t steps, size_t n,
                     float *p, const float *g_per_step /* steps x n */)
{
    const ob_optimizer *o = ob_optimizer_find(name);
    cr_assert(o != NULL);
    ob_hparams h;
    ob_hparams_default(o, &h);
    char err[256];
    for (size_t i = 0; i < nsets; i++)
        cr_assert_eq(ob_hparam_set(o, &h, sets[i], err, sizeof err), 0, "%s", err);
    float *st[OB_MAX_STATE];
    for (size_t k = 0; k < OB_MAX_STATE; k++) {
        st[k] = calloc(n, sizeof(float));
        for (size_t i = 0; i < n; i++)
            st[k][i] = k == 0 && !strcmp(name, "adagrad") ? (float)h.initial_accumulator_value : 0;
    }
    for (uint64_t t = 1; t <= steps; t++)
        cr_assert_eq(ob_step(o, OB_ISA_SCALAR, &h, t, n, p, g_per_step + (t - 1) * n, st, err, sizeof err), 0,
                     "%s", err);
    for (size_t k = 0; k < OB_MAX_STATE; k++) free(st[k]);
}

/* Kingma & Ba §2.1: the first step is -lr * sign(g) when |g| >> eps,
 * because m^ = g and v^ = g^2 exactly. */
Test(closed_form, adam_first_step_is_lr_sign_g)
{
    const float g[4] = {3.0f, -0.5f, 1e-2f, -7e3f};
    float p[4] = {1.0f, 1.0f, -2.0f, 0.0f};
    const float p0[4] = {1.0f, 1.0f, -2.0f, 0.0f};
    step_all("adam", (const char *[]){"lr=0.01"}, 1, 1, 4, p, g);
    for (int i = 0; i < 4; i++) {
        float want = p0[i] - 0.01f * (g[i] > 0 ? 1.0f : -1.0f);
        cr_assert(ieee_ulp_eq(flt, p[i], want, 4), "adam first step p[%d] = %.9g, expected %.9g", i, p[i],
                  want);
    }
}

/* Duchi et al.: from a zero accumulator the first step is
 * -lr * g / (|g| + eps). */
Test(closed_form, adagrad_first_step)
{
    const float g[3] = {2.0f, -1e-3f, 5e4f};
    float p[3] = {0.5f, 0.5f, 0.5f};
    step_all("adagrad", (const char *[]){"lr=0.1", "eps=1e-10"}, 2, 1, 3, p, g);
    for (int i = 0; i < 3; i++) {
        double want = 0.5 - 0.1 * g[i] / (fabs(g[i]) + 1e-10);
        cr_assert(ieee_ulp_eq(flt, p[i], (float)want, 4), "adagrad first step p[%d] = %.9g, expected %.9g", i,
                  p[i], want);
    }
}

/* RMSprop from a zero average: |step| = lr / sqrt(1 - alpha). */
Test(closed_form, rmsprop_first_step_magnitude)
{
    const float g[3] = {4.0f, -0.25f, 1e3f};
    float p[3] = {0, 0, 0};
    step_all("rmsprop", (const char *[]){"lr=0.01", "alpha=0.99"}, 2, 1, 3, p, g);
    double want = 0.01 / sqrt(1 - 0.99);
    for (int i = 0; i < 3; i++)
        cr_assert(ieee_ulp_eq(flt, fabsf(p[i]), (float)want, 8), "rmsprop |first step| = %.9g, expected %.9g",
                  fabsf(p[i]), want);
}

/* SGD, momentum 0.9, constant g = 1, lr = 0.1, worked by hand:
 * buf = 1, 1.9, 2.71  =>  steps 0.1, 0.19, 0.271: p3 = p0 - 0.561.
 * Nesterov: d = g + 0.9 buf = 1.9, 2.71, 3.439 => p3 = p0 - 0.8049. */
Test(closed_form, sgd_momentum_three_steps)
{
    const float g[3] = {1, 1, 1};
    float p = 2.0f;
    step_all("sgd", (const char *[]){"lr=0.1", "momentum=0.9"}, 2, 3, 1, &p, g);
    cr_assert(ieee_ulp_eq(flt, p, 2.0f - 0.561f, 4), "sgd momentum: %.9g, expected %.9g", p, 2.0 - 0.561);
    float q = 2.0f;
    step_all("sgd", (const char *[]){"lr=0.1", "momentum=0.9", "nesterov=true"}, 3, 3, 1, &q, g);
    cr_assert(ieee_ulp_eq(flt, q, 2.0f - 0.8049f, 4), "sgd nesterov: %.9g, expected %.9g", q, 2.0 - 0.8049);
}

/* Adam under a constant gradient: bias correction makes m^ = g, v^ = g^2
 * at every step, so each step is -lr*g/(|g| + eps).  Three steps: */
Test(closed_form, adam_constant_gradient_three_steps)
{
    const float g[3] = {0.5f, 0.5f, 0.5f};
    float p = 1.0f;
    step_all("adam", (const char *[]){"lr=0.1", "eps=1e-8"}, 2, 3, 1, &p, g);
    double want = 1.0 - 3 * 0.1 * 0.5 / (0.5 + 1e-8);
    cr_assert(ieee_ulp_eq(flt, p, (float)want, 8), "adam constant g: %.9g, expected %.9g", p, want);
}

/* AdamW: decoupled decay shrinks p by (1 - lr*wd) before the Adam step,
 * even with a zero gradient (m = v = 0: the Adam part is 0/(0+eps) = 0). */
Test(closed_form, adamw_decay_with_zero_gradient)
{
    const float g[2] = {0, 0};
    float p = 3.0f;
    step_all("adamw", (const char *[]){"lr=0.1", "weight_decay=0.5"}, 2, 2, 1, &p, g);
    double want = 3.0 * 0.95 * 0.95;
    cr_assert(ieee_ulp_eq(flt, p, (float)want, 4), "adamw decay: %.9g, expected %.9g", p, want);
}

/* AMSGrad keeps the max of v: after a large then a small gradient the
 * denominator still reflects the large one (torch: max of raw v, then
 * bias-corrected).  Step 2 by hand with beta1 = 0, beta2 = 0.5:
 * v1 = 0.5*16 = 8, v2 = 0.5*8 + 0.5*1 = 4.5, vmax = 8, bc2 = 0.75:
 * den = sqrt(8)/sqrt(0.75) + eps;  p2 = p1 - lr * 1 / den. */
Test(closed_form, amsgrad_keeps_max)
{
    const float g[2] = {4, 1};
    float p = 0.0f;
    step_all("amsgrad", (const char *[]){"lr=1", "beta1=0", "beta2=0.5", "eps=0"}, 4, 2, 1, &p, g);
    double p1 = -1.0 * 4 / (sqrt(8.0) / sqrt(0.5));
    double want = p1 - 1.0 / (sqrt(8.0) / sqrt(0.75));
    cr_assert(ieee_ulp_eq(flt, p, (float)want, 8), "amsgrad: %.9g, expected %.9g", p, want);
}

/* The per-step scalars are computed in double and shared: every ISA's
 * kernel receives the identical struct (so bias corrections can never
 * differ between variants). */
Test(closed_form, adam_bias_correction_scalars)
{
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    ob_step_scalars s;
    o->prepare(&h, 10, &s);
    cr_assert(ieee_ulp_eq(flt, s.step_size, (float)(1e-3 / (1 - pow(0.9, 10))), 0));
    cr_assert(ieee_ulp_eq(flt, s.inv_sqrt_bc2, (float)(1 / sqrt(1 - pow(0.999, 10))), 0));
}

/* Centered RMSprop: where the variance sq - ga^2 is within its own rounding
 * error of zero and eps cannot carry the denominator, the reference says
 * the quotient is not determined by fp32 arithmetic (S = inf); a variance
 * well above its error keeps a finite scale. */
Test(contract, centered_rmsprop_lost_variance_has_infinite_scale)
{
    const ob_optimizer *o = ob_optimizer_find("rmsprop");
    ob_hparams h;
    ob_hparams_default(o, &h);
    h.centered = 1;
    h.eps = 0x1p-60;
    h.momentum = 0.5;
    /* Element 0: sq = ga^2 exactly with g = ga: the new variance is 0 up
     * to rounding.  Element 1: a large variance. */
    double p[2] = {1, 1}, g[2] = {0.5, 3}, sq[2] = {0.25, 1}, buf[2] = {0, 0}, ga[2] = {0.5, 0};
    double sp[2], ssq[2], sbuf[2], sga[2];
    double *state[3] = {sq, buf, ga};
    double *scale[4] = {sp, ssq, sbuf, sga};
    o->reference(&h, 1, 2, p, g, state, scale);
    cr_assert(isinf(sp[0]) && isinf(sbuf[0]), "lost variance: S_p = %g, S_buf = %g, expected inf", sp[0],
              sbuf[0]);
    cr_assert(isfinite(sp[1]) && isfinite(sbuf[1]), "large variance: S_p = %g, S_buf = %g, expected finite",
              sp[1], sbuf[1]);
    /* The same lost variance with an eps that carries the denominator is
     * inside the contract. */
    h.eps = 0.1;
    double p2[1] = {1}, g2[1] = {0.5}, sq2[1] = {0.25}, buf2[1] = {0}, ga2[1] = {0.5};
    double *state2[3] = {sq2, buf2, ga2};
    o->reference(&h, 1, 1, p2, g2, state2, scale);
    cr_assert(isfinite(sp[0]), "eps = 0.1 carries the denominator: S_p = %g, expected finite", sp[0]);
}
