#!/usr/bin/env bash
# Installs the system packages nhd's tests and demo need on a fresh Debian machine (run as root):
# Neovim and Emacs with eglot for the editor tests, Java and Maven for the LSP4J test, Syncthing
# for the sync benchmark's anchor (bench/syncthing.ts), then everything the local Kubernetes cluster
# needs. Idempotent and quiet when everything is present. Node itself comes from npm (the `node`
# package), not from here; Debian's nodejs (18 on bookworm) is only the older node the sync agent's
# test runs it on.
set -euo pipefail
cd "$(dirname "$0")/.."

# Java 17 and Maven: the LSP4J test (clients/jetbrains/lsp4j-test) drives the daemon as LSP4IJ does.
# emacs-nox and elpa-eglot: test/integration/eglot.test.ts drives the daemon from eglot in `emacs --batch`.
PACKAGES=(neovim emacs-nox elpa-eglot git syncthing openjdk-17-jdk-headless maven nodejs)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[deps] installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash test/cluster/install-deps.sh

# delve and debugpy for the DAP proxy's tests, in a cache outside the checkout (not system packages).
bash test/debuggers/install.sh
