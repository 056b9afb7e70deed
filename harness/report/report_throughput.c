/*
 * report_throughput.c — the report's throughput section (bench.csv of
 * `optbench bench`: optbench's kernels, the peers measured the same way
 * and the probes that set the ceilings) and its line of the findings,
 * where each peer is compared with optbench case by case.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench/ob_bench.h"
#include "harness/core/ob_core.h"
#include "report_internal.h"

/* One bench.csv row as a throughput table row. */
static void bench_row(rp_doc *d, const rp_model *m, size_t r)
{
    const rp_table *b = &m->bench;
    rp_row row = {0};
    char v[64];
    rp_cell(&row, "%s", rp_table_str(b, r, m->bc.opt));
    rp_cell(&row, "%s", rp_table_str(b, r, m->bc.isa));
    rp_cell(&row, "%s", rp_table_str(b, r, m->bc.variant));
    rp_cell(&row, "%s", rp_table_str(b, r, m->bc.threads));
    rp_cell(&row, "%s", rp_table_str(b, r, m->bc.size));
    const int num_cols[] = {m->bc.ns, m->bc.gbps, m->bc.ceil};
    for (size_t k = 0; k < 3; k++) {
        rp_fmt(v, sizeof v, rp_table_num(b, r, num_cols[k]));
        rp_cell(&row, "%s", v);
    }
    const char *probe = rp_table_str(b, r, m->bc.ceil_probe);
    rp_cell(&row, "%s", probe[0] ? probe : "–");
    double frac = rp_table_num(b, r, m->bc.frac);
    if (isnan(frac)) frac = rp_table_num(b, r, m->bc.gbps) / rp_table_num(b, r, m->bc.ceil);
    if (isfinite(frac)) rp_cell(&row, "%.0f%%", 100 * frac);
    else rp_cell(&row, "–");
    double sp = rp_table_num(b, r, m->bc.speedup);
    if (isfinite(sp)) rp_cell(&row, "%.2f×", sp);
    else rp_cell(&row, "–");
    double fb = rp_table_num(b, r, m->bc.frac_bound);
    const char *bound = rp_table_str(b, r, m->bc.bound);
    if (bound[0] && isfinite(fb)) rp_cell(&row, "%s (%.0f%%)", bound, 100 * fb);
    else rp_cell(&row, "%s", bound[0] ? bound : "–");
    rp_doc_row(d, &row);
}

static void bench_table(rp_doc *d, const rp_model *m, const char *kind_a, const char *kind_b)
{
    rp_row h = {0};
    rp_cells(&h, "optimizer", "ISA", "variant", "threads", "n", "ns/elem", "GB/s", "ceiling GB/s",
             "ceiling set by", "of ceiling", "speed-up", "bound (fraction)", NULL);
    rp_doc_table(d, &h, "lllrrrrrlrrl");
    /* The run's optimizers in table order first, then whatever else was measured. */
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t r = 0; r < m->bench.nrows; r++) {
            const char *kind = rp_table_str(&m->bench, r, m->bc.kind);
            if (strcmp(kind, kind_a) != 0 && (!kind_b || strcmp(kind, kind_b) != 0)) continue;
            const char *opt = rp_table_str(&m->bench, r, m->bc.opt);
            int known = 0;
            for (size_t k = 0; k < m->n_opts; k++) known |= !strcmp(m->opts[k], opt);
            if (known != (pass == 0)) continue;
            bench_row(d, m, r);
        }
    }
    rp_doc_table_end(d);
}

static int bench_has(const rp_model *m, const char *kind)
{
    for (size_t r = 0; r < m->bench.nrows; r++)
        if (!strcmp(rp_table_str(&m->bench, r, m->bc.kind), kind)) return 1;
    return 0;
}

/* min and max of v over calls (NaN ignored). */
typedef struct span {
    double lo, hi;
    size_t n;
} span;

static void span_add(span *s, double v)
{
    if (!isfinite(v)) return;
    if (!s->n || v < s->lo) s->lo = v;
    if (!s->n || v > s->hi) s->hi = v;
    s->n++;
}

