/*
 * plugin_agree.h — the agreement walk the plugin suites share
 * (test_plugin: plain_adamw; test_deepspeed): an Adam-family plugin kernel
 * stepped from random states, each step measured against the double
 * reference (ob_ref_adam_step) from the same widened state, against a
 * bound the suite derives per step.
 */
#ifndef OB_TEST_PLUGIN_AGREE_H
#define OB_TEST_PLUGIN_AGREE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/plugin/ob_plugin.h"

/* The bound of step t for p, exp_avg and exp_avg_sq, in u*S. */
typedef void (*ob_test_adam_bound_fn)(const void *ctx, const ob_hparams *h, uint64_t t, double b[3]);

typedef struct ob_test_adam_agreement {
    double worst[3]; /* worst error, u*S: p, exp_avg, exp_avg_sq */
    double frac[3];  /* worst error / the step's bound, per output */
    char where[512]; /* the worst fraction's step, element and values */
} ob_test_adam_agreement;

/* `steps` steps of kernel k with h on n elements (threads as the case
 * asks; flags as ob_plugin_case_open) from states drawn with seed; p, m
 * and g standard normal, v its absolute value (Criterion asserts on
 * failures). */
void ob_test_adam_agreement_walk(const ob_plugin_kernel *k, const ob_hparams *h, size_t n, int threads,
                                 unsigned flags, uint64_t seed, uint64_t steps, ob_test_adam_bound_fn bound,
                                 const void *ctx, ob_test_adam_agreement *r);

#endif
