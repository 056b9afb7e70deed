/*
 * test_report.c — `optbench report`: on a small results set generated
 * here (a real `optbench run` of a few cases, plus a hand-made bench.csv
 * in the documented format), every gnuplot script renders a PNG of the
 * expected size, the report links every figure and every link resolves,
 * and its tables carry the numbers of results.json and bench.csv.  A
 * partial run (no bench.csv, a lost case CSV), a missing gnuplot and a
 * broken script still give a report that says what is missing, and a
 * failed re-render never destroys a figure rendered before.
 *
 * The tests find plot/ from the repository root (make test runs there) or
 * beside the build folder.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/ob_cli.h"
#include "harness/report/ob_report.h"
#include "harness/core/ob_core.h"

/* ---- helpers ------------------------------------------------------------ */

static int file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (int)st.st_size : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert(s && fread(s, 1, (size_t)n, f) == (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* The scratch folder of the running test (each test is its own process). */
static char root[64];

/* Removes the scratch folder; called at the end of a test that passed (a
 * failing one leaves it to look at). */
static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (root[0]) cr_assert_eq(system(cmd), 0);
}

/* Runs `optbench run` in-process into a fresh folder; *run gets the run
 * folder (through the `latest` link). */
static void generate_run(const char *opts, const char *problems, const char *steps, char *run, size_t len)
{
    snprintf(root, sizeof root, "/tmp/optbench-test-report-XXXXXX");
    cr_assert(mkdtemp(root) != NULL);
    const char *argv[] = {"optbench", "run", "--opt", opts, "--problem", problems,
                          "--steps",  steps, "--out", root, "--quiet",   NULL};
    char *out = NULL, *err = NULL;
    int rc = ob_cli_capture(argv, &out, &err);
    cr_assert_eq(rc, 0, "optbench run failed (%d): %s", rc, err);
    free(out);
    free(err);
    snprintf(run, len, "%s/latest", root);
}

/* A bench.csv in the documented format: kernel rows for two optimizers on
 * three ISAs with an approximate variant, a peer, memory probes and a
 * triad; one row per size, medians, empty = unknown. */
static const char bench_csv[] =
    "kind,opt,isa,variant,size,threads,bytes_per_elem,ns_per_elem,elems_per_s,gb_per_s,mem_ceiling_gb_per_s,"
    "frac_mem_ceiling,div_ceiling_ns_per_elem,frac_div_ceiling,speedup_vs_scalar,bound,frac_bound\n"
    "kernel,adam,scalar,exact,4096,1,28,6.85,1.46e+08,4.083,13.86,0.2946,1.889,0.2755,1,memory,0.2946\n"
    "kernel,adam,avx2,exact,4096,1,28,1.24,8.06e+08,22.57,51.92,0.4348,0.366,0.2951,5.528,memory,0.4348\n"
    "kernel,adam,avx512,exact,4096,1,28,1.246,8.03e+08,22.47,51.92,0.4328,0.5887,0.4725,5.503,divider,0.4725\n"
    "kernel,adam,avx512,approx,4096,1,28,1.112,9e+08,25.19,51.92,0.4851,,,6.168,memory,0.4851\n"
    "kernel,adam,scalar,exact,1048576,1,28,3.79,2.64e+08,7.381,30.06,0.2455,1.889,0.498,1,divider,0.498\n"
    "kernel,adam,avx2,exact,1048576,1,28,0.6186,1.62e+09,45.26,122.6,0.369,0.366,0.5916,6.132,divider,0.5916\n"
    "kernel,adam,avx512,exact,1048576,1,28,0.7791,1.28e+09,35.94,122.6,0.293,0.5887,0.7556,4.869,divider,0.7556\n"
    "kernel,adam,avx512,approx,1048576,1,28,0.5622,1.78e+09,49.8,122.6,0.4061,,,6.747,memory,0.4061\n"
    "kernel,sgd,scalar,exact,4096,1,12,0.9,1.1e+09,13.3,19.0,0.70,,,1,memory,0.70\n"
    "kernel,sgd,avx2,exact,4096,1,12,0.1,1e+10,120.5,141.8,0.85,,,9,memory,0.85\n"
    "kernel,sgd,scalar,exact,1048576,1,12,1.1,9.1e+08,10.9,25.0,0.44,,,1,memory,0.44\n"
    "kernel,sgd,avx2,exact,1048576,1,12,0.55,1.8e+09,21.8,25.0,0.87,,,2,memory,0.87\n"
    "kernel,adam,avx2,exact,4096,2,28,0.91,1.09e+09,30.62,41.73,0.7338,0.366,0.4003,7.949,memory,0.7338\n"
    "peer,adam,,torch,4096,1,28,3.1,3.2e+08,9.03,51.92,0.174,,,,memory,0.174\n"
    "peer,adam,,torch,1048576,1,28,2.9,3.4e+08,9.655,122.6,0.0788,,,,memory,0.0788\n"
    "peer,adam,,torch,4096,2,28,7.7,1.3e+08,3.636,41.73,0.087,,,,memory,0.087\n"
    "kernel,adam,avx512,bf16,4096,1,14,0.6,1.7e+09,23.3,51.92,0.449,,,5.0,memory,0.449\n"
    "probe_mem,adam,avx512,,4096,1,28,0.54,1.85e+09,51.92,51.92,,,,,,\n"
    "probe_mem,adam,avx512,,1048576,1,28,0.23,4.38e+09,122.6,122.6,,,,,,\n"
    "triad,,avx512,,4096,1,12,0.0773,1.29e+10,155.3,,,,,,,\n";

static void write_bench(const char *run)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench.csv", run);
    spit(path, bench_csv);
}

