/*
 * report.c — `optbench report`'s documents: report.md and report.html of a
 * run folder, with the machine, the cases, the summary tables and the
 * figures, each figure under one sentence that says what it shows.  The
 * sections on the run's own results are here; those on what bench, repro
 * and sweep left in the folder are report_throughput.c and report_others.c.
 *
 * The report is built from whatever the folder holds.  A missing input (no
 * bench.csv yet, a lost case CSV) or a figure gnuplot could not render is
 * named in the report itself, which is still written; both documents are
 * written atomically, so a reader never sees half a report.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optbench/problems.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "report_internal.h"

static const char *const MARK_OK = RP_MARK_OK;
static const char *const MARK_BAD = RP_MARK_BAD;

/* ---- small formatting helpers -------------------------------------------------- */

/* A step count, or "–" when absent/null. */
static void fmt_steps(char *buf, size_t len, double v)
{
    if (isfinite(v)) snprintf(buf, len, "%.0f", v);
    else snprintf(buf, len, "–");
}

static const char *isa_label(int i)
{
    return ob_isa_name((ob_isa)i);
}

/* ---- sections ----------------------------------------------------------------------- */

static int case_failed_agreement(const rp_case *c, int i)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(c->isa[i], "agreement");
    return a && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "ok"));
}

static int case_not_identical(const rp_case *c, int i)
{
    return c->isa[i] && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c->isa[i], "bit_identical"));
}

static void section_overview(rp_doc *d, const rp_model *m)
{
    char title[400];
    snprintf(title, sizeof title, "optbench report: run %s", m->run_id);
    rp_doc_heading(d, 1, "top", title);
    char isas[128] = "";
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (m->isa_seen[i])
            snprintf(isas + strlen(isas), sizeof isas - strlen(isas), "%s%s", isas[0] ? ", " : "",
                     isa_label(i));
    if (m->results)
        rp_doc_para(
            d,
            "%zu cases (%zu problems, %zu optimizers), each on the fp64 reference and the fp32 kernels for "
            "%s. Run %s, report by optbench %s.",
            m->n_cases, m->n_problems, m->n_opts, isas[0] ? isas : "no instruction set",
            rp_str(m->meta, "date")[0] ? rp_str(m->meta, "date") : "at an unknown date", OB_VERSION);
    size_t bad_agree = 0, bad_ident = 0, parted = 0;
    for (size_t c = 0; c < m->n_cases; c++) {
        const rp_case *rc = &m->cases[c];
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            bad_agree += case_failed_agreement(rc, i);
            bad_ident += case_not_identical(rc, i);
        }
        parted += rc->shown >= 0 && isfinite(rp_num(rc->isa[rc->shown], "deviation_exceeds_at"));
    }
    if (m->n_cases) {
        if (bad_agree)
            rp_doc_item(d, "%s Agreement: %zu fp32 path%s exceeded the documented bound (see Agreement).",
                        MARK_BAD, bad_agree, bad_agree == 1 ? "" : "s");
        else
            rp_doc_item(d, "%s Agreement: every fp32 step of every case stayed within its documented bound.",
                        MARK_OK);
        if (bad_ident)
            rp_doc_item(d, "%s Bit-identity: %zu fp32 path%s differed from scalar (see Agreement).", MARK_BAD,
                        bad_ident, bad_ident == 1 ? "" : "s");
        else
            rp_doc_item(d, "%s Bit-identity: every instruction set matched scalar bit for bit at every step.",
                        MARK_OK);
        rp_doc_item(
            d,
            "fp32 against fp64: in %zu of %zu cases the fp32 trajectory parted from the fp64 reference by "
            "more than 1e-3 (expected on chaotic problems; listed under Agreement).",
            parted, m->n_cases);
    }
    char thr[2048] = "";
    if (m->has_bench) rp_throughput_finding(m, thr, sizeof thr);
    rp_doc_item(d, "Throughput: %s (same run; see Throughput).",
                !m->has_bench ? "not measured in this run" : thr[0] ? thr : "measured (bench.csv)");
    if (m->sum->n_missing || m->sum->n_failed)
        rp_doc_item(d,
                    "This report is incomplete: %zu input%s missing, %zu figure%s not rendered (see the last "
                    "section).",
                    m->sum->n_missing, m->sum->n_missing == 1 ? "" : "s", m->sum->n_failed,
                    m->sum->n_failed == 1 ? "" : "s");
    rp_doc_items_end(d);
}

