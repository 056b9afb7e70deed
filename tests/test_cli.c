/*
 * test_cli.c — the `optbench` command line: the subcommand table, --help
 * and --version, exit code 2 with a clear message for unknown subcommands,
 * options and names, the shared option parser, and `list`.  Everything
 * runs in-process through ob_cli_capture; one test also runs the built
 * binary (build/optbench, relative to the repository root) when present.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "common/ob_test_proc.h"
#include "optbench/problems.h"

#define ARGV(...) ((const char *const[]){"optbench", __VA_ARGS__, NULL})

/* Runs the command line; checks the exit code; returns stdout and stderr. */
static void run(const char *const *argv, int want_rc, char **out, char **err)
{
    int rc = ob_cli_capture(argv, out, err);
    cr_assert_eq(rc, want_rc, "'%s %s ...': exit %d, expected %d; stderr: %s", argv[1] ? argv[1] : "",
                 argv[1] && argv[2] ? argv[2] : "", rc, want_rc, *err);
}

static void expect(const char *const *argv, int want_rc, const char *where, const char *const *must)
{
    char *out, *err;
    run(argv, want_rc, &out, &err);
    const char *text = !strcmp(where, "out") ? out : err;
    for (size_t i = 0; must[i]; i++)
        cr_assert(strstr(text, must[i]), "std%s lacks '%s':\n%s", where, must[i], text);
    free(out);
    free(err);
}

#define MUST(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(cli, no_arguments_prints_usage_and_exits_2)
{
    char *out, *err;
    cr_assert_eq(ob_cli_capture((const char *const[]){"optbench", NULL}, &out, &err), 2);
    cr_assert(strstr(err, "usage: optbench"), "%s", err);
    free(out);
    free(err);
}

Test(cli, help_and_version)
{
    char *out, *err;
    run(ARGV("--help"), 0, &out, &err);
    /* Every command's line, its summary in one column for all of them. */
    long column = -1;
    for (size_t i = 0; i < ob_command_count; i++) {
        char line[128];
        snprintf(line, sizeof line, "\n  %s ", ob_command_table[i]->name);
        const char *at = strstr(out, line);
        cr_assert(at, "--help lacks %s", ob_command_table[i]->name);
        at += strlen(line);
        while (*at == ' ') at++;
        const char *nl = at;
        while (nl > out && nl[-1] != '\n') nl--;
        if (column < 0) column = at - nl;
        cr_assert_eq(at - nl, column, "the summary of %s starts at column %ld, not %ld:\n%s",
                     ob_command_table[i]->name, (long)(at - nl), column, out);
    }
    free(out);
    free(err);
    expect(ARGV("-h"), 0, "out", MUST("usage: optbench"));
    expect(ARGV("--version"), 0, "out", MUST("optbench ", OB_VERSION));
}

Test(cli, unknown_subcommand_lists_the_known_ones)
{
    expect(ARGV("frobnicate"), 2, "err", MUST("unknown command 'frobnicate'", "list", "schedule", "trace"));
    expect(ARGV("--frobnicate"), 2, "err", MUST("unknown option '--frobnicate'"));
}

Test(cli, every_subcommand_has_help)
{
    for (size_t i = 0; i < ob_command_count; i++) {
        const ob_cmd_spec *c = ob_command_table[i];
        char *out, *err;
        run(ARGV(c->name, "--help"), 0, &out, &err);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: optbench %s", c->name);
        cr_assert(strstr(out, usage), "%s --help:\n%s", c->name, out);
        for (size_t k = 0; k < c->n_opts; k++)
            cr_assert(strstr(out, c->opts[k].name), "%s --help lacks --%s", c->name, c->opts[k].name);
        cr_assert_str_eq(err, "");
        free(out);
        free(err);
        run(ARGV(c->name, "-h"), 0, &out, &err);
        cr_assert(strstr(out, usage), "%s -h:\n%s", c->name, out);
        free(out);
        free(err);
    }
}

Test(cli, every_subcommand_rejects_unknown_options)
{
    for (size_t i = 0; i < ob_command_count; i++) {
        const char *name = ob_command_table[i]->name;
        expect(ARGV(name, "--no-such-option", "1"), 2, "err",
               MUST("unknown option '--no-such-option'", "--help"));
        expect(ARGV(name, "-x"), 2, "err", MUST("unknown option '-x'"));
    }
}

