/*
 * sweep_compare.c — `optbench sweep --compare-search` (README "Search
 * strategies"): the grid, random search, Sobol search and Bayesian search
 * on the same problems, optimizers and --grid ranges, the last three with
 * several search seeds, and how close each gets to the full grid's best
 * setting after k settings.
 *
 * Every search is an ordinary sweep planned from a variant of one
 * specification; their runs share one folder of records
 * (<run>/sweep-compare/points), so a setting two searches both try runs
 * once, and an interrupted comparison resumes where it stopped.
 *
 * The measure.  Per (problem, optimizer) the criterion of a setting is
 * ob_sweep_setting_gap (the sweep's ranking: median final loss over seeds,
 * less f*, within the target counting as equal).  A search "reaches" the
 * grid after k settings when the best of its first k is within 10% of the
 * full grid's best: b <= g + 0.1 |g|.  The goal (issue: Bayesian search
 * within 10% using at most a quarter of the grid's runs on at least 70% of
 * the pairs) is measured at k = floor(G / 4), G the pair's grid size, with
 * the median over the search seeds; the share over every (pair, seed) is
 * given beside it.
 */
#include "sweep_internal.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "harness/report/ob_report.h"

#define CMP_PROBLEMS "mgh_rosenbrock,quad_diag"
#define CMP_GRID "lr=log:1e-4:1:33"
#define CMP_STEPS "1000"
#define CMP_PROPOSALS "2"
#define CMP_SCRIPT "sweep_compare.gp"
#define CMP_METHODS 4

static const ob_sweep_search_kind methods[CMP_METHODS] = {OB_SWEEP_SEARCH_GRID, OB_SWEEP_SEARCH_RANDOM,
                                                         OB_SWEEP_SEARCH_SOBOL, OB_SWEEP_SEARCH_BAYES};

/* best[(method * seeds + seed) * pairs + pair][k]: the best gap of the
 * first k+1 settings; len: how many settings the search tried. */
typedef struct curve {
    double *best;
    size_t len;
} curve;

typedef struct cmp {
    size_t n_pairs, seeds, budget;
    char (*pair_name)[160];
    size_t *grid_n;    /* the grid's settings per pair */
    double *grid_best; /* the full grid's best gap per pair */
    curve *curves;
} cmp;

static curve *curve_at(cmp *c, size_t m, size_t seed, size_t pair)
{
    return &c->curves[(m * c->seeds + seed) * c->n_pairs + pair];
}

static void set_str(cJSON *spec, const char *key, const char *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(spec, key);
    if (value) cJSON_AddStringToObject(spec, key, value);
}

static void set_count(cJSON *spec, const char *key, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    set_str(spec, key, buf);
}

/* Records every pair's best-so-far curve of a finished search. */
static int take_curves(cmp *c, const ob_sweep *sw, size_t m, size_t seed)
{
    for (size_t p = 0; p < c->n_pairs; p++) {
        curve *cv = curve_at(c, m, seed, p);
        size_t pi = p / sw->n_opts, oi = p % sw->n_opts;
        cv->len = 0;
        cv->best = malloc((sw->n_settings ? sw->n_settings : 1) * sizeof *cv->best);
        if (!cv->best) return -1;
        double best = INFINITY;
        for (size_t i = 0; i < sw->n_settings; i++) {
            if (sw->settings[i].problem != pi || sw->settings[i].opt != oi) continue;
            int has_fstar;
            double g = ob_sweep_setting_gap(sw, i, &has_fstar);
            if (!isnan(g) && g < best) best = g;
            cv->best[cv->len++] = best;
        }
    }
    return 0;
}

