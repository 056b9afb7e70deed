/*
 * q8_vbmi.c — q8 dequantization with AVX512-VBMI byte permutes (ob_mixed.h
 * "8-bit block-wise state"; called by ob_q8_dequant_avx512 where
 * ob_q8_vbmi_enabled(), kernels/framework/dispatch.c).
 *
 * The 256 fp32 codebook values are split into 4 byte planes (byte q of
 * every value, 256 bytes = 4 registers each).  For 64 codes at once,
 * each plane is looked up with two VPERMI2B (the low 7 bits of the code
 * index 128 bytes) and a blend on the code's top bit; the 4 planes are
 * then interleaved back into 64 fp32 values (VPUNPCK*BW / *WD), the codes
 * being pre-permuted (VPERMB) so that the in-lane unpacks leave the values
 * in order.  The value is the codebook's bit pattern, multiplied by a in
 * fp32 as every ISA does, so the result is bit-identical to scalar.
 * Measured on an AMD EPYC (Zen 4): 0.15 ns per element against 0.36 for a
 * 16-lane gather from the codebook.
 *
 * Required ISA: AVX-512F + AVX512BW + AVX512-VBMI (built with
 * -mavx512f -mavx512bw -mavx512vbmi -ffp-contract=off).
 */
#include <float.h>
#include <immintrin.h>
#include <math.h>

#include "avx512_cvt.h"
#include "kernels/mixed_isa.h"

#define INL static inline __attribute__((always_inline))

/* The pre-permutation: unpacked register j, 128-bit lane L, dword t
 * holds position 16L + 4j + t of the permuted codes; it must be code
 * 16j + 4L + t.  (Constants, so no per-call set-up: a block is only
 * 2048 codes.) */
static const uint8_t pre_idx[64] = {
    0, 1, 2, 3, 16, 17, 18, 19, 32, 33, 34, 35, 48, 49, 50, 51,
    4, 5, 6, 7, 20, 21, 22, 23, 36, 37, 38, 39, 52, 53, 54, 55,
    8, 9, 10, 11, 24, 25, 26, 27, 40, 41, 42, 43, 56, 57, 58, 59,
    12, 13, 14, 15, 28, 29, 30, 31, 44, 45, 46, 47, 60, 61, 62, 63,
};

/* Byte q of 32 consecutive fp32 values (bytes 4t + q), twice. */
static const uint8_t plane_idx[4][64] = {
    {
        0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60,
        64, 68, 72, 76, 80, 84, 88, 92, 96, 100, 104, 108, 112, 116, 120, 124,
        0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60,
        64, 68, 72, 76, 80, 84, 88, 92, 96, 100, 104, 108, 112, 116, 120, 124,
    },
    {
        1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61,
        65, 69, 73, 77, 81, 85, 89, 93, 97, 101, 105, 109, 113, 117, 121, 125,
        1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61,
        65, 69, 73, 77, 81, 85, 89, 93, 97, 101, 105, 109, 113, 117, 121, 125,
    },
    {
        2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62,
        66, 70, 74, 78, 82, 86, 90, 94, 98, 102, 106, 110, 114, 118, 122, 126,
        2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62,
        66, 70, 74, 78, 82, 86, 90, 94, 98, 102, 106, 110, 114, 118, 122, 126,
    },
    {
        3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63,
        67, 71, 75, 79, 83, 87, 91, 95, 99, 103, 107, 111, 115, 119, 123, 127,
        3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63,
        67, 71, 75, 79, 83, 87, 91, 95, 99, 103, 107, 111, 115, 119, 123, 127,
    },
};

/* The byte planes of the codebook, in registers: plane q, entries
 * 64r .. 64r + 63 in pl[q][r]. */
static void planes(const float *tab, __m512i pl[4][4])
{
    for (int q = 0; q < 4; q++) {
        const __m512i ix = _mm512_loadu_si512(plane_idx[q]);
        for (int r = 0; r < 4; r++) {
            const float *s = tab + 64 * r;
            const __m512i lo = _mm512_permutex2var_epi8(_mm512_loadu_si512(s), ix, _mm512_loadu_si512(s + 16));
            const __m512i hi = _mm512_permutex2var_epi8(_mm512_loadu_si512(s + 32), ix, _mm512_loadu_si512(s + 48));
            pl[q][r] = _mm512_mask_blend_epi8((__mmask64)0xffffffff00000000ull, lo, hi);
        }
    }
}

