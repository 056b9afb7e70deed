/*
 * test_trace.c — `optbench trace` against three-step sequences worked out
 * here from torch.optim's documented update rules, independently of
 * reference/ and kernels/; its file errors (naming file, line and column);
 * boolean hyperparameters; the number-file parsers themselves; and, where
 * torch is installed, the reference against torch.optim itself.
 *
 * Expected values are computed in double.  The reference path must agree
 * to 1e-15 relative.  The fp32 paths (x0, gradients and hyperparameters
 * rounded to float, every operation in float) must agree to FP32_ULPS units
 * in the last place of float at the size of the parameter: with |p| ~ 1 and
 * a handful of operations per step, each rounding contributes at most half
 * a unit, and three steps accumulate a few.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "common/ob_test.h"

#define N 2
#define STEPS 3
#define FP32_ULPS 4.0
#define SETS(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef double traj[STEPS][N];

static const double X0[N] = {1, -2};
static const double G[STEPS][N] = {{0.5, -1}, {0.25, 2}, {-1, 0.5}};
/* For AMSGrad: a large first gradient, so that v falls below its maximum. */
static const double G_AMS[STEPS][N] = {{2, -1}, {0.25, 2}, {-0.5, 0.1}};

/* ---- expected trajectories (torch.optim's documented algorithms) --------- */

static void sgd_plain(const double (*g)[N], traj out)
{
    double p[N] = {X0[0], X0[1]};
    for (int t = 0; t < STEPS; t++)
        for (int i = 0; i < N; i++) out[t][i] = p[i] = p[i] - 0.1 * g[t][i];
}

/* lr 0.1, momentum 0.9, dampening 0.5: b_1 = g_1, b_t = 0.9 b + 0.5 g. */
static void sgd_momentum(const double (*g)[N], traj out)
{
    double p[N] = {X0[0], X0[1]}, b[N] = {0, 0};
    for (int t = 0; t < STEPS; t++)
        for (int i = 0; i < N; i++) {
            b[i] = t == 0 ? g[t][i] : 0.9 * b[i] + 0.5 * g[t][i];
            out[t][i] = p[i] = p[i] - 0.1 * b[i];
        }
}

/* lr 0.1, momentum 0.9, nesterov, weight_decay 0.1. */
static void sgd_nesterov(const double (*g)[N], traj out)
{
    double p[N] = {X0[0], X0[1]}, b[N] = {0, 0};
    for (int t = 0; t < STEPS; t++)
        for (int i = 0; i < N; i++) {
            double d = g[t][i] + 0.1 * p[i];
            b[i] = t == 0 ? d : 0.9 * b[i] + d;
            d = d + 0.9 * b[i];
            out[t][i] = p[i] = p[i] - 0.1 * d;
        }
}

/* OneCycleLR with max_lr 0.2, total_steps 3, linear annealing, defaults
 * otherwise: the warm-up ends at e = 0.3*3 - 1 < 0, so every step is in
 * the second phase, from (max_lr, base_momentum) to (min_lr, max_momentum). */
static void onecycle3(int e, double *lr, double *mom)
{
    const double max_lr = 0.2, min_lr = 0.2 / 25 / 1e4, up = 0.3 * 3 - 1;
    double pct = (e - up) / (2 - up);
    *lr = max_lr + (min_lr - max_lr) * pct;
    *mom = 0.85 + (0.95 - 0.85) * pct;
}

/* SGD under onecycle: lr and momentum both cycled (torch turns momentum on
 * even though SGD's default is 0). */
static void sgd_onecycle(const double (*g)[N], traj out)
{
    double p[N] = {X0[0], X0[1]}, b[N] = {0, 0};
    for (int t = 0; t < STEPS; t++) {
        double lr, mu;
        onecycle3(t, &lr, &mu);
        for (int i = 0; i < N; i++) {
            b[i] = t == 0 ? g[t][i] : mu * b[i] + g[t][i];
            out[t][i] = p[i] = p[i] - lr * b[i];
        }
    }
}