/* Plans and runs one search; 0, or an exit code with a message. */
static int one_search(cmp *c, const cJSON *spec, size_t m, size_t seed, const char *dir,
                      const ob_sweep_exec_opts *eo, char *err, size_t errlen)
{
    ob_sweep sw;
    char msg[2048];
    if (ob_sweep_plan(spec, &sw, msg, sizeof msg) != 0)
        return snprintf(err, errlen, "%s", msg), OB_EXIT_USAGE;
    if (!c->n_pairs) {
        c->n_pairs = sw.n_problems * sw.n_opts;
        c->pair_name = calloc(c->n_pairs, sizeof *c->pair_name);
        c->grid_n = calloc(c->n_pairs, sizeof *c->grid_n);
        c->grid_best = calloc(c->n_pairs, sizeof *c->grid_best);
        c->curves = calloc(c->n_pairs * c->seeds * CMP_METHODS, sizeof *c->curves);
        if (!c->pair_name || !c->grid_n || !c->grid_best || !c->curves) {
            ob_sweep_free(&sw);
            return snprintf(err, errlen, "out of memory"), OB_EXIT_FAIL;
        }
        for (size_t p = 0; p < c->n_pairs; p++)
            snprintf(c->pair_name[p], sizeof c->pair_name[p], "%s,%s", sw.problems[p / sw.n_opts]->name,
                     sw.opts[p % sw.n_opts]->name);
    }
    size_t found = ob_sweep_load_done(&sw, dir), failed = 0;
    if (eo->progress)
        fprintf(eo->progress, "[compare] %s%s%.0zu: %zu runs planned, %zu recorded before\n",
                ob_sweep_search_name(methods[m]), m ? " seed " : "", m ? seed + 1 : 0, sw.n_runs, found);
    ob_sweep_exec_opts quiet = *eo;
    quiet.progress = NULL;
    int rc = ob_sweep_run_search(&sw, dir, &quiet, &failed, err, errlen);
    if (rc == OB_EXIT_OK && take_curves(c, &sw, m, seed) != 0) rc = OB_EXIT_FAIL;
    ob_sweep_free(&sw);
    return rc;
}

/* ---- the measure --------------------------------------------------------------------- */

static int within(double b, double g)
{
    return b <= g + 0.1 * fabs(g);
}

/* The best gap of a curve after k settings (a search that stopped short
 * keeps its last). */
static double after(const curve *cv, size_t k)
{
    if (!cv->len || !k) return INFINITY;
    return cv->best[(k < cv->len ? k : cv->len) - 1];
}

typedef struct stat_k {
    size_t cases, reached;
    double ratio; /* median over the cases of best / grid best (NaN: none finite) */
} stat_k;

/* Method m after k settings (k_quarter: each pair's floor(G/4) instead),
 * over every (pair, seed); pair_median: the median over seeds per pair. */
static stat_k measure(cmp *c, size_t m, size_t k, int k_quarter, int pair_median)
{
    stat_k st = {0, 0, NAN};
    size_t seeds = m ? c->seeds : 1, nr = 0;
    double *ratios = malloc(c->n_pairs * seeds * sizeof *ratios), v[1024];
    for (size_t p = 0; ratios && p < c->n_pairs; p++) {
        size_t kk = k_quarter ? c->grid_n[p] / 4 : k;
        for (size_t s = 0; s < seeds && s < 1024; s++) v[s] = after(curve_at(c, m, s, p), kk);
        size_t n = pair_median ? 1 : seeds;
        if (pair_median) v[0] = ob_median(v, seeds < 1024 ? seeds : 1024);
        for (size_t s = 0; s < n; s++) {
            st.cases++;
            st.reached += within(v[s], c->grid_best[p]);
            if (isfinite(c->grid_best[p]) && c->grid_best[p] > 0 && !isnan(v[s]))
                ratios[nr++] = v[s] / c->grid_best[p];
        }
    }
    if (nr) st.ratio = ob_median(ratios, nr);
    free(ratios);
    return st;
}

/* ---- outputs --------------------------------------------------------------------------- */

static size_t max_len(cmp *c, size_t m)
{
    size_t k = 0;
    for (size_t s = 0; s < (m ? c->seeds : 1); s++)
        for (size_t p = 0; p < c->n_pairs; p++) k = k > curve_at(c, m, s, p)->len ? k : curve_at(c, m, s, p)->len;
    return k;
}

/* curves.csv (every curve), data/<method>.csv (what the figure plots) and
 * summary.csv; 0, or -1 with a message. */
