#!/usr/bin/env bash
# Installs what building and testing secprov needs on Debian 12. Safe to re-run:
# packages already present are skipped, and the Go control plane is rebuilt only
# when its sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl openssl python3
  libcpprest-dev libssl-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev
  libsimdjson-dev
  libgtest-dev libgmock-dev googletest prometheus-cpp-dev libcli11-dev
  strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libcharon-extra-plugins iproute2
  golang-go
  haproxy nghttp2-client nghttp2-server  # enabler rotation wire test (HAProxy, h2c backend)
  buildah mmdebstrap  # OCI images from the Dockerfile without a Docker engine (scripts/image.sh, tests/image)
)

missing=()
for p in "${packages[@]}"; do
  # A Go already on PATH is enough; Debian's golang-go is only the fallback.
  [[ "$p" == golang-go ]] && command -v go >/dev/null 2>&1 && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# A cold Go build cache makes this the longest step of a first run (see README.md).
echo "==> building the local control plane and a kubectl of the same release" \
  "(first run: over 20 minutes on 2 busy cores, progress every 20 s; then seconds)"
tests/controlplane/build.sh
tests/controlplane/build-kubectl.sh
tests/tools/helm/build.sh  # helm from its Go module (chart tests)
tests/consumers/free5gc/build.sh  # free5GC config validator (integration tests)
