/*
 * plugin_agree.c — the plugin suites' agreement walk (plugin_agree.h).
 */
#include "plugin_agree.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/testkit/ob_testkit.h"
#include "optbench/reference.h"

void ob_test_adam_agreement_walk(const ob_plugin_kernel *k, const ob_hparams *h, size_t n, int threads,
                                 unsigned flags, uint64_t seed, uint64_t steps, ob_test_adam_bound_fn bound,
                                 const void *ctx, ob_test_adam_agreement *r)
{
    float *f = calloc(5 * n + 1, sizeof(float)), *p = f, *g = f + n;
    float *st[3] = {f + 2 * n, f + 3 * n, f + 4 * n};
    double *d = calloc(9 * n + 1, sizeof(double)), *pd = d, *gd = d + n;
    double *sd[3] = {d + 2 * n, d + 3 * n, d + 4 * n}, *scale[4] = {d + 5 * n, d + 6 * n, d + 7 * n, d + 8 * n};
    cr_assert(f && d);
    ob_rng rng;
    ob_rng_init(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        p[i] = ob_rng_normal_float(&rng, 0);
        st[0][i] = ob_rng_normal_float(&rng, 0);
        st[1][i] = ob_rng_normal_float(&rng, 1);
    }
    char err[512];
    ob_plugin_case *c = ob_plugin_case_open(k, h, n, threads, flags, err, sizeof err);
    cr_assert(c, "%s", err);
    memset(r, 0, sizeof *r);
    for (uint64_t t = 1; t <= steps; t++) {
        for (size_t i = 0; i < n; i++) {
            g[i] = ob_rng_normal_float(&rng, 0);
            pd[i] = p[i];
            gd[i] = g[i];
            sd[0][i] = st[0][i];
            sd[1][i] = st[1][i];
            sd[2][i] = 0;
        }
        ob_ref_adam_step(h, t, n, pd, gd, sd, scale);
        cr_assert_eq(ob_plugin_case_step(c, h, t, n, p, g, st, err, sizeof err), 0, "%s", err);
        double b[3];
        bound(ctx, h, t, b);
        for (int j = 0; j < 3; j++) {
            size_t at = 0;
            const float *kx = j ? st[j - 1] : p;
            const double *rx = j ? sd[j - 1] : pd;
            const double e = n ? ob_agree_error(kx, rx, scale[j], n, &at) : 0;
            r->worst[j] = fmax(r->worst[j], e);
            if (e / b[j] > r->frac[j]) {
                r->frac[j] = e / b[j];
                snprintf(r->where, sizeof r->where,
                         "n %zu, %d threads, step %llu: %s[%zu] = %.9g vs reference %.17g (S = %.6g): %.3f u*S, "
                         "bound %.3f",
                         n, threads, (unsigned long long)t, j ? k->opt->state_names[j - 1] : "p", at,
                         (double)kx[at], rx[at], scale[j][at], e, b[j]);
            }
        }
    }
    ob_plugin_case_close(c);
    free(f);
    free(d);
}
