# shellcheck shell=bash
# Cluster add-ons applied after the node is Ready (manifests in test/cluster/addons/).

install_addons() {
  log "installing add-ons"
  # The default ServiceAccount appears a moment after the controller-manager starts; pods of the
  # first test need it.
  wait_until "default service account" 60 kctl get serviceaccount default -n default ||
    { tail_log kube-controller-manager; die "no default service account"; }
}
