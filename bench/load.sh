#!/usr/bin/env bash
# Load benchmark of `willis serve` on loopback, bounded in time (about two
# minutes): throughput and p50/p99 latency, in one run, of
#   1. GET /healthz (the floor: routing, middleware, one database query),
#   2. POST /api/v1/assess with a typical record (stateless, no database),
#   3. the plan page of a signed-in user with two years of journal (session
#      lookup, access check, ~750 entries read and materialised, the engine,
#      an audit row written, HTML rendered),
# and 1 000 concurrent connections held for 30 s on /healthz with zero errors.
#
# usage: bench/load.sh            (DURATION=10 CONNECTIONS=64 by default)
# needs: wrk (apt-get install wrk), curl, python3. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
PORT="${PORT:-18181}"
BASE="http://127.0.0.1:$PORT"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/load.sh needs $tool (apt-get install $tool)" >&2; exit 1; }
done

# WILLIS_BIN: an already built binary (default: build the release one).
if [ -z "${WILLIS_BIN:-}" ]; then
  cargo build --release --locked -p willis >&2
  WILLIS_BIN=target/release/willis
fi
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

"$WILLIS_BIN" serve --db "sqlite://$work/bench.db" --addr "127.0.0.1:$PORT" 2>"$work/server.log" &
server=$!
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
password="load benchmark password"
token=$(curl -fs -X POST "$BASE/api/v1/signup" -d "{\"username\":\"bench\",\"password\":\"$password\"}" | json token)
person=$(curl -fs -X POST "$BASE/api/v1/people" -H "Authorization: Bearer $token" -d '{"name":"Me"}' | json id)
python3 bench/seed_journal.py "$BASE" "$token" "$person" >&2

# A browser session: the sign-in form's CSRF cookie and field, then the form.
jar="$work/cookies"
csrf=$(curl -fs -c "$jar" "$BASE/signin" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p')
curl -fs -b "$jar" -c "$jar" -o /dev/null -X POST "$BASE/signin" \
  --data-urlencode "_csrf=$csrf" --data-urlencode "username=bench" --data-urlencode "password=$password"
session=$(awk '$6 == "willis_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "could not sign in" >&2; exit 1; }
curl -fs -H "Cookie: willis_session=$session" "$BASE/people/$person/plan" | grep -q 'class="step"' \
  || { echo "the plan page shows no steps" >&2; exit 1; }

record="$(pwd)/examples/records/typical-low-ferritin.json"
[ -f "$record" ] || record="$(ls examples/records/*.json | head -n 1)"
export WILLIS_RECORD="$record"

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
run "POST /api/v1/assess" --timeout 10s -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/assess.lua "$BASE/api/v1/assess"
run "plan page, 2-year journal" --timeout 10s -t2 -c"$CONNECTIONS" -d"${DURATION}s" \
  -H "Cookie: willis_session=$session" "$BASE/people/$person/plan"
run "GET /healthz, 1 000 connections, 30 s" -t2 -c1000 -d30s --timeout 10s "$BASE/healthz"

echo
echo "| endpoint | requests/s | p50 ms | p99 ms | requests | errors |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
cat "$results"
errors=$(awk -F'|' '{ s += $7 } END { print s + 0 }' "$results")
if [ "$errors" != "0" ]; then
  echo "errors: $errors (see $work/server.log)" >&2
  exit 1
fi
