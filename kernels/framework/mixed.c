/*
 * mixed.c — mixed-precision formats, their parser, the choice of an
 * ISA's conversions and fused kernels, and the mixed step (ob_mixed.h,
 * README "Mixed precision").
 *
 * Built with the baseline flags: the vector code lives in the ISA
 * directories and is reached only through their tables (ob_cvt_ops and
 * ob_fused_kernel in each kernels/<isa>/table.c; kernels/ob_isa.h), after
 * the CPU check.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/ob_isa.h"
#include "kernels/convert_sw.h"
#include "ob_mixed_internal.h"
#include "ob_reduce.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- formats ------------------------------------------------------------ */

static const char *const dtype_names[] = {"f32", "bf16", "f16", "q8"};

const char *ob_dtype_name(ob_dtype d)
{
    return (unsigned)d < 4 ? dtype_names[d] : "?";
}
size_t ob_dtype_size(ob_dtype d)
{
    return d == OB_DT_F32 ? 4 : d == OB_DT_Q8 ? 1 : 2;
}

#define F32 OB_DT_F32
#define BF16 OB_DT_BF16
#define F16 OB_DT_F16
#define Q8 OB_DT_Q8
const ob_format_preset ob_format_presets[] = {
    {"fp32", F32, F32, F32, OB_ROUND_RNE, "every array fp32 (the plain kernels)", 0},
    {"bf16-state", F32, F32, BF16, OB_ROUND_RNE, "bf16 optimizer state; fp32 parameters and gradients", 0},
    {"bf16-params", BF16, F32, F32, OB_ROUND_RNE,
     "bf16 parameters, no fp32 master copy, rounded to nearest even; fp32 gradients and state", 0},
    {"bf16-params-sr", BF16, F32, F32, OB_ROUND_SR,
     "bf16 parameters, no fp32 master copy, stochastic rounding; fp32 gradients and state", 0},
    {"bf16", BF16, BF16, BF16, OB_ROUND_RNE, "bf16 parameters, gradients and state; round to nearest even", 0},
    {"bf16-sr", BF16, BF16, BF16, OB_ROUND_SR, "bf16 parameters, gradients and state; stochastic rounding", 0},
    {"fp16-grads", F32, F16, F32, OB_ROUND_RNE,
     "fp16 gradients with a loss scale (step skipped on Inf/NaN); fp32 parameters and state", 0},
    {"q8-state", F32, F32, Q8, OB_ROUND_RNE,
     "8-bit block-wise state (Dettmers et al. 2022), blocks of 2048; fp32 parameters and gradients", 2048},
    {"q8-state-b256", F32, F32, Q8, OB_ROUND_RNE,
     "8-bit block-wise state, blocks of 256; fp32 parameters and gradients", 256},
    {"q8-state-bf16-params", BF16, F32, Q8, OB_ROUND_RNE,
     "8-bit block-wise state, blocks of 2048; bf16 parameters (nearest even), fp32 gradients", 2048},
};
const size_t ob_format_preset_count = sizeof ob_format_presets / sizeof ob_format_presets[0];

void ob_format_fp32(ob_format *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "fp32");
}

int ob_format_is_fp32(const ob_format *f)
{
    return f->param == OB_DT_F32 && f->grad == OB_DT_F32 && f->state == OB_DT_F32;
}

void ob_format_describe(const ob_format *f, char *buf, size_t len)
{
    int w = snprintf(buf, len, "param=%s,grad=%s,state=%s", ob_dtype_name(f->param), ob_dtype_name(f->grad),
                     ob_dtype_name(f->state));
    if (f->param == OB_DT_BF16 && w > 0 && (size_t)w < len)
        w += snprintf(buf + w, len - (size_t)w, ",round=%s", f->round == OB_ROUND_SR ? "sr" : "rne");
    if (f->round == OB_ROUND_SR && w > 0 && (size_t)w < len)
        w += snprintf(buf + w, len - (size_t)w, ",seed=%llu", (unsigned long long)f->seed);
    if (f->state == OB_DT_Q8 && w > 0 && (size_t)w < len)
        snprintf(buf + w, len - (size_t)w, ",block=%u", (unsigned)f->block);
}

