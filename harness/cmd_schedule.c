/*
 * cmd_schedule.c — `optbench schedule`: the learning rate (and the
 * momentum or beta1 that onecycle cycles) in force at each step.
 */
#include <inttypes.h>
#include <math.h>

#include "harness/ob_cli.h"

static const ob_opt schedule_opts[] = {
    {"schedule", "NAME", OB_OPT_REQUIRED, "the schedule (see optbench list schedules)"},
    {"sched-set", "KEY=VALUE", OB_OPT_REPEAT, "set a schedule key"},
    {"lr", "LR", OB_OPT_REQUIRED, "the optimizer's learning rate (onecycle ignores it)"},
    {"steps", "N", OB_OPT_REQUIRED, "number of steps to print"},
    {"opt", "NAME", 0, "optimizer: names the cycled column (beta1 or momentum) and checks it"},
};

const ob_cmd_spec ob_cmd_schedule_spec = {
    "schedule",
    "--schedule NAME [--sched-set KEY=VALUE]... --lr LR --steps N [--opt NAME]",
    "print the learning rate in force at each step",
    "Output: CSV with a header line \"step,lr\", plus a third column (beta1 for the\n"
    "Adam family, momentum otherwise) when onecycle cycles momentum; one line per\n"
    "step t = 1..N, values with %.17g.  Step t uses the schedule's value after t-1\n"
    "calls of torch's scheduler.step(), so step 1 uses the initial value.\n",
    schedule_opts,
    sizeof schedule_opts / sizeof schedule_opts[0],
    0,
    0,
    ob_cmd_schedule,
};

int ob_cmd_schedule(int argc, char **argv, FILE *out, FILE *err)
{
    const ob_cmd_spec *c = &ob_cmd_schedule_spec;
    ob_args a;
    int rc = ob_args_parse(c, argc, argv, &a, out, err);
    if (rc == OB_ARGS_HELP) return OB_EXIT_OK;
    if (rc != OB_EXIT_OK) return rc;

    const ob_optimizer *o = NULL;
    ob_schedule s;
    double lr;
    uint64_t steps;
    size_t nsets;
    const char *const *sets = ob_args_all(&a, "sched-set", &nsets);
    const char *lr_s = ob_args_get(&a, "lr"), *steps_s = ob_args_get(&a, "steps");
    const char *cycled = "momentum";
    char msg[512];

    if (ob_args_has(&a, "opt") && !(o = ob_cli_optimizer(c, ob_args_get(&a, "opt"), err))) {
        rc = OB_EXIT_USAGE;
        goto done;
    }
    if (ob_parse_real(lr_s, &lr) != 0 || !isfinite(lr) || lr < 0) {
        rc = ob_usage_error(c, err, "--lr '%s' is not a finite number >= 0", lr_s);
        goto done;
    }
    if (ob_parse_u64(steps_s, &steps) != 0) {
        rc = ob_usage_error(c, err, "--steps '%s' is not a whole number >= 0", steps_s);
        goto done;
    }
    rc = ob_cli_schedule(c, ob_args_get(&a, "schedule"), sets, nsets, o, &s, err);
    if (rc != OB_EXIT_OK) goto done;
    if (o) {
        const ob_hparam_spec *key;
        ob_hparams h;
        ob_hparams_default(o, &h);
        h.lr = lr;
        if (ob_validate(o, &h, msg, sizeof msg) != 0) {
            rc = ob_usage_error(c, err, "%s", msg);
            goto done;
        }
        ob_schedule_cycled_key(&s, o, &key, msg, sizeof msg); /* checked by ob_cli_schedule */
        if (key) cycled = key->name;
    }

    /* Errors grow with t (onecycle past total_steps, an lr that overflows),
     * so checking the last step first means nothing is printed before an
     * error. */
    ob_sched_point p;
    if (steps > 0 && ob_schedule_at(&s, lr, steps, &p, msg, sizeof msg) != 0) {
        rc = ob_usage_error(c, err, "%s", msg);
        goto done;
    }
    if (ob_schedule_at(&s, lr, 1, &p, msg, sizeof msg) != 0) {
        rc = ob_usage_error(c, err, "%s", msg);
        goto done;
    }
    const int has_m = p.cycles_momentum;
    fprintf(out, "step,lr%s%s\n", has_m ? "," : "", has_m ? cycled : "");
    for (uint64_t t = 1; t <= steps; t++) {
        if (ob_schedule_at(&s, lr, t, &p, msg, sizeof msg) != 0) {
            rc = ob_usage_error(c, err, "%s", msg);
            goto done;
        }
        if (has_m) fprintf(out, "%" PRIu64 ",%.17g,%.17g\n", t, p.lr, p.momentum);
        else fprintf(out, "%" PRIu64 ",%.17g\n", t, p.lr);
    }
done:
    ob_args_free(&a);
    return rc;
}
