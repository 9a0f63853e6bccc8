#!/usr/bin/env bash
# A private single-node Slurm for tests: munged, slurmctld and slurmd under one directory,
# bound to 127.0.0.1 on free ports. Touches nothing system-wide.
#   slurm_cluster.sh start DIR [LINE...]   starts them (LINEs added to slurm.conf, e.g.
#                                          MaxArraySize=2); prints the slurm.conf path once the node is idle
#   slurm_cluster.sh stop DIR    stops what `start DIR` started (scontrol shutdown, munged by pid)
set -euo pipefail
cmd=${1:?start|stop}
D=${2:?directory}
extra=("${@:3}")
M=$D/munge
S=$D/slurm
export SLURM_CONF=$S/slurm.conf

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

fail() {
  echo "slurm_cluster: $*" >&2
  for f in "$M/log/munged.log" "$S/log/slurmctld.log" "$S/log/slurmd.log"; do
    [[ -f $f ]] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}

start() {
  for bin in munged mungekey slurmctld slurmd sinfo sbatch; do
    command -v "$bin" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$bin" >/dev/null 2>&1 ||
      fail "$bin is not installed (scripts/setup installs slurm-wlm and munge)"
  done
  export PATH=$PATH:/usr/sbin
  mkdir -p "$D" && chmod 755 "$D"
  mkdir -p "$M/etc" "$M/run" "$M/log" "$M/lib"
  mungekey -c -k "$M/etc/munge.key" >/dev/null
  chown -R munge:munge "$M"
  chmod 700 "$M/etc" "$M/lib" "$M/log"; chmod 755 "$M" "$M/run"; chmod 400 "$M/etc/munge.key"
  runuser -u munge -- munged --key-file="$M/etc/munge.key" --socket="$M/run/munge.socket.2" \
    --pid-file="$M/run/munged.pid" --log-file="$M/log/munged.log" --seed-file="$M/lib/munged.seed" ||
    fail "munged did not start"

  mkdir -p "$S/spool/d" "$S/state" "$S/log" "$S/run"
  chown -R slurm:slurm "$S/state" "$S/log" "$S/run"
  local ctld_port slurmd_port
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(free_port); done
  cat >"$SLURM_CONF" <<CONF
ClusterName=hone-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$M/run/munge.socket.2
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool/d
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$S/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmdParameters=config_overrides
DefMemPerCPU=100
ReturnToService=2
SchedulerParameters=sched_interval=1
MinJobAge=300
KillWait=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=8 Boards=1 SocketsPerBoard=1 CoresPerSocket=8 ThreadsPerCore=1 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  local line
  for line in "${extra[@]}"; do echo "$line" >>"$SLURM_CONF"; done
  slurmctld -f "$SLURM_CONF" -c || fail "slurmctld did not start"
  slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
  for _ in $(seq 1 300); do
    if [[ $(sinfo -h -o '%t' 2>/dev/null) == idle ]]; then
      echo "$SLURM_CONF"
      return 0
    fi
    sleep 0.1
  done
  fail "the node did not become idle within 30 s (sinfo: $(sinfo -h 2>&1 | head -3))"
}

stop() {
  [[ -f $SLURM_CONF ]] || return 0
  local ctld slurmd
  ctld=$(cat "$S/run/slurmctld.pid" 2>/dev/null || true)
  slurmd=$(cat "$S/run/slurmd.pid" 2>/dev/null || true)
  timeout 10 scontrol shutdown >/dev/null 2>&1 || true
  for pid in $ctld $slurmd; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  local munged
  munged=$(cat "$M/run/munged.pid" 2>/dev/null || true)
  if [[ -n $munged ]]; then
    kill "$munged" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$munged" 2>/dev/null || break; sleep 0.1; done
  fi
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) fail "unknown command $cmd" ;;
esac
