/*
 * ob_mixed.h — mixed-precision storage: bf16 parameters, bf16 or fp16
 * gradients, bf16 optimizer state (README "Mixed precision").
 *
 * A format says how each role is stored in memory:
 *
 *   param  f32 | bf16     the parameters, updated in place.  With bf16
 *                         there is no fp32 master copy: the bf16 array is
 *                         the only copy, and every step rounds the fp32
 *                         result back to bf16, to nearest even (rne) or
 *                         stochastically (sr, Gupta et al. 2015).
 *   grad   f32 | bf16 | f16   read only.  fp16 gradients carry a loss
 *                         scale (Micikevicius et al. 2018): the step
 *                         multiplies them by inv_loss_scale and is skipped
 *                         (nothing written) when any is Inf or NaN.
 *   state  f32 | bf16 | q8   every state array of the optimizer, rounded
 *                         to nearest even when stored (bf16), or quantized
 *                         block-wise to 8 bits (q8, Dettmers et al. 2022:
 *                         "8-bit block-wise state" below; state only).
 *
 * The arithmetic is always the fp32 kernel's: inputs are widened to fp32
 * (exactly), the optimizer's fp32 kernel of the chosen ISA computes the
 * update, and the results are rounded to the storage formats.  Every
 * conversion is exact or correctly rounded and defined bit for bit (below),
 * and stochastic rounding draws its bits from a counter-based hash of
 * (seed, step, element index), so a mixed step is bit-identical in every
 * ISA, with or without the CPU's bf16 conversion instructions, and for any
 * thread count.
 *
 * Conversions (the software definitions; every ISA matches them):
 *   bf16 -> f32   the 16 bits become the high half (exact).
 *   f16  -> f32   exact, subnormals included; Inf stays Inf; a NaN keeps
 *                 its sign and payload (shifted left 13) and is made quiet.
 *   f32 -> bf16 rne   round to nearest, ties to even, on the bit pattern:
 *                 (x + 0x7fff + ((x >> 16) & 1)) >> 16.  Subnormals are
 *                 rounded like any other value (never flushed); a finite
 *                 value past the largest bf16 rounds to Inf; a NaN keeps
 *                 its sign and top 7 payload bits and is made quiet
 *                 ((x >> 16) | 0x0040).
 *   f32 -> bf16 sr    (x + r) >> 16 with r 16 random bits: rounds up with
 *                 probability (low 16 bits of x) / 2^16, so the expected
 *                 result is x.  Inf stays Inf, a finite value may round up
 *                 to Inf past the largest bf16, a NaN as with rne.
 *   f32 -> f16 rne    round to nearest even, subnormals kept, overflow to
 *                 Inf, NaN quiet with the top 10 payload bits (used to make
 *                 test and benchmark gradients).
 */
#ifndef OB_MIXED_H
#define OB_MIXED_H

#include <stddef.h>
#include <stdint.h>

#include "optbench/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

/* OB_DT_Q8 (state only): 8-bit block-wise quantized state, the same value
 * as optbench/plugin.h's OB_PLUGIN_Q8. */
typedef enum ob_dtype { OB_DT_F32 = 0, OB_DT_BF16 = 1, OB_DT_F16 = 2, OB_DT_Q8 = 3 } ob_dtype;
typedef enum ob_rounding { OB_ROUND_RNE = 0, OB_ROUND_SR = 1 } ob_rounding;

/* "f32", "bf16", "f16", "q8"; bytes per element (4, 2 or 1: q8's codes,
 * without the per-block absmax, see ob_mixed_state_array_bytes). */
const char *ob_dtype_name(ob_dtype d);
size_t ob_dtype_size(ob_dtype d);

typedef struct ob_format {
    char name[64];     /* the preset's name, or the spec as written */
    ob_dtype param;    /* f32 or bf16 */
    ob_dtype grad;     /* f32, bf16 or f16 */
    ob_dtype state;    /* f32 or bf16 */
    ob_rounding round; /* rounding of bf16 parameters */
    uint64_t seed;     /* stochastic rounding's seed */
    uint32_t block;    /* q8 state: elements per quantization block; 0 otherwise */
} ob_format;