static int parse_dtype(const char *v, ob_dtype *out)
{
    for (int d = 0; d < 4; d++)
        if (!strcmp(v, dtype_names[d])) {
            *out = (ob_dtype)d;
            return 0;
        }
    return -1;
}

static void preset_names(char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < ob_format_preset_count; i++) {
        size_t w = strlen(buf);
        snprintf(buf + w, len - w, "%s%s", i ? ", " : "", ob_format_presets[i].name);
    }
}

/* One key=value of the explicit form; seen: bit per key already given. */
static int parse_item(const char *spec, const char *item, int after_preset, ob_format *f, unsigned *seen,
                      char *err, size_t errlen)
{
    static const char *const keys[] = {"param", "grad", "state", "round", "seed", "block"};
    const char *eq = strchr(item, '=');
    size_t klen = eq ? (size_t)(eq - item) : strlen(item);
    int k = -1;
    for (int i = 0; i < 6; i++)
        if (strlen(keys[i]) == klen && !strncmp(item, keys[i], klen)) k = i;
    if (!eq || k < 0) {
        char known[256];
        preset_names(known, sizeof known);
        if (!eq)
            snprintf(err, errlen,
                     "format '%s': '%s' is neither a preset (%s; only as the first part) nor key=value", spec,
                     item, known);
        else
            snprintf(err, errlen, "format '%s': unknown key '%.*s' (known: param, grad, state, round, seed, block)",
                     spec, (int)klen, item);
        return -1;
    }
    if (after_preset && k < 4) {
        snprintf(err, errlen,
                 "format '%s': '%s': a preset fixes the storage and rounding (only seed= or block= may follow it)",
                 spec, item);
        return -1;
    }
    if ((*seen >> k) & 1u) {
        snprintf(err, errlen, "format '%s': '%s' is given twice", spec, keys[k]);
        return -1;
    }
    *seen |= 1u << k;
    const char *v = eq + 1;
    ob_dtype d = OB_DT_F32;
    switch (k) {
    case 0:
    case 1:
    case 2:
        if (parse_dtype(v, &d) != 0 || (k != 1 && d == OB_DT_F16) || (k != 2 && d == OB_DT_Q8)) {
            snprintf(err, errlen, "format '%s': '%s': %s are stored as %s", spec, item,
                     k == 0   ? "parameters"
                     : k == 1 ? "gradients"
                              : "optimizer states",
                     k == 0 ? "f32 or bf16" : k == 1 ? "f32, bf16 or f16" : "f32, bf16 or q8");
            return -1;
        }
        if (k == 0) f->param = d;
        else if (k == 1) f->grad = d;
        else f->state = d;
        return 0;
    case 3:
        if (strcmp(v, "rne") && strcmp(v, "sr")) {
            snprintf(err, errlen, "format '%s': '%s': rounding is rne (to nearest even) or sr (stochastic)",
                     spec, item);
            return -1;
        }
        f->round = strcmp(v, "sr") ? OB_ROUND_RNE : OB_ROUND_SR;
        return 0;
    case 5: {
        char *end = NULL;
        errno = 0;
        unsigned long long b = strtoull(v, &end, 10);
        if (!*v || *v == '-' || *end || errno || b < OB_Q8_BLOCK_MIN || b > OB_Q8_BLOCK_MAX || (b & (b - 1))) {
            snprintf(err, errlen, "format '%s': '%s': the q8 block is a power of two in [%u, %u]", spec, item,
                     OB_Q8_BLOCK_MIN, OB_Q8_BLOCK_MAX);
            return -1;
        }
        f->block = (uint32_t)b;
        return 0;
    }
    default: {
        char *end = NULL;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 0);
        if (!*v || *v == '-' || *end || errno) {
            snprintf(err, errlen, "format '%s': '%s': the seed is an integer in [0, 2^64)", spec, item);
            return -1;
        }
        f->seed = (uint64_t)s;
        return 0;
    }
    }
}

