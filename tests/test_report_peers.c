/*
 * test_report_peers.c — the peer comparison of the report's throughput
 * finding (report_throughput.c, peer_finding): every peer row is divided by
 * optbench's fastest exact fp32 kernel of the same optimizer, size and
 * thread count, never by an approximate variant, a storage format or a
 * row of another size or thread count; the ratios are given per peer and
 * per thread count, and a thread count whose cores were not all free (by
 * the divider probe or the load average) is named.  A hand-made bench.csv
 * and bench.json in the documented formats (no `optbench run`, no
 * figures: well under a second).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/ob_cli.h"
#include "tests/common/ob_test_proc.h"

/* Adam and SGD at 4Ki and 1Mi; the numbers are chosen so that each wrong
 * pairing gives a ratio of its own:
 *   torch adam 4Ki 1 thread  8.0 / 0.8 (avx512 exact) = 10, not 8.0/0.4
 *       (approx), 8.0/0.2 (bf16 format) nor 8.0/0.1 (sgd);
 *   torch adam 1Mi 1 thread  2.5 / 0.5 = 5, not 2.5/40 (2 threads);
 *   torch adam 1Mi 2 threads 0.4 / 40 = 0.01 (optbench's 2-thread step
 *       stalled: kept, but in a range of its own);
 *   torch sgd 4Ki 1 thread   0.5 / 0.1 = 5;
 *   torch adam 64Ki          no optbench row at 64Ki: left out;
 *   plugin:fast adam 4Ki 1   0.4 / 0.8 = 0.5, a peer of its own, named
 *       after torch although its row comes between torch's. */
static const char bench_csv[] =
    "kind,opt,isa,variant,size,threads,bytes_per_elem,ns_per_elem,elems_per_s,gb_per_s,mem_ceiling_gb_per_s,"
    "frac_mem_ceiling,div_ceiling_ns_per_elem,frac_div_ceiling,speedup_vs_scalar,bound,frac_bound\n"
    "kernel,adam,scalar,exact,4096,1,28,6.0,,,,,,,1,,\n"
    "kernel,adam,avx2,exact,4096,1,28,1.0,,,,,,,6,,\n"
    "kernel,adam,avx512,exact,4096,1,28,0.8,,,,,,,7.5,divider,0.5\n"
    "kernel,adam,avx512,approx,4096,1,28,0.4,,,,,,,15,,\n"
    "kernel,adam,avx512,bf16,4096,1,14,0.2,,,,,,,30,,\n"
    "kernel,sgd,avx512,exact,4096,1,12,0.1,,,,,,,9,,\n"
    "kernel,adam,avx512,exact,1048576,1,28,0.5,,,,0.6,,,,,\n"
    "kernel,adam,avx512,bf16,1048576,1,14,0.25,,,,,,,,,\n"
    "kernel,adam,avx512,exact,1048576,2,28,40,,,,,,,,,\n"
    "peer,adam,,torch,4096,1,28,8.0,,,,,,,,,\n"
    "kernel,adam,avx512,plugin:fast,4096,1,28,0.4,,,,,,,,,\n"
    "peer,adam,,torch,65536,1,28,3.0,,,,,,,,,\n"
    "peer,adam,,torch,1048576,1,28,2.5,,,,,,,,,\n"
    "peer,adam,,torch,1048576,2,28,0.4,,,,,,,,,\n"
    "peer,sgd,,torch,4096,1,12,0.5,,,,,,,,,\n";

/* The findings' throughput line of a report made from bench_csv with
 * extra_csv (rows appended) and bench.json (NULL: none); the caller frees
 * it. */
