/*
 * ci_speed.c — the speed gate of `optbench ci` (README "Use in CI").
 *
 * A fixed, small benchmark (Adam, divider-bound, and SGD, memory-bound; the
 * scalar and the widest ISA; 64 Ki elements in cache and 4 Mi from memory;
 * one thread) runs through the same plan as `optbench bench`, with at least
 * 9 repetitions.  Against the baseline's samples of the same case a
 * regression needs both significance and effect, as Google Benchmark's
 * compare.py judges them: a two-sided Mann-Whitney U test below alpha AND a
 * median slowdown above the minimum effect.  The same-run ratio to the
 * memory ceiling (kernel over an optimizer-shaped memory probe measured in
 * the same process) is compared too: it is the stable signal on a shared
 * machine, and it gates when it drops by more than twice the effect.
 * Timings only compare on the machine class they were recorded on: the
 * baseline holds one section per class (CPU model and the set of ISAs it
 * runs), the gate uses this machine's and names it, and a class without
 * one skips the gate, saying how to record it (README "Use in CI").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/bench/ob_bench.h"
#include "ob_ci.h"
#include "harness/core/ob_core.h"

/* ---- Mann-Whitney U ------------------------------------------------------- */

typedef struct {
    double v;
    int group;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const ranked *)a)->v, y = ((const ranked *)b)->v;
    return (x > y) - (x < y);
}

double ob_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
    if (na == 0 || nb == 0) return 1.0;
    size_t n = na + nb;
    ranked *r = malloc(n * sizeof *r);
    if (!r) return 1.0;
    for (size_t i = 0; i < na; i++) r[i] = (ranked){a[i], 0};
    for (size_t i = 0; i < nb; i++) r[na + i] = (ranked){b[i], 1};
    qsort(r, n, sizeof *r, cmp_ranked);
    /* Mid-ranks for ties, and the tie correction of the variance. */
    double rank_a = 0, ties = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && r[j + 1].v == r[i].v) j++;
        double mid = (double)(i + j) / 2 + 1, t = (double)(j - i + 1);
        for (size_t k = i; k <= j; k++)
            if (r[k].group == 0) rank_a += mid;
        ties += t * t * t - t;
        i = j + 1;
    }
    free(r);
    double u = rank_a - (double)na * (double)(na + 1) / 2;
    double mu = (double)na * (double)nb / 2;
    double var = (double)na * (double)nb / 12 * ((double)(n + 1) - ties / ((double)n * (double)(n - 1)));
    if (var <= 0) return 1.0;
    /* Normal approximation with continuity correction (scipy's
     * mannwhitneyu, method="asymptotic"). */
    double z = (fabs(u - mu) - 0.5) / sqrt(var);
    if (z < 0) z = 0;
    return erfc(z / sqrt(2.0));
}

static double median_of(const double *x, size_t n)
{
    if (n == 0) return NAN;
    double *c = malloc(n * sizeof *c);
    if (!c) return NAN;
    memcpy(c, x, n * sizeof *c);
    double m = ob_median(c, n);
    free(c);
    return m;
}

/* ---- machine classes and sections ----------------------------------------- */

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

cJSON *ob_ci_machine_section(void)
{
    cJSON *s = cJSON_CreateObject();
    char cpu[256];
    /* Test hook (README "Use in CI"): pose as another CPU model, so that
     * the choice among sections can be tested on one machine. */
    const char *fake = getenv("OPTBENCH_CI_CPU_MODEL");
    if (fake && *fake) snprintf(cpu, sizeof cpu, "%s", fake);
    else ob_cpu_model(cpu, sizeof cpu);
    cJSON_AddStringToObject(s, "cpu_model", cpu);
    cJSON *isas = cJSON_AddObjectToObject(s, "isa_supported");
    for (int i = 0; i < OB_ISA_COUNT; i++)
        cJSON_AddBoolToObject(isas, ob_isa_name((ob_isa)i), ob_isa_supported((ob_isa)i));
    time_t now = time(NULL);
    struct tm tm;
    char date[64];
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(s, "recorded", date);
    return s;
}

/* The sections of a speed object: its "sections" array, or a version-1
 * object {cpu_model, cases} (a measurement file written before sections)
 * read as its only section. */
static int n_sections(const cJSON *speed)
{
    const cJSON *s = get(speed, "sections");
    return cJSON_IsArray(s) ? cJSON_GetArraySize(s) : get(speed, "cases") ? 1 : 0;
}

static const cJSON *section_at(const cJSON *speed, int k)
{
    const cJSON *s = get(speed, "sections");
    return cJSON_IsArray(s) ? cJSON_GetArrayItem(s, k) : k == 0 ? speed : NULL;
}

/* Same machine class: the same CPU model string and the same set of ISAs
 * run (a section without the set, written by hand, matches on the model). */
