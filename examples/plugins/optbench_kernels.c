/*
 * optbench_kernels.c — optbench's own kernels exported as a plugin: the
 * round trip of the plugin ABI (optbench/plugin.h).  One kernel per entry
 * of the optimizer table, named "optbench.<optimizer>", claiming that
 * optimizer and honouring all of its keys plus gradient clipping.
 *
 * A plugin step receives the raw hyperparameters, so this one does what
 * ob_step does: the table's prepare (per-step scalars in double, rounded
 * once) and the kernel.  Run through the plugin path it must give results
 * bit-identical to ob_step (tests/test_plugin.c).
 *
 * Build: the plugin carries its own copy of libob, the -fPIC objects
 * libob.so is built from (every ISA with its folder's -m flags), and
 * exports only optbench_plugin_register (plugin.map), so its ob_ symbols
 * never meet the host's.  libob.a is not -fPIC (it cannot go into a
 * shared object), and calling back into the host through symbols exported
 * with -rdynamic would tie the plugin to a host linked that way.
 *
 * It steps with the ISA the dispatcher picks (ob_isa_select: OPTBENCH_ISA,
 * else the best this CPU runs), as a user of libob would, so `bench` can
 * hold the plugin path to the built-in kernel of the same ISA; by the
 * numeric contract every ISA's result is bit-identical to scalar's.
 */
#include <stddef.h>

#include "optbench/optimizers.h"
#include "optbench/plugin.h"

/* The keys of each optimizer, then clip_norm and clip_value (ob_step
 * clips), NULL-terminated. */
#define MAX_OPTS 16
static const char *keys[MAX_OPTS][OB_MAX_HPARAMS + 3];
static ob_isa isa = OB_ISA_SCALAR; /* chosen at registration */

static int step(void *ctx, const ob_hparams *h, uint64_t t, size_t n, float *p, const float *g,
                void *const *state)
{
    const ob_optimizer *o = ctx;
    float *st[OB_MAX_STATE] = {0};
    for (size_t k = 0; k < o->n_state; k++) st[k] = state[k];
    ob_kernel_fn k = ob_optimizer_kernel(o, isa);
    if (k && h->clip_norm == 0 && h->clip_value == 0) {
        /* What ob_step does after its checks, which the host has made
         * (guarded runs) or skips on purpose (timed runs): the table's
         * prepare, in double and rounded once, then the kernel. */
        ob_step_scalars s;
        o->prepare(h, t, &s);
        k(n, p, g, st, &s);
        return 0;
    }
    char err[256]; /* clipping (and an ISA without this kernel): ob_step */
    return ob_step(o, isa, h, t, n, p, g, st, err, sizeof err) == 0 ? 0 : 1;
}

int optbench_plugin_register(const ob_plugin_host *host)
{
    char why[256];
    if (ob_isa_select(&isa, why, sizeof why) != 0) isa = OB_ISA_SCALAR; /* a bad OPTBENCH_ISA: the safe one */
    static char names[MAX_OPTS][48];
    for (size_t i = 0; i < ob_optimizer_count && i < MAX_OPTS; i++) {
        const ob_optimizer *o = ob_optimizer_table[i];
        size_t j = 0;
        for (; j < o->n_hparams && j < OB_MAX_HPARAMS; j++) keys[i][j] = o->hparams[j].name;
        keys[i][j++] = "clip_norm";
        keys[i][j++] = "clip_value";
        keys[i][j] = NULL;
        /* snprintf would pull stdio in for one string. */
        const char *pre = "optbench.";
        size_t c = 0;
        for (; *pre; pre++) names[i][c++] = *pre;
        for (const char *s = o->name; *s && c + 1 < sizeof names[i]; s++) names[i][c++] = *s;
        names[i][c] = '\0';
        ob_plugin_kernel_desc d = {0};
        d.name = names[i];
        d.optimizer = o->name;
        d.hparams = keys[i];
        d.n_state = o->n_state;
        d.step = step;
        d.user = (void *)o;
        if (ob_plugin_add(host, &d) != 0) return 1;
    }
    return 0;
}
