/*
 * test_tensorboard.c — TensorBoard event files (harness/tb/): CRC-32C and
 * its mask against published values; `optbench run --tensorboard` read
 * back value for value by an independent decoder (scripts/tb-read.py:
 * Python's protobuf package on the same .proto compiled by protoc, record
 * CRCs by the crc32c package); a corrupted record caught by that reader;
 * bad input refused with a message.  The Python parts are SKIPPED where
 * python3-protobuf, python3-crc32c or protoc are not installed.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/ob_cli.h"
#include "harness/tb/ob_tb.h"
#include "common/ob_test_proc.h"

Test(tb, crc32c_and_its_mask)
{
    /* The CRC-32C check value (RFC 3720 B.4 lists it as the iSCSI CRC). */
    cr_assert_eq(ob_tb_crc32c("123456789", 9), 0xe3069283u);
    cr_assert_eq(ob_tb_crc32c("", 0), 0u);
    /* 32 bytes of zeros: RFC 3720 B.4's first vector, 0x8a9136aa. */
    unsigned char z[32] = {0};
    cr_assert_eq(ob_tb_crc32c(z, sizeof z), 0x8a9136aau);
    /* TensorFlow's mask: rotate right by 15, add 0xa282ead8. */
    const uint32_t c = 0xe3069283u;
    cr_assert_eq(ob_tb_masked_crc("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

/* The single file under dir/<case>/ (find). */
static void event_file(const char *dir, char *path, size_t len)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "find %s -name 'events.out.tfevents.*' -type f", dir);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(path, (int)len, f), "no event file under %s", dir);
    path[strcspn(path, "\n")] = '\0';
    pclose(f);
}

/* scripts/tb-read.py FILE: its stdout, and the exit status in *rc (2:
 * a tool is missing). */
static char *tb_read(const char *file, int *rc)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 scripts/tb-read.py '%s' 2>&1", file);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 4096) {
            cap *= 2;
            cr_assert_not_null(buf = realloc(buf, cap));
        }
    }
    buf[n] = '\0';
    const int st = pclose(f);
    *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

static void skip_without_reader(void)
{
    if (access("/usr/bin/python3", X_OK) != 0 || system("/usr/bin/python3 -c 'import google.protobuf, crc32c' "
                                                       ">/dev/null 2>&1 && command -v protoc >/dev/null") != 0)
        cr_skip_test("SKIPPED: the independent reader needs python3-protobuf, python3-crc32c and protoc");
}

#define ARGV(...) ((const char *const[]){"optbench", __VA_ARGS__, NULL})

/* optbench argv in this process: asserts the exit status and, where must
 * is not NULL, that stderr holds it; returns stdout (free it). */
static char *expect_exit(const char *const *argv, int want, const char *must)
{
    char *out, *err;
    int rc = ob_cli_capture(argv, &out, &err);
    cr_assert_eq(rc, want, "exit %d, expected %d: %s", rc, want, err);
    if (must) cr_assert(strstr(err, must), "%s", err);
    free(err);
    return out;
}

/* A 40-step Adam run on Rosenbrock (every ISA) with --tensorboard, in a
 * scratch folder: its case CSV and its one event file. */
typedef struct tb_run {
    char dir[64], csv[512], tb[128], file[1024];
} tb_run;

