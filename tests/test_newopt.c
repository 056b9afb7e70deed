/*
 * test_newopt.c — closed forms for NAdam, RAdam, Adamax and Lion, worked
 * by hand from torch's documented algorithms and Chen et al. 2023, Alg. 2,
 * on every instruction set the CPU runs (the table-driven suites check
 * bit-identity and reference agreement; these check the formulas).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/optimizers.h"
#include "optbench/reference.h"
#include "common/ob_test.h"

/* Runs `steps` steps of optimizer `name` (hyperparameters "key=value") on
 * n elements, from zero state (or `st0`, n per state array, when given),
 * with gradient row t-1 of g at step t, on ISA isa.  p is updated in
 * place; the final state is copied to `st_out` when given. */
static void run(const char *name, ob_isa isa, const char *const *sets, size_t nsets, uint64_t steps, size_t n,
                float *p, const float *g, const float *st0, float *st_out)
{
    const ob_optimizer *o = ob_optimizer_find(name);
    cr_assert(o != NULL, "no optimizer %s", name);
    ob_hparams h;
    ob_hparams_default(o, &h);
    char err[256];
    for (size_t i = 0; i < nsets; i++)
        cr_assert_eq(ob_hparam_set(o, &h, sets[i], err, sizeof err), 0, "%s", err);
    float *st[OB_MAX_STATE] = {0};
    for (size_t k = 0; k < o->n_state; k++) {
        st[k] = calloc(n, sizeof(float));
        if (st0) memcpy(st[k], st0 + k * n, n * sizeof(float));
    }
    for (uint64_t t = 1; t <= steps; t++)
        cr_assert_eq(ob_step(o, isa, &h, t, n, p, g + (t - 1) * n, st, err, sizeof err), 0, "%s", err);
    for (size_t k = 0; k < o->n_state; k++) {
        if (st_out) memcpy(st_out + k * n, st[k], n * sizeof(float));
        free(st[k]);
    }
}

#define FOR_EACH_ISA(isa) \
    for (ob_isa isa = OB_ISA_SCALAR; isa < OB_ISA_COUNT; isa = (ob_isa)(isa + 1)) \
        if (ob_isa_supported(isa))

#define ULP_CLOSE(got, want, ulps, ...) cr_assert(ieee_ulp_eq(flt, (got), (float)(want), ulps), __VA_ARGS__)

/* ---- Lion (Chen et al. 2023, Alg. 2) ----------------------------------- */

/* From m = 0, c = (1 - beta1) g, so the first step is -lr sign(g), after
 * the decoupled decay p (1 - lr wd); sign(+-0) = 0 leaves p (even -0)
 * unchanged, a NaN gradient makes p NaN, and m = (1 - beta2) g. */
Test(lion, first_step_is_minus_lr_sign_g)
{
    const float g[7] = {3.0f, -0.5f, 0.0f, -0.0f, 1e-30f, -7e3f, NAN};
    const float p0[7] = {1.0f, 1.0f, -0.0f, 2.0f, -2.0f, 0.0f, 1.0f};
    FOR_EACH_ISA(isa)
    {
        for (int decay = 0; decay < 2; decay++) {
            float p[7], m[7];
            memcpy(p, p0, sizeof p);
            run("lion", isa, (const char *[]){"lr=0.01", decay ? "weight_decay=0.5" : "weight_decay=0"}, 2, 1,
                7, p, g, NULL, m);
            for (int i = 0; i < 6; i++) {
                float sg = g[i] > 0 ? 1.0f : g[i] < 0 ? -1.0f : 0.0f;
                float want = (decay ? p0[i] * (float)(1 - 0.01 * 0.5) : p0[i]) - 0.01f * sg;
                ULP_CLOSE(p[i], want, 1, "%s lion p[%d] = %a, expected %a", ob_isa_name(isa), i, (double)p[i],
                          (double)want);
                ULP_CLOSE(m[i], 0.01 * g[i], 1, "%s lion m[%d] = %a", ob_isa_name(isa), i, (double)m[i]);
            }
            cr_assert(signbit(p[2]) && p[2] == 0, "%s: sign(0) must leave p = -0 unchanged",
                      ob_isa_name(isa));
            cr_assert(isnan(p[6]) && isnan(m[6]), "%s: sign(NaN) must propagate NaN", ob_isa_name(isa));
        }
    }
}