static int write_tables(cmp *c, const char *dir, char *err, size_t errlen)
{
    char path[4400];
    ob_atomic_file af;
    snprintf(path, sizeof path, "%s/curves.csv", dir);
    if (ob_atomic_open(&af, path, err, errlen) != 0) return -1;
    fprintf(af.f, "method,seed,problem,optimizer,settings,best,grid_best,within_10pct\n");
    for (size_t m = 0; m < CMP_METHODS; m++)
        for (size_t s = 0; s < (m ? c->seeds : 1); s++)
            for (size_t p = 0; p < c->n_pairs; p++) {
                const curve *cv = curve_at(c, m, s, p);
                for (size_t k = 1; k <= cv->len; k++)
                    fprintf(af.f, "%s,%zu,%s,%zu,%.9g,%.9g,%d\n", ob_sweep_search_name(methods[m]), m ? s + 1 : 0,
                            c->pair_name[p], k, after(cv, k), c->grid_best[p], within(after(cv, k), c->grid_best[p]));
            }
    if (ob_atomic_commit(&af, err, errlen) != 0) return -1;
    snprintf(path, sizeof path, "%s/data", dir);
    if (ob_mkdirs(path, err, errlen) != 0) return -1;
    for (size_t m = 0; m < CMP_METHODS; m++) {
        snprintf(path, sizeof path, "%s/data/%s.csv", dir, ob_sweep_search_name(methods[m]));
        if (ob_atomic_open(&af, path, err, errlen) != 0) return -1;
        fprintf(af.f, "settings,share,ratio\n");
        for (size_t k = 1; k <= max_len(c, m); k++) {
            stat_k st = measure(c, m, k, 0, 0);
            fprintf(af.f, "%zu,%.6g,", k, st.cases ? (double)st.reached / (double)st.cases : 0.0);
            if (isfinite(st.ratio)) fprintf(af.f, "%.6g", st.ratio);
            fprintf(af.f, "\n");
        }
        if (ob_atomic_commit(&af, err, errlen) != 0) return -1;
    }
    return 0;
}

/* The summary rows: each method at an eighth, a quarter and half the
 * grid (k_quarter-style per pair for the quarter) and at its budget. */
static cJSON *summary_json(cmp *c)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t m = 0; m < CMP_METHODS; m++) {
        cJSON *j = cJSON_CreateObject();
        stat_k q = measure(c, m, 0, 1, 0), qm = measure(c, m, 0, 1, 1), all = measure(c, m, max_len(c, m), 0, 0);
        cJSON_AddStringToObject(j, "method", ob_sweep_search_name(methods[m]));
        cJSON_AddNumberToObject(j, "seeds", (double)(m ? c->seeds : 1));
        cJSON_AddNumberToObject(j, "settings", (double)max_len(c, m));
        cJSON_AddNumberToObject(j, "quarter_share_pairs", qm.cases ? (double)qm.reached / (double)qm.cases : 0);
        cJSON_AddNumberToObject(j, "quarter_share_cases", q.cases ? (double)q.reached / (double)q.cases : 0);
        cJSON_AddNumberToObject(j, "quarter_reached_pairs", (double)qm.reached);
        ob_json_add_num(j, "quarter_median_ratio", q.ratio);
        cJSON_AddNumberToObject(j, "final_share_cases", all.cases ? (double)all.reached / (double)all.cases : 0);
        ob_json_add_num(j, "final_median_ratio", all.ratio);
        cJSON_AddItemToArray(arr, j);
    }
    return arr;
}

