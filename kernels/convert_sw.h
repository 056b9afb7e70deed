/*
 * convert_sw.h — the software definitions of the mixed-precision
 * conversions and of stochastic rounding's random bits (ob_mixed.h states
 * them).  Internal to kernels/: the scalar conversions are these
 * functions, and the vector ones run them on their last few elements, so
 * every ISA shares one definition.  Type punning goes through memcpy.
 */
#ifndef OB_CONVERT_SW_H
#define OB_CONVERT_SW_H

#include <stdint.h>
#include <string.h>

#define OB_CVT_INLINE static inline __attribute__((always_inline))

OB_CVT_INLINE uint32_t ob_sw_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

OB_CVT_INLINE float ob_sw_float(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

OB_CVT_INLINE float ob_sw_bf16_to_f32(uint16_t b)
{
    return ob_sw_float((uint32_t)b << 16);
}

OB_CVT_INLINE int ob_sw_is_nan(uint32_t u)
{
    return (u & 0x7fffffffu) > 0x7f800000u;
}

OB_CVT_INLINE uint16_t ob_sw_f32_to_bf16_rne(float x)
{
    const uint32_t u = ob_sw_bits(x);
    if (ob_sw_is_nan(u)) return (uint16_t)((u >> 16) | 0x0040u);
    /* Ties to even: add 0x7fff plus the lowest kept bit.  A carry out of
     * the significand raises the exponent, and past the largest finite
     * value it lands exactly on Inf's pattern. */
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

OB_CVT_INLINE uint16_t ob_sw_f32_to_bf16_sr(float x, uint32_t r)
{
    const uint32_t u = ob_sw_bits(x);
    if (ob_sw_is_nan(u)) return (uint16_t)((u >> 16) | 0x0040u);
    return (uint16_t)((u + (r & 0xffffu)) >> 16);
}

OB_CVT_INLINE float ob_sw_f16_to_f32(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1f) return ob_sw_float(sign | 0x7f800000u | (m << 13) | (m ? 0x00400000u : 0u));
    if (e != 0) return ob_sw_float(sign | ((e + 112u) << 23) | (m << 13));
    if (m == 0) return ob_sw_float(sign);
    /* Subnormal: m * 2^-24, exact in fp32.  Normalise m. */
    uint32_t k = 0;
    uint32_t mm = m;
    while (!(mm & 0x400u)) {
        mm <<= 1;
        k++;
    }
    return ob_sw_float(sign | ((113u - k) << 23) | ((mm & 0x3ffu) << 13));
}

OB_CVT_INLINE uint16_t ob_sw_f32_to_f16_rne(float x)
{
    const uint32_t u = ob_sw_bits(x);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    const uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520: Inf (and Inf itself) */
    if (a < 0x38800000u) {
        /* Below 2^-14: subnormal f16, m = round(|x| * 2^24), ties to even. */
        const uint32_t e = a >> 23;
        if (e < 102) return sign; /* < 2^-25: rounds to 0 (2^-25 itself ties to 0) */
        const uint32_t mant = (a & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - e; /* |x| * 2^24 = mant * 2^(e - 150 + 24) */
        const uint32_t q = mant >> shift, rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
        const uint32_t r = q + (rem > half || (rem == half && (q & 1u)));
        return (uint16_t)(sign | r);
    }
    /* Normal: rebias the exponent, round the 13 dropped bits to nearest even. */
    const uint32_t b = a - 0x38000000u; /* exponent - 112 */
    return (uint16_t)(sign | ((b + 0xfffu + ((b >> 13) & 1u)) >> 13));
}

/* splitmix64's finaliser (Steele, Lea & Flood 2014). */
OB_CVT_INLINE uint64_t ob_sw_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

OB_CVT_INLINE uint32_t ob_sw_lowbias32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* Stochastic rounding's 32-bit key for a run of elements that share the
 * high 32 bits `hi` of their index: the step key (ob_sr_key) and hi
 * through splitmix64, once per call, so the per-element hash below needs
 * one lowbias32 round (two 32-bit multiplies) instead of two. */
OB_CVT_INLINE uint32_t ob_sw_sr_call_key(uint64_t key, uint32_t hi)
{
    return (uint32_t)ob_sw_mix64(key ^ hi);
}

/* The 16 random bits of the element whose index has low 32 bits lo, with
 * ckey = ob_sw_sr_call_key(key, hi32(index)): one lowbias32 round serves
 * the pair of elements 2j, 2j+1 (j = lo >> 1), the even one taking the
 * low half of the hash, the odd one the high half, so a vector of 2w
 * elements needs w hashes.  lowbias32 is a bijection of 32 bits, so the
 * pairs of one call never share an input. */
OB_CVT_INLINE uint32_t ob_sw_sr_bits(uint32_t ckey, uint32_t lo)
{
    return (ob_sw_lowbias32((lo >> 1) ^ ckey) >> ((lo & 1u) * 16)) & 0xffffu;
}

#endif
