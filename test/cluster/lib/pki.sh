# shellcheck shell=bash
# Certificates and kubeconfigs, made locally with openssl. One CA signs everything (serving and
# client certificates); identities follow Kubernetes' defaults so that the built-in RBAC bindings
# apply (system:kube-controller-manager, system:kube-scheduler, system:kube-proxy,
# system:node:<node> in system:nodes, and system:masters for the admin and the API server's
# kubelet client). Kept across runs in $PKI_DIR; regenerated when PKI_VERSION changes.

PKI_VERSION="3 $NODE_IP $KUBERNETES_SVC_IP $NODE_NAME"

# pki_issue NAME CN ORG EXT_KEY_USAGE [SAN]
pki_issue() {
  local name="$1" cn="$2" org="$3" eku="$4" san="${5:-}" subj ext
  subj="/CN=$cn"
  [[ -n "$org" ]] && subj="/O=$org$subj"
  ext="$PKI_DIR/$name.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } >"$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$PKI_DIR/$name.key" -subj "$subj" -out "$PKI_DIR/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile "$ext" -out "$PKI_DIR/$name.crt" 2>/dev/null
  rm -f "$PKI_DIR/$name.csr" "$ext"
}

ensure_pki() {
  if [[ -f "$PKI_DIR/.version" && "$(cat "$PKI_DIR/.version")" == "$PKI_VERSION" ]]; then
    log "certificates (cached: yes)"
    return 0
  fi
  log "certificates (cached: no) - generating CA, serving and client certificates"
  require_commands openssl
  rm -rf "$PKI_DIR"
  mkdir -p "$PKI_DIR"
  chmod 700 "$PKI_DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -keyout "$PKI_DIR/ca.key" -out "$PKI_DIR/ca.crt" -subj "/CN=nhd-test-cluster-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  local apiserver_san="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  apiserver_san+=",DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$KUBERNETES_SVC_IP"
  pki_issue apiserver kube-apiserver "" serverAuth "$apiserver_san"
  pki_issue apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth
  pki_issue admin nhd-admin system:masters clientAuth
  pki_issue controller-manager system:kube-controller-manager "" clientAuth
  pki_issue scheduler system:kube-scheduler "" clientAuth
  pki_issue kube-proxy system:kube-proxy "" clientAuth
  pki_issue kubelet-client "system:node:$NODE_NAME" system:nodes clientAuth
  pki_issue kubelet-serving "$NODE_NAME" "" serverAuth "DNS:$NODE_NAME,DNS:localhost,IP:$NODE_IP,IP:127.0.0.1"
  # Service account tokens are signed with an RSA key (the API server verifies with the public half).
  openssl genrsa -out "$PKI_DIR/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null
  chmod 600 "$PKI_DIR"/*.key
  printf '%s' "$PKI_VERSION" >"$PKI_DIR/.version"
}

# write_kubeconfig FILE CERT_NAME SERVER: a kubeconfig with the credentials embedded, so it can be
# copied elsewhere and still work.
write_kubeconfig() {
  local file="$1" cert="$2" server="$3"
  local tmp="$file.tmp.$$"
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: nhd
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$PKI_DIR/ca.crt")
users:
- name: $cert
  user:
    client-certificate-data: $(base64 -w0 <"$PKI_DIR/$cert.crt")
    client-key-data: $(base64 -w0 <"$PKI_DIR/$cert.key")
contexts:
- name: nhd
  context:
    cluster: nhd
    user: $cert
current-context: nhd
EOF
  chmod 600 "$tmp"
  mv "$tmp" "$file"
}

write_kubeconfigs() {
  local server="https://127.0.0.1:$APISERVER_PORT" c
  mkdir -p "$RUN_DIR/kubeconfigs"
  for c in controller-manager scheduler kube-proxy kubelet-client; do
    write_kubeconfig "$RUN_DIR/kubeconfigs/$c.kubeconfig" "$c" "$server"
  done
  write_kubeconfig "$KUBECONFIG_PATH" admin "$server"
}
