/*
 * sweep.c — the specification of a sweep and its plan: the settings of
 * every (problem, optimizer) and their runs (see ob_sweep.h; the --grid
 * axes are parsed in sweep_axis.c, a recorded specification is compared
 * with a resumed one in sweep_spec.c).
 *
 * One parser serves the command line and spec.json: cmd_sweep.c turns the
 * options into the same JSON object that spec.json holds, so a resumed
 * sweep is planned by exactly the code that planned it first.
 */
#include "sweep_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/core/ob_core.h"
#include "harness/testkit/ob_testkit.h"

const ob_sweep_spec_key ob_sweep_spec_keys[] = {
    {"opt", 0},   {"problem", 0},   {"grid", 1},  {"random", 0},   {"seed", 0},
    {"seeds", 0}, {"all-seeds", 2}, {"steps", 0}, {"set", 1},      {"param", 1},
    {"n", 0},     {"batch", 0},     {"isa", 0},   {"schedule", 0}, {"sched-set", 1},
    {"search", 0}, {"budget", 0}, {"proposals", 0}, {"instances", 0},
};
const size_t ob_sweep_spec_key_count = sizeof ob_sweep_spec_keys / sizeof ob_sweep_spec_keys[0];

/* Defaults that the normalised specification spells out. */
#define DEFAULT_SEEDS 3
#define DEFAULT_RANDOM_SEED 1

/* ---- reading the specification --------------------------------------------- */

static const cJSON *item(const cJSON *spec, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(spec, key);
}

static const char *sget(const cJSON *spec, const char *key)
{
    const cJSON *v = item(spec, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The strings of a repeatable option (pointers into spec). */
static size_t sall(const cJSON *spec, const char *key, const char **out, size_t max)
{
    size_t n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, item(spec, key)) if (n < max) out[n++] = v->valuestring;
    return n;
}

/* Every key known and of its kind: spec.json may have been edited. */
static int check_types(const cJSON *spec, char *err, size_t errlen)
{
    if (!cJSON_IsObject(spec)) return ob_fail(err, errlen, "the specification is not an object");
    for (const cJSON *v = spec->child; v; v = v->next) {
        const ob_sweep_spec_key *k = NULL;
        for (size_t i = 0; i < ob_sweep_spec_key_count; i++)
            if (!strcmp(ob_sweep_spec_keys[i].name, v->string)) k = &ob_sweep_spec_keys[i];
        if (!k) return ob_fail(err, errlen, "unknown specification key \"%s\"", v->string);
        int ok = cJSON_IsNull(v) || (k->kind == 0 && cJSON_IsString(v)) || (k->kind == 2 && cJSON_IsBool(v));
        if (k->kind == 1 && cJSON_IsArray(v)) {
            ok = 1;
            const cJSON *s;
            cJSON_ArrayForEach(s, v) ok &= cJSON_IsString(s);
        }
        if (!ok) return ob_fail(err, errlen, "specification key \"%s\" has the wrong type", v->string);
    }
    return 0;
}

/* An integer option >= lo; *v keeps its default when the option is absent. */
static int get_count(const cJSON *spec, const char *key, uint64_t lo, uint64_t *v, char *err, size_t errlen)
{
    const char *s = sget(spec, key);
    if (!s) return 0;
    if (ob_parse_u64(s, v) != 0 || *v < lo)
        return ob_fail(err, errlen, "--%s: '%s' is not an integer >= %llu", key, s, (unsigned long long)lo);
    return 0;
}

int ob_sweep_spec_count(const cJSON *spec, const char *key, uint64_t lo, uint64_t *v, char *err, size_t errlen)
{
    return get_count(spec, key, lo, v, err, errlen);
}

static const char *opt_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return ob_optimizer_table[i]->name;
}

static const char *isa_name_at(const void *ctx, size_t i)
{
    (void)ctx;
    return ob_isa_name((ob_isa)i);
}

/* Splits a comma list into names and resolves each with `find`; unknown
 * and repeated names are errors. */
static int name_list(const char *list, const char *what, const void *(*find)(const char *), const void **out,
                     size_t *n, char *err, size_t errlen)
{
    char buf[2048];
    *n = 0;
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return ob_fail(err, errlen, "--%s: list too long", what);
    for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        const void *x = find(t);
        if (!x) {
            if (!strcmp(what, "opt")) {
                char known[512];
                ob_join_names(known, sizeof known, opt_name_at, NULL, ob_optimizer_count);
                return ob_fail(err, errlen, "unknown optimizer '%s' (known: %s)", t, known);
            }
            return ob_fail(err, errlen, "unknown problem '%s' (see optbench list problems)", t);
        }
        for (size_t i = 0; i < *n; i++)
            if (out[i] == x) return ob_fail(err, errlen, "--%s: '%s' is listed twice", what, t);
        if (*n >= OB_SWEEP_MAX_LIST)
            return ob_fail(err, errlen, "--%s: more than %d names", what, OB_SWEEP_MAX_LIST);
        out[(*n)++] = x;
    }
    if (*n == 0) return ob_fail(err, errlen, "--%s '%s': empty list", what, list);
    return 0;
}