/* The sign is taken of the interpolation beta1 m + (1 - beta1) g, not of
 * g: with m = 0.5, g = -1, beta1 = 0.9, c = 0.45 - 0.1 > 0, so p moves
 * against the gradient by lr; m then becomes 0.99*0.5 - 0.01. */
Test(lion, sign_of_interpolated_momentum)
{
    const float g[1] = {-1.0f}, m0[1] = {0.5f};
    FOR_EACH_ISA(isa)
    {
        float p = 0.25f, m;
        run("lion", isa, (const char *[]){"lr=0.125"}, 1, 1, 1, &p, g, m0, &m);
        cr_assert_eq(p, 0.125f, "%s: p = %a", ob_isa_name(isa), (double)p);
        ULP_CLOSE(m, 0.99 * 0.5 - 0.01, 2, "%s: m = %a", ob_isa_name(isa), (double)m);
    }
}

/* ---- Adamax (torch.optim.Adamax) --------------------------------------- */

/* From zero state: m = (1 - beta1) g, u = |g| + eps (eps inside the max),
 * and lr / (1 - beta1) cancels (1 - beta1): p1 = p0 - lr g / (|g| + eps).
 * Step 2 with a smaller gradient keeps u = beta2 u1. */
Test(adamax, first_two_steps)
{
    const float g[2 * 3] = {2.0f, -1e-3f, 5e4f, 0.5f, 1e-4f, -1.0f};
    FOR_EACH_ISA(isa)
    {
        float p[3] = {0.5f, 0.5f, 0.5f};
        run("adamax", isa, (const char *[]){"lr=0.1", "eps=1e-3"}, 2, 1, 3, p, g, NULL, NULL);
        for (int i = 0; i < 3; i++)
            ULP_CLOSE(p[i], 0.5 - 0.1 * g[i] / (fabs(g[i]) + 1e-3), 4, "%s adamax step 1 p[%d] = %.9g",
                      ob_isa_name(isa), i, (double)p[i]);
        float q[3] = {0.5f, 0.5f, 0.5f};
        run("adamax", isa, (const char *[]){"lr=0.1", "eps=1e-3"}, 2, 2, 3, q, g, NULL, NULL);
        for (int i = 0; i < 3; i++) {
            double g1 = g[i], g2 = g[3 + i], b1 = 0.9, b2 = 0.999;
            double p1 = 0.5 - 0.1 * g1 / (fabs(g1) + 1e-3);
            double m2 = b1 * (1 - b1) * g1 + (1 - b1) * g2;
            double u2 = fmax(b2 * (fabs(g1) + 1e-3), fabs(g2) + 1e-3);
            double want = p1 - 0.1 / (1 - b1 * b1) * m2 / u2;
            ULP_CLOSE(q[i], want, 8, "%s adamax step 2 p[%d] = %.9g, expected %.9g", ob_isa_name(isa), i,
                      (double)q[i], want);
        }
    }
}

/* ---- RAdam (torch.optim.RAdam) ----------------------------------------- */

/* rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t): with beta2 = 0.999,
 * rho_1..6 = 1, 1.9995, 2.9987, 3.9975, 4.9960, 5.9942; with beta2 = 0.9,
 * rho_5 = 4.5806, rho_6 = 5.3896.  Rectification starts at t = 6 in both. */
Test(radam, rectification_starts_when_rho_exceeds_5)
{
    const ob_optimizer *o = ob_optimizer_find("radam");
    for (int k = 0; k < 2; k++) {
        ob_hparams h;
        ob_hparams_default(o, &h);
        h.beta2 = k ? 0.9 : 0.999;
        for (uint64_t t = 1; t <= 8; t++) {
            ob_step_scalars s;
            o->prepare(&h, t, &s);
            cr_assert_eq(s.rectified, t >= 6, "beta2 = %g, t = %llu: rectified = %d", h.beta2,
                         (unsigned long long)t, s.rectified);
        }
    }
    cr_assert(ieee_ulp_eq(dbl, ob_ref_radam_rho(0.999, 6), 5.994163751655833, 64));
    cr_assert(ieee_ulp_eq(dbl, ob_ref_radam_rect(0.999, 6), 0.02582111280185855, 64));
}

