#!/usr/bin/env bash
# The compile time a consumer pays: a translation unit that includes <talkory.hpp> and makes one
# health() call (bench/compile_time/talkory_call.cpp) against the smallest hand-written Beast
# HTTPS GET (beast_ssl_call.cpp), each compiled to an object at -O2 without ccache, best of
# RUNS (default 3), plus the preprocessed size of each. Run it on a quiet machine.
# Usage: bench/compile_time.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=${1:-3}
cxx=${CXX:-c++}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(-std=c++23 -O2 -DBOOST_ASIO_NO_DEPRECATED -I"$root/include")

best_seconds() { # source
  local best="" start ms
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$cxx" "${flags[@]}" -c "$1" -o "$work/out.o"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  printf '%d.%02d' $((best / 1000)) $((best % 1000 / 10))
}

printf '%-42s %10s %16s\n' "translation unit" "seconds" "preprocessed KB"
for tu in talkory_call beast_ssl_call; do
  src="$root/bench/compile_time/$tu.cpp"
  seconds=$(best_seconds "$src")
  kb=$(( $("$cxx" "${flags[@]}" -E "$src" | wc -c) / 1024 ))
  printf '%-42s %10s %16s\n' "$tu.cpp" "$seconds" "$kb"
done