static const void *find_opt(const char *name)
{
    return ob_optimizer_find(name);
}
static const void *find_problem(const char *name)
{
    return ob_problem_find(name);
}

static int parse_isas(ob_sweep *sw, const char *list, char *norm, size_t normlen, char *err, size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    sw->isa_mask = 0;
    int reference = 0;
    for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
        ob_isa isa;
        if (!strcmp(t, "reference")) {
            reference = 1;
            continue;
        }
        if (ob_isa_parse(t, &isa) != 0) {
            char known[128];
            ob_join_names(known, sizeof known, isa_name_at, NULL, OB_ISA_COUNT);
            return ob_fail(err, errlen, "unknown --isa '%s' (known: reference, %s)", t, known);
        }
        if (!ob_isa_supported(isa))
            return ob_fail(err, errlen, "--isa %s cannot run here: %s", t, ob_isa_unavailable_reason(isa));
        sw->isa_mask |= 1u << isa;
    }
    if (!sw->isa_mask && !reference) return ob_fail(err, errlen, "--isa '%s': empty list", list);
    /* The scored path: the first fp32 ISA (the kernel under test), or the
     * reference when only it runs. */
    sw->scored = -1;
    norm[0] = '\0';
    for (int i = OB_ISA_COUNT - 1; i >= 0; i--)
        if ((sw->isa_mask >> i) & 1u) sw->scored = i;
    size_t used = 0;
    if (!sw->isa_mask) snprintf(norm, normlen, "reference");
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if ((sw->isa_mask >> i) & 1u && used < normlen)
            used += (size_t)snprintf(norm + used, normlen - used, "%s%s", used ? "," : "",
                                     ob_isa_name((ob_isa)i));
    return 0;
}

/* The hyperparameter spec of `key` in o (NULL if o lacks it). */
static const ob_hparam_spec *key_spec(const ob_optimizer *o, const char *key)
{
    return ob_hparam_find(o, key);
}

/* The keys of the chosen optimizers, for the message of an unknown key. */
static void known_keys(const ob_sweep *sw, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sw->n_opts; i++) {
        const ob_optimizer *o = sw->opts[i];
        for (size_t k = 0; k < o->n_hparams && used + 1 < len; k++) {
            const char *nm = o->hparams[k].name;
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++) seen = key_spec(sw->opts[j], nm) != NULL;
            for (size_t j = 0; j < k && !seen; j++) seen = !strcmp(o->hparams[j].name, nm);
            if (!seen) used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", nm);
        }
    }
}

/* Checks the --grid keys against the optimizers (see README: a key must
 * belong to at least one chosen optimizer; it applies to those that have
 * it). */
static int check_axes(ob_sweep *sw, const char *const *grids, const char *const *sets, size_t nsets,
                      char *err, size_t errlen)
{
    if (sw->n_axes == 0)
        return ob_fail(err, errlen,
                       "nothing to sweep: give at least one --grid (e.g. --grid 'lr=log:1e-5:1e1:25')");
    for (size_t a = 0; a < sw->n_axes; a++) {
        const ob_sweep_axis *ax = &sw->axes[a];
        for (size_t b = 0; b < a; b++)
            if (!strcmp(sw->axes[b].key, ax->key))
                return ob_fail(err, errlen,
                               "--grid '%s': '%s' is already swept by --grid '%s' (one --grid per key)",
                               grids[a], ax->key, grids[b]);
        for (size_t k = 0; k < nsets; k++)
            if (!strncmp(sets[k], ax->key, strlen(ax->key)) && sets[k][strlen(ax->key)] == '=')
                return ob_fail(err, errlen, "--grid '%s': '%s' is also fixed by --set %s", grids[a], ax->key,
                               sets[k]);
        const ob_hparam_spec *sp = NULL;
        for (size_t i = 0; i < sw->n_opts && !sp; i++) sp = key_spec(sw->opts[i], ax->key);
        if (!sp) {
            char keys[1024];
            known_keys(sw, keys, sizeof keys);
            return ob_fail(err, errlen,
                           "--grid '%s': unknown key '%s': no chosen optimizer has it (their keys: %s)",
                           grids[a], ax->key, keys);
        }
        if (sp->kind != OB_HP_BOOL) continue;
        if (ax->spacing != OB_SWEEP_LIST)
            return ob_fail(err, errlen, "--grid '%s': %s is a boolean; give a list (%s=0,1)", grids[a],
                           ax->key, ax->key);
        for (size_t i = 0; i < ax->n; i++)
            if (ax->values[i] != 0 && ax->values[i] != 1)
                return ob_fail(err, errlen, "--grid '%s': %s is a boolean; %g is not 0, 1, false or true",
                               grids[a], ax->key, ax->values[i]);
    }
    return 0;
}

