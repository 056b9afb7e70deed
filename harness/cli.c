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
    &ob_cmd_bench_spec,
    &ob_cmd_list_spec,
    &ob_cmd_run_spec,
    &ob_cmd_report_spec,
    &ob_cmd_repro_spec,
    &ob_cmd_ci_spec,
    &ob_cmd_compare_spec,
    &ob_cmd_schedule_spec,
    &ob_cmd_sweep_spec,
    &ob_cmd_trace_spec,
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
    for (size_t i = 0; i < ob_command_count; i++)
        fprintf(f, "  %-10s %s\n", ob_command_table[i]->name, ob_command_table[i]->summary);
    fprintf(f, "\nRun 'optbench COMMAND --help' for a command's options.\n");
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

int ob_cli_hparams(const ob_cmd_spec *c, const ob_optimizer *o, const char *const *sets,
                   size_t nsets, ob_hparams *h, FILE *err)
{
    char msg[512];
    ob_hparams_default(o, h);
    for (size_t i = 0; i < nsets; i++)
        if (ob_hparam_set(o, h, sets[i], msg, sizeof msg) != 0)
            return ob_usage_error(c, err, "--set %s: %s", sets[i], msg);
    if (ob_validate(o, h, msg, sizeof msg) != 0) return ob_usage_error(c, err, "%s", msg);
    return OB_EXIT_OK;
}

int ob_cli_schedule(const ob_cmd_spec *c, const char *name, const char *const *sets,
                    size_t nsets, const ob_optimizer *o, ob_schedule *s, FILE *err)
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

int ob_cli_isa(const ob_cmd_spec *c, const char *opt_name, const char *name,
               int allow_reference, ob_isa *isa, int *is_reference, FILE *err)
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