/* optbench's fastest exact kernel of opt at (size, threads), NaN if none. */
static double fastest_exact(const rp_model *m, const char *opt, double size, const char *threads)
{
    double best = NAN;
    for (size_t r = 0; r < m->bench.nrows; r++) {
        const double ns = rp_table_num(&m->bench, r, m->bc.ns);
        if (!strcmp(rp_table_str(&m->bench, r, m->bc.kind), "kernel") &&
            !strcmp(rp_table_str(&m->bench, r, m->bc.variant), "exact") &&
            !strcmp(rp_table_str(&m->bench, r, m->bc.opt), opt) &&
            rp_table_num(&m->bench, r, m->bc.size) == size &&
            !strcmp(rp_table_str(&m->bench, r, m->bc.threads), threads) && isfinite(ns) && !(ns >= best))
            best = ns;
    }
    return best;
}

/* The ratios of one peer (torch, or a plugin:<kernel> row) at one thread
 * count.  They are kept apart because one range over every thread count
 * hid what it measured: on a 2-core machine shared with other work, a
 * 2-thread step at 64Ki waited for a core, optbench's up to ~8 ms (100-400×
 * its 1-thread time), torch's 5-700×, so `make report`'s pooled range ran
 * from 0.01 to 187 although every 1-thread case lay within 0.92-59. */
typedef struct peer_group {
    const char *peer, *threads;
    span s;
} peer_group;

#define RP_MAX_PEER_GROUPS 32

/* How many times faster the divider probe ran on t threads than on 1: the
 * best of the probes (ISA, pattern) measured at both, NaN if none.  Each
 * thread divides on its own L1 data, so free cores give ~t; the same
 * check as `optbench bench`'s "check:" line (bench_targets.c). */
static double div_scaling(const rp_model *m, int t)
{
    const rp_table *b = &m->bench;
    double best = NAN;
    for (size_t r = 0; r < b->nrows; r++) {
        if (strcmp(rp_table_str(b, r, m->bc.kind), "probe_div") ||
            atoi(rp_table_str(b, r, m->bc.threads)) != t)
            continue;
        for (size_t q = 0; q < b->nrows; q++) {
            if (strcmp(rp_table_str(b, q, m->bc.kind), "probe_div") ||
                strcmp(rp_table_str(b, q, m->bc.threads), "1") ||
                strcmp(rp_table_str(b, q, m->bc.isa), rp_table_str(b, r, m->bc.isa)) ||
                strcmp(rp_table_str(b, q, m->bc.variant), rp_table_str(b, r, m->bc.variant)))
                continue;
            const double scale = rp_table_num(b, q, m->bc.ns) / rp_table_num(b, r, m->bc.ns);
            if (isfinite(scale) && !(scale <= best)) best = scale;
        }
    }
    return best;
}

/* Appends, for each thread count t above 1 of the peer cases whose cores
 * were not all free, what shows it: the divider probe short of t times
 * one thread's speed (below 0.75 t, the bench's threshold), or bench.json's
 * load average when the benchmark began (optbench.loadavg_before) plus t
 * above the CPU count (context.num_cpus): at a load of 7.9 on 2 CPUs the
 * best probe still scaled 1.6×, as its 1-thread run was slowed too.
 * One thread on a busy machine is only time-shared, but a step of several
 * ends when its last thread does: one thread without a core stalls the
 * whole step for a scheduler slice. */
