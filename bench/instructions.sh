#!/usr/bin/env bash
# Client cost per call, counted rather than timed: instructions under valgrind's callgrind and
# heap allocations (and bytes) under memcheck, for talkory-bench and the libcurl peer at C=1
# against the local nginx of bench/nginx_fixture.sh. Each figure is the difference of two runs,
# N and 5N calls, divided by 4N, so that start-up (OpenSSL's initialisation, loading the CA, the
# first full handshake) cancels out. Two cases: a steady-state call on a kept-alive connection,
# and a call on a fresh connection that resumes its TLS session (talkory-bench --no-reuse; the
# peer's --no-reuse, CURLOPT_FORBID_REUSE with the sessions shared). talkory runs with the
# client's default options (--default-options --coalesce: limiter on, retries on, single-flight
# on) unless INSTRUCTIONS_TALKORY_OPTIONS says otherwise. Also talkory-bench's own operator new
# count per call, natively.
#
# Usage: bench/instructions.sh
#   INSTRUCTIONS_CALLS=200       N for the kept-alive case (runs of N and 5N calls)
#   INSTRUCTIONS_FRESH_CALLS=50  N for the fresh-connection case
#   INSTRUCTIONS_TALKORY_OPTIONS="--default-options --coalesce"  talkory-bench's option flags;
#                                empty: the bench's own (limiter off, retries off, no coalescing)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/nginx_fixture.sh
. "$root/bench/nginx_fixture.sh"

case "${1:-}" in
  "") ;;
  -h | --help) echo "usage: bench/instructions.sh   (settings: see the top of the script)"; exit 0 ;;
  *) echo "usage: bench/instructions.sh   (settings: see the top of the script)" >&2; exit 64 ;;
esac
calls=${INSTRUCTIONS_CALLS:-200}
fresh_calls=${INSTRUCTIONS_FRESH_CALLS:-50}
read -r -a talkory_options <<<"${INSTRUCTIONS_TALKORY_OPTIONS---default-options --coalesce}"

bench_ensure_tools nginx curl valgrind
bench_build
nginx_fixture_start
work="$NGINX_FIXTURE_DIR/valgrind"
mkdir -p "$work"

# The command line of one client for N calls: client (talkory|libcurl), reuse (reuse|fresh), N.
client_command() {
  local client=$1 reuse=$2 n=$3 flags=()
  [ "$reuse" = reuse ] || flags+=(--no-reuse)
  if [ "$client" = talkory ]; then
    printf '%s\0' "$TALKORY_BENCH_BIN" --base-url "$NGINX_FIXTURE_URL" --ca-file "$NGINX_FIXTURE_CA" \
      --requests "$n" --concurrency 1 --connections 1 "${talkory_options[@]}" "${flags[@]}" --json
  else
    printf '%s\0' "$CURL_PEER_BIN" --base-url "$NGINX_FIXTURE_URL" --ca-file "$NGINX_FIXTURE_CA" \
      --requests "$n" --concurrency 1 "${flags[@]}" --json
  fi
}

# Runs one client under a valgrind tool; prints "instructions" (callgrind) or
# "allocations bytes" (memcheck) for the whole run.
measure() {
  local tool=$1 client=$2 reuse=$3 n=$4 cmd=() log out
  mapfile -d '' cmd < <(client_command "$client" "$reuse" "$n")
  log="$work/$tool.$client.$reuse.$n.log"
  out="$work/$tool.$client.$reuse.$n.out"
  if [ "$tool" = callgrind ]; then
    "${CLIENT_CPU[@]}" valgrind --tool=callgrind --callgrind-out-file="$out" "${cmd[@]}" \
      >"$work/stdout" 2>"$log" || die "callgrind run failed: $(tail -n 3 "$log")"
    grep -q '"errors":0,' "$work/stdout" || die "calls failed under callgrind: $(cat "$work/stdout")"
    awk '/^summary:/ { print $2 }' "$out"
  else
    "${CLIENT_CPU[@]}" valgrind --tool=memcheck --leak-check=no "${cmd[@]}" \
      >"$work/stdout" 2>"$log" || die "memcheck run failed: $(tail -n 3 "$log")"
    grep -q '"errors":0,' "$work/stdout" || die "calls failed under memcheck: $(cat "$work/stdout")"
    # ==pid==   total heap usage: 1,234 allocs, 1,230 frees, 56,789 bytes allocated
    sed -n 's/.*total heap usage: \([0-9,]*\) allocs, [0-9,]* frees, \([0-9,]*\) bytes allocated.*/\1 \2/p' \
      "$log" | tr -d ,
  fi
}

