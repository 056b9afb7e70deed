/*
 * suite.c — suite files and the default suite (both JSON, one parser).
 */
#include "ob_run.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/ob_core.h"

/* The default suite: every optimizer on a representative set of problems
 * (a valley, a multi-modal function, ill-conditioned and rotated
 * quadratics, a noisy quadratic, a drifting optimum, sparse logistic
 * regression, a real data set and the AMSGrad counterexample), plus SGD
 * and Adam with SAM (rho = 0.05) beside their plain runs on the DeepOBS
 * quadratic, and Adam with fp16 gradients on the diagonal quadratic
 * (its gradients of up to 100 overflow fp16 at the initial loss scale
 * 2^16: the first 7 steps are skipped while the scale falls to 2^9).  Learning rates are per optimizer where one rate does not
 * suit all. */
const char ob_default_suite_json[] =
    "{\"cases\": ["
    "{\"problem\": \"mgh_rosenbrock\", \"steps\": 3000,"
    " \"lr\": {\"sgd\": 1e-3, \"adagrad\": 0.5, \"rmsprop\": 1e-3, \"*\": 0.02,"
    "          \"nadam\": 0.03, \"radam\": 3e-3, \"adamax\": 0.3, \"lion\": 1e-3},"
    " \"set\": {\"sgd\": [\"momentum=0.9\"]}},"
    "{\"problem\": \"mgh_beale\", \"steps\": 2000,"
    " \"lr\": {\"sgd\": 1e-3, \"adagrad\": 0.2, \"rmsprop\": 1e-3, \"*\": 0.01,"
    "          \"nadam\": 0.03, \"radam\": 0.03, \"adamax\": 0.1, \"lion\": 1e-3},"
    " \"set\": {\"sgd\": [\"momentum=0.9\"]}},"
    "{\"problem\": \"himmelblau\", \"steps\": 1000,"
    " \"lr\": {\"sgd\": 5e-3, \"adagrad\": 0.5, \"rmsprop\": 0.01, \"*\": 0.05,"
    "          \"nadam\": 0.1, \"radam\": 0.03, \"adamax\": 0.1, \"lion\": 0.01}},"
    "{\"problem\": \"rastrigin\", \"steps\": 1000,"
    " \"lr\": {\"sgd\": 1e-3, \"adagrad\": 0.1, \"rmsprop\": 1e-3, \"*\": 0.01}},"
    "{\"problem\": \"quad_diag\", \"steps\": 2000, \"n\": 100, \"params\": [\"cond=100\"],"
    " \"lr\": {\"sgd\": 0.009, \"adagrad\": 0.5, \"rmsprop\": 0.01, \"*\": 0.05,"
    "          \"nadam\": 0.03, \"radam\": 0.03, \"adamax\": 0.03, \"lion\": 0.01},"
    " \"set\": {\"sgd\": [\"momentum=0.9\"]}},"
    "{\"problem\": \"quad_diag\", \"steps\": 2000, \"n\": 100, \"params\": [\"cond=100\"],"
    " \"optimizers\": [\"adam\"], \"lr\": 0.05, \"format\": \"fp16-grads\"},"
    "{\"problem\": \"quadratic_deep\", \"steps\": 1000,"
    " \"lr\": {\"sgd\": 0.01, \"adagrad\": 0.5, \"rmsprop\": 0.01, \"*\": 0.05,"
    "          \"nadam\": 0.03, \"radam\": 0.03, \"adamax\": 0.1, \"lion\": 3e-3}},"
    "{\"problem\": \"quadratic_deep\", \"steps\": 1000, \"optimizers\": [\"sgd\", \"adam\"],"
    " \"lr\": {\"sgd\": 0.01, \"*\": 0.05}, \"set\": {\"*\": [\"sam_rho=0.05\"]}},"
    "{\"problem\": \"nqm\", \"steps\": 1000,"
    " \"lr\": {\"sgd\": 0.5, \"adagrad\": 0.1, \"rmsprop\": 1e-3, \"*\": 0.01,"
    "          \"nadam\": 0.01, \"radam\": 0.03, \"adamax\": 0.03, \"lion\": 3e-3}},"
    "{\"problem\": \"drifting_quadratic\", \"steps\": 2000,"
    " \"lr\": {\"sgd\": 0.05, \"adagrad\": 0.5, \"rmsprop\": 0.01, \"*\": 0.05,"
    "          \"nadam\": 0.03, \"radam\": 0.1, \"adamax\": 0.1, \"lion\": 0.01}},"
    "{\"problem\": \"sparse_logreg\", \"steps\": 500,"
    " \"lr\": {\"sgd\": 0.5, \"adagrad\": 0.1, \"rmsprop\": 1e-3, \"*\": 0.01,"
    "          \"nadam\": 0.03, \"radam\": 0.1, \"adamax\": 0.3, \"lion\": 3e-3}},"
    "{\"problem\": \"heart_logreg\", \"steps\": 1000,"
    " \"lr\": {\"sgd\": 0.1, \"adagrad\": 0.1, \"rmsprop\": 1e-3, \"*\": 0.01,"
    "          \"nadam\": 0.03, \"radam\": 0.1, \"adamax\": 0.3, \"lion\": 3e-3}},"
    "{\"problem\": \"amsgrad_thm1\", \"steps\": 3000,"
    " \"lr\": 0.1, \"optimizers\": [\"adam\", \"amsgrad\", \"sgd\", \"adagrad\", \"rmsprop\", \"adamw\","
    "                   \"nadam\", \"radam\", \"adamax\", \"lion\"],"
    " \"set\": {\"adam\": [\"beta1=0\", \"beta2=0.1\"], \"amsgrad\": [\"beta1=0\", \"beta2=0.1\"],"
    "          \"nadam\": [\"beta1=0\", \"beta2=0.1\"], \"radam\": [\"beta1=0\", \"beta2=0.1\"],"
    "          \"adamax\": [\"beta1=0\", \"beta2=0.1\"],"
    "          \"adamw\": [\"beta1=0\", \"beta2=0.1\", \"weight_decay=0\"]},"
    " \"schedule\": \"inv_sqrt\"}"
    "]}";

