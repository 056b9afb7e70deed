/*
 * bench_report.c — what `optbench bench` makes of Google Benchmark's
 * report: medians per case, the ceilings of each case and the fractions
 * of them, bench.csv and the tables (README "Benchmarks"; the speed
 * targets are bench_targets.c).
 */
#include "ob_bench.h"
#include "bench_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"

/* ---- collecting medians ------------------------------------------------------ */

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Google Benchmark appends "/real_time" to the names of UseRealTime
 * benchmarks. */
static int same_run(const char *run_name, const char *name)
{
    size_t n = strlen(name);
    return strncmp(run_name, name, n) == 0 && (run_name[n] == '\0' || !strcmp(run_name + n, "/real_time"));
}

/* Median of the finite values (NaN if none). */
static double median(double *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) v[k++] = v[i];
    return ob_median(v, k);
}

/* Elements/s and GB/s follow from the median ns/element (rather than
 * being medians of their own, which differ from it for an even number of
 * repetitions), so that the three columns always agree. */
static void set_from(ob_bench_row *r, double ns)
{
    r->ns_per_elem = ns;
    r->elems_per_s = 1e9 / ns;
    r->gb_per_s = r->bytes_per_elem / ns;
}

size_t ob_bench_collect(ob_bench_plan *plan, const cJSON *gb_report)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(gb_report, "benchmarks");
    size_t filled = 0, n_entries = (size_t)cJSON_GetArraySize(list);
    double *ns = malloc((n_entries + 1) * sizeof *ns);
    if (!ns) return 0;
    for (size_t i = 0; i < plan->n_rows; i++) {
        ob_bench_row *r = &plan->rows[i];
        if (!r->name[0]) continue;
        size_t k = 0;
        int have_median = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, list)
        {
            if (!same_run(str(e, "run_name"), r->name) ||
                cJSON_IsTrue(cJSON_GetObjectItem(e, "error_occurred")))
                continue;
            if (!strcmp(str(e, "run_type"), "aggregate")) {
                if (!strcmp(str(e, "aggregate_name"), "median")) {
                    set_from(r, num(e, "ns_per_elem"));
                    have_median = 1;
                }
            } else {
                ns[k++] = num(e, "ns_per_elem");
            }
        }
        if (!have_median && k) set_from(r, median(ns, k));
        filled += isfinite(r->ns_per_elem) != 0;
    }
    free(ns);
    return filled;
}

/* ---- derived figures ----------------------------------------------------------- */

const ob_bench_row *bn_find_row(const ob_bench_plan *plan, ob_bench_kind kind, const ob_optimizer *o, int isa,
                                const char *variant, size_t size, int threads)
{
    const ob_bench_row *best = NULL;
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (r->kind == kind && r->opt == o && (isa < 0 || r->isa == isa) &&
            (!variant || !strcmp(r->variant, variant)) && r->size == size && r->threads == threads &&
            isfinite(r->ns_per_elem) && (!best || r->ns_per_elem < best->ns_per_elem))
            best = r;
    }
    return best;
}

/* The memory ceiling of a case (README "The honest memory ceiling"): the
 * fastest memory probe of an ISA that code for `isa` may use (that ISA or
 * a narrower one; peers: any), in any pattern (plain, prefetch, streaming
 * stores), with the case's access pattern: a mixed format's rows (format
 * >= 0) have their format's probes (same variant), the fp32 rows the fp32
 * ones. */
static const ob_bench_row *find_mem(const ob_bench_plan *plan, const ob_bench_row *k)
{
    const ob_bench_row *best = NULL;
    const int isa = k->isa;
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (r->kind == OB_BENCH_PROBE_MEM && r->opt == k->opt && (isa < 0 || r->isa <= isa) &&
            r->size == k->size && r->threads == k->threads &&
            r->format == (k->kind == OB_BENCH_PEER ? -1 : k->format) && isfinite(r->ns_per_elem) &&
            (!best || r->ns_per_elem < best->ns_per_elem))
            best = r;
    }
    return best;
}

/* STREAM's triad at the case's size and thread count: its bandwidth over
 * the case's bytes is a ceiling too (a case moving B bytes per element
 * cannot beat B / the triad's GB/s), and one that shares no code with the
 * kernels at all.  NaN if there is no triad row. */
