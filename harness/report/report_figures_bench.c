/*
 * report_figures_bench.c — the figures of the throughput and memory
 * sections: throughput per optimizer and speed-up over scalar (from
 * bench.csv, when the run has one) and memory per parameter (from the
 * optimizer table).  Like report_figures.c, it reduces the rows to small
 * data files (figures/data/<name>.csv) in C, which the gnuplot scripts
 * plot.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report_internal.h"

/* ---- throughput (bench.csv) ------------------------------------------------------ */

/* An ISA's rank for ordering series: the table's order, unknown names last. */
static int isa_rank(const char *name)
{
    ob_isa i;
    return ob_isa_parse(name, &i) == 0 ? (int)i : OB_ISA_COUNT;
}

static int opt_rank(const rp_model *m, const char *name)
{
    for (size_t k = 0; k < m->n_opts; k++)
        if (!strcmp(m->opts[k], name)) return (int)k;
    const ob_optimizer *o = ob_optimizer_find(name);
    for (size_t k = 0; o && k < ob_optimizer_count; k++)
        if (ob_optimizer_table[k] == o) return (int)(m->n_opts + k);
    return (int)(m->n_opts + ob_optimizer_count);
}

/* The bench rows' fields the figures use. */
#define B_STR(m, r, c) rp_table_str(&(m)->bench, (r), (m)->bc.c)
#define B_NUM(m, r, c) rp_table_num(&(m)->bench, (r), (m)->bc.c)

static double row_threads(const rp_model *m, size_t r)
{
    double t = B_NUM(m, r, threads);
    return isfinite(t) ? t : 1;
}

/* The fewest threads any "kernel" row of opt (NULL: of any optimizer) uses:
 * the figures compare like with like, and one thread is what every machine
 * has. */
static double min_threads(const rp_model *m, const char *opt)
{
    double t = INFINITY;
    for (size_t r = 0; r < m->bench.nrows; r++)
        if (!strcmp(B_STR(m, r, kind), "kernel") && (!opt || !strcmp(B_STR(m, r, opt), opt)))
            t = fmin(t, row_threads(m, r));
    return t;
}

/* A series: the rows of one (kind, isa, variant), sorted by size. */
typedef struct series {
    const char *isa, *variant;
    int peer;
    size_t *rows;
    size_t n;
} series;

static int series_cmp(const void *a, const void *b)
{
    const series *x = a, *y = b;
    if (x->peer != y->peer) return x->peer - y->peer;
    int rx = isa_rank(x->isa), ry = isa_rank(y->isa);
    if (rx != ry) return rx - ry;
    int ex = strcmp(x->variant, "exact") != 0, ey = strcmp(y->variant, "exact") != 0;
    if (ex != ey) return ex - ey;
    return strcmp(x->variant, y->variant);
}

static void free_series(series *s, size_t n)
{
    for (size_t i = 0; i < n; i++) free(s[i].rows);
    free(s);
}

/* A plugin kernel's row (optbench bench --plugin): no ISA, its label
 * "plugin:<kernel>" as the variant. */
static int plugin_variant(const char *variant)
{
    return !strncmp(variant, "plugin:", 7);
}

/* Nonzero for the variants of the fp32 kernels ("exact", "approx", and
 * plugin kernels, fp32 by the plugin ABI); the other variants are
 * mixed-precision formats, whose throughput and speed-up (over fp32) have
 * their own section (section_formats). */
static int fp32_variant(const char *variant)
{
    return !strcmp(variant, "exact") || !strcmp(variant, "approx") || plugin_variant(variant);
}

/* Groups the fp32 kernel (and peer) rows of opt at `threads` threads into
 * series, each sorted by size.  NULL (and *n = 0) when there are none. */