static void small_run(tb_run *r)
{
    skip_without_reader();
    ob_tp_scratch(r->dir, sizeof r->dir, "tb");
    char out_dir[128];
    snprintf(out_dir, sizeof out_dir, "%s/results", r->dir);
    snprintf(r->tb, sizeof r->tb, "%s/tb", r->dir);
    char *out = expect_exit(ARGV("run", "--problem", "mgh_rosenbrock", "--opt", "adam", "--steps", "40", "--out",
                                 out_dir, "--tensorboard", r->tb, "--quiet"),
                            0, NULL);
    cr_assert(strstr(out, "TensorBoard: 1 event files"), "%s", out);
    free(out);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s/*/cases/mgh_rosenbrock.adam.csv", out_dir);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(r->csv, (int)sizeof r->csv, f));
    r->csv[strcspn(r->csv, "\n")] = '\0';
    pclose(f);
    event_file(r->tb, r->file, sizeof r->file);
}

/* Walks the CSV: every non-empty cell must be the next scalar of the
 * reader's output `got` (after its file_version line), with its step, its
 * tag (<metric>/<path>, then "/<setting>" when setting is given) and its
 * value rounded to fp32.  Returns the number of values checked. */
static size_t walk_csv(const char *csv, const char *got, const char *setting)
{
    cr_assert(!strncmp(got, "file_version brain.Event:2\n", 27), "%.200s", got);
    FILE *f = fopen(csv, "r");
    cr_assert_not_null(f);
    char line[8192], header[8192], *cols[256];
    cr_assert_not_null(fgets(header, sizeof header, f));
    header[strcspn(header, "\n")] = '\0';
    size_t ncol = 0;
    for (char *s = strtok(header, ","); s && ncol < 256; s = strtok(NULL, ",")) cols[ncol++] = s;
    const char *at = got + 27;
    size_t checked = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        /* Cell by cell: an empty cell (no held-out value) writes nothing. */
        char *cell = line;
        const long long step = strtoll(cell, NULL, 10);
        for (size_t k = 1; k < ncol && (cell = strchr(cell, ',')); k++) {
            cell++;
            if (*cell == ',' || !*cell) continue;
            /* The README's rule: a per-path column <path>_<metric> is
             * tagged <metric>/<path>; any other keeps its name. */
            static const char *const metrics[] = {"loss", "gap", "dist", "gnorm", "agree", "dev", "x1", "x2"};
            char tag[256];
            const char *us = strrchr(cols[k], '_');
            snprintf(tag, sizeof tag, "%s", cols[k]);
            for (size_t mi = 0; us && mi < sizeof metrics / sizeof *metrics; mi++)
                if (!strcmp(us + 1, metrics[mi])) snprintf(tag, sizeof tag, "%s/%.*s", us + 1, (int)(us - cols[k]), cols[k]);
            if (setting) {
                size_t l = strlen(tag);
                snprintf(tag + l, sizeof tag - l, "/%s", setting);
            }
            const float want = (float)strtod(cell, NULL);
            long long s2;
            char t2[256];
            double v2;
            int used = 0;
            cr_assert_eq(sscanf(at, "%lld\t%255[^\t]\t%lf\n%n", &s2, t2, &v2, &used), 3, "reader output ends early: %.80s", at);
            cr_assert_eq(s2, step, "step %lld, read %lld (%s)", step, s2, tag);
            cr_assert_str_eq(t2, tag, "step %lld, column %s", step, cols[k]);
            cr_assert((isnan(want) && isnan(v2)) || v2 == (double)want, "step %lld %s: wrote %a, read %a", step, tag,
                      (double)want, v2);
            at += used;
            checked++;
        }
    }
    fclose(f);
    cr_assert_eq(*at, '\0', "the reader found more scalars than the CSV has: %.80s", at);
    return checked;
}

Test(tb, every_value_read_back_by_an_independent_decoder, .timeout = 120)
{
    tb_run r;
    small_run(&r);
    cr_assert(strstr(r.file, "/mgh_rosenbrock.adam/events.out.tfevents."), "%s", r.file);
    int rc;
    char *got = tb_read(r.file, &rc);
    cr_assert_eq(rc, 0, "tb-read: %s", got);
    const size_t checked = walk_csv(r.csv, got, NULL);
    cr_assert(checked > 1000, "%zu values", checked);
    cr_log_info("%zu scalars read back by scripts/tb-read.py", checked);
    free(got);
    ob_tp_rmtree(r.dir);
}

/* sweep --tensorboard: one event file per run, its tags ending in the
 * setting; the values are those of the same case run by `optbench run`
 * (the sweep's runs step the scalar path with the same seed). */
