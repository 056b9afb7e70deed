/*
 * fuzz_schedule.c — schedules with key=value sets (ob_schedule_parse) and
 * their evaluation.
 *
 * Input: lines; the first is the schedule's name, each further line one
 * "key=value" (at most 16).  A failure says why and leaves the output
 * untouched; a success stores every key inside its range, and evaluating
 * it at any step either fails with a message or gives a finite lr (and,
 * applied to each optimizer, hyperparameters that validate or a message).
 */
#include <math.h>
#include <string.h>

#include "harness/core/ob_core.h"
#include "ob_fuzz.h"

int ob_fuzz_schedule(const uint8_t *data, size_t size)
{
    char *text = ob_fuzz_cstr(data, size);
    const char *lines[17];
    size_t n = 0;
    for (char *p = text, *save = NULL, *tok; n < 17 && (tok = strtok_r(p, "\n", &save)); p = NULL)
        lines[n++] = tok;
    const char *name = n ? lines[0] : NULL;
    ob_schedule s, before;
    memset(&s, 0xa5, sizeof s);
    before = s;
    char err[512];
    if (ob_schedule_parse(name, n ? lines + 1 : NULL, n ? n - 1 : 0, &s, err, sizeof err) != 0) {
        ob_fuzz_check_msg(err, sizeof err);
        OB_FUZZ_CHECK(!memcmp(&s, &before, sizeof s), "a rejected schedule changed its output");
        free(text);
        return 0;
    }
    for (size_t k = 0; k < s.spec->n_keys; k++) {
        const ob_sched_key *key = &s.spec->keys[k];
        double v = s.v[k];
        OB_FUZZ_CHECK(isfinite(v), "%s: %s = %g", s.spec->name, key->name, v);
        if (key->kind == OB_SK_REAL || key->kind == OB_SK_INT)
            OB_FUZZ_CHECK((key->lo_open ? v > key->lo : v >= key->lo) &&
                              (key->hi_open ? v < key->hi : v <= key->hi),
                          "%s: %s = %g is outside its range", s.spec->name, key->name, v);
        if (key->kind == OB_SK_INT)
            OB_FUZZ_CHECK(v == floor(v), "%s: %s = %g is no integer", s.spec->name, key->name, v);
    }
    static const uint64_t steps[] = {1, 2, 3, 7, 100, 1000, 123457, (uint64_t)1 << 40};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ob_sched_point pt;
        if (ob_schedule_at(&s, 0.01, steps[i], &pt, err, sizeof err) != 0) {
            ob_fuzz_check_msg(err, sizeof err);
            continue;
        }
        OB_FUZZ_CHECK(isfinite(pt.lr), "%s at step %llu: lr = %g", s.spec->name, (unsigned long long)steps[i],
                      pt.lr);
        for (size_t oi = 0; oi < ob_optimizer_count; oi++) {
            const ob_optimizer *o = ob_optimizer_table[oi];
            ob_hparams base, h;
            ob_hparams_default(o, &base);
            if (ob_schedule_apply(&s, o, &base, steps[i], &h, err, sizeof err) != 0) {
                ob_fuzz_check_msg(err, sizeof err);
                continue;
            }
            if (ob_validate(o, &h, err, sizeof err) != 0) ob_fuzz_check_msg(err, sizeof err);
        }
    }
    free(text);
    return 0;
}

OB_FUZZ_ENTRY(ob_fuzz_schedule)
