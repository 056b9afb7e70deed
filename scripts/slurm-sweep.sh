#!/usr/bin/env bash
# slurm-sweep.sh — runs an `optbench sweep` as a Slurm job array of shards
# with a dependent merge + report job (README "Scaling out").
#
#   scripts/slurm-sweep.sh --shards N --dir DIR [--max-parallel K] [--cpus C]
#                          [--optbench PATH] [--sbatch-option OPT]...
#                          [--merge-option OPT]... [--submit]
#                          -- SWEEP-OPTIONS...
#   scripts/slurm-sweep.sh --resubmit-failed --dir DIR
#
# Writes DIR/slurm/array.sbatch and DIR/slurm/merge.sbatch:
#   array.sbatch  --array=0-(N-1)%K, --cpus-per-task=C; task I runs
#                 `optbench sweep SWEEP-OPTIONS --shard I/N --run DIR/shards/I
#                 --jobs $SLURM_CPUS_PER_TASK`, or `optbench sweep --resume
#                 DIR/shards/I` where that shard was started before, so a
#                 resubmitted task does only the runs that are missing;
#   merge.sbatch  optbench merge DIR/merged DIR/shards/0 ... DIR/shards/N-1,
#                 then optbench report --run DIR/merged (--merge-option OPT is
#                 given to both, e.g. --no-figures).
# With --submit it submits both, the merge with --dependency=afterok:<array
# job>, and records the job ids in DIR/slurm/jobs.  --resubmit-failed
# resubmits only the shards whose sweep.json is not "complete" (as
# --array=<their list>%K) with a new merge job depending on them, and
# cancels the old merge job (its dependency can no longer be met).
#
# Size the shards so that a task runs for minutes (README "Scaling out":
# the arithmetic); a few submissions per minute at most is what a Slurm
# scheduler expects.  Exit status: 0; 2 bad usage; sbatch's on failure.
set -eu

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "slurm-sweep: $*" >&2; exit 2; }

shards="" dir="" max_par="" cpus=1 optbench="" submit=0 resubmit=0
sbatch_opts=() merge_opts=()
while [ $# -gt 0 ]; do
    case $1 in
    --shards) shards=${2-}; shift 2 ;;
    --dir) dir=${2-}; shift 2 ;;
    --max-parallel) max_par=${2-}; shift 2 ;;
    --cpus) cpus=${2-}; shift 2 ;;
    --optbench) optbench=${2-}; shift 2 ;;
    --sbatch-option) sbatch_opts+=("${2-}"); shift 2 ;;
    --merge-option) merge_opts+=("${2-}"); shift 2 ;;
    --submit) submit=1; shift ;;
    --resubmit-failed) resubmit=1; shift ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
done
[ -n "$dir" ] || die "--dir DIR is required"
mkdir -p "$dir/slurm" "$dir/shards"
dir=$(cd "$dir" && pwd)
# Shell-quoted words for the job scripts (bash: %q may write $'...'):
# q WORDS... ends each with a space, q1 WORD does not.
q() { printf '%q ' "$@"; }
q1() { printf '%q' "$1"; }

if [ "$resubmit" = 1 ]; then
    [ -f "$dir/slurm/array.sbatch" ] && [ -f "$dir/slurm/jobs" ] || die "$dir: nothing submitted here yet"
    # shellcheck disable=SC1091
    . "$dir/slurm/jobs"
    failed=""
    for ((i = 0; i < SHARDS; i++)); do
        grep -qs '"status":[[:space:]]*"complete"' "$dir/shards/$i/sweep/sweep.json" ||
            failed="$failed${failed:+,}$i"
    done
    if [ -z "$failed" ]; then echo "slurm-sweep: every shard is complete"; exit 0; fi
    scancel "$MERGE_JOB" 2>/dev/null || true
    array=$(sbatch --parsable --array="$failed%$MAX_PARALLEL" "$dir/slurm/array.sbatch")
    merge=$(sbatch --parsable --dependency=afterok:"${array%%;*}" "$dir/slurm/merge.sbatch")
    printf 'SHARDS=%s\nMAX_PARALLEL=%s\nARRAY_JOB=%s\nMERGE_JOB=%s\n' "$SHARDS" "$MAX_PARALLEL" "${array%%;*}" \
        "${merge%%;*}" >"$dir/slurm/jobs"
    echo "slurm-sweep: resubmitted shards $failed as job ${array%%;*}; merge job ${merge%%;*}"
    exit 0