static void kv_row(rp_doc *d, const char *k, const char *v)
{
    rp_row r = {0};
    rp_cell(&r, "%s", k);
    rp_cell(&r, "%s", v[0] ? v : "–");
    rp_doc_row(d, &r);
}

static void section_machine(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "machine-and-build", "Machine and build");
    rp_row h = {0};
    rp_cells(&h, "item", "value", NULL);
    rp_doc_table(d, &h, "ll");
    const cJSON *meta = m->meta;
    char buf[2048] = "";
    kv_row(d, "CPU", rp_str(meta, "cpu_model"));
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(meta, "isa_supported"))
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s %s", buf[0] ? ", " : "", it->string,
                 cJSON_IsTrue(it) ? MARK_OK : MARK_BAD);
    kv_row(d, "instruction sets (this CPU)", buf);
    if (m->bench_json) {
        const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(m->bench_json, "context");
        double ncpu = rp_num(ctx, "num_cpus"), mhz = rp_num(ctx, "mhz_per_cpu");
        if (isfinite(ncpu)) {
            snprintf(buf, sizeof buf, "%.0f", ncpu);
            if (isfinite(mhz)) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " at %.0f MHz", mhz);
            kv_row(d, "CPUs (bench.json)", buf);
        }
        buf[0] = '\0';
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(ctx, "caches"))
        {
            double lvl = rp_num(it, "level"), size = rp_num(it, "size"), share = rp_num(it, "num_sharing");
            if (!isfinite(lvl) || !isfinite(size)) continue;
            int mib = size >= 1 << 20;
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%sL%.0f %s %.0f %s%s", buf[0] ? ", " : "",
                     lvl, rp_str(it, "type"), size / (mib ? 1 << 20 : 1 << 10), mib ? "MiB" : "KiB",
                     isfinite(share) && share > 1 ? " (shared)" : "");
        }
        if (buf[0]) kv_row(d, "caches (bench.json)", buf);
    }
    kv_row(d, "compiler", rp_str(meta, "compiler"));
    kv_row(d, "build flags", rp_str(meta, "build_flags"));
    kv_row(d, "git commit", rp_str(meta, "git_commit"));
    kv_row(d, "OS", rp_str(meta, "os"));
    kv_row(d, "date (UTC)", rp_str(meta, "date"));
    kv_row(d, "seed", rp_str(meta, "seed"));
    buf[0] = '\0';
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(meta, "command_line")) if (cJSON_IsString(it))
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? " " : "optbench ",
                 it->valuestring);
    kv_row(d, "command", buf);
    rp_doc_table_end(d);
}

/* "lr=0.001, momentum=0.9" from a JSON object of numbers. */
static void join_numbers(const cJSON *o, const char *skip, char *buf, size_t len)
{
    const cJSON *it;
    buf[0] = '\0';
    cJSON_ArrayForEach(it, o)
    {
        if (skip && !strcmp(it->string, skip)) continue;
        if (cJSON_IsNumber(it))
            snprintf(buf + strlen(buf), len - strlen(buf), "%s%s=%g", buf[0] ? ", " : "", it->string,
                     it->valuedouble);
    }
}

