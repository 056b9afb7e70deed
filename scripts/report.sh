#!/bin/sh
# `make report`: the suite's main job.
#   1. optbench run     the default suite on 5 instances of every
#                       deterministic problem (progress on stderr)
#   2. optbench bench   a short throughput benchmark into the same run
#                       folder (with Adam in every mixed-precision format),
#                       if this build has the bench command
#   3. optbench repro   every paper reproduction into the same run folder
#   4. optbench sweep   a small learning-rate sweep (the tuned comparison),
#                       then --compare-search (grid, random, Sobol and
#                       Bayesian search against each other; 25-65 s on 2 cores)
#   5. optbench profile runtime ECDFs, performance and data profiles and
#                       the score of each optimizer (the aggregate section)
#   6. optbench report  the figures and report.html / report.md, then, where
#                       chromium is installed, the page in a browser
#                       (scripts/check-report-browser.sh)
# and then where the report is.  A step that fails is named with its exit
# status; nothing an earlier step wrote is removed, and the report is still
# written from whatever the run folder holds (it names what is missing).
#
# Environment: OPTBENCH (the binary, default ./build/optbench),
# OPTBENCH_RESULTS (the results folder, default results), OPTBENCH_INSTANCES
# (problem instances per case, default 5), OPTBENCH_DATA_INSTANCES (those of
# stochastic problems, whose instances are data seeds, default 1: they are
# noisy already, and nqm alone would otherwise take most of the time).
OPTBENCH=${OPTBENCH:-./build/optbench}
RESULTS=${OPTBENCH_RESULTS:-results}
INSTANCES=${OPTBENCH_INSTANCES:-5}
DATA_INSTANCES=${OPTBENCH_DATA_INSTANCES:-1}
status=0
start=$(date +%s)

step() { echo "==> [$1/6] $2" >&2; }
failed() {  # step, name, status, what it means
    echo "make report: step $1 ($2) failed with exit status $3: $4" >&2
}

if [ ! -x "$OPTBENCH" ]; then
    echo "make report: $OPTBENCH is missing; build it first (make build-all)" >&2
    exit 1
fi
command -v gnuplot >/dev/null 2>&1 ||
    echo "make report: warning: gnuplot is not on PATH; the figures will fail (apt-get install --no-install-recommends gnuplot-nox)" >&2

# ---- 1. the default suite ----------------------------------------------------
step 1 "optbench run --out $RESULTS --instances $INSTANCES --data-instances $DATA_INSTANCES (the default suite)"
log=$(mktemp) || exit 1
rcfile=$(mktemp) || exit 1
trap 'rm -f "$log" "$rcfile"' EXIT
# The summary goes to the terminal and to $log, from which the run folder is
# read: results/latest could be moved by another run at the same time.
{ "$OPTBENCH" run --out "$RESULTS" --instances "$INSTANCES" --data-instances "$DATA_INSTANCES"; echo $? >"$rcfile"; } | tee "$log"
rc=$(cat "$rcfile")
dir=$(sed -n 's/.*; results in \(.*\)$/\1/p' "$log" | tail -n 1)
case "$rc" in
    0) ;;
    3) failed 1 "optbench run" 3 "an agreement or bit-identity check failed (see the summary above; the report shows it too)"
       status=3 ;;
    *) if [ -z "$dir" ] || [ ! -d "$dir" ]; then
           failed 1 "optbench run" "$rc" "no results were written; nothing to report"
           exit "$rc"
       fi
       failed 1 "optbench run" "$rc" "some cases failed (named above); the report covers the rest"
       status=1 ;;
esac
if [ -z "$dir" ]; then
    dir="$RESULTS/latest"
    echo "make report: could not read the run folder from the summary; using $dir" >&2
fi

# ---- 2. a short benchmark ------------------------------------------------------
step 2 "optbench bench --run $dir --quick (throughput; torch.optim beside it where python3-torch is installed)"
if "$OPTBENCH" bench --help >/dev/null 2>&1; then
    "$OPTBENCH" bench --run "$dir" --quick --format all --format-opt adam --peer torch --peer-optional
    rc=$?
    if [ "$rc" != 0 ]; then
        failed 2 "optbench bench" "$rc" "the report will say what throughput data is missing"
        [ "$status" = 0 ] && status=1
    fi
else
    echo "    skipped: this build of optbench has no 'bench' command; the report will have no throughput section" >&2
fi

# ---- 3. paper reproductions -------------------------------------------------------
# Short mode: the full mode of the 18 entries takes about 6 minutes on 2
# cores, more than the rest of the report (README "Reproductions").
step 3 "optbench repro all --short --run $dir (paper reproductions, short mode)"
"$OPTBENCH" repro all --short --run "$dir"
rc=$?
if [ "$rc" != 0 ]; then
    failed 3 "optbench repro" "$rc" "the entries that ran are kept; the report shows them"
    [ "$status" = 0 ] && status=1
fi

# ---- 4. a small learning-rate sweep -----------------------------------------------
step 4 "optbench sweep --run $dir (learning rate, every optimizer, two problems; then --compare-search)"
"$OPTBENCH" sweep --problem mgh_rosenbrock,quad_diag --grid 'lr=log:1e-4:1:9' --steps 1000 --run "$dir"
rc=$?
if [ "$rc" != 0 ]; then
    failed 4 "optbench sweep" "$rc" "finished points are kept; the report shows what there is"
    [ "$status" = 0 ] && status=1
fi
"$OPTBENCH" sweep --compare-search --run "$dir" --quiet
rc=$?
if [ "$rc" != 0 ]; then
    failed 4 "optbench sweep --compare-search" "$rc" "finished runs are kept; the same command resumes it"
    [ "$status" = 0 ] && status=1
fi

# ---- 5. profiles ------------------------------------------------------------------
step 5 "optbench profile $dir (the aggregate comparison)"
"$OPTBENCH" profile "$dir" --quiet
rc=$?
if [ "$rc" != 0 ]; then
    failed 5 "optbench profile" "$rc" "the report names what is missing of the aggregate section"
    [ "$status" = 0 ] && status=1
fi

# ---- 6. figures and report ----------------------------------------------------------
step 6 "optbench report --run $dir (figures and report)"
"$OPTBENCH" report --run "$dir"
rc=$?
if [ "$rc" != 0 ]; then
    failed 6 "optbench report" "$rc" "see the messages above (the report is still written if it could be)"
    [ "$status" = 0 ] && status=1
fi

# The page in a real browser where Debian's chromium is installed (make
# test-browser installs it): every image loaded, no console message, and a
# screenshot beside the report.
if [ -f "$dir/report.html" ] && { command -v chromium || command -v chromium-browser; } >/dev/null 2>&1; then
    scripts=$(dirname "$0")
    "$scripts/check-report-browser.sh" "$dir" || { echo "make report: the browser check failed (above)" >&2; [ "$status" = 0 ] && status=1; }
fi

end=$(date +%s)
if [ -f "$dir/report.html" ]; then
    abs=$(cd "$dir" && pwd -P)
    echo
    echo "Report ($((end - start)) s): $abs/report.html"
    echo "          Markdown: $abs/report.md"
else
    echo "make report: no report was written in $dir" >&2
    [ "$status" = 0 ] && status=1
fi
exit "$status"