/* lr 0.1, lr_decay 0.5, initial_accumulator_value 0.25, weight_decay 0.1. */
static void adagrad(const double (*g)[N], traj out)
{
    double p[N] = {X0[0], X0[1]}, sum[N] = {0.25, 0.25};
    for (int t = 0; t < STEPS; t++) {
        double clr = 0.1 / (1 + t * 0.5);
        for (int i = 0; i < N; i++) {
            double d = g[t][i] + 0.1 * p[i];
            sum[i] += d * d;
            out[t][i] = p[i] = p[i] - clr * d / (sqrt(sum[i]) + 1e-10);
        }
    }
}

/* lr 0.01, alpha 0.9. */
static void rmsprop_plain(const double (*g)[N], traj out)
{
    double p[N] = {X0[0], X0[1]}, v[N] = {0, 0};
    for (int t = 0; t < STEPS; t++)
        for (int i = 0; i < N; i++) {
            v[i] = 0.9 * v[i] + 0.1 * g[t][i] * g[t][i];
            out[t][i] = p[i] = p[i] - 0.01 * g[t][i] / (sqrt(v[i]) + 1e-8);
        }
}

/* lr 0.01, alpha 0.9, centered, momentum 0.5, weight_decay 0.1. */
static void rmsprop_centered(const double (*g)[N], traj out)
{
    double p[N] = {X0[0], X0[1]}, v[N] = {0, 0}, ga[N] = {0, 0}, b[N] = {0, 0};
    for (int t = 0; t < STEPS; t++)
        for (int i = 0; i < N; i++) {
            double d = g[t][i] + 0.1 * p[i];
            v[i] = 0.9 * v[i] + 0.1 * d * d;
            ga[i] = 0.9 * ga[i] + 0.1 * d;
            b[i] = 0.5 * b[i] + d / (sqrt(v[i] - ga[i] * ga[i]) + 1e-8);
            out[t][i] = p[i] = p[i] - 0.01 * b[i];
        }
}

/* The Adam family with per-step lr and beta1 (for schedules).  wd is L2
 * (Adam) or, with decoupled, AdamW's p *= 1 - lr*wd; amsgrad keeps the
 * maximum of the raw v.  beta2 0.999 unless given, eps 1e-8. */
typedef struct adam_cfg {
    double wd, beta2;
    int decoupled, amsgrad;
    void (*sched)(int e, double *lr, double *beta1);
} adam_cfg;

static void adam_const(int e, double *lr, double *beta1)
{
    (void)e;
    *lr = 0.1;
    *beta1 = 0.9;
}

static void adam_halving(int e, double *lr, double *beta1)
{
    *lr = 0.1 * pow(0.5, e); /* StepLR(step_size=1, gamma=0.5) */
    *beta1 = 0.9;
}

static void adam_run(const adam_cfg *c, const double (*g)[N], traj out)
{
    double p[N] = {X0[0], X0[1]}, m[N] = {0, 0}, v[N] = {0, 0}, vmax[N] = {0, 0};
    for (int t = 1; t <= STEPS; t++) {
        double lr, b1, b2 = c->beta2;
        c->sched(t - 1, &lr, &b1);
        double bc1 = 1 - pow(b1, t), bc2 = 1 - pow(b2, t);
        for (int i = 0; i < N; i++) {
            double d = g[t - 1][i];
            if (c->decoupled) p[i] *= 1 - lr * c->wd;
            else d += c->wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * d;
            v[i] = b2 * v[i] + (1 - b2) * d * d;
            vmax[i] = fmax(vmax[i], v[i]);
            double vh = c->amsgrad ? vmax[i] : v[i];
            out[t - 1][i] = p[i] = p[i] - lr / bc1 * m[i] / (sqrt(vh) / sqrt(bc2) + 1e-8);
        }
    }
}

