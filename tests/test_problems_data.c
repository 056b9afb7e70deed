/*
 * test_problems_data.c — the data-set problems: the IDX loader behind the
 * Fashion-MNIST entries and the LIBSVM reader behind heart_logreg, on
 * small files the tests write themselves (gzip via zlib into a temporary
 * folder passed as cfg.data_dir / file=), including missing, truncated and
 * corrupt files, which must give a clear error naming the file and what to
 * install, never a crash.  The real packaged files are checked too when
 * they are installed (skipped otherwise).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/problems_testutil.h"

#define FM_REAL_DIR "/usr/share/datasets/fashion-mnist"
#define HEART_REAL "/usr/share/doc/liblinear-tools/examples/heart_scale"

static int fm_create(const char *name, const char *dir, size_t batch, ob_problem **pb, char *err,
                     size_t errlen)
{
    ob_problem_config cfg = {.seed = pt_seed(), .data_dir = dir, .batch = batch};
    *pb = NULL;
    return ob_problem_create(name, &cfg, pb, err, errlen);
}

/* Writes images/labels with the given headers; payload sizes follow the
 * headers unless trunc_* >= 0 (bytes kept, header included). */
static void write_set(const char *dir, uint32_t magic_i, const uint32_t di[3], uint32_t magic_l, uint32_t nl,
                      long trunc_i, long trunc_l, unsigned char label_max)
{
    size_t bi = (size_t)di[0] * di[1] * di[2];
    unsigned char *img = calloc(bi ? bi : 1, 1), *lab = calloc(nl ? nl : 1, 1);
    for (size_t i = 0; i < bi; i++) img[i] = (unsigned char)(i * 7);
    for (uint32_t i = 0; i < nl; i++) lab[i] = (unsigned char)(i % (label_max + 1u));
    char p[512];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
    cr_assert(pt_write_idx(p, magic_i, di, 3, img, bi, trunc_i) == 0);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", dir);
    uint32_t dl[1] = {nl};
    cr_assert(pt_write_idx(p, magic_l, dl, 1, lab, nl, trunc_l) == 0);
    free(img);
    free(lab);
}

static void expect_error(const char *dir, const char *what, const char *need1, const char *need2)
{
    ob_problem *pb;
    char err[1024] = "";
    int rc = fm_create("fmnist_logreg", dir, 0, &pb, err, sizeof err);
    cr_expect(rc == -1 && pb == NULL, "%s: accepted", what);
    cr_expect(strstr(err, need1) && (!need2 || strstr(err, need2)), "%s: message '%s' lacks '%s' / '%s'",
              what, err, need1, need2 ? need2 : "");
}

Test(fmnist, small_generated_set_loads_and_evaluates)
{
    const char *dir = pt_tmpdir();
    cr_assert(pt_write_fmnist(dir, 300, pt_seed()) == 0);
    ob_problem *pb;
    char err[512];
    cr_assert(fm_create("fmnist_logreg", dir, 0, &pb, err, sizeof err) == 0, "%s", err);
    cr_expect(pb->n == 7850 && pb->batch == 128);
    /* Zero weights: uniform softmax, loss log 10 on any batch and the
     * whole set. */
    cr_expect(fabs(pb->loss(pb, pb->x0, 1) - log(10.0)) < 1e-14);
    cr_expect(fabs(pb->eval(pb, pb->x0, NULL, 3) - log(10.0)) < 1e-14);
    /* The gradient of the bias at 0 is mean(softmax - onehot) = 0.1 - freq. */
    double *g = malloc(pb->n * sizeof *g);
    pb->eval(pb, pb->x0, g, 1);
    double sb = 0.0;
    for (int c = 0; c < 10; c++) sb += g[7840 + c];
    cr_expect(fabs(sb) < 1e-15, "bias gradients sum to %g", sb);
    free(g);
    ob_problem_destroy(pb);
    /* The MLP: 203530 parameters; eval= limits the reported loss. */
    const char *ps[1] = {"eval=100"};
    ob_problem_config cfg = {.seed = pt_seed(), .data_dir = dir, .params = ps, .n_params = 1};
    cr_assert(ob_problem_create("fmnist_mlp", &cfg, &pb, err, sizeof err) == 0, "%s", err);
    cr_expect(pb->n == 784 * 256 + 256 + 2560 + 10);
    double f = pb->loss(pb, pb->x0, 1);
    cr_expect(isfinite(f) && f > 1.0 && f < 5.0, "MLP initial loss %g", f);
    /* torch.nn.Linear's initialisation bound 1/sqrt(784) for layer 1. */
    double m = 0.0;
    for (size_t i = 0; i < 784 * 256; i++) m = fmax(m, fabs(pb->x0[i]));
    cr_expect(m <= 1.0 / 28.0 && m > 0.9 / 28.0, "max |W1| = %g", m);
    ob_problem_destroy(pb);
    /* A batch larger than the data set is refused. */
    cr_expect(fm_create("fmnist_logreg", dir, 301, &pb, err, sizeof err) == -1 && strstr(err, "301"), "%s",
              err);
}