/* The named formats. */
typedef struct ob_format_preset {
    const char *name;
    ob_dtype param, grad, state;
    ob_rounding round;
    const char *doc; /* one line */
    uint32_t block;  /* q8 state: elements per block (0 otherwise) */
} ob_format_preset;

extern const ob_format_preset ob_format_presets[];
extern const size_t ob_format_preset_count;

/* Parses a preset name ("bf16-sr"), a preset with options
 * ("bf16-sr,seed=7") or the explicit form
 * "param=bf16,grad=f16,state=bf16,round=sr,seed=7" (keys in any order;
 * absent keys: f32, rne, seed 0), or with 8-bit state
 * "state=q8,block=256" (block: a power of two in [OB_Q8_BLOCK_MIN,
 * OB_Q8_BLOCK_MAX], default OB_Q8_BLOCK_DEFAULT; only with state=q8).  Returns 0, or -1 with a message that
 * names the offending part. */
int ob_format_parse(const char *spec, ob_format *out, char *err, size_t errlen);
/* The fp32 format (every role f32). */
void ob_format_fp32(ob_format *out);
/* Nonzero if every role is f32 (ob_step_mixed is then ob_step_threaded). */
int ob_format_is_fp32(const ob_format *f);
/* "param=bf16,grad=f32,state=bf16,round=sr,seed=7" (",block=N" with q8) */
void ob_format_describe(const ob_format *f, char *buf, size_t len);

/* Bytes of state per parameter (the arrays in use at the format's state
 * size) and of memory traffic per element and step (p read and written,
 * g read — twice for fp16 gradients, whose finiteness pass precedes the
 * step — each state array read and written). */
size_t ob_mixed_state_bytes(const ob_optimizer *o, const ob_hparams *h, const ob_format *f);
size_t ob_mixed_traffic_bytes(const ob_optimizer *o, const ob_hparams *h, const ob_format *f);
/* The same two counts with q8's per-block absmax included (4 bytes per
 * block and state array, read and written): fractional bytes per element.
 * Equal to the integer counts for the other state types. */
double ob_mixed_state_bytes_exact(const ob_optimizer *o, const ob_hparams *h, const ob_format *f);
double ob_mixed_traffic_bytes_exact(const ob_optimizer *o, const ob_hparams *h, const ob_format *f);
/* Bytes of one state array of n elements in format f: n * 4 or n * 2, or
 * for q8 n code bytes followed by ceil(n / block) fp32 absmax values. */
size_t ob_mixed_state_array_bytes(const ob_format *f, size_t n);

/* ---- 8-bit block-wise state (q8) ------------------------------------------
 *
 * Dettmers, Lewis, Shleifer & Zettlemoyer, "8-bit Optimizers via Block-wise
 * Quantization", ICLR 2022, Sec. 2.  A q8 state array of n elements is
 * split into blocks of f->block elements (the last one may be shorter),
 * counted from element 0 of the array.  Each block stores one fp32 absmax
 * a and one 8-bit code c per element; the element's value is
 *     x = Q[c] * a          (one fp32 multiply)
 * with Q the 256-entry dynamic tree code: signed for state that can be
 * negative (Adam's m, Lion's m, SGD's momentum), unsigned for state that
 * cannot (Adam's v; ob_state_nonneg).  Memory: codes at bytes [0, n),
 * then the ceil(n / block) absmax values as native fp32 at byte n (no
 * alignment is assumed anywhere).  An all-zero buffer is a zero state.
 *
 * The codebook (ob_q8_codebook), generated here from its definition (the
 * dynamic tree code of Dettmers 2016, "8-Bit Approximations for
 * Parallelism in Deep Learning", as bitsandbytes' create_dynamic_map
 * builds it for 8 bits, 7 exponent levels): for level i = 0..6 and
 * K = 2^i (signed) or 2^(i+1) (unsigned, the sign bit becomes a fraction
 * bit), the K values
 *     10^(i-6) * (0.1 + 0.9 * (j + 1/2) / K),   j = 0..K-1
 * (the centres of K equal bins of [0.1, 1] scaled to the decade
 * [10^(i-7), 10^(i-6)]), their negatives when signed, and 0 and 1: 256
 * values, each computed in double and rounded once to fp32, sorted
 * ascending.  Signed: codes 0..126 negative, 127 zero, 128..255 positive,
 * 255 = 1; unsigned: 0 = zero, 255 = 1.
 *
 * Quantization of a block of fp32 values x (after the optimizer's fp32
 * update):
 *   a = max |x_i|; if some x_i is Inf or NaN the block cannot be coded: a
 *       is stored as NaN (0x7fc00000) and every code as the zero code,
 *       so the whole block reads back as NaN (a non-finite state value
 *       spreads to its block);
 *   if a < 2^-126 (all zero, or only fp32 subnormals): a = 0 and every
 *       code the zero code (the block flushes to zero; 1/a would overflow);
 *   else r = 1/a (one fp32 division), y_i = x_i * r (one fp32 multiply),
 *       c_i = #{ j in 0..254 : y_i > M[j] } with M the 255 midpoints
 *       M[j] = fp32((Q[j] + Q[j+1]) / 2) (ob_q8_midpoints; the exact
 *       midpoint rounded once to nearest): the nearest code, and a value
 *       equal to a midpoint takes the LOWER code (strict >).
 * Every ISA performs these operations, so q8 steps are bit-identical in
 * every ISA and for every thread count (threads split at block
 * boundaries). */
