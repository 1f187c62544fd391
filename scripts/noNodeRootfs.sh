#!/usr/bin/env bash
# A Debian root file system without Node, for the single executable's test (test/integration/sea.test.ts):
# the local cluster's `debian` image layer (debootstrap --variant=minbase bookworm with python3,
# procps, curl and ca-certificates; test/cluster/lib/images.sh builds and caches it), unpacked once
# into the cluster's cache, outside the checkout. Idempotent: a second run only prints the path.
# /usr/local/bin/nhd and /fixtures are empty mount points for the test's bind mounts, made in a
# mount namespace of its own, so nothing is ever mounted on the shared copy outside a test.
# Prints the root's path. Needs root (debootstrap, chroot) the first time.
set -euo pipefail
# shellcheck source=../test/cluster/lib/common.sh
source "$(dirname "$0")/../test/cluster/lib/common.sh"
# shellcheck source=../test/cluster/lib/images.sh
source "$CLUSTER_SRC/lib/images.sh"
mkdir -p "$LAYER_DIR" "$LOG_DIR"

layer="$(layer_path debian)"
key="$(basename "$layer" .tar)"
root="$CACHE_DIR/rootfs/$key-no-node"
if [[ ! -f "$root/.complete" ]]; then
  stage="$root.stage-$$"
  rm -rf "$stage"
  mkdir -p "$stage"
  tar --numeric-owner -C "$stage" -xf "$layer"
  if [[ -e "$stage/usr/bin/node" || -e "$stage/usr/local/bin/node" || -e "$stage/usr/bin/nodejs" ]]; then
    rm -rf "$stage"
    die "the $key layer has a node binary; the test needs a root without one"
  fi
  mkdir -p "$stage/fixtures" "$stage/usr/local/bin" "$stage/dev" "$stage/proc" "$stage/tmp"
  : >"$stage/usr/local/bin/nhd"
  chmod 0755 "$stage/usr/local/bin/nhd"
  chmod 1777 "$stage/tmp"
  touch "$stage/.complete"
  rm -rf "$root"
  mv "$stage" "$root"
  # Roots of older layers go with them.
  find "$CACHE_DIR/rootfs" -mindepth 1 -maxdepth 1 ! -name "$key-no-node" -exec rm -rf {} + 2>/dev/null || true
fi
printf '%s\n' "$root"
