/*
 * test_badinput.c — every kind of bad input, each with the error it gets.
 *
 * One table: a command line (and the content of an input file) -> the exit
 * code and a piece of the message, which must name the input.  The rows
 * written out by hand cover unknown names and options, malformed numbers,
 * empty, truncated, binary, huge and missing files, wrong dimensions,
 * missing and corrupt data sets, unwritable output folders and a full disk;
 * rows generated from the tables add every out-of-range value of every
 * hyperparameter and schedule key (NaN and Inf included), so a new entry in
 * a table is covered without a new row.  Exit codes (README "Exit codes"):
 * 0 ok, 1 work failed, 2 bad input, 3 agreement, 4 results not written,
 * 5 data set, 130/143 interrupted.
 *
 * Beyond the code and the message, every row must leave no partial output
 * that looks complete: a command stopped by bad input writes nothing at
 * all, and one stopped by an I/O error leaves no temporary file and no
 * results.json that says "complete".  Each row runs in its own child
 * (ob_test_proc.h), so a crash is a failure of that row, not of the suite.
 *
 * Further tests: a full disk at every point of a run (the OB_TEST_ENOSPC_ENV
 * hook), a real full and a read-only file system (tmpfs, when this process
 * may mount one), and results files of another format version.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/ob_cli.h"
#include "harness/core/ob_core.h"
#include "common/ob_test_proc.h"

#define F_HUGE ((size_t)-1) /* @F is a sparse file of 2 GiB */
#define F_DIR ((size_t)-2)  /* @F is a folder */

typedef struct bad_row {
    /* The subcommand and its arguments.  In these, the needle and env:
     * @F the row's input file, @D its scratch folder, @O @D/out (the
     * results folder: it must not exist afterwards unless rc is 4). */
    const char *argv[24];
    int rc;             /* the exit code it must get */
    const char *needle; /* a piece of stderr */
    const char *file;   /* content of @F (NULL: no file) */
    size_t file_len;    /* 0: strlen(file); or F_HUGE, F_DIR */
    const char *fname;  /* @F's name in @D (NULL: "input") */
    const char *env;    /* NAME=VALUE for the command, or NULL */
} bad_row;

#define RUN "run", "--out", "@O", "--quiet"
/* A valid suite case around one bad entry. */
#define SUITE(...) "{\"cases\": [{\"problem\": \"booth\", \"steps\": 5" __VA_ARGS__ "}]}"
/* IDX headers (big-endian): 3-D images 60000 x 28 x 28, and 1-D labels. */
#define IDX3 "\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00\x00\x1c\x00\x00\x00\x1c"
#define IDX1 "\x00\x00\x08\x01\x00\x00\xea\x60"

