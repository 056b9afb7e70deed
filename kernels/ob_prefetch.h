/*
 * ob_prefetch.h — software prefetch for the vector kernels streaming from
 * main memory (internal to kernels/avx2 and kernels/avx512).
 *
 * From main memory the hardware prefetchers alone left the AVX-512 Adam
 * loop ~6% below the bandwidth it reaches with a software prefetch
 * (Sapphire Rapids, 16Mi elements, `optbench bench`); in cache it is not
 * needed, so kernels issue it from OB_PREFETCH_MIN_N elements up.  A
 * prefetch never faults and changes no result, so running past the end is
 * harmless; the address is formed as an integer (no pointer past the
 * array).  _mm_prefetch is SSE, part of every x86-64 target.
 */
#ifndef OB_PREFETCH_H
#define OB_PREFETCH_H

#include <stddef.h>
#include <stdint.h>
#include <xmmintrin.h>

#define OB_PREFETCH_BYTES 2048
#define OB_PREFETCH_MIN_N ((size_t)1 << 18)

/* Prefetches into L1 the cache line OB_PREFETCH_BYTES after a + i. */
static inline __attribute__((always_inline)) void ob_prefetch_line(const float *a, size_t i)
{
    const uintptr_t at = (uintptr_t)(a + i) + OB_PREFETCH_BYTES;
    _mm_prefetch((const char *)at, _MM_HINT_T0);
}

#endif
