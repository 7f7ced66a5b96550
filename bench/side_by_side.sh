#!/usr/bin/env bash
# talkory-bench, the libcurl peer and wrk (the ceiling: no TLS verification, no parsing) side by
# side against one local nginx on 127.0.0.1 (TLS 1.3, keep-alive, the documented health body),
# at C = 1, 8 and 32, alternated round-robin so that drift hits all three alike; prints one
# Markdown table of the medians. nginx runs on core 0 and each client on core 1 when there are
# two cores. As root it installs what it needs (nginx-light, wrk, libcurl4-openssl-dev, valgrind).
#
# Usage: bench/side_by_side.sh [--quick]
#   --quick                    one round of short runs: a smoke run, not figures
#   SIDE_BY_SIDE_ROUNDS=3      rounds (each runs every client at every C once)
#   SIDE_BY_SIDE_REQUESTS=30000  measured requests per run of talkory-bench and of the peer
#   SIDE_BY_SIDE_WARMUP=2000   requests before those, not measured
#   SIDE_BY_SIDE_SECONDS=3     length of each wrk run
#   SIDE_BY_SIDE_CONCURRENCY="1 8 32"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/nginx_fixture.sh
. "$root/bench/nginx_fixture.sh"

usage() { echo "usage: bench/side_by_side.sh [--quick]   (settings: see the top of the script)" >&2; }
quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage; exit 64 ;;
  esac
done
if [ "$quick" -eq 1 ]; then
  rounds=${SIDE_BY_SIDE_ROUNDS:-1} requests=${SIDE_BY_SIDE_REQUESTS:-2000}
  warmup=${SIDE_BY_SIDE_WARMUP:-100} seconds=${SIDE_BY_SIDE_SECONDS:-1}
else
  rounds=${SIDE_BY_SIDE_ROUNDS:-3} requests=${SIDE_BY_SIDE_REQUESTS:-30000}
  warmup=${SIDE_BY_SIDE_WARMUP:-2000} seconds=${SIDE_BY_SIDE_SECONDS:-3}
fi
read -r -a concurrencies <<<"${SIDE_BY_SIDE_CONCURRENCY:-1 8 32}"

bench_ensure_tools nginx wrk curl valgrind
bench_build
nginx_fixture_start
results="$NGINX_FIXTURE_DIR/results"
mkdir -p "$results"
url="$NGINX_FIXTURE_URL"
ca="$NGINX_FIXTURE_CA"

# Appends a value to the sample file of one client, one C and one figure.
record() { printf '%s\n' "$4" >>"$results/$1.$2.$3"; }

run_wrk() {
  local c=$1 out
  out="$("${CLIENT_CPU[@]}" wrk -t1 -c"$c" -d"${seconds}s" \
    -H "Authorization: Bearer $TALKORY_API_KEY" -H "Accept: application/json" \
    -H "User-Agent: $BENCH_USER_AGENT" "$url/v1/health/llm")"
  if grep -Eq 'Non-2xx|Socket errors' <<<"$out"; then
    log "wrk at C=$c reported errors:"
    printf '%s\n' "$out" >&2
    record wrk "$c" errors 1
  fi
  record wrk "$c" rps "$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
}

# Records the figures of one client's --json line.
record_json() {
  local client=$1 c=$2 json=$3 key
  for key in requests_per_second p99 cpu_us_per_request peak_rss_kb errors \
    allocations_per_request bytes_allocated_per_request; do
    record "$client" "$c" "$key" "$(json_field "$key" "$json")"
  done
}

run_peer() {
  local c=$1
  record_json libcurl "$c" "$("${CLIENT_CPU[@]}" "$CURL_PEER_BIN" --base-url "$url" --ca-file "$ca" \
    --requests "$requests" --warmup "$warmup" --concurrency "$c" --json)"
}

# The client's default options (limiter on, out of reach; retries on), C connections as the
# peer and wrk have, every call its own request.
run_talkory() {
  local c=$1
  record_json talkory "$c" "$("${CLIENT_CPU[@]}" "$TALKORY_BENCH_BIN" --base-url "$url" \
    --ca-file "$ca" --requests "$requests" --warmup "$warmup" --concurrency "$c" \
    --connections "$c" --default-options --json)"
}

clients=(wrk peer talkory)
for round in $(seq 1 "$rounds"); do
  for c in "${concurrencies[@]}"; do
    # The order rotates each round as well, so that no client always runs first.
    for i in 0 1 2; do
      client=${clients[$(((i + round - 1) % 3))]}
      log "round $round/$rounds, C=$c: $client"
      "run_$client" "$c"
    done
  done
done

median() {
  [ -s "$1" ] || { echo nan; return; }
  sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
m() { median "$results/$1.$2.$3"; }
sum() { [ -s "$1" ] && awk '{ s += $1 } END { print s }' "$1" || echo 0; }

cores="$(nproc)"
pinning="nginx on core 0, each client on core 1 (taskset)"
[ ${#CLIENT_CPU[@]} -gt 0 ] || pinning="not pinned ($cores core)"
echo
echo "Medians of $rounds round(s), nginx $(nginx -v 2>&1 | sed 's|.*/||') on 127.0.0.1, TLS 1.3," \
  "keep-alive; $pinning; $cores cores."
echo "talkory-bench and talkory-curl-peer: $requests measured requests per run after $warmup" \
  "warm-up; wrk: ${seconds} s per run. C connections for every client."
echo
echo "| C | wrk req/s | libcurl req/s | talkory req/s | talkory/libcurl | talkory/wrk | p99 µs libcurl/talkory | CPU µs/req libcurl/talkory | peak RSS kB libcurl/talkory | talkory operator new/req (bytes) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
errors=0
for c in "${concurrencies[@]}"; do
  errors=$((errors + $(sum "$results/wrk.$c.errors") + $(sum "$results/libcurl.$c.errors") + $(sum "$results/talkory.$c.errors")))
  awk -v c="$c" -v w="$(m wrk "$c" rps)" -v l="$(m libcurl "$c" requests_per_second)" \
    -v t="$(m talkory "$c" requests_per_second)" -v lp="$(m libcurl "$c" p99)" \
    -v tp="$(m talkory "$c" p99)" -v lc="$(m libcurl "$c" cpu_us_per_request)" \
    -v tc="$(m talkory "$c" cpu_us_per_request)" -v lr="$(m libcurl "$c" peak_rss_kb)" \
    -v tr="$(m talkory "$c" peak_rss_kb)" -v ta="$(m talkory "$c" allocations_per_request)" \
    -v tb="$(m talkory "$c" bytes_allocated_per_request)" 'BEGIN {
      printf "| %s | %.0f | %.0f | %.0f | %.2f | %.2f | %d / %d | %.1f / %.1f | %d / %d | %.1f (%.0f) |\n",
        c, w, l, t, t / l, t / w, lp, tp, lc, tc, lr, tr, ta, tb
    }'
done
echo
echo "talkory-bench: --base-url URL --ca-file CA --requests $requests --warmup $warmup" \
  "--concurrency C --connections C --default-options --json"
echo "talkory-curl-peer: --base-url URL --ca-file CA --requests $requests --warmup $warmup" \
  "--concurrency C --json"
echo "wrk: -t1 -cC -d${seconds}s with the same three headers"
if [ "$errors" -ne 0 ]; then
  echo "warning: $errors failed requests or wrk runs with errors (see above)" >&2
  exit 1
fi
