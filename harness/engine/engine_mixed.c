/*
 * engine_mixed.c — the trajectory engine's kernel paths in a storage
 * format (ob_engine_cfg.format, kernels/framework/ob_mixed.h): p, g and
 * the state kept in the format's element types, stepped with
 * ob_step_mixed, with torch.cuda.amp.GradScaler's dynamic loss scale for
 * fp16 gradients (Micikevicius et al., "Mixed Precision Training", ICLR
 * 2018, §3.2).  8-bit state (q8) arrays hold their codes and per-block
 * absmax values (ob_mixed_state_array_bytes), compared byte for byte.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "harness/testkit/ob_testkit.h"
#include "harness/core/ob_core.h"

int eng_mixed_alloc(const ob_engine_cfg *c, size_t n, epath *p)
{
    const ob_format *f = c->format;
    size_t m = n ? n : 1;
    int ok = (p->mp = calloc(m, ob_dtype_size(f->param))) && (p->mg = calloc(m, ob_dtype_size(f->grad)));
    /* Every state array, used with these hyperparameters or not, as the
     * mixed step may be handed all of them. */
    for (size_t k = 0; k < c->opt->n_state && ok; k++)
        ok = (p->mst[k] = calloc(ob_mixed_state_array_bytes(f, m), 1)) != NULL;
    return ok ? 0 : -1;
}

void eng_mixed_free(epath *p)
{
    free(p->mp);
    free(p->mg);
    for (int k = 0; k < OB_MAX_STATE; k++) free(p->mst[k]);
    p->mp = p->mg = NULL;
    memset(p->mst, 0, sizeof p->mst);
}

/* The stored parameters as fp32 (bf16 widens exactly). */
static void load_x(const ob_format *f, epath *p, size_t n)
{
    if (f->param == OB_DT_BF16)
        for (size_t i = 0; i < n; i++) p->x[i] = ob_bf16_to_f32(((const uint16_t *)p->mp)[i]);
    else memcpy(p->x, p->mp, n * sizeof(float));
}

void eng_mixed_start(eng *e, epath *p)
{
    const ob_format *f = e->c->format;
    for (size_t i = 0; i < e->n; i++) {
        const float v = (float)e->obj->x0[i];
        if (f->param == OB_DT_BF16) ((uint16_t *)p->mp)[i] = ob_f32_to_bf16_rne(v);
        else ((float *)p->mp)[i] = v;
    }
    load_x(f, p, e->n);
    p->loss_scale = f->grad == OB_DT_F16 ? OB_ENGINE_LOSS_SCALE_INIT : 1.0;
    p->scale_used = p->loss_scale;
}

void eng_mixed_row(const eng *e, ob_engine_row *row)
{
    if (e->lead < 0) return;
    row->loss_scale = e->p[e->lead].scale_used;
    row->skipped = (double)e->r->p[OB_ENGINE_PATH_ISA(e->lead)].skipped_steps;
}

/* The gradient g (double) in the format's gradient type: fp16 gradients
 * are the loss scale times g, rounded to fp32 and then to fp16 (an
 * overflow gives Inf, which the step detects and skips). */
static void store_grad(const ob_format *f, epath *p, const double *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (f->grad == OB_DT_F16) ((uint16_t *)p->mg)[i] = ob_f32_to_f16_rne((float)(g[i] * p->loss_scale));
        else if (f->grad == OB_DT_BF16) ((uint16_t *)p->mg)[i] = ob_f32_to_bf16_rne((float)g[i]);
        else ((float *)p->mg)[i] = (float)g[i];
    }
}

/* GradScaler's update after a step, skipped or not. */
static void update_scale(epath *p, int skipped)
{
    if (skipped) {
        p->good = 0;
        if (p->loss_scale * 0.5 >= OB_ENGINE_LOSS_SCALE_MIN) p->loss_scale *= 0.5;
    } else if (++p->good >= OB_ENGINE_LOSS_SCALE_INTERVAL) {
        p->good = 0;
        if (p->loss_scale * 2 <= OB_ENGINE_LOSS_SCALE_MAX) p->loss_scale *= 2;
    }
}

/* Path i against the lead, as same_as_lead does for fp32 paths: the
 * stored p, every state array and the loss scale. */
