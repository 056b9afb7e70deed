#include "ob_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

uint64_t ob_test_seed(void)
{
    const char *s = getenv("OPTBENCH_SEED");
    if (s && *s) return strtoull(s, NULL, 0);
    return 0x0b5eed2026ull;
}

float *ob_guarded_alloc(ob_guarded *g, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (n * sizeof(float) + page - 1) / page * page;
    g->map_len = data + page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) {
        g->map = NULL;
        g->ptr = NULL;
        return NULL;
    }
    char *guard = (char *)g->map + data;
    mprotect(guard, page, PROT_NONE);
    g->ptr = (float *)(void *)(guard - n * sizeof(float));
    return g->ptr;
}

void ob_guarded_free(ob_guarded *g)
{
    if (g->map) munmap(g->map, g->map_len);
    g->map = NULL;
    g->ptr = NULL;
}

size_t ob_first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) return i;
    return n;
}
