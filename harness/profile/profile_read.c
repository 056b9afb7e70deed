/*
 * profile_read.c — the runs of `optbench profile` read into cases: for
 * each case of each results.json, its solver, problem instance, family and
 * dimension, and the runtimes of the profiled path (fp32: scalar, else the
 * first ISA; or the reference) or, where f* is unknown, its loss trace.
 */
#include "profile_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/problems.h"
#include "harness/core/ob_core.h"

double pf_target(size_t j)
{
    return pow(10.0, 2.0 - (double)j / 5.0);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The path profiled: the reference, or scalar, else the first ISA. */
static const cJSON *pick_path(const cJSON *c, const char *path)
{
    if (!strcmp(path, "reference")) return cJSON_GetObjectItemCaseSensitive(c, "reference");
    const cJSON *isa = cJSON_GetObjectItemCaseSensitive(c, "isa");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(isa, "scalar");
    return p ? p : (isa ? isa->child : NULL);
}

/* Solver and instance key from the id "<problem>.<solver>[.i<k>][.<d>]". */
static void split_id(const char *id, const char *problem, pf_case *pc)
{
    size_t lp = strlen(problem);
    const char *rest = strncmp(id, problem, lp) == 0 && id[lp] == '.' ? id + lp + 1 : id;
    size_t ls = strcspn(rest, ".");
    snprintf(pc->solver, sizeof pc->solver, "%.*s", (int)ls, rest);
    snprintf(pc->key, sizeof pc->key, "%s%s", problem, rest + ls);
}

static int read_case(const cJSON *c, const char *path, pf_case *pc, char *err, size_t errlen)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id"));
    const char *pn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "problem"));
    const cJSON *p = pick_path(c, path);
    if (!id || !pn || !p) return ob_fail(err, errlen, "a case without id, problem or %s path", path);
    memset(pc, 0, sizeof *pc);
    snprintf(pc->problem, sizeof pc->problem, "%s", pn);
    split_id(id, pn, pc);
    const ob_problem_spec *spec = ob_problem_find(pn);
    snprintf(pc->family, sizeof pc->family, "%s", spec ? spec->family : "other");
    pc->dim = num(cJSON_GetObjectItemCaseSensitive(c, "problem_config"), "n");
    pc->gpe = num(c, "grad_evals_per_step");
    if (!(pc->gpe > 0)) pc->gpe = 1;
    pc->fstar = num(c, "fstar");
    pc->has_fstar = isfinite(pc->fstar);
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(p, "runtimes");
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(p, "loss_trace");
    if (pc->has_fstar) {
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(rt, "evals");
        if (cJSON_GetArraySize(ev) != PF_TARGETS)
            return ob_fail(err, errlen, "%s: no runtimes to targets (a run before they were recorded?)", id);
        pc->f0 = num(rt, "f0");
        for (int j = 0; j < PF_TARGETS; j++) {
            const cJSON *v = cJSON_GetArrayItem(ev, j);
            pc->evals[j] = cJSON_IsNumber(v) ? v->valuedouble : INFINITY;
        }
        return 0;
    }
    int nt = cJSON_GetArraySize(tr);
    if (nt < 1) return ob_fail(err, errlen, "%s: no loss trace (a run before they were recorded?)", id);
    pc->trace_s = malloc((size_t)nt * sizeof *pc->trace_s);
    pc->trace_f = malloc((size_t)nt * sizeof *pc->trace_f);
    if (!pc->trace_s || !pc->trace_f) return ob_fail(err, errlen, "out of memory");
    for (int i = 0; i < nt; i++) {
        const cJSON *pt = cJSON_GetArrayItem(tr, i);
        const cJSON *s = cJSON_GetArrayItem(pt, 0), *f = cJSON_GetArrayItem(pt, 1);
        pc->trace_s[i] = cJSON_IsNumber(s) ? s->valuedouble : NAN;
        pc->trace_f[i] = cJSON_IsNumber(f) ? f->valuedouble : NAN;
    }
    pc->n_trace = (size_t)nt;
    pc->f0 = pc->trace_f[0];
    return 0;
}

void pf_free(pf_model *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->c[i].trace_s);
        free(m->c[i].trace_f);
    }
    free(m->c);
    memset(m, 0, sizeof *m);
}

/* What the run is, from its command line (an array of arguments): the
 * tuned comparison (`run --from-sweep DIR`: each optimizer at the best
 * setting of the sweep in DIR), the default suite, a suite file or a
 * command line's cases. */
