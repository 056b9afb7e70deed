/*
 * tb.c — TensorBoard event files (ob_tb.h): the TFRecord framing, the
 * scalar events (protobuf-c, harness/tb/tb_event.proto), the conversion of
 * a run's case CSVs, and the `optbench tensorboard` command.
 */
#include "ob_tb.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <isa-l/crc.h>

#include "harness/core/ob_core.h"
#include "harness/ob_cli.h"
#include "harness/tb/tb_event.pb-c.h"

/* ---- framing -------------------------------------------------------------------- */

uint32_t ob_tb_crc32c(const void *data, size_t n)
{
    /* ISA-L's crc32_iscsi is the reflected CRC-32C register without the
     * final inversion: start at ~0 and invert at the end (check value of
     * "123456789": 0xe3069283).  It takes an int length: feed it in
     * pieces. */
    uint32_t crc = 0xFFFFFFFFu;
    const unsigned char *p = data;
    while (n) {
        const size_t m = n > (1u << 30) ? (1u << 30) : n;
        crc = crc32_iscsi((unsigned char *)p, (int)m, crc);
        p += m;
        n -= m;
    }
    return crc ^ 0xFFFFFFFFu;
}

uint32_t ob_tb_masked_crc(const void *data, size_t n)
{
    const uint32_t c = ob_tb_crc32c(data, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static void put(ob_tb_file *f, const void *data, size_t n)
{
    if (f->failed) return;
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->len + n) cap *= 2;
        unsigned char *b = realloc(f->buf, cap);
        if (!b) {
            f->failed = 1;
            return;
        }
        f->buf = b;
        f->cap = cap;
    }
    memcpy(f->buf + f->len, data, n);
    f->len += n;
}

static void put_le(ob_tb_file *f, uint64_t v, size_t bytes)
{
    unsigned char b[8];
    for (size_t i = 0; i < bytes; i++) b[i] = (unsigned char)(v >> (8 * i));
    put(f, b, bytes);
}

/* One TFRecord holding the serialized event. */
static void record(ob_tb_file *f, const Tensorflow__Event *ev)
{
    const size_t n = tensorflow__event__get_packed_size(ev);
    unsigned char stack[256], *data = n <= sizeof stack ? stack : malloc(n);
    if (!data) {
        f->failed = 1;
        return;
    }
    tensorflow__event__pack(ev, data);
    unsigned char len[8];
    for (size_t i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    put(f, len, 8);
    put_le(f, ob_tb_masked_crc(len, 8), 4);
    put(f, data, n);
    put_le(f, ob_tb_masked_crc(data, n), 4);
    if (data != stack) free(data);
}

void ob_tb_begin(ob_tb_file *f, double wall_time)
{
    memset(f, 0, sizeof *f);
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    ev.wall_time = wall_time;
    ev.what_case = TENSORFLOW__EVENT__WHAT_FILE_VERSION;
    ev.file_version = (char *)"brain.Event:2";
    record(f, &ev);
}

void ob_tb_scalar(ob_tb_file *f, const char *tag, int64_t step, float value, double wall_time)
{
    Tensorflow__Summary__Value v = TENSORFLOW__SUMMARY__VALUE__INIT;
    v.tag = (char *)tag;
    v.value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
    v.simple_value = value;
    Tensorflow__Summary__Value *vs[1] = {&v};
    Tensorflow__Summary s = TENSORFLOW__SUMMARY__INIT;
    s.n_value = 1;
    s.value = vs;
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    ev.wall_time = wall_time;
    ev.step = step;
    ev.what_case = TENSORFLOW__EVENT__WHAT_SUMMARY;
    ev.summary = &s;
    record(f, &ev);
}

void ob_tb_free(ob_tb_file *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}

/* mkdir -p. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return ob_fail(err, errlen, "path too long");
    for (char *s = path + 1;; s++) {
        const char c = *s;
        if (c != '/' && c != '\0') continue;
        *s = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return ob_fail(err, errlen, "cannot make folder %s: %s", path, strerror(errno));
        *s = c;
        if (!c) break;
    }
    return 0;
}

int ob_tb_write(ob_tb_file *f, const char *dir, double wall_time, char *err, size_t errlen)
{
    int rc = -1;
    if (f->failed) rc = ob_fail(err, errlen, "out of memory building the event file for %s", dir);
    else if (make_dirs(dir, err, errlen) == 0) {
        char host[256] = "localhost", path[4200];
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        /* TensorBoard's naming: events.out.tfevents.<seconds>.<host> */
        snprintf(path, sizeof path, "%s/events.out.tfevents.%lld.%s", dir, (long long)wall_time, host);
        ob_atomic_file af;
        if (ob_atomic_open(&af, path, err, errlen) == 0) {
            fwrite(f->buf, 1, f->len, af.f);
            rc = ob_atomic_commit(&af, err, errlen);
        }
    }
    ob_tb_free(f);
    return rc;
}