# Per call, by difference: (figure at 5N - figure at N) / 4N, for each number measure prints.
per_call() {
  local tool=$1 client=$2 reuse=$3 n=$4 small large
  log "$tool: $client, $reuse connection, $n and $((5 * n)) calls"
  small="$(measure "$tool" "$client" "$reuse" "$n")"
  large="$(measure "$tool" "$client" "$reuse" "$((5 * n))")"
  awk -v s="$small" -v l="$large" -v n="$n" 'BEGIN {
    ns = split(s, a, " "); split(l, b, " ")
    for (i = 1; i <= ns; i++) printf "%s%.1f", (i > 1 ? " " : ""), (b[i] - a[i]) / (4 * n)
    print ""
  }'
}

# talkory-bench's own counter, natively, over the measured calls after a warm-up.
operator_new() {
  local reuse=$1 flags=() json
  [ "$reuse" = reuse ] || flags+=(--no-reuse)
  json="$("${CLIENT_CPU[@]}" "$TALKORY_BENCH_BIN" --base-url "$NGINX_FIXTURE_URL" \
    --ca-file "$NGINX_FIXTURE_CA" --requests 2000 --warmup 100 --concurrency 1 --connections 1 \
    "${talkory_options[@]}" "${flags[@]}" --json)"
  printf '%.1f %.0f\n' "$(json_field allocations_per_request "$json")" \
    "$(json_field bytes_allocated_per_request "$json")"
}

declare -A ir heap
for reuse in reuse fresh; do
  n=$calls
  [ "$reuse" = reuse ] || n=$fresh_calls
  for client in talkory libcurl; do
    ir[$client.$reuse]="$(per_call callgrind "$client" "$reuse" "$n")"
    heap[$client.$reuse]="$(per_call memcheck "$client" "$reuse" "$n")"
  done
done
read -r new_reuse new_reuse_bytes <<<"$(operator_new reuse)"
read -r new_fresh new_fresh_bytes <<<"$(operator_new fresh)"

echo
echo "Per call at C=1 against nginx $(nginx -v 2>&1 | sed 's|.*/||') on 127.0.0.1 (TLS 1.3), by" \
  "difference of $calls and $((5 * calls)) calls (fresh connection: $fresh_calls and" \
  "$((5 * fresh_calls))); valgrind $(valgrind --version | sed 's/valgrind-//')."
echo
echo "| call | client | instructions | heap allocations (memcheck) | bytes allocated (memcheck) | operator new (talkory-bench's counter) |"
echo "|---|---|---|---|---|---|"
for reuse in reuse fresh; do
  label="kept-alive connection"
  [ "$reuse" = reuse ] || label="fresh connection, TLS session resumed"
  read -r t_allocs t_bytes <<<"${heap[talkory.$reuse]}"
  read -r l_allocs l_bytes <<<"${heap[libcurl.$reuse]}"
  if [ "$reuse" = reuse ]; then
    t_new="$new_reuse ($new_reuse_bytes bytes)"
  else
    t_new="$new_fresh ($new_fresh_bytes bytes)"
  fi
  awk -v label="$label" -v ti="${ir[talkory.$reuse]}" -v li="${ir[libcurl.$reuse]}" \
    -v ta="$t_allocs" -v tb="$t_bytes" -v la="$l_allocs" -v lb="$l_bytes" -v tn="$t_new" 'BEGIN {
      printf "| %s | talkory | %.0f | %.1f | %.0f | %s |\n", label, ti, ta, tb, tn
      printf "| %s | libcurl | %.0f | %.1f | %.0f | |\n", label, li, la, lb
      printf "| %s | talkory/libcurl | %.2f | %.2f | %.2f | |\n", label, ti / li, ta / la, tb / lb
    }'
done
echo
echo "talkory-bench --base-url URL --ca-file CA --requests N --concurrency 1 --connections 1" \
  "${talkory_options[*]:+${talkory_options[*]} }[--no-reuse] --json"
echo "talkory-curl-peer --base-url URL --ca-file CA --requests N --concurrency 1 [--no-reuse] --json"