static double triad_ns(const ob_bench_plan *plan, const ob_bench_row *k)
{
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (r->kind == OB_BENCH_TRIAD && r->size == k->size && r->threads == k->threads &&
            isfinite(r->gb_per_s) && r->gb_per_s > 0)
            return k->bytes_per_elem / r->gb_per_s;
    }
    return NAN;
}

/* The divider ceiling of optimizer o for `threads_used` threads on `isa`
 * (peers: the widest ISA measured). */
static const ob_bench_row *find_div(const ob_bench_plan *plan, const ob_optimizer *o, int isa,
                                    int threads_used)
{
    const ob_bench_row *best = NULL;
    char variant[24];
    ob_bench_divider_name(o->divides, variant, sizeof variant);
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (r->kind != OB_BENCH_PROBE_DIV || r->threads != threads_used || !isfinite(r->ns_per_elem) ||
            strcmp(r->variant, variant))
            continue;
        if (isa >= 0 && r->isa == isa) return r;
        if (isa < 0 && (!best || r->isa > best->isa)) best = r;
    }
    return best;
}

static size_t pattern(const ob_bench_plan *plan, const ob_optimizer *o)
{
    for (size_t i = 0; i < plan->cfg.n_opts; i++)
        if (plan->cfg.opts[i] == o) return ob_state_count(o, &plan->cfg.h[i]);
    return (size_t)-1;
}

/* probe_mem rows for the optimizers that share another one's probe (per
 * format: the same number of state arrays). */
static void alias_probes(ob_bench_plan *plan)
{
    const size_t n = plan->n_rows;
    for (size_t oi = 0; oi < plan->cfg.n_opts; oi++) {
        const ob_optimizer *o = plan->cfg.opts[oi];
        for (size_t i = 0; i < n; i++) {
            const ob_bench_row *src = &plan->rows[i];
            if (src->kind != OB_BENCH_PROBE_MEM || src->opt == o ||
                pattern(plan, src->opt) != pattern(plan, o))
                continue;
            int own = 0;
            for (size_t j = 0; j < n; j++)
                own |= plan->rows[j].kind == OB_BENCH_PROBE_MEM && plan->rows[j].opt == o &&
                       plan->rows[j].format == src->format;
            if (own) continue;
            ob_bench_row *r = ob_bench_plan_add(plan, OB_BENCH_PROBE_MEM);
            if (!r) return;
            *r = plan->rows[i];
            r->opt = o;
            r->name[0] = '\0';
        }
    }
}

void ob_bench_derive(ob_bench_plan *plan)
{
    alias_probes(plan);
    for (size_t i = 0; i < plan->n_rows; i++) {
        ob_bench_row *r = &plan->rows[i];
        if (r->kind == OB_BENCH_PROBE_MEM) {
            r->mem_ceiling_gb_per_s = r->gb_per_s;
            continue;
        }
        if (r->kind == OB_BENCH_PROBE_DIV) {
            r->div_ceiling_ns_per_elem = r->ns_per_elem;
            continue;
        }
        if (r->kind == OB_BENCH_TRIAD || !isfinite(r->ns_per_elem)) continue;
        const double ns = r->ns_per_elem;
        const ob_bench_row *mem = find_mem(plan, r);
        double mem_ns = NAN, div_ns = NAN;
        if (mem) {
            mem_ns = mem->ns_per_elem;
            snprintf(r->mem_ceiling_probe, sizeof r->mem_ceiling_probe, "%s/%s", mem->variant,
                     ob_isa_name((ob_isa)mem->isa));
        }
        const double tri = triad_ns(plan, r);
        if (tri < mem_ns || (isfinite(tri) && !isfinite(mem_ns))) {
            mem_ns = tri;
            snprintf(r->mem_ceiling_probe, sizeof r->mem_ceiling_probe, "triad");
        }
        if (isfinite(mem_ns)) {
            r->mem_ceiling_gb_per_s = r->bytes_per_elem / mem_ns;
            r->frac_mem_ceiling = mem_ns / ns;
        }
        /* The approximate variants do not use the divider. */
        if (r->opt->divides && strcmp(r->variant, "approx") != 0) {
            const ob_bench_row *div = find_div(plan, r->opt, r->isa, r->threads_used);
            if (div) {
                div_ns = div->ns_per_elem;
                r->div_ceiling_ns_per_elem = div_ns;
                r->frac_div_ceiling = div_ns / ns;
            }
        }
        if (isfinite(div_ns) && !(mem_ns >= div_ns)) {
            r->bound = "divider";
            r->frac_bound = div_ns / ns;
        } else if (isfinite(mem_ns)) {
            r->bound = "memory";
            r->frac_bound = mem_ns / ns;
        }
        /* Against the scalar kernel of the same format. */
        const ob_bench_row *sc = bn_find_row(plan, OB_BENCH_KERNEL, r->opt, OB_ISA_SCALAR,
                                             r->format >= 0 ? r->variant : "exact", r->size, r->threads);
        if (sc) r->speedup_vs_scalar = sc->ns_per_elem / ns;
        if (r->format >= 0) {
            const ob_bench_row *f32 = bn_find_row(plan, OB_BENCH_KERNEL, r->opt, r->isa, "exact", r->size,
                                                  r->threads);
            if (f32) r->speedup_vs_fp32 = f32->ns_per_elem / ns;
        }
    }
}

