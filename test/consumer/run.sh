#!/usr/bin/env bash
# Builds test/consumer as a user's project would use talkory, then runs it against a
# talkory-mock-server on 127.0.0.1 (started here, stopped by its pid).
# Usage: run.sh MODE SOURCE_DIR BUILD_DIR WORK_DIR
#   MODE: package        install BUILD_DIR into WORK_DIR/prefix, find_package(talkory 0.2)
#         pkg-config     install likewise, compile with `pkg-config --cflags --libs talkory`
#         subdirectory   add_subdirectory(SOURCE_DIR): talkory built as part of the consumer
#         fetchcontent   FetchContent from SOURCE_DIR (configured, not built: the same build as
#                        subdirectory)
# The compiler is the one in CXX (default c++).
set -euo pipefail
mode=$1 source_dir=$2 build_dir=$3 work=$4
cxx=${CXX:-c++}
rm -rf "$work" && mkdir -p "$work"
consumer_build="$work/build"
prefix="$work/prefix"
jobs=2

install_package() {
  cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log"
}

# The consumer's own compile line must not carry talkory's warning flags.
check_no_leaked_flags() {
  if grep -E 'main\.cpp' "$consumer_build/compile_commands.json" | grep -Eq -- '-Werror|-Wshadow|-Wpedantic'; then
    echo "FAILED: talkory's warning flags reached the consumer's compile line"; exit 1
  fi
}

configure() { # extra cmake arguments
  cmake -S "$source_dir/test/consumer" -B "$consumer_build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "$@"
}

case "$mode" in
  package)
    install_package
    configure -DTALKORY_CONSUMER_MODE=package -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
    cmake --build "$consumer_build" -j "$jobs"
    check_no_leaked_flags
    consumer="$consumer_build/consumer" mock="$prefix/bin/talkory-mock-server" ;;
  pkg-config)
    install_package
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
    pkg-config --exists 'talkory >= 0.2' || { echo "FAILED: pkg-config finds no talkory >= 0.2"; exit 1; }
    # shellcheck disable=SC2046 # the flags are meant to be split
    "$cxx" -std=c++23 -O1 -o "$work/consumer" "$source_dir/test/consumer/main.cpp" \
      $(pkg-config --cflags --libs talkory talkory-testing)
    consumer="$work/consumer" mock="$prefix/bin/talkory-mock-server" ;;
  subdirectory)
    # No build type: the quickest compile of talkory's sources, which is what this checks.
    configure -DTALKORY_CONSUMER_MODE=subdirectory -DTALKORY_SOURCE_DIR="$source_dir"
    cmake --build "$consumer_build" --target consumer -j "$jobs"
    check_no_leaked_flags
    consumer="$consumer_build/consumer" mock="$build_dir/talkory-mock-server" ;;
  fetchcontent)
    configure -DTALKORY_CONSUMER_MODE=fetchcontent -DTALKORY_SOURCE_DIR="$source_dir"
    echo "configured with FetchContent"
    exit 0 ;;
  *) echo "unknown mode '$mode'"; exit 64 ;;
esac

# The server prints its URL on its first line: read it from a FIFO (no polling, bounded by -t).
mkfifo "$work/url"
"$mock" --ca-out "$work/ca.pem" >"$work/url" 2>"$work/mock.log" &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null; wait "$mock_pid" 2>/dev/null || true' EXIT
read -r -t 20 base_url <"$work/url" || { echo "FAILED: the mock server printed no URL"; exit 1; }

TALKORY_API_KEY=tk_live_demo0000000000000000000000000000 TALKORY_BASE_URL="$base_url" \
  "$consumer" "$work/ca.pem"
