/*
 * bench_probe.c — the ceilings `optbench bench` measures in the same run
 * as the kernels (README "Benchmarks"):
 *
 *   memory probe   the access pattern of an optimizer — read p, g and k
 *                  state arrays, write p and the k arrays in place — with
 *                  one trivial operation per array (x += c*g), so that only
 *                  the memory system limits it;
 *   triad          STREAM's a = b + c*s (McCalpin, "STREAM: Sustainable
 *                  Memory Bandwidth in High Performance Computers");
 *   divider probe  only the correctly rounded sqrt and division that the
 *                  exact kernels do per element (q = m / sqrt(v)), in L1.
 *
 * Every probe has the kernels' ob_kernel_fn shape so that it runs through
 * the same ob_run_kernel_threaded (same chunks, same thread threshold).
 * The constant c is s->lr; the benchmark alternates its sign between steps,
 * so the probed arrays stay bounded however long it runs.
 *
 * One instruction set per probe, chosen with function-level target
 * attributes: this file is built with the baseline flags, and the vector
 * probes only run after ob_isa_supported() says the CPU has the ISA.  They
 * use the kernels' intrinsics (the divider probe VSQRTPS and VDIVPS, since
 * they say which divider unit is measured).
 */
#include "ob_bench.h"

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "kernels/ob_prefetch.h"

#define OB_PROBE_INLINE static inline __attribute__((always_inline))
#if defined(OB_BUILD_AVX512)
#define OB_TARGET_AVX512 __attribute__((target("avx512f")))
#endif
#if defined(OB_BUILD_AVX2)
#define OB_TARGET_AVX2 __attribute__((target("avx2,fma")))
#endif

/* ---- memory probes and triad --------------------------------------------- */

/* Scalar: the portable fallback (built with the baseline flags, which
 * may vectorise it with SSE2; it is only used on CPUs without AVX2). */
OB_PROBE_INLINE void mem_scalar_body(size_t n, float *restrict p, const float *restrict g, float *const *state,
                                     const ob_step_scalars *s, const int k)
{
    const float c = s->lr;
    float *restrict s0 = k > 0 ? state[0] : NULL;
    float *restrict s1 = k > 1 ? state[1] : NULL;
    float *restrict s2 = k > 2 ? state[2] : NULL;
    float *restrict s3 = k > 3 ? state[3] : NULL;
    for (size_t i = 0; i < n; i++) {
        const float t = g[i] * c;
        p[i] += t;
        if (k > 0) s0[i] += t;
        if (k > 1) s1[i] += t;
        if (k > 2) s2[i] += t;
        if (k > 3) s3[i] += t;
    }
}

static void mem0_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_scalar_body(n, p, g, st, s, 0); }
static void mem1_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_scalar_body(n, p, g, st, s, 1); }
static void mem2_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_scalar_body(n, p, g, st, s, 2); }
static void mem3_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_scalar_body(n, p, g, st, s, 3); }
static void mem4_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_scalar_body(n, p, g, st, s, 4); }

static void triad_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    const float c = s->lr, *b = state[0];
    for (size_t i = 0; i < n; i++) p[i] = g[i] + c * b[i];
}

/* From main memory on (OB_PREFETCH_MIN_N, where the kernels start), a
 * software prefetch of four lines per array every 64 elements
 * (ob_prefetch_block, ../kernels/ob_prefetch.h), the faster of the
 * kernels' two patterns for a plain stream: it raised the probes'
 * bandwidth by ~6%, so a ceiling without it could be beaten. */
/* ob_prefetch_block of p, g and the k state arrays. */
OB_PROBE_INLINE void prefetch_arrays(size_t i, const float *p, const float *g, const float *s0, const float *s1,
                                     const float *s2, const float *s3, const int k)
{
    ob_prefetch_block(p, i);
    ob_prefetch_block(g, i);
    if (k > 0) ob_prefetch_block(s0, i);
    if (k > 1) ob_prefetch_block(s1, i);
    if (k > 2) ob_prefetch_block(s2, i);
    if (k > 3) ob_prefetch_block(s3, i);
}