Test(fmnist, missing_package_names_what_to_install)
{
    const char *dir = pt_tmpdir();
    char sub[600];
    snprintf(sub, sizeof sub, "%s/nothing-here", dir);
    expect_error(sub, "missing files", "nothing-here/train-images-idx3-ubyte.gz",
                 "apt-get install dataset-fashion-mnist");
}

Test(fmnist, bad_headers_are_errors)
{
    static const struct {
        const char *what;
        uint32_t magic_i, dims[3], magic_l, nl;
        unsigned char label_max;
        const char *need1, *need2;
    } cases[] = {
        {"image magic",
         0x801,
         {50, 28, 28},
         0x801,
         50,
         9,
         "train-images-idx3-ubyte.gz",
         "magic number 0x00000801"},
        {"label magic", 0x803, {50, 28, 28}, 0x803, 50, 9, "train-labels-idx1-ubyte.gz", "magic"},
        {"27 rows", 0x803, {50, 27, 28}, 0x801, 50, 9, "dimension 2 is 27", "expected 28"},
        {"count mismatch", 0x803, {50, 28, 28}, 0x801, 49, 9, "50 images", "49 labels"},
        {"label 10", 0x803, {50, 28, 28}, 0x801, 50, 10, "label 10", "not in 0..9"},
        {"no examples", 0x803, {0, 28, 28}, 0x801, 0, 9, "implausible example count 0", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *dir = pt_tmpdir();
        write_set(dir, cases[i].magic_i, cases[i].dims, cases[i].magic_l, cases[i].nl, -1, -1,
                  cases[i].label_max);
        expect_error(dir, cases[i].what, cases[i].need1, cases[i].need2);
    }
}

Test(fmnist, truncated_and_corrupt_files_are_errors)
{
    const uint32_t ok[3] = {50, 28, 28};
    const char *d1 = pt_tmpdir();
    write_set(d1, 0x803, ok, 0x801, 50, 16 + 50 * 784 - 100, -1, 9);
    expect_error(d1, "truncated images", "train-images-idx3-ubyte.gz", "truncated");
    const char *d2 = pt_tmpdir();
    write_set(d2, 0x803, ok, 0x801, 50, 10, -1, 9);
    expect_error(d2, "truncated header", "header", "truncated");
    const char *d3 = pt_tmpdir();
    write_set(d3, 0x803, ok, 0x801, 50, -1, 8 + 20, 9);
    expect_error(d3, "truncated labels", "train-labels-idx1-ubyte.gz", "truncated");
    /* Longer than the header says. */
    const char *d4 = pt_tmpdir();
    const uint32_t fewer[3] = {49, 28, 28};
    write_set(d4, 0x803, ok, 0x801, 50, -1, -1, 9);
    char p[512];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", d4);
    unsigned char *img = calloc(50 * 784, 1);
    cr_assert(pt_write_idx(p, 0x803, fewer, 3, img, 50 * 784, -1) == 0);
    free(img);
    expect_error(d4, "trailing bytes", "longer than its header", NULL);
    /* A gzip stream that breaks off / is damaged in the middle. */
    const char *d5 = pt_tmpdir();
    write_set(d5, 0x803, ok, 0x801, 50, -1, -1, 9);
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", d5);
    FILE *f = fopen(p, "r+b");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    for (long off = 20; off < len - 8; off += 7) {
        fseek(f, off, SEEK_SET);
        fputc(0xA5, f);
    }
    fclose(f);
    expect_error(d5, "corrupt gzip", "train-images-idx3-ubyte.gz", "reinstall");
    /* Uncompressed IDX files (no .gz) are read too. */
    const char *d6 = pt_tmpdir();
    write_set(d6, 0x803, ok, 0x801, 50, -1, -1, 9);
    char q[1600];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", d6);
    snprintf(q, sizeof q, "gzip -dc '%s' > '%s/train-images-idx3-ubyte' && rm '%s'", p, d6, p);
    cr_assert(system(q) == 0);
    ob_problem *pb;
    char err[512];
    cr_expect(fm_create("fmnist_logreg", d6, 10, &pb, err, sizeof err) == 0, "%s", err);
    ob_problem_destroy(pb);
}

Test(fmnist, real_package_when_installed)
{
    if (access(FM_REAL_DIR "/train-images-idx3-ubyte.gz", R_OK) != 0)
        cr_skip_test("dataset-fashion-mnist is not installed");
    ob_problem *pb;
    char err[512];
    cr_assert(fm_create("fmnist_logreg", FM_REAL_DIR, 0, &pb, err, sizeof err) == 0, "%s", err);
    cr_expect(fabs(pb->loss(pb, pb->x0, 1) - log(10.0)) < 1e-12);
    /* Bias gradient at 0 over a batch is 0.1 - class frequency; summed over
     * 60000 / 128 = 468 batches (one epoch less the 96 dropped) the class
     * frequencies are 1/10 within the drop. */
    double *g = malloc(pb->n * sizeof *g), sb[10] = {0};
    for (uint64_t t = 1; t <= 468; t++) {
        pb->eval(pb, pb->x0, g, t);
        for (int c = 0; c < 10; c++) sb[c] += g[7840 + c] / 468.0;
    }
    for (int c = 0; c < 10; c++)
        cr_expect(fabs(sb[c]) < 96.0 / 59904.0, "class %d: mean bias gradient %g", c, sb[c]);
    free(g);
    ob_problem_destroy(pb);
}

/* ---- heart_scale ---------------------------------------------------------- */

static int heart_create(const char *file, const char *extra, ob_problem **pb, char *err, size_t errlen)
{
    char fp[700];
    snprintf(fp, sizeof fp, "file=%s", file);
    const char *ps[2] = {fp, extra};
    ob_problem_config cfg = {.params = ps, .n_params = extra ? 2 : 1};
    *pb = NULL;
    return ob_problem_create("heart_logreg", &cfg, pb, err, errlen);
}

Test(heart, parses_libsvm_plain_and_gzipped)
{
    const char *dir = pt_tmpdir();
    /* 4 examples, hand-checkable: at x = 0 the loss is log 2. */
    const char *text = "+1 1:0.5 3:-1 13:1\n-1 2:1\n\n+1 1:-0.25 2:0.5\n-1 13:-1 \n";
    char p[600], pz[600];
    snprintf(p, sizeof p, "%s/h.txt", dir);
    snprintf(pz, sizeof pz, "%s/h.txt.gz", dir);
    cr_assert(pt_write_text(p, text, 0) == 0 && pt_write_text(pz, text, 1) == 0);
    ob_problem *a, *b;
    char err[512];
    cr_assert(heart_create(p, NULL, &a, err, sizeof err) == 0, "%s", err);
    cr_assert(heart_create(pz, NULL, &b, err, sizeof err) == 0, "%s", err);
    cr_expect(a->n == 14 && !a->spec->stochastic);
    double x[14] = {0}, ga[14], gb[14];
    cr_expect(fabs(a->eval(a, x, ga, 1) - log(2.0)) < 1e-15);
    b->eval(b, x, gb, 1);
    cr_expect(memcmp(ga, gb, sizeof ga) == 0, "gzip and plain differ");
    /* grad at 0 = mean(-y a / 2): w1 = -(0.5 - 0.25)/8, bias = -(1-1+1-1)/8 = 0. */
    cr_expect(fabs(ga[0] + 0.25 / 8) < 1e-16 && ga[13] == 0.0, "%g %g", ga[0], ga[13]);
    cr_expect(fabs(ga[12] + (1.0 + 1.0) / 8) < 1e-16, "w13 %g", ga[12]);
    ob_problem_destroy(a);
    ob_problem_destroy(b);
}

Test(heart, malformed_files_are_errors)
{
    static const struct {
        const char *text, *need;
    } bad[] = {
        {"+1 1:0.5\n2 1:0.1\n", "line 2: the label must be +1 or -1"},
        {"+1 2:0.5 1:0.1\n", "increasing idx"},
        {"+1 14:0.5\n", "increasing idx in 1..13"},
        {"+1 3:\n", "no finite value"},
        {"+1 3:nan\n", "no finite value"},
        {"+1 x:1\n", "line 1"},
        {"\n\n", "no examples"},
    };
    const char *dir = pt_tmpdir();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/bad%zu", dir, i);
        cr_assert(pt_write_text(p, bad[i].text, 0) == 0);
        ob_problem *pb;
        char err[512] = "";
        cr_expect(heart_create(p, NULL, &pb, err, sizeof err) == -1 && pb == NULL, "case %zu accepted", i);
        cr_expect(strstr(err, bad[i].need) && strstr(err, p), "case %zu: '%s' lacks '%s'", i, err,
                  bad[i].need);
    }
    ob_problem *pb;
    char err[512] = "";
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none", dir);
    cr_expect(heart_create(missing, NULL, &pb, err, sizeof err) == -1);
    cr_expect(strstr(err, missing) && strstr(err, "apt-get install liblinear-tools"), "%s", err);
    /* Separable data: no finite minimiser, so no f*. */
    char sep[600];
    snprintf(sep, sizeof sep, "%s/sep", dir);
    cr_assert(pt_write_text(sep, "+1 1:1\n-1 1:-1\n+1 1:0.5\n", 0) == 0);
    cr_assert(heart_create(sep, NULL, &pb, err, sizeof err) == 0, "%s", err);
    cr_expect(!pb->has_fstar && pb->xstar == NULL);
    ob_problem_destroy(pb);
    /* ... but with a ridge there is one. */
    cr_assert(heart_create(sep, "l2=0.1", &pb, err, sizeof err) == 0, "%s", err);
    cr_expect(pb->has_fstar && pb->xstar != NULL);
    ob_problem_destroy(pb);
}

