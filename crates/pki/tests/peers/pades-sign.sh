#!/usr/bin/env bash
# Source: congso's shared peer recipes (shared/peers/pades-sign.sh, verified 2026-11-29),
# copied into the project so that tests do not depend on shared/ at run time.
# pades-sign.sh — sign a PDF with pyHanko at PAdES B-T (signature + RFC 3161
# signature timestamp), so our verifier can be tested on a third party's output.
#
# Usage: pades-sign.sh IN.pdf OUT.pdf KEY CERT CHAIN
#   KEY, CERT  signer's unencrypted private key and certificate (PEM or DER)
#   CHAIN      PEM file with the intermediates/root to embed in the CMS
# Environment:
#   PYHANKO    pyhanko command      (default: /tmp/peers/venv/bin/pyhanko, else `pyhanko`)
#   TSA_URL    use this running RFC 3161 TSA (e.g. our own) instead of a local one
#   TSA_DIR    dir made by `tsa.sh init` (tsa.cnf, tsa.key, tsa.pem); default:
#              the directory of CERT (mk-test-pki.sh puts it there). A TSA on
#              127.0.0.1:<free port> is started from it and stopped on exit.
#   SIG_FIELD  signature field name (default: PeerSignature; must be new)
# Prints "signed OUT.pdf" and exits 0 on success.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 5 ] || { sed -n '2,18p' "$0"; exit 2; }
in=$1 out=$2 key=$3 cert=$4 chain=$5
pyhanko=${PYHANKO:-}
if [ -z "$pyhanko" ]; then
  if [ -x /tmp/peers/venv/bin/pyhanko ]; then pyhanko=/tmp/peers/venv/bin/pyhanko; else pyhanko=pyhanko; fi
fi

tsa_pid=
cleanup() {
  local rc=$?
  if [ -n "$tsa_pid" ]; then kill "$tsa_pid" 2>/dev/null || true; wait "$tsa_pid" 2>/dev/null || true; fi
  exit "$rc"
}
trap cleanup EXIT

url=${TSA_URL:-}
if [ -z "$url" ]; then
  tsa_dir=${TSA_DIR:-$(dirname "$cert")}
  [ -f "$tsa_dir/tsa.cnf" ] || { echo "no $tsa_dir/tsa.cnf: run tsa.sh init DIR and set TSA_DIR=DIR, or set TSA_URL" >&2; exit 2; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  bash "$here/tsa.sh" serve "$tsa_dir" "$port" >/dev/null 2>&1 &
  tsa_pid=$!
  for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
    sleep 0.1
  done
  url="http://127.0.0.1:$port/"
fi

"$pyhanko" sign addsig --field "${SIG_FIELD:-PeerSignature}" --use-pades \
  --timestamp-url "$url" \
  pemder --key "$key" --cert "$cert" --chain "$chain" --no-pass "$in" "$out"
echo "signed $out"
