/*
 * probe.c — the AVX-512 bench probes (kernels/ob_probe.h says what each
 * measures; ob_isa_probes_avx512 in kernels/ob_isa.h).  Built with the
 * folder's flags (-mavx512f).  Required ISA: AVX-512F.
 */
#include <immintrin.h>

#include "kernels/ob_probe.h"

/* ---- memory probes and triad --------------------------------------------- */

/* The vector probes: straight-line code, four vectors per iteration (a
 * loop over the four, even a constant one, measured ~15% slower in L1
 * than the kernels it is meant to bound), one FMA per array. */
OB_PROBE_INLINE void mem_vec512(size_t i, float *p, const float *g, float *s0, float *s1, float *s2,
                                float *s3, __m512 c, const int k, const int nt)
{
#define ST(a, x) (nt ? _mm512_stream_ps((a), (x)) : _mm512_storeu_ps((a), (x)))
    const __m512 d = _mm512_loadu_ps(g + i);
    ST(p + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(p + i)));
    if (k > 0) ST(s0 + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(s0 + i)));
    if (k > 1) ST(s1 + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(s1 + i)));
    if (k > 2) ST(s2 + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(s2 + i)));
    if (k > 3) ST(s3 + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(s3 + i)));
#undef ST
}

OB_PROBE_INLINE void mem_body512(size_t n, float *restrict p, const float *restrict g, float *const *state,
                                 const ob_step_scalars *s, const int k, const int mode)
{
    const __m512 c = _mm512_set1_ps(s->lr);
    float *restrict s0 = k > 0 ? state[0] : NULL;
    float *restrict s1 = k > 1 ? state[1] : NULL;
    float *restrict s2 = k > 2 ? state[2] : NULL;
    float *restrict s3 = k > 3 ? state[3] : NULL;
    const int pf = mode == OB_PROBE_PREFETCH && n >= OB_PREFETCH_MIN_N;
    const int nt = mode == OB_PROBE_NT && probe_aligned64(p, g, state, k);
    size_t i = 0;
    for (; n - i >= 64; i += 64) {
        if (pf && ob_prefetch_due(i)) prefetch_arrays(i, p, g, s0, s1, s2, s3, k);
        mem_vec512(i, p, g, s0, s1, s2, s3, c, k, nt);
        mem_vec512(i + 16, p, g, s0, s1, s2, s3, c, k, nt);
        mem_vec512(i + 32, p, g, s0, s1, s2, s3, c, k, nt);
        mem_vec512(i + 48, p, g, s0, s1, s2, s3, c, k, nt);
    }
    for (; n - i >= 16; i += 16) mem_vec512(i, p, g, s0, s1, s2, s3, c, k, nt);
    mem_scalar_body(
        n - i, p + i, g + i,
        (float *const[]){s0 ? s0 + i : NULL, s1 ? s1 + i : NULL, s2 ? s2 + i : NULL, s3 ? s3 + i : NULL}, s,
        k);
    if (nt) _mm_sfence(); /* streaming stores are weakly ordered: drain them before the caller returns */
}

OB_PROBE_MEM_SET(mem_pf_avx512_, mem_body512, OB_PROBE_PREFETCH)
OB_PROBE_MEM_SET(mem_plain_avx512_, mem_body512, OB_PROBE_PLAIN)
OB_PROBE_MEM_SET(mem_nt_avx512_, mem_body512, OB_PROBE_NT)

OB_PROBE_INLINE void triad_vec512(size_t i, float *p, const float *g, const float *b, __m512 c)
{
    _mm512_storeu_ps(p + i, _mm512_fmadd_ps(c, _mm512_loadu_ps(b + i), _mm512_loadu_ps(g + i)));
}

static void triad_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    const __m512 c = _mm512_set1_ps(s->lr);
    const float *b = state[0];
    size_t i = 0;
    for (; n - i >= 64; i += 64) {
        triad_vec512(i, p, g, b, c);
        triad_vec512(i + 16, p, g, b, c);
        triad_vec512(i + 32, p, g, b, c);
        triad_vec512(i + 48, p, g, b, c);
    }
    for (; i < n; i++) p[i] = g[i] + s->lr * b[i];
}

/* ---- divider probes --------------------------------------------------------- */

