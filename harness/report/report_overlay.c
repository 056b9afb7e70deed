/*
 * report_overlay.c — `optbench report --run A --run B ...`: one report of
 * several run folders in one set of figures (ob_report.h, "reports across
 * runs"; README "Reports across runs").  The runs are only read; the
 * report, its figures and the overlaid profiles go to a folder of their
 * own.
 *
 * The runs must hold the same cases (their ids, problem instances
 * included), or the comparison would be of different things: a mismatch
 * names the cases only some runs have, and with intersect those cases are
 * left out everywhere (profiles and figures) and named in the report.
 * The aggregate section is `optbench profile --overlay` (harness/profile,
 * called through opts->profile) with the runs matched case by case; the per-problem figures draw each
 * optimizer in its colour and each run in its dash pattern
 * (plot/convergence_overlay.gp).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "report_internal.h"

#define OV_MAX_SERIES 256

typedef struct ov_run {
    rp_model m;
    ob_report_summary notes; /* the run's own missing inputs (bench.csv, ...) */
    char label[128];
} ov_run;

/* A case some run lacks: its id and, per run, whether it has it. */
typedef struct ov_drop {
    const char *id;
    unsigned char *in; /* n_runs flags */
} ov_drop;

typedef struct ov_model {
    const ob_report_overlay_opts *o;
    ov_run *r;
    size_t n;
    ov_drop *drop;
    size_t n_drop, n_common; /* cases every run has */
    const char **problems, **opts;
    size_t n_problems, n_opts;
    char labels[1024]; /* space-separated, for the figures */
    cJSON *profile;
    char profile_err[1024];
} ov_model;

/* ---- the runs ------------------------------------------------------------------ */

/* The label of run k: given, else its run id (the folder's name, a link
 * such as results/latest resolved). */
static int label_runs(ov_model *v, char *err, size_t errlen)
{
    for (size_t k = 0; k < v->n; k++) {
        const char *l = v->o->labels ? v->o->labels[k] : v->r[k].m.run_id;
        snprintf(v->r[k].label, sizeof v->r[k].label, "%.127s", l);
        if (!l[0] || strpbrk(l, " @'\"/"))
            return ob_fail(err, errlen,
                           "run label '%s' (of %s): empty, or with a space, @, / or quote; give "
                           "--label NAME",
                           l, v->o->runs[k]);
        for (size_t j = 0; j < k; j++)
            if (!strcmp(v->r[j].label, l))
                return ob_fail(err, errlen,
                               "runs %s and %s have the same label '%s'; give --label NAME for each",
                               v->o->runs[j], v->o->runs[k], l);
        size_t u = strlen(v->labels);
        snprintf(v->labels + u, sizeof v->labels - u, "%s%s", u ? " " : "", l);
    }
    return 0;
}

static const cJSON *run_cases(const ov_run *r)
{
    return cJSON_GetObjectItemCaseSensitive(r->m.results, "cases");
}

static int run_has(const ov_run *r, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, run_cases(r)) if (!strcmp(rp_str(c, "id"), id)) return 1;
    return 0;
}

static int dropped(const ov_model *v, const char *id)
{
    for (size_t i = 0; i < v->n_drop; i++)
        if (!strcmp(v->drop[i].id, id)) return 1;
    return 0;
}

/* Every case that some run lacks, in the order of the runs. */
static int match_cases(ov_model *v, char *err, size_t errlen)
{
    for (size_t k = 0; k < v->n; k++) {
        const cJSON *c;
        cJSON_ArrayForEach(c, run_cases(&v->r[k]))
        {
            const char *id = rp_str(c, "id");
            int everywhere = 1, earlier = 0;
            for (size_t j = 0; j < v->n; j++) {
                int has = j == k || run_has(&v->r[j], id);
                everywhere &= has;
                earlier |= j < k && has;
            }
            if (everywhere) v->n_common += k == 0;
            if (everywhere || earlier || dropped(v, id)) continue;
            ov_drop *g = realloc(v->drop, (v->n_drop + 1) * sizeof *g);
            if (!g) return ob_fail(err, errlen, "out of memory");
            v->drop = g;
            g[v->n_drop].id = id;
            if (!(g[v->n_drop].in = calloc(v->n, 1))) return ob_fail(err, errlen, "out of memory");
            for (size_t j = 0; j < v->n; j++) g[v->n_drop].in[j] = j == k || run_has(&v->r[j], id);
            v->n_drop++;
        }
    }
    return 0;
}

