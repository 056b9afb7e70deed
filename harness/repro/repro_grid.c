/*
 * repro_grid.c — learning-rate x weight-decay grids on Fashion-MNIST, shared
 * by lh_heatmap (Loshchilov & Hutter 2019, Fig. 2) and lion_lr_wd (Chen et
 * al. 2023, §3.2 and §5).
 *
 * Weight decay only pays off where a model can overfit, and softmax
 * regression on all 60000 training images barely does.  So the training set
 * here is small: fmnist_logreg's own mini-batches t = 1..K (batch B,
 * seed 0), cycled, which is K * B images drawn from the training files
 * (with replacement: a few repeat), and every run is scored on the 10000
 * test images, which it never trains on.  The test images come through
 * the same catalog problem: its loader reads the files named
 * train-*-ubyte(.gz) in its data folder, so a folder of links with those
 * names pointing at the t10k files serves the test set with the catalog's
 * checks and loss, unchanged (the links are removed once it has loaded).
 *
 * The grids run on the fp64 reference (like the tuning of repro_ml.c);
 * the best cell of each grid then runs on every path, which checks the
 * kernels on the same setting.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cblas.h>

#include "optbench/problems.h"
#include "ob_repro.h"
#include "repro_internal.h"
#include "harness/core/ob_core.h"

#define FG_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

/* Links <dir>/train-{images,labels}-... to the data folder's t10k files
 * (gzip or plain, whichever is there). */
static int link_test_set(const char *data_dir, const char *dir, char *why, size_t len)
{
    if (ob_mkdirs(dir, why, len) != 0) return -1;
    static const char *const kind[2][2] = {{"images-idx3-ubyte", "labels-idx1-ubyte"}};
    for (int k = 0; k < 2; k++) {
        const char *suffix[2] = {".gz", ""};
        int done = 0;
        for (int s = 0; s < 2 && !done; s++) {
            char src[4096], dst[4400];
            snprintf(src, sizeof src, "%s/t10k-%s%s", data_dir, kind[0][k], suffix[s]);
            if (access(src, R_OK) != 0) continue;
            /* The link lives in another folder: its target must be absolute. */
            char *abs = realpath(src, NULL);
            if (!abs) continue;
            snprintf(src, sizeof src, "%s", abs);
            free(abs);
            snprintf(dst, sizeof dst, "%s/train-%s%s", dir, kind[0][k], suffix[s]);
            unlink(dst);
            if (symlink(src, dst) != 0) {
                snprintf(why, len, "cannot link %s to %s: %s", dst, src, strerror(errno));
                return -1;
            }
            done = 1;
        }
        if (!done) {
            snprintf(why, len, "the Fashion-MNIST test file t10k-%s(.gz) is not in %s", kind[0][k], data_dir);
            return -1;
        }
    }
    return 0;
}

int ob_repro_fmgrid_open(const ob_repro_opts *op, const char *stem, size_t batch, uint64_t batches,
                         ob_repro_fmgrid *g, char *why, size_t len)
{
    memset(g, 0, sizeof *g);
    g->batches = batches;
    const char *dir = op->data_dir;
    if (!dir) dir = getenv("OPTBENCH_FMNIST_DIR");
    if (!dir || !*dir) dir = FG_DEFAULT_DIR;
    ob_problem_config cfg = {.seed = 0, .batch = batch, .data_dir = op->data_dir};
    if (ob_problem_create("fmnist_logreg", &cfg, &g->train, why, len) != 0) return -1;
    char tdir[4200];
    snprintf(tdir, sizeof tdir, "%s/%s_testset", op->repro_dir, stem);
    if (link_test_set(dir, tdir, why, len) != 0) {
        ob_repro_fmgrid_close(g);
        return -1;
    }
    const char *params[1] = {"eval=0"};
    ob_problem_config tcfg = {.seed = 0, .batch = 128, .params = params, .n_params = 1, .data_dir = tdir};
    int rc = ob_problem_create("fmnist_logreg", &tcfg, &g->test, why, len);
    /* The problem holds the images in memory: the links are not kept in
     * the run folder. */
    static const char *const names[] = {"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte",
                                        "train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", tdir, names[i]);
        unlink(path);
    }
    rmdir(tdir);
    if (rc != 0) {
        ob_repro_fmgrid_close(g);
        return -1;
    }
    g->loss0 = g->test->loss(g->test, g->test->x0, 0);
    return 0;
}

void ob_repro_fmgrid_close(ob_repro_fmgrid *g)
{
    ob_problem_destroy(g->train);
    ob_problem_destroy(g->test);
    g->train = g->test = NULL;
}