static void adam_plain(const double (*g)[N], traj out)
{
    adam_run(&(adam_cfg){0, 0.999, 0, 0, adam_const}, g, out);
}
static void adam_l2(const double (*g)[N], traj out)
{
    adam_run(&(adam_cfg){0.1, 0.999, 0, 0, adam_const}, g, out);
}
static void adam_step_sched(const double (*g)[N], traj out)
{
    adam_run(&(adam_cfg){0, 0.999, 0, 0, adam_halving}, g, out);
}
static void adam_onecycle(const double (*g)[N], traj out)
{
    adam_run(&(adam_cfg){0, 0.999, 0, 0, onecycle3}, g, out);
}
static void adamw(const double (*g)[N], traj out)
{
    adam_run(&(adam_cfg){0.01, 0.999, 1, 0, adam_const}, g, out);
}
static void amsgrad(const double (*g)[N], traj out)
{
    adam_run(&(adam_cfg){0, 0.5, 0, 1, adam_const}, g, out);
}

/* ---- the cases ------------------------------------------------------------- */

typedef struct tcase {
    const char *name, *opt;
    const char *sets[6];
    const char *sched;
    const char *ssets[4];
    const double (*grads)[N];
    void (*expect)(const double (*g)[N], traj out);
} tcase;

static const tcase cases[] = {
    {"sgd", "sgd", {"lr=0.1"}, NULL, {NULL}, G, sgd_plain},
    {"sgd momentum dampening",
     "sgd",
     {"lr=0.1", "momentum=0.9", "dampening=0.5"},
     NULL,
     {NULL},
     G,
     sgd_momentum},
    {"sgd nesterov wd",
     "sgd",
     {"lr=0.1", "momentum=0.9", "nesterov=true", "weight_decay=0.1"},
     NULL,
     {NULL},
     G,
     sgd_nesterov},
    {"sgd onecycle",
     "sgd",
     {NULL},
     "onecycle",
     {"max_lr=0.2", "total_steps=3", "anneal_strategy=linear"},
     G,
     sgd_onecycle},
    {"adagrad",
     "adagrad",
     {"lr=0.1", "lr_decay=0.5", "initial_accumulator_value=0.25", "weight_decay=0.1"},
     NULL,
     {NULL},
     G,
     adagrad},
    {"rmsprop", "rmsprop", {"lr=0.01", "alpha=0.9"}, NULL, {NULL}, G, rmsprop_plain},
    {"rmsprop centered momentum wd",
     "rmsprop",
     {"lr=0.01", "alpha=0.9", "centered=1", "momentum=0.5", "weight_decay=0.1"},
     NULL,
     {NULL},
     G,
     rmsprop_centered},
    {"adam", "adam", {"lr=0.1"}, NULL, {NULL}, G, adam_plain},
    {"adam l2", "adam", {"lr=0.1", "weight_decay=0.1"}, NULL, {NULL}, G, adam_l2},
    {"adam step schedule", "adam", {"lr=0.1"}, "step", {"step_size=1", "gamma=0.5"}, G, adam_step_sched},
    {"adam onecycle beta1",
     "adam",
     {NULL},
     "onecycle",
     {"max_lr=0.2", "total_steps=3", "anneal_strategy=linear"},
     G,
     adam_onecycle},
    {"adamw", "adamw", {"lr=0.1"}, NULL, {NULL}, G, adamw},
    {"amsgrad", "amsgrad", {"lr=0.1", "beta2=0.5"}, NULL, {NULL}, G_AMS, amsgrad},
    {"adam amsgrad=true", "adam", {"lr=0.1", "beta2=0.5", "amsgrad=true"}, NULL, {NULL}, G_AMS, amsgrad},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* ---- files and running --------------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/ob_trace_XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
}

/* Writes `text` to dir/name and returns the path (static storage, one per
 * name slot). */
static const char *write_file(const char *name, const char *text)
{
    static char paths[4][128];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, 128, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return path;
}

static void grads_text(const double (*g)[N], char *buf, size_t len)
{
    size_t used = 0;
    for (int t = 0; t < STEPS; t++)
        used += (size_t)snprintf(buf + used, len - used, "%.17g,%.17g\n", g[t][0], g[t][1]);
}

/* Runs `optbench trace` for case c on `variant`; returns the exit code and
 * fills got (when the run succeeded). */
