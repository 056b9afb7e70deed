/*
 * mixed_q8.c — 8-bit block-wise optimizer state (ob_mixed.h "8-bit
 * block-wise state", README "8-bit state"): the dynamic tree codebook, the
 * quantization rules in scalar code, and the q8 part of the mixed step.
 *
 * Dettmers, Lewis, Shleifer & Zettlemoyer, "8-bit Optimizers via
 * Block-wise Quantization", ICLR 2022, Sec. 2 (block-wise quantization,
 * dynamic tree quantization); the codebook follows Dettmers 2016 and
 * bitsandbytes' create_dynamic_map(signed, max_exponent_bits = 7,
 * total_bits = 8), computed in double and rounded once to fp32.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/ob_isa.h"
#include "ob_mixed_internal.h"

/* ---- the codebook --------------------------------------------------------- */

static float book[2][256], mids[2][256];
static pthread_once_t book_once = PTHREAD_ONCE_INIT;

/* The bucket tables (ob_mixed.h "ob_q8_qtab"): at most 2^(23 - shift)
 * buckets per binade over the 23 binades from the smallest midpoint to 1,
 * so 2^7 * 24 entries bound them (shift >= 16 is checked below). */
#define BUCKETS_MAX (24u << 7)
static uint32_t buckets[2][BUCKETS_MAX];
static ob_q8_qtab qtabs[2];

static uint32_t bits_of(float x)
{
    uint32_t b;
    memcpy(&b, &x, 4);
    return b;
}

static void q8_fail(const char *what)
{
    fprintf(stderr, "q8 codebook: %s\n", what);
    abort();
}

/* The bucket table of one codebook from its positive midpoints pos[0..np)
 * (ascending); the largest shift that gives every bucket at most one. */
static void qtab_build(int u, const float *pos, size_t np)
{
    uint32_t shift = 23;
    for (;; shift--) {
        int ok = 1;
        for (size_t j = 1; j < np; j++) ok &= (bits_of(pos[j]) >> shift) > (bits_of(pos[j - 1]) >> shift);
        if (ok) break;
        if (shift == 16) q8_fail("midpoints closer than 2^-7 of their binade");
    }
    ob_q8_qtab *t = &qtabs[u];
    t->mid = mids[u];
    t->bucket = buckets[u];
    t->shift = shift;
    t->first = (bits_of(pos[0]) >> shift) - 1; /* bucket 0: below every midpoint */
    t->last = (bits_of(1.0f) >> shift) - t->first; /* from 1.0 up: above every one */
    t->unsigned_ = u;
    if (t->last + 1 > BUCKETS_MAX || !(pos[np - 1] < 1.0f)) q8_fail("bucket table out of range");
    size_t j = 0;
    for (uint32_t k = 0; k <= t->last; k++) {
        const uint32_t key = k + t->first;
        while (j < np && (bits_of(pos[j]) >> shift) < key) j++; /* j: midpoints below the bucket */
        uint32_t low = 1u << shift;
        if (j < np && (bits_of(pos[j]) >> shift) == key) low = bits_of(pos[j]) & ((1u << shift) - 1);
        buckets[u][k] = (uint32_t)j | low << 8;
    }
}

static float float_of(uint32_t b)
{
    float x;
    memcpy(&x, &b, 4);
    return x;
}

/* The arithmetic count (ob_mixed.h "ob_q8_arith"): the lower clamp of
 * |x| (2^-31: every binade the table covers has e in [96, 127]) and the
 * upper one (1.0, above every midpoint). */
#define ARITH_XMIN 0x30000000u
#define ARITH_XMAX 0x3f800000u

uint32_t ob_q8_count_arith(uint32_t xb, const ob_q8_arith *a, int *ambiguous)
{
    xb = xb < ARITH_XMIN ? ARITH_XMIN : xb > ARITH_XMAX ? ARITH_XMAX : xb;
    const uint32_t k = (xb >> 23) & 31, r = a->region_of_binade[k] + (xb > a->bound_of_binade[k]);
    float t = fmaf(float_of(xb), a->a[r], a->b[r]);
    t = t > a->h[r] ? a->h[r] : t;
    const uint32_t i = (uint32_t)(int32_t)ceilf(t); /* t > 0: the table build checks it */
    *ambiguous = ((i + 1) & 0xffcu) == 0;
    return (i + (uint32_t)a->base[r]) >> 12;
}

