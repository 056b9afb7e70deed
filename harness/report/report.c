/*
 * report.c — `optbench report`'s documents: report.md and report.html of a
 * run folder, with the machine, the cases, the summary tables and the
 * figures, each figure under one sentence that says what it shows.
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
#include <sys/stat.h>
#include <unistd.h>

#include "optbench/problems.h"
#include "harness/ob_cli.h"
#include "harness/core/ob_results.h"
#include "kernels/framework/ob_mixed.h"
#include "report_internal.h"

static const char *const MARK_OK = "✓";
static const char *const MARK_BAD = "✗";

/* ---- small formatting helpers -------------------------------------------------- */

/* A step count, or "–" when absent/null. */
static void fmt_steps(char *buf, size_t len, double v)
{
    if (isfinite(v)) snprintf(buf, len, "%.0f", v);
    else snprintf(buf, len, "–");
}

static const char *isa_label(int i) { return ob_isa_name((ob_isa)i); }

static void figures_of(rp_doc *d, const rp_model *m, const char *section)
{
    const ob_report_summary *s = m->sum;
    for (size_t i = 0; i < s->n_figures; i++) {
        const ob_report_figure *f = &s->figures[i];
        if (strcmp(f->section, section) != 0) continue;
        if (!f->ok) {
            rp_doc_para(d, "Figure `%s` is missing: %s", f->name, f->error[0] ? f->error : "not rendered");
            continue;
        }
        char png[300], svg[300];
        snprintf(png, sizeof png, "figures/%s.png", f->name);
        snprintf(svg, sizeof svg, "figures/%s.svg", f->name);
        rp_doc_figure(d, png, svg, f->name, f->caption);
    }
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
            snprintf(isas + strlen(isas), sizeof isas - strlen(isas), "%s%s", isas[0] ? ", " : "", isa_label(i));
    if (m->results)
        rp_doc_para(d, "%zu cases (%zu problems, %zu optimizers), each on the fp64 reference and the fp32 kernels for "
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
            rp_doc_item(d, "%s Agreement: %zu fp32 path%s exceeded the documented bound (see Agreement).", MARK_BAD,
                        bad_agree, bad_agree == 1 ? "" : "s");
        else
            rp_doc_item(d, "%s Agreement: every fp32 step of every case stayed within its documented bound.", MARK_OK);
        if (bad_ident)
            rp_doc_item(d, "%s Bit-identity: %zu fp32 path%s differed from scalar (see Agreement).", MARK_BAD,
                        bad_ident, bad_ident == 1 ? "" : "s");
        else
            rp_doc_item(d, "%s Bit-identity: every instruction set matched scalar bit for bit at every step.",
                        MARK_OK);
        rp_doc_item(d, "fp32 against fp64: in %zu of %zu cases the fp32 trajectory parted from the fp64 reference by "
                       "more than 1e-3 (expected on chaotic problems; listed under Agreement).", parted, m->n_cases);
    }
    rp_doc_item(d, "Throughput: %s.", m->has_bench ? "measured (bench.csv)" : "not measured in this run");
    if (m->sum->n_missing || m->sum->n_failed)
        rp_doc_item(d, "This report is incomplete: %zu input%s missing, %zu figure%s not rendered (see the last "
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
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%sL%.0f %s %.0f %s%s", buf[0] ? ", " : "", lvl,
                     rp_str(it, "type"), size / (mib ? 1 << 20 : 1 << 10), mib ? "MiB" : "KiB",
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
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(meta, "command_line"))
        if (cJSON_IsString(it))
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? " " : "optbench ", it->valuestring);
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
            snprintf(buf + strlen(buf), len - strlen(buf), "%s%s=%g", buf[0] ? ", " : "", it->string, it->valuedouble);
    }
}

