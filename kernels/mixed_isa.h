/*
 * mixed_isa.h — the per-ISA mixed-precision functions behind ob_cvt_ops
 * and ob_fused_kernel (ob_mixed.h), listed in each folder's table
 * (kernels/<isa>/table.c).  Internal to kernels/: call them through
 * ob_cvt_ops_for and the mixed step, which check the CPU.
 *
 * Required ISA: as the suffix (*_avx2: AVX2 + F16C; *_avx512: AVX-512F;
 * *_avx512bf16: AVX-512F + AVX512_BF16 + AVX512BW/VL).
 */
#ifndef OB_MIXED_ISA_H
#define OB_MIXED_ISA_H

#include "kernels/framework/ob_mixed.h"

#define OB_CVT_DECLARE(isa) \
    void ob_cvt_bf16_to_f32_##isa(size_t n, const uint16_t *src, float *dst); \
    void ob_cvt_f16_to_f32_##isa(size_t n, const uint16_t *src, float *dst, float scale); \
    void ob_cvt_f32_to_bf16_rne_##isa(size_t n, const float *src, uint16_t *dst); \
    void ob_cvt_f32_to_bf16_sr_##isa(size_t n, const float *src, uint16_t *dst, uint32_t key, uint32_t lo); \
    int ob_cvt_f16_all_finite_##isa(size_t n, const uint16_t *src); \
    void ob_q8_dequant_##isa(size_t n, const uint8_t *code, float a, const float *tab, float *dst); \
    float ob_q8_absmax_##isa(size_t n, const float *src, int *nonfinite); \
    void ob_q8_quant_##isa(size_t n, const float *src, float r, const ob_q8_qtab *t, uint8_t *code);

OB_CVT_DECLARE(scalar)
OB_CVT_DECLARE(avx2)
OB_CVT_DECLARE(avx512)
void ob_cvt_f32_to_bf16_rne_avx512bf16(size_t n, const float *src, uint16_t *dst);
/* q8 dequantization by AVX512-VBMI byte permutes, whole groups of 64
 * (n a multiple of 64; kernels/avx512/q8_vbmi.c, built with
 * -mavx512bw -mavx512vbmi): only where ob_q8_vbmi_enabled(). */
void ob_q8_dequant_avx512vbmi(size_t n, const uint8_t *code, float a, const float *tab, float *dst);
/* The fused first passes of q8 Adam / AdamW, Lion and SGD-with-momentum
 * blocks (ob_q8_fused_fn; same file and flags): f32 or bf16 parameters,
 * f32 gradients.  OB_Q8_PASS_DECLARE(name) is the function head (no
 * semicolon: q8_vbmi.c defines them with it). */
#define OB_Q8_PASS_DECLARE(name) \
    void name(size_t m, void *p, const float *g, const uint8_t *const *code, const float *a, \
              const float *const *tab, float *const *st, const ob_step_scalars *s, float *amax, int *nonfinite)
OB_Q8_PASS_DECLARE(ob_q8_adam_pass_avx512vbmi);
OB_Q8_PASS_DECLARE(ob_q8_adam_pass_avx512vbmi_bf16params);
OB_Q8_PASS_DECLARE(ob_q8_lion_pass_avx512vbmi);
OB_Q8_PASS_DECLARE(ob_q8_lion_pass_avx512vbmi_bf16params);
OB_Q8_PASS_DECLARE(ob_q8_sgd_pass_avx512vbmi);
OB_Q8_PASS_DECLARE(ob_q8_sgd_pass_avx512vbmi_bf16params);

/* Fused AVX-512 Adam / AdamW / AMSGrad (kernels/avx512/adam_mixed.c and,
 * with VCVTNEPS2BF16, kernels/avx512bf16/adam_mixed.c), ob_fused_fn:
 *   _bf16state   f32 parameters and gradients, bf16 state (20 B/param);
 *   _bf16        bf16 parameters, gradients and state (14 B/param);
 *   _bf16params  bf16 parameters, f32 gradients and state (24 B/param);
 *   _fp16grads   f32 parameters and state, fp16 gradients (28 B/param with the finiteness pass;
 *                AVX-512F only: it rounds nothing to bf16). */
#define OB_FUSED_DECLARE(fn) \
    void fn(size_t n, void *p, const void *g, void *const *state, const ob_step_scalars *s, float inv_scale, \
            int sr, uint32_t key, uint32_t lo);
OB_FUSED_DECLARE(ob_adam_step_avx512_bf16state)
OB_FUSED_DECLARE(ob_adam_step_avx512_bf16)
OB_FUSED_DECLARE(ob_adam_step_avx512_bf16params)
OB_FUSED_DECLARE(ob_adam_step_avx512_fp16grads)
OB_FUSED_DECLARE(ob_adam_step_avx512bf16_bf16state)
OB_FUSED_DECLARE(ob_adam_step_avx512bf16_bf16)
OB_FUSED_DECLARE(ob_adam_step_avx512bf16_bf16params)

#endif
