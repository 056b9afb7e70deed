/*
 * bench_targets.c — the speed targets of `optbench bench` (README
 * "Benchmarks"): each kernel's worst ratio to its ceilings against the
 * ratio it needs, as a table and in bench.json, and the peers measured in
 * the same run beside optbench's kernels (never figures from another
 * machine or another run).
 */
#include "ob_bench.h"
#include "bench_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct target_line {
    const char *target;
    const ob_optimizer *opt;
    int isa;
    const char *variant;
    double ratio; /* the worst case measured */
    double need;
    char at[48]; /* where the worst case is */
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
    if (!isfinite(t->ratio)) return; /* nothing measured for it */
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        target_line *v = realloc(l->v, cap * sizeof *v);
        if (!v) return;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *t;
}

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
                target_line thr = {
                    "T threads vs 1: ns(1)/ns(T)", o, isa, variants[vi], NAN, THREADS_NEED, ""};
                for (size_t i = 0; i < plan->n_rows; i++) {
                    const ob_bench_row *r = &plan->rows[i];
                    if (r->kind != OB_BENCH_KERNEL || r->opt != o || r->isa != isa ||
                        strcmp(r->variant, variants[vi]))
                        continue;
                    if (r->size >= BN_SIZE_LARGE) worst(&mem, r->frac_mem_ceiling, r->size, r->threads);
                    if (r->size <= SIZE_SMALL && vi == 0) worst(&small, r->frac_bound, r->size, r->threads);
                    if (r->threads > 1) {
                        const ob_bench_row *one = bn_find_row(plan, OB_BENCH_KERNEL, o, isa, r->variant,
                                                              r->size, 1);
                        if (one && isfinite(r->ns_per_elem))
                            worst(&thr, one->ns_per_elem / r->ns_per_elem, r->size, r->threads);
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
            if (r->kind != OB_BENCH_KERNEL || r->opt != o || r->isa != OB_ISA_AVX512 ||
                strcmp(r->variant, "approx") || r->size > SIZE_SMALL)
                continue;
            const ob_bench_row *ex = bn_find_row(plan, OB_BENCH_KERNEL, o, OB_ISA_AVX512, "exact", r->size,
                                                 r->threads);
            if (ex && isfinite(r->ns_per_elem))
                worst(&ap, ex->ns_per_elem / r->ns_per_elem, r->size, r->threads);
        }
        push(&l, &ap);
    }
    return l;
}

/* The peers timed in this run (plugin peers such as DeepSpeed's cpu_adam,
 * and torch), each against optbench's fastest exact kernel of the same
 * optimizer at every size and thread count: ratio = the peer's ns/elem /
 * optbench's, >= 1.00 meets the target (optbench at least as fast). */
static int is_peer_row(const ob_bench_row *r)
{
    return (r->kind == OB_BENCH_PEER || (r->kind == OB_BENCH_KERNEL && r->plugin)) && isfinite(r->ns_per_elem);
}

void bn_print_peers(FILE *out, const ob_bench_plan *plan)
{
    int header = 0;
    size_t met = 0, total = 0;
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (!is_peer_row(r)) continue;
        const ob_bench_row *ours = bn_find_row(plan, OB_BENCH_KERNEL, r->opt, -1, "exact", r->size, r->threads);
        if (!ours) continue;
        if (!header) {
            fprintf(out, "\npeers, same run (medians): ratio = the peer's ns/elem / optbench's fastest exact "
                         "kernel's; target >= 1.00\n");
            fprintf(out, "%-28s %-8s %6s %3s %8s %-7s %8s %6s\n", "peer", "opt", "size", "thr", "ns/elem",
                    "ours", "ns/elem", "ratio");
            header = 1;
        }
        char size[32];
        ob_bench_format_size(r->size, size, sizeof size);
        const double ratio = r->ns_per_elem / ours->ns_per_elem;
        fprintf(out, "%-28s %-8s %6s %3d", r->variant, r->opt->name, size,
                r->threads);
        bn_cell(out, 9, "%*.3f", r->ns_per_elem);
        fprintf(out, " %-7s", ob_isa_name((ob_isa)ours->isa));
        bn_cell(out, 9, "%*.3f", ours->ns_per_elem);
        bn_cell(out, 7, "%*.3f", ratio);
        fprintf(out, " %s\n", ratio >= 1.0 ? "PASS" : "MISS");
        met += ratio >= 1.0;
        total++;
    }
    if (total) fprintf(out, "%zu of %zu peer cases at least as fast\n", met, total);
}

