/*
 * sam.c — the SAM / ASAM ascent step for every optimizer: the generic
 * keys, the per-step scale and the threaded driver of the per-ISA
 * kernels (kernels/framework/ob_sam.h specifies the equations and the order).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "ob_reduce.h"
#include "ob_sam.h"
#include "kernels/ob_isa.h"

#define INF HUGE_VAL

const ob_hparam_spec ob_sam_hparams[] = {
    {"sam_rho", offsetof(ob_hparams, sam_rho), OB_HP_REAL, 0, 0, INF, 0, 1,
     "SAM radius: gradient taken at x + rho*g/(||g||+1e-12) (Foret et al. 2021; 0 = off; paper 0.05)"},
    {"sam_adaptive", offsetof(ob_hparams, sam_adaptive), OB_HP_BOOL, 0, 0, 1, 0, 0,
     "ASAM: x + rho*T^2 g/(||T g||+1e-12), T = diag(|x| + sam_eta) (Kwon et al. 2021; use rho ~0.5)"},
    {"sam_eta", offsetof(ob_hparams, sam_eta), OB_HP_REAL, 0.01, 0, INF, 1, 1,
     "ASAM's eta in T = diag(|x| + eta) (Kwon et al. 2021)"},
};
const size_t ob_sam_hparam_count = sizeof ob_sam_hparams / sizeof ob_sam_hparams[0];

ob_sam_perturb_fn ob_sam_perturb_kernel(ob_isa isa)
{
    const ob_isa_table *t = ob_isa_table_of(isa);
    return t ? t->sam_perturb : NULL;
}

ob_sam_tgsq_fn ob_sam_tgsq_kernel(ob_isa isa)
{
    const ob_isa_table *t = ob_isa_table_of(isa);
    return t ? t->sam_tgsq : NULL;
}

int ob_sam_active(const ob_hparams *h)
{
    return h->sam_rho > 0;
}

const char *ob_sam_label(double sam_rho, int sam_adaptive)
{
    return !(sam_rho > 0) ? "" : sam_adaptive ? "+asam" : "+sam";
}

double ob_sam_scale(double rho, double sumsq)
{
    return rho / (sqrt(sumsq) + OB_SAM_NORM_EPS);
}

typedef struct tgsq_ctx {
    ob_sam_tgsq_fn f;
    const float *x, *g;
    float eta;
} tgsq_ctx;

static double tgsq_block(const void *ctx, size_t lo, size_t len)
{
    const tgsq_ctx *c = ctx;
    return c->f(len, c->x + lo, c->g + lo, c->eta);
}

void ob_sam_prepare(ob_isa isa, const ob_hparams *h, size_t n, const float *x, const float *g, int threads,
                    ob_sam_scalars *s)
{
    s->adaptive = h->sam_adaptive != 0;
    s->eta = (float)h->sam_eta;
    double sumsq;
    if (s->adaptive) {
        const tgsq_ctx c = {ob_sam_tgsq_kernel(isa), x, g, s->eta};
        sumsq = ob_blocked_sum(n, tgsq_block, &c, threads);
    } else {
        sumsq = ob_sumsq(isa, n, g, threads);
    }
    /* Computed in double, rounded to fp32 once: every ISA gets these bits. */
    s->scale = (float)ob_sam_scale(h->sam_rho, sumsq);
}

static int keys_valid(const ob_hparams *h)
{
    return isfinite(h->sam_rho) && h->sam_rho >= 0 && isfinite(h->sam_eta) && h->sam_eta > 0;
}

int ob_sam_perturb(ob_isa isa, const ob_hparams *h, size_t n, const float *x, const float *g, float *xhat,
                   int threads)
{
    if (!ob_isa_supported(isa) || !keys_valid(h)) return -1;
    if (n == 0) return 0;
    if (!ob_sam_active(h)) {
        if (xhat != x) memcpy(xhat, x, n * sizeof *x);
        return 0;
    }
    ob_sam_scalars s;
    ob_sam_prepare(isa, h, n, x, g, threads, &s);
    const ob_sam_perturb_fn k = ob_sam_perturb_kernel(isa);
    /* Element-wise, so the chunks of ob_run_kernel_threaded give exactly
     * one call's result. */
    const size_t nt = (size_t)ob_thread_count(n, threads);
    const size_t chunk = ob_thread_chunk(n, nt);
#pragma omp parallel for num_threads((int)nt) schedule(static, 1) if (nt > 1)
    for (size_t c = 0; c < nt; c++) {
        const size_t lo = c * chunk;
        if (lo < n) k(n - lo < chunk ? n - lo : chunk, x + lo, g + lo, xhat + lo, &s);
    }
    return 0;
}
