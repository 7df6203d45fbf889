#!/usr/bin/env bash
# Real-browser tests of the congso web interface.
#
# Usage: tests/browser/run.sh [--screenshot DIR] [--only WORD,...] CONGSO_BINARY
#
# Starts `CONGSO_BINARY demo` on a free port of 127.0.0.1 with a throwaway
# data directory, reads the demo administrator's TOTP secret from the
# banner, runs suite.mjs in headless Debian Chromium (playwright-core +
# axe-core), stops the node with SIGTERM and exits non-zero if any check
# failed. Installs what it needs when it is missing: Debian's chromium (and
# nodejs/npm) with apt-get, the npm packages of package-lock.json with
# `npm ci` into tests/browser/node_modules. Env CHROMIUM overrides the
# browser path; CONGSO_BROWSER_KEEP=1 keeps the node's data and log.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite_args=()
binary=""
while (($#)); do
  case "$1" in
    --screenshot | --only)
      (($# >= 2)) || { echo "run.sh: $1 needs a value" >&2; exit 2; }
      suite_args+=("$1" "$2")
      shift 2
      ;;
    -h | --help)
      sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "run.sh: unknown option $1" >&2
      exit 2
      ;;
    *)
      [[ -z "$binary" ]] || { echo "run.sh: one binary only" >&2; exit 2; }
      binary=$1
      shift
      ;;
  esac
done
if [[ -z "$binary" ]]; then
  echo "usage: tests/browser/run.sh [--screenshot DIR] [--only WORD,...] CONGSO_BINARY" >&2
  exit 2
fi
if [[ ! -x "$binary" ]]; then
  echo "run.sh: $binary is not an executable file (build it first: cargo build -p congso)" >&2
  exit 2
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
started=$SECONDS

# ------------------------------------------------------------------ tools
apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "run.sh: $* missing and not root, cannot apt-get install it" >&2
    exit 2
  fi
  echo "# installing $* with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$CHROMIUM" ]]; then
  [[ "$CHROMIUM" == /usr/bin/chromium ]] || { echo "run.sh: CHROMIUM=$CHROMIUM is not executable" >&2; exit 2; }
  apt_install chromium
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi

# Reinstall the npm packages only when the lock file changed since the last
# install (a stamp in node_modules holds the lock file's hash).
(
  cd "$here"
  stamp=node_modules/.congso-lock-hash
  if [[ -f package-lock.json ]]; then
    want=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [[ ! -f $stamp || $(cat "$stamp") != "$want" || ! -d node_modules/playwright-core || ! -d node_modules/axe-core ]]; then
      echo "# npm ci"
      npm ci --no-audit --no-fund --loglevel=error >/dev/null
      echo "$want" >"$stamp"
    fi
  elif [[ ! -d node_modules/playwright-core || ! -d node_modules/axe-core ]]; then
    echo "# npm install (no package-lock.json)"
    npm install --no-audit --no-fund --loglevel=error >/dev/null
  fi
)

# ------------------------------------------------------------------ node
work=$(mktemp -d "${TMPDIR:-/tmp}/congso-browser.XXXXXX")
data_dir=$work/data
out=$work/node.out
err=$work/node.err
node_pid=""
status=1

stop_node() {
  [[ -n "$node_pid" ]] || return 0
  if kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$node_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$node_pid" 2>/dev/null; then
      echo "FAIL node stops within 10 s of SIGTERM (killed)"
      kill -KILL "$node_pid" 2>/dev/null || true
      node_pid=""
      return 1
    fi
  fi
  local code=0
  wait "$node_pid" 2>/dev/null || code=$?
  node_pid=""
  if [[ $code -ne 0 ]]; then
    echo "FAIL node exits cleanly on SIGTERM (exit status $code)"
    return 1
  fi
  return 0
}

# A failure before the suite ran: say why, show the node's log, and close
# with the count line like a normal run.
fail_early() {
  echo "FAIL $1"
  [[ -n "${2:-}" ]] && cat "$2"
  show_log
  echo "browser: 0 passed, 1 failed"
  exit 1
}

show_log() {
  echo "---- last lines of the node's log ($err) ----"
  tail -n 30 "$err" | sed 's/\x1b\[[0-9;]*m//g' || true
  echo "----"
}

cleanup() {
  stop_node >/dev/null 2>&1 || true
  if [[ "${CONGSO_BROWSER_KEEP:-0}" == 1 || $status -ne 0 ]]; then
    echo "# node data and log kept in $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Port 0: the kernel picks a free port, and the banner says which.
"$binary" demo --listen 127.0.0.1:0 --data-dir "$data_dir" >"$out" 2>"$err" &
node_pid=$!

url=""
secret=""
for _ in $(seq 1 600); do
  if ! kill -0 "$node_pid" 2>/dev/null; then
    fail_early "the demo node exited before it was ready"
  fi
  url=$(sed -n 's#^.* Open: *\(http://[^ ]*[0-9]\)/\{0,1\} *$#\1#p' "$out" | head -n 1)
  secret=$(sed -n 's/^ *secret \([A-Z2-7]\{16,\}\) *$/\1/p' "$out" | head -n 1)
  [[ -n "$url" && -n "$secret" ]] && break
  sleep 0.1
done
if [[ -z "$url" || -z "$secret" ]]; then
  fail_early "the demo banner (URL and 'secret ...' line) did not appear within 60 s" "$out"
fi

# Ready means the database answers and its schema is current.
if ! node -e '
  const url = process.argv[1] + "/readyz";
  const deadline = Date.now() + 30000;
  (async () => {
    for (;;) {
      try { const r = await fetch(url); if (r.status === 200) process.exit(0); } catch {}
      if (Date.now() > deadline) { console.error(`${url} did not answer 200 within 30 s`); process.exit(1); }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();' "$url"; then
  fail_early "the demo node did not become ready"
fi
echo "# demo node ready at $url after $((SECONDS - started)) s (pid $node_pid, data $data_dir)"

# ------------------------------------------------------------------ suite
suite_status=0
summary=$work/summary
node "$here/suite.mjs" --base "$url" --totp-secret "$secret" --chromium "$CHROMIUM" \
  --summary "$summary" "${suite_args[@]}" || suite_status=$?
passed=0
failed=0
if [[ -s "$summary" ]]; then
  read -r passed failed <"$summary"
else
  echo "FAIL the suite did not complete (exit status $suite_status)"
  failed=1
fi

if stop_node; then
  echo "PASS node stops cleanly on SIGTERM"
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

echo "# $((SECONDS - started)) s in all"
if [[ $failed -ne 0 || $suite_status -ne 0 ]]; then
  show_log
  echo "browser: $passed passed, $failed failed"
  status=1
  exit 1
fi
echo "browser: $passed passed, $failed failed"
status=0