static series *collect_series(const rp_model *m, const char *opt, double threads, int with_peers, size_t *n)
{
    series *s = NULL;
    *n = 0;
    for (size_t r = 0; r < m->bench.nrows; r++) {
        const char *kind = B_STR(m, r, kind);
        int peer = !strcmp(kind, "peer");
        if ((strcmp(kind, "kernel") != 0 && !(with_peers && peer)) || strcmp(B_STR(m, r, opt), opt) != 0 ||
            (!peer && !fp32_variant(B_STR(m, r, variant))) || row_threads(m, r) != threads ||
            !isfinite(B_NUM(m, r, size)))
            continue;
        const char *isa = peer ? "" : B_STR(m, r, isa), *var = B_STR(m, r, variant);
        size_t k = 0;
        while (k < *n && !(s[k].peer == peer && !strcmp(s[k].isa, isa) && !strcmp(s[k].variant, var))) k++;
        if (k == *n) {
            series *g = realloc(s, (*n + 1) * sizeof *g);
            if (!g) break;
            s = g;
            s[k] = (series){isa, var, peer, NULL, 0};
            (*n)++;
        }
        size_t *rows = realloc(s[k].rows, (s[k].n + 1) * sizeof *rows);
        if (!rows) break;
        s[k].rows = rows;
        /* Insertion by size keeps each series sorted (series are short). */
        size_t at = s[k].n;
        while (at > 0 && B_NUM(m, s[k].rows[at - 1], size) > B_NUM(m, r, size)) {
            s[k].rows[at] = s[k].rows[at - 1];
            at--;
        }
        s[k].rows[at] = r;
        s[k].n++;
    }
    if (*n) qsort(s, *n, sizeof *s, series_cmp);
    return s;
}

/* The memory ceiling at a size: the highest bandwidth measured in the same
 * run at that size and thread count, by the kernel rows of opt (each ISA's
 * own probe) or a probe_mem row for opt (or for no optimizer in
 * particular).  The highest, because a scalar probe cannot load as fast
 * as a vector one, and the roofline is what the machine allows. */
static double ceiling_at(const rp_model *m, const char *opt, double size, double threads)
{
    double best = NAN;
    for (size_t r = 0; r < m->bench.nrows; r++) {
        if (B_NUM(m, r, size) != size || row_threads(m, r) != threads) continue;
        const char *kind = B_STR(m, r, kind), *ro = B_STR(m, r, opt);
        double v = NAN;
        if (!strcmp(kind, "kernel") && !strcmp(ro, opt)) v = B_NUM(m, r, ceil);
        else if (!strcmp(kind, "probe_mem") && (!ro[0] || !strcmp(ro, opt))) v = B_NUM(m, r, gbps);
        if (isfinite(v) && !(v <= best)) best = v;
    }
    return best;
}

static void series_title(const series *s, char *buf, size_t len)
{
    if (s->peer) snprintf(buf, len, "peer:%s", s->variant[0] ? s->variant : "peer");
    else if (plugin_variant(s->variant)) snprintf(buf, len, "%s", s->variant);
    else if (!s->variant[0] || !strcmp(s->variant, "exact")) snprintf(buf, len, "%s", s->isa);
    else snprintf(buf, len, "%s/%s", s->isa, s->variant);
}

/* peer_no: the series' number among the peers and plugin kernels (each
 * gets a colour of its own). */
static void series_key(const series *s, int peer_no, char *buf, size_t len)
{
    if (s->peer || plugin_variant(s->variant)) snprintf(buf, len, "peer:%d", peer_no);
    else snprintf(buf, len, "%s:%s", !s->variant[0] || !strcmp(s->variant, "exact") ? "isa" : "isa~", s->isa);
}

