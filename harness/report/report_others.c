/*
 * report_others.c — the report's sections on what the other commands left
 * in the run folder: `optbench bench` (memory and number formats, from
 * bench.json; the throughput section is report_throughput.c), `optbench
 * repro` (repro.json) and `optbench sweep` (sweep/sweep.json).  report.c
 * writes the sections on the run's own results and assembles the
 * documents.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/framework/ob_mixed.h"
#include "harness/core/ob_core.h"
#include "harness/plugin/ob_plugin.h"
#include "report_internal.h"

void rp_section_memory(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "memory", "Memory");
    rp_doc_para(d, "fp32 state per parameter, from the optimizer table (`optbench list optimizers`):");
    rp_row h = {0};
    rp_cells(&h, "optimizer", "state arrays", "bytes/param (defaults)", "bytes/param (every option)",
             "traffic bytes/param/step", NULL);
    rp_doc_table(d, &h, "llrrr");
    for (size_t k = 0; k < ob_optimizer_count; k++) {
        const ob_optimizer *o = ob_optimizer_table[k];
        ob_hparams hp;
        ob_hparams_default(o, &hp);
        char arrays[256] = "";
        for (size_t s = 0; s < o->n_state; s++)
            snprintf(arrays + strlen(arrays), sizeof arrays - strlen(arrays), "%s%s", s ? ", " : "",
                     o->state_names[s]);
        rp_row r = {0};
        rp_cell(&r, "%s", o->name);
        rp_cell(&r, "%s", arrays[0] ? arrays : "none");
        rp_cell(&r, "%zu", ob_state_bytes_per_param(o, &hp));
        rp_cell(&r, "%zu", o->n_state * sizeof(float));
        rp_cell(&r, "%zu", ob_traffic_bytes_per_param(o, &hp));
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    rp_doc_figures(d, m->sum, "memory");
}

/* Mixed precision (README "Mixed precision"): bytes per parameter of every
 * storage format for Adam, and the measured rows of `optbench bench
 * --format` (bench.json's optbench.formats) when the run has them. */
void rp_section_formats(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "formats", "Mixed precision");
    const ob_optimizer *adam = ob_optimizer_find("adam");
    ob_hparams hp;
    ob_hparams_default(adam, &hp);
    rp_doc_para(d,
                "Storage formats (`optbench list formats`): bytes moved per parameter and step by Adam, and "
                "bytes of state per parameter. bf16 parameters are the only copy (no fp32 master copy).");
    rp_row h = {0};
    rp_cells(&h, "format", "param", "grad", "state", "rounding", "traffic B/param", "state B/param",
             "meaning", NULL);
    rp_doc_table(d, &h, "lllllrrl");
    for (size_t i = 0; i < ob_format_preset_count; i++) {
        const ob_format_preset *fp = &ob_format_presets[i];
        ob_format f;
        char msg[256];
        if (ob_format_parse(fp->name, &f, msg, sizeof msg) != 0) continue;
        rp_row r = {0};
        rp_cell(&r, "%s", fp->name);
        rp_cell(&r, "%s", ob_dtype_name(f.param));
        rp_cell(&r, "%s", ob_dtype_name(f.grad));
        rp_cell(&r, "%s", ob_dtype_name(f.state));
        rp_cell(&r, "%s",
                f.param == OB_DT_BF16 ? (f.round == OB_ROUND_SR ? "stochastic" : "nearest even") : "–");
        rp_cell(&r, "%zu", ob_mixed_traffic_bytes(adam, &hp, &f));
        rp_cell(&r, "%zu", ob_mixed_state_bytes(adam, &hp, &f));
        rp_cell(&r, "%s", fp->doc);
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    const cJSON *ours = cJSON_GetObjectItemCaseSensitive(m->bench_json, "optbench");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(ours, "formats"), *x;
    if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) == 0) {
        rp_doc_para(
            d, "No format was benchmarked in this run (`optbench bench --run DIR --format all --format-opt "
               "adam` adds them).");
        return;
    }
    rp_doc_para(
        d, "Measured by `optbench bench --format` (medians): the fraction of the same-run memory probe that "
           "moves the format's own bytes (target ≥ 0.95 from 16 Mi elements), the speed-up over the fp32 "
           "kernel, bounded by the byte ratio, and the ceiling that bounds the case (memory or the exact "
           "sqrt/div units).");
    rp_row hb = {0};
    rp_cells(&hb, "optimizer", "ISA", "format", "n", "threads", "B/elem", "ns/elem", "of memory ceiling",
             "× fp32", "byte ratio", "bound", "of bound", NULL);
    rp_doc_table(d, &hb, "lllrrrrrrrlr");
    cJSON_ArrayForEach(x, rows)
    {
        rp_row r = {0};
        rp_cell(&r, "%s", rp_str(x, "opt"));
        rp_cell(&r, "%s", rp_str(x, "isa"));
        rp_cell(&r, "%s", rp_str(x, "format"));
        double n = rp_num(x, "size");
        if (n >= 1048576) rp_cell(&r, "%.0fMi", n / 1048576);
        else rp_cell(&r, "%.0fKi", n / 1024);
        rp_cell(&r, "%.0f", rp_num(x, "threads"));
        rp_cell(&r, "%.0f", rp_num(x, "bytes_per_elem"));
        rp_cell(&r, "%.3f", rp_num(x, "ns_per_elem"));
        rp_cell(&r, "%.2f", rp_num(x, "frac_mem_ceiling"));
        rp_cell(&r, "%.2f", rp_num(x, "speedup_vs_fp32"));
        rp_cell(&r, "%.2f", rp_num(x, "byte_ratio"));
        rp_cell(&r, "%s", rp_str(x, "bound"));
        rp_cell(&r, "%.2f", rp_num(x, "frac_bound"));
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
}

