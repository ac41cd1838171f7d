#!/usr/bin/env bash
# Stop the single-node Slurm cluster that start.sh started: cancel its jobs,
# shut down slurmctld and slurmd, stop munged. Safe to run when nothing runs.
set -uo pipefail

stop_pidfile() { # name pidfile
  local pid
  [ -s "$2" ] || return 0
  pid=$(cat "$2")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    echo "stop.sh: $1 (pid $pid) did not stop; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null
  fi
}

if command -v scancel >/dev/null && timeout 5 squeue -h >/dev/null 2>&1; then
  scancel --full --quiet --user=root 2>/dev/null || true
fi
stop_pidfile slurmd /run/slurmd.pid
stop_pidfile slurmctld /run/slurmctld.pid
stop_pidfile munged /run/munge/munged.pid
echo "slurm stopped"