Test(cli, option_parser_forms_and_errors)
{
    /* --key=value and --key value give the same result. */
    char *a, *b, *e1, *e2;
    run(ARGV("schedule", "--schedule=step", "--sched-set=step_size=2", "--lr=0.5", "--steps=4"), 0, &a, &e1);
    run(ARGV("schedule", "--schedule", "step", "--sched-set", "step_size=2", "--lr", "0.5", "--steps", "4"),
        0, &b, &e2);
    cr_assert_str_eq(a, b);
    cr_assert_str_eq(a, "step,lr\n1,0.5\n2,0.5\n3,0.050000000000000003\n4,0.050000000000000003\n");
    free(a);
    free(b);
    free(e1);
    free(e2);
    /* Missing value, repeated single option, missing required option,
     * a value for a non-repeatable option given twice, a stray argument. */
    expect(ARGV("schedule", "--schedule", "step", "--lr", "1", "--steps"), 2, "err",
           MUST("--steps", "needs a value"));
    expect(ARGV("schedule", "--schedule", "step", "--schedule", "cosine", "--lr", "1", "--steps", "1"), 2,
           "err", MUST("--schedule", "more than once"));
    expect(ARGV("schedule", "--schedule", "constant", "--lr", "1"), 2, "err",
           MUST("missing required option --steps"));
    expect(ARGV("schedule", "--schedule", "constant", "--lr", "1", "--steps", "2", "extra"), 2, "err",
           MUST("unexpected argument 'extra'"));
    /* Bad values name the option and the value. */
    expect(ARGV("schedule", "--schedule", "constant", "--lr", "-1", "--steps", "2"), 2, "err",
           MUST("--lr", "-1"));
    expect(ARGV("schedule", "--schedule", "constant", "--lr", "1", "--steps", "2.5"), 2, "err",
           MUST("--steps", "2.5"));
    expect(ARGV("schedule", "--schedule", "constant", "--lr", "nan", "--steps", "2"), 2, "err",
           MUST("--lr", "nan"));
}

Test(cli, args_parser_directly)
{
    static const ob_opt opts[] = {
        {"name", "N", OB_OPT_REQUIRED, "a name"},
        {"set", "KV", OB_OPT_REPEAT, "repeatable"},
        {"verbose", NULL, OB_OPT_FLAG, "a flag"},
    };
    static const ob_cmd_spec spec = {"demo", "--name N", "demo", NULL, opts, 3, 0, 2, NULL};
    char *argv[] = {"demo", "--set", "a=1", "--name=x", "--verbose", "--set=b=2", "--", "--pos", NULL};
    ob_args a;
    FILE *devnull = fopen("/dev/null", "w");
    cr_assert_eq(ob_args_parse(&spec, 8, argv, &a, devnull, devnull), OB_EXIT_OK);
    cr_assert_str_eq(ob_args_get(&a, "name"), "x");
    size_t n;
    const char *const *sets = ob_args_all(&a, "set", &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(sets[0], "a=1");
    cr_assert_str_eq(sets[1], "b=2");
    cr_assert(ob_args_has(&a, "verbose"));
    cr_assert_eq(a.n_pos, 1);
    cr_assert_str_eq(a.pos[0], "--pos");
    ob_args_free(&a);
    char *bad[] = {"demo", "--name", "x", "--verbose=1", NULL};
    cr_assert_eq(ob_args_parse(&spec, 4, bad, &a, devnull, devnull), OB_EXIT_USAGE);
    char *help[] = {"demo", "--help", NULL};
    cr_assert_eq(ob_args_parse(&spec, 2, help, &a, devnull, devnull), OB_ARGS_HELP);
    fclose(devnull);
}

/* The shared helpers of ob_core.h: whole-string value parsers, intervals,
 * ob_fail, JSON numbers and the clock (ob_join_names is exercised by the
 * "known: ..." messages below). */
Test(cli, shared_helpers)
{
    double d;
    uint64_t u;
    int b;
    cr_assert(ob_parse_real("1e-3", &d) == 0 && d == 1e-3);
    cr_assert_neq(ob_parse_real(" 1", &d), 0);
    cr_assert_neq(ob_parse_real("1x", &d), 0);
    cr_assert(ob_parse_u64("18446744073709551615", &u) == 0 && u == UINT64_MAX);
    cr_assert_neq(ob_parse_u64("18446744073709551616", &u), 0);
    cr_assert_neq(ob_parse_u64("-1", &u), 0);
    cr_assert(ob_parse_bool("TRUE", &b) == 0 && b == 1);
    cr_assert(ob_parse_bool("0", &b) == 0 && b == 0);
    cr_assert_neq(ob_parse_bool("yes", &b), 0);
    char buf[64];
    ob_format_interval(0, INFINITY, 1, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "(0, inf)");
    ob_format_interval(-1, 1, 0, 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "[-1, 1)");
    cr_assert_eq(ob_fail(buf, sizeof buf, "bad %s %d", "value", 3), -1);
    cr_assert_str_eq(buf, "bad value 3");
    cJSON *o = cJSON_CreateObject();
    ob_json_add_num(o, "x", 2.5);
    ob_json_add_num(o, "nan", NAN);
    ob_json_add_num(o, "inf", -INFINITY);
    cr_assert_eq(cJSON_GetObjectItem(o, "x")->valuedouble, 2.5);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "nan")) && cJSON_IsNull(cJSON_GetObjectItem(o, "inf")));
    cJSON_Delete(o);
    double t0 = ob_now_s(), t1 = ob_now_s();
    cr_assert(t0 > 0 && t1 >= t0);
}

