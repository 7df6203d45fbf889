#!/usr/bin/env bash
# Source: congso's shared peer recipes (shared/peers/pades-validate.sh, verified 2026-11-29),
# copied into the project so that tests do not depend on shared/ at run time.
# pades-validate.sh — pyHanko verdict on a signed PDF, trusting ONLY the given
# root (no OS trust store, no network). Wraps pades_validate.py.
#
# Usage: pades-validate.sh PDF ROOT_CA_PEM
# Prints one line: "VALID ..." (exit 0) or "INVALID <reason>" (exit 1), or
# "ERROR <reason>" (exit 2) for unreadable input. Requires a valid signature
# timestamp (B-T or higher) unless REQUIRE_TIMESTAMP=0.
# Env: PEERS_PY  python with pyHanko (default: /tmp/peers/venv/bin/python, else python3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { sed -n '2,10p' "$0"; exit 2; }
py=${PEERS_PY:-}
if [ -z "$py" ]; then
  if [ -x /tmp/peers/venv/bin/python ]; then py=/tmp/peers/venv/bin/python; else py=python3; fi
fi
exec "$py" "$here/pades_validate.py" "$1" "$2"
