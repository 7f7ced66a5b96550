#!/usr/bin/env bash
# Builds talkory-health (release preset) and runs it against the embedded mock server:
# the quickest way to see the client work, with no API key and no network.
# Usage: scripts/demo.sh [more talkory-health flags, e.g. --json --verbose]
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$TALKORY_ROOT"

ensure_packages
log "configuring (release preset)"
cmake --preset release >/dev/null
log "building talkory-health"
cmake --build --preset release --target talkory-health -j 2
log "running: build/release/talkory-health --demo $*"
# The CLI's exit status is the script's: 0 ok, 1 degraded, 2 error, 64 usage.
exec build/release/talkory-health --demo "$@"