int ob_format_parse(const char *spec, ob_format *out, char *err, size_t errlen)
{
    ob_format f;
    ob_format_fp32(&f);
    char buf[256];
    if (!spec || !*spec) {
        snprintf(err, errlen, "empty format (a preset such as bf16, or param=..,grad=..,state=..)");
        return -1;
    }
    if (snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf) {
        snprintf(err, errlen, "format '%.40s...': too long", spec);
        return -1;
    }
    if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,")) {
        snprintf(err, errlen, "format '%s': empty part", spec);
        return -1;
    }
    unsigned seen = 0;
    int first = 1, preset = 0;
    for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv), first = 0) {
        if (first && !strchr(t, '=')) {
            size_t i = 0;
            while (i < ob_format_preset_count && strcmp(ob_format_presets[i].name, t)) i++;
            if (i == ob_format_preset_count) {
                char known[256];
                preset_names(known, sizeof known);
                snprintf(err, errlen, "format '%s': unknown preset '%s' (known: %s)", spec, t, known);
                return -1;
            }
            const ob_format_preset *p = &ob_format_presets[i];
            f.param = p->param;
            f.grad = p->grad;
            f.state = p->state;
            f.round = p->round;
            f.block = p->block;
            preset = 1;
            continue;
        }
        if (parse_item(spec, t, preset, &f, &seen, err, errlen) != 0) return -1;
    }
    if (f.round == OB_ROUND_SR && f.param != OB_DT_BF16) {
        snprintf(err, errlen, "format '%s': round=sr applies to bf16 parameters only (param=bf16)", spec);
        return -1;
    }
    if (((seen >> 4) & 1u) && f.round != OB_ROUND_SR) {
        snprintf(err, errlen, "format '%s': seed= is only used with stochastic rounding (round=sr)", spec);
        return -1;
    }
    if (((seen >> 5) & 1u) && f.state != OB_DT_Q8) {
        snprintf(err, errlen, "format '%s': block= is only used with 8-bit state (state=q8)", spec);
        return -1;
    }
    if (f.state == OB_DT_Q8 && !f.block) f.block = OB_Q8_BLOCK_DEFAULT;
    snprintf(f.name, sizeof f.name, "%s", spec);
    *out = f;
    return 0;
}

size_t ob_mixed_state_bytes(const ob_optimizer *o, const ob_hparams *h, const ob_format *f)
{
    return ob_state_count(o, h) * ob_dtype_size(f->state);
}

double ob_mixed_state_bytes_exact(const ob_optimizer *o, const ob_hparams *h, const ob_format *f)
{
    const double absmax = f->state == OB_DT_Q8 && f->block ? 4.0 / f->block : 0;
    return (double)ob_state_count(o, h) * ((double)ob_dtype_size(f->state) + absmax);
}

double ob_mixed_traffic_bytes_exact(const ob_optimizer *o, const ob_hparams *h, const ob_format *f)
{
    return (double)ob_mixed_traffic_bytes(o, h, f) +
           2 * (ob_mixed_state_bytes_exact(o, h, f) - (double)ob_mixed_state_bytes(o, h, f));
}

size_t ob_mixed_state_array_bytes(const ob_format *f, size_t n)
{
    if (f->state != OB_DT_Q8) return n * ob_dtype_size(f->state);
    const size_t b = f->block ? f->block : OB_Q8_BLOCK_DEFAULT;
    return n + 4 * ((n + b - 1) / b);
}

size_t ob_mixed_traffic_bytes(const ob_optimizer *o, const ob_hparams *h, const ob_format *f)
{
    /* fp16 gradients are read twice: the finiteness pass must finish
     * before the step writes anything (the skip), as GradScaler's
     * unscale_ reads them before the optimizer does. */
    const size_t check = f->grad == OB_DT_F16 ? ob_dtype_size(f->grad) : 0;
    return 2 * ob_dtype_size(f->param) + ob_dtype_size(f->grad) + check + 2 * ob_mixed_state_bytes(o, h, f);
}

/* ---- conversions ------------------------------------------------------------ */