Test(tb, sweep_runs_read_back_with_their_setting, .timeout = 120)
{
    skip_without_reader();
    char dir[64], sw[128], tb[128], rd[128];
    ob_tp_scratch(dir, sizeof dir, "tb");
    snprintf(sw, sizeof sw, "%s/sweep", dir);
    snprintf(tb, sizeof tb, "%s/tb", dir);
    snprintf(rd, sizeof rd, "%s/run", dir);
    free(expect_exit(ARGV("sweep", "--problem", "mgh_rosenbrock", "--opt", "adam", "--grid", "lr=0.01,0.02", "--steps",
                          "30", "--jobs", "2", "--no-figures", "--quiet", "--out", sw, "--tensorboard", tb),
                     0, NULL));
    free(expect_exit(ARGV("run", "--problem", "mgh_rosenbrock", "--opt", "adam", "--set", "lr=0.02", "--steps", "30",
                          "--isa", "scalar", "--quiet", "--out", rd),
                     0, NULL));
    char sub[256], file[1024], csv[512];
    snprintf(sub, sizeof sub, "%s/mgh_rosenbrock.adam/lr=0.01_seed=0", tb);
    event_file(sub, file, sizeof file);
    snprintf(sub, sizeof sub, "%s/mgh_rosenbrock.adam/lr=0.02_seed=0", tb);
    event_file(sub, file, sizeof file);
    snprintf(csv, sizeof csv, "%s/latest/cases/mgh_rosenbrock.adam.csv", rd);
    int rrc;
    char *got = tb_read(file, &rrc);
    cr_assert_eq(rrc, 0, "tb-read: %s", got);
    const size_t checked = walk_csv(csv, got, "lr=0.02 seed=0");
    cr_assert(checked > 300, "%zu values", checked);
    free(got);
    ob_tp_rmtree(dir);
}

/* Flips one bit at byte `at` of a copy of the file; the reader must say
 * which check failed. */
static void corrupt_and_read(const char *file, long at, const char *must)
{
    char copy[1100];
    snprintf(copy, sizeof copy, "%s.bad", file);
    FILE *in = fopen(file, "rb"), *out = fopen(copy, "wb");
    cr_assert(in && out);
    int ch;
    long i = 0;
    while ((ch = fgetc(in)) != EOF) fputc(i++ == at ? ch ^ 0x10 : ch, out);
    fclose(in);
    fclose(out);
    int rc;
    char *got = tb_read(copy, &rc);
    cr_assert_eq(rc, 1, "the reader accepted a file corrupted at byte %ld: %.200s", at, got);
    cr_assert(strstr(got, must), "byte %ld: %s", at, got);
    free(got);
    unlink(copy);
}

Test(tb, a_corrupted_record_fails_its_crc, .timeout = 120)
{
    tb_run r;
    small_run(&r);
    corrupt_and_read(r.file, 2, "bad length CRC");   /* the first record's length */
    corrupt_and_read(r.file, 14, "bad data CRC");    /* inside its data */
    corrupt_and_read(r.file, 200, "CRC");            /* somewhere in a later record */
    ob_tp_rmtree(r.dir);
}

Test(tb, bad_input_is_refused)
{
    char dir[64], p[128];
    ob_tp_scratch(dir, sizeof dir, "tb");
    /* Arguments. */
    free(expect_exit(ARGV("tensorboard", dir), 2, NULL));
    /* Not a run folder. */
    snprintf(p, sizeof p, "%s/tb", dir);
    free(expect_exit(ARGV("tensorboard", dir, p), 1, "no cases folder"));
    /* A malformed CSV names its line, and nothing is written for it. */
    snprintf(p, sizeof p, "%s/cases", dir);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/cases/x.csv", dir);
    FILE *f = fopen(p, "w");
    fputs("step,ref_loss\n0,1.5\n1,abc\n", f);
    fclose(f);
    char msg[512];
    size_t ev;
    snprintf(p, sizeof p, "%s/cases/x.csv", dir);
    char outdir[128];
    snprintf(outdir, sizeof outdir, "%s/tbx", dir);
    cr_assert_eq(ob_tb_from_csv(p, outdir, 0, &ev, msg, sizeof msg), -1);
    cr_assert(strstr(msg, "x.csv:3: 'abc' in column ref_loss is not a number"), "%s", msg);
    cr_assert_neq(access(outdir, F_OK), 0, "a folder was made for a refused file");
    f = fopen(p, "w");
    fputs("loss,step\n1,2\n", f);
    fclose(f);
    cr_assert_eq(ob_tb_from_csv(p, outdir, 0, &ev, msg, sizeof msg), -1);
    cr_assert(strstr(msg, "not a case CSV"), "%s", msg);
    ob_tp_rmtree(dir);
}
