/*
 * cmd_list.c — `optbench list`: what this build knows — optimizers,
 * instruction sets (and whether this CPU runs them), problems, schedules —
 * each printed straight from its table; with --plugin, the plugins'
 * kernels too, as more variants of the optimizer each claims.
 */
#include <math.h>
#include <string.h>

#include "harness/plugin/ob_plugin.h"
#include "kernels/framework/ob_mixed.h"
#include "optbench/problems.h"
#include "ob_cli.h"

static const ob_cmd_spec *const self = &ob_cmd_list_spec;

/* ---- optimizers ------------------------------------------------------------- */

static void hparam_range(const ob_hparam_spec *sp, char *buf, size_t len)
{
    if (sp->kind == OB_HP_BOOL) snprintf(buf, len, "0, 1, false or true");
    else ob_format_interval(sp->lo, sp->hi, sp->lo_open, sp->hi_open, buf, len);
}

static void print_hparam(FILE *out, const ob_hparam_spec *sp, const char *indent)
{
    char range[64];
    hparam_range(sp, range, sizeof range);
    fprintf(out, "%s%-26s %-8g %-22s %s\n", indent, sp->name, sp->def, range, sp->doc);
}

static void print_hparams(FILE *out, const ob_optimizer *o, const char *indent)
{
    for (size_t k = 0; k < o->n_hparams; k++) print_hparam(out, &o->hparams[k], indent);
}

/* The keys every optimizer takes: gradient clipping and SAM. */
static void print_generic_hparams(FILE *out, const char *indent)
{
    for (size_t k = 0; k < ob_generic_hparam_count(); k++) print_hparam(out, ob_generic_hparam(k), indent);
}

/* Bytes of fp32 state per parameter with the defaults, and at most. */
static void state_bytes(const ob_optimizer *o, size_t *def, size_t *max)
{
    ob_hparams h;
    ob_hparams_default(o, &h);
    *def = ob_state_bytes_per_param(o, &h);
    *max = o->n_state * sizeof(float);
}

/* The plugin kernels claiming o, as more variants: " plugin:k (file.so)". */
static void plugin_variants(FILE *out, const ob_plugin_set *ps, const ob_optimizer *o)
{
    for (size_t i = 0; ps && i < ps->n; i++) {
        if (ps->k[i]->opt != o) continue;
        char label[96];
        ob_plugin_label(ps->k[i], label, sizeof label);
        fprintf(out, " %s(%s)", label, ob_plugin_file(ps->k[i]));
    }
}

static int has_plugin(const ob_plugin_set *ps, const ob_optimizer *o)
{
    for (size_t i = 0; ps && i < ps->n; i++)
        if (ps->k[i]->opt == o) return 1;
    return 0;
}

static void optimizers_all(FILE *out, const ob_plugin_set *ps)
{
    fprintf(out, "optimizers (state: fp32 bytes per parameter with the defaults / at most)\n");
    for (size_t i = 0; i < ob_optimizer_count; i++) {
        const ob_optimizer *o = ob_optimizer_table[i];
        size_t def, max;
        state_bytes(o, &def, &max);
        fprintf(out, "  %-10s state %zu/%zu B  %s\n", o->name, def, max, o->title);
        if (has_plugin(ps, o)) {
            fprintf(out, "      plugin kernels:");
            plugin_variants(out, ps, o);
            fputc('\n', out);
        }
        print_hparams(out, o, "      ");
    }
    fprintf(out, "generic keys (every optimizer; README \"Gradient clipping\", \"SAM and ASAM\")\n");
    print_generic_hparams(out, "      ");
}