static int same_class(const cJSON *a, const cJSON *b)
{
    const char *ca = cJSON_GetStringValue(get(a, "cpu_model")),
               *cb = cJSON_GetStringValue(get(b, "cpu_model"));
    if (!ca || !cb || strcmp(ca, cb) != 0) return 0;
    const cJSON *ia = get(a, "isa_supported"), *ib = get(b, "isa_supported");
    return !ia || !ib || cJSON_Compare(ia, ib, 1);
}

/* "\"Intel(R) Xeon(R) Processor\" (scalar avx2 avx512, recorded 2026-11-28T12:10:38Z)",
 * without the date when dated is 0. */
static void describe(const cJSON *sec, int dated, char *buf, size_t len)
{
    char isas[128] = "";
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, get(sec, "isa_supported")) if (cJSON_IsTrue(it) && k < sizeof isas)
        k += (size_t)snprintf(isas + k, sizeof isas - k, "%s%s", k ? " " : "", it->string);
    const char *cpu = cJSON_GetStringValue(get(sec, "cpu_model"));
    const char *rec = cJSON_GetStringValue(get(sec, "recorded"));
    if (!dated) snprintf(buf, len, "\"%s\" (%s)", cpu ? cpu : "?", isas);
    else
        snprintf(buf, len, "\"%s\" (%s%srecorded %s)", cpu ? cpu : "?", isas, isas[0] ? ", " : "",
                 rec ? rec : "at an unknown date");
}

void ob_ci_speed_upgrade(cJSON *doc)
{
    cJSON *sp = cJSON_GetObjectItemCaseSensitive(doc, "speed");
    if (!cJSON_IsObject(sp) || get(sp, "sections")) return;
    const cJSON *meta = get(doc, "meta");
    cJSON *sec = cJSON_CreateObject();
    const cJSON *cpu = get(sp, "cpu_model"), *isas = get(meta, "isa_supported"), *date = get(meta, "date");
    if (cJSON_IsString(cpu)) cJSON_AddStringToObject(sec, "cpu_model", cpu->valuestring);
    if (cJSON_IsObject(isas)) cJSON_AddItemToObject(sec, "isa_supported", cJSON_Duplicate(isas, 1));
    if (cJSON_IsString(date)) cJSON_AddStringToObject(sec, "recorded", date->valuestring);
    cJSON *cases = cJSON_DetachItemFromObjectCaseSensitive(sp, "cases");
    cJSON_AddItemToObject(sec, "cases", cases ? cases : cJSON_CreateArray());
    cJSON *up = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(up, "sections"), sec);
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "speed", up);
}

cJSON *ob_ci_speed_merged(const cJSON *old_speed, const cJSON *section)
{
    cJSON *out = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(out, "sections");
    int placed = 0;
    for (int k = 0; k < n_sections(old_speed); k++) {
        const cJSON *s = section_at(old_speed, k);
        if (!same_class(s, section)) cJSON_AddItemToArray(arr, cJSON_Duplicate(s, 1));
        else if (!placed++) cJSON_AddItemToArray(arr, cJSON_Duplicate(section, 1)); /* in its place */
    }
    if (!placed) cJSON_AddItemToArray(arr, cJSON_Duplicate(section, 1));
    return out;
}

/* ---- measurement ---------------------------------------------------------- */

/* Per-repetition ns per element of benchmark `name` in Google Benchmark's
 * report. */
static size_t samples_of(const cJSON *report, const char *name, double *out, size_t max)
{
    size_t k = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(report, "benchmarks"))
    {
        const cJSON *rt = cJSON_GetObjectItemCaseSensitive(b, "run_type");
        const cJSON *rn = cJSON_GetObjectItemCaseSensitive(b, "run_name");
        /* Google Benchmark appends suffixes such as "/real_time". */
        size_t len = strlen(name);
        if (!cJSON_IsString(rt) || strcmp(rt->valuestring, "iteration") || !cJSON_IsString(rn) ||
            strncmp(rn->valuestring, name, len) || (rn->valuestring[len] && rn->valuestring[len] != '/'))
            continue;
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(b, "ns_per_elem");
        const cJSON *ips = cJSON_GetObjectItemCaseSensitive(b, "items_per_second");
        double v = cJSON_IsNumber(ns)                            ? ns->valuedouble
                   : cJSON_IsNumber(ips) && ips->valuedouble > 0 ? 1e9 / ips->valuedouble
                                                                 : NAN;
        if (isfinite(v) && k < max) out[k++] = v;
    }
    return k;
}

/* ci --plugin: the plugin kernels that pass bench's guarded check, each
 * beside optbench's kernels of the optimizer it claims (cfg.opts). */
