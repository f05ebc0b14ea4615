#!/usr/bin/env bash
# Usage: stop.sh DIR
# Sends SIGTERM to the secprov-controlplane running on data dir DIR and waits
# for it to exit (SIGKILL after CONTROLPLANE_STOP_TIMEOUT seconds, default 30).
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
dir="$1"
timeout="${CONTROLPLANE_STOP_TIMEOUT:-30}"
pid="$(cat "$dir/controlplane.pid" 2>/dev/null || true)"
if [[ -z "$pid" ]] || ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q secprov-controlplane; then
  echo "stop.sh: no control plane running in $dir" >&2
  rm -f "$dir/ready" "$dir/controlplane.pid"
  exit 0
fi
kill -TERM "$pid"
for ((i = 0; i < timeout * 10; i++)); do
  kill -0 "$pid" 2>/dev/null || { echo "stop.sh: stopped pid $pid" >&2; exit 0; }
  sleep 0.1
done
echo "stop.sh: pid $pid still running after ${timeout}s; killing" >&2
kill -KILL "$pid" 2>/dev/null || true
rm -f "$dir/ready" "$dir/controlplane.pid"
