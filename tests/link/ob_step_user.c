/*
 * ob_step_user.c — a kernel user's program, built by `make check-layers`
 * against build/libob.a with nothing but -lm and OpenMP, from the public
 * headers alone (-Iinclude): the proof that the kernel library needs no
 * BLAS, no zlib and no cJSON (README "Layout").  It also runs: one SGD
 * step, p = 1 - 0.5 * 1 = 0.5 exactly on every ISA, single- and
 * multi-threaded.
 */
#include <stdio.h>

#include "optbench/optimizers.h"

enum { N = 100 };

static int check(const char *what, const float *p, int rc, const char *err)
{
    if (rc != 0) {
        fprintf(stderr, "ob_step_user: %s failed: %s\n", what, err);
        return 1;
    }
    for (size_t i = 0; i < N; i++)
        if (p[i] != 0.5f) {
            fprintf(stderr, "ob_step_user: %s: p[%zu] = %g, expected 0.5\n", what, i, p[i]);
            return 1;
        }
    return 0;
}

int main(void)
{
    char err[256];
    const ob_optimizer *o = ob_optimizer_find("sgd");
    ob_hparams h;
    ob_isa isa;
    float p[N], g[N], buf[N];
    float *state[OB_MAX_STATE] = {buf, NULL, NULL, NULL};
    int failed = 0;

    if (o == NULL || ob_isa_select(&isa, err, sizeof err) != 0) {
        fprintf(stderr, "ob_step_user: no sgd or no ISA: %s\n", o ? err : "");
        return 1;
    }
    ob_hparams_default(o, &h);
    if (ob_hparam_set(o, &h, "lr=0.5", err, sizeof err) != 0) {
        fprintf(stderr, "ob_step_user: %s\n", err);
        return 1;
    }
    for (int threads = 1; threads <= 2; threads++) {
        for (size_t i = 0; i < N; i++) p[i] = 1.0f, g[i] = 1.0f, buf[i] = 0.0f;
        int rc = threads == 1 ? ob_step(o, isa, &h, 1, N, p, g, state, err, sizeof err)
                              : ob_step_threaded(o, isa, &h, 1, N, p, g, state, threads, err, sizeof err);
        failed |= check(threads == 1 ? "ob_step" : "ob_step_threaded", p, rc, err);
    }
    if (!failed) printf("ob_step_user: sgd step on %s: ok\n", ob_isa_name(isa));
    return failed;
}