OB_PROBE_INLINE void div_vec512(size_t i, float *q, const float *m, const float *v, const int ns,
                                const int nd)
{
    __m512 den = _mm512_loadu_ps(v + i), x = _mm512_loadu_ps(m + i);
    for (int j = 0; j < ns; j++) den = _mm512_sqrt_ps(den);
    for (int j = 0; j < nd; j++) x = _mm512_div_ps(x, den);
    _mm512_storeu_ps(q + i, x);
}

/* Four independent vectors per iteration: throughput, not latency. */
OB_PROBE_INLINE void div_body512(size_t n, float *q, const float *m, const float *v, const int ns,
                                 const int nd)
{
    size_t i = 0;
    for (; n - i >= 64; i += 64) {
        div_vec512(i, q, m, v, ns, nd);
        div_vec512(i + 16, q, m, v, ns, nd);
        div_vec512(i + 32, q, m, v, ns, nd);
        div_vec512(i + 48, q, m, v, ns, nd);
    }
    div_scalar_body(n - i, q + i, m + i, v + i, ns, nd);
}

DIV_PROBE(div01_avx512, , div_body512, 0, 1)
DIV_PROBE(div11_avx512, , div_body512, 1, 1)
DIV_PROBE(div21_avx512, , div_body512, 2, 1)
DIV_PROBE(div02_avx512, , div_body512, 0, 2)
DIV_PROBE(div12_avx512, , div_body512, 1, 2)
DIV_PROBE(div22_avx512, , div_body512, 2, 2)

/* ---- mixed-precision memory probe ------------------------------------------ */

INL __m512 ld512(const void *a, size_t i, const int half)
{
    if (!half) return _mm512_loadu_ps((const float *)a + i);
    const __m256i h = _mm256_loadu_si256((const __m256i *)(const void *)((const uint16_t *)a + i));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

INL void st512(void *a, size_t i, __m512 x, const int half)
{
    if (!half) _mm512_storeu_ps((float *)a + i, x);
    else
        _mm256_storeu_si256((__m256i *)(void *)((uint16_t *)a + i),
                            _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(x), 16)));
}

INL void body512(size_t n, void *p, const void *g, void *const *st, size_t k, const unsigned half, float c)
{
    const __m512 cv = _mm512_set1_ps(c);
    const int hp = half & HALF_P, hg = half & HALF_G, hs = half & HALF_S, prefetch = n >= OB_PREFETCH_MIN_N;
    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        if (prefetch) {
            ob_prefetch_span32(p, i, hp ? 2 : 4);
            ob_prefetch_span32(g, i, hg ? 2 : 4);
            for (size_t j = 0; j < k; j++) ob_prefetch_span32(st[j], i, hs ? 2 : 4);
        }
        for (size_t u = i; u < i + 32; u += 16) {
            const __m512 d = ld512(g, u, hg);
            st512(p, u, _mm512_fmadd_ps(cv, d, ld512(p, u, hp)), hp);
            for (size_t j = 0; j < k; j++) st512(st[j], u, _mm512_fmadd_ps(cv, d, ld512(st[j], u, hs)), hs);
        }
    }
    sc_range(i, n, p, g, st, k, half, c);
}

/* One specialisation per combination of element sizes. */
static void probe_avx512(size_t n, void *p, const void *g, void *const *st, size_t k, unsigned half, float c)
{
    switch (half & 7u) {
    case 0: body512(n, p, g, st, k, 0, c); break;
    case 1: body512(n, p, g, st, k, 1, c); break;
    case 2: body512(n, p, g, st, k, 2, c); break;
    case 3: body512(n, p, g, st, k, 3, c); break;
    case 4: body512(n, p, g, st, k, 4, c); break;
    case 5: body512(n, p, g, st, k, 5, c); break;
    case 6: body512(n, p, g, st, k, 6, c); break;
    default: body512(n, p, g, st, k, 7, c); break;
    }
}

const ob_isa_probes ob_isa_probes_avx512 = {
    .mem = OB_PROBE_MEM_LIST(mem_pf_avx512_),
    .mem_plain = OB_PROBE_MEM_LIST(mem_plain_avx512_),
    .mem_nt = OB_PROBE_MEM_LIST(mem_nt_avx512_),
    .triad = triad_avx512,
    .div = {{div01_avx512, div02_avx512}, {div11_avx512, div12_avx512}, {div21_avx512, div22_avx512}},
    .mem_mixed = probe_avx512,
};