int ob_repro_fmgrid_begin(const ob_repro_opts *op, const char *stem, size_t batch, uint64_t batches,
                          uint64_t steps, ob_repro_fmgrid *g, ob_schedule *sched, int *blas_threads,
                          char *why, size_t whylen, char *err, size_t errlen)
{
    if (ob_repro_fmgrid_open(op, stem, batch, batches, g, why, whylen) != 0) return 1;
    char tmax[64];
    snprintf(tmax, sizeof tmax, "T_max=%llu", (unsigned long long)steps);
    const char *sets[1] = {tmax};
    if (ob_schedule_parse("cosine", sets, 1, sched, err, errlen) != 0) {
        ob_repro_fmgrid_close(g);
        return -1;
    }
    *blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    return 0;
}

void ob_repro_fmgrid_end(ob_repro_fmgrid *g, int blas_threads)
{
    openblas_set_num_threads(blas_threads);
    ob_repro_fmgrid_close(g);
}

/* The training objective: mini-batch ((t - 1) mod K) + 1 of the problem. */
static double fg_eval(void *ctx, const double *x, double *grad, uint64_t t)
{
    ob_repro_fmgrid *g = ctx;
    return g->train->eval(g->train, x, grad, (t - 1) % g->batches + 1);
}

typedef struct fg_obs {
    ob_repro_fmgrid *g;
    uint64_t steps;
    double *loss;
    double lead;
} fg_obs;

static void fg_observe(void *ctx, const ob_repro_step *s)
{
    fg_obs *o = ctx;
    if (s->t != o->steps) return;
    /* The test loss costs ~100 steps: an fp32 path bit-identical to the
     * lead reuses the lead's value. */
    double l = s->same_as_lead ? o->lead : o->g->test->loss(o->g->test, s->x, 0);
    if (s->path != OB_REPRO_REF && !s->same_as_lead) o->lead = l;
    o->loss[s->path] = l;
}

int ob_repro_fmgrid_cell(ob_repro_fmgrid *g, const ob_optimizer *opt, const ob_hparams *h,
                         const ob_schedule *sched, uint64_t steps, unsigned paths,
                         double test_loss[OB_REPRO_MAX_PATHS], ob_repro_kernels *k, char *err, size_t errlen)
{
    for (int p = 0; p < OB_REPRO_MAX_PATHS; p++) test_loss[p] = NAN;
    fg_obs o = {g, steps, test_loss, NAN};
    ob_repro_traj_cfg c;
    ob_repro_traj_init(&c, paths, opt, steps, fg_observe, &o);
    c.h = *h;
    c.sched = sched;
    c.agree_dense = 50;
    ob_repro_objective obj = {.n = g->train->n, .x0 = g->train->x0, .eval = fg_eval, .ctx = g};
    return ob_repro_traj(&obj, &c, k, err, errlen);
}

/* ---- the fit -------------------------------------------------------------------------- */

void ob_repro_grid_fit_of(const ob_repro_grid *g, double good, ob_repro_grid_fit *f)
{
    memset(f, 0, sizeof *f);
    if (g->n_lr > OB_REPRO_GRID_MAX || g->n_wd > OB_REPRO_GRID_MAX) {
        f->best = f->slope = f->corr = NAN; /* not a grid: nothing fitted */
        return;
    }
    f->best = NAN;
    f->slope = f->corr = NAN;
    double rowmin[OB_REPRO_GRID_MAX];
    size_t rowarg[OB_REPRO_GRID_MAX];
    for (size_t i = 0; i < g->n_lr; i++) {
        rowmin[i] = NAN;
        rowarg[i] = 0;
        for (size_t j = 0; j < g->n_wd; j++) {
            double s = g->score[i][j];
            if (isfinite(s) && !(s >= rowmin[i])) {
                rowmin[i] = s;
                rowarg[i] = j;
            }
        }
        if (isfinite(rowmin[i]) && !(rowmin[i] >= f->best)) {
            f->best = rowmin[i];
            f->best_i = i;
            f->best_j = rowarg[i];
        }
    }
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < g->n_lr; i++) {
        f->best_wd[i] = NAN;
        if (!isfinite(rowmin[i]) || !(rowmin[i] <= f->best * (1 + good))) continue;
        size_t j = rowarg[i];
        if (j == 0 || j + 1 >= g->n_wd || !isfinite(g->score[i][j - 1]) || !isfinite(g->score[i][j + 1])) {
            f->row_state[i] = -1;
            f->rows_edge++;
            continue;
        }
        /* Vertex of the parabola through three equally spaced log points. */
        double a = g->score[i][j - 1], b = g->score[i][j], c = g->score[i][j + 1];
        double den = a - 2 * b + c, off = den > 0 ? 0.5 * (a - c) / den : 0;
        if (off > 0.5) off = 0.5;
        if (off < -0.5) off = -0.5;
        double step = log10(g->wd[j + 1] / g->wd[j]);
        double y = log10(g->wd[j]) + off * step, x = log10(g->lr[i]);
        f->best_wd[i] = pow(10.0, y);
        f->row_state[i] = 1;
        f->rows_used++;
        sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
    }
    double n = (double)f->rows_used;
    if (f->rows_used >= 2) {
        double vx = sxx - sx * sx / n, vy = syy - sy * sy / n, cxy = sxy - sx * sy / n;
        f->slope = cxy / vx;
        f->corr = vy > 0 ? cxy / sqrt(vx * vy) : 0;
    }
}

