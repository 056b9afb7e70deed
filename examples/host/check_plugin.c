/*
 * check_plugin.c — a program that links libob through pkg-config (README
 * "Test your own kernel"): loads a plugin (optbench/plugin.h), steps its
 * first kernel beside optbench's own kernel of the optimizer it claims,
 * and measures both against optbench's double reference, as the numeric
 * contract does (README "Agreement bounds"): every step starts all three
 * from the plugin's state, and the error of p is reported in units of
 * u*S (u = 2^-24, S the reference's per-element error scale).
 *
 *     cc check_plugin.c $(pkg-config --cflags --libs optbench) -o check_plugin
 *     ./check_plugin ./my_adamw.so [STEPS]
 *
 * Exit status: 0 within the kernel's bound (its declared agree_bound, else
 * the optimizer's), 1 above it or a failed step, 2 a plugin that does not
 * load.  Uses only the installed public headers and libob.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <optbench/optimizers.h>
#include <optbench/plugin.h>

enum { N = 4099 }; /* not a multiple of any vector width */

static ob_plugin_kernel_desc kernel; /* the plugin's first kernel */
static float p[2][N], g[N], st[2][OB_MAX_STATE][N];
static double pd[N], gd[N], sd[OB_MAX_STATE][N], scale[N];

/* The host side of ob_plugin_add: keeps the first kernel. */
static int add_kernel(const ob_plugin_host *host, unsigned abi, const ob_plugin_kernel_desc *d)
{
    (void)host;
    if (abi != OPTBENCH_PLUGIN_ABI) return 1;
    if (!kernel.step) kernel = *d;
    return 0;
}

static const ob_optimizer *load(const char *path)
{
    void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ob_plugin_register_fn reg;
    ob_plugin_host host = {OPTBENCH_PLUGIN_ABI, NULL, add_kernel};
    if (!so) return fprintf(stderr, "check_plugin: %s\n", dlerror()), NULL;
    /* POSIX guarantees that dlsym's object pointer converts to a function. */
    *(void **)&reg = dlsym(so, OPTBENCH_PLUGIN_REGISTER_SYMBOL);
    if (!reg || reg(&host) != 0 || !kernel.step) {
        fprintf(stderr, "check_plugin: %s: no kernel registered\n", path);
        return NULL;
    }
    const ob_optimizer *o = ob_optimizer_find(kernel.optimizer);
    if (!o || kernel.n_state != o->n_state)
        fprintf(stderr, "check_plugin: %s: %s claims an unknown optimizer or another state layout\n", path,
                kernel.name);
    return o && kernel.n_state == o->n_state ? o : NULL;
}

/* |x - ref| in units of u*S; 0 where both agree exactly. */
static double err_us(float x, double ref, double s)
{
    double e = fabs((double)x - ref);
    return e == 0 ? 0 : e / (ldexp(1, -24) * s);
}

int main(int argc, char **argv)
{
    const ob_optimizer *o = argc >= 2 ? load(argv[1]) : NULL;
    if (!o) return fprintf(stderr, "usage: check_plugin PLUGIN.so [STEPS]\n"), 2;
    long steps = argc > 2 ? atol(argv[2]) : 100;
    ob_hparams h;
    ob_isa isa;
    char err[256] = "";
    void *ctx = kernel.user;
    ob_hparams_default(o, &h);
    if (ob_isa_select(&isa, err, sizeof err) != 0) return fprintf(stderr, "check_plugin: %s\n", err), 1;
    if (kernel.init && kernel.init(&ctx, &h, N, 1) != 0) return fprintf(stderr, "check_plugin: init failed\n"), 1;
    float *own[OB_MAX_STATE];
    void *theirs[OB_MAX_STATE];
    double *ref[OB_MAX_STATE], *scales[1 + OB_MAX_STATE] = {scale};
    for (size_t k = 0; k < OB_MAX_STATE; k++) own[k] = st[0][k], theirs[k] = st[1][k], ref[k] = sd[k];
    double worst[2] = {0, 0}, same = 0;
    srand(1);
    for (size_t i = 0; i < N; i++) p[1][i] = (float)rand() / RAND_MAX - 0.5f;
    for (long t = 1; t <= steps; t++) {
        /* A noisy quadratic: g = p + noise; all three start from the plugin's p and state. */
        for (size_t i = 0; i < N; i++) g[i] = p[1][i] + (float)rand() / RAND_MAX - 0.5f;
        memcpy(p[0], p[1], sizeof p[0]);
        memcpy(st[0], st[1], sizeof st[0]);
        for (size_t i = 0; i < N; i++) {
            pd[i] = p[1][i], gd[i] = g[i];
            for (size_t k = 0; k < OB_MAX_STATE; k++) sd[k][i] = st[1][k][i];
        }
        o->reference(&h, (uint64_t)t, N, pd, gd, ref, scales);
        if (ob_step(o, isa, &h, (uint64_t)t, N, p[0], g, own, err, sizeof err) != 0)
            return fprintf(stderr, "check_plugin: optbench's step %ld: %s\n", t, err), 1;
        int rc = kernel.step(ctx, &h, (uint64_t)t, N, p[1], g, theirs);
        if (rc != 0) return fprintf(stderr, "check_plugin: %s returned %d at step %ld\n", kernel.name, rc, t), 1;
        for (size_t i = 0; i < N; i++) {
            worst[0] = fmax(worst[0], err_us(p[0][i], pd[i], scale[i]));
            worst[1] = fmax(worst[1], err_us(p[1][i], pd[i], scale[i]));
            same += memcmp(&p[0][i], &p[1][i], sizeof(float)) == 0;
        }
    }
    if (kernel.free) kernel.free(ctx);
    double bound = kernel.agree_bound > 0 ? kernel.agree_bound : o->agree_bound;
    printf("%s (claims %s), %ld steps x %d elements, error of p against the double reference:\n", kernel.name,
           o->name, steps, N);
    printf("  %-22s %8.1f u*S (bound %g)%s\n", kernel.name, worst[1], bound, worst[1] <= bound ? "" : "  FAILED");
    printf("  optbench %-13s %8.1f u*S (bound %g)\n", ob_isa_name(isa), worst[0], o->agree_bound);
    printf("  bit-identical to optbench's kernel: %.1f%% of the elements\n", 100 * same / ((double)steps * N));
    return worst[1] <= bound ? 0 : 1;
}