/* `optbench report --run <run> <extra...>` in-process, with its exit code
 * checked; *out and *err are the caller's to free. */
static void report_cli(const char *run, const char *extra1, const char *extra2, int want, char **out,
                       char **err)
{
    const char *argv[] = {"optbench", "report", "--run", run, extra1, extra2, NULL};
    int rc = ob_cli_capture(argv, out, err);
    cr_assert_eq(rc, want, "optbench report: exit %d, expected %d\n%s", rc, want, *err);
}

/* The text of <run>/<name>. */
static char *slurp_in(const char *run, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", run, name);
    return slurp(path);
}

static int build(const char *run, const char *plot_dir, const char *gnuplot, ob_report_summary *s)
{
    ob_report_opts o = {.run_dir = run, .plot_dir = plot_dir, .gnuplot = gnuplot};
    char msg[1024];
    int rc = ob_report_build(&o, s, msg, sizeof msg);
    cr_assert_eq(rc, 0, "report not written: %s", msg);
    return rc;
}

static const ob_report_figure *find_figure(const ob_report_summary *s, const char *name)
{
    for (size_t i = 0; i < s->n_figures; i++)
        if (!strcmp(s->figures[i].name, name)) return &s->figures[i];
    return NULL;
}

/* Every src="..." and href="..." of the HTML, and every ](...) target of
 * the Markdown, must be a file inside the run folder, or (the table of
 * contents) an anchor of the page. */
static size_t check_links(const char *run, const char *doc, const char *const *openers)
{
    char *text = slurp(doc);
    size_t n = 0;
    for (size_t k = 0; openers[k]; k++) {
        const char *open = openers[k];
        char close = open[strlen(open) - 1] == '"' ? '"' : ')';
        for (const char *p = strstr(text, open); p; p = strstr(p + 1, open)) {
            const char *v = p + strlen(open), *e = strchr(v, close);
            cr_assert(e, "%s: unterminated link", doc);
            char rel[512], path[1024];
            snprintf(rel, sizeof rel, "%.*s", (int)(e - v), v);
            if (rel[0] == '#') { /* the table of contents: a heading of the page (HTML ids) */
                char id[600];
                snprintf(id, sizeof id, "id=\"%s\"", rel + 1);
                cr_assert(close == ')' || strstr(text, id), "%s links to a missing anchor %s", doc, rel);
                continue;
            }
            cr_assert(rel[0] != '/' && !strstr(rel, "://") && !strstr(rel, ".."),
                      "%s links outside the run folder: %s", doc, rel);
            snprintf(path, sizeof path, "%s/%s", run, rel);
            cr_assert(file_size(path) > 0, "%s links to %s, which does not exist", doc, rel);
            n++;
        }
    }
    free(text);
    return n;
}

/* The 8-byte PNG signature and the IHDR size, read here independently of
 * ob_png_size. */
static void check_png(const char *path, int w, int h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    cr_assert(f, "missing %s", path);
    cr_assert_eq(fread(b, 1, sizeof b, f), sizeof b, "%s is too short", path);
    fclose(f);
    cr_assert(memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0, "%s is not a PNG",
              path);
    int pw = b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19],
        ph = b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
    cr_assert(pw == w && ph == h, "%s is %dx%d, expected %dx%d", path, pw, ph, w, h);
}

/* ---- the full report ----------------------------------------------------- */

/* Every script the report uses is in plot/ and made at least one figure;
 * every figure comes from a script that ob_report_scripts lists. */