#define OB_Q8_BLOCK_DEFAULT 2048u /* the paper's block size */
#define OB_Q8_BLOCK_MIN 64u
#define OB_Q8_BLOCK_MAX 4096u

/* The 256 codebook values ascending, and the 255 midpoints (followed by
 * one +Inf pad, so M has 256 entries): signed (unsigned_ = 0) or unsigned. */
const float *ob_q8_codebook(int unsigned_);
const float *ob_q8_midpoints(int unsigned_);
/* The quantizer's bucket table (README "8-bit state"), which the vector
 * ISAs use to compute c = #{j : y > M[j]} without a search.  Let b be the
 * bit pattern of |y| and key = (b >> shift) - first, clamped to
 * [0, last]: positive fp32 values order as their bit patterns, so bucket
 * key holds the magnitudes whose top bits (exponent and 23 - shift
 * mantissa bits) are equal.  shift is the largest for which every bucket
 * holds at most one positive midpoint; bucket 0 and bucket last (from
 * 1.0 up) hold none, so the clamp is exact.  Entry bucket[key]:
 *   bits 0-7   base: the positive midpoints below the bucket's start
 *              (signed: among M[127..254]; unsigned: among all 255);
 *   bits 8-31  the low shift bits of the midpoint inside the bucket, or
 *              1 << shift (more than any low bits) if it holds none.
 * With lo = b & ((1 << shift) - 1) and e = bucket[key]:
 *   unsigned: c = y > 0 (y not NaN) ? base + (lo > e >> 8) : 0;
 *   signed:   y >= +0: c = 127 + base + (lo > e >> 8);
 *             y <= -0: c = max(127 - base - (lo >= e >> 8), 0) (the
 *             signed midpoints are symmetric, M[126 - k] = -M[127 + k],
 *             and a negative value on a midpoint takes the lower code);
 *   NaN: c = 0.  Checked when the table is built (the symmetry, at most
 * one midpoint per bucket) and against the definition in tests/test_q8.c
 * and tests/test_q8_exhaustive.c. */
/* The arithmetic count (the vector ISAs' fast path; README "8-bit
 * state").  Within one decade d of the dynamic tree code the positive
 * values are 10^(d-6) (0.1 + 0.9 (j + 0.5) / K_d), so its inner midpoints
 * sit near t = 1, 2, ..., K_d - 1 of t = (x / 10^(d-6) - 0.1) K_d / 0.9.
 * The 8 region boundaries (the first positive midpoint and the 7 between
 * decades) split the magnitudes into 9 regions; at most one boundary lies
 * in any binade, so the region of x (clamped to [2^-31, 1]) is
 * region_of_binade[e & 31] plus one if x > bound_of_binade[e & 31] (e the
 * biased exponent; bit patterns).  Then, with r the region and t in
 * fixed point (2^12 t: the tables are scaled by 2^12, which commutes with
 * rounding),
 *   i = ceil(min(fmaf(x, a[r], b[r]), h[r])),
 *   G = (i + base[r]) >> 12   (= #{positive midpoints < x}),
 * unless i mod 2^12 is 4095, 0, 1 or 2, i.e. t is within 2^-11 of an
 * integer: such an x is within rounding of an inner midpoint, and the
 * lane is decided by the bucket table instead.  The table build proves
 * this at every midpoint and the float above it (fmaf is monotone in x,
 * so between them the count cannot be wrong), and make q8-exhaustive
 * checks it on all 2^32 patterns. */
