/*
 * bench.c — the benchmarks of `optbench bench`: what is registered with
 * Google Benchmark (through the C shim), the buffers they share and the
 * functions that run them (README "Benchmarks").
 *
 * Measuring choices, and why:
 *  - Each iteration is one step over n elements through
 *    ob_run_kernel_threaded, the path ob_step_threaded uses, with scalars
 *    prepared once (ob_step validates and prepares per call; that fixed
 *    cost is not the kernel's).
 *  - Bounded data (README "Benchmarks"; an in-place kernel rewrites its
 *    own data every iteration, so over a long benchmark the state could
 *    drift into subnormals or NaN): the gradient is fixed, so m, v
 *    and the other state converge to fixed points of it; only p moves.
 *    Iterations alternate between the step's scalars and the same scalars
 *    with lr and step_size negated (the same work per element), so p
 *    oscillates instead of drifting, and p is refilled before every
 *    repetition (untimed), so whatever still drifts (e.g. NAdam's separate
 *    gradient step) moves p by at most one repetition's steps of size ~lr.
 *    No value reaches subnormals, overflow or NaN however long it runs.
 *  - The memory probe of an optimizer and its kernels share the same
 *    buffers and are registered next to each other, so the fraction of the
 *    ceiling is a ratio of two measurements taken together.
 *  - Buffers are allocated once per size, 2 MiB-aligned with
 *    MADV_HUGEPAGE when large (fewer TLB misses, for probes and kernels
 *    alike), and staggered by 832 bytes so that the arrays do not share
 *    their offset within a 4 KiB page (4K aliasing of loads and stores).
 *  - Plugin kernels (--plugin) are cases of the same plan, on the same
 *    buffers; what differs for them is in bench_plugin.c.
 */
#include "ob_bench.h"
#include "bench_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef _OPENMP
#include <omp.h>
#endif


#define STAGGER 832 /* 13 cache lines */

/* ---- sizes ----------------------------------------------------------------- */

int ob_bench_parse_size(const char *s, size_t *out)
{
    if (!s || *s < '0' || *s > '9') return -1; /* no sign, no blank */
    uint64_t v = 0;
    const char *q = s;
    for (; *q >= '0' && *q <= '9'; q++) {
        if (v > (UINT64_C(1) << 40)) return -1;
        v = v * 10 + (uint64_t)(*q - '0');
    }
    unsigned shift = 0;
    if (!strcmp(q, "Ki")) shift = 10;
    else if (!strcmp(q, "Mi")) shift = 20;
    else if (!strcmp(q, "Gi")) shift = 30;
    else if (*q) return -1;
    if (v == 0 || v > (UINT64_C(1) << 40) >> shift) return -1;
    *out = (size_t)(v << shift);
    return 0;
}

void ob_bench_format_size(size_t n, char *buf, size_t len)
{
    static const char *const suffix[] = {"Gi", "Mi", "Ki"};
    for (int i = 0; i < 3; i++) {
        size_t unit = (size_t)1 << (30 - 10 * i);
        if (n >= unit && n % unit == 0) {
            snprintf(buf, len, "%zu%s", n / unit, suffix[i]);
            return;
        }
    }
    snprintf(buf, len, "%zu", n);
}