/* The arithmetic count's tables for the positive midpoints pos[0..np)
 * of code u, and its proof: at every inner midpoint P and the next float
 * above it, and at both ends of every region, the count is the
 * definition's or the lane is flagged ambiguous. */
static void arith_build(int u, const float *pos, size_t np)
{
    static const double decade[7] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0};
    ob_q8_arith *a = &qtabs[u].ar;
    uint32_t bound[8];     /* the region boundaries' indices into pos */
    size_t S = 1;
    bound[0] = 0;
    memset(a, 0, sizeof *a);
    /* Regions 0 and 8 hold no inner midpoint: t = 1/2, ceil 1. */
    a->b[0] = a->b[8] = a->h[0] = a->h[8] = 0x1p11f;
    a->base[0] = 4095 - 4096;
    a->base[8] = 4095 + ((int32_t)np - 1) * 4096;
    for (int d = 0; d < 7; d++) {
        const unsigned K = u ? 2u << d : 1u << d;
        a->a[1 + d] = (float)(4096 * (K / (0.9 * decade[d])));
        a->b[1 + d] = (float)(4096 * (-0.1 * K / 0.9));
        a->h[1 + d] = 4096 * ((float)K - 0.5f);
        a->base[1 + d] = 4095 + ((int32_t)S - 1) * 4096;
        S += K;
        bound[1 + d] = (uint32_t)S - 1;
    }
    if (S != np) q8_fail("arithmetic count: decades do not cover the midpoints");
    for (uint32_t k = 0; k < 32; k++) {
        const uint32_t e = 96 + k, lo = e << 23;
        a->bound_of_binade[k] = 0x7fffffffu;
        for (int j = 0; j < 8; j++) {
            const uint32_t bb = bits_of(pos[bound[j]]);
            a->region_of_binade[k] += bb < lo;
            if (bb >> 23 == e) {
                if (a->bound_of_binade[k] != 0x7fffffffu) q8_fail("arithmetic count: two boundaries in a binade");
                a->bound_of_binade[k] = bb;
            }
        }
    }
    /* The proof points: every midpoint and the float above it (the
     * region ends are among them: the boundaries are midpoints). */
    for (size_t j = 0; j < np; j++)
        for (uint32_t x = bits_of(pos[j]); x <= bits_of(pos[j]) + 1; x++) {
            int amb;
            const uint32_t G = ob_q8_count_arith(x, a, &amb);
            const uint32_t want = (uint32_t)j + (x > bits_of(pos[j]));
            if (!amb && G != want) q8_fail("arithmetic count differs from the definition at a midpoint");
        }
    /* t > 0 from the first float of every decade region on (no lower
     * clamp; t grows with x). */
    for (int d = 0; d < 7; d++)
        if (!(fmaf(float_of(bits_of(pos[bound[d]]) + 1), a->a[1 + d], a->b[1 + d]) > 0))
            q8_fail("arithmetic count: t <= 0 inside a region");
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void book_build(void)
{
    /* 10^(i-6) for the 7 decades, as double literals. */
    static const double decade[7] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0};
    for (int u = 0; u < 2; u++) {
        double v[256];
        size_t n = 0;
        for (int i = 0; i < 7; i++) {
            const unsigned K = u ? 2u << i : 1u << i;
            for (unsigned j = 0; j < K; j++) {
                const double x = decade[i] * (0.1 + 0.9 * ((double)j + 0.5) / (double)K);
                v[n++] = x;
                if (!u) v[n++] = -x;
            }
        }
        v[n++] = 0;
        v[n++] = 1;
        qsort(v, n, sizeof v[0], cmp_double);
        for (size_t k = 0; k < 256; k++) book[u][k] = (float)v[k];
        /* Midpoints of the fp32 values, exact in double, rounded once. */
        for (size_t k = 0; k < 255; k++) mids[u][k] = (float)(((double)book[u][k] + (double)book[u][k + 1]) / 2);
        mids[u][255] = INFINITY;
        /* The signed code is symmetric (the vector quantizers rely on
         * it): M[126 - k] = -M[127 + k]. */
        if (!u)
            for (int k = 0; k < 127; k++)
                if (mids[0][126 - k] != -mids[0][127 + k]) q8_fail("signed midpoints not symmetric");
        qtab_build(u, mids[u] + (u ? 0 : 127), u ? 255 : 128);
        arith_build(u, mids[u] + (u ? 0 : 127), u ? 255 : 128);
    }
}