/* ---- canonical texts and hashes --------------------------------------------- */

/* FNV-1a, 64 bits: a stable name for a run's canonical text. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* Every hyperparameter of the case, in the table's order, at full
 * precision, plus generic keys (clipping) that --set or --grid named. */
static void hparam_text(FILE *f, const ob_sweep *sw, const ob_case *c, const char *const *sets, size_t nsets)
{
    const ob_optimizer *o = c->opt;
    for (size_t k = 0; k < o->n_hparams; k++)
        fprintf(f, "%s=%.17g\n", o->hparams[k].name, ob_hparam_get(&c->h, &o->hparams[k]));
    for (size_t pass = 0; pass < nsets + sw->n_axes; pass++) {
        char key[64];
        if (pass < nsets) snprintf(key, sizeof key, "%.*s", (int)strcspn(sets[pass], "="), sets[pass]);
        else snprintf(key, sizeof key, "%s", sw->axes[pass - nsets].key);
        const ob_hparam_spec *sp = key_spec(o, key);
        int own = 0;
        for (size_t k = 0; k < o->n_hparams && !own; k++) own = !strcmp(o->hparams[k].name, key);
        if (sp && !own) fprintf(f, "%s=%.17g\n", key, ob_hparam_get(&c->h, sp));
    }
}

/* The canonical text of a run: everything that determines its result. */
static char *run_key(const ob_sweep *sw, const ob_case *c, uint64_t seed, uint64_t instance,
                     const char *const *sets, size_t nsets)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    fprintf(f, "optbench-sweep-run %d\nproblem=%s\nn=%zu\nbatch=%zu\n", OB_SWEEP_VERSION, c->problem->name,
            c->n, c->batch);
    for (size_t k = 0; k < c->n_pparams; k++) fprintf(f, "param=%s\n", c->pparams[k]);
    fprintf(f, "optimizer=%s\n", c->opt->name);
    hparam_text(f, sw, c, sets, nsets);
    fprintf(f, "schedule=%s\n", c->sched.spec->name);
    for (size_t k = 0; k < c->sched.spec->n_keys; k++)
        fprintf(f, "schedule.%s=%.17g\n", c->sched.spec->keys[k].name, c->sched.v[k]);
    fprintf(f, "steps=%llu\nseed=%llu\nisa=%u\n", (unsigned long long)c->steps, (unsigned long long)seed,
            c->isa_mask);
    /* Instance 0 adds nothing: the keys (and hashes) of sweeps without
     * --instances stay what they were, so their records resume. */
    if (instance) fprintf(f, "instance=%llu\n", (unsigned long long)instance);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- expanding the settings -------------------------------------------------- */

/* Checks a setting: its hyperparameters, and the schedule at the first and
 * the last step (as ob_case_check does, without creating the problem). */
static int setting_valid(const ob_case *c, char *msg, size_t len)
{
    if (ob_validate(c->opt, &c->h, msg, len) != 0) return 0;
    uint64_t ends[2] = {1, c->steps};
    for (int k = 0; k < 2; k++) {
        ob_hparams ht;
        if (ob_schedule_apply(&c->sched, c->opt, &c->h, ends[k], &ht, msg, len) != 0 ||
            ob_validate(c->opt, &ht, msg, len) != 0)
            return 0;
    }
    return 1;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need) nc *= 2;
    void *g = realloc(*arr, nc * elem);
    if (!g) return -1;
    *arr = g;
    *cap = nc;
    return 0;
}

typedef struct planner {
    ob_sweep *sw;
    const char *const *sets;
    size_t nsets;
    double *draws;    /* random and quasi-random search: n_draws x n_axes values */
    uint64_t n_draws; /* 0: the grid */
    size_t cap_settings, cap_runs;
} planner;