/* The vector probes: straight-line code, four vectors per iteration (a
 * loop over the four, even a constant one, measured ~15% slower in L1
 * than the kernels it is meant to bound), one FMA per array. */
#ifdef OB_TARGET_AVX512
OB_TARGET_AVX512 OB_PROBE_INLINE void mem_vec512(size_t i, float *p, const float *g, float *s0, float *s1, float *s2, float *s3,
                                                 __m512 c, const int k)
{
    const __m512 d = _mm512_loadu_ps(g + i);
    _mm512_storeu_ps(p + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(p + i)));
    if (k > 0) _mm512_storeu_ps(s0 + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(s0 + i)));
    if (k > 1) _mm512_storeu_ps(s1 + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(s1 + i)));
    if (k > 2) _mm512_storeu_ps(s2 + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(s2 + i)));
    if (k > 3) _mm512_storeu_ps(s3 + i, _mm512_fmadd_ps(c, d, _mm512_loadu_ps(s3 + i)));
}

OB_TARGET_AVX512 OB_PROBE_INLINE void mem_body512(size_t n, float *restrict p, const float *restrict g,
                                                  float *const *state, const ob_step_scalars *s, const int k)
{
    const __m512 c = _mm512_set1_ps(s->lr);
    float *restrict s0 = k > 0 ? state[0] : NULL;
    float *restrict s1 = k > 1 ? state[1] : NULL;
    float *restrict s2 = k > 2 ? state[2] : NULL;
    float *restrict s3 = k > 3 ? state[3] : NULL;
    const int pf = n >= OB_PREFETCH_MIN_N;
    size_t i = 0;
    for (; n - i >= 64; i += 64) {
        if (pf && ob_prefetch_due(i)) prefetch_arrays(i, p, g, s0, s1, s2, s3, k);
        mem_vec512(i, p, g, s0, s1, s2, s3, c, k);
        mem_vec512(i + 16, p, g, s0, s1, s2, s3, c, k);
        mem_vec512(i + 32, p, g, s0, s1, s2, s3, c, k);
        mem_vec512(i + 48, p, g, s0, s1, s2, s3, c, k);
    }
    for (; n - i >= 16; i += 16) mem_vec512(i, p, g, s0, s1, s2, s3, c, k);
    mem_scalar_body(n - i, p + i, g + i, (float *const[]){s0 ? s0 + i : NULL, s1 ? s1 + i : NULL, s2 ? s2 + i : NULL, s3 ? s3 + i : NULL}, s, k);
}

OB_TARGET_AVX512 static void mem0_avx512(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body512(n, p, g, st, s, 0); }
OB_TARGET_AVX512 static void mem1_avx512(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body512(n, p, g, st, s, 1); }
OB_TARGET_AVX512 static void mem2_avx512(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body512(n, p, g, st, s, 2); }
OB_TARGET_AVX512 static void mem3_avx512(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body512(n, p, g, st, s, 3); }
OB_TARGET_AVX512 static void mem4_avx512(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body512(n, p, g, st, s, 4); }

OB_TARGET_AVX512 OB_PROBE_INLINE void triad_vec512(size_t i, float *p, const float *g, const float *b, __m512 c)
{
    _mm512_storeu_ps(p + i, _mm512_fmadd_ps(c, _mm512_loadu_ps(b + i), _mm512_loadu_ps(g + i)));
}

OB_TARGET_AVX512 static void triad_avx512(size_t n, float *p, const float *g, float *const *state,
                                          const ob_step_scalars *s)
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
#endif

