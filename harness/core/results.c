/*
 * results.c — atomic file output, run folders and run metadata.
 */
#include "harness/core/ob_core.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "optbench/optimizers.h"

#ifndef OB_GIT_COMMIT
#define OB_GIT_COMMIT "unknown"
#endif
#ifndef OB_BUILD_FLAGS
#define OB_BUILD_FLAGS "unknown"
#endif

/* ---- the output stream ------------------------------------------------ */

/* Atomic files are written through a small cookie stream over the file
 * descriptor rather than fdopen: it remembers the first write error, so a
 * failure found at commit names its real cause (ENOSPC) even after stdio
 * has dropped the data, and it carries the full-disk test hook
 * (OB_TEST_ENOSPC_ENV): a byte budget shared by every atomic file of the
 * process. */
static unsigned long long hook_written;

typedef struct sink {
    int fd;
    int first_errno;           /* 0 until a write fails */
    unsigned long long budget; /* ULLONG_MAX: no hook */
} sink;

static ssize_t sink_write(void *cookie, const char *buf, size_t len)
{
    sink *k = cookie;
    size_t allowed = len, done = 0;
    if (k->budget != ULLONG_MAX) {
        unsigned long long left = hook_written >= k->budget ? 0 : k->budget - hook_written;
        if (left < len) allowed = (size_t)left;
    }
    /* Loop here: stdio drops what a short write leaves, without calling
     * again, so the error that stopped the write would never be seen. */
    int e = ENOSPC; /* what the hook's budget ends with */
    while (done < allowed) {
        ssize_t w = write(k->fd, buf + done, allowed - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            e = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    if (k->budget != ULLONG_MAX) hook_written += done;
    if (done == len) return (ssize_t)len;
    if (!k->first_errno) k->first_errno = e;
    errno = e;
    /* 0, never -1, when nothing was written: fopencookie(3) says the write
     * function "must not return a negative value"; glibc's fwrite takes
     * the count as unsigned, and -1 made it copy past the caller's data. */
    return (ssize_t)done;
}

static int sink_close(void *cookie)
{
    sink *k = cookie;
    int rc = close(k->fd);
    free(k);
    return rc;
}

static FILE *open_sink(int fd, sink **out)
{
    sink *k = malloc(sizeof *k);
    if (!k) return NULL;
    const char *hook = getenv(OB_TEST_ENOSPC_ENV);
    k->fd = fd;
    k->first_errno = 0;
    k->budget = hook && *hook ? strtoull(hook, NULL, 10) : ULLONG_MAX;
    cookie_io_functions_t io = {.read = NULL, .write = sink_write, .seek = NULL, .close = sink_close};
    FILE *f = fopencookie(k, "w", io);
    if (!f) free(k);
    *out = f ? k : NULL;
    return f;
}

/* ---- atomic files ------------------------------------------------------- */

/* Holding SIGINT/SIGTERM back while a temporary file exists, for commands
 * without handlers.  A signal mask would not do: it is per thread, and a
 * process-directed signal goes to any thread that does not block it (the
 * OpenMP and benchmark threads), whose default action kills the process
 * mid-write.  So the dispositions themselves (process-wide) are swapped
 * for a handler that only records the signal; when the last such file is
 * committed or abandoned the defaults come back and the recorded signal
 * is raised again, killing the process after the rename. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static int hold_depth;
static struct sigaction hold_old_int, hold_old_term;
static volatile sig_atomic_t hold_pending;

static void hold_record(int sig)
{
    hold_pending = sig;
}

/* Nonzero if signal sig would terminate the process now (no handler, not
 * ignored). */
static int kills_by_default(int sig)
{
    struct sigaction sa;
    return sigaction(sig, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL;
}

static void hold_signals(ob_atomic_file *af)
{
    pthread_mutex_lock(&hold_lock);
    if (hold_depth > 0 || kills_by_default(SIGINT) || kills_by_default(SIGTERM)) {
        if (hold_depth++ == 0) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = hold_record;
            sigemptyset(&sa.sa_mask);
            sigaction(SIGINT, &sa, &hold_old_int);
            sigaction(SIGTERM, &sa, &hold_old_term);
        }
        af->held = 1;
    }
    pthread_mutex_unlock(&hold_lock);
}

static void release_signals(ob_atomic_file *af)
{
    if (!af->held) return;
    af->held = 0;
    pthread_mutex_lock(&hold_lock);
    int sig = 0;
    if (--hold_depth == 0) {
        sigaction(SIGINT, &hold_old_int, NULL);
        sigaction(SIGTERM, &hold_old_term, NULL);
        sig = hold_pending;
        hold_pending = 0;
    }
    pthread_mutex_unlock(&hold_lock);
    if (sig) raise(sig);
}

int ob_atomic_open(ob_atomic_file *af, const char *path, char *err, size_t errlen)
{
    memset(af, 0, sizeof *af);
    hold_signals(af);
    if (snprintf(af->path, sizeof af->path, "%s", path) >= (int)sizeof af->path ||
        snprintf(af->tmp, sizeof af->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof af->tmp) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    int fd = mkstemp(af->tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a file beside %s: %s", path, strerror(errno));
        release_signals(af);
        return -1;
    }
    fchmod(fd, 0644);
    sink *k = NULL;
    af->fd = fd;
    af->f = open_sink(fd, &k);
    af->sink = k;
    if (!af->f) {
        snprintf(err, errlen, "cannot open %s: %s", af->tmp, strerror(errno));
        close(fd);
        unlink(af->tmp);
        release_signals(af);
        return -1;
    }
    return 0;
}

int ob_atomic_commit(ob_atomic_file *af, char *err, size_t errlen)
{
    /* A write may have failed long before (stdio then drops the data):
     * the sink's first error is the cause to report, e.g. ENOSPC. */
    int bad = fflush(af->f) != 0 || ferror(af->f);
    int saved = ((sink *)af->sink)->first_errno;
    if (!bad && fsync(af->fd) != 0) {
        bad = 1;
        saved = errno;
    }
    if (fclose(af->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    af->f = NULL;
    int rc = 0;
    if (bad) {
        snprintf(err, errlen, "cannot write %s: %s", af->path, strerror(saved ? saved : EIO));
        unlink(af->tmp);
        rc = -1;
    } else if (rename(af->tmp, af->path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", af->tmp, af->path, strerror(errno));
        unlink(af->tmp);
        rc = -1;
    }
    af->tmp[0] = '\0';
    release_signals(af);
    return rc;
}

void ob_atomic_abort(ob_atomic_file *af)
{
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) unlink(af->tmp);
    af->tmp[0] = '\0';
    release_signals(af);
}

int ob_atomic_write(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    ob_atomic_file af;
    int rc = ob_atomic_open(&af, path, err, errlen);
    if (rc == 0 && len && fwrite(data, 1, len, af.f) != len) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        ob_atomic_abort(&af);
        rc = -1;
    } else if (rc == 0) {
        rc = ob_atomic_commit(&af, err, errlen);
    }
    return rc;
}

int ob_json_write(const char *path, const cJSON *root, char *err, size_t errlen)
{
    char *text = cJSON_Print(root);
    if (!text) {
        snprintf(err, errlen, "out of memory formatting %s", path);
        return -1;
    }
    size_t len = strlen(text);
    char *grown = realloc(text, len + 2);
    if (!grown) {
        free(text);
        snprintf(err, errlen, "out of memory formatting %s", path);
        return -1;
    }
    text = grown;
    text[len] = '\n';
    text[len + 1] = '\0';
    int rc = ob_atomic_write(path, text, len + 1, err, errlen);
    free(text);
    return rc;
}

cJSON *ob_json_read(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    /* A regular file's size is known up front: refuse a huge one before
     * reading a byte of it. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (unsigned long long)st.st_size > OB_JSON_MAX_BYTES) {
        snprintf(err, errlen, "%s is larger than %zu MiB (%lld bytes); not an optbench JSON file", path,
                 OB_JSON_MAX_BYTES >> 20, (long long)st.st_size);
        fclose(f);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    const char *why = NULL;
    int rd_errno = 0;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        /* NUL bytes end the read at once: /dev/zero or a binary file is
         * answered in a moment, not after a gigabyte. */
        if (memchr(buf + len, '\0', got)) {
            why = "is not a text file (it contains NUL bytes)";
            break;
        }
        len += got;
        if (cap - len - 1 == 0) {
            if (cap >= OB_JSON_MAX_BYTES) {
                why = "is larger than 1 GiB; not an optbench JSON file";
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                why = "does not fit in memory";
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf) why = "does not fit in memory";
    else if (!why && ferror(f)) {
        rd_errno = errno;
        why = "cannot be read";
    }
    fclose(f);
    if (why) {
        if (rd_errno) snprintf(err, errlen, "%s %s: %s", path, why, strerror(rd_errno));
        else snprintf(err, errlen, "%s %s", path, why);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    if (len == 0) {
        snprintf(err, errlen, "%s is empty", path);
        free(buf);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(buf, &end, 1);
    if (!root) {
        size_t off = end ? (size_t)(end - buf) : 0, line = 1, col = 1;
        for (size_t i = 0; i < off && i < len; i++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else col++;
        }
        snprintf(err, errlen, "%s: malformed JSON at line %zu, column %zu", path, line, col);
    } else if (ob_json_check_keys(root, path, err, errlen) != 0) {
        cJSON_Delete(root);
        root = NULL;
    }
    free(buf);
    return root;
}

int ob_results_check(const cJSON *root, const char *path, char *err, size_t errlen)
{
    const cJSON *fmt = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "format") : NULL;
    const cJSON *ver = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "version") : NULL;
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, OB_RESULTS_FORMAT) != 0) {
        snprintf(err, errlen, "%s is not an optbench results file (expected \"format\": \"%s\"%s%.40s%s)",
                 path, OB_RESULTS_FORMAT, cJSON_IsString(fmt) ? ", found \"" : "",
                 cJSON_IsString(fmt) ? fmt->valuestring : "", cJSON_IsString(fmt) ? "\"" : "");
        return -1;
    }
    if (!cJSON_IsNumber(ver)) {
        snprintf(err, errlen, "%s has no format version (expected \"version\": %d)", path,
                 OB_RESULTS_VERSION);
        return -1;
    }
    if (ver->valuedouble != OB_RESULTS_VERSION) {
        snprintf(
            err, errlen,
            "%s is results format version %g; this optbench reads version %d only (rerun optbench run to "
            "regenerate it)",
            path, ver->valuedouble, OB_RESULTS_VERSION);
        return -1;
    }
    return 0;
}

cJSON *ob_results_read(const char *path, char *err, size_t errlen)
{
    cJSON *root = ob_json_read(path, err, errlen);
    if (root && ob_results_check(root, path, err, errlen) != 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int ob_mkdirs(const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create folder %s: %s", tmp, strerror(errno));
                return -1;
            }
            struct stat st;
            if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s exists and is not a folder", tmp);
                return -1;
            }
            *p = c;
            if (c == '\0') break;
        }
    }
    if (access(path, W_OK) != 0) {
        snprintf(err, errlen, "folder %s is not writable: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int ob_run_dir_create(const char *root, char *dir, size_t dirlen, char *err, size_t errlen)
{
    if (!root) root = "results";
    if (ob_mkdirs(root, err, errlen) != 0) return -1;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    for (int attempt = 0; attempt < 100; attempt++) {
        if (attempt == 0) snprintf(dir, dirlen, "%s/%s-%ld", root, stamp, (long)getpid());
        else snprintf(dir, dirlen, "%s/%s-%ld-%d", root, stamp, (long)getpid(), attempt);
        if (mkdir(dir, 0755) == 0) {
            char cases[4096];
            snprintf(cases, sizeof cases, "%s/cases", dir);
            return ob_mkdirs(cases, err, errlen);
        }
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create run folder %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    snprintf(err, errlen, "cannot find a free run folder name under %s", root);
    return -1;
}

int ob_run_dir_mark_latest(const char *root, const char *dir, char *err, size_t errlen)
{
    if (!root) root = "results";
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    char link[4096], tmp[4096];
    snprintf(link, sizeof link, "%s/latest", root);
    snprintf(tmp, sizeof tmp, "%s/.latest.%ld", root, (long)getpid());
    unlink(tmp);
    if (symlink(base, tmp) != 0 || rename(tmp, link) != 0) {
        snprintf(err, errlen, "cannot point %s at %s: %s", link, base, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

void ob_cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) {
                c++;
                while (*c == ' ' || *c == '\t') c++;
                c[strcspn(c, "\n")] = '\0';
                snprintf(buf, len, "%s", c);
            }
            break;
        }
    }
    if (f) fclose(f);
}

cJSON *ob_run_metadata(int argc, char **argv, unsigned long long seed)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "git_commit", OB_GIT_COMMIT);
#ifdef __VERSION__
    cJSON_AddStringToObject(m, "compiler", __VERSION__);
#endif
    cJSON_AddStringToObject(m, "build_flags", OB_BUILD_FLAGS);
    char cpu[256];
    ob_cpu_model(cpu, sizeof cpu);
    cJSON_AddStringToObject(m, "cpu_model", cpu);
    cJSON *isas = cJSON_AddObjectToObject(m, "isa_supported");
    for (int i = 0; i < OB_ISA_COUNT; i++)
        cJSON_AddBoolToObject(isas, ob_isa_name((ob_isa)i), ob_isa_supported((ob_isa)i));
    struct utsname u;
    if (uname(&u) == 0) {
        char os[512];
        snprintf(os, sizeof os, "%s %s %s", u.sysname, u.release, u.machine);
        cJSON_AddStringToObject(m, "os", os);
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(m, "date", date);
    char s[32];
    snprintf(s, sizeof s, "%llu", seed);
    cJSON_AddStringToObject(m, "seed", s);
    cJSON *cmd = cJSON_AddArrayToObject(m, "command_line");
    for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    return m;
}