/* ---- bench.csv and JSON -------------------------------------------------------- */

void bn_csv_num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, ",%.6g", v);
    else fputc(',', f);
}

int ob_bench_write_csv(const ob_bench_plan *plan, const char *path, char *err, size_t errlen)
{
    ob_atomic_file af;
    if (ob_atomic_open(&af, path, err, errlen) != 0) return -1;
    fprintf(af.f, "%s\n", OB_BENCH_CSV_HEADER);
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        fprintf(af.f, "%s,%s,%s,%s,%zu,%d", ob_bench_kind_name(r->kind), r->opt ? r->opt->name : "",
                r->isa >= 0 ? ob_isa_name((ob_isa)r->isa) : "", r->variant, r->size, r->threads);
        bn_csv_num(af.f, r->bytes_per_elem);
        bn_csv_num(af.f, r->ns_per_elem);
        bn_csv_num(af.f, r->elems_per_s);
        bn_csv_num(af.f, r->gb_per_s);
        bn_csv_num(af.f, r->mem_ceiling_gb_per_s);
        bn_csv_num(af.f, r->frac_mem_ceiling);
        bn_csv_num(af.f, r->div_ceiling_ns_per_elem);
        bn_csv_num(af.f, r->frac_div_ceiling);
        bn_csv_num(af.f, r->speedup_vs_scalar);
        fprintf(af.f, ",%s", r->bound);
        bn_csv_num(af.f, r->frac_bound);
        fprintf(af.f, ",%s", r->mem_ceiling_probe);
        fputc('\n', af.f);
    }
    return ob_atomic_commit(&af, err, errlen);
}

cJSON *ob_bench_rows_json(const ob_bench_plan *plan)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", ob_bench_kind_name(r->kind));
        cJSON_AddStringToObject(o, "opt", r->opt ? r->opt->name : "");
        cJSON_AddStringToObject(o, "isa", r->isa >= 0 ? ob_isa_name((ob_isa)r->isa) : "");
        cJSON_AddStringToObject(o, "variant", r->variant);
        cJSON_AddNumberToObject(o, "size", (double)r->size);
        cJSON_AddNumberToObject(o, "threads", r->threads);
        cJSON_AddNumberToObject(o, "threads_used", r->threads_used);
        ob_json_add_num(o, "bytes_per_elem", r->bytes_per_elem);
        ob_json_add_num(o, "ns_per_elem", r->ns_per_elem);
        ob_json_add_num(o, "elems_per_s", r->elems_per_s);
        ob_json_add_num(o, "gb_per_s", r->gb_per_s);
        ob_json_add_num(o, "mem_ceiling_gb_per_s", r->mem_ceiling_gb_per_s);
        ob_json_add_num(o, "frac_mem_ceiling", r->frac_mem_ceiling);
        cJSON_AddStringToObject(o, "mem_ceiling_probe", r->mem_ceiling_probe);
        ob_json_add_num(o, "div_ceiling_ns_per_elem", r->div_ceiling_ns_per_elem);
        ob_json_add_num(o, "frac_div_ceiling", r->frac_div_ceiling);
        ob_json_add_num(o, "speedup_vs_scalar", r->speedup_vs_scalar);
        cJSON_AddStringToObject(o, "bound", r->bound);
        ob_json_add_num(o, "frac_bound", r->frac_bound);
        if (r->format >= 0) ob_json_add_num(o, "speedup_vs_fp32", r->speedup_vs_fp32);
        if (r->plugin) cJSON_AddStringToObject(o, "plugin_file", r->plugin->path);
        cJSON_AddStringToObject(o, "benchmark", r->name);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* ---- memory table ---------------------------------------------------------------- */

