/*
 * bench_model.c — `optbench bench --model NAME` (README "Whole models: the
 * multi-tensor step"): a real model's parameter list, read from a shape
 * file (harness/bench/models/<NAME>.shapes, or a path), stepped three ways
 * in the same run, through the same Google Benchmark shim as the kernels:
 *
 *   flat    one array of the model's total size (ob_run_kernel_threaded):
 *           what the list costs at best;
 *   multi   the list through ob_run_kernel_multi: one call, the threads
 *           splitting the total work;
 *   loop    one ob_run_kernel_threaded call per tensor, as a per-parameter
 *           loop (torch's single-tensor path) does it;
 *
 * plus the per-tensor overhead measured where it is visible: a list of
 * OVH_TENSORS tensors of OVH_LEN elements (in cache) against one array of
 * the same total, (t_multi - t_flat) / OVH_TENSORS.  In a model step the
 * overhead of ~150 tensors is 0.01% of a 70 ms step, below any noise.
 * Results: model.json and model.csv in the run folder, both atomic.
 */
#include "ob_bench.h"
#include "bench_internal.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness/core/ob_core.h"

#ifndef OB_MODEL_DIR
#define OB_MODEL_DIR "harness/bench/models"
#endif

#define OVH_TENSORS 4096
#define OVH_LEN 64
#define MODEL_MAX_TENSORS 100000

/* ---- shape files ------------------------------------------------------------ */

static void model_free_lists(ob_bench_model *m)
{
    free(m->len);
    m->len = NULL;
    m->n = 0;
}

void ob_bench_model_free(ob_bench_model *m)
{
    model_free_lists(m);
    for (size_t j = 0; j < BN_ARRAYS; j++) free(m->mem[j]);
    free(m->tensors);
    free(m->ovh);
    free(m->cases);
    memset(m, 0, sizeof *m);
}

/* One line "name d1xd2x...": the product of the dimensions in *n.  0, or
 * -1 with the reason. */
static int parse_shape(char *line, size_t *n, char *why, size_t len)
{
    char *sp = line;
    while (*sp && !isspace((unsigned char)*sp)) sp++;
    while (*sp && isspace((unsigned char)*sp)) sp++;
    if (!*sp) return ob_fail(why, len, "expected a name and a shape (e.g. 'fc.weight 1000x512')");
    size_t prod = 1;
    for (char *d = sp;;) {
        char *end;
        if (!isdigit((unsigned char)*d)) return ob_fail(why, len, "the shape '%s' is not dims joined by 'x'", sp);
        unsigned long long v = strtoull(d, &end, 10);
        if (v == 0 || v > ((size_t)1 << 40) / prod)
            return ob_fail(why, len, "the shape '%s' has a zero or too large dimension", sp);
        prod *= (size_t)v;
        if (*end == 'x') d = end + 1;
        else {
            while (*end && isspace((unsigned char)*end)) end++;
            if (*end) return ob_fail(why, len, "the shape '%s' is not dims joined by 'x'", sp);
            break;
        }
    }
    *n = prod;
    return 0;
}