typedef struct ob_q8_arith {
    uint32_t region_of_binade[32], bound_of_binade[32];
    float a[16], b[16], h[16];
    int32_t base[16];
} ob_q8_arith;

typedef struct ob_q8_qtab {
    const float *mid;       /* ob_q8_midpoints */
    const uint32_t *bucket; /* last + 1 entries */
    uint32_t shift, first, last;
    int unsigned_;
    ob_q8_arith ar;
} ob_q8_qtab;
const ob_q8_qtab *ob_q8_quant_table(int unsigned_);
/* The code of y by the bucket table, one element (what the vector ISAs
 * compute per lane). */
uint8_t ob_q8_code_bucket(float y, const ob_q8_qtab *t);
/* G = #{positive midpoints < x} for a magnitude x (its bit pattern xb,
 * at most 0x7f800000) by the arithmetic count, one element (what the
 * vector ISAs compute per lane); *ambiguous = 1 where the count is not
 * decided (then G is not to be used). */
uint32_t ob_q8_count_arith(uint32_t xb, const ob_q8_arith *a, int *ambiguous);

/* The code of zero: 127 (signed) or 0 (unsigned). */
uint8_t ob_q8_zero_code(int unsigned_);
/* The code of y (y = x * r above) by the definition: #{j : y > M[j]}. */
uint8_t ob_q8_code_of(float y, int unsigned_);
/* Quantizes one block of m values (the rules above, in scalar code) and
 * returns the absmax to store; dequantizes one. */
float ob_q8_quantize_block(size_t m, const float *x, uint8_t *code, int unsigned_);
void ob_q8_dequantize_block(size_t m, const uint8_t *code, float absmax, float *x, int unsigned_);
/* Reads / writes absmax number b of a q8 array of n elements. */
float ob_q8_absmax_get(const void *array, size_t n, size_t b);
void ob_q8_absmax_set(void *array, size_t n, size_t b, float a);
/* Nonzero if q8 state is offered for o with h (Adam and AdamW without
 * AMSGrad, Lion, SGD); else 0 with a message
 * "format q8 not offered for OPT". */
int ob_q8_offered(const ob_optimizer *o, const ob_hparams *h, char *err, size_t errlen);
/* Nonzero if o's state array k uses the unsigned code (it is never
 * negative: Adam's exp_avg_sq), else the signed one. */
int ob_q8_state_unsigned(const ob_optimizer *o, size_t k);

/* ---- conversions -------------------------------------------------------- */

/* The software definitions (above), one element. */
float ob_bf16_to_f32(uint16_t b);
uint16_t ob_f32_to_bf16_rne(float x);
/* r: the 16 random bits (0 .. 0xffff). */
uint16_t ob_f32_to_bf16_sr(float x, uint32_t r);
float ob_f16_to_f32(uint16_t h);
uint16_t ob_f32_to_f16_rne(float x);

/* Stochastic rounding's random bits.  Per step, a 64-bit key from (seed,
 * t): k = splitmix64(seed ^ splitmix64(t)).  Per call of a kernel (once,
 * in scalar code), a 32-bit key for the elements it covers, which share
 * the high 32 bits of their index i (the index in the whole array,
 * whatever the threads' chunks; callers split a run at multiples of 2^32):
 *   K = lo32(splitmix64(k ^ hi32(i)))                       (ob_sr_call_key)
 * Per pair of elements 2j, 2j+1 (j = lo32(i) >> 1), one round of the
 * 32-bit lowbias32 hash, whose low half goes to the even element and high
 * half to the odd one:
 *   x = lowbias32((lo32(i) >> 1) ^ K);  r = i even ? x & 0xffff : x >> 16
 *                                                           (ob_sr_bits)
 * lowbias32 (C. Wellons, "Prospecting for hash functions", 2018):
 *   x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16.
 * One 32-bit multiply per element, 32-bit lanes in every ISA; a bijection
 * of 32 bits, so the pairs of one call never share an input. */
