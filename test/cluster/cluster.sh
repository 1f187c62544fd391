#!/usr/bin/env bash
# The local single-node Kubernetes cluster that e2e tests, benchmarks and the demo run on.
#
#   cluster.sh up           build what is missing (cached), start everything, print `export KUBECONFIG=...`
#   cluster.sh down         stop every process it started, unmount, remove bridge and iptables rules
#   cluster.sh status       exit 0 when the cluster is up and its node Ready, non-zero otherwise
#   cluster.sh verify-down  exit 0 when nothing of the cluster is left (processes, mounts, network)
#   cluster.sh build        only build binaries and images (no root needed for most of it)
#   cluster.sh memory       sum of the resident memory of the cluster's processes and pods
#
# State lives in ${NHD_CLUSTER_DIR:-$HOME/.cache/nhd-cluster}; see test/cluster/README.md.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$CLUSTER_SRC/lib/build.sh"
source "$CLUSTER_SRC/lib/pki.sh"
source "$CLUSTER_SRC/lib/images.sh"
source "$CLUSTER_SRC/lib/node.sh"
source "$CLUSTER_SRC/lib/addons.sh"

COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)

print_export() {
  log "cluster is up: node $NODE_NAME Ready ($((SECONDS - START_TS)) s)"
  printf 'export KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
}

# is_up: every component alive, the API server ready, the node Ready.
is_up() {
  local c
  for c in "${COMPONENTS[@]}"; do pid_of "$c" >/dev/null || return 1; done
  curl -fsk --max-time 3 "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null 2>&1 || return 1
  node_ready
}

cmd_up() {
  require_root
  require_commands containerd runc ctr iptables ip unshare nsenter curl openssl kubectl go
  if is_up; then
    log "already up; bringing images up to date"
    # Images are cheap to check (cache keys) and tests may have changed a sample-app service.
    build_all
    build_images
    import_images
    print_export
    return 0
  fi
  if [[ -d "$RUN_DIR" ]] || [[ -n "$(our_pids)" ]] || ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "cleaning up what an earlier run left behind"
    teardown
  fi
  mkdir -p "$RUN_DIR" "$PID_DIR" "$LOG_DIR"
  rm -f "$LOG_DIR"/*.log
  build_all
  build_images
  ensure_pki
  write_kubeconfigs
  setup_host_network
  write_cni_config
  purge_containers

  # The control plane and containerd start side by side; images are imported while the API server
  # comes up.
  start_etcd
  write_containerd_config "$RUN_DIR/containerd/config.toml"
  log "starting containerd"
  start_containerd containerd "$RUN_DIR/containerd/config.toml"
  start_apiserver
  start_controller_manager
  import_images
  start_kubelet
  start_kube_proxy
  log "waiting for node $NODE_NAME to be Ready"
  wait_until "node Ready" 120 node_ready || {
    tail_log kubelet 40
    die "node $NODE_NAME did not become Ready (logs: $LOG_DIR)"
  }
  install_addons
  print_export
}

cmd_down() {
  require_root
  log "stopping the cluster"
  teardown
  log "down ($((SECONDS - START_TS)) s); caches kept in $CACHE_DIR"
}

cmd_status() {
  local c pid ok=0
  for c in "${COMPONENTS[@]}"; do
    if pid="$(pid_of "$c")"; then
      printf '%-24s running (pid %s)\n' "$c" "$pid"
    else
      printf '%-24s not running\n' "$c"
      ok=1
    fi
  done
  if curl -fsk --max-time 3 "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null 2>&1; then
    printf '%-24s ready (https://127.0.0.1:%s)\n' apiserver "$APISERVER_PORT"
  else
    printf '%-24s not ready\n' apiserver
    ok=1
  fi
  if ((ok == 0)) && node_ready; then
    printf '%-24s Ready\n' "node $NODE_NAME"
    printf 'export KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
  else
    printf '%-24s not Ready\n' "node $NODE_NAME"
    ok=1
  fi
  return $ok
}

cmd_verify_down() {
  local problems=() pids
  pids="$(our_pids | tr '\n' ' ')"
  [[ -z "${pids// /}" ]] || problems+=("processes still running: $pids")
  pids="$(pod_cgroup_pids | tr '\n' ' ')"
  [[ -z "${pids// /}" ]] || problems+=("pod processes still running: $pids")
  local h
  for h in $(cgroup_hierarchies); do
    [[ -d "$h/$CGROUP_ROOT" ]] && problems+=("cgroup left: $h/$CGROUP_ROOT")
  done
  local mounts
  mounts="$(awk -v d="$CLUSTER_DIR" '$5 ~ "^"d || $5 ~ "^/run/netns/cni-" {print $5}' /proc/self/mountinfo | tr '\n' ' ')"
  [[ -z "${mounts// /}" ]] || problems+=("mounts left: $mounts")
  compgen -G '/run/netns/cni-*' >/dev/null && problems+=("network namespaces left: $(echo /run/netns/cni-*)")
  ip link show "$BRIDGE" >/dev/null 2>&1 && problems+=("bridge $BRIDGE still exists")
  local cmd
  for cmd in iptables ip6tables; do
    command -v "$cmd-save" >/dev/null || continue
    if "$cmd-save" 2>/dev/null | grep -qE 'KUBE-|CNI-|nhd-cluster'; then
      problems+=("$cmd rules left: $("$cmd-save" | grep -cE 'KUBE-|CNI-|nhd-cluster') lines")
    fi
  done
  [[ -d "$RUN_DIR" ]] && problems+=("run directory left: $RUN_DIR")
  if ((${#problems[@]})); then
    printf '[cluster] verify-down FAILED:\n' >&2
    printf '  - %s\n' "${problems[@]}" >&2
    return 1
  fi
  log "verify-down: nothing of the cluster is left running"
}

cmd_memory() {
  local pids total=0 p rss
  pids="$( (our_pids; pod_cgroup_pids) | sort -u)"
  for p in $pids; do
    rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)"
    total=$((total + ${rss:-0}))
  done
  printf 'processes: %s, RSS total: %s MiB\n' "$(wc -w <<<"$pids")" "$((total / 1024))"
}

main() {
  local cmd="${1:-}"
  case "$cmd" in
  up | down | verify-down)
    # One cluster operation at a time (two test runs starting the cluster together).
    mkdir -p "$CLUSTER_DIR"
    exec 9>"$CLUSTER_DIR/.lock"
    flock 9
    ;;
  esac
  case "$cmd" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  verify-down) cmd_verify_down ;;
  build)
    build_all
    build_images
    ;;
  memory) cmd_memory ;;
  *)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
  esac
}

main "$@"