Test(heart, real_file_when_installed)
{
    if (access(HEART_REAL, R_OK) != 0) cr_skip_test("liblinear-tools is not installed");
    ob_problem *pb;
    char err[512];
    cr_assert(heart_create(HEART_REAL, NULL, &pb, err, sizeof err) == 0, "%s", err);
    /* Not separable: Newton finds a finite minimiser with zero gradient. */
    cr_assert(pb->has_fstar && pb->xstar);
    double g[14];
    pb->eval(pb, pb->xstar, g, 1);
    for (int j = 0; j < 14; j++) cr_expect(fabs(g[j]) < 1e-12, "grad f(x*)[%d] = %g", j, g[j]);
    cr_expect(pb->fstar > 0.2 && pb->fstar < log(2.0), "f* = %g", pb->fstar);
    ob_problem_destroy(pb);
}

/* fmnist_mlp's hidden=, subset= and dropout= (the scaled-down network of
 * repro kingma_mlp): n = 795 H + 10, the gradient of each width (and with
 * dropout) against finite differences (h = 1e-6 as the catalog test takes
 * for the ReLU network), subset=N the same as the first N examples,
 * dropout only in the mini-batch loss, bad values refused. */
Test(fmnist, mlp_width_and_subset)
{
    const char *dir = pt_tmpdir();
    cr_assert(pt_write_fmnist(dir, 300, pt_seed()) == 0);
    char err[512];
    static const char *const widths[4] = {"hidden=1", "hidden=8", "hidden=64", "hidden=64"};
    static const size_t H[4] = {1, 8, 64, 64};
    pt_rng r;
    pt_rng_init(&r, pt_seed() ^ 0x3d1);
    for (int w = 0; w < 4; w++) {
        /* The last: with dropout, whose mask is fixed by (seed, t). */
        const char *ps[3] = {widths[w], "eval=0", "dropout=0.5"};
        ob_problem_config cfg = {.seed = pt_seed(), .data_dir = dir, .params = ps, .n_params = w == 3 ? 3 : 2};
        ob_problem *pb = NULL;
        cr_assert(ob_problem_create("fmnist_mlp", &cfg, &pb, err, sizeof err) == 0, "%s", err);
        cr_expect(pb->n == 795 * H[w] + 10, "%s: n = %zu", widths[w], pb->n);
        double *x = malloc(pb->n * sizeof *x);
        for (int k = 0; k < 3; k++) {
            for (size_t i = 0; i < pb->n; i++) x[i] = pb->x0[i] + (k ? 0.01 * (2.0 * pt_uniform(&r) - 1.0) : 0.0);
            size_t where;
            double e = pt_grad_check(pb, x, 1 + (uint64_t)k, 1e-6, 24, &r, &where);
            cr_expect(e <= 1e-6, "%s: gradient vs finite differences: relative error %.3g at coordinate %zu",
                      widths[w], e, where);
        }
        free(x);
        ob_problem_destroy(pb);
    }
    /* subset=200 with the whole-subset loss is the loss on the first 200. */
    const char *pa[2] = {"hidden=8", "subset=200"}, *pb_[2] = {"hidden=8", "eval=200"};
    ob_problem_config ca = {.seed = pt_seed(), .data_dir = dir, .params = pa, .n_params = 2},
                      cb = {.seed = pt_seed(), .data_dir = dir, .params = pb_, .n_params = 2};
    ob_problem *a = NULL, *b = NULL;
    cr_assert(ob_problem_create("fmnist_mlp", &ca, &a, err, sizeof err) == 0, "%s", err);
    cr_assert(ob_problem_create("fmnist_mlp", &cb, &b, err, sizeof err) == 0, "%s", err);
    cr_expect(a->loss(a, a->x0, 1) == b->loss(b, b->x0, 1), "subset=200 and eval=200 differ");
    ob_problem_destroy(a);
    /* Dropout changes the mini-batch loss, not loss(). */
    const char *pd[3] = {"hidden=8", "eval=200", "dropout=0.5"};
    ob_problem_config cd = {.seed = pt_seed(), .data_dir = dir, .params = pd, .n_params = 3};
    cr_assert(ob_problem_create("fmnist_mlp", &cd, &a, err, sizeof err) == 0, "%s", err);
    cr_expect(a->loss(a, a->x0, 1) == b->loss(b, b->x0, 1), "dropout changed loss()");
    cr_expect(a->eval(a, a->x0, NULL, 1) != b->eval(b, b->x0, NULL, 1), "dropout left the mini-batch loss");
    ob_problem_destroy(a);
    ob_problem_destroy(b);
    /* Refused: a subset beyond the data, one below the batch, a width of
     * 0, the keys on the softmax regression, a dropout of 1. */
    static const char *const bad[5] = {"subset=301", "subset=100", "hidden=0", "hidden=8", "dropout=1"};
    static const char *const name[5] = {"fmnist_mlp", "fmnist_mlp", "fmnist_mlp", "fmnist_logreg", "fmnist_mlp"};
    for (int i = 0; i < 5; i++) {
        const char *ps[1] = {bad[i]};
        ob_problem_config cfg = {.seed = pt_seed(), .data_dir = dir, .params = ps, .n_params = 1,
                                 .batch = i == 1 ? 128 : 0};
        ob_problem *pb = NULL;
        cr_expect(ob_problem_create(name[i], &cfg, &pb, err, sizeof err) == -1 && !pb, "%s %s accepted",
                  name[i], bad[i]);
    }
}
