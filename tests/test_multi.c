/*
 * test_multi.c — the multi-tensor step (ob_step_multi, ob_run_kernel_multi;
 * kernels/framework/multi.c): bit-identical to stepping each tensor alone
 * with ob_step, for every optimizer, every ISA this CPU runs (scalar
 * first), thread counts 1-3, tensor lists mixing the anchor lengths (0, 1,
 * W-1, W, W+1, 8W+3) with tensors long enough to be split across threads,
 * at unaligned starts; and every bad input refused before anything is
 * touched, naming the tensor.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optbench/optimizers.h"
#include "common/ob_test.h"

#define MAX_T 24

typedef struct list {
    ob_tensor t[MAX_T];
    size_t n;
    float *bufs[MAX_T][2 + OB_MAX_STATE];
} list;

/* A list of lengths from the anchors for width w and long ones (so that 2
 * and 3 threads cut tensors in the middle), each tensor its own arrays at
 * an offset of 1..3 floats. */
static void make_list(list *a, list *b, size_t w, ob_rng *rng, const ob_optimizer *o)
{
    const size_t lens[] = {0, 1, w - 1, w, w + 1, 8 * w + 3, 70001, 3, 40000, 64, 0, 131075, 5};
    a->n = b->n = sizeof lens / sizeof *lens;
    for (size_t i = 0; i < a->n; i++) {
        const size_t n = lens[i], off = 1 + i % 3;
        for (int c = 0; c < 2; c++) {
            list *l = c ? b : a;
            memset(&l->t[i], 0, sizeof l->t[i]);
            l->t[i].n = n;
            for (int j = 0; j < 2 + OB_MAX_STATE; j++) {
                l->bufs[i][j] = malloc((n + off) * sizeof(float));
                cr_assert_not_null(l->bufs[i][j]);
            }
            l->t[i].p = l->bufs[i][0] + off;
            l->t[i].g = l->bufs[i][1] + off;
            for (size_t j = 0; j < OB_MAX_STATE; j++) l->t[i].state[j] = l->bufs[i][2 + j] + off;
        }
        for (size_t e = 0; e < n; e++) {
            a->t[i].p[e] = ob_rng_special_float(rng, 0);
            a->bufs[i][1][off + e] = ob_rng_special_float(rng, 0);
            for (size_t j = 0; j < OB_MAX_STATE; j++)
                a->t[i].state[j][e] = j < o->n_state ? ob_rng_special_float(rng, ob_state_nonneg(o, j)) : 0.0f;
        }
        for (int j = 0; j < 2 + OB_MAX_STATE; j++) memcpy(b->bufs[i][j], a->bufs[i][j], (n + off) * sizeof(float));
    }
}

static void free_list(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        for (int j = 0; j < 2 + OB_MAX_STATE; j++) free(l->bufs[i][j]);
}

static void multi_suite(ob_isa isa)
{
    if (!ob_isa_supported(isa)) cr_skip_test("SKIPPED: %s: %s", ob_isa_name(isa), ob_isa_unavailable_reason(isa));
    ob_rng rng;
    ob_rng_init(&rng, ob_test_seed() ^ 0x3117u ^ (uint64_t)isa);
    size_t cases = 0;
    for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
        const ob_optimizer *o = ob_optimizer_table[oi];
        if (!ob_optimizer_kernel(o, isa)) continue;
        const size_t nc = ob_hp_config_count(o), stride = nc > 4 ? (nc + 3) / 4 : 1;
        for (size_t c = 0; c < nc; c += stride) {
            ob_hparams h;
            if (ob_hp_config(o, c, &h) != 0 || h.clip_norm > 0 || h.clip_value > 0) continue;
            for (int threads = 1; threads <= 3; threads++) {
                list a, b;
                make_list(&a, &b, ob_isa_width(isa), &rng, o);
                char err[256] = "";
                for (uint64_t t = 1; t <= 2; t++) {
                    for (size_t i = 0; i < a.n; i++)
                        cr_assert_eq(ob_step(o, isa, &h, t, a.t[i].n, a.t[i].p, a.t[i].g, a.t[i].state, err,
                                             sizeof err),
                                     0, "%s", err);
                    cr_assert_eq(ob_step_multi(o, isa, &h, t, b.t, b.n, threads, err, sizeof err), 0, "%s", err);
                }
                for (size_t i = 0; i < a.n; i++) {
                    const size_t n = a.t[i].n;
                    size_t d = ob_first_diff(a.t[i].p, b.t[i].p, n);
                    cr_assert_eq(d, n, "%s %s threads=%d: tensor %zu (n=%zu) p differs at %zu; seed %#llx",
                                 o->name, ob_isa_name(isa), threads, i, n, d, (unsigned long long)ob_test_seed());
                    for (size_t j = 0; j < o->n_state; j++) {
                        if (!((o->state_mask(&h) >> j) & 1u)) continue;
                        d = ob_first_diff(a.t[i].state[j], b.t[i].state[j], n);
                        cr_assert_eq(d, n, "%s %s threads=%d: tensor %zu (n=%zu) %s differs at %zu; seed %#llx",
                                     o->name, ob_isa_name(isa), threads, i, n, o->state_names[j], d,
                                     (unsigned long long)ob_test_seed());
                    }
                }
                free_list(&a);
                free_list(&b);
                cases++;
            }
        }
    }
    cr_log_info("%s: %zu lists bit-identical to per-tensor ob_step", ob_isa_name(isa), cases);
}