static void check_scripts(const ob_report_summary *s)
{
    const char *plot_dir = file_size("plot/style.gp") > 0 ? "plot" : "../plot";
    size_t scripts = 0;
    for (const char *const *sc = ob_report_scripts; *sc; sc++, scripts++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", plot_dir, *sc);
        cr_assert_gt(file_size(path), 0, "no %s", path);
        int used = 0;
        for (size_t i = 0; i < s->n_figures; i++) used |= !strcmp(s->figures[i].script, *sc);
        cr_assert(used, "plot/%s rendered no figure", *sc);
    }
    cr_assert_geq(scripts, 6);
    for (size_t i = 0; i < s->n_figures; i++) {
        int listed = 0;
        for (const char *const *sc = ob_report_scripts; *sc; sc++)
            listed |= !strcmp(s->figures[i].script, *sc);
        cr_assert(listed, "%s comes from %s, which ob_report_scripts does not list", s->figures[i].name,
                  s->figures[i].script);
    }
}

/* The figures a run of this shape must have, and the rows the throughput
 * figures plot. */
static void check_figure_set(const ob_report_summary *s, const char *run)
{
    static const char *const want[] = {"convergence-booth",
                                       "convergence-quad_diag",
                                       "convergence-sparse_logreg",
                                       "trajectory-booth",
                                       "agreement-error",
                                       "agreement-identity",
                                       "agreement-deviation",
                                       "throughput-adam",
                                       "throughput-sgd",
                                       "throughput-speedup",
                                       "memory"};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        cr_assert(find_figure(s, want[k]), "no figure %s", want[k]);
    cr_assert_null(find_figure(s, "trajectory-quad_diag"), "a 100-d problem got a trajectory figure");
    /* Monitor figures for every case: shown for quad_diag (a chosen
     * problem) and sparse_logreg (held-out data), linked for booth.  SGD
     * has no effective lr and no bias correction: its figure has three
     * panels, Adam's five; sparse_logreg adds the held-out panel. */
    const ob_report_figure *ma = find_figure(s, "monitor-quad_diag.adam"),
                           *ms = find_figure(s, "monitor-quad_diag.sgd"),
                           *mb = find_figure(s, "monitor-booth.adam"),
                           *mh = find_figure(s, "monitor-sparse_logreg.adam");
    cr_assert(ma && ms && mb && mh, "a monitor figure is missing");
    cr_assert_str_eq(ma->section, "monitoring");
    cr_assert_str_eq(mh->section, "monitoring");
    cr_assert_str_eq(mb->section, "monitoring-linked", "booth is not a chosen problem: linked, not shown");
    cr_assert_eq(ma->height, 70 + 190 * 5, "adam's monitor figure: %d px high", ma->height);
    cr_assert_eq(ms->height, 70 + 190 * 3, "sgd's monitor figure: %d px high", ms->height);
    cr_assert_eq(mh->height, 70 + 190 * 6, "adam's held-out monitor figure: %d px high", mh->height);
    /* The 1-thread throughput figure draws the peer's 1-thread rows only. */
    char *tp = slurp_in(run, "figures/data/throughput-adam.csv");
    cr_assert(strstr(tp, "\n4096,9.03\n") && strstr(tp, "\n1048576,9.655\n"),
              "the peer's rows are missing:\n%s", tp);
    cr_assert_null(strstr(tp, "3.636"), "the 2-thread peer row is in the 1-thread figure:\n%s", tp);
    cr_assert_null(strstr(tp, "23.3"), "the bf16 format is in the fp32 throughput figure:\n%s", tp);
    free(tp);
    /* The speed-up bars: avx2, avx512 and avx512/approx, not the bf16 format. */
    tp = slurp_in(run, "figures/data/speedup.csv");
    cr_assert(!strncmp(tp, "optimizer,c1,c2,c3\n", 19), "%s", tp);
    free(tp);
}

/* Each figure: a PNG of the size asked for, and a non-empty SVG. */
static void check_figure_files(const ob_report_summary *s, const char *run)
{
    for (size_t i = 0; i < s->n_figures; i++) {
        char png[512], svg[512];
        snprintf(png, sizeof png, "%s/figures/%s.png", run, s->figures[i].name);
        snprintf(svg, sizeof svg, "%s/figures/%s.svg", run, s->figures[i].name);
        check_png(png, s->figures[i].width, s->figures[i].height);
        cr_assert_eq(s->figures[i].width, 1000);
        /* A monitor figure's height follows its panels (report_monitor.c). */
        if (strncmp(s->figures[i].name, "monitor-", 8) != 0) cr_assert_eq(s->figures[i].height, 600);
        char *t = slurp(svg);
        cr_assert(strstr(t, "<svg"), "%s is not an SVG", svg);
        free(t);
        unsigned w, h;
        cr_assert_eq(ob_png_size(png, &w, &h), 0);
        cr_assert(w == 1000 && h == (unsigned)s->figures[i].height);
    }
    cr_assert_neq(ob_png_size(s->html, &(unsigned){0}, &(unsigned){0}), 0, "an HTML file passed as a PNG");
}

