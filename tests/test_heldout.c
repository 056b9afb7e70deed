/*
 * test_heldout.c — held-out loss and accuracy (ob_problem.heldout, README
 * "Monitoring") on tiny data whose values follow by hand: a Fashion-MNIST
 * t10k set of five examples, a four-example heart_scale file split by
 * holdout=2, sparse_logreg's held-out examples from the same generator
 * (its training examples unchanged), and the columns `optbench run`
 * writes (empty where a problem offers none).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/ob_cli.h"
#include "common/ob_test_proc.h"
#include "common/problems_testutil.h"

#define CLOSE(a, b) (fabs((a) - (b)) <= 1e-14 * (1 + fabs(b)))

/* A t10k set of five examples (all-zero images) with labels 3, 3, 1, 0, 3
 * beside a generated training set. */
static const char *fmnist_with_test(int with_test)
{
    const char *dir = pt_tmpdir();
    cr_assert(dir && pt_write_fmnist(dir, 300, pt_seed()) == 0);
    if (!with_test) return dir;
    unsigned char img[5 * 784] = {0}, lab[5] = {3, 3, 1, 0, 3};
    uint32_t di[3] = {5, 28, 28}, dl[1] = {5};
    char p[512];
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte.gz", dir);
    cr_assert(pt_write_idx(p, 0x803, di, 3, img, sizeof img, -1) == 0);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", dir);
    cr_assert(pt_write_idx(p, 0x801, dl, 1, lab, sizeof lab, -1) == 0);
    return dir;
}

static ob_problem *create(const char *name, const char *dir, const char *param)
{
    ob_problem_config cfg = {.seed = pt_seed(), .data_dir = dir};
    const char *ps[1] = {param};
    cfg.params = ps;
    cfg.n_params = param ? 1 : 0;
    ob_problem *pb = NULL;
    char err[1024];
    cr_assert_eq(ob_problem_create(name, &cfg, &pb, err, sizeof err), 0, "%s: %s", name, err);
    return pb;
}

Test(heldout, fmnist_t10k_by_hand)
{
    const char *dir = fmnist_with_test(1);
    ob_problem *pb = create("fmnist_logreg", dir, NULL);
    cr_assert_not_null(pb->heldout, "the t10k files are there");
    cr_assert_eq(pb->heldout_every, 1);
    double *x = calloc(pb->n, sizeof *x), loss, acc;
    /* x = 0: equal logits, loss log 10; the tie goes to class 0: 1 of 5. */
    pb->heldout(pb, x, &loss, &acc);
    cr_assert(CLOSE(loss, log(10.0)) && acc == 0.2, "loss %.17g acc %g", loss, acc);
    /* Bias 1 on class 3 (the images are zero, so the logits are the
     * biases): label 3 costs log(9 + e) - 1, the others log(9 + e); class
     * 3 is predicted, right for 3 of 5. */
    x[7840 + 3] = 1;
    pb->heldout(pb, x, &loss, &acc);
    const double want = (5 * log(9 + exp(1.0)) - 3) / 5;
    cr_assert(CLOSE(loss, want) && acc == 0.6, "loss %.17g (want %.17g) acc %g", loss, want, acc);
    free(x);
    ob_problem_destroy(pb);
    /* The MLP evaluates it every 5th measured step. */
    pb = create("fmnist_mlp", dir, "eval=100");
    cr_assert(pb->heldout && pb->heldout_every == 5);
    ob_problem_destroy(pb);
    /* Without the t10k files: not offered. */
    pb = create("fmnist_logreg", fmnist_with_test(0), NULL);
    cr_assert_null(pb->heldout);
    ob_problem_destroy(pb);
}

Test(heldout, fmnist_broken_t10k_is_a_data_error)
{
    const char *dir = fmnist_with_test(1);
    char p[512];
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", dir);
    uint32_t dl[1] = {5};
    unsigned char lab[5] = {0};
    cr_assert(pt_write_idx(p, 0x801, dl, 1, lab, sizeof lab, 9) == 0); /* truncated */
    ob_problem_error why;
    ob_problem_config cfg = {.seed = pt_seed(), .data_dir = dir, .why = &why};
    ob_problem *pb = NULL;
    char err[1024];
    cr_assert_eq(ob_problem_create("fmnist_logreg", &cfg, &pb, err, sizeof err), -1);
    cr_assert(why == OB_PROBLEM_EDATA && strstr(err, "t10k-labels-idx1-ubyte.gz") && strstr(err, "truncated"),
              "%s", err);
}

/* Four examples; holdout=2 holds out the 2nd and 4th (both -1). */
static const char heart4[] = "+1 1:0.5\n-1 1:-0.5\n+1 2:1\n-1 2:1\n";