fi

case $shards in ''|*[!0-9]*|0) die "--shards N: a positive integer is required" ;; esac
max_par=${max_par:-$shards}
case $max_par in ''|*[!0-9]*|0) die "--max-parallel K: a positive integer" ;; esac
case $cpus in ''|*[!0-9]*|0) die "--cpus C: a positive integer" ;; esac
[ $# -gt 0 ] || die "give the sweep's options after --"
for a in "$@"; do
    case $a in --shard|--shard=*|--run|--run=*|--out|--out=*|--resume|--resume=*|--jobs|--jobs=*)
        die "$a is the launcher's to set" ;;
    esac
done
if [ -z "$optbench" ]; then optbench=$(command -v optbench || true); fi
[ -n "$optbench" ] && [ -x "$optbench" ] || die "no optbench on PATH; give --optbench PATH"
optbench=$(cd "$(dirname "$optbench")" && pwd)/$(basename "$optbench")

{
    echo '#!/bin/bash'
    echo "#SBATCH --job-name=optbench-sweep"
    echo "#SBATCH --array=0-$((shards - 1))%$max_par"
    echo "#SBATCH --cpus-per-task=$cpus"
    echo "#SBATCH --output=$dir/slurm/shard-%a.out"
    for o in ${sbatch_opts[@]+"${sbatch_opts[@]}"}; do echo "#SBATCH $o"; done
    echo '# One shard of the sweep: its own folder; a shard started before resumes.'
    echo 'set -e'
    echo 'i=$SLURM_ARRAY_TASK_ID'
    echo "d=$(q1 "$dir")/shards/\$i"
    echo 'jobs=${SLURM_CPUS_PER_TASK:-1}'
    echo 'if [ -f "$d/sweep/spec.json" ]; then'
    echo "    exec $(q1 "$optbench") sweep --resume \"\$d\" --jobs \"\$jobs\""
    echo 'fi'
    echo 'mkdir -p "$d"'
    echo "exec $(q1 "$optbench") sweep $(q "$@")--shard \"\$i/$shards\" --run \"\$d\" --jobs \"\$jobs\""
} >"$dir/slurm/array.sbatch"
{
    echo '#!/bin/bash'
    echo "#SBATCH --job-name=optbench-merge"
    echo "#SBATCH --output=$dir/slurm/merge.out"
    for o in ${sbatch_opts[@]+"${sbatch_opts[@]}"}; do echo "#SBATCH $o"; done
    echo 'set -e'
    mo=$(q ${merge_opts[@]+"${merge_opts[@]}"})
    printf '%s' "$(q1 "$optbench") merge $mo$(q1 "$dir/merged")"
    for ((i = 0; i < shards; i++)); do printf ' %s' "$(q1 "$dir/shards/$i")"; done
    echo
    echo "$(q1 "$optbench") report $mo--run $(q1 "$dir/merged") --quiet"
} >"$dir/slurm/merge.sbatch"
echo "slurm-sweep: wrote $dir/slurm/array.sbatch ($shards shards, at most $max_par at once, $cpus CPUs each) and $dir/slurm/merge.sbatch"
[ "$submit" = 1 ] || exit 0
array=$(sbatch --parsable "$dir/slurm/array.sbatch")
merge=$(sbatch --parsable --dependency=afterok:"${array%%;*}" "$dir/slurm/merge.sbatch")
printf 'SHARDS=%s\nMAX_PARALLEL=%s\nARRAY_JOB=%s\nMERGE_JOB=%s\n' "$shards" "$max_par" "${array%%;*}" "${merge%%;*}" \
    >"$dir/slurm/jobs"
echo "slurm-sweep: submitted array job ${array%%;*} and merge job ${merge%%;*} (afterok)"
