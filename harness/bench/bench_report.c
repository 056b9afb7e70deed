/*
 * bench_report.c — what `optbench bench` makes of Google Benchmark's
 * report: medians per case, the ceilings of each case and the fractions
 * of them, bench.csv, the tables and the speed targets (README
 * "Benchmarks").
 */
#include "ob_bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_results.h"
#include "harness/core/ob_util.h"

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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of the finite values (NaN if none). */
static double median(double *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) v[k++] = v[i];
    if (!k) return NAN;
    qsort(v, k, sizeof *v, cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
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
        cJSON_ArrayForEach(e, list) {
            if (!same_run(str(e, "run_name"), r->name) || cJSON_IsTrue(cJSON_GetObjectItem(e, "error_occurred")))
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

/* The measured row of that case; with isa < 0, the fastest of any ISA. */
static const ob_bench_row *find_row(const ob_bench_plan *plan, ob_bench_kind kind, const ob_optimizer *o,
                                    int isa, const char *variant, size_t size, int threads)
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

/* The memory ceiling of a case: the fastest memory probe of an ISA that
 * code for `isa` may use (that ISA or a narrower one; peers: any), with
 * the case's access pattern: a mixed format's rows (format >= 0) have
 * their format's probes (same variant), the fp32 rows the fp32 ones. */
static const ob_bench_row *find_mem(const ob_bench_plan *plan, const ob_bench_row *k)
{
    const ob_bench_row *best = NULL;
    const int isa = k->isa;
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (r->kind == OB_BENCH_PROBE_MEM && r->opt == k->opt && (isa < 0 || r->isa <= isa) && r->size == k->size &&
            r->threads == k->threads && r->format == (k->kind == OB_BENCH_PEER ? -1 : k->format) &&
            isfinite(r->ns_per_elem) && (!best || r->ns_per_elem < best->ns_per_elem))
            best = r;
    }
    return best;
}

/* The divider ceiling of optimizer o for `threads_used` threads on `isa`
 * (peers: the widest ISA measured). */
static const ob_bench_row *find_div(const ob_bench_plan *plan, const ob_optimizer *o, int isa, int threads_used)
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
            if (src->kind != OB_BENCH_PROBE_MEM || src->opt == o || pattern(plan, src->opt) != pattern(plan, o))
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
            r->mem_ceiling_gb_per_s = mem->gb_per_s;
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
        const ob_bench_row *sc = find_row(plan, OB_BENCH_KERNEL, r->opt, OB_ISA_SCALAR,
                                          r->format >= 0 ? r->variant : "exact", r->size, r->threads);
        if (sc) r->speedup_vs_scalar = sc->ns_per_elem / ns;
        if (r->format >= 0) {
            const ob_bench_row *f32 = find_row(plan, OB_BENCH_KERNEL, r->opt, r->isa, "exact", r->size, r->threads);
            if (f32) r->speedup_vs_fp32 = f32->ns_per_elem / ns;
        }
    }
}

/* ---- bench.csv and JSON -------------------------------------------------------- */

static void put_num(FILE *f, double v)
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
        put_num(af.f, r->bytes_per_elem);
        put_num(af.f, r->ns_per_elem);
        put_num(af.f, r->elems_per_s);
        put_num(af.f, r->gb_per_s);
        put_num(af.f, r->mem_ceiling_gb_per_s);
        put_num(af.f, r->frac_mem_ceiling);
        put_num(af.f, r->div_ceiling_ns_per_elem);
        put_num(af.f, r->frac_div_ceiling);
        put_num(af.f, r->speedup_vs_scalar);
        fprintf(af.f, ",%s", r->bound);
        put_num(af.f, r->frac_bound);
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
        ob_json_add_num(o, "div_ceiling_ns_per_elem", r->div_ceiling_ns_per_elem);
        ob_json_add_num(o, "frac_div_ceiling", r->frac_div_ceiling);
        ob_json_add_num(o, "speedup_vs_scalar", r->speedup_vs_scalar);
        cJSON_AddStringToObject(o, "bound", r->bound);
        ob_json_add_num(o, "frac_bound", r->frac_bound);
        if (r->format >= 0) ob_json_add_num(o, "speedup_vs_fp32", r->speedup_vs_fp32);
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
            fprintf(out, " %s %zu/%zu", plan->cfg.opts[i]->name, ob_mixed_state_bytes(plan->cfg.opts[i], &plan->cfg.h[i], fm),
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
    if (x->isa != y->isa) return x->isa < y->isa ? -1 : 1;
    return strcmp(x->variant, y->variant);
}

