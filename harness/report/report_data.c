/*
 * report_data.c — reading a run folder for the report: results.json, the
 * case CSVs, bench.csv / bench.json and repro/repro.json, each optional
 * (what is missing is noted, and the report says so), and the contour
 * grid of a 2-D problem.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels/framework/ob_sam.h"
#include "optbench/problems.h"
#include "harness/core/ob_core.h"
#include "report_internal.h"

/* ---- CSV tables ------------------------------------------------------------ */

/* Splits line [s, e) at commas in place; returns the number of fields. */
static size_t split_fields(char *s, char *e, char **out, size_t max)
{
    size_t n = 0;
    if (e > s && e[-1] == '\r') *--e = '\0';
    for (char *p = s;; p++) {
        if (p == e || *p == ',') {
            if (n < max) out[n] = s;
            n++;
            int end = p == e;
            *p = '\0';
            if (end) break;
            s = p + 1;
        }
    }
    return n;
}

int rp_table_read(const char *path, rp_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    size_t len;
    if (ob_read_file(path, &t->buf, &len, err, errlen) != 0) return -1;
    /* Count lines and the header's fields to size the arrays once. */
    size_t lines = 0, hdr = 1;
    for (size_t i = 0; i < len; i++) lines += t->buf[i] == '\n';
    char *nl = memchr(t->buf, '\n', len);
    char *he = nl ? nl : t->buf + len;
    for (char *p = t->buf; p < he; p++) hdr += *p == ',';
    if (len == 0 || he == t->buf) {
        snprintf(err, errlen, "%s: no header line", path);
        rp_table_free(t);
        return -1;
    }
    t->ncols = hdr;
    t->names = calloc(hdr, sizeof *t->names);
    t->cells = calloc((lines + 1) * hdr, sizeof *t->cells);
    if (!t->names || !t->cells) {
        snprintf(err, errlen, "%s: out of memory", path);
        rp_table_free(t);
        return -1;
    }
    split_fields(t->buf, he, t->names, hdr);
    char *s = nl ? nl + 1 : t->buf + len;
    char *end = t->buf + len;
    size_t lineno = 1;
    while (s < end) {
        char *e = memchr(s, '\n', (size_t)(end - s));
        if (!e) e = end;
        lineno++;
        if (e == s || (e == s + 1 && *s == '\r')) { /* blank lines carry nothing */
            s = e + 1;
            continue;
        }
        char **row = &t->cells[t->nrows * hdr];
        size_t got = split_fields(s, e, row, hdr);
        if (got != hdr) {
            snprintf(err, errlen, "%s:%zu: %zu fields where the header has %zu", path, lineno, got, hdr);
            rp_table_free(t);
            return -1;
        }
        t->nrows++;
        s = e + 1;
    }
    return 0;
}

void rp_table_free(rp_table *t)
{
    free(t->names);
    free(t->cells);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

int rp_table_col(const rp_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0) return (int)i;
    return -1;
}

const char *rp_table_str(const rp_table *t, size_t row, int col)
{
    if (col < 0 || row >= t->nrows) return "";
    const char *c = t->cells[row * t->ncols + (size_t)col];
    return c ? c : "";
}

double rp_table_num(const rp_table *t, size_t row, int col)
{
    const char *s = rp_table_str(t, row, col);
    double v;
    /* "empty field = unknown" (bench.csv's rule) and anything unparsable too. */
    return s[0] && ob_parse_real(s, &v) == 0 ? v : NAN;
}

/* ---- JSON helpers ----------------------------------------------------------- */

double rp_num(const cJSON *o, const char *key)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *rp_str(const cJSON *o, const char *key)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : "";
}

double rp_agree_error(const cJSON *path, double *bound)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(path, "agreement");
    if (bound) *bound = rp_num(a, "bound_u");
    if (!a) return NAN;
    double e = rp_num(a, "max_error_u");
    /* JSON has no Inf or NaN: a non-finite error is written as null, and
     * the failed check is what tells it apart from "not measured". */
    if (isnan(e) && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "ok"))) return INFINITY;
    return e;
}

void rp_fmt(char *buf, size_t len, double v)
{
    if (isnan(v)) snprintf(buf, len, "–");
    else snprintf(buf, len, "%.4g", v);
}

void rp_missing(ob_report_summary *s, const char *fmt, ...)
{
    char *line = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (rc < 0) return;
    char **grown = realloc(s->missing, (s->n_missing + 1) * sizeof *grown);
    if (!grown) {
        free(line);
        return;
    }
    s->missing = grown;
    s->missing[s->n_missing++] = line;
}

