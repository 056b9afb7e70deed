#!/usr/bin/env bash
# test-parallel.sh — `make test-parallel`: the README's GNU parallel recipe
# ("Scaling out"), on localhost: the shards of a tiny sweep run as parallel
# jobs with --joblog, one of them killed by SIGTERM partway (the sweep's
# test hook), `parallel --resume-failed` reruns only that one (which resumes
# its folder), and the merged result must equal the unsharded sweep bit for
# bit (scripts/sweep-same.sh).  Over ssh the command is the same with
# --sshloginfile (the README); here no ssh is needed.  Prints "SKIP:
# <reason>" and exits 0 without GNU parallel.
#   scripts/test-parallel.sh [BINARY]   (default build/optbench)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/optbench}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[ -x "$bin" ] || { echo "test-parallel: $bin: not built" >&2; exit 2; }
command -v parallel >/dev/null || { echo "test-parallel: SKIP: GNU parallel is missing (apt-get install parallel)"; exit 0; }
parallel --version 2>/dev/null | grep -q "GNU parallel" ||
    { echo "test-parallel: SKIP: 'parallel' is not GNU parallel"; exit 0; }
D=$(mktemp -d /tmp/optbench-parallel-XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "test-parallel: FAIL: $*" >&2; cat "$D/joblog" >&2 2>/dev/null; exit 1; }
t0=$(date +%s)

spec=(--opt sgd,adam --problem quad_diag,nqm --n 10 --steps 60 --grid 'lr=log:1e-3:1:4' --seeds 2 --no-figures)
mkdir -p "$D/local"
"$bin" sweep "${spec[@]}" --run "$D/local" --jobs 2 --quiet >/dev/null || fail "the local sweep failed"

# Shard 3 is stopped by SIGTERM after 2 records the first time it runs.
n=4
cmd="if [ {} = 3 ] && mkdir $D/once 2>/dev/null; then export OPTBENCH_TEST_SWEEP_SIGNAL=2:15; fi;"
cmd="$cmd mkdir -p $D/shards/{} && $(printf '%q ' "$bin" sweep "${spec[@]}") --shard {}/$n --run $D/shards/{} --jobs 1 --quiet"
parallel --joblog "$D/joblog" --resume-failed -j 2 "$cmd" ::: $(seq 0 $((n - 1))) >/dev/null 2>&1
[ $? = 1 ] || fail "expected exactly one failed job the first time"
awk -F"\t" 'NR > 1 && $7 != 0' "$D/joblog" | grep -q "shards/3 " || fail "shard 3 did not fail"
lines=$(wc -l <"$D/joblog")
parallel --joblog "$D/joblog" --resume-failed -j 2 "$cmd" ::: $(seq 0 $((n - 1))) >/dev/null 2>&1 ||
    fail "the rerun failed"
[ "$(wc -l <"$D/joblog")" = $((lines + 1)) ] || fail "--resume-failed ran more than the failed job"
"$bin" merge --no-figures "$D/merged" $(for i in $(seq 0 $((n - 1))); do echo "$D/shards/$i"; done) >/dev/null ||
    fail "optbench merge failed"
"$root/scripts/sweep-same.sh" "$D/local" "$D/merged" || fail "the merged sweep differs from the local one"
echo "test-parallel: PASS in $(($(date +%s) - t0)) s ($(parallel --version | head -1); $n shards, one rerun by --resume-failed)"