static const bad_row rows[] = {
    /* ---- the command line ---------------------------------------------- */
    {.argv = {NULL}, 2, "usage: optbench"},
    {.argv = {"frobnicate"}, 2, "unknown command 'frobnicate'"},
    {.argv = {"--frobnicate"}, 2, "unknown option '--frobnicate'"},
    {.argv = {RUN, "--bogus"}, 2, "unknown option '--bogus'"},
    {.argv = {RUN, "-x"}, 2, "unknown option '-x'"},
    {.argv = {RUN, "--steps"}, 2, "option needs a value: '--steps'"},
    {.argv = {"run", "--quiet=1"}, 2, "option takes no value: '--quiet=1'"},
    {.argv = {RUN, "--steps", "5", "--steps", "6"}, 2, "option given more than once: '--steps'"},
    {.argv = {RUN, "extra"}, 2, "unexpected argument 'extra'"},
    {.argv = {"trace", "--opt", "adam"}, 2, "missing required option --isa"},
    {.argv = {"list", "bogus"}, 2, "unknown section 'bogus'"},
    {.argv = {"list", "problems", "nosuch"}, 2, "unknown problem 'nosuch'"},
    {.argv = {"list", "isas", "sse9"}, 2, "unknown instruction set 'sse9'"},
    /* ---- unknown names ---------------------------------------------------- */
    {.argv = {RUN, "--opt", "adamx", "--problem", "booth"}, 2, "unknown optimizer 'adamx' (known: sgd"},
    {.argv = {RUN, "--problem", "nosuch"}, 2, "unknown problem 'nosuch'"},
    {.argv = {RUN, "--problem", "booth", "--isa", "sse9"}, 2, "unknown --isa 'sse9' (known: scalar"},
    {.argv = {RUN, "--problem", "booth", "--schedule", "nosuch"},
     2,
     "unknown schedule 'nosuch' (known: constant"},
    {.argv = {RUN, "--problem", "booth", "--set", "nosuch=1"},
     2,
     "no chosen optimizer has a hyperparameter 'nosuch'"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--set", "momentum=0.9"},
     2,
     "hyperparameter 'momentum'"},
    {.argv = {RUN, "--problem", "booth", "--schedule", "cosine", "--sched-set", "T_max=9", "--sched-set",
              "nosuch=1"},
     2,
     "cosine has no key 'nosuch'"},
    {.argv = {RUN, "--problem", "booth", "--sched-set", "T_max=5"}, 2, "constant has no key 'T_max'"},
    {.argv = {RUN, "--problem", "quad_diag", "--param", "nosuch=1"}, 2, "unknown parameter 'nosuch'"},
    {.argv = {"trace", "--opt", "adamx", "--isa", "scalar", "--x0", "@F", "--grads", "@F"},
     2,
     "unknown optimizer 'adamx'"},
    {.argv = {"trace", "--opt", "adam", "--isa", "sse9", "--x0", "@F", "--grads", "@F"},
     2,
     "unknown --isa 'sse9'"},
    {.argv = {"schedule", "--schedule", "nosuch", "--lr", "1", "--steps", "3"},
     2,
     "unknown schedule 'nosuch'"},
    /* ---- empty lists and malformed key=value ------------------------------- */
    {.argv = {RUN, "--problem", ","}, 2, "--problem ',': empty list"},
    {.argv = {RUN, "--problem", "booth", "--opt", ",,"}, 2, "--opt ',,': empty list"},
    {.argv = {RUN, "--problem", "booth", "--isa", ","}, 2, "--isa: empty list"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--set", "lr"}, 2, "expected key=value, got 'lr'"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--set", "=1"}, 2, "hyperparameter ''"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--set", "lr="},
     2,
     "adam: lr = '' is not a number"},
    {.argv = {RUN, "--problem", "booth", "--schedule", "step", "--sched-set", "step_size"},
     2,
     "step: expected key=value, got 'step_size'"},
    {.argv = {RUN, "--problem", "quad_diag", "--param", "cond"},
     2,
     "parameter 'cond' is not of the form key=value"},
    {.argv = {RUN, "--problem", "quad_diag", "--param", "cond=1", "--param", "cond=2"},
     2,
     "'cond' is given twice"},
    {.argv =
         {RUN, "--problem", "quad_diag", "--param",
          "cond=1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
          "000000000000000000000000000000000000000000"},
     2,
     "is too long (at most 127 characters)"},
    /* ---- malformed and out-of-range numbers -------------------------------- */
    {.argv = {RUN, "--problem", "booth", "--steps", "0"}, 2, "--steps: '0' is not an integer >= 1"},
    {.argv = {RUN, "--problem", "booth", "--steps", "-3"}, 2, "--steps: '-3' is not an integer"},
    /* 1e3 is an integer (one rule for --steps, --n and integer keys); 1.5e0 is not */
    {.argv = {RUN, "--problem", "booth", "--steps", "1.5e0"}, 2, "--steps: '1.5e0' is not an integer"},
    {.argv = {RUN, "--problem", "booth", "--steps", "1e3 "}, 2, "--steps: '1e3 ' is not an integer"},
    {.argv = {RUN, "--problem", "booth", "--steps", "12abc"}, 2, "--steps: '12abc' is not an integer"},
    {.argv = {RUN, "--problem", "booth", "--steps", ""}, 2, "option needs a non-empty value: '--steps'"},
    {.argv = {RUN, "--problem", "booth", "--steps", "99999999999999999999999"},
     2,
     "'99999999999999999999999' is not an integer"},
    {.argv = {RUN, "--problem", "booth", "--seed", "x"}, 2, "--seed: 'x' is not an integer"},
    {.argv = {RUN, "--problem", "booth", "--threads", "0"}, 2, "--threads: '0' is not an integer >= 1"},
    {.argv = {RUN, "--problem", "nqm", "--batch", "0"}, 2, "--batch: '0' is not an integer >= 1"},
    {.argv = {RUN, "--problem", "quad_diag", "--n", "0"}, 2, "--n: '0' is not an integer >= 1"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--set", "lr=1e"},
     2,
     "adam: lr = '1e' is not a number"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--set", "lr=0x"},
     2,
     "adam: lr = '0x' is not a number"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--set", "lr=1,2"},
     2,
     "adam: lr = '1,2' is not a number"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--set", "lr=1e999"},
     2,
     "adam: lr = inf is out of range"},
    {.argv = {RUN, "--problem", "booth", "--schedule", "cosine", "--sched-set", "T_max=1.5"},
     2,
     "cosine: T_max = 1.5 is not an integer"},
    {.argv = {RUN, "--problem", "booth", "--schedule", "cosine", "--sched-set", "T_max=1e300"},
     2,
     "cosine: T_max = 1e300 is out of range"},
    {.argv = {RUN, "--problem", "quad_diag", "--param", "cond=abc"},
     2,
     "parameter 'cond' needs a finite number (got 'abc')"},
    {.argv = {RUN, "--problem", "quad_diag", "--param", "cond=nan"},
     2,
     "parameter 'cond' needs a finite number (got 'nan')"},
    {.argv = {"schedule", "--schedule", "constant", "--lr", "nan", "--steps", "3"},
     2,
     "--lr 'nan' is not a finite number"},
    {.argv = {"schedule", "--schedule", "constant", "--lr", "1", "--steps", "x"},
     2,
     "--steps 'x' is not a whole number"},
    /* ---- rules across values ---------------------------------------------- */
    {.argv = {RUN, "--problem", "booth", "--opt", "sgd", "--set", "nesterov=1"},
     2,
     "nesterov = true requires momentum > 0 and dampening = 0"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adamw", "--set", "lr=10", "--set", "weight_decay=0.5"},
     2,
     "lr * weight_decay = 5 exceeds 1"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adagrad", "--schedule", "onecycle", "--sched-set",
              "max_lr=0.1", "--sched-set", "total_steps=10"},
     2,
     "adagrad"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--steps", "20", "--schedule", "onecycle",
              "--sched-set", "max_lr=0.1", "--sched-set", "total_steps=10"},
     2,
     "step 20 of 20: onecycle: step 20 is past total_steps = 10"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--steps", "400", "--schedule", "exponential",
              "--sched-set", "gamma=10"},
     2,
     "step 400 of 400: exponential: the learning rate at step 400 is inf"},
    {.argv = {RUN, "--problem", "booth", "--schedule", "cosine"}, 2, "cosine: T_max is required"},
    {.argv = {RUN, "--opt", "adam"}, 2, "--opt, --set and --param need --problem"},
    {.argv = {RUN, "--suite", "@F", "--opt", "adam"}, 2, "--suite cannot be combined", SUITE()},
    {.argv = {"schedule", "--schedule", "onecycle", "--sched-set", "max_lr=1", "--sched-set", "total_steps=5",
              "--lr", "1", "--steps", "9"},
     2,
     "onecycle: step 9 is past total_steps = 5"},
    /* ---- wrong dimensions and problem configurations ----------------------- */
    {.argv = {RUN, "--problem", "booth", "--n", "3"},
     2,
     "problem 'booth' has the fixed dimension n = 2; n = 3 is not allowed"},
    {.argv = {RUN, "--problem", "mgh_ext_rosenbrock", "--n", "3"},
     2,
     "'mgh_ext_rosenbrock' needs n to be a multiple of 2"},
    {.argv = {RUN, "--problem", "mgh_ext_powell", "--n", "6"},
     2,
     "'mgh_ext_powell' needs n to be a multiple of 4"},
    {.argv = {RUN, "--problem", "booth", "--batch", "5"},
     2,
     "'booth' is deterministic and takes no batch size"},
    {.argv = {RUN, "--problem", "heart_logreg", "--param", "file=@F"},
     5,
     "heart_scale file '@F', line 1",
     "garbage\n"},
    {.argv = {RUN, "--problem", "quad_diag", "--n", "100000000000"}, 1, "n = 100000000000 is too large"},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@F", "--grads", "@D/g"},
     2,
     "@D/g:1:5: too many numbers: expected 2",
     "1,2\n"},
    /* ---- suite files -------------------------------------------------------- */
    {.argv = {RUN, "--suite", "@F"}, 2, "@F is empty", ""},
    {.argv = {RUN, "--suite", "@F"}, 2, "@F: malformed JSON at line 1, column 12", "{\"cases\": ["},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "@F: malformed JSON at line 3",
     "{\"cases\": [\n{\"problem\": \"booth\",\n\"steps\": }]}"},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "@F is not a text file (it contains NUL bytes)",
     "{\"cases\"\0\x01\x02\xff",
     12},
    {.argv = {RUN, "--suite", "@F"}, 2, "@F is larger than 1024 MiB", "", F_HUGE},
    {.argv = {RUN, "--suite", "@D/nonexistent.json"},
     2,
     "cannot open @D/nonexistent.json: No such file or directory"},
    {.argv = {RUN, "--suite", "@F"}, 2, "@F cannot be read: Is a directory", "", F_DIR},
    {.argv = {RUN, "--suite", "@F"}, 2, "@F: expected an object with a non-empty \"cases\" array", "[1, 2]"},
    {.argv = {RUN, "--suite", "@F"}, 2, "non-empty \"cases\" array", "{\"cases\": []}"},
    {.argv = {RUN, "--suite", "@F"}, 2, "@F: case 1 (booth): unknown key \"stepz\"", SUITE(", \"stepz\": 3")},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "@F: case 1: \"problem\" (a name) is required",
     "{\"cases\": [{\"steps\": 3}]}"},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "unknown problem 'nosuch'",
     "{\"cases\": [{\"problem\": \"nosuch\"}]}"},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "\"steps\" must be an integer",
     "{\"cases\": [{\"problem\": \"booth\", \"steps\": 1.5}]}"},
    /* caught by the JSON reader's duplicate-key check, before the suite reader */
    {.argv = {RUN, "--suite", "@F"}, 2, "@F: duplicate key \"steps\" in cases[0]", SUITE(", \"steps\": 7")},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "\"n\" must be an integer",
     "{\"cases\": [{\"problem\": \"quad_diag\", \"n\": -1}]}"},
    {.argv = {RUN, "--suite", "@F"}, 2, "lr = inf is out of range", SUITE(", \"lr\": 1e999")},
    {.argv = {RUN, "--suite", "@F"}, 2, "\"lr\" must be a number or an object", SUITE(", \"lr\": \"fast\"")},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "\"lr\" names 'nadam', which is not an optimizer of this case",
     SUITE(", \"optimizers\": [\"adam\"], \"lr\": {\"nadam\": 1}")},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "\"optimizers\" must be an array of strings",
     SUITE(", \"optimizers\": \"adam\"")},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "@F: case 1 (booth): \"optimizers\" is empty",
     SUITE(", \"optimizers\": []")},
    {.argv = {RUN, "--suite", "@F"},
     2,
     "adam: beta1 = 2 is out of range",
     SUITE(", \"optimizers\": [\"adam\"], \"set\": [\"beta1=2\"]")},
    {.argv = {RUN, "--suite", "@F"}, 2, "problem 'booth' has the fixed dimension n = 2", SUITE(", \"n\": 3")},
    {.argv = {RUN, "--suite", "@F"}, 2, "cosine: T_max is required", SUITE(", \"schedule\": \"cosine\"")},
    /* ---- trace input files --------------------------------------------------- */
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@F", "--grads", "@F"},
     2,
     "@F:1:1: empty file",
     ""},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@F", "--grads", "@D/g"},
     2,
     "@F:1:1: no numbers in the file",
     " \n\t\n"},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@F", "--grads", "@D/g"},
     2,
     "@F:1:1: '1.2.3' is not a number",
     "1.2.3"},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@F", "--grads", "@D/g"},
     2,
     "@F:1:3: empty field between commas",
     "1,,2"},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@F", "--grads", "@D/g"},
     2,
     "@F:1:1: '\?\?\?' is not a number",
     "\x01\x02\x03 1",
     5},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@F", "--grads", "@D/g"},
     2,
     "@F: too large",
     "",
     F_HUGE},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@F", "--grads", "@D/g"},
     2,
     "@F: cannot read: Is a directory",
     "",
     F_DIR},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@D/none", "--grads", "@F"},
     2,
     "@D/none: cannot open: No such file or directory",
     "1,2\n"},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@D/x0", "--grads", "@F"},
     2,
     "@F:2:2: too few numbers: found 1",
     "1,2\n3\n",
     0,
     "grads",
     NULL},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@D/x0", "--grads", "@F"},
     2,
     "@F:2:1: empty line",
     "1,2\n\n3,4\n",
     0,
     "grads",
     NULL},
    {.argv = {"trace", "--opt", "adam", "--isa", "scalar", "--x0", "@D/x0", "--grads", "@F"},
     2,
     "@F:1:5: too many numbers",
     "1,2,3\n",
     0,
     "grads",
     NULL},
    /* ---- data sets (exit 5, nothing written) ---------------------------------- */
    {.argv = {RUN, "--problem", "fmnist_logreg", "--steps", "1"},
     5,
     "Fashion-MNIST file '@D/fm/train-images-idx3-ubyte.gz' cannot be opened (No such file or directory): install it "
     "with `apt-get install dataset-fashion-mnist`",
     NULL,
     0,
     NULL,
     "OPTBENCH_FMNIST_DIR=@D/fm"},
    {.argv = {RUN, "--problem", "fmnist_mlp", "--steps", "1"},
     5,
     "'@F' is not an IDX file of 3-dimensional unsigned bytes: magic number 0x00000801",
     IDX1 "\x01\x02\x03\x04\x05\x06\x07\x08",
     16,
     "train-images-idx3-ubyte",
     "OPTBENCH_FMNIST_DIR=@D"},
    {.argv = {RUN, "--problem", "fmnist_logreg", "--steps", "1"},
     5,
     "Fashion-MNIST file '@F' is truncated",
     IDX3 "\x01\x02\x03",
     19,
     "train-images-idx3-ubyte",
     "OPTBENCH_FMNIST_DIR=@D"},
    {.argv = {RUN, "--problem", "fmnist_logreg", "--steps", "1"},
     5,
     "Fashion-MNIST file '@F'",
     "",
     0,
     "train-images-idx3-ubyte",
     "OPTBENCH_FMNIST_DIR=@D"},
    {.argv = {RUN, "--problem", "fmnist_logreg", "--steps", "1"},
     5,
     "Fashion-MNIST file '@F' is truncated",
     "\x1f\x8b\x08\x00garbage",
     12,
     "train-images-idx3-ubyte.gz",
     "OPTBENCH_FMNIST_DIR=@D"},
    {.argv = {RUN, "--problem", "heart_logreg", "--param", "file=@D/none"},
     5,
     "heart_scale file '@D/none' cannot be opened"},
    {.argv = {RUN, "--problem", "heart_logreg", "--param", "file=@F"},
     5,
     "heart_scale file '@F', line 2: the label must be +1 or -1",
     "+1 1:0.5\n7 2:1\n"},
    /* ---- where results go (exit 4) --------------------------------------------- */
    {.argv = {"run", "--quiet", "--problem", "booth", "--steps", "5", "--out", "@F/sub"},
     4,
     "@F exists and is not a folder",
     "x"},
    {.argv = {"run", "--quiet", "--problem", "booth", "--steps", "5", "--out", "/proc/optbench-test/results"},
     4,
     "cannot create folder /proc/optbench-test"},
    {.argv = {RUN, "--problem", "booth", "--opt", "adam", "--steps", "5"},
     4,
     "cannot write @O/2",
     NULL,
     0,
     NULL,
     OB_TEST_ENOSPC_ENV "=0"},
    {.argv = {RUN, "--problem", "booth,quad_diag", "--opt", "adam", "--steps", "50"},
     4,
     "No space left on device",
     NULL,
     0,
     NULL,
     OB_TEST_ENOSPC_ENV "=9000"},
    {.argv = {"ci", "--no-speed", "--update-baseline", "--baseline", "@F/ci-baseline.json"},
     4,
     "cannot create a file beside @F/ci-baseline.json: Not a directory",
     "x"},
    {.argv = {"ci", "--no-speed", "--update-baseline", "--baseline", "@D/b.json", "--junit", "@F/junit.xml"},
     4,
     "@F/junit.xml",
     "x"},
    /* ---- baselines of another format version ---------------------------------- */
    {.argv = {"ci", "--no-speed", "--baseline", "@F"},
     2,
     "@F has baseline format version 3; this optbench reads versions 1 and 2",
     "{\"format\": \"optbench-ci-baseline\", \"version\": 3}"},
    {.argv = {"ci", "--no-speed", "--baseline", "@F"},
     2,
     "@F is not an optbench CI baseline",
     "{\"format\": \"optbench-results\", \"version\": 1}"},
    {.argv = {"ci", "--no-speed", "--baseline", "@D/none.json"}, 2, "baseline @D/none.json: cannot open"},
};