cJSON *ob_bench_memory_json(const ob_bench_plan *plan)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < plan->cfg.n_opts; i++) {
        const ob_optimizer *o = plan->cfg.opts[i];
        const ob_hparams *h = &plan->cfg.h[i];
        cJSON *e = cJSON_CreateObject(), *names = cJSON_CreateArray();
        cJSON_AddStringToObject(e, "opt", o->name);
        unsigned m = o->state_mask(h);
        for (size_t k = 0; k < o->n_state; k++)
            if ((m >> k) & 1u) cJSON_AddItemToArray(names, cJSON_CreateString(o->state_names[k]));
        cJSON_AddItemToObject(e, "state", names);
        cJSON_AddNumberToObject(e, "state_bytes_per_param", (double)ob_state_bytes_per_param(o, h));
        cJSON_AddNumberToObject(e, "traffic_bytes_per_param", (double)ob_traffic_bytes_per_param(o, h));
        cJSON_AddItemToArray(a, e);
    }
    return a;
}

void ob_bench_print_memory(FILE *out, const ob_bench_plan *plan)
{
    fprintf(out, "\nmemory per parameter (fp32; with the hyperparameters benchmarked)\n");
    fprintf(out, "%-8s %-44s %12s %14s\n", "opt", "state arrays", "state B/param", "traffic B/step");
    for (size_t i = 0; i < plan->cfg.n_opts; i++) {
        const ob_optimizer *o = plan->cfg.opts[i];
        const ob_hparams *h = &plan->cfg.h[i];
        char names[128] = "";
        unsigned m = o->state_mask(h);
        for (size_t k = 0; k < o->n_state; k++) {
            if (!((m >> k) & 1u)) continue;
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", o->state_names[k]);
        }
        fprintf(out, "%-8s %-44s %12zu %14zu\n", o->name, names[0] ? names : "(none)",
                ob_state_bytes_per_param(o, h), ob_traffic_bytes_per_param(o, h));
    }
    /* The mixed formats: the same arrays at the format's element sizes. */
    for (size_t f = 0; f < plan->cfg.n_formats; f++) {
        const ob_format *fm = &plan->cfg.formats[f];
        if (!f) fprintf(out, "\nmemory per parameter by format (state B/param, traffic B/step)\n");
        fprintf(out, "  %-24s", fm->name);
        for (size_t i = 0; i < plan->cfg.n_opts; i++)
            fprintf(out, " %s %zu/%zu", plan->cfg.opts[i]->name,
                    ob_mixed_state_bytes(plan->cfg.opts[i], &plan->cfg.h[i], fm),
                    ob_mixed_traffic_bytes(plan->cfg.opts[i], &plan->cfg.h[i], fm));
        fputc('\n', out);
    }
}

/* ---- summary ---------------------------------------------------------------------- */

static size_t opt_index(const ob_optimizer *o)
{
    for (size_t i = 0; i < ob_optimizer_count; i++)
        if (ob_optimizer_table[i] == o) return i;
    return ob_optimizer_count;
}

static int cmp_rows(const void *a, const void *b)
{
    const ob_bench_row *x = *(const ob_bench_row *const *)a, *y = *(const ob_bench_row *const *)b;
    size_t ox = opt_index(x->opt), oy = opt_index(y->opt);
    if (ox != oy) return ox < oy ? -1 : 1;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    if (x->threads != y->threads) return x->threads < y->threads ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    /* Rows without an ISA (plugin kernels) after every ISA's. */
    const int ix = x->isa < 0 ? OB_ISA_COUNT : x->isa, iy = y->isa < 0 ? OB_ISA_COUNT : y->isa;
    if (ix != iy) return ix < iy ? -1 : 1;
    return strcmp(x->variant, y->variant);
}