/* ---- the run ----------------------------------------------------------------- */

int rp_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Adds name to a list of unique names (pointers into the JSON). */
static int add_unique(const char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0) return 0;
    const char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) return -1;
    *list = grown;
    (*list)[(*n)++] = name;
    return 0;
}

/* Optimizers in the table's order, then any the table does not know (a
 * results file from another build), in order of appearance. */
static int order_optimizers(rp_model *m)
{
    const char **seen = NULL;
    size_t n = 0;
    for (size_t i = 0; i < m->n_cases; i++)
        if (add_unique(&seen, &n, m->cases[i].opt) != 0) return -1;
    m->opts = calloc(n ? n : 1, sizeof *m->opts);
    if (!m->opts) {
        free(seen);
        return -1;
    }
    for (size_t k = 0; k < ob_optimizer_count; k++)
        for (size_t i = 0; i < n; i++)
            if (seen[i] && strcmp(seen[i], ob_optimizer_table[k]->name) == 0) {
                m->opts[m->n_opts++] = seen[i];
                seen[i] = NULL;
            }
    for (size_t i = 0; i < n; i++)
        if (seen[i]) m->opts[m->n_opts++] = seen[i];
    free(seen);
    return 0;
}

static int load_cases(rp_model *m, char *err, size_t errlen)
{
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(m->results, "cases");
    size_t n = cJSON_IsArray(cases) ? (size_t)cJSON_GetArraySize(cases) : 0;
    m->cases = calloc(n ? n : 1, sizeof *m->cases);
    if (!m->cases) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        rp_case *rc = &m->cases[m->n_cases];
        rc->j = c;
        rc->id = rp_str(c, "id");
        rc->problem = rp_str(c, "problem");
        rc->opt = rp_str(c, "optimizer");
        /* A SAM case is its own series beside the base optimizer (same
         * problem, same optimizer, twice the gradient evaluations). */
        const cJSON *hp = cJSON_GetObjectItemCaseSensitive(c, "hparams");
        const cJSON *ad = cJSON_GetObjectItemCaseSensitive(hp, "sam_adaptive");
        const char *sam = ob_sam_label(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hp, "sam_rho")),
                                       cJSON_IsTrue(ad) || (cJSON_IsNumber(ad) && ad->valuedouble != 0));
        if (rc->opt[0] && sam[0]) {
            snprintf(rc->label, sizeof rc->label, "%s%s", rc->opt, sam);
            rc->opt = rc->label;
        }
        /* So is a case in a storage format (run --format): "adam@fp16-grads". */
        const char *fmt = rp_str(cJSON_GetObjectItemCaseSensitive(c, "format"), "name");
        if (rc->opt[0] && fmt[0]) {
            char base[96];
            snprintf(base, sizeof base, "%s", rc->opt);
            snprintf(rc->label, sizeof rc->label, "%.40s@%.50s", base, fmt);
            rc->opt = rc->label;
        }
        /* Instances >= 1 feed the aggregate section (profile/), not the
         * per-problem figures and tables. */
        double inst = rp_num(cJSON_GetObjectItemCaseSensitive(c, "problem_config"), "instance");
        if (inst > 0) {
            m->inst_cases++;
            m->inst_bad += !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "ok"));
            if (inst > m->max_instance) m->max_instance = inst;
            continue;
        }
        if (!rc->id[0] || !rc->problem[0] || !rc->opt[0]) {
            rp_missing(m->sum, "results.json: a case record without id, problem or optimizer was skipped");
            continue;
        }
        rc->ref = cJSON_GetObjectItemCaseSensitive(c, "reference");
        const cJSON *isa = cJSON_GetObjectItemCaseSensitive(c, "isa");
        rc->shown = -1;
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            rc->isa[i] = cJSON_GetObjectItemCaseSensitive(isa, ob_isa_name((ob_isa)i));
            if (!rc->isa[i]) continue;
            m->isa_seen[i] = 1;
            rc->shown = i; /* the widest ISA that ran: what dispatch would pick */
        }
        double n = rp_num(cJSON_GetObjectItemCaseSensitive(c, "problem_config"), "n");
        rc->n = isfinite(n) && n > 0 ? (size_t)n : 0;
        rc->fstar = rp_num(c, "fstar");
        rc->has_fstar = isfinite(rc->fstar);
        rc->tol = rp_num(c, "tol");
        const char *csv = rp_str(c, "csv");
        if (csv[0]) snprintf(rc->csv_rel, sizeof rc->csv_rel, "%s", csv);
        else snprintf(rc->csv_rel, sizeof rc->csv_rel, "cases/%s.csv", rc->id);
        snprintf(rc->csv, sizeof rc->csv, "%s/%s", m->dir, rc->csv_rel);
        rc->has_csv = rp_file_exists(rc->csv);
        if (!rc->has_csv)
            rp_missing(m->sum,
                       "%s: its per-step CSV (%s) is missing; its convergence and trajectory lines are "
                       "left out",
                       rc->id, rc->csv_rel);
        if (add_unique(&m->problems, &m->n_problems, rc->problem) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        m->n_cases++;
    }
    if (order_optimizers(m) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int rp_model_load(rp_model *m, const char *dir, ob_report_summary *sum, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->dir = dir;
    m->sum = sum;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "no run folder %s (run `optbench run` first, or pass --run DIR)", dir);
        return -1;
    }
    /* The run's name: the folder's own, also when `dir` is results/latest. */
    char real[PATH_MAX];
    const char *name = realpath(dir, real) ? real : dir;
    const char *slash = strrchr(name, '/');
    snprintf(m->run_id, sizeof m->run_id, "%.255s", slash && slash[1] ? slash + 1 : name);

    char path[4400], msg[1024];
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (!rp_file_exists(path)) {
        rp_missing(sum, "results.json is missing: no cases, convergence or agreement to show");
    } else if (!(m->results = ob_json_read(path, msg, sizeof msg))) {
        rp_missing(sum, "results.json could not be read (%s)", msg);
    } else {
        m->meta = cJSON_GetObjectItemCaseSensitive(m->results, "meta");
        if (load_cases(m, err, errlen) != 0) return -1;
    }
    snprintf(path, sizeof path, "%s/bench.csv", dir);
    if (!rp_file_exists(path)) {
        rp_missing(sum,
                   "bench.csv is missing: no throughput figures or tables (add them with "
                   "`optbench bench --run %s --quick`)",
                   dir);
    } else if (rp_table_read(path, &m->bench, msg, sizeof msg) != 0) {
        rp_missing(sum, "bench.csv could not be read (%s)", msg);
    } else {
        static const char *const need[] = {"kind", "opt", "isa", "variant", "size", "threads", "gb_per_s"};
        const rp_table *b = &m->bench;
        m->bc.kind = rp_table_col(b, "kind");
        m->bc.opt = rp_table_col(b, "opt");
        m->bc.isa = rp_table_col(b, "isa");
        m->bc.variant = rp_table_col(b, "variant");
        m->bc.size = rp_table_col(b, "size");
        m->bc.threads = rp_table_col(b, "threads");
        m->bc.bytes = rp_table_col(b, "bytes_per_elem");
        m->bc.ns = rp_table_col(b, "ns_per_elem");
        m->bc.gbps = rp_table_col(b, "gb_per_s");
        m->bc.ceil = rp_table_col(b, "mem_ceiling_gb_per_s");
        m->bc.frac = rp_table_col(b, "frac_mem_ceiling");
        m->bc.speedup = rp_table_col(b, "speedup_vs_scalar");
        m->bc.bound = rp_table_col(b, "bound");
        m->bc.frac_bound = rp_table_col(b, "frac_bound");
        m->bc.ceil_probe = rp_table_col(b, "mem_ceiling_probe");
        m->has_bench = 1;
        for (size_t k = 0; k < sizeof need / sizeof need[0]; k++) {
            if (rp_table_col(&m->bench, need[k]) < 0) {
                rp_missing(sum, "bench.csv has no column '%s'; throughput is left out", need[k]);
                m->has_bench = 0;
            }
        }
    }
    snprintf(path, sizeof path, "%s/bench.json", dir);
    if (rp_file_exists(path) && !(m->bench_json = ob_json_read(path, msg, sizeof msg)))
        rp_missing(sum, "bench.json could not be read (%s)", msg);
    snprintf(path, sizeof path, "%s/repro/repro.json", dir);
    if (rp_file_exists(path) && !(m->repro = ob_json_read(path, msg, sizeof msg)))
        rp_missing(sum, "repro/repro.json could not be read (%s)", msg);
    snprintf(path, sizeof path, "%s/profile/profile.json", dir);
    if (rp_file_exists(path) && !(m->profile = ob_json_read(path, msg, sizeof msg)))
        rp_missing(sum, "profile/profile.json could not be read (%s)", msg);
    snprintf(path, sizeof path, "%s/model.json", dir);
    if (rp_file_exists(path) && !(m->model_bench = ob_json_read(path, msg, sizeof msg)))
        rp_missing(sum, "model.json could not be read (%s)", msg);
    snprintf(path, sizeof path, "%s/sweep/sweep.json", dir);
    if (rp_file_exists(path) && !(m->sweep = ob_json_read(path, msg, sizeof msg)))
        rp_missing(sum, "sweep/sweep.json could not be read (%s)", msg);
    snprintf(path, sizeof path, "%s/sweep-compare/compare.json", dir);
    if (rp_file_exists(path) && !(m->search_compare = ob_json_read(path, msg, sizeof msg)))
        rp_missing(sum, "sweep-compare/compare.json could not be read (%s)", msg);
    return 0;
}