/* Notes a skipped setting in sw->skipped. */
static void note_skip(ob_sweep *sw, const ob_sweep_setting *s, const char *reason)
{
    char desc[512];
    ob_sweep_describe(sw, s, desc, sizeof desc);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "problem", s->c.problem->name);
    cJSON_AddStringToObject(j, "optimizer", s->c.opt->name);
    cJSON_AddStringToObject(j, "hparams", desc);
    cJSON_AddStringToObject(j, "reason", reason);
    cJSON_AddItemToArray(sw->skipped, j);
}

/* What identifies a setting of a (problem, optimizer): the hash of its
 * hyperparameters' text.  0, or -1 (out of memory). */
static int setting_hash(const ob_sweep *sw, const ob_case *c, const char *const *sets, size_t nsets,
                        uint64_t *h)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        hparam_text(f, sw, c, sets, nsets);
        fclose(f);
    }
    if (!text) return -1;
    *h = fnv1a(text);
    free(text);
    return 0;
}

size_t ob_sweep_pair_axes(const ob_sweep *sw, size_t oi, size_t *axes)
{
    size_t n = 0;
    for (size_t a = 0; a < sw->n_axes; a++)
        if (key_spec(sw->opts[oi], sw->axes[a].key)) axes[n++] = a;
    return n;
}

/* The settings of one (problem, optimizer): the grid's product (first
 * --grid slowest) or the drawn points, restricted to the axes the optimizer
 * has, without repeats and without invalid points. */
static int expand(planner *pl, size_t pi, size_t oi, const ob_case *base, char *err, size_t errlen)
{
    ob_sweep *sw = pl->sw;
    const ob_optimizer *o = sw->opts[oi];
    size_t mine[OB_SWEEP_MAX_AXES], nm = ob_sweep_pair_axes(sw, oi, mine);
    uint64_t total = 1;
    if (pl->n_draws) total = pl->n_draws;
    else
        for (size_t k = 0; k < nm; k++)
            if ((total *= sw->axes[mine[k]].n) > OB_SWEEP_MAX_RUNS)
                return ob_fail(err, errlen, "the grid has more than %d points for %s", OB_SWEEP_MAX_RUNS,
                               o->name);
    size_t first = sw->n_settings, valid = 0;
    uint64_t *seen = malloc((size_t)total * sizeof *seen);
    if (!seen) return ob_fail(err, errlen, "out of memory");
    char first_reason[512] = "";
    for (uint64_t idx = 0; idx < total; idx++) {
        ob_sweep_setting s;
        memset(&s, 0, sizeof s);
        s.problem = pi;
        s.opt = oi;
        s.c = *base;
        uint64_t rest = idx;
        for (size_t k = nm; k-- > 0;) {
            const ob_sweep_axis *ax = &sw->axes[mine[k]];
            double v;
            if (pl->n_draws) v = pl->draws[idx * sw->n_axes + mine[k]];
            else {
                v = ax->values[rest % ax->n];
                rest /= ax->n;
            }
            s.value[mine[k]] = v;
            s.has[mine[k]] = 1;
            ob_hparam_put(&s.c.h, key_spec(o, ax->key), v);
        }
        char msg[512];
        if (!setting_valid(&s.c, msg, sizeof msg)) {
            if (!first_reason[0]) snprintf(first_reason, sizeof first_reason, "%s", msg);
            note_skip(sw, &s, msg);
            continue;
        }
        uint64_t h;
        if (setting_hash(sw, &s.c, pl->sets, pl->nsets, &h) != 0) {
            free(seen);
            return ob_fail(err, errlen, "out of memory");
        }
        int dup = 0;
        for (size_t k = 0; k < valid && !dup; k++) dup = seen[k] == h;
        if (dup) continue;
        seen[valid++] = h;
        if (grow((void **)&sw->settings, &pl->cap_settings, sw->n_settings + 1, sizeof *sw->settings) != 0) {
            free(seen);
            return ob_fail(err, errlen, "out of memory");
        }
        sw->settings[sw->n_settings++] = s;
    }
    free(seen);
    if (sw->n_settings == first)
        return ob_fail(err, errlen, "every setting of %s on %s is out of range (e.g. %s)", o->name,
                       sw->problems[pi]->name, first_reason);
    return 0;
}

/* The base case of (problem, optimizer): defaults, the problem's default
 * lr (as `optbench run` uses), then --set for the keys it has. */