/* The targets as a matrix: one line per target and optimizer, one column
 * per ISA and variant; each cell is the worst ratio, PASS or MISS, and
 * where the worst case is. */
void ob_bench_print_targets(FILE *out, const ob_bench_plan *plan)
{
    static const struct {
        int isa;
        const char *variant;
    } cols[] = {{OB_ISA_SCALAR, "exact"},
                {OB_ISA_AVX2, "exact"},
                {OB_ISA_AVX512, "exact"},
                {OB_ISA_AVX512, "approx"}};
    const size_t ncols = sizeof cols / sizeof cols[0];
    target_list l = compute_targets(plan);
    fprintf(out,
            "\ntargets (informational: the exit status does not depend on them); each cell: the worst ratio "
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
            if (q->kind == OB_BENCH_PROBE_DIV && q->threads == 1 && q->isa == r->isa &&
                !strcmp(q->variant, r->variant) && isfinite(q->ns_per_elem))
                one = q;
        }
        if (!one) continue;
        const double scale = one->ns_per_elem / r->ns_per_elem;
        fprintf(out,
                "check: the %s %s divider probe ran %.2fx faster on %d threads than on 1 (ideal %dx)%s\n",
                ob_isa_name((ob_isa)r->isa), r->variant, scale, r->threads, r->threads,
                scale < 0.75 * r->threads
                    ? ": the cores were not all free, the multi-thread figures are disturbed"
                    : "");
    }
    bn_print_peers(out, plan);
}

void ob_bench_print_prefetch_check(FILE *out, const ob_bench_plan *plan)
{
    const ob_cpu_tuning *tu = ob_cpu_tuning_get();
    fprintf(out, "\ncode paths for this CPU class (%s): software prefetch %s%s, approximate variant %s (%s)\n",
            tu->cpu_class, tu->prefetch ? "on" : "off", tu->prefetch_forced ? " (forced by OPTBENCH_PREFETCH)" : "",
            tu->approx ? "offered" : "not offered", tu->why);
    const char *other = ob_bench_prefetch_check_variant();
    int header = 0;
    size_t held = 0, total = 0;
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (r->kind != OB_BENCH_KERNEL || strcmp(r->variant, other) || !isfinite(r->ns_per_elem)) continue;
        const ob_bench_row *ex = bn_find_row(plan, OB_BENCH_KERNEL, r->opt, r->isa, "exact", r->size, r->threads);
        if (!ex) continue;
        if (!header) {
            fprintf(out, "prefetch check: ratio = ns/elem with the prefetch %s / with the class's choice "
                         "(>= 1.00: the choice holds)\n",
                    tu->prefetch ? "off" : "on");
            fprintf(out, "%-8s %-6s %6s %3s %8s %8s %6s\n", "opt", "isa", "size", "thr", "choice", "other",
                    "ratio");
            header = 1;
        }
        char size[32];
        ob_bench_format_size(r->size, size, sizeof size);
        const double ratio = r->ns_per_elem / ex->ns_per_elem;
        fprintf(out, "%-8s %-6s %6s %3d", r->opt->name, ob_isa_name((ob_isa)r->isa), size, r->threads);
        bn_cell(out, 9, "%*.3f", ex->ns_per_elem);
        bn_cell(out, 9, "%*.3f", r->ns_per_elem);
        bn_cell(out, 7, "%*.3f", ratio);
        fputc('\n', out);
        held += ratio >= 1.0;
        total++;
    }
    if (total) fprintf(out, "the choice held in %zu of %zu cases\n", held, total);
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
