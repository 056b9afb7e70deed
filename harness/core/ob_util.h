/*
 * ob_util.h — the small helpers every area of the harness shares, in one
 * place so that each is written once:
 *   - text values: parsers for option and file values (a whole string or
 *     nothing), the "known: a, b, c" list of an error message, intervals;
 *   - ob_fail: an error message into a caller's buffer, returning -1;
 *   - ob_json_check_keys: duplicate keys in a parsed JSON document;
 *   - ob_json_add_num: a JSON number, or null where the value is not finite
 *     (JSON has no NaN or Inf, and cJSON would write them as null anyway,
 *     but silently);
 *   - ob_median: the median of a sample (four commands take one);
 *   - ob_now_s: the monotonic clock, for durations.
 */
#ifndef OB_UTIL_H
#define OB_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- text values ---------------------------------------------------------- */

/* Value parsers shared by the subcommands (--steps, --n, --set,
 * --sched-set, ...), the schedule table, the sweep grid and the report's
 * CSV reader.  One rule for all: the whole string is the value, with no
 * white space before or after it and nothing trailing; an integer may be
 * written as digits or as an exactly integral decimal ("1e3", "2.0", up to
 * 2^53).  Each returns 0 or -1. */
int ob_parse_real(const char *s,
                  double *out); /* strtod syntax; a nonzero literal that rounds to 0 (1e-400) is refused */
int ob_parse_u64(const char *s, uint64_t *out); /* digits, or an integral "1e3" */
int ob_parse_bool(const char *s, int *out);     /* 0, 1, false, true (any case) */

/* Formats an interval: "[0, 1)", "(0, inf)". */
void ob_format_interval(double lo, double hi, int lo_open, int hi_open, char *buf, size_t len);

/* Writes the names name_at(ctx, 0) .. name_at(ctx, n-1) joined by ", " into
 * buf (for the "known: ..." part of an error), truncating if buf is too
 * short; "none" when n == 0. */
void ob_join_names(char *buf, size_t len, const char *(*name_at)(const void *ctx, size_t i), const void *ctx,
                   size_t n);

/* ---- messages, JSON, clock ---------------------------------------------------- */

/* Formats a message into err (errlen bytes, truncated) and returns -1, so
 * that a function reporting through (err, errlen) can `return ob_fail(...)`. */
int ob_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Adds key: v to object o, or key: null when v is NaN or infinite. */
void ob_json_add_num(cJSON *o, const char *key, double v);

/* Checks that no object anywhere in root holds a key twice (cJSON keeps
 * both and every lookup finds the first, so `"lr": {"sgd": 0.1, "sgd":
 * 0.01}` or a second top-level "cases" would be silently ignored).  0, or
 * -1 with a message naming the key, where it is ("cases[0].lr") and file.
 * ob_json_read (ob_results.h), which every reader of a JSON file uses,
 * calls it. */
int ob_json_check_keys(const cJSON *root, const char *file, char *err, size_t errlen);

/* Sorts v[0..n) in place (ascending) and returns its median: the middle
 * value, or the mean of the two middle ones; NaN when n == 0.  Callers
 * drop NaNs first where they may occur (they do not sort). */
double ob_median(double *v, size_t n);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC), for measuring
 * durations; the origin is arbitrary. */
double ob_now_s(void);

#ifdef __cplusplus
}
#endif
#endif
