/*
 * bench_probe_mixed.c — the memory probe of a mixed-precision format
 * (README "Mixed precision", "Benchmarks"): the access pattern of the
 * format's step — read p, g and k state arrays, write p and the k arrays
 * in place, each with its own element size (4 bytes, or 2 for bf16/fp16)
 * — with a trivial operation per array: widen to fp32 (a shift), x += c*g,
 * narrow back (truncation).  So the ceiling a format's kernels are held to
 * moves the same bytes as they do, and costs about what their own
 * conversions cost.
 *
 * Like bench_probe.c, this file is built with the baseline flags and
 * picks one instruction set per function with target attributes; the
 * vector probes only run after ob_isa_supported() says the CPU has it.
 */
#include "ob_bench.h"

#include <immintrin.h>
#include <string.h>

#include "kernels/ob_prefetch.h"

#define INL static inline __attribute__((always_inline))
#define HALF_P 1u
#define HALF_G 2u
#define HALF_S 4u

/* ---- scalar --------------------------------------------------------------- */

INL float sc_load(const void *a, size_t i, const int half)
{
    uint32_t u;
    if (half) {
        uint16_t h;
        memcpy(&h, (const char *)a + 2 * i, 2);
        u = (uint32_t)h << 16;
    } else {
        memcpy(&u, (const char *)a + 4 * i, 4);
    }
    float x;
    memcpy(&x, &u, 4);
    return x;
}

INL void sc_store(void *a, size_t i, float x, const int half)
{
    if (half) {
        uint32_t u;
        memcpy(&u, &x, 4);
        const uint16_t h = (uint16_t)(u >> 16);
        memcpy((char *)a + 2 * i, &h, 2);
    } else {
        memcpy((char *)a + 4 * i, &x, 4);
    }
}

/* Elements [i, n) one at a time (the tails of the vector probes too). */
INL void sc_range(size_t i, size_t n, void *p, const void *g, void *const *st, size_t k, const unsigned half, float c)
{
    for (; i < n; i++) {
        const float d = sc_load(g, i, half & HALF_G) * c;
        sc_store(p, i, sc_load(p, i, half & HALF_P) + d, half & HALF_P);
        for (size_t j = 0; j < k; j++) sc_store(st[j], i, sc_load(st[j], i, half & HALF_S) + d, half & HALF_S);
    }
}

static void probe_scalar(size_t n, void *p, const void *g, void *const *st, size_t k, unsigned half, float c)
{
    sc_range(0, n, p, g, st, k, half, c);
}

/* ---- AVX-512F ---------------------------------------------------------------- */

#if defined(OB_BUILD_AVX512)
#define T512 __attribute__((target("avx512f")))

T512 INL __m512 ld512(const void *a, size_t i, const int half)
{
    if (!half) return _mm512_loadu_ps((const float *)a + i);
    const __m256i h = _mm256_loadu_si256((const __m256i *)(const void *)((const uint16_t *)a + i));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

T512 INL void st512(void *a, size_t i, __m512 x, const int half)
{
    if (!half) _mm512_storeu_ps((float *)a + i, x);
    else _mm256_storeu_si256((__m256i *)(void *)((uint16_t *)a + i),
                             _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(x), 16)));
}

T512 INL void body512(size_t n, void *p, const void *g, void *const *st, size_t k, const unsigned half, float c)
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
T512 static void probe_avx512(size_t n, void *p, const void *g, void *const *st, size_t k, unsigned half, float c)
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
#endif

/* ---- AVX2 ------------------------------------------------------------------------ */

#if defined(OB_BUILD_AVX2)
#define T256 __attribute__((target("avx2,fma")))

T256 INL __m256 ld256(const void *a, size_t i, const int half)
{
    if (!half) return _mm256_loadu_ps((const float *)a + i);
    const __m128i h = _mm_loadu_si128((const __m128i *)(const void *)((const uint16_t *)a + i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

T256 INL void st256(void *a, size_t i, __m256 x, const int half)
{
    if (!half) {
        _mm256_storeu_ps((float *)a + i, x);
        return;
    }
    const __m256i r = _mm256_srli_epi32(_mm256_castps_si256(x), 16);
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
    _mm_storeu_si128((__m128i *)(void *)((uint16_t *)a + i), _mm256_castsi256_si128(packed));
}

T256 INL void body256(size_t n, void *p, const void *g, void *const *st, size_t k, const unsigned half, float c)
{
    const __m256 cv = _mm256_set1_ps(c);
    const int hp = half & HALF_P, hg = half & HALF_G, hs = half & HALF_S, prefetch = n >= OB_PREFETCH_MIN_N;
    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        if (prefetch) {
            ob_prefetch_span32(p, i, hp ? 2 : 4);
            ob_prefetch_span32(g, i, hg ? 2 : 4);
            for (size_t j = 0; j < k; j++) ob_prefetch_span32(st[j], i, hs ? 2 : 4);
        }
        for (size_t u = i; u < i + 32; u += 8) {
            const __m256 d = ld256(g, u, hg);
            st256(p, u, _mm256_fmadd_ps(cv, d, ld256(p, u, hp)), hp);
            for (size_t j = 0; j < k; j++) st256(st[j], u, _mm256_fmadd_ps(cv, d, ld256(st[j], u, hs)), hs);
        }
    }
    sc_range(i, n, p, g, st, k, half, c);
}

T256 static void probe_avx2(size_t n, void *p, const void *g, void *const *st, size_t k, unsigned half, float c)
{
    switch (half & 7u) {
    case 0: body256(n, p, g, st, k, 0, c); break;
    case 1: body256(n, p, g, st, k, 1, c); break;
    case 2: body256(n, p, g, st, k, 2, c); break;
    case 3: body256(n, p, g, st, k, 3, c); break;
    case 4: body256(n, p, g, st, k, 4, c); break;
    case 5: body256(n, p, g, st, k, 5, c); break;
    case 6: body256(n, p, g, st, k, 6, c); break;
    default: body256(n, p, g, st, k, 7, c); break;
    }
}
#endif

ob_bench_mixed_probe_fn ob_bench_probe_mem_mixed(ob_isa isa)
{
    switch (isa) {
#if defined(OB_BUILD_AVX2)
    case OB_ISA_AVX2: return probe_avx2;
#endif
#if defined(OB_BUILD_AVX512)
    case OB_ISA_AVX512: return probe_avx512;
#endif
    case OB_ISA_SCALAR: return probe_scalar;
    default: return NULL;
    }
}

unsigned ob_bench_probe_halves(const ob_format *f)
{
    return (f->param != OB_DT_F32 ? HALF_P : 0u) | (f->grad != OB_DT_F32 ? HALF_G : 0u) |
           (f->state != OB_DT_F32 ? HALF_S : 0u);
}