/* The codebook values of 64 codes (raw fp32, in order) by the planes. */
INL void lookup64(const __m512i pl[4][4], const __m512i perm, const uint8_t *code, __m512 out[4])
{
    const __m512i c = _mm512_permutexvar_epi8(perm, _mm512_loadu_si512(code));
    const __mmask64 top = _mm512_movepi8_mask(c);
    __m512i b[4];
    for (int q = 0; q < 4; q++)
        b[q] = _mm512_mask_blend_epi8(top, _mm512_permutex2var_epi8(pl[q][0], c, pl[q][1]),
                                      _mm512_permutex2var_epi8(pl[q][2], c, pl[q][3]));
    const __m512i w0 = _mm512_unpacklo_epi8(b[0], b[1]), w1 = _mm512_unpackhi_epi8(b[0], b[1]);
    const __m512i w2 = _mm512_unpacklo_epi8(b[2], b[3]), w3 = _mm512_unpackhi_epi8(b[2], b[3]);
    out[0] = _mm512_castsi512_ps(_mm512_unpacklo_epi16(w0, w2));
    out[1] = _mm512_castsi512_ps(_mm512_unpackhi_epi16(w0, w2));
    out[2] = _mm512_castsi512_ps(_mm512_unpacklo_epi16(w1, w3));
    out[3] = _mm512_castsi512_ps(_mm512_unpackhi_epi16(w1, w3));
}

void ob_q8_dequant_avx512vbmi(size_t n, const uint8_t *code, float a, const float *tab, float *dst)
{
    __m512i pl[4][4];
    planes(tab, pl);
    const __m512i perm = _mm512_loadu_si512(pre_idx);
    const __m512 va = _mm512_set1_ps(a);
    for (size_t i = 0; i + 64 <= n; i += 64) {
        __m512 q[4];
        lookup64(pl, perm, code + i, q);
        for (int j = 0; j < 4; j++) _mm512_storeu_ps(dst + i + 16 * j, _mm512_mul_ps(q[j], va));
    }
}

/* ---- the fused first passes (ob_q8_fused_fn) ------------------------------ */


/* The running max |x| of a new state (ob_q8_absmax_avx512's operations:
 * MAXPS keeps acc for a NaN x, so NaN is ignored; any order is exact). */
typedef struct q8_amax {
    __m512 acc;
    __mmask16 bad;
} q8_amax;

/* What every pass shares, per state array in use (1 or 2, in state
 * order): its codebook's byte planes, codes, absmax, fp32 output buffer
 * and running max. */
typedef struct q8_pass {
    __m512i pl[2][4][4];
    __m512i perm;
    __m512 a[2];
    const uint8_t *code[2];
    float *st[2];
    q8_amax x[2];
    size_t n;
} q8_pass;

INL void pass_begin(q8_pass *q, size_t n, const uint8_t *const *code, const float *a, const float *const *tab,
                    float *const *st)
{
    q->n = n;
    q->perm = _mm512_loadu_si512(pre_idx);
    for (size_t k = 0; k < n; k++) {
        planes(tab[k], q->pl[k]);
        q->a[k] = _mm512_set1_ps(a[k]);
        q->code[k] = code[k];
        q->st[k] = st[k];
        q->x[k].acc = _mm512_setzero_ps();
        q->x[k].bad = 0;
    }
}

/* State array k at elements i .. i+63, dequantized: Q[c] * absmax, as
 * ob_q8_dequant_avx512. */
INL void pass_state64(const q8_pass *q, size_t k, size_t i, __m512 out[4])
{
    lookup64(q->pl[k], q->perm, q->code[k] + i, out);
    for (int j = 0; j < 4; j++) out[j] = _mm512_mul_ps(out[j], q->a[k]);
}

/* The new value of state array k at element e: into its buffer and its
 * running max. */
INL void pass_keep(q8_pass *q, size_t k, size_t e, __m512 x)
{
    _mm512_storeu_ps(q->st[k] + e, x);
    const __m512 v = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
    q->x[k].acc = _mm512_max_ps(v, q->x[k].acc);
    q->x[k].bad |= _mm512_cmp_ps_mask(v, _mm512_set1_ps(FLT_MAX), _CMP_NLE_UQ);
}

INL void pass_end(const q8_pass *q, float *amax, int *nonfinite)
{
    for (size_t k = 0; k < q->n; k++) {
        amax[k] = _mm512_reduce_max_ps(q->x[k].acc);
        nonfinite[k] = q->x[k].bad != 0;
    }
}

