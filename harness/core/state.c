/*
 * state.c — allocation and torch's initial values of the state arrays
 * (see ob_core.h).
 */
#include "harness/core/ob_core.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* State arrays whose initial value is a hyperparameter rather than zero,
 * by state name (ob_optimizer.state_names) and hyperparameter key, so that
 * no optimizer is named here.  torch/optim/adagrad.py:
 *   state["sum"] = torch.full_like(p, initial_accumulator_value) */
static const struct {
    const char *state;
    const char *hparam;
} initial_from_hparam[] = {
    {"sum", "initial_accumulator_value"},
};

double ob_state_initial(const ob_optimizer *o, const ob_hparams *h, size_t k)
{
    if (k >= o->n_state || !o->state_names[k]) return 0.0;
    for (size_t i = 0; i < sizeof initial_from_hparam / sizeof initial_from_hparam[0]; i++) {
        if (strcmp(o->state_names[k], initial_from_hparam[i].state) != 0) continue;
        const ob_hparam_spec *sp = ob_hparam_find(o, initial_from_hparam[i].hparam);
        if (sp) return ob_hparam_get(h, sp);
    }
    return 0.0;
}

static void fill_f32(void *a, size_t len, double v)
{
    float *p = a, x = (float)v;
    for (size_t i = 0; i < len; i++) p[i] = x;
}

static void fill_f64(void *a, size_t len, double v)
{
    double *p = a;
    for (size_t i = 0; i < len; i++) p[i] = v;
}

/* Allocates the arrays of elem_size-byte elements into tmp and fills them
 * with their initial values; 0, or -1 with nothing left allocated. */
static int alloc_state(const ob_optimizer *o, const ob_hparams *h, size_t n, size_t elem_size,
                       void (*fill)(void *, size_t, double), void *tmp[OB_MAX_STATE])
{
    size_t len = n ? n : 1;
    memset(tmp, 0, OB_MAX_STATE * sizeof tmp[0]);
    if (len > SIZE_MAX / elem_size) return -1;
    for (size_t k = 0; k < o->n_state && k < OB_MAX_STATE; k++) {
        tmp[k] = malloc(len * elem_size);
        if (!tmp[k]) {
            for (size_t j = 0; j < k; j++) free(tmp[j]);
            return -1;
        }
        fill(tmp[k], len, ob_state_initial(o, h, k));
    }
    return 0;
}

int ob_state_alloc_f32(const ob_optimizer *o, const ob_hparams *h, size_t n, float *state[OB_MAX_STATE])
{
    void *tmp[OB_MAX_STATE];
    if (alloc_state(o, h, n, sizeof(float), fill_f32, tmp) != 0) return -1;
    for (size_t k = 0; k < OB_MAX_STATE; k++) state[k] = tmp[k];
    return 0;
}

int ob_state_alloc_f64(const ob_optimizer *o, const ob_hparams *h, size_t n, double *state[OB_MAX_STATE])
{
    void *tmp[OB_MAX_STATE];
    if (alloc_state(o, h, n, sizeof(double), fill_f64, tmp) != 0) return -1;
    for (size_t k = 0; k < OB_MAX_STATE; k++) state[k] = tmp[k];
    return 0;
}

void ob_state_free_f32(float *state[OB_MAX_STATE])
{
    for (size_t k = 0; k < OB_MAX_STATE; k++) {
        free(state[k]);
        state[k] = NULL;
    }
}

void ob_state_free_f64(double *state[OB_MAX_STATE])
{
    for (size_t k = 0; k < OB_MAX_STATE; k++) {
        free(state[k]);
        state[k] = NULL;
    }
}