static void cell(FILE *out, int width, const char *fmt, double v)
{
    if (isfinite(v)) fprintf(out, fmt, width, v);
    else fprintf(out, "%*s", width, "-");
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
    fprintf(out, "\nsummary (medians; ceilings measured in the same run; bound = the slower ceiling of the case)\n");
    fprintf(out, "%-8s %-6s %-7s %6s %3s %4s %8s %8s %7s %8s %6s %7s %6s %7s %-7s %6s\n", "opt", "isa", "variant",
            "size", "thr", "B/el", "ns/elem", "Gelem/s", "GB/s", "memGB/s", "f_mem", "div_ns", "f_div",
            "xscalar", "bound", "f_bnd");
    for (size_t i = 0; i < n; i++) {
        const ob_bench_row *r = rows[i];
        char size[32], bar[11];
        ob_bench_format_size(r->size, size, sizeof size);
        int fill = isfinite(r->frac_bound) ? (int)lround(r->frac_bound * 10) : 0;
        for (int k = 0; k < 10; k++) bar[k] = k < fill ? '#' : '.';
        bar[10] = '\0';
        fprintf(out, "%-8s %-6s %-7s %6s %3d", r->opt->name, r->isa >= 0 ? ob_isa_name((ob_isa)r->isa) : "-",
                r->variant, size, r->threads);
        cell(out, 5, "%*.0f", r->bytes_per_elem);
        cell(out, 9, "%*.3f", r->ns_per_elem);
        cell(out, 9, "%*.3f", r->elems_per_s * 1e-9);
        cell(out, 8, "%*.1f", r->gb_per_s);
        cell(out, 9, "%*.1f", r->mem_ceiling_gb_per_s);
        cell(out, 7, "%*.2f", r->frac_mem_ceiling);
        cell(out, 8, "%*.3f", r->div_ceiling_ns_per_elem);
        cell(out, 7, "%*.2f", r->frac_div_ceiling);
        cell(out, 8, "%*.1f", r->speedup_vs_scalar);
        fprintf(out, " %-7s", r->bound[0] ? r->bound : "-");
        cell(out, 7, "%*.2f", r->frac_bound);
        fprintf(out, " %s\n", isfinite(r->frac_bound) ? bar : "");
    }
    free(rows);
}

/* ---- targets ----------------------------------------------------------------------- */

typedef struct target_line {
    const char *target;
    const ob_optimizer *opt;
    int isa;
    const char *variant;
    double ratio;        /* the worst case measured */
    double need;
    char at[48];         /* where the worst case is */
} target_line;

typedef struct target_list {
    target_line *v;
    size_t n, cap;
} target_list;

static void worst(target_line *t, double ratio, size_t size, int threads)
{
    if (!isfinite(ratio) || (isfinite(t->ratio) && ratio >= t->ratio)) return;
    char s[32];
    ob_bench_format_size(size, s, sizeof s);
    t->ratio = ratio;
    snprintf(t->at, sizeof t->at, "%s/t%d", s, threads);
}

static void push(target_list *l, const target_line *t)
{
    if (!isfinite(t->ratio)) return;  /* nothing measured for it */
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        target_line *v = realloc(l->v, cap * sizeof *v);
        if (!v) return;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *t;
}

#define SIZE_LARGE ((size_t)16 << 20)
#define SIZE_SMALL ((size_t)64 << 10)
/* "Never slower with 2 threads": the two runs of a small size are the same
 * single-threaded code, so their ratio scatters around 1 by the noise of
 * the measurement; 3% is allowed for it. */
#define THREADS_NEED 0.97