static int base_case(const ob_sweep *sw, const cJSON *spec, size_t pi, size_t oi, const ob_schedule *sched,
                     const char *const *sets, size_t nsets, const char *const *pp, size_t npp, ob_case *c,
                     char *err, size_t errlen)
{
    const ob_problem_spec *ps = sw->problems[pi];
    const ob_optimizer *o = sw->opts[oi];
    memset(c, 0, sizeof *c);
    c->opt = o;
    c->problem = ps;
    c->steps = ps->default_steps ? ps->default_steps : 1000;
    c->threads = 1;
    c->isa_mask = sw->isa_mask;
    c->sched = *sched;
    uint64_t v = 0;
    if (get_count(spec, "steps", 1, &c->steps, err, errlen) || get_count(spec, "n", 1, &v, err, errlen))
        return -1;
    c->n = (size_t)v;
    v = 0;
    if (get_count(spec, "batch", 1, &v, err, errlen)) return -1;
    c->batch = (size_t)v;
    ob_hparams_default(o, &c->h);
    if (ps->default_lr > 0) c->h.lr = ps->default_lr;
    char msg[512];
    for (size_t k = 0; k < nsets; k++) {
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(sets[k], "="), sets[k]);
        if (key_spec(o, key) && ob_hparam_set(o, &c->h, sets[k], msg, sizeof msg) != 0)
            return ob_fail(err, errlen, "--set %s", msg);
    }
    const ob_hparam_spec *cyc;
    if (ob_schedule_cycled_key(sched, o, &cyc, msg, sizeof msg) != 0) return ob_fail(err, errlen, "%s", msg);
    for (size_t k = 0; k < npp; k++) snprintf(c->pparams[k], sizeof c->pparams[k], "%s", pp[k]);
    c->n_pparams = npp;
    return 0;
}

static void add_note(ob_sweep *sw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(ob_sweep *sw, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(sw->notes, cJSON_CreateString(buf));
}

/* Whether opt has a kernel on every ISA of the sweep; if not, its
 * settings are left out with a note, once (at the first problem). */
static int has_kernels(ob_sweep *sw, const ob_optimizer *opt, size_t pi)
{
    for (int i = 0; i < OB_ISA_COUNT; i++)
        if (((sw->isa_mask >> i) & 1u) && !ob_optimizer_kernel(opt, (ob_isa)i)) {
            if (pi == 0) add_note(sw, "%s: SKIPPED: no %s kernel", opt->name, ob_isa_name((ob_isa)i));
            return 0;
        }
    return 1;
}

/* The normalised specification: names resolved, defaults spelled out, so
 * that the same sweep asked for in different words compares equal. */
static cJSON *normalise(const ob_sweep *sw, const cJSON *spec, const char *isa_norm, const char *sched_name)
{
    cJSON *n = cJSON_CreateObject();
    char buf[4096];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sw->n_opts; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? "," : "", sw->opts[i]->name);
    cJSON_AddStringToObject(n, "opt", buf);
    used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sw->n_problems; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? "," : "", sw->problems[i]->name);
    cJSON_AddStringToObject(n, "problem", buf);
    for (size_t k = 0; k < ob_sweep_spec_key_count; k++) {
        const ob_sweep_spec_key *key = &ob_sweep_spec_keys[k];
        if (!strcmp(key->name, "opt") || !strcmp(key->name, "problem")) continue;
        const cJSON *v = item(spec, key->name);
        /* --random and --seed mean nothing to a grid search; --search and
         * its options are left out of a grid or random search's
         * specification altogether, which stays as it was before they
         * existed. */
        if (!strcmp(key->name, "instances")) {
            /* Left out at 1, so that a sweep without instances keeps the
             * specification it had before they existed. */
            if (sw->instances > 1) {
                snprintf(buf, sizeof buf, "%llu", (unsigned long long)sw->instances);
                cJSON_AddStringToObject(n, key->name, buf);
            }
        } else if (ob_sweep_search_key(key->name)) {
            if (sw->search >= OB_SWEEP_SEARCH_SOBOL) ob_sweep_search_normalise(n, sw, key->name);
        } else if ((!strcmp(key->name, "random") && sw->search != OB_SWEEP_SEARCH_RANDOM) ||
                   (!strcmp(key->name, "seed") && sw->search == OB_SWEEP_SEARCH_GRID))
            cJSON_AddNullToObject(n, key->name);
        else if (!strcmp(key->name, "seed") || !strcmp(key->name, "seeds") || !strcmp(key->name, "random")) {
            snprintf(buf, sizeof buf, "%llu",
                     (unsigned long long)(!strcmp(key->name, "seed")    ? sw->seed
                                          : !strcmp(key->name, "seeds") ? sw->seeds
                                                                        : sw->random));
            cJSON_AddStringToObject(n, key->name, buf);
        } else if (!strcmp(key->name, "isa")) cJSON_AddStringToObject(n, key->name, isa_norm);
        else if (!strcmp(key->name, "schedule")) cJSON_AddStringToObject(n, key->name, sched_name);
        else if (key->kind == 2) cJSON_AddBoolToObject(n, key->name, cJSON_IsTrue(v));
        else if (key->kind == 1)
            cJSON_AddItemToObject(n, key->name, v ? cJSON_Duplicate(v, 1) : cJSON_CreateArray());
        else if (cJSON_IsString(v)) cJSON_AddStringToObject(n, key->name, v->valuestring);
        else cJSON_AddNullToObject(n, key->name);
    }
    return n;
}