static int plan_throughput_opt(rp_plan *p, const rp_model *m, const char *opt, char *err, size_t errlen)
{
    double threads = min_threads(m, opt);
    size_t ns;
    series *s = collect_series(m, opt, threads, 1, &ns);
    if (!ns) return 0;
    rp_sbuf d, titles, keys, styles;
    if (rp_sb_open(&d) || rp_sb_open(&titles) || rp_sb_open(&keys) || rp_sb_open(&styles)) {
        free_series(s, ns);
        return -1;
    }
    int peers = 0, plugins = 0;
    double sizes[256];
    size_t nsz = 0;
    for (size_t i = 0; i < ns; i++) {
        char t[128], k[128];
        const int plugin = plugin_variant(s[i].variant);
        peers += s[i].peer;
        plugins += plugin;
        series_title(&s[i], t, sizeof t);
        series_key(&s[i], peers + plugins, k, sizeof k);
        rp_sb_word(&titles, t);
        rp_sb_word(&keys, k);
        rp_sb_word(&styles, s[i].peer ? "peer" : (!plugin && strcmp(t, s[i].isa) ? "approx" : "exact"));
        fprintf(d.f, "%ssize,gb_per_s\n", i ? "\n\n" : "");
        for (size_t r = 0; r < s[i].n; r++) {
            double sz = B_NUM(m, s[i].rows[r], size);
            fprintf(d.f, "%.17g,", sz);
            double g = B_NUM(m, s[i].rows[r], gbps);
            if (isfinite(g)) fprintf(d.f, "%.6g", g);
            fputc('\n', d.f);
            size_t z = 0;
            while (z < nsz && sizes[z] != sz) z++;
            if (z == nsz && nsz < 256 && !s[i].peer) {
                /* sorted insert: the ceiling is drawn left to right */
                size_t at = nsz++;
                while (at > 0 && sizes[at - 1] > sz) {
                    sizes[at] = sizes[at - 1];
                    at--;
                }
                sizes[at] = sz;
            }
        }
    }
    int have_ceiling = 0;
    for (size_t z = 0; z < nsz; z++) have_ceiling |= isfinite(ceiling_at(m, opt, sizes[z], threads));
    if (have_ceiling) {
        fprintf(d.f, "\n\nsize,gb_per_s\n");
        for (size_t z = 0; z < nsz; z++) {
            double c = ceiling_at(m, opt, sizes[z], threads);
            if (isfinite(c)) fprintf(d.f, "%.17g,%.6g\n", sizes[z], c);
        }
        rp_sb_word(&titles, "memory_ceiling");
        rp_sb_word(&keys, "ceiling");
        rp_sb_word(&styles, "ceiling");
    }
    char file[160], name[160], caption[768];
    snprintf(file, sizeof file, "throughput-%s.csv", opt);
    snprintf(name, sizeof name, "throughput-%s", opt);
    snprintf(
        caption, sizeof caption,
        "Throughput of the %s step in GB/s of memory traffic against the array size, on %g thread%s, one line "
        "per instruction set%s%s%s.",
        opt, threads, threads == 1 ? "" : "s", plugins ? " and per plugin kernel (plugin:<kernel>)" : "",
        peers ? " and per peer library" : "",
        have_ceiling ? ", under the memory bandwidth measured in the same run (grey, the roofline)"
                     : " (no memory ceiling was measured)");
    rp_job *j = rp_data_figure(p, m, file, &d, "throughput", name, "throughput.gp", caption, err, errlen);
    if (j) {
        rp_assign(j, "titles", "%s", rp_sb_text(&titles));
        rp_assign(j, "keys", "%s", rp_sb_text(&keys));
        rp_assign(j, "styles", "%s", rp_sb_text(&styles));
        rp_assign(j, "title", "Throughput of %s (%g thread%s)", opt, threads, threads == 1 ? "" : "s");
    }
    free(d.s);
    free(titles.s);
    free(keys.s);
    free(styles.s);
    free_series(s, ns);
    return j ? 0 : -1;
}

/* Speed-up of a row over scalar: the column, else the ratio of ns/elem to
 * the scalar exact row of the same optimizer, size and threads. */
