/*
 * report_internal.h — what the report's translation units share: a small
 * CSV reader, the loaded run, the Markdown+HTML writer and the figure
 * builders.  Not part of the public API (that is ob_report.h).
 */
#ifndef OB_REPORT_INTERNAL_H
#define OB_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "optbench/optimizers.h"
#include "ob_report.h"

/* ---- CSV tables (case CSVs, bench.csv, all with a header line) ---------- */

typedef struct rp_table {
    size_t ncols, nrows;
    char **names; /* ncols column names */
    char **cells; /* nrows * ncols, row-major; never NULL ("" when empty) */
    char *buf;    /* the file's text, which names and cells point into */
} rp_table;

int rp_table_read(const char *path, rp_table *t, char *err, size_t errlen);
void rp_table_free(rp_table *t);
int rp_table_col(const rp_table *t, const char *name);            /* -1: absent */
const char *rp_table_str(const rp_table *t, size_t row, int col); /* "" if col < 0 */
double rp_table_num(const rp_table *t, size_t row, int col);      /* NaN: empty/absent */

/* The marks of the report's tables: passed, failed. */
#define RP_MARK_OK "✓"
#define RP_MARK_BAD "✗"

/* ---- the loaded run ---------------------------------------------------- */

typedef struct rp_case {
    const cJSON *j;                 /* the record in results.json */
    const char *id, *problem, *opt; /* opt: the optimizer, or its label below */
    char label[96];                 /* "adam+sam", "sgd+asam": SAM cases, drawn as their own series */
    char csv[4400];                 /* the per-step CSV */
    char csv_rel[300];              /* the same, relative to the run folder */
    int has_csv;                    /* it exists */
    const cJSON *ref;               /* the fp64 path's record */
    const cJSON *isa[OB_ISA_COUNT]; /* each fp32 path's record; NULL: not run */
    int shown;                      /* the ISA the figures draw; -1: none ran */
    size_t n;                       /* dimension */
    int has_fstar;
    double fstar, tol;
} rp_case;

typedef struct rp_model {
    const char *dir;  /* the run folder */
    char run_id[256]; /* its name (after resolving a link) */
    cJSON *results;   /* results.json, NULL if missing */
    const cJSON *meta;
    rp_case *cases;
    size_t n_cases;
    const char **problems; /* in the order of first appearance */
    size_t n_problems;
    const char **opts; /* table order, then any others */
    size_t n_opts;
    int isa_seen[OB_ISA_COUNT]; /* some case ran this ISA */
    rp_table bench;             /* bench.csv */
    int has_bench;
    struct { /* its columns (-1: absent) */
        int kind, opt, isa, variant, size, threads, bytes, ns, gbps, ceil, frac, speedup, bound, frac_bound,
            ceil_probe; /* -1 in files written before the column existed */
    } bc;
    cJSON *bench_json;      /* bench.json, NULL if missing */
    cJSON *repro;           /* repro/repro.json, NULL if missing */
    cJSON *sweep;           /* sweep/sweep.json, NULL if missing */
    cJSON *search_compare;  /* sweep-compare/compare.json, NULL if missing */
    cJSON *profile;         /* profile/profile.json (`optbench profile`), NULL if missing */
    cJSON *model_bench;     /* model.json (`optbench bench --model`), NULL if missing */
    /* Cases on problem instances >= 1 (run --instances): not drawn per
     * problem, counted for the aggregate section. */
    size_t inst_cases, inst_bad;
    double max_instance;
    ob_report_summary *sum; /* where missing inputs are noted */
    const struct ob_plugin_kernel *const *plugins; /* report --plugin */
    size_t n_plugins;
} rp_model;