float ob_bf16_to_f32(uint16_t b)
{
    return ob_sw_bf16_to_f32(b);
}
uint16_t ob_f32_to_bf16_rne(float x)
{
    return ob_sw_f32_to_bf16_rne(x);
}
uint16_t ob_f32_to_bf16_sr(float x, uint32_t r)
{
    return ob_sw_f32_to_bf16_sr(x, r);
}
float ob_f16_to_f32(uint16_t h)
{
    return ob_sw_f16_to_f32(h);
}
uint16_t ob_f32_to_f16_rne(float x)
{
    return ob_sw_f32_to_f16_rne(x);
}

uint64_t ob_sr_key(uint64_t seed, uint64_t t)
{
    return ob_sw_mix64(seed ^ ob_sw_mix64(t));
}

uint32_t ob_sr_call_key(uint64_t key, uint32_t hi)
{
    return ob_sw_sr_call_key(key, hi);
}

uint32_t ob_sr_bits(uint64_t key, uint64_t i)
{
    return ob_sw_sr_bits(ob_sw_sr_call_key(key, (uint32_t)(i >> 32)), (uint32_t)i);
}

static int native_on = -1; /* -1: not decided yet (OPTBENCH_BF16_NATIVE) */

int ob_bf16_native_enabled(void)
{
    if (native_on < 0) {
        const char *e = getenv("OPTBENCH_BF16_NATIVE");
        native_on = !(e && !strcmp(e, "0"));
    }
    return native_on && ob_bf16_native_supported();
}

int ob_bf16_native_set(int on)
{
    const int was = ob_bf16_native_enabled();
    native_on = on != 0;
    return was;
}

/* The AVX512_BF16 extension of isa's table where the step uses it. */
static const ob_isa_table *native_ext(ob_isa isa)
{
    return isa == OB_ISA_AVX512 && ob_bf16_native_enabled() ? ob_isa_table_avx512bf16_ext() : NULL;
}

const ob_cvt_ops *ob_cvt_ops_for(ob_isa isa)
{
    const ob_isa_table *t = ob_isa_table_of(isa), *ext = t ? native_ext(isa) : NULL;
    return ext ? ext->cvt : t ? t->cvt : NULL;
}

/* ---- fused kernels ------------------------------------------------------------ */

static const ob_fused_kernel *fused_in(const ob_isa_table *t, ob_kernel_fn base, const ob_format *f)
{
    for (size_t i = 0; t && i < t->n_fused; i++) {
        const ob_fused_kernel *k = &t->fused[i];
        if (k->base == base && k->param == f->param && k->grad == f->grad && k->state == f->state) return k;
    }
    return NULL;
}

const ob_fused_kernel *ob_fused_find(const ob_optimizer *o, ob_isa isa, const ob_format *f)
{
    const ob_isa_table *t = ob_isa_table_of(isa);
    const ob_kernel_fn base = ob_optimizer_kernel(o, isa);
    if (!t || !base) return NULL;
    /* The AVX512_BF16 kernels first, where enabled; then the ISA's own. */
    const ob_fused_kernel *k = fused_in(native_ext(isa), base, f);
    return k ? k : fused_in(t, base, f);
}

/* ---- the step ----------------------------------------------------------------- */


static void *elem(void *a, ob_dtype d, size_t i)
{
    return a ? (char *)a + i * ob_dtype_size(d) : NULL;
}
static const void *celem(const void *a, ob_dtype d, size_t i)
{
    return a ? (const char *)a + i * ob_dtype_size(d) : NULL;
}

/* Splits a stochastic rounding at multiples of 2^32 of the index, where
 * hi32(index) changes (the vector code assumes a constant one). */
static void round_sr(const ob_mixed_ctx *r, size_t n, const float *src, uint16_t *dst, uint64_t index)
{
    while (n) {
        const uint64_t room = (UINT64_C(1) << 32) - (uint32_t)index;
        const size_t m = (uint64_t)n < room ? n : (size_t)room;
        r->cv->f32_to_bf16_sr(m, src, dst, ob_sw_sr_call_key(r->key, (uint32_t)(index >> 32)),
                              (uint32_t)index);
        n -= m;
        src += m;
        dst += m;
        index += m;
    }
}

