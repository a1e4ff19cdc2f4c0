#!/usr/bin/env bash
# Latency benchmark of the CDS Hooks patient-view service of `willis serve`
# on loopback: throughput and p50/p99 latency, in one run of one server, of
#   1. GET /healthz (the floor: routing, middleware, one database query),
#   2. POST /cds-services/willis-rls-patient-view with a realistic prefetch
#      (bench/cds_request.py: a year of monthly ferritin/TSAT/iron/Hb/CRP in
#      mixed units, ten MedicationRequests, four Conditions including RLS
#      G25.81; ~40 KB): parse, map to a record, assess, build the cards.
# The server runs with --cds-insecure-no-auth (no JWT: the verifier's cost is
# not measured here). The CDS Hooks specification asks for answers in about
# 500 ms; the aim is a few milliseconds at p99.
#
# usage: bench/cds.sh            (DURATION=10 CONNECTIONS=64 by default)
# needs: wrk (apt-get install wrk), curl, python3. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
PORT="${PORT:-18182}"
BASE="http://127.0.0.1:$PORT"
SERVICE="/cds-services/willis-rls-patient-view"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/cds.sh needs $tool (apt-get install $tool)" >&2; exit 1; }
done

# WILLIS_BIN: an already built binary (default: build the release one).
if [ -z "${WILLIS_BIN:-}" ]; then
  cargo build --release --locked -p willis >&2
  WILLIS_BIN="${CARGO_TARGET_DIR:-target}/release/willis"
fi
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

"$WILLIS_BIN" serve --db "sqlite://$work/bench.db" --addr "127.0.0.1:$PORT" \
  --cds-insecure-no-auth 2>"$work/server.log" &
server=$!
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

request="$work/patient-view.json"
python3 bench/cds_request.py >"$request"
export WILLIS_CDS_REQUEST="$request"
# The call must give cards (an empty answer would be a cheap, wrong benchmark).
cards=$(curl -fs -X POST -H 'Content-Type: application/json' --data-binary "@$request" "$BASE$SERVICE" \
  | python3 -c "import json,sys; print(len(json.load(sys.stdin)['cards']))")
[ "$cards" -gt 0 ] || { echo "the patient-view call gave no cards" >&2; exit 1; }
echo "patient-view answers with $cards cards for a $(wc -c <"$request") byte request" >&2

results="$work/results"
: >"$results"
run() {
  local name="$1"; shift
  local out
  out=$(wrk --latency "$@")
  python3 - "$name" >>"$results" <<PY
import re, sys
text = """$out"""
name = sys.argv[1]
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m: return float("nan")
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
print(f"| {name} | {rps:,.0f} | {ms('50%'):.2f} | {ms('99%'):.2f} | {total:,} | {errors} |")
PY
}

echo "measuring: $DURATION s each, $CONNECTIONS connections, 2 wrk threads" >&2
run "GET /healthz" --timeout 10s -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$BASE/healthz"
run "POST patient-view (1 year of labs, 10 medicines)" --timeout 10s -t2 -c"$CONNECTIONS" \
  -d"${DURATION}s" -s bench/cds.lua "$BASE$SERVICE"

echo
echo "| endpoint | requests/s | p50 ms | p99 ms | requests | errors |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
cat "$results"
errors=$(awk -F'|' '{ s += $7 } END { print s + 0 }' "$results")
if [ "$errors" != "0" ]; then
  echo "errors: $errors (see $work/server.log)" >&2
  exit 1
fi
