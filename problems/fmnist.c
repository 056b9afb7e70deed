/*
 * fmnist.c — Fashion-MNIST (Xiao, Rasul & Vollgraf, arXiv:1708.07747, 2017)
 * problems: softmax regression as DeepOBS fmnist_logreg (Schneider, Balles
 * & Hennig, ICLR 2019, §3; weights and biases start at 0) and a 784-256-10
 * ReLU MLP, both with mean cross-entropy over mini-batches drawn from
 * (seed, t) and pixels scaled to [0, 1].  Matrix products go through CBLAS
 * (OpenBLAS).
 *
 * The data are the training files of Debian's dataset-fashion-mnist, in
 * LeCun's IDX format (http://yann.lecun.com/exdb/mnist/, "file formats"):
 * a big-endian header of magic 0x00000803 (unsigned bytes, 3 dimensions)
 * and the sizes N, 28, 28 for images, 0x00000801 and N for labels, then
 * the bytes.  Every header field, the byte count and the label range are
 * checked; gzip is read with zlib (plain files are read as well).
 *
 * Parameters: a vector of n doubles holds, layer by layer, W (out x in,
 * row-major) then b (out).  The MLP takes hidden=H (hidden width, 256 by
 * default), subset=N (only the first N training examples, all by
 * default) and dropout=p (inverted dropout on the hidden units of the
 * training mini-batches, 0 by default).  loss() is the mean cross-entropy over the first
 * `eval` training examples (all of them for the softmax regression by
 * default, 10000 for the MLP, whose full-data loss costs ~25 GFLOP).
 *
 * Held-out (ob_problem.heldout): the t10k test set (10000 examples, the
 * same package and format), when t10k-images-idx3-ubyte(.gz) and
 * t10k-labels-idx1-ubyte(.gz) are in the data folder (absent: not
 * offered; present but broken: an error like the training files'): the
 * mean cross-entropy and the accuracy, the prediction being the class of
 * the largest logit (the lowest such class on a tie).  It costs 1/6 of
 * the softmax regression's full training loss (every measured step) and
 * as much as the MLP's 10000-example loss (every 5th measured step).
 */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pb_internal.h"

#define FM_PIX 784
#define FM_CLASSES 10
#define FM_HIDDEN 256
#define FM_MAX_HIDDEN 4096
#define FM_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define FM_INSTALL \
    "install it with `apt-get install dataset-fashion-mnist`, or point data_dir / " \
    "OPTBENCH_FMNIST_DIR at a folder holding it"
#define FM_MAX_EXAMPLES 10000000u
#define FM_CHUNK 512 /* rows per BLAS call when evaluating the loss */

/* ---- IDX loader --------------------------------------------------------- */

static int read_exact(gzFile f, void *buf, size_t len, size_t *got)
{
    unsigned char *p = buf;
    *got = 0;
    while (*got < len) {
        size_t want = len - *got > (1u << 30) ? (1u << 30) : len - *got;
        int k = gzread(f, p + *got, (unsigned)want);
        if (k < 0) return -1;
        if (k == 0) break;
        *got += (size_t)k;
    }
    return 0;
}

/* Reads exactly len bytes of `what` ("header", "data") or fails with a
 * message naming the file: corrupt (zlib error) or truncated. */