/* An array of strings (or absent); *n = its length. */
static int string_array(const cJSON *a, const char **out, size_t max, size_t *n, const char *where,
                        const char *key, char *err, size_t errlen)
{
    *n = 0;
    if (!a) return 0;
    if (!cJSON_IsArray(a)) return ob_fail(err, errlen, "%s: \"%s\" must be an array of strings", where, key);
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsString(it)) return ob_fail(err, errlen, "%s: \"%s\" must hold strings", where, key);
        if (*n >= max) return ob_fail(err, errlen, "%s: \"%s\" has more than %zu entries", where, key, max);
        out[(*n)++] = it->valuestring;
    }
    return 0;
}

static int get_uint(const cJSON *e, const char *key, double lo, double hi, double *out, const char *where,
                    char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble < lo || v->valuedouble > hi)
        return ob_fail(err, errlen, "%s: \"%s\" must be an integer in [%g, %g]", where, key, lo, hi);
    *out = v->valuedouble;
    return 1;
}

#define MAX_SETS 32

/* Expands one entry into cases appended to s. */
/* The case an entry's keys describe, before its optimizer and
 * hyperparameters (checks the keys, the problem, its configuration and the
 * schedule). */
static int entry_base(const cJSON *e, const char *where, ob_case *base_out, char *err, size_t errlen)
{
    static const char *const known[] = {"problem",   "steps", "optimizers", "lr",   "set",    "schedule",
                                        "sched_set", "n",     "batch",      "seed", "params", "format", NULL};
    if (!cJSON_IsObject(e)) return ob_fail(err, errlen, "%s: each case must be an object", where);
    for (const cJSON *k = e->child; k; k = k->next) {
        int ok = 0;
        for (size_t i = 0; known[i]; i++) ok |= !strcmp(k->string, known[i]);
        if (!ok) return ob_fail(err, errlen, "%s: unknown key \"%s\"", where, k->string);
    }
    const cJSON *pn = cJSON_GetObjectItemCaseSensitive(e, "problem");
    if (!cJSON_IsString(pn)) return ob_fail(err, errlen, "%s: \"problem\" (a name) is required", where);
    const ob_problem_spec *ps = ob_problem_find(pn->valuestring);
    if (!ps)
        return ob_fail(err, errlen, "%s: unknown problem '%s' (see optbench list)", where, pn->valuestring);
    ob_case base;
    memset(&base, 0, sizeof base);
    base.problem = ps;
    base.steps = ps->default_steps ? ps->default_steps : 1000;
    base.threads = 1;
    base.isa_mask = 0;
    double v;
    int r;
    if ((r = get_uint(e, "steps", 1, 1e12, &v, where, err, errlen)) < 0) return -1;
    if (r) base.steps = (uint64_t)v;
    if ((r = get_uint(e, "n", 1, 1e12, &v, where, err, errlen)) < 0) return -1;
    if (r) base.n = (size_t)v;
    if ((r = get_uint(e, "batch", 1, 1e9, &v, where, err, errlen)) < 0) return -1;
    if (r) base.batch = (size_t)v;
    if ((r = get_uint(e, "seed", 0, 9007199254740992.0, &v, where, err, errlen)) < 0) return -1;
    if (r) base.seed = (uint64_t)v;
    const char *pp[OB_MAX_PROBLEM_PARAMS];
    if (string_array(cJSON_GetObjectItemCaseSensitive(e, "params"), pp, OB_MAX_PROBLEM_PARAMS,
                     &base.n_pparams, where, "params", err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < base.n_pparams; k++) {
        if (strlen(pp[k]) >= sizeof base.pparams[k])
            return ob_fail(err, errlen, "%s: parameter '%.40s...' is too long", where, pp[k]);
        snprintf(base.pparams[k], sizeof base.pparams[k], "%s", pp[k]);
    }
    const char *ssets[MAX_SETS];
    size_t nss;
    if (string_array(cJSON_GetObjectItemCaseSensitive(e, "sched_set"), ssets, MAX_SETS, &nss, where,
                     "sched_set", err, errlen) != 0)
        return -1;
    const cJSON *sn = cJSON_GetObjectItemCaseSensitive(e, "schedule");
    if (sn && !cJSON_IsString(sn)) return ob_fail(err, errlen, "%s: \"schedule\" must be a name", where);
    char msg[512];
    if (ob_schedule_parse(sn ? sn->valuestring : NULL, ssets, nss, &base.sched, msg, sizeof msg) != 0)
        return ob_fail(err, errlen, "%s: %s", where, msg);
    const cJSON *fm = cJSON_GetObjectItemCaseSensitive(e, "format");
    if (fm && !cJSON_IsString(fm))
        return ob_fail(err, errlen, "%s: \"format\" must be a storage format's name", where);
    if (fm && ob_format_parse(fm->valuestring, &base.format, msg, sizeof msg) != 0)
        return ob_fail(err, errlen, "%s: %s", where, msg);
    *base_out = base;
    return 0;
}

/* The entry's optimizers (all when it names none) and the checks of its
 * "lr" and "set" against them. */
static int entry_optimizers(const cJSON *e, const char *where, const ob_optimizer **opts, size_t *nopt_out,
                            char *err, size_t errlen)
{
    size_t nopt = 0;
    const cJSON *ol = cJSON_GetObjectItemCaseSensitive(e, "optimizers");
    if (ol) {
        const char *names[64];
        if (string_array(ol, names, 64, &nopt, where, "optimizers", err, errlen) != 0) return -1;
        /* An empty list would expand to no case at all, silently. */
        if (nopt == 0) return ob_fail(err, errlen, "%s: \"optimizers\" is empty", where);
        for (size_t i = 0; i < nopt; i++)
            if (!(opts[i] = ob_optimizer_find(names[i])))
                return ob_fail(err, errlen, "%s: unknown optimizer '%s' (see optbench list)", where,
                               names[i]);
    } else {
        for (size_t i = 0; i < ob_optimizer_count && i < 64; i++) opts[nopt++] = ob_optimizer_table[i];
    }
    const cJSON *lr = cJSON_GetObjectItemCaseSensitive(e, "lr");
    if (lr && !cJSON_IsNumber(lr) && !cJSON_IsObject(lr))
        return ob_fail(err, errlen, "%s: \"lr\" must be a number or an object of numbers by optimizer",
                       where);
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(e, "set");
    if (set && !cJSON_IsArray(set) && !cJSON_IsObject(set))
        return ob_fail(err, errlen,
                       "%s: \"set\" must be an array of key=value or an object of them by optimizer", where);
    /* Object keys must name optimizers of this entry (or "*"). */
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *obj = pass ? set : lr;
        if (!cJSON_IsObject(obj)) continue;
        for (const cJSON *k = obj->child; k; k = k->next) {
            int ok = !strcmp(k->string, "*");
            for (size_t i = 0; i < nopt; i++) ok |= !strcmp(k->string, opts[i]->name);
            if (!ok)
                return ob_fail(err, errlen, "%s: \"%s\" names '%s', which is not an optimizer of this case",
                               where, pass ? "set" : "lr", k->string);
        }
    }
    *nopt_out = nopt;
    return 0;
}