int rp_model_load(rp_model *m, const char *dir, ob_report_summary *sum, char *err, size_t errlen);
void rp_model_free(rp_model *m);
/* Notes a missing or unreadable input (printf-style) in the summary. */
void rp_missing(ob_report_summary *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The cases of a problem, in the order of m->opts. */
size_t rp_problem_cases(const rp_model *m, const char *problem, const rp_case **out, size_t max);
const rp_case *rp_find_case(const rp_model *m, const char *problem, const char *opt);
/* 1: every case of opt that ran ISA isa matched scalar bit for bit; 0: one
 * did not; -1: none ran it (or scalar did not run to compare with). */
int rp_identity(const rp_model *m, const char *opt, int isa);
/* The worst single-step agreement error of an fp32 path (u*S), +inf when
 * it was not finite (results.json writes null) and the check failed; NaN
 * when the path has no agreement record.  *bound gets the bound (or NaN). */
double rp_agree_error(const cJSON *path, double *bound);
/* A number from a JSON object; NaN if absent, null or not a number. */
double rp_num(const cJSON *o, const char *key);
const char *rp_str(const cJSON *o, const char *key); /* "" if absent */
/* "%.4g", or "–" for NaN. */
void rp_fmt(char *buf, size_t len, double v);
/* 1 when path is an existing regular file. */
int rp_file_exists(const char *path);

/* ---- Markdown + HTML, written side by side ------------------------------ */

#define RP_MAX_COLS 16

typedef struct rp_row {
    size_t n;
    char cell[RP_MAX_COLS][320];
} rp_row;

typedef struct rp_doc {
    FILE *md, *html;
    char *md_buf, *html_buf;
    size_t md_len, html_len;
    size_t ncols; /* of the open table */
    int in_list;  /* a <ul> is open */
    /* The level-2 headings written, for a table of contents. */
    char toc_anchor[24][48], toc_text[24][96];
    size_t n_toc;
} rp_doc;

/* Appends a printf-formatted cell to r (text; `code` spans allowed). */
void rp_cell(rp_row *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends plain cells, up to a NULL (a table's header). */
void rp_cells(rp_row *r, ...) __attribute__((sentinel));
int rp_doc_open(rp_doc *d);
void rp_doc_close(rp_doc *d); /* frees the buffers */
void rp_doc_heading(rp_doc *d, int level, const char *anchor, const char *text);
/* A table of contents of `of`'s level-2 headings, written into d. */
void rp_doc_toc(rp_doc *d, const rp_doc *of);
/* A paragraph: plain text in which `x` marks code. */
void rp_doc_para(rp_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_doc_item(rp_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_doc_items_end(rp_doc *d);
/* align: one of 'l'/'r' per column. */
void rp_doc_table(rp_doc *d, const rp_row *head, const char *align);
void rp_doc_row(rp_doc *d, const rp_row *r);
void rp_doc_table_end(rp_doc *d);
/* An image (path relative to the report), linked to `link` (NULL: none). */
void rp_doc_figure(rp_doc *d, const char *img, const char *link, const char *alt, const char *caption);
/* Raw HTML only (the report's head and foot). */
void rp_doc_html(rp_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every figure of `section` in the summary, in order, each under its
 * caption; a figure that was not rendered is named with its error. */
void rp_doc_figures(rp_doc *d, const ob_report_summary *s, const char *section);

/* ---- figures ----------------------------------------------------------- */

/* A figure to render: its record in the summary, and how to render it. */
typedef struct rp_job {
    size_t fig;   /* index in sum->figures */
    char *assign; /* gnuplot -e text (malloc'd) */
    size_t assign_len;
} rp_job;

typedef struct rp_plan {
    rp_job *jobs;
    size_t n;
    const char *rundir;   /* gnuplot runs here; paths are relative to it */
    char opt_names[1024]; /* every optimizer, in colour order (style.gp) */
} rp_plan;

/* Adds a figure; returns its job to fill with rp_assign*, or NULL when
 * out of memory. */
rp_job *rp_plan_add(rp_plan *p, ob_report_summary *s, const char *section, const char *name,
                    const char *script, int width, int height, const char *caption_fmt, ...)
    __attribute__((format(printf, 8, 9)));
/* Appends `name='value'; ` (a gnuplot string, quoted) or `name=value; ` (a
 * number) to the job's -e text. */
void rp_assign(rp_job *j, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rp_assign_num(rp_job *j, const char *name, double v);
/* Renders every planned figure (progress on `progress`), recording the
 * outcome of each in the summary. */
void rp_render(rp_plan *p, ob_report_summary *s, const char *plot_dir, const char *gnuplot, FILE *progress);
/* Marks figure f as failed (never rendered) with a message. */
void rp_fig_fail(ob_report_summary *s, size_t f, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Plans every figure the loaded run allows, writing their data files. */
int rp_plan_figures(rp_plan *p, const rp_model *m, char *err, size_t errlen);
/* The throughput, speed-up and memory figures (report_figures_bench.c),
 * planned by rp_plan_figures after the others.  0, or -1 (message in err,
 * or empty when out of memory). */
int rp_plan_bench_figures(rp_plan *p, const rp_model *m, char *err, size_t errlen);

/* A growing string for word lists ("a b c") and figure data files. */
typedef struct rp_sbuf {
    FILE *f;
    char *s;
    size_t len;
} rp_sbuf;

int rp_sb_open(rp_sbuf *b); /* 0, or -1 when out of memory */
/* Closes the stream; the text stays in b->s (free it). */
const char *rp_sb_text(rp_sbuf *b);
void rp_sb_word(rp_sbuf *b, const char *w); /* appends w, space-separated */
/* Writes a figure's data file (figures/data/<file>, in the run folder) and
 * plans the figure with `data` pointing at it.  NULL (message in err) if
 * either fails. */
rp_job *rp_data_figure(rp_plan *p, const rp_model *m, const char *file, rp_sbuf *data, const char *section,
                       const char *name, const char *script, const char *caption, char *err, size_t errlen);
void rp_plan_free(rp_plan *p);
/* The monitor figures (report_monitor.c): one per case of the chosen
 * problems, planned by rp_plan_figures.  0, or -1 when out of memory. */
int rp_plan_monitor(rp_plan *p, const rp_model *m);

/* The HTML head of a report (printf format: one %s, the title's run). */
extern const char rp_html_head[];
/* Writes top, a table of contents of d's level-2 headings, then d into
 * <dir>/report.md and <dir>/report.html (atomically); notes both paths in
 * sum.  0, or -1 with a message. */
int rp_docs_write(rp_doc *top, rp_doc *d, const char *dir, ob_report_summary *sum, char *err, size_t errlen);
/* Writes the report documents for the run and the rendered figures. */
int rp_write_documents(const rp_model *m, char *err, size_t errlen);
/* The sections on the other commands' outputs (report_throughput.c,
 * report_others.c), in the order rp_write_documents writes them; each
 * writes nothing (or a note) when its input is missing. */
void rp_section_throughput(rp_doc *d, const rp_model *m);
/* The throughput line of the findings (report_throughput.c): the exact
 * kernels of the widest ISA measured against the memory ceiling at the
 * largest size and the bounding ceiling at the smallest, and each peer
 * against optbench's fastest exact fp32 kernel of the same optimizer,
 * size and thread count, one range per peer and thread count (with the
 * load average where other work left a multi-thread case short of
 * cores); "" when bench.csv has no kernel row. */
void rp_throughput_finding(const rp_model *m, char *buf, size_t len);
void rp_section_memory(rp_doc *d, const rp_model *m);
void rp_section_formats(rp_doc *d, const rp_model *m);
void rp_section_repro(rp_doc *d, const rp_model *m);
/* The plugin kernels of `run --plugin` (nothing when none ran). */
void rp_plugin_table(rp_doc *d, const rp_model *m);
void rp_section_sweep(rp_doc *d, const rp_model *m);
/* model.json's table (bench --model): the list against one flat array,
 * the per-tensor overheads and torch.optim's foreach and single-tensor
 * paths.  Nothing without model.json. */
void rp_section_models(rp_doc *d, const rp_model *m);
/* The per-step diagnostics: a table of final values and the monitor
 * figures (nothing for a run written before the columns existed). */
void rp_section_monitoring(rp_doc *d, const rp_model *m);
/* The aggregate comparison: profile/profile.json's ranking and figures
 * (report_profile.c). */
void rp_section_profile(rp_doc *d, const rp_model *m);
/* The findings at the top: the score ranking and its figure (nothing
 * without a profile). */
void rp_profile_findings(rp_doc *d, const rp_model *m);

#endif