/* Links: every figure is linked from both documents, every link resolves,
 * nothing points outside the folder; the HTML needs no network. */
static void check_document_links(const ob_report_summary *s, const char *run)
{
    size_t html_links = check_links(run, s->html, (const char *const[]){"src=\"", "href=\"", NULL});
    size_t md_links = check_links(run, s->md, (const char *const[]){"](", NULL});
    /* Monitor figures not shown are linked once each (report_monitor.c). */
    size_t linked = 0;
    for (size_t i = 0; i < s->n_figures; i++) linked += !strcmp(s->figures[i].section, "monitoring-linked");
    cr_assert_eq(html_links, 2 * (s->n_figures - linked) + linked,
                 "HTML: %zu links for %zu figures (img + svg link each, %zu linked only)", html_links,
                 s->n_figures, linked);
    cr_assert_eq(md_links, 2 * (s->n_figures - linked) + linked);
    char *html = slurp(s->html), *md = slurp(s->md);
    for (size_t i = 0; i < s->n_figures; i++) {
        char src[256];
        if (!strcmp(s->figures[i].section, "monitoring-linked")) {
            snprintf(src, sizeof src, "href=\"figures/%s.png\"", s->figures[i].name);
            cr_assert(strstr(html, src), "report.html does not link %s", s->figures[i].name);
            continue;
        }
        snprintf(src, sizeof src, "src=\"figures/%s.png\"", s->figures[i].name);
        cr_assert(strstr(html, src), "report.html does not show %s", s->figures[i].name);
        cr_assert(strstr(html, s->figures[i].caption) || strstr(md, s->figures[i].name), "no caption for %s",
                  s->figures[i].name);
    }
    cr_assert(strstr(html, "<!DOCTYPE html>") && strstr(html, "</html>"));
    cr_assert_null(strstr(html, "http://"), "the report needs the network");
    cr_assert_null(strstr(html, "https://"), "the report needs the network");
    free(html);
    free(md);
}

/* The tables carry results.json's numbers (formatted as the report formats
 * them: %.4g). */
static void check_results_tables(const char *run, const char *md)
{
    char path[512], msg[512];
    snprintf(path, sizeof path, "%s/results.json", run);
    cJSON *res = ob_json_read(path, msg, sizeof msg);
    cr_assert(res, "%s", msg);
    const char *meta_keys[] = {"cpu_model", "compiler", "git_commit", "build_flags"};
    cJSON *meta = cJSON_GetObjectItem(res, "meta");
    for (size_t k = 0; k < 4; k++) {
        const char *v = cJSON_GetObjectItem(meta, meta_keys[k])->valuestring;
        cr_assert(strstr(md, v), "report.md lacks meta %s (%s)", meta_keys[k], v);
    }
    cJSON *c;
    size_t checked = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(res, "cases"))
    {
        const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
        cr_assert(strstr(md, id), "report.md lacks case %s", id);
        cJSON *isa = cJSON_GetObjectItem(c, "isa"), *path_j = NULL, *it;
        cJSON_ArrayForEach(it, isa) path_j = it; /* the widest ISA: what the tables show */
        const char *keys[] = {"final_loss", "final_gap"};
        for (size_t k = 0; k < 2; k++) {
            cJSON *v = cJSON_GetObjectItem(path_j, keys[k]);
            if (!cJSON_IsNumber(v)) continue;
            char num[64];
            snprintf(num, sizeof num, "%.4g", v->valuedouble);
            cr_assert(strstr(md, num), "report.md lacks %s's %s %s", id, keys[k], num);
            checked++;
        }
        cJSON *ref_loss = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "reference"), "final_loss");
        char num[64];
        snprintf(num, sizeof num, "%.4g", ref_loss->valuedouble);
        cr_assert(strstr(md, num), "report.md lacks %s's fp64 final loss %s", id, num);
        cJSON *stt = cJSON_GetObjectItem(path_j, "steps_to_target");
        if (cJSON_IsNumber(stt)) {
            snprintf(num, sizeof num, "| %.0f |", stt->valuedouble);
            cr_assert(strstr(md, num), "report.md lacks %s's steps to target %s", id, num);
        }
        /* The agreement maximum of this case is at most the table's. */
        cJSON *a = cJSON_GetObjectItem(path_j, "agreement");
        snprintf(num, sizeof num, "| %g |", cJSON_GetObjectItem(a, "bound_u")->valuedouble);
        cr_assert(strstr(md, num), "report.md lacks the bound %s", num);
    }
    cr_assert_geq(checked, 6);
    /* Per optimizer, the largest max_error_u over the cases appears. */
    const char *opts[] = {"adam", "sgd"};
    for (size_t k = 0; k < 2; k++) {
        double worst = -1;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(res, "cases"))
        {
            if (strcmp(cJSON_GetObjectItem(c, "optimizer")->valuestring, opts[k])) continue;
            cJSON *it;
            cJSON_ArrayForEach(it, cJSON_GetObjectItem(c, "isa"))
            {
                double e =
                    cJSON_GetObjectItem(cJSON_GetObjectItem(it, "agreement"), "max_error_u")->valuedouble;
                if (e > worst) worst = e;
            }
        }
        char num[64];
        snprintf(num, sizeof num, "%.4g", worst);
        cr_assert(strstr(md, num), "report.md lacks %s's agreement maximum %s", opts[k], num);
    }
    cr_assert(strstr(md, "✓"), "no bit-identity marks");
    cJSON_Delete(res);
}

