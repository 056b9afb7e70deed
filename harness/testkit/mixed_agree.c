/*
 * mixed_agree.c — single-step agreement of a mixed-precision step with the
 * double reference (ob_testkit.h, README "Mixed precision").
 *
 * The reference runs in double on the inputs exactly as the kernel sees
 * them (bf16 and fp16 values widened, fp16 gradients unscaled, which is
 * exact).  An output kept in fp32 must meet the optimizer's fp32 bound
 * B·u·S; one stored in bf16 adds the final rounding: half a bf16 ulp of the
 * stored value for round-to-nearest, one ulp for stochastic rounding.
 *
 * 8-bit state (q8, ob_mixed.h) is judged code by code (ob_q8_agree_array):
 * the reference dequantizes the stored state exactly, updates it in double
 * and quantizes the result with the same codebook in exact arithmetic (its
 * own absmax a_r, y = x / a_r, the nearest code, exact midpoints).  The
 * kernel's absmax must lie within B·u·max S of a_r (the block's fp32
 * error); a kernel code must equal the reference's, or be its neighbour
 * when y lies within d of the midpoint between the two, where
 *     d = (B·u·S_i + |y|·B·u·max S) / a_r + 2^-22
 * covers the element's fp32 error, the absmax error, the fp32 rounding of
 * 1/a and of x·(1/a) (2^-24 each, |y| <= 1) and of the stored midpoint
 * (2^-25), with margin.  Two codes apart never passes.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/testkit/ob_testkit.h"

/* Unit in the last place of a bf16 value (8 significant bits): 2^(e-7)
 * in its binade, 2^-133 below the normal range. */
static double bf16_ulp(double x)
{
    int e;
    if (fabs(x) < 0x1p-126 || !isfinite(x)) return 0x1p-133;
    frexp(fabs(x), &e); /* x = f * 2^e, f in [0.5, 1) */
    return ldexp(1.0, e - 8);
}

/* Worst |x - r| / (B u S + k ulp(x)) of one output array. */
static double worst_fraction(const double *x, const double *r, const double *S, size_t n, double B, double k,
                             size_t *at)
{
    double worst = 0;
    *at = 0;
    for (size_t i = 0; i < n; i++) {
        double e;
        if (!(S[i] <= FLT_MAX)) e = 0; /* outside the contract (ob_testkit.h, reference/ref_scale.h) */
        else if (isnan(r[i]) || isnan(x[i])) e = isnan(r[i]) && isnan(x[i]) ? 0 : INFINITY;
        else if (isinf(r[i]) || isinf(x[i])) e = x[i] == r[i] ? 0 : INFINITY;
        else {
            const double bound = B * 0x1p-24 * S[i] + k * (k > 0 ? bf16_ulp(x[i]) : 0);
            e = bound > 0 ? fabs(x[i] - r[i]) / bound : (x[i] == r[i] ? 0 : INFINITY);
        }
        if (e > worst) {
            worst = e;
            *at = i;
        }
    }
    return worst;
}

/* A q8 array's values (exact: Q[c] * a in fp32). */
static void q8_widen(const ob_format *f, int u, const void *a, size_t n, double *out)
{
    const float *q = ob_q8_codebook(u);
    for (size_t i = 0; i < n; i++)
        out[i] = q[((const uint8_t *)a)[i]] * ob_q8_absmax_get(a, n, i / f->block);
}

