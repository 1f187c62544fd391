# shellcheck shell=bash
# Cluster add-ons applied after the node is Ready (manifests in test/cluster/addons/):
#   coredns.yaml               cluster DNS (kube-dns Service at $DNS_SVC_IP)
#   hostpath-provisioner.yaml  the default StorageClass nhd-hostpath and its provisioner (+ .js)
# Manifests carry @PLACEHOLDERS@ that are filled in here.

PV_ROOT_DIR="$RUN_DIR/volumes"

render_addon() {
  sed -e "s|@DNS_SVC_IP@|$DNS_SVC_IP|g" -e "s|@CLUSTER_DOMAIN@|$CLUSTER_DOMAIN|g" \
    -e "s|@IMAGE_TAG@|$IMAGE_TAG|g" -e "s|@PV_ROOT@|$PV_ROOT_DIR|g" "$CLUSTER_SRC/addons/$1"
}

install_addons() {
  log "installing add-ons (CoreDNS, hostpath StorageClass)"
  mkdir -p "$PV_ROOT_DIR"
  {
    render_addon coredns.yaml
    echo ---
    kctl create configmap hostpath-provisioner -n kube-system \
      --from-file="$CLUSTER_SRC/addons/hostpath-provisioner.js" --dry-run=client -o yaml
    echo ---
    render_addon hostpath-provisioner.yaml
  } | kctl apply --server-side --force-conflicts -f - >"$LOG_DIR/addons.log" 2>&1 ||
    { tail -n 20 "$LOG_DIR/addons.log" >&2; die "applying add-ons failed"; }
  # The default ServiceAccount appears a moment after the controller-manager starts; pods of the
  # first test need it. DNS must answer before a test's pods look names up.
  wait_until "default service account" 60 kctl get serviceaccount default -n default ||
    { tail_log kube-controller-manager; die "no default service account"; }
  kctl -n kube-system rollout status deployment/coredns --timeout=90s >>"$LOG_DIR/addons.log" 2>&1 ||
    { kctl -n kube-system get pods -o wide >&2; tail_log kubelet 30; die "CoreDNS did not become ready"; }
}