/* "only in A (not in B): x, y, ... (N)" per run that lacks cases, or for
 * more than two runs "not in B: ...", into buf. */
static void describe_drops(const ov_model *v, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t k = 0; k < v->n; k++) {
        size_t cnt = 0, shown = 0;
        for (size_t i = 0; i < v->n_drop; i++) cnt += !v->drop[i].in[k];
        if (!cnt) continue;
        size_t u = strlen(buf);
        if (v->n == 2)
            snprintf(buf + u, len - u, "%sonly in %s (not in %s), %zu: ", u ? "; " : "", v->r[1 - k].label,
                     v->r[k].label, cnt);
        else snprintf(buf + u, len - u, "%snot in %s, %zu: ", u ? "; " : "", v->r[k].label, cnt);
        for (size_t i = 0; i < v->n_drop; i++) {
            if (v->drop[i].in[k]) continue;
            u = strlen(buf);
            if (shown++ == 8) {
                snprintf(buf + u, len - u, ", ...");
                break;
            }
            snprintf(buf + u, len - u, "%s%s", shown > 1 ? ", " : "", v->drop[i].id);
        }
    }
}

static int add_name(const char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i], name)) return 0;
    const char **g = realloc(*list, (*n + 1) * sizeof *g);
    if (!g) return -1;
    *list = g;
    g[(*n)++] = name;
    return 0;
}

/* The problems (first appearance) and optimizers (the table's order, then
 * others) of the runs' instance-0 cases. */
static int union_names(ov_model *v)
{
    for (size_t k = 0; k < v->n; k++) {
        const rp_model *m = &v->r[k].m;
        for (size_t i = 0; i < m->n_problems; i++)
            if (add_name(&v->problems, &v->n_problems, m->problems[i])) return -1;
    }
    for (size_t t = 0; t <= ob_optimizer_count; t++)
        for (size_t k = 0; k < v->n; k++)
            for (size_t i = 0; i < v->r[k].m.n_opts; i++) {
                const char *o = v->r[k].m.opts[i];
                int known = 0;
                for (size_t q = 0; q < ob_optimizer_count && !known; q++)
                    known = !strcmp(o, ob_optimizer_table[q]->name);
                if (t < ob_optimizer_count ? !strcmp(o, ob_optimizer_table[t]->name) : !known)
                    if (add_name(&v->opts, &v->n_opts, o)) return -1;
            }
    return 0;
}

/* ---- the convergence figures ------------------------------------------------------ */

typedef struct ov_series {
    const rp_case *c;
    size_t run;
} ov_series;

/* Writes figures/data/convergence-<problem>.<opt>@<label>.csv: "step,<ycol>"
 * from the case CSV's <isa>_<ycol> column (the case's own widest ISA when
 * it lacks that one).  Its first value goes to *start. */
static int series_data(const ov_model *v, const ov_series *s, const char *problem, int isa, const char *ycol,
                       char *rel, size_t rellen, double *start, char *err, size_t errlen)
{
    rp_table t;
    if (rp_table_read(s->c->csv, &t, err, errlen) != 0) return -1;
    char col[64];
    snprintf(col, sizeof col, "%s_%s", ob_isa_name((ob_isa)isa), ycol);
    int ci = rp_table_col(&t, col), si = rp_table_col(&t, "step");
    if (ci < 0) {
        snprintf(col, sizeof col, "%s_%s", ob_isa_name((ob_isa)s->c->shown), ycol);
        ci = rp_table_col(&t, col);
    }
    rp_sbuf b;
    if (ci < 0 || si < 0 || rp_sb_open(&b) != 0) {
        rp_table_free(&t);
        return ob_fail(err, errlen, "%s: no column step or %s", s->c->csv_rel, col);
    }
    fprintf(b.f, "step,%s\n", ycol);
    for (size_t i = 0; i < t.nrows; i++)
        fprintf(b.f, "%s,%s\n", rp_table_str(&t, i, si), rp_table_str(&t, i, ci));
    *start = t.nrows ? rp_table_num(&t, 0, ci) : NAN;
    rp_table_free(&t);
    snprintf(rel, rellen, "figures/data/convergence-%s.%s@%s.csv", problem, s->c->opt, v->r[s->run].label);
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", v->o->out, rel);
    const char *text = rp_sb_text(&b);
    int rc = ob_atomic_write(path, text, strlen(text), err, errlen);
    free(b.s);
    return rc;
}

