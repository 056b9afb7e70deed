/*
 * problems_testutil.c — see problems_testutil.h.
 */
#include "problems_testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

uint64_t pt_seed(void)
{
    const char *s = getenv("OPTBENCH_SEED");
    if (s && *s) return strtoull(s, NULL, 0);
    return 20240611u;
}

void pt_rng_init(pt_rng *r, uint64_t seed)
{
    r->s = seed;
}

static uint64_t splitmix64(pt_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double pt_uniform(pt_rng *r)
{
    return (double)(splitmix64(r) >> 11) * 0x1p-53;
}

/* 5-point central difference of f along v at x, step h. */
static double fd_dir(ob_problem *pb, const double *x, const double *v, double h, uint64_t t, double *tmp)
{
    static const double k[4] = {-2, -1, 1, 2}, w[4] = {1, -8, 8, -1};
    double s = 0.0;
    for (int q = 0; q < 4; q++) {
        for (size_t i = 0; i < pb->n; i++) tmp[i] = x[i] + k[q] * h * v[i];
        s += w[q] * pb->eval(pb, tmp, NULL, t);
    }
    return s / (12.0 * h);
}

double pt_grad_check(ob_problem *pb, const double *x, uint64_t t, double h, size_t coords, pt_rng *r,
                     size_t *where)
{
    size_t n = pb->n;
    double *g = malloc(n * sizeof *g), *v = calloc(n, sizeof *v), *tmp = malloc(n * sizeof *tmp);
    pb->eval(pb, x, g, t);
    double gmax = 0.0, g2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        gmax = fmax(gmax, fabs(g[i]));
        g2 += g[i] * g[i];
    }
    double worst = 0.0;
    *where = 0;
    int all = n <= 64;
    size_t m = all ? n : coords;
    for (size_t c = 0; c < m; c++) {
        size_t i = all ? c : (size_t)(pt_uniform(r) * (double)n);
        v[i] = 1.0;
        double hi = h * fmax(1.0, fabs(x[i]));
        double d = fd_dir(pb, x, v, hi, t, tmp);
        v[i] = 0.0;
        double e = fabs(d - g[i]) / (gmax > 0 ? gmax : 1.0);
        if (e > worst) {
            worst = e;
            *where = i;
        }
    }
    if (!all) {
        for (int dir = 0; dir < 2; dir++) {
            double v2 = 0.0, gv = 0.0, xmax = 0.0;
            for (size_t i = 0; i < n; i++) {
                v[i] = 2.0 * pt_uniform(r) - 1.0;
                v2 += v[i] * v[i];
                gv += g[i] * v[i];
                xmax = fmax(xmax, fabs(x[i]));
            }
            double d = fd_dir(pb, x, v, h * fmax(1.0, xmax) / sqrt(v2), t, tmp);
            double den = sqrt(g2 * v2);
            double e = fabs(d - gv) / (den > 0 ? den : 1.0);
            if (e > worst) {
                worst = e;
                *where = n;
            }
        }
    }
    free(g);
    free(v);
    free(tmp);
    return worst;
}

/* Folders made by pt_tmpdir, removed at exit (they hold plain files only). */
static char tmpdirs[64][64];
static int ntmpdirs;

static void remove_tmpdirs(void)
{
    for (int i = 0; i < ntmpdirs; i++) {
        DIR *d = opendir(tmpdirs[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                char p[4400];
                snprintf(p, sizeof p, "%s/%s", tmpdirs[i], e->d_name);
                unlink(p);
            }
        }
        if (d) closedir(d);
        rmdir(tmpdirs[i]);
    }
    ntmpdirs = 0;
}

const char *pt_tmpdir(void)
{
    if (ntmpdirs == 64) return NULL;
    char *path = tmpdirs[ntmpdirs];
    snprintf(path, sizeof tmpdirs[0], "/tmp/optbench-problems-XXXXXX");
    if (!mkdtemp(path)) return NULL;
    if (ntmpdirs++ == 0) atexit(remove_tmpdirs);
    return path;
}

static void be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

