#!/usr/bin/env bash
# Installs the debuggers the DAP proxy's integration tests and benchmark run against, into a cache
# outside the checkout ($NHD_DEBUGGERS_DIR, default ~/.cache/nhd-debuggers):
#   bin/dlv           delve built from test/cluster/delve/go.mod, the same pin as the Go dev image
#                     (Debian's delve 1.20 does not know this machine's Go)
#   venv/bin/python   a venv with debugpy from PyPI at the dev-python image's version
# Idempotent: each is rebuilt only when its inputs (pins, Go or Python version) change.
# test/support/debuggers.ts finds them here (or through NHD_DLV / NHD_DEBUGPY_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/../.."

DIR="${NHD_DEBUGGERS_DIR:-$HOME/.cache/nhd-debuggers}"
mkdir -p "$DIR/bin" "$DIR/logs"
log() { echo "[debuggers] $*" >&2; }

GO="$(command -v go || true)"
[[ -n "$GO" ]] || GO=/usr/local/go/bin/go
[[ -x "$GO" ]] || { log "Go not found (PATH or /usr/local/go/bin/go): delve cannot be built"; exit 1; }

# delve: keyed by the module pin and the Go version that builds it.
dlv_key="$(cat test/cluster/delve/go.mod test/cluster/delve/go.sum <("$GO" env GOVERSION) | sha256sum | cut -c1-16)"
if [[ -x "$DIR/bin/dlv" && "$(cat "$DIR/bin/.dlv-key" 2>/dev/null)" == "$dlv_key" ]]; then
  :
else
  log "building delve from test/cluster/delve/go.mod with $("$GO" env GOVERSION)"
  start=$SECONDS
  if ! (cd test/cluster/delve && GOFLAGS=-buildvcs=false nice -n 5 "$GO" build -p 2 -trimpath -ldflags="-s -w" \
        -o "$DIR/bin/dlv.tmp" github.com/go-delve/delve/cmd/dlv) >"$DIR/logs/dlv-build.log" 2>&1; then
    tail -n 30 "$DIR/logs/dlv-build.log" >&2
    log "go build of delve failed (log: $DIR/logs/dlv-build.log)"
    exit 1
  fi
  mv "$DIR/bin/dlv.tmp" "$DIR/bin/dlv"
  printf '%s\n' "$dlv_key" >"$DIR/bin/.dlv-key"
  log "built delve in $((SECONDS - start)) s: $("$DIR/bin/dlv" version | sed -n 2p)"
fi

# debugpy: the version the dev-python image ships (one pin, in test/cluster/lib/images.sh).
DEBUGPY_VERSION="$(sed -n 's/^DEBUGPY_VERSION="\(.*\)"$/\1/p' test/cluster/lib/images.sh)"
[[ -n "$DEBUGPY_VERSION" ]] || { log "DEBUGPY_VERSION not found in test/cluster/lib/images.sh"; exit 1; }
PYTHON="${PYTHON:-python3}"
py_key="debugpy==$DEBUGPY_VERSION $("$PYTHON" --version 2>&1)"
if [[ -x "$DIR/venv/bin/python" && "$(cat "$DIR/venv/.key" 2>/dev/null)" == "$py_key" ]]; then
  :
else
  log "installing debugpy $DEBUGPY_VERSION into $DIR/venv"
  rm -rf "$DIR/venv"
  if ! { "$PYTHON" -m venv "$DIR/venv" && "$DIR/venv/bin/python" -m pip install -q --disable-pip-version-check \
        "debugpy==$DEBUGPY_VERSION"; } >"$DIR/logs/debugpy-install.log" 2>&1; then
    tail -n 30 "$DIR/logs/debugpy-install.log" >&2
    log "debugpy install failed (log: $DIR/logs/debugpy-install.log)"
    exit 1
  fi
  printf '%s\n' "$py_key" >"$DIR/venv/.key"
fi
