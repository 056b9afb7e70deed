/*
 * test_trace_edges.c — what `optbench trace` does with the edge cases of
 * its number files (README "optbench trace", harness/core/ob_core.h):
 * blank and white-space lines (ignored after the last row, an error
 * between rows), CRLF line endings, a missing final newline, a truncated
 * last line, every spelling of NaN and Inf (and "nan" printed for a NaN
 * whatever its sign bit), a device such as /dev/urandom refused before a
 * byte is read, a file over the cap refused from its size before reading,
 * and a pipe read up to the cap and refused past it.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "common/ob_test_proc.h"

#define SETS(...) ((const char *const[]){__VA_ARGS__, NULL})

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/ob_trace_edges_XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
}

static void cleanup_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) cr_log_warn("could not remove %s", dir);
}

TestSuite(trace_edges, .init = make_dir, .fini = cleanup_dir);

/* dir/name holding text; the path (static, one of four). */
static const char *write_text(const char *name, const char *text)
{
    static char paths[4][128];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, 128, "%s/%s", dir, name);
    cr_assert_eq(ob_tp_write(path, text, strlen(text)), 0, "cannot write %s", path);
    return path;
}

/* `optbench trace --opt OPT --isa ISA --x0 "1,-2" --grads PATH`: the exit
 * code, with stdout and stderr in *out and *err (free them). */
static int trace(const char *opt, const char *isa, const char *grads, char **out, char **err)
{
    const char *x0 = write_text("x0.txt", "1,-2\n");
    return ob_cli_capture(SETS("optbench", "trace", "--opt", opt, "--set", "lr=0.1", "--isa", isa, "--x0", x0,
                               "--grads", grads),
                          out, err);
}

/* The output of a trace that must succeed. */
static char *trace_ok(const char *isa, const char *grads_text)
{
    char *out, *err;
    int rc = trace("adam", isa, write_text("g.csv", grads_text), &out, &err);
    cr_assert_eq(rc, 0, "grads '%s': exit %d: %s", grads_text, rc, err);
    free(err);
    return out;
}

/* A trace that must fail with exit 2, nothing on stdout and every `must`
 * piece in the message. */
static void expect_error(const char *grads_path, const char *const *must)
{
    char *out, *err;
    int rc = trace("adam", "scalar", grads_path, &out, &err);
    cr_assert_eq(rc, 2, "%s: exit %d: %s", grads_path, rc, err);
    cr_assert_str_eq(out, "", "%s: output on an error: %s", grads_path, out);
    for (size_t i = 0; must[i]; i++) cr_assert(strstr(err, must[i]), "%s: '%s' lacks '%s'", grads_path, err, must[i]);
    free(out);
    free(err);
}

static const char PLAIN[] = "0.5,-1\n0.25,2\n";

Test(trace_edges, blank_lines_after_the_last_row_are_ignored)
{
    static const char *const tails[] = {"\n", "\n\n\n", "  \n", "\t \n\n", " ", "\r\n", "\n \r\n\t"};
    char *want = trace_ok("scalar", PLAIN);
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "%s%s", PLAIN, tails[i]);
        char *got = trace_ok("scalar", text);
        cr_assert_str_eq(got, want, "trailing %zu ('%s') changed the output", i, tails[i]);
        free(got);
    }
    free(want);
}

Test(trace_edges, blank_lines_between_rows_are_errors_naming_the_line)
{
    /* Line t is the gradient of step t: skipping a blank line would
     * shift every later step. */
    expect_error(write_text("b.csv", "0.5,-1\n\n0.25,2\n"), SETS("b.csv:2:1:", "empty line", "expected 2"));
    expect_error(write_text("b.csv", "0.5,-1\n \t \n0.25,2\n"), SETS("b.csv:2:1:", "empty line"));
    expect_error(write_text("b.csv", "\n0.5,-1\n"), SETS("b.csv:1:1:", "empty line"));
    expect_error(write_text("b.csv", "\n \n\n"), SETS("b.csv:1:1:", "only blank lines"));
    expect_error(write_text("b.csv", ""), SETS("b.csv:1:1:", "empty file"));
}

Test(trace_edges, crlf_and_a_missing_final_newline_read_as_plain_lines)
{
    char *want = trace_ok("scalar", PLAIN);
    static const char *const same[] = {"0.5,-1\r\n0.25,2\r\n", "0.5,-1\n0.25,2", "0.5,-1\r\n0.25,2",
                                       " 0.5 , -1 \r\n0.25,2 \r\n"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char *got = trace_ok("scalar", same[i]);
        cr_assert_str_eq(got, want, "'%s'", same[i]);
        free(got);
    }
    free(want);
}

