/*
 * bench_plugin.c — plugin kernels (optbench/plugin.h, --plugin) in
 * `optbench bench` (README "Benchmarks"): registered beside optbench's own
 * kernels of the optimizer each claims, at the same sizes and thread
 * counts, on the same buffers and against the same same-run ceilings;
 * their rows are kind kernel with no ISA and the variant
 * "plugin:<name>".
 *
 * Measuring choices, and why:
 *  - The timed loop calls the kernel's step directly
 *    (ob_plugin_case_direct), unguarded and unchecked: the guarded copies
 *    of ob_plugin_case_step would time three copies and a scan of every
 *    array, and its per-step checks a fixed cost that is not the
 *    kernel's (optbench's own kernels run with their scalars prepared
 *    once for the same reason).  Safety comes first instead: a kernel is
 *    benchmarked only after ob_bench_plugin_check ran steps 1..10 of a
 *    case guarded in a forked child, so one that writes out of bounds,
 *    returns an error or crashes fails its target with the reason and
 *    takes nothing down.  A kernel that crashes only on larger arrays
 *    than the check's still ends the run: the check uses the smallest
 *    size benchmarked (at most 64Ki), not every size.
 *  - The step receives the raw hyperparameters of the claimed optimizer
 *    and t = 1, 2, 3, ... in order within a case (a kernel keeping its
 *    own state may rely on that), not the fixed step-10 scalars of the
 *    built-in kernels; the work per element does not depend on t.  Bounded
 *    data as for the built-in kernels (bench.c), except the alternating
 *    sign of lr (a plugin sees valid hyperparameters only): p is refilled
 *    before every repetition, so it drifts by at most one repetition's
 *    steps of size ~lr.
 *  - A case's init runs in the untimed setup before its first repetition,
 *    and only one plugin case is open at a time (the previous one's free
 *    runs first), so a kernel's own state never piles up over sizes.
 */
#include "ob_bench.h"
#include "bench_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"

/* ---- registration and the timed loop ----------------------------------------- */

int bn_add_plugins(ob_bench_plan *plan, size_t oi, size_t n, int t)
{
    const ob_bench_config *cfg = &plan->cfg;
    const ob_optimizer *o = cfg->opts[oi];
    const ob_hparams *h = &cfg->h[oi];
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        const ob_plugin_kernel *k = cfg->plugins[i];
        /* A kernel without init runs at its own thread count only. */
        if (k->opt != o || ob_plugin_threads(k, t) != t) continue;
        char label[sizeof plan->rows[0].variant];
        ob_plugin_label(k, label, sizeof label);
        bn_case *c = bn_new_case(plan, OB_BENCH_KERNEL, o, -1, label, n, t);
        if (!c) return -1;
        plan->rows[c->row].plugin = k;
        plan->rows[c->row].threads_used = t;
        c->pk = k;
        c->o = o;
        c->h = h;
        c->tag = (int)oi; /* the optimizer's data, as its own kernels */
        c->slots = o->state_mask(h);
        if (bn_register_case(plan, c, (double)ob_traffic_bytes_per_param(o, h)) != 0) return -1;
    }
    return 0;
}

void bn_plugin_close(ob_bench_priv *pv)
{
    if (!pv->open_plugin) return;
    ob_plugin_case_close(pv->open_plugin->pc);
    pv->open_plugin->pc = NULL;
    pv->open_plugin = NULL;
}

int bn_plugin_setup(void *ctx)
{
    bn_case *c = ctx;
    ob_bench_priv *pv = c->plan->priv;
    if (bn_setup_case(c) != 0) return -1;
    if (pv->open_plugin == c) return 0;
    bn_plugin_close(pv);
    char err[512];
    c->pc = ob_plugin_case_open(c->pk, c->h, c->n, c->threads, 0, err, sizeof err);
    if (!c->pc) {
        /* The check opened the same case at a smaller size, so this is an
         * init that refuses the size.  The shim can only say "setup failed"
         * (and bench then blames memory): the reason goes to stderr. */
        fprintf(stderr, "optbench bench: plugin:%s at n = %zu: %s\n", c->pk->desc.name, c->n, err);
        return -1;
    }
    c->t = 1;
    pv->open_plugin = c;
    return 0;
}

