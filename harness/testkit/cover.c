/*
 * cover.c — the lengths that run every block of a kernel (ob_testkit.h),
 * derived from its structure rather than listed by hand.
 *
 * A vector kernel's element loop (kernels/ob_isa.h, ob_isa_step.unroll;
 * the FOR_EACH macros of kernels/avx2/avx2_ops.h and
 * kernels/avx512/avx512_ops.h) takes U whole vectors of W lanes per
 * iteration, then straight-line blocks of U/2, ..., 1 vectors where they
 * fit, then a masked tail of n mod W elements.  n = k*U*W + s*W + r with
 * k in {0, 1, 2} (no, one and two loop iterations), s in 0 .. U-1 (every
 * combination of the straight-line blocks: s's binary digits) and r in
 * 0 .. W-1 (no tail and every tail remainder) runs each block alone and
 * after each other one; n = 0 and 1 are among them (k = s = 0).
 */
#include "harness/testkit/ob_testkit.h"

#include "kernels/ob_isa.h"

/* The largest unroll any ISA table records (SGD's four vectors): assumed
 * for a kernel whose structure is not in a table (an entry's own kernels),
 * so that its lengths cover both loop shapes. */
#define COVER_UNROLL_UNKNOWN 4

size_t ob_cover_unroll(const ob_optimizer *o, ob_isa isa)
{
    if (ob_isa_width(isa) <= 1) return 1;
    const ob_isa_table *t = ob_isa_table_of(isa);
    const ob_isa_step *st = t && !o->own_kernels ? ob_isa_table_step(t, o->kernel_key) : NULL;
    return st ? (st->unroll ? st->unroll : 1) : COVER_UNROLL_UNKNOWN;
}

size_t ob_cover_lengths(const ob_optimizer *o, ob_isa isa, size_t *n, size_t max)
{
    size_t w = ob_isa_width(isa), u = ob_cover_unroll(o, isa), count = 0;
    /* Ascending and distinct by construction: (k, s, r) are the digits of
     * n in the mixed radix (U*W, W, 1). */
    for (size_t k = 0; k <= 2; k++)
        for (size_t s = 0; s < u; s++)
            for (size_t r = 0; r < w && count < max; r++) n[count++] = k * u * w + s * w + r;
    if (w == 1 && count < max) n[count++] = 3; /* scalar: 0 .. 3 elements of its one loop */
    return count;
}
