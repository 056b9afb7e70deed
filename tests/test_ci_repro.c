/*
 * test_ci_repro.c — an `optbench ci` failure is actionable: it names the
 * kernel's source file and the block (unrolled loop, single vector, masked
 * tail) that computed the first differing element, and prints a command
 * line that, run, shows the difference.
 *
 * The mutants are real for the whole process: this file defines
 * ob_adam_step_avx512 and ob_adam_step_scalar itself, so the linker takes
 * them in place of kernels/avx512/adam.c's and kernels/scalar/adam.c's
 * (static libraries: an archive member is only pulled in for a symbol
 * still undefined).  Every command run in this process, `ci`, `trace` and
 * `run` alike, then sees the same kernel, as it would in a build with a
 * broken kernel.  Switched off, each mutant is the AVX2 kernel, which is
 * bit-identical to both (the numeric contract); with mutant_at >= 0 it adds
 * one ulp to p[mutant_at] after every step.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/ci/ci_internal.h"
#include "harness/ci/ob_ci.h"
#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "kernels/ob_kernels.h"

static long avx512_at = -1, scalar_at = -1;

static void one_ulp(size_t n, float *p, long at)
{
    if (at < 0 || (size_t)at >= n) return;
    uint32_t b;
    memcpy(&b, &p[at], 4);
    b += 1;
    memcpy(&p[at], &b, 4);
}

void ob_adam_step_avx512(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    ob_adam_step_avx2(n, p, g, state, s);
    one_ulp(n, p, avx512_at);
}

void ob_adam_step_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    ob_adam_step_avx2(n, p, g, state, s);
    one_ulp(n, p, scalar_at);
}

/* The failures are read against the committed baseline, whose hashes hold
 * for IEEE-754 hardware; valgrind emulates FMA with a double rounding. */
static void need_avx2(void)
{
    if (!ob_isa_supported(OB_ISA_AVX2)) cr_skip_test("the mutants run the AVX2 kernel: SKIPPED without AVX2");
    if (getenv("OPTBENCH_UNDER_VALGRIND"))
        cr_skip_test(
            "against the committed baseline: SKIPPED under valgrind (its FMA emulation rounds twice)");
}

/* ---- the block of an element ------------------------------------------- */

/* Width 16 (AVX-512) and 8 (AVX2), unroll 2 (Adam) and 4 (SGD): the
 * FOR_EACH macros of kernels/avx512/avx512_ops.h and kernels/avx2/avx2_ops.h. */
static const struct {
    const char *opt;
    ob_isa isa;
    size_t n, i;
    const char *want;
} blocks[] = {
    {"adam", OB_ISA_SCALAR, 67, 41, "kernels/scalar/adam.c, element loop (element 41 of 67)"},
    {"adam", OB_ISA_AVX512, 67, 41,
     "kernels/avx512/adam.c, unrolled loop (2 vectors of 16 per iteration: iteration 1, vector 0; element 41 of 67)"},
    {"adam", OB_ISA_AVX512, 67, 64, "masked tail (elements 64..66, 3 of 16 lanes; element 64 of 67)"},
    {"adam", OB_ISA_AVX512, 50, 40, "single vector (elements 32..47; element 40 of 50)"},
    {"adam", OB_ISA_AVX512, 50, 49, "masked tail (elements 48..49, 2 of 16 lanes"},
    {"adamw", OB_ISA_AVX2, 67, 41,
     "kernels/avx2/adam.c, unrolled loop (2 vectors of 8 per iteration: iteration 2, vector 1;"},
    {"adam", OB_ISA_AVX2, 30, 20, "single vector (elements 16..23;"},
    {"sgd", OB_ISA_AVX512, 127, 63,
     "kernels/avx512/sgd.c, unrolled loop (4 vectors of 16 per iteration: iteration 0, vector 3;"},
    {"sgd", OB_ISA_AVX512, 127, 64, "2-vector block (elements 64..95;"},
    {"sgd", OB_ISA_AVX512, 127, 100, "single vector (elements 96..111;"},
    {"sgd", OB_ISA_AVX512, 127, 126, "masked tail (elements 112..126, 15 of 16 lanes;"},
    {"sgd", OB_ISA_AVX2, 31, 3, "2-vector block (elements 0..15;"},
    {"sgd", OB_ISA_AVX2, 31, 24, "masked tail (elements 24..30, 7 of 8 lanes;"},
};