/* The runs of settings [before, n_settings) of problem pi: one per seed
 * and problem instance (instance-major), each with its key and hash.  0,
 * or -1 with a message. */
static int add_runs(planner *pl, size_t pi, size_t before, char *err, size_t errlen)
{
    ob_sweep *sw = pl->sw;
    for (size_t s = before; s < sw->n_settings; s++) {
        ob_sweep_setting *st = &sw->settings[s];
        st->first_run = sw->n_runs;
        st->n_runs = (size_t)(sw->problem_seeds[pi] * sw->problem_instances[pi]);
        if (sw->n_runs + st->n_runs > OB_SWEEP_MAX_RUNS)
            return ob_fail(err, errlen, "the sweep has more than %d runs", OB_SWEEP_MAX_RUNS);
        if (grow((void **)&sw->runs, &pl->cap_runs, sw->n_runs + st->n_runs, sizeof *sw->runs) != 0)
            return ob_fail(err, errlen, "out of memory");
        for (uint64_t k = 0; k < st->n_runs; k++) {
            ob_sweep_run *r = &sw->runs[sw->n_runs];
            memset(r, 0, sizeof *r);
            r->setting = s;
            r->seed = k % sw->problem_seeds[pi];
            r->instance = k / sw->problem_seeds[pi];
            if (!(r->key = run_key(sw, &st->c, r->seed, r->instance, pl->sets, pl->nsets)))
                return ob_fail(err, errlen, "out of memory");
            sw->n_runs++;
            snprintf(r->hash, sizeof r->hash, "%016llx", (unsigned long long)fnv1a(r->key));
        }
    }
    return 0;
}

int ob_sweep_add_point(ob_sweep *sw, size_t pi, size_t oi, const double *value, int note_invalid, char *err,
                       size_t errlen)
{
    const char *sets[64];
    size_t nsets = sall(sw->spec, "set", sets, 64);
    const ob_optimizer *o = sw->opts[oi];
    ob_sweep_setting s;
    memset(&s, 0, sizeof s);
    s.problem = pi;
    s.opt = oi;
    s.c = sw->bases[pi * sw->n_opts + oi];
    for (size_t a = 0; a < sw->n_axes; a++) {
        const ob_hparam_spec *sp = key_spec(o, sw->axes[a].key);
        if (!sp) continue;
        s.value[a] = value[a];
        s.has[a] = 1;
        ob_hparam_put(&s.c.h, sp, value[a]);
    }
    char msg[512];
    if (!setting_valid(&s.c, msg, sizeof msg)) {
        if (note_invalid) note_skip(sw, &s, msg);
        return 0;
    }
    uint64_t h, ht;
    if (setting_hash(sw, &s.c, sets, nsets, &h) != 0) return ob_fail(err, errlen, "out of memory");
    for (size_t i = 0; i < sw->n_settings; i++) {
        const ob_sweep_setting *t = &sw->settings[i];
        if (t->problem != pi || t->opt != oi) continue;
        if (setting_hash(sw, &t->c, sets, nsets, &ht) != 0) return ob_fail(err, errlen, "out of memory");
        if (ht == h) return 0;
    }
    /* The arrays hold at least their counts: grow from there. */
    planner pl = {sw, sets, nsets, NULL, 0, sw->n_settings, sw->n_runs};
    if (grow((void **)&sw->settings, &pl.cap_settings, sw->n_settings + 1, sizeof *sw->settings) != 0)
        return ob_fail(err, errlen, "out of memory");
    sw->settings[sw->n_settings++] = s;
    return add_runs(&pl, pi, sw->n_settings - 1, err, errlen) != 0 ? -1 : 1;
}

/* The notes of a planned sweep: grid axes that some optimizers lack,
 * --seed without --random, skipped settings. */