static void section_cases(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "what-was-run", "What was run");
    if (!m->n_cases) {
        rp_doc_para(d, "No cases: results.json is missing or empty.");
        return;
    }
    rp_doc_para(
        d, "Each problem below was run with every optimizer listed for it; f* is the known minimum and the "
           "target is f − f* ≤ tol.");
    rp_row h = {0};
    rp_cells(&h, "problem", "title", "n", "f*", "target tol", "source", NULL);
    rp_doc_table(d, &h, "llrrrl");
    for (size_t k = 0; k < m->n_problems; k++) {
        const rp_case *c = NULL;
        for (size_t i = 0; i < m->n_cases && !c; i++)
            if (!strcmp(m->cases[i].problem, m->problems[k])) c = &m->cases[i];
        const ob_problem_spec *ps = ob_problem_find(m->problems[k]);
        rp_row r = {0};
        char v[64];
        rp_cell(&r, "%s", m->problems[k]);
        rp_cell(&r, "%s%s", ps ? ps->title : "", ps && ps->stochastic ? " (stochastic)" : "");
        rp_cell(&r, "%zu", c->n);
        rp_fmt(v, sizeof v, c->fstar);
        rp_cell(&r, "%s", c->has_fstar ? v : "unknown");
        rp_fmt(v, sizeof v, c->tol);
        rp_cell(&r, "%s", c->has_fstar ? v : "–");
        rp_cell(&r, "%s", ps ? ps->citation : "");
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    rp_doc_para(d, "The cases, with the hyperparameters and the learning-rate schedule each one used:");
    rp_row c = {0};
    rp_cells(&c, "case", "steps", "hyperparameters", "schedule", NULL);
    rp_doc_table(d, &c, "lrll");
    for (size_t i = 0; i < m->n_cases; i++) {
        const rp_case *rc = &m->cases[i];
        rp_row r = {0};
        char hp[512], sc[256], steps[32];
        join_numbers(cJSON_GetObjectItemCaseSensitive(rc->j, "hparams"), NULL, hp, sizeof hp);
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(rc->j, "schedule");
        join_numbers(s, NULL, sc, sizeof sc);
        fmt_steps(steps, sizeof steps, rp_num(rc->j, "steps"));
        rp_cell(&r, "%s", rc->id);
        rp_cell(&r, "%s", steps);
        rp_cell(&r, "%s", hp);
        rp_cell(&r, "%s%s%s%s", rp_str(s, "name"), sc[0] ? " (" : "", sc, sc[0] ? ")" : "");
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
}

/* The value a convergence table shows for a path: f − f* where f* is
 * known, the loss otherwise. */
static double final_value(const rp_case *c, const cJSON *path)
{
    return rp_num(path, c->has_fstar ? "final_gap" : "final_loss");
}

/* A problems × optimizers matrix of one figure per case. */
static void matrix(rp_doc *d, const rp_model *m, const char *corner, int steps)
{
    rp_row h = {0};
    rp_cell(&h, "%s", corner);
    char align[RP_MAX_COLS + 1] = "l";
    for (size_t k = 0; k < m->n_opts && h.n < RP_MAX_COLS; k++) {
        rp_cell(&h, "%s", m->opts[k]);
        strcat(align, "r");
    }
    rp_doc_table(d, &h, align);
    for (size_t p = 0; p < m->n_problems; p++) {
        rp_row r = {0};
        rp_cell(&r, "%s", m->problems[p]);
        for (size_t k = 0; k < m->n_opts && r.n < RP_MAX_COLS; k++) {
            const rp_case *c = rp_find_case(m, m->problems[p], m->opts[k]);
            const cJSON *path = c && c->shown >= 0 ? c->isa[c->shown] : NULL;
            char v[64];
            if (!path) snprintf(v, sizeof v, "not run");
            else if (steps && !c->has_fstar) snprintf(v, sizeof v, "no f*");
            else if (steps) fmt_steps(v, sizeof v, rp_num(path, "steps_to_target"));
            else rp_fmt(v, sizeof v, final_value(c, path));
            if (path && isfinite(rp_num(path, "diverged_at"))) snprintf(v, sizeof v, "diverged");
            rp_cell(&r, "%s", v);
        }
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
}

static void section_convergence(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "convergence", "Convergence");
    if (!m->n_cases) {
        rp_doc_para(d, "No cases to show.");
        return;
    }
    rp_doc_para(
        d, "Final f − f* (the loss where f* is unknown) of each optimizer's fp32 kernel, on the widest "
           "instruction set that ran (the others are bit-identical to it unless Agreement says otherwise):");
    matrix(d, m, "problem", 0);
    rp_doc_para(d, "Steps until f − f* first fell to the target tol (– : not reached):");
    matrix(d, m, "problem", 1);
    rp_doc_para(d, "Every case, fp32 against the fp64 reference:");
    rp_row h = {0};
    rp_cells(&h, "case", "path", "final loss", "f − f*", "‖x − x*‖", "steps to target", "diverged at", NULL);
    rp_doc_table(d, &h, "llrrrrr");
    for (size_t i = 0; i < m->n_cases; i++) {
        const rp_case *c = &m->cases[i];
        const cJSON *paths[2] = {c->ref, c->shown >= 0 ? c->isa[c->shown] : NULL};
        for (int k = 0; k < 2; k++) {
            if (!paths[k]) continue;
            rp_row r = {0};
            char a[64], b[64], e[64], s[64], dv[64];
            rp_fmt(a, sizeof a, rp_num(paths[k], "final_loss"));
            rp_fmt(b, sizeof b, rp_num(paths[k], "final_gap"));
            rp_fmt(e, sizeof e, rp_num(paths[k], "final_dist"));
            fmt_steps(s, sizeof s, rp_num(paths[k], "steps_to_target"));
            fmt_steps(dv, sizeof dv, rp_num(paths[k], "diverged_at"));
            rp_cell(&r, "%s", k ? "" : c->id);
            rp_cell(&r, "%s", k ? isa_label(c->shown) : "fp64 reference");
            rp_cell(&r, "%s", a);
            rp_cell(&r, "%s", b);
            rp_cell(&r, "%s", e);
            rp_cell(&r, "%s", s);
            rp_cell(&r, "%s", dv);
            rp_doc_row(d, &r);
        }
    }
    rp_doc_table_end(d);
    rp_doc_figures(d, m->sum, "convergence");
}

static void section_trajectories(rp_doc *d, const rp_model *m)
{
    int any = 0;
    for (size_t i = 0; i < m->sum->n_figures; i++) any |= !strcmp(m->sum->figures[i].section, "trajectories");
    if (!any) return;
    rp_doc_heading(d, 2, "trajectories", "Trajectories");
    rp_doc_para(d, "The 2-D problems, with the path each optimizer took over the contour lines of f.");
    rp_doc_figures(d, m->sum, "trajectories");
}

/* The worst single-step error per optimizer and ISA, where it happened
 * and whether it stayed within the bound. */
static void agreement_error_table(rp_doc *d, const rp_model *m)
{
    rp_doc_para(d,
                "Worst single-step error of the fp32 kernel against the fp64 reference, over every step and "
                "element of every case, in units of u·S (u = 2^−24, S the per-element error scale; README "
                "\"Agreement bounds\"):");
    rp_row h = {0};
    rp_cells(&h, "optimizer", "bound", NULL);
    char align[RP_MAX_COLS + 1] = "lr";
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (m->isa_seen[i]) {
            rp_cell(&h, "%s", isa_label(i));
            strcat(align, "r");
        }
    rp_cells(&h, "worst case (step, array[element])", "within bound", NULL);
    strcat(align, "ll");
    rp_doc_table(d, &h, align);
    for (size_t k = 0; k < m->n_opts; k++) {
        double worst = -1, bound = NAN, per[OB_ISA_COUNT];
        int ok = 1;
        char where[256] = "–";
        for (int i = 0; i < OB_ISA_COUNT; i++) per[i] = NAN;
        for (size_t c = 0; c < m->n_cases; c++) {
            const rp_case *rc = &m->cases[c];
            if (strcmp(rc->opt, m->opts[k]) != 0) continue;
            for (int i = 0; i < OB_ISA_COUNT; i++) {
                const cJSON *a = cJSON_GetObjectItemCaseSensitive(rc->isa[i], "agreement");
                double e = rp_agree_error(rc->isa[i], &bound);
                if (!a) continue;
                ok &= !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "ok"));
                if (!isnan(e) && !(e <= per[i])) per[i] = e;
                if (!isnan(e) && e > worst) {
                    worst = e;
                    snprintf(where, sizeof where, "%s on %s (step %.0f, %s[%.0f])", rc->id, isa_label(i),
                             rp_num(a, "step"), rp_str(a, "array"), rp_num(a, "element"));
                }
            }
        }
        rp_row r = {0};
        char v[64];
        rp_cell(&r, "%s", m->opts[k]);
        rp_fmt(v, sizeof v, bound);
        rp_cell(&r, "%s", v);
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            if (!m->isa_seen[i]) continue;
            rp_fmt(v, sizeof v, per[i]);
            rp_cell(&r, "%s", v);
        }
        rp_cell(&r, "%s", where);
        rp_cell(&r, "%s", ok ? MARK_OK : MARK_BAD);
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
}