void rp_model_free(rp_model *m)
{
    cJSON_Delete(m->results);
    cJSON_Delete(m->bench_json);
    cJSON_Delete(m->repro);
    cJSON_Delete(m->sweep);
    cJSON_Delete(m->search_compare);
    cJSON_Delete(m->profile);
    cJSON_Delete(m->model_bench);
    rp_table_free(&m->bench);
    free(m->cases);
    free(m->problems);
    free(m->opts);
    memset(m, 0, sizeof *m);
}

const rp_case *rp_find_case(const rp_model *m, const char *problem, const char *opt)
{
    for (size_t i = 0; i < m->n_cases; i++)
        if (!strcmp(m->cases[i].problem, problem) && !strcmp(m->cases[i].opt, opt)) return &m->cases[i];
    return NULL;
}

size_t rp_problem_cases(const rp_model *m, const char *problem, const rp_case **out, size_t max)
{
    size_t n = 0;
    for (size_t k = 0; k < m->n_opts; k++)
        for (size_t i = 0; i < m->n_cases && n < max; i++)
            if (!strcmp(m->cases[i].problem, problem) && !strcmp(m->cases[i].opt, m->opts[k]))
                out[n++] = &m->cases[i];
    return n;
}

/* ---- the contour grid ---------------------------------------------------------- */