static int optimizers_one(const char *name, const ob_plugin_set *ps, FILE *out, FILE *err)
{
    const ob_optimizer *o = ob_cli_optimizer(self, name, err);
    if (!o) return OB_EXIT_USAGE;
    size_t def, max;
    state_bytes(o, &def, &max);
    fprintf(out, "%s: %s\nsource: %s\n", o->name, o->title, o->source);
    fprintf(out, "state: %zu B per parameter with the defaults, %zu at most; arrays:", def, max);
    for (size_t k = 0; k < o->n_state; k++) fprintf(out, " %s", o->state_names[k]);
    fprintf(out, "\nhyperparameters (key, default, valid range, meaning):\n");
    print_hparams(out, o, "  ");
    fprintf(out, "generic keys (every optimizer):\n");
    print_generic_hparams(out, "  ");
    fprintf(out, "kernels:");
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        const char *name = ob_isa_name((ob_isa)isa);
        if (!ob_isa_compiled((ob_isa)isa)) fprintf(out, " %s(not built)", name);
        else if (!ob_optimizer_kernel(o, (ob_isa)isa)) fprintf(out, " %s(SKIPPED: no %s kernel)", name, name);
        else fprintf(out, " %s", name);
    }
    plugin_variants(out, ps, o);
    fprintf(out, "\nagreement bound vs reference: %g u * scale (u = 2^-24)\n", o->agree_bound);
    return OB_EXIT_OK;
}

/* ---- instruction sets ---------------------------------------------------------- */

static void isa_line(FILE *out, ob_isa isa)
{
    const int ok = ob_isa_supported(isa);
    fprintf(out, "  %-8s %-6zu %-9s %s%s\n", ob_isa_name(isa), ob_isa_width(isa),
            ob_isa_compiled(isa) ? "yes" : "no",
            ok ? "yes" : "no: ", ok ? "" : ob_isa_unavailable_reason(isa));
}

static const char *isa_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return ob_isa_name((ob_isa)i);
}

static void isas_all(FILE *out, const ob_plugin_set *ps)
{
    (void)ps;
    fprintf(out, "instruction sets\n  %-8s %-6s %-9s %s\n", "name", "lanes", "compiled", "runs on this CPU");
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) isa_line(out, (ob_isa)isa);
    /* The mixed-precision conversions (README "Mixed precision"). */
    fprintf(out, "  bf16 rounding on avx512: %s\n",
            !ob_bf16_native_supported() ? "AVX-512F integer code (no AVX512_BF16 here)"
            : ob_bf16_native_enabled()  ? "AVX512_BF16 vcvtneps2bf16 (OPTBENCH_BF16_NATIVE=0 turns it off)"
                                        : "AVX-512F integer code (OPTBENCH_BF16_NATIVE=0)");
    /* The per-CPU-class code paths (README "Per-CPU code paths"). */
    const ob_cpu_tuning *tu = ob_cpu_tuning_get();
    fprintf(out, "  code paths for this CPU class (%s): software prefetch %s, approximate variant %s\n",
            tu->cpu_class,
            tu->prefetch_forced ? (tu->prefetch ? "on (OPTBENCH_PREFETCH=on)" : "off (OPTBENCH_PREFETCH=off)")
            : tu->prefetch      ? "on (OPTBENCH_PREFETCH=off turns it off)"
                                : "off (OPTBENCH_PREFETCH=on turns it on)",
            tu->approx ? "offered" : "not offered");
    fprintf(out, "    measured: %s\n", tu->why);
}

static int isas_one(const char *name, const ob_plugin_set *ps, FILE *out, FILE *err)
{
    (void)ps;
    ob_isa isa;
    if (ob_isa_parse(name, &isa) != 0) {
        char known[128];
        ob_join_names(known, sizeof known, isa_name_at, NULL, OB_ISA_COUNT);
        return ob_usage_error(self, err, "unknown instruction set '%s' (known: %s)", name, known);
    }
    isa_line(out, isa);
    return OB_EXIT_OK;
}

/* ---- problems --------------------------------------------------------------------- */

static void dimension(const ob_problem_spec *p, char *buf, size_t len)
{
    if (p->n_user) snprintf(buf, len, "%zu (n>=%zu)", p->default_n, p->min_n);
    else snprintf(buf, len, "%zu", p->default_n);
}

