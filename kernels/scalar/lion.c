/*
 * Lion ("EvoLved Sign Momentum") — fp32 scalar.
 *
 * Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"
 * (NeurIPS 2023, arXiv:2302.06675), Algorithm 2 (with decoupled weight
 * decay).  torch has no Lion class; the paper's Alg. 2 reads
 *   c = beta1*m + (1-beta1)*g
 *   p = p - lr*(sign(c) + wd*p)
 *   m = beta2*m + (1-beta2)*g
 * and, like the authors' PyTorch code (google/automl lion_pytorch.py) and
 * AdamW, the decay is applied as a factor first: p = p*(1 - lr*wd), then
 * p = p - lr*sign(c).  Defaults beta1 = 0.9, beta2 = 0.99 (paper), lr = 1e-4
 * and weight_decay = 0 (authors' code).
 *
 * sign: +1 for c > 0, -1 for c < 0, +0 for c = +-0 (so p is unchanged:
 * fma(-lr, +0, p) = p, also for p = -0), and NaN for NaN: a NaN c makes p
 * the default quiet NaN (+0x7fc00000).  torch.sign(NaN) is 0 (pytorch
 * issue #41245), which would hide a NaN gradient; we propagate it.  The
 * sign is computed as (c > 0) - (c < 0) in {-1, 0, 1} and the NaN is
 * selected afterwards, so the FMA never sees two NaNs (whose result bits
 * depend on the operand order the compiler picks) and the NaN written is
 * the same bits in every ISA.
 *
 * fp32 operation order (identical in every ISA):
 *   p = p * decay_factor [decoupled];  c = fma(1-beta1, g, beta1*m);
 *   s = (c > 0) - (c < 0);  p = c is NaN ? NaN : fma(-lr, s, p);
 *   m = fma(1-beta2, g, beta2*m)
 */
#include "kernels/ob_kernels.h"
#include "kernels/ob_mutant.h"
#include "scalar_ops.h"

OB_INLINE void lion_body(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                         const ob_step_scalars *s, const int decoupled)
{
    const float decay = s->decay_factor, neg_lr = -s->lr;
    const float b1 = s->beta1, omb1 = s->one_minus_beta1;
    const float b2 = s->beta2, omb2 = s->one_minus_beta2;
    for (size_t i = 0; i < OB_MUTANT_ELEMENTS(n); i++) {
        float pi = p[i];
        if (decoupled) pi = pi * decay;
        const float gi = g[i], mi = m[i];
        const float c = fmaf(omb1, gi, b1 * mi);
        const float sg = (float)((c > 0.0f) - (c < 0.0f));
        const float pn = fmaf(neg_lr, sg, pi);
        p[i] = c != c ? NAN : pn;
        m[i] = fmaf(omb2, gi, b2 * mi);
    }
}

void ob_lion_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    if (s->decoupled) lion_body(n, p, g, state[0], s, 1);
    else lion_body(n, p, g, state[0], s, 0);
}
