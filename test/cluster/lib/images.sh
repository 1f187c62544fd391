# shellcheck shell=bash
# Images without a registry. Each image is a list of uncompressed layer tars plus an OCI config; we
# write an OCI image layout by hand (blobs hard-linked from the layer cache) and stream it into
# containerd with `ctr images import`. Layers are cached in $CACHE_DIR/layers keyed by their inputs;
# the base layers (Debian, Node, Go) are shared by several images, so containerd stores them once.
#
# Layers:
#   debian      debootstrap --variant=minbase bookworm + python3, procps, curl, ca-certificates
#   busybox     busybox-static with its applets, tini-static (for the pause image and tiny app images)
#   node        node_modules/node/bin/node (the Node 24 the project pins) as /usr/local/bin/node
#   debugpy     debugpy wheel from PyPI unpacked into /usr/local/lib/python3.11/dist-packages
#   coredns     CoreDNS built from github.com/coredns/coredns (test/cluster/coredns) as /coredns
#   go          this machine's Go toolchain as /usr/local/go + dlv built from github.com/go-delve/delve
#               + a build cache of the standard library
#   app:<dir>   a sample-app service, from its image.sh recipe (test/fixtures/bookinfo-lite/<svc>/image.sh)

DEBIAN_SUITE="bookworm"
DEBIAN_INCLUDE="python3,procps,curl,ca-certificates"
DEBUGPY_VERSION="1.8.22"
LAYER_DIR="$CACHE_DIR/layers"
IMAGE_DIR="$CACHE_DIR/images"
FIXTURES_DIR="$REPO_ROOT/test/fixtures/bookinfo-lite"

# The images every e2e test, the sample app and the demo use. NAME|LAYERS|CONFIG_KIND
# (app images come from the fixtures' recipes, see build_app_images).
PLATFORM_IMAGES=(
  "docker.io/nhd/pause:$IMAGE_TAG|busybox|pause"
  "docker.io/nhd/sidecar:$IMAGE_TAG|debian node|idle"
  "docker.io/nhd/dev-node:$IMAGE_TAG|debian node|idle"
  "docker.io/nhd/dev-python:$IMAGE_TAG|debian debugpy|idle"
  "docker.io/nhd/dev-go:$IMAGE_TAG|debian go|go"
  "docker.io/nhd/coredns:$IMAGE_TAG|busybox coredns|coredns"
)

debian_mirror() {
  local m
  m="$(grep -hoE '^(URIs:|deb)\s+https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
    head -n1 | awk '{print $2}')"
  printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

# finish_layer NAME KEY STAGE_TAR: moves a finished tar into the cache with its digest beside it.
finish_layer() {
  local name="$1" key="$2" tar="$3" out="$LAYER_DIR/$1-$2.tar"
  sha256sum "$tar" | cut -d' ' -f1 >"$tar.sha256"
  mv "$tar.sha256" "$out.sha256"
  mv "$tar" "$out"
  find "$LAYER_DIR" -maxdepth 1 -name "$name-*.tar*" ! -name "$name-$key.tar*" -delete 2>/dev/null || true
}

# layer_path NAME: builds the layer if its key is not cached; prints the tar's path.
layer_path() {
  local name="$1" key builder
  case "$name" in
  debian) key="$(hash_inputs debian "$DEBIAN_SUITE" "$DEBIAN_INCLUDE" "$(debian_mirror)" \
    "$(dpkg-query -W -f='${Version}' debootstrap)")" ;;
  busybox) key="$(hash_inputs busybox "$(dpkg-query -W -f='${Version}' busybox-static tini)")" ;;
  node) key="$(hash_inputs node "$("$REPO_ROOT/node_modules/node/bin/node" --version)" \
    "$(stat -c %s "$REPO_ROOT/node_modules/node/bin/node")")" ;;
  debugpy) key="$(hash_inputs debugpy "$DEBUGPY_VERSION")" ;;
  coredns) key="$(hash_inputs coredns "$COREDNS_BIN")" ;;
  go) key="$(hash_inputs go "$(go env GOVERSION)" "$(go env GOROOT)" "$DLV_BIN" prewarmed-std-1)" ;;
  app:*) key="$(app_layer_key "${name#app:}")" ;;
  *) die "unknown layer $name" ;;
  esac
  local file="${name//[:\/]/-}"
  local out="$LAYER_DIR/$file-$key.tar"
  if [[ ! -f "$out" || ! -f "$out.sha256" ]]; then
    local start=$SECONDS stage="$LAYER_DIR/.stage-$file-$$"
    log "image layer $name (cached: no) ..."
    rm -rf "$stage"
    mkdir -p "$stage/root"
    builder="build_layer_${name%%:*}"
    "$builder" "$stage/root" "$stage/layer.tar" "${name#*:}" >>"$LOG_DIR/images.log" 2>&1 ||
      { tail -n 30 "$LOG_DIR/images.log" >&2; rm -rf "$stage"; die "building image layer $name failed (log: $LOG_DIR/images.log)"; }
    finish_layer "$file" "$key" "$stage/layer.tar"
    rm -rf "$stage"
    log "image layer $name built in $((SECONDS - start)) s"
  fi
  printf '%s\n' "$out"
}