/* Room for `more` cases after the s->n there are: the capacity doubles, so
 * a suite of n cases costs O(n) copying in all, not one realloc per entry;
 * and a suite past OB_SUITE_MAX_CASES is refused before it is allocated. */
static int reserve(ob_suite *s, size_t *cap, size_t more, const char *where, char *err, size_t errlen)
{
    if (more > OB_SUITE_MAX_CASES - s->n)
        return ob_fail(err, errlen,
                       "%s: the suite expands to more than %d cases (%zu so far, this entry adds %zu); split it "
                       "into several runs",
                       where, OB_SUITE_MAX_CASES, s->n, more);
    if (s->n + more <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < s->n + more) c *= 2;
    ob_case *grown = realloc(s->cases, c * sizeof *grown);
    if (!grown) return ob_fail(err, errlen, "%s: out of memory for %zu cases", where, c);
    s->cases = grown;
    *cap = c;
    return 0;
}

static int expand_entry(const cJSON *e, const char *where, ob_suite *s, size_t *cap, char *err, size_t errlen)
{
    ob_case base;
    const ob_optimizer *opts[64];
    size_t nopt = 0;
    char msg[512];
    if (entry_base(e, where, &base, err, errlen) != 0 ||
        entry_optimizers(e, where, opts, &nopt, err, errlen) != 0)
        return -1;
    const ob_problem_spec *ps = base.problem;
    const cJSON *lr = cJSON_GetObjectItemCaseSensitive(e, "lr");
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(e, "set");
    if (reserve(s, cap, nopt, where, err, errlen) != 0) return -1;
    for (size_t i = 0; i < nopt; i++) {
        ob_case c = base;
        c.opt = opts[i];
        ob_hparams_default(c.opt, &c.h);
        c.h.lr = ps->default_lr > 0 ? ps->default_lr : c.h.lr;
        const cJSON *l = NULL;
        if (cJSON_IsNumber(lr)) l = lr;
        else if (lr) {
            l = cJSON_GetObjectItemCaseSensitive(lr, c.opt->name);
            if (!l) l = cJSON_GetObjectItemCaseSensitive(lr, "*");
        }
        if (l) {
            if (!cJSON_IsNumber(l)) return ob_fail(err, errlen, "%s: learning rates must be numbers", where);
            c.h.lr = l->valuedouble;
        }
        const cJSON *sl = NULL;
        if (cJSON_IsArray(set)) sl = set;
        else if (set) {
            sl = cJSON_GetObjectItemCaseSensitive(set, c.opt->name);
            if (!sl) sl = cJSON_GetObjectItemCaseSensitive(set, "*");
        }
        const char *sets[MAX_SETS];
        size_t nsets;
        if (string_array(sl, sets, MAX_SETS, &nsets, where, "set", err, errlen) != 0) return -1;
        for (size_t k = 0; k < nsets; k++)
            if (ob_hparam_set(c.opt, &c.h, sets[k], msg, sizeof msg) != 0)
                return ob_fail(err, errlen, "%s: %s", where, msg);
        if (ob_validate(c.opt, &c.h, msg, sizeof msg) != 0) return ob_fail(err, errlen, "%s: %s", where, msg);
        const ob_hparam_spec *key;
        if (ob_schedule_cycled_key(&c.sched, c.opt, &key, msg, sizeof msg) != 0)
            return ob_fail(err, errlen, "%s: %s", where, msg);
        s->cases[s->n++] = c;
    }
    return 0;
}

