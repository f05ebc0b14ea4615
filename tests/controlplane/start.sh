#!/usr/bin/env bash
# Usage: start.sh DIR [PORT]
# Starts secprov-controlplane in the background on data dir DIR (created if
# needed), unless DIR/ready already belongs to a live control plane. Without
# PORT the apiserver port recorded in DIR/apiserver.port is reused (the first
# start picks a free one), so kubeconfigs and running clients such as the
# operator keep working across a restart; a taken port fails the start. Waits for
# DIR/ready (up to CONTROLPLANE_START_TIMEOUT seconds, default 180) and prints
# the admin kubeconfig path on stdout. The process log is DIR/controlplane.log.
# Builds the binary first if it is missing or stale (see build.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${SECPROV_CONTROLPLANE_BIN:-$repo/build/bin/secprov-controlplane}"
[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 DIR [PORT]" >&2; exit 2; }
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
port="${2:-0}"
timeout="${CONTROLPLANE_START_TIMEOUT:-180}"

alive() { # pid file -> live secprov-controlplane?
  local pid
  pid="$(cat "$dir/controlplane.pid" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q secprov-controlplane
}

if [[ -f "$dir/ready" ]] && alive; then
  echo "$dir/admin.kubeconfig"
  exit 0
fi
if alive; then
  echo "start.sh: a control plane (pid $(cat "$dir/controlplane.pid")) is starting in $dir; waiting" >&2
else
  SECPROV_CONTROLPLANE_BIN="$bin" "$here/build.sh" >&2
  rm -f "$dir/ready"
  echo "=== start $(date -u +%FT%TZ) port=${2:-recorded}" >> "$dir/controlplane.log"
  nohup "$bin" --data-dir "$dir" --port "$port" >> "$dir/controlplane.log" 2>&1 < /dev/null &
  pid=$!
fi

for ((i = 0; i < timeout * 10; i++)); do
  if [[ -f "$dir/ready" ]]; then
    echo "$dir/admin.kubeconfig"
    exit 0
  fi
  if [[ -n "${pid:-}" ]] && ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: secprov-controlplane exited; last log lines:" >&2
    tail -n 30 "$dir/controlplane.log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "start.sh: control plane not ready after ${timeout}s; see $dir/controlplane.log" >&2
exit 1