static target_list compute_targets(const ob_bench_plan *plan)
{
    target_list l = {0};
    const ob_bench_config *cfg = &plan->cfg;
    static const char *const variants[] = {"exact", "approx"};
    for (size_t oi = 0; oi < cfg->n_opts; oi++) {
        const ob_optimizer *o = cfg->opts[oi];
        for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
            if (!((cfg->isa_mask >> isa) & 1u)) continue;
            for (int vi = 0; vi < 2; vi++) {
                target_line mem = {"memory ceiling, size >= 16Mi", o, isa, variants[vi], NAN, 0.95, ""};
                /* The ceiling that bounds the case: the divider's where it is
                 * the slower one (Adam: 0.43 ns against 0.22 in L2), else
                 * memory (SGD, Lion; Adamax, whose one division is faster
                 * than its loads and stores). */
                target_line small = {"bounding ceiling, size <= 64Ki", o, isa, variants[vi], NAN, 0.9, ""};
                target_line thr = {"T threads vs 1: ns(1)/ns(T)", o, isa, variants[vi], NAN, THREADS_NEED, ""};
                for (size_t i = 0; i < plan->n_rows; i++) {
                    const ob_bench_row *r = &plan->rows[i];
                    if (r->kind != OB_BENCH_KERNEL || r->opt != o || r->isa != isa || strcmp(r->variant, variants[vi]))
                        continue;
                    if (r->size >= SIZE_LARGE) worst(&mem, r->frac_mem_ceiling, r->size, r->threads);
                    if (r->size <= SIZE_SMALL && vi == 0) worst(&small, r->frac_bound, r->size, r->threads);
                    if (r->threads > 1) {
                        const ob_bench_row *one = find_row(plan, OB_BENCH_KERNEL, o, isa, r->variant, r->size, 1);
                        if (one && isfinite(r->ns_per_elem)) worst(&thr, one->ns_per_elem / r->ns_per_elem, r->size, r->threads);
                    }
                }
                push(&l, &mem);
                push(&l, &small);
                push(&l, &thr);
            }
        }
        /* The approximate variant against the exact AVX-512 kernel. */
        target_line ap = {"approx vs exact AVX-512, size <= 64Ki", o, OB_ISA_AVX512, "approx", NAN, 1.5, ""};
        for (size_t i = 0; i < plan->n_rows; i++) {
            const ob_bench_row *r = &plan->rows[i];
            if (r->kind != OB_BENCH_KERNEL || r->opt != o || r->isa != OB_ISA_AVX512 || strcmp(r->variant, "approx") ||
                r->size > SIZE_SMALL)
                continue;
            const ob_bench_row *ex = find_row(plan, OB_BENCH_KERNEL, o, OB_ISA_AVX512, "exact", r->size, r->threads);
            if (ex && isfinite(r->ns_per_elem)) worst(&ap, ex->ns_per_elem / r->ns_per_elem, r->size, r->threads);
        }
        push(&l, &ap);
    }
    return l;
}

/* Anchors measured on this machine type (the figures, 1 thread,
 * ns/element for an Adam step at 4Ki, 64Ki, 1Mi, 16Mi, 64Mi): DeepSpeed
 * cpu_adam AVX-512 and a plain scalar C loop.  Not measured in this run:
 * informational only. */
static const size_t anchor_sizes[5] = {(size_t)4 << 10, (size_t)64 << 10, (size_t)1 << 20, (size_t)16 << 20,
                                       (size_t)64 << 20};
static const double anchor_deepspeed[5] = {0.56, 0.57, 0.83, 1.47, 1.29};
static const double anchor_scalar[5] = {5.3, 5.0, 5.0, 6.0, 5.6};

/* The targets as a matrix: one line per target and optimizer, one column
 * per ISA and variant; each cell is the worst ratio, PASS or MISS, and
 * where the worst case is. */
