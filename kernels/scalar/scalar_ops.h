/*
 * scalar_ops.h — scalar helpers that mirror the vector instructions'
 * operand rules exactly, so the scalar kernels stay bit-identical to the
 * AVX2/AVX-512 ones.  Internal to kernels/scalar.
 */
#ifndef OB_SCALAR_OPS_H
#define OB_SCALAR_OPS_H

#include <math.h>

#if defined(__GNUC__)
#define OB_INLINE static inline __attribute__((always_inline))
#else
#define OB_INLINE static inline
#endif

/* MAXPS semantics (vmaxps/_mm512_max_ps): if either operand is NaN, or both
 * are zero, the SECOND operand is returned.  fmaxf() differs (it drops a
 * NaN), so it must not be used where the vector code uses max. */
OB_INLINE float ob_maxps(float a, float b)
{
    return a > b ? a : b;
}
/* MINPS semantics, likewise: the SECOND operand on NaN or two zeros. */
OB_INLINE float ob_minps(float a, float b)
{
    return a < b ? a : b;
}

#endif
