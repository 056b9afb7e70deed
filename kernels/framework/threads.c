/*
 * threads.c — multi-threaded steps.  The kernels are element-wise, so a
 * step split into chunks computes exactly what one call would: the result
 * does not depend on the number of threads.  The step runner with
 * clipping, ob_run_kernel_threaded, is in step.c (on top of this file
 * and clip.c).
 */
#include "optbench/optimizers.h"
#include "ob_threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int ob_thread_count(size_t n, int threads)
{
#ifdef _OPENMP
    size_t nt = threads > 0 ? (size_t)threads : (size_t)omp_get_max_threads();
    size_t by_size = n / OB_THREAD_MIN_CHUNK; /* small arrays: one thread */
    if (nt > by_size) nt = by_size;
    return nt > 1 ? (int)nt : 1;
#else
    (void)n;
    (void)threads;
    return 1;
#endif
}

size_t ob_thread_chunk(size_t n, size_t nt)
{
    return nt > 1 ? ((n + nt - 1) / nt + 63) & ~(size_t)63 : n;
}

void ob_run_kernel_chunked(ob_kernel_fn k, size_t n, float *p, const float *g, float *const *state,
                           size_t n_state, const ob_step_scalars *s, int threads)
{
#ifdef _OPENMP
    size_t nt = (size_t)ob_thread_count(n, threads);
    if (nt > 1) {
        const size_t chunk = ob_thread_chunk(n, nt);
#pragma omp parallel for num_threads((int)nt) schedule(static, 1)
        for (size_t c = 0; c < nt; c++) {
            size_t lo = c * chunk;
            if (lo >= n) continue;
            size_t len = n - lo < chunk ? n - lo : chunk;
            float *st[OB_MAX_STATE] = {0};
            for (size_t j = 0; j < n_state && j < OB_MAX_STATE; j++)
                st[j] = state && state[j] ? state[j] + lo : NULL;
            k(len, p + lo, g + lo, st, s);
        }
        return;
    }
#else
    (void)threads;
#endif
    (void)n_state;
    k(n, p, g, state, s);
}
