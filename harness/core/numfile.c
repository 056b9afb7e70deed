/*
 * numfile.c — parsers for number lists and row files (see ob_core.h).
 *
 * Written to be fuzzed: everything is bounded by the buffer length, tokens
 * are copied into a bounded NUL-terminated buffer before strtod sees them
 * (so an embedded NUL or a missing terminator cannot make it read on), all
 * size arithmetic is checked for overflow, and no error leaks memory.
 */
#include "harness/core/ob_core.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A position in the text, for messages. */
typedef struct pos {
    size_t line, col;
} pos;

__attribute__((format(printf, 5, 6))) static void error_at(char *err, size_t errlen, const char *name, pos p,
                                                           const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s:%zu:%zu: %s", name, p.line, p.col, msg);
}

/* Copies a token for a message: at most 40 bytes, non-printable bytes
 * shown as '?', so binary garbage cannot mangle the terminal. */
static const char *quote_token(const char *s, size_t len, char *buf, size_t buflen)
{
    size_t k = 0;
    for (size_t i = 0; i < len && k + 4 < buflen && i < 40; i++)
        buf[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (len > 40 && k + 4 < buflen) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/* Parses s[0, len) as one number; 0 or -1 with a message at p. */
static int parse_token(const char *s, size_t len, const char *name, pos p, double *out, char *err,
                       size_t errlen)
{
    char tok[OB_NUM_TOKEN_MAX + 1], q[64];
    if (len > OB_NUM_TOKEN_MAX) {
        error_at(err, errlen, name, p, "'%s' is too long to be a number", quote_token(s, len, q, sizeof q));
        return -1;
    }
    memcpy(tok, s, len);
    tok[len] = '\0';
    char *end = NULL;
    double v = strtod(tok, &end);
    /* Leading white space is trimmed by the callers; strtod skipping some
     * would only happen for a token starting with it, which cannot occur. */
    if (len == 0 || end != tok + len) {
        error_at(err, errlen, name, p, "'%s' is not a number", quote_token(s, len, q, sizeof q));
        return -1;
    }
    *out = v;
    return 0;
}

/* A growable array of doubles. */
typedef struct dvec {
    double *v;
    size_t n, cap;
} dvec;

static int dvec_push(dvec *d, double x)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        if (cap < d->cap || cap > SIZE_MAX / sizeof(double)) return -1;
        double *v = realloc(d->v, cap * sizeof(double));
        if (!v) return -1;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = x;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* ---- lists ------------------------------------------------------------------ */

int ob_numlist_parse(const char *text, size_t len, const char *name, double **out, size_t *n, char *err,
                     size_t errlen)
{
    dvec d = {0};
    pos p = {1, 1}, comma = {1, 1};
    int after_number = 0, pending_comma = 0;
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c == '\n') {
            p.line++;
            p.col = 1;
            i++;
            continue;
        }
        if (is_space(c)) {
            p.col++;
            i++;
            continue;
        }
        if (c == ',') {
            if (!after_number) {
                error_at(err, errlen, name, p, "%s",
                         d.n ? "empty field between commas" : "comma before the first number");
                goto fail;
            }
            after_number = 0;
            pending_comma = 1;
            comma = p;
            p.col++;
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && text[j] != ',' && !is_space(text[j])) j++;
        double v;
        if (parse_token(text + i, j - i, name, p, &v, err, errlen) != 0) goto fail;
        if (dvec_push(&d, v) != 0) {
            snprintf(err, errlen, "%s: out of memory after %zu numbers", name, d.n);
            goto fail;
        }
        after_number = 1;
        pending_comma = 0;
        p.col += j - i;
        i = j;
    }
    if (pending_comma) {
        error_at(err, errlen, name, comma, "%s", "comma after the last number");
        goto fail;
    }
    if (d.n == 0) {
        error_at(err, errlen, name, (pos){1, 1}, "%s", len ? "no numbers in the file" : "empty file");
        goto fail;
    }
    *out = d.v;
    *n = d.n;
    return 0;
fail:
    free(d.v);
    return -1;
}

/* ---- rows ------------------------------------------------------------------- */

/* Parses one line (without its '\n'), appending its numbers to d: exactly
 * cols of them, or any number when cols == 0.  0, or -1 with a message. */