/* ---- running a row -------------------------------------------------------------- */

/* Strings made for generated rows, freed at the end (LeakSanitizer). */
static char **owned;
static size_t n_owned;

static const char *keep(char *s)
{
    char **o = realloc(owned, (n_owned + 1) * sizeof *o);
    cr_assert(o && s);
    owned = o;
    owned[n_owned++] = s;
    return s;
}

static void free_owned(void)
{
    for (size_t i = 0; i < n_owned; i++) free(owned[i]);
    free(owned);
    owned = NULL;
    n_owned = 0;
}

/* s with @F, @D and @O replaced (malloc'd). */
static char *subst(const char *s, const char *dir, const char *file)
{
    size_t cap = strlen(s) * 8 + strlen(dir) * 8 + strlen(file) * 8 + 64, k = 0;
    char *out = malloc(cap);
    cr_assert(out);
    for (const char *p = s; *p; p++) {
        const char *r = NULL;
        if (p[0] == '@' && p[1] == 'F') r = file;
        else if (p[0] == '@' && p[1] == 'D') r = dir;
        else if (p[0] == '@' && p[1] == 'O') r = "out";
        if (!r) {
            out[k++] = *p;
            continue;
        }
        if (p[1] == 'O') k += (size_t)snprintf(out + k, cap - k, "%s/", dir);
        k += (size_t)snprintf(out + k, cap - k, "%s", r);
        p++;
    }
    out[k] = '\0';
    return out;
}