/* Elements [lo, lo + m) with the state already fp32 at st (m <=
 * OB_MIXED_BLOCK): widen p and g, the fp32 kernel, round p back. */
static void block_pg(const ob_mixed_ctx *r, size_t lo, size_t m, void *p, const void *g, float **st)
{
    float pb[OB_MIXED_BLOCK], gb[OB_MIXED_BLOCK];
    const ob_format *f = r->f;
    float *pp = f->param == OB_DT_F32 ? (float *)p + lo : pb;
    if (f->param == OB_DT_BF16) r->cv->bf16_to_f32(m, (const uint16_t *)p + lo, pb);
    const float *gp = gb;
    if (f->grad == OB_DT_F32) {
        if (r->clip_value || r->clip_scaled)
            ob_clip_grad(m, (const float *)g + lo, gb, r->clip_scaled, r->clip_scale, r->s.clip_value);
        else gp = (const float *)g + lo;
    } else {
        if (f->grad == OB_DT_BF16) r->cv->bf16_to_f32(m, (const uint16_t *)g + lo, gb);
        else r->cv->f16_to_f32(m, (const uint16_t *)g + lo, gb, r->inv_scale);
        if (r->clip_value) ob_clip_grad(m, gb, gb, 0, 1.0f, r->s.clip_value);
    }
    r->kernel(m, pp, gp, st, &r->s);
    if (f->param == OB_DT_BF16) {
        if (f->round == OB_ROUND_SR) round_sr(r, m, pb, (uint16_t *)p + lo, lo);
        else r->cv->f32_to_bf16_rne(m, pb, (uint16_t *)p + lo);
    }
}

void ob_mixed_block_step(const ob_mixed_ctx *r, size_t lo, size_t m, void *p, const void *g, float *const *st)
{
    for (size_t d = 0; d < m; d += OB_MIXED_BLOCK) {
        float *sd[OB_MAX_STATE] = {0};
        for (size_t k = 0; k < OB_MAX_STATE; k++) sd[k] = st[k] ? st[k] + d : NULL;
        block_pg(r, lo + d, m - d < OB_MIXED_BLOCK ? m - d : OB_MIXED_BLOCK, p, g, sd);
    }
}

/* Elements [lo, lo + m) through the generic path: widen, fp32 kernel,
 * round back (m <= OB_MIXED_BLOCK). */
static void generic_block(const ob_mixed_ctx *r, size_t lo, size_t m, void *p, const void *g, void *const *state)
{
    float sb[OB_MAX_STATE][OB_MIXED_BLOCK];
    const ob_format *f = r->f;
    float *st[OB_MAX_STATE] = {0};
    for (size_t k = 0; k < r->n_state; k++) {
        if (!((r->mask >> k) & 1u)) continue;
        if (f->state == OB_DT_F32) {
            st[k] = (float *)state[k] + lo;
        } else {
            st[k] = sb[k];
            r->cv->bf16_to_f32(m, (const uint16_t *)state[k] + lo, sb[k]);
        }
    }
    block_pg(r, lo, m, p, g, st);
    if (f->state == OB_DT_BF16)
        for (size_t k = 0; k < r->n_state; k++)
            if ((r->mask >> k) & 1u) r->cv->f32_to_bf16_rne(m, sb[k], (uint16_t *)state[k] + lo);
}

/* Elements [lo, lo + len): one thread's chunk. */
static void run_range(const ob_mixed_ctx *r, size_t lo, size_t len, void *p, const void *g, void *const *state)
{
    if (r->fused) {
        const ob_format *f = r->f;
        size_t done = 0;
        while (done < len) {
            const size_t i = lo + done;
            const uint64_t room = (UINT64_C(1) << 32) - (uint32_t)i;
            const size_t m = (uint64_t)(len - done) < room ? len - done : (size_t)room;
            void *st[OB_MAX_STATE] = {0};
            for (size_t k = 0; k < r->n_state; k++)
                if ((r->mask >> k) & 1u) st[k] = elem(state[k], f->state, i);
            r->fused(m, elem(p, f->param, i), celem(g, f->grad, i), st, &r->s, r->inv_scale,
                     f->round == OB_ROUND_SR, ob_sw_sr_call_key(r->key, (uint32_t)((uint64_t)i >> 32)),
                     (uint32_t)i);
            done += m;
        }
        return;
    }
    for (size_t b = lo; b < lo + len; b += OB_MIXED_BLOCK)
        generic_block(r, b, lo + len - b < OB_MIXED_BLOCK ? lo + len - b : OB_MIXED_BLOCK, p, g, state);
}