static int run_case(const tcase *c, const char *variant, traj got, char **err_out)
{
    char gtext[256];
    grads_text(c->grads, gtext, sizeof gtext);
    const char *x0 = write_file("x0.txt", "1, -2\n");
    const char *gr = write_file("grads.csv", gtext);
    const char *argv[40];
    int k = 0;
    argv[k++] = "optbench";
    argv[k++] = "trace";
    argv[k++] = "--opt";
    argv[k++] = c->opt;
    for (int i = 0; i < 6 && c->sets[i]; i++) {
        argv[k++] = "--set";
        argv[k++] = c->sets[i];
    }
    if (c->sched) {
        argv[k++] = "--schedule";
        argv[k++] = c->sched;
        for (int i = 0; i < 4 && c->ssets[i]; i++) {
            argv[k++] = "--sched-set";
            argv[k++] = c->ssets[i];
        }
    }
    argv[k++] = "--isa";
    argv[k++] = variant;
    argv[k++] = "--x0";
    argv[k++] = x0;
    argv[k++] = "--grads";
    argv[k++] = gr;
    argv[k] = NULL;
    char *out = NULL, *err = NULL;
    int rc = ob_cli_capture(argv, &out, &err);
    if (rc == 0) {
        char *line = out;
        for (int t = 0; t < STEPS; t++) {
            char *end;
            for (int i = 0; i < N; i++) {
                got[t][i] = strtod(line, &end);
                cr_assert(end != line, "%s/%s: bad output '%s'", c->name, variant, out);
                line = end + 1; /* past ',' or '\n' */
            }
            cr_assert_eq(end[0], '\n', "%s/%s: line %d has more than %d numbers", c->name, variant, t + 1, N);
        }
        cr_assert_eq(*line, '\0', "%s/%s: more than %d lines: %s", c->name, variant, STEPS, out);
    }
    if (err_out) *err_out = err;
    else free(err);
    free(out);
    return rc;
}

static void cleanup_dir(void)
{
    static const char *const names[] = {"x0.txt", "grads.csv", "bad.txt"};
    char path[160];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

TestSuite(trace, .init = make_dir, .fini = cleanup_dir);

Test(trace, reference_matches_hand_computed_sequences)
{
    for (size_t c = 0; c < N_CASES; c++) {
        traj want, got;
        char *err;
        cases[c].expect(cases[c].grads, want);
        int rc = run_case(&cases[c], "reference", got, &err);
        cr_assert_eq(rc, 0, "%s: exit %d: %s", cases[c].name, rc, err);
        free(err);
        for (int t = 0; t < STEPS; t++)
            for (int i = 0; i < N; i++)
                cr_assert(fabs(got[t][i] - want[t][i]) <= 1e-15 * fabs(want[t][i]),
                          "%s: step %d, p[%d] = %.17g, expected %.17g", cases[c].name, t + 1, i, got[t][i],
                          want[t][i]);
    }
}

Test(trace, every_supported_isa_matches_within_a_few_ulps)
{
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        const char *name = ob_isa_name((ob_isa)isa);
        if (!ob_isa_supported((ob_isa)isa)) {
            cr_log_warn("SKIPPED %s: %s", name, ob_isa_unavailable_reason((ob_isa)isa));
            continue;
        }
        double worst = 0;
        for (size_t c = 0; c < N_CASES; c++) {
            traj want, got;
            char *err;
            cases[c].expect(cases[c].grads, want);
            int rc = run_case(&cases[c], name, got, &err);
            cr_assert_eq(rc, 0, "%s/%s: exit %d: %s", cases[c].name, name, rc, err);
            free(err);
            for (int t = 0; t < STEPS; t++)
                for (int i = 0; i < N; i++) {
                    /* One unit in the last place of float at |want|. */
                    float w = (float)want[t][i];
                    double ulp = nextafterf(fabsf(w), INFINITY) - fabsf(w);
                    double e = fabs(got[t][i] - want[t][i]) / ulp;
                    if (e > worst) worst = e;
                    cr_assert(e <= FP32_ULPS, "%s/%s: step %d, p[%d] = %.9g, expected %.17g (%.1f ulp)",
                              cases[c].name, name, t + 1, i, got[t][i], want[t][i], e);
                }
        }
        cr_log_info("%s: worst error %.2f ulp over %zu cases", name, worst, N_CASES);
    }
}