static double speedup_of(const rp_model *m, size_t r)
{
    double s = B_NUM(m, r, speedup);
    if (isfinite(s)) return s;
    double ns = B_NUM(m, r, ns);
    for (size_t q = 0; q < m->bench.nrows; q++)
        if (!strcmp(B_STR(m, q, kind), "kernel") && !strcmp(B_STR(m, q, opt), B_STR(m, r, opt)) &&
            !strcmp(B_STR(m, q, isa), "scalar") && !strcmp(B_STR(m, q, variant), "exact") &&
            B_NUM(m, q, size) == B_NUM(m, r, size) && row_threads(m, q) == row_threads(m, r))
            return B_NUM(m, q, ns) / ns;
    return NAN;
}

static int plan_speedup(rp_plan *p, const rp_model *m, char *err, size_t errlen)
{
    double threads = min_threads(m, NULL);
    double lo = INFINITY, hi = -INFINITY;
    /* The union of the non-scalar series over all optimizers, and the
     * smallest and largest sizes measured. */
    series cols[32];
    size_t nc = 0;
    const char *opts[64];
    size_t no = 0;
    for (size_t r = 0; r < m->bench.nrows; r++) {
        if (strcmp(B_STR(m, r, kind), "kernel") != 0 || row_threads(m, r) != threads) continue;
        double sz = B_NUM(m, r, size);
        if (isfinite(sz)) {
            lo = fmin(lo, sz);
            hi = fmax(hi, sz);
        }
        const char *isa = B_STR(m, r, isa), *var = B_STR(m, r, variant), *opt = B_STR(m, r, opt);
        size_t k = 0;
        while (k < no && strcmp(opts[k], opt)) k++;
        if (k == no && no < 64) {
            /* ordered as the optimizer table */
            size_t at = no++;
            while (at > 0 && opt_rank(m, opts[at - 1]) > opt_rank(m, opt)) {
                opts[at] = opts[at - 1];
                at--;
            }
            opts[at] = opt;
        }
        if ((!strcmp(isa, "scalar") && !strcmp(var, "exact")) || !fp32_variant(var)) continue;
        k = 0;
        while (k < nc && !(strcmp(cols[k].isa, isa) == 0 && strcmp(cols[k].variant, var) == 0)) k++;
        if (k == nc && nc < 32) cols[nc++] = (series){isa, var, 0, NULL, 0};
    }
    if (nc == 0 || !isfinite(lo)) return 0;
    qsort(cols, nc, sizeof *cols, series_cmp);
    rp_sbuf d, names, keys;
    if (rp_sb_open(&d) || rp_sb_open(&names) || rp_sb_open(&keys)) return -1;
    int panels = hi > lo ? 2 : 1;
    for (int pn = 0; pn < panels; pn++) {
        double at = pn ? hi : lo;
        fprintf(d.f, "%soptimizer", pn ? "\n\n" : "");
        for (size_t c = 0; c < nc; c++) fprintf(d.f, ",c%zu", c + 1);
        fputc('\n', d.f);
        for (size_t o = 0; o < no; o++) {
            fprintf(d.f, "%s", opts[o]);
            for (size_t c = 0; c < nc; c++) {
                fputc(',', d.f);
                for (size_t r = 0; r < m->bench.nrows; r++) {
                    if (!strcmp(B_STR(m, r, kind), "kernel") && !strcmp(B_STR(m, r, opt), opts[o]) &&
                        !strcmp(B_STR(m, r, isa), cols[c].isa) &&
                        !strcmp(B_STR(m, r, variant), cols[c].variant) && B_NUM(m, r, size) == at &&
                        row_threads(m, r) == threads) {
                        double v = speedup_of(m, r);
                        if (isfinite(v)) fprintf(d.f, "%.4g", v);
                        break;
                    }
                }
            }
            fputc('\n', d.f);
        }
    }
    rp_sbuf cn;
    if (rp_sb_open(&cn) != 0) return -1;
    for (size_t c = 0; c < nc; c++) {
        char t[128], k[128], w[32];
        series_title(&cols[c], t, sizeof t);
        series_key(&cols[c], (int)c + 1, k, sizeof k);
        snprintf(w, sizeof w, "c%zu", c + 1);
        rp_sb_word(&names, t);
        rp_sb_word(&keys, k);
        rp_sb_word(&cn, w);
    }
    char caption[768];
    snprintf(
        caption, sizeof caption,
        "Speed-up of each vector kernel over the scalar kernel of the same optimizer (%g thread%s)%s; the dashed "
        "line at 1 is scalar.",
        threads, threads == 1 ? "" : "s",
        panels == 2 ? " at the smallest size measured (left, in cache) and the largest (right, memory-bound)"
                    : "");
    rp_job *j = rp_data_figure(p, m, "speedup.csv", &d, "throughput", "throughput-speedup", "bars.gp",
                               caption, err, errlen);
    if (j) {
        rp_assign(j, "cols", "%s", rp_sb_text(&cn));
        rp_assign(j, "titles", "%s", rp_sb_text(&names));
        rp_assign(j, "keys", "%s", rp_sb_text(&keys));
        rp_assign_num(j, "ref", 1);
        rp_assign(j, "reftitle", "scalar");
        rp_assign_num(j, "panels", panels);
        rp_assign(j, "ptitle1", "smallest size measured, n = %.0f", lo);
        rp_assign(j, "ptitle2", "largest size measured, n = %.0f", hi);
        rp_assign(j, "labelfmt", "%%.3g");
        rp_assign(j, "title", "Speed-up over the scalar kernel");
        rp_assign(j, "ylabel", "speed-up over scalar (×)");
    }
    free(d.s);
    free(names.s);
    free(keys.s);
    free(cn.s);
    return j ? 0 : -1;
}

