/*
 * common.c — helpers shared by the fuzz targets (ob_fuzz.h).
 */
#include "ob_fuzz.h"

#include <float.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/testkit/ob_testkit.h"
#include "optbench/optimizers.h"

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

/* ---- reading an input as a stream of choices ---------------------------------- */

uint64_t ob_fuzz_u64(ob_fuzz_reader *r)
{
    if (r->i < r->n) {
        uint64_t v = 0;
        for (int k = 0; k < 8 && r->i < r->n; k++) v |= (uint64_t)r->d[r->i++] << (8 * k);
        return v;
    }
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

unsigned ob_fuzz_byte(ob_fuzz_reader *r)
{
    return r->i < r->n ? r->d[r->i++] : (unsigned)(ob_fuzz_u64(r) & 0xff);
}

uint32_t ob_fuzz_u32(ob_fuzz_reader *r)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v |= (uint32_t)ob_fuzz_byte(r) << (8 * k);
    return v;
}

static double unit(ob_fuzz_reader *r)
{
    return (double)ob_fuzz_u32(r) / 4294967296.0;
}

/* A value at an edge of what fp32 represents, inside [lo, hi] (hi finite:
 * the [0, 1) and [0, 1] keys; otherwise up to FLT_MAX, which validation
 * allows): double subnormals (0 in fp32), fp32 subnormals, FLT_MIN, and
 * either 1 - 2^-k or huge values up to FLT_MAX. */
static double fp32_edge(ob_fuzz_reader *r, double lo, double hi)
{
    unsigned k = ob_fuzz_byte(r);
    switch (k % 6) {
    case 0: return 0x1p-1074 * (double)(1 + ob_fuzz_u32(r) % 1000); /* double subnormal */
    case 1: return 0x1p-149 * (double)(1 + ob_fuzz_u32(r) % 0x7fffff); /* fp32 subnormal */
    case 2: return ldexp(1.0, -126 - (int)(ob_fuzz_byte(r) % 24)) * (1 + unit(r)); /* near FLT_MIN */
    case 3: return isfinite(hi) ? 1 - ldexp(1.0, -1 - (int)(ob_fuzz_byte(r) % 53)) : FLT_MAX;
    case 4: return isfinite(hi) ? hi : ldexp(1.0, 64 + (int)(ob_fuzz_byte(r) % 64)) * (1 + 0.99 * unit(r));
    default: return lo;
    }
}

double ob_fuzz_hp_value(ob_fuzz_reader *r, const ob_hparam_spec *sp)
{
    if (sp->kind == OB_HP_BOOL) return ob_fuzz_byte(r) & 1;
    double lo = sp->lo, hi = sp->hi, v;
    switch (ob_fuzz_byte(r) % 8) {
    case 0: v = sp->lo_open ? nextafter(lo, INFINITY) : lo; break;
    /* The top of the accepted range: validation refuses real values past
     * FLT_MAX (the kernels receive them in fp32). */
    case 1: v = isinf(hi) ? FLT_MAX : sp->hi_open ? nextafter(hi, -INFINITY) : hi; break;
    case 2: v = sp->def; break;
    case 3: v = ob_hparam_toggle_value(sp); break;
    case 4: v = fp32_edge(r, lo, hi); break;
    case 5:
        /* Log-spread over the whole accepted range, 2^-1074 .. FLT_MAX (or
         * .. hi): every binade as likely as every other. */
        v = isfinite(hi) ? lo + (hi - lo) * ldexp(1.0, -(int)(ob_fuzz_u32(r) % 1075))
                         : ldexp(1.0 + unit(r), (int)(ob_fuzz_u32(r) % 1202) - 1074);
        break;
    default:
        if (isfinite(hi)) v = lo + (hi - lo) * unit(r);
        else v = exp(log(1e-8) + (log(1e4) - log(1e-8)) * unit(r)) + (lo > 0 ? lo : 0);
    }
    if (isinf(hi) && v > FLT_MAX) v = FLT_MAX;
    if (sp->lo_open && !(v > lo)) v = nextafter(lo, INFINITY);
    if (sp->hi_open && !(v < hi)) v = nextafter(hi, -INFINITY);
    return v;
}

float ob_fuzz_float(ob_fuzz_reader *r, int nonneg)
{
    unsigned mode = ob_fuzz_byte(r) % 20;
    uint32_t bits = ob_fuzz_u32(r);
    float sign = (bits >> 31) ? -1.0f : 1.0f, v;
    double u = (double)(bits & 0x7fffffffu) / 2147483648.0;
    if (mode < 12) v = sign * (float)exp(log(1e-6) + (log(1e6) - log(1e-6)) * u);
    else if (mode == 12) v = sign * 0.0f;
    else if (mode == 13) v = sign * (float)((bits & 0x7fffffu) + 1) * 0x1p-149f; /* subnormal */
    else if (mode == 14) v = NAN;
    else if (mode == 15) v = sign * INFINITY;
    else if (mode == 16) v = sign * (float)exp(log(1e18) + (log(3.4e38) - log(1e18)) * u);
    else if (mode == 17) memcpy(&v, &bits, sizeof v); /* any pattern, NaN payloads included */
    else if (mode == 18) v = sign * (float)exp(log(1.2e-38) + (log(1e-30) - log(1.2e-38)) * u);
    else v = sign * (float)(bits % 17);
    if (nonneg && !isnan(v)) v = fabsf(v);
    return v;
}


void ob_fuzz_reader_init(ob_fuzz_reader *r, const uint8_t *data, size_t size, uint64_t seed)
{
    r->d = data;
    r->n = size;
    r->i = 0;
    r->s = seed;
    for (size_t i = 0; i < size; i++) r->s = (r->s ^ data[i]) * 0x100000001b3ull;
}

const ob_optimizer *ob_fuzz_optimizer(ob_fuzz_reader *r, ob_hparams *h)
{
    const ob_optimizer *o = ob_optimizer_table[ob_fuzz_byte(r) % ob_optimizer_count];
    ob_hparams_default(o, h);
    for (size_t k = 0; k < o->n_hparams; k++)
        ob_hparam_put(h, &o->hparams[k], ob_fuzz_hp_value(r, &o->hparams[k]));
    char err[512];
    return ob_validate(o, h, err, sizeof err) == 0 ? o : NULL;
}
