/*
 * test_monitor.c — the per-step diagnostics (README "Monitoring";
 * reference/monitor.c, harness/engine/engine_monitor.c): each adaptive
 * method's effective learning rate and bias corrections against their
 * closed forms after known steps; the case CSV's columns against values
 * computed by hand from the problem (Rosenbrock's gradient at x0 =
 * (-1.2, 1) is (-215.6, -88)): SGD's update, the update-to-weight ratio,
 * the lr and momentum in force, clipping by value and by norm, a onecycle
 * schedule's lr and beta1.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/optimizers.h"
#include "optbench/reference.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "common/ob_test_proc.h"

#define REL(a, b) (fabs((a) - (b)) <= 1e-12 * fabs(b))

/* One reference step of o from zero state with g; eff and bc after it. */
static void after_steps(const char *name, ob_hparams *h, const double *g, size_t n, uint64_t steps, double *eff,
                        double bc[2], double st[OB_MAX_STATE][4])
{
    const ob_optimizer *o = ob_optimizer_find(name);
    cr_assert_not_null(o->monitor, "%s has no monitor", name);
    double p[4] = {0.5, -0.25, 1, 2}, *state[OB_MAX_STATE];
    for (int k = 0; k < OB_MAX_STATE; k++) {
        memset(st[k], 0, sizeof st[k]);
        state[k] = st[k];
    }
    if (h->initial_accumulator_value > 0)
        for (size_t i = 0; i < n; i++) st[0][i] = h->initial_accumulator_value;
    for (uint64_t t = 1; t <= steps; t++) o->reference(h, t, n, p, g, state, NULL);
    o->monitor(h, steps, n, state, eff, bc);
}

Test(monitor, effective_learning_rates_against_closed_forms)
{
    const double g[3] = {0.5, -2, 1e-3};
    double eff[3], bc[2], st[OB_MAX_STATE][4];
    ob_hparams h;
    /* Adam, t = 1: v^ = g^2, so lr / (|g| + eps); bc = (1 - b1, 1 - b2). */
    ob_hparams_default(ob_optimizer_find("adam"), &h);
    after_steps("adam", &h, g, 3, 1, eff, bc, st);
    for (int i = 0; i < 3; i++) cr_assert(REL(eff[i], h.lr / (fabs(g[i]) + h.eps)), "adam %d: %g", i, eff[i]);
    cr_assert(REL(bc[0], 1 - h.beta1) && REL(bc[1], 1 - h.beta2));
    /* AMSGrad after two steps with the same g: vmax = v_2 > v_1 ... the max of the raw v. */
    ob_hparams_default(ob_optimizer_find("amsgrad"), &h);
    after_steps("amsgrad", &h, g, 3, 2, eff, bc, st);
    for (int i = 0; i < 3; i++)
        cr_assert(REL(eff[i], h.lr / (sqrt(st[2][i] / (1 - h.beta2 * h.beta2)) + h.eps)), "amsgrad %d", i);
    /* Adagrad, t = 3 with lr_decay: gamma / (1 + 2 eta) / (sqrt(3 g^2) + eps). */
    ob_hparams_default(ob_optimizer_find("adagrad"), &h);
    h.lr_decay = 0.5;
    after_steps("adagrad", &h, g, 3, 3, eff, bc, st);
    for (int i = 0; i < 3; i++)
        cr_assert(REL(eff[i], h.lr / 2.0 / (sqrt(3 * g[i] * g[i]) + h.eps)), "adagrad %d: %g", i, eff[i]);
    cr_assert(isnan(bc[0]) && isnan(bc[1]));
    /* RMSprop centered, t = 1: v = (1-a) g^2, g_ave = (1-a) g. */
    ob_hparams_default(ob_optimizer_find("rmsprop"), &h);
    h.centered = 1;
    after_steps("rmsprop", &h, g, 3, 1, eff, bc, st);
    const double a = 1 - h.alpha;
    for (int i = 0; i < 3; i++)
        cr_assert(REL(eff[i], h.lr / (sqrt(a * g[i] * g[i] - a * a * g[i] * g[i]) + h.eps)), "rmsprop %d", i);
    /* RAdam: rho_1 <= 5, no rectification: lr itself. */
    ob_hparams_default(ob_optimizer_find("radam"), &h);
    after_steps("radam", &h, g, 3, 1, eff, bc, st);
    for (int i = 0; i < 3; i++) cr_assert_eq(eff[i], h.lr, "radam %d", i);
    /* ... and rectified at t = 10. */
    after_steps("radam", &h, g, 3, 10, eff, bc, st);
    const double bc2 = 1 - pow(h.beta2, 10);
    cr_assert(ob_ref_radam_rho(h.beta2, 10) > 5);
    for (int i = 0; i < 3; i++)
        cr_assert(REL(eff[i], h.lr * ob_ref_radam_rect(h.beta2, 10) * sqrt(bc2) / (sqrt(st[1][i]) + h.eps)),
                  "radam t=10 %d", i);
    /* Adamax, t = 1: u = |g| + eps. */
    ob_hparams_default(ob_optimizer_find("adamax"), &h);
    after_steps("adamax", &h, g, 3, 1, eff, bc, st);
    for (int i = 0; i < 3; i++) cr_assert(REL(eff[i], h.lr / (fabs(g[i]) + h.eps)), "adamax %d", i);
    cr_assert(REL(bc[0], 1 - h.beta1) && isnan(bc[1]));
    /* NAdam: the shared denominator; no 1 - beta1^t. */
    ob_hparams_default(ob_optimizer_find("nadam"), &h);
    after_steps("nadam", &h, g, 3, 1, eff, bc, st);
    for (int i = 0; i < 3; i++) cr_assert(REL(eff[i], h.lr / (fabs(g[i]) + h.eps)), "nadam %d", i);
    cr_assert(isnan(bc[0]) && REL(bc[1], 1 - h.beta2));
    /* One learning rate for every coordinate: no monitor. */
    cr_assert_null(ob_optimizer_find("sgd")->monitor);
    cr_assert_null(ob_optimizer_find("lion")->monitor);
}