static void make_input(const bad_row *r, const char *path)
{
    if (r->file_len == F_DIR) {
        cr_assert(mkdir(path, 0755) == 0);
    } else if (r->file_len == F_HUGE) {
        /* Sparse: costs no disk, but its size says 2 GiB. */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        cr_assert(fd >= 0 && ftruncate(fd, (off_t)1 << 31) == 0);
        close(fd);
    } else if (r->file) {
        size_t len = r->file_len ? r->file_len : strlen(r->file);
        cr_assert(ob_tp_write(path, r->file, len) == 0, "cannot write %s", path);
    }
}

/* Runs one row; returns 1 if it got what it must, else 0 with cr_expect
 * failures describing it. */
static int run_row(const bad_row *r, size_t idx)
{
    char dir[64];
    ob_tp_scratch(dir, sizeof dir, "badinput");
    char file[256];
    snprintf(file, sizeof file, "%s/%s", dir, r->fname ? r->fname : "input");
    make_input(r, file);
    /* trace rows read a valid x0 (2 numbers) and gradients beside the input. */
    char aux[300];
    snprintf(aux, sizeof aux, "%s/x0", dir);
    ob_tp_write(aux, "1,2\n", 4);
    snprintf(aux, sizeof aux, "%s/g", dir);
    ob_tp_write(aux, "1,2,3\n", 6);
    char *argv[25] = {NULL}, *env[2] = {NULL, NULL};
    size_t argc = 0;
    for (; argc < 24 && r->argv[argc]; argc++) argv[argc] = subst(r->argv[argc], dir, file);
    if (r->env) env[0] = subst(r->env, dir, file);
    char *needle = subst(r->needle, dir, file);
    char *out, *err;
    int rc = ob_tp_run((const char *const *)argv, (const char *const *)env, dir, &out, &err);
    char line[512] = "";
    for (size_t i = 0; i < argc && strlen(line) < 400; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), " %.60s", argv[i]);
    int ok = 1;
    if (rc != r->rc || !strstr(err, needle)) {
        cr_expect_fail("row %zu: optbench%s\n  exit %d (expected %d)\n  stderr: %s  expected to contain: %s",
                       idx, line, rc, r->rc, err, needle);
        ok = 0;
    }
    /* No partial output that looks complete: nothing at all unless the
     * failure is in writing (4), and never a temporary file or a
     * results.json that says "complete". */
    char outdir[128], msg[1024];
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    size_t n_res = 0, n_complete = 0;
    if (ob_tp_check_tree(dir, 1, &n_res, &n_complete, msg, sizeof msg) != 0 || n_complete) {
        cr_expect_fail("row %zu: optbench%s left output that looks complete or broken: %s", idx, line,
                       msg[0] ? msg : "a complete results.json");
        ok = 0;
    }
    if (r->rc != OB_EXIT_IO && access(outdir, F_OK) == 0) {
        cr_expect_fail("row %zu: optbench%s wrote %s although it failed before the work", idx, line, outdir);
        ok = 0;
    }
    for (size_t i = 0; i < argc; i++) free(argv[i]);
    free(env[0]);
    free(needle);
    free(out);
    free(err);
    ob_tp_rmtree(dir);
    return ok;
}

