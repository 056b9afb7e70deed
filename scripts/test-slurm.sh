#!/usr/bin/env bash
# test-slurm.sh — `make test-slurm`: a sharded sweep on a real Slurm
# (README "Scaling out").  Starts a single-node cluster from Debian's
# slurm-wlm and munge (munged, slurmctld, slurmd on this host, every file in
# a temporary folder, ports of its own), submits a tiny sweep as a job
# array of 4 shards (at most 2 at once) with the merge and report as a
# dependent job (scripts/slurm-sweep.sh --submit), waits, and checks that
# the merged result equals the same sweep run unsharded here, bit for bit
# (scripts/sweep-same.sh).  Then a shard is spoiled and resubmitted alone
# (--resubmit-failed), and the new merge must equal it again.  Everything
# it started is stopped on exit, by pid.  Prints "SKIP: <reason>" and exits
# 0 where the daemons cannot run (not root, packages missing, a daemon
# that does not come up).
#   scripts/test-slurm.sh [BINARY]   (default build/optbench)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/optbench}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
skip() { echo "test-slurm: SKIP: $*"; exit 0; }
fail() { echo "test-slurm: FAIL: $*" >&2; for f in "$D"/log/*.log "$D"/job/slurm/*.out; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done; exit 1; }
[ -x "$bin" ] || { echo "test-slurm: $bin: not built" >&2; exit 2; }
[ "$(id -u)" = 0 ] || skip "the daemons need root here (slurmctld, slurmd and munged are started as root/munge)"
for c in munged slurmctld slurmd sbatch squeue sinfo scancel; do
    command -v "$c" >/dev/null || skip "$c is missing (apt-get install slurm-wlm munge)"
done
id munge >/dev/null 2>&1 || skip "no munge user (apt-get install munge)"
[ -r /etc/munge/munge.key ] || skip "no /etc/munge/munge.key"

D=$(mktemp -d /tmp/optbench-slurm-XXXXXX)
chmod 755 "$D"
mkdir -p "$D/munge" "$D/state" "$D/spool" "$D/log"
chown munge:munge "$D/munge"
stop() {
    export SLURM_CONF="$D/slurm.conf"
    for p in "$D/slurmd.pid" "$D/slurmctld.pid" "$D/munge/munged.pid"; do
        [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
    done
    sleep 1
    for p in "$D/slurmd.pid" "$D/slurmctld.pid" "$D/munge/munged.pid"; do
        [ -s "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
    done
    rm -rf "$D"
}
trap stop EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
host=$(hostname -s)
# Ports of its own, so that a cluster already on this host is left alone.
port=$((20000 + ($$ % 10000) * 2))
sock="$D/munge/munge.socket"
su -s /bin/sh munge -c "/usr/sbin/munged --socket=$sock --pid-file=$D/munge/munged.pid \
    --log-file=$D/munge/munged.log --seed-file=$D/munge/munged.seed" ||
    skip "munged did not start: $(tail -1 "$D/munge/munged.log" 2>/dev/null)"
mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
cat >"$D/slurm.conf" <<EOF
ClusterName=optbench-test
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SchedulerType=sched/builtin
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$D/slurm.conf"
slurmctld -c || skip "slurmctld did not start: $(tail -1 "$D/log/slurmctld.log" 2>/dev/null)"
slurmd -N "$host" || skip "slurmd did not start: $(tail -1 "$D/log/slurmd.log" 2>/dev/null)"
up=0
for _ in $(seq 1 40); do
    sinfo -h -o %t 2>/dev/null | grep -q idle && { up=1; break; }
    sleep 0.5
done
[ "$up" = 1 ] || skip "the node did not become idle in 20 s: $(tail -1 "$D/log/slurmd.log" 2>/dev/null)"
echo "test-slurm: cluster up on $host (slurmctld port $port, $(nproc) CPUs) in $(($(date +%s) - t0)) s"

spec=(--opt sgd,adam --problem quad_diag,nqm --n 10 --steps 60 --grid 'lr=log:1e-3:1:4' --seeds 2 --no-figures)
mkdir -p "$D/local"
"$bin" sweep "${spec[@]}" --run "$D/local" --jobs 2 --quiet >/dev/null || fail "the local sweep failed"

# Waits until none of the given jobs is queued or running (at most 120 s).
wait_jobs() {
    for _ in $(seq 1 240); do
        [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
        sleep 0.5
    done
    fail "jobs $1 still queued after 120 s: $(squeue 2>&1 | tail -3)"
}
"$root/scripts/slurm-sweep.sh" --shards 4 --max-parallel 2 --cpus 1 --dir "$D/job" --optbench "$bin" \
    --merge-option --no-figures --submit -- "${spec[@]}" || fail "slurm-sweep.sh --submit failed"
. "$D/job/slurm/jobs"
wait_jobs "$ARRAY_JOB,$MERGE_JOB"
[ -s "$D/job/merged/sweep/sweep.json" ] || fail "no merged sweep.json (the merge job did not run)"
[ -s "$D/job/merged/report.md" ] || fail "no report of the merged sweep"
"$root/scripts/sweep-same.sh" "$D/local" "$D/job/merged" || fail "the merged sweep differs from the local one"
echo "test-slurm: array job $ARRAY_JOB (4 shards, %2) and merge job $MERGE_JOB done in $(($(date +%s) - t0)) s"

# A shard that lost records (as a task killed by its time limit would):
# only it is resubmitted, it does only the missing runs, and the new
# merge equals the local sweep again.
first=$(ls "$D/job/shards/2/sweep/points" | head -2)
(cd "$D/job/shards/2/sweep/points" && rm $first)
sed -i 's/"status":[[:space:]]*"complete"/"status":	"incomplete"/' "$D/job/shards/2/sweep/sweep.json"
rm -rf "$D/job/merged"
out=$("$root/scripts/slurm-sweep.sh" --resubmit-failed --dir "$D/job") || fail "--resubmit-failed failed"
echo "test-slurm: $out"
case $out in *"resubmitted shards 2 as job"*) ;; *) fail "expected only shard 2 to be resubmitted" ;; esac
. "$D/job/slurm/jobs"
wait_jobs "$ARRAY_JOB,$MERGE_JOB"
grep -q "resuming: 4 of 6 runs already recorded" "$D/job/slurm/shard-2.out" ||
    fail "shard 2 did not resume: $(cat "$D/job/slurm/shard-2.out")"
"$root/scripts/sweep-same.sh" "$D/local" "$D/job/merged" || fail "the merged sweep differs after the resubmission"
echo "test-slurm: PASS in $(($(date +%s) - t0)) s (slurm $(sinfo -V | awk '{print $2}'), munge $(munged -V | awk '{print $1}' | sed 's/munge-//'))"
