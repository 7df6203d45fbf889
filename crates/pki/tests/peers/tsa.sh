#!/usr/bin/env bash
# Source: congso's shared peer recipes (shared/peers/tsa.sh, verified 2026-11-29),
# copied into the project so that tests do not depend on shared/ at run time.
# tsa.sh — a file-based RFC 3161 time-stamp authority with `openssl ts`.
#
# Usage:
#   tsa.sh init   DIR [CA_KEY CA_CERT]   make DIR/tsa.key + DIR/tsa.pem (RSA-2048,
#                                        critical EKU timeStamping) issued by CA
#                                        (default: DIR/root.key DIR/root.pem; if those
#                                        are missing, a whole test PKI is made with
#                                        mk-test-pki.sh), plus DIR/tsa.cnf, tsaserial
#   tsa.sh query  DATA OUT.tsq           make a SHA-256 request (nonce, certReq)
#   tsa.sh reply  DIR IN.tsq OUT.tsr     answer a request with DIR's TSA
#   tsa.sh verify DATA IN.tsr CA_PEM [UNTRUSTED_PEM]
#                                        verify a reply against the data; prints
#                                        "Verification: OK" and exits 0 when valid
#   tsa.sh text   IN.tsr                 print the reply in human-readable form
#   tsa.sh serve  DIR PORT               HTTP TSA on 127.0.0.1:PORT (foreground,
#                                        POST application/timestamp-query; for
#                                        pyHanko --timestamp-url); Ctrl-C stops it
# Nothing is downloaded; only 127.0.0.1 is bound.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}; shift || true

case "$cmd" in
init)
  dir=${1:?usage: tsa.sh init DIR [CA_KEY CA_CERT]}
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  ca_key=${2:-$dir/root.key}; ca_cert=${3:-$dir/root.pem}
  if [ ! -f "$ca_key" ] || [ ! -f "$ca_cert" ]; then
    exec bash "$here/mk-test-pki.sh" "$dir"
  fi
  ext=$(mktemp); trap 'rm -f "$ext" "$dir/tsa.csr"' EXIT
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,nonRepudiation" \
    "extendedKeyUsage=critical,timeStamping" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$ext"
  openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$dir/tsa.key" \
    -out "$dir/tsa.csr" -subj "/C=VN/O=Congso Test/CN=Test TSA" 2>/dev/null
  openssl x509 -req -in "$dir/tsa.csr" -CA "$ca_cert" -CAkey "$ca_key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 1825 -sha256 -extfile "$ext" \
    -out "$dir/tsa.pem" 2>/dev/null
  [ -f "$dir/chain.pem" ] || cp "$ca_cert" "$dir/chain.pem"
  cat >"$dir/tsa.cnf" <<EOF
# openssl ts config for a file-based test TSA (made by tsa.sh init)
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir               = $dir
serial            = \$dir/tsaserial
crypto_device     = builtin
signer_cert       = \$dir/tsa.pem
certs             = \$dir/chain.pem
signer_key        = \$dir/tsa.key
signer_digest     = sha256
default_policy    = 1.2.3.4.1
other_policies    = 1.2.3.4.5.6
digests           = sha256, sha384, sha512, sha1
accuracy          = secs:1
clock_precision_digits = 0
ordering          = yes
tsa_name          = yes
ess_cert_id_chain = no
ess_cert_id_alg   = sha256
EOF
  [ -f "$dir/tsaserial" ] || echo 01 >"$dir/tsaserial"
  openssl verify -CAfile "$ca_cert" "$dir/tsa.pem" >/dev/null
  echo "TSA in $dir: tsa.key tsa.pem tsa.cnf"
  ;;
query)
  data=${1:?usage: tsa.sh query DATA OUT.tsq}; out=${2:?usage: tsa.sh query DATA OUT.tsq}
  openssl ts -query -data "$data" -sha256 -cert -out "$out"
  ;;
reply)
  dir=${1:?usage: tsa.sh reply DIR IN.tsq OUT.tsr}; in=${2:?}; out=${3:?}
  openssl ts -reply -config "$dir/tsa.cnf" -queryfile "$in" -out "$out" 2>/dev/null
  ;;
verify)
  data=${1:?usage: tsa.sh verify DATA IN.tsr CA_PEM [UNTRUSTED_PEM]}; in=${2:?}; ca=${3:?}
  extra=(); [ -n "${4:-}" ] && extra=(-untrusted "$4")
  openssl ts -verify -data "$data" -in "$in" -CAfile "$ca" "${extra[@]}"
  ;;
text)
  openssl ts -reply -in "${1:?usage: tsa.sh text IN.tsr}" -text
  ;;
serve)
  dir=${1:?usage: tsa.sh serve DIR PORT}; port=${2:?usage: tsa.sh serve DIR PORT}
  exec python3 - "$dir/tsa.cnf" "$port" <<'PY'
import subprocess, sys, tempfile, os
from http.server import HTTPServer, BaseHTTPRequestHandler
cnf, port = sys.argv[1], int(sys.argv[2])
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with tempfile.TemporaryDirectory() as d:
            q, r = os.path.join(d, "q.tsq"), os.path.join(d, "r.tsr")
            open(q, "wb").write(body)
            p = subprocess.run(["openssl", "ts", "-reply", "-config", cnf,
                                "-queryfile", q, "-out", r], capture_output=True)
            if p.returncode != 0 or not os.path.exists(r):
                self.send_response(400); self.end_headers()
                self.wfile.write(p.stderr); return
            data = open(r, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers(); self.wfile.write(data)
    def log_message(self, *a): pass
print(f"TSA listening on http://127.0.0.1:{port}/", flush=True)
HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
  ;;
*)
  sed -n '2,20p' "$0"; exit 2 ;;
esac