/* ---- rows generated from the tables ------------------------------------------------ */

/* Values outside [lo, hi] (open bounds included), NaN, Inf and -Inf,
 * overflow, and junk.  Writes up to 8 into vals; returns the count. */
static size_t bad_values(double lo, double hi, int lo_open, int hi_open, int integer, char vals[][48])
{
    size_t k = 0;
    static const char *const always[] = {"nan", "inf", "-inf", "1e999", "NaN(0x1)"};
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++) snprintf(vals[k++], 48, "%s", always[i]);
    if (isfinite(lo)) snprintf(vals[k++], 48, "%.17g", lo_open ? lo : lo - 1);
    if (isfinite(hi)) snprintf(vals[k++], 48, "%.17g", hi_open ? hi : hi + 1);
    if (integer) snprintf(vals[k++], 48, "%.17g", lo + 1.5);
    return k;
}

/* A valid value for a required schedule key. */
static double valid_value(const ob_sched_key *k)
{
    if (k->kind == OB_SK_INT) return k->lo + 9;
    return isfinite(k->hi) ? (k->lo + k->hi) / 2 : k->lo + 1;
}

static bad_row *rows_all;
static size_t n_rows_all, n_generated, n_hparam_rows;

static void add_row(const bad_row *r)
{
    bad_row *g = realloc(rows_all, (n_rows_all + 1) * sizeof *g);
    cr_assert(g);
    rows_all = g;
    rows_all[n_rows_all++] = *r;
}