/* 16 parameters, widened from bf16 where p16; and stored back, rounded
 * to nearest even where p16 (the generic path's cv->f32_to_bf16_rne). */
INL __m512 ld_p(const void *p, size_t e, const int p16)
{
    return p16 ? ob512_bf16_widen(_mm256_loadu_si256((const __m256i *)(const void *)((const uint16_t *)p + e)))
               : _mm512_loadu_ps((const float *)p + e);
}

INL void st_p(void *p, size_t e, __m512 x, const int p16)
{
    if (p16) _mm256_storeu_si256((__m256i *)(void *)((uint16_t *)p + e), ob512_bf16_rne_sw(x));
    else _mm512_storeu_ps((float *)p + e, x);
}

/* Adam / AdamW: kernels/avx512/adam.c's operations on each 16 (adam_vec:
 * the same FMAs, multiplies, correctly rounded sqrt and division, in the
 * same order). */
INL void adam_run(size_t m, void *p, const float *g, const ob_step_scalars *s, q8_pass *q, const int p16,
                  const int l2, const int decoupled)
{
    const ob_adam16 k = ob_adam16_of(s);
    for (size_t i = 0; i + 64 <= m; i += 64) {
        __m512 m4[4], v4[4];
        pass_state64(q, 0, i, m4);
        pass_state64(q, 1, i, v4);
        for (int j = 0; j < 4; j++) {
            const size_t e = i + 16 * (size_t)j;
            __m512 pi = ld_p(p, e, p16);
            if (decoupled) pi = _mm512_mul_ps(pi, k.decay);
            __m512 d = _mm512_loadu_ps(g + e);
            if (l2) d = _mm512_fmadd_ps(k.wd, pi, d);
            const __m512 mi = _mm512_fmadd_ps(k.omb1, d, _mm512_mul_ps(k.b1, m4[j]));
            const __m512 vi = _mm512_fmadd_ps(k.omb2, _mm512_mul_ps(d, d), _mm512_mul_ps(k.b2, v4[j]));
            pass_keep(q, 0, e, mi);
            pass_keep(q, 1, e, vi);
            const __m512 den = _mm512_fmadd_ps(_mm512_sqrt_ps(vi), k.rs, k.eps);
            st_p(p, e, _mm512_fmadd_ps(k.neg_step, _mm512_div_ps(mi, den), pi), p16);
        }
    }
}

/* The flags (l2, decoupled) specialised outside the loop, as adam.c. */
INL void adam_pass(size_t m, void *p, const float *g, const ob_step_scalars *s, q8_pass *q, const int p16)
{
    switch ((s->l2 != 0) | (s->decoupled != 0) << 1) {
    case 0: adam_run(m, p, g, s, q, p16, 0, 0); break;
    case 1: adam_run(m, p, g, s, q, p16, 1, 0); break;
    case 2: adam_run(m, p, g, s, q, p16, 0, 1); break;
    default: adam_run(m, p, g, s, q, p16, 1, 1); break;
    }
}

/* Lion: kernels/avx512/lion.c's operations on each 16 (lion_vec: the
 * same FMAs, the sign from bits, NaN for an unordered c). */
INL void lion_run(size_t m, void *p, const float *g, const ob_step_scalars *s, q8_pass *q, const int p16,
                  const int decoupled)
{
    const __m512 decay = _mm512_set1_ps(s->decay_factor), neg_lr = _mm512_set1_ps(-s->lr);
    const __m512 b1 = _mm512_set1_ps(s->beta1), omb1 = _mm512_set1_ps(s->one_minus_beta1);
    const __m512 b2 = _mm512_set1_ps(s->beta2), omb2 = _mm512_set1_ps(s->one_minus_beta2);
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u), one = _mm512_castps_si512(_mm512_set1_ps(1.0f));
    for (size_t i = 0; i + 64 <= m; i += 64) {
        __m512 m4[4];
        pass_state64(q, 0, i, m4);
        for (int j = 0; j < 4; j++) {
            const size_t e = i + 16 * (size_t)j;
            __m512 pi = ld_p(p, e, p16);
            if (decoupled) pi = _mm512_mul_ps(pi, decay);
            const __m512 gi = _mm512_loadu_ps(g + e);
            const __m512 c = _mm512_fmadd_ps(omb1, gi, _mm512_mul_ps(b1, m4[j]));
            const __mmask16 nonzero = _mm512_cmp_ps_mask(c, _mm512_setzero_ps(), _CMP_NEQ_OQ);
            const __m512 sg = _mm512_castsi512_ps(
                _mm512_maskz_ternarylogic_epi32(nonzero, _mm512_castps_si512(c), sign, one, 0xEA));
            const __m512 pn = _mm512_fmadd_ps(neg_lr, sg, pi);
            st_p(p, e, _mm512_mask_blend_ps(_mm512_cmp_ps_mask(c, c, _CMP_UNORD_Q), pn, _mm512_set1_ps(NAN)), p16);
            pass_keep(q, 0, e, _mm512_fmadd_ps(omb2, gi, _mm512_mul_ps(b2, m4[j])));
        }
    }
}