int bn_plugin_run(void *ctx, uint64_t iterations)
{
    bn_case *c = ctx;
    ob_bench_priv *pv = c->plan->priv;
    void *kctx;
    const ob_plugin_step_fn step = ob_plugin_case_direct(c->pc, &kctx);
    void *st[OB_PLUGIN_MAX_STATE] = {0};
    for (size_t k = 0; k < c->o->n_state && k < OB_PLUGIN_MAX_STATE; k++) st[k] = c->st[k];
    float *p = pv->a[0];
    const float *g = pv->a[1];
    /* A nonzero return fails the benchmark ("benchmark function failed"). */
    for (uint64_t i = 0; i < iterations; i++)
        if (step(kctx, c->h, c->t++, c->n, p, g, st) != 0) return -1;
    ob_gb_clobber();
    return 0;
}

/* ---- the check before the benchmark ------------------------------------------ */

typedef struct check_arg {
    const ob_plugin_kernel *k;
    const ob_hparams *h;
    size_t n;
    int threads;
} check_arg;

/* In the child: the case, guarded, on the values bench's fill gives fp32
 * arrays (p in [-1, 1), g = +-[0.01, 0.1), state in [1e-4, 1e-2)). */
static int check_body(void *varg, void *result, size_t result_len, char *err, size_t errlen)
{
    (void)result, (void)result_len;
    const check_arg *a = varg;
    const ob_optimizer *o = a->k->opt;
    const unsigned used = o->state_mask(a->h);
    float *arr[BN_ARRAYS] = {0};
    for (size_t j = 0; j < 2 + o->n_state; j++) {
        if (j >= 2 && !((used >> (j - 2)) & 1u)) continue;
        if (!(arr[j] = malloc((a->n ? a->n : 1) * sizeof(float))))
            return ob_fail(err, errlen, "out of memory");
        for (size_t i = 0; i < a->n; i++) {
            const float u = bn_unit_hash(j + 1, i);
            arr[j][i] = j == 0   ? 2.0f * u - 1.0f
                        : j == 1 ? (bn_unit_hash(2, i) < 0.5f ? -1.0f : 1.0f) * (0.01f + 0.09f * u)
                                 : 1e-4f + 1e-2f * u;
        }
    }
    ob_plugin_case *c = ob_plugin_case_open(a->k, a->h, a->n, a->threads, OB_PLUGIN_GUARDED, err, errlen);
    int rc = c ? 0 : -1;
    for (uint64_t t = 1; rc == 0 && t <= OB_BENCH_STEP; t++)
        rc = ob_plugin_case_step(c, a->h, t, a->n, arr[0], arr[1], arr + 2, err, errlen);
    ob_plugin_case_close(c);
    for (size_t j = 0; rc == 0 && j < BN_ARRAYS; j++)
        for (size_t i = 0; arr[j] && j != 1 && i < a->n; i++)
            if (!isfinite(arr[j][i])) {
                rc = ob_fail(err, errlen, "%s: non-finite %s[%zu] after step %d", a->k->desc.name,
                             j == 0 ? "p" : o->state_names[j - 2], i, OB_BENCH_STEP);
                break;
            }
    for (size_t j = 0; j < BN_ARRAYS; j++) free(arr[j]);
    return rc;
}

int ob_bench_plugin_check(const ob_plugin_kernel *k, const ob_hparams *h, size_t n, int threads, char *msg,
                          size_t msglen)
{
    check_arg a = {k, h, n, threads};
    ob_plugin_outcome out;
    /* A minute for ten steps of at most 64Ki elements: only a kernel that
     * hangs needs it. */
    if (ob_plugin_isolate(check_body, &a, NULL, 0, 60, &out) == OB_PLUGIN_RAN_OK) return 0;
    return ob_fail(msg, msglen, "%s", out.message);
}

/* ---- against optbench's own kernels ------------------------------------------- */

/* The ratios of a plugin row r: optbench's fastest exact kernel of any ISA
 * (*best) and its scalar one (*sc) at the same case. */