static void compare_with_lead(eng *e, int i, uint64_t t)
{
    const ob_format *f = e->c->format;
    const ob_optimizer *o = e->c->opt;
    const epath *a = &e->p[e->lead], *b = &e->p[i];
    ob_engine_path_result *r = &e->r->p[OB_ENGINE_PATH_ISA(i)];
    if (!r->identical) return;
    if (eng_first_diff(a->mp, b->mp, e->n, ob_dtype_size(f->param), t, "p", r)) return;
    for (size_t k = 0; k < o->n_state; k++)
        if (f->state == OB_DT_Q8 ? eng_first_diff(a->mst[k], b->mst[k], ob_mixed_state_array_bytes(f, e->n), 1, t,
                                                  o->state_names[k], r)
                                 : eng_first_diff(a->mst[k], b->mst[k], e->n, ob_dtype_size(f->state), t,
                                                  o->state_names[k], r))
            return;
    if (a->loss_scale != b->loss_scale) {
        r->identical = 0;
        r->first_diff_step = t;
        snprintf(r->first_diff_array, sizeof r->first_diff_array, "loss_scale");
    }
}

/* ---- test hook: a mistaken 8-bit quantizer (ob_engine.h, test section) ----
 *
 * The q8 mistakes of the reproductions' power tests (README
 * "Reproductions", dettmers): the step is emulated as the q8 step is
 * defined (ob_mixed.h "8-bit block-wise state": dequantize, the fp32
 * kernel, quantize) with the state held in fp32 for the kernel, and the
 * quantizer replaced by the mistaken one.  The codes and absmax values
 * keep the q8 array's layout; with one absmax per tensor the whole array
 * is one block (absmax slot 0).  Never reached in production: the mistake
 * is OB_ENGINE_MISTAKE_NONE unless a test sets it. */

static int q8_mistake(const eng *e)
{
    const ob_engine_mistake_kind k = e->mistake.kind;
    return e->c->format->state == OB_DT_Q8 &&
           (k == OB_ENGINE_MISTAKE_Q8_PER_TENSOR || k == OB_ENGINE_MISTAKE_Q8_LINEAR_CODE ||
            k == OB_ENGINE_MISTAKE_Q8_SIGNED_V);
}

/* The linear code: linspace(-1, 1, 256) signed, linspace(0, 1, 256)
 * unsigned (bitsandbytes' create_linear_map), with its midpoints. */
static void linear_code(int u, float *q, float *mid)
{
    for (int j = 0; j < 256; j++) q[j] = u ? (float)(j / 255.0) : (float)(-1.0 + 2.0 * j / 255.0);
    for (int j = 0; j < 255; j++) mid[j] = (float)(((double)q[j] + (double)q[j + 1]) / 2);
    mid[255] = INFINITY;
}

/* The mistaken scheme of state array k: block length, codebook, midpoints. */
static size_t q8_scheme(const eng *e, size_t k, float *qbuf, float *mbuf, const float **q, const float **mid)
{
    const ob_engine_mistake_kind kind = e->mistake.kind;
    const int u = ob_q8_state_unsigned(e->c->opt, k) && kind != OB_ENGINE_MISTAKE_Q8_SIGNED_V;
    if (kind == OB_ENGINE_MISTAKE_Q8_LINEAR_CODE) {
        linear_code(u, qbuf, mbuf);
        *q = qbuf;
        *mid = mbuf;
    } else {
        *q = ob_q8_codebook(u);
        *mid = ob_q8_midpoints(u);
    }
    return kind == OB_ENGINE_MISTAKE_Q8_PER_TENSOR ? e->n : e->c->format->block;
}

static uint8_t code_in(const float *mid, float y)
{
    unsigned idx = 0;
    for (unsigned s = 128; s; s >>= 1) idx += y > mid[idx + s - 1] ? s : 0;
    return (uint8_t)idx;
}

/* One step of path p with the mistaken quantizer; 0, or -1 (bad
 * hyperparameters, out of memory) with a message. */
static int q8_mistake_step(eng *e, int i, epath *p, const ob_hparams *ht, uint64_t topt, float inv, int *skipped,
                           char *err, size_t errlen)
{
    const ob_optimizer *o = e->c->opt;
    const size_t n = e->n, m = n ? n : 1;
    float *st[OB_MAX_STATE] = {0}, qb[256], mb[256];
    const float *q, *mid;
    int rc = -1;
    for (size_t k = 0; k < o->n_state; k++) {
        if (!(st[k] = malloc(m * sizeof(float)))) goto out;
        const size_t B = q8_scheme(e, k, qb, mb, &q, &mid);
        for (size_t j = 0; j < n; j++)
            st[k][j] = q[((const uint8_t *)p->mst[k])[j]] * ob_q8_absmax_get(p->mst[k], n, j / B);
    }
    ob_format f32s = *e->c->format;
    f32s.state = OB_DT_F32;
    f32s.block = 0;
    void *sv[OB_MAX_STATE];
    for (size_t k = 0; k < OB_MAX_STATE; k++) sv[k] = st[k];
    if (ob_step_mixed(o, (ob_isa)i, ht, topt, &f32s, inv, n, p->mp, p->mg, sv, e->c->threads, skipped, err,
                      errlen) != 0)
        goto out;
    for (size_t k = 0; k < o->n_state; k++) {
        const size_t B = q8_scheme(e, k, qb, mb, &q, &mid);
        uint8_t *code = p->mst[k];
        for (size_t lo = 0; lo < n; lo += B) {
            const size_t len = n - lo < B ? n - lo : B;
            const float a = ob_q8_quantize_block(len, st[k] + lo, code + lo, 0); /* the absmax rule */
            const float r = 1.0f / a;
            for (size_t j = lo; j < lo + len; j++) code[j] = a > 0 ? code_in(mid, st[k][j] * r) : code_in(mid, 0);
            ob_q8_absmax_set(p->mst[k], n, lo / B, a);
        }
    }
    rc = 0;
out:
    for (size_t k = 0; k < OB_MAX_STATE; k++) free(st[k]);
    if (rc && !err[0]) snprintf(err, errlen, "out of memory (q8 test hook, n = %zu)", n);
    return rc;
}

