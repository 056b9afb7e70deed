/*
 * fuzz_suite.c — suite files (ob_suite_load: the JSON reader and
 * ob_suite_from_json).
 *
 * Input: the file.  A failure names the file; a success expands to at
 * least one case, each with a known problem and optimizer, at least one
 * step and hyperparameters that validate.
 */
#include <string.h>
#include <unistd.h>

#include "harness/run/ob_run.h"
#include "ob_fuzz.h"

int ob_fuzz_suite(const uint8_t *data, size_t size)
{
    char path[64], err[1024];
    int fd = ob_fuzz_file(data, size, path, sizeof path);
    if (fd < 0) return 0;
    ob_suite s;
    if (ob_suite_load(path, &s, err, sizeof err) != 0) {
        ob_fuzz_check_msg(err, sizeof err);
        OB_FUZZ_CHECK(strstr(err, path), "the message does not name the file: %s", err);
        close(fd);
        return 0;
    }
    OB_FUZZ_CHECK(s.n >= 1, "a suite with no cases was accepted");
    for (size_t i = 0; i < s.n; i++) {
        const ob_case *c = &s.cases[i];
        OB_FUZZ_CHECK(c->problem && c->opt && c->steps >= 1 && c->n_pparams <= OB_MAX_PROBLEM_PARAMS,
                      "case %zu is incomplete", i);
        OB_FUZZ_CHECK(ob_validate(c->opt, &c->h, err, sizeof err) == 0, "case %zu: %s", i, err);
        for (size_t k = 0; k < c->n_pparams; k++)
            OB_FUZZ_CHECK(memchr(c->pparams[k], '\0', sizeof c->pparams[k]),
                          "case %zu: parameter %zu unterminated", i, k);
    }
    ob_suite_free(&s);
    close(fd);
    return 0;
}

OB_FUZZ_ENTRY(ob_fuzz_suite)
