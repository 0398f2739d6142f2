#!/usr/bin/env bash
# Lab smoke test and start-up benchmark: start a lab of simulated hosts, measure, log into a
# few, optionally ping all of them with Ansible, then tear it down (also on failure or ^C).
#
#   scripts/lab-smoke.sh [PRACTICES [WORKSTATIONS]] [--ansible]
#   scripts/lab-smoke.sh 40 5 --ansible      # 217 hosts, then `ansible -m ping` with 50 forks
#
# Needs root, openssh-server, util-linux. Python: $FLEET_PYTHON, else .venv/bin/python, else python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PRACTICES=${1:-40}
WORKSTATIONS=${2:-5}
ANSIBLE=0
for a in "$@"; do [[ $a == --ansible ]] && ANSIBLE=1; done
PY=${FLEET_PYTHON:-}
[[ -z $PY && -x .venv/bin/python ]] && PY=.venv/bin/python
PY=${PY:-python3}
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH}

WORK=$(mktemp -d /tmp/fleet-lab-smoke.XXXXXX)
LAB=$WORK/lab
cleanup() { "$PY" -m fleet.lab down --dir "$LAB" --purge >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

"$PY" - "$LAB" "$PRACTICES" "$WORKSTATIONS" "$WORK/inventory" <<'PYEOF'
import statistics, sys, time
from fleet.lab import Lab, plan_lab, write_inventory
from fleet.lab.procs import memory_kib

lab_dir, practices, workstations, inventory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lab = Lab(lab_dir)
t = time.monotonic()
state = lab.up(plan_lab(practices, workstations))
first = time.monotonic() - t
n = len(state.hosts)
print(f"first up: {n} hosts in {first:.2f}s (keys + seeding + start; start phase {state.last_start['seconds']:.2f}s)")
lab.down()
t = time.monotonic()
state = lab.up()
print(f"up again: {state.last_start['hosts']} hosts started in {time.monotonic() - t:.2f}s")
mem = [memory_kib(r.pid) for r in state.hosts.values()]
print(f"per sshd listener: RSS {statistics.mean(m['rss'] for m in mem) / 1024:.1f} MiB, "
      f"PSS {statistics.mean(m['pss'] for m in mem) / 1024:.2f} MiB")
t = time.monotonic()
up = sum(s.status == "up" for s in lab.status())
print(f"status: {up}/{n} up ({time.monotonic() - t:.2f}s)")
write_inventory(state.connected_topology(), inventory)
with open("/proc/loadavg") as f:
    print(f"load average: {f.read().split()[0]} on {__import__('os').cpu_count()} CPUs")
sys.exit(0 if up == n else 1)
PYEOF

for host in $(awk '/^Host /{print $2}' "$LAB/ssh_config" | sed -n '1p;2p;$p'); do
  printf '%-28s ' "$host"
  ssh -F "$LAB/ssh_config" "$host" 'echo "$(hostname) $(cat /var/lib/fleet-lab/boot_time) $(ls ~/.config | tr "\n" " ")"'
done

if ((ANSIBLE)); then
  ANSIBLE_BIN=$(dirname "$PY")/ansible
  [[ -x $ANSIBLE_BIN ]] || ANSIBLE_BIN=ansible
  TIMEFORMAT="ansible ping: %Rs with ${FORKS:-50} forks"
  time (ANSIBLE_SSH_CONTROL_PATH_DIR=$WORK/cp ANSIBLE_FORKS=${FORKS:-50} ANSIBLE_DEPRECATION_WARNINGS=False \
    "$ANSIBLE_BIN" -i "$WORK/inventory" all -m ping -o | awk '{print $3}' | sort | uniq -c)
fi
