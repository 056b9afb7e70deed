/*
 * case.c — one case of a plugin kernel: init, steps (direct or guarded),
 * free.
 *
 * Guarded steps run the kernel on copies.  Each array gets its own mapping
 *
 *     [PROT_NONE page][canary slack | data | canary slack][PROT_NONE page]
 *
 * with at least OB_RZ bytes of slack before and after the data, as in the
 * guard-page buffers of Linux lib/crc's crc_kunit and isa-l's tests.  The
 * data starts at the same offset modulo 64 bytes as the caller's array, so
 * the kernel sees the caller's misalignment.  After the step the slack is
 * scanned: a changed byte is an out-of-bounds write, reported by array and
 * element index (the one nearest to the data).  A write further out hits
 * a guard page and faults; in an isolated child (isolate.c) the fault
 * handler decodes the address the same way.  g is compared with the
 * caller's g too: a kernel must not write its input.
 */
#include "harness/plugin/ob_plugin.h"
#include "harness/plugin/plugin_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define OB_RZ 64       /* bytes of canary slack at least, each side */
#define OB_CANARY 0xA5 /* every slack byte */
#define OB_NARRAYS (2 + OB_PLUGIN_MAX_STATE)

static volatile uint64_t private_step;
volatile uint64_t *volatile ob_plugin_step_slot = &private_step;
const ob_plugin_region *volatile ob_plugin_cur_regions;
volatile size_t ob_plugin_cur_nregions;

typedef struct guard_buf {
    unsigned char *map; /* the whole mapping, guard pages included */
    size_t map_len;
    unsigned char *acc; /* the accessible part */
    size_t acc_len;
} guard_buf;

struct ob_plugin_case {
    const ob_plugin_kernel *k;
    size_t nmax;
    unsigned flags;
    void *ctx;
    guard_buf buf[OB_NARRAYS]; /* p, g, state 0..n_state-1 */
    ob_plugin_region reg[OB_NARRAYS];
};

/* ---- messages (async-signal-safe) ------------------------------------ */

static void put_str(char *buf, size_t len, size_t *at, const char *s)
{
    while (*s && *at + 1 < len) buf[(*at)++] = *s++;
    if (len) buf[*at < len ? *at : len - 1] = '\0';
}

static void put_u64(char *buf, size_t len, size_t *at, unsigned long long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    tmp[--i] = '\0';
    do tmp[--i] = (char)('0' + v % 10);
    while ((v /= 10) && i);
    put_str(buf, len, at, tmp + i);
}

void ob_plugin_format_oob(char *buf, size_t len, const char *what, const char *name, long long off, size_t n)
{
    /* Floor division: a byte before element 0 belongs to element -1. */
    long long idx = off >= 0 ? off / (long long)sizeof(float) : -((-off + 3) / (long long)sizeof(float));
    size_t at = 0;
    put_str(buf, len, &at, what);
    put_str(buf, len, &at, " at ");
    put_str(buf, len, &at, name);
    if (idx < 0) {
        put_str(buf, len, &at, "[-");
        put_u64(buf, len, &at, (unsigned long long)-idx);
    } else if ((unsigned long long)idx >= n) {
        put_str(buf, len, &at, "[n");
        if ((unsigned long long)idx > n) {
            put_str(buf, len, &at, "+");
            put_u64(buf, len, &at, (unsigned long long)idx - n);
        }
    } else {
        put_str(buf, len, &at, "[");
        put_u64(buf, len, &at, (unsigned long long)idx);
    }
    put_str(buf, len, &at, "] (n = ");
    put_u64(buf, len, &at, n);
    put_str(buf, len, &at, ")");
}

/* ---- guarded buffers ------------------------------------------------------ */

static int guard_map(guard_buf *b, size_t n)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    /* Slack: OB_RZ each side plus up to 63 bytes to copy the caller's
     * misalignment. */
    b->acc_len = (2 * OB_RZ + 64 + n * sizeof(float) + page - 1) / page * page;
    b->map_len = b->acc_len + 2 * page;
    void *m = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        b->map = NULL;
        return -1;
    }
    b->map = m;
    b->acc = b->map + page;
    if (mprotect(b->map, page, PROT_NONE) != 0 || mprotect(b->acc + b->acc_len, page, PROT_NONE) != 0) {
        munmap(b->map, b->map_len);
        b->map = NULL;
        return -1;
    }
    return 0;
}