static void plan_notes(ob_sweep *sw, const cJSON *spec, const char *const *grids)
{
    for (size_t a = 0; a < sw->n_axes; a++) {
        size_t users = 0;
        char lacking[512] = "";
        for (size_t i = 0; i < sw->n_opts; i++) {
            if (key_spec(sw->opts[i], sw->axes[a].key)) users++;
            else
                snprintf(lacking + strlen(lacking), sizeof lacking - strlen(lacking), "%s%s",
                         lacking[0] ? ", " : "", sw->opts[i]->name);
        }
        if (users < sw->n_opts)
            add_note(sw, "--grid %s applies only to the optimizers that have '%s' (not to %s)", grids[a],
                     sw->axes[a].key, lacking);
    }
    if (sw->search == OB_SWEEP_SEARCH_GRID && sget(spec, "seed"))
        add_note(sw, "--seed %s has no effect without --random or --search (the grid is not drawn)",
                 sget(spec, "seed"));
    if (sw->search == OB_SWEEP_SEARCH_BAYES)
        add_note(sw,
                 "Bayesian search: %llu Sobol starting points per optimizer and problem, then rounds of %llu "
                 "proposals until %llu settings",
                 (unsigned long long)ob_sweep_first_points(sw), (unsigned long long)sw->proposals,
                 (unsigned long long)sw->budget);
    if (cJSON_GetArraySize(sw->skipped) > 0)
        add_note(sw, "%d setting%s outside the valid ranges skipped (listed in sweep.json \"skipped\")",
                 cJSON_GetArraySize(sw->skipped), cJSON_GetArraySize(sw->skipped) == 1 ? "" : "s");
}

