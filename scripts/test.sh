#!/usr/bin/env bash
# Builds and runs every test: the release preset (unit, integration and CLI tests), then the
# asan preset (AddressSanitizer + UBSan), then the tsan preset (ThreadSanitizer: the pool and
# the client on multi-threaded io_contexts). Fails on any failure.
# Usage: scripts/test.sh [--no-tsan]  (CTEST_PARALLEL_LEVEL=N runs N tests at once)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$TALKORY_ROOT"

presets=(release asan tsan)
for arg in "$@"; do
  case "$arg" in
    --no-tsan) presets=(release asan) ;;
    -h | --help) sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$arg' (try --help)" ;;
  esac
done

ensure_packages
# Two cores are all a CI machine has; more jobs only thrash memory on Beast's heavy headers.
for preset in "${presets[@]}"; do
  log "[$preset] configure"
  cmake --preset "$preset"
  log "[$preset] build"
  cmake --build --preset "$preset" -j 2
  log "[$preset] test"
  ctest --preset "$preset"
done
log "all tests passed: ${presets[*]}"