void rp_section_repro(rp_doc *d, const rp_model *m)
{
    if (!m->repro) return;
    rp_doc_heading(d, 2, "reproductions", "Reproductions");
    const char *summary = rp_str(m->repro, "summary");
    if (summary[0]) rp_doc_para(d, "%s", summary);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(m->repro, "entries"), *e;
    if (!cJSON_IsArray(entries) || cJSON_GetArraySize(entries) == 0) {
        rp_doc_para(d, "repro/repro.json lists no entries.");
        return;
    }
    rp_row h = {0};
    rp_cells(&h, "reproduction", "source", "claim", "verdict", "measured", NULL);
    rp_doc_table(d, &h, "lllll");
    cJSON_ArrayForEach(e, entries)
    {
        rp_row r = {0};
        rp_cell(&r, "%s", rp_str(e, "name"));
        rp_cell(&r, "%s", rp_str(e, "citation"));
        rp_cell(&r, "%s", rp_str(e, "claim"));
        /* Short-mode verdicts can differ from the full mode's (README
         * "Reproductions"), so the cell says which mode gave it. */
        const char *mode = rp_str(e, "mode");
        rp_cell(&r, "%s%s%s%s", rp_str(e, "verdict"), mode[0] ? " (" : "", mode, mode[0] ? " mode)" : "");
        rp_cell(&r, "%s", rp_str(e, "summary"));
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    cJSON_ArrayForEach(e, entries)
    {
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "figures"))
        {
            if (!cJSON_IsString(f)) continue;
            char path[4600];
            snprintf(path, sizeof path, "%s/%s", m->dir, f->valuestring);
            /* Only relative paths inside the run folder: the report must
             * open from disk wherever the folder is copied. */
            if (f->valuestring[0] == '/' || strstr(f->valuestring, "..") || !rp_file_exists(path)) {
                rp_doc_para(d, "Figure `%s` of %s is missing.", f->valuestring, rp_str(e, "name"));
                continue;
            }
            char caption[512];
            snprintf(caption, sizeof caption, "%s: %s (verdict: %s).", rp_str(e, "name"), rp_str(e, "claim"),
                     rp_str(e, "verdict"));
            rp_doc_figure(d, f->valuestring, NULL, rp_str(e, "name"), caption);
        }
    }
}