static size_t problem_series(const ov_model *v, const char *problem, ov_series *out)
{
    size_t n = 0;
    for (size_t q = 0; q < v->n_opts; q++)
        for (size_t k = 0; k < v->n && n < OV_MAX_SERIES; k++) {
            const rp_case *c = rp_find_case(&v->r[k].m, problem, v->opts[q]);
            if (c && c->has_csv && c->shown >= 0 && !dropped(v, c->id)) out[n++] = (ov_series){c, k};
        }
    return n;
}

static int plan_problem(rp_plan *p, ob_report_summary *s, const ov_model *v, const char *problem)
{
    ov_series se[OV_MAX_SERIES];
    size_t n = problem_series(v, problem, se);
    if (!n) return 0;
    int gap = 1, isa = OB_ISA_COUNT - 1;
    for (size_t i = 0; i < n; i++) {
        gap &= se[i].c->has_fstar;
        if (se[i].c->shown < isa) isa = se[i].c->shown;
    }
    const char *ycol = gap ? "gap" : "loss";
    char name[160], msg[1024];
    snprintf(name, sizeof name, "convergence-%s", problem);
    const ob_problem_spec *ps = ob_problem_find(problem);
    rp_job *j = rp_plan_add(p, s, "convergence", name, "convergence_overlay.gp", 1000, 600,
                            "%s on %s against the step, the fp32 %s kernel of each optimizer in each run: "
                            "the optimizer's colour, the run's dash pattern (%s).",
                            gap ? "f − f* (log scale)"
                                : (ps && ps->stochastic ? "The full-data loss" : "The loss"),
                            problem, ob_isa_name((ob_isa)isa), v->labels);
    if (!j) return -1;
    rp_sbuf files, names;
    char keyed[2 * OV_MAX_SERIES + 1] = "";
    if (rp_sb_open(&files) != 0) return -1;
    if (rp_sb_open(&names) != 0) return rp_sb_text(&files), free(files.s), -1;
    double start = NAN;
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        char rel[400], nm[256];
        double s0 = NAN;
        if (series_data(v, &se[i], problem, isa, ycol, rel, sizeof rel, &s0, msg, sizeof msg) != 0) {
            rp_fig_fail(s, j->fig, "its data could not be written: %s", msg);
            bad = 1;
        }
        if (isfinite(s0) && !(s0 <= start)) start = s0;
        snprintf(nm, sizeof nm, "%s@%s", se[i].c->opt, v->r[se[i].run].label);
        /* The key names each optimizer once, at its first line. */
        int first = i == 0 || strcmp(se[i].c->opt, se[i - 1].c->opt) != 0;
        snprintf(keyed + strlen(keyed), sizeof keyed - strlen(keyed), "%s%d", i ? " " : "", first);
        rp_sb_word(&files, rel);
        rp_sb_word(&names, nm);
    }
    rp_assign(j, "files", "%s", rp_sb_text(&files));
    rp_assign(j, "names", "%s", rp_sb_text(&names));
    free(files.s);
    free(names.s);
    rp_assign(j, "runs", "%s", v->labels);
    rp_assign(j, "keyed", "%s", keyed);
    rp_assign(j, "ycol", "%s", ycol);
    rp_assign_num(j, "logy", gap);
    /* As the single-run figure: a diverging path leaves the picture. */
    if (isfinite(start) && gap && start > 0) rp_assign_num(j, "ymax", 1e3 * start);
    else if (isfinite(start) && !gap && start != 0) rp_assign_num(j, "ymax", start + fabs(start));
    rp_assign(j, "title", "Convergence on %s, runs %s", problem, v->labels);
    return 0;
}