/* One number rule for every entry point: no white space around a value
 * (KEY=VALUE options: around the key or the value either), integers as
 * digits or an exactly integral "1e3", and an empty option value is bad
 * input (exit 2), never a missing folder (exit 4). */
Test(cli, number_parsing_is_one_rule_everywhere, .timeout = 120)
{
    uint64_t u;
    double d;
    cr_assert(ob_parse_u64("1e3", &u) == 0 && u == 1000);
    cr_assert(ob_parse_u64("2.5E+1", &u) == 0 && u == 25);
    cr_assert_neq(ob_parse_u64("2.5E+0", &u), 0);
    cr_assert(ob_parse_u64("2.0", &u) == 0 && u == 2);
    cr_assert_neq(ob_parse_u64("0x10", &u), 0);
    cr_assert_neq(ob_parse_u64("inf", &u), 0);
    cr_assert_neq(ob_parse_u64("1e300", &u), 0);
    cr_assert_neq(ob_parse_u64("1e3 ", &u), 0);
    cr_assert_neq(ob_parse_u64(" 7", &u), 0);
    cr_assert_neq(ob_parse_real("0.1 ", &d), 0);
    cr_assert_neq(ob_parse_real("\v0.1", &d), 0);
    char dir[] = "/tmp/optbench-num-XXXXXX";
    cr_assert(mkdtemp(dir));
#define RUN1(...) \
    ARGV("run", "--problem", "quad_diag", "--opt", "sgd", "--isa", "scalar", "--quiet", "--out", dir, \
         __VA_ARGS__)
    char *out, *err;
    /* whitespace: the same answer on either side of the value, for --set and --sched-set */
    expect(RUN1("--steps", "5", "--set", "lr= 0.1"), 2, "err", MUST("white space"));
    expect(RUN1("--steps", "5", "--set", "lr=0.1 "), 2, "err", MUST("white space"));
    expect(RUN1("--steps", "5", "--set", "lr =0.1"), 2, "err", MUST("white space"));
    expect(RUN1("--steps", "5", "--schedule", "cosine", "--sched-set", "T_max= 4"), 2, "err",
           MUST("white space"));
    expect(RUN1("--steps", "5", "--schedule", "cosine", "--sched-set", "T_max=4 "), 2, "err",
           MUST("white space"));
    expect(ARGV("schedule", "--schedule", "cosine", "--sched-set", "T_max=4 ", "--lr", "0.1", "--steps", "4"),
           2, "err", MUST("white space"));
    expect(RUN1("--steps", " 5"), 2, "err", MUST("--steps"));
    expect(RUN1("--steps", "5", "--n", "4 "), 2, "err", MUST("--n"));
    /* integers: 1e1 wherever an integer is read, as T_max=1e1 always was */
    run(RUN1("--steps", "1e1", "--n", "1e1", "--schedule", "cosine", "--sched-set", "T_max=1e1"), 0, &out,
        &err);
    free(out), free(err);
    run(ARGV("schedule", "--schedule", "cosine", "--sched-set", "T_max=1e1", "--lr", "0.1", "--steps", "1e1"),
        0, &out, &err);
    cr_assert(strstr(out, "10"), "%s", out);
    free(out), free(err);
    expect(RUN1("--steps", "1.5"), 2, "err", MUST("--steps"));
    expect(RUN1("--steps", "5", "--schedule", "cosine", "--sched-set", "T_max=1.5"), 2, "err",
           MUST("not an integer"));
    /* an empty value is bad input */
    expect(ARGV("run", "--problem", "quad_diag", "--opt", "sgd", "--steps", "5", "--out", ""), 2, "err",
           MUST("non-empty value", "--out"));
#undef RUN1
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* OPTBENCH_ISA and OPTBENCH_LOG_ISA are honoured by the command: an
 * unknown value is exit 2 with the library's message for every command;
 * a forced ISA restricts the ISAs run to it and scalar; an --isa that
 * contradicts it is exit 2; OPTBENCH_LOG_ISA=1 logs the choice. */
Test(cli, optbench_isa_is_honoured_by_the_command, .timeout = 120)
{
    char dir[] = "/tmp/optbench-isaenv-XXXXXX";
    cr_assert(mkdtemp(dir));
    char *out, *err;
    setenv("OPTBENCH_ISA", "bogus", 1);
    expect(ARGV("run", "--problem", "booth", "--opt", "sgd", "--steps", "5", "--quiet", "--out", dir), 2,
           "err", MUST("OPTBENCH_ISA=bogus is not an instruction set"));
    expect(ARGV("ci", "--no-speed"), 2, "err", MUST("OPTBENCH_ISA=bogus"));
    expect(ARGV("bench", "--opt", "sgd", "--sizes", "1Ki", "--out", dir), 2, "err",
           MUST("OPTBENCH_ISA=bogus"));
    setenv("OPTBENCH_ISA", "scalar", 1);
    run(ARGV("run", "--problem", "booth", "--opt", "sgd", "--steps", "5", "--out", dir), 0, &out, &err);
    cr_assert(strstr(out, " scalar ") && !strstr(out, " avx2 ") && !strstr(out, " avx512 "), "%s", out);
    free(out), free(err);
    expect(ARGV("run", "--problem", "booth", "--opt", "sgd", "--steps", "5", "--isa", "scalar,avx2", "--out",
                dir),
           2, "err", MUST("--isa avx2 contradicts OPTBENCH_ISA=scalar"));
    unsetenv("OPTBENCH_ISA");
    char scratch[64];
    ob_tp_scratch(scratch, sizeof scratch, "isalog");
    const char *env[] = {"OPTBENCH_LOG_ISA=1", NULL};
    const char *argv[] = {"list", "isas", NULL};
    cr_assert_eq(ob_tp_run(argv, env, scratch, &out, &err), 0, "%s", err);
    cr_assert(strstr(err, "optbench: using ") && strstr(err, " kernels ("), "stderr: %s", err);
    free(out), free(err);
    ob_tp_rmtree(scratch);
    ob_tp_rmtree(dir);
}

/* Duplicate keys are rejected wherever optbench reads JSON (one checker,
 * called by ob_json_read): unit cases, then a suite file, a results set
 * given to compare and a CI baseline, each naming the key and the file. */
Test(cli, duplicate_json_keys_are_rejected_everywhere, .timeout = 120)
{
    char msg[512];
    const char *ok = "{\"a\": {\"x\": 1, \"y\": [ {\"x\": 1}, {\"y\": 2} ]}, \"b\": 2}";
    cJSON *j = cJSON_Parse(ok);
    cr_assert_eq(ob_json_check_keys(j, "f.json", msg, sizeof msg), 0, "%s", msg);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"cases\": [{\"lr\": {\"sgd\": 0.1, \"sgd\": 0.01}}]}");
    cr_assert_neq(ob_json_check_keys(j, "f.json", msg, sizeof msg), 0);
    cr_assert(strstr(msg, "f.json: duplicate key \"sgd\" in cases[0].lr"), "%s", msg);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"cases\": [], \"x\": 1, \"cases\": [1]}");
    cr_assert_neq(ob_json_check_keys(j, "f.json", msg, sizeof msg), 0);
    cr_assert(strstr(msg, "duplicate key \"cases\" in the top-level object"), "%s", msg);
    cJSON_Delete(j);
    /* A large object goes through the sorted path. */
    cJSON *big = cJSON_CreateObject();
    for (int k = 0; k < 1000; k++) {
        char name[16];
        snprintf(name, sizeof name, "k%d", k);
        cJSON_AddNumberToObject(big, name, k);
    }
    cr_assert_eq(ob_json_check_keys(big, "big.json", msg, sizeof msg), 0, "%s", msg);
    cJSON_AddNumberToObject(big, "k517", 1);
    cr_assert_neq(ob_json_check_keys(big, "big.json", msg, sizeof msg), 0);
    cr_assert(strstr(msg, "\"k517\""), "%s", msg);
    cJSON_Delete(big);

    char dir[] = "/tmp/optbench-dupkeys-XXXXXX", path[128];
    cr_assert(mkdtemp(dir));
    FILE *f;
    snprintf(path, sizeof path, "%s/suite.json", dir);
    cr_assert((f = fopen(path, "w")));
    fputs(
        "{\"cases\": [{\"problem\": \"booth\", \"steps\": 5, \"optimizers\": [\"sgd\"], \"lr\": {\"sgd\": 0.1, "
        "\"sgd\": 0.01}}]}\n",
        f);
    fclose(f);
    expect(ARGV("run", "--suite", path, "--quiet", "--out", dir), 2, "err",
           MUST("suite.json", "duplicate key \"sgd\" in cases[0].lr"));
    cr_assert((f = fopen(path, "w")));
    fputs(
        "{\"cases\": [{\"problem\": \"booth\", \"steps\": 5}], \"cases\": [{\"problem\": \"rosenbrock\"}]}\n",
        f);
    fclose(f);
    expect(ARGV("run", "--suite", path, "--quiet", "--out", dir), 2, "err", MUST("duplicate key \"cases\""));
    /* A results set (compare) and a CI baseline. */
    snprintf(path, sizeof path, "%s/results.json", dir);
    cr_assert((f = fopen(path, "w")));
    fputs("{\"format\": \"optbench-results\", \"version\": 1, \"status\": \"complete\", \"cases\": [], "
          "\"status\": \"interrupted\"}\n",
          f);
    fclose(f);
    expect(ARGV("compare", path, path), 2, "err", MUST("results.json: duplicate key \"status\""));
    snprintf(path, sizeof path, "%s/baseline.json", dir);
    cr_assert((f = fopen(path, "w")));
    fputs("{\"format\": \"x\", \"format\": \"y\"}\n", f);
    fclose(f);
    expect(ARGV("ci", "--no-speed", "--baseline", path), 2, "err",
           MUST("baseline.json: duplicate key \"format\""));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(cli, unknown_names_are_errors_listing_the_known_ones)
{
    expect(ARGV("trace", "--opt", "adamz", "--isa", "reference", "--x0", "x", "--grads", "g"), 2, "err",
           MUST("unknown optimizer 'adamz'", "sgd", "adagrad", "rmsprop", "adam", "adamw", "amsgrad"));
    expect(ARGV("schedule", "--schedule", "cosine", "--sched-set", "T_max=3", "--lr", "1", "--steps", "2",
                "--opt", "nosuch"),
           2, "err", MUST("unknown optimizer 'nosuch'"));
    expect(ARGV("schedule", "--schedule", "warmup", "--lr", "1", "--steps", "2"), 2, "err",
           MUST("unknown schedule 'warmup'", "onecycle"));
    expect(ARGV("trace", "--opt", "adam", "--isa", "sse2", "--x0", "x", "--grads", "g"), 2, "err",
           MUST("sse2", "reference", "scalar", "avx2", "avx512"));
    expect(ARGV("trace", "--opt", "adam", "--set", "betas=0.9", "--isa", "reference", "--x0", "x", "--grads",
                "g"),
           2, "err", MUST("betas", "beta1"));
    expect(
        ARGV("trace", "--opt", "adam", "--set", "lr=-1", "--isa", "reference", "--x0", "x", "--grads", "g"),
        2, "err", MUST("lr", "-1", "valid"));
    expect(ARGV("list", "widgets"), 2, "err", MUST("unknown section 'widgets'", "optimizers", "problems"));
    expect(ARGV("list", "optimizers", "nosuch"), 2, "err", MUST("unknown optimizer 'nosuch'"));
    expect(ARGV("list", "problems", "no_such_problem"), 2, "err", MUST("unknown problem 'no_such_problem'"));
    expect(ARGV("list", "schedules", "warmup"), 2, "err", MUST("unknown schedule 'warmup'"));
    expect(ARGV("list", "isas", "neon"), 2, "err", MUST("unknown instruction set 'neon'"));
}

