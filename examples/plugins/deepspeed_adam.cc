/*
 * deepspeed_adam.cc — DeepSpeed's CPU Adam (microsoft/DeepSpeed,
 * csrc/adam/cpu_adam_impl.cpp) as an optbench plugin (optbench/plugin.h),
 * built against a DeepSpeed source tree the user points to with
 * DEEPSPEED_HOME (examples/plugins/plugins.mk; README "DeepSpeed's CPU
 * Adam").  No DeepSpeed code is copied here.
 *
 * C++, not C like the rest of optbench, only because DeepSpeed's API is
 * C++ (Adam_Optimizer, ds_adam_step with torch::Tensor arguments); the
 * plugin still exports the plain-C registration function.
 *
 * Two kernels, one per DeepSpeed mode:
 *   deepspeed.adamw  adamw_mode = 1 (decoupled decay), claims "adamw";
 *   deepspeed.adam   adamw_mode = 0 (L2 decay added to g), claims "adam".
 * Each honours lr, beta1, beta2, eps and weight_decay (DeepSpeed has no
 * AMSGrad: the third state array, max_exp_avg_sq, stays unused, as in
 * plain_adamw.c).  init creates a DeepSpeed optimizer (create_adam_optimizer
 * with its own id), free destroys it (destroy_adam_optimizer); every step
 * calls ds_adam_step, the entry DeepSpeedCPUAdam.step() reaches through
 * pybind ("adam_update"), with optbench's p, g, exp_avg and exp_avg_sq as
 * fp32 tensors (torch/extension.h here is a stand-in, see there) and
 * bias_correction on.  ds_adam_step is given optbench's t as its `step`:
 * DeepSpeed's IncrementStep then multiplies its fp32 beta^t by beta once
 * when t follows the previous call's, and recomputes it with std::pow
 * otherwise, so its bias corrections are those of step t either way.
 *
 * Threads: DeepSpeed splits the array with `#pragma omp parallel for`
 * inside Step_AVX/Step_1 (every size, no minimum chunk).  The kernel runs
 * the case's thread count (omp_set_num_threads around the call, restored
 * after it, so the host's OpenMP default is left alone); a case without
 * one runs OpenMP's default at load time, which desc.threads reports.
 *
 * Agreement with the double reference (README "Agreement bounds", |x32 -
 * x64| <= B u S, u = 2^-24), derived like plain_adamw.c's bound.  DeepSpeed
 * computes in fp32: the betas, 1 - beta (exact for beta >= 0.5), beta^t
 * (a running fp32 product), 1 - beta1^t, 1/sqrt(1 - beta2^t), -lr/bc1 and
 * -lr*wd; per element two fmas for m, a product and an fma for v,
 * sqrt*bc2 + eps as an fma, the quotient, the decay fma and the update
 * fma.  In units of u S:
 *   m:  3 + K1 (adam mode 5 + K1: the L2 term g + wd*p, an fma of rounded
 *       wd, adds 2 carried by S_m's wd|p|)
 *   v:  4 + K2 (adam mode 8 + K2: that term's error doubled by squaring)
 *   p:  max(m's, v's, 11 + e1_t + e2_t/2)
 * with K = (|fl(beta) - beta|/u) max(1/beta, 1/(1 - beta)) the cost of the
 * fp32 beta (4.0 for 0.9, 216 for 0.999), and e_t the relative error of
 * DeepSpeed's 1 - beta^t against the exact one, a fixed number for each
 * (beta, t) that the test computes by repeating DeepSpeed's arithmetic
 * (its running product, or its std::pow when t jumps; the larger is
 * taken).  11 counts the root, 1/sqrt(bc2) (its root and quotient), the
 * denominator's fma, eps's rounding, the quotient, lr's rounding, the
 * step size's quotient, the update fma and one for second-order terms;
 * the decoupled decay (lr, wd, their product, the fma) lands on |p| with
 * at most 4.  With torch's betas (0.9, 0.999) the largest is p at t = 3,
 * where the running product makes 1 - beta2^3 off by 445u relative:
 * B = 11 + 5.4/1 + 444.8/2 = 238.8 for both modes, declared rounded up as
 * DS_ADAM_BOUND.  Other betas need their own B (tests/test_deepspeed.c
 * computes it for each case it runs).
 */
