#!/usr/bin/env bash
# Builds and runs every test: the release preset (unit, integration, CLI and fleet tests, the
# last on a redis-server each starts itself), then the
# asan preset (AddressSanitizer + UBSan), then the tsan preset (ThreadSanitizer: the pool and
# the client on multi-threaded io_contexts), then the libFuzzer targets for a short fixed time
# each (scripts/fuzz.sh: clang 19, skipped with a message where it cannot be had). Fails on any
# failure.
# Usage: scripts/test.sh [--no-tsan] [--no-fuzz]  (CTEST_PARALLEL_LEVEL=N runs N tests at once;
#        TALKORY_FUZZ_SECONDS=N fuzzes each target N seconds, default 30)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$TALKORY_ROOT"

presets=(release asan tsan)
fuzz=yes
for arg in "$@"; do
  case "$arg" in
    --no-tsan) presets=(release asan) ;;
    --no-fuzz) fuzz=no ;;
    -h | --help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$arg' (try --help)" ;;
  esac
done

ensure_packages
ensure_fleet_packages # hiredis and redis-server: the fleet tests (label fleet) need both
# Two cores are all a CI machine has; more jobs only thrash memory on Beast's heavy headers.
for preset in "${presets[@]}"; do
  log "[$preset] configure"
  cmake --preset "$preset"
  log "[$preset] build"
  cmake --build --preset "$preset" -j 2
  log "[$preset] test"
  ctest --preset "$preset"
done
if [ "$fuzz" = yes ]; then
  "$TALKORY_ROOT/scripts/fuzz.sh"
  presets+=(fuzz)
fi
log "all tests passed: ${presets[*]}"
