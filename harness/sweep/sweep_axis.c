/*
 * sweep_axis.c — one --grid axis (see ob_sweep.h): KEY=log:LO:HI:N and
 * KEY=lin:LO:HI:N (N values, both ends included) or KEY=V1,V2,...
 * (the values as given); and the map between an axis and [0, 1] that
 * random, quasi-random and Bayesian search draw in (log ranges in log
 * space).
 */
#include "sweep_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"

/* ---- axes ------------------------------------------------------------------ */

static const char grid_syntax[] = "KEY=log:LO:HI:N, KEY=lin:LO:HI:N or KEY=V1,V2,...";

static int parse_range(const char *text, const char *val, ob_sweep_axis *ax, char *err, size_t errlen)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", val) >= (int)sizeof buf)
        return ob_fail(err, errlen, "--grid '%.60s...': too long", text);
    char *field[5] = {0};
    int nf = 0;
    for (char *p = buf; nf < 5; nf++) {
        field[nf] = p;
        char *c = strchr(p, ':');
        if (!c) {
            nf++;
            break;
        }
        *c = '\0';
        p = c + 1;
    }
    if (!strcmp(field[0], "log")) ax->spacing = OB_SWEEP_LOG;
    else if (!strcmp(field[0], "lin")) ax->spacing = OB_SWEEP_LIN;
    else
        return ob_fail(err, errlen, "--grid '%s': unknown spacing '%s' (expected %s)", text, field[0],
                       grid_syntax);
    if (nf != 4)
        return ob_fail(err, errlen, "--grid '%s': expected %s:LO:HI:N (three fields after '%s:')", text,
                       field[0], field[0]);
    uint64_t n;
    if (ob_parse_real(field[1], &ax->lo) != 0 || !isfinite(ax->lo))
        return ob_fail(err, errlen, "--grid '%s': LO '%s' is not a finite number", text, field[1]);
    if (ob_parse_real(field[2], &ax->hi) != 0 || !isfinite(ax->hi))
        return ob_fail(err, errlen, "--grid '%s': HI '%s' is not a finite number", text, field[2]);
    if (ob_parse_u64(field[3], &n) != 0 || n < 1)
        return ob_fail(err, errlen, "--grid '%s': N '%s' is not an integer >= 1", text, field[3]);
    if (n > OB_SWEEP_MAX_VALUES)
        return ob_fail(err, errlen, "--grid '%s': N = %llu is more than %d values", text,
                       (unsigned long long)n, OB_SWEEP_MAX_VALUES);
    if (ax->lo > ax->hi)
        return ob_fail(err, errlen, "--grid '%s': LO = %g is greater than HI = %g", text, ax->lo, ax->hi);
    if (ax->spacing == OB_SWEEP_LOG && ax->lo <= 0)
        return ob_fail(err, errlen, "--grid '%s': log spacing needs LO > 0, got %g", text, ax->lo);
    ax->n = (size_t)n;
    if (!(ax->values = malloc(ax->n * sizeof *ax->values))) return ob_fail(err, errlen, "out of memory");
    /* Log spacing in powers of ten, so that the decades of 1e-5..1e1 come
     * out as the round numbers the user typed; both ends are exact. */
    double l0 = log10(ax->lo), l1 = log10(ax->hi);
    for (size_t i = 0; i < ax->n; i++) {
        double f = ax->n > 1 ? (double)i / (double)(ax->n - 1) : 0.0;
        ax->values[i] = ax->spacing == OB_SWEEP_LOG ? pow(10.0, l0 + (l1 - l0) * f)
                                                    : ax->lo + (ax->hi - ax->lo) * f;
    }
    ax->values[0] = ax->lo;
    if (ax->n > 1) ax->values[ax->n - 1] = ax->hi;
    return 0;
}

