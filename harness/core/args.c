/*
 * args.c — the shared option parser of the `optbench` subcommands (see
 * ob_core.h; the value parsers they share are in ob_core.h).
 *
 * Why not getopt_long: it permutes argv, prints its own messages in its own
 * words, knows nothing of required or repeatable options and would be
 * repeated in every subcommand.  This parser is table-driven instead: one
 * ob_cmd_spec per subcommand gives both the parsing and the --help text.
 */
#include "harness/core/ob_core.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const ob_opt *find_opt(const ob_cmd_spec *c, const char *name, size_t len, size_t *idx)
{
    for (size_t i = 0; i < c->n_opts; i++) {
        if (strlen(c->opts[i].name) == len && strncmp(c->opts[i].name, name, len) == 0) {
            *idx = i;
            return &c->opts[i];
        }
    }
    return NULL;
}

int ob_usage_error(const ob_cmd_spec *c, FILE *err, const char *fmt, ...)
{
    va_list ap;
    fprintf(err, "optbench %s: ", c->name);
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
    return OB_EXIT_USAGE;
}

void ob_args_free(ob_args *a)
{
    if (a->values) {
        for (size_t i = 0; i < a->cmd->n_opts; i++) free(a->values[i]);
    }
    free(a->values);
    free(a->count);
    free(a->pos);
    memset(a, 0, sizeof *a);
}

static int parse_error(const ob_cmd_spec *c, ob_args *a, FILE *err, const char *what, const char *arg)
{
    ob_args_free(a);
    fprintf(err, "optbench %s: %s '%s' (see optbench %s --help)\n", c->name, what, arg, c->name);
    return OB_EXIT_USAGE;
}

/* KEY=VALUE options (--set, --sched-set, --param) hold their values to the
 * rule of ob_parse_real: no white space around the key or the value.  The
 * library's hyperparameter parser (strtod) would skip it before a value
 * and reject it after one, so "lr= 0.1" and "lr=0.1 " were treated
 * differently; checking here covers every command in one place. */
static int kv_has_space(const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t n = strlen(kv), k = eq ? (size_t)(eq - kv) : n;
    return isspace((unsigned char)kv[0]) || isspace((unsigned char)kv[n - 1]) ||
           (eq && k > 0 && isspace((unsigned char)kv[k - 1])) || (eq && isspace((unsigned char)eq[1]));
}

static int kv_space_error(const ob_cmd_spec *c, ob_args *a, FILE *err, const ob_opt *o, const char *val)
{
    ob_args_free(a);
    fprintf(err,
            "optbench %s: --%s '%s': white space around the key or the value (write KEY=VALUE with none)\n",
            c->name, o->name, val);
    return OB_EXIT_USAGE;
}