/* ---- memory ----------------------------------------------------------------------- */

static int plan_memory(rp_plan *p, const rp_model *m, char *err, size_t errlen)
{
    rp_sbuf d;
    if (rp_sb_open(&d) != 0) return -1;
    fprintf(d.f, "optimizer,state_defaults,state_max,traffic_defaults\n");
    for (size_t k = 0; k < ob_optimizer_count; k++) {
        const ob_optimizer *o = ob_optimizer_table[k];
        ob_hparams h;
        ob_hparams_default(o, &h);
        /* Every state array the kernel may use: momentum, centered, amsgrad
         * and the like all switched on. */
        fprintf(d.f, "%s,%zu,%zu,%zu\n", o->name, ob_state_bytes_per_param(o, &h), o->n_state * sizeof(float),
                ob_traffic_bytes_per_param(o, &h));
    }
    rp_job *j = rp_data_figure(
        p, m, "memory.csv", &d, "memory", "memory", "bars.gp",
        "Bytes of optimizer state per parameter (fp32) with torch's defaults and with every state "
        "option on, and the bytes one step moves per parameter with the defaults.",
        err, errlen);
    free(d.s);
    if (!j) return -1;
    rp_assign(j, "cols", "state_defaults state_max traffic_defaults");
    rp_assign(j, "titles", "state,_torch_defaults state,_every_option_on memory_traffic_per_step");
    rp_assign(j, "keys", "seq:1 seq:2 seq:3");
    rp_assign(j, "labelfmt", "%%g");
    rp_assign(j, "title", "Memory per parameter");
    rp_assign(j, "xlabel", "optimizer");
    rp_assign(j, "ylabel", "bytes per parameter");
    return 0;
}

int rp_plan_bench_figures(rp_plan *p, const rp_model *m, char *err, size_t errlen)
{
    if (m->has_bench) {
        for (size_t k = 0; k < m->n_opts + ob_optimizer_count; k++) {
            /* The run's optimizers first, then any others bench measured. */
            const char *opt = k < m->n_opts ? m->opts[k] : ob_optimizer_table[k - m->n_opts]->name;
            if (k >= m->n_opts && opt_rank(m, opt) < (int)m->n_opts) continue;
            if (plan_throughput_opt(p, m, opt, err, errlen) != 0) return -1;
        }
        if (plan_speedup(p, m, err, errlen) != 0) return -1;
    }
    return plan_memory(p, m, err, errlen);
}