/* Bit-identity with the scalar kernel per optimizer and ISA; where an ISA
 * differs, the first case and element that did. */
static void identity_table(rp_doc *d, const rp_model *m)
{
    rp_doc_para(
        d, "Bit-identity with the scalar kernel (p and every state array, at every step of every case):");
    rp_row hi = {0};
    rp_cell(&hi, "optimizer");
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (m->isa_seen[i]) rp_cell(&hi, "%s", isa_label(i));
    rp_doc_table(d, &hi, "llll");
    for (size_t k = 0; k < m->n_opts; k++) {
        rp_row r = {0};
        rp_cell(&r, "%s", m->opts[k]);
        for (int i = 0; i < OB_ISA_COUNT; i++) {
            if (!m->isa_seen[i]) continue;
            int v = rp_identity(m, m->opts[k], i);
            if (v < 0) {
                rp_cell(&r, "not run");
                continue;
            }
            if (i == OB_ISA_SCALAR) {
                rp_cell(&r, "baseline");
                continue;
            }
            if (v) {
                rp_cell(&r, "%s", MARK_OK);
                continue;
            }
            /* Name the first case that differs, and where. */
            for (size_t c = 0; c < m->n_cases; c++) {
                const rp_case *rc = &m->cases[c];
                if (strcmp(rc->opt, m->opts[k]) || !case_not_identical(rc, i)) continue;
                const cJSON *fd = cJSON_GetObjectItemCaseSensitive(rc->isa[i], "first_difference");
                rp_cell(&r, "%s %s: step %.0f, %s[%.0f]", MARK_BAD, rc->id, rp_num(fd, "step"),
                        rp_str(fd, "array"), rp_num(fd, "element"));
                break;
            }
        }
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
}

/* Trajectory deviation: the cases whose fp32 path parted from fp64 (or,
 * when none did, the largest deviation). */
static void deviation_table(rp_doc *d, const rp_model *m)
{
    rp_row hd = {0};
    rp_cells(&hd, "case", "path", "max relative deviation", "above 1e-3 from step", NULL);
    int any = 0;
    double largest = -1;
    const char *largest_id = "";
    for (size_t c = 0; c < m->n_cases; c++) {
        const rp_case *rc = &m->cases[c];
        if (rc->shown < 0) continue;
        const cJSON *p = rc->isa[rc->shown];
        double dev = rp_num(p, "max_deviation"), at = rp_num(p, "deviation_exceeds_at");
        if (isfinite(dev) && dev > largest) {
            largest = dev;
            largest_id = rc->id;
        }
        if (!isfinite(at)) continue;
        if (!any) {
            rp_doc_para(
                d, "fp32 trajectories that parted from their fp64 reference by more than 1e-3 (relative "
                   "distance). On chaotic or ill-conditioned problems this is expected: rounding differences "
                   "grow, and the table says when they became visible.");
            rp_doc_table(d, &hd, "llrr");
            any = 1;
        }
        rp_row r = {0};
        char v[64], s[64];
        rp_fmt(v, sizeof v, dev);
        fmt_steps(s, sizeof s, at);
        rp_cell(&r, "%s", rc->id);
        rp_cell(&r, "%s", isa_label(rc->shown));
        rp_cell(&r, "%s", v);
        rp_cell(&r, "%s", s);
        rp_doc_row(d, &r);
    }
    if (any) rp_doc_table_end(d);
    else if (largest >= 0) {
        char v[64];
        rp_fmt(v, sizeof v, largest);
        rp_doc_para(
            d,
            "No fp32 trajectory parted from its fp64 reference by more than 1e-3 (the largest relative "
            "deviation was %s, on %s).",
            v, largest_id);
    }
}

static void section_agreement(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "agreement", "Agreement");
    if (!m->n_cases) {
        rp_doc_para(d, "No cases to show.");
        return;
    }
    agreement_error_table(d, m);
    identity_table(d, m);
    rp_plugin_table(d, m);
    rp_doc_figures(d, m->sum, "agreement");
    deviation_table(d, m);
}

