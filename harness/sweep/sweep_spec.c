/*
 * sweep_spec.c — comparing a sweep's recorded specification (spec.json)
 * with the one a resumed sweep was given (see ob_sweep.h): both are the
 * normalised JSON that sweep.c plans from, so equal texts mean the same
 * plan, and the first difference is named.
 */
#include "ob_sweep.h"

#include <stdio.h>
#include <string.h>

#include "harness/core/ob_core.h"

static void value_text(const cJSON *v, const char *name, char *buf, size_t len)
{
    if (!v || cJSON_IsNull(v) || (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0)) {
        snprintf(buf, len, "no --%s", name);
    } else if (cJSON_IsString(v)) {
        snprintf(buf, len, "--%s '%s'", name, v->valuestring);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, len, "%s--%s", cJSON_IsTrue(v) ? "" : "no ", name);
    } else {
        size_t used = 0;
        const cJSON *s;
        buf[0] = '\0';
        cJSON_ArrayForEach(s, v) if (cJSON_IsString(s) && used + 1 < len) used += (size_t)snprintf(
            buf + used, len - used, "%s--%s '%s'", used ? " " : "", name, s->valuestring);
    }
}

int ob_sweep_spec_compare(const cJSON *recorded, const cJSON *given, char *err, size_t errlen)
{
    for (size_t k = 0; k < ob_sweep_spec_key_count; k++) {
        const char *name = ob_sweep_spec_keys[k].name;
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(recorded, name);
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(given, name);
        int rnull = !r || cJSON_IsNull(r), gnull = !g || cJSON_IsNull(g);
        if (rnull && gnull) continue;
        if (!rnull && !gnull && cJSON_Compare(r, g, 1)) continue;
        char rt[1024], gt[1024];
        value_text(r, name, rt, sizeof rt);
        value_text(g, name, gt, sizeof gt);
        return ob_fail(err, errlen, "recorded with %s, now %s", rt, gt);
    }
    return 0;
}