int ob_report_grid(const char *problem, const ob_problem_config *cfg, double x0, double x1, double y0,
                   double y1, int nx, int ny, const char *path, char *err, size_t errlen)
{
    if (nx < 2 || ny < 2 || !(x1 > x0) || !(y1 > y0)) {
        snprintf(err, errlen, "grid for %s: empty window [%g, %g] x [%g, %g]", problem, x0, x1, y0, y1);
        return -1;
    }
    ob_problem_config c2 = cfg ? *cfg : (ob_problem_config){0};
    c2.n = 2;
    ob_problem *pb = NULL;
    if (ob_problem_create(problem, &c2, &pb, err, errlen) != 0) return -1;
    if (pb->n != 2) {
        snprintf(err, errlen, "grid for %s: the problem has %zu dimensions, not 2", problem, pb->n);
        ob_problem_destroy(pb);
        return -1;
    }
    double *f = malloc((size_t)nx * (size_t)ny * sizeof *f);
    if (!f) {
        snprintf(err, errlen, "grid for %s: out of memory", problem);
        ob_problem_destroy(pb);
        return -1;
    }
    double fmin = INFINITY;
    for (int i = 0; i < nx; i++) {
        for (int j = 0; j < ny; j++) {
            double x[2] = {x0 + (x1 - x0) * i / (nx - 1), y0 + (y1 - y0) * j / (ny - 1)};
            /* The full objective (loss), as the convergence figures use. */
            double v = pb->loss(pb, x, 1);
            f[(size_t)i * (size_t)ny + (size_t)j] = v;
            if (v < fmin) fmin = v;
        }
    }
    if (pb->has_fstar && pb->fstar < fmin) fmin = pb->fstar;
    ob_problem_destroy(pb);
    ob_atomic_file af;
    if (ob_atomic_open(&af, path, err, errlen) != 0) {
        free(f);
        return -1;
    }
    fprintf(af.f, "x,y,f,z\n");
    for (int i = 0; i < nx; i++) {
        for (int j = 0; j < ny; j++) {
            double v = f[(size_t)i * (size_t)ny + (size_t)j];
            /* log10(1 + f - fmin): contours evenly spaced in z follow both
             * narrow valleys and wide plateaus (tried: log10(f - fmin + a
             * small delta) spends most levels far from the paths);
             * non-finite values stay blank for gnuplot. */
            double z = isfinite(v) ? log10(1.0 + (v - fmin)) : NAN;
            fprintf(af.f, "%.9g,%.9g,%.9g,%.6g\n", x0 + (x1 - x0) * i / (nx - 1),
                    y0 + (y1 - y0) * j / (ny - 1), v, z);
        }
        fputc('\n', af.f);
    }
    free(f);
    return ob_atomic_commit(&af, err, errlen);
}
