#!/usr/bin/env bash
# A real single-node Slurm cluster on localhost, in a folder of its own: for trying
# `qframe sweep --executor slurm` and for its test. Needs root and Debian 12's slurmctld, slurmd and
# slurm-client; no systemd, no cgroups, no munge (auth/none).
#   tools/slurm/local_cluster.sh start DIR [CPUS]   # writes DIR/slurm.conf, starts the daemons,
#                                                   # waits until the node is idle
#   export SLURM_CONF=DIR/slurm.conf                # then sbatch, squeue, qframe sweep … use it
#   tools/slurm/local_cluster.sh stop DIR
set -euo pipefail
action=${1:?usage: local_cluster.sh start|stop DIR [CPUS]}
dir=$(mkdir -p "${2:?no folder given}" && cd "$2" && pwd)
export SLURM_CONF=$dir/slurm.conf

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

case $action in
start)
  for program in slurmctld slurmd sbatch; do
    command -v "$program" > /dev/null || { echo "$program not found (apt-get install slurmctld slurmd slurm-client)" >&2; exit 2; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "a local Slurm cluster without munge runs as root" >&2; exit 2; }
  mkdir -p "$dir/state" "$dir/spool"
  cat > "$SLURM_CONF" <<CONF
ClusterName=qframe-local
SlurmctldHost=localhost
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
AuthType=auth/none
CredType=cred/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
SlurmdParameters=config_overrides
MpiDefault=none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
NodeName=localhost NodeAddr=127.0.0.1 CPUs=${3:-8} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  slurmctld -D -i > "$dir/slurmctld.out" 2>&1 &
  slurmd -D -N localhost > "$dir/slurmd.out" 2>&1 &
  for _ in $(seq 100); do
    sinfo -h -o '%T' 2> /dev/null | grep -q idle && { echo "Slurm is up: export SLURM_CONF=$SLURM_CONF"; exit 0; }
    sleep 0.2
  done
  echo "the local Slurm cluster did not come up; logs in $dir" >&2
  tail -5 "$dir"/*.out "$dir"/*.log >&2 || true
  exit 1
  ;;
stop)
  scontrol shutdown > /dev/null 2>&1 || true
  for pidfile in "$dir/slurmctld.pid" "$dir/slurmd.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null || true
  done
  ;;
*) echo "usage: local_cluster.sh start|stop DIR [CPUS]" >&2; exit 2 ;;
esac
