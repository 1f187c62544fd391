# shellcheck shell=bash
# Paths, logging and process helpers shared by every part of the local test cluster.
# Sourced by cluster.sh; not meant to be run on its own.

CLUSTER_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"     # test/cluster
REPO_ROOT="$(cd "$CLUSTER_SRC/../.." && pwd)"
CLUSTER_DIR="${NHD_CLUSTER_DIR:-$HOME/.cache/nhd-cluster}"
CLUSTER_DIR="$(mkdir -p "$CLUSTER_DIR" && cd "$CLUSTER_DIR" && pwd)"

# What survives `down` (caches, keyed by their inputs) ...
CACHE_DIR="$CLUSTER_DIR/cache"          # built binaries, image layers, containerd's image store
PKI_DIR="$CLUSTER_DIR/pki"              # CA and certificates: kept so a kubeconfig stays valid across runs
LOG_DIR="$CLUSTER_DIR/logs"             # component logs of the last run, for post-mortems
KUBECONFIG_PATH="$CLUSTER_DIR/kubeconfig"
# ... and what does not: everything a running cluster owns (pids, sockets, etcd data, kubelet and
# containerd state). `down` and a recovering `up` delete it.
RUN_DIR="$CLUSTER_DIR/run"
PID_DIR="$RUN_DIR/pids"

# Versions and addresses. Everything listens on loopback or on the node bridge we create; the node's
# address is the bridge's own address, so pods reach the API server and the API server the kubelet
# without touching any other interface.
K8S_VERSION="v1.34.4"
NODE_NAME="nhd-node"
BRIDGE="nhd0"
POD_CIDR="10.88.0.0/16"
NODE_IP="10.88.0.1"
SERVICE_CIDR="10.96.0.0/16"
KUBERNETES_SVC_IP="10.96.0.1"
DNS_SVC_IP="10.96.0.10"
CLUSTER_DOMAIN="cluster.local"
APISERVER_PORT=6443
ETCD_CLIENT_PORT=12379
ETCD_PEER_PORT=12380
CGROUP_ROOT="nhd"                       # kubelet's --cgroup-root: every pod lives under /nhd/kubepods
CONTAINERD_SOCK="$RUN_DIR/containerd/containerd.sock"
IMAGE_TAG="v1"                          # tag of every image we build (names are in images.sh)

START_TS=$SECONDS

# A command that fails under `set -e` ends the script; say which one, instead of ending silently
# (only where errexit is on: command substitutions run without it, and their failures are expected).
set -E
trap 'CLUSTER_ERR_RC=$?; [[ $- != *e* || -n "${CLUSTER_ERR_SHOWN:-}" ]] || { CLUSTER_ERR_SHOWN=1; printf "[cluster] ERROR: \"%s\" failed (exit %s) at %s:%s\n" "$BASH_COMMAND" "$CLUSTER_ERR_RC" "${BASH_SOURCE[0]##*/}" "$LINENO" >&2; }' ERR

log() { printf '[cluster %4ss] %s\n' "$((SECONDS - START_TS))" "$*" >&2; }
die() {
  printf '[cluster] ERROR: %s\n' "$*" >&2
  exit 1
}

# hash_inputs FILE_OR_STRING... : a short, stable key for a cache entry. Arguments that are files
# contribute their content, the others their text.
hash_inputs() {
  local a
  for a in "$@"; do
    if [[ -f "$a" ]]; then
      printf 'file %s\n' "$(basename "$a")"
      cat "$a"
    else
      printf 'str %s\n' "$a"
    fi
  done | sha256sum | cut -c1-16
}

require_root() {
  [[ "$(id -u)" == 0 ]] || die "the local cluster needs root (namespaces, mounts, iptables)"
}

require_commands() {
  local missing=() c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
  ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]} - run: bash test/cluster/install-deps.sh"
}

# --- processes -----------------------------------------------------------------------------------
# Every process we start runs a binary under CLUSTER_DIR, or is containerd (or a shim, or a namespace
# launcher) with its config or socket there. We check that before trusting or killing a PID from a
# pid file, so a reused PID of an unrelated process (or a client that merely names our kubeconfig)
# is never touched.

pid_is_ours() {
  local pid="$1" comm cmdline
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  # Our binaries live under CLUSTER_DIR (Kubernetes, etcd) ...
  [[ "$cmdline" == "$CLUSTER_DIR/"* ]] && return 0
  # ... containerd, its shims and the namespace launchers are Debian's, with our config or socket.
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  case "$comm" in
  containerd | containerd-shim* | unshare | nsenter) [[ "$cmdline" == *"$CLUSTER_DIR/"* ]] ;;
  *) return 1 ;;
  esac
}

pid_of() { # name -> pid if that component is running
  local f="$PID_DIR/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  pid_is_ours "$pid" || return 1
  printf '%s\n' "$pid"
}

# start_daemon NAME CMD...: runs CMD detached from our session (setsid, stdin from /dev/null, output to
# its log file) so that it outlives `cluster.sh up` and never holds a caller's pipes open.
start_daemon() {
  local name="$1"
  shift
  mkdir -p "$PID_DIR" "$LOG_DIR"
  # 9>&-: the daemon must not inherit cluster.sh's lock (see main in cluster.sh).
  setsid "$@" </dev/null >"$LOG_DIR/$name.log" 2>&1 9>&- &
  echo $! >"$PID_DIR/$name.pid"
}

# stop_pid PID [TIMEOUT_S]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid="$1" timeout="${2:-10}" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

# stop_pids GRACE_TENTHS PID...: SIGTERM to all, SIGKILL to those still alive after the grace
# period (in tenths of a second; 0 sends SIGKILL at once), then wait until they are gone.
stop_pids() {
  local grace="$1" i p alive
  shift
  ((grace == 0)) || kill -TERM "$@" 2>/dev/null || true
  for ((i = 0; i < grace; i++)); do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
}

# All live processes whose command line mentions CLUSTER_DIR (our daemons, containerd shims).
our_pids() {
  local p
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [[ "$p" == "$$" || "$p" == "$BASHPID" ]] && continue
    if pid_is_ours "$p"; then printf '%s\n' "$p"; fi
  done
  return 0
}

# wait_until DESCRIPTION TIMEOUT_S CMD...: polls CMD every 0.2 s.
wait_until() {
  local what="$1" timeout="$2" deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

tail_log() { # name: last lines of a component's log, for error messages
  [[ -f "$LOG_DIR/$1.log" ]] && tail -n "${2:-25}" "$LOG_DIR/$1.log" | sed "s/^/  [$1] /" >&2
  return 0
}

kctl() { kubectl --kubeconfig "$KUBECONFIG_PATH" "$@"; }
ctr_() { ctr --address "$CONTAINERD_SOCK" "$@"; }
