# shellcheck shell=bash
# Starting and stopping the cluster's processes: etcd and the control plane on loopback, containerd
# and the kubelet inside a private mount namespace (so every mount they make disappears with them),
# kube-proxy in iptables mode, pods on the bridge $BRIDGE.

K8S_LOGV="${NHD_CLUSTER_VERBOSITY:-1}"

# --- host network ---------------------------------------------------------------------------------

setup_host_network() {
  sysctl -qw net.ipv4.ip_forward=1
  # Pod-to-Service traffic between two pods on the same bridge must pass through iptables (kube-proxy).
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
  local inst
  inst="$(sysctl -n fs.inotify.max_user_instances)"
  ((inst >= 1024)) || sysctl -qw fs.inotify.max_user_instances=1024
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  # The CNI bridge plugin accepts an address that equals its gateway, so we can own it before any pod.
  ip addr replace "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Accept forwarding to and from pods even where the FORWARD policy is DROP. Tagged for cleanup.
  iptables -C FORWARD -i "$BRIDGE" -m comment --comment nhd-cluster -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -i "$BRIDGE" -m comment --comment nhd-cluster -j ACCEPT
  iptables -C FORWARD -o "$BRIDGE" -m comment --comment nhd-cluster -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -o "$BRIDGE" -m comment --comment nhd-cluster -j ACCEPT
}

# --- control plane ------------------------------------------------------------------------------

start_etcd() {
  log "starting etcd"
  mkdir -p "$RUN_DIR/etcd"
  chmod 700 "$RUN_DIR/etcd"
  # --unsafe-no-fsync: a throwaway test cluster on a VM disk; fsync latency only slows every write.
  start_daemon etcd "$ETCD_BIN/etcd" --name nhd --data-dir "$RUN_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "nhd=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "http://127.0.0.1:$((ETCD_PEER_PORT + 1))" \
    --unsafe-no-fsync --log-level warn
  wait_until "etcd health" 30 curl -fsS "http://127.0.0.1:$ETCD_CLIENT_PORT/health" ||
    { tail_log etcd; die "etcd did not become healthy"; }
}

start_apiserver() {
  log "starting kube-apiserver"
  # Binds all local addresses: 127.0.0.1 for us, $NODE_IP (the bridge) for pods via the kubernetes
  # Service. The machine has no other reachable network.
  start_daemon kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address 0.0.0.0 --secure-port "$APISERVER_PORT" --advertise-address "$NODE_IP" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --client-ca-file "$PKI_DIR/ca.crt" \
    --tls-cert-file "$PKI_DIR/apiserver.crt" --tls-private-key-file "$PKI_DIR/apiserver.key" \
    --kubelet-client-certificate "$PKI_DIR/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI_DIR/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI_DIR/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file "$PKI_DIR/sa.pub" --service-account-signing-key-file "$PKI_DIR/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --allow-privileged=true --profiling=false --event-ttl 1h --v "$K8S_LOGV"
  wait_until "apiserver ready" 90 curl -fsk "https://127.0.0.1:$APISERVER_PORT/readyz" ||
    { tail_log kube-apiserver; die "kube-apiserver did not become ready"; }
}

start_controller_manager() {
  log "starting kube-controller-manager and kube-scheduler"
  local kc="$RUN_DIR/kubeconfigs/controller-manager.kubeconfig"
  start_daemon kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --leader-elect=false \
    --service-account-private-key-file "$PKI_DIR/sa.key" --root-ca-file "$PKI_DIR/ca.crt" \
    --use-service-account-credentials=true --service-cluster-ip-range "$SERVICE_CIDR" \
    --cluster-signing-cert-file "$PKI_DIR/ca.crt" --cluster-signing-key-file "$PKI_DIR/ca.key" \
    --allocate-node-cidrs=false --v "$K8S_LOGV"
  local ks="$RUN_DIR/kubeconfigs/scheduler.kubeconfig"
  start_daemon kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig "$ks" --authentication-kubeconfig "$ks" --authorization-kubeconfig "$ks" \
    --bind-address 127.0.0.1 --leader-elect=false --v "$K8S_LOGV"
}

# --- node: containerd ----------------------------------------------------------------------------

