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

/* `compare` of two results sets A (before) and B (after), checks into out
 * (compare_results.c).  Returns the number of cases whose settings differ
 * between A and B, described in diff ("id (hparams.lr 0.01 -> 0.02); ...",
 * truncated to difflen); with allow_different those are listed as skipped
 * "settings" checks, otherwise the caller refuses the comparison. */
size_t ci_compare_results(const cJSON *A, const cJSON *B, int allow_different, ob_check_list *out, char *diff,
                          size_t difflen);

#endif
