/*
 * cli.c — the table of `optbench` subcommands, the top-level dispatch
 * (--help, --version, unknown subcommands) and the helpers the
 * subcommands share (see ob_cli.h).
 *
 * The table lives here rather than in main.c so that the tests can run the
 * whole command line in-process; main.c only calls ob_cli_main.  A new
 * subcommand is one ob_cmd_spec in its own cmd_<name>.c plus one line in
 * ob_command_table.
 */
#include "ob_cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const ob_cmd_spec *const ob_command_table[] = {
    &ob_cmd_bench_spec, &ob_cmd_list_spec,    &ob_cmd_run_spec,      &ob_cmd_report_spec, &ob_cmd_repro_spec,
    &ob_cmd_ci_spec,    &ob_cmd_compare_spec, &ob_cmd_schedule_spec, &ob_cmd_sweep_spec,  &ob_cmd_merge_spec,
    &ob_cmd_trace_spec, &ob_cmd_tensorboard_spec, &ob_cmd_profile_spec,
};
const size_t ob_command_count = sizeof ob_command_table / sizeof ob_command_table[0];

const ob_cmd_spec *ob_command_find(const char *name)
{
    for (size_t i = 0; name && i < ob_command_count; i++)
        if (strcmp(ob_command_table[i]->name, name) == 0) return ob_command_table[i];
    return NULL;
}

static const char *command_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return ob_command_table[i]->name;
}

static void top_usage(FILE *f)
{
    fprintf(f, "usage: optbench COMMAND [OPTIONS]...\n"
               "       optbench --help | --version\n\n"
               "Tests and benchmarks of optimizer update kernels.\n\ncommands:\n");
    /* The summaries line up one space after the longest command name. */
    int width = 0;
    for (size_t i = 0; i < ob_command_count; i++) {
        const int len = (int)strlen(ob_command_table[i]->name);
        if (len > width) width = len;
    }
    for (size_t i = 0; i < ob_command_count; i++)
        fprintf(f, "  %-*s %s\n", width, ob_command_table[i]->name, ob_command_table[i]->summary);
    fprintf(f, "\nRun 'optbench COMMAND --help' for a command's options.\n");
}

/* OPTBENCH_ISA and OPTBENCH_LOG_ISA, honoured by the command in this one
 * place (the library reads them too, for ob_step's dispatch):
 *   - an unknown value, or one this CPU cannot run, is bad input (exit 2)
 *     with the library's message, for every command;
 *   - OPTBENCH_LOG_ISA=1 logs the choice on stderr (the library's line);
 *   - a command that runs every ISA by default (run, bench, repro: the
 *     ones with an --isa LIST option) runs only the forced ISA and scalar,
 *     the reference path every other ISA is compared with: the command
 *     line gets "--isa scalar,<ISA>" when it has no --isa;
 *   - an explicit --isa naming a vector ISA other than the forced one
 *     contradicts it and is bad input.
 * `ci` keeps its fixed suite over every ISA (the gate and its baseline
 * cover all of them); sweep runs scalar unless told otherwise.
 * *new_argv (malloc'd, argc + 2 entries) is set when "--isa" is added. */
static int cli_isa_env(const ob_cmd_spec *c, int argc, char **argv, char ***new_argv, FILE *err)
{
    /* OPTBENCH_PREFETCH (ob_cpu_tuning): the library ignores a value other
     * than on or off; the command refuses it. */
    const char *pf = getenv("OPTBENCH_PREFETCH");
    if (pf && *pf && strcmp(pf, "on") && strcmp(pf, "off")) {
        fprintf(err, "optbench %s: OPTBENCH_PREFETCH=%s is neither on nor off\n", c->name, pf);
        return OB_EXIT_USAGE;
    }
    const char *forced = getenv("OPTBENCH_ISA"), *log = getenv("OPTBENCH_LOG_ISA");
    int want_log = log && *log && strcmp(log, "0") != 0;
    if (!(forced && *forced) && !want_log) return OB_EXIT_OK;
    ob_isa isa;
    char msg[256];
    if (ob_isa_select(&isa, msg, sizeof msg) != 0) {
        fprintf(err, "optbench %s: %s\n", c->name, msg);
        return OB_EXIT_USAGE;
    }
    if (!(forced && *forced)) return OB_EXIT_OK;
    int list = 0;
    for (size_t i = 0; i < c->n_opts; i++)
        if (!strcmp(c->opts[i].name, "isa")) list = c->opts[i].metavar && !strcmp(c->opts[i].metavar, "LIST");
    int given = 0;
    for (int k = 1; k < argc && strcmp(argv[k], "--"); k++) {
        const char *v = NULL;
        if (!strcmp(argv[k], "--isa") && k + 1 < argc) v = argv[++k];
        else if (!strncmp(argv[k], "--isa=", 6)) v = argv[k] + 6;
        if (!v) continue;
        given = 1;
        char tok[64];
        for (const char *p = v; *p;) {
            size_t n = strcspn(p, ",");
            snprintf(tok, sizeof tok, "%.*s", (int)(n < sizeof tok ? n : sizeof tok - 1), p);
            ob_isa t;
            if (ob_isa_parse(tok, &t) == 0 && t != OB_ISA_SCALAR && t != isa) {
                fprintf(
                    err,
                    "optbench %s: --isa %s contradicts OPTBENCH_ISA=%s (which allows %s and scalar only); "
                    "unset one of them\n",
                    c->name, tok, forced, ob_isa_name(isa));
                return OB_EXIT_USAGE;
            }
            p += n + (p[n] == ',');
        }
    }
    if (given || !list) return OB_EXIT_OK;
    static char isa_list[64];
    snprintf(isa_list, sizeof isa_list, isa == OB_ISA_SCALAR ? "%s" : "scalar,%s", ob_isa_name(isa));
    char **v = calloc((size_t)argc + 3, sizeof *v);
    if (!v) {
        fprintf(err, "optbench %s: out of memory\n", c->name);
        return OB_EXIT_FAIL;
    }
    v[0] = argv[0];
    v[1] = (char *)"--isa";
    v[2] = isa_list;
    for (int k = 1; k < argc; k++) v[k + 2] = argv[k];
    *new_argv = v;
    return OB_EXIT_OK;
}