tar_dir() { tar --numeric-owner --sort=name -C "$1" -cf "$2" .; }

build_layer_debian() {
  local root="$1" tar="$2"
  require_commands debootstrap
  debootstrap --variant=minbase --include="$DEBIAN_INCLUDE" "$DEBIAN_SUITE" "$root" "$(debian_mirror)"
  # What a container image does not carry: package caches, device nodes (the runtime makes /dev).
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/dev/* "$root"/debootstrap
  : >"$root/etc/resolv.conf"
  echo nhd >"$root/etc/hostname"
  tar_dir "$root" "$tar"
}

build_layer_busybox() {
  local root="$1" tar="$2" applet
  mkdir -p "$root"/{bin,sbin,etc,tmp,root,proc,sys,dev}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
  done
  cp /usr/bin/tini-static "$root/sbin/tini"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  tar_dir "$root" "$tar"
}

build_layer_node() {
  local root="$1" tar="$2"
  mkdir -p "$root/usr/local/bin"
  cp "$REPO_ROOT/node_modules/node/bin/node" "$root/usr/local/bin/node"
  tar_dir "$root" "$tar"
}

build_layer_debugpy() {
  local root="$1" tar="$2" wheels="$1/../wheels"
  mkdir -p "$wheels" "$root/usr/local/lib/python3.11/dist-packages"
  # A binary wheel for Debian bookworm's CPython 3.11; Debian's python3-debugpy is older and drags gdb in.
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
    --abi cp311 --platform manylinux_2_17_x86_64 -d "$wheels" "debugpy==$DEBUGPY_VERSION"
  python3 -m zipfile -e "$wheels"/debugpy-*.whl "$root/usr/local/lib/python3.11/dist-packages/"
  tar_dir "$root" "$tar"
}

build_layer_coredns() {
  local root="$1" tar="$2"
  cp "$COREDNS_BIN/coredns" "$root/coredns"
  tar_dir "$root" "$tar"
}

build_layer_go() {
  local root="$1" tar="$2" goroot
  goroot="$(go env GOROOT)"
  mkdir -p "$root/usr/local/bin" "$root/root/go"
  cp "$DLV_BIN/dlv" "$root/usr/local/bin/dlv"
  # A warm build cache for the standard library, plain and as delve builds it (-N -l), so the first
  # `go build` / `dlv debug` in a fresh dev container takes seconds, not a minute. The toolchain sits
  # at the same path in the image as here, so the cache entries match.
  [[ "$goroot" == /usr/local/go ]] || echo "warning: GOROOT $goroot is not /usr/local/go: cache may miss"
  local v
  for v in "" "all=-N -l"; do
    HOME="$root/root" GOCACHE="$root/root/.cache/go-build" GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
      GOTOOLCHAIN=local nice -n 5 go build -gcflags="$v" std
  done
  tar_dir "$root" "$tar"
  # Append the toolchain without copying it first; its tests are not needed in a dev image.
  tar --numeric-owner --sort=name -C "$(dirname "$goroot")" --exclude='go/test' \
    --transform "s,^$(basename "$goroot"),usr/local/go," -rf "$tar" "$(basename "$goroot")"
}

# --- sample-app layers (recipes in test/fixtures/bookinfo-lite/<svc>/image.sh) ------------------

app_layer_key() {
  local svc="$1"
  # The Go version too: the authors binary is built by this machine's Go.
  (cd "$FIXTURES_DIR/$svc" && { go env GOVERSION; find . -type f ! -name '*.md' -print0 | sort -z | xargs -0 sha256sum; } |
    sha256sum | cut -c1-16)
}

# The recipe defines IMAGE_NAME, IMAGE_BASE (layer names), IMAGE_CMD (JSON array), IMAGE_WORKDIR,
# IMAGE_ENV (JSON array of "K=V") and populate_layer ROOT, which puts the service's files under ROOT.
build_layer_app() {
  local root="$1" tar="$2" svc="$3"
  (
    set -euo pipefail
    # shellcheck disable=SC1090
    source "$FIXTURES_DIR/$svc/image.sh"
    cd "$FIXTURES_DIR/$svc"
    populate_layer "$root"
  )
  tar_dir "$root" "$tar"
}

# --- OCI assembly and import --------------------------------------------------------------------

# image_config KIND -> "CMD_JSON|ENV_JSON|WORKDIR"
image_config() {
  local path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  case "$1" in
  coredns) echo '["/coredns","-conf","/etc/coredns/Corefile"]|["PATH=/bin:/sbin"]|/' ;;
  pause) echo '["/sbin/tini","-s","--","/bin/sleep","2147483647"]|["PATH=/bin:/sbin"]|/' ;;
  idle) echo "[\"tail\",\"-f\",\"/dev/null\"]|[\"PATH=$path\"]|/" ;;
  go) echo "[\"tail\",\"-f\",\"/dev/null\"]|[\"PATH=/usr/local/go/bin:/root/go/bin:$path\",\"GOTOOLCHAIN=local\",\"GOFLAGS=-buildvcs=false\",\"CGO_ENABLED=0\",\"GOPROXY=off\"]|/" ;;
  esac
}

# assemble_image NAME CMD_JSON ENV_JSON WORKDIR LAYER_TAR... : writes an OCI layout directory
# for NAME under $IMAGE_DIR and prints "DIR DIGEST".
assemble_image() {
  local name="$1" cmd="$2" env="$3" workdir="$4"
  shift 4
  local dir="$IMAGE_DIR/$(printf '%s' "$name" | tr '/:' '__')" l d diff_ids="" layers="" sep=""
  rm -rf "$dir"
  mkdir -p "$dir/blobs/sha256"
  for l in "$@"; do
    d="$(cat "$l.sha256")"
    ln -f "$l" "$dir/blobs/sha256/$d" 2>/dev/null || cp "$l" "$dir/blobs/sha256/$d"
    diff_ids+="$sep\"sha256:$d\""
    layers+="$sep{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$d\",\"size\":$(stat -c %s "$l")}"
    sep=","
  done
  local config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":$env,\"Cmd\":$cmd,\"WorkingDir\":\"$workdir\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diff_ids]}}"
  local cdigest
  cdigest="$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)"
  printf '%s' "$config" >"$dir/blobs/sha256/$cdigest"
  local manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cdigest\",\"size\":${#config}},\"layers\":[$layers]}"
  local mdigest
  mdigest="$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)"
  printf '%s' "$manifest" >"$dir/blobs/sha256/$mdigest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$mdigest" "${#manifest}" "$name" "${name##*:}" >"$dir/index.json"
  printf '%s sha256:%s\n' "$dir" "$mdigest"
}

# build_images: builds (or takes from the cache) every layer and writes every image's layout.
# Sets IMAGES_TO_IMPORT to lines "NAME DIR DIGEST".
build_images() {
  mkdir -p "$LAYER_DIR" "$IMAGE_DIR" "$LOG_DIR"
  : >"$LOG_DIR/images.log"
  IMAGES_TO_IMPORT=""
  local entry name layer_names kind cfg cmd env workdir tars l
  for entry in "${PLATFORM_IMAGES[@]}"; do
    IFS='|' read -r name layer_names kind <<<"$entry"
    tars=()
    for l in $layer_names; do tars+=("$(layer_path "$l")"); done
    cfg="$(image_config "$kind")"
    IFS='|' read -r cmd env workdir <<<"$cfg"
    IMAGES_TO_IMPORT+="$name $(assemble_image "$name" "$cmd" "$env" "$workdir" "${tars[@]}")"$'\n'
  done
  local recipe svc
  for recipe in "$FIXTURES_DIR"/*/image.sh; do
    [[ -f "$recipe" ]] || continue
    svc="$(basename "$(dirname "$recipe")")"
    # shellcheck disable=SC1090
    eval "$(source "$recipe" && declare -p IMAGE_NAME IMAGE_BASE IMAGE_CMD IMAGE_WORKDIR IMAGE_ENV)"
    tars=()
    for l in $IMAGE_BASE; do tars+=("$(layer_path "$l")"); done
    tars+=("$(layer_path "app:$svc")")
    IMAGES_TO_IMPORT+="$IMAGE_NAME:$IMAGE_TAG $(assemble_image "$IMAGE_NAME:$IMAGE_TAG" "$IMAGE_CMD" "$IMAGE_ENV" "$IMAGE_WORKDIR" "${tars[@]}")"$'\n'
  done
}

# import_images: imports into containerd (namespace k8s.io, the CRI plugin's) every image whose
# digest there differs from the one we built; unchanged images cost nothing.
import_images() {
  local present name dir digest n=0 start=$SECONDS
  present="$(ctr_ -n k8s.io images ls 2>/dev/null | awk 'NR>1 {print $1, $3}')"
  while read -r name dir digest; do
    [[ -n "$name" ]] || continue
    if grep -qxF "$name $digest" <<<"$present"; then continue; fi
    log "importing image $name"
    tar -C "$dir" -cf - . | ctr_ -n k8s.io images import - >>"$LOG_DIR/images.log" 2>&1 ||
      { tail -n 20 "$LOG_DIR/images.log" >&2; die "import of $name failed"; }
    n=$((n + 1))
  done <<<"$IMAGES_TO_IMPORT"
  log "images: $n imported, $(($(grep -c . <<<"$IMAGES_TO_IMPORT") - n)) already present ($((SECONDS - start)) s)"
}
