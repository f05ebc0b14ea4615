#!/usr/bin/env bash
# Builds the two OCI images from the project's Dockerfile without a Docker engine, as root,
# with Debian's mmdebstrap (the Debian 12 base) and buildah (vfs storage, chroot isolation).
# Usage: scripts/image.sh [--rebuild]
#   --rebuild  makes the base tarball and base image again (otherwise reused when present).
# Images (buildah storage under build/images/storage, see tests/image/lib.sh):
#   secprov/operator:dev and secprov/enabler:dev, also tagged with the git short sha.
# OCI archives: build/images/secprov-operator.oci.tar, build/images/secprov-enabler.oci.tar.
# Safe to re-run: the Dockerfile stages are cached by buildah (--layers), so an unchanged tree
# rebuilds in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="$root/build/images"

rebuild=0
for arg in "$@"; do
  case "$arg" in
    --rebuild) rebuild=1 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "image.sh: unknown argument $arg (--rebuild)" >&2; exit 2 ;;
  esac
done
[[ "$(id -u)" -eq 0 ]] || { echo "image.sh: needs root (mmdebstrap, buildah chroot)" >&2; exit 1; }
for tool in mmdebstrap buildah; do
  command -v "$tool" >/dev/null || { echo "image.sh: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done

# shellcheck source=../tests/image/lib.sh
source "$root/tests/image/lib.sh"
mkdir -p "$work"

base_tar="$work/base-bookworm.tar"
base_image="localhost/secprov-base:bookworm"
sha="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"

step_start=0
step() { step_start=$SECONDS; echo "==> image: $*"; }
took() { awk -v s=$((SECONDS - step_start)) -v n="$1" 'BEGIN { printf "==> image: %s took %.1f min\n", n, s / 60 }'; }

# 1. Debian 12 base, like debian:12-slim: minbase, no docs or man pages (the dpkg excludes
# stay in the rootfs, so the Dockerfile's own apt-get installs honour them too).
if ((rebuild)) || [[ ! -f "$base_tar" || ! -s "$base_tar" ]]; then
  step "base tarball (mmdebstrap bookworm)"
  rm -rf "$base_tar" "$base_tar.tmp"
  # The merged-usr hook makes /bin -> usr/bin itself; otherwise the usrmerge package (and
  # perl with it, ~50 MB) would end up in every image.
  nice -n 10 mmdebstrap --variant=minbase --format=tar --quiet \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$base_tar.tmp" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  mv "$base_tar.tmp" "$base_tar"
  rebuild=1
  took "base tarball"
fi

# 2. The tarball as a local image: the Dockerfile's BASE.
if ((rebuild)) || ! image_buildah inspect --type image "$base_image" >/dev/null 2>&1; then
  step "base image $base_image"
  # A new base invalidates every cached layer: drop them all (this storage is ours alone).
  image_buildah rm --all >/dev/null 2>&1 || true
  image_buildah rmi --all --force >/dev/null 2>&1 || true
  ctr="$(image_buildah from scratch)"
  image_buildah add "$ctr" "$base_tar" / >/dev/null
  image_buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd /bin/bash "$ctr"
  image_buildah commit --rm --quiet "$ctr" "$base_image" >/dev/null
  took "base image"
fi

# 3. A build context of the tracked and new source files only (the work tree also holds
# many build directories, which a context must not carry).
step "build context"
context="$work/context"
rm -rf "$context"
mkdir -p "$context"
git -C "$root" ls-files -z --cached --others --exclude-standard -- Dockerfile .dockerignore CMakeLists.txt operator |
  while IFS= read -r -d '' f; do [[ -f "$f" ]] && printf '%s\0' "$f"; done |
  tar -C "$root" --null -T - -cf - | tar -C "$context" -xf -

bud() { # TARGET TAG...
  local target="$1"
  shift
  local tags=()
  for t in "$@"; do tags+=(-t "$t"); done
  nice -n 10 "${IMAGE_BUILDAH[@]}" bud --isolation chroot --layers --jobs 1 \
    --build-arg BASE="$base_image" --target "$target" "${tags[@]}" \
    -f "$context/Dockerfile" "$context"
}

# 4. The build stage alone first, so its time shows; the runtime stages reuse its layers.
step "build stage (compiles secprov-operator and secprov-enabler-agent)"
bud build localhost/secprov-build:dev
took "build stage"

step "runtime stages (operator, enabler)"
bud operator secprov/operator:dev "secprov/operator:$sha"
bud enabler secprov/enabler:dev "secprov/enabler:$sha"
took "runtime stages"

# 5. OCI archives for a registry or a cluster's image loader.
step "export OCI archives"
for name in operator enabler; do
  rm -f "$work/secprov-$name.oci.tar"
  image_buildah push --quiet "secprov/$name:dev" \
    "oci-archive:$work/secprov-$name.oci.tar:secprov/$name:dev"
done
took "export"

# Dangling layers of earlier builds would fill the disk over many re-runs.
image_buildah rmi --prune >/dev/null 2>&1 || true
image_buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep -E 'secprov/(operator|enabler)' || true
ls -l "$work"/*.oci.tar
