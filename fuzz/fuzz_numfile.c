/*
 * fuzz_numfile.c — the number files of `optbench trace` (harness/core/numfile.c):
 * the list parser (x0), the row parser (gradients) and the file reader.
 *
 * Input: byte 0 picks the parser and, for rows, the expected width (0-7;
 * 0 = take it from the first line); the rest is the file.  The parsers get
 * a buffer of exactly that many bytes, no terminator, so any read past the
 * end is caught.  A failure says where ("name:line:col: ...") and frees
 * everything; a success returns at least one number (lists) or rows of the
 * width asked for.
 */
#include <string.h>
#include <unistd.h>

#include "harness/core/ob_core.h"
#include "ob_fuzz.h"

int ob_fuzz_numfile(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned mode = data[0] & 1u, cols = (data[0] >> 1) & 7u;
    size_t len = size - 1;
    char *buf = malloc(len ? len : 1);
    if (!buf) abort();
    if (len) memcpy(buf, data + 1, len);
    char err[512];
    if (mode == 0) {
        double *v = NULL;
        size_t n = 0;
        if (ob_numlist_parse(buf, len, "x0", &v, &n, err, sizeof err) == 0) {
            OB_FUZZ_CHECK(n >= 1 && v, "a list parsed to %zu numbers", n);
            free(v);
        } else {
            ob_fuzz_check_msg(err, sizeof err);
            OB_FUZZ_CHECK(!strncmp(err, "x0:", 3), "message does not name the file: %s", err);
        }
    } else {
        ob_numrows r = {0};
        if (ob_numrows_parse(buf, len, "grads", cols, &r, err, sizeof err) == 0) {
            OB_FUZZ_CHECK(r.rows >= 1 && r.cols >= 1 && (cols == 0 || r.cols == cols),
                          "rows %zu x %zu (asked %u)", r.rows, r.cols, cols);
            ob_numrows_free(&r);
        } else {
            ob_fuzz_check_msg(err, sizeof err);
            OB_FUZZ_CHECK(!strncmp(err, "grads:", 6), "message does not name the file: %s", err);
        }
    }
    free(buf);
    /* The same bytes through the file reader. */
    char path[64];
    int fd = ob_fuzz_file(data + 1, len, path, sizeof path);
    if (fd >= 0) {
        double *v = NULL;
        size_t n = 0;
        if (ob_numlist_read(path, &v, &n, err, sizeof err) == 0) free(v);
        else ob_fuzz_check_msg(err, sizeof err);
        close(fd);
    }
    return 0;
}

OB_FUZZ_ENTRY(ob_fuzz_numfile)
