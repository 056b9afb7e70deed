/*
 * fuzz_hparam.c — `--set key=value` (ob_hparam_set) for every optimizer.
 *
 * Input: byte 0 picks the optimizer; the rest is the assignment.  For
 * every input: a failure leaves the hyperparameters untouched and says
 * why; a success stores a value inside the key's valid range (never NaN
 * or Inf) and changes nothing else.
 */
#include <math.h>
#include <string.h>

#include "optbench/optimizers.h"
#include "ob_fuzz.h"

int ob_fuzz_hparam(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const ob_optimizer *o = ob_optimizer_table[data[0] % ob_optimizer_count];
    char *a = ob_fuzz_cstr(data + 1, size - 1);
    ob_hparams h, before;
    ob_hparams_default(o, &h);
    before = h;
    char err[256];
    memset(err, 0x55, sizeof err);
    if (ob_hparam_set(o, &h, a, err, sizeof err) != 0) {
        ob_fuzz_check_msg(err, sizeof err);
        OB_FUZZ_CHECK(!memcmp(&h, &before, sizeof h), "%s: a rejected '%s' changed the hyperparameters",
                      o->name, a);
        free(a);
        return 0;
    }
    const char *eq = strchr(a, '=');
    OB_FUZZ_CHECK(eq && eq != a, "%s: '%s' accepted without key=value", o->name, a);
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - a), a);
    const ob_hparam_spec *sp = ob_hparam_find(o, key);
    OB_FUZZ_CHECK(sp, "%s: '%s' accepted for an unknown key", o->name, a);
    double v = ob_hparam_get(&h, sp);
    OB_FUZZ_CHECK(isfinite(v) && (sp->lo_open ? v > sp->lo : v >= sp->lo) &&
                      (sp->hi_open ? v < sp->hi : v <= sp->hi),
                  "%s: '%s' stored %g, outside the range of %s", o->name, a, v, sp->name);
    /* Nothing but the key changed. */
    ob_hparam_put(&h, sp, ob_hparam_get(&before, sp));
    OB_FUZZ_CHECK(!memcmp(&h, &before, sizeof h), "%s: '%s' changed another hyperparameter", o->name, a);
    free(a);
    return 0;
}

OB_FUZZ_ENTRY(ob_fuzz_hparam)