int ob_bench_model_load(const char *name, ob_bench_model *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (strlen(name) > 100) return ob_fail(err, errlen, "model name too long: %.40s...", name);
    char path[PATH_MAX];
    if (strchr(name, '/') || strstr(name, ".shapes")) {
        snprintf(path, sizeof path, "%s", name);
    } else {
        static const char *const source_tree[] = {OB_MODEL_DIR, NULL};
        static const ob_data_dir models = {"models", "model shape files", NULL, "OPTBENCH_MODEL_DIR",
                                           source_tree, NULL};
        char dir[PATH_MAX - 160], probe[144], msg[512];
        snprintf(probe, sizeof probe, "%s.shapes", name);
        if (ob_find_data_dir(&models, NULL, probe, dir, sizeof dir, msg, sizeof msg) != 0)
            return ob_fail(err, errlen, "no model '%s': %s (shipped: gpt2-small, resnet18; or give a path to a "
                           ".shapes file)", name, msg);
        snprintf(path, sizeof path, "%s/%s", dir, probe);
    }
    FILE *f = fopen(path, "r");
    if (!f) return ob_fail(err, errlen, "cannot read model file %s", path);
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->path, sizeof m->path, "%s", path);
    char line[512];
    size_t lineno = 0, cap = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (isspace((unsigned char)*s)) s++;
        s[strcspn(s, "\r\n")] = '\0';
        if (!*s || *s == '#') continue;
        size_t n = 0;
        char why[256];
        if (parse_shape(s, &n, why, sizeof why) != 0) {
            rc = ob_fail(err, errlen, "%s:%zu: %s", path, lineno, why);
            break;
        }
        if (m->n == MODEL_MAX_TENSORS) {
            rc = ob_fail(err, errlen, "%s: more than %d tensors", path, MODEL_MAX_TENSORS);
            break;
        }
        if (m->n == cap) {
            cap = cap ? 2 * cap : 256;
            size_t *l = realloc(m->len, cap * sizeof *l);
            if (!l) {
                rc = ob_fail(err, errlen, "out of memory");
                break;
            }
            m->len = l;
        }
        m->len[m->n++] = n;
        m->total += n;
    }
    fclose(f);
    if (rc == 0 && m->n == 0) rc = ob_fail(err, errlen, "%s lists no tensor", path);
    if (rc != 0) model_free_lists(m);
    return rc;
}

/* ---- buffers and cases -------------------------------------------------------------- */

