/*
 * ob_threads.h — the chunked kernel runner (threads.c), internal to the
 * kernel framework.  threads.c depends on nothing else here: clipping
 * (clip.c) and the step runner (ob_run_kernel_threaded, step.c)
 * build on it, never the other way round.
 */
#ifndef OB_THREADS_H
#define OB_THREADS_H

#include "optbench/optimizers.h"

/* Runs k over [0, n) in the chunks of ob_thread_chunk on
 * ob_thread_count(n, threads) threads, with the gradient as given (no
 * clipping: ob_run_kernel_threaded decides that). */
void ob_run_kernel_chunked(ob_kernel_fn k, size_t n, float *p, const float *g, float *const *state,
                           size_t n_state, const ob_step_scalars *s, int threads);

#endif
