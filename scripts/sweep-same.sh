#!/bin/sh
# sweep-same.sh — whether two run folders hold the same sweep results bit
# for bit: sweep/spec.json, the result sections of sweep/sweep.json (status,
# criterion, path, axes, runs_planned, runs_done, problems, points, best,
# skipped, spec: everything but the run metadata, figures and notes) and
# every sweep/points/<hash>.json but its measured "time_s" line.  Used by
# test-slurm.sh and test-parallel.sh (README "Scaling out").
#   scripts/sweep-same.sh RUN_A RUN_B   -> exit 0 same, 1 different (the first difference on stderr)
a=$1/sweep b=$2/sweep
fail() { echo "sweep-same: $*" >&2; exit 1; }
cmp -s "$a/spec.json" "$b/spec.json" || fail "$a/spec.json and $b/spec.json differ"
# cJSON pretty-prints one top-level key per line starting with one tab.
sections() {
    awk '/^\t"[a-z_]+":/ { k = $1; gsub(/[":\t]/, "", k);
                           keep = k ~ /^(status|criterion|path|axes|runs_planned|runs_done|problems|points|best|skipped|spec)$/ }
         keep' "$1"
}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
sections "$a/sweep.json" >"$tmp/a"
sections "$b/sweep.json" >"$tmp/b"
[ -s "$tmp/a" ] || fail "$a/sweep.json: no results"
cmp -s "$tmp/a" "$tmp/b" || fail "the results in $a/sweep.json and $b/sweep.json differ: $(diff "$tmp/a" "$tmp/b" | head -5)"
(cd "$a/points" && ls) >"$tmp/la"
(cd "$b/points" && ls) >"$tmp/lb"
cmp -s "$tmp/la" "$tmp/lb" || fail "$a/points and $b/points hold different records"
n=0
while read -r f; do
    grep -v '^	"time_s":' "$a/points/$f" >"$tmp/pa"
    grep -v '^	"time_s":' "$b/points/$f" >"$tmp/pb"
    cmp -s "$tmp/pa" "$tmp/pb" || fail "$a/points/$f and $b/points/$f differ"
    n=$((n + 1))
done <"$tmp/la"
echo "sweep-same: $1 and $2: the same results and $n point records, bit for bit (time_s aside)"
