#!/usr/bin/env bash
# Start a single-node Slurm cluster on this machine, for the sweep tests and
# for trying `sgdclaims sweep slurm` by hand:
#
#   scripts/slurm/start.sh        # as root; idempotent
#   SGDCLAIMS_SLURM=1 go test -run TestSweepSlurm -v ./cmd/sgdclaims
#   scripts/slurm/stop.sh
#
# It installs Debian's slurm-wlm and munge when missing, writes a slurm.conf
# for this host (controller and compute node on loopback, no cgroups: the
# machine may be a container), starts munged, slurmctld and slurmd, and waits
# until `sinfo` shows the node idle. Logs go to /var/log/slurm.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "start.sh: must run as root (it installs packages and starts daemons)" >&2
  exit 2
fi

conf_dir=/etc/slurm
conf=$conf_dir/slurm.conf
node=$(hostname -s)

# 1. Packages. Keep services from auto-starting during the install (there
# may be no init system); this script starts them itself.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  echo "== installing slurm-wlm and munge"
  policy=/usr/sbin/policy-rc.d
  made_policy=
  if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' >$policy; chmod +x $policy; made_policy=1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
  if [ -n "$made_policy" ]; then rm -f $policy; fi
fi

# Already up? Then there is nothing to do.
if pgrep -x slurmctld >/dev/null && pgrep -x slurmd >/dev/null && pgrep -x munged >/dev/null &&
   timeout 10 sinfo -h -o %t 2>/dev/null | grep -qx idle; then
  echo "slurm is already running:"; sinfo
  exit 0
fi

# 2. munge: a key, its run directory, the daemon (as the munge user).
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key
  else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged
fi
for _ in $(seq 50); do munge -n </dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n </dev/null | unmunge >/dev/null || { echo "start.sh: munged does not answer" >&2; exit 1; }

# 3. slurm.conf for this host. CPUs from nproc; RealMemory 90% of the memory
# available now (slurmd drains a node that has less than it claims).
cpus=$(nproc)
avail_mb=$(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo)
mem_mb=$(( avail_mb * 9 / 10 ))
mkdir -p $conf_dir /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat >$conf <<CONF
# Written by scripts/slurm/start.sh: a single-node cluster on loopback.
ClusterName=sgdclaims
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
# No cgroups: the machine may be a container without a writable cgroup tree.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
# Debian's packages read /etc/slurm/slurm.conf; no cgroup.conf is needed
# with the plugins above.

# 4. The daemons, as root. -c: start clean, forgetting jobs of an earlier run.
if ! pgrep -x slurmctld >/dev/null; then slurmctld -c; fi
if ! pgrep -x slurmd >/dev/null; then slurmd -N "$node"; fi

# 5. Wait for the node to come up idle (bring it back if an earlier run left
# it down or drained).
for i in $(seq 60); do
  state=$(timeout 5 sinfo -h -n "$node" -o %t 2>/dev/null || true)
  case "$state" in
    idle) break ;;
    down*|drain*|drng*) scontrol update NodeName="$node" State=RESUME 2>/dev/null || true ;;
  esac
  sleep 1
done
if [ "$state" != idle ]; then
  echo "start.sh: node $node is '${state:-not known}' after 60 s, not idle; see /var/log/slurm/" >&2
  tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
  exit 1
fi
sinfo
