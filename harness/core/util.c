/*
 * util.c — the small helpers every area of the harness shares (see
 * ob_core.h): text values, messages, JSON numbers and the clock.
 */
#include "harness/core/ob_core.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- text values ---------------------------------------------------------- */

/* The one rule for numbers on the command line and in value files: the
 * whole string is the number, with no white space before or after it
 * (strtod would skip leading space and stop before trailing space, so
 * "lr= 0.1" and "lr=0.1 " used to be treated differently). */
static int has_space_at_ends(const char *s)
{
    size_t n = strlen(s);
    return n == 0 || isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]);
}

int ob_parse_real(const char *s, double *out)
{
    if (!s || has_space_at_ends(s)) return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') return -1;
    /* ERANGE: overflow gives +-HUGE_VAL (caught as Inf by the range
     * checks); underflow to a subnormal is kept, but a nonzero literal that
     * rounds to 0 (1e-400) is refused: it would silently mean 0. */
    if (errno == ERANGE && v == 0.0) return -1;
    *out = v;
    return 0;
}

/* Plain decimal notation for a non-negative number: digits, an optional
 * fraction, an optional exponent ("1e3", "2.5E+2"); no sign, no hex, no
 * inf or nan. */
static int plain_decimal(const char *s)
{
    const char *p = s;
    size_t digits = 0;
    while (isdigit((unsigned char)*p)) p++, digits++;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++) digits++;
    if (!digits) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!isdigit((unsigned char)*p)) return 0;
        while (isdigit((unsigned char)*p)) p++;
    }
    return *p == '\0';
}