Test(trace, fp32_rounds_inputs_and_prints_nine_digits)
{
    /* lr = 0: the parameters stay at x0, rounded to float for fp32. */
    const char *x0 = write_file("x0.txt", "0.1\n");
    const char *gr = write_file("grads.csv", "1\n");
    char *out, *err;
    cr_assert_eq(ob_cli_capture(SETS("optbench", "trace", "--opt", "sgd", "--set", "lr=0", "--isa", "scalar",
                                     "--x0", x0, "--grads", gr),
                                &out, &err),
                 0, "%s", err);
    cr_assert_str_eq(out, "0.100000001\n");
    free(out);
    free(err);
    cr_assert_eq(ob_cli_capture(SETS("optbench", "trace", "--opt", "sgd", "--set", "lr=0", "--isa",
                                     "reference", "--x0", x0, "--grads", gr),
                                &out, &err),
                 0, "%s", err);
    cr_assert_str_eq(out, "0.10000000000000001\n");
    free(out);
    free(err);
}

Test(trace, unsupported_isa_is_a_clear_error)
{
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        if (ob_isa_supported((ob_isa)isa)) continue;
        char *err;
        traj got;
        int rc = run_case(&cases[0], ob_isa_name((ob_isa)isa), got, &err);
        cr_assert_eq(rc, 2);
        cr_assert(strstr(err, ob_isa_unavailable_reason((ob_isa)isa)), "%s", err);
        free(err);
    }
    char *err;
    traj got;
    cr_assert_eq(run_case(&cases[0], "neon", got, &err), 2);
    cr_assert(strstr(err, "neon") && strstr(err, "reference"), "%s", err);
    free(err);
}

/* ---- bad files ------------------------------------------------------------------ */

/* Runs a trace with the given x0 and grads texts (NULL: a missing file) and
 * checks exit code 2, no output, and every `must` substring in the error. */
static void expect_file_error(const char *x0_text, const char *grads_text, const char *const *must)
{
    const char *x0 = x0_text ? write_file("x0.txt", x0_text) : "/nonexistent/x0.txt";
    const char *gr = grads_text ? write_file("bad.txt", grads_text) : "/nonexistent/grads.csv";
    char *out, *err;
    int rc = ob_cli_capture(
        SETS("optbench", "trace", "--opt", "adam", "--isa", "scalar", "--x0", x0, "--grads", gr), &out, &err);
    cr_assert_eq(rc, 2, "x0 '%s', grads '%s': exit %d", x0_text ? x0_text : "(missing)",
                 grads_text ? grads_text : "(missing)", rc);
    cr_assert_str_eq(out, "", "no output expected on an error");
    for (size_t i = 0; must[i]; i++) cr_assert(strstr(err, must[i]), "message '%s' lacks '%s'", err, must[i]);
    free(out);
    free(err);
}

Test(trace, bad_files_name_file_line_and_column)
{
    const char *x0 = "1,-2";
    expect_file_error(x0, "0.5,-1\n0.25,x\n", SETS("bad.txt:2:6:", "'x' is not a number"));
    expect_file_error(x0, "0.5,-1\n0.25\n", SETS("bad.txt:2:5:", "too few numbers", "expected 2"));
    expect_file_error(x0, "0.5,-1,3\n", SETS("bad.txt:1:8:", "too many numbers"));
    expect_file_error(x0, "", SETS("bad.txt:1:1:", "empty file"));
    expect_file_error(x0, "0.5,-1\n\n0.25,1\n", SETS("bad.txt:2:1:", "empty line"));
    expect_file_error(x0, "0.5,,1\n", SETS("bad.txt:1:5:", "empty field"));
    expect_file_error(x0, "0.5 1\n", SETS("bad.txt:1:5:", "missing comma"));
    expect_file_error(x0, "1e999x,1\n", SETS("bad.txt:1:1:", "not a number"));
    expect_file_error(x0, NULL, SETS("/nonexistent/grads.csv", "cannot open"));
    expect_file_error("", "1,1\n", SETS("x0.txt:1:1:", "empty file"));
    expect_file_error("1,,2", "1,1\n", SETS("x0.txt:1:3:", "empty field"));
    expect_file_error("1,2,", "1,1\n", SETS("x0.txt:1:4:", "comma after the last number"));
    expect_file_error("1\n2\nfoo\n", "1,1,1\n", SETS("x0.txt:3:1:", "'foo' is not a number"));
    expect_file_error(NULL, "1,1\n", SETS("/nonexistent/x0.txt", "cannot open"));
    /* x0 has 3 numbers, so the gradient rows need 3 too. */
    expect_file_error("1 2\n3", "1,2\n", SETS("bad.txt:1:4:", "expected 3"));
    /* A directory opens but cannot be read. */
    char *out, *err;
    const char *x0p = write_file("x0.txt", "1");
    int rc = ob_cli_capture(
        SETS("optbench", "trace", "--opt", "adam", "--isa", "reference", "--x0", x0p, "--grads", dir), &out,
        &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, dir) && strstr(err, "cannot"), "%s", err);
    free(out);
    free(err);
}

