#!/usr/bin/env bash
# Runs talkory-bench over the README's Performance scenarios (embedded mock server) and prints
# Markdown rows for that table, so the figures there come from one reproducible command.
# Usage: bench/compare.sh [extra talkory-bench flags]   (TALKORY_BENCH=path overrides the binary)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${TALKORY_BENCH:-$root/build/release/talkory-bench}"
if [ ! -x "$bench" ]; then
  echo "error: $bench not found; build it first:" >&2
  echo "  cmake --preset release && cmake --build --preset release --target talkory-bench -j 2" >&2
  exit 1
fi

scenarios=(
  "--requests 10000 --concurrency 1 --connections 4"
  "--requests 10000 --concurrency 1 --connections 4 --no-reuse"
  "--requests 10000 --concurrency 8 --connections 4"
  "--requests 10000 --concurrency 8 --connections 4 --no-reuse"
  "--requests 10000 --concurrency 64 --connections 16"
)

echo "| scenario | calls/s | p50 µs | p99 µs | CPU µs/call | TLS handshakes (full/resumed) | reused % | peak RSS kB | errors |"
echo "|---|---|---|---|---|---|---|---|---|"
for scenario in "${scenarios[@]}"; do
  # shellcheck disable=SC2086 # the scenario is a list of flags
  json="$("$bench" $scenario "$@" --json)"
  # The output is one line of flat keys with unique names (p50... only inside latency_us), so
  # awk can pick the numbers out without a JSON tool on the machine.
  awk -v scenario="$scenario" '
    function field(name,   m) {
      if (match($0, "\"" name "\":[^,}]*")) { m = substr($0, RSTART, RLENGTH); sub(/^[^:]*:/, "", m); return m }
      return "?"
    }
    {
      printf "| `%s` | %.0f | %s | %s | %.1f | %s/%s | %.1f | %s | %s |\n", scenario,
        field("requests_per_second"), field("p50"), field("p99"), field("cpu_us_per_request"),
        field("handshakes_full"), field("handshakes_resumed"), 100 * field("reused_ratio"),
        field("peak_rss_kb"), field("errors")
    }' <<<"$json"
done
