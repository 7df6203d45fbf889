#!/usr/bin/env bash
# Installs the independent tools the congso-pki interop tests use: OpenSSL
# (Debian) and pyHanko 0.38 with pyhanko-cli 0.6.0 (PyPI) in a venv.
# Source: congso's shared peer recipes (shared/peers/install.sh, verified 2026-11-29), reduced to
# what crates/pki needs. Idempotent; run as root on Debian 12.
#
# Usage: install.sh            (venv at $CONGSO_PEERS_VENV, default /tmp/peers/venv)
set -euo pipefail
venv=${CONGSO_PEERS_VENV:-/tmp/peers/venv}
if ! command -v openssl >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q 'pyhanko-cli==0.6.0' 'pyHanko==0.38.0'
echo "peers for congso-pki: $(openssl version); $("$venv/bin/pyhanko" --version) in $venv"
