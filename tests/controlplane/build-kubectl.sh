#!/usr/bin/env bash
# Builds kubectl from the same Kubernetes release as the control plane into build/bin/kubectl
# (for machines without one). Safe to re-run; skipped when up to date.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../../build/bin/kubectl"
mkdir -p "$(dirname "$out")"
if [[ -x "$out" && "$out" -nt "$here/go.sum" && "$out" -nt "$here/cmd/kubectl/main.go" ]]; then
  echo "kubectl is up to date: $out"; exit 0
fi
cd "$here"
CGO_ENABLED=0 GOTOOLCHAIN=local go build -ldflags "-s -w" -o "$out" ./cmd/kubectl
echo "built $out"