write_containerd_config() { # FILE [disable-cri]
  local disabled='[]'
  [[ "${2:-}" == disable-cri ]] && disabled='["io.containerd.grpc.v1.cri"]'
  mkdir -p "$CACHE_DIR/containerd-root" "$RUN_DIR/containerd" "$RUN_DIR/cni/net.d"
  cat >"$1" <<EOF
version = 2
# The image store (root) is a cache that survives down; the state (tasks, sockets) does not.
root = "$CACHE_DIR/containerd-root"
state = "$RUN_DIR/containerd/state"
disabled_plugins = $disabled
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CACHE_DIR/containerd-opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/nhd/pause:$IMAGE_TAG"
  # Root here lacks CAP_SYS_RESOURCE: a negative oom_score_adj fails every sandbox unless restricted.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN_DIR/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RUN_DIR/cni/net.d"
    max_conf_num = 1
EOF
}

write_cni_config() {
  mkdir -p "$RUN_DIR/cni/net.d" "$RUN_DIR/cni/ipam"
  cat >"$RUN_DIR/cni/net.d/10-nhd.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "nhd",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$RUN_DIR/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

# start_containerd NAME CONFIG: containerd in a new mount namespace whose mounts are shared among its
# own children (kubelet's Bidirectional propagation wants rshared) and invisible to the host.
start_containerd() {
  local name="$1" config="$2"
  rm -f "$CONTAINERD_SOCK"
  start_daemon "$name" unshare --mount --propagation private -- \
    sh -c 'mount --make-rshared / && exec containerd --config "$1"' containerd-ns "$config"
  wait_until "containerd socket" 30 ctr_ version ||
    { tail_log "$name"; die "containerd did not start"; }
}

# purge_containers: leftover containers of a run that ended without cleanup live on in containerd's
# metadata (the root is a cache we keep for its images). Delete them with the CRI plugin disabled,
# so that the real start sees a clean slate.
purge_containers() {
  [[ -f "$CACHE_DIR/containerd-root/io.containerd.metadata.v1.bolt/meta.db" ]] || return 0
  local cfg="$RUN_DIR/containerd/purge.toml" ids pid
  write_containerd_config "$cfg" disable-cri
  start_containerd containerd-purge "$cfg"
  ids="$(ctr_ -n k8s.io containers ls -q 2>/dev/null || true)"
  if [[ -n "$ids" ]]; then
    log "removing $(wc -l <<<"$ids") leftover containers from an earlier run"
    # shellcheck disable=SC2086
    ctr_ -n k8s.io containers rm $ids >/dev/null 2>&1 || true
  fi
  pid="$(pid_of containerd-purge)" && stop_pid "$pid" 10
  rm -f "$PID_DIR/containerd-purge.pid"
}

# --- node: kubelet and kube-proxy ------------------------------------------------------------------

cgroup_hierarchies() { # the mounted cgroup v1 hierarchies (and the v2 one, if any)
  awk '$9 ~ /^cgroup2?$/ {print $5}' /proc/self/mountinfo | sort -u
}

setup_cgroup_root() {
  local h
  for h in $(cgroup_hierarchies); do
    mkdir -p "$h/$CGROUP_ROOT"
    if [[ -f "$h/cpuset.cpus" ]]; then
      # A new v1 cpuset starts empty and accepts no task until cpus and mems are set.
      cat "$h/cpuset.cpus" >"$h/$CGROUP_ROOT/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h/$CGROUP_ROOT/cpuset.mems"
    fi
  done
}

write_kubelet_config() {
  mkdir -p "$RUN_DIR/kubelet" "$RUN_DIR/pod-logs"
  cat >"$RUN_DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI_DIR/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI_DIR/kubelet-serving.crt
tlsPrivateKeyFile: $PKI_DIR/kubelet-serving.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
imageServiceEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
# No CAP_SYS_RESOURCE here: the default -999 cannot be set.
oomScoreAdj: 0
failSwapOn: false
clusterDomain: $CLUSTER_DOMAIN
clusterDNS: ["$DNS_SVC_IP"]
podLogsDir: $RUN_DIR/pod-logs
# Our images come from no registry: never garbage-collect them, never evict for a full-ish disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
maxPods: 110
shutdownGracePeriod: 0s
syncFrequency: 10s
fileCheckFrequency: 5s
nodeStatusReportFrequency: 10s
EOF
}

start_kubelet() {
  log "starting kubelet"
  setup_cgroup_root
  write_kubelet_config
  local cpid
  cpid="$(pid_of containerd)" || die "containerd is not running"
  # The kubelet joins containerd's mount namespace: volume mounts it makes must be seen by containers.
  start_daemon kubelet nsenter --mount="/proc/$cpid/ns/mnt" -- "$K8S_BIN/kubelet" \
    --config "$RUN_DIR/kubelet/config.yaml" --kubeconfig "$RUN_DIR/kubeconfigs/kubelet-client.kubeconfig" \
    --root-dir "$RUN_DIR/kubelet" --cert-dir "$RUN_DIR/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v "$K8S_LOGV"
}

start_kube_proxy() {
  log "starting kube-proxy (iptables mode)"
  cat >"$RUN_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $RUN_DIR/kubeconfigs/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
oomScoreAdj: 0
nodePortAddresses: ["$NODE_IP/32"]
# Leave the host's conntrack sysctls alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {syncPeriod: 30s, minSyncPeriod: 0s}
EOF
  start_daemon kube-proxy "$K8S_BIN/kube-proxy" --config "$RUN_DIR/kube-proxy.yaml" --v "$K8S_LOGV"
}

node_ready() {
  [[ "$(kctl get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# --- teardown (down, and the recovery at the start of up) --------------------------------------

COMPONENTS_STOP_ORDER=(kubelet kube-proxy kube-scheduler kube-controller-manager kube-apiserver etcd)

pod_cgroup_pids() {
  local h
  for h in $(cgroup_hierarchies); do
    [[ -d "$h/$CGROUP_ROOT" ]] || continue
    # A pod's cgroup may vanish between find listing it and cat reading it: not an error (under
    # pipefail it would end the teardown half-way, silently).
    find "$h/$CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null || true
  done | sort -u
}

kill_pod_processes() {
  local i pids
  for ((i = 0; i < 50; i++)); do
    pids="$(pod_cgroup_pids)"
    [[ -z "$pids" ]] && return 0
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  log "warning: processes left in /$CGROUP_ROOT cgroups: $(pod_cgroup_pids | tr '\n' ' ')"
}

remove_cgroups() {
  local h
  for h in $(cgroup_hierarchies); do
    [[ -d "$h/$CGROUP_ROOT" ]] && find "$h/$CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}

# Mounts under our directory that leaked into the host's namespace (none, normally: they live in the
# containerd namespace and vanish with it), and the CNI network namespace files containerd made.
unmount_leftovers() {
  local m
  for m in $(awk -v d="$CLUSTER_DIR" '$5 ~ "^"d || $5 ~ "^/run/netns/cni-" {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  local f
  for f in /run/netns/cni-*; do
    [[ -e "$f" ]] || continue
    mountpoint -q "$f" 2>/dev/null || rm -f "$f"
  done
}

# Every iptables chain and rule we or our components made: kube-proxy's and kubelet's KUBE-*, the CNI
# plugins' CNI-*, and our own rules tagged "nhd-cluster". Each affected table is restored without them.
clean_iptables() {
  local cmd table dump
  for cmd in iptables ip6tables; do
    command -v "$cmd-save" >/dev/null || continue
    for table in filter nat mangle raw; do
      dump="$("$cmd-save" -t "$table" 2>/dev/null)" || continue
      grep -qE 'KUBE-|CNI-|nhd-cluster' <<<"$dump" || continue
      grep -vE '^:(KUBE|CNI)-|^-A (KUBE|CNI)-|-j (KUBE|CNI)-|-g (KUBE|CNI)-|nhd-cluster' <<<"$dump" |
        "$cmd-restore" -T "$table" 2>/dev/null || log "warning: could not clean $cmd table $table"
    done
  done
}

teardown() {
  local c pid pids=()
  # Nothing of a cluster's state is kept, so graceful shutdowns buy nothing (the API server alone
  # would wait ~20 s for its watches): SIGKILL the Kubernetes components and etcd at once.
  for c in "${COMPONENTS_STOP_ORDER[@]}"; do
    if pid="$(pid_of "$c")"; then pids+=("$pid"); fi
  done
  ((${#pids[@]} == 0)) || stop_pids 0 "${pids[@]}"
  kill_pod_processes
  pids=()
  for c in containerd containerd-purge; do
    if pid="$(pid_of "$c")"; then pids+=("$pid"); fi
  done
  ((${#pids[@]} == 0)) || stop_pids 10 "${pids[@]}"
  # Whatever else carries our directory in its command line: containerd shims, strays of a crash.
  local rest
  rest="$(our_pids)"
  if [[ -n "$rest" ]]; then
    # shellcheck disable=SC2086
    kill -KILL $rest 2>/dev/null || true
    sleep 0.3
  fi
  kill_pod_processes
  remove_cgroups
  unmount_leftovers
  ip link del "$BRIDGE" 2>/dev/null || true
  clean_iptables
  rm -rf "$RUN_DIR" 2>/dev/null || { unmount_leftovers; rm -rf "$RUN_DIR"; }
}