Test(heldout, heart_holdout_by_hand)
{
    char path[600], param[700];
    snprintf(path, sizeof path, "%s/heart4", pt_tmpdir());
    cr_assert_eq(pt_write_text(path, heart4, 0), 0);
    snprintf(param, sizeof param, "file=%s", path);
    ob_problem_config cfg = {.seed = pt_seed()};
    const char *ps[2] = {param, "holdout=2"};
    cfg.params = ps;
    cfg.n_params = 2;
    ob_problem *pb = NULL;
    char err[1024];
    cr_assert_eq(ob_problem_create("heart_logreg", &cfg, &pb, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(pb->heldout);
    double x[14] = {0}, loss, acc;
    /* x = 0: log 2 each; z = 0 predicts +1, wrong for both. */
    pb->heldout(pb, x, &loss, &acc);
    cr_assert(CLOSE(loss, log(2.0)) && acc == 0, "loss %.17g acc %g", loss, acc);
    /* b = -1: z = -1 for both, right; log(1 + e^-1) each.  The objective
     * keeps examples 1 and 3 (both +1): log(1 + e) each. */
    x[13] = -1;
    pb->heldout(pb, x, &loss, &acc);
    cr_assert(CLOSE(loss, log1p(exp(-1.0))) && acc == 1, "loss %.17g acc %g", loss, acc);
    cr_assert(CLOSE(pb->eval(pb, x, NULL, 1), log1p(exp(1.0))), "the training examples: %.17g",
              pb->eval(pb, x, NULL, 1));
    ob_problem_destroy(pb);
    /* holdout=0 (the default) keeps the problem as published: no held-out. */
    cfg.n_params = 1;
    cr_assert_eq(ob_problem_create("heart_logreg", &cfg, &pb, err, sizeof err), 0, "%s", err);
    cr_assert_null(pb->heldout);
    cr_assert(CLOSE(pb->eval(pb, x, NULL, 1), (2 * log1p(exp(1.0)) + 2 * log1p(exp(-1.0))) / 4));
    ob_problem_destroy(pb);
    /* holdout=1 would leave nothing to train on. */
    ps[1] = "holdout=1";
    cfg.n_params = 2;
    cr_assert_eq(ob_problem_create("heart_logreg", &cfg, &pb, err, sizeof err), -1);
    cr_assert(strstr(err, "holdout=1"), "%s", err);
}

Test(heldout, sparse_heldout_leaves_the_training_data_alone)
{
    ob_problem *a = create("sparse_logreg", NULL, "heldout=0"), *b = create("sparse_logreg", NULL, NULL);
    cr_assert_null(a->heldout);
    cr_assert_not_null(b->heldout);
    double *x = calloc(b->n, sizeof *x), *g = calloc(b->n, sizeof *g), *g2 = calloc(b->n, sizeof *g2);
    for (size_t i = 0; i < b->n; i++) x[i] = sin((double)i);
    double fa = a->eval(a, x, g, 7), fb = b->eval(b, x, g2, 7);
    cr_assert(memcmp(&fa, &fb, sizeof fa) == 0 && memcmp(g, g2, b->n * sizeof *g) == 0,
              "heldout= changed a mini-batch");
    fa = a->loss(a, x, 0);
    fb = b->loss(b, x, 0);
    cr_assert(memcmp(&fa, &fb, sizeof fa) == 0, "heldout= changed the training loss");
    double loss, acc;
    memset(x, 0, b->n * sizeof *x);
    b->heldout(b, x, &loss, &acc);
    /* log 2 per example, summed over 2000 of them. */
    cr_assert(fabs(loss - log(2.0)) < 1e-12 && acc > 0 && acc < 1, "loss %.17g acc %g", loss, acc);
    free(x);
    free(g);
    free(g2);
    ob_problem_destroy(a);
    ob_problem_destroy(b);
}

Test(heldout, run_writes_the_columns, .timeout = 60)
{
    char dir[] = "/tmp/ob-heldout-XXXXXX", path[600], param[700], csv[700], why[600];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/heart4", dir);
    cr_assert_eq(pt_write_text(path, heart4, 0), 0);
    snprintf(param, sizeof param, "file=%s", path);
    char *out, *err;
    int rc = ob_cli_capture((const char *const[]){"optbench", "run", "--problem", "heart_logreg,quad_diag", "--opt",
                                                  "sgd", "--param", param, "--param", "holdout=2", "--steps", "3",
                                                  "--isa", "scalar", "--quiet", "--out", dir, NULL},
                            &out, &err);
    /* quad_diag has no file= or holdout=: run it on its own below. */
    cr_assert_eq(rc, 2, "%s", err);
    free(out);
    free(err);
    rc = ob_cli_capture((const char *const[]){"optbench", "run", "--problem", "heart_logreg", "--opt", "sgd",
                                              "--param", param, "--param", "holdout=2", "--steps", "3", "--isa",
                                              "scalar", "--quiet", "--out", dir, NULL},
                        &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(out);
    free(err);
    snprintf(csv, sizeof csv, "%s/latest/cases/heart_logreg.sgd.csv", dir);
    /* %.9g in the CSV. */
    cr_assert(fabs(ob_tp_csv_value(csv, 0, "heldout_loss", why, sizeof why) - log(2.0)) < 1e-9, "%s", why);
    cr_assert_eq(ob_tp_csv_value(csv, 0, "heldout_acc", why, sizeof why), 0);
    for (uint64_t t = 1; t <= 3; t++)
        cr_assert(isfinite(ob_tp_csv_value(csv, t, "heldout_loss", why, sizeof why)), "step %llu: %s",
                  (unsigned long long)t, why);
    rc = ob_cli_capture((const char *const[]){"optbench", "run", "--problem", "quad_diag", "--opt", "sgd", "--steps",
                                              "2", "--isa", "scalar", "--quiet", "--out", dir, NULL},
                        &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(out);
    free(err);
    snprintf(csv, sizeof csv, "%s/latest/cases/quad_diag.sgd.csv", dir);
    size_t len;
    char *text = ob_tp_slurp(csv, &len);
    cr_assert(text && strstr(text, ",clipped,heldout_loss,heldout_acc\n") && strstr(text, ",0,,\n"),
              "quad_diag offers no held-out data: empty cells\n%.400s", text);
    free(text);
    char cmd[80];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