static void plugin_config(const ob_ci_options *opt, ob_bench_config *cfg)
{
    for (size_t i = 0; i < opt->n_plugins && cfg->n_plugins < OB_BENCH_MAX_PLUGINS; i++) {
        const ob_plugin_kernel *k = opt->plugins[i];
        ob_hparams h;
        char msg[512];
        ob_hparams_default(k->opt, &h);
        if (ob_bench_plugin_check(k, &h, 4096, 1, msg, sizeof msg) != 0) {
            /* Its own checks (ci_plugin.c) say why. */
            fprintf(stderr, "optbench ci: plugin:%s is not timed: %s\n", k->desc.name, msg);
            continue;
        }
        size_t o = 0;
        while (o < cfg->n_opts && cfg->opts[o] != k->opt) o++;
        if (o == cfg->n_opts && o < OB_BENCH_MAX_OPTS) {
            cfg->opts[o] = k->opt;
            cfg->h[o] = h;
            cfg->n_opts++;
        }
        if (o < cfg->n_opts) cfg->plugins[cfg->n_plugins++] = k;
    }
}

cJSON *ob_ci_speed_measure(const ob_ci_options *opt, char *err, size_t errlen)
{
    static const char *const names[] = {"adam", "sgd"};
    ob_optimizer copies[2];
    ob_kernel_set hooked[2];
    ob_bench_config cfg;
    memset(&cfg, 0, sizeof cfg);
    for (size_t i = 0; i < 2 && !opt->n_plugins; i++) {
        copies[i] = *ob_optimizer_find(names[i]);
        /* Test hook: a slowed-down kernel (tests/test_ci.c). */
        if (opt->override_kernel && opt->override_opt && !strcmp(opt->override_opt, names[i])) {
            ob_optimizer_kernels(&copies[i], &hooked[i]);
            hooked[i].exact[opt->override_isa] = opt->override_kernel;
            copies[i].own_kernels = &hooked[i];
        }
        cfg.opts[i] = &copies[i];
        ob_hparams_default(&copies[i], &cfg.h[i]);
    }
    cfg.n_opts = opt->n_plugins ? 0 : 2;
    if (opt->n_plugins) plugin_config(opt, &cfg);
    ob_isa best = OB_ISA_SCALAR;
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (ob_isa_supported((ob_isa)i)) best = (ob_isa)i;
    cfg.isa_mask = 1u << OB_ISA_SCALAR | 1u << best;
    cfg.sizes[0] = (size_t)64 << 10;
    cfg.sizes[1] = (size_t)4 << 20;
    cfg.n_sizes = 2;
    cfg.threads[0] = 1;
    cfg.n_threads = 1;
    ob_bench_plan plan;
    ob_bench_plan_init(&plan, &cfg);
    cJSON *out = NULL, *report = NULL;
    char path[128], reps[64], mint[64], outf[200];
    snprintf(path, sizeof path, "/tmp/optbench-ci-speed-%ld.json", (long)getpid());
    snprintf(reps, sizeof reps, "--benchmark_repetitions=%d", opt->speed_reps < 9 ? 9 : opt->speed_reps);
    snprintf(mint, sizeof mint, "--benchmark_min_time=%g", opt->speed_min_time);
    snprintf(outf, sizeof outf, "--benchmark_out=%s", path);
    char *argv[] = {"optbench-ci", reps, mint, "--benchmark_report_aggregates_only=false",
                    "--benchmark_display_aggregates_only=true", outf, "--benchmark_out_format=json",
                    /* Google Benchmark's flags are process-wide: not what an earlier bench set.
                     * Back to back, as the baseline was recorded. */
                    "--benchmark_enable_random_interleaving=false", "--benchmark_filter=all"};
    if (ob_bench_plan_register(&plan, err, errlen) != 0) goto done;
    if (ob_gb_run((int)(sizeof argv / sizeof argv[0]), argv, NULL, stderr, err, errlen) <= 0) {
        if (!err[0]) snprintf(err, errlen, "the speed benchmarks did not run");
        goto done;
    }
    if (!(report = ob_json_read(path, err, errlen))) goto done;
    ob_bench_collect(&plan, report);
    ob_bench_derive(&plan);
    out = ob_ci_machine_section();
    cJSON *cases = cJSON_AddArrayToObject(out, "cases");
    for (size_t i = 0; i < plan.n_rows; i++) {
        const ob_bench_row *r = &plan.rows[i];
        /* ci --plugin times the plugin kernels; optbench's own rows are
         * there for the ceilings and the tables of bench. */
        const int wanted = opt->n_plugins ? r->plugin != NULL : !strcmp(r->variant, "exact");
        if (r->kind != OB_BENCH_KERNEL || !wanted || !r->opt) continue;
        double s[64];
        size_t ns = samples_of(report, r->name, s, 64);
        if (ns == 0) continue;
        char id[160], sz[32];
        ob_bench_format_size(r->size, sz, sizeof sz);
        if (r->plugin) snprintf(id, sizeof id, "%s/%s", r->variant, sz);
        else snprintf(id, sizeof id, "%s/%s/%s", r->opt->name, ob_isa_name((ob_isa)r->isa), sz);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "id", id);
        cJSON_AddItemToObject(c, "samples_ns_per_elem", cJSON_CreateDoubleArray(s, (int)ns));
        cJSON_AddNumberToObject(c, "median_ns_per_elem", median_of(s, ns));
        if (isfinite(r->frac_mem_ceiling))
            cJSON_AddNumberToObject(c, "frac_mem_ceiling", r->frac_mem_ceiling);
        if (isfinite(r->speedup_vs_scalar))
            cJSON_AddNumberToObject(c, "speedup_vs_scalar", r->speedup_vs_scalar);
        cJSON_AddItemToArray(cases, c);
    }
