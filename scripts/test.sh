#!/usr/bin/env bash
# The whole test suite, as CI runs it (README: "Test"). From a fresh clone:
#   1. installs the independent tools the tests check against (pyHanko,
#      OpenSSL, xmlsec1, moto, Chromium + playwright-core/axe-core);
#   2. makes sure PostgreSQL answers on 127.0.0.1:5432 (starting or
#      installing it) and starts an S3-compatible server (moto) on 127.0.0.1;
#   3. cargo fmt --check, cargo clippy -D warnings;
#   4. every Rust test on SQLite and PostgreSQL, the S3 blob test, the
#      independent-tool checks and the multi-process tests on the real binary;
#   5. the browser tests (headless Chromium, axe-core) on the binary step 4 built.
# Each profile is built once.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "installing test dependencies"
peers=$(scripts/install-test-deps.sh)
export CONGSO_PEERS_VENV="$peers/venv"
export CONGSO_REQUIRE_PEERS=1

step "PostgreSQL"
CONGSO_TEST_DATABASE_URL=$(scripts/pg-start.sh)
export CONGSO_TEST_DATABASE_URL
export CONGSO_REQUIRE_POSTGRES=1
echo "using $CONGSO_TEST_DATABASE_URL"

step "S3-compatible server (moto)"
s3_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
s3_log=$(mktemp)
"$peers/venv/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >"$s3_log" 2>&1 &
s3_pid=$!
cleanup() { kill "$s3_pid" 2>/dev/null || true; rm -f "$s3_log"; }
trap cleanup EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && break; sleep 0.1; done
curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" --user testing:testing -X PUT \
  "http://127.0.0.1:$s3_port/congso-test" -o /dev/null
export CONGSO_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
export CONGSO_TEST_S3_BUCKET=congso-test
export CONGSO_REQUIRE_S3=1

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (SQLite + PostgreSQL + S3 + peers + multi-process)"
cargo test --workspace --locked --no-fail-fast -- --test-threads="${CONGSO_TEST_THREADS:-4}"

step "browser tests (Chromium + axe-core)"
if [ -x tests/browser/run.sh ]; then
  tests/browser/run.sh target/debug/congso
else
  echo "tests/browser/run.sh is missing" >&2
  exit 1
fi

step "all tests passed"