/* A number of sweep.json, where null stands for +inf (diverged, never). */
static void sweep_num(rp_row *r, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(v)) rp_cell(r, "%.4g", v->valuedouble);
    else rp_cell(r, "∞");
}

/* A model.json figure: the number, else `absent` (a torch column says why
 * it has none: "not installed", ...). */
static void model_num(rp_row *r, const cJSON *row, const char *key, const char *fmt, const char *absent)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
    if (cJSON_IsNumber(v)) rp_cell(r, fmt, v->valuedouble);
    else rp_cell(r, "%s", absent);
}

void rp_section_models(rp_doc *d, const rp_model *m)
{
    const cJSON *mj = m->model_bench, *row;
    if (!mj) return;
    rp_doc_heading(d, 2, "models", "Whole models: the multi-tensor step");
    const cJSON *torch = cJSON_GetObjectItemCaseSensitive(mj, "torch");
    const char *status = torch ? rp_str(torch, "status") : "";
    rp_doc_para(d,
                "`optbench bench --model %s`: %.0f tensors, %.0f parameters, %s on %s; median ms per step. "
                "flat/multi ≥ 0.95: the list steps as fast as one array of its size. The per-tensor overheads "
                "come from a list of %.0f tensors of %.0f elements. torch.optim on the same list: %s%s%s "
                "(foreach/multi: torch's foreach=True time over optbench's multi-tensor time; target ≥ 5).",
                rp_str(mj, "model"), rp_num(mj, "tensors"), rp_num(mj, "parameters"), rp_str(mj, "opt"),
                rp_str(mj, "isa"), rp_num(mj, "overhead_list_tensors"), rp_num(mj, "overhead_list_length"),
                status[0] ? status : "not measured", torch ? ", " : "", torch ? rp_str(torch, "detail") : "");
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(mj, "loadavg_before")))
        rp_doc_para(d, "Load average (1 min) %.2f before the run, %.2f after: other work on the same cores "
                       "disturbs every figure.",
                    rp_num(mj, "loadavg_before"), rp_num(mj, "loadavg_after"));
    rp_row h = {0};
    rp_cells(&h, "threads", "flat ms", "multi ms", "loop ms", "flat/multi", "multi ns/tensor", "loop ns/tensor",
             "torch foreach ms", "torch single ms", "foreach/multi", NULL);
    rp_doc_table(d, &h, "rrrrrrrrrr");
    const char *why = status[0] && strcmp(status, "measured") ? status : "–";
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(mj, "rows"))
    {
        rp_row r = {0};
        rp_cell(&r, "%.0f", rp_num(row, "threads"));
        model_num(&r, row, "flat_ms", "%.4g", "–");
        model_num(&r, row, "multi_ms", "%.4g", "–");
        model_num(&r, row, "loop_ms", "%.4g", "–");
        model_num(&r, row, "flat_over_multi", "%.3f", "–");
        model_num(&r, row, "multi_ns_per_tensor", "%.1f", "–");
        model_num(&r, row, "loop_ns_per_tensor", "%.1f", "–");
        model_num(&r, row, "torch_foreach_ms", "%.4g", why);
        model_num(&r, row, "torch_single_ms", "%.4g", why);
        model_num(&r, row, "torch_foreach_over_multi", "%.1f", why);
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
}

/* The search strategies against the full grid (`optbench sweep
 * --compare-search --run DIR`): the measured share, the table, the figure. */