static char *finding(const char *extra_csv, const char *bench_json)
{
    ob_tp_dirs s;
    ob_tp_dirs_make(&s, "report-peers");
    char path[256], csv[4096];
    snprintf(path, sizeof path, "%s/bench.csv", s.dir);
    snprintf(csv, sizeof csv, "%s%s", bench_csv, extra_csv);
    cr_assert_eq(ob_tp_write(path, csv, strlen(csv)), 0);
    if (bench_json) {
        snprintf(path, sizeof path, "%s/bench.json", s.dir);
        cr_assert_eq(ob_tp_write(path, bench_json, strlen(bench_json)), 0);
    }
    const char *argv[] = {"optbench", "report", "--run", s.dir, "--no-figures", "--quiet", NULL};
    char *out = NULL, *err = NULL;
    int rc = ob_cli_capture(argv, &out, &err);
    cr_assert_eq(rc, 0, "optbench report: exit %d\n%s", rc, err);
    free(out);
    free(err);
    snprintf(path, sizeof path, "%s/report.md", s.dir);
    char *md = ob_tp_slurp(path, NULL);
    cr_assert(md, "no report.md");
    const char *line = strstr(md, "- Throughput: ");
    cr_assert(line, "no throughput finding:\n%.2000s", md);
    char *res = strndup(line, strcspn(line, "\n"));
    free(md);
    ob_tp_dirs_free(&s);
    return res;
}

#define PAIRED \
    "torch took 5.00–10.00× optbench's time at 1 thread (3 cases), 0.01–0.01× at 2 threads (1 case); " \
    "plugin:fast took 0.50–0.50× optbench's time at 1 thread (1 case) (each case against optbench's " \
    "fastest exact fp32 kernel of the same optimizer, size and thread count; \\> 1: optbench faster)"

Test(report_peers, like_with_like_per_peer_and_thread_count)
{
    char *line = finding("", NULL);
    cr_assert(strstr(line, PAIRED), "the peer comparison:\n%s\nexpected:\n%s", line, PAIRED);
    cr_assert_null(strstr(line, "not all free"), "a busy-machine note without a sign of one:\n%s", line);
    free(line);
}

/* What shows that a 2-thread case lacked its cores: bench.json's load
 * average (optbench.loadavg_before) with the CPU count (context.num_cpus),
 * 1.5 on 2 CPUs but not 0.2 on 4; or the divider probe, 1.2× on 2
 * threads but not 1.9×. */
Test(report_peers, a_busy_machine_is_named_for_the_multi_thread_cases)
{
    static const char busy[] = PAIRED "; at 2 threads the cores were not all free (";
    static const char end[] = "), which disturbs those times";
    char *line = finding("", "{\"context\": {\"num_cpus\": 2}, \"optbench\": {\"loadavg_before\": 1.5}}");
    cr_assert(strstr(line, busy) && strstr(line, "(load average 1.50 on 2 CPUs when the benchmark began)"),
              "the load note:\n%s", line);
    free(line);
    line = finding("", "{\"context\": {\"num_cpus\": 4}, \"optbench\": {\"loadavg_before\": 0.2}}");
    cr_assert(strstr(line, PAIRED) && !strstr(line, "not all free"), "a load note on an idle machine:\n%s",
              line);
    free(line);
    static const char probes_slow[] = "probe_div,,avx512,1sqrt_1div,2048,1,12,0.3,,,,,,,,,\n"
                                      "probe_div,,avx512,1sqrt_1div,4096,2,12,0.25,,,,,,,,,\n";
    line = finding(probes_slow, NULL);
    cr_assert(strstr(line, busy) &&
                  strstr(line, "(the divider probe ran 1.20× as fast as on 1 thread, ideal 2×)") &&
                  strstr(line, end),
              "the probe note:\n%s", line);
    free(line);
    static const char probes_fast[] = "probe_div,,avx512,1sqrt_1div,2048,1,12,0.3,,,,,,,,,\n"
                                      "probe_div,,avx512,1sqrt_1div,4096,2,12,0.16,,,,,,,,,\n";
    line = finding(probes_fast, NULL);
    cr_assert(strstr(line, PAIRED) && !strstr(line, "not all free"), "a probe note on free cores:\n%s", line);
    free(line);
}
