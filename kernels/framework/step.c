/*
 * step.c — an optimizer's kernels and its step: the kernel of each ISA
 * (from the ISA tables, kernels/ob_isa.h, or the entry's own), the checks
 * every step runs, and the step runner that clips (clip.c) or not
 * (threads.c) and runs the kernel (optbench/optimizers.h).
 */
#include <stdio.h>

#include "optbench/optimizers.h"
#include "kernels/ob_isa.h"
#include "ob_reduce.h"
#include "ob_threads.h"

/* ---- kernels ------------------------------------------------------------ */

static const ob_isa_step *table_step(const ob_optimizer *o, ob_isa isa)
{
    return o->kernel_key ? ob_isa_table_step(ob_isa_table_of(isa), o->kernel_key) : NULL;
}

ob_kernel_fn ob_optimizer_kernel(const ob_optimizer *o, ob_isa isa)
{
    if ((unsigned)isa >= OB_ISA_COUNT) return NULL;
    if (o->own_kernels) return o->own_kernels->exact[isa];
    const ob_isa_step *st = table_step(o, isa);
    return st ? st->exact : NULL;
}

ob_kernel_fn ob_optimizer_approx_kernel(const ob_optimizer *o, ob_isa isa)
{
    if ((unsigned)isa >= OB_ISA_COUNT) return NULL;
    if (o->own_kernels) return o->own_kernels->approx[isa];
    const ob_isa_step *st = table_step(o, isa);
    return st ? st->approx : NULL;
}

void ob_optimizer_kernels(const ob_optimizer *o, ob_kernel_set *out)
{
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        out->exact[isa] = ob_optimizer_kernel(o, (ob_isa)isa);
        out->approx[isa] = ob_optimizer_approx_kernel(o, (ob_isa)isa);
    }
}

int ob_optimizer_runs_on(const ob_optimizer *o, ob_isa isa, char *why, size_t len)
{
    if (!ob_isa_supported(isa)) {
        snprintf(why, len, "%s", ob_isa_unavailable_reason(isa));
        return 0;
    }
    if (!ob_optimizer_kernel(o, isa)) {
        snprintf(why, len, "no %s kernel", ob_isa_name(isa));
        return 0;
    }
    if (len) why[0] = '\0';
    return 1;
}

/* ---- stepping --------------------------------------------------------- */

int ob_step_check(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, size_t n, int have_pg,
                  unsigned state_present, char *err, size_t errlen)
{
    if (!ob_isa_supported(isa)) {
        snprintf(err, errlen, "%s kernels cannot run here: %s", ob_isa_name(isa),
                 ob_isa_unavailable_reason(isa));
        return -1;
    }
    if (!ob_optimizer_kernel(o, isa)) {
        snprintf(err, errlen, "%s: no %s kernel", o->name, ob_isa_name(isa));
        return -1;
    }
    if (t == 0) {
        snprintf(err, errlen, "%s: step t must be >= 1", o->name);
        return -1;
    }
    if (ob_validate(o, h, err, errlen) != 0) return -1;
    if (n == 0) return 0;
    unsigned m = o->state_mask(h);
    if (!have_pg) {
        snprintf(err, errlen, "%s: parameter or gradient array is NULL", o->name);
        return -1;
    }
    for (size_t k = 0; k < o->n_state; k++) {
        if (((m >> k) & 1u) && !((state_present >> k) & 1u)) {
            snprintf(err, errlen, "%s: state array '%s' is needed with these hyperparameters but is NULL",
                     o->name, o->state_names[k]);
            return -1;
        }
    }
    return 0;
}

void ob_run_kernel_threaded(ob_isa isa, ob_kernel_fn k, size_t n, float *p, const float *g,
                            float *const *state, size_t n_state, const ob_step_scalars *s, int threads)
{
    if (ob_clip_active(s)) /* gradient clipping: kernels/framework/ob_reduce.h */
        ob_run_kernel_clipped(isa, k, n, p, g, state, n_state, s, threads);
    else ob_run_kernel_chunked(k, n, p, g, state, n_state, s, threads);
}

int ob_step_threaded(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, size_t n, float *p,
                     const float *g, float *const *state, int threads, char *err, size_t errlen)
{
    unsigned present = 0, used = o->state_mask(h);
    for (size_t k = 0; state && k < o->n_state; k++)
        if (((used >> k) & 1u) && state[k]) present |= 1u << k;
    if (ob_step_check(o, isa, h, t, n, p && g, present, err, errlen) != 0) return -1;
    if (n == 0) return 0;
    ob_step_scalars s;
    o->prepare(h, t, &s);
    ob_run_kernel_threaded(isa, ob_optimizer_kernel(o, isa), n, p, g, state, o->n_state, &s, threads);
    return 0;
}

int ob_step(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, size_t n, float *p,
            const float *g, float *const *state, char *err, size_t errlen)
{
    return ob_step_threaded(o, isa, h, t, n, p, g, state, 1, err, errlen);
}