#include <cstddef>
#include <cstdint>
#include <new>

#include <omp.h>

#include "cpu_adam.h" /* DeepSpeed's: $(DEEPSPEED_HOME)/csrc/includes */

#include "optbench/plugin.h"

/* The bound above for torch's betas (0.9, 0.999), every t, both modes;
 * tests/test_deepspeed.c recomputes it. */
#define DS_ADAM_BOUND 239.0

namespace {

struct ds_case {
    int id;
    int threads; /* > 0 */
};

/* DeepSpeed keeps its optimizers in a map by id: one id per open case. */
int next_id = 0;
/* OpenMP's default thread count when the plugin was loaded. */
int default_threads = 1;

/* desc.user: the adamw_mode of the kernel. */
int mode_adamw = 1, mode_adam = 0;

int ds_init(void **ctx, const ob_hparams *h, size_t n, int threads)
{
    (void)n; /* DeepSpeed keeps no per-element state of its own */
    const bool adamw_mode = *static_cast<int *>(*ctx) != 0;
    ds_case *c = new (std::nothrow) ds_case{next_id++, threads > 0 ? threads : default_threads};
    if (!c) return 1;
    try {
        create_adam_optimizer(c->id, (float)h->lr, (float)h->beta1, (float)h->beta2, (float)h->eps,
                              (float)h->weight_decay, adamw_mode, false);
    } catch (...) {
        delete c;
        return 2;
    }
    *ctx = c;
    return 0;
}

void ds_free(void *ctx)
{
    ds_case *c = static_cast<ds_case *>(ctx);
    destroy_adam_optimizer(c->id);
    delete c;
}

int ds_step(void *ctx, const ob_hparams *h, uint64_t t, size_t n, float *p, const float *g,
            void *const *state)
{
    ds_case *c = static_cast<ds_case *>(ctx);
    const int64_t len = (int64_t)n;
    /* DeepSpeed's signature takes g non-const; it only reads it (a write
     * would be caught by optbench's guarded steps). */
    torch::Tensor params(p, len, c10::ScalarType::Float), grads(const_cast<float *>(g), len, c10::ScalarType::Float),
        exp_avg(state[0], len, c10::ScalarType::Float), exp_avg_sq(state[1], len, c10::ScalarType::Float);
    const int host_threads = omp_get_max_threads();
    omp_set_num_threads(c->threads);
    int rc = 0;
    try {
        rc = ds_adam_step(c->id, (size_t)t, (float)h->lr, (float)h->beta1, (float)h->beta2, (float)h->eps,
                          (float)h->weight_decay, true, params, grads, exp_avg, exp_avg_sq);
    } catch (...) {
        rc = 3;
    }
    omp_set_num_threads(host_threads);
    return rc;
}

const char *const keys[] = {"lr", "beta1", "beta2", "eps", "weight_decay", nullptr};

int add(const ob_plugin_host *host, const char *name, const char *optimizer, int *mode)
{
    ob_plugin_kernel_desc d = {};
    d.name = name;
    d.optimizer = optimizer;
    d.hparams = keys;
    d.n_state = 3;
    d.step = ds_step;
    d.init = ds_init;
    d.free = ds_free;
    d.user = mode;
    d.threads = default_threads;
    d.agree_bound = DS_ADAM_BOUND;
    return ob_plugin_add(host, &d);
}

} // namespace

extern "C" int optbench_plugin_register(const ob_plugin_host *host)
{
    /* Built like DeepSpeed builds it, for the machine it runs on
     * (-march=native and its SIMD macro): refuse a CPU without the vector
     * instructions the step was compiled for, rather than die of SIGILL. */
#if defined(__AVX512__)
    if (!__builtin_cpu_supports("avx512f")) return 1;
#elif defined(__AVX256__)
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 1;
#endif
    default_threads = omp_get_max_threads();
    if (add(host, "deepspeed.adamw", "adamw", &mode_adamw) != 0) return 1;
    return add(host, "deepspeed.adam", "adam", &mode_adam);
}