static int plan_figures(rp_plan *p, ob_report_summary *s, const ov_model *v, char *err, size_t errlen)
{
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/figures/data", v->o->out);
    if (ob_mkdirs(dir, err, errlen) != 0) return -1;
    p->rundir = v->o->out;
    size_t used = 0;
    for (size_t k = 0; k < ob_optimizer_count + v->n_opts; k++) {
        const char *name = k < ob_optimizer_count ? ob_optimizer_table[k]->name
                                                  : v->opts[k - ob_optimizer_count];
        if (k >= ob_optimizer_count && ob_optimizer_find(name)) continue;
        int w = snprintf(p->opt_names + used, sizeof p->opt_names - used, "%s%s", used ? " " : "", name);
        if (w < 0 || (size_t)w >= sizeof p->opt_names - used) break;
        used += (size_t)w;
    }
    for (size_t i = 0; i < v->n_problems; i++)
        if (plan_problem(p, s, v, v->problems[i]) != 0) return ob_fail(err, errlen, "out of memory");
    return 0;
}

/* ---- the profiles ------------------------------------------------------------------ */

static void build_profile(ov_model *v)
{
    const char *labels[64];
    for (size_t k = 0; k < v->n && k < 64; k++) labels[k] = v->r[k].label;
    char out[4400], path[4500];
    snprintf(out, sizeof out, "%s/profile", v->o->out);
    if (!v->o->profile) {
        snprintf(v->profile_err, sizeof v->profile_err, "no profile builder was given");
        return;
    }
    if (v->o->progress)
        fprintf(v->o->progress, "[report] the overlaid profiles (optbench profile --overlay)\n");
    int rc = v->o->profile(v->o->runs, v->n, labels, v->o->intersect, out, v->o->plot_dir, v->o->gnuplot,
                           v->o->no_figures, v->profile_err, sizeof v->profile_err);
    snprintf(path, sizeof path, "%s/profile.json", out);
    if (rc == OB_EXIT_OK || rc == OB_EXIT_FAIL) {
        char msg[1024];
        v->profile = ob_json_read(path, msg, sizeof msg);
        if (!v->profile) snprintf(v->profile_err, sizeof v->profile_err, "%s", msg);
    }
}

/* ---- the documents ------------------------------------------------------------------ */