static void own_rows(const ob_bench_plan *plan, const ob_bench_row *r, const ob_bench_row **best,
                     const ob_bench_row **sc)
{
    *best = bn_find_row(plan, OB_BENCH_KERNEL, r->opt, -1, "exact", r->size, r->threads);
    *sc = bn_find_row(plan, OB_BENCH_KERNEL, r->opt, OB_ISA_SCALAR, "exact", r->size, r->threads);
}

static int is_plugin_row(const ob_bench_row *r)
{
    return r->plugin && isfinite(r->ns_per_elem);
}

void ob_bench_print_plugins(FILE *out, const ob_bench_plan *plan)
{
    int header = 0;
    for (size_t i = 0; i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (!is_plugin_row(r)) continue;
        if (!header) {
            fprintf(out, "\nplugin kernels against optbench's own, same run (medians; ratio = optbench's "
                         "ns/elem / the plugin's:\n1.00 as fast, > 1 the plugin is faster; best = optbench's "
                         "fastest exact ISA)\n");
            fprintf(out, "%-28s %-20s %-8s %6s %3s %8s %6s %-7s %8s %6s %8s %6s\n", "kernel", "file", "opt",
                    "size", "thr", "ns/elem", "f_bnd", "best", "ns/elem", "ratio", "scalar", "ratio");
            header = 1;
        }
        const ob_bench_row *best, *sc;
        own_rows(plan, r, &best, &sc);
        char size[32];
        ob_bench_format_size(r->size, size, sizeof size);
        fprintf(out, "%-28s %-20s %-8s %6s %3d", r->variant, ob_plugin_file(r->plugin), r->opt->name, size,
                r->threads);
        bn_cell(out, 9, "%*.3f", r->ns_per_elem);
        bn_cell(out, 7, "%*.2f", r->frac_bound);
        fprintf(out, " %-7s", best ? ob_isa_name((ob_isa)best->isa) : "-");
        bn_cell(out, 9, "%*.3f", best ? best->ns_per_elem : NAN);
        bn_cell(out, 7, "%*.3f", best ? best->ns_per_elem / r->ns_per_elem : NAN);
        bn_cell(out, 9, "%*.3f", sc ? sc->ns_per_elem : NAN);
        bn_cell(out, 7, "%*.3f", sc ? sc->ns_per_elem / r->ns_per_elem : NAN);
        fputc('\n', out);
    }
}

cJSON *ob_bench_plugins_json(const ob_bench_plan *plan)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < plan->n_rows; i++) {
        const ob_bench_row *r = &plan->rows[i];
        if (!is_plugin_row(r)) continue;
        const ob_bench_row *best, *sc;
        own_rows(plan, r, &best, &sc);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "variant", r->variant);
        cJSON_AddStringToObject(o, "kernel", r->plugin->desc.name);
        cJSON_AddStringToObject(o, "file", ob_plugin_file(r->plugin));
        cJSON_AddStringToObject(o, "path", r->plugin->path);
        cJSON_AddStringToObject(o, "opt", r->opt->name);
        cJSON_AddNumberToObject(o, "size", (double)r->size);
        cJSON_AddNumberToObject(o, "threads", r->threads);
        ob_json_add_num(o, "ns_per_elem", r->ns_per_elem);
        ob_json_add_num(o, "frac_mem_ceiling", r->frac_mem_ceiling);
        ob_json_add_num(o, "frac_bound", r->frac_bound);
        cJSON_AddStringToObject(o, "best_isa", best ? ob_isa_name((ob_isa)best->isa) : "");
        ob_json_add_num(o, "best_ns_per_elem", best ? best->ns_per_elem : NAN);
        ob_json_add_num(o, "ratio_to_best", best ? best->ns_per_elem / r->ns_per_elem : NAN);
        ob_json_add_num(o, "scalar_ns_per_elem", sc ? sc->ns_per_elem : NAN);
        ob_json_add_num(o, "ratio_to_scalar", sc ? sc->ns_per_elem / r->ns_per_elem : NAN);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* ---- the command's --plugin (cmd_bench.c) ---------------------------------- */