const ob_q8_qtab *ob_q8_quant_table(int unsigned_)
{
    pthread_once(&book_once, book_build);
    return &qtabs[unsigned_ != 0];
}

uint8_t ob_q8_code_bucket(float y, const ob_q8_qtab *t)
{
    const uint32_t yb = bits_of(y), b = yb & 0x7fffffffu;
    if (b > 0x7f800000u) return 0; /* NaN */
    uint32_t key = b >> t->shift;
    key = key < t->first ? 0 : key - t->first;
    key = key > t->last ? t->last : key;
    const uint32_t e = t->bucket[key], base = e & 0xff, lm = e >> 8, lo = b & ((1u << t->shift) - 1);
    const int neg = (int)(yb >> 31);
    if (t->unsigned_) return neg || !b ? 0 : (uint8_t)(base + (lo > lm));
    if (!neg) return (uint8_t)(127 + base + (lo > lm));
    const int c = 127 - (int)base - (lo >= lm);
    return (uint8_t)(c < 0 ? 0 : c);
}

const float *ob_q8_codebook(int unsigned_)
{
    pthread_once(&book_once, book_build);
    return book[unsigned_ != 0];
}

const float *ob_q8_midpoints(int unsigned_)
{
    pthread_once(&book_once, book_build);
    return mids[unsigned_ != 0];
}

uint8_t ob_q8_zero_code(int unsigned_)
{
    return unsigned_ ? 0 : 127;
}

uint8_t ob_q8_code_of(float y, int unsigned_)
{
    const float *m = ob_q8_midpoints(unsigned_);
    /* Branch-free binary search: steps of 128, 64, ..., 1 over the 255
     * sorted midpoints; idx counts the midpoints below y. */
    unsigned idx = 0;
    for (unsigned s = 128; s; s >>= 1) idx += y > m[idx + s - 1] ? s : 0;
    return (uint8_t)idx;
}

/* The stored absmax for a block whose largest |x| is a (NaN ignored) and
 * that holds a non-finite value or not: NaN, 0 (flush) or a itself. */
static float stored_absmax(float a, int nonfinite)
{
    if (nonfinite) {
        const uint32_t qnan = 0x7fc00000u;
        float x;
        memcpy(&x, &qnan, 4);
        return x;
    }
    return a < FLT_MIN ? 0.0f : a;
}

float ob_q8_quantize_block(size_t m, const float *x, uint8_t *code, int unsigned_)
{
    float a = 0;
    int nonfinite = 0;
    for (size_t i = 0; i < m; i++) {
        const float v = fabsf(x[i]);
        a = v > a ? v : a;
        nonfinite |= !(v <= FLT_MAX);
    }
    a = stored_absmax(a, nonfinite);
    if (!(a > 0)) {
        memset(code, ob_q8_zero_code(unsigned_), m);
        return a;
    }
    const float r = 1.0f / a;
    for (size_t i = 0; i < m; i++) code[i] = ob_q8_code_of(x[i] * r, unsigned_);
    return a;
}

void ob_q8_dequantize_block(size_t m, const uint8_t *code, float absmax, float *x, int unsigned_)
{
    const float *q = ob_q8_codebook(unsigned_);
    for (size_t i = 0; i < m; i++) x[i] = q[code[i]] * absmax;
}

float ob_q8_absmax_get(const void *array, size_t n, size_t b)
{
    float a;
    memcpy(&a, (const char *)array + n + 4 * b, 4);
    return a;
}

void ob_q8_absmax_set(void *array, size_t n, size_t b, float a)
{
    memcpy((char *)array + n + 4 * b, &a, 4);
}

int ob_q8_state_unsigned(const ob_optimizer *o, size_t k)
{
    return k < o->n_state && o->state_names[k] && !strcmp(o->state_names[k], "exp_avg_sq");
}