/* ---- a run's case CSVs -------------------------------------------------------------- */

#define TB_MAX_COLS 256

/* "<path>_<metric>" -> "<metric>/<path>" (at the last '_' whose metric is
 * one of the CSV's per-path metrics); other columns keep their name.  With
 * a setting, "/<setting>" follows (ob_tb_from_csv_setting). */
static void tag_of(const char *col, const char *setting, char *tag, size_t len)
{
    static const char *const metrics[] = {"loss", "gap", "dist", "gnorm", "agree", "dev", "x1", "x2"};
    const char *us = strrchr(col, '_');
    const char *sep = setting ? "/" : "", *set = setting ? setting : "";
    /* heldout_loss becomes loss/heldout, beside loss/ref in one chart. */
    if (us && us != col)
        for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++)
            if (!strcmp(us + 1, metrics[i])) {
                snprintf(tag, len, "%s/%.*s%s%s", metrics[i], (int)(us - col), col, sep, set);
                return;
            }
    snprintf(tag, len, "%s%s%s", col, sep, set);
}

/* Splits a CSV line in place at commas (no quoting: the case CSVs have
 * none); returns the number of fields. */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *s = line; n < max;) {
        fields[n++] = s;
        char *c = strchr(s, ',');
        if (!c) break;
        *c = '\0';
        s = c + 1;
    }
    return n;
}

int ob_tb_from_csv(const char *csv_path, const char *dir, double wall_time, size_t *events, char *err,
                   size_t errlen)
{
    return ob_tb_from_csv_setting(csv_path, dir, NULL, wall_time, events, err, errlen);
}