static void problems_all(FILE *out, const ob_plugin_set *ps)
{
    (void)ps;
    fprintf(out, "problems (f*: known minimum at the default configuration; instances: how run --instances\n"
                 "derives instances 1..K-1, README \"Problem instances\")\n");
    fprintf(out, "  %-24s %-13s %-12s %-10s %-13s %-13s %s\n", "name", "family", "n", "stochastic", "f*",
            "instances", "citation");
    for (size_t i = 0; i < ob_problem_count; i++) {
        const ob_problem_spec *p = ob_problem_table[i];
        char n[32], fstar[32] = "-", msg[256];
        ob_problem *pb = NULL;
        dimension(p, n, sizeof n);
        /* f* belongs to an instance; a problem whose data is missing shows
         * "?" here and the reason in `optbench list problems NAME`. */
        if (p->create(p, NULL, &pb, msg, sizeof msg) != 0) snprintf(fstar, sizeof fstar, "?");
        else if (pb->has_fstar) snprintf(fstar, sizeof fstar, "%.6g", pb->fstar);
        ob_problem_destroy(pb);
        fprintf(out, "  %-24s %-13s %-12s %-10s %-13s %-13s %s\n", p->name, p->family, n,
                p->stochastic ? "yes" : "no", fstar, ob_instance_kind_name(ob_problem_instance_kind(p)),
                p->citation);
    }
}

/* First few entries of a vector, min, max and 2-norm. */
static void print_vector(FILE *out, const char *label, const double *x, size_t n)
{
    double lo = INFINITY, hi = -INFINITY, ss = 0;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
        ss += x[i] * x[i];
    }
    fprintf(out, "%s: (", label);
    for (size_t i = 0; i < n && i < 6; i++) fprintf(out, "%s%.9g", i ? ", " : "", x[i]);
    fprintf(out, "%s)  min %.9g  max %.9g  norm %.9g\n", n > 6 ? ", ..." : "", lo, hi, sqrt(ss));
}

static const char *problem_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return ob_problem_table[i]->name;
}

static int problems_one(const char *name, const ob_plugin_set *ps, FILE *out, FILE *err)
{
    (void)ps;
    const ob_problem_spec *p = ob_problem_find(name);
    if (!p) {
        char known[2048];
        ob_join_names(known, sizeof known, problem_name_at, NULL, ob_problem_count);
        return ob_usage_error(self, err, "unknown problem '%s' (known: %s)", name, known);
    }
    char n[32], msg[512];
    dimension(p, n, sizeof n);
    fprintf(out, "%s: %s\ncitation: %s\nfamily: %s\nn: %s\n", p->name, p->title, p->citation, p->family, n);
    if (p->stochastic) fprintf(out, "stochastic: yes (default batch %zu)\n", p->default_batch);
    else fprintf(out, "stochastic: no\n");
    fprintf(out, "instances: %s\n", ob_instance_kind_name(ob_problem_instance_kind(p)));
    fprintf(out, "config keys: %s\n", p->params_doc && *p->params_doc ? p->params_doc : "none");
    fprintf(out, "defaults for a run: lr %g, %llu steps\n", p->default_lr,
            (unsigned long long)p->default_steps);
    ob_problem *pb = NULL;
    if (p->create(p, NULL, &pb, msg, sizeof msg) != 0) {
        /* The entry itself is known; only its instance is unavailable. */
        fprintf(out, "instance: cannot create with the defaults: %s\n", msg);
        return OB_EXIT_OK;
    }
    print_vector(out, "x0", pb->x0, pb->n);
    fprintf(out, "f(x0): %.17g", pb->loss(pb, pb->x0, 1));
    if (!isnan(pb->f0_published)) fprintf(out, " (published: %.17g)", pb->f0_published);
    fputc('\n', out);
    if (pb->has_fstar) fprintf(out, "f*: %.17g\n", pb->fstar);
    else fprintf(out, "f*: unknown\n");
    if (pb->xstar) print_vector(out, "x*", pb->xstar, pb->n);
    fprintf(out, "target: f - f* <= %g\n", pb->tol);
    if (pb->has_box) fprintf(out, "box: [%g, %g] (projected after every step)\n", pb->box_lo, pb->box_hi);
    else fprintf(out, "box: none\n");
    ob_problem_destroy(pb);
    return OB_EXIT_OK;
}

