/*
 * optbench/hparams.h — hyperparameters shared by the kernels, the reference and the
 * harness.  Pure C, no dependencies.
 *
 * One struct holds every hyperparameter any optimizer knows; each optimizer's
 * entry in the variant table (optbench/optimizers.h) lists which fields it reads,
 * with their torch.optim default and valid range.  Key names follow
 * torch.optim exactly (betas are split into beta1/beta2).
 */
#ifndef OB_HPARAMS_H
#define OB_HPARAMS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ob_hparams {
    double lr;
    double beta1;
    double beta2;
    double eps;
    double weight_decay;
    double momentum;
    double dampening;
    double alpha;
    double lr_decay;
    double initial_accumulator_value;
    double momentum_decay; /* NAdam: psi in mu_t = beta1 (1 - 0.5 * 0.96^(t psi)) */
    /* Gradient clipping, a generic option of every optimizer (not part of
     * any optimizer's own key list; kernels/framework/ob_reduce.h).  0 = off.
     * clip_norm: torch.nn.utils.clip_grad_norm_(max_norm=clip_norm);
     * clip_value: torch.nn.utils.clip_grad_value_(clip_value). */
    double clip_norm;
    double clip_value;
    /* Sharpness-aware minimization, a generic option of every optimizer
     * (kernels/framework/ob_sam.h): the step's gradient is taken at x + eps_hat, the
     * ascent step of Foret et al. 2021, Alg. 1 (sam_adaptive: ASAM, Kwon
     * et al. 2021, with T = diag(|x| + sam_eta)).  sam_rho = 0: off. */
    double sam_rho;
    double sam_eta;
    int sam_adaptive; /* bool */
    int amsgrad;      /* bool */
    int nesterov;     /* bool */
    int centered;     /* bool */
    /* Which weight decay the Adam family applies: 0 = L2 (Adam:
     * g <- g + wd*p), 1 = decoupled (AdamW: p <- p*(1 - lr*wd)).  Fixed by
     * the defaults of adam/adamw; NAdam and RAdam expose it as torch's
     * `decoupled_weight_decay` key. */
    int decoupled_wd;
} ob_hparams;

#ifdef __cplusplus
}
#endif
#endif
