/*
 * ob_numfile.h — the number files `optbench trace` reads: a list of
 * numbers (x0) and a file of rows (one gradient per line).
 *
 * The parsers work on a buffer of known length (NUL bytes included), so
 * they never read past it and can be fuzzed directly; the file readers
 * load a whole file and call them.  Every error names the file, the line
 * and the column ("x0.txt:3:7: 'abc' is not a number"), GNU style, with
 * 1-based lines and 1-based byte columns.
 *
 * Numbers are what strtod accepts as a whole token in the C locale: decimal
 * and hexadecimal floating point, and inf / nan in any case and with a
 * sign ("inf", "-Infinity", "nan", "-nan", "NAN(123)"; gradients with NaN
 * or Inf are legitimate test input: the kernels keep them element-local).
 */
#ifndef OB_NUMFILE_H
#define OB_NUMFILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest accepted number token, in bytes (a double never needs more than
 * 17 significant digits; 767 digits would be its exact decimal form). */
#define OB_NUM_TOKEN_MAX 1023

/* A list: numbers separated by white space and/or single commas, across
 * any number of lines ("1, -2\n3" is three numbers).  A comma with no
 * number on one side (",1", "1,,2", "1,") is an error, and so is a text
 * with no number at all.  On success *out (malloc'd, free with free()) has
 * *n >= 1 numbers.  Returns 0 or -1 with a message; `name` is the file
 * name used in messages. */
int ob_numlist_parse(const char *text, size_t len, const char *name, double **out, size_t *n, char *err,
                     size_t errlen);

/* Rows: one row per line, `cols` numbers separated by commas (spaces and
 * tabs around them are ignored, and so is a '\r' before the '\n': CRLF
 * files read as LF files).  Every line up to the last one holding a number
 * is a row: an empty or blank (white space only) line among them, a line
 * with the wrong number of values (a truncated last line included), an
 * empty field ("1,,2") or a non-number is an error naming line and column.
 * Blank lines after the last row are ignored (editors add them), and the
 * last row needs no '\n'.  cols == 0 takes the count from the first line.
 * A text with no row at all is an error ("empty file", "only blank
 * lines"). */
typedef struct ob_numrows {
    size_t rows, cols;
    double *v; /* rows * cols, row-major; free with ob_numrows_free */
} ob_numrows;

int ob_numrows_parse(const char *text, size_t len, const char *name, size_t cols, ob_numrows *out, char *err,
                     size_t errlen);
void ob_numrows_free(ob_numrows *r);

/* Reads a whole file into a malloc'd buffer (NUL-terminated for
 * convenience; *len excludes that NUL).  Errors name the file and the
 * system's reason ("x0.txt: cannot open: No such file or directory").
 * Only regular files and pipes (FIFOs, `<(...)`, a piped stdin) are read:
 * a device (/dev/urandom, /dev/zero, a terminal), a directory or a socket
 * is refused before reading anything, since it may never end.  A regular
 * file larger than max bytes is refused before reading (its size is
 * known); a pipe is read up to max bytes and refused once it holds more.
 * ob_read_file uses max = OB_READ_FILE_MAX. */
#define OB_READ_FILE_MAX ((size_t)1 << 30)
int ob_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen);
int ob_read_file_max(const char *path, size_t max, char **text, size_t *len, char *err, size_t errlen);

/* The cap on a number file (`optbench trace --x0/--grads`): 256 MiB, about
 * ten million numbers, far beyond a replay anyone reads step by step. */
#define OB_NUMFILE_MAX ((size_t)256 << 20)

/* ob_read_file_max(OB_NUMFILE_MAX) + ob_numlist_parse / ob_numrows_parse. */
int ob_numlist_read(const char *path, double **out, size_t *n, char *err, size_t errlen);
int ob_numrows_read(const char *path, size_t cols, ob_numrows *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