/* The chunks of ob_run_kernel_threaded: multiples of 64 elements. */
static size_t chunk_of(size_t n, size_t nt)
{
    return nt > 1 ? ((n + nt - 1) / nt + 63) & ~(size_t)63 : n;
}

static int f16_finite(const ob_cvt_ops *cv, size_t n, const uint16_t *g, int threads)
{
    const size_t nt = (size_t)ob_thread_count(n, threads), chunk = chunk_of(n, nt);
    int ok = 1;
#pragma omp parallel for num_threads((int)nt) schedule(static, 1) reduction(&& : ok) if (nt > 1)
    for (size_t c = 0; c < nt; c++) {
        const size_t lo = c * chunk;
        if (lo < n) ok = ok && cv->f16_all_finite(n - lo < chunk ? n - lo : chunk, g + lo);
    }
    return ok;
}

static int is_pow2(float x)
{
    int e;
    return isfinite(x) && x > 0 && frexpf(x, &e) == 0.5f;
}

static int mixed_step(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, const ob_format *f,
                      float inv_loss_scale, size_t n, void *p, const void *g, void *const *state, int threads,
                      int *skipped, int allow_fused, char *err, size_t errlen)
{
    if (skipped) *skipped = 0;
    if (!o || !f || !h) {
        snprintf(err, errlen, "mixed step: no optimizer, format or hyperparameters");
        return -1;
    }
    if (f->param == OB_DT_F16 || f->state == OB_DT_F16 || (unsigned)f->param > 2 || (unsigned)f->grad > 2 ||
        (unsigned)f->state > 3) {
        snprintf(err, errlen, "%s: format '%s': parameters are stored as f32 or bf16, state as f32, bf16 or q8",
                 o->name, f->name);
        return -1;
    }
    if (f->state == OB_DT_Q8) {
        const uint32_t b = f->block;
        if (b < OB_Q8_BLOCK_MIN || b > OB_Q8_BLOCK_MAX || (b & (b - 1))) {
            snprintf(err, errlen, "%s: format '%s': the q8 block %u is not a power of two in [%u, %u]", o->name,
                     f->name, (unsigned)b, OB_Q8_BLOCK_MIN, OB_Q8_BLOCK_MAX);
            return -1;
        }
        if (!ob_q8_offered(o, h, err, errlen)) return -1;
    }
    if (!is_pow2(inv_loss_scale) || inv_loss_scale < 0x1p-64f || inv_loss_scale > 0x1p24f) {
        snprintf(err, errlen,
                 "%s: inverse loss scale %g must be a power of two in [2^-64, 2^24] (so unscaling is exact)",
                 o->name, (double)inv_loss_scale);
        return -1;
    }
    if (inv_loss_scale != 1.0f && f->grad != OB_DT_F16) {
        snprintf(err, errlen,
                 "%s: a loss scale is only used with fp16 gradients (grad=f16), got 1/%g with grad=%s",
                 o->name, 1.0 / inv_loss_scale, ob_dtype_name(f->grad));
        return -1;
    }
    if (h->clip_norm > 0 && f->grad != OB_DT_F32) {
        snprintf(
            err, errlen,
            "%s: clip_norm needs f32 gradients (format '%s' stores them as %s); clip_value works with every "
            "format",
            o->name, f->name, ob_dtype_name(f->grad));
        return -1;
    }
    unsigned present = 0;
    const unsigned mask = o->state_mask(h);
    for (size_t k = 0; state && k < o->n_state; k++)
        if (((mask >> k) & 1u) && state[k]) present |= 1u << k;
    if (ob_step_check(o, isa, h, t, n, p && g, present, err, errlen) != 0) return -1;
    if (n == 0) return 0;
    ob_step_scalars s;
    o->prepare(h, t, &s);
    const int skip = ob_mixed_run(o, isa, h, f, &s, t, inv_loss_scale, n, p, g, state, threads, allow_fused);
    if (skipped) *skipped = skip;
    return 0;
}

