/*
 * ci_internal.h — what the ci area's command files (cmd_ci.c,
 * cmd_compare.c) share beyond ob_ci.h.  Not part of the public API (that
 * is ob_ci.h).
 */
#ifndef OB_CI_INTERNAL_H
#define OB_CI_INTERNAL_H

#include <stdio.h>

#include "harness/core/ob_args.h"
#include "ob_ci.h"

/* --speed-alpha and --speed-effect, which `ci` and `compare` both take,
 * into opt (absent: opt keeps its value).  OB_EXIT_OK, or OB_EXIT_USAGE
 * with the message on err. */
int ci_parse_speed_options(const ob_cmd_spec *c, const ob_args *a, ob_ci_options *opt, FILE *err);

#endif