static int plan(const cJSON *spec, ob_sweep *sw, char *err, size_t errlen)
{
    if (check_types(spec, err, errlen) != 0) return -1;
    sw->skipped = cJSON_CreateArray();
    sw->notes = cJSON_CreateArray();
    if (!sw->skipped || !sw->notes) return ob_fail(err, errlen, "out of memory");
    const char *ol = sget(spec, "opt");
    if (ol) {
        if (name_list(ol, "opt", find_opt, (const void **)sw->opts, &sw->n_opts, err, errlen) != 0) return -1;
    } else {
        for (size_t i = 0; i < ob_optimizer_count && i < OB_SWEEP_MAX_LIST; i++)
            sw->opts[sw->n_opts++] = ob_optimizer_table[i];
    }
    const char *pl_s = sget(spec, "problem");
    if (!pl_s) return ob_fail(err, errlen, "--problem LIST is required (see optbench list problems)");
    if (name_list(pl_s, "problem", find_problem, (const void **)sw->problems, &sw->n_problems, err, errlen) !=
        0)
        return -1;
    sw->seed = DEFAULT_RANDOM_SEED;
    sw->seeds = DEFAULT_SEEDS;
    sw->instances = 1;
    if (get_count(spec, "random", 1, &sw->random, err, errlen) ||
        get_count(spec, "instances", 1, &sw->instances, err, errlen) ||
        get_count(spec, "seed", 0, &sw->seed, err, errlen) ||
        get_count(spec, "seeds", 1, &sw->seeds, err, errlen) || ob_sweep_search_parse(spec, sw, err, errlen))
        return -1;
    if (sw->seeds > OB_SWEEP_MAX_SEEDS || sw->instances > OB_SWEEP_MAX_SEEDS / sw->seeds)
        return ob_fail(err, errlen, "--seeds times --instances: at most %d runs per setting", OB_SWEEP_MAX_SEEDS);
    char isa_norm[128];
    if (parse_isas(sw, sget(spec, "isa") ? sget(spec, "isa") : "scalar", isa_norm, sizeof isa_norm, err,
                   errlen))
        return -1;
    const char *pp[OB_MAX_PROBLEM_PARAMS + 1], *sets[64], *ssets[64], *grids[OB_SWEEP_MAX_AXES + 1];
    size_t npp = sall(spec, "param", pp, OB_MAX_PROBLEM_PARAMS + 1);
    size_t nsets = sall(spec, "set", sets, 64), nss = sall(spec, "sched-set", ssets, 64);
    size_t ngrid = sall(spec, "grid", grids, OB_SWEEP_MAX_AXES + 1);
    if (npp > OB_MAX_PROBLEM_PARAMS) return ob_fail(err, errlen, "at most %d --param", OB_MAX_PROBLEM_PARAMS);
    if (nsets >= 64 || nss >= 64) return ob_fail(err, errlen, "at most 63 --set and --sched-set");
    if (ngrid > OB_SWEEP_MAX_AXES) return ob_fail(err, errlen, "at most %d --grid", OB_SWEEP_MAX_AXES);
    for (size_t k = 0; k < npp; k++)
        if (strlen(pp[k]) >= sizeof sw->settings->c.pparams[0])
            return ob_fail(err, errlen, "--param '%.40s...' is too long", pp[k]);
    for (size_t k = 0; k < nsets; k++) {
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(sets[k], "="), sets[k]);
        int found = 0;
        for (size_t i = 0; i < sw->n_opts; i++) found |= key_spec(sw->opts[i], key) != NULL;
        if (!found)
            return ob_fail(err, errlen, "--set %s: no chosen optimizer has a hyperparameter '%s'", sets[k],
                           key);
    }
    ob_schedule sched;
    char msg[512];
    if (ob_schedule_parse(sget(spec, "schedule"), ssets, nss, &sched, msg, sizeof msg) != 0)
        return ob_fail(err, errlen, "%s", msg);
    for (size_t a = 0; a < ngrid; a++) {
        if (ob_sweep_axis_parse(grids[a], &sw->axes[a], err, errlen) != 0) return -1;
        sw->n_axes++;
    }
    if (check_axes(sw, grids, sets, nsets, err, errlen) != 0) return -1;
    int ranges = 0;
    for (size_t a = 0; a < sw->n_axes; a++) ranges |= sw->axes[a].spacing != OB_SWEEP_LIST;
    if (sw->search == OB_SWEEP_SEARCH_BAYES && !ranges)
        return ob_fail(err, errlen,
                       "--search bayes needs a range to search: at least one --grid KEY=log:LO:HI:N or "
                       "KEY=lin:LO:HI:N (lists alone leave nothing to model)");
    if (!(sw->bases = calloc(sw->n_problems * sw->n_opts, sizeof *sw->bases)))
        return ob_fail(err, errlen, "out of memory");

    planner pl = {sw, sets, nsets, NULL, ob_sweep_first_points(sw), 0, 0};
    if (pl.n_draws && ob_sweep_draw_points(sw, pl.n_draws, &pl.draws, err, errlen) != 0) return -1;
    int rc = 0;
    for (size_t pi = 0; pi < sw->n_problems && rc == 0; pi++) {
        const ob_problem_spec *ps = sw->problems[pi];
        sw->problem_seeds[pi] = ps->stochastic || cJSON_IsTrue(item(spec, "all-seeds")) ? sw->seeds : 1;
        if (sw->problem_seeds[pi] < sw->seeds)
            add_note(sw,
                     "%s is deterministic: it runs seed 0 only, not %llu seeds (--all-seeds runs them all)",
                     ps->name, (unsigned long long)sw->seeds);
        /* As `run --instances`: problems without instances run instance 0. */
        int inst = ob_problem_instance_kind(ps) != OB_INSTANCE_NONE;
        sw->problem_instances[pi] = inst ? sw->instances : 1;
        if (!inst && sw->instances > 1)
            add_note(sw, "%s has no problem instances (optbench list problems): it runs instance 0 only",
                     ps->name);
        for (size_t oi = 0; oi < sw->n_opts && rc == 0; oi++) {
            ob_case base;
            size_t before = sw->n_settings;
            if (!has_kernels(sw, sw->opts[oi], pi)) continue;
            rc = base_case(sw, spec, pi, oi, &sched, sets, nsets, pp, npp, &base, err, errlen);
            if (rc == 0) sw->bases[pi * sw->n_opts + oi] = base;
            if (rc == 0) rc = expand(&pl, pi, oi, &base, err, errlen);
            if (rc == 0) rc = add_runs(&pl, pi, before, err, errlen);
        }
    }
    free(pl.draws);
    if (rc) return rc;
    plan_notes(sw, spec, grids);
    if (!(sw->spec = normalise(sw, spec, isa_norm, sched.spec->name)))
        return ob_fail(err, errlen, "out of memory");
    return 0;
}

int ob_sweep_plan(const cJSON *spec, ob_sweep *sw, char *err, size_t errlen)
{
    memset(sw, 0, sizeof *sw);
    int rc = plan(spec, sw, err, errlen);
    if (rc) ob_sweep_free(sw);
    return rc;
}

void ob_sweep_free(ob_sweep *sw)
{
    for (size_t a = 0; a < sw->n_axes; a++) ob_sweep_axis_free(&sw->axes[a]);
    for (size_t i = 0; i < sw->n_runs; i++) free(sw->runs[i].key);
    free(sw->runs);
    free(sw->settings);
    free(sw->bases);
    cJSON_Delete(sw->spec);
    cJSON_Delete(sw->skipped);
    cJSON_Delete(sw->notes);
    memset(sw, 0, sizeof *sw);
}

void ob_sweep_describe(const ob_sweep *sw, const ob_sweep_setting *s, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t a = 0; a < sw->n_axes && used + 1 < len; a++)
        if (s->has[a])
            used += (size_t)snprintf(buf + used, len - used, "%s%s=%.4g", used ? " " : "", sw->axes[a].key,
                                     s->value[a]);
}