static void generate_rows(void)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) add_row(&rows[i]);
    char vals[8][48], buf[512];
    /* Every hyperparameter of every optimizer. */
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        for (size_t h = 0; h < o->n_hparams; h++) {
            const ob_hparam_spec *sp = &o->hparams[h];
            size_t nv;
            if (sp->kind == OB_HP_BOOL) {
                static const char *const b[] = {"2", "yes", "0.5", "", "-1"};
                nv = sizeof b / sizeof b[0];
                for (size_t v = 0; v < nv; v++) snprintf(vals[v], 48, "%s", b[v]);
            } else {
                nv = bad_values(sp->lo, sp->hi, sp->lo_open, sp->hi_open, 0, vals);
            }
            for (size_t v = 0; v < nv; v++) {
                bad_row r = {.argv = {RUN, "--problem", "booth", "--opt", o->name, "--set"}, 2, NULL};
                snprintf(buf, sizeof buf, "%s=%s", sp->name, vals[v]);
                r.argv[9] = keep(strdup(buf));
                snprintf(buf, sizeof buf, "%s: %s", o->name, sp->name);
                r.needle = keep(strdup(buf));
                add_row(&r);
                n_generated++;
            }
        }
    }
    n_hparam_rows = n_generated;
    /* Every key of every schedule (the others set to valid values). */
    for (size_t si = 0; si < ob_schedule_count; si++) {
        const ob_schedule_spec *sp = ob_schedule_table[si];
        for (size_t ki = 0; ki < sp->n_keys; ki++) {
            const ob_sched_key *k = &sp->keys[ki];
            size_t nv;
            if (k->kind == OB_SK_BOOL || k->kind == OB_SK_ENUM) {
                static const char *const b[] = {"2", "bogus", ""};
                nv = sizeof b / sizeof b[0];
                for (size_t v = 0; v < nv; v++) snprintf(vals[v], 48, "%s", b[v]);
            } else {
                nv = bad_values(k->lo, k->hi, k->lo_open, k->hi_open, k->kind == OB_SK_INT, vals);
            }
            for (size_t v = 0; v < nv; v++) {
                bad_row r = {.argv = {"schedule", "--schedule", sp->name, "--lr", "0.1", "--steps", "3"},
                             2,
                             NULL};
                size_t a = 7;
                for (size_t j = 0; j < sp->n_keys; j++) {
                    if (j == ki || !sp->keys[j].required) continue;
                    snprintf(buf, sizeof buf, "%s=%.17g", sp->keys[j].name, valid_value(&sp->keys[j]));
                    r.argv[a++] = "--sched-set";
                    r.argv[a++] = keep(strdup(buf));
                }
                snprintf(buf, sizeof buf, "%s=%s", k->name, vals[v]);
                r.argv[a++] = "--sched-set";
                r.argv[a++] = keep(strdup(buf));
                snprintf(buf, sizeof buf, "%s: %s", sp->name, k->name);
                r.needle = keep(strdup(buf));
                add_row(&r);
                n_generated++;
            }
        }
    }
}

Test(badinput, every_row_gets_its_exit_code_and_message, .timeout = 300)
{
    generate_rows();
    size_t ok = 0;
    for (size_t i = 0; i < n_rows_all; i++) ok += (size_t)run_row(&rows_all[i], i);
    cr_log_info(
        "bad inputs: %zu rows (%zu written out; generated from the tables: %zu hyperparameter values, %zu "
        "schedule values), %zu answered as required",
        n_rows_all, n_rows_all - n_generated, n_hparam_rows, n_generated - n_hparam_rows, ok);
    cr_expect_eq(ok, n_rows_all, "%zu of %zu bad inputs were not answered as required", n_rows_all - ok,
                 n_rows_all);
    free(rows_all);
    rows_all = NULL;
    n_rows_all = n_generated = n_hparam_rows = 0;
    free_owned();
}

/* ---- a full disk at every point of a run ----------------------------------------- */

/* The run of the sweep: two problems, two optimizers, so that the disk can
 * fill in the first CSV, between cases, or in results.json. */
static const char *const sweep_argv[] = {"run",   "--quiet",  "--problem", "booth,quad_diag",
                                         "--opt", "adam,sgd", "--steps",   "40",
                                         "--out", NULL,       NULL};

/* Checks one results folder after a run that hit a full disk: every
 * results.json readable and not complete, every case it lists with its
 * CSV whole (steps + 2 lines), no temporary file. */
