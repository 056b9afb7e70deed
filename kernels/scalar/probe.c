/*
 * probe.c — the scalar bench probes (kernels/ob_probe.h says what each
 * measures; ob_isa_probes_scalar in kernels/ob_isa.h).
 *
 * The Makefile builds this file without the scalar folder's
 * no-vectorise flag: the memory probes are the portable fallback's
 * ceiling and may use SSE2, as they always have; the divider probes stay
 * scalar through OB_NO_VECTORIZE / OB_LOOP_SCALAR.
 */
#include "kernels/ob_probe.h"

static void mem0_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    mem_scalar_body(n, p, g, st, s, 0);
}
static void mem1_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    mem_scalar_body(n, p, g, st, s, 1);
}
static void mem2_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    mem_scalar_body(n, p, g, st, s, 2);
}
static void mem3_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    mem_scalar_body(n, p, g, st, s, 3);
}
static void mem4_scalar(size_t n, float *p, const float *g, float *const *st, const ob_step_scalars *s)
{
    mem_scalar_body(n, p, g, st, s, 4);
}

static void triad_scalar(size_t n, float *p, const float *g, float *const *state, const ob_step_scalars *s)
{
    const float c = s->lr, *b = state[0];
    for (size_t i = 0; i < n; i++) p[i] = g[i] + c * b[i];
}

DIV_PROBE(div01_scalar, OB_NO_VECTORIZE, div_scalar_body, 0, 1)
DIV_PROBE(div11_scalar, OB_NO_VECTORIZE, div_scalar_body, 1, 1)
DIV_PROBE(div21_scalar, OB_NO_VECTORIZE, div_scalar_body, 2, 1)
DIV_PROBE(div02_scalar, OB_NO_VECTORIZE, div_scalar_body, 0, 2)
DIV_PROBE(div12_scalar, OB_NO_VECTORIZE, div_scalar_body, 1, 2)
DIV_PROBE(div22_scalar, OB_NO_VECTORIZE, div_scalar_body, 2, 2)

static void probe_scalar(size_t n, void *p, const void *g, void *const *st, size_t k, unsigned half, float c)
{
    sc_range(0, n, p, g, st, k, half, c);
}

const ob_isa_probes ob_isa_probes_scalar = {
    .mem = {mem0_scalar, mem1_scalar, mem2_scalar, mem3_scalar, mem4_scalar},
    /* The scalar probes issue no prefetch: the same loops. */
    .mem_plain = {mem0_scalar, mem1_scalar, mem2_scalar, mem3_scalar, mem4_scalar},
    .triad = triad_scalar,
    .div = {{div01_scalar, div02_scalar}, {div11_scalar, div12_scalar}, {div21_scalar, div22_scalar}},
    .mem_mixed = probe_scalar,
};
