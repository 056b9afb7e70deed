/*
 * ob_test_opt.h — optimizer fixtures shared by the kernel suites: the
 * hyperparameter configurations that toggle every option, and state
 * buffers shaped by the variant table.
 */
#ifndef OB_TEST_OPT_H
#define OB_TEST_OPT_H

#include "../../kernels/ob_optimizers.h"
#include "ob_test.h"

/* Number of option combinations for o: every hyperparameter either at its
 * default or at a non-default "toggle" value, 2^n_hparams in all.  Some
 * combinations are invalid (e.g. nesterov without momentum); the caller
 * checks with ob_validate. */
size_t ob_test_config_count(const ob_optimizer *o);
/* Fills h with combination `idx` and returns 0, or -1 if it is invalid. */
int ob_test_config(const ob_optimizer *o, size_t idx, ob_hparams *h);
/* Short description of a combination, e.g. "adam{amsgrad=1,weight_decay=0.1}". */
void ob_test_config_name(const ob_optimizer *o, const ob_hparams *h, char *buf, size_t len);

/* Whether state array k holds non-negative values (v, sums of squares),
 * so random fills keep them >= 0 as a real run would. */
int ob_test_state_nonneg(const ob_optimizer *o, size_t k);

#endif