static void busy_note(const rp_model *m, const peer_group *g, size_t n, char *buf, size_t len)
{
    const double load = rp_num(cJSON_GetObjectItemCaseSensitive(m->bench_json, "optbench"), "loadavg_before");
    const double ncpu = rp_num(cJSON_GetObjectItemCaseSensitive(m->bench_json, "context"), "num_cpus");
    const int know_load = load >= 0 && ncpu >= 1;
    for (size_t i = 0; i < n; i++) {
        const int t = atoi(g[i].threads);
        size_t j = 0;
        while (j < i && (atoi(g[j].threads) != t || !g[j].s.n)) j++;
        if (t < 2 || !g[i].s.n || j < i) continue; /* one thread, no case, or named already */
        const double scale = div_scaling(m, t);
        if (!(scale < 0.75 * t) && !(know_load && load + t > ncpu)) continue;
        ob_appendf(buf, len, "; at %d threads the cores were not all free (", t);
        if (isfinite(scale))
            ob_appendf(buf, len, "the divider probe ran %.2f× as fast as on 1 thread, ideal %d×%s", scale, t,
                       know_load ? "; " : "");
        if (know_load)
            ob_appendf(buf, len, "load average %.2f on %.0f CPUs when the benchmark began", load, ncpu);
        ob_appendf(buf, len, "), which disturbs those times");
    }
}

/* "; torch took a–b× optbench's time at 1 thread (n cases), c–d× at 2
 * threads (n cases); ... (what was paired)" and, where the machine was
 * busy, which cases shared its cores. */
static void peer_finding(const rp_model *m, char *buf, size_t len)
{
    const rp_table *b = &m->bench;
    peer_group g[RP_MAX_PEER_GROUPS];
    size_t n = 0;
    for (size_t r = 0; r < b->nrows; r++) {
        const char *kind = rp_table_str(b, r, m->bc.kind), *variant = rp_table_str(b, r, m->bc.variant);
        if (strcmp(kind, "peer") && (strcmp(kind, "kernel") || strncmp(variant, "plugin:", 7))) continue;
        const char *threads = rp_table_str(b, r, m->bc.threads);
        const double ours = fastest_exact(m, rp_table_str(b, r, m->bc.opt), rp_table_num(b, r, m->bc.size),
                                          threads);
        size_t i = 0;
        while (i < n && (strcmp(g[i].peer, variant) || strcmp(g[i].threads, threads))) i++;
        if (i == n) {
            if (n == RP_MAX_PEER_GROUPS) continue;
            g[n++] = (peer_group){variant, threads, {0, 0, 0}};
        }
        span_add(&g[i].s, rp_table_num(b, r, m->bc.ns) / ours);
    }
    size_t cases = 0;
    for (size_t i = 0; i < n; i++) cases += g[i].s.n;
    if (!cases) return;
    /* Each peer once, in the order of its first row, with its thread counts. */
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && strcmp(g[j].peer, g[i].peer)) j++;
        if (j < i) continue; /* written with its first group */
        int first = 1;
        for (size_t k = i; k < n; k++) {
            if (strcmp(g[k].peer, g[i].peer) || !g[k].s.n) continue;
            if (first) ob_appendf(buf, len, "; %s took ", g[k].peer);
            else ob_appendf(buf, len, ", ");
            ob_appendf(buf, len, "%.2f–%.2f×%s at %s thread%s (%zu case%s)", g[k].s.lo, g[k].s.hi,
                       first ? " optbench's time" : "", g[k].threads, strcmp(g[k].threads, "1") ? "s" : "",
                       g[k].s.n, g[k].s.n == 1 ? "" : "s");
            first = 0;
        }
    }
    ob_appendf(
        buf, len,
        " (each case against optbench's fastest exact fp32 kernel of the same optimizer, size and thread "
        "count; > 1: optbench faster)");
    busy_note(m, g, n, buf, len);
}

