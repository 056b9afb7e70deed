/*
 * util.c — the small helpers every area of the harness shares (see
 * ob_util.h): text values, messages, JSON numbers and the clock.
 */
#include "ob_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- text values ---------------------------------------------------------- */

int ob_parse_real(const char *s, double *out)
{
    /* strtod skips leading white space; a value with it is a typo. */
    if (!s || *s == '\0' || *s == ' ' || *s == '\t' || *s == '\n') return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') return -1;
    /* ERANGE: overflow gives +-HUGE_VAL (caught as Inf by the range
     * checks); underflow gives a correctly rounded tiny value, kept. */
    *out = v;
    return 0;
}

int ob_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s == '\0') return -1;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int ob_parse_bool(const char *s, int *out)
{
    if (!s) return -1;
    if (!strcmp(s, "1") || !strcasecmp(s, "true")) *out = 1;
    else if (!strcmp(s, "0") || !strcasecmp(s, "false")) *out = 0;
    else return -1;
    return 0;
}

void ob_join_names(char *buf, size_t len, const char *(*name_at)(const void *ctx, size_t i),
                   const void *ctx, size_t n)
{
    if (len == 0) return;
    snprintf(buf, len, "%s", n ? "" : "none");
    size_t used = 0;
    for (size_t i = 0; i < n && used + 1 < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", name_at(ctx, i));
        if (w < 0) break;
        used += (size_t)w;
    }
}

void ob_format_interval(double lo, double hi, int lo_open, int hi_open, char *buf, size_t len)
{
    char l[32], h[32];
    if (isinf(lo)) snprintf(l, sizeof l, "%sinf", lo < 0 ? "-" : "");
    else snprintf(l, sizeof l, "%g", lo);
    if (isinf(hi)) snprintf(h, sizeof h, "%sinf", hi < 0 ? "-" : "");
    else snprintf(h, sizeof h, "%g", hi);
    snprintf(buf, len, "%c%s, %s%c", lo_open ? '(' : '[', l, h, hi_open ? ')' : ']');
}

/* ---- messages, JSON, clock ---------------------------------------------------- */

int ob_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void ob_json_add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ob_median(double *v, size_t n)
{
    if (n == 0) return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double ob_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
