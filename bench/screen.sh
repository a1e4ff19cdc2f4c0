#!/usr/bin/env bash
# The population screen against three baselines, in one run, on the same
# synthetic Bulk Data export (willis synth), at two sizes:
#   cat        a bare read of the files (cat > /dev/null)
#   parse      a bare serde_json parse of every line into a Value, one thread
#              (crates/screen/examples/bare_parse.rs)
#   jq         jq -c doing a comparable filter: ferritin Observations under 75,
#              printing their patient (raw lines with `fromjson?`, so that a
#              malformed line does not stop it, as it does not stop the screen)
#   willis     willis screen DIR --out report.csv (both cores)
# It prints seconds, MB/s, patients/s, each tool's time over the screen's, and
# peak memory (maximum resident set, from /usr/bin/time -v), as a Markdown
# table. The files are read once beforehand so every tool reads from the page
# cache.
#
#   bash bench/screen.sh                # 20000 and 100000 patients
#   SIZES="5000 50000" bash bench/screen.sh
#   WORK=/big/disk bash bench/screen.sh # where the exports go (default /tmp/willis-bench)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=${SIZES:-"20000 100000"}
work=${WORK:-/tmp/willis-bench}
as_of=2026-06-30
mkdir -p "$work"

for tool in jq /usr/bin/time; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq time >/dev/null
  fi
done

cargo build --release --quiet -p willis --bin willis
cargo build --release --quiet -p willis-screen --example bare_parse
willis=target/release/willis
parse=target/release/examples/bare_parse

jq_filter='fromjson? | select(.resourceType == "Observation"
  and any(.code.coding[]?; .code == "2276-4")
  and ((.valueQuantity.value // 1e9) < 75)) | .subject.reference'

# run NAME COMMAND...: times the command, prints "seconds peak_kb".
run() {
  local stats="$work/time.txt"
  shift
  /usr/bin/time -f "%e %M" -o "$stats" "$@" >/dev/null 2>>"$work/stderr.log"
  cat "$stats"
}

echo "| patients | input MB | tool | seconds | MB/s | patients/s | × willis time | peak memory MB |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|"
for n in $sizes; do
  dir="$work/bulk-$n"
  if [ ! -f "$dir/manifest.json" ]; then
    rm -rf "$dir"
    "$willis" synth --patients "$n" --seed 1 --reference-date "$as_of" --out "$dir" >/dev/null
  fi
  files=("$dir"/*.ndjson)
  bytes=$(cat "${files[@]}" | wc -c)
  cat "${files[@]}" >/dev/null

  declare -A secs=() peak=()
  read -r secs[cat] peak[cat] < <(run cat cat "${files[@]}")
  read -r secs[parse] peak[parse] < <(run parse "$parse" "${files[@]}")
  read -r secs[jq] peak[jq] < <(run jq jq -c -R "$jq_filter" "${files[@]}")
  read -r secs[willis] peak[willis] < <(run willis "$willis" screen "$dir" --as-of "$as_of" \
    --out "$work/report-$n.csv" --summary "$work/summary-$n.json")

  for tool in cat parse jq willis; do
    awk -v n="$n" -v b="$bytes" -v t="$tool" -v s="${secs[$tool]}" -v w="${secs[willis]}" \
        -v k="${peak[$tool]}" 'BEGIN {
      if (s < 0.01) s = 0.01;
      printf "| %d | %.0f | %s | %.2f | %.0f | %.0f | %.2f | %.0f |\n",
        n, b / 1e6, t, s, b / 1e6 / s, n / s, s / (w < 0.01 ? 0.01 : w), k / 1024 }'
  done
done
echo
echo "willis screen is ×(jq seconds / willis seconds) faster than jq and runs in"
echo "(willis seconds / parse seconds) of the bare one-thread parse's time; see the columns."