static void section_missing(rp_doc *d, const rp_model *m)
{
    const ob_report_summary *s = m->sum;
    if (!s->n_missing && !s->n_failed) return;
    rp_doc_heading(d, 2, "missing", "Missing from this report");
    for (size_t i = 0; i < s->n_missing; i++) rp_doc_item(d, "%s", s->missing[i]);
    for (size_t i = 0; i < s->n_figures; i++)
        if (!s->figures[i].ok) rp_doc_item(d, "figure %s: %s", s->figures[i].name, s->figures[i].error);
    rp_doc_items_end(d);
}

const char rp_html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>optbench report: %s</title>\n"
    "<style>\n"
    "body{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
    "color:#222;line-height:1.45}\n"
    "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\n"
    "table{border-collapse:collapse;margin:1em 0;font-size:.88em}\n"
    "th,td{border:1px solid #ddd;padding:.25em .6em;vertical-align:top}th{background:#f4f4f4;text-align:left}\n"
    "td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}\n"
    "code{background:#f4f4f4;padding:0 .2em;border-radius:3px}\n"
    "figure{margin:1.5em 0}figure img{max-width:100%%;height:auto;border:1px solid #eee}\n"
    "figcaption{font-size:.9em;color:#444;margin-top:.3em}\n"
    "</style>\n</head>\n<body>\n";