/* The tables carry bench.csv's numbers: throughput and mixed precision. */
static void check_bench_tables(const char *md)
{
    /* Throughput: GB/s and the ratio to the ceiling of a bench row. */
    /* (This bench.csv predates mem_ceiling_probe: "ceiling set by" is "–".) */
    cr_assert(strstr(md, "| adam | avx512 | approx | 1 | 1048576 | 0.5622 | 49.8 | 122.6 | – | 41% |"),
              "the throughput table lacks the adam avx512 approx row:\n%s", strstr(md, "## Throughput"));
    cr_assert(strstr(md, "torch"), "the peer is missing");
    /* The findings' throughput line: avx512 exact adam at 1Mi (0.293 of
     * the memory ceiling) and 4Ki (0.4725 of its bound); torch against
     * the fastest exact adam at the same thread count: 3.1/1.24 and
     * 2.9/0.6186 at 1 thread, 7.7/0.91 at 2 (tests/test_report_peers.c
     * checks the pairing itself). */
    cr_assert(strstr(md, "Throughput: the exact avx512 kernels at 0.29–0.29 of the memory ceiling at 1Mi and "
                         "0.47–0.47 of their bounding ceiling at 4Ki; torch took 2.50–4.69× optbench's time at 1 "
                         "thread (2 cases), 8.46–8.46× at 2 threads (1 case)"),
              "the findings' throughput line:\n%.1200s", md);
    /* Mixed precision: every storage format with Adam's bytes per parameter. */
    cr_assert(strstr(md, "## Mixed precision"), "no mixed-precision section");
    cr_assert(strstr(md, "| bf16 | bf16 | bf16 | bf16 | nearest even | 14 | 4 |") &&
                  strstr(md, "| bf16-state | f32 | f32 | bf16 | – | 20 | 4 |"),
              "the formats table:\n%s", strstr(md, "## Mixed precision"));
}

Test(report, every_script_renders_and_the_report_links_every_figure, .timeout = 120)
{
    char run[128];
    generate_run("adam,sgd", "booth,quad_diag,sparse_logreg", "40", run, sizeof run);
    write_bench(run);
    ob_report_summary s;
    build(run, NULL, NULL, &s);
    for (size_t i = 0; i < s.n_figures; i++)
        cr_assert(s.figures[i].ok, "figure %s failed: %s", s.figures[i].name, s.figures[i].error);
    cr_assert_eq(s.n_failed, 0);
    cr_assert_eq(s.n_missing, 0, "unexpected missing input: %s", s.n_missing ? s.missing[0] : "");

    check_scripts(&s);
    check_figure_set(&s, run);
    check_figure_files(&s, run);
    check_document_links(&s, run);
    char *md = slurp(s.md);
    check_results_tables(run, md);
    check_bench_tables(md);
    /* The Monitoring section: in the contents, with a row of final values
     * per case (SGD's effective lr and bias corrections: none). */
    cr_assert(strstr(md, "- [Monitoring](#monitoring)") && strstr(md, "## Monitoring"),
              "no Monitoring section");
    const char *mon = strstr(md, "## Monitoring");
    cr_assert(strstr(mon, "| booth.sgd | ") && strstr(mon, " | – | – | – | – | – | 0 | – | – |"),
              "the monitoring table:\n%s", mon);
    /* sparse_logreg's held-out columns are in the table. */
    const char *sp = strstr(mon, "| sparse_logreg.adam | ");
    cr_assert(sp && strstr(sp, " / 0.") && strstr(sp, " | – |\n"), "the held-out cells:\n%s", mon);
    free(md);

    /* The command line gives the same result, with progress on stderr. */
    char *out, *err;
    report_cli(run, NULL, NULL, 0, &out, &err);
    cr_assert(strstr(out, "report.html") && strstr(err, "[report] figure 1/"), "out: %s\nerr: %s", out, err);
    free(out);
    free(err);
    ob_report_summary_free(&s);
    cleanup();
}