double ob_repro_grid_best_along(const ob_repro_grid *g, int axis, int *edge)
{
    size_t n = axis ? g->n_wd : g->n_lr, m = axis ? g->n_lr : g->n_wd;
    if (n > OB_REPRO_GRID_MAX || m > OB_REPRO_GRID_MAX) {
        *edge = 1;
        return NAN;
    }
    const double *v = axis ? g->wd : g->lr;
    double prof[OB_REPRO_GRID_MAX];
    size_t arg = 0;
    for (size_t a = 0; a < n; a++) {
        prof[a] = NAN;
        for (size_t b = 0; b < m; b++) {
            double s = axis ? g->score[b][a] : g->score[a][b];
            if (isfinite(s) && !(s >= prof[a])) prof[a] = s;
        }
        if (isfinite(prof[a]) && !(prof[a] >= prof[arg])) arg = a;
    }
    *edge = 0;
    if (n < 3 || !isfinite(prof[arg]) || arg == 0 || arg + 1 >= n || !isfinite(prof[arg - 1]) ||
        !isfinite(prof[arg + 1])) {
        *edge = 1;
        return NAN;
    }
    double a = prof[arg - 1], b = prof[arg], c = prof[arg + 1];
    double den = a - 2 * b + c, off = den > 0 ? 0.5 * (a - c) / den : 0;
    if (off > 0.5) off = 0.5;
    if (off < -0.5) off = -0.5;
    return pow(10.0, log10(v[arg]) + off * log10(v[arg + 1] / v[arg]));
}

void ob_repro_grids_csv(FILE *f, const char *const *labels, const ob_repro_grid *g, double good)
{
    /* Two blank lines end a gnuplot `index` block; one ends a scan line. */
    for (int k = 0; k < 2; k++) {
        fprintf(f, "%s# %s: lr,wd,test loss (fp64 reference)\n", k ? "\n" : "", labels[k]);
        for (size_t i = 0; i < g[k].n_lr; i++) {
            for (size_t j = 0; j < g[k].n_wd; j++)
                fprintf(f, "%.9g,%.9g,%.9g\n", g[k].lr[i], g[k].wd[j], g[k].score[i][j]);
            fputc('\n', f);
        }
    }
    ob_repro_grid_fit fit[2];
    for (int k = 0; k < 2; k++) {
        ob_repro_grid_fit_of(&g[k], good, &fit[k]);
        fprintf(f, "\n# %s: lr,best wd (the rows in the fit)\n", labels[k]);
        for (size_t i = 0; i < g[k].n_lr; i++)
            if (fit[k].row_state[i] == 1) fprintf(f, "%.9g,%.9g\n", g[k].lr[i], fit[k].best_wd[i]);
        fputs("\n\n", f);
    }
    for (int k = 0; k < 2; k++)
        fprintf(f, "# %s: the best cell lr,wd\n%.9g,%.9g\n\n\n", labels[k], g[k].lr[fit[k].best_i],
                g[k].wd[fit[k].best_j]);
}

cJSON *ob_repro_grid_json(const ob_repro_grid *g, const ob_repro_grid_fit *fit)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *a = cJSON_AddArrayToObject(j, "lr");
    for (size_t i = 0; i < g->n_lr; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(g->lr[i]));
    a = cJSON_AddArrayToObject(j, "weight_decay");
    for (size_t i = 0; i < g->n_wd; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(g->wd[i]));
    a = cJSON_AddArrayToObject(j, "test_loss");
    for (size_t i = 0; i < g->n_lr; i++) {
        cJSON *r = cJSON_CreateArray();
        for (size_t k = 0; k < g->n_wd; k++)
            cJSON_AddItemToArray(r, isfinite(g->score[i][k]) ? cJSON_CreateNumber(g->score[i][k])
                                                             : cJSON_CreateNull());
        cJSON_AddItemToArray(a, r);
    }
    ob_json_add_num(j, "best_test_loss", fit->best);
    cJSON_AddNumberToObject(j, "best_lr", g->lr[fit->best_i]);
    cJSON_AddNumberToObject(j, "best_weight_decay", g->wd[fit->best_j]);
    a = cJSON_AddArrayToObject(j, "best_weight_decay_per_lr");
    for (size_t i = 0; i < g->n_lr; i++)
        cJSON_AddItemToArray(a, fit->row_state[i] == 1
                                    ? cJSON_CreateNumber(fit->best_wd[i])
                                    : cJSON_CreateString(fit->row_state[i] < 0 ? "at an end of the grid"
                                                                               : "outside the good region"));
    cJSON_AddNumberToObject(j, "rows_fitted", (double)fit->rows_used);
    ob_json_add_num(j, "slope_log_wd_on_log_lr", fit->slope);
    ob_json_add_num(j, "correlation", fit->corr);
    return j;
}