static int write_markdown(cmp *c, const cJSON *summary, const char *dir, double seconds, char *err, size_t errlen)
{
    char path[4400];
    ob_atomic_file af;
    snprintf(path, sizeof path, "%s/compare.md", dir);
    if (ob_atomic_open(&af, path, err, errlen) != 0) return -1;
    fprintf(af.f, "# Search strategies against the full grid\n\n%zu (problem, optimizer) pairs; the grid's best per "
                  "pair is the reference; %zu search seeds; %.1f s.\n\n",
            c->n_pairs, c->seeds, seconds);
    fprintf(af.f, "| search | seeds | settings | pairs within 10%% at G/4 (median seed) | (pair, seed) within 10%% at "
                  "G/4 | median best/grid at G/4 | (pair, seed) within 10%% at the end | median best/grid at the end "
                  "|\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    const cJSON *r;
    cJSON_ArrayForEach(r, summary)
    {
        fprintf(af.f, "| %s | %.0f | %.0f | %.0f%% | %.0f%% | %.3g | %.0f%% | %.3g |\n",
                cJSON_GetObjectItem(r, "method")->valuestring, cJSON_GetNumberValue(cJSON_GetObjectItem(r, "seeds")),
                cJSON_GetNumberValue(cJSON_GetObjectItem(r, "settings")),
                100 * cJSON_GetNumberValue(cJSON_GetObjectItem(r, "quarter_share_pairs")),
                100 * cJSON_GetNumberValue(cJSON_GetObjectItem(r, "quarter_share_cases")),
                cJSON_GetNumberValue(cJSON_GetObjectItem(r, "quarter_median_ratio")),
                100 * cJSON_GetNumberValue(cJSON_GetObjectItem(r, "final_share_cases")),
                cJSON_GetNumberValue(cJSON_GetObjectItem(r, "final_median_ratio")));
    }
    fprintf(af.f, "\n## Bayesian search at a quarter of the grid, per pair\n\n| problem | optimizer | grid settings | "
                  "grid best | Bayes best (median seed) | within 10%% |\n| --- | --- | ---: | ---: | ---: | --- |\n");
    for (size_t p = 0; p < c->n_pairs; p++) {
        double v[1024];
        size_t n = c->seeds < 1024 ? c->seeds : 1024;
        for (size_t s = 0; s < n; s++) v[s] = after(curve_at(c, CMP_METHODS - 1, s, p), c->grid_n[p] / 4);
        double b = ob_median(v, n);
        char name[160];
        snprintf(name, sizeof name, "%s", c->pair_name[p]);
        char *comma = strchr(name, ',');
        if (comma) *comma = '\0';
        fprintf(af.f, "| %s | %s | %zu | %.4g | %.4g | %s |\n", name, comma ? comma + 1 : "", c->grid_n[p],
                c->grid_best[p], b, within(b, c->grid_best[p]) ? "yes" : "no");
    }
    return ob_atomic_commit(&af, err, errlen);
}

static int render(cmp *c, const char *dir, const ob_sweep_compare_opts *o, char *err, size_t errlen)
{
    char plot_dir[PATH_MAX], script[PATH_MAX + 64], assign[2048];
    if (ob_find_plot_dir(o->plot_dir, CMP_SCRIPT, plot_dir, sizeof plot_dir, err, errlen) != 0) return -1;
    snprintf(script, sizeof script, "%s/%s", plot_dir, CMP_SCRIPT);
    size_t gmax = 0;
    for (size_t p = 0; p < c->n_pairs; p++) gmax = gmax > c->grid_n[p] ? gmax : c->grid_n[p];
    snprintf(assign, sizeof assign,
             "out='compare'; files='data/grid.csv data/random.csv data/sobol.csv data/bayes.csv'; "
             "names='grid random sobol bayes'; grid=%zu; quarter=%zu; seeds=%zu; pairs=%zu; ",
             gmax, gmax / 4, c->seeds, c->n_pairs);
    const char *gnuplot = getenv("OPTBENCH_GNUPLOT");
    int rc = ob_gnuplot_run(gnuplot && *gnuplot ? gnuplot : "gnuplot", dir, script, assign, 120, err, errlen);
    char png[4400];
    unsigned w, h;
    snprintf(png, sizeof png, "%s/compare.png", dir);
    if (rc == 0 && ob_png_size(png, &w, &h) != 0) rc = -1, snprintf(err, errlen, "%s wrote no PNG", script);
    return rc;
}

/* ---- the comparison ------------------------------------------------------------------------ */

static void cmp_free(cmp *c)
{
    for (size_t i = 0; c->curves && i < c->n_pairs * c->seeds * CMP_METHODS; i++) free(c->curves[i].best);
    free(c->curves);
    free(c->pair_name);
    free(c->grid_n);
    free(c->grid_best);
}

/* The base specification: the user's, with the comparison's defaults. */
static cJSON *base_spec(const cJSON *given, char *err, size_t errlen)
{
    static const char *const own[] = {"search", "random", "seed"};
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(given, own[k]);
        if (v && !cJSON_IsNull(v))
            return ob_fail(err, errlen, "--compare-search runs every search itself; --%s cannot be given with it",
                           own[k]),
                   NULL;
    }
    cJSON *spec = cJSON_Duplicate(given, 1);
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(spec, "problem"))) set_str(spec, "problem", CMP_PROBLEMS);
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(spec, "steps"))) set_str(spec, "steps", CMP_STEPS);
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(spec, "proposals")))
        set_str(spec, "proposals", CMP_PROPOSALS);
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(spec, "grid")) == 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "grid");
        cJSON *g = cJSON_AddArrayToObject(spec, "grid");
        cJSON_AddItemToArray(g, cJSON_CreateString(CMP_GRID));
    }
    return spec;
}