int ob_suite_from_json(const cJSON *root, const char *origin, ob_suite *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    const cJSON *cases = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "cases") : NULL;
    if (!cJSON_IsArray(cases) || cJSON_GetArraySize(cases) == 0)
        return ob_fail(err, errlen, "%s: expected an object with a non-empty \"cases\" array", origin);
    int idx = 0;
    size_t cap = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cases)
    {
        char where[512];
        /* SIGINT / SIGTERM (when the command has installed the handlers,
         * ob_interrupt.h) stop a long expansion between entries. */
        if (ob_interrupted()) {
            ob_suite_free(s);
            return ob_fail(err, errlen, "%s: interrupted by %s while expanding the suite (at entry %d)", origin,
                           ob_interrupt_name(ob_interrupted()), idx + 1);
        }
        const cJSON *pn = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "problem") : NULL;
        snprintf(where, sizeof where, "%s: case %d%s%s%s", origin, idx + 1, cJSON_IsString(pn) ? " (" : "",
                 cJSON_IsString(pn) ? pn->valuestring : "", cJSON_IsString(pn) ? ")" : "");
        if (expand_entry(e, where, s, &cap, err, errlen) != 0) {
            ob_suite_free(s);
            return -1;
        }
        idx++;
    }
    return 0;
}

int ob_suite_load(const char *path, ob_suite *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    cJSON *root = ob_json_read(path, err, errlen);
    if (!root) return -1;
    int rc = ob_suite_from_json(root, path, s, err, errlen);
    cJSON_Delete(root);
    return rc;
}