int ob_mixed_run(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, const ob_format *f,
                 const ob_step_scalars *s, uint64_t t, float inv_loss_scale, size_t n, void *p, const void *g,
                 void *const *state, int threads, int allow_fused)
{
    const unsigned mask = o->state_mask(h);
    if (ob_format_is_fp32(f)) {
        /* The plain fp32 step: float arrays, through the same runner. */
        float *st[OB_MAX_STATE] = {0};
        for (size_t k = 0; k < o->n_state; k++)
            if ((mask >> k) & 1u) st[k] = state[k];
        ob_run_kernel_threaded(isa, ob_optimizer_kernel(o, isa), n, p, g, st, o->n_state, s, threads);
        return 0;
    }
    ob_mixed_ctx r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.f = f;
    r.cv = ob_cvt_ops_for(isa);
    r.kernel = ob_optimizer_kernel(o, isa);
    r.mask = mask;
    r.n_state = o->n_state < OB_MAX_STATE ? o->n_state : OB_MAX_STATE;
    r.inv_scale = inv_loss_scale;
    r.key = ob_sr_key(f->seed, t);
    r.s = *s;
    if (f->grad == OB_DT_F16 && !f16_finite(r.cv, n, g, threads)) {
        /* Micikevicius et al. 2018, Sec. 3.2: an overflowed scaled gradient
         * skips the update, and the caller lowers the scale. */
        return 1;
    }
    r.clip_value = r.s.clip_value > 0;
    if (r.s.clip_norm > 0) {
        r.clip_scaled = 1;
        r.clip_scale = (float)ob_clip_coef(r.s.clip_norm, ob_sumsq(isa, n, g, threads));
    }
    if (f->state == OB_DT_Q8) {
        /* The fused first pass rounds bf16 parameters to nearest even. */
        const int fusable = allow_fused && !ob_clip_active(&r.s) && (f->param != OB_DT_BF16 || f->round != OB_ROUND_SR);
        const ob_fused_kernel *fk = fusable ? ob_fused_find(o, isa, f) : NULL;
        r.q8_fused = fk && fk->q8 && (!fk->needs_vbmi || ob_q8_vbmi_enabled()) ? fk->q8 : NULL;
        ob_mixed_q8_run(&r, n, p, g, state, threads);
        return 0;
    }
    const ob_fused_kernel *fk = allow_fused && !ob_clip_active(&r.s) ? ob_fused_find(o, isa, f) : NULL;
    r.fused = fk ? fk->fn : NULL;
    const size_t nt = (size_t)ob_thread_count(n, threads), chunk = chunk_of(n, nt);
#pragma omp parallel for num_threads((int)nt) schedule(static, 1) if (nt > 1)
    for (size_t c = 0; c < nt; c++) {
        const size_t lo = c * chunk;
        if (lo < n) run_range(&r, lo, n - lo < chunk ? n - lo : chunk, p, g, state);
    }
    return 0;
}

int ob_step_mixed(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, const ob_format *f,
                  float inv_loss_scale, size_t n, void *p, const void *g, void *const *state, int threads,
                  int *skipped, char *err, size_t errlen)
{
    return mixed_step(o, isa, h, t, f, inv_loss_scale, n, p, g, state, threads, skipped, 1, err, errlen);
}

int ob_step_mixed_generic(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t,
                          const ob_format *f, float inv_loss_scale, size_t n, void *p, const void *g,
                          void *const *state, int threads, int *skipped, char *err, size_t errlen)
{
    return mixed_step(o, isa, h, t, f, inv_loss_scale, n, p, g, state, threads, skipped, 0, err, errlen);
}
