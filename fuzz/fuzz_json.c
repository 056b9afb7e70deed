/*
 * fuzz_json.c — the readers of optbench's JSON files: results.json
 * (ob_results_read, the version check), suite documents and the CI
 * baseline (ob_ci_baseline_read, then ob_ci_compare walking it).
 *
 * Input: the file.  Every reader either accepts it or fails with a message
 * naming it; whatever a reader accepts, the code that walks it must
 * survive.  A new reader of results or baselines is one row of `readers`.
 */
#include <string.h>
#include <unistd.h>

#include "harness/ci/ob_ci.h"
#include "harness/core/ob_core.h"
#include "harness/run/ob_run.h"
#include "ob_fuzz.h"

static void read_results(const char *path, const cJSON *root)
{
    (void)root;
    char err[1024];
    cJSON *r = ob_results_read(path, err, sizeof err);
    if (!r) {
        ob_fuzz_check_msg(err, sizeof err);
        OB_FUZZ_CHECK(strstr(err, path), "the message does not name the file: %s", err);
        return;
    }
    cJSON_Delete(r);
}

static void read_suite(const char *path, const cJSON *root)
{
    char err[1024];
    ob_suite s;
    if (ob_suite_from_json(root, path, &s, err, sizeof err) != 0) {
        ob_fuzz_check_msg(err, sizeof err);
        return;
    }
    ob_suite_free(&s);
}

static void read_ci_baseline(const char *path, const cJSON *root)
{
    (void)root;
    char err[1024];
    cJSON *b = ob_ci_baseline_read(path, err, sizeof err);
    if (!b) {
        ob_fuzz_check_msg(err, sizeof err);
        return;
    }
    /* The comparison walks every section of an accepted baseline, against
     * a real measurement (made once: it takes a tenth of a second). */
    static cJSON *measured;
    ob_ci_options opt;
    ob_ci_options_default(&opt);
    opt.speed = 0;
    if (!measured) measured = ob_ci_measure(&opt, 0, NULL, NULL, err, sizeof err);
    OB_FUZZ_CHECK(measured, "the CI measurement failed: %s", err);
    ob_check_list checks = {0};
    ob_ci_compare(measured, b, &opt, &checks);
    ob_checks_free(&checks);
    cJSON_Delete(b);
}

static void (*const readers[])(const char *path, const cJSON *root) = {
    read_results,
    read_suite,
    read_ci_baseline,
};

int ob_fuzz_json(const uint8_t *data, size_t size)
{
    char path[64], err[1024];
    int fd = ob_fuzz_file(data, size, path, sizeof path);
    if (fd < 0) return 0;
    cJSON *root = ob_json_read(path, err, sizeof err);
    if (!root) {
        ob_fuzz_check_msg(err, sizeof err);
        OB_FUZZ_CHECK(strstr(err, path), "the message does not name the file: %s", err);
        close(fd);
        return 0;
    }
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++) readers[i](path, root);
    cJSON_Delete(root);
    close(fd);
    return 0;
}

OB_FUZZ_ENTRY(ob_fuzz_json)
