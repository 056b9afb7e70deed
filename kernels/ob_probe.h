/*
 * ob_probe.h — the scalar bodies of the bench probes (ob_isa_probes,
 * kernels/ob_isa.h), shared by every folder's probe.c: the scalar probes
 * are these loops, and the vector probes run them on their tails.
 *
 * The probes are the ceilings `optbench bench` measures in the same run as
 * the kernels (README "Benchmarks"):
 *
 *   memory probe   the access pattern of an optimizer — read p, g and k
 *                  state arrays, write p and the k arrays in place — with
 *                  one trivial operation per array (x += c*g), so that only
 *                  the memory system limits it;
 *   triad          STREAM's a = b + c*s (McCalpin, "STREAM: Sustainable
 *                  Memory Bandwidth in High Performance Computers");
 *   divider probe  only the correctly rounded sqrt and division that the
 *                  exact kernels do per element (q = m / sqrt(v)), in L1;
 *   mixed probe    the memory probe of a mixed-precision format (README
 *                  "Mixed precision"): each array with its own element
 *                  size (4 bytes, or 2 for bf16/fp16), widened to fp32 (a
 *                  shift), x += c*g, narrowed back (truncation); so the
 *                  ceiling a format's kernels are held to moves the same
 *                  bytes as they do, and costs about what their own
 *                  conversions cost.
 *
 * Every fp32 probe has the kernels' ob_kernel_fn shape so that it runs
 * through the same ob_run_kernel_threaded (same chunks, same thread
 * threshold).  The constant c is s->lr; the benchmark alternates its sign
 * between steps, so the probed arrays stay bounded however long it runs.
 * Each folder's probes are built with that folder's flags, like its
 * kernels, and only run after ob_isa_supported() says the CPU has the ISA.
 * They use the kernels' intrinsics (the divider probe VSQRTPS and VDIVPS,
 * since they say which divider unit is measured).
 */
#ifndef OB_PROBE_H
#define OB_PROBE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/ob_isa.h"
#include "kernels/ob_prefetch.h"

#define OB_PROBE_INLINE static inline __attribute__((always_inline))

/* ---- memory probe ------------------------------------------------------- */

/* Scalar: the portable fallback (built with the baseline flags, which
 * may vectorise it with SSE2; it is only used on CPUs without AVX2). */
OB_PROBE_INLINE void mem_scalar_body(size_t n, float *restrict p, const float *restrict g,
                                     float *const *state, const ob_step_scalars *s, const int k)
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

/* The memory probe comes in three patterns (README "The honest memory
 * ceiling"); bench takes the fastest of them, and STREAM's triad scaled to
 * the optimizer's bytes, as the ceiling, so that no pattern the kernels
 * happen to use (or a prefetch tuned on another CPU) can lower it:
 *   OB_PROBE_PLAIN     loads, FMAs and stores only: the hardware
 *                      prefetchers alone;
 *   OB_PROBE_PREFETCH  from main memory on (OB_PREFETCH_MIN_N) a software
 *                      prefetch of four lines per array every 64 elements
 *                      (ob_prefetch_block, kernels/ob_prefetch.h), whatever
 *                      this CPU's kernels do: on an Intel Xeon it raised
 *                      the probes' bandwidth by ~6%;
 *   OB_PROBE_NT        non-temporal (streaming) stores, where the arrays
 *                      are 64-byte aligned (else plain stores): the write
 *                      back bypasses the caches. */
enum { OB_PROBE_PLAIN = 0, OB_PROBE_PREFETCH = 1, OB_PROBE_NT = 2 };

/* The five memory probes (k = 0..4 state arrays) of one pattern, as
 * name0 .. name4 calling body(n, p, g, state, s, k, mode); and their list
 * for ob_isa_probes. */
#define OB_PROBE_MEM_FN(name, body, mode, k) \
    static void name##k(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s) \
    { \
        body(n, p, g, st, s, k, mode); \
    }
#define OB_PROBE_MEM_SET(name, body, mode) \
    OB_PROBE_MEM_FN(name, body, mode, 0) \
    OB_PROBE_MEM_FN(name, body, mode, 1) \
    OB_PROBE_MEM_FN(name, body, mode, 2) \
    OB_PROBE_MEM_FN(name, body, mode, 3) \
    OB_PROBE_MEM_FN(name, body, mode, 4)
#define OB_PROBE_MEM_LIST(name) {name##0, name##1, name##2, name##3, name##4}

/* Nonzero if p, g and the k state arrays are all 64-byte aligned (the
 * streaming stores' requirement). */
OB_PROBE_INLINE int probe_aligned64(const float *p, const float *g, float *const *state, const int k)
{
    uintptr_t bits = (uintptr_t)p | (uintptr_t)g;
    for (int j = 0; j < k; j++) bits |= (uintptr_t)state[j];
    return (bits & 63u) == 0;
}

/* ob_prefetch_block of p, g and the k state arrays. */
OB_PROBE_INLINE void prefetch_arrays(size_t i, const float *p, const float *g, const float *s0,
                                     const float *s1, const float *s2, const float *s3, const int k)
{
    ob_prefetch_block(p, i);
    ob_prefetch_block(g, i);
    if (k > 0) ob_prefetch_block(s0, i);
    if (k > 1) ob_prefetch_block(s1, i);
    if (k > 2) ob_prefetch_block(s2, i);
    if (k > 3) ob_prefetch_block(s3, i);
}

/* ---- divider probe ---------------------------------------------------------
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

OB_PROBE_INLINE void div_scalar_body(size_t n, float *q, const float *m, const float *v, const int ns,
                                     const int nd)
{
    OB_LOOP_SCALAR
    for (size_t i = 0; i < n; i++) {
        float den = v[i], x = m[i];
        for (int j = 0; j < ns; j++) den = sqrtf(den);
        for (int j = 0; j < nd; j++) x = x / den;
        q[i] = x;
    }
}

/* One function per combination (the counts are constants inside). */
#define DIV_PROBE(name, attrs, body, ns, nd) \
    attrs static void name(size_t n, float *q, const float *m, float *const *state, \
                           const ob_step_scalars *s) \
    { \
        (void)s; \
        body(n, q, m, state[0], ns, nd); \
    }

/* ---- mixed-precision memory probe ------------------------------------------ */

#define INL static inline __attribute__((always_inline))
#define HALF_P OB_PROBE_HALF_P
#define HALF_G OB_PROBE_HALF_G
#define HALF_S OB_PROBE_HALF_S

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
INL void sc_range(size_t i, size_t n, void *p, const void *g, void *const *st, size_t k, const unsigned half,
                  float c)
{
    for (; i < n; i++) {
        const float d = sc_load(g, i, half & HALF_G) * c;
        sc_store(p, i, sc_load(p, i, half & HALF_P) + d, half & HALF_P);
        for (size_t j = 0; j < k; j++)
            sc_store(st[j], i, sc_load(st[j], i, half & HALF_S) + d, half & HALF_S);
    }
}

#endif