/* The findings (top), a table of contents of d's sections, then d: into
 * <dir>/report.md and report.html, each written atomically. */
int rp_docs_write(rp_doc *top, rp_doc *d, const char *dir, ob_report_summary *sum, char *err, size_t errlen)
{
    rp_doc_toc(top, d);
    fflush(top->md);
    fflush(top->html);
    fflush(d->md);
    fflush(d->html);
    char md[4400], html[4400];
    snprintf(md, sizeof md, "%s/report.md", dir);
    snprintf(html, sizeof html, "%s/report.html", dir);
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        const char *a = k ? top->html_buf : top->md_buf, *b = k ? d->html_buf : d->md_buf;
        size_t la = k ? top->html_len : top->md_len, lb = k ? d->html_len : d->md_len;
        char *all = malloc(la + lb + 1);
        if (!all) {
            snprintf(err, errlen, "out of memory writing the report");
            rc = -1;
            break;
        }
        memcpy(all, a, la);
        memcpy(all + la, b, lb);
        rc = ob_atomic_write(k ? html : md, all, la + lb, err, errlen) != 0 ? -1 : 0;
        free(all);
    }
    if (rc == 0) {
        snprintf(sum->md, sizeof sum->md, "%s", md);
        snprintf(sum->html, sizeof sum->html, "%s", html);
    }
    return rc;
}