static void search_compare(rp_doc *d, const rp_model *m)
{
    const cJSON *c = m->search_compare, *r;
    rp_doc_heading(d, 3, "search-compare", "Search strategies");
    double quarter = -1, cases = -1;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(c, "summary")) if (!strcmp(rp_str(r, "method"), "bayes"))
    {
        quarter = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "quarter_share_pairs"));
        cases = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "quarter_share_cases"));
    }
    rp_doc_para(d,
                "`optbench sweep --compare-search`: grid, random, Sobol and Bayesian search over the same ranges "
                "on %.0f (problem, optimizer) pairs, %.0f search seeds each but the grid (%.1f s). With a quarter "
                "of the grid's settings, Bayesian search came within 10%% of the full grid's best on %.0f%% of the "
                "pairs (median seed; %.0f%% of the (pair, seed) cases); the goal is 70%%.",
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "pairs")),
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "search_seeds")),
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "seconds")), 100 * quarter, 100 * cases);
    rp_row h = {0};
    rp_cells(&h, "search", "seeds", "settings", "pairs within 10% at G/4", "cases within 10% at G/4",
             "cases within 10% at the end", NULL);
    rp_doc_table(d, &h, "lrrrrr");
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(c, "summary"))
    {
        rp_row row = {0};
        rp_cell(&row, "%s", rp_str(r, "method"));
        rp_cell(&row, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "seeds")));
        rp_cell(&row, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "settings")));
        rp_cell(&row, "%.0f%%", 100 * cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "quarter_share_pairs")));
        rp_cell(&row, "%.0f%%", 100 * cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "quarter_share_cases")));
        rp_cell(&row, "%.0f%%", 100 * cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "final_share_cases")));
        rp_doc_row(d, &row);
    }
    rp_doc_table_end(d);
    const char *fig = rp_str(c, "figure");
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", m->dir, fig);
    if (fig[0] && fig[0] != '/' && !strstr(fig, "..") && rp_file_exists(path))
        rp_doc_figure(d, fig, NULL, "search strategies",
                      "Best so far against the settings tried: the share of (pair, seed) cases within 10% of the "
                      "full grid's best (top) and the median of best / grid best (bottom); the dashed line is a "
                      "quarter of the grid. Per-pair table: sweep-compare/compare.md; every curve: curves.csv.");
}

/* The tuned comparison (`optbench sweep --run DIR`): each optimizer at its
 * best setting per problem, with the spread over seeds; then the search
 * strategies compared, where `sweep --compare-search` ran. */
void rp_section_sweep(rp_doc *d, const rp_model *m)
{
    if (!m->sweep && !m->search_compare) return;
    rp_doc_heading(d, 2, "tuned", "Tuned comparison");
    if (!m->sweep) {
        search_compare(d, m);
        return;
    }
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(m->sweep, "best"), *b;
    rp_doc_para(
        d,
        "Each optimizer at its best setting found by `optbench sweep` (criterion: %s); "
        "median, min and max over seeds. ∞ marks a setting that diverged or never reached the target.",
        rp_str(m->sweep, "criterion_text")[0] ? rp_str(m->sweep, "criterion_text")
                                              : rp_str(m->sweep, "criterion"));
    if (!cJSON_IsArray(best) || cJSON_GetArraySize(best) == 0) {
        rp_doc_para(d, "sweep/sweep.json lists no best settings.");
        if (m->search_compare) search_compare(d, m);
        return;
    }
    rp_row h = {0};
    rp_cells(&h, "problem", "optimizer", "best setting", "median", "min", "max", "seeds", "steps to target",
             NULL);
    rp_doc_table(d, &h, "lllrrrrr");
    cJSON_ArrayForEach(b, best)
    {
        rp_row r = {0};
        rp_cell(&r, "%s", rp_str(b, "problem"));
        rp_cell(&r, "%s", rp_str(b, "optimizer"));
        char set[512] = "";
        const cJSON *kv;
        cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(b, "swept"))
        {
            size_t l = strlen(set);
            snprintf(set + l, sizeof set - l, "%s%s=%.4g", l ? ", " : "", kv->string,
                     cJSON_GetNumberValue(kv));
        }
        rp_cell(&r, "%s", set);
        sweep_num(&r, b, "median");
        sweep_num(&r, b, "min");
        sweep_num(&r, b, "max");
        rp_cell(&r, "%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "seeds")));
        sweep_num(&r, b, "steps_to_target_median");
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(m->sweep, "figures"))
    {
        if (!cJSON_IsString(f)) continue;
        char path[4600];
        snprintf(path, sizeof path, "%s/%s", m->dir, f->valuestring);
        if (f->valuestring[0] == '/' || strstr(f->valuestring, "..") || !rp_file_exists(path)) {
            rp_doc_para(d, "Figure `%s` of the sweep is missing.", f->valuestring);
            continue;
        }
        rp_doc_figure(d, f->valuestring, NULL, "sensitivity",
                      "Sensitivity to the learning rate: the final loss (or f − f*) against lr, one line per "
                      "optimizer, medians with min–max bars over seeds; the chosen setting is circled.");
    }
    if (m->search_compare) search_compare(d, m);
}

