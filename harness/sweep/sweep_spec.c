/*
 * sweep_spec.c — comparing a sweep's recorded specification (spec.json)
 * with the one a resumed sweep was given (see ob_sweep.h): both are the
 * normalised JSON that sweep.c plans from, so equal texts mean the same
 * plan, and the first difference is named; and reading and writing
 * spec.json.
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

/* The specification recorded in DIR/sweep/spec.json (NULL with a message). */
cJSON *ob_sweep_spec_read(const char *path, char *err, size_t errlen)
{
    cJSON *root = ob_json_read(path, err, errlen);
    if (!root) return NULL;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    cJSON *spec = cJSON_DetachItemFromObjectCaseSensitive(root, "spec");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, OB_SWEEP_SPEC_FORMAT) != 0 || !cJSON_IsNumber(ver) ||
        ver->valuedouble != OB_SWEEP_VERSION || !cJSON_IsObject(spec)) {
        snprintf(err, errlen, "%s is not a sweep specification of version %d (\"format\": \"%s\")", path,
                 OB_SWEEP_VERSION, OB_SWEEP_SPEC_FORMAT);
        cJSON_Delete(spec);
        spec = NULL;
    }
    cJSON_Delete(root);
    return spec;
}

int ob_sweep_spec_write(const char *path, const cJSON *spec, char *err, size_t errlen)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", OB_SWEEP_SPEC_FORMAT);
    cJSON_AddNumberToObject(root, "version", OB_SWEEP_VERSION);
    cJSON_AddItemToObject(root, "spec", cJSON_Duplicate(spec, 1));
    int rc = ob_json_write(path, root, err, errlen);
    cJSON_Delete(root);
    return rc;
}