/* Each tensor starts on a 64-byte boundary, as an allocator would place it. */
static size_t padded(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* p, g and the state arrays for the list (2 MiB pages where they help),
 * filled as the kernel benchmarks fill theirs; the tensor lists of the
 * model and of the overhead probe point into them. */
static int model_alloc(ob_bench_model *m, size_t n_state, char *err, size_t errlen)
{
    size_t span = 0;
    for (size_t i = 0; i < m->n; i++) span += padded(m->len[i]);
    if (span < (size_t)OVH_TENSORS * OVH_LEN) span = (size_t)OVH_TENSORS * OVH_LEN;
    const size_t huge = (size_t)2 << 20, bytes = (span * sizeof(float) + huge - 1) / huge * huge;
    for (size_t j = 0; j < 2 + n_state; j++) {
        if (posix_memalign(&m->mem[j], huge, bytes) != 0)
            return ob_fail(err, errlen, "cannot allocate %zu MiB for the model's arrays", bytes >> 20);
        madvise(m->mem[j], bytes, MADV_HUGEPAGE); /* a hint; failure is harmless */
        float *a = m->mem[j];
        const ptrdiff_t nn = (ptrdiff_t)span;
#pragma omp parallel for schedule(static)
        for (ptrdiff_t i = 0; i < nn; i++) {
            const float u = bn_unit_hash(10 + j, (uint64_t)i);
            a[i] = j == 0 ? 2.0f * u - 1.0f : j == 1 ? (u < 0.5f ? -1.0f : 1.0f) * (0.01f + 0.09f * u) : 1e-4f + 1e-2f * u;
        }
    }
    m->tensors = calloc(m->n, sizeof *m->tensors);
    m->ovh = calloc(OVH_TENSORS, sizeof *m->ovh);
    if (!m->tensors || !m->ovh) return ob_fail(err, errlen, "out of memory");
    for (int list = 0; list < 2; list++) {
        ob_tensor *tl = list ? m->ovh : m->tensors;
        const size_t cnt = list ? OVH_TENSORS : m->n;
        size_t at = 0;
        for (size_t i = 0; i < cnt; i++) {
            const size_t n = list ? OVH_LEN : m->len[i];
            float **a = (float **)m->mem;
            tl[i].n = n;
            tl[i].p = a[0] + at;
            tl[i].g = a[1] + at;
            for (size_t j = 0; j < n_state; j++) tl[i].state[j] = a[2 + j] + at;
            at += padded(n);
        }
    }
    return 0;
}

static const char *const ways[3] = {"flat", "multi", "loop"};

/* One benchmark: way w of the model (ovh = 0) or of the overhead list. */
typedef struct model_case {
    ob_bench_model *m;
    ob_kernel_fn k;
    ob_isa isa;
    ob_step_scalars s[2];
    int way, ovh, threads;
    size_t n_state;
    char name[160];
    double ns_per_step; /* the median, filled from the report */
} model_case;

static int run_model_case(void *ctx, uint64_t iterations)
{
    model_case *c = ctx;
    const ob_tensor *tl = c->ovh ? c->m->ovh : c->m->tensors;
    const size_t cnt = c->ovh ? OVH_TENSORS : c->m->n;
    size_t total = 0;
    for (size_t i = 0; i < cnt; i++) total += tl[i].n;
    for (uint64_t it = 0; it < iterations; it++) {
        const ob_step_scalars *s = &c->s[it & 1];
        if (c->way == 0)
            ob_run_kernel_threaded(c->isa, c->k, total, tl[0].p, tl[0].g, (float *const *)tl[0].state, c->n_state,
                                   s, c->threads);
        else if (c->way == 1)
            ob_run_kernel_multi(c->k, tl, cnt, s, c->threads);
        else
            for (size_t i = 0; i < cnt; i++)
                ob_run_kernel_threaded(c->isa, c->k, tl[i].n, tl[i].p, tl[i].g, (float *const *)tl[i].state,
                                       c->n_state, s, c->threads);
    }
    ob_gb_clobber();
    return 0;
}

int ob_bench_model_register(ob_bench_model *m, const ob_bench_config *cfg, char *err, size_t errlen)
{
    const ob_optimizer *o = cfg->opts[0];
    const ob_hparams *h = &cfg->h[0];
    ob_isa isa = OB_ISA_SCALAR;
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (((cfg->isa_mask >> i) & 1u) && ob_optimizer_kernel(o, (ob_isa)i)) isa = (ob_isa)i;
    if (model_alloc(m, o->n_state, err, errlen) != 0) return -1;
    m->opt = o;
    m->isa = isa;
    m->n_threads = cfg->n_threads;
    for (size_t ti = 0; ti < cfg->n_threads; ti++) {
        m->threads[ti] = cfg->threads[ti];
        m->torch_ns[ti][0] = m->torch_ns[ti][1] = NAN;
    }
    snprintf(m->torch, sizeof m->torch, "not measured");
    m->n_cases = 0;
    m->cases = calloc(6 * cfg->n_threads, sizeof(model_case));
    if (!m->cases) return ob_fail(err, errlen, "out of memory");
    model_case *cs = m->cases;
    for (size_t ti = 0; ti < cfg->n_threads; ti++)
        for (int ovh = 0; ovh < 2; ovh++)
            for (int w = 0; w < 3; w++) {
                model_case *c = &cs[m->n_cases++];
                c->m = m;
                c->k = ob_optimizer_kernel(o, isa);
                c->isa = isa;
                c->way = w;
                c->ovh = ovh;
                c->threads = cfg->threads[ti];
                c->n_state = o->n_state;
                o->prepare(h, OB_BENCH_STEP, &c->s[0]);
                c->s[1] = c->s[0];
                c->s[1].lr = -c->s[0].lr;
                c->s[1].step_size = -c->s[0].step_size;
                c->ns_per_step = NAN;
                snprintf(c->name, sizeof c->name, "model/%s/%s/%s/%s/%s/threads:%d", ovh ? "tensors" : m->name,
                         o->name, ob_isa_name(isa), ways[w], ovh ? "64x4096" : "all", c->threads);
                const double elems = ovh ? (double)OVH_TENSORS * OVH_LEN : (double)m->total;
                ob_gb_bench *b = ob_gb_register(c->name, run_model_case, c,
                                                elems * (double)ob_traffic_bytes_per_param(o, h), elems);
                if (!b || ob_gb_add_counter(b, "ns_per_step", 1e-9, OB_GB_RATE | OB_GB_PER_ITERATION | OB_GB_INVERT))
                    return ob_fail(err, errlen, "cannot register the model benchmarks (out of memory)");
            }
    return 0;
}

/* ---- results ------------------------------------------------------------------------ */

/* The median ns per step of case c from Google Benchmark's report: its
 * "median" aggregate, else the median of its repetitions. */
static double case_median(const model_case *c, const cJSON *report)
{
    double v[256];
    size_t k = 0;
    const size_t n = strlen(c->name);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(report, "benchmarks"))
    {
        const cJSON *rn = cJSON_GetObjectItemCaseSensitive(e, "run_name");
        if (!cJSON_IsString(rn) || strncmp(rn->valuestring, c->name, n) ||
            (rn->valuestring[n] && strcmp(rn->valuestring + n, "/real_time")))
            continue;
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(e, "ns_per_step");
        const cJSON *agg = cJSON_GetObjectItemCaseSensitive(e, "aggregate_name");
        if (!cJSON_IsNumber(ns)) continue;
        if (cJSON_IsString(agg)) {
            if (!strcmp(agg->valuestring, "median")) return ns->valuedouble;
        } else if (k < sizeof v / sizeof *v) {
            v[k++] = ns->valuedouble;
        }
    }
    return k ? ob_median(v, k) : NAN;
}