/* A 3-step run of mgh_rosenbrock; the CSV of the case. */
static void run3(const char *dir, const char *opt, const char *const *extra, char *csv, size_t len)
{
    const char *argv[32] = {"optbench", "run", "--problem", "mgh_rosenbrock", "--opt", opt, "--steps", "3",
                            "--isa", "scalar", "--quiet", "--out", dir};
    size_t a = 13;
    for (size_t i = 0; extra && extra[i]; i++) argv[a++] = extra[i];
    argv[a] = NULL;
    char *out, *err;
    int rc = ob_cli_capture(argv, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    free(out);
    free(err);
    snprintf(csv, len, "%s/latest/cases/mgh_rosenbrock.%s.csv", dir, opt);
}

static double col(const char *csv, uint64_t step, const char *name)
{
    char why[600];
    const double v = ob_tp_csv_value(csv, step, name, why, sizeof why);
    cr_assert(v != -INFINITY, "%s", why);
    return v;
}

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-7 * fabs(b) + 1e-12)

Test(monitor, the_case_csv_columns, .timeout = 60)
{
    char dir[] = "/tmp/ob-monitor-XXXXXX", csv[512];
    cr_assert_not_null(mkdtemp(dir));
    const double gx = -215.6, gy = -88, gn = sqrt(gx * gx + gy * gy), xn = sqrt(1.44 + 1);
    /* SGD, lr 1e-3, momentum 0.5: the first update is lr * g. */
    run3(dir, "sgd", (const char *const[]){"--set", "lr=1e-3", "--set", "momentum=0.5", NULL}, csv, sizeof csv);
    cr_assert(NEAR(col(csv, 1, "upd_norm"), 1e-3 * gn), "%.9g", col(csv, 1, "upd_norm"));
    cr_assert(NEAR(col(csv, 1, "upd_ratio"), 1e-3 * gn / xn));
    cr_assert_eq(col(csv, 1, "lr"), 1e-3);
    cr_assert_eq(col(csv, 2, "cycled"), 0.5, "SGD's momentum in force");
    cr_assert(isnan(col(csv, 1, "eff_lr_min")) && isnan(col(csv, 1, "bc1")), "SGD has one learning rate");
    cr_assert_eq(col(csv, 1, "clipped"), 0);
    cr_assert(isnan(col(csv, 0, "upd_norm")), "no update before the first step");
    /* Clipping by value at 100: |-215.6| > 100, |-88| < 100: half. */
    run3(dir, "sgd", (const char *const[]){"--set", "lr=1e-4", "--set", "clip_value=100", NULL}, csv, sizeof csv);
    cr_assert_eq(col(csv, 1, "clipped"), 0.5);
    cr_assert(NEAR(col(csv, 1, "upd_norm"), 1e-4 * sqrt(100.0 * 100 + 88 * 88)), "%.9g", col(csv, 1, "upd_norm"));
    /* By norm at 1: ||g|| = 232.9 > 1, every element scaled. */
    run3(dir, "sgd", (const char *const[]){"--set", "lr=1e-3", "--set", "clip_norm=1", NULL}, csv, sizeof csv);
    cr_assert_eq(col(csv, 1, "clipped"), 1);
    /* Adam: t = 1, eff = lr / (|g| + eps): min at |g| = 215.6, max at 88. */
    run3(dir, "adam", (const char *const[]){"--set", "lr=1e-3", NULL}, csv, sizeof csv);
    cr_assert(NEAR(col(csv, 1, "eff_lr_min"), 1e-3 / (215.6 + 1e-8)));
    cr_assert(NEAR(col(csv, 1, "eff_lr_max"), 1e-3 / (88 + 1e-8)));
    cr_assert(NEAR(col(csv, 1, "eff_lr_med"), 0.5 * (1e-3 / (215.6 + 1e-8) + 1e-3 / (88 + 1e-8))));
    cr_assert(NEAR(col(csv, 2, "bc1"), 1 - 0.9 * 0.9) && NEAR(col(csv, 2, "bc2"), 1 - 0.999 * 0.999));
    cr_assert(NEAR(col(csv, 1, "upd_norm"), 1e-3 * sqrt(2.0)), "Adam's first step: lr per coordinate");
    cr_assert_eq(col(csv, 1, "cycled"), 0.9);
    /* onecycle: the lr and beta1 in force follow the schedule. */
    run3(dir, "adam",
         (const char *const[]){"--schedule", "onecycle", "--sched-set", "max_lr=0.01", "--sched-set", "total_steps=3",
                               NULL},
         csv, sizeof csv);
    const ob_optimizer *adam = ob_optimizer_find("adam");
    ob_schedule sc;
    char msg[256];
    cr_assert_eq(ob_schedule_parse("onecycle", (const char *const[]){"max_lr=0.01", "total_steps=3"}, 2, &sc, msg,
                                   sizeof msg),
                 0, "%s", msg);
    ob_hparams base, ht;
    ob_hparams_default(adam, &base);
    for (uint64_t t = 1; t <= 3; t++) {
        cr_assert_eq(ob_schedule_apply(&sc, adam, &base, t, &ht, msg, sizeof msg), 0, "%s", msg);
        cr_assert(NEAR(col(csv, t, "lr"), ht.lr), "step %llu lr %.9g, schedule %.9g", (unsigned long long)t,
                  col(csv, t, "lr"), ht.lr);
        cr_assert(NEAR(col(csv, t, "cycled"), ht.beta1), "step %llu beta1", (unsigned long long)t);
    }
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* ---- storage formats: the loss scale and skipped steps ----------------------------- */

#include "harness/run/ob_run.h"

static char *run_capture(const char *const *argv, int want_rc)
{
    char *out, *err;
    int rc = ob_cli_capture(argv, &out, &err);
    cr_assert_eq(rc, want_rc, "exit %d (want %d): %s", rc, want_rc, err);
    free(out);
    return err;
}

/* quad_diag (n = 100, cond = 100, x0 = 1): the largest gradient element
 * is 100, so with GradScaler's initial scale 2^16 every fp16 gradient
 * overflows until the scale is 2^9 (100 * 2^10 > 65504 >= 100 * 2^9): the
 * steps 1..7 are skipped, the scale halving after each, and step 8 on
 * use 2^9 (no growth before 2000 good steps). */
Test(monitor, fp16_loss_scale_and_skipped_steps, .timeout = 60)
{
    char dir[] = "/tmp/ob-monfmt-XXXXXX", csv[700], why[600];
    cr_assert_not_null(mkdtemp(dir));
    char out1[600], out2[600];
    snprintf(out1, sizeof out1, "%s/a", dir);
    snprintf(out2, sizeof out2, "%s/b", dir);
#define QD "--problem", "quad_diag", "--n", "100", "--param", "cond=100", "--opt", "adam", "--set", "lr=0.05", \
           "--steps", "12", "--isa", "scalar", "--quiet"
    free(run_capture((const char *const[]){"optbench", "run", QD, "--format", "fp32,fp16-grads", "--out", out1, NULL},
                     0));
    snprintf(csv, sizeof csv, "%s/latest/cases/quad_diag.adam@fp16-grads.csv", out1);
    for (uint64_t t = 0; t <= 12; t++) {
        const double scale = t == 0 ? 65536 : t <= 8 ? 65536.0 / (double)(1u << (t - 1)) : 512;
        const double skipped = t < 7 ? (double)t : 7;
        cr_assert_eq(ob_tp_csv_value(csv, t, "loss_scale", why, sizeof why), scale, "step %llu: %s",
                     (unsigned long long)t, why);
        cr_assert_eq(ob_tp_csv_value(csv, t, "skipped", why, sizeof why), skipped, "step %llu",
                     (unsigned long long)t);
    }
    /* The record names the format and its totals. */
    char path[700], msg[256];
    snprintf(path, sizeof path, "%s/latest/results.json", out1);
    cJSON *res = ob_json_read(path, msg, sizeof msg);
    cr_assert_not_null(res, "%s", msg);
    const cJSON *c1 = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "cases"), 1);
    cr_assert_str_eq(cJSON_GetObjectItem(c1, "id")->valuestring, "quad_diag.adam@fp16-grads");
    const cJSON *fj = cJSON_GetObjectItem(c1, "format");
    cr_assert(fj && cJSON_GetObjectItem(fj, "skipped_steps")->valuedouble == 7 &&
              cJSON_GetObjectItem(fj, "loss_scale")->valuedouble == 512);
    cr_assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "cases"), 0), "format"));
    cJSON_Delete(res);
    /* fp32 is the plain kernels: no format columns, and the same CSV as
     * without --format, byte for byte. */
    snprintf(csv, sizeof csv, "%s/latest/cases/quad_diag.adam.csv", out1);
    cr_assert_eq(ob_tp_csv_value(csv, 1, "loss_scale", why, sizeof why), -INFINITY, "fp32 has a loss_scale");
    free(run_capture((const char *const[]){"optbench", "run", QD, "--out", out2, NULL}, 0));
    char csv2[700];
    snprintf(csv2, sizeof csv2, "%s/latest/cases/quad_diag.adam.csv", out2);
    size_t l1, l2;
    char *a = ob_tp_slurp(csv, &l1), *b = ob_tp_slurp(csv2, &l2);
    cr_assert(a && b && l1 == l2 && memcmp(a, b, l1) == 0, "--format fp32 changed the CSV");
    free(a);
    free(b);
    /* Bad formats: exit 2 with the presets listed; a boxed problem. */
    char *err = run_capture((const char *const[]){"optbench", "run", QD, "--format", "fp8", "--out", out2, NULL}, 2);
    cr_assert(strstr(err, "unknown preset 'fp8'") && strstr(err, "known: fp32") && strstr(err, "fp16-grads"), "%s",
              err);
    free(err);
    err = run_capture((const char *const[]){"optbench", "run", "--problem", "amsgrad_thm1", "--opt", "adam",
                                            "--format", "fp16-grads", "--out", out2, "--quiet", NULL},
                      2);
    cr_assert(strstr(err, "box constraint"), "%s", err);
    free(err);