uint64_t ob_sr_key(uint64_t seed, uint64_t t);
uint32_t ob_sr_call_key(uint64_t key, uint32_t hi);
uint32_t ob_sr_bits(uint64_t key, uint64_t i);

/* Array conversions of one ISA (ob_cvt_ops_for).  None needs alignment.
 * sr: element j of the call uses ob_sr_bits with i = base + j, where the
 * caller passes lo = lo32(base) and key = ob_sr_call_key(k, hi32(base)),
 * and guarantees that lo + n does not wrap past 2^32. */
typedef struct ob_cvt_ops {
    const char *name; /* "scalar", "avx2", "avx512", "avx512bf16" */
    void (*bf16_to_f32)(size_t n, const uint16_t *src, float *dst);
    /* dst = f16_to_f32(src) * scale (one fp32 multiply). */
    void (*f16_to_f32)(size_t n, const uint16_t *src, float *dst, float scale);
    void (*f32_to_bf16_rne)(size_t n, const float *src, uint16_t *dst);
    void (*f32_to_bf16_sr)(size_t n, const float *src, uint16_t *dst, uint32_t key, uint32_t lo);
    /* Nonzero if no element is Inf or NaN. */
    int (*f16_all_finite)(size_t n, const uint16_t *src);
    /* q8 (above): dst[i] = tab[code[i]] * a. */
    void (*q8_dequant)(size_t n, const uint8_t *code, float a, const float *tab, float *dst);
    /* q8: max |src[i]| (NaN ignored); *nonfinite = some element Inf or NaN. */
    float (*q8_absmax)(size_t n, const float *src, int *nonfinite);
    /* q8: code[i] = #{j : src[i] * r > t->mid[j]} (scalar searches
     * t->mid; the vector ISAs use t->bucket). */
    void (*q8_quant)(size_t n, const float *src, float r, const ob_q8_qtab *t, uint8_t *code);
} ob_cvt_ops;

/* The conversions an ISA uses: on AVX-512, the AVX512_BF16 instructions
 * (vcvtneps2bf16, with subnormal inputs fixed up in software) where the
 * CPU has them and they are not switched off, else AVX-512F integer code.
 * NULL where the ISA was not compiled in. */
const ob_cvt_ops *ob_cvt_ops_for(ob_isa isa);
/* Nonzero if this binary has the AVX512_BF16 code and this CPU runs it. */
int ob_bf16_native_supported(void);
/* Whether AVX-512 steps use the AVX512_BF16 instructions: on by default
 * where supported, off when OPTBENCH_BF16_NATIVE=0.  ob_bf16_native_set
 * switches it (tests compare both paths); returns the previous setting.
 * Not thread-safe: switch it between steps. */
int ob_bf16_native_enabled(void);
int ob_bf16_native_set(int on);
/* Whether the AVX-512 q8 dequantization uses AVX512-VBMI byte permutes
 * (kernels/avx512/q8_vbmi.c): where this binary has the code and the CPU
 * has AVX512-VBMI and AVX512BW, unless switched off (ob_q8_vbmi_set, for
 * tests comparing both paths; returns the previous setting; not
 * thread-safe).  Else a 16-lane gather.  The result is the same bits. */
int ob_q8_vbmi_supported(void);
int ob_q8_vbmi_enabled(void);
int ob_q8_vbmi_set(int on);

/* ---- the mixed step ------------------------------------------------------- */

/* Fused kernels: the whole step of one optimizer for one format in
 * registers (no block buffers).  They perform the fp32 kernel's operations
 * in the same order, so they are bit-identical to the generic path.
 * fp16 gradients are multiplied by inv_scale (the step checked them all
 * finite first).  With sr, bf16 parameters are rounded stochastically,
 * key and lo as in ob_cvt_ops.f32_to_bf16_sr; else to nearest even. */
typedef void (*ob_fused_fn)(size_t n, void *p, const void *g, void *const *state, const ob_step_scalars *s,
                            float inv_scale, int sr, uint32_t key, uint32_t lo);