int ob_args_parse(const ob_cmd_spec *c, int argc, char **argv, ob_args *a, FILE *out, FILE *err)
{
    memset(a, 0, sizeof *a);
    a->cmd = c;
    size_t nargs = argc > 0 ? (size_t)argc : 0;
    /* Every value and positional comes from argv, so nargs slots per list
     * are always enough. */
    a->count = calloc(c->n_opts ? c->n_opts : 1, sizeof *a->count);
    a->values = calloc(c->n_opts ? c->n_opts : 1, sizeof *a->values);
    a->pos = calloc(nargs ? nargs : 1, sizeof *a->pos);
    if (!a->count || !a->values || !a->pos) goto oom;
    for (size_t i = 0; i < c->n_opts; i++) {
        if (c->opts[i].flags & OB_OPT_FLAG) continue;
        a->values[i] = calloc(nargs ? nargs : 1, sizeof *a->values[i]);
        if (!a->values[i]) goto oom;
    }

    int only_pos = 0;
    for (size_t k = 1; k < nargs; k++) {
        const char *arg = argv[k];
        if (only_pos || arg[0] != '-' || arg[1] == '\0') {
            /* A lone "-" is a positional argument (conventionally stdin). */
            a->pos[a->n_pos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            ob_args_free(a);
            ob_args_usage(c, out);
            return OB_ARGS_HELP;
        }
        if (arg[1] != '-') return parse_error(c, a, err, "unknown option", arg);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t idx;
        const ob_opt *o = find_opt(c, name, eq ? (size_t)(eq - name) : strlen(name), &idx);
        if (!o) return parse_error(c, a, err, "unknown option", arg);
        if (a->count[idx] > 0 && !(o->flags & OB_OPT_REPEAT))
            return parse_error(c, a, err, "option given more than once:", arg);
        if (o->flags & OB_OPT_FLAG) {
            if (eq) return parse_error(c, a, err, "option takes no value:", arg);
            a->count[idx]++;
            continue;
        }
        const char *val;
        if (eq) {
            val = eq + 1;
        } else {
            /* The next word is the value whatever it looks like, so that
             * negative numbers (--lr -1) reach the value check. */
            if (k + 1 >= nargs) return parse_error(c, a, err, "option needs a value:", arg);
            val = argv[++k];
        }
        /* No option means anything by an empty value (--out "" is a
         * typo, not a folder): bad input, before any command acts on it. */
        if (*val == '\0') return parse_error(c, a, err, "option needs a non-empty value:", arg);
        if (o->metavar && !strcmp(o->metavar, "KEY=VALUE") && kv_has_space(val))
            return kv_space_error(c, a, err, o, val);
        a->values[idx][a->count[idx]++] = val;
    }

    for (size_t i = 0; i < c->n_opts; i++) {
        if ((c->opts[i].flags & OB_OPT_REQUIRED) && a->count[i] == 0) {
            ob_args_free(a);
            fprintf(err, "optbench %s: missing required option --%s %s (see optbench %s --help)\n", c->name,
                    c->opts[i].name, c->opts[i].metavar ? c->opts[i].metavar : "", c->name);
            return OB_EXIT_USAGE;
        }
    }
    if (a->n_pos < c->min_pos || a->n_pos > c->max_pos) {
        const char *first_extra = a->n_pos > c->max_pos ? a->pos[c->max_pos] : NULL;
        ob_args_free(a);
        if (first_extra)
            fprintf(err, "optbench %s: unexpected argument '%s' (see optbench %s --help)\n", c->name,
                    first_extra, c->name);
        else
            fprintf(err, "optbench %s: missing argument (usage: optbench %s %s)\n", c->name, c->name,
                    c->synopsis);
        return OB_EXIT_USAGE;
    }
    return OB_EXIT_OK;

oom:
    ob_args_free(a);
    fprintf(err, "optbench %s: out of memory\n", c->name);
    return OB_EXIT_FAIL;
}

static size_t opt_index(const ob_args *a, const char *name)
{
    size_t idx;
    if (!find_opt(a->cmd, name, strlen(name), &idx)) {
        /* A subcommand asked for an option it never declared: a bug. */
        fprintf(stderr, "optbench %s: internal error: no option --%s\n", a->cmd->name, name);
        abort();
    }
    return idx;
}

const char *ob_args_get(const ob_args *a, const char *name)
{
    size_t i = opt_index(a, name);
    return a->count[i] && a->values[i] ? a->values[i][a->count[i] - 1] : NULL;
}

const char *const *ob_args_all(const ob_args *a, const char *name, size_t *n)
{
    size_t i = opt_index(a, name);
    *n = a->values[i] ? a->count[i] : 0;
    return (const char *const *)a->values[i];
}

int ob_args_has(const ob_args *a, const char *name)
{
    return a->count[opt_index(a, name)] > 0;
}

void ob_args_usage(const ob_cmd_spec *c, FILE *out)
{
    fprintf(out, "usage: optbench %s %s\n\n%s\n", c->name, c->synopsis, c->summary);
    if (c->n_opts) fprintf(out, "\noptions:\n");
    for (size_t i = 0; i < c->n_opts; i++) {
        const ob_opt *o = &c->opts[i];
        char head[64];
        snprintf(head, sizeof head, "--%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        const char *req = (o->flags & OB_OPT_REQUIRED) ? " (required)" : "";
        const char *rep = (o->flags & OB_OPT_REPEAT) ? " (repeatable)" : "";
        fprintf(out, "  %-24s %s%s%s\n", head, o->help, req, rep);
    }
    fprintf(out, "  %-24s %s\n", "-h, --help", "print this help and exit");
    if (c->details) fprintf(out, "\n%s", c->details);
}