static int read_part(gzFile f, const char *path, void *buf, size_t len, const char *what, char *err,
                     size_t errlen)
{
    size_t got;
    int zerr;
    if (read_exact(f, buf, len, &got) != 0)
        return ob_pb_fail(err, errlen,
                          "Fashion-MNIST file '%s' is corrupt (%s): reinstall "
                          "dataset-fashion-mnist",
                          path, gzerror(f, &zerr));
    if (got < len)
        return ob_pb_fail(err, errlen,
                          "Fashion-MNIST file '%s' is truncated: %zu of the %zu %s bytes "
                          "that the header promises; reinstall dataset-fashion-mnist",
                          path, got, len, what);
    return 0;
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads an IDX file of unsigned bytes with `ndims` dimensions: dims[0] =
 * count, dims[1..] must equal want[1..].  On success *data holds
 * dims[0] * prod(want[1..]) bytes. */
static int idx_load(const char *path, uint32_t ndims, const uint32_t *want, uint32_t *count,
                    unsigned char **data, char *err, size_t errlen)
{
    *data = NULL;
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        int e = errno;
        return ob_pb_fail(err, errlen, "Fashion-MNIST file '%s' cannot be opened (%s): %s", path,
                          e ? strerror(e) : "zlib error", FM_INSTALL);
    }
    unsigned char hdr[16];
    size_t hlen = 4 + 4 * (size_t)ndims, got;
    if (read_part(f, path, hdr, hlen, "header", err, errlen)) goto fail;
    uint32_t magic = be32(hdr), wmagic = 0x00000800u | ndims;
    if (magic != wmagic) {
        ob_pb_fail(err, errlen,
                   "Fashion-MNIST file '%s' is not an IDX file of %u-dimensional unsigned "
                   "bytes: magic number 0x%08x, expected 0x%08x",
                   path, (unsigned)ndims, (unsigned)magic, (unsigned)wmagic);
        goto fail;
    }
    *count = be32(hdr + 4);
    size_t per = 1;
    for (uint32_t i = 1; i < ndims; i++) {
        uint32_t d = be32(hdr + 4 + 4 * i);
        if (d != want[i]) {
            ob_pb_fail(err, errlen, "Fashion-MNIST file '%s': dimension %u is %u, expected %u", path,
                       (unsigned)i + 1, (unsigned)d, (unsigned)want[i]);
            goto fail;
        }
        per *= d;
    }
    if (*count == 0 || *count > FM_MAX_EXAMPLES) {
        ob_pb_fail(err, errlen, "Fashion-MNIST file '%s': implausible example count %u in the header", path,
                   (unsigned)*count);
        goto fail;
    }
    size_t bytes = (size_t)*count * per;
    *data = malloc(bytes);
    if (!*data) {
        ob_pb_fail(err, errlen, "Fashion-MNIST file '%s': out of memory for %zu bytes", path, bytes);
        goto fail;
    }
    if (read_part(f, path, *data, bytes, "data", err, errlen)) goto fail;
    unsigned char extra;
    if (read_exact(f, &extra, 1, &got) != 0 || got != 0) {
        ob_pb_fail(err, errlen,
                   "Fashion-MNIST file '%s' is longer than its header says (%zu data "
                   "bytes) or corrupt",
                   path, bytes);
        goto fail;
    }
    gzclose(f);
    return 0;
fail:
    free(*data);
    *data = NULL;
    gzclose(f);
    return -1;
}

/* Opens dir/name.gz, or dir/name if only the uncompressed file exists. */
static int fm_path(char *out, size_t outlen, const char *dir, const char *name, char *err, size_t errlen)
{
    char gz[4096];
    snprintf(gz, sizeof gz, "%s.gz", name);
    if (ob_pb_join_path(out, outlen, dir, gz, err, errlen)) return -1;
    FILE *f = fopen(out, "rb");
    if (f) {
        fclose(f);
        return 0;
    }
    char plain[4096];
    if (ob_pb_join_path(plain, sizeof plain, dir, name, err, errlen)) return -1;
    if ((f = fopen(plain, "rb"))) {
        fclose(f);
        return ob_pb_join_path(out, outlen, dir, name, err, errlen);
    }
    return 0; /* keep the .gz name: the loader's error names it */
}

typedef struct fm_set {
    uint32_t N;
    unsigned char *img; /* N x 784 */
    unsigned char *lab; /* N */
} fm_set;

static const char *fm_dir(const ob_problem_config *cfg)
{
    const char *dir = cfg->data_dir;
    if (!dir) dir = getenv("OPTBENCH_FMNIST_DIR");
    if (!dir || !*dir) dir = FM_DEFAULT_DIR;
    return dir;
}