double ob_q8_agree_array(const ob_format *f, int u, size_t n, const void *stored, const double *r,
                         const double *S, double B, size_t *at)
{
    const float *q = ob_q8_codebook(u);
    const size_t bs = f->block;
    double worst = 0;
    *at = 0;
    for (size_t lo = 0; lo < n; lo += bs) {
        const size_t m = n - lo < bs ? n - lo : bs;
        double ar = 0, smax = 0;
        int bad = 0, outside = 0;
        for (size_t i = lo; i < lo + m; i++) {
            bad |= !isfinite(r[i]);
            outside |= !(S[i] <= FLT_MAX);
            ar = fabs(r[i]) > ar ? fabs(r[i]) : ar;
            smax = S[i] > smax ? S[i] : smax;
        }
        if (outside) continue; /* outside the contract, as for fp32 outputs */
        const float ak = ob_q8_absmax_get(stored, n, lo / bs);
        const double ba = B * 0x1p-24 * smax;
        double e;
        if (bad || isnan(ak)) e = bad && isnan(ak) ? 0 : INFINITY;
        else if (ak == 0 && ar < 0x1p-126 + ba) e = 0; /* the flush to zero */
        else e = ba > 0 ? fabs(ak - ar) / ba : (ak == ar ? 0 : INFINITY);
        for (size_t i = lo; i < lo + m && !bad && ak > 0 && ar > 0; i++) {
            const double y = r[i] / ar;
            int cr = 0; /* the nearest code in exact arithmetic, ties low */
            for (int j = 0; j < 255; j++)
                if (y > ((double)q[j] + (double)q[j + 1]) / 2) cr = j + 1;
            const int ck = ((const uint8_t *)stored)[i];
            double ei = 0;
            if (ck != cr) {
                const int lo_c = ck < cr ? ck : cr;
                const double mid = ((double)q[lo_c] + (double)q[lo_c + 1]) / 2;
                const double d = (B * 0x1p-24 * S[i] + fabs(y) * ba) / ar + 0x1p-22;
                ei = abs(ck - cr) == 1 ? fabs(y - mid) / d : INFINITY;
            }
            if (ei > e) {
                e = ei;
                if (e > worst) *at = i;
            }
        }
        if (e > worst) {
            worst = e;
            if (*at < lo) *at = lo;
        }
    }
    return worst;
}

/* A stored array: n elements of type d, with the values widened to double. */
static void widen(ob_dtype d, const void *a, size_t n, double scale, double *out)
{
    for (size_t i = 0; i < n; i++) {
        if (d == OB_DT_F32) out[i] = ((const float *)a)[i];
        else if (d == OB_DT_BF16) out[i] = ob_bf16_to_f32(((const uint16_t *)a)[i]);
        else out[i] = (double)ob_f16_to_f32(((const uint16_t *)a)[i]) * scale;
    }
}

static void store(ob_dtype d, void *a, size_t i, float v)
{
    if (d == OB_DT_F32) ((float *)a)[i] = v;
    else if (d == OB_DT_BF16) ((uint16_t *)a)[i] = ob_f32_to_bf16_rne(v);
    else ((uint16_t *)a)[i] = ob_f32_to_f16_rne(v);
}

double ob_mixed_agree_step(const ob_optimizer *o, const ob_hparams *h, const ob_format *f, ob_isa isa,
                           uint64_t t, float inv_scale, size_t n, void *p, const void *g, void *const *st,
                           int *skipped, char *where, size_t wlen)
{
    const size_t ns = OB_MAX_STATE, m = n ? n : 1;
    double *d = malloc((3 + 2 * ns + 1) * m * sizeof(double));
    if (wlen) where[0] = '\0';
    *skipped = 0;
    if (!d) return -1;
    double *pd = d, *gd = d + m, *out = d + 2 * m, *sd[OB_MAX_STATE], *scale[1 + OB_MAX_STATE];
    for (size_t k = 0; k < ns; k++) sd[k] = d + (3 + k) * m;
    for (size_t k = 0; k < 1 + ns; k++) scale[k] = d + (3 + ns + k) * m;
    const unsigned mask = o->state_mask(h);
    char cfg[256], fmt[128];
    ob_hp_config_name(o, h, cfg, sizeof cfg);
    ob_format_describe(f, fmt, sizeof fmt);
    widen(f->param, p, n, 1, pd);
    widen(f->grad, g, n, inv_scale, gd);
    for (size_t k = 0; k < ns; k++)
        if (k < o->n_state && st[k] && f->state == OB_DT_Q8) q8_widen(f, ob_q8_state_unsigned(o, k), st[k], n, sd[k]);
        else if (k < o->n_state && st[k]) widen(f->state, st[k], n, 1, sd[k]);
        else memset(sd[k], 0, m * sizeof(double));
    o->reference(h, t, n, pd, gd, sd, scale);
    char err[256];
    double worst = 0;
    if (ob_step_mixed(o, isa, h, t, f, inv_scale, n, p, g, st, 1, skipped, err, sizeof err) != 0) {
        snprintf(where, wlen, "%s %s step %llu: %s", cfg, fmt, (unsigned long long)t, err);
        worst = INFINITY;
    } else if (!*skipped) {
        for (size_t k = 0; k <= o->n_state; k++) {
            if (k > 0 && !((mask >> (k - 1)) & 1u)) continue;
            const ob_dtype dt = k ? f->state : f->param;
            const double kulp = dt == OB_DT_F32 ? 0 : k == 0 && f->round == OB_ROUND_SR ? 1.0 : 0.5;
            size_t at = 0;
            double e;
            if (dt == OB_DT_Q8) {
                e = ob_q8_agree_array(f, ob_q8_state_unsigned(o, k - 1), n, st[k - 1], sd[k - 1], scale[k], o->agree_bound,
                                      &at);
                q8_widen(f, ob_q8_state_unsigned(o, k - 1), st[k - 1], n, out);
            } else {
                widen(dt, k ? st[k - 1] : p, n, 1, out);
                e = worst_fraction(out, k ? sd[k - 1] : pd, scale[k], n, o->agree_bound, kulp, &at);
            }
            if (e > worst || (isnan(e) && !isnan(worst))) {
                worst = e;
                snprintf(where, wlen, "%s %s step %llu: %s[%zu] = %.9g vs reference %.17g (S = %.6g)", cfg,
                         fmt, (unsigned long long)t, k ? o->state_names[k - 1] : "p", at, out[at],
                         k ? sd[k - 1][at] : pd[at], scale[k][at]);
            }
        }
    }
    free(d);
    return worst;
}