/* ---- partial runs and failures --------------------------------------------- */

Test(report, a_partial_run_still_gets_a_report_that_names_what_is_missing, .timeout = 60)
{
    char run[128], path[512];
    generate_run("adam,sgd", "booth", "20", run, sizeof run);
    snprintf(path, sizeof path, "%s/cases/booth.adam.csv", run);
    cr_assert_eq(unlink(path), 0);
    ob_report_summary s;
    build(run, NULL, NULL, &s);
    cr_assert_geq(s.n_missing, 2);
    cr_assert_eq(s.n_failed, 0, "%s", s.n_failed ? s.figures[0].error : "");
    cr_assert_null(find_figure(&s, "throughput-adam"), "throughput without bench.csv");
    cr_assert(find_figure(&s, "convergence-booth"), "the SGD case still has its CSV");
    cr_assert(find_figure(&s, "agreement-error") && find_figure(&s, "memory"));
    char *md = slurp(s.md);
    cr_assert(strstr(md, "bench.csv is missing"), "%s", md);
    cr_assert(strstr(md, "booth.adam: its per-step CSV (cases/booth.adam.csv) is missing"), "%s", md);
    cr_assert(strstr(md, "Missing from this report") && strstr(md, "Not measured"));
    free(md);
    check_links(run, s.html, (const char *const[]){"src=\"", "href=\"", NULL});
    ob_report_summary_free(&s);

    /* Without results.json at all the report is still written. */
    snprintf(path, sizeof path, "%s/results.json", run);
    cr_assert_eq(unlink(path), 0);
    write_bench(run);
    char *out, *err;
    report_cli(run, "--quiet", NULL, 0, &out, &err);
    cr_assert(strstr(err, "results.json is missing"), "%s", err);
    md = slurp_in(run, "report.md");
    cr_assert(strstr(md, "results.json is missing") && strstr(md, "## Throughput") &&
              strstr(md, "| adam | avx2 |"));
    free(md);
    free(out);
    free(err);
    cleanup();
}

Test(report, a_missing_gnuplot_is_named_and_the_report_is_still_written, .timeout = 60)
{
    char run[128];
    generate_run("adam", "booth", "10", run, sizeof run);
    char *out, *err;
    report_cli(run, "--gnuplot", "/nonexistent/gnuplot", 1, &out, &err);
    cr_assert(strstr(err, "cannot run '/nonexistent/gnuplot' (needed for ") &&
                  strstr(err, "convergence.gp") && strstr(err, "gnuplot-nox"),
              "%s", err);
    char *html = slurp_in(run, "report.html");
    cr_assert(strstr(html, "cannot run") && !strstr(html, "<img"), "the report should name the failure");
    free(html);
    char *results = slurp_in(run, "results.json");
    cr_assert(strstr(results, "\"cases\""), "the run's results were lost");
    free(results);
    free(out);
    free(err);
    cleanup();
}

