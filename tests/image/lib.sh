# Sourced by scripts/image.sh and tests/image/run.sh: the one buildah storage both use, private
# to this work tree (build/images), vfs because overlay needs kernel support this machine and
# CI may lack, and chroot isolation (set per command) because there is no container runtime.
# shellcheck shell=bash
image_work="${image_work:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/images}"
IMAGE_BUILDAH=(buildah --root "$image_work/storage" --runroot "$image_work/runroot"
  --storage-driver vfs)
image_buildah() { "${IMAGE_BUILDAH[@]}" "$@"; }
