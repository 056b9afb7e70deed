/*
 * ob_prefetch.h — software prefetch for the vector kernels streaming from
 * main memory (kernels/avx2, kernels/avx512), and for the memory probes of
 * `optbench bench` (kernels/<isa>/probe.c), which must prefetch exactly
 * as the kernels they bound.
 *
 * From main memory the hardware prefetchers alone left the AVX-512 Adam
 * loop ~6% below the bandwidth it reaches with a software prefetch
 * (16Mi elements, `optbench bench`, Intel Xeon); in cache it is not
 * needed, so loops issue it from OB_PREFETCH_MIN_N elements up.  On an AMD
 * EPYC (Zen 4) the same prefetch made the loop ~20% slower, so whether it
 * is issued at all is chosen per CPU class (ob_prefetch_from below).  A prefetch never faults
 * and changes no result, so running past the end is harmless; the address
 * is formed as an integer (no pointer past the array).  _mm_prefetch is
 * SSE, part of every x86-64 target.
 */
#ifndef OB_PREFETCH_H
#define OB_PREFETCH_H

#include <stddef.h>
#include <stdint.h>
#include <xmmintrin.h>

#define OB_PREFETCH_BYTES 2048
#define OB_PREFETCH_MIN_N ((size_t)1 << 18)

/* Where the kernels start prefetching: OB_PREFETCH_MIN_N on the CPU
 * classes where the prefetch was measured to pay, SIZE_MAX (never) on the
 * others.  Set before main from the table of per-CPU-class code paths
 * (kernels/framework/tuning.c, ob_cpu_tuning); the memory probes of
 * `optbench bench` do not read it: they measure each pattern explicitly. */
extern size_t ob_prefetch_from;

/* Two ways to issue them, chosen per kernel by A/B runs (alternated, 16Mi
 * and 64Mi elements, 1 and 2 threads):
 *  - ob_prefetch_line, one line per array per loop iteration: the Adam
 *    family and Lion, which ran 2-5% slower in blocks of four lines (16-20
 *    prefetches in a burst), and AdaGrad and RMSprop, where blocks made no
 *    difference measurable above the noise;
 *  - ob_prefetch_block, four lines per array every OB_PREFETCH_BLOCK
 *    elements, as the fp32 memory probes do: SGD (2-3 streams), where AVX2
 *    ran 6-12% faster so, at the same prefetch count (AVX-512 SGD, 64
 *    elements per iteration, always did). */
#define OB_PREFETCH_BLOCK 64

/* Prefetches into L1 the cache line OB_PREFETCH_BYTES after a + i. */
static inline __attribute__((always_inline)) void ob_prefetch_line(const float *a, size_t i)
{
    const uintptr_t at = (uintptr_t)(a + i) + OB_PREFETCH_BYTES;
    _mm_prefetch((const char *)at, _MM_HINT_T0);
}

/* Whether the loop iteration at element i starts a prefetch block (loops
 * start at 0 and step by a divisor of OB_PREFETCH_BLOCK). */
static inline __attribute__((always_inline)) int ob_prefetch_due(size_t i)
{
    return i % OB_PREFETCH_BLOCK == 0;
}

/* Prefetches into L1 the OB_PREFETCH_BLOCK floats (four cache lines)
 * starting OB_PREFETCH_BYTES after a + i. */
static inline __attribute__((always_inline)) void ob_prefetch_block(const float *a, size_t i)
{
    const uintptr_t at = (uintptr_t)(a + i) + OB_PREFETCH_BYTES;
    _mm_prefetch((const char *)at, _MM_HINT_T0);
    _mm_prefetch((const char *)(at + 64), _MM_HINT_T0);
    _mm_prefetch((const char *)(at + 128), _MM_HINT_T0);
    _mm_prefetch((const char *)(at + 192), _MM_HINT_T0);
}

/* Prefetches the lines that the 32 elements of `size` bytes (4: fp32, 2:
 * bf16/fp16) starting at element i of a span OB_PREFETCH_BYTES ahead: two
 * lines, or one.  For the mixed-precision loops, 32 elements per
 * iteration. */
static inline __attribute__((always_inline)) void ob_prefetch_span32(const void *a, size_t i,
                                                                     const size_t size)
{
    const uintptr_t at = (uintptr_t)a + i * size + OB_PREFETCH_BYTES;
    _mm_prefetch((const char *)at, _MM_HINT_T0);
    if (size == 4) _mm_prefetch((const char *)(at + 64), _MM_HINT_T0);
}

#endif