int ob_suite_default(ob_suite *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    cJSON *root = cJSON_Parse(ob_default_suite_json);
    if (!root) return ob_fail(err, errlen, "the built-in default suite is not valid JSON");
    /* Suite files get this check from ob_json_read; the built-in text is
     * held to the same rule (cJSON keeps a second key, lookups the first). */
    int rc = ob_json_check_keys(root, "the built-in default suite", err, errlen);
    if (rc == 0) rc = ob_suite_from_json(root, "default suite", s, err, errlen);
    cJSON_Delete(root);
    return rc;
}

void ob_suite_free(ob_suite *s)
{
    free(s->cases);
    s->cases = NULL;
    s->n = 0;
}

/* How many instances a case gets. */
static uint64_t instances_of(const ob_case *c, uint64_t k, uint64_t k_data)
{
    ob_instance_kind kind = ob_problem_instance_kind(c->problem);
    return kind == OB_INSTANCE_NONE ? 1 : kind == OB_INSTANCE_SEED ? k_data : k;
}

int ob_suite_instances(ob_suite *s, uint64_t k, uint64_t k_data, char *err, size_t errlen)
{
    if (k <= 1 && k_data <= 1) return 0;
    size_t total = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t m = instances_of(&s->cases[i], k, k_data);
        if (m > OB_SUITE_MAX_CASES || total + m > OB_SUITE_MAX_CASES)
            return ob_fail(err, errlen, "--instances %llu: more than the %d cases one run may hold",
                           (unsigned long long)(k > k_data ? k : k_data), OB_SUITE_MAX_CASES);
        total += (size_t)m;
    }
    ob_case *all = calloc(total, sizeof *all);
    if (!all) return ob_fail(err, errlen, "out of memory for %zu cases", total);
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t kk = instances_of(&s->cases[i], k, k_data);
        for (uint64_t j = 0; j < kk; j++) {
            all[m] = s->cases[i];
            all[m++].instance = j;
        }
    }
    free(s->cases);
    s->cases = all;
    s->n = total;
    return 0;
}