Test(trace_edges, a_truncated_last_line_is_an_error_naming_it)
{
    expect_error(write_text("t.csv", "0.5,-1\n0.25"), SETS("t.csv:2:5:", "too few numbers: found 1, expected 2"));
    expect_error(write_text("t.csv", "0.5,-1\n0.25,"), SETS("t.csv:2:", "empty field"));
    expect_error(write_text("t.csv", "0.5,-1\n0.25,2e"), SETS("t.csv:2:6:", "'2e' is not a number"));
    expect_error(write_text("t.csv", "0.5,-1\n0.25,2\n0."), SETS("t.csv:3:", "too few numbers"));
}

Test(trace_edges, nan_and_inf_spellings_and_nan_printed_without_a_sign)
{
    /* Every spelling strtod takes; "-nan" has its sign bit set, which
     * printf would show as "-nan". */
    static const char *const nans[] = {"nan", "-nan", "NaN", "+nan", "NAN(123)"};
    static const char *const infs[] = {"inf", "-inf", "Infinity", "-INFINITY", "+Inf"};
    static const char *const isas[] = {"reference", "scalar"};
    for (size_t v = 0; v < 2; v++)
        for (size_t k = 0; k < 2; k++)
            for (size_t i = 0; i < 5; i++) {
                char text[64];
                snprintf(text, sizeof text, "%s,1\n1,%s\n", k ? infs[i] : nans[i], k ? infs[i] : nans[i]);
                char *out, *err;
                int rc = trace("sgd", isas[v], write_text("n.csv", text), &out, &err);
                cr_assert_eq(rc, 0, "%s: exit %d: %s", text, rc, err);
                cr_assert(strstr(out, "nan") || strstr(out, "inf"), "%s: %s", text, out);
                cr_assert(!strstr(out, "-nan"), "%s on %s printed '-nan': %s", text, isas[v], out);
                free(out);
                free(err);
            }
}

Test(trace_edges, devices_are_refused_before_reading, .timeout = 10)
{
    /* /dev/urandom never ends and is not text: it used to be read up to
     * 1 GiB before being refused; /dev/zero would be the same. */
    expect_error("/dev/urandom", SETS("/dev/urandom: cannot read", "character device", "regular file or a pipe"));
    expect_error("/dev/zero", SETS("/dev/zero: cannot read", "character device"));
    expect_error(dir, SETS("cannot read: Is a directory"));
}

Test(trace_edges, a_file_over_the_cap_is_refused_from_its_size, .timeout = 10)
{
    /* A sparse file one byte over the cap: refused from fstat, without
     * reading its 256 MiB of zeros. */
    const char *path = write_text("huge.csv", "");
    int fd = open(path, O_WRONLY);
    cr_assert(fd >= 0);
    cr_assert_eq(ftruncate(fd, (off_t)OB_NUMFILE_MAX + 1), 0);
    close(fd);
    expect_error(path, SETS("huge.csv: too large", "268435457 bytes", "at most 256 MiB"));
}

/* A FIFO at path fed by a child: `text`, or when NULL len bytes of
 * `fill`; the child's pid. */
static pid_t fifo_writer(const char *path, const char *text, char fill, size_t len)
{
    unlink(path);
    cr_assert_eq(mkfifo(path, 0600), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        int fd = open(path, O_WRONLY);
        char buf[4096];
        memset(buf, fill, sizeof buf);
        if (text && fd >= 0 && write(fd, text, strlen(text)) < 0) _exit(1);
        for (size_t done = 0; !text && fd >= 0 && done < len;) {
            size_t k = len - done < sizeof buf ? len - done : sizeof buf;
            ssize_t w = write(fd, buf, k);
            if (w <= 0) break;
            done += (size_t)w;
        }
        _exit(0);
    }
    return pid;
}

Test(trace_edges, a_pipe_is_read_up_to_the_cap_and_refused_past_it, .timeout = 20)
{
    char path[128], *text = NULL, err[256];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/fifo", dir);
    /* Within the cap: read whole. */
    pid_t pid = fifo_writer(path, NULL, '1', 1000);
    cr_assert_eq(ob_read_file_max(path, 4096, &text, &len, err, sizeof err), 0, "%s", err);
    cr_assert_eq(len, 1000);
    free(text);
    waitpid(pid, NULL, 0);
    /* Past it: refused after max + 1 bytes, the writer left with a broken
     * pipe rather than read to its end. */
    pid = fifo_writer(path, NULL, '1', (size_t)1 << 24);
    cr_assert_eq(ob_read_file_max(path, 4096, &text, &len, err, sizeof err), -1);
    cr_assert(strstr(err, "fifo: too large: more than 4096 bytes"), "%s", err);
    int st;
    waitpid(pid, &st, 0);
    /* And through the command: a FIFO of gradients (`--grads <(...)`)
     * gives what the same file gives. */
    char *want = trace_ok("scalar", PLAIN), *out, *e2;
    pid = fifo_writer(path, PLAIN, 0, 0);
    cr_assert_eq(trace("adam", "scalar", path, &out, &e2), 0, "%s", e2);
    cr_assert_str_eq(out, want);
    waitpid(pid, NULL, 0);
    free(want);
    free(out);
    free(e2);
}