Test(cli, list_prints_every_optimizer_isa_schedule_and_problem)
{
    char *out, *err;
    run(ARGV("list"), 0, &out, &err);
    for (size_t i = 0; i < ob_optimizer_count; i++) {
        const ob_optimizer *o = ob_optimizer_table[i];
        cr_assert(strstr(out, o->name), "list lacks optimizer %s", o->name);
        for (size_t k = 0; k < o->n_hparams; k++)
            cr_assert(strstr(out, o->hparams[k].name), "list lacks %s's %s", o->name, o->hparams[k].name);
    }
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        char line[64];
        snprintf(line, sizeof line, "  %-8s", ob_isa_name((ob_isa)isa));
        cr_assert(strstr(out, line), "list lacks ISA %s", ob_isa_name((ob_isa)isa));
        /* Unsupported ISAs say why. */
        if (!ob_isa_supported((ob_isa)isa)) cr_assert(strstr(out, ob_isa_unavailable_reason((ob_isa)isa)));
    }
    for (size_t i = 0; i < ob_schedule_count; i++)
        cr_assert(strstr(out, ob_schedule_table[i]->name), "list lacks schedule %s",
                  ob_schedule_table[i]->name);
    for (size_t i = 0; i < ob_problem_count; i++)
        cr_assert(strstr(out, ob_problem_table[i]->name), "list lacks problem %s", ob_problem_table[i]->name);
    free(out);
    free(err);
}