static int parse_list(const char *text, const char *val, ob_sweep_axis *ax, char *err, size_t errlen)
{
    ax->spacing = OB_SWEEP_LIST;
    size_t cap = 1;
    for (const char *p = val; *p; p++) cap += *p == ',';
    if (cap > OB_SWEEP_MAX_VALUES)
        return ob_fail(err, errlen, "--grid '%.60s...': more than %d values", text, OB_SWEEP_MAX_VALUES);
    char *buf = strdup(val);
    ax->values = malloc(cap * sizeof *ax->values);
    if (!buf || !ax->values) {
        free(buf);
        return ob_fail(err, errlen, "out of memory");
    }
    int rc = 0;
    char *p = buf;
    for (size_t k = 0; k < cap && rc == 0; k++) {
        char *c = strchr(p, ',');
        if (c) *c = '\0';
        double v;
        if (!*p)
            rc = ob_fail(err, errlen, "--grid '%s': empty value at position %zu of the list", text, k + 1);
        else if (!strcasecmp(p, "true")) v = 1;
        else if (!strcasecmp(p, "false")) v = 0;
        else if (ob_parse_real(p, &v) != 0 || !isfinite(v))
            rc = ob_fail(err, errlen, "--grid '%s': '%s' is not a finite number", text, p);
        if (rc == 0) {
            ax->values[ax->n++] = v;
            if (ax->n == 1 || v < ax->lo) ax->lo = v;
            if (ax->n == 1 || v > ax->hi) ax->hi = v;
        }
        p = c ? c + 1 : p;
    }
    free(buf);
    return rc;
}

int ob_sweep_axis_parse(const char *text, ob_sweep_axis *ax, char *err, size_t errlen)
{
    memset(ax, 0, sizeof *ax);
    const char *eq = strchr(text, '=');
    if (!eq || eq == text) return ob_fail(err, errlen, "--grid '%s': expected %s", text, grid_syntax);
    size_t klen = (size_t)(eq - text);
    if (klen >= sizeof ax->key) return ob_fail(err, errlen, "--grid '%.40s...': the key is too long", text);
    memcpy(ax->key, text, klen);
    ax->key[klen] = '\0';
    const char *val = eq + 1;
    int rc;
    if (!*val)
        rc = ob_fail(err, errlen, "--grid '%s': empty list of values (expected %s)", text, grid_syntax);
    else if (strchr(val, ':')) rc = parse_range(text, val, ax, err, errlen);
    else rc = parse_list(text, val, ax, err, errlen);
    if (rc) ob_sweep_axis_free(ax);
    return rc;
}

void ob_sweep_axis_free(ob_sweep_axis *ax)
{
    free(ax->values);
    ax->values = NULL;
    ax->n = 0;
}

/* ---- the unit interval ----------------------------------------------------------- */

double ob_sweep_axis_at(const ob_sweep_axis *ax, double u)
{
    if (ax->spacing == OB_SWEEP_LOG) return pow(10.0, log10(ax->lo) + (log10(ax->hi) - log10(ax->lo)) * u);
    if (ax->spacing == OB_SWEEP_LIN) return ax->lo + (ax->hi - ax->lo) * u;
    size_t i = (size_t)(u * (double)ax->n);
    return ax->values[i < ax->n ? i : ax->n - 1];
}

double ob_sweep_axis_unit(const ob_sweep_axis *ax, double v)
{
    if (ax->spacing == OB_SWEEP_LIST) {
        for (size_t i = 0; i < ax->n; i++)
            if (ax->values[i] == v) return ((double)i + 0.5) / (double)ax->n;
        return 0.5;
    }
    double lo = ax->lo, hi = ax->hi, x = v;
    if (ax->spacing == OB_SWEEP_LOG) {
        lo = log10(lo);
        hi = log10(hi);
        x = log10(v);
    }
    if (!(hi > lo)) return 0.5;
    double u = (x - lo) / (hi - lo);
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

double ob_sweep_axis_snap(const ob_sweep_axis *ax, double u)
{
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    if (ax->spacing != OB_SWEEP_LIST) return u;
    size_t i = (size_t)(u * (double)ax->n);
    if (i >= ax->n) i = ax->n - 1;
    return ((double)i + 0.5) / (double)ax->n;
}
