/*
 * targets.c — the table of fuzz targets, for the replay test.
 */
#include "ob_fuzz.h"

const ob_fuzz_target ob_fuzz_targets[] = {
    {"hparam", ob_fuzz_hparam},   {"schedule", ob_fuzz_schedule}, {"suite", ob_fuzz_suite},
    {"numfile", ob_fuzz_numfile}, {"json", ob_fuzz_json},         {"diff", ob_fuzz_diff},
    {"mixed", ob_fuzz_mixed},     {"q8", ob_fuzz_q8},
};
const size_t ob_fuzz_target_count = sizeof ob_fuzz_targets / sizeof ob_fuzz_targets[0];