/* The three ways of one list at one thread count: flat, multi, loop. */
static const model_case *way(const ob_bench_model *m, int threads, int ovh, int w)
{
    const model_case *cs = m->cases;
    for (size_t i = 0; i < m->n_cases; i++)
        if (cs[i].threads == threads && cs[i].ovh == ovh && cs[i].way == w) return &cs[i];
    return NULL;
}

int ob_bench_model_peer(ob_bench_model *m, const ob_bench_config *cfg, int reps, double min_time, FILE *err)
{
    char msg[1024];
    fprintf(err, "optbench bench: running peer torch on the model's list (foreach=True and single-tensor), "
                 "where it is installed\n");
    const int rc = ob_bench_peer_model(m->path, m->opt, &cfg->h[0], m->threads, m->n_threads, reps, min_time,
                                       m->torch_ns, err, msg, sizeof msg);
    if (rc > 0) {
        snprintf(m->torch, sizeof m->torch, "not installed");
        snprintf(m->torch_why, sizeof m->torch_why, "%s", msg);
        return 0;
    }
    if (rc < 0) {
        snprintf(m->torch, sizeof m->torch, "failed");
        snprintf(m->torch_why, sizeof m->torch_why, "%s", msg);
        fprintf(err, "optbench bench: %s\n", msg);
        return -1;
    }
    int any = 0;
    for (size_t i = 0; i < m->n_threads; i++) any |= isfinite(m->torch_ns[i][0]) || isfinite(m->torch_ns[i][1]);
    snprintf(m->torch, sizeof m->torch, any ? "measured" : "not offered");
    snprintf(m->torch_why, sizeof m->torch_why, "%s",
             any ? "torch.optim, same list and hyperparameters, this run"
                 : "torch.optim has no implementation of this optimizer (see the peer's messages)");
    return 0;
}

/* One thread count's figures, ns per step (per tensor for the overheads). */
typedef struct model_row {
    int threads;
    double flat, multi, loop, per_multi, per_loop, torch_fe, torch_single;
} model_row;

static model_row row_at(const ob_bench_model *m, size_t ti)
{
    const int t = m->threads[ti];
    const double of = way(m, t, 1, 0)->ns_per_step;
    return (model_row){t,
                       way(m, t, 0, 0)->ns_per_step,
                       way(m, t, 0, 1)->ns_per_step,
                       way(m, t, 0, 2)->ns_per_step,
                       (way(m, t, 1, 1)->ns_per_step - of) / OVH_TENSORS,
                       (way(m, t, 1, 2)->ns_per_step - of) / OVH_TENSORS,
                       m->torch_ns[ti][0],
                       m->torch_ns[ti][1]};
}