/* Under a constant gradient m/bc1 = g exactly, so the un-rectified steps
 * t = 1..5 are plain SGD steps p -= lr g.  Step 6 is rectified:
 * p -= lr g r_6 sqrt(bc2) / (sqrt(v) + eps), v = bc2 g^2, r_6 = 0.0258211...
 * A large eps shows where it goes: added to sqrt(v) = sqrt(bc2) |g|, before
 * the bias correction (Adam's placement would give r_6 / (|g| + eps)). */
Test(radam, unrectified_steps_are_sgd_then_rectified)
{
    enum { T = 6 };
    float g[T];
    for (int t = 0; t < T; t++) g[t] = 0.5f;
    FOR_EACH_ISA(isa)
    {
        for (int t = 1; t <= T; t++) {
            float p = 1.0f;
            run("radam", isa, (const char *[]){"lr=0.01", "eps=0.25"}, 2, (uint64_t)t, 1, &p, g, NULL, NULL);
            double want = 1.0 - 0.01 * 0.5 * (t < 6 ? t : 5);
            if (t == 6) {
                double bc2 = 1 - pow(0.999, 6), r6 = 0.02582111280185855;
                want -= 0.01 * 0.5 * r6 * sqrt(bc2) / (sqrt(bc2) * 0.5 + 0.25);
                double adam_eps = 1.0 - 0.01 * 0.5 * 5 - 0.01 * 0.5 * r6 / (0.5 + 0.25);
                cr_assert(fabs(p - adam_eps) > 1e-4, "eps placed as in Adam");
            }
            ULP_CLOSE(p, want, 8, "%s radam after %d steps: %.9g, expected %.9g", ob_isa_name(isa), t,
                      (double)p, want);
        }
    }
}

/* ---- NAdam (torch.optim.NAdam, torch 2.x) ------------------------------ */

/* Step 1 by hand: mu_1 = 0.9 (1 - 0.5 * 0.96^0.004), mu_2 likewise with
 * 0.008, P_1 = mu_1; m = 0.1 g, v = 0.001 g^2, den = sqrt(v / 0.001) + eps
 * = |g| + eps;
 *   p1 = p0 - lr (1 - mu_1)/(1 - mu_1) g/den - lr mu_2/(1 - mu_1 mu_2) 0.1 g/den.
 * With lr = 0.01, eps = 1e-8, p0 = 1: g = 0.5 gives 0.9894354824277365,
 * g = -2 gives 1.0105645177307312 (mu_1 = 0.45007347359129607,
 * mu_2 = 0.4501469351862175). */
Test(nadam, first_step_by_hand)
{
    const float g[2] = {0.5f, -2.0f};
    const double want[2] = {0.9894354824277365, 1.0105645177307312};
    cr_assert(ieee_ulp_eq(dbl, ob_ref_nadam_mu(0.9, 0.004, 1), 0.45007347359129607, 8));
    cr_assert(ieee_ulp_eq(dbl, ob_ref_nadam_mu(0.9, 0.004, 2), 0.4501469351862175, 8));
    FOR_EACH_ISA(isa)
    {
        float p[2] = {1.0f, 1.0f};
        run("nadam", isa, (const char *[]){"lr=0.01"}, 1, 1, 2, p, g, NULL, NULL);
        for (int i = 0; i < 2; i++)
            ULP_CLOSE(p[i], want[i], 4, "%s nadam p[%d] = %.9g, expected %.17g", ob_isa_name(isa), i,
                      (double)p[i], want[i]);
    }
}

/* The momentum coefficient at step t uses P_{t+1} = P_t mu_{t+1} (torch
 * 2.x); torch 1.13's single-tensor path used P_t mu_t mu_{t+1}.  At t = 2:
 * lr mu_3 / (1 - mu_1 mu_2 mu_3), and lr (1 - mu_2)/(1 - mu_1 mu_2). */
