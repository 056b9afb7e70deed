/*
 * report_profile.c — the report's aggregate comparison: what `optbench
 * profile` wrote into <run>/profile/ (profile.json: the source of the
 * runs, the score of each optimizer with its bootstrap interval, the
 * figures with their captions), and the checks of the cases on problem
 * instances >= 1, which the per-problem sections leave out.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"

static double jnum(const cJSON *o, const char *k)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void instances_note(rp_doc *d, const rp_model *m)
{
    if (!m->inst_cases) return;
    rp_doc_para(d,
                "The run also holds %zu cases on problem instances 1 to %.0f (`optbench run --instances`; README "
                "\"Problem instances\"), which only this section uses: %s.",
                m->inst_cases, m->max_instance,
                m->inst_bad ? "SOME FAILED an agreement or bit-identity check (see results.json, `ok`)"
                            : "every one passed its agreement and bit-identity checks");
}

static void score_table(rp_doc *d, const cJSON *scores)
{
    rp_row h = {0};
    rp_cells(&h, "rank", "optimizer", "score", "95% interval", "instances solved", NULL);
    rp_doc_table(d, &h, "rlrlr");
    const cJSON *s;
    cJSON_ArrayForEach(s, scores)
    {
        rp_row r = {0};
        rp_cell(&r, "%.0f", jnum(s, "rank"));
        rp_cell(&r, "%s", rp_str(s, "optimizer"));
        rp_cell(&r, "%.3f", jnum(s, "score"));
        rp_cell(&r, "[%.3f, %.3f]", jnum(s, "lo"), jnum(s, "hi"));
        rp_cell(&r, "%.0f%%", 100 * jnum(s, "solved"));
        rp_doc_row(d, &r);
    }
    rp_doc_table_end(d);
}

void rp_section_profile(rp_doc *d, const rp_model *m)
{
    if (!m->profile && !m->inst_cases) return;
    rp_doc_heading(d, 2, "aggregate", "Aggregate comparison");
    instances_note(d, m);
    const cJSON *p = m->profile;
    if (!p) {
        rp_doc_para(d, "No profiles yet: `optbench profile %s` writes them into profile/.", m->dir);
        return;
    }
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(p, "scores");
    const cJSON *best = cJSON_GetArrayItem(scores, 0), *second = cJSON_GetArrayItem(scores, 1);
    rp_doc_para(d,
                "These profiles come from %s (a tuned comparison, each optimizer at its best setting from a "
                "sweep, is `optbench run --from-sweep DIR`), over %.0f problem instances, on the %s path; an "
                "instance counts as solved when f(x0) − f ≥ (1 − τ)(f(x0) − f_L), "
                "τ = %g (Moré & Wild 2009), f_L = f* where known, else the lowest loss any optimizer reached. "
                "Bootstrap: %.0f replicates, seed %.0f.",
                rp_str(p, "source"), jnum(p, "instances"),
                rp_str(p, "path"), jnum(p, "tau"), jnum(p, "bootstrap_reps"), jnum(p, "bootstrap_seed"));
    if (best && second)
        rp_doc_para(d,
                    "Highest score: %s, %.3f (95%% interval [%.3f, %.3f]), ahead of %s at %.3f ([%.3f, %.3f]) by "
                    "%.3f%s.",
                    rp_str(best, "optimizer"), jnum(best, "score"), jnum(best, "lo"), jnum(best, "hi"),
                    rp_str(second, "optimizer"), jnum(second, "score"), jnum(second, "lo"), jnum(second, "hi"),
                    jnum(best, "score") - jnum(second, "score"),
                    jnum(best, "lo") > jnum(second, "hi") ? "" : "; the intervals overlap");
    if (rp_str(p, "left_out")[0])
        rp_doc_para(d, "Left out (not run on every problem instance): %s.", rp_str(p, "left_out"));
    score_table(d, scores);
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(p, "figures"))
    {
        const char *name = rp_str(f, "name");
        char img[400], svg[400], path[4800];
        snprintf(img, sizeof img, "profile/figures/%s.png", name);
        /* The image links to gnuplot's interactive SVG (coordinates on
         * hover, series toggled from the key), else the plain SVG. */
        snprintf(svg, sizeof svg, "profile/figures/%s-interactive.svg", name);
        snprintf(path, sizeof path, "%s/%s", m->dir, svg);
        if (!rp_file_exists(path)) snprintf(svg, sizeof svg, "profile/figures/%s.svg", name);
        snprintf(path, sizeof path, "%s/%s", m->dir, img);
        if (strchr(name, '/') || strstr(name, "..") || !rp_file_exists(path)) {
            rp_doc_para(d, "Figure `%s` of the profile is missing%s%s.", name,
                        rp_str(f, "error")[0] ? ": " : "", rp_str(f, "error"));
            continue;
        }
        rp_doc_figure(d, img, svg, name, rp_str(f, "caption"));
    }
}

void rp_profile_findings(rp_doc *d, const rp_model *m)
{
    const cJSON *p = m->profile, *s;
    if (!p) return;
    char line[2048] = "";
    int k = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(p, "scores"))
    {
        if (k++ == 5) break;
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%.0f. %s %.3f [%.3f, %.3f]", k > 1 ? "; " : "",
                 jnum(s, "rank"), rp_str(s, "optimizer"), jnum(s, "score"), jnum(s, "lo"), jnum(s, "hi"));
    }
    rp_doc_para(d,
                "Ranking by the aggregate score (area under the performance profile up to r_max = %g, 95%% "
                "bootstrap interval; %.0f problem instances of %s; see Aggregate comparison): %s.",
                jnum(p, "rmax"), jnum(p, "instances"), rp_str(p, "source"), line);
    char path[4600];
    snprintf(path, sizeof path, "%s/profile/figures/profile_score.png", m->dir);
    if (rp_file_exists(path))
        rp_doc_figure(d, "profile/figures/profile_score.png", "profile/figures/profile_score-interactive.svg",
                      "score", "The score of each optimizer with its 95% interval (details under Aggregate comparison).");
}