/* ---- schedules ---------------------------------------------------------------------- */

static void print_schedule(FILE *out, const ob_schedule_spec *s, const char *indent)
{
    for (size_t k = 0; k < s->n_keys; k++) {
        char def[32], range[64];
        ob_sched_key_default(&s->keys[k], def, sizeof def);
        ob_sched_key_range(&s->keys[k], range, sizeof range);
        fprintf(out, "%s%-18s %-10s %-22s %s\n", indent, s->keys[k].name, def, range, s->keys[k].doc);
    }
}

static void schedules_all(FILE *out, const ob_plugin_set *ps)
{
    (void)ps;
    fprintf(out, "schedules (e = step - 1; keys: name, default, valid range, meaning)\n");
    for (size_t i = 0; i < ob_schedule_count; i++) {
        const ob_schedule_spec *s = ob_schedule_table[i];
        fprintf(out, "  %-16s %-28s %s\n", s->name, s->torch, s->formula);
        print_schedule(out, s, "      ");
    }
}

static int schedules_one(const char *name, const ob_plugin_set *ps, FILE *out, FILE *err)
{
    (void)ps;
    const ob_schedule_spec *s = ob_schedule_find(name);
    if (!s) {
        ob_schedule tmp;
        char msg[512];
        ob_schedule_parse(name, NULL, 0, &tmp, msg, sizeof msg); /* fails: names the known ones */
        return ob_usage_error(self, err, "%s", msg);
    }
    fprintf(out, "%s: torch.optim.lr_scheduler.%s\nlr at step t (e = t - 1): %s\n", s->name, s->torch,
            s->formula);
    fprintf(out, "keys (name, default, valid range, meaning):%s\n", s->n_keys ? "" : " none");
    print_schedule(out, s, "  ");
    return OB_EXIT_OK;
}

/* ---- mixed-precision formats -------------------------------------------------------- */

/* Adam's bytes moved per parameter and step in format f (the headline
 * figure: 28 in fp32). */
static size_t adam_bytes(const ob_format *f)
{
    const ob_optimizer *o = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(o, &h);
    return ob_mixed_traffic_bytes(o, &h, f);
}

static void formats_all(FILE *out, const ob_plugin_set *ps)
{
    (void)ps;
    fprintf(out,
            "formats (Adam: bytes moved per parameter and step; param/grad/state storage; README \"Mixed "
            "precision\")\n");
    for (size_t i = 0; i < ob_format_preset_count; i++) {
        const ob_format_preset *p = &ob_format_presets[i];
        ob_format f;
        char err[256], d[128];
        if (ob_format_parse(p->name, &f, err, sizeof err) != 0) continue;
        ob_format_describe(&f, d, sizeof d);
        fprintf(out, "  %-20s %2zu B  %-50s %s\n", p->name, adam_bytes(&f), d, p->doc);
    }
    fprintf(out, "  explicit: param=f32|bf16,grad=f32|bf16|f16,state=f32|bf16|q8[,round=rne|sr][,seed=N][,block=N]; "
                 "a preset may be followed by ,seed=N or ,block=N (q8: README \"8-bit state\")\n");
}