static void section_cases(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "what-was-run", "What was run");
    if (!m->n_cases) {
        rp_doc_para(d, "No cases: results.json is missing or empty.");
        return;
    }
    rp_doc_para(d, "Each problem below was run with every optimizer listed for it; f* is the known minimum and the "
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
    rp_doc_para(d, "Final f − f* (the loss where f* is unknown) of each optimizer's fp32 kernel, on the widest "
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
    figures_of(d, m, "convergence");
}

static void section_trajectories(rp_doc *d, const rp_model *m)
{
    int any = 0;
    for (size_t i = 0; i < m->sum->n_figures; i++) any |= !strcmp(m->sum->figures[i].section, "trajectories");
    if (!any) return;
    rp_doc_heading(d, 2, "trajectories", "Trajectories");
    rp_doc_para(d, "The 2-D problems, with the path each optimizer took over the contour lines of f.");
    figures_of(d, m, "trajectories");
}

static void section_agreement(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "agreement", "Agreement");
    if (!m->n_cases) {
        rp_doc_para(d, "No cases to show.");
        return;
    }
    rp_doc_para(d, "Worst single-step error of the fp32 kernel against the fp64 reference, over every step and "
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

    rp_doc_para(d, "Bit-identity with the scalar kernel (p and every state array, at every step of every case):");
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
                rp_cell(&r, "%s %s: step %.0f, %s[%.0f]", MARK_BAD, rc->id, rp_num(fd, "step"), rp_str(fd, "array"),
                        rp_num(fd, "element"));
                break;
            }
        }
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    figures_of(d, m, "agreement");

    /* Trajectory deviation: the cases whose fp32 path parted from fp64. */
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
            rp_doc_para(d, "fp32 trajectories that parted from their fp64 reference by more than 1e-3 (relative "
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
        rp_doc_para(d, "No fp32 trajectory parted from its fp64 reference by more than 1e-3 (the largest relative "
                       "deviation was %s, on %s).", v, largest_id);
    }
}

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
    rp_cells(&h, "optimizer", "ISA", "variant", "threads", "n", "ns/elem", "GB/s", "ceiling GB/s", "of ceiling",
             "speed-up", "bound (fraction)", NULL);
    rp_doc_table(d, &h, "lllrrrrrrrl");
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

static void section_throughput(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "throughput", "Throughput");
    if (!m->has_bench) {
        rp_doc_para(d, "Not measured: this run folder has no usable bench.csv. Add it with `optbench bench --run %s "
                       "--quick` and run `optbench report --run %s` again.", m->dir, m->dir);
        return;
    }
    rp_doc_para(d, "Medians from bench.csv. GB/s counts the memory traffic of a step (p and g read, p and the state "
                   "read and written); the ceiling is the memory bandwidth measured in the same run at the same size, "
                   "and \"bound\" says which limit (memory or the divider) the kernel is closest to.");
    bench_table(d, m, "kernel", NULL);
    if (bench_has(m, "peer")) {
        rp_doc_para(d, "Peer implementations measured the same way:");
        bench_table(d, m, "peer", NULL);
    }
    if (bench_has(m, "probe_mem") || bench_has(m, "probe_div") || bench_has(m, "triad")) {
        rp_doc_para(d, "The probes that set the ceilings (memory bandwidth, divider throughput, STREAM triad):");
        rp_row h = {0};
        rp_cells(&h, "probe", "ISA", "threads", "n", "GB/s", "ns/elem", NULL);
        rp_doc_table(d, &h, "llrrrr");
        for (size_t r = 0; r < m->bench.nrows; r++) {
            const char *kind = rp_table_str(&m->bench, r, m->bc.kind);
            if (strcmp(kind, "probe_mem") && strcmp(kind, "probe_div") && strcmp(kind, "triad")) continue;
            rp_row row = {0};
            char g[64], n[64];
            rp_fmt(g, sizeof g, rp_table_num(&m->bench, r, m->bc.gbps));
            rp_fmt(n, sizeof n, rp_table_num(&m->bench, r, m->bc.ns));
            rp_cell(&row, "%s", kind);
            rp_cell(&row, "%s", rp_table_str(&m->bench, r, m->bc.isa));
            rp_cell(&row, "%s", rp_table_str(&m->bench, r, m->bc.threads));
            rp_cell(&row, "%s", rp_table_str(&m->bench, r, m->bc.size));
            rp_cell(&row, "%s", g);
            rp_cell(&row, "%s", n);
            rp_doc_row(d, &row);
        }
        rp_doc_table_end(d);
    }
    figures_of(d, m, "throughput");
}

