/*
 * ob_state.h — optimizer state arrays as the harness allocates them, in
 * fp32 for the kernels and in double for the reference.
 *
 * Every state array the optimizer's table entry lists (ob_optimizer.n_state)
 * is allocated, whatever the hyperparameters (a schedule may switch
 * momentum on), and set to torch's initial value: zero, except where a
 * hyperparameter gives the initial value (Adagrad: state["sum"] =
 * torch.full_like(p, initial_accumulator_value), torch/optim/adagrad.py).
 * The fp32 and the double state start from the same value, rounded to
 * float once for fp32.
 */
#ifndef OB_STATE_H
#define OB_STATE_H

#include <stddef.h>

#include "optbench/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

/* torch's initial value of state array k of o under hyperparameters h. */
double ob_state_initial(const ob_optimizer *o, const ob_hparams *h, size_t k);

/* Allocates and initialises o->n_state arrays of n elements; the unused
 * slots up to OB_MAX_STATE are NULL.  Returns 0, or -1 (out of memory;
 * nothing left allocated).  n == 0 allocates one element per array so
 * that the pointers are never NULL. */
int ob_state_alloc_f32(const ob_optimizer *o, const ob_hparams *h, size_t n, float *state[OB_MAX_STATE]);
int ob_state_alloc_f64(const ob_optimizer *o, const ob_hparams *h, size_t n, double *state[OB_MAX_STATE]);
/* Frees what the allocators returned (and sets the pointers to NULL). */
void ob_state_free_f32(float *state[OB_MAX_STATE]);
void ob_state_free_f64(double *state[OB_MAX_STATE]);

#ifdef __cplusplus
}
#endif
#endif
