/*
 * common.c — helpers shared by the fuzz targets (ob_fuzz.h).
 */
#include "ob_fuzz.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

char *ob_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int ob_fuzz_file(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
    int fd = memfd_create("optbench-fuzz", 0);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

void ob_fuzz_check_msg(const char *msg, size_t len)
{
    size_t n = strnlen(msg, len);
    OB_FUZZ_CHECK(n < len, "error message not NUL-terminated");
    OB_FUZZ_CHECK(n > 0, "failure without a message");
}
