/*
 * run_format.c — the storage formats of `optbench run --format LIST` and
 * of a suite entry's "format" (ob_run.h, "storage formats"): the list is
 * split into formats that kernels/framework's one parser reads
 * (ob_format_parse and its preset table), so a preset added there is a
 * name here too.
 */
#include "ob_run.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"

int ob_format_list_parse(const char *list, ob_format *out, size_t max, char *err, size_t errlen)
{
    char buf[1024], spec[1024];
    if (!list || !*list) return ob_fail(err, errlen, "empty format list (known: see optbench list formats)");
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return ob_fail(err, errlen, "format list '%.40s...': too long", list);
    size_t n = 0;
    spec[0] = '\0';
    /* Parts with '=' continue the format before them ("bf16-sr,seed=7"),
     * or start the explicit form when they come first. */
    for (char *p = buf;;) {
        const size_t len = strcspn(p, ",");
        const int last = p[len] == '\0';
        p[len] = '\0';
        const int option = strchr(p, '=') != NULL;
        if (spec[0] && !option) {
            if (n == max) return ob_fail(err, errlen, "format list '%s': more than %zu formats", list, max);
            if (ob_format_parse(spec, &out[n], err, errlen) != 0) return -1;
            n++;
            spec[0] = '\0';
        }
        const size_t sl = strlen(spec);
        if (sl + 1 + strlen(p) >= sizeof spec) return ob_fail(err, errlen, "format list '%.40s...': too long", list);
        memcpy(spec + sl, ",", sl ? 1 : 0);
        strcpy(spec + sl + (sl ? 1 : 0), p);
        if (last) break;
        p += len + 1;
    }
    if (n == max) return ob_fail(err, errlen, "format list '%s': more than %zu formats", list, max);
    if (ob_format_parse(spec, &out[n], err, errlen) != 0) return -1;
    n++;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            char a[160], b[160];
            ob_format_describe(&out[i], a, sizeof a);
            ob_format_describe(&out[j], b, sizeof b);
            if (!strcmp(a, b))
                return ob_fail(err, errlen, "format list '%s': '%s' and '%s' are the same format", list,
                               out[j].name, out[i].name);
        }
    return (int)n;
}

int ob_suite_formats(ob_suite *s, const ob_format *f, size_t nf, char *err, size_t errlen)
{
    if (nf == 0) return 0;
    if (s->n > OB_SUITE_MAX_CASES / nf)
        return ob_fail(err, errlen, "--format: more than the %d cases one run may hold", OB_SUITE_MAX_CASES);
    ob_case *all = calloc(s->n * nf > 0 ? s->n * nf : 1, sizeof *all);
    if (!all) return ob_fail(err, errlen, "out of memory for %zu cases", s->n * nf);
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        for (size_t k = 0; k < nf; k++) {
            all[m] = s->cases[i];
            all[m++].format = f[k];
        }
    free(s->cases);
    s->cases = all;
    s->n = m;
    return 0;
}