static int parse_row(const char *s, size_t len, const char *name, size_t lineno, size_t cols, dvec *d,
                     char *err, size_t errlen)
{
    size_t count = 0, i = 0;
    int blank = 1;
    for (size_t k = 0; k < len; k++)
        if (!is_space(s[k])) blank = 0;
    if (blank) {
        pos p = {lineno, 1};
        if (cols) error_at(err, errlen, name, p, "empty line: expected %zu numbers", cols);
        else error_at(err, errlen, name, p, "empty line");
        return -1;
    }
    for (;;) {
        /* One field: [spaces] token [spaces], up to ',' or the end. */
        while (i < len && is_space(s[i])) i++;
        size_t start = i;
        while (i < len && s[i] != ',' && !is_space(s[i])) i++;
        size_t tok_end = i;
        while (i < len && is_space(s[i])) i++;
        pos p = {lineno, start + 1};
        if (i < len && s[i] != ',') {
            /* Two tokens separated only by white space. */
            error_at(err, errlen, name, (pos){lineno, i + 1}, "%s", "missing comma between numbers");
            return -1;
        }
        if (tok_end == start) {
            error_at(err, errlen, name, p, "%s", "empty field");
            return -1;
        }
        if (cols && count == cols) {
            error_at(err, errlen, name, p, "too many numbers: expected %zu", cols);
            return -1;
        }
        double v;
        if (parse_token(s + start, tok_end - start, name, p, &v, err, errlen) != 0) return -1;
        if (dvec_push(d, v) != 0) {
            snprintf(err, errlen, "%s:%zu: out of memory", name, lineno);
            return -1;
        }
        count++;
        if (i >= len) break;
        i++; /* the comma */
    }
    if (cols && count < cols) {
        error_at(err, errlen, name, (pos){lineno, len + 1}, "too few numbers: found %zu, expected %zu", count,
                 cols);
        return -1;
    }
    return 0;
}

int ob_numrows_parse(const char *text, size_t len, const char *name, size_t cols, ob_numrows *out, char *err,
                     size_t errlen)
{
    dvec d = {0};
    size_t rows = 0, i = 0, lineno = 1, all = len;
    /* Blank lines after the last row are not rows (an editor's final empty
     * line, a "\r\n" pair): the text ends with the last non-space byte. */
    while (len > 0 && is_space(text[len - 1])) len--;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t eol = nl ? (size_t)(nl - text) : len;
        size_t before = d.n;
        if (parse_row(text + i, eol - i, name, lineno, cols, &d, err, errlen) < 0) goto fail;
        if (cols == 0) cols = d.n - before; /* the first line sets the width */
        rows++;
        lineno++;
        i = eol + 1;
    }
    if (rows == 0) {
        error_at(err, errlen, name, (pos){1, 1}, "%s",
                 all ? "only blank lines: expected one line per step" : "empty file: expected one line per step");
        goto fail;
    }
    out->rows = rows;
    out->cols = cols;
    out->v = d.v;
    return 0;
fail:
    free(d.v);
    return -1;
}

void ob_numrows_free(ob_numrows *r)
{
    free(r->v);
    r->v = NULL;
    r->rows = r->cols = 0;
}

/* ---- files -------------------------------------------------------------------- */

/* Why a file of mode m is not read, for the message. */
static const char *not_read_because(mode_t m)
{
    return S_ISDIR(m)    ? strerror(EISDIR)
           : S_ISCHR(m)  ? "a character device, not a regular file or a pipe"
           : S_ISBLK(m)  ? "a block device, not a regular file or a pipe"
           : S_ISSOCK(m) ? "a socket, not a regular file or a pipe"
                         : "not a regular file or a pipe";
}

int ob_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    return ob_read_file_max(path, OB_READ_FILE_MAX, text, len, err, errlen);
}

int ob_read_file_max(const char *path, size_t max, char **text, size_t *len, char *err, size_t errlen)
{
    /* The type first, without opening: opening a FIFO waits for a writer,
     * and a device may never end (/dev/urandom would be read up to the
     * cap before its bytes were found not to be numbers). */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, not_read_because(st.st_mode));
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    /* A regular file's size is known: refuse a huge one before reading. */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
        snprintf(err, errlen, "%s: too large: %lld bytes (at most %zu %s)", path, (long long)st.st_size,
                 max % ((size_t)1 << 20) ? max : max >> 20, max % ((size_t)1 << 20) ? "bytes" : "MiB");
        fclose(f);
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) goto oom;
    for (;;) {
        /* Pipes have no size (and a regular file may grow): never read more
         * than max + 1 bytes, and refuse the file once it holds more. */
        if (n > max) {
            free(buf);
            fclose(f);
            if (max % ((size_t)1 << 20) == 0)
                snprintf(err, errlen, "%s: too large: more than %zu MiB", path, max >> 20);
            else
                snprintf(err, errlen, "%s: too large: more than %zu bytes", path, max);
            return -1;
        }
        if (cap - n < 2) {
            char *b = realloc(buf, cap * 2);
            if (!b) goto oom;
            buf = b;
            cap *= 2;
        }
        size_t want = cap - n - 1;
        if (want > max + 1 - n) want = max + 1 - n;
        size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        /* e.g. EISDIR: fopen succeeds on a directory, reading fails. */
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
oom:
    free(buf);
    fclose(f);
    snprintf(err, errlen, "%s: out of memory while reading", path);
    return -1;
}

int ob_numlist_read(const char *path, double **out, size_t *n, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (ob_read_file_max(path, OB_NUMFILE_MAX, &text, &len, err, errlen) != 0) return -1;
    int rc = ob_numlist_parse(text, len, path, out, n, err, errlen);
    free(text);
    return rc;
}

int ob_numrows_read(const char *path, size_t cols, ob_numrows *out, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (ob_read_file_max(path, OB_NUMFILE_MAX, &text, &len, err, errlen) != 0) return -1;
    int rc = ob_numrows_parse(text, len, path, cols, out, err, errlen);
    free(text);
    return rc;
}