/* Copies src (n floats) in at the caller's offset modulo 64, with the slack
 * filled with canaries; returns the copy. */
static float *guard_fill(guard_buf *b, ob_plugin_region *r, const float *src, size_t n)
{
    unsigned char *data = b->acc + OB_RZ + ((uintptr_t)src & 63u);
    const size_t bytes = n * sizeof(float);
    memset(b->acc, OB_CANARY, (size_t)(data - b->acc));
    if (bytes) memcpy(data, src, bytes);
    memset(data + bytes, OB_CANARY, b->acc_len - (size_t)(data - b->acc) - bytes);
    r->lo = (uintptr_t)b->map;
    r->hi = (uintptr_t)b->map + b->map_len;
    r->data = (uintptr_t)data;
    r->n = n;
    return (float *)(void *)data;
}

/* The out-of-bounds write nearest to the data, as a byte offset from it;
 * 0 and no write found -> returns 0, else 1. */
static int guard_scan(const guard_buf *b, const ob_plugin_region *r, long long *off)
{
    const unsigned char *data = (const unsigned char *)r->data, *end = data + r->n * sizeof(float);
    for (const unsigned char *q = end; q < b->acc + b->acc_len; q++)
        if (*q != OB_CANARY) {
            *off = (long long)(q - data);
            return 1;
        }
    for (const unsigned char *q = data; q > b->acc;)
        if (*--q != OB_CANARY) {
            *off = (long long)(q - data);
            return 1;
        }
    return 0;
}

/* ---- cases ------------------------------------------------------------------ */

ob_plugin_case *ob_plugin_case_open(const ob_plugin_kernel *k, const ob_hparams *h, size_t n, int threads,
                                    unsigned flags, char *err, size_t errlen)
{
    if (ob_plugin_hparams_check(k, h, err, errlen) != 0) return NULL;
    ob_plugin_case *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "%s: out of memory", k->desc.name);
        return NULL;
    }
    c->k = k;
    c->nmax = n;
    c->flags = flags;
    c->ctx = k->desc.user;
    const size_t arrays = 2 + k->desc.n_state;
    for (size_t a = 0; (flags & OB_PLUGIN_GUARDED) && a < arrays; a++) {
        if (guard_map(&c->buf[a], n) != 0) {
            snprintf(err, errlen, "%s: cannot map guarded buffers for n = %zu", k->desc.name, n);
            ob_plugin_case_close(c);
            return NULL;
        }
        c->reg[a].name = a == 0 ? "p" : a == 1 ? "g" : k->opt->state_names[a - 2];
    }
    if (k->desc.init) {
        int rc = k->desc.init(&c->ctx, h, n, threads);
        if (rc != 0) {
            snprintf(err, errlen, "%s: init returned %d", k->desc.name, rc);
            c->k = NULL; /* no free for a failed init */
            ob_plugin_case_close(c);
            return NULL;
        }
    }
    return c;
}

void ob_plugin_case_close(ob_plugin_case *c)
{
    if (!c) return;
    if (c->k && c->k->desc.free) c->k->desc.free(c->ctx);
    for (size_t a = 0; a < OB_NARRAYS; a++)
        if (c->buf[a].map) munmap(c->buf[a].map, c->buf[a].map_len);
    free(c);
}

/* Runs the kernel on guarded copies; p and state come back only when the
 * step succeeded and wrote nothing out of bounds. */