INL void lion_pass(size_t m, void *p, const float *g, const ob_step_scalars *s, q8_pass *q, const int p16)
{
    if (s->decoupled) lion_run(m, p, g, s, q, p16, 1);
    else lion_run(m, p, g, s, q, p16, 0);
}

/* SGD with momentum (without it SGD has no state, and q8_block calls no
 * pass): kernels/avx512/sgd.c's operations on each 16 (sgd_vec: the
 * buffer is g itself at the first step, then mu buf + (1 - dampening) g;
 * Nesterov adds mu buf to g). */
INL void sgd_run(size_t m, void *p, const float *g, const ob_step_scalars *s, q8_pass *q, const int p16,
                 const int l2, const int first, const int nesterov)
{
    const __m512 wd = _mm512_set1_ps(s->weight_decay), mu = _mm512_set1_ps(s->momentum);
    const __m512 omd = _mm512_set1_ps(s->one_minus_dampening), neg_lr = _mm512_set1_ps(-s->lr);
    for (size_t i = 0; i + 64 <= m; i += 64) {
        __m512 b4[4];
        if (!first) pass_state64(q, 0, i, b4);
        for (int j = 0; j < 4; j++) {
            const size_t e = i + 16 * (size_t)j;
            const __m512 pi = ld_p(p, e, p16);
            __m512 d = _mm512_loadu_ps(g + e);
            if (l2) d = _mm512_fmadd_ps(wd, pi, d);
            const __m512 b = first ? d : _mm512_fmadd_ps(mu, b4[j], _mm512_mul_ps(omd, d));
            pass_keep(q, 0, e, b);
            d = nesterov ? _mm512_fmadd_ps(mu, b, d) : b;
            st_p(p, e, _mm512_fmadd_ps(neg_lr, d, pi), p16);
        }
    }
}

INL void sgd_pass(size_t m, void *p, const float *g, const ob_step_scalars *s, q8_pass *q, const int p16)
{
    switch ((s->l2 != 0) | (s->first_step != 0) << 1 | (s->nesterov != 0) << 2) {
    case 0: sgd_run(m, p, g, s, q, p16, 0, 0, 0); break;
    case 1: sgd_run(m, p, g, s, q, p16, 1, 0, 0); break;
    case 2: sgd_run(m, p, g, s, q, p16, 0, 1, 0); break;
    case 3: sgd_run(m, p, g, s, q, p16, 1, 1, 0); break;
    case 4: sgd_run(m, p, g, s, q, p16, 0, 0, 1); break;
    case 5: sgd_run(m, p, g, s, q, p16, 1, 0, 1); break;
    case 6: sgd_run(m, p, g, s, q, p16, 0, 1, 1); break;
    default: sgd_run(m, p, g, s, q, p16, 1, 1, 1); break;
    }
}

/* The exported passes (kernels/mixed_isa.h): fp32 and bf16 parameters of
 * each optimizer, with its number of state arrays. */
#define Q8_PASS_EXPORT(opt, n_state, suffix, p16) \
    OB_Q8_PASS_DECLARE(ob_q8_##opt##_pass_avx512vbmi##suffix) \
    { \
        q8_pass q; \
        pass_begin(&q, n_state, code, a, tab, st); \
        opt##_pass(m, p, g, s, &q, p16); \
        pass_end(&q, amax, nonfinite); \
    }

Q8_PASS_EXPORT(adam, 2, , 0)
Q8_PASS_EXPORT(adam, 2, _bf16params, 1)
Q8_PASS_EXPORT(lion, 1, , 0)
Q8_PASS_EXPORT(lion, 1, _bf16params, 1)
Q8_PASS_EXPORT(sgd, 1, , 0)
Q8_PASS_EXPORT(sgd, 1, _bf16params, 1)
