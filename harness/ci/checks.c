/*
 * checks.c — the list of CI checks (ob_ci.h) and its output formats: a
 * plain-text table, Markdown, JUnit XML.  Both ci.c (exactness, agreement,
 * convergence) and ci_speed.c (speed) fill the list, and `optbench compare`
 * prints it, so it stands on its own below them.
 */
#include "ob_ci.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"

/* ---- check lists --------------------------------------------------------- */

void ob_checks_add(ob_check_list *l, const char *gate, const char *name, ob_check_status st, const char *fmt,
                   ...)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        ob_check *v = realloc(l->v, cap * sizeof *v);
        if (!v) return; /* out of memory: the check is lost, never half-written */
        l->v = v;
        l->cap = cap;
    }
    ob_check *c = &l->v[l->n++];
    snprintf(c->gate, sizeof c->gate, "%s", gate);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
}

void ob_checks_free(ob_check_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

size_t ob_checks_count(const ob_check_list *l, ob_check_status st)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) k += l->v[i].status == st;
    return k;
}

/* ---- output ---------------------------------------------------------------------- */

static const char *status_word(ob_check_status s)
{
    return s == OB_CHECK_PASS   ? "PASS"
           : s == OB_CHECK_FAIL ? "FAIL"
           : s == OB_CHECK_SKIP ? "SKIP"
                                : "IMPROVED";
}

void ob_checks_print_text(const ob_check_list *l, FILE *out, int verbose)
{
    static const char *const gates[] = {"completeness", "settings",    "exactness", "coverage",
                                        "agreement",    "convergence", "speed"};
    fprintf(out, "%-12s %-44s %-8s %s\n", "gate", "check", "", "detail");
    for (size_t i = 0; i < l->n; i++) {
        const ob_check *c = &l->v[i];
        if (c->status == OB_CHECK_PASS && !verbose) continue;
        fprintf(out, "%-12s %-44s %-8s %s\n", c->gate, c->name, status_word(c->status), c->detail);
    }
    fprintf(out, "\n");
    for (size_t g = 0; g < sizeof gates / sizeof gates[0]; g++) {
        size_t k[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < l->n; i++)
            if (!strcmp(l->v[i].gate, gates[g])) k[l->v[i].status]++;
        if (k[0] + k[1] + k[2] + k[3] == 0) continue;
        char imp[48] = "";
        if (k[OB_CHECK_IMPROVED]) snprintf(imp, sizeof imp, ", %zu improved", k[OB_CHECK_IMPROVED]);
        /* A gate's "section" check says what it compared with (the speed
         * gate's baseline section): shown even when it passed. */
        const char *with = NULL;
        for (size_t i = 0; i < l->n; i++)
            if (!strcmp(l->v[i].gate, gates[g]) && !strcmp(l->v[i].name, "section")) with = l->v[i].detail;
        fprintf(out, "%-12s %4zu passed, %zu failed, %zu skipped%s%s%s%s\n", gates[g], k[OB_CHECK_PASS],
                k[OB_CHECK_FAIL], k[OB_CHECK_SKIP], imp, with ? "; " : "", with ? with : "",
                k[OB_CHECK_FAIL] ? "   <-- REGRESSION" : "");
    }
}

void ob_checks_print_markdown(const ob_check_list *l, FILE *out)
{
    fprintf(out, "| gate | check | status | detail |\n| --- | --- | --- | --- |\n");
    for (size_t i = 0; i < l->n; i++) {
        const ob_check *c = &l->v[i];
        fprintf(out, "| %s | `%s` | %s | ", c->gate, c->name,
                c->status == OB_CHECK_PASS       ? "✅ pass"
                : c->status == OB_CHECK_FAIL     ? "❌ **FAIL**"
                : c->status == OB_CHECK_IMPROVED ? "⬆ improvement"
                                                 : "⏭ skip");
        for (const char *p = c->detail; *p; p++) fputs(*p == '|' ? "\\|" : (char[2]){*p, 0}, out);
        fprintf(out, " |\n");
    }
}

static void xml_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') fputc('?', f);
            else fputc(*s, f);
        }
    }
}

int ob_checks_write_junit(const ob_check_list *l, const char *path, char *err, size_t errlen)
{
    ob_atomic_file af;
    if (ob_atomic_open(&af, path, err, errlen) != 0) return -1;
    FILE *f = af.f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"optbench ci\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n", l->n,
            ob_checks_count(l, OB_CHECK_FAIL), ob_checks_count(l, OB_CHECK_SKIP));
    static const char *const gates[] = {"completeness", "settings",    "exactness", "coverage",
                                        "agreement",    "convergence", "speed"};
    for (size_t g = 0; g < sizeof gates / sizeof gates[0]; g++) {
        size_t k[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < l->n; i++)
            if (!strcmp(l->v[i].gate, gates[g])) k[l->v[i].status]++;
        if (k[0] + k[1] + k[2] + k[3] == 0) continue;
        fprintf(f, "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n", gates[g],
                k[0] + k[1] + k[2] + k[3], k[OB_CHECK_FAIL], k[OB_CHECK_SKIP]);
        for (size_t i = 0; i < l->n; i++) {
            const ob_check *c = &l->v[i];
            if (strcmp(c->gate, gates[g])) continue;
            fprintf(f, "    <testcase classname=\"optbench.ci.%s\" name=\"", c->gate);
            xml_escaped(f, c->name);
            fprintf(f, "\">");
            if (c->status == OB_CHECK_FAIL) {
                fprintf(f, "<failure message=\"");
                xml_escaped(f, c->detail);
                fprintf(f, "\"/>");
            } else if (c->status == OB_CHECK_SKIP) {
                fprintf(f, "<skipped message=\"");
                xml_escaped(f, c->detail);
                fprintf(f, "\"/>");
            } else {
                fprintf(f, "<system-out>");
                xml_escaped(f, c->detail);
                fprintf(f, "</system-out>");
            }
            fprintf(f, "</testcase>\n");
        }
        fprintf(f, "  </testsuite>\n");
    }
    fprintf(f, "</testsuites>\n");
    return ob_atomic_commit(&af, err, errlen);
}