/* The set `part` ("train" or "t10k") of the data folder. */
static int fm_load(const ob_problem_config *cfg, const char *part, fm_set *s, char *err, size_t errlen)
{
    const char *dir = fm_dir(cfg);
    char pi[4096], pl[4096], ni_name[64], nl_name[64];
    static const uint32_t wi[3] = {0, 28, 28}, wl[1] = {0};
    uint32_t ni = 0, nl = 0;
    s->img = s->lab = NULL;
    snprintf(ni_name, sizeof ni_name, "%s-images-idx3-ubyte", part);
    snprintf(nl_name, sizeof nl_name, "%s-labels-idx1-ubyte", part);
    if (fm_path(pi, sizeof pi, dir, ni_name, err, errlen) || fm_path(pl, sizeof pl, dir, nl_name, err, errlen) ||
        idx_load(pi, 3, wi, &ni, &s->img, err, errlen) || idx_load(pl, 1, wl, &nl, &s->lab, err, errlen))
        goto fail;
    if (ni != nl) {
        ob_pb_fail(err, errlen, "Fashion-MNIST: '%s' has %u images but '%s' has %u labels", pi, (unsigned)ni,
                   pl, (unsigned)nl);
        goto fail;
    }
    for (uint32_t i = 0; i < nl; i++)
        if (s->lab[i] >= FM_CLASSES) {
            ob_pb_fail(err, errlen, "Fashion-MNIST file '%s': label %u of example %u is not in 0..9", pl,
                       (unsigned)s->lab[i], (unsigned)i);
            goto fail;
        }
    s->N = ni;
    return 0;
fail:
    free(s->img);
    free(s->lab);
    s->img = s->lab = NULL;
    return -1;
}

/* ---- the network ------------------------------------------------------------ */

/* Dense layers dims[0] -> dims[1] -> ... -> dims[L]; ReLU between layers,
 * softmax cross-entropy at the end. */
typedef struct fm_net {
    int L;
    size_t dims[3];
    size_t off_W[2], off_b[2];
    fm_set data;
    fm_set test; /* t10k, img NULL when not there */
    ob_pb_sampler sampler;
    size_t eval_n;
    /* dropout= (the MLP only): the hidden units of a training mini-batch
     * are zeroed with probability dropout, the rest scaled by 1/(1 -
     * dropout) (inverted dropout, Srivastava et al., JMLR 15, 2014); the
     * masks come from (seed, OB_STREAM_NOISE, t).  drop_on is set only
     * inside eval(); loss() and the held-out set see the whole network. */
    double dropout;
    int drop_on;
    uint64_t drop_t;
    size_t rows;      /* capacity of the buffers below */
    double *act[3];   /* act[l]: rows x dims[l]; act[0] the input */
    double *delta[3]; /* delta[l]: rows x dims[l], l >= 1 */
} fm_net;

static void fm_input(const fm_net *net, const fm_set *set, const uint32_t *idx, size_t first, size_t rows)
{
    double *X = net->act[0];
    for (size_t r = 0; r < rows; r++) {
        size_t e = idx ? idx[r] : first + r;
        const unsigned char *p = set->img + e * FM_PIX;
        for (size_t j = 0; j < FM_PIX; j++) X[r * FM_PIX + j] = p[j] / 255.0;
    }
}

/* Forward pass on net->act[0] (rows x 784); returns the summed
 * cross-entropy and leaves softmax - onehot in delta[L] when want_delta. */
static double fm_forward(fm_net *net, const fm_set *set, const double *w, const uint32_t *idx, size_t first,
                         size_t rows, int want_delta)
{
    for (int l = 0; l < net->L; l++) {
        size_t in = net->dims[l], out = net->dims[l + 1];
        const double *W = w + net->off_W[l], *b = w + net->off_b[l];
        double *A = net->act[l + 1];
        for (size_t r = 0; r < rows; r++) memcpy(A + r * out, b, out * sizeof *A);
        /* A = A_prev W^T + b */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)out, (int)in, 1.0, net->act[l],
                    (int)in, W, (int)in, 1.0, A, (int)out);
        if (l + 1 < net->L)
            for (size_t i = 0; i < rows * out; i++) A[i] = A[i] > 0.0 ? A[i] : 0.0;
        if (l + 1 < net->L && net->drop_on) {
            ob_philox rng;
            ob_philox_init(&rng, net->sampler.seed, OB_STREAM_NOISE, net->drop_t);
            double scale = 1.0 / (1.0 - net->dropout);
            uint64_t thr = (uint64_t)(net->dropout * 4294967296.0);
            for (size_t i = 0; i < rows * out; i++) A[i] = ob_philox_u32(&rng) >= thr ? A[i] * scale : 0.0;
        }
    }
    const double *Z = net->act[net->L];
    double *D = net->delta[net->L], loss = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const double *z = Z + r * FM_CLASSES;
        size_t y = set->lab[idx ? idx[r] : first + r];
        double m = z[0], s = 0.0;
        for (size_t c = 1; c < FM_CLASSES; c++) m = z[c] > m ? z[c] : m;
        for (size_t c = 0; c < FM_CLASSES; c++) s += exp(z[c] - m);
        loss += m + log(s) - z[y];
        if (want_delta)
            for (size_t c = 0; c < FM_CLASSES; c++)
                D[r * FM_CLASSES + c] = exp(z[c] - m) / s - (c == y ? 1.0 : 0.0);
    }
    return loss;
}