void ob_bench_print_targets(FILE *out, const ob_bench_plan *plan)
{
    static const struct { int isa; const char *variant; } cols[] = {
        {OB_ISA_SCALAR, "exact"}, {OB_ISA_AVX2, "exact"}, {OB_ISA_AVX512, "exact"}, {OB_ISA_AVX512, "approx"}};
    const size_t ncols = sizeof cols / sizeof cols[0];
    target_list l = compute_targets(plan);
    fprintf(out, "\ntargets (informational: the exit status does not depend on them); each cell: the worst ratio "
                 "over the cases, PASS/MISS, the worst case\n");
    fprintf(out, "%-38s %-8s %4s", "target", "opt", "need");
    for (size_t k = 0; k < ncols; k++) {
        char h[32];
        snprintf(h, sizeof h, "%s %s", ob_isa_name((ob_isa)cols[k].isa), cols[k].variant);
        fprintf(out, "  %-19s", h);
    }
    fputc('\n', out);
    size_t pass = 0;
    unsigned char *done = calloc(l.n + 1, 1);
    for (size_t i = 0; done && i < l.n; i++) {
        if (done[i]) continue;
        const target_line *t = &l.v[i];
        fprintf(out, "%-38s %-8s %4.2f", t->target, t->opt->name, t->need);
        for (size_t k = 0; k < ncols; k++) {
            const target_line *cell = NULL;
            for (size_t j = i; j < l.n && !cell; j++)
                if (!done[j] && !strcmp(l.v[j].target, t->target) && l.v[j].opt == t->opt &&
                    l.v[j].isa == cols[k].isa && !strcmp(l.v[j].variant, cols[k].variant)) {
                    cell = &l.v[j];
                    done[j] = 1;
                }
            if (!cell) {
                fprintf(out, "  %6s %-12s", "-", "");
                continue;
            }
            int ok = cell->ratio >= cell->need;
            pass += ok;
            fprintf(out, "  %6.3f %s %-7s", cell->ratio, ok ? "PASS" : "MISS", cell->at);
        }
        fputc('\n', out);
    }
    free(done);
    fprintf(out, "%zu of %zu targets met\n", pass, l.n);
    free(l.v);
    /* A check on the machine itself: the divider probes of every thread run
     * on their own L1 data, so T threads should be ~T times as fast as one.
     * Less means the cores were not all free (other processes), and every
     * T-thread figure of the run is disturbed. */
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (r->kind != OB_BENCH_PROBE_DIV || r->threads < 2 || !isfinite(r->ns_per_elem)) continue;
        const ob_bench_row *one = NULL;
        for (size_t j = 0; j < plan->n_rows && !one; j++) {
            const ob_bench_row *q = &plan->rows[j];
            if (q->kind == OB_BENCH_PROBE_DIV && q->threads == 1 && q->isa == r->isa && !strcmp(q->variant, r->variant) &&
                isfinite(q->ns_per_elem))
                one = q;
        }
        if (!one) continue;
        const double scale = one->ns_per_elem / r->ns_per_elem;
        fprintf(out, "check: the %s %s divider probe ran %.2fx faster on %d threads than on 1 (ideal %dx)%s\n",
                ob_isa_name((ob_isa)r->isa), r->variant, scale, r->threads, r->threads,
                scale < 0.75 * r->threads ? ": the cores were not all free, the multi-thread figures are disturbed" : "");
    }
    /* Anchors and peers: Adam, 1 thread. */
    const ob_optimizer *adam = ob_optimizer_find("adam");
    int header = 0;
    for (int k = 0; k < 5; k++) {
        const ob_bench_row *ours = find_row(plan, OB_BENCH_KERNEL, adam, OB_ISA_AVX512, "exact", anchor_sizes[k], 1);
        const ob_bench_row *sc = find_row(plan, OB_BENCH_KERNEL, adam, OB_ISA_SCALAR, "exact", anchor_sizes[k], 1);
        const ob_bench_row *peer = find_row(plan, OB_BENCH_PEER, adam, -1, NULL, anchor_sizes[k], 1);
        if (!ours && !sc && !peer) continue;
        if (!header) {
            fprintf(out, "\nAdam, 1 thread, ns/element: anchors from the issue (not this run) and peers (this run);\n"
                         "ratio = their time / ours (> 1: ours is faster)\n");
            fprintf(out, "%6s %10s %10s %6s %10s %10s %6s %10s %6s\n", "size", "avx512", "DeepSpeed", "ratio",
                    "scalar", "plain C", "ratio", "torch", "ratio");
            header = 1;
        }
        char s[32];
        ob_bench_format_size(anchor_sizes[k], s, sizeof s);
        double o_ns = ours ? ours->ns_per_elem : NAN, s_ns = sc ? sc->ns_per_elem : NAN;
        double t_ns = peer ? peer->ns_per_elem : NAN;
        fprintf(out, "%6s", s);
        cell(out, 11, "%*.3f", o_ns);
        cell(out, 11, "%*.2f", anchor_deepspeed[k]);
        cell(out, 7, "%*.2f", anchor_deepspeed[k] / o_ns);
        cell(out, 11, "%*.3f", s_ns);
        cell(out, 11, "%*.2f", anchor_scalar[k]);
        cell(out, 7, "%*.2f", anchor_scalar[k] / s_ns);
        cell(out, 11, "%*.3f", t_ns);
        cell(out, 7, "%*.2f", t_ns / o_ns);
        fputc('\n', out);
    }
}

