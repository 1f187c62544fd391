#!/usr/bin/env bash
# Installs, from Debian's packages, everything the local test cluster needs on a fresh machine.
# Idempotent: when every package is already installed it does nothing (no apt-get update).
# Quiet on success; apt's output goes to a log file whose tail is printed on failure.
set -euo pipefail

CLUSTER_DIR="${NHD_CLUSTER_DIR:-$HOME/.cache/nhd-cluster}"
LOG="$CLUSTER_DIR/logs/install-deps.log"
mkdir -p "$(dirname "$LOG")"

# Why each one:
#  containerd, runc              container runtime (CRI plugin built into Debian's containerd 1.6)
#  containernetworking-plugins   bridge, host-local, portmap, loopback CNI plugins (/usr/lib/cni)
#  iptables, conntrack, ebtables kube-proxy (iptables mode), CNI portmap/firewall, kubelet checks
#  socat, ethtool                kubelet/port-forward helpers
#  debootstrap, busybox-static, tini (ships tini-static)  rootfs of the images we build without a registry
#  openssl                       cluster certificates
#  util-linux, iproute2, procps, psmisc, curl, ca-certificates   unshare/nsenter, ip, ps, fuser, health checks
PACKAGES=(
  containerd runc containernetworking-plugins
  iptables conntrack ebtables socat ethtool
  debootstrap busybox-static tini
  openssl util-linux iproute2 procps psmisc curl ca-certificates
  debian-archive-keyring
)

missing_packages() {
  local p status
  for p in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$p"
  done
}

mapfile -t MISSING < <(missing_packages)
if ((${#MISSING[@]} == 0)); then
  exit 0
fi

start=$SECONDS
echo "[install-deps] installing: ${MISSING[*]} (log: $LOG)" >&2
export DEBIAN_FRONTEND=noninteractive
{
  apt-get update -q
  # --no-install-recommends: containerd recommends nothing we need; keeps the install small.
  apt-get install -y -q --no-install-recommends "${MISSING[@]}"
} >"$LOG" 2>&1 || {
  echo "[install-deps] FAILED; last lines of $LOG:" >&2
  tail -n 40 "$LOG" >&2
  exit 1
}

# Debian starts containerd through its init script/unit on install where it can; this machine has no
# systemd, but make sure no system containerd is left running: the cluster runs its own private one.
if [[ -f /run/containerd/containerd.pid ]]; then
  pid="$(cat /run/containerd/containerd.pid 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
fi
echo "[install-deps] done in $((SECONDS - start)) s" >&2
