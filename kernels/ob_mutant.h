/*
 * ob_mutant.h — the mutation hooks of the vector kernels' element loops
 * (the FOR_EACH macros of kernels/avx2/avx2_ops.h and
 * kernels/avx512/avx512_ops.h), for the mutation check
 * (scripts/test-mutants.sh, `make test-mutants`, README "Tests").
 *
 * Compiled in only when one kernel file is built with -DOB_MUTANT_BLOCK=b
 * for a mutant: without it every hook expands to exactly the production
 * code (the script checks that each file compiles to its production
 * object).  OB_MUTANT_BLOCK puts one wrong operation in one block of the
 * element loop: the last lane of one vector is left unprocessed (a mask
 * one lane short) in block b = 1 the unrolled loop (its last vector),
 * 2 the two-vector block (the four-vector loop only), 3 the single vector,
 * 4 the masked tail.  (-DOB_MUTANT_OP=1, the other mutant, swaps each fused
 * multiply-add for a multiply and an add in the ISA's ops header.)
 *
 * The scalar kernels' one block, the element loop, runs to
 * OB_MUTANT_ELEMENTS(n): with OB_MUTANT_BLOCK=4 it leaves the last element
 * unprocessed.  -DOB_MUTANT_SCALAR_OP=1 makes each fmaf of a scalar kernel
 * a multiply and an add (this header comes after <math.h> there).
 */
#ifndef OB_MUTANT_H
#define OB_MUTANT_H

/* VEC(i, all, 0), the unmasked vector at i of block blk; a mutant of that
 * block runs it masked with short_mask (all lanes but the last). */
#ifdef OB_MUTANT_BLOCK
#define OB_MUTANT_VEC(blk, VEC, i, all, short_mask) \
    do { \
        if (OB_MUTANT_BLOCK == (blk)) VEC(i, short_mask, 1); \
        else VEC(i, all, 0); \
    } while (0)
/* The tail's element count (the tail mutant: one short). */
#define OB_MUTANT_TAIL(rem) ((rem) - (OB_MUTANT_BLOCK == 4))
/* A scalar element loop's count (its mutant: the last element left out). */
#define OB_MUTANT_ELEMENTS(n) ((n) - ((n) > 0 && OB_MUTANT_BLOCK == 4))
#else
#define OB_MUTANT_VEC(blk, VEC, i, all, short_mask) VEC(i, all, 0)
#define OB_MUTANT_TAIL(rem) (rem)
#define OB_MUTANT_ELEMENTS(n) (n)
#endif

#ifdef OB_MUTANT_SCALAR_OP
#include <math.h>
#undef fmaf
#define fmaf(a, b, c) ((a) * (b) + (c))
#endif

#endif