Test(ci_repro, the_block_of_an_element_follows_the_kernel_structure)
{
    if (ob_isa_width(OB_ISA_AVX512) != 16 || ob_isa_width(OB_ISA_AVX2) != 8)
        cr_skip_test("vector ISAs not built: SKIPPED");
    for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
        char buf[256];
        ci_kernel_where(ob_optimizer_find(blocks[k].opt), blocks[k].isa, blocks[k].n, blocks[k].i, buf,
                        sizeof buf);
        cr_assert(strstr(buf, blocks[k].want), "%s/%s n=%zu i=%zu: %s (want %s)", blocks[k].opt,
                  ob_isa_name(blocks[k].isa), blocks[k].n, blocks[k].i, buf, blocks[k].want);
    }
}

/* ---- running what a failure prints ---------------------------------------- */

static char repro_dir[] = "/tmp/optbench-ci-repro-XXXXXX";

static void setup(void)
{
    cr_assert(mkdtemp(repro_dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", repro_dir);
    cr_assert_eq(system(cmd), 0);
}

/* `optbench ci --no-speed` against the committed baseline: exit 3 and the
 * line of the first failing check whose name contains needle. */
static char *ci_fail_line(const char *gate, const char *needle)
{
    char *out = NULL, *err = NULL;
    const char *argv[] = {"optbench",    "ci",      "--no-speed", "--baseline", OB_CI_BASELINE_DEFAULT,
                          "--repro-dir", repro_dir, NULL};
    cr_assert_eq(ob_cli_capture(argv, &out, &err), 3, "%s%s", out, err);
    char *line = NULL;
    for (char *l = strtok(out, "\n"); l && !line; l = strtok(NULL, "\n"))
        if (!strncmp(l, gate, strlen(gate)) && strstr(l, needle) && strstr(l, "FAIL")) line = strdup(l);
    cr_assert(line, "no failing %s check %s in:\n%s", gate, needle, out);
    free(out);
    free(err);
    return line;
}

/* Runs the command after "reproduce: " (or "reproduce on a problem: ") in
 * line, up to " (" or the end, with extra arguments appended: its
 * VAR=value prefix is set in the environment. */
static int run_repro(const char *line, const char *extra, char **out)
{
    const char *r = strstr(line, "reproduce: ");
    cr_assert(r, "no command in: %s", line);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s", r + strlen("reproduce: "));
    cmd[strcspn(cmd, "(;")] = '\0';
    if (extra) snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " %s", extra);
    const char *argv[64];
    int argc = 0;
    for (char *t = strtok(cmd, " "); t && argc < 63; t = strtok(NULL, " ")) {
        char *eq = strchr(t, '=');
        if (argc == 0 && eq && !strncmp(t, "OPTBENCH_", 9)) {
            *eq = '\0';
            setenv(t, eq + 1, 1);
            continue;
        }
        argv[argc++] = t;
    }
    argv[argc] = NULL;
    cr_assert(argc > 1 && !strcmp(argv[0], "optbench"), "not an optbench line: %s", line);
    char *err = NULL;
    int rc = ob_cli_capture(argv, out, &err);
    free(err);
    unsetenv("OPTBENCH_ISA");
    return rc;
}

/* Field `col` (1-based) of line `row` (1-based) of a trace's output. */
static double trace_value(const char *text, int row, int col)
{
    const char *l = text;
    for (int k = 1; k < row && l; k++) l = strchr(l, '\n'), l = l ? l + 1 : NULL;
    cr_assert(l, "no line %d", row);
    for (int k = 1; k < col && l; k++) l = strchr(l, ','), l = l ? l + 1 : NULL;
    cr_assert(l, "no value %d on line %d", col, row);
    return strtod(l, NULL);
}

/* The trace line of a failure prints, at "(line T, value V: X; Y with ...)",
 * X from the mutant and Y from --isa scalar: both are checked by running
 * it, and the unmutated scalar run. */
static void check_trace_shows_it(const char *line, int mutated_isa_is_scalar)
{
    int row = 0, col = 0;
    double shown = 0;
    const char *at = strstr(line, "(line ");
    cr_assert(at && sscanf(at, "(line %d, value %d: %lf", &row, &col, &shown) == 3, "%s", line);
    char *out = NULL;
    cr_assert_eq(run_repro(line, NULL, &out), 0, "%s", out);
    double got = trace_value(out, row, col);
    free(out);
    cr_assert_eq((float)got, (float)shown,
                 "the command prints %.9g at line %d, value %d; the failure says %.9g", got, row, col, shown);
    /* The same inputs without the mutant differ there. */
    long *m = mutated_isa_is_scalar ? &scalar_at : &avx512_at, saved = *m;
    *m = -1;
    cr_assert_eq(run_repro(line, NULL, &out), 0);
    *m = saved;
    cr_assert_neq((float)trace_value(out, row, col), (float)got,
                  "the unmutated kernel prints the same value");
    free(out);
}

static void avx512_case(long at, const char *block)
{
    need_avx2();
    if (!ob_isa_supported(OB_ISA_AVX512)) cr_skip_test("no AVX-512: SKIPPED");
    avx512_at = at;
    char *line = ci_fail_line("exactness", "adam{}/avx512");
    char want[128];
    snprintf(want, sizeof want, "first at step 1; p[%ld] = ", at);
    cr_assert(strstr(line, want), "%s", line);
    cr_assert(strstr(line, "computed in kernels/avx512/adam.c, ") && strstr(line, block), "%s", line);
    cr_assert(strstr(line, "reproduce: OPTBENCH_ISA=avx512 optbench trace --opt adam --isa avx512 --x0 "),
              "%s", line);
    check_trace_shows_it(line, 0);
    free(line);
}

Test(ci_repro, an_avx512_difference_in_the_unrolled_loop, .init = setup, .fini = teardown, .timeout = 120)
{
    avx512_case(41, "unrolled loop (2 vectors of 16 per iteration: iteration 1, vector 0; element 41 of 67)");
}

Test(ci_repro, an_avx512_difference_in_the_masked_tail, .init = setup, .fini = teardown, .timeout = 120)
{
    avx512_case(65, "masked tail (elements 64..66, 3 of 16 lanes; element 65 of 67)");
}

/* A changed scalar kernel: the scalar-vs-baseline check names the scalar
 * file and a trace line that prints the new final value; the convergence
 * check of the 50-element quadratic names the file and a run line whose
 * final loss differs from the baseline's. */
Test(ci_repro, a_scalar_change_against_the_baseline, .init = setup, .fini = teardown, .timeout = 180)
{
    need_avx2();
    scalar_at = 41;
    char *line = ci_fail_line("exactness", "adam{amsgrad=1}/scalar-vs-baseline");
    cr_assert(strstr(line, "final p[41] = ") &&
                  strstr(line, "computed in kernels/scalar/adam.c, element loop (element 41 of 67)") &&
                  strstr(line, "reproduce: OPTBENCH_ISA=scalar optbench trace --opt adam --set amsgrad=1 "
                               "--isa scalar --x0 "),
              "%s", line);
    int row = 0, col = 0;
    double shown = 0, base = 0;
    const char *at = strstr(line, "(line ");
    cr_assert(at && sscanf(at, "(line %d, value %d: %lf; the baseline's %lf", &row, &col, &shown, &base) == 4,
              "%s", line);
    char *out = NULL;
    cr_assert_eq(run_repro(line, NULL, &out), 0, "%s", out);
    cr_assert_eq((float)trace_value(out, row, col), (float)shown);
    cr_assert_neq((float)shown, (float)base);
    free(out);
    free(line);

    line = ci_fail_line("convergence", "quad_diag.adam");
    cr_assert(strstr(line, "the scalar path: kernels/scalar/adam.c") &&
                  strstr(line, "reproduce: OPTBENCH_ISA=scalar optbench run --opt adam --set lr=0.05 "
                               "--problem quad_diag --n 50 --param cond=100 --steps 300 --seed 0"),
              "%s", line);
    char extra[160], path[200], err[256];
    snprintf(extra, sizeof extra, "--out %s/run --quiet", repro_dir);
    cr_assert_eq(run_repro(line, extra, &out), 0, "%s", out);
    free(out);
    snprintf(path, sizeof path, "%s/run/latest/results.json", repro_dir);
    cJSON *r = ob_json_read(path, err, sizeof err);
    cr_assert(r, "%s", err);
    const cJSON *sc = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "cases"), 0), "isa"), "scalar");
    double loss = cJSON_GetNumberValue(cJSON_GetObjectItem(sc, "final_loss"));
    /* It prints the loss the failure reports, not the baseline's. */
    double shown_loss = 0;
    cr_assert(sscanf(strstr(line, "final loss "), "final loss %lf", &shown_loss) == 1, "%s", line);
    cr_assert(fabs(loss - shown_loss) <= 1e-8 * fabs(shown_loss), "run: %.17g, the failure: %.9g", loss,
              shown_loss);
    cJSON *b = ob_ci_baseline_read(OB_CI_BASELINE_DEFAULT, err, sizeof err);
    cr_assert(b, "%s", err);
    const cJSON *c;
    double baseline_loss = NAN;
    cJSON_ArrayForEach(
        c, cJSON_GetObjectItem(b, "convergence")) if (!strcmp(cJSON_GetObjectItem(c, "id")->valuestring,
                                                              "quad_diag.adam"))
        baseline_loss = strtod(cJSON_GetObjectItem(c, "final_loss")->valuestring, NULL);
    cr_assert(loss != baseline_loss, "the run line gives the baseline's loss %.17g", loss);
    cJSON_Delete(b);
    cJSON_Delete(r);
    free(line);
}
