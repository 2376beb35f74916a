#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying `ctc sweep submit --slurm` and for ctc's
# tests: munged, slurmctld and slurmd (node "localhost") with a generated slurm.conf written to
# Slurm's default path (/etc/slurm/slurm.conf; an existing one is set aside and brought back by
# scripts/slurm-local-down.sh), so plain sbatch/squeue/scontrol find it from any shell. Returns
# once a real job has run. Needs root and Debian's packages:
#   apt-get install slurmctld slurmd slurm-client munge
# No systemd needed: the daemons are started here and stopped by their PIDs. State, logs and PID
# files go to $CTC_SLURM_STATE (default /tmp/ctc-slurm). Running it again while the cluster is up
# only checks it.
set -euo pipefail

STATE="${CTC_SLURM_STATE:-/tmp/ctc-slurm}"
CONF=/etc/slurm/slurm.conf
SAVED="$CONF.ctc-saved"
say() { echo "slurm-local-up: $*" >&2; }
fail() {
  say "$*"
  exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (it starts munged, slurmctld and slurmd)"
for bin in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
  command -v "$bin" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
  command -v "$bin" >/dev/null 2>&1 ||
    fail "$bin not found: apt-get install slurmctld slurmd slurm-client munge"
done

# A daemon is up when its PID file names a live process of that name (a stale file's PID may have
# been reused by another process).
alive() {
  local name
  name=$(basename "$1" .pid)
  [ -f "$1" ] && [ "$(ps -o comm= -p "$(cat "$1")" 2>/dev/null)" = "$name" ]
}

if alive "$STATE/slurmctld.pid" && alive "$STATE/slurmd.pid" && sinfo -h >/dev/null 2>&1; then
  say "already up ($STATE)"
  exit 0
fi

mkdir -p "$STATE/ctld" "$STATE/slurmd" "$STATE/munge" /run/munge /etc/slurm
chown munge:munge /run/munge 2>/dev/null || true

# munge: a key of our own unless the machine has one; the daemon runs as the munge user.
KEY=/etc/munge/munge.key
if [ ! -s "$KEY" ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom of="$KEY" bs=1024 count=1 status=none
  chown munge:munge "$KEY" 2>/dev/null || true
  chmod 400 "$KEY"
fi
if ! alive "$STATE/munged.pid"; then
  munged --force --pid-file="$STATE/munged.pid" --socket=/run/munge/munge.socket.2 \
    --log-file="$STATE/munge/munged.log" --seed-file="$STATE/munge/munged.seed" ||
    fail "munged did not start (see $STATE/munge/munged.log)"
fi

CPUS=$(nproc)
MEM=$(awk '/MemTotal/ { print int($2 / 1024) - 512 }' /proc/meminfo)
if [ -f "$CONF" ] && ! grep -q '^# ctc-local' "$CONF"; then
  mv "$CONF" "$SAVED"
  say "set aside $CONF as $SAVED"
fi
cat >"$CONF" <<EOF
# ctc-local: written by ctc's scripts/slurm-local-up.sh; slurm-local-down.sh removes it.
ClusterName=ctc-local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A requeued job waits cred_expire seconds before it can start again (Slurm's default is 120).
AuthInfo=cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
JobRequeue=1
MaxArraySize=1001
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
KillWait=10
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmdSpoolDir=$STATE/slurmd
StateSaveLocation=$STATE/ctld
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
# A job that asks for no memory gets its CPUs' share, so tasks of an array run side by side.
DefMemPerCPU=$((MEM / CPUS))
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

# Clear state from an earlier cluster (-c), then the two daemons; slurmd answers as "localhost"
# whatever this machine's host name is.
alive "$STATE/slurmctld.pid" || slurmctld -c -f "$CONF" || fail "slurmctld did not start (see $STATE/slurmctld.log)"
alive "$STATE/slurmd.pid" || slurmd -N localhost -f "$CONF" || fail "slurmd did not start (see $STATE/slurmd.log)"

for _ in $(seq 1 60); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  case "$state" in idle* | mixed* | allocated*) break ;; esac
  sleep 1
done
case "${state:-}" in idle* | mixed* | allocated*) ;; *) fail "node localhost not ready (state '${state:-none}'; see $STATE/*.log)" ;; esac

out=$(sbatch --wait --parsable -o /dev/null --wrap 'true' 2>&1) || fail "a test job failed: $out"
say "up: node localhost ($CPUS CPUs), partition debug; state and logs in $STATE"