/* The thread count a plugin kernel without init runs (it cannot be told
 * another): added to cfg's when missing, so that it has ceilings and
 * optbench's kernels beside it at that count.  OB_EXIT_OK or
 * OB_EXIT_USAGE. */
static int plugin_threads(const ob_cmd_spec *c, const ob_plugin_kernel *k, ob_bench_config *cfg, FILE *err)
{
    if (k->desc.init) return OB_EXIT_OK;
    const int t = ob_plugin_threads(k, 0);
    for (size_t i = 0; i < cfg->n_threads; i++)
        if (cfg->threads[i] == t) return OB_EXIT_OK;
    if (t > OB_BENCH_MAX_THREADS || cfg->n_threads == OB_BENCH_MAX_THREADS)
        return ob_usage_error(
            c, err, "--plugin: kernel '%s' runs %d threads; bench runs at most %d counts of 1 to %d",
            k->desc.name, t, OB_BENCH_MAX_THREADS, OB_BENCH_MAX_THREADS);
    cfg->threads[cfg->n_threads++] = t;
    fprintf(
        err,
        "optbench bench: plugin:%s runs %d thread%s (it has no init to be told another count): %d added to "
        "the thread counts\n",
        k->desc.name, t, t == 1 ? "" : "s", t);
    return OB_EXIT_OK;
}

/* Loads the --plugin files into ps (ob_plugin_set_load) and their kernels
 * into cfg: those whose optimizer is benchmarked (the others are named as
 * skipped on out), each after its guarded check (ob_bench_plugin_check; a
 * failure is named on err and counted in *failed).  OB_EXIT_OK, or
 * OB_EXIT_USAGE for a bad plugin, a --set key a kernel does not honour or
 * a thread count bench cannot run. */
int bn_load_plugins(const ob_cmd_spec *c, const ob_args *a, ob_plugin_set *ps, ob_bench_config *cfg,
                   size_t *failed, FILE *out, FILE *err)
{
    int rc = ob_plugin_set_load(ps, c, a, err);
    if (rc != OB_EXIT_OK) return rc;
    size_t smallest = SIZE_MAX, skipped = 0;
    for (size_t i = 0; i < cfg->n_sizes; i++)
        if (cfg->sizes[i] < smallest) smallest = cfg->sizes[i];
    const size_t check_n = smallest < ((size_t)64 << 10) ? smallest : (size_t)64 << 10;
    char msg[1024];
    for (size_t i = 0; i < ps->n; i++) {
        const ob_plugin_kernel *k = ps->k[i];
        size_t oi = 0;
        while (oi < cfg->n_opts && cfg->opts[oi] != k->opt) oi++;
        if (oi == cfg->n_opts) {
            fprintf(out, "%s plugin:%s (%s)",
                    skipped++ ? "," : "plugin kernels SKIPPED (their optimizer is not among --opt):",
                    k->desc.name, k->opt->name);
            continue;
        }
        if (ob_plugin_hparams_check(k, &cfg->h[oi], msg, sizeof msg) != 0)
            return ob_usage_error(c, err, "--plugin %s: %s", k->path, msg);
        if ((rc = plugin_threads(c, k, cfg, err)) != OB_EXIT_OK) return rc;
        if (cfg->n_plugins == OB_BENCH_MAX_PLUGINS)
            return ob_usage_error(c, err, "--plugin: at most %d plugin kernels", OB_BENCH_MAX_PLUGINS);
        /* The check runs with the most threads the kernel will be given. */
        const int t = ob_plugin_threads(k, cfg->threads[cfg->n_threads - 1]);
        if (ob_bench_plugin_check(k, &cfg->h[oi], check_n, t, msg, sizeof msg) != 0) {
            fprintf(err, "optbench bench: plugin:%s (%s) FAILED its check and is not benchmarked: %s\n",
                    k->desc.name, ob_plugin_file(k), msg);
            ++*failed;
            continue;
        }
        cfg->plugins[cfg->n_plugins++] = k;
    }
    if (skipped) fputc('\n', out);
    return OB_EXIT_OK;
}
