/*
 * Gradient clipping for the references (ref_clip.h) and the reference sum
 * of squares.
 *
 * torch.nn.utils.clip_grad_norm_ (norm_type = 2):
 *   total_norm = ||g||_2;  clip_coef = max_norm / (total_norm + 1e-6);
 *   g <- g * clamp(clip_coef, max = 1)
 * torch.nn.utils.clip_grad_value_:  g <- clamp(g, -clip_value, clip_value)
 */
#include "optbench/reference.h"
#include "ref_clip.h"

/* Sum of x[i]^2 with error-free transformations (Ogita, Rump & Oishi 2005,
 * "Accurate sum and dot product", Alg. Dot2: TwoProduct by fma, TwoSum),
 * so the result is as accurate as if computed in twice the working
 * precision: relative error about 2^-53 + n^2 2^-106.  Inf and NaN give
 * the plain sum (Inf or NaN). */
double ob_ref_sumsq(size_t n, const double *x)
{
    double s = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        const double h = x[i] * x[i], r = fma(x[i], x[i], -h);
        const double t = s + h, z = t - s;
        c += ((s - (t - z)) + (h - z)) + r;
        s = t;
    }
    return isfinite(s) ? s + c : s;
}

void ob_ref_clip_prepare(const ob_hparams *h, size_t n, const double *g, ref_clip *c)
{
    c->norm = h->clip_norm > 0;
    c->value = h->clip_value > 0;
    c->coef = 1;
    c->lim = h->clip_value;
    c->kappa = c->value ? 2 : 1;
    c->eta = 0;
    if (!c->norm) return;
    const double norm = sqrt(ob_ref_sumsq(n, g));
    const double coef = h->clip_norm / (norm + 1e-6);
    c->coef = coef < 1 || isnan(coef) ? coef : 1;
    /* The fp32 path's norm is a double sum in the fixed 16-lane, blocked
     * order (kernels/framework/ob_reduce.h): relative error <= K 2^-53 with
     * K = elements per lane per block + 4 tree levels + blocks; the root,
     * the + 1e-6 and the division add 2^-53 each, and the root halves the
     * sum's error.  In units of u = 2^-24: */
    const double block = 65536, lanes = 16;
    const double per_block = n < block ? (double)n : block;
    const double K = ceil(per_block / lanes) + 4 + ceil((double)n / block);
    const double e_norm = (K / 2 + 3) * 0x1p-29;
    c->kappa = 3 + e_norm;
    c->eta = OB_ETA;
}
