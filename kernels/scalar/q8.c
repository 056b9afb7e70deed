/*
 * q8.c — 8-bit block-wise state, scalar (ob_mixed.h "8-bit block-wise
 * state", ob_cvt_ops.q8_*): the definitions, one element at a time.
 */
#include <float.h>
#include <math.h>

#include "kernels/mixed_isa.h"

void ob_q8_dequant_scalar(size_t n, const uint8_t *code, float a, const float *tab, float *dst)
{
    for (size_t i = 0; i < n; i++) dst[i] = tab[code[i]] * a;
}

float ob_q8_absmax_scalar(size_t n, const float *src, int *nonfinite)
{
    float a = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const float v = fabsf(src[i]);
        a = v > a ? v : a; /* MAXPS's rule: a NaN v keeps a */
        bad |= !(v <= FLT_MAX);
    }
    *nonfinite = bad;
    return a;
}

void ob_q8_quant_scalar(size_t n, const float *src, float r, const ob_q8_qtab *t, uint8_t *code)
{
    const float *mid = t->mid;
    for (size_t i = 0; i < n; i++) {
        const float y = src[i] * r;
        unsigned idx = 0;
        /* Binary search over the 255 sorted midpoints: strict >, so a
         * value on a midpoint takes the lower code. */
        for (unsigned s = 128; s; s >>= 1) idx += y > mid[idx + s - 1] ? s : 0;
        code[i] = (uint8_t)idx;
    }
}