static int formats_one(const char *name, const ob_plugin_set *ps, FILE *out, FILE *err)
{
    (void)ps;
    ob_format f;
    char msg[512], d[128];
    if (ob_format_parse(name, &f, msg, sizeof msg) != 0) return ob_usage_error(self, err, "%s", msg);
    ob_format_describe(&f, d, sizeof d);
    fprintf(out, "%s: %s\nbytes per parameter and step (state bytes per parameter), defaults:\n", f.name, d);
    for (size_t i = 0; i < ob_optimizer_count; i++) {
        const ob_optimizer *o = ob_optimizer_table[i];
        ob_hparams h;
        ob_hparams_default(o, &h);
        char why[160];
        if (f.state == OB_DT_Q8 && !ob_q8_offered(o, &h, why, sizeof why)) {
            fprintf(out, "  %-10s   –    (%s)\n", o->name, why);
            continue;
        }
        fprintf(out, "  %-10s %3zu B  (%zu B of state)\n", o->name, ob_mixed_traffic_bytes(o, &h, &f),
                ob_mixed_state_bytes(o, &h, &f));
    }
    fprintf(out, "bf16 conversions: %s\n",
            ob_bf16_native_supported()
                ? (ob_bf16_native_enabled() ? "AVX512_BF16 (VCVTNEPS2BF16) on AVX-512"
                                            : "AVX-512F integer code (OPTBENCH_BF16_NATIVE=0)")
                : "integer code (no AVX512_BF16 here)");
    return OB_EXIT_OK;
}

/* ---- plugins (--plugin) -------------------------------------------------------------- */

/* One plugin kernel in full: what optbench knows of it from its
 * descriptor (optbench/plugin.h) and what a command will hold it to. */
static void plugin_kernel(FILE *out, const ob_plugin_set *ps, const ob_plugin_kernel *k, const char *indent)
{
    char label[96];
    ob_plugin_label(k, label, sizeof label);
    fprintf(out, "%s%s\n", indent, label);
    fprintf(out, "%s    file:       %s (%s)\n", indent, ob_plugin_file(k), k->path);
    fprintf(out, "%s    optimizer:  %s (%s)\n", indent, k->opt->name, k->opt->title);
    fprintf(out, "%s    honours:   ", indent);
    size_t nh = 0;
    for (; k->desc.hparams && k->desc.hparams[nh]; nh++)
        fprintf(out, "%s %s", nh ? "," : "", k->desc.hparams[nh]);
    fprintf(out, "%s\n", nh ? "" : " none (every key must keep its default)");
    fprintf(out, "%s    state:     ", indent);
    for (size_t j = 0; j < k->opt->n_state; j++)
        fprintf(out, "%s %s %s", j ? "," : "", k->opt->state_names[j],
                ob_plugin_dtype_name(k->desc.state_dtype[j]));
    fprintf(out, "%s\n", k->opt->n_state ? "" : " none");
    if (k->desc.init)
        fprintf(out, "%s    threads:    as a case asks (init receives the count; default %d)\n", indent,
                ob_plugin_threads(k, 0));
    else
        fprintf(out, "%s    threads:    %d (no init: the kernel cannot be told a count)\n", indent,
                ob_plugin_threads(k, 0));
    fprintf(out, "%s    init/free:  %s/%s\n", indent, k->desc.init ? "yes" : "no",
            k->desc.free ? "yes" : "no");
    const double b = ob_plugin_set_bound(ps, k);
    fprintf(out, "%s    bound:      %g u*S (%s; optbench's own %s kernels: %g)\n", indent, b,
            ps->bound > 0             ? "--plugin-bound"
            : k->desc.agree_bound > 0 ? "declared by the plugin"
                                      : "the optimizer's",
            k->opt->name, k->opt->agree_bound);
}

static void plugins_all(FILE *out, const ob_plugin_set *ps)
{
    if (!ps->n) {
        fprintf(out, "plugin kernels: none loaded (load them with --plugin PATH.so)\n");
        return;
    }
    fprintf(out, "plugin kernels (--plugin; each a variant of the optimizer it claims, beside scalar/avx2/"
                 "avx512)\n");
    for (size_t i = 0; i < ps->n; i++) plugin_kernel(out, ps, ps->k[i], "  ");
}