Test(nadam, step_sizes_use_torch2_products)
{
    const ob_optimizer *o = ob_optimizer_find("nadam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    ob_step_scalars s;
    o->prepare(&h, 2, &s);
    const double m1 = ob_ref_nadam_mu(0.9, 0.004, 1), m2 = ob_ref_nadam_mu(0.9, 0.004, 2);
    const double m3 = ob_ref_nadam_mu(0.9, 0.004, 3);
    cr_assert_eq(s.step_size, (float)(2e-3 * m3 / (1 - m1 * m2 * m3)));
    cr_assert_eq(s.grad_step, (float)(2e-3 * (1 - m2) / (1 - m1 * m2)));
    cr_assert_neq(s.step_size, (float)(2e-3 * m3 / (1 - m1 * m2 * m2 * m3)), "torch 1.13's product");
}

/* prepare is a pure function of (hparams, t): P_t equals the plain product
 * over i = 1..t whatever was asked before (the memo only resumes it), and
 * momentum_decay = 0 makes every mu_t = beta1/2. */
Test(nadam, mu_product_is_a_pure_function_of_t)
{
    const uint64_t ts[] = {1000, 3, 3, 700, 1000, 1, 20000, 5};
    for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
        double prod = 1;
        for (uint64_t i = 1; i <= ts[k]; i++) prod *= ob_ref_nadam_mu(0.95, 0.004, i);
        double got = ob_ref_nadam_mu_product(0.95, 0.004, ts[k]);
        cr_assert(memcmp(&got, &prod, sizeof got) == 0, "P_%llu = %a, plain product %a",
                  (unsigned long long)ts[k], got, prod);
    }
    cr_assert_eq(ob_ref_nadam_mu_product(0.9, 0.0, 3), 0.45 * 0.45 * 0.45);
    cr_assert_eq(ob_ref_nadam_mu(0.9, 0.0, 12345), 0.45);
}

/* ---- validation of the new keys ---------------------------------------- */

Test(validation_new, decoupled_decay_factor_must_stay_positive)
{
    static const char *const names[] = {"nadam", "radam", "lion"};
    for (size_t k = 0; k < 3; k++) {
        const ob_optimizer *o = ob_optimizer_find(names[k]);
        ob_hparams h;
        char err[256];
        ob_hparams_default(o, &h);
        h.lr = 2;
        h.weight_decay = 1;
        h.decoupled_wd = 1; /* Lion's decay is always decoupled */
        cr_assert_eq(ob_validate(o, &h, err, sizeof err), -1, "%s accepted lr*wd = 2", names[k]);
        cr_assert(strstr(err, "weight_decay") != NULL, "%s", err);
        h.decoupled_wd = 0;
        if (k < 2) cr_assert_eq(ob_validate(o, &h, err, sizeof err), 0, "%s L2: %s", names[k], err);
    }
    const ob_optimizer *o = ob_optimizer_find("nadam");
    ob_hparams h;
    char err[256];
    ob_hparams_default(o, &h);
    cr_assert_eq(ob_hparam_set(o, &h, "decoupled_weight_decay=true", err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.decoupled_wd, 1);
    cr_assert_eq(ob_hparam_set(o, &h, "momentum_decay=-1", err, sizeof err), -1);
    cr_assert(strstr(err, "momentum_decay") && strstr(err, "valid"), "%s", err);
}

/* Fixed properties are fields of the entry: a copy of AdamW under another
 * name still decays decoupled, a copy of AMSGrad still keeps the maximum
 * (they once hung on the entry's address, and a copy ran as plain Adam). */
Test(validation_new, fixed_properties_travel_with_a_copied_entry)
{
    ob_optimizer w = *ob_optimizer_find("adamw"), a = *ob_optimizer_find("amsgrad");
    w.name = "adamw_copy";
    a.name = "amsgrad_copy";
    ob_hparams h;
    ob_hparams_default(&w, &h);
    cr_assert_eq(h.decoupled_wd, 1);
    cr_assert_eq(h.amsgrad, 0);
    ob_hparams_default(&a, &h);
    cr_assert_eq(h.amsgrad, 1);
    cr_assert_eq(h.decoupled_wd, 0);
    ob_hparams_default(ob_optimizer_find("adam"), &h);
    cr_assert(h.decoupled_wd == 0 && h.amsgrad == 0);
}