static void source_of(const cJSON *doc, char *out, size_t len)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "meta"), *arg;
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(meta, "command_line");
    int suite = 0, problem = 0;
    const char *sweep = NULL;
    cJSON_ArrayForEach(arg, cl)
    {
        const char *v = cJSON_GetStringValue(arg);
        suite |= v && !strncmp(v, "--suite", 7);
        problem |= v && !strncmp(v, "--problem", 9);
        if (v && !strcmp(v, "--from-sweep") && arg->next) sweep = cJSON_GetStringValue(arg->next);
        else if (v && !strncmp(v, "--from-sweep=", 13)) sweep = v + 13;
    }
    if (sweep) {
        snprintf(out, len, "tuned, the best settings of sweep %.100s", sweep);
        return;
    }
    snprintf(out, len, "%s",
             !cJSON_IsArray(cl) ? "runs"
             : suite            ? "a suite file"
             : problem          ? "command-line cases"
                                : "the default suite (default hyperparameters, not tuned)");
}

/* The label of run r: given, else the folder's name. */
static void run_label(const ob_profile_opts *o, size_t r, char *out, size_t len)
{
    const char *l = o->labels && o->labels[r] ? o->labels[r] : NULL;
    if (!l) {
        size_t n = strlen(o->runs[r]);
        while (n > 1 && o->runs[r][n - 1] == '/') n--;
        const char *end = o->runs[r] + n, *b = end;
        while (b > o->runs[r] && b[-1] != '/') b--;
        snprintf(out, len, "%.*s", (int)(end - b), b);
        return;
    }
    snprintf(out, len, "%s", l);
}

static int read_run(const char *dir, const char *path, pf_model *m, char *src, size_t srclen, char *err,
                    size_t errlen)
{
    char file[4200], msg[1024];
    snprintf(file, sizeof file, "%s/results.json", dir);
    cJSON *doc = ob_results_read(file, msg, sizeof msg);
    if (!doc) return ob_fail(err, errlen, "%s", msg);
    source_of(doc, src, srclen);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(doc, "cases"), *c;
    size_t add = (size_t)cJSON_GetArraySize(cases);
    pf_case *grown = realloc(m->c, (m->n + add + 1) * sizeof *grown);
    if (!grown) {
        cJSON_Delete(doc);
        return ob_fail(err, errlen, "out of memory for %zu cases", m->n + add);
    }
    m->c = grown;
    cJSON_ArrayForEach(c, cases)
    {
        if (read_case(c, path, &m->c[m->n], msg, sizeof msg) != 0) {
            m->n++; /* freed with the rest */
            cJSON_Delete(doc);
            return ob_fail(err, errlen, "%s: %s", file, msg);
        }
        m->c[m->n].run = m->n_runs;
        if (m->labels[0]) { /* overlay: "<solver>@<label>" */
            const char *lab = strrchr(m->labels, ' ') ? strrchr(m->labels, ' ') + 1 : m->labels;
            size_t l = strlen(m->c[m->n].solver);
            snprintf(m->c[m->n].solver + l, sizeof m->c[m->n].solver - l, "@%s", lab);
        }
        for (size_t i = 0; i + 1 <= m->n; i++)
            if (!strcmp(m->c[i].key, m->c[m->n].key) && !strcmp(m->c[i].solver, m->c[m->n].solver)) {
                cJSON_Delete(doc);
                m->n++;
                return ob_fail(err, errlen, "%s: case %s.%s is in more than one run", file, m->c[m->n - 1].key,
                               m->c[m->n - 1].solver);
            }
        m->n++;
    }
    cJSON_Delete(doc);
    return 0;
}

int pf_read(const ob_profile_opts *o, pf_model *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    snprintf(m->path, sizeof m->path, "%s", o->path ? o->path : "fp32");
    if (strcmp(m->path, "fp32") && strcmp(m->path, "reference"))
        return ob_fail(err, errlen, "--path '%s': fp32 or reference", m->path), OB_EXIT_USAGE;
    char src[sizeof m->source] = "";
    for (size_t r = 0; r < o->n_runs; r++) {
        char s[160], lab[128] = "";
        if (o->overlay) {
            run_label(o, r, lab, sizeof lab);
            if (!lab[0] || strpbrk(lab, " @'\"")) return ob_fail(err, errlen, "run label '%s': empty, or with a space, @ or quote", lab), OB_EXIT_USAGE;
            size_t l = strlen(m->labels);
            snprintf(m->labels + l, sizeof m->labels - l, "%s%s", l ? " " : "", lab);
        }
        m->n_runs = r;
        if (read_run(o->runs[r], m->path, m, s, sizeof s, err, errlen) != 0) return OB_EXIT_USAGE;
        if (o->overlay) { /* each run's own: "A: tuned: ...; B: the default suite ..." */
            size_t l = strlen(src);
            snprintf(src + l, sizeof src - l, "%s%s: %s", l ? "; " : "", lab, s);
        } else if (r == 0) snprintf(src, sizeof src, "%s", s);
        else if (strcmp(src, s)) snprintf(src, sizeof src, "several kinds of runs");
    }
    m->n_runs = o->n_runs;
    m->intersect = o->intersect;
    m->match_cases = o->match_cases;
    snprintf(m->source, sizeof m->source, "%s", o->source ? o->source : src);
    if (!m->n) return ob_fail(err, errlen, "the runs hold no cases"), OB_EXIT_USAGE;
    return OB_EXIT_OK;
}