#undef QD
    snprintf(path, sizeof path, "rm -rf %s", dir);
    cr_assert_eq(system(path), 0);
}

Test(monitor, format_lists)
{
    ob_format f[4];
    char err[512];
    cr_assert_eq(ob_format_list_parse("fp32,bf16-sr,seed=7,fp16-grads", f, 4, err, sizeof err), 3, "%s", err);
    cr_assert(ob_format_is_fp32(&f[0]) && f[1].round == OB_ROUND_SR && f[1].seed == 7 && f[2].grad == OB_DT_F16);
    cr_assert_str_eq(f[1].name, "bf16-sr,seed=7");
    cr_assert_eq(ob_format_list_parse("param=bf16,grad=f16", f, 4, err, sizeof err), 1, "%s", err);
    cr_assert(f[0].param == OB_DT_BF16 && f[0].grad == OB_DT_F16);
    cr_assert_eq(ob_format_list_parse("fp32,fp32", f, 4, err, sizeof err), -1);
    cr_assert(strstr(err, "same format"), "%s", err);
    cr_assert_eq(ob_format_list_parse("", f, 4, err, sizeof err), -1);
    cr_assert_eq(ob_format_list_parse("fp32,bf16,fp16-grads", f, 2, err, sizeof err), -1);
    cr_assert(strstr(err, "more than 2"), "%s", err);
    /* The case id: "@" and the format, with an explicit spec's commas as '+'. */
    ob_case c;
    memset(&c, 0, sizeof c);
    c.opt = ob_optimizer_find("adam");
    c.problem = ob_problem_find("quad_diag");
    cr_assert_eq(ob_format_parse("param=bf16,grad=f16", &c.format, err, sizeof err), 0);
    char id[160];
    ob_case_id(&c, id, sizeof id);
    cr_assert_str_eq(id, "quad_diag.adam@param=bf16+grad=f16");
    /* A suite entry's "format". */
    ob_suite su;
    cJSON *j = cJSON_Parse("{\"cases\": [{\"problem\": \"quad_diag\", \"optimizers\": [\"adam\"],"
                           " \"format\": \"fp16-grads\"}]}");
    cr_assert_eq(ob_suite_from_json(j, "t", &su, err, sizeof err), 0, "%s", err);
    cr_assert(su.n == 1 && su.cases[0].format.grad == OB_DT_F16 && !strcmp(su.cases[0].format.name, "fp16-grads"));
    ob_suite_free(&su);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"cases\": [{\"problem\": \"quad_diag\", \"format\": \"fp8\"}]}");
    cr_assert_eq(ob_suite_from_json(j, "t", &su, err, sizeof err), -1);
    cr_assert(strstr(err, "unknown preset 'fp8'"), "%s", err);
    cJSON_Delete(j);
}