/* Backward pass from delta[L] (already divided by the batch size). */
static void fm_backward(fm_net *net, const double *w, double *g, size_t rows)
{
    for (int l = net->L - 1; l >= 0; l--) {
        size_t in = net->dims[l], out = net->dims[l + 1];
        const double *D = net->delta[l + 1];
        /* dW = D^T A_prev (out x in), db = column sums of D */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)rows, 1.0, D, (int)out,
                    net->act[l], (int)in, 0.0, g + net->off_W[l], (int)in);
        double *db = g + net->off_b[l];
        memset(db, 0, out * sizeof *db);
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < out; j++) db[j] += D[r * out + j];
        if (l > 0) {
            /* delta_l = (D W) masked by ReLU'(A_l) */
            double *Dp = net->delta[l];
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)in, (int)out, 1.0, D,
                        (int)out, w + net->off_W[l], (int)in, 0.0, Dp, (int)in);
            const double *A = net->act[l];
            /* A > 0 exactly where the unit is active and kept; a kept
             * unit's output was scaled by 1/(1 - dropout). */
            double scale = net->drop_on ? 1.0 / (1.0 - net->dropout) : 1.0;
            for (size_t i = 0; i < rows * in; i++) Dp[i] = A[i] > 0.0 ? Dp[i] * scale : 0.0;
        }
    }
}

static double eval_fm(ob_problem *pb, const double *x, double *g, uint64_t t)
{
    fm_net *net = pb->data;
    const uint32_t *idx = ob_pb_sampler_batch(&net->sampler, t);
    size_t B = pb->batch;
    fm_input(net, &net->data, idx, 0, B);
    net->drop_on = net->dropout > 0.0;
    net->drop_t = t;
    double loss = fm_forward(net, &net->data, x, idx, 0, B, g != NULL);
    if (g) {
        double *D = net->delta[net->L];
        for (size_t i = 0; i < B * FM_CLASSES; i++) D[i] /= (double)B;
        fm_backward(net, x, g, B);
    }
    net->drop_on = 0;
    return loss / (double)B;
}

static double loss_fm(ob_problem *pb, const double *x, uint64_t t)
{
    (void)t;
    fm_net *net = pb->data;
    double loss = 0.0;
    for (size_t first = 0; first < net->eval_n; first += net->rows) {
        size_t rows = net->eval_n - first < net->rows ? net->eval_n - first : net->rows;
        fm_input(net, &net->data, NULL, first, rows);
        loss += fm_forward(net, &net->data, x, NULL, first, rows, 0);
    }
    return loss / (double)net->eval_n;
}

static void heldout_fm(ob_problem *pb, const double *x, double *loss, double *acc)
{
    fm_net *net = pb->data;
    const fm_set *t = &net->test;
    double sum = 0.0;
    size_t right = 0;
    for (size_t first = 0; first < t->N; first += net->rows) {
        size_t rows = t->N - first < net->rows ? t->N - first : net->rows;
        fm_input(net, t, NULL, first, rows);
        sum += fm_forward(net, t, x, NULL, first, rows, 0);
        const double *Z = net->act[net->L];
        for (size_t r = 0; r < rows; r++) {
            size_t best = 0;
            for (size_t c = 1; c < FM_CLASSES; c++)
                if (Z[r * FM_CLASSES + c] > Z[r * FM_CLASSES + best]) best = c;
            right += best == t->lab[first + r];
        }
    }
    *loss = sum / (double)t->N;
    *acc = (double)right / (double)t->N;
}