Test(report, a_broken_script_is_named_and_an_earlier_figure_survives, .timeout = 60)
{
    char run[128];
    generate_run("adam", "booth", "10", run, sizeof run);
    ob_report_summary s;
    build(run, NULL, NULL, &s);
    cr_assert_eq(s.n_failed, 0);
    ob_report_summary_free(&s);
    char png[512];
    snprintf(png, sizeof png, "%s/figures/agreement-identity.png", run);
    int before = file_size(png);
    cr_assert_gt(before, 0);

    /* A copy of plot/ with identity.gp broken. */
    char dir[64], cmd[512], path[512];
    snprintf(dir, sizeof dir, "/tmp/optbench-test-plot-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "cp %s/*.gp %s/", file_size("plot/style.gp") > 0 ? "plot" : "../plot", dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/identity.gp", dir);
    spit(path, "load 'style.gp'\nplot no_such_function(x)\n");
    build(run, dir, NULL, &s);
    const ob_report_figure *f = find_figure(&s, "agreement-identity");
    cr_assert(f && !f->ok);
    cr_assert(strstr(f->error, "identity.gp") && strstr(f->error, "gnuplot exit status"), "%s", f->error);
    cr_assert_eq(s.n_failed, 1, "only the broken script may fail");
    cr_assert_eq(file_size(png), before, "the figure rendered before was lost");
    char *md = slurp(s.md);
    cr_assert(strstr(md, "agreement-identity") && strstr(md, "identity.gp"),
              "the report should name the script");
    free(md);
    ob_report_summary_free(&s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    cleanup();
}

Test(report, no_such_run_folder_is_a_usage_error)
{
    char *out, *err;
    report_cli("/nonexistent/run", NULL, NULL, 2, &out, &err);
    cr_assert(strstr(err, "no run folder /nonexistent/run"), "%s", err);
    free(out);
    free(err);
}

Test(report, the_reproductions_hook_renders_repro_json, .timeout = 60)
{
    char run[128], path[512];
    generate_run("adam", "booth", "10", run, sizeof run);
    snprintf(path, sizeof path, "%s/repro", run);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/repro/fig1.png", run);
    spit(path, "\x89PNG\r\n\x1a\n not really");
    snprintf(path, sizeof path, "%s/repro/repro.json", run);
    spit(path,
         "{\"summary\": \"1 of 2 claims reproduced.\", \"entries\": ["
         "{\"name\": \"amsgrad-thm1\", \"citation\": \"Reddi et al. 2018, Thm 1\","
         " \"claim\": \"Adam converges to the worst point\", \"verdict\": \"reproduced\","
         " \"figures\": [\"repro/fig1.png\"]},"
         "{\"name\": \"other\", \"citation\": \"X 2020\", \"claim\": \"c\", \"verdict\": \"not reproduced\","
         " \"figures\": [\"repro/absent.png\", \"../outside.png\"]}]}");
    char *out, *err;
    report_cli(run, "--no-figures", "--quiet", 0, &out, &err);
    char *md = slurp_in(run, "report.md");
    cr_assert(strstr(md, "## Reproductions") && strstr(md, "1 of 2 claims reproduced."), "%s", md);
    cr_assert(strstr(md, "| amsgrad-thm1 | Reddi et al. 2018, Thm 1 | Adam converges to the worst point | "
                         "reproduced |"),
              "%s", md);
    cr_assert(strstr(md, "](repro/fig1.png)"));
    cr_assert(strstr(md, "repro/absent.png` of other is missing") &&
                  strstr(md, "../outside.png` of other is missing"),
              "%s", md);
    free(md);
    snprintf(path, sizeof path, "%s/report.html", run);
    check_links(run, path, (const char *const[]){"src=\"", "href=\"", NULL});
    free(out);
    free(err);
    cleanup();
}

/* The tuned comparison: a real (tiny) sweep added to the run folder shows
 * up with each optimizer's best setting and its figure. */
Test(report, the_tuned_comparison_renders_sweep_json, .timeout = 120)
{
    char run[128];
    generate_run("adam", "booth", "10", run, sizeof run);
    const char *sw[] = {"optbench", "sweep",       "--opt",   "sgd,adam", "--problem", "booth",
                        "--grid",   "lr=0.01,0.1", "--steps", "50",       "--jobs",    "1",
                        "--run",    run,           "--quiet", NULL};
    char *out, *err;
    int rc = ob_cli_capture(sw, &out, &err);
    cr_assert_eq(rc, 0, "sweep failed (%d): %s", rc, err);
    free(out);
    free(err);
    report_cli(run, "--quiet", NULL, 0, &out, &err);
    char *md = slurp_in(run, "report.md");
    cr_assert(strstr(md, "## Tuned comparison"), "%s", md);
    cr_assert(strstr(md, "| booth | sgd | lr=") && strstr(md, "| booth | adam | lr="), "%s", md);
    cr_assert(strstr(md, "](sweep/booth.png)"), "the sensitivity figure is not linked:\n%s", md);
    free(md);
    char path[512];
    snprintf(path, sizeof path, "%s/report.html", run);
    check_links(run, path, (const char *const[]){"src=\"", "href=\"", NULL});
    free(out);
    free(err);
    cleanup();
}

/* A bench of a single optimizer: the speed-up figure has one group and
 * no mark, which used to kill gnuplot 5.4 with SIGSEGV; it must render. */
Test(report, a_bench_of_one_optimizer_renders_the_speedup_figure, .timeout = 120)
{
    char run[128], path[512];
    generate_run("sgd", "booth", "10", run, sizeof run);
    snprintf(path, sizeof path, "%s/bench.csv", run);
    spit(
        path,
        "kind,opt,isa,variant,size,threads,bytes_per_elem,ns_per_elem,elems_per_s,gb_per_s,mem_ceiling_gb_per_s,"
        "frac_mem_ceiling,div_ceiling_ns_per_elem,frac_div_ceiling,speedup_vs_scalar,bound,frac_bound\n"
        "kernel,sgd,scalar,exact,4096,1,12,0.9,1.1e+09,13.3,19.0,0.70,,,1,memory,0.70\n"
        "kernel,sgd,avx2,exact,4096,1,12,0.1,1e+10,120.5,141.8,0.85,,,9,memory,0.85\n"
        "kernel,sgd,scalar,exact,1048576,1,12,1.1,9.1e+08,10.9,25.0,0.44,,,1,memory,0.44\n"
        "kernel,sgd,avx2,exact,1048576,1,12,0.55,1.8e+09,21.8,25.0,0.87,,,2,memory,0.87\n");
    ob_report_summary s;
    build(run, NULL, NULL, &s);
    const ob_report_figure *f = find_figure(&s, "throughput-speedup");
    cr_assert(f, "no speed-up figure planned");
    cr_assert(f->ok, "speed-up figure not rendered: %s", f->error);
    cr_assert_eq(s.n_failed, 0, "a figure failed");
    snprintf(path, sizeof path, "%s/figures/throughput-speedup.png", run);
    cr_assert_gt(file_size(path), 1000, "%s", path);
    ob_report_summary_free(&s);
    cleanup();
}

/* model.json (`bench --model`) renders as the whole-models table: the
 * figures, the torch columns and, without torch, the reason in them. */
Test(report, the_model_table_renders_model_json, .timeout = 60)
{
    snprintf(root, sizeof root, "/tmp/optbench-test-report-XXXXXX");
    cr_assert(mkdtemp(root) != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/model.json", root);
    static const char head[] =
        "{\"model\": \"resnet18\", \"tensors\": 62, \"parameters\": 11689512, \"opt\": \"adam\", \"isa\": "
        "\"avx512\", \"overhead_list_tensors\": 4096, \"overhead_list_length\": 64, ";
    static const char measured[] =
        "\"torch\": {\"status\": \"measured\", \"detail\": \"same list\"}, \"rows\": [{\"threads\": 1, "
        "\"flat_ms\": 6.06, \"multi_ms\": 6.11, \"loop_ms\": 6.17, \"flat_over_multi\": 0.992, "
        "\"multi_ns_per_tensor\": 1.3, \"loop_ns_per_tensor\": 5.1, \"torch_foreach_ms\": 146.5, "
        "\"torch_single_ms\": 83.3, \"torch_foreach_over_multi\": 23.98, \"torch\": \"measured\"}]}";
    static const char absent[] =
        "\"torch\": {\"status\": \"not installed\", \"detail\": \"no torch\"}, \"rows\": [{\"threads\": 2, "
        "\"flat_ms\": 5.23, \"multi_ms\": 5.14, \"loop_ms\": 5.4, \"flat_over_multi\": 1.018, "
        "\"multi_ns_per_tensor\": 1.8, \"loop_ns_per_tensor\": 14.5, \"torch_foreach_ms\": null, "
        "\"torch_single_ms\": null, \"torch_foreach_over_multi\": null, \"torch\": \"not installed\"}]}";
    const char *const bodies[] = {measured, absent};
    const char *const want[] = {"| 1 | 6.06 | 6.11 | 6.17 | 0.992 | 1.3 | 5.1 | 146.5 | 83.3 | 24.0 |",
                                "| 2 | 5.23 | 5.14 | 5.4 | 1.018 | 1.8 | 14.5 | not installed | not installed | "
                                "not installed |"};
    for (int k = 0; k < 2; k++) {
        char json[2048];
        snprintf(json, sizeof json, "%s%s", head, bodies[k]);
        spit(path, json);
        char *out, *err;
        report_cli(root, "--no-figures", "--quiet", 0, &out, &err);
        char *md = slurp_in(root, "report.md");
        cr_assert(strstr(md, "## Whole models: the multi-tensor step") &&
                      strstr(md, "`optbench bench --model resnet18`: 62 tensors, 11689512 parameters"),
                  "%s", md);
        cr_assert(strstr(md, want[k]), "expected '%s' in:\n%s", want[k], md);
        free(md);
        free(out);
        free(err);
    }
    cleanup();
}