void rp_throughput_finding(const rp_model *m, char *buf, size_t len)
{
    buf[0] = '\0';
    const rp_table *b = &m->bench;
    int widest = -1;
    double smin = INFINITY, smax = 0;
    for (size_t r = 0; r < b->nrows; r++) {
        if (strcmp(rp_table_str(b, r, m->bc.kind), "kernel") ||
            strcmp(rp_table_str(b, r, m->bc.variant), "exact"))
            continue;
        ob_isa isa;
        if (ob_isa_parse(rp_table_str(b, r, m->bc.isa), &isa) == 0 && (int)isa > widest) widest = (int)isa;
        const double size = rp_table_num(b, r, m->bc.size);
        if (size < smin) smin = size;
        if (size > smax) smax = size;
    }
    if (widest < 0) return;
    span mem = {0}, bound = {0};
    for (size_t r = 0; r < b->nrows; r++) {
        const double size = rp_table_num(b, r, m->bc.size);
        if (!strcmp(rp_table_str(b, r, m->bc.kind), "kernel") &&
            !strcmp(rp_table_str(b, r, m->bc.variant), "exact") &&
            !strcmp(rp_table_str(b, r, m->bc.isa), ob_isa_name((ob_isa)widest))) {
            if (size == smax) span_add(&mem, rp_table_num(b, r, m->bc.frac));
            if (size == smin) span_add(&bound, rp_table_num(b, r, m->bc.frac_bound));
        }
    }
    char n1[32], n2[32];
    ob_bench_format_size((size_t)smax, n1, sizeof n1);
    ob_bench_format_size((size_t)smin, n2, sizeof n2);
    snprintf(buf, len,
             "the exact %s kernels at %.2f–%.2f of the memory ceiling at %s and %.2f–%.2f of their bounding "
             "ceiling at %s",
             ob_isa_name((ob_isa)widest), mem.lo, mem.hi, n1, bound.lo, bound.hi, n2);
    peer_finding(m, buf, len);
}

void rp_section_throughput(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "throughput", "Throughput");
    if (!m->has_bench) {
        rp_doc_para(
            d,
            "Not measured: this run folder has no usable bench.csv. Add it with `optbench bench --run %s "
            "--quick` and run `optbench report --run %s` again.",
            m->dir, m->dir);
        return;
    }
    rp_doc_para(
        d,
        "Medians from bench.csv. GB/s counts the memory traffic of a step (p and g read, p and the state "
        "read and written); the ceiling is the memory bandwidth measured in the same run at the same size: "
        "the fastest of the memory probes (plain, with software prefetch, with streaming stores) and STREAM's "
        "triad over the case's bytes, named in \"ceiling set by\"; \"bound\" says which limit (memory or the "
        "divider) the kernel is closest to.");
    bench_table(d, m, "kernel", NULL);
    if (bench_has(m, "peer")) {
        rp_doc_para(d, "Peer implementations measured the same way:");
        bench_table(d, m, "peer", NULL);
    }
    if (bench_has(m, "probe_mem") || bench_has(m, "probe_div") || bench_has(m, "triad")) {
        rp_doc_para(d,
                    "The probes that set the ceilings (memory bandwidth, divider throughput, STREAM triad):");
        rp_row h = {0};
        rp_cells(&h, "probe", "pattern", "ISA", "threads", "n", "GB/s", "ns/elem", NULL);
        rp_doc_table(d, &h, "lllrrrr");
        for (size_t r = 0; r < m->bench.nrows; r++) {
            const char *kind = rp_table_str(&m->bench, r, m->bc.kind);
            if (strcmp(kind, "probe_mem") && strcmp(kind, "probe_div") && strcmp(kind, "triad")) continue;
            rp_row row = {0};
            char g[64], n[64];
            rp_fmt(g, sizeof g, rp_table_num(&m->bench, r, m->bc.gbps));
            rp_fmt(n, sizeof n, rp_table_num(&m->bench, r, m->bc.ns));
            rp_cell(&row, "%s", kind);
            rp_cell(&row, "%s", rp_table_str(&m->bench, r, m->bc.variant));
            rp_cell(&row, "%s", rp_table_str(&m->bench, r, m->bc.isa));
            rp_cell(&row, "%s", rp_table_str(&m->bench, r, m->bc.threads));
            rp_cell(&row, "%s", rp_table_str(&m->bench, r, m->bc.size));
            rp_cell(&row, "%s", g);
            rp_cell(&row, "%s", n);
            rp_doc_row(d, &row);
        }
        rp_doc_table_end(d);
    }
    rp_doc_figures(d, m->sum, "throughput");
}