#ifdef OB_TARGET_AVX2
OB_TARGET_AVX2 OB_PROBE_INLINE void mem_vec256(size_t i, float *p, const float *g, float *s0, float *s1, float *s2, float *s3,
                                               __m256 c, const int k)
{
    const __m256 d = _mm256_loadu_ps(g + i);
    _mm256_storeu_ps(p + i, _mm256_fmadd_ps(c, d, _mm256_loadu_ps(p + i)));
    if (k > 0) _mm256_storeu_ps(s0 + i, _mm256_fmadd_ps(c, d, _mm256_loadu_ps(s0 + i)));
    if (k > 1) _mm256_storeu_ps(s1 + i, _mm256_fmadd_ps(c, d, _mm256_loadu_ps(s1 + i)));
    if (k > 2) _mm256_storeu_ps(s2 + i, _mm256_fmadd_ps(c, d, _mm256_loadu_ps(s2 + i)));
    if (k > 3) _mm256_storeu_ps(s3 + i, _mm256_fmadd_ps(c, d, _mm256_loadu_ps(s3 + i)));
}

OB_TARGET_AVX2 OB_PROBE_INLINE void mem_body256(size_t n, float *restrict p, const float *restrict g,
                                                float *const *state, const ob_step_scalars *s, const int k)
{
    const __m256 c = _mm256_set1_ps(s->lr);
    float *restrict s0 = k > 0 ? state[0] : NULL;
    float *restrict s1 = k > 1 ? state[1] : NULL;
    float *restrict s2 = k > 2 ? state[2] : NULL;
    float *restrict s3 = k > 3 ? state[3] : NULL;
    const int pf = n >= OB_PREFETCH_MIN_N;
    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        if (pf && ob_prefetch_due(i)) prefetch_arrays(i, p, g, s0, s1, s2, s3, k);
        mem_vec256(i, p, g, s0, s1, s2, s3, c, k);
        mem_vec256(i + 8, p, g, s0, s1, s2, s3, c, k);
        mem_vec256(i + 16, p, g, s0, s1, s2, s3, c, k);
        mem_vec256(i + 24, p, g, s0, s1, s2, s3, c, k);
    }
    mem_scalar_body(n - i, p + i, g + i, (float *const[]){s0 ? s0 + i : NULL, s1 ? s1 + i : NULL, s2 ? s2 + i : NULL, s3 ? s3 + i : NULL}, s, k);
}

OB_TARGET_AVX2 static void mem0_avx2(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body256(n, p, g, st, s, 0); }
OB_TARGET_AVX2 static void mem1_avx2(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body256(n, p, g, st, s, 1); }
OB_TARGET_AVX2 static void mem2_avx2(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body256(n, p, g, st, s, 2); }
OB_TARGET_AVX2 static void mem3_avx2(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body256(n, p, g, st, s, 3); }
OB_TARGET_AVX2 static void mem4_avx2(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) { mem_body256(n, p, g, st, s, 4); }

OB_TARGET_AVX2 OB_PROBE_INLINE void triad_vec256(size_t i, float *p, const float *g, const float *b, __m256 c)
{
    _mm256_storeu_ps(p + i, _mm256_fmadd_ps(c, _mm256_loadu_ps(b + i), _mm256_loadu_ps(g + i)));
}

OB_TARGET_AVX2 static void triad_avx2(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    const __m256 c = _mm256_set1_ps(s->lr);
    const float *b = state[0];
    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        triad_vec256(i, p, g, b, c);
        triad_vec256(i + 8, p, g, b, c);
        triad_vec256(i + 16, p, g, b, c);
        triad_vec256(i + 24, p, g, b, c);
    }
    for (; i < n; i++) p[i] = g[i] + s->lr * b[i];
}
#endif

/* ---- divider probes ---------------------------------------------------------
 * q = m / den / den ... (n_div divisions), den = sqrt(sqrt(... v)) (n_sqrt
 * roots), with p = q, g = m, state[0] = v: the divider operations of one
 * element of an exact kernel (ob_optimizer.divides), nothing else but the
 * loads and the store.  Only the combinations 0-2 roots x 1-2 divisions are
 * built (all the table needs). */