/* The t10k set when both its files are there (either name, .gz or not). */
static int fm_has_test(const ob_problem_config *cfg)
{
    static const char *const names[2] = {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int k = 0; k < 2; k++) {
        char p[4096], e[64];
        if (fm_path(p, sizeof p, fm_dir(cfg), names[k], e, sizeof e)) return 0;
        FILE *f = fopen(p, "rb");
        if (!f) return 0;
        fclose(f);
    }
    return 1;
}

static void destroy_fm(ob_problem *pb)
{
    if (pb && pb->data) {
        fm_net *net = pb->data;
        for (int l = 0; l <= net->L; l++) {
            free(net->act[l]);
            free(net->delta[l]);
        }
        free(net->data.img);
        free(net->data.lab);
        free(net->test.img);
        free(net->test.lab);
        ob_pb_sampler_free(&net->sampler);
    }
    ob_pb_destroy_free(pb);
}

static int create_fm(const ob_problem_spec *spec, const ob_problem_config *cfg, int hidden,
                     double eval_default, ob_problem **out, char *err, size_t errlen)
{
    /* hidden, subset and dropout (the MLP only) for the scaled-down network
     * of repro kingma_mlp; their defaults are the catalog's problem. */
    static const ob_pb_param_def defs[] = {{"eval", OB_PB_INT, 0, 0, FM_MAX_EXAMPLES, NULL},
                                           {"hidden", OB_PB_INT, FM_HIDDEN, 1, FM_MAX_HIDDEN, NULL},
                                           {"subset", OB_PB_INT, 0, 0, FM_MAX_EXAMPLES, NULL},
                                           {"dropout", OB_PB_REAL, 0, 0, 0.9, NULL}};
    ob_pb_param_val v[4];
    size_t n, batch;
    *out = NULL;
    cfg = ob_pb_cfg(cfg);
    if (ob_pb_configure(spec, cfg, 1, defs, hidden ? 4 : 1, v, &n, &batch, err, errlen)) return -1;
    size_t width = hidden && v[1].given ? (size_t)v[1].num : FM_HIDDEN;
    if (hidden) n = FM_PIX * width + width + width * FM_CLASSES + FM_CLASSES;
    ob_problem *pb = ob_pb_new(spec, cfg, n, err, errlen);
    fm_net *net = calloc(1, sizeof *net);
    if (!pb || !net) {
        free(net);
        ob_pb_free(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory", spec->name);
    }
    pb->data = net;
    pb->destroy = destroy_fm;
    net->L = hidden ? 2 : 1;
    net->dims[0] = FM_PIX;
    net->dims[1] = hidden ? width : FM_CLASSES;
    net->dims[2] = FM_CLASSES;
    size_t off = 0;
    for (int l = 0; l < net->L; l++) {
        net->off_W[l] = off;
        off += net->dims[l] * net->dims[l + 1];
        net->off_b[l] = off;
        off += net->dims[l + 1];
    }
    /* off == n: the spec's default_n, or the width's n computed above */
    if (fm_load(cfg, "train", &net->data, err, errlen) ||
        (fm_has_test(cfg) && fm_load(cfg, "t10k", &net->test, err, errlen))) {
        ob_pb_set_why(cfg, OB_PROBLEM_EDATA);
        destroy_fm(pb);
        return -1;
    }
    /* subset = N: the first N training examples are the whole data set
     * (mini-batches and the reported loss). */
    if (hidden && v[2].given && v[2].num > 0) {
        if ((size_t)v[2].num > net->data.N) {
            /* The message first: destroy_fm frees net (and may free v). */
            ob_pb_fail(err, errlen, "problem '%s': subset = %.0f is larger than its %u examples", spec->name,
                       v[2].num, (unsigned)net->data.N);
            destroy_fm(pb);
            return -1;
        }
        net->data.N = (uint32_t)v[2].num;
    }
    if (ob_pb_check_batch(spec, batch, net->data.N, err, errlen)) {
        destroy_fm(pb);
        return -1;
    }
    double ev = v[0].given ? v[0].num : eval_default;
    net->eval_n = ev > 0 && ev < net->data.N ? (size_t)ev : net->data.N;
    net->rows = batch > FM_CHUNK ? batch : FM_CHUNK;
    net->dropout = hidden && v[3].given ? v[3].num : 0.0;
    int oom = ob_pb_sampler_init(&net->sampler, pb->seed, OB_STREAM_BATCH, net->data.N, batch);
    for (int l = 0; l <= net->L; l++) {
        net->act[l] = malloc(net->rows * net->dims[l] * sizeof(double));
        net->delta[l] = malloc(net->rows * net->dims[l] * sizeof(double));
        oom |= !net->act[l] || !net->delta[l];
    }
    if (oom) {
        destroy_fm(pb);
        return ob_pb_fail(err, errlen, "problem '%s': out of memory", spec->name);
    }
    /* x0: softmax regression starts at 0 (DeepOBS _logreg: constant(0.0)
     * initialisers); the MLP as torch.nn.Linear's reset_parameters, W and b
     * ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from (seed, X0 stream). */
    if (hidden) {
        ob_philox rng;
        ob_philox_init(&rng, pb->seed, OB_STREAM_X0, 0);
        for (int l = 0; l < net->L; l++) {
            double bound = 1.0 / sqrt((double)net->dims[l]);
            size_t end = net->off_b[l] + net->dims[l + 1];
            for (size_t i = net->off_W[l]; i < end; i++)
                pb->x0[i] = bound * (2.0 * ob_philox_uniform(&rng) - 1.0);
        }
    }
    pb->batch = batch;
    pb->eval = eval_fm;
    pb->loss = loss_fm;
    if (net->test.img) {
        pb->heldout = heldout_fm;
        pb->heldout_every = hidden ? 5 : 1;
    }
    return ob_pb_done(pb, out);
}

static int create_fmnist_logreg(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out,
                                char *err, size_t errlen)
{
    return create_fm(spec, cfg, 0, 0, out, err, errlen);
}

static int create_fmnist_mlp(const ob_problem_spec *spec, const ob_problem_config *cfg, ob_problem **out,
                             char *err, size_t errlen)
{
    return create_fm(spec, cfg, 1, 10000, out, err, errlen);
}

const ob_problem_spec ob_spec_fmnist_logreg = {
    "fmnist_logreg",
    "Fashion-MNIST softmax regression (784 -> 10), as DeepOBS fmnist_logreg",
    "Schneider, Balles & Hennig, DeepOBS, ICLR 2019, §3 (fmnist_logreg); Xiao et al., "
    "arXiv:1708.07747",
    "ml",
    FM_PIX *FM_CLASSES + FM_CLASSES,
    0,
    FM_PIX *FM_CLASSES + FM_CLASSES,
    1,
    128,
    "eval=0 (examples in the reported loss; 0: all)",
    1e-3,
    500,
    create_fmnist_logreg};

const ob_problem_spec ob_spec_fmnist_mlp = {
    "fmnist_mlp",
    "Fashion-MNIST MLP 784-256-10, ReLU, softmax cross-entropy",
    "Xiao, Rasul & Vollgraf, Fashion-MNIST, arXiv:1708.07747, 2017 (data); init as torch.nn.Linear",
    "ml",
    FM_PIX *FM_HIDDEN + FM_HIDDEN + FM_HIDDEN *FM_CLASSES + FM_CLASSES,
    0,
    FM_PIX *FM_HIDDEN + FM_HIDDEN + FM_HIDDEN *FM_CLASSES + FM_CLASSES,
    1,
    128,
    "eval=10000 (examples in the reported loss; 0: all), hidden=256 (hidden units; n = 795 hidden + 10), "
    "subset=0 (train on the first N examples only; 0: all), dropout=0 (hidden units dropped in training "
    "mini-batches)",
    1e-3,
    300,
    create_fmnist_mlp};