done:
    cJSON_Delete(report);
    unlink(path);
    ob_bench_plan_free(&plan);
    ob_gb_clear();
    return out;
}

/* ---- comparison ------------------------------------------------------------- */

static size_t doubles_of(const cJSON *arr, double *out, size_t max)
{
    size_t k = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) if (cJSON_IsNumber(v) && k < max) out[k++] = v->valuedouble;
    return k;
}

void ob_ci_compare_speed(const cJSON *measured, const cJSON *baseline, const ob_ci_options *opt,
                         ob_check_list *out)
{
    const cJSON *ms = section_at(get(measured, "speed"), 0);
    const cJSON *bspeed = baseline ? get(baseline, "speed") : NULL;
    if (!ms || !baseline) return;
    const cJSON *bs = NULL;
    char here[256], there[1024] = "", d[256];
    describe(ms, 0, here, sizeof here);
    for (int k = 0; k < n_sections(bspeed); k++) {
        const cJSON *s = section_at(bspeed, k);
        if (same_class(s, ms)) bs = s;
        describe(s, 1, d, sizeof d);
        size_t l = strlen(there);
        snprintf(there + l, sizeof there - l, "%s%s", l ? "; " : "", d);
    }
    if (!bs) {
        fprintf(stderr,
                "optbench ci: warning: no speed baseline for this machine class %s; speed gate skipped\n",
                here);
        ob_checks_add(out, "speed", "all", OB_CHECK_SKIP,
                      "no speed section for this machine class %s in the baseline (it has: %s); record one "
                      "on a quiet machine of this class with: optbench ci --update-baseline --speed-only",
                      here, there[0] ? there : "none");
        return;
    }
    describe(bs, 1, d, sizeof d);
    ob_checks_add(out, "speed", "section", OB_CHECK_PASS, "baseline section %s", d);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(ms, "cases"))
    {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id"));
        const cJSON *b = NULL, *it;
        cJSON_ArrayForEach(it, get(bs, "cases"))
        {
            const char *bid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id"));
            if (bid && id && !strcmp(bid, id)) b = it;
        }
        if (!id) continue;
        if (!b) {
            ob_checks_add(out, "speed", id, OB_CHECK_SKIP, "no baseline samples for this case");
            continue;
        }
        double x[64], y[64];
        size_t nx = doubles_of(cJSON_GetObjectItemCaseSensitive(c, "samples_ns_per_elem"), x, 64);
        size_t ny = doubles_of(cJSON_GetObjectItemCaseSensitive(b, "samples_ns_per_elem"), y, 64);
        double mx = median_of(x, nx), my = median_of(y, ny);
        double p = ob_mann_whitney_p(x, nx, y, ny), slow = mx / my - 1;
        int time_regressed = p < opt->speed_alpha && slow > opt->speed_effect;
        const cJSON *fx = cJSON_GetObjectItemCaseSensitive(c, "frac_mem_ceiling");
        const cJSON *fy = cJSON_GetObjectItemCaseSensitive(b, "frac_mem_ceiling");
        double drop = cJSON_IsNumber(fx) && cJSON_IsNumber(fy) && fy->valuedouble > 0
                          ? 1 - fx->valuedouble / fy->valuedouble
                          : NAN;
        int ratio_regressed = isfinite(drop) && drop > 2 * opt->speed_effect;
        ob_checks_add(
            out, "speed", id, time_regressed || ratio_regressed ? OB_CHECK_FAIL : OB_CHECK_PASS,
            "%.4g ns/elem vs %.4g (%+.1f%%, U-test p = %.3g%s); same-run fraction of the memory ceiling "
            "%.3f vs %.3f%s",
            mx, my, 100 * slow, p, time_regressed ? ": SLOWER" : "",
            cJSON_IsNumber(fx) ? fx->valuedouble : NAN, cJSON_IsNumber(fy) ? fy->valuedouble : NAN,
            ratio_regressed ? ": DROPPED" : "");
    }
}