/* Scalar: sqrtf and '/', as the scalar kernels (built without
 * vectorisation) compile them; this loop must stay scalar too. */
#if defined(__clang__)
#define OB_NO_VECTORIZE
#define OB_LOOP_SCALAR _Pragma("clang loop vectorize(disable) interleave(disable)")
#else
#define OB_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
#define OB_LOOP_SCALAR
#endif

OB_PROBE_INLINE void div_scalar_body(size_t n, float *q, const float *m, const float *v, const int ns, const int nd)
{
    OB_LOOP_SCALAR
    for (size_t i = 0; i < n; i++) {
        float den = v[i], x = m[i];
        for (int j = 0; j < ns; j++) den = sqrtf(den);
        for (int j = 0; j < nd; j++) x = x / den;
        q[i] = x;
    }
}

#ifdef OB_TARGET_AVX2
OB_TARGET_AVX2 OB_PROBE_INLINE void div_vec256(size_t i, float *q, const float *m, const float *v, const int ns,
                                               const int nd)
{
    __m256 den = _mm256_loadu_ps(v + i), x = _mm256_loadu_ps(m + i);
    for (int j = 0; j < ns; j++) den = _mm256_sqrt_ps(den);
    for (int j = 0; j < nd; j++) x = _mm256_div_ps(x, den);
    _mm256_storeu_ps(q + i, x);
}

/* Four independent vectors per iteration: throughput, not latency. */
OB_TARGET_AVX2 OB_PROBE_INLINE void div_body256(size_t n, float *q, const float *m, const float *v, const int ns,
                                                const int nd)
{
    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        div_vec256(i, q, m, v, ns, nd);
        div_vec256(i + 8, q, m, v, ns, nd);
        div_vec256(i + 16, q, m, v, ns, nd);
        div_vec256(i + 24, q, m, v, ns, nd);
    }
    div_scalar_body(n - i, q + i, m + i, v + i, ns, nd);
}
#endif

#ifdef OB_TARGET_AVX512
OB_TARGET_AVX512 OB_PROBE_INLINE void div_vec512(size_t i, float *q, const float *m, const float *v, const int ns,
                                                 const int nd)
{
    __m512 den = _mm512_loadu_ps(v + i), x = _mm512_loadu_ps(m + i);
    for (int j = 0; j < ns; j++) den = _mm512_sqrt_ps(den);
    for (int j = 0; j < nd; j++) x = _mm512_div_ps(x, den);
    _mm512_storeu_ps(q + i, x);
}

