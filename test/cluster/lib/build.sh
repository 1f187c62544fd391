# shellcheck shell=bash
# Builds the Go binaries the cluster runs, each into a cache directory keyed by its inputs
# (go.mod, go.sum, sources, Go version, flags). A key that exists is reused without calling go at all;
# Go's own module and build caches (under $HOME) make a rebuild after an input change incremental.

GO_BUILD_FLAGS=(-p 2 -trimpath)
GO_LDFLAGS="-s -w"
# A module build carries no version stamp; Kubernetes reports gitVersion to kubectl and to its peers.
K8S_LDFLAGS="$GO_LDFLAGS"
for kv in "gitVersion=$K8S_VERSION" "gitMajor=$(cut -d. -f1 <<<"${K8S_VERSION#v}")" \
  "gitMinor=$(cut -d. -f2 <<<"$K8S_VERSION")" gitTreeState=clean; do
  K8S_LDFLAGS+=" -X k8s.io/component-base/version.$kv -X k8s.io/client-go/pkg/version.$kv"
done
unset kv
K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

# go_build_cached NAME MODULE_DIR LDFLAGS PACKAGE... : prints the bin directory holding the binaries.
go_build_cached() {
  local name="$1" moddir="$2" ldflags="$3"
  shift 3
  local key dir tmp start sources
  # Inputs by content, never by path: a fresh clone elsewhere (CI) must find the same key.
  sources="$(compgen -G "$moddir/*.go" | sort || true)"
  # shellcheck disable=SC2086
  key="$(hash_inputs "$moddir/go.mod" "$moddir/go.sum" $sources "$(go env GOVERSION)" \
    "${GO_BUILD_FLAGS[*]}" "$ldflags" "cgo=${CGO_ENABLED:-}" "$*")"
  dir="$CACHE_DIR/bin/$name-$key"
  if [[ -f "$dir/.complete" ]]; then
    log "building $name (cached: yes, $dir)"
    printf '%s\n' "$dir"
    return 0
  fi
  log "building $name (cached: no) - go build ${*##*/} ..."
  start=$SECONDS
  tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # nice: the machine has 2 cores that the rest of the work shares.
  if ! (cd "$moddir" && GOFLAGS=-buildvcs=false nice -n 5 go build "${GO_BUILD_FLAGS[@]}" -ldflags="$ldflags" -o "$tmp/" "$@") \
    >"$LOG_DIR/build-$name.log" 2>&1; then
    tail -n 30 "$LOG_DIR/build-$name.log" >&2
    rm -rf "$tmp"
    die "go build of $name failed (log: $LOG_DIR/build-$name.log)"
  fi
  touch "$tmp/.complete"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  # Keep only the newest build of each name: old keys are dead weight (100s of MB each).
  find "$CACHE_DIR/bin" -maxdepth 1 -name "$name-*" ! -path "$dir" -exec rm -rf {} + 2>/dev/null || true
  log "built $name in $((SECONDS - start)) s"
  printf '%s\n' "$dir"
}

build_all() {
  mkdir -p "$CACHE_DIR/bin" "$LOG_DIR"
  require_commands go
  local pkgs=() c
  for c in "${K8S_COMPONENTS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  K8S_BIN="$(go_build_cached kubernetes "$CLUSTER_SRC" "$K8S_LDFLAGS" "${pkgs[@]}")"
  ETCD_BIN="$(go_build_cached etcd "$CLUSTER_SRC/etcd" "$GO_LDFLAGS" .)"
  # CoreDNS runs in a busybox image without a libc: static, no cgo.
  COREDNS_BIN="$(CGO_ENABLED=0 go_build_cached coredns "$CLUSTER_SRC/coredns" "$GO_LDFLAGS" .)"
  DLV_BIN="$(go_build_cached delve "$CLUSTER_SRC/delve" "$GO_LDFLAGS" github.com/go-delve/delve/cmd/dlv)"
  export K8S_BIN ETCD_BIN COREDNS_BIN DLV_BIN
}