Test(cli, list_one_entry_in_full)
{
    expect(ARGV("list", "optimizers", "adam"), 0, "out",
           MUST("Kingma", "exp_avg_sq", "beta2", "0.999", "[0, 1)", "scalar"));
    expect(ARGV("list", "schedules", "onecycle"), 0, "out",
           MUST("OneCycleLR", "max_lr", "required", "pct_start", "0.3", "cos | linear"));
    expect(ARGV("list", "isas", "scalar"), 0, "out", MUST("scalar", "yes"));
    /* The section says which bf16 rounding AVX-512 uses. */
    expect(ARGV("list", "isas"), 0, "out", MUST("bf16 rounding on avx512: "));
    const ob_problem_spec *p = ob_problem_table[0];
    expect(ARGV("list", "problems", p->name), 0, "out",
           MUST(p->name, p->citation, "x0", "f*", "box", "config keys"));
    if (ob_problem_find("mgh_rosenbrock"))
        expect(ARGV("list", "problems", "mgh_rosenbrock"), 0, "out", MUST("x0: (-1.2, 1)", "f*: 0"));
}

Test(cli, built_binary_exit_codes)
{
    /* The tests run from the repository root (make test). */
    if (access("build/optbench", X_OK) != 0) {
        cr_log_warn("SKIPPED: build/optbench not built");
        return;
    }
    int st = system("build/optbench --version >/dev/null");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = system("build/optbench frobnicate 2>/dev/null");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    st = system("build/optbench trace --help >/dev/null");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