Test(trace, step_past_onecycle_total_steps_is_an_error_before_any_output)
{
    tcase c;
    for (size_t i = 0; i < N_CASES; i++)
        if (!strcmp(cases[i].name, "adam onecycle beta1")) c = cases[i];
    cr_assert_str_eq(c.ssets[1], "total_steps=3");
    c.ssets[1] = "total_steps=2"; /* but three gradient lines */
    char *err;
    traj got;
    cr_assert_eq(run_case(&c, "reference", got, &err), 2);
    cr_assert(strstr(err, "step 3") && strstr(err, "total_steps"), "%s", err);
    free(err);
}

/* ---- booleans ---------------------------------------------------------------------- */

static char *trace_output(const char *const *argv_tail, int *rc)
{
    const char *x0 = write_file("x0.txt", "1 -2");
    const char *gr = write_file("grads.csv", "0.5,-1\n0.25,2\n-1,0.5\n");
    const char *argv[24] = {"optbench", "trace", "--isa", "reference", "--x0", x0, "--grads", gr};
    int k = 8;
    for (int i = 0; argv_tail[i]; i++) argv[k++] = argv_tail[i];
    argv[k] = NULL;
    char *out, *err;
    *rc = ob_cli_capture(argv, &out, &err);
    free(err);
    return out;
}

/* Every spelling of nesterov gives the same output as `want`. */
static void expect_spellings(const char *const *spellings, const char *want)
{
    for (size_t i = 0; spellings[i]; i++) {
        int rc;
        char *o = trace_output((const char *const[]){"--opt", "sgd", "--set", "lr=0.1", "--set",
                                                     "momentum=0.9", "--set", spellings[i], NULL},
                               &rc);
        cr_assert_eq(rc, 0, "%s", spellings[i]);
        cr_assert_str_eq(o, want, "%s", spellings[i]);
        free(o);
    }
}

