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

void ob_rng_init(ob_rng *r, uint64_t seed) { r->s = seed; }

uint64_t ob_rng_next(ob_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double ob_rng_uniform(ob_rng *r) { return (double)(ob_rng_next(r) >> 11) * 0x1p-53; }

double ob_rng_logmag(ob_rng *r, double lo, double hi, int nonneg)
{
    double m = exp(log(lo) + (log(hi) - log(lo)) * ob_rng_uniform(r));
    if (!nonneg && (ob_rng_next(r) & 1)) m = -m;
    return m;
}

float ob_rng_special_float(ob_rng *r, int nonneg)
{
    unsigned k = (unsigned)(ob_rng_next(r) % 100);
    float v;
    if (k < 70) v = (float)ob_rng_logmag(r, 1e-4, 1e4, 0);
    else if (k < 75) v = 0.0f;
    else if (k < 79) v = -0.0f;
    else if (k < 85) v = (float)ob_rng_logmag(r, 1e-44, 1e-38, 0);   /* subnormal */
    else if (k < 91) v = (float)ob_rng_logmag(r, 1e18, 3e38, 0);     /* huge */
    else if (k < 95) v = NAN;
    else v = (ob_rng_next(r) & 1) ? INFINITY : -INFINITY;
    if (nonneg && !isnan(v)) v = fabsf(v);
    return v;
}

float ob_rng_normal_float(ob_rng *r, int nonneg)
{
    unsigned k = (unsigned)(ob_rng_next(r) % 100);
    if (k < 3) return 0.0f;
    if (k < 6) return nonneg ? 0.0f : -0.0f;
    if (k < 10) return (float)ob_rng_logmag(r, 1e-44, 1e-38, nonneg);  /* subnormal */
    return (float)ob_rng_logmag(r, 1e-6, 1e6, nonneg);
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