void bn_cell(FILE *out, int width, const char *fmt, double v)
{
    char buf[64];
    if (isfinite(v)) snprintf(buf, sizeof buf, fmt, width, v);
    else snprintf(buf, sizeof buf, "%*s", width, "-");
    /* A value wider than its column still gets a space before it (a
     * disturbed 2-thread run can take thousands of ns per element). */
    if (buf[0] != ' ') fputc(' ', out);
    fputs(buf, out);
}

void ob_bench_print_summary(FILE *out, const ob_bench_plan *plan)
{
    const ob_bench_row **rows = malloc((plan->n_rows + 1) * sizeof *rows);
    if (!rows) return;
    size_t n = 0;
    for (size_t i = 0; i < plan->n_rows; i++)
        if ((plan->rows[i].kind == OB_BENCH_KERNEL || plan->rows[i].kind == OB_BENCH_PEER) &&
            isfinite(plan->rows[i].ns_per_elem))
            rows[n++] = &plan->rows[i];
    qsort(rows, n, sizeof *rows, cmp_rows);
    int vw = 7; /* the variant column: wider for plugin kernels' names */
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(rows[i]->variant) > vw) vw = (int)strlen(rows[i]->variant);
    fprintf(
        out,
        "\nsummary (medians; ceilings measured in the same run; bound = the slower ceiling of the case)\n");
    fprintf(out, "%-8s %-6s %-*s %6s %3s %4s %8s %8s %7s %8s %6s %-15s %7s %6s %7s %-7s %6s\n", "opt", "isa",
            vw, "variant", "size", "thr", "B/el", "ns/elem", "Gelem/s", "GB/s", "memGB/s", "f_mem", "mem probe",
            "div_ns", "f_div", "xscalar", "bound", "f_bnd");
    for (size_t i = 0; i < n; i++) {
        const ob_bench_row *r = rows[i];
        char size[32], bar[11];
        ob_bench_format_size(r->size, size, sizeof size);
        int fill = isfinite(r->frac_bound) ? (int)lround(r->frac_bound * 10) : 0;
        for (int k = 0; k < 10; k++) bar[k] = k < fill ? '#' : '.';
        bar[10] = '\0';
        fprintf(out, "%-8s %-6s %-*s %6s %3d", r->opt->name, r->isa >= 0 ? ob_isa_name((ob_isa)r->isa) : "-",
                vw, r->variant, size, r->threads);
        bn_cell(out, 5, "%*.0f", r->bytes_per_elem);
        bn_cell(out, 9, "%*.3f", r->ns_per_elem);
        bn_cell(out, 9, "%*.3f", r->elems_per_s * 1e-9);
        bn_cell(out, 8, "%*.1f", r->gb_per_s);
        bn_cell(out, 9, "%*.1f", r->mem_ceiling_gb_per_s);
        bn_cell(out, 7, "%*.2f", r->frac_mem_ceiling);
        fprintf(out, " %-15s", r->mem_ceiling_probe[0] ? r->mem_ceiling_probe : "-");
        bn_cell(out, 8, "%*.3f", r->div_ceiling_ns_per_elem);
        bn_cell(out, 7, "%*.2f", r->frac_div_ceiling);
        bn_cell(out, 8, "%*.1f", r->speedup_vs_scalar);
        fprintf(out, " %-7s", r->bound[0] ? r->bound : "-");
        bn_cell(out, 7, "%*.2f", r->frac_bound);
        fprintf(out, " %s\n", isfinite(r->frac_bound) ? bar : "");
    }
    free(rows);
}

/* ---- mixed-precision formats -------------------------------------------------------- */

/* Size from which a format must reach FORMAT_NEED of its own memory
 * ceiling (README "Mixed precision"). */
#define FORMAT_NEED 0.95