int ob_parse_u64(const char *s, uint64_t *out)
{
    if (!s || has_space_at_ends(s)) return -1;
    uint64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (*p == '\0') {
        *out = v;
        return 0;
    }
    /* The same integers written in exponent or fraction notation ("1e3",
     * "2.0") are accepted when exactly integral, as the integer keys of
     * schedules and problems accept them; up to 2^53, where every integer
     * is exact in double (larger ones need plain digits). */
    double x;
    if (!plain_decimal(s) || ob_parse_real(s, &x) != 0 || !(x >= 0) || x > 9007199254740992.0 ||
        x != floor(x))
        return -1;
    *out = (uint64_t)x;
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

int ob_shard_parse(const char *text, ob_shard *sh, char *err, size_t errlen)
{
    char i[32], n[32];
    size_t cut = text ? strcspn(text, "/") : 0;
    if (!text || !text[cut] || cut >= sizeof i || strlen(text + cut + 1) >= sizeof n)
        return ob_fail(err, errlen, "--shard '%s': expected I/N (shard I of N shards, 0 <= I < N), e.g. 0/4",
                       text ? text : "");
    snprintf(i, sizeof i, "%.*s", (int)cut, text);
    snprintf(n, sizeof n, "%s", text + cut + 1);
    /* Plain digits only: "1e0/4" would be the same shard under another name. */
    if (!i[0] || !n[0] || i[strspn(i, "0123456789")] || n[strspn(n, "0123456789")] || ob_parse_u64(i, &sh->index) != 0 ||
        ob_parse_u64(n, &sh->count) != 0)
        return ob_fail(err, errlen, "--shard '%s': expected I/N (shard I of N shards, 0 <= I < N), e.g. 0/4",
                       text);
    if (sh->count == 0) return ob_fail(err, errlen, "--shard '%s': N must be at least 1", text);
    if (sh->index >= sh->count)
        return ob_fail(err, errlen, "--shard '%s': I must be below N (the shards are numbered 0..%llu)", text,
                       (unsigned long long)(sh->count - 1));
    return 0;
}

int ob_shard_owns(const ob_shard *sh, size_t k)
{
    return sh->count == 0 || (uint64_t)k % sh->count == sh->index;
}

/* Whether arg is one of the options a shard may differ in; *skip: how many
 * arguments it takes up. */
static int shard_local(const char *arg, const char *const *with_value, const char *const *flags, int *skip)
{
    *skip = 1;
    for (size_t k = 0; flags && flags[k]; k++)
        if (!strcmp(arg, flags[k])) return 1;
    for (size_t k = 0; with_value && with_value[k]; k++) {
        size_t len = strlen(with_value[k]);
        if (!strncmp(arg, with_value[k], len) && arg[len] == '=') return 1;
        if (!strcmp(arg, with_value[k])) return *skip = 2, 1;
    }
    return 0;
}

cJSON *ob_shard_record(const ob_shard *sh, const char *(*id_at)(const void *ctx, size_t k), const void *ctx,
                       size_t total, int argc, char **argv, const char *const *with_value,
                       const char *const *flags)
{
    cJSON *rec = cJSON_CreateObject();
    if (!rec) return NULL;
    cJSON_AddNumberToObject(rec, "index", (double)sh->index);
    cJSON_AddNumberToObject(rec, "count", (double)sh->count);
    cJSON_AddNumberToObject(rec, "total", (double)total);
    cJSON *ids = cJSON_AddArrayToObject(rec, "ids"), *spec = cJSON_AddArrayToObject(rec, "spec");
    for (size_t k = 0; k < total; k++) cJSON_AddItemToArray(ids, cJSON_CreateString(id_at(ctx, k)));
    for (int k = 1, skip = 1; k < argc; k += skip)
        if (!shard_local(argv[k], with_value, flags, &skip))
            cJSON_AddItemToArray(spec, cJSON_CreateString(argv[k]));
    return rec;
}

void ob_join_names(char *buf, size_t len, const char *(*name_at)(const void *ctx, size_t i), const void *ctx,
                   size_t n)
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

void ob_json_add_exact(cJSON *o, const char *key, double v)
{
    /* cJSON prints 15 significant digits whenever they read back within
     * DBL_EPSILON of the value, so a number can come back one ulp off;
     * 17 digits always read back exactly (IEEE 754 binary64). */
    char buf[40];
    if (!isfinite(v)) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    snprintf(buf, sizeof buf, "%.17g", v);
    cJSON_AddRawToObject(o, key, buf);
}

/* ---- duplicate keys ----------------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key of object o given twice, or NULL.  Small objects (every
 * hand-written one) are checked pairwise; larger ones through a sorted
 * copy of their names, so that a huge object stays O(k log k). */
static const char *duplicate_in(const cJSON *o)
{
    size_t n = 0;
    for (const cJSON *c = o->child; c; c = c->next) n++;
    if (n < 2) return NULL;
    if (n <= 32) {
        for (const cJSON *c = o->child; c; c = c->next)
            for (const cJSON *d = c->next; d; d = d->next)
                if (c->string && d->string && !strcmp(c->string, d->string)) return c->string;
        return NULL;
    }
    const char **v = malloc(n * sizeof *v), *dup = NULL;
    if (!v) return NULL;
    size_t k = 0;
    for (const cJSON *c = o->child; c; c = c->next)
        if (c->string) v[k++] = c->string;
    qsort(v, k, sizeof *v, cmp_name);
    for (size_t i = 1; i < k && !dup; i++)
        if (!strcmp(v[i - 1], v[i])) dup = v[i];
    free(v);
    return dup;
}

/* Depth first; path holds the location of node ("cases[3].lr"). */
static int check_keys(const cJSON *node, char *path, size_t cap, size_t used, const char *file, char *err,
                      size_t errlen)
{
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) return 0;
    const char *dup = cJSON_IsObject(node) ? duplicate_in(node) : NULL;
    if (dup)
        return ob_fail(err, errlen,
                       "%s: duplicate key \"%s\" in %s (JSON readers would silently keep one of the values)",
                       file, dup, used ? path : "the top-level object");
    size_t i = 0;
    for (const cJSON *c = node->child; c; c = c->next, i++) {
        int w = cJSON_IsObject(node)
                    ? snprintf(path + used, cap - used, "%s%s", used ? "." : "", c->string ? c->string : "")
                    : snprintf(path + used, cap - used, "[%zu]", i);
        size_t u = w < 0 ? used : used + (size_t)w < cap ? used + (size_t)w : cap - 1;
        if (check_keys(c, path, cap, u, file, err, errlen) != 0) return -1;
        path[used] = '\0';
    }
    return 0;
}

int ob_json_check_keys(const cJSON *root, const char *file, char *err, size_t errlen)
{
    char path[512] = "";
    return check_keys(root, path, sizeof path, 0, file ? file : "JSON", err, errlen);
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

void ob_appendf(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strnlen(buf, len);
    if (used + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}