static int plugins_one(const char *name, const ob_plugin_set *ps, FILE *out, FILE *err)
{
    /* By kernel name, with or without the "plugin:" of its label. */
    const char *bare = strncmp(name, "plugin:", 7) ? name : name + 7;
    for (size_t i = 0; i < ps->n; i++)
        if (!strcmp(ps->k[i]->desc.name, bare)) {
            plugin_kernel(out, ps, ps->k[i], "");
            return OB_EXIT_OK;
        }
    if (!ps->n) return ob_usage_error(self, err, "unknown plugin kernel '%s' (no --plugin given)", name);
    char known[512] = "";
    for (size_t i = 0; i < ps->n; i++) {
        if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, ps->k[i]->desc.name, sizeof known - strlen(known) - 1);
    }
    return ob_usage_error(self, err, "unknown plugin kernel '%s' (loaded: %s)", name, known);
}

/* ---- the sections ------------------------------------------------------------------- */

static const struct section {
    const char *name;
    void (*all)(FILE *out, const ob_plugin_set *ps);
    int (*one)(const char *name, const ob_plugin_set *ps, FILE *out, FILE *err);
} sections[] = {
    {"optimizers", optimizers_all, optimizers_one}, {"isas", isas_all, isas_one},
    {"problems", problems_all, problems_one},       {"schedules", schedules_all, schedules_one},
    {"formats", formats_all, formats_one},          {"plugins", plugins_all, plugins_one},
};
#define N_SECTIONS (sizeof sections / sizeof sections[0])

static const char *section_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return sections[i].name;
}

static const ob_opt list_opts[] = {OB_PLUGIN_OPTIONS};

const ob_cmd_spec ob_cmd_list_spec = {
    "list",
    "[optimizers|isas|problems|schedules|formats|plugins [NAME]] [--plugin PATH.so]... [--plugin-bound U]",
    "list optimizers, instruction sets, problems, schedules, mixed-precision formats and plugin kernels",
    "Without arguments, every section.  With a section, that section; with a\n"
    "section and a NAME, that entry in full (e.g. optbench list problems\n"
    "mgh_rosenbrock: its config keys, x0, f(x0), f*, x*, target and box).\n"
    "With --plugin, the plugins' kernels are listed as more variants of the\n"
    "optimizer each claims, and the plugins section shows each in full:\n"
    "plugin file, claimed optimizer, hyperparameters honoured, state arrays\n"
    "with dtypes, threads and agreement bound.  A bad plugin exits 2.\n",
    list_opts,
    sizeof list_opts / sizeof list_opts[0],
    0,
    2,
    ob_cmd_list,
};

static int list_sections(const ob_args *a, const ob_plugin_set *ps, FILE *out, FILE *err)
{
    if (a->n_pos == 0) {
        for (size_t i = 0; i < N_SECTIONS; i++) {
            /* Without --plugin there is nothing to say about plugins. */
            if (!ps->n && sections[i].all == plugins_all) continue;
            if (i) fputc('\n', out);
            sections[i].all(out, ps);
        }
        return OB_EXIT_OK;
    }
    size_t i;
    for (i = 0; i < N_SECTIONS; i++)
        if (!strcmp(sections[i].name, a->pos[0])) break;
    if (i == N_SECTIONS) {
        char known[128];
        ob_join_names(known, sizeof known, section_name_at, NULL, N_SECTIONS);
        return ob_usage_error(self, err, "unknown section '%s' (known: %s)", a->pos[0], known);
    }
    if (a->n_pos == 1) {
        sections[i].all(out, ps);
        return OB_EXIT_OK;
    }
    return sections[i].one(a->pos[1], ps, out, err);
}

int ob_cmd_list(int argc, char **argv, FILE *out, FILE *err)
{
    ob_args a;
    int rc = ob_args_parse(self, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    ob_plugin_set ps;
    rc = ob_plugin_set_load(&ps, self, &a, err);
    if (rc == OB_EXIT_OK) rc = list_sections(&a, &ps, out, err);
    ob_plugin_set_free(&ps);
    ob_args_free(&a);
    return rc;
}