Test(trace, booleans_accept_0_1_false_true)
{
    int rc;
    char *on = trace_output(
        SETS("--opt", "sgd", "--set", "lr=0.1", "--set", "momentum=0.9", "--set", "nesterov=1"), &rc);
    cr_assert_eq(rc, 0);
    char *off = trace_output(SETS("--opt", "sgd", "--set", "lr=0.1", "--set", "momentum=0.9"), &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_neq(on, off, "nesterov must change the trajectory");
    expect_spellings(SETS("nesterov=true", "nesterov=TRUE", "nesterov=True"), on);
    expect_spellings(SETS("nesterov=0", "nesterov=false", "nesterov=FALSE"), off);
    free(on);
    free(off);
    char *o = trace_output(SETS("--opt", "sgd", "--set", "momentum=0.9", "--set", "nesterov=yes"), &rc);
    cr_assert_eq(rc, 2, "nesterov=yes must be rejected");
    free(o);
}

/* ---- the parsers directly (also the fuzz targets' entry points) ------------------ */

/* The reference against the real torch.optim in float64, through `optbench
 * trace` (harness/bench/peers/torch_semantics.py), where Debian's python3-torch
 * is installed: SKIPPED otherwise.  A tolerance below rounding must make
 * the same comparison fail, so it cannot pass by comparing nothing. */
static int run_semantics(uint64_t seed, const char *tol, char *out, size_t outlen)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 harness/bench/peers/torch_semantics.py --seed %llu --tol %s 2>&1",
             (unsigned long long)seed, tol);
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL, "%s", cmd);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(trace, the_reference_agrees_with_the_real_torch_optim, .timeout = 300)
{
    if (access("build/optbench", X_OK) != 0) cr_skip_test("SKIPPED: build/optbench not built");
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import torch' 2>/dev/null") != 0)
        cr_skip_test("SKIPPED: torch.optim is not installed (Debian python3-torch)");
    const uint64_t seed = ob_test_seed() & 0x7fffffff;
    static char out[8192];
    int rc = run_semantics(seed, "1e-12", out, sizeof out);
    cr_assert_eq(rc, 0, "seed %llu: exit %d\n%s", (unsigned long long)seed, rc, out);
    cr_assert(strstr(out, "every case agrees with torch"), "%s", out);
    cr_assert(strstr(out, "ok   adam ") && strstr(out, "ok   rmsprop ") && strstr(out, "ok   sgd "), "%s",
              out);
    rc = run_semantics(seed, "1e-300", out, sizeof out);
    cr_assert_eq(rc, 1, "a tolerance below rounding passed (exit %d)\n%s", rc, out);
    cr_assert(strstr(out, "DIFF ") && strstr(out, "differ from torch"), "%s", out);
}

Test(numfile, list_separators_and_syntax)
{
    static const char text[] = " 1,-2\t3\r\n 0x1p-2 ,\n-inf nan 1e-310\n";
    double *v;
    size_t n;
    char err[256] = "";
    cr_assert_eq(ob_numlist_parse(text, sizeof text - 1, "t", &v, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 7);
    cr_assert_eq(v[0], 1);
    cr_assert_eq(v[1], -2);
    cr_assert_eq(v[2], 3);
    cr_assert_eq(v[3], 0.25);
    cr_assert(isinf(v[4]) && v[4] < 0);
    cr_assert(isnan(v[5]));
    cr_assert_eq(v[6], 1e-310);
    free(v);
}

Test(numfile, rows_crlf_spaces_and_width_from_first_line)
{
    static const char text[] = "1, 2 ,3\r\n4,5,6";
    ob_numrows r;
    char err[256] = "";
    cr_assert_eq(ob_numrows_parse(text, sizeof text - 1, "t", 0, &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(r.rows, 2);
    cr_assert_eq(r.cols, 3);
    for (int i = 0; i < 6; i++) cr_assert_eq(r.v[i], i + 1);
    ob_numrows_free(&r);
    static const char bad[] = "1,2,3\n4,5\n";
    cr_assert_eq(ob_numrows_parse(bad, sizeof bad - 1, "t", 0, &r, err, sizeof err), -1);
    cr_assert(strstr(err, "t:2:4:"), "%s", err);
}

Test(numfile, nul_bytes_and_long_tokens_are_errors_not_overreads)
{
    static const char nul[] = {'1', ',', '2', '\0', '5', '\n'};
    ob_numrows r;
    double *v;
    size_t n;
    char err[256] = "";
    cr_assert_eq(ob_numrows_parse(nul, sizeof nul, "t", 2, &r, err, sizeof err), -1);
    cr_assert(strstr(err, "t:1:3:") && strstr(err, "not a number"), "%s", err);
    /* A buffer that is not NUL-terminated: exactly "12" with no terminator. */
    char *exact = malloc(2);
    memcpy(exact, "12", 2);
    cr_assert_eq(ob_numlist_parse(exact, 2, "t", &v, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0], 12);
    free(v);
    free(exact);
    char *longtok = malloc(5000);
    memset(longtok, '1', 5000);
    cr_assert_eq(ob_numlist_parse(longtok, 5000, "t", &v, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "too long"), "%s", err);
    free(longtok);
}