cJSON *ob_bench_targets_json(const ob_bench_plan *plan)
{
    target_list l = compute_targets(plan);
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < l.n; i++) {
        const target_line *t = &l.v[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "target", t->target);
        cJSON_AddStringToObject(o, "opt", t->opt->name);
        cJSON_AddStringToObject(o, "isa", ob_isa_name((ob_isa)t->isa));
        cJSON_AddStringToObject(o, "variant", t->variant);
        cJSON_AddNumberToObject(o, "ratio", t->ratio);
        cJSON_AddStringToObject(o, "worst_at", t->at);
        cJSON_AddNumberToObject(o, "need", t->need);
        cJSON_AddBoolToObject(o, "pass", t->ratio >= t->need);
        cJSON_AddItemToArray(a, o);
    }
    free(l.v);
    return a;
}

/* ---- mixed-precision formats -------------------------------------------------------- */

/* Size from which a format must reach FORMAT_NEED of its own memory
 * ceiling (README "Mixed precision"). */
#define FORMAT_NEED 0.95

static void format_row_json(cJSON *a, const ob_bench_plan *plan, const ob_bench_row *r)
{
    const ob_bench_row *f32 = find_row(plan, OB_BENCH_KERNEL, r->opt, r->isa, "exact", r->size, r->threads);
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
    if (r->size >= SIZE_LARGE) cJSON_AddBoolToObject(o, "meets_ceiling_target", r->frac_mem_ceiling >= FORMAT_NEED);
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
    fprintf(out, "\nformats (medians; f_mem = fraction of the same-run memory probe with the format's own bytes;\n"
                 "x fp32 = speed-up over the fp32 kernel, bounded by the byte ratio B(fp32)/B; target f_mem >= %.2f "
                 "from 16Mi)\n", FORMAT_NEED);
    fprintf(out, "%-8s %-6s %-16s %6s %3s %4s %8s %8s %6s %7s %6s %-7s %6s %s\n", "opt", "isa", "format", "size", "thr",
            "B/el", "ns/elem", "memGB/s", "f_mem", "x fp32", "B-rat", "bound", "f_bnd", "target");
    size_t pass = 0, total = 0;
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (!is_format_row(r)) continue;
        const ob_bench_row *f32 = find_row(plan, OB_BENCH_KERNEL, r->opt, r->isa, "exact", r->size, r->threads);
        char size[32];
        ob_bench_format_size(r->size, size, sizeof size);
        fprintf(out, "%-8s %-6s %-16.16s %6s %3d", r->opt->name, ob_isa_name((ob_isa)r->isa), r->variant, size,
                r->threads);
        cell(out, 5, "%*.0f", r->bytes_per_elem);
        cell(out, 9, "%*.3f", r->ns_per_elem);
        cell(out, 9, "%*.1f", r->mem_ceiling_gb_per_s);
        cell(out, 7, "%*.3f", r->frac_mem_ceiling);
        cell(out, 8, "%*.2f", r->speedup_vs_fp32);
        cell(out, 7, "%*.2f", f32 ? f32->bytes_per_elem / r->bytes_per_elem : NAN);
        fprintf(out, " %-7s", r->bound[0] ? r->bound : "-");
        cell(out, 7, "%*.3f", r->frac_bound);
        if (r->size >= SIZE_LARGE && isfinite(r->frac_mem_ceiling)) {
            const int ok = r->frac_mem_ceiling >= FORMAT_NEED;
            pass += ok;
            total++;
            fprintf(out, " %s", ok ? "PASS" : "MISS");
        }
        fputc('\n', out);
    }
    fprintf(out, "%zu of %zu format cases from 16Mi reach %.2f of their memory ceiling\n", pass, total, FORMAT_NEED);
}