int eng_mixed_step(eng *e, int i, int glead, const ob_hparams *ht, uint64_t t, int check, int *status,
                   char *err, size_t errlen)
{
    const ob_engine_cfg *c = e->c;
    const ob_format *f = c->format;
    epath *p = &e->p[i];
    ob_engine_path_result *pr = &e->r->p[OB_ENGINE_PATH_ISA(i)];
    size_t n = e->n;
    double t0 = e->conv ? ob_now_s() : 0;
    /* The gradient in double at the stored parameters, shared with the
     * first path of this step (kept in e->ga, which only fp32 paths use
     * otherwise) while the parameters are bitwise the same. */
    const double *g = e->gd;
    eng_widen(p->x, e->xprev, n);
    if (glead >= 0 && memcmp(p->x, e->lead_x, n * sizeof(float)) == 0) {
        g = e->ga;
        p->f = e->p[glead].f;
        p->gnorm = e->p[glead].gnorm;
    } else {
        p->f = e->obj->eval(e->obj->ctx, e->xprev, e->gd, t);
        if (e->conv) p->gnorm = eng_norm2(e->gd, n);
    }
    if (glead < 0) {
        memcpy(e->lead_x, p->x, n * sizeof(float));
        memcpy(e->ga, e->gd, n * sizeof(double));
    }
    store_grad(f, p, g, n);
    const uint64_t topt = p->t_opt + 1;
    const float inv = (float)(1.0 / p->loss_scale);
    int skipped = 0;
    if (q8_mistake(e)) {
        err[0] = '\0';
        if (q8_mistake_step(e, i, p, ht, topt, inv, &skipped, err, errlen) != 0) {
            *status = OB_ENGINE_EHPARAMS;
            return -1;
        }
    } else if (check) {
        /* The same step, against the double reference from the same
         * storage (ob_mixed_agree_step: in units of the format's bound). */
        char where[512];
        double a = ob_mixed_agree_step(c->opt, ht, f, (ob_isa)i, topt, inv, n, p->mp, p->mg, p->mst, &skipped,
                                       where, sizeof where);
        if (a < 0) {
            snprintf(err, errlen, "out of memory for the agreement check (%s, n = %zu)", f->name, n);
            *status = OB_ENGINE_ENOMEM;
            return -1;
        }
        eng_record_agree(e, i, t, a, 0, "");
        if (pr->max_agree_step == t && memcmp(&pr->max_agree, &a, sizeof a) == 0)
            snprintf(pr->max_agree_where, sizeof pr->max_agree_where, "%s", where);
    } else if (ob_step_mixed(c->opt, (ob_isa)i, ht, topt, f, inv, n, p->mp, p->mg, p->mst, c->threads, &skipped,
                             err, errlen) != 0) {
        *status = OB_ENGINE_EHPARAMS;
        return -1;
    }
    p->scale_used = p->loss_scale;
    if (!skipped) p->t_opt = topt;
    else pr->skipped_steps++;
    if (f->grad == OB_DT_F16) update_scale(p, skipped);
    pr->loss_scale = p->loss_scale;
    load_x(f, p, n);
    if (e->conv) p->clock += ob_now_s() - t0;
    pr->steps++;
    if (i != e->lead) compare_with_lead(e, i, t);
    if (c->obs.step) {
        eng_widen(p->x, e->xview, n);
        ob_engine_step st = {OB_ENGINE_PATH_ISA(i), t, n, e->xprev, p->f, g, e->xview, 0, e->ref ? e->xr : NULL};
        c->obs.step(c->obs.ctx, &st);
    }
    return 0;
}
