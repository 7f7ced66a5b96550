#!/usr/bin/env bash
# CTest's smoke test of talkory-curl-peer (label bench): the peer against talkory-mock-server on
# 127.0.0.1, easy and multi interfaces and --no-reuse, with no root and no network.
# Usage: bench/peer_smoke_test.sh MOCK_SERVER_BINARY CURL_PEER_BINARY
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 MOCK_SERVER_BINARY CURL_PEER_BINARY" >&2; exit 64; }
mock=$1
peer=$2
dir="$(mktemp -d "${TMPDIR:-/tmp}/talkory-peer-smoke.XXXXXX")"
pid=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
mkfifo "$dir/url"
"$mock" --ca-out "$dir/ca.pem" --rate-limit 1000000000 >"$dir/url" 2>"$dir/mock.log" &
pid=$!
# Blocks until the mock prints its URL (after writing its CA), or gets EOF if it died.
url=""
read -r url <"$dir/url" || true
[ -n "$url" ] || { echo "FAILED: the mock server did not start"; cat "$dir/mock.log"; exit 1; }

export TALKORY_API_KEY=tk_live_demo0000000000000000000000000000
status=0
check() {
  local out
  out="$("$peer" --base-url "$url" --ca-file "$dir/ca.pem" --json "$@")" || {
    echo "FAILED: exit status $? for $*"
    status=1
    return
  }
  printf '%s\n' "$out"
  if ! grep -Eq '"errors":0,.*"requests_per_second":[1-9].*"cpu_us_per_request":[0-9.]+,"peak_rss_kb":[1-9]' <<<"$out"; then
    echo "FAILED: unexpected output for $*"
    status=1
  fi
}
check --requests 40 --concurrency 1 --warmup 5
check --requests 40 --concurrency 4 --warmup 5
check --requests 10 --concurrency 1 --no-reuse
exit "$status"