/* Runs every search of the comparison; an exit code. */
static int run_all(cmp *c, cJSON *spec, const char *dir, const ob_sweep_exec_opts *eo, char *err, size_t errlen)
{
    cJSON *grid = cJSON_Duplicate(spec, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(grid, "budget");
    cJSON_DeleteItemFromObjectCaseSensitive(grid, "proposals");
    int rc = one_search(c, grid, 0, 0, dir, eo, err, errlen);
    cJSON_Delete(grid);
    if (rc != OB_EXIT_OK) return rc;
    size_t gmax = 0;
    for (size_t p = 0; p < c->n_pairs; p++) {
        const curve *cv = curve_at(c, 0, 0, p);
        c->grid_n[p] = cv->len;
        c->grid_best[p] = after(cv, cv->len);
        gmax = gmax > cv->len ? gmax : cv->len;
    }
    uint64_t budget = (gmax + 1) / 2;
    if (ob_sweep_spec_count(spec, "budget", 1, &budget, err, errlen) != 0) return OB_EXIT_USAGE;
    c->budget = (size_t)budget;
    for (size_t m = 1; m < CMP_METHODS; m++)
        for (size_t s = 0; s < c->seeds; s++) {
            cJSON *v = cJSON_Duplicate(spec, 1);
            set_count(v, "seed", s + 1);
            if (methods[m] == OB_SWEEP_SEARCH_RANDOM) {
                set_count(v, "random", budget);
                set_str(v, "budget", NULL);
            } else {
                set_str(v, "search", ob_sweep_search_name(methods[m]));
                set_count(v, "budget", budget);
            }
            if (methods[m] != OB_SWEEP_SEARCH_BAYES) set_str(v, "proposals", NULL);
            rc = one_search(c, v, m, s, dir, eo, err, errlen);
            cJSON_Delete(v);
            if (rc != OB_EXIT_OK) return rc;
        }
    return OB_EXIT_OK;
}

int ob_sweep_compare(const cJSON *given, const ob_sweep_compare_opts *o, FILE *out, char *err, size_t errlen)
{
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/sweep-compare", o->run_dir);
    cJSON *spec = base_spec(given, err, errlen);
    if (!spec) return OB_EXIT_USAGE;
    snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/points");
    if (ob_mkdirs(dir, err, errlen) != 0) {
        cJSON_Delete(spec);
        return OB_EXIT_IO;
    }
    dir[strlen(dir) - strlen("/points")] = '\0';
    cmp c = {0};
    c.seeds = o->search_seeds;
    double t0 = ob_now_s();
    ob_sweep_exec_opts eo = {o->jobs, o->progress, o->errors, 0, o->lock_fd, NULL};
    int rc = run_all(&c, spec, dir, &eo, err, errlen);
    cJSON_Delete(spec);
    double seconds = ob_now_s() - t0;
    cJSON *summary = rc == OB_EXIT_OK ? summary_json(&c) : NULL;
    if (rc == OB_EXIT_OK && (write_tables(&c, dir, err, errlen) != 0 ||
                             write_markdown(&c, summary, dir, seconds, err, errlen) != 0))
        rc = OB_EXIT_IO;
    int figure = rc == OB_EXIT_OK && o->figures ? render(&c, dir, o, err, errlen) : 0;
    if (rc == OB_EXIT_OK) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "format", OB_SWEEP_COMPARE_FORMAT);
        cJSON_AddNumberToObject(doc, "version", OB_SWEEP_VERSION);
        cJSON_AddNumberToObject(doc, "pairs", (double)c.n_pairs);
        cJSON_AddNumberToObject(doc, "search_seeds", (double)c.seeds);
        cJSON_AddNumberToObject(doc, "budget", (double)c.budget);
        cJSON_AddNumberToObject(doc, "seconds", seconds);
        cJSON_AddItemToObject(doc, "summary", summary);
        cJSON_AddStringToObject(doc, "table", "sweep-compare/compare.md");
        if (o->figures && figure == 0) cJSON_AddStringToObject(doc, "figure", "sweep-compare/compare.png");
        char path[4600];
        snprintf(path, sizeof path, "%s/compare.json", dir);
        if (ob_json_write(path, doc, err, errlen) != 0) rc = OB_EXIT_IO;
        char *md = NULL;
        size_t len;
        snprintf(path, sizeof path, "%s/compare.md", dir);
        if (rc == OB_EXIT_OK && ob_read_file(path, &md, &len, err, errlen) == 0) fputs(md, out);
        free(md);
        cJSON_Delete(doc);
        fprintf(out, "\nresults in %s (compare.json, compare.md, curves.csv%s)\n", dir,
                o->figures && figure == 0 ? ", compare.png" : "");
    } else {
        cJSON_Delete(summary);
    }
    cmp_free(&c);
    return rc != OB_EXIT_OK ? rc : figure != 0 ? OB_EXIT_FAIL : OB_EXIT_OK;
}