OB_TARGET_AVX512 OB_PROBE_INLINE void div_body512(size_t n, float *q, const float *m, const float *v, const int ns,
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
#endif

/* One function per ISA and combination (the counts are constants inside). */
#define DIV_PROBE(name, attrs, body, ns, nd)                                                          \
    attrs static void name(size_t n, float *q, const float *m, float *const *state, const ob_step_scalars *s) \
    {                                                                                                   \
        (void)s;                                                                                        \
        body(n, q, m, state[0], ns, nd);                                                                \
    }
DIV_PROBE(div01_scalar, OB_NO_VECTORIZE, div_scalar_body, 0, 1)
DIV_PROBE(div11_scalar, OB_NO_VECTORIZE, div_scalar_body, 1, 1)
DIV_PROBE(div21_scalar, OB_NO_VECTORIZE, div_scalar_body, 2, 1)
DIV_PROBE(div02_scalar, OB_NO_VECTORIZE, div_scalar_body, 0, 2)
DIV_PROBE(div12_scalar, OB_NO_VECTORIZE, div_scalar_body, 1, 2)
DIV_PROBE(div22_scalar, OB_NO_VECTORIZE, div_scalar_body, 2, 2)
#ifdef OB_TARGET_AVX2
DIV_PROBE(div01_avx2, OB_TARGET_AVX2, div_body256, 0, 1)
DIV_PROBE(div11_avx2, OB_TARGET_AVX2, div_body256, 1, 1)
DIV_PROBE(div21_avx2, OB_TARGET_AVX2, div_body256, 2, 1)
DIV_PROBE(div02_avx2, OB_TARGET_AVX2, div_body256, 0, 2)
DIV_PROBE(div12_avx2, OB_TARGET_AVX2, div_body256, 1, 2)
DIV_PROBE(div22_avx2, OB_TARGET_AVX2, div_body256, 2, 2)
#endif
#ifdef OB_TARGET_AVX512
DIV_PROBE(div01_avx512, OB_TARGET_AVX512, div_body512, 0, 1)
DIV_PROBE(div11_avx512, OB_TARGET_AVX512, div_body512, 1, 1)
DIV_PROBE(div21_avx512, OB_TARGET_AVX512, div_body512, 2, 1)
DIV_PROBE(div02_avx512, OB_TARGET_AVX512, div_body512, 0, 2)
DIV_PROBE(div12_avx512, OB_TARGET_AVX512, div_body512, 1, 2)
DIV_PROBE(div22_avx512, OB_TARGET_AVX512, div_body512, 2, 2)
#endif

/* ---- lookup -------------------------------------------------------------- */

ob_kernel_fn ob_bench_probe_mem(ob_isa isa, size_t k)
{
    static const ob_kernel_fn scalar[] = {mem0_scalar, mem1_scalar, mem2_scalar, mem3_scalar, mem4_scalar};
    if (k > 4) return NULL;
    switch (isa) {
#ifdef OB_TARGET_AVX2
    case OB_ISA_AVX2: {
        static const ob_kernel_fn f[] = {mem0_avx2, mem1_avx2, mem2_avx2, mem3_avx2, mem4_avx2};
        return f[k];
    }
#endif
#ifdef OB_TARGET_AVX512
    case OB_ISA_AVX512: {
        static const ob_kernel_fn f[] = {mem0_avx512, mem1_avx512, mem2_avx512, mem3_avx512, mem4_avx512};
        return f[k];
    }
#endif
    case OB_ISA_SCALAR: return scalar[k];
    default: return NULL;
    }
}

ob_kernel_fn ob_bench_probe_triad(ob_isa isa)
{
    switch (isa) {
#ifdef OB_TARGET_AVX2
    case OB_ISA_AVX2: return triad_avx2;
#endif
#ifdef OB_TARGET_AVX512
    case OB_ISA_AVX512: return triad_avx512;
#endif
    case OB_ISA_SCALAR: return triad_scalar;
    default: return NULL;
    }
}

ob_kernel_fn ob_bench_probe_div(ob_isa isa, int n_sqrt, int n_div)
{
    if (n_sqrt < 0 || n_sqrt > 2 || n_div < 1 || n_div > 2) return NULL;
    const int k = n_sqrt + 3 * (n_div - 1);
    switch (isa) {
#ifdef OB_TARGET_AVX2
    case OB_ISA_AVX2: {
        static const ob_kernel_fn f[] = {div01_avx2, div11_avx2, div21_avx2, div02_avx2, div12_avx2, div22_avx2};
        return f[k];
    }
#endif
#ifdef OB_TARGET_AVX512
    case OB_ISA_AVX512: {
        static const ob_kernel_fn f[] = {div01_avx512, div11_avx512, div21_avx512,
                                         div02_avx512, div12_avx512, div22_avx512};
        return f[k];
    }
#endif
    case OB_ISA_SCALAR: {
        static const ob_kernel_fn f[] = {div01_scalar, div11_scalar, div21_scalar,
                                         div02_scalar, div12_scalar, div22_scalar};
        return f[k];
    }
    default: return NULL;
    }
}