static void check_after_enospc(const char *root, long budget, size_t complete_runs)
{
    char msg[1024];
    size_t n_res = 0, n_complete = 0;
    cr_assert(ob_tp_check_tree(root, 1, &n_res, &n_complete, msg, sizeof msg) == 0, "budget %ld: %s", budget,
              msg);
    cr_assert_eq(n_complete, complete_runs,
                 "budget %ld: %zu results.json say complete, but only %zu runs finished", budget, n_complete,
                 complete_runs);
    /* Every case a results.json lists has its whole CSV: header + steps 0..40. */
    glob_t g;
    char pat[256];
    snprintf(pat, sizeof pat, "%s/2*/results.json", root);
    if (glob(pat, 0, NULL, &g) != 0) return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        cJSON *j = ob_results_read(g.gl_pathv[i], msg, sizeof msg);
        cr_assert(j, "%s", msg);
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "cases"))
        {
            char csv[512];
            snprintf(csv, sizeof csv, "%.*s%s", (int)(strlen(g.gl_pathv[i]) - strlen("results.json")),
                     g.gl_pathv[i], cJSON_GetObjectItemCaseSensitive(c, "csv")->valuestring);
            char *text = ob_tp_slurp(csv, NULL);
            size_t lines = 0;
            for (const char *p = text; p && *p; p++) lines += *p == '\n';
            cr_assert_eq(lines, 42, "budget %ld: %s lists a case whose CSV %s has %zu lines", budget,
                         g.gl_pathv[i], csv, lines);
            free(text);
        }
        cJSON_Delete(j);
    }
    globfree(&g);
}

Test(badinput, full_disk_at_every_point_keeps_earlier_results, .timeout = 300)
{
    char dir[64], root[128], msg[1024];
    ob_tp_scratch(dir, sizeof dir, "enospc");
    snprintf(root, sizeof root, "%s/results", dir);
    const char *argv[16];
    memcpy(argv, sweep_argv, sizeof sweep_argv);
    argv[9] = root;
    /* An earlier, finished run in the same folder. */
    char *out, *err;
    int rc = ob_tp_run(argv, NULL, dir, &out, &err);
    cr_assert_eq(rc, 0, "the reference run failed: %s", err);
    free(out);
    free(err);
    ob_tp_snapshot before;
    ob_tp_snapshot_take(root, &before);
    size_t total = 0;
    for (size_t i = 0; i < before.n; i++) total += before.len[i];
    /* Budgets from 0 to past the end of a run: results.json is rewritten
     * after each case, so the run writes more than its files hold. */
    size_t tried = 0, complete_runs = 1; /* the earlier run */
    for (long budget = 0; budget < (long)(2 * total); budget += (long)(total / 23) + 1) {
        char env[64];
        snprintf(env, sizeof env, "%s=%ld", OB_TEST_ENOSPC_ENV, budget);
        const char *envv[] = {env, NULL};
        rc = ob_tp_run(argv, envv, dir, &out, &err);
        cr_assert(rc == OB_EXIT_IO || rc == 0, "budget %ld: exit %d: %s", budget, rc, err);
        if (rc == OB_EXIT_IO)
            cr_assert(strstr(err, "No space left on device") && strstr(err, root), "budget %ld: %s", budget,
                      err);
        free(out);
        free(err);
        complete_runs += rc == 0;
        check_after_enospc(root, budget, complete_runs);
        cr_assert(ob_tp_snapshot_same(&before, msg, sizeof msg) == 0, "budget %ld: %s", budget, msg);
        tried++;
    }
    cr_log_info(
        "full disk: %zu runs, the disk filling at byte 0 to %zu: none lost or corrupted an earlier result",
        tried, 2 * total);
    ob_tp_snapshot_free(&before);
    ob_tp_rmtree(dir);
}

/* ---- real file systems: full and read-only (tmpfs, where mount is allowed) ---- */

static int try_mount(const char *dir, const char *opts, unsigned long flags)
{
    return mount("tmpfs", dir, "tmpfs", flags, opts);
}

Test(badinput, real_full_and_read_only_file_systems)
{
    char dir[64], mnt[128];
    ob_tp_scratch(dir, sizeof dir, "tmpfs");
    snprintf(mnt, sizeof mnt, "%s/fs", dir);
    cr_assert(mkdir(mnt, 0755) == 0);
    if (try_mount(mnt, "size=96k", 0) != 0) {
        int e = errno;
        ob_tp_rmtree(dir);
        cr_skip_test("tmpfs: SKIPPED — cannot mount (%s); the %s hook covers a full disk", strerror(e),
                     OB_TEST_ENOSPC_ENV);
    }
    /* A 96 KiB file system: the first cases fit, a later one does not. */
    const char *argv[] = {"run",   "--quiet",  "--problem", "booth,quad_diag",
                          "--opt", "adam,sgd", "--steps",   "100",
                          "--out", mnt,        NULL};
    char *out, *err, msg[1024];
    int rc = ob_tp_run(argv, NULL, dir, &out, &err);
    size_t n_res = 0, n_complete = 0;
    int tree = ob_tp_check_tree(mnt, 1, &n_res, &n_complete, msg, sizeof msg);
    umount2(mnt, MNT_DETACH);
    cr_expect_eq(rc, OB_EXIT_IO, "full tmpfs: exit %d: %s", rc, err);
    cr_expect(strstr(err, "No space left on device"), "%s", err);
    cr_expect(tree == 0 && n_complete == 0, "full tmpfs: %s", msg);
    free(out);
    free(err);
    /* Read-only. */
    cr_assert(try_mount(mnt, "size=64k", MS_RDONLY) == 0);
    rc = ob_tp_run(argv, NULL, dir, &out, &err);
    umount2(mnt, MNT_DETACH);
    cr_expect_eq(rc, OB_EXIT_IO, "read-only tmpfs: exit %d: %s", rc, err);
    cr_expect(strstr(err, mnt) && strstr(err, "Read-only file system"), "%s", err);
    free(out);
    free(err);
    cr_log_info("tmpfs: a full (96 KiB) and a read-only file system answered with exit 4");
    ob_tp_rmtree(dir);
}