/* ---- plugin kernels (`optbench run --plugin`) ---------------------------------- */

/* One plugin kernel over every case it ran in. */
typedef struct rp_plugin_row {
    const char *kernel, *file, *opt;
    double bound, worst, scalar_worst;
    const char *worst_case;
    double worst_step;
    size_t cases, failed, identical, reached, scalar_reached;
    const char *first_failure, *first_failure_msg;
} rp_plugin_row;

#define RP_MAX_PLUGIN_ROWS 32

static rp_plugin_row *plugin_row(rp_plugin_row *rows, size_t *n, const char *kernel)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(rows[i].kernel, kernel)) return &rows[i];
    if (*n == RP_MAX_PLUGIN_ROWS) return NULL;
    rp_plugin_row *r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    r->kernel = kernel;
    r->worst = r->scalar_worst = -1;
    return r;
}

static void plugin_add(rp_plugin_row *r, const rp_case *rc, const cJSON *p)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(p, "agreement");
    const cJSON *sa = cJSON_GetObjectItemCaseSensitive(rc->isa[OB_ISA_SCALAR], "agreement");
    r->file = rp_str(p, "plugin");
    r->opt = rc->opt;
    r->cases++;
    r->bound = rp_num(a, "bound_u");
    if (rp_str(p, "failed")[0]) {
        if (!r->failed++) {
            r->first_failure = rc->id;
            r->first_failure_msg = rp_str(p, "failed");
        }
        return;
    }
    double e = rp_num(a, "max_error_u"), se = rp_num(sa, "max_error_u");
    if (isfinite(e) && e > r->worst) {
        r->worst = e;
        r->worst_case = rc->id;
        r->worst_step = rp_num(a, "step");
    }
    if (isfinite(se) && se > r->scalar_worst) r->scalar_worst = se;
    r->identical += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "bit_identical"));
    r->reached += isfinite(rp_num(p, "steps_to_target"));
    r->scalar_reached += isfinite(rp_num(rc->isa[OB_ISA_SCALAR], "steps_to_target"));
}

/* report --plugin: each kernel's declaration, and whether the run has
 * results of it (run --plugin, bench --plugin). */