static int guarded_step(ob_plugin_case *c, const ob_hparams *h, uint64_t t, size_t n, float *p,
                        const float *g, float *const *state, char *err, size_t errlen)
{
    const ob_plugin_kernel *k = c->k;
    const size_t arrays = 2 + k->desc.n_state;
    const float *src[OB_NARRAYS] = {p, g};
    float *cp[OB_NARRAYS] = {0};
    for (size_t a = 2; a < arrays; a++) src[a] = state ? state[a - 2] : NULL;
    for (size_t a = 0; a < arrays; a++)
        if (src[a]) cp[a] = guard_fill(&c->buf[a], &c->reg[a], src[a], n);
    void *st[OB_PLUGIN_MAX_STATE] = {0};
    for (size_t a = 2; a < arrays; a++) st[a - 2] = cp[a];
    ob_plugin_cur_regions = c->reg;
    ob_plugin_cur_nregions = arrays;
    int rc = k->desc.step(c->ctx, h, t, n, cp[0], cp[1], st);
    ob_plugin_cur_nregions = 0;
    for (size_t a = 0; a < arrays; a++) {
        long long off;
        if (!cp[a] || !guard_scan(&c->buf[a], &c->reg[a], &off)) continue;
        char what[160];
        ob_plugin_format_oob(what, sizeof what, "out-of-bounds write", c->reg[a].name, off, n);
        snprintf(err, errlen, "%s: %s at step %llu", k->desc.name, what, (unsigned long long)t);
        return -1;
    }
    for (size_t i = 0; g && i < n; i++)
        if (memcmp(&cp[1][i], &g[i], sizeof(float)) != 0) {
            snprintf(err, errlen, "%s: write to the read-only gradient at g[%zu] at step %llu", k->desc.name,
                     i, (unsigned long long)t);
            return -1;
        }
    if (rc != 0) {
        snprintf(err, errlen, "%s: kernel returned %d at step %llu", k->desc.name, rc, (unsigned long long)t);
        return -1;
    }
    if (n) memcpy(p, cp[0], n * sizeof(float));
    for (size_t a = 2; a < arrays; a++)
        if (cp[a] && n) memcpy(state[a - 2], cp[a], n * sizeof(float));
    return 0;
}

int ob_plugin_case_step(ob_plugin_case *c, const ob_hparams *h, uint64_t t, size_t n, float *p,
                        const float *g, float *const *state, char *err, size_t errlen)
{
    const ob_plugin_kernel *k = c->k;
    const ob_optimizer *o = k->opt;
    if (n > c->nmax) {
        snprintf(err, errlen, "%s: step on %zu elements in a case opened for %zu", k->desc.name, n, c->nmax);
        return -1;
    }
    unsigned used = o->state_mask(h), present = 0;
    for (size_t j = 0; state && j < o->n_state; j++)
        if (((used >> j) & 1u) && state[j]) present |= 1u << j;
    if (ob_step_check(o, OB_ISA_SCALAR, h, t, n, p && g, present, err, errlen) != 0) return -1;
    if (ob_plugin_hparams_check(k, h, err, errlen) != 0) return -1;
    *ob_plugin_step_slot = t;
    if (c->flags & OB_PLUGIN_GUARDED) return guarded_step(c, h, t, n, p, g, state, err, errlen);
    void *st[OB_PLUGIN_MAX_STATE] = {0};
    for (size_t j = 0; state && j < k->desc.n_state; j++) st[j] = state[j];
    int rc = k->desc.step(c->ctx, h, t, n, p, g, st);
    if (rc != 0) {
        snprintf(err, errlen, "%s: kernel returned %d at step %llu", k->desc.name, rc, (unsigned long long)t);
        return -1;
    }
    return 0;
}

int ob_plugin_step(const ob_plugin_kernel *k, unsigned flags, const ob_hparams *h, uint64_t t, size_t n,
                   float *p, const float *g, float *const *state, char *err, size_t errlen)
{
    ob_plugin_case *c = ob_plugin_case_open(k, h, n, 0, flags, err, errlen);
    if (!c) return -1;
    int rc = ob_plugin_case_step(c, h, t, n, p, g, state, err, errlen);
    ob_plugin_case_close(c);
    return rc;
}

ob_plugin_step_fn ob_plugin_case_direct(const ob_plugin_case *c, void **ctx)
{
    *ctx = c->ctx;
    return c->k->desc.step;
}