int ob_q8_offered(const ob_optimizer *o, const ob_hparams *h, char *err, size_t errlen)
{
    static const char *const names[] = {"adam", "adamw", "lion", "sgd"};
    int named = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) named |= !strcmp(o->name, names[i]);
    if (!named) {
        snprintf(err, errlen, "format q8 not offered for %s (q8 state: adam, adamw, lion, sgd)", o->name);
        return 0;
    }
    if ((o->state_mask(h) >> 2) & 1u) {
        snprintf(err, errlen, "format q8 not offered for %s with amsgrad (q8 state: adam, adamw, lion, sgd)",
                 o->name);
        return 0;
    }
    return 1;
}

/* ---- the q8 step ------------------------------------------------------------ */

/* Block b = [lo, lo + m) of every array: dequantize the state into fp32
 * buffers, widen p and g as the generic path does, run the fp32 kernel,
 * round p back, quantize the state.  At most two state arrays are in use:
 * ob_q8_offered admits no optimizer with more (ob_step_mixed checks it;
 * ob_mixed_run's callers, the benchmarks, filter with it too).  With a
 * fused first pass (ob_q8_fused_fn), its whole groups of 64 replace the
 * dequantization, the kernel and the absmax of the block's start; the
 * rest of the block goes the generic way. */
static void q8_block(const ob_mixed_ctx *r, size_t n, size_t lo, size_t m, void *p, const void *g,
                     void *const *state)
{
    float sb[2][OB_Q8_BLOCK_MAX];
    const ob_cvt_ops *cv = r->cv;
    float *st[OB_MAX_STATE] = {0}, *buf[2] = {0};
    const uint8_t *code[2] = {0};
    const float *tab[2] = {0};
    float a[2] = {0, 0}, amax[2] = {0, 0};
    int nonfinite[2] = {0, 0};
    size_t used = 0;
    for (size_t k = 0; k < r->n_state; k++) {
        if (!((r->mask >> k) & 1u) || used == 2) continue;
        buf[used] = st[k] = sb[used];
        code[used] = (const uint8_t *)state[k] + lo;
        a[used] = ob_q8_absmax_get(state[k], n, lo / r->f->block);
        tab[used] = ob_q8_codebook(ob_q8_state_unsigned(r->o, k));
        used++;
    }
    const size_t m64 = r->q8_fused && used ? m & ~(size_t)63 : 0;
    if (m64)
        r->q8_fused(m64, (char *)p + lo * ob_dtype_size(r->f->param), (const float *)g + lo, code, a, tab, buf, &r->s,
                    amax, nonfinite);
    if (m64 < m) {
        float *rest[OB_MAX_STATE] = {0};
        for (size_t k = 0, j = 0; k < r->n_state; k++) {
            if (!st[k]) continue;
            rest[k] = st[k] + m64;
            cv->q8_dequant(m - m64, code[j] + m64, a[j], tab[j], rest[k]);
            j++;
        }
        ob_mixed_block_step(r, lo + m64, m - m64, p, g, rest);
    }
    for (size_t k = 0, j = 0; k < r->n_state; k++) {
        if (!st[k]) continue;
        const int u = ob_q8_state_unsigned(r->o, k);
        int nf = 0;
        const float rest = cv->q8_absmax(m - m64, st[k] + m64, &nf); /* sets nf first */
        const float am = stored_absmax(rest > amax[j] ? rest : amax[j], nf | nonfinite[j]);
        uint8_t *out = (uint8_t *)state[k] + lo;
        if (am > 0) cv->q8_quant(m, st[k], 1.0f / am, ob_q8_quant_table(u), out);
        else memset(out, ob_q8_zero_code(u), m);
        ob_q8_absmax_set(state[k], n, lo / r->f->block, am);
        j++;
    }
}

void ob_mixed_q8_run(const ob_mixed_ctx *r, size_t n, void *p, const void *g, void *const *state, int threads)
{
    const size_t B = r->f->block, nb = (n + B - 1) / B;
    size_t nt = (size_t)ob_thread_count(n, threads);
    if (nt > nb) nt = nb;
    /* Threads take whole blocks: a block's absmax needs all of it. */
    const size_t per = (nb + nt - 1) / nt;
#pragma omp parallel for num_threads((int)nt) schedule(static, 1) if (nt > 1)
    for (size_t c = 0; c < nt; c++)
        for (size_t b = c * per; b < (c + 1) * per && b < nb; b++) {
            const size_t lo = b * B;
            q8_block(r, n, lo, n - lo < B ? n - lo : B, p, g, state);
        }
}