/* The report leads with its findings (the overview: checks, the score
 * ranking and its figure), then a table of contents, then the sections;
 * the configuration (machine, every case's settings) is an appendix,
 * collapsed in the HTML.  The Markdown has the same order. */
int rp_write_documents(const rp_model *m, char *err, size_t errlen)
{
    rp_doc top, d;
    if (rp_doc_open(&top) != 0 || rp_doc_open(&d) != 0) {
        rp_doc_close(&top);
        snprintf(err, errlen, "out of memory writing the report");
        return -1;
    }
    rp_doc_html(&top, rp_html_head, m->run_id);
    section_overview(&top, m);
    rp_profile_findings(&top, m);
    section_convergence(&d, m);
    rp_section_profile(&d, m);
    section_trajectories(&d, m);
    section_agreement(&d, m);
    rp_section_monitoring(&d, m);
    rp_section_throughput(&d, m);
    rp_section_models(&d, m);
    rp_section_memory(&d, m);
    rp_section_formats(&d, m);
    rp_section_repro(&d, m);
    rp_section_sweep(&d, m);
    rp_doc_html(&d, "<details><summary>Appendix: machine and build, and every case's settings</summary>\n");
    section_machine(&d, m);
    section_cases(&d, m);
    rp_doc_html(&d, "</details>\n");
    section_missing(&d, m);
    rp_doc_html(&d, "</body>\n</html>\n");
    int rc = rp_docs_write(&top, &d, m->dir, m->sum, err, errlen);
    rp_doc_close(&top);
    rp_doc_close(&d);
    return rc;
}

/* ---- the whole report ------------------------------------------------------------- */

int ob_report_build(const ob_report_opts *o, ob_report_summary *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    err[0] = '\0';
    FILE *pg = o->progress;
    rp_model m;
    if (pg) fprintf(pg, "[report] reading %s\n", o->run_dir);
    if (rp_model_load(&m, o->run_dir, s, err, errlen) != 0) {
        rp_model_free(&m);
        return -1;
    }
    m.plugins = o->plugins;
    m.n_plugins = o->n_plugins;
    rp_plan plan = {0};
    char msg[1024] = "", plot_dir[PATH_MAX];
    if (!o->no_figures) {
        /* A figure whose data could not be written leaves the others to
         * render. */
        if (rp_plan_figures(&plan, &m, msg, sizeof msg) != 0)
            rp_missing(s, "some figures could not be prepared: %s", msg);
        /* Absolute, because gnuplot runs in the run folder. */
        if (ob_find_plot_dir(o->plot_dir, "style.gp", plot_dir, sizeof plot_dir, msg, sizeof msg) != 0) {
            for (size_t i = 0; i < s->n_figures; i++) rp_fig_fail(s, i, "%s", msg);
        } else {
            const char *gp = o->gnuplot ? o->gnuplot : getenv("OPTBENCH_GNUPLOT");
            rp_render(&plan, s, plot_dir, gp && gp[0] ? gp : "gnuplot", pg);
        }
    }
    s->n_failed = 0;
    for (size_t i = 0; i < s->n_figures; i++) s->n_failed += !s->figures[i].ok;
    if (pg) fprintf(pg, "[report] writing report.html and report.md\n");
    int rc = rp_write_documents(&m, err, errlen);
    rp_plan_free(&plan);
    rp_model_free(&m);
    return rc;
}

void ob_report_summary_free(ob_report_summary *s)
{
    for (size_t i = 0; i < s->n_missing; i++) free(s->missing[i]);
    free(s->missing);
    free(s->figures);
    memset(s, 0, sizeof *s);
}