/* The fused first pass of one q8 block (state = q8; mixed_q8.c runs it,
 * then quantizes): for m elements (a multiple of 64) it dequantizes the
 * state arrays in use (codes code[k] with absmax a[k] and codebook tab[k],
 * in state order, at most 2), performs the fp32 kernel's step on them,
 * writes p (rounded to nearest even if bf16) and the new fp32 state into
 * st[k], and returns each new state's max |x| (NaN ignored) in amax[k]
 * and whether it holds an Inf or NaN in nonfinite[k]: the operations of
 * dequantize, the fp32 kernel and q8_absmax, so the block's result is
 * bit-identical to the generic path. */
typedef void (*ob_q8_fused_fn)(size_t m, void *p, const float *g, const uint8_t *const *code, const float *a,
                               const float *const *tab, float *const *st, const ob_step_scalars *s, float *amax,
                               int *nonfinite);

typedef struct ob_fused_kernel {
    ob_kernel_fn base; /* the fp32 kernel it fuses: every optimizer whose
                                   * ob_optimizer_kernel(o, isa) this is uses it */
    ob_isa isa;
    int native_bf16;             /* needs AVX512_BF16 (and is used only when enabled) */
    ob_dtype param, grad, state; /* the format it handles (either rounding, except
                                  * q8: nearest even only) */
    ob_fused_fn fn;              /* state f32 or bf16 */
    ob_q8_fused_fn q8;           /* state q8 (fn NULL) */
    int needs_vbmi;              /* used only where ob_q8_vbmi_enabled() */
} ob_fused_kernel;

/* The fused kernels are listed in the ISA tables (kernels/<isa>/table.c,
 * kernels/ob_isa.h); the step uses one where the optimizer's kernel, ISA
 * and format match and no clipping is asked.  The fused kernel a step of
 * o/f on isa would use, or NULL (generic path). */
const ob_fused_kernel *ob_fused_find(const ob_optimizer *o, ob_isa isa, const ob_format *f);

/* Elements per block of the generic path: inputs are widened into fp32
 * stack buffers of this many elements (in L1), the fp32 kernel runs on the
 * block, and the results are rounded back. */
#define OB_MIXED_BLOCK 512

/* One step of o in format f.  p, g and state[k] point at arrays of the
 * format's element types (float or uint16_t); state arrays the optimizer
 * does not use with h may be NULL.  inv_loss_scale multiplies fp16
 * gradients; it must be a power of two in [2^-64, 2^24] (so the multiply
 * is exact) and 1 unless grad = f16.  With grad = f16, if any gradient is
 * Inf or NaN the step is skipped: nothing is written, *skipped = 1 (the
 * caller lowers its loss scale, as torch.cuda.amp.GradScaler does);
 * otherwise *skipped = 0 (skipped may be NULL).  Gradient clipping:
 * clip_value with every format, clip_norm only with f32 gradients (an
 * error otherwise).  threads as in ob_step_threaded; the result is
 * bit-identical for every ISA and thread count.  Returns 0, or -1 with a
 * message (nothing written). */
int ob_step_mixed(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t, const ob_format *f,
                  float inv_loss_scale, size_t n, void *p, const void *g, void *const *state, int threads,
                  int *skipped, char *err, size_t errlen);

/* The step after its checks, with the scalars s already prepared for step
 * t (t also keys stochastic rounding): what ob_step_mixed runs, for
 * callers that prepare once and step many times (benchmarks).  No
 * validation; allow_fused = 0 forces the generic path.  Returns 1 if the
 * step was skipped (fp16 overflow), else 0. */
int ob_mixed_run(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, const ob_format *f,
                 const ob_step_scalars *s, uint64_t t, float inv_loss_scale, size_t n, void *p, const void *g,
                 void *const *state, int threads, int allow_fused);

/* The generic path alone (no fused kernel), for tests and benchmarks. */
int ob_step_mixed_generic(const ob_optimizer *o, ob_isa isa, const ob_hparams *h, uint64_t t,
                          const ob_format *f, float inv_loss_scale, size_t n, void *p, const void *g,
                          void *const *state, int threads, int *skipped, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