int pt_write_idx(const char *path, uint32_t magic, const uint32_t *dims, int ndims,
                 const unsigned char *payload, size_t bytes, long truncate)
{
    gzFile f = gzopen(path, "wb");
    if (!f) return -1;
    unsigned char hdr[4 + 4 * 4];
    be32(hdr, magic);
    for (int i = 0; i < ndims; i++) be32(hdr + 4 + 4 * i, dims[i]);
    size_t hl = 4 + 4 * (size_t)ndims, total = hl + bytes;
    size_t keep = truncate >= 0 && (size_t)truncate < total ? (size_t)truncate : total;
    int ok = 1;
    size_t hk = keep < hl ? keep : hl;
    ok &= gzwrite(f, hdr, (unsigned)hk) == (int)hk;
    if (keep > hl && bytes) ok &= gzwrite(f, payload, (unsigned)(keep - hl)) == (int)(keep - hl);
    return gzclose(f) == Z_OK && ok ? 0 : -1;
}

int pt_write_fmnist(const char *dir, uint32_t count, uint64_t seed)
{
    size_t bytes = (size_t)count * 784;
    unsigned char *img = malloc(bytes), *lab = malloc(count);
    pt_rng r;
    pt_rng_init(&r, seed);
    for (size_t i = 0; i < bytes; i++) img[i] = (unsigned char)(pt_uniform(&r) * 256.0);
    for (uint32_t i = 0; i < count; i++) lab[i] = (unsigned char)(pt_uniform(&r) * 10.0);
    char p[512];
    uint32_t di[3] = {count, 28, 28}, dl[1] = {count};
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
    int rc = pt_write_idx(p, 0x803, di, 3, img, bytes, -1);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte.gz", dir);
    rc |= pt_write_idx(p, 0x801, dl, 1, lab, count, -1);
    free(img);
    free(lab);
    return rc;
}

int pt_write_text(const char *path, const char *text, int gz)
{
    size_t len = strlen(text);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        if (!f) return -1;
        int ok = gzwrite(f, text, (unsigned)len) == (int)len;
        return gzclose(f) == Z_OK && ok ? 0 : -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(text, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* 40 examples, 13 features, labels from a noisy linear rule, so the data
 * are not separable and the optimum is finite. */
static int write_heart_like(const char *path, uint64_t seed)
{
    pt_rng r;
    pt_rng_init(&r, seed);
    char *text = malloc(65536);
    size_t len = 0;
    for (int i = 0; i < 40; i++) {
        double a[13], z = 0.0;
        for (int j = 0; j < 13; j++) {
            a[j] = 2.0 * pt_uniform(&r) - 1.0;
            z += (j % 3 - 1) * a[j];
        }
        int y = pt_uniform(&r) < 1.0 / (1.0 + exp(-z)) ? 1 : -1;
        len += (size_t)snprintf(text + len, 65536 - len, "%+d", y);
        for (int j = 0; j < 13; j++)
            if (j % 5 != 4) /* some features absent, as in sparse format */
                len += (size_t)snprintf(text + len, 65536 - len, " %d:%.6f", j + 1, a[j]);
        len += (size_t)snprintf(text + len, 65536 - len, "\n");
    }
    int rc = pt_write_text(path, text, 0);
    free(text);
    return rc;
}

void pt_config_for(const char *name, const char *dir, pt_config *pc)
{
    memset(pc, 0, sizeof *pc);
    pc->cfg.seed = pt_seed();
    if (strncmp(name, "fmnist_", 7) == 0 && dir) {
        /* 300 examples: two mini-batches of 128 per epoch. */
        pt_write_fmnist(dir, 300, pt_seed());
        pc->cfg.data_dir = dir;
    } else if (strcmp(name, "heart_logreg") == 0 && dir) {
        snprintf(pc->path, sizeof pc->path, "file=%s/heart_like", dir);
        write_heart_like(pc->path + 5, pt_seed());
        pc->param[0] = pc->path;
        pc->cfg.params = pc->param;
        pc->cfg.n_params = 1;
    }
}