static void section_runs(rp_doc *d, const ov_model *v)
{
    char title[1200];
    snprintf(title, sizeof title, "optbench report: runs %s overlaid", v->labels);
    rp_doc_heading(d, 1, "top", title);
    rp_doc_para(
        d,
        "%zu runs in one set of figures. Each figure draws an optimizer in its colour and each run in "
        "its dash pattern (the first run solid, then dashed, dotted, ...); the aggregate profiles name "
        "each series `<optimizer>@<run>`. The runs were only read; this report was written by optbench %s.",
        v->n, OB_VERSION);
    rp_row h = {0};
    rp_cells(&h, "run", "folder", "run id", "date", "commit", "CPU", "cases", NULL);
    rp_doc_table(d, &h, "lllllll");
    for (size_t k = 0; k < v->n; k++) {
        const rp_model *m = &v->r[k].m;
        rp_row r = {0};
        rp_cell(&r, "%s", v->r[k].label);
        rp_cell(&r, "`%s`", v->o->runs[k]);
        rp_cell(&r, "%s", m->run_id);
        rp_cell(&r, "%s", rp_str(m->meta, "date"));
        rp_cell(&r, "%.12s", rp_str(m->meta, "git_commit"));
        rp_cell(&r, "%s", rp_str(m->meta, "cpu_model"));
        rp_cell(&r, "%d", cJSON_GetArraySize(run_cases(&v->r[k])));
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    if (!v->n_drop) {
        rp_doc_para(d, "The runs hold the same %zu cases (problem instances and optimizers).", v->n_common);
        return;
    }
    char what[4096];
    describe_drops(v, what, sizeof what);
    rp_doc_para(d,
                "The runs hold different cases; as asked (`--intersect`), this report compares the %zu cases "
                "every run has and leaves out %zu, in the profiles and the figures alike: %s.",
                v->n_common, v->n_drop, what);
}

static void section_profile(rp_doc *d, const ov_model *v)
{
    if (!v->profile) {
        rp_doc_heading(d, 2, "aggregate", "Aggregate comparison");
        rp_doc_para(d, "No overlaid profiles: %s.", v->profile_err[0] ? v->profile_err : "not built");
        return;
    }
    rp_model fake = {.dir = v->o->out, .profile = v->profile};
    rp_section_profile(d, &fake);
}

static void section_missing(rp_doc *d, const ob_report_summary *s)
{
    if (!s->n_missing && !s->n_failed) return;
    rp_doc_heading(d, 2, "missing", "Missing from this report");
    for (size_t i = 0; i < s->n_missing; i++) rp_doc_item(d, "%s", s->missing[i]);
    for (size_t i = 0; i < s->n_figures; i++)
        if (!s->figures[i].ok) rp_doc_item(d, "figure %s: %s", s->figures[i].name, s->figures[i].error);
    rp_doc_items_end(d);
}

static int write_documents(const ov_model *v, ob_report_summary *s, char *err, size_t errlen)
{
    rp_doc top, d;
    if (rp_doc_open(&top) != 0 || rp_doc_open(&d) != 0) {
        rp_doc_close(&top);
        return ob_fail(err, errlen, "out of memory writing the report");
    }
    rp_doc_html(&top, rp_html_head, v->labels);
    section_runs(&top, v);
    rp_model fake = {.dir = v->o->out, .profile = v->profile};
    rp_profile_findings(&top, &fake);
    section_profile(&d, v);
    rp_doc_heading(&d, 2, "convergence", "Convergence across runs");
    rp_doc_para(
        &d, "One figure per problem (instance 0, as in each run's own report): every optimizer of every run, "
            "its fp32 kernel only (each run's own report also draws the fp64 reference). The lines' data are "
            "in figures/data/convergence-<problem>.<optimizer>@<run>.csv.");
    rp_doc_figures(&d, s, "convergence");
    section_missing(&d, s);
    rp_doc_html(&d, "</body>\n</html>\n");
    int rc = rp_docs_write(&top, &d, v->o->out, s, err, errlen);
    rp_doc_close(&top);
    rp_doc_close(&d);
    return rc;
}

/* ---- the whole overlay ------------------------------------------------------------- */

/* Where path is or would be: the real path of its nearest existing
 * folder, then the rest as given.  0, or -1. */
static int where_would_be(const char *path, char *out, size_t len)
{
    char head[PATH_MAX], real[PATH_MAX];
    snprintf(head, sizeof head, "%s", path);
    const char *rest = "";
    for (;;) {
        if (realpath(head[0] ? head : ".", real)) break;
        char *slash = strrchr(head, '/');
        if (!slash) {
            rest = path;
            head[0] = '\0';
            continue;
        }
        rest = path + (slash - head) + 1;
        *slash = '\0';
        if (slash == head) snprintf(head, sizeof head, "/");
    }
    int w = snprintf(out, len, "%s%s%s", real, rest[0] ? "/" : "", rest);
    return w < 0 || (size_t)w >= len ? -1 : 0;
}

/* The output folder: not one of the runs or inside one (the runs are only
 * read; checked before anything is created), then created and writable. */
static int check_out(const ov_model *v, char *err, size_t errlen)
{
    const char *out = v->o->out;
    char msg[1024], ro[PATH_MAX], rr[PATH_MAX];
    if (where_would_be(out, ro, sizeof ro) != 0)
        return ob_fail(err, errlen, "--out %s: too long", out), OB_EXIT_USAGE;
    for (size_t k = 0; k < v->n; k++) {
        if (!realpath(v->o->runs[k], rr)) continue;
        size_t l = strlen(rr);
        if (!strncmp(ro, rr, l) && (ro[l] == '\0' || ro[l] == '/'))
            return ob_fail(err, errlen,
                           "--out %s is inside run %s, which the overlay only reads; choose another folder",
                           out, v->o->runs[k]),
                   OB_EXIT_USAGE;
    }
    if (ob_mkdirs(out, msg, sizeof msg) != 0) return ob_fail(err, errlen, "%s", msg), OB_EXIT_IO;
    if (access(out, W_OK) != 0)
        return ob_fail(err, errlen, "folder %s is not writable: %s", out, strerror(errno)), OB_EXIT_IO;
    return OB_EXIT_OK;
}

static int load_runs(ov_model *v, char *err, size_t errlen)
{
    for (size_t k = 0; k < v->n; k++) {
        char msg[1024];
        if (rp_model_load(&v->r[k].m, v->o->runs[k], &v->r[k].notes, msg, sizeof msg) != 0)
            return ob_fail(err, errlen, "%s", msg);
        if (!v->r[k].m.results)
            return ob_fail(err, errlen, "run %s has no readable results.json", v->o->runs[k]);
    }
    return 0;
}

static void free_model(ov_model *v)
{
    for (size_t k = 0; k < v->n; k++) {
        rp_model_free(&v->r[k].m);
        ob_report_summary_free(&v->r[k].notes);
    }
    for (size_t i = 0; i < v->n_drop; i++) free(v->drop[i].in);
    free(v->drop);
    free(v->r);
    free(v->problems);
    free(v->opts);
    cJSON_Delete(v->profile);
}

/* The runs read, labelled and matched: OB_EXIT_OK, or a code with err. */
static int prepare(ov_model *v, char *err, size_t errlen)
{
    if (v->n < 2) return ob_fail(err, errlen, "an overlay needs at least two runs"), OB_EXIT_USAGE;
    if (v->n > 64) return ob_fail(err, errlen, "at most 64 runs"), OB_EXIT_USAGE;
    if (!(v->r = calloc(v->n, sizeof *v->r))) return ob_fail(err, errlen, "out of memory"), OB_EXIT_FAIL;
    if (load_runs(v, err, errlen) || label_runs(v, err, errlen)) return OB_EXIT_USAGE;
    if (match_cases(v, err, errlen) || union_names(v))
        return ob_fail(err, errlen, "out of memory"), OB_EXIT_FAIL;
    char what[4096];
    describe_drops(v, what, sizeof what);
    if (v->n_drop && !v->o->intersect)
        return ob_fail(err, errlen,
                       "the runs hold different cases: %s; --intersect compares the cases every run has",
                       what),
               OB_EXIT_USAGE;
    if (!v->n_common) return ob_fail(err, errlen, "the runs have no case in common: %s", what), OB_EXIT_USAGE;
    return OB_EXIT_OK;
}

int ob_report_overlay(const ob_report_overlay_opts *o, ob_report_summary *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    ov_model v = {.o = o, .n = o->n_runs};
    int rc = prepare(&v, err, errlen);
    if (rc == OB_EXIT_OK) rc = check_out(&v, err, errlen);
    if (rc != OB_EXIT_OK) {
        free_model(&v);
        return rc;
    }
    for (size_t k = 0; k < v.n; k++)
        for (size_t i = 0; i < v.r[k].notes.n_missing; i++)
            if (strstr(v.r[k].notes.missing[i], "CSV"))
                rp_missing(s, "run %s: %s", v.r[k].label, v.r[k].notes.missing[i]);
    build_profile(&v);
    rp_plan plan = {0};
    char msg[1024] = "", plot_dir[PATH_MAX];
    if (!o->no_figures) {
        if (plan_figures(&plan, s, &v, msg, sizeof msg) != 0)
            rp_missing(s, "some figures could not be prepared: %s", msg);
        if (ob_find_plot_dir(o->plot_dir, "style.gp", plot_dir, sizeof plot_dir, msg, sizeof msg) != 0) {
            for (size_t i = 0; i < s->n_figures; i++) rp_fig_fail(s, i, "%s", msg);
        } else {
            const char *gp = o->gnuplot ? o->gnuplot : getenv("OPTBENCH_GNUPLOT");
            rp_render(&plan, s, plot_dir, gp && gp[0] ? gp : "gnuplot", o->progress);
        }
    }
    s->n_failed = 0;
    for (size_t i = 0; i < s->n_figures; i++) s->n_failed += !s->figures[i].ok;
    if (o->progress) fprintf(o->progress, "[report] writing %s/report.html and report.md\n", o->out);
    rc = write_documents(&v, s, err, errlen) != 0 ? OB_EXIT_IO : s->n_failed ? OB_EXIT_FAIL : OB_EXIT_OK;
    rp_plan_free(&plan);
    free_model(&v);
    return rc;
}