/* A torch cell: the figure, or the peer's status where it has none. */
static void torch_cell(FILE *out, const ob_bench_model *m, int width, const char *fmt, double v)
{
    if (isfinite(v)) fprintf(out, fmt, width, v);
    else fprintf(out, "%*s", width, strcmp(m->torch, "measured") ? m->torch : "-");
}

static void print_tables(FILE *out, const ob_bench_model *m, const model_row *r)
{
    fprintf(out,
            "\nmodel %s: %zu tensors, %zu parameters; %s on %s; median ms per step (same run)\n"
            "flat/multi >= 0.95: the list as fast as one array of its size; per-tensor overhead from %d "
            "tensors of %d elements: (t_list - t_flat) / %d\n",
            m->name, m->n, m->total, m->opt->name, ob_isa_name(m->isa), OVH_TENSORS, OVH_LEN, OVH_TENSORS);
    fprintf(out, "%3s %10s %10s %10s %10s %10s %14s %14s\n", "thr", "flat ms", "multi ms", "loop ms", "flat/multi",
            "flat/loop", "multi ns/tens", "loop ns/tens");
    for (size_t i = 0; i < m->n_threads; i++) {
        fprintf(out, "%3d", r[i].threads);
        bn_cell(out, 11, "%*.2f", r[i].flat * 1e-6);
        bn_cell(out, 11, "%*.2f", r[i].multi * 1e-6);
        bn_cell(out, 11, "%*.2f", r[i].loop * 1e-6);
        bn_cell(out, 11, "%*.3f", r[i].flat / r[i].multi);
        bn_cell(out, 11, "%*.3f", r[i].flat / r[i].loop);
        bn_cell(out, 15, "%*.1f", r[i].per_multi);
        bn_cell(out, 15, "%*.1f", r[i].per_loop);
        fputc('\n', out);
    }
    fprintf(out,
            "\ntorch.optim on the same list (%s: %s); median ms per step, torch.set_num_threads(thr);\n"
            "foreach/multi = torch foreach=True time / optbench multi time (target >= 5)\n",
            m->torch, m->torch_why);
    fprintf(out, "%3s %16s %16s %14s %14s\n", "thr", "foreach ms", "single ms", "foreach/multi", "single/multi");
    for (size_t i = 0; i < m->n_threads; i++) {
        fprintf(out, "%3d", r[i].threads);
        torch_cell(out, m, 17, "%*.2f", r[i].torch_fe * 1e-6);
        torch_cell(out, m, 17, "%*.2f", r[i].torch_single * 1e-6);
        torch_cell(out, m, 15, "%*.2f", r[i].torch_fe / r[i].multi);
        torch_cell(out, m, 15, "%*.2f", r[i].torch_single / r[i].multi);
        fputc('\n', out);
    }
}

#define MODEL_CSV_HEADER                                                                                     \
    "threads,flat_ms,multi_ms,loop_ms,flat_over_multi,flat_over_loop,multi_ns_per_tensor,loop_ns_per_tensor," \
    "torch_foreach_ms,torch_single_ms,torch_foreach_over_multi,torch_single_over_multi,torch"

static void csv_row(FILE *f, const ob_bench_model *m, const model_row *r)
{
    fprintf(f, "%d", r->threads);
    const double v[] = {r->flat * 1e-6,     r->multi * 1e-6,       r->loop * 1e-6,
                        r->flat / r->multi, r->flat / r->loop,     r->per_multi,
                        r->per_loop,        r->torch_fe * 1e-6,    r->torch_single * 1e-6,
                        r->torch_fe / r->multi, r->torch_single / r->multi};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) bn_csv_num(f, v[k]);
    fprintf(f, ",%s\n", m->torch);
}

