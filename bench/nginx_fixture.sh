# shellcheck shell=bash disable=SC2034 # the variables set here are the callers'
# Shared by bench/side_by_side.sh and bench/instructions.sh (sourced, not run): the tools they
# need, the release build of the two clients, and a local nginx on 127.0.0.1 serving the health
# endpoint over TLS 1.3 with a CA made for the run. nginx is stopped by its pid when the calling
# script exits, and the temp dir removed.

# shellcheck source=scripts/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/scripts/common.sh"

# A key of the right shape (tk_live_ plus 32 characters); nginx does not check it.
export TALKORY_API_KEY=tk_live_benchbenchbenchbenchbenchbench00

BENCH_BUILD_DIR="$TALKORY_ROOT/build/release"
TALKORY_BENCH_BIN="$BENCH_BUILD_DIR/talkory-bench"
CURL_PEER_BIN="$BENCH_BUILD_DIR/talkory-curl-peer"
# The User-Agent talkory sends, which the peer and wrk send too.
BENCH_USER_AGENT="talkory-cpp/$(sed -n 's/^#define TALKORY_VERSION_STRING "\(.*\)"$/\1/p' \
  "$TALKORY_ROOT/include/talkory/version.hpp")"

# Pinning: nginx on core 0, the client being measured on core 1, when there are two cores.
NGINX_CPU=()
CLIENT_CPU=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  NGINX_CPU=(taskset -c 0)
  CLIENT_CPU=(taskset -c 1)
fi

# Installs (as root, through apt_install) the packages whose commands are missing. Arguments are
# among: nginx wrk curl valgrind.
bench_ensure_tools() {
  local missing=() tool
  for tool in "$@"; do
    case "$tool" in
      nginx) command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light) ;;
      wrk) command -v wrk >/dev/null 2>&1 || missing+=(wrk) ;;
      curl) pkg-config --exists libcurl 2>/dev/null || missing+=(libcurl4-openssl-dev) ;;
      valgrind) command -v valgrind >/dev/null 2>&1 || missing+=(valgrind) ;;
      *) die "bench_ensure_tools: unknown tool $tool" ;;
    esac
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}" || die "missing packages: ${missing[*]}"
  command -v openssl >/dev/null 2>&1 || apt_install openssl || die "missing package: openssl"
  PATH="$PATH:/usr/sbin"
}

# Builds talkory-bench and the libcurl peer with the release preset (configured again so that a
# libcurl installed since the last configure is found).
bench_build() {
  ensure_packages
  log "building talkory-bench and talkory-curl-peer (release preset)"
  (cd "$TALKORY_ROOT" && nice -n 10 cmake --preset release >/dev/null &&
    nice -n 10 cmake --build --preset release -j 2 --target talkory-bench talkory-curl-peer) ||
    die "the build failed"
  [ -x "$CURL_PEER_BIN" ] || die "talkory-curl-peer was not built: is libcurl4-openssl-dev installed?"
}

NGINX_FIXTURE_DIR=""
NGINX_FIXTURE_PID=""
NGINX_FIXTURE_PORT=""
NGINX_FIXTURE_URL=""
NGINX_FIXTURE_CA=""

# shellcheck disable=SC2317 # run by the EXIT trap
nginx_fixture_stop() {
  if [ -n "$NGINX_FIXTURE_PID" ] && kill -0 "$NGINX_FIXTURE_PID" 2>/dev/null; then
    kill -TERM "$NGINX_FIXTURE_PID" 2>/dev/null || true
    wait "$NGINX_FIXTURE_PID" 2>/dev/null || true
  fi
  NGINX_FIXTURE_PID=""
  if [ -n "$NGINX_FIXTURE_DIR" ]; then
    rm -rf "$NGINX_FIXTURE_DIR"
    NGINX_FIXTURE_DIR=""
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A CA and a server certificate for 127.0.0.1 (P-256), made for this run in $1.
make_certificates() {
  local dir=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=talkory bench CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
}

# Starts nginx in the background on a free port of 127.0.0.1, polls (bounded) until it accepts
# connections, and arranges for it to be stopped by its pid when the script exits. Sets
# NGINX_FIXTURE_URL and NGINX_FIXTURE_CA.
nginx_fixture_start() {
  NGINX_FIXTURE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/talkory-bench-nginx.XXXXXX")"
  trap nginx_fixture_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local dir=$NGINX_FIXTURE_DIR
  mkdir -p "$dir/client_body" "$dir/proxy" "$dir/fastcgi" "$dir/uwsgi" "$dir/scgi"
  make_certificates "$dir" || die "openssl could not make the certificates"
  NGINX_FIXTURE_CA="$dir/ca.pem"
  # As root the workers would switch to nobody, who cannot read the temp dir: keep the user.
  local user_line=""
  [ "$(id -u)" -ne 0 ] || user_line="user $(id -un) $(id -gn);"

  local attempt port i
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    port_open "$port" && continue
    sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@USER@|$user_line|g" \
      "$TALKORY_ROOT/bench/nginx.conf.in" >"$dir/nginx.conf"
    "${NGINX_CPU[@]}" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
      2>"$dir/nginx.stderr" &
    NGINX_FIXTURE_PID=$!
    # Bounded poll (at most about 5 s): ready when the pid file is written and the port accepts.
    for i in $(seq 1 500); do
      kill -0 "$NGINX_FIXTURE_PID" 2>/dev/null || break
      if [ -s "$dir/nginx.pid" ] && port_open "$port"; then
        NGINX_FIXTURE_PORT=$port
        NGINX_FIXTURE_URL="https://127.0.0.1:$port"
        log "nginx $(nginx -v 2>&1 | sed 's|.*/||') on $NGINX_FIXTURE_URL (pid $NGINX_FIXTURE_PID)"
        return 0
      fi
      sleep 0.01
    done
    log "nginx did not start on port $port (attempt $attempt, $i polls):"
    tail -n 5 "$dir/error.log" "$dir/nginx.stderr" >&2 || true
    kill -TERM "$NGINX_FIXTURE_PID" 2>/dev/null || true
    wait "$NGINX_FIXTURE_PID" 2>/dev/null || true
    NGINX_FIXTURE_PID=""
  done
  die "could not start nginx"
}

# The value of a numeric key in a flat one-line JSON object (the first match; latency_us's p50,
# p90, p99 and max are unique), without a JSON tool on the machine.
json_field() {
  awk -v name="$1" '{
    if (match($0, "\"" name "\":[^,}]*")) { m = substr($0, RSTART, RLENGTH); sub(/^[^:]*:/, "", m); print m; exit }
    print "nan"
  }' <<<"$2"
}