const char *ob_bench_kind_name(ob_bench_kind k)
{
    static const char *const names[] = {"kernel", "probe_mem", "probe_div", "triad", "peer"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* ---- plan ------------------------------------------------------------------ */

void ob_bench_plan_init(ob_bench_plan *plan, const ob_bench_config *cfg)
{
    memset(plan, 0, sizeof *plan);
    plan->cfg = *cfg;
    /* Memory probes for every ISA up to the widest benchmarked: the
     * ceiling of a kernel is the fastest probe its ISA could have run (its
     * own or a narrower one: in L2, 256-bit loads and stores beat 512-bit
     * ones on Sapphire Rapids), so in cache an AVX2 kernel is not held to
     * what only 512-bit stores reach. */
    plan->probe_isa = OB_ISA_SCALAR;
    int top = 0;
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if ((cfg->isa_mask >> i) & 1u) top = i;
    for (int i = 0; i <= top; i++) {
        if (!ob_isa_supported((ob_isa)i)) continue;
        plan->probe_isa = (ob_isa)i;
        plan->probe_mask |= 1u << i;
    }
}

static void free_buffers(ob_bench_priv *pv)
{
    for (size_t j = 0; j < BN_ARRAYS; j++) {
        free(pv->mem[j]);
        pv->mem[j] = NULL;
        pv->a[j] = NULL;
    }
    pv->cap = pv->init_n = 0;
    pv->init_tag = -2;
}

void ob_bench_plan_free(ob_bench_plan *plan)
{
    if (plan->priv) {
        bn_plugin_close(plan->priv);
        free_buffers(plan->priv);
        for (int t = 0; t < OB_BENCH_MAX_THREADS; t++) free(plan->priv->div_mem[t]);
        for (size_t i = 0; i < plan->priv->n_cases; i++) free(plan->priv->cases[i]);
        free(plan->priv->cases);
        free(plan->priv);
    }
    free(plan->rows);
    memset(plan, 0, sizeof *plan);
}

ob_bench_row *ob_bench_plan_add(ob_bench_plan *plan, ob_bench_kind kind)
{
    if (plan->n_rows == plan->cap_rows) {
        size_t cap = plan->cap_rows ? 2 * plan->cap_rows : 64;
        ob_bench_row *r = realloc(plan->rows, cap * sizeof *r);
        if (!r) return NULL;
        plan->rows = r;
        plan->cap_rows = cap;
    }
    ob_bench_row *r = &plan->rows[plan->n_rows++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->isa = -1;
    r->bound = "";
    r->bytes_per_elem = r->ns_per_elem = r->elems_per_s = r->gb_per_s = NAN;
    r->mem_ceiling_gb_per_s = r->frac_mem_ceiling = NAN;
    r->div_ceiling_ns_per_elem = r->frac_div_ceiling = NAN;
    r->speedup_vs_scalar = r->frac_bound = NAN;
    r->format = -1;
    r->speedup_vs_fp32 = NAN;
    return r;
}

/* ---- buffers ----------------------------------------------------------------- */

static float *alloc_array(size_t n, size_t j, void **mem)
{
    const size_t huge = (size_t)2 << 20;
    size_t bytes = n * sizeof(float) + BN_ARRAYS * STAGGER + 64;
    size_t align = bytes >= 2 * huge ? huge : 4096;
    bytes = (bytes + align - 1) / align * align;
    void *m = NULL;
    if (posix_memalign(&m, align, bytes) != 0) return NULL;
    if (align == huge) madvise(m, bytes, MADV_HUGEPAGE); /* a hint; failure is harmless */
    *mem = m;
    return (float *)(void *)((char *)m + j * STAGGER);
}

/* Stores v as element i of an array of type d (a mixed format's arrays
 * live in the same buffers, at 2 bytes per element where 16-bit). */
static inline void put_elem(float *a, ob_dtype d, ptrdiff_t i, float v)
{
    if (d == OB_DT_F32) a[i] = v;
    else if (d == OB_DT_Q8) ((uint8_t *)a)[i] = 200; /* a positive code in both codebooks */
    else {
        const uint16_t h = d == OB_DT_BF16 ? ob_f32_to_bf16_rne(v) : ob_f32_to_f16_rne(v);
        memcpy((char *)a + 2 * i, &h, 2);
    }
}

/* p in [-1, 1), g = +-[0.01, 0.1) (fp16: times the loss scale), every
 * state array in [1e-4, 1e-2): valid for every optimizer (v, sums and
 * maxima are positive), stored in the types of format f (NULL: fp32).
 * With only_p, p alone is refilled. */
static void fill(ob_bench_priv *pv, size_t n, int only_p, const ob_format *f)
{
    float *p = pv->a[0], *g = pv->a[1];
    const ob_dtype dp = f ? f->param : OB_DT_F32, dg = f ? f->grad : OB_DT_F32, ds = f ? f->state : OB_DT_F32;
    const float gs = dg == OB_DT_F16 ? 1.0f / OB_BENCH_INV_LOSS_SCALE : 1.0f;
    const ptrdiff_t nn = (ptrdiff_t)n;
#pragma omp parallel for schedule(static)
    for (ptrdiff_t i = 0; i < nn; i++) {
        put_elem(p, dp, i, 2.0f * bn_unit_hash(1, (uint64_t)i) - 1.0f);
        if (only_p) continue;
        float u = bn_unit_hash(2, (uint64_t)i);
        put_elem(g, dg, i, gs * (u < 0.5f ? -1.0f : 1.0f) * (0.01f + 0.09f * bn_unit_hash(3, (uint64_t)i)));
        for (size_t j = 2; j < BN_ARRAYS; j++)
            if (pv->a[j]) put_elem(pv->a[j], ds, i, 1e-4f + 1e-2f * bn_unit_hash(4 + j, (uint64_t)i));
    }
    /* q8 state: code 200 everywhere (about 0.02 of the block's absmax)
     * and absmax 1e-2 per block, within the fp32 arrays' room. */
    if (!only_p && ds == OB_DT_Q8)
        for (size_t j = 2; j < BN_ARRAYS; j++)
            for (size_t b = 0; pv->a[j] && b * f->block < n; b++) ob_q8_absmax_set(pv->a[j], n, b, 1e-2f);
}

static int ensure_buffers(ob_bench_priv *pv, size_t n, size_t n_arrays)
{
    if (pv->cap < n || (n_arrays > 0 && !pv->a[n_arrays - 1])) {
        size_t cap = pv->cap > n ? pv->cap : n;
        free_buffers(pv);
        for (size_t j = 0; j < n_arrays; j++)
            if (!(pv->a[j] = alloc_array(cap, j, &pv->mem[j]))) {
                free_buffers(pv);
                return -1;
            }
        pv->cap = cap;
    }
    return 0;
}

static int ensure_div(ob_bench_priv *pv, int threads)
{
    for (int t = pv->div_threads; t < threads; t++) {
        void *m = NULL;
        if (posix_memalign(&m, 4096, 3 * OB_BENCH_DIV_N * sizeof(float) + 3 * STAGGER) != 0) return -1;
        pv->div_mem[t] = m;
        for (int j = 0; j < 3; j++) {
            float *a = (float *)(void *)((char *)m + (size_t)j * (OB_BENCH_DIV_N * sizeof(float) + STAGGER));
            pv->div[t][j] = a;
            for (size_t i = 0; i < OB_BENCH_DIV_N; i++) {
                float u = bn_unit_hash(16 + (uint64_t)j, i + (size_t)t * OB_BENCH_DIV_N);
                a[i] = j == 1 ? (u < 0.5f ? -1.0f : 1.0f) * (0.5f + u) : 0.25f + 4.0f * u;
            }
        }
        pv->div_threads = t + 1;
    }
    return 0;
}

/* ---- running ----------------------------------------------------------------- */

static size_t plan_arrays(const ob_bench_plan *plan)
{
    size_t k = 1; /* the triad needs one */
    for (size_t i = 0; i < plan->cfg.n_opts; i++)
        if (plan->cfg.opts[i]->n_state > k) k = plan->cfg.opts[i]->n_state;
    return 2 + k;
}

/* Untimed, before every batch: buffers of the right size holding the data
 * this case expects (bench_internal.h). */
int bn_setup_case(void *ctx)
{
    bn_case *c = ctx;
    ob_bench_priv *pv = c->plan->priv;
    if (c->kind == OB_BENCH_PROBE_DIV) return ensure_div(pv, c->threads);
    if (ensure_buffers(pv, c->n, plan_arrays(c->plan)) != 0) return -1;
    const ob_format *f = c->fmt >= 0 ? &c->plan->cfg.formats[c->fmt] : NULL;
    if (pv->init_n != c->n || (c->tag >= 0 && pv->init_tag != c->tag)) {
        fill(pv, c->n, 0, f);
        pv->init_n = c->n;
        pv->init_tag = c->tag;
    } else if (c->kind == OB_BENCH_KERNEL) {
        fill(pv, c->n, 1, f);
    }
    for (size_t k = 0; k < OB_MAX_STATE; k++) c->st[k] = (c->slots >> k) & 1u ? pv->a[2 + k] : NULL;
    return 0;
}

/* A mixed format's memory probe over the chunks ob_run_kernel_threaded
 * would use (multiples of 64 elements). */
static void run_mixed_probe(const bn_case *c, void *p, const void *g, float k)
{
    const size_t n = c->n, nt = (size_t)ob_thread_count(n, c->threads);
    const size_t chunk = nt > 1 ? ((n + nt - 1) / nt + 63) & ~(size_t)63 : n;
    const ob_format *f = &c->plan->cfg.formats[c->fmt];
    const unsigned halves = ob_bench_probe_halves(f);
    const size_t sp = ob_dtype_size(f->param), sg = ob_dtype_size(f->grad), ss = ob_dtype_size(f->state);
    /* fp16 gradients: the step's finiteness pass over g first (the same
     * check, on the same chunks), then the update pass, as ob_step_mixed
     * does; the ceiling then moves the same bytes. */
    int finite = 1;
    if (f->grad == OB_DT_F16) {
        const ob_cvt_ops *cv = ob_cvt_ops_for(c->isa);
#pragma omp parallel for num_threads((int)nt) schedule(static, 1) reduction(&& : finite) if (nt > 1)
        for (size_t t = 0; t < nt; t++) {
            const size_t lo = t * chunk;
            if (lo < n)
                finite = finite &&
                         cv->f16_all_finite(n - lo < chunk ? n - lo : chunk, (const uint16_t *)g + lo);
        }
    }
#pragma omp parallel for num_threads((int)nt) schedule(static, 1) if (nt > 1 && finite)
    for (size_t t = 0; t < nt; t++) {
        const size_t lo = t * chunk;
        if (lo >= n || !finite) continue;
        void *st[OB_MAX_STATE] = {0};
        for (size_t j = 0; j < c->probe_k; j++) st[j] = (char *)c->st[j] + lo * ss;
        c->probe(n - lo < chunk ? n - lo : chunk, (char *)p + lo * sp, (const char *)g + lo * sg, st,
                 c->probe_k, halves, k);
    }
}

static int run_case(void *ctx, uint64_t iterations)
{
    bn_case *c = ctx;
    ob_bench_priv *pv = c->plan->priv;
    float *p = pv->a[0];
    const float *g = pv->a[1];
    if (c->fmt >= 0) {
        const ob_format *f = &c->plan->cfg.formats[c->fmt];
        void *st[OB_MAX_STATE];
        for (size_t k = 0; k < OB_MAX_STATE; k++) st[k] = c->st[k];
        const float inv = f->grad == OB_DT_F16 ? OB_BENCH_INV_LOSS_SCALE : 1.0f;
        for (uint64_t i = 0; i < iterations; i++) {
            if (c->kind == OB_BENCH_PROBE_MEM) run_mixed_probe(c, p, g, c->s[i & 1].lr);
            else
                ob_mixed_run(c->o, c->isa, c->h, f, &c->s[i & 1], OB_BENCH_STEP, inv, c->n, p, g, st,
                             c->threads, 1);
        }
    } else {
        if (c->prefetch >= 0) ob_cpu_tuning_set_prefetch(c->prefetch);
        for (uint64_t i = 0; i < iterations; i++)
            ob_run_kernel_threaded(c->isa, c->fn, c->n, p, g, c->st, OB_MAX_STATE, &c->s[i & 1], c->threads);
        if (c->prefetch >= 0) ob_cpu_tuning_set_prefetch(ob_cpu_tuning_get()->prefetch);
    }
    ob_gb_clobber();
    return 0;
}

/* Every thread runs the probe on its own L1-resident arrays, `iterations`
 * times, inside one parallel region: the aggregate divider throughput of
 * that many cores, without fork/join costs. */
static int run_div(void *ctx, uint64_t iterations)
{
    bn_case *c = ctx;
    ob_bench_priv *pv = c->plan->priv;
#ifdef _OPENMP
#pragma omp parallel num_threads(c->threads) if (c->threads > 1)
#endif
    {
#ifdef _OPENMP
        int t = omp_get_thread_num();
#else
        int t = 0;
#endif
        float *st[OB_MAX_STATE] = {pv->div[t][2]};
        for (uint64_t i = 0; i < iterations; i++)
            c->fn(OB_BENCH_DIV_N, pv->div[t][0], pv->div[t][1], st, &c->s[0]);
    }
    ob_gb_clobber();
    return 0;
}

/* ---- registration ------------------------------------------------------------ */

/* A case and its row (bench_internal.h). */
bn_case *bn_new_case(ob_bench_plan *plan, ob_bench_kind kind, const ob_optimizer *o, int isa,
                     const char *variant, size_t n, int threads)
{
    ob_bench_priv *pv = plan->priv;
    if (pv->n_cases == pv->cap_cases) {
        size_t cap = pv->cap_cases ? 2 * pv->cap_cases : 64;
        bn_case **cs = realloc(pv->cases, cap * sizeof *cs);
        if (!cs) return NULL;
        pv->cases = cs;
        pv->cap_cases = cap;
    }
    bn_case *c = calloc(1, sizeof *c);
    ob_bench_row *r = c ? ob_bench_plan_add(plan, kind) : NULL;
    if (!r) {
        free(c);
        return NULL;
    }
    pv->cases[pv->n_cases++] = c;
    c->plan = plan;
    c->row = plan->n_rows - 1;
    c->kind = kind;
    c->n = n;
    c->threads = threads;
    c->tag = -1;
    c->fmt = -1;
    c->prefetch = -1;
    c->isa = (ob_isa)isa;
    r->opt = o;
    r->isa = isa;
    snprintf(r->variant, sizeof r->variant, "%s", variant);
    r->size = n;
    r->threads = threads;
    r->threads_used = kind == OB_BENCH_PROBE_DIV ? threads : ob_thread_count(n, threads);
    return c;
}

/* Registers c with the shim (bench_internal.h). */
int bn_register_case(ob_bench_plan *plan, bn_case *c, double bytes_per_elem)
{
    ob_bench_row *r = &plan->rows[c->row];
    r->bytes_per_elem = bytes_per_elem;
    char size[32];
    ob_bench_format_size(c->n, size, sizeof size);
    switch (c->kind) {
    case OB_BENCH_KERNEL:
        if (c->pk) /* a plugin kernel: no ISA, its label as the variant */
            snprintf(r->name, sizeof r->name, "kernel/%s/%s/size:%s/threads:%d", r->opt->name, r->variant,
                     size, c->threads);
        else
            snprintf(r->name, sizeof r->name, "kernel/%s/%s/%s/size:%s/threads:%d", r->opt->name,
                     ob_isa_name((ob_isa)r->isa), r->variant, size, c->threads);
        break;
    case OB_BENCH_PROBE_MEM:
        /* The variant: the fp32 probe's pattern, or a mixed format's name. */
        snprintf(r->name, sizeof r->name, "probe_mem/%s/%s/%s/size:%s/threads:%d", r->opt->name,
                 ob_isa_name((ob_isa)r->isa), r->variant, size, c->threads);
        break;
    case OB_BENCH_PROBE_DIV:
        snprintf(r->name, sizeof r->name, "probe_div/%s/%s/size:%s/threads:%d", ob_isa_name((ob_isa)r->isa),
                 r->variant, size, c->threads);
        break;
    default:
        snprintf(r->name, sizeof r->name, "%s/%s/size:%s/threads:%d", ob_bench_kind_name(c->kind),
                 ob_isa_name((ob_isa)r->isa), size, c->threads);
        break;
    }
    const double n = (double)c->n;
    ob_gb_bench *b = ob_gb_register(r->name,
                                    c->pk                           ? bn_plugin_run
                                    : c->kind == OB_BENCH_PROBE_DIV ? run_div
                                                                    : run_case,
                                    c, bytes_per_elem * n, n);
    if (!b) return -1;
    ob_gb_set_setup(b, c->pk ? bn_plugin_setup : bn_setup_case);
    if (ob_gb_add_counter(b, "ns_per_elem", n * 1e-9, OB_GB_RATE | OB_GB_PER_ITERATION | OB_GB_INVERT) != 0 ||
        ob_gb_add_counter(b, "bytes_per_elem", bytes_per_elem, 0) != 0 ||
        ob_gb_add_counter(b, "threads_used", r->threads_used, 0) != 0)
        return -1;
    return 0;
}

/* The step's scalars and their sign-flipped twin (see the top comment). */
static void prepare_pair(const ob_optimizer *o, const ob_hparams *h, ob_step_scalars s[2])
{
    o->prepare(h, OB_BENCH_STEP, &s[0]);
    s[1] = s[0];
    s[1].lr = -s[0].lr;
    s[1].step_size = -s[0].step_size;
}

/* The variant name of the exact kernels' rows with the software prefetch
 * forced against the CPU class's choice (--prefetch-check). */
const char *ob_bench_prefetch_check_variant(void)
{
    return ob_cpu_tuning_get()->prefetch ? "exact-noprefetch" : "exact+prefetch";
}

/* approx: 1 the approximate variant; 2 the exact kernel with the
 * software prefetch forced against the CPU class's choice. */
static int add_kernel(ob_bench_plan *plan, size_t oi, ob_isa isa, int approx, size_t n, int threads)
{
    const ob_optimizer *o = plan->cfg.opts[oi];
    const ob_hparams *h = &plan->cfg.h[oi];
    const char *variant = approx == 1 ? "approx" : approx == 2 ? ob_bench_prefetch_check_variant() : "exact";
    bn_case *c = bn_new_case(plan, OB_BENCH_KERNEL, o, isa, variant, n, threads);
    if (!c) return -1;
    if (approx == 2) c->prefetch = !ob_cpu_tuning_get()->prefetch;
    c->fn = approx == 1 ? ob_optimizer_approx_kernel(o, isa) : ob_optimizer_kernel(o, isa);
    c->tag = (int)oi;
    c->slots = o->state_mask(h);
    prepare_pair(o, h, c->s);
    return bn_register_case(plan, c, (double)ob_traffic_bytes_per_param(o, h));
}

/* The fp32 memory probes of optimizer oi's access pattern: one row per
 * pattern the ISA has (ob_bench_probe_patterns; the scalar ISA has no
 * streaming one), the pattern as the variant. */
static int add_probe_mem(ob_bench_plan *plan, size_t oi, ob_isa isa, size_t n, int threads)
{
    const ob_optimizer *o = plan->cfg.opts[oi];
    const ob_hparams *h = &plan->cfg.h[oi];
    const size_t k = ob_state_count(o, h);
    for (size_t pi = 0; pi < sizeof ob_bench_probe_patterns / sizeof *ob_bench_probe_patterns; pi++) {
        const char *pattern = ob_bench_probe_patterns[pi];
        const ob_kernel_fn fn = ob_bench_probe_mem(isa, k, pattern);
        if (!fn) continue;
        bn_case *c = bn_new_case(plan, OB_BENCH_PROBE_MEM, o, isa, pattern, n, threads);
        if (!c) return -1;
        c->fn = fn;
        c->tag = (int)oi;
        c->slots = (1u << k) - 1u;
        c->s[0].lr = 1e-3f;
        c->s[1].lr = -1e-3f;
        if (bn_register_case(plan, c, (double)ob_traffic_bytes_per_param(o, h)) != 0) return -1;
    }
    return 0;
}

int ob_bench_runs_approx(const ob_bench_config *cfg)
{
    return cfg->approx == 2 || (cfg->approx == 1 && ob_cpu_tuning_get()->approx);
}

/* A mixed format's kernel (kind kernel) or memory probe (kind probe_mem),
 * with the format's name as the variant. */
static int add_mixed(ob_bench_plan *plan, ob_bench_kind kind, size_t oi, size_t fi, ob_isa isa, size_t n,
                     int threads)
{
    const ob_optimizer *o = plan->cfg.opts[oi];
    const ob_hparams *h = &plan->cfg.h[oi];
    const ob_format *f = &plan->cfg.formats[fi];
    bn_case *c = bn_new_case(plan, kind, o, isa, f->name, n, threads);
    if (!c) return -1;
    plan->rows[c->row].format = (int)fi;
    c->fmt = (int)fi;
    c->o = o;
    c->h = h;
    c->isa = isa;
    c->tag = (int)(oi + OB_BENCH_MAX_OPTS * (fi + 1));
    if (kind == OB_BENCH_PROBE_MEM) {
        c->probe_k = ob_state_count(o, h);
        c->slots = (1u << c->probe_k) - 1u;
        c->probe = ob_bench_probe_mem_mixed(isa);
        c->s[0].lr = 1e-3f;
        c->s[1].lr = -1e-3f;
        if (!c->probe) return -1;
    } else {
        c->slots = o->state_mask(h);
        prepare_pair(o, h, c->s);
    }
    return bn_register_case(plan, c, ob_mixed_traffic_bytes_exact(o, h, f));
}

/* Nonzero if optimizer oi runs the mixed formats (--format-opt). */
static int runs_formats(const ob_bench_config *cfg, size_t oi)
{
    return !cfg->format_opt_mask || ((cfg->format_opt_mask >> oi) & 1u);
}

/* Nonzero if optimizer oi is the first of the plan with its access
 * pattern (number of state arrays), among those that run the formats
 * when `formats` is set: its memory probes serve the others. */
static int first_of_pattern(const ob_bench_config *cfg, size_t oi, int formats)
{
    for (size_t oj = 0; oj < oi; oj++)
        if ((!formats || runs_formats(cfg, oj)) &&
            ob_state_count(cfg->opts[oj], &cfg->h[oj]) == ob_state_count(cfg->opts[oi], &cfg->h[oi]))
            return 0;
    return 1;
}

/* Per format: one memory probe per access pattern (the number of state
 * arrays) among the optimizers that run the formats, for every probed
 * ISA, and the kernels of every ISA asked for. */
static int add_formats(ob_bench_plan *plan, size_t n)
{
    const ob_bench_config *cfg = &plan->cfg;
    for (size_t fi = 0; fi < cfg->n_formats; fi++)
        for (size_t oi = 0; oi < cfg->n_opts; oi++) {
            const ob_optimizer *o = cfg->opts[oi];
            if (!runs_formats(cfg, oi)) continue;
            const ob_format *f = &cfg->formats[fi];
            char why[160];
            if (f->state == OB_DT_Q8 && !ob_q8_offered(o, &cfg->h[oi], why, sizeof why)) continue;
            /* q8 has no probe of its own pattern (the mixed probes move
             * 16- or 32-bit elements): its ceiling is STREAM's triad
             * scaled to its bytes (bench_report.c), measured in the run. */
            const int first = first_of_pattern(cfg, oi, 1) && f->state != OB_DT_Q8;
            for (size_t ti = 0; ti < cfg->n_threads; ti++) {
                const int t = cfg->threads[ti];
                for (int isa = 0; first && isa < OB_ISA_COUNT; isa++)
                    if (((plan->probe_mask >> isa) & 1u) &&
                        add_mixed(plan, OB_BENCH_PROBE_MEM, oi, fi, (ob_isa)isa, n, t) != 0)
                        return -1;
                for (int isa = 0; isa < OB_ISA_COUNT; isa++)
                    if (((cfg->isa_mask >> isa) & 1u) && ob_optimizer_kernel(o, (ob_isa)isa) &&
                        add_mixed(plan, OB_BENCH_KERNEL, oi, fi, (ob_isa)isa, n, t) != 0)
                        return -1;
            }
        }
    return 0;
}

static int add_triad(ob_bench_plan *plan, size_t n, int threads)
{
    bn_case *c = bn_new_case(plan, OB_BENCH_TRIAD, NULL, plan->probe_isa, "", n, threads);
    if (!c) return -1;
    c->fn = ob_bench_probe_triad(plan->probe_isa);
    c->slots = 1u;
    c->s[0].lr = c->s[1].lr = 0.5f;
    if (!c->fn) return -1;
    /* STREAM's count: two arrays read, one written (no write-allocate). */
    return bn_register_case(plan, c, 3.0 * sizeof(float));
}

void ob_bench_divider_name(int divides, char *buf, size_t len)
{
    snprintf(buf, len, "%dsqrt_%ddiv", OB_DIVIDER_SQRTS(divides), OB_DIVIDER_DIVS(divides));
}

static int add_probe_div(ob_bench_plan *plan, ob_isa isa, int threads, int divides)
{
    char variant[24];
    ob_bench_divider_name(divides, variant, sizeof variant);
    bn_case *c = bn_new_case(plan, OB_BENCH_PROBE_DIV, NULL, isa, variant,
                             (size_t)OB_BENCH_DIV_N * (size_t)threads, threads);
    if (!c) return -1;
    c->fn = ob_bench_probe_div(isa, OB_DIVIDER_SQRTS(divides), OB_DIVIDER_DIVS(divides));
    if (!c->fn) return -1;
    return bn_register_case(plan, c, 3.0 * sizeof(float));
}

int ob_bench_plan_register(ob_bench_plan *plan, char *err, size_t errlen)
{
    const ob_bench_config *cfg = &plan->cfg;
    if (!plan->priv && !(plan->priv = calloc(1, sizeof *plan->priv))) goto oom;
    plan->priv->init_tag = -2;
    /* Divider probes: per ISA, for every combination of divider
     * operations an optimizer does and every thread count a case really
     * uses. */
    int divs[OB_BENCH_MAX_OPTS];
    size_t n_divs = 0;
    for (size_t i = 0; i < cfg->n_opts; i++) {
        int d = cfg->opts[i]->divides, seen = d == 0;
        for (size_t j = 0; j < n_divs; j++) seen |= divs[j] == d;
        if (!seen) divs[n_divs++] = d;
    }
    unsigned used = 0; /* bit t: t threads used by some case */
    for (size_t si = 0; si < cfg->n_sizes; si++)
        for (size_t ti = 0; ti < cfg->n_threads; ti++) {
            int t = ob_thread_count(cfg->sizes[si], cfg->threads[ti]);
            if (t < 32) used |= 1u << t;
        }
    for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
        if (!((cfg->isa_mask >> isa) & 1u)) continue;
        for (size_t j = 0; j < n_divs; j++)
            for (int t = 1; t <= OB_BENCH_MAX_THREADS; t++)
                if (((used >> t) & 1u) && add_probe_div(plan, (ob_isa)isa, t, divs[j]) != 0) goto oom;
    }
    for (size_t si = 0; si < cfg->n_sizes; si++) {
        const size_t n = cfg->sizes[si];
        for (size_t oi = 0; oi < cfg->n_opts; oi++) {
            const ob_optimizer *o = cfg->opts[oi];
            /* One memory probe per access pattern (the number of state
             * arrays), registered beside its first optimizer. */
            const int first = first_of_pattern(cfg, oi, 0);
            for (size_t ti = 0; ti < cfg->n_threads; ti++) {
                const int t = cfg->threads[ti];
                for (int isa = 0; first && isa < OB_ISA_COUNT; isa++)
                    if (((plan->probe_mask >> isa) & 1u) && add_probe_mem(plan, oi, (ob_isa)isa, n, t) != 0)
                        goto oom;
                for (int isa = 0; isa < OB_ISA_COUNT; isa++) {
                    if (!((cfg->isa_mask >> isa) & 1u) || !ob_optimizer_kernel(o, (ob_isa)isa)) continue;
                    if (add_kernel(plan, oi, (ob_isa)isa, 0, n, t) != 0) goto oom;
                    if (ob_bench_runs_approx(cfg) && ob_optimizer_approx_kernel(o, (ob_isa)isa) &&
                        add_kernel(plan, oi, (ob_isa)isa, 1, n, t) != 0)
                        goto oom;
                    /* Only the vector kernels prefetch, only from main-memory sizes on. */
                    if (cfg->prefetch_check && isa != OB_ISA_SCALAR && n >= BN_SIZE_LARGE &&
                        add_kernel(plan, oi, (ob_isa)isa, 2, n, t) != 0)
                        goto oom;
                }
                if (bn_add_plugins(plan, oi, n, t) != 0) goto oom;
            }
        }
        if (add_formats(plan, n) != 0) goto oom;
        for (size_t ti = 0; ti < cfg->n_threads; ti++)
            if (add_triad(plan, n, cfg->threads[ti]) != 0) goto oom;
    }
    return 0;
oom:
    snprintf(err, errlen, "cannot register the benchmarks (out of memory)");
    return -1;
}