int ob_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    if (argc < 2) {
        top_usage(err);
        return OB_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        top_usage(out);
        return OB_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        fprintf(out, "optbench %s\n", OB_VERSION);
        return OB_EXIT_OK;
    }
    const ob_cmd_spec *c = ob_command_find(cmd);
    if (!c) {
        char known[256];
        ob_join_names(known, sizeof known, command_name_at, NULL, ob_command_count);
        fprintf(err, "optbench: unknown %s '%s' (known commands: %s; see optbench --help)\n",
                cmd[0] == '-' ? "option" : "command", cmd, known);
        return OB_EXIT_USAGE;
    }
    char **isa_argv = NULL;
    int rc = cli_isa_env(c, argc - 1, argv + 1, &isa_argv, err);
    if (rc != OB_EXIT_OK) return rc;
    if (isa_argv) {
        rc = c->run(argc + 1, isa_argv, out, err);
        free(isa_argv);
        return rc;
    }
    return c->run(argc - 1, argv + 1, out, err);
}

int ob_cli_capture(const char *const *argv, char **out, char **err)
{
    size_t argc = 0, out_len = 0, err_len = 0;
    while (argv[argc]) argc++;
    /* The subcommands take char ** (as main does) but never write to the
     * strings; a copy of the pointer array is all the const needs. */
    char **args = calloc(argc + 1, sizeof *args);
    FILE *fo = open_memstream(out, &out_len);
    FILE *fe = open_memstream(err, &err_len);
    if (!args || !fo || !fe) {
        free(args);
        if (fo) {
            fclose(fo);
            free(*out);
        }
        if (fe) {
            fclose(fe);
            free(*err);
        }
        return -1;
    }
    for (size_t i = 0; i < argc; i++) args[i] = (char *)(uintptr_t)argv[i];
    int rc = ob_cli_main((int)argc, args, fo, fe);
    fclose(fo);
    fclose(fe);
    free(args);
    return rc;
}

/* ---- shared helpers ----------------------------------------------------------- */

static const char *optimizer_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return ob_optimizer_table[i]->name;
}

const ob_optimizer *ob_cli_optimizer(const ob_cmd_spec *c, const char *name, FILE *err)
{
    const ob_optimizer *o = ob_optimizer_find(name);
    if (!o) {
        char known[256];
        ob_join_names(known, sizeof known, optimizer_name_at, NULL, ob_optimizer_count);
        ob_usage_error(c, err, "unknown optimizer '%s' (known: %s)", name ? name : "", known);
    }
    return o;
}

int ob_cli_hparams(const ob_cmd_spec *c, const ob_optimizer *o, const char *const *sets, size_t nsets,
                   ob_hparams *h, FILE *err)
{
    char msg[512];
    ob_hparams_default(o, h);
    for (size_t i = 0; i < nsets; i++)
        if (ob_hparam_set(o, h, sets[i], msg, sizeof msg) != 0)
            return ob_usage_error(c, err, "--set %s: %s", sets[i], msg);
    if (ob_validate(o, h, msg, sizeof msg) != 0) return ob_usage_error(c, err, "%s", msg);
    return OB_EXIT_OK;
}

int ob_cli_schedule(const ob_cmd_spec *c, const char *name, const char *const *sets, size_t nsets,
                    const ob_optimizer *o, ob_schedule *s, FILE *err)
{
    char msg[512];
    const ob_hparam_spec *key;
    if (ob_schedule_parse(name, sets, nsets, s, msg, sizeof msg) != 0 ||
        (o && ob_schedule_cycled_key(s, o, &key, msg, sizeof msg) != 0))
        return ob_usage_error(c, err, "%s", msg);
    return OB_EXIT_OK;
}

static const char *isa_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return ob_isa_name((ob_isa)i);
}

int ob_cli_isa(const ob_cmd_spec *c, const char *opt_name, const char *name, int allow_reference, ob_isa *isa,
               int *is_reference, FILE *err)
{
    if (is_reference) *is_reference = 0;
    if (allow_reference && !strcmp(name, "reference")) {
        *is_reference = 1;
        return OB_EXIT_OK;
    }
    if (ob_isa_parse(name, isa) != 0) {
        char known[128];
        ob_join_names(known, sizeof known, isa_name_at, NULL, OB_ISA_COUNT);
        return ob_usage_error(c, err, "unknown --%s '%s' (known: %s%s)", opt_name, name,
                              allow_reference ? "reference, " : "", known);
    }
    if (!ob_isa_supported(*isa))
        return ob_usage_error(c, err, "--%s %s cannot run here: %s", opt_name, name,
                              ob_isa_unavailable_reason(*isa));
    return OB_EXIT_OK;
}
