/*
 * multi.c — the fused multi-tensor step (ob_step_multi, ob_run_kernel_multi;
 * optbench/optimizers.h): one call steps a model's whole parameter list.
 *
 * Why: a model is a list of tensors (GPT-2 small: 148, from 768 to 38.6M
 * elements).  Stepping them one call each pays the per-call work (the
 * scalars, dispatch, and with threads one fork/join per tensor, the same
 * as torch's single-tensor path) once per tensor; torch's foreach path
 * and apex's multi_tensor_apply exist for that reason.  Here the threads
 * split the TOTAL work: the tensors are laid end to end in one index space
 * [0, N), cut into the chunks ob_run_kernel_threaded would cut one array
 * of N elements into (ob_thread_chunk: multiples of 64), and each thread
 * walks its chunk across tensor boundaries inside one parallel region.
 *
 * The kernels are element-wise, so any cut gives the same bits as stepping
 * each tensor alone (the property the thread-count and identity tests
 * establish for every kernel at every length and offset).
 */
#include <stdio.h>

#include "optbench/optimizers.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Runs k on elements [lo, hi) of the tensors laid end to end: the
 * tensors before lo are skipped, each one overlapping [lo, hi) gets one
 * call on the overlap. */
static void run_span(ob_kernel_fn k, const ob_tensor *tl, size_t nt, size_t lo, size_t hi,
                     const ob_step_scalars *s)
{
    size_t ti = 0, base = 0;
    while (ti < nt && base + tl[ti].n <= lo) base += tl[ti++].n;
    for (; ti < nt && base < hi; base += tl[ti++].n) {
        const ob_tensor *t = &tl[ti];
        const size_t from = lo > base ? lo - base : 0;
        const size_t to = hi - base < t->n ? hi - base : t->n;
        if (from >= to) continue;
        float *st[OB_MAX_STATE] = {0};
        for (size_t j = 0; j < OB_MAX_STATE; j++) st[j] = t->state[j] ? t->state[j] + from : NULL;
        k(to - from, t->p + from, t->g + from, st, s);
    }
}

void ob_run_kernel_multi(ob_kernel_fn k, const ob_tensor *tensors, size_t n_tensors, const ob_step_scalars *s,
                         int threads)
{
    size_t total = 0;
    for (size_t i = 0; i < n_tensors; i++) total += tensors[i].n;
    const size_t nt = (size_t)ob_thread_count(total, threads);
    if (nt <= 1) {
        /* One thread: a plain loop, one indirect call per tensor. */
        for (size_t i = 0; i < n_tensors; i++)
            if (tensors[i].n) k(tensors[i].n, tensors[i].p, tensors[i].g, (float *const *)tensors[i].state, s);
        return;
    }
    const size_t chunk = ob_thread_chunk(total, nt);
#ifdef _OPENMP
#pragma omp parallel for num_threads((int)nt) schedule(static, 1)
#endif
    for (size_t c = 0; c < nt; c++) {
        const size_t lo = c * chunk;
        if (lo < total) run_span(k, tensors, n_tensors, lo, total - lo < chunk ? total : lo + chunk, s);
    }
}

int ob_step_multi(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, const ob_tensor *tensors,
                  size_t n_tensors, int threads, char *err, size_t errlen)
{
    if (ob_step_check(o, isa, h, t, 0, 1, 0, err, errlen) != 0) return -1;
    if (n_tensors && !tensors) {
        snprintf(err, errlen, "%s: the tensor list is NULL", o->name);
        return -1;
    }
    /* Clipping by the global norm needs the norm over every tensor first
     * (torch's clip_grad_norm_ over the parameter list); the multi-tensor
     * step does not reduce, so it refuses rather than clip per tensor. */
    if (h->clip_norm > 0 || h->clip_value > 0) {
        snprintf(err, errlen, "%s: the multi-tensor step does not clip; clip the gradients first", o->name);
        return -1;
    }
    const unsigned used = o->state_mask(h);
    for (size_t i = 0; i < n_tensors; i++) {
        unsigned present = 0;
        for (size_t j = 0; j < o->n_state && j < OB_MAX_STATE; j++)
            if (((used >> j) & 1u) && tensors[i].state[j]) present |= 1u << j;
        char why[200];
        if (ob_step_check(o, isa, h, t, tensors[i].n, tensors[i].p && tensors[i].g, present, why, sizeof why) !=
            0) {
            snprintf(err, errlen, "tensor %zu: %s", i, why);
            return -1;
        }
    }
    ob_step_scalars s;
    o->prepare(h, t, &s);
    ob_run_kernel_multi(ob_optimizer_kernel(o, isa), tensors, n_tensors, &s, threads);
    return 0;
}
