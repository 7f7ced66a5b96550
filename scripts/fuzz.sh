#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz with clang 19 and runs each one for a short fixed
# time from a fresh copy of its seed corpus (the repository is never written). Installs clang-19
# and libclang-rt-19-dev with apt-get when they are missing; where clang 19 cannot be had, says so
# in one line and exits 0. A finding fails the run; its input is kept in build/fuzz/artifacts/.
# Usage: scripts/fuzz.sh   (TALKORY_FUZZ_SECONDS=N: seconds per target, default 30)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$TALKORY_ROOT"

case "${1:-}" in
  -h | --help) sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "unknown option '$1' (try --help)" ;;
esac

seconds="${TALKORY_FUZZ_SECONDS:-30}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "TALKORY_FUZZ_SECONDS must be a whole number of seconds > 0"

# libFuzzer's runtime is in libclang-rt-19-dev; clang++-19 alone links no fuzzer.
fuzzer_runtime_present() {
  compgen -G "/usr/lib/llvm-19/lib/clang/19/lib/linux/libclang_rt.fuzzer*-x86_64.a" >/dev/null ||
    compgen -G "/usr/lib/llvm-19/lib/clang/19/lib/*/libclang_rt.fuzzer*.a" >/dev/null
}

if ! command -v clang++-19 >/dev/null 2>&1 || ! fuzzer_runtime_present; then
  if ! command -v dpkg-query >/dev/null 2>&1 || ! apt_install clang-19 libclang-rt-19-dev ||
     ! command -v clang++-19 >/dev/null 2>&1 || ! fuzzer_runtime_present; then
    log "fuzz: skipped: clang 19 with libFuzzer (clang-19, libclang-rt-19-dev) cannot be installed here"
    exit 0
  fi
fi

# A lean build: only the fuzz targets and the codec they test, at -O1 (what libFuzzer needs to
# find bugs quickly while compiling fast), through ccache when the top-level CMakeLists finds it.
build=build/fuzz
started=$(date +%s)
log "[fuzz] configure"
CXX=clang++-19 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DTALKORY_BUILD_FUZZERS=ON -DTALKORY_BUILD_TESTS=OFF \
  -DTALKORY_BUILD_EXAMPLES=OFF >/dev/null
log "[fuzz] build"
cmake --build "$build" --target fuzzers -j 2
built=$(date +%s)

# The dictionary each target reads: tokens of its input language.
dictionary() {
  case "$1" in
    fuzz_iso8601) echo test/fuzz/dates.dict ;;
    fuzz_base_url) echo test/fuzz/url.dict ;;
    fuzz_text_output) echo test/fuzz/text.dict ;;
    *) echo test/fuzz/codec.dict ;;
  esac
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"
# One process per core at a time (each target is single-threaded): on the CI's two cores the
# five targets take three rounds of TALKORY_FUZZ_SECONDS instead of five.
parallel=$(nproc 2>/dev/null || echo 1)
[ "$parallel" -ge 1 ] || parallel=1

fuzz_one() { # target: runs it, prints its result; exit status 0 = no finding
  local target=$1 binary="$build/test/fuzz/$1"
  if "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -dict="$(dictionary "$target")" -artifact_prefix="$build/artifacts/$target-" \
       "$work/$target" >"$work/$target.log" 2>&1; then
    log "[fuzz] $target: $(grep -E '^stat::number_of_executed_units' "$work/$target.log" | tail -n 1)"
  else
    tail -n 40 "$work/$target.log" >&2
    return 1
  fi
}

declare -A running=() # pid -> target
failed=()
reap_one() {
  local pid
  wait -n -p pid "${!running[@]}" || failed+=("${running[$pid]}")
  unset "running[$pid]"
}
for seeds in test/fuzz/corpus/*/; do
  target="$(basename "$seeds")"
  [ -x "$build/test/fuzz/$target" ] || die "fuzz: no binary for the corpus $seeds"
  cp -r "$seeds" "$work/$target"
  while [ ${#running[@]} -ge "$parallel" ]; do reap_one; done
  log "[fuzz] $target for ${seconds}s"
  fuzz_one "$target" &
  running[$!]=$target
done
while [ ${#running[@]} -gt 0 ]; do reap_one; done
finished=$(date +%s)
log "[fuzz] build $((built - started)) s, runs $((finished - built)) s"
[ ${#failed[@]} -eq 0 ] || die "fuzz: findings in ${failed[*]} (inputs in $build/artifacts/)"
log "fuzz: every target ran ${seconds}s without a finding"