static void format_row_json(cJSON *a, const ob_bench_plan *plan, const ob_bench_row *r)
{
    const ob_bench_row *f32 = bn_find_row(plan, OB_BENCH_KERNEL, r->opt, r->isa, "exact", r->size,
                                          r->threads);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "opt", r->opt->name);
    cJSON_AddStringToObject(o, "isa", ob_isa_name((ob_isa)r->isa));
    cJSON_AddStringToObject(o, "format", r->variant);
    cJSON_AddNumberToObject(o, "size", (double)r->size);
    cJSON_AddNumberToObject(o, "threads", r->threads);
    ob_json_add_num(o, "bytes_per_elem", r->bytes_per_elem);
    ob_json_add_num(o, "ns_per_elem", r->ns_per_elem);
    ob_json_add_num(o, "mem_ceiling_gb_per_s", r->mem_ceiling_gb_per_s);
    ob_json_add_num(o, "frac_mem_ceiling", r->frac_mem_ceiling);
    ob_json_add_num(o, "speedup_vs_fp32", r->speedup_vs_fp32);
    cJSON_AddStringToObject(o, "bound", r->bound);
    ob_json_add_num(o, "frac_bound", r->frac_bound);
    ob_json_add_num(o, "byte_ratio", f32 ? f32->bytes_per_elem / r->bytes_per_elem : NAN);
    if (r->size >= BN_SIZE_LARGE)
        cJSON_AddBoolToObject(o, "meets_ceiling_target", r->frac_mem_ceiling >= FORMAT_NEED);
    cJSON_AddItemToArray(a, o);
}

static int is_format_row(const ob_bench_row *r)
{
    return r->kind == OB_BENCH_KERNEL && r->format >= 0 && isfinite(r->ns_per_elem);
}

cJSON *ob_bench_formats_json(const ob_bench_plan *plan)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < plan->n_rows; i++)
        if (is_format_row(&plan->rows[i])) format_row_json(a, plan, &plan->rows[i]);
    return a;
}

void ob_bench_print_formats(FILE *out, const ob_bench_plan *plan)
{
    if (!plan->cfg.n_formats) return;
    fprintf(
        out,
        "\nformats (medians; f_mem = fraction of the same-run memory probe with the format's own bytes;\n"
        "x fp32 = speed-up over the fp32 kernel, bounded by the byte ratio B(fp32)/B; target f_mem >= %.2f "
        "from 16Mi)\n",
        FORMAT_NEED);
    fprintf(out, "%-8s %-6s %-16s %6s %3s %4s %8s %8s %6s %7s %6s %-7s %6s %s\n", "opt", "isa", "format",
            "size", "thr", "B/el", "ns/elem", "memGB/s", "f_mem", "x fp32", "B-rat", "bound", "f_bnd",
            "target");
    size_t pass = 0, total = 0;
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (!is_format_row(r)) continue;
        const ob_bench_row *f32 = bn_find_row(plan, OB_BENCH_KERNEL, r->opt, r->isa, "exact", r->size,
                                              r->threads);
        char size[32];
        ob_bench_format_size(r->size, size, sizeof size);
        fprintf(out, "%-8s %-6s %-16.16s %6s %3d", r->opt->name, ob_isa_name((ob_isa)r->isa), r->variant,
                size, r->threads);
        bn_cell(out, 5, "%*.0f", r->bytes_per_elem);
        bn_cell(out, 9, "%*.3f", r->ns_per_elem);
        bn_cell(out, 9, "%*.1f", r->mem_ceiling_gb_per_s);
        bn_cell(out, 7, "%*.3f", r->frac_mem_ceiling);
        bn_cell(out, 8, "%*.2f", r->speedup_vs_fp32);
        bn_cell(out, 7, "%*.2f", f32 ? f32->bytes_per_elem / r->bytes_per_elem : NAN);
        fprintf(out, " %-7s", r->bound[0] ? r->bound : "-");
        bn_cell(out, 7, "%*.3f", r->frac_bound);
        if (r->size >= BN_SIZE_LARGE && isfinite(r->frac_mem_ceiling)) {
            const int ok = r->frac_mem_ceiling >= FORMAT_NEED;
            pass += ok;
            total++;
            fprintf(out, " %s", ok ? "PASS" : "MISS");
        }
        fputc('\n', out);
    }
    fprintf(out, "%zu of %zu format cases from 16Mi reach %.2f of their memory ceiling\n", pass, total,
            FORMAT_NEED);
}