static void section_memory(rp_doc *d, const rp_model *m)
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
            snprintf(arrays + strlen(arrays), sizeof arrays - strlen(arrays), "%s%s", s ? ", " : "", o->state_names[s]);
        rp_row r = {0};
        rp_cell(&r, "%s", o->name);
        rp_cell(&r, "%s", arrays[0] ? arrays : "none");
        rp_cell(&r, "%zu", ob_state_bytes_per_param(o, &hp));
        rp_cell(&r, "%zu", o->n_state * sizeof(float));
        rp_cell(&r, "%zu", ob_traffic_bytes_per_param(o, &hp));
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    figures_of(d, m, "memory");
}

/* Mixed precision (README "Mixed precision"): bytes per parameter of every
 * storage format for Adam, and the measured rows of `optbench bench
 * --format` (bench.json's optbench.formats) when the run has them. */
static void section_formats(rp_doc *d, const rp_model *m)
{
    rp_doc_heading(d, 2, "formats", "Mixed precision");
    const ob_optimizer *adam = ob_optimizer_find("adam");
    ob_hparams hp;
    ob_hparams_default(adam, &hp);
    rp_doc_para(d, "Storage formats (`optbench list formats`): bytes moved per parameter and step by Adam, and "
                   "bytes of state per parameter. bf16 parameters are the only copy (no fp32 master copy).");
    rp_row h = {0};
    rp_cells(&h, "format", "param", "grad", "state", "rounding", "traffic B/param", "state B/param", "meaning", NULL);
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
        rp_cell(&r, "%s", f.param == OB_DT_BF16 ? (f.round == OB_ROUND_SR ? "stochastic" : "nearest even") : "–");
        rp_cell(&r, "%zu", ob_mixed_traffic_bytes(adam, &hp, &f));
        rp_cell(&r, "%zu", ob_mixed_state_bytes(adam, &hp, &f));
        rp_cell(&r, "%s", fp->doc);
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
    const cJSON *ours = cJSON_GetObjectItemCaseSensitive(m->bench_json, "optbench");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(ours, "formats"), *x;
    if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) == 0) {
        rp_doc_para(d, "No format was benchmarked in this run (`optbench bench --run DIR --format all --format-opt "
                       "adam` adds them).");
        return;
    }
    rp_doc_para(d, "Measured by `optbench bench --format` (medians): the fraction of the same-run memory probe that "
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

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void section_repro(rp_doc *d, const rp_model *m)
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
        rp_cell(&r, "%s", rp_str(e, "verdict"));
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
            if (f->valuestring[0] == '/' || strstr(f->valuestring, "..") || !file_exists(path)) {
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

/* The tuned comparison (`optbench sweep --run DIR`): each optimizer at its
 * best setting per problem, with the spread over seeds. */
static void section_sweep(rp_doc *d, const rp_model *m)
{
    if (!m->sweep) return;
    rp_doc_heading(d, 2, "tuned", "Tuned comparison");
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(m->sweep, "best"), *b;
    rp_doc_para(d, "Each optimizer at its best setting found by `optbench sweep` (criterion: %s); "
                   "median, min and max over seeds. ∞ marks a setting that diverged or never reached the target.",
                rp_str(m->sweep, "criterion_text")[0] ? rp_str(m->sweep, "criterion_text") : rp_str(m->sweep, "criterion"));
    if (!cJSON_IsArray(best) || cJSON_GetArraySize(best) == 0) {
        rp_doc_para(d, "sweep/sweep.json lists no best settings.");
        return;
    }
    rp_row h = {0};
    rp_cells(&h, "problem", "optimizer", "best setting", "median", "min", "max", "seeds", "steps to target", NULL);
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
            snprintf(set + l, sizeof set - l, "%s%s=%.4g", l ? ", " : "", kv->string, cJSON_GetNumberValue(kv));
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
        if (f->valuestring[0] == '/' || strstr(f->valuestring, "..") || !file_exists(path)) {
            rp_doc_para(d, "Figure `%s` of the sweep is missing.", f->valuestring);
            continue;
        }
        rp_doc_figure(d, f->valuestring, NULL, "sensitivity",
                      "Sensitivity to the learning rate: the final loss (or f − f*) against lr, one line per "
                      "optimizer, medians with min–max bars over seeds; the chosen setting is circled.");
    }
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

static const char html_head[] =
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

int rp_write_documents(const rp_model *m, char *err, size_t errlen)
{
    rp_doc d;
    if (rp_doc_open(&d) != 0) {
        snprintf(err, errlen, "out of memory writing the report");
        return -1;
    }
    rp_doc_html(&d, html_head, m->run_id);
    section_overview(&d, m);
    section_machine(&d, m);
    section_cases(&d, m);
    section_convergence(&d, m);
    section_trajectories(&d, m);
    section_agreement(&d, m);
    section_throughput(&d, m);
    section_memory(&d, m);
    section_formats(&d, m);
    section_repro(&d, m);
    section_sweep(&d, m);
    section_missing(&d, m);
    rp_doc_html(&d, "</body>\n</html>\n");
    fflush(d.md);
    fflush(d.html);
    char md[4400], html[4400];
    snprintf(md, sizeof md, "%s/report.md", m->dir);
    snprintf(html, sizeof html, "%s/report.html", m->dir);
    int rc = ob_atomic_write(md, d.md_buf, d.md_len, err, errlen) != 0 ||
                     ob_atomic_write(html, d.html_buf, d.html_len, err, errlen) != 0
                 ? -1
                 : 0;
    if (rc == 0) {
        snprintf(m->sum->md, sizeof m->sum->md, "%s", md);
        snprintf(m->sum->html, sizeof m->sum->html, "%s", html);
    }
    rp_doc_close(&d);
    return rc;
}

/* ---- the whole report ------------------------------------------------------------- */

static int has_style(const char *dir)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/style.gp", dir);
    return file_exists(p);
}

/* The plot scripts: --plot-dir, OPTBENCH_PLOT_DIR, ./plot, or plot/ beside
 * the build folder the executable sits in (build/optbench, or
 * build/tests/test_x).  Made absolute, because gnuplot runs in the run
 * folder. */
static int find_plot_dir(const char *given, char *out, size_t len, char *err, size_t errlen)
{
    char exe[PATH_MAX] = "", cand[3][PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
    }
    const char *env = getenv("OPTBENCH_PLOT_DIR");
    snprintf(cand[0], sizeof cand[0], "plot");
    snprintf(cand[1], sizeof cand[1], "%s/../plot", exe);
    snprintf(cand[2], sizeof cand[2], "%s/../../plot", exe);
    const char *try[5] = {given, given ? NULL : env, given || env ? NULL : cand[0], given || env ? NULL : cand[1],
                          given || env ? NULL : cand[2]};
    for (size_t i = 0; i < 5; i++) {
        char real[PATH_MAX];
        if (try[i] && has_style(try[i]) && realpath(try[i], real)) {
            snprintf(out, len, "%s", real);
            return 0;
        }
    }
    snprintf(err, errlen, "no gnuplot scripts (plot/style.gp) in %s",
             given ? given : env ? env : "./plot or beside the executable");
    return -1;
}

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
    rp_plan plan = {0};
    char msg[1024] = "", plot_dir[PATH_MAX];
    if (!o->no_figures) {
        /* A figure whose data could not be written leaves the others to
         * render. */
        if (rp_plan_figures(&plan, &m, msg, sizeof msg) != 0)
            rp_missing(s, "some figures could not be prepared: %s", msg);
        if (find_plot_dir(o->plot_dir, plot_dir, sizeof plot_dir, msg, sizeof msg) != 0) {
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