/* ---- results files of another version -------------------------------------------- */

Test(badinput, results_of_another_format_version_are_rejected)
{
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"{\"format\": \"optbench-results\", \"version\": 2, \"cases\": []}",
         "is results format version 2; this optbench reads version 1 only"},
        {"{\"format\": \"optbench-results\", \"version\": \"1\"}", "has no format version"},
        {"{\"format\": \"optbench-results\"}", "has no format version"},
        {"{\"version\": 1}", "is not an optbench results file"},
        {"{\"format\": \"optbench-ci-baseline\", \"version\": 1}", "found \"optbench-ci-baseline\""},
        {"[]", "is not an optbench results file"},
        {"{\"format\": \"optbench-results\", \"version\": 1e999}", "version inf"},
    };
    char dir[64], path[128], msg[512];
    ob_tp_scratch(dir, sizeof dir, "version");
    snprintf(path, sizeof path, "%s/results.json", dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert(ob_tp_write(path, bad[i].text, strlen(bad[i].text)) == 0);
        cJSON *j = ob_results_read(path, msg, sizeof msg);
        cr_expect(j == NULL, "%s was accepted", bad[i].text);
        cJSON_Delete(j);
        cr_expect(strstr(msg, bad[i].needle) && strstr(msg, path), "'%s' -> '%s'", bad[i].text, msg);
    }
    const char *good = "{\"format\": \"optbench-results\", \"version\": 1, \"cases\": []}";
    cr_assert(ob_tp_write(path, good, strlen(good)) == 0);
    cJSON *j = ob_results_read(path, msg, sizeof msg);
    cr_expect(j != NULL, "%s", msg);
    cJSON_Delete(j);
    cr_log_info("results readers: %zu files of another format or version rejected",
                sizeof bad / sizeof bad[0]);
    ob_tp_rmtree(dir);
}

/* An output folder that cannot be written is exit 4 with a message naming
 * it, for every command that writes one: run, sweep, bench (--out and
 * --run), report and repro (--out and --run).  The folder is a read-only
 * tmpfs holding a finished run (or, where mount is not allowed, a folder
 * without write permission). */
Test(badinput, every_command_answers_an_unwritable_folder_with_exit_4, .timeout = 300)
{
    char dir[64], mnt[128], run[300];
    ob_tp_scratch(dir, sizeof dir, "rofolder");
    snprintf(mnt, sizeof mnt, "%s/fs", dir);
    cr_assert(mkdir(mnt, 0755) == 0);
    int mounted = try_mount(mnt, "size=4m", 0) == 0;
    char *out, *err;
    const char *mk[] = {"run",    "--quiet", "--problem", "booth", "--opt", "sgd", "--isa",
                        "scalar", "--steps", "3",         "--out", mnt,     NULL};
    cr_assert_eq(ob_tp_run(mk, NULL, dir, &out, &err), 0, "%s", err);
    free(out), free(err);
    char latest[200];
    snprintf(latest, sizeof latest, "%s/latest", mnt);
    char *real = realpath(latest, NULL);
    cr_assert(real);
    snprintf(run, sizeof run, "%s", real);
    free(real);
    if (mounted)
        cr_assert(mount("tmpfs", mnt, "tmpfs", MS_REMOUNT | MS_RDONLY, "size=4m") == 0, "%s",
                  strerror(errno));
    else cr_assert(chmod(run, 0555) == 0 && chmod(mnt, 0555) == 0);
    if (access(mnt, W_OK) == 0) {
        ob_tp_rmtree(dir);
        cr_skip_test("no read-only folder can be made here (root without mount)");
    }
    struct {
        const char *argv[20];
        const char *folder;
    } rows[] = {
        {{"run", "--quiet", "--problem", "booth", "--opt", "sgd", "--steps", "3", "--out", mnt}, mnt},
        {{"sweep", "--problem", "booth", "--opt", "sgd", "--grid", "lr=0.01,0.1", "--steps", "3", "--out",
          mnt},
         mnt},
        {{"bench", "--opt", "sgd", "--isa", "scalar", "--sizes", "1Ki", "--threads", "1", "--exact-only",
          "--out", mnt},
         mnt},
        {{"bench", "--opt", "sgd", "--isa", "scalar", "--sizes", "1Ki", "--threads", "1", "--exact-only",
          "--run", run},
         run},
        {{"report", "--quiet", "--run", run}, run},
        {{"repro", "run", "adamw", "--short", "--quiet", "--out", mnt}, mnt},
        {{"repro", "run", "adamw", "--short", "--quiet", "--run", run}, run},
    };
    size_t bad = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = ob_tp_run(rows[i].argv, NULL, dir, &out, &err);
        if (rc != OB_EXIT_IO || !strstr(err, rows[i].folder)) {
            cr_log_error("row %zu, optbench %s %s ...: exit %d (expected 4 naming %s); stderr:\n%s", i,
                         rows[i].argv[0], rows[i].argv[1], rc, rows[i].folder, err);
            bad++;
        }
        free(out), free(err);
    }
    if (mounted) umount2(mnt, MNT_DETACH);
    else chmod(run, 0755), chmod(mnt, 0755);
    ob_tp_rmtree(dir);
    cr_assert_eq(bad, 0, "%zu of %zu commands did not answer an unwritable folder with exit 4", bad,
                 sizeof rows / sizeof rows[0]);
}
