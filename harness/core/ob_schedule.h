/*
 * ob_schedule.h — learning-rate schedules, following
 * torch.optim.lr_scheduler exactly (torch 2.x, lr_scheduler.py).
 *
 * One table (ob_schedule_table) lists every schedule: its name, the torch
 * class it mirrors, its keys with defaults and valid ranges, and the
 * function that computes the value.  Parsing, validation, `optbench list`
 * and `optbench schedule` are all driven by that table; no code elsewhere
 * names a schedule.
 *
 * Convention.  The optimizer's step t (1-based) uses the schedule's value at
 * scheduler epoch e = t - 1, i.e. after t - 1 calls of scheduler.step().
 * That is torch's order (optimizer.step() then scheduler.step()), so step 1
 * uses the initial value.  Values come from torch's closed forms
 * (_get_closed_form_lr), computed in double once per step; torch's default
 * recursive (chainable) form agrees with them to rounding.
 *
 * OneCycleLR ignores the optimizer's lr (initial = max_lr / div_factor) and,
 * unless cycle_momentum = 0, also cycles beta1 (optimizers with a "beta1"
 * hyperparameter: the Adam family) or else "momentum" (SGD, RMSprop) in the
 * opposite direction to the lr, as torch does for optimizers whose defaults
 * have "betas" or "momentum".  An optimizer with neither is an error (torch
 * raises ValueError).  A step past total_steps is an error, as in torch
 * ("Tried to step ... times").
 */
#ifndef OB_SCHEDULE_H
#define OB_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "optbench/optimizers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ob_sched_kind {
    OB_SK_REAL, /* a finite double */
    OB_SK_INT,  /* an integer (stored exactly in the double, <= 2^53) */
    OB_SK_BOOL, /* 0, 1, false, true */
    OB_SK_ENUM  /* one of `choices`; stored as the index */
} ob_sched_kind;

typedef struct ob_sched_key {
    const char *name; /* torch's argument name */
    ob_sched_kind kind;
    int required;               /* 1: torch has no default, the user must set it */
    double def;                 /* default (ignored when required) */
    double lo, hi;              /* valid range (OB_SK_REAL, OB_SK_INT) */
    int lo_open, hi_open;       /* 1: the bound itself is excluded */
    const char *const *choices; /* OB_SK_ENUM: NULL-terminated names */
    const char *doc;
} ob_sched_key;

#define OB_SCHED_MAX_KEYS 12

typedef struct ob_schedule ob_schedule;

/* The value of a schedule at one scheduler epoch. */
typedef struct ob_sched_point {
    double lr;
    int cycles_momentum; /* 1: `momentum` below replaces beta1 / momentum */
    double momentum;
} ob_sched_point;

typedef struct ob_schedule_spec {
    const char *name;    /* "cosine" */
    const char *torch;   /* "CosineAnnealingLR" */
    const char *formula; /* the closed form, for `optbench list` */
    const ob_sched_key *keys;
    size_t n_keys;
    /* Rules across keys, after every key is in range; 0 or -1 with a
     * message.  NULL: none. */
    int (*check)(const ob_schedule *s, char *err, size_t errlen);
    /* The value at scheduler epoch e (0-based) for an optimizer lr base_lr;
     * 0, or -1 with a message. */
    int (*eval)(const ob_schedule *s, double base_lr, uint64_t e, ob_sched_point *out, char *err,
                size_t errlen);
} ob_schedule_spec;

/* A parsed schedule: the spec and the value of every key (by index). */
struct ob_schedule {
    const ob_schedule_spec *spec;
    double v[OB_SCHED_MAX_KEYS];
};

extern const ob_schedule_spec *const ob_schedule_table[];
extern const size_t ob_schedule_count;

/* Looks a schedule up by name; NULL if unknown. */
const ob_schedule_spec *ob_schedule_find(const char *name);

/* Parses schedule `name` (NULL: "constant") with the "key=value" strings in
 * sets (later ones win).  Unknown names and keys, values that are not
 * numbers (or not integers, booleans, choices), NaN, Inf and out-of-range
 * values are errors naming the key, the value and the valid range; so is a
 * required key left unset.  Returns 0, or -1 with a message (out untouched). */
int ob_schedule_parse(const char *name, const char *const *sets, size_t nsets, ob_schedule *out, char *err,
                      size_t errlen);

/* The value of the schedule at the optimizer's step t (1-based), i.e. at
 * scheduler epoch t - 1, for an optimizer lr base_lr.  Errors: t == 0, and
 * t > total_steps for onecycle. */
int ob_schedule_at(const ob_schedule *s, double base_lr, uint64_t t, ob_sched_point *out, char *err,
                   size_t errlen);

/* The hyperparameter the schedule cycles for optimizer o ("beta1" or
 * "momentum"), or NULL when it cycles none.  Returns 0, or -1 with a
 * message when the schedule cycles momentum and o has neither key. */
int ob_schedule_cycled_key(const ob_schedule *s, const ob_optimizer *o, const ob_hparam_spec **key, char *err,
                           size_t errlen);

/* The hyperparameters in force at step t (1-based): *base with lr replaced
 * by the schedule's value and, when onecycle cycles momentum, beta1 or
 * momentum replaced too.  out may alias base.  Returns 0, or -1 with a
 * message (out untouched). */
int ob_schedule_apply(const ob_schedule *s, const ob_optimizer *o, const ob_hparams *base, uint64_t t,
                      ob_hparams *out, char *err, size_t errlen);

/* Formats a key's valid range ("(0, inf)", "integer >= 1", "cos | linear",
 * "0, 1, false or true") and its default ("0.1", "cos", "required"). */
void ob_sched_key_range(const ob_sched_key *k, char *buf, size_t len);
void ob_sched_key_default(const ob_sched_key *k, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
