/*
 * ob_hparams.h — hyperparameters shared by the kernels, the reference and the
 * harness.  Pure C, no dependencies.
 *
 * One struct holds every hyperparameter any optimizer knows; each optimizer's
 * entry in the variant table (ob_optimizers.h) lists which fields it reads,
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
    int amsgrad;   /* bool */
    int nesterov;  /* bool */
    int centered;  /* bool */
    /* Not a torch option: which weight decay the Adam family applies.
     * 0 = L2 (Adam: g <- g + wd*p), 1 = decoupled (AdamW: p <- p*(1 - lr*wd)).
     * Set by the optimizer's defaults, never by the user. */
    int decoupled_wd;
} ob_hparams;

#ifdef __cplusplus
}
#endif
#endif