int ob_tb_from_csv_setting(const char *csv_path, const char *dir, const char *setting, double wall_time,
                           size_t *events, char *err, size_t errlen)
{
    FILE *in = fopen(csv_path, "r");
    if (!in) return ob_fail(err, errlen, "cannot read %s: %s", csv_path, strerror(errno));
    char *line = NULL, *header = NULL, *cols[TB_MAX_COLS], *vals[TB_MAX_COLS];
    char tags[TB_MAX_COLS][256];
    size_t cap = 0, ncol = 0, lineno = 0;
    int rc = 0;
    ob_tb_file f;
    ob_tb_begin(&f, wall_time);
    *events = 0;
    while (rc == 0 && getline(&line, &cap, in) > 0) {
        lineno++;
        if (!header) {
            header = strdup(line);
            if (!header) rc = ob_fail(err, errlen, "out of memory");
            else if ((ncol = split(header, cols, TB_MAX_COLS)) < 2 || strcmp(cols[0], "step"))
                rc = ob_fail(err, errlen, "%s: not a case CSV (its first column is not 'step')", csv_path);
            for (size_t k = 0; rc == 0 && k < ncol; k++) tag_of(cols[k], setting, tags[k], sizeof tags[k]);
            continue;
        }
        const size_t nv = split(line, vals, TB_MAX_COLS);
        char *end;
        const long long step = strtoll(vals[0], &end, 10);
        if (nv != ncol || *end || end == vals[0]) {
            rc = ob_fail(err, errlen, "%s:%zu: malformed row (%zu fields, the header has %zu)", csv_path, lineno,
                         nv, ncol);
            break;
        }
        for (size_t k = 1; k < ncol; k++) {
            if (!vals[k][0]) continue;
            const double v = strtod(vals[k], &end);
            if (*end) {
                rc = ob_fail(err, errlen, "%s:%zu: '%s' in column %s is not a number", csv_path, lineno, vals[k],
                             cols[k]);
                break;
            }
            ob_tb_scalar(&f, tags[k], step, (float)v, wall_time);
            (*events)++;
        }
    }
    fclose(in);
    free(line);
    free(header);
    if (rc == 0 && lineno == 0) rc = ob_fail(err, errlen, "%s is empty", csv_path);
    if (rc != 0) {
        ob_tb_free(&f);
        return rc;
    }
    return ob_tb_write(&f, dir, wall_time, err, errlen);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ob_tb_from_run(const char *run_dir, const char *out_dir, size_t *files, size_t *events, char *err,
                   size_t errlen)
{
    char cases[4200];
    snprintf(cases, sizeof cases, "%s/cases", run_dir);
    DIR *d = opendir(cases);
    if (!d) return ob_fail(err, errlen, "%s has no cases folder (not a run folder?): %s", run_dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".csv")) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    const double wall = (double)time(NULL);
    int rc = 0;
    *files = *events = 0;
    for (size_t i = 0; i < n; i++) {
        char csv[8400], dir[8400];
        snprintf(csv, sizeof csv, "%s/%s", cases, names[i]);
        snprintf(dir, sizeof dir, "%s/%.*s", out_dir, (int)(strlen(names[i]) - 4), names[i]);
        size_t ev = 0;
        if (rc == 0 && (rc = ob_tb_from_csv(csv, dir, wall, &ev, err, errlen)) == 0) {
            (*files)++;
            *events += ev;
        }
        free(names[i]);
    }
    free(names);
    if (rc == 0 && *files == 0) rc = ob_fail(err, errlen, "%s has no case CSV to convert", cases);
    return rc;
}

/* ---- optbench tensorboard ------------------------------------------------------------- */

const ob_cmd_spec ob_cmd_tensorboard_spec = {
    "tensorboard",
    "RUN_DIR OUT_DIR",
    "write a run's per-step series as TensorBoard event files",
    "Every case CSV of RUN_DIR (cases/<case>.csv) becomes OUT_DIR/<case>/\n"
    "events.out.tfevents.<time>.<host>: one scalar per row and column, tagged\n"
    "<metric>/<path> (loss/avx512, gap/ref, agree/scalar, ...), step = the row's\n"
    "step.  Open them with `tensorboard --logdir OUT_DIR`.  `optbench run\n"
    "--tensorboard DIR` does the same at the end of a run.  Files are written\n"
    "atomically.  Exit status: 0, 1 a file could not be read or written, 2 bad\n"
    "arguments.\n",
    NULL,
    0,
    2,
    2,
    ob_cmd_tensorboard,
};

int ob_cmd_tensorboard(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_tensorboard_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;
    char msg[1024];
    size_t files, events;
    if (ob_tb_from_run(a.pos[0], a.pos[1], &files, &events, msg, sizeof msg) != 0) {
        fprintf(err, "optbench tensorboard: %s\n", msg);
        rc = OB_EXIT_FAIL;
    } else {
        fprintf(out, "%zu event files, %zu scalars in %s (tensorboard --logdir %s)\n", files, events, a.pos[1],
                a.pos[1]);
    }
    ob_args_free(&a);
    return rc;
}
