#!/usr/bin/env bash
# Source: congso's shared peer recipes (shared/peers/mk-test-pki.sh, verified 2026-11-29),
# copied into the project so that tests do not depend on shared/ at run time.
# mk-test-pki.sh — make a THROWAWAY test PKI with openssl (RSA-2048, SHA-256).
#
# Usage: mk-test-pki.sh OUTDIR
#
# Writes into OUTDIR (created if missing; existing files are overwritten):
#   root.key  root.pem     test root CA (self-signed, CA:TRUE, 10 years)
#   signer.key signer.pem  document-signing cert issued by root
#                          (digitalSignature+nonRepudiation, EKU emailProtection)
#   tsa.key   tsa.pem      RFC 3161 TSA cert issued by root
#                          (critical EKU timeStamping, as RFC 3161 requires)
#   chain.pem              certs above the end-entity certs (here: root.pem)
#   tsa.cnf tsaserial      openssl 'ts' config + serial for the TSA (see tsa.sh)
# No network, no system trust store. Keys are unencrypted: test use only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: mk-test-pki.sh OUTDIR}
mkdir -p "$out"
cd "$out"

ext=$(mktemp)
trap 'rm -f "$ext"' EXIT

openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 \
  -keyout root.key -out root.pem -subj "/C=VN/O=Congso Test/CN=Congso Test Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" 2>/dev/null

issue() { # name subject extensions...
  local name=$1 subj=$2; shift 2
  printf '%s\n' "$@" "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$ext"
  openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$name.key" \
    -out "$name.csr" -subj "$subj" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA root.pem -CAkey root.key -CAcreateserial \
    -days 1825 -sha256 -extfile "$ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr"
}

issue signer "/C=VN/O=Congso Test/CN=Test Signer" \
  "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature,nonRepudiation" \
  "extendedKeyUsage=emailProtection"
cp root.pem chain.pem
rm -f root.srl
bash "$here/tsa.sh" init "$(pwd)" root.key root.pem >/dev/null

openssl verify -CAfile root.pem signer.pem tsa.pem >/dev/null
echo "test PKI in $(pwd): root.pem signer.{key,pem} tsa.{key,pem} chain.pem tsa.cnf"
