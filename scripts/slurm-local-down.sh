#!/usr/bin/env bash
# Stops the one-node Slurm cluster of scripts/slurm-local-up.sh by the daemons' PIDs and puts
# back the slurm.conf it set aside. Jobs still running are ended with the daemons.
set -uo pipefail

STATE="${CTC_SLURM_STATE:-/tmp/ctc-slurm}"
CONF=/etc/slurm/slurm.conf
SAVED="$CONF.ctc-saved"

stop() {
  local pidfile="$STATE/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop slurmd
stop slurmctld
stop munged
pkill -f "slurmstepd" 2>/dev/null || true

if [ -f "$CONF" ] && grep -q '^# ctc-local' "$CONF"; then rm -f "$CONF"; fi
if [ -f "$SAVED" ]; then mv "$SAVED" "$CONF"; fi
echo "slurm-local-down: stopped" >&2