Test(multi, scalar_same_bits_as_each_tensor_alone, .timeout = 120)
{
    multi_suite(OB_ISA_SCALAR);
}
Test(multi, avx2_same_bits_as_each_tensor_alone, .timeout = 120)
{
    multi_suite(OB_ISA_AVX2);
}
Test(multi, avx512_same_bits_as_each_tensor_alone, .timeout = 120)
{
    multi_suite(OB_ISA_AVX512);
}

Test(multi, bad_input_is_refused_before_anything_is_touched)
{
    const ob_optimizer *adam = ob_optimizer_find("adam");
    ob_hparams h;
    ob_hparams_default(adam, &h);
    float p[4] = {1, 2, 3, 4}, g[4] = {1, 1, 1, 1}, m[4] = {0}, v[4] = {0};
    ob_tensor t[2] = {{4, p, g, {m, v, NULL, NULL}}, {4, p, g, {m, NULL, NULL, NULL}}};
    char err[256];
    /* Tensor 1 lacks exp_avg_sq: refused, and tensor 0 untouched. */
    cr_assert_eq(ob_step_multi(adam, OB_ISA_SCALAR, &h, 1, t, 2, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "tensor 1") && strstr(err, "exp_avg_sq"), "%s", err);
    cr_assert(p[0] == 1 && m[0] == 0, "a refused step touched tensor 0");
    /* NULL p with n > 0. */
    ob_tensor np = {4, NULL, g, {m, v, NULL, NULL}};
    cr_assert_eq(ob_step_multi(adam, OB_ISA_SCALAR, &h, 1, &np, 1, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "tensor 0") && strstr(err, "NULL"), "%s", err);
    /* t = 0, an invalid hyperparameter, a NULL list, clipping. */
    cr_assert_eq(ob_step_multi(adam, OB_ISA_SCALAR, &h, 0, t, 1, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "t must be >= 1"), "%s", err);
    ob_hparams bad = h;
    bad.lr = -1;
    cr_assert_eq(ob_step_multi(adam, OB_ISA_SCALAR, &bad, 1, t, 1, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "lr"), "%s", err);
    cr_assert_eq(ob_step_multi(adam, OB_ISA_SCALAR, &h, 1, NULL, 2, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "NULL"), "%s", err);
    ob_hparams clip = h;
    clip.clip_norm = 1.0;
    cr_assert_eq(ob_step_multi(adam, OB_ISA_SCALAR, &clip, 1, t, 1, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "clip"), "%s", err);
    cr_assert(p[0] == 1 && m[0] == 0, "a refused step touched the tensors");
    /* An empty list, and tensors of 0 elements with NULL arrays: no-ops. */
    cr_assert_eq(ob_step_multi(adam, OB_ISA_SCALAR, &h, 1, NULL, 0, 2, err, sizeof err), 0, "%s", err);
    ob_tensor empty = {0, NULL, NULL, {NULL, NULL, NULL, NULL}};
    cr_assert_eq(ob_step_multi(adam, OB_ISA_SCALAR, &h, 1, &empty, 1, 2, err, sizeof err), 0, "%s", err);
    /* One step of the good tensor moves it. */
    cr_assert_eq(ob_step_multi(adam, OB_ISA_SCALAR, &h, 1, t, 1, 1, err, sizeof err), 0, "%s", err);
    cr_assert(p[0] != 1 && m[0] != 0);
}