/* Quantizes the fp32 values each q8 state array holds (in place: the
 * values are read block by block before the codes overwrite them). */
static void q8_store_all(const ob_optimizer *o, const ob_format *f, size_t n, void *const *st)
{
    float x[OB_Q8_BLOCK_MAX];
    for (size_t k = 0; k < OB_MAX_STATE; k++) {
        float *v = malloc((n ? n : 1) * sizeof(float));
        if (!v) continue;
        memcpy(v, st[k], n * sizeof(float));
        for (size_t lo = 0; lo < n; lo += f->block) {
            const size_t m = n - lo < f->block ? n - lo : f->block;
            memcpy(x, v + lo, m * sizeof(float));
            ob_q8_absmax_set(st[k], n, lo / f->block,
                             ob_q8_quantize_block(m, x, (uint8_t *)st[k] + lo, ob_q8_state_unsigned(o, k)));
        }
        free(v);
    }
}

double ob_mixed_agree_measure(const ob_optimizer *o, const ob_hparams *h, const ob_format *f, ob_isa isa,
                              uint64_t seed, size_t n, uint64_t steps, char *where, size_t wlen)
{
    const size_t ns = OB_MAX_STATE, m = n ? n : 1;
    /* fp16 gradients carry a loss scale of 2^8. */
    const float inv_scale = f->grad == OB_DT_F16 ? 0x1p-8f : 1.0f;
    void *p = calloc(m, 4), *g = calloc(m, 4), *st[OB_MAX_STATE];
    int ok = p && g;
    for (size_t k = 0; k < ns; k++) ok &= (st[k] = calloc(m, 4)) != NULL;
    double worst = ok ? 0 : -1;
    if (!ok) goto done;
    ob_rng rng;
    ob_rng_init(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        store(f->param, p, i, ob_rng_normal_float(&rng, 0));
        for (size_t k = 0; k < ns; k++)
            if (f->state == OB_DT_Q8) ((float *)st[k])[i] = ob_rng_normal_float(&rng, ob_state_nonneg(o, k));
            else store(f->state, st[k], i, ob_rng_normal_float(&rng, ob_state_nonneg(o, k)));
    }
    if (f->state == OB_DT_Q8) q8_store_all(o, f, n, st);
    if (wlen) where[0] = '\0';
    for (uint64_t t = 1; t <= steps; t++) {
        for (size_t i = 0; i < n; i++) {
            /* fp16: |g| * 2^8 within [2^-24, 60000], zeros and fp16
             * subnormals included; otherwise the usual spread. */
            float v = f->grad == OB_DT_F16 ? (float)ob_rng_logmag(&rng, 1e-8, 60000, 0) * 0x1p-8f
                                           : ob_rng_normal_float(&rng, 0);
            store(f->grad, g, i, f->grad == OB_DT_F16 ? v / inv_scale : v);
        }
        char w[512];
        int skipped = 0;
        const double e = ob_mixed_agree_step(o, h, f, isa, t, inv_scale, n, p, g, st, &skipped, w, sizeof w);
        if (e < 0) {
            worst = -1;
            break;
        }
        if (skipped) {
            snprintf(where, wlen, "step %llu skipped: %s", (unsigned long long)t, w);
            worst = INFINITY;
            break;
        }
        if (e > worst || (isnan(e) && !isnan(worst))) {
            worst = e;
            snprintf(where, wlen, "%s", w);
        }
        if (!(e < INFINITY)) break;
    }
done:
    free(p);
    free(g);
    for (size_t k = 0; k < ns; k++) free(st[k]);
    return worst;
}
