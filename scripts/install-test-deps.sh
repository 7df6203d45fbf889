#!/usr/bin/env bash
# Installs the independent tools the test suite checks congso against, with
# pinned versions, into $CONGSO_PEERS_DIR (default /tmp/congso-peers):
#   Debian: chromium (browser tests), xmlsec1, openssl, curl
#   PyPI:   pyHanko 0.38.0 + pyhanko-cli 0.6.0 (PDF signatures), moto 5.2.5 (S3 server)
# Idempotent and quick when everything is present. Written from the verified
# recipes in shared/peers; nothing is downloaded at test run time.
set -euo pipefail
dir=${CONGSO_PEERS_DIR:-/tmp/congso-peers}
mkdir -p "$dir"
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v xmlsec1 >/dev/null || need_apt+=(xmlsec1)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v curl >/dev/null || need_apt+=(curl)
command -v node >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "install-test-deps: need root to install ${need_apt[*]}" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -x "$dir/venv/bin/python" ]; then
  python3 -m venv "$dir/venv"
fi
if ! "$dir/venv/bin/python" -c 'import pyhanko, moto, aiosmtpd' 2>/dev/null \
   || [ "$("$dir/venv/bin/python" -c 'from importlib.metadata import version; print(version("pyHanko"))' 2>/dev/null)" != "0.38.0" ]; then
  "$dir/venv/bin/pip" install -q --disable-pip-version-check 'pyhanko-cli==0.6.0' 'pyHanko==0.38.0' 'moto[server]==5.2.5' 'aiosmtpd==1.4.6'
fi
echo "$dir"