static cJSON *json_row(const ob_bench_model *m, const model_row *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "threads", r->threads);
    ob_json_add_num(o, "flat_ms", r->flat * 1e-6);
    ob_json_add_num(o, "multi_ms", r->multi * 1e-6);
    ob_json_add_num(o, "loop_ms", r->loop * 1e-6);
    ob_json_add_num(o, "flat_over_multi", r->flat / r->multi);
    ob_json_add_num(o, "flat_over_loop", r->flat / r->loop);
    ob_json_add_num(o, "multi_ns_per_tensor", r->per_multi);
    ob_json_add_num(o, "loop_ns_per_tensor", r->per_loop);
    cJSON_AddBoolToObject(o, "multi_within_095_of_flat", r->flat / r->multi >= 0.95);
    cJSON_AddBoolToObject(o, "multi_overhead_below_50ns", r->per_multi < 50);
    ob_json_add_num(o, "torch_foreach_ms", r->torch_fe * 1e-6);
    ob_json_add_num(o, "torch_single_ms", r->torch_single * 1e-6);
    ob_json_add_num(o, "torch_foreach_over_multi", r->torch_fe / r->multi);
    ob_json_add_num(o, "torch_single_over_multi", r->torch_single / r->multi);
    cJSON_AddStringToObject(o, "torch", m->torch);
    if (isfinite(r->torch_fe / r->multi))
        cJSON_AddBoolToObject(o, "multi_at_least_5x_torch_foreach", r->torch_fe / r->multi >= 5);
    return o;
}

int ob_bench_model_finish(ob_bench_model *m, const cJSON *report, const char *dir, int argc, char **argv,
                          FILE *out, char *err, size_t errlen)
{
    model_case *cs = m->cases;
    for (size_t i = 0; i < m->n_cases; i++) cs[i].ns_per_step = case_median(&cs[i], report);
    model_row r[OB_BENCH_MAX_THREADS];
    for (size_t i = 0; i < m->n_threads; i++) r[i] = row_at(m, i);
    print_tables(out, m, r);
    cJSON *doc = cJSON_CreateObject(), *rows = cJSON_CreateArray();
    cJSON_AddItemToObject(doc, "meta", ob_run_metadata(argc, argv, 0));
    cJSON_AddStringToObject(doc, "model", m->name);
    cJSON_AddNumberToObject(doc, "tensors", (double)m->n);
    cJSON_AddNumberToObject(doc, "parameters", (double)m->total);
    cJSON_AddStringToObject(doc, "opt", m->opt->name);
    cJSON_AddStringToObject(doc, "isa", ob_isa_name(m->isa));
    cJSON_AddNumberToObject(doc, "overhead_list_tensors", OVH_TENSORS);
    cJSON_AddNumberToObject(doc, "overhead_list_length", OVH_LEN);
    ob_json_add_num(doc, "loadavg_before", m->load_before);
    ob_json_add_num(doc, "loadavg_after", m->load_after);
    cJSON *peer = cJSON_AddObjectToObject(doc, "torch");
    cJSON_AddStringToObject(peer, "status", m->torch);
    cJSON_AddStringToObject(peer, "detail", m->torch_why);
    cJSON_AddItemToObject(doc, "rows", rows);
    char csv_path[4200], json_path[4200];
    snprintf(csv_path, sizeof csv_path, "%s/model.csv", dir);
    snprintf(json_path, sizeof json_path, "%s/model.json", dir);
    ob_atomic_file af;
    if (ob_atomic_open(&af, csv_path, err, errlen) != 0) {
        cJSON_Delete(doc);
        return -1;
    }
    fprintf(af.f, "%s\n", MODEL_CSV_HEADER);
    for (size_t i = 0; i < m->n_threads; i++) {
        csv_row(af.f, m, &r[i]);
        cJSON_AddItemToArray(rows, json_row(m, &r[i]));
    }
    int rc = ob_atomic_commit(&af, err, errlen);
    if (rc == 0) rc = ob_json_write(json_path, doc, err, errlen);
    cJSON_Delete(doc);
    fprintf(out, "\nload average (1 min) before the run %.2f, after %.2f\n", m->load_before, m->load_after);
    if (rc == 0) fprintf(out, "model results in %s (model.json, model.csv)\n", dir);
    return rc;
}