static void plugin_declarations(rp_doc *d, const rp_model *m, const rp_plugin_row *rows, size_t n)
{
    rp_doc_para(d, "The plugin kernels given to `optbench report --plugin`, as they declare themselves:");
    rp_row h = {0};
    rp_cells(&h, "kernel", "plugin", "optimizer", "honoured keys", "state", "threads", "declared bound (u·S)",
             "in this run", NULL);
    rp_doc_table(d, &h, "llllllrl");
    for (size_t i = 0; i < m->n_plugins; i++) {
        const ob_plugin_kernel *k = m->plugins[i];
        char keys[512] = "", state[256] = "", bound[64];
        for (size_t j = 0; k->desc.hparams && k->desc.hparams[j]; j++)
            ob_appendf(keys, sizeof keys, "%s%s", j ? ", " : "", k->desc.hparams[j]);
        for (size_t j = 0; j < k->desc.n_state; j++)
            ob_appendf(state, sizeof state, "%s%s: %s", j ? ", " : "", k->opt->state_names[j],
                       ob_plugin_dtype_name(k->desc.state_dtype[j]));
        rp_fmt(bound, sizeof bound, k->desc.agree_bound > 0 ? k->desc.agree_bound : NAN);
        size_t cases = 0;
        for (size_t r = 0; r < n; r++)
            if (!strcmp(rows[r].kernel, k->desc.name)) cases = rows[r].cases;
        int benched = 0;
        const cJSON *pl;
        char label[96];
        ob_plugin_label(k, label, sizeof label);
        cJSON_ArrayForEach(pl, cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(m->bench_json, "optbench"), "plugins"))
            benched |= !strcmp(rp_str(pl, "variant"), label) || !strcmp(rp_str(pl, "kernel"), k->desc.name);
        rp_row r = {0};
        rp_cell(&r, "%s", label);
        rp_cell(&r, "%s", ob_plugin_file(k));
        rp_cell(&r, "%s", k->opt->name);
        rp_cell(&r, "%s", keys[0] ? keys : "none");
        rp_cell(&r, "%s", state[0] ? state : "none");
        rp_cell(&r, "%d", ob_plugin_threads(k, 0));
        rp_cell(&r, "%s", k->desc.agree_bound > 0 ? bound : "the optimizer's");
        if (cases || benched)
            rp_cell(&r, "%s%s%s", cases ? "run" : "", cases && benched ? ", " : "", benched ? "bench" : "");
        else
            rp_cell(&r, "%s no results: `optbench run --plugin %s` or `bench --plugin` into this run", RP_MARK_BAD,
                    k->path);
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
}

void rp_plugin_table(rp_doc *d, const rp_model *m)
{
    rp_plugin_row rows[RP_MAX_PLUGIN_ROWS];
    size_t n = 0;
    for (size_t c = 0; c < m->n_cases; c++) {
        const rp_case *rc = &m->cases[c];
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rc->j, "plugins"))
        {
            rp_plugin_row *r = p->string ? plugin_row(rows, &n, p->string) : NULL;
            if (r) plugin_add(r, rc, p);
        }
    }
    if (m->n_plugins) plugin_declarations(d, m, rows, n);
    if (!n) return;
    rp_doc_para(d,
                "Plugin kernels (`optbench run --plugin`), judged by their own agreement bound; bit-identity "
                "with optbench's scalar kernel is information, not a check:");
    rp_row h = {0};
    rp_cells(&h, "kernel", "plugin", "optimizer", "cases", "bound (u·S)", "worst (u·S)", "optbench scalar",
             "identical to scalar", "reached target (scalar)", "failed", NULL);
    rp_doc_table(d, &h, "lllrrrrrrl");
    for (size_t i = 0; i < n; i++) {
        const rp_plugin_row *r = &rows[i];
        rp_row row = {0};
        char b[64], w[64], s[64];
        rp_fmt(b, sizeof b, r->bound);
        rp_fmt(w, sizeof w, r->worst >= 0 ? r->worst : NAN);
        rp_fmt(s, sizeof s, r->scalar_worst >= 0 ? r->scalar_worst : NAN);
        rp_cell(&row, "plugin:%s", r->kernel);
        rp_cell(&row, "%s", r->file);
        rp_cell(&row, "%s", r->opt);
        rp_cell(&row, "%zu", r->cases);
        rp_cell(&row, "%s", b);
        if (r->worst_case) rp_cell(&row, "%s (%s, step %.0f)", w, r->worst_case, r->worst_step);
        else rp_cell(&row, "%s", w);
        rp_cell(&row, "%s", s);
        rp_cell(&row, "%zu of %zu", r->identical, r->cases - r->failed);
        rp_cell(&row, "%zu (%zu)", r->reached, r->scalar_reached);
        if (r->failed)
            rp_cell(&row, "%s %zu (first: %s: %s)", RP_MARK_BAD, r->failed, r->first_failure, r->first_failure_msg);
        else rp_cell(&row, "%s", RP_MARK_OK);
        rp_doc_row(d, &row);
    }
    rp_doc_table_end(d);
}
