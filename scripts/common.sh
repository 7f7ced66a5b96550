# shellcheck shell=bash
# Shared by demo.sh and test.sh (sourced, not run): the repository root and the check that the
# build's system packages are installed, installing them with apt-get when this user can.

# The repository root, whatever the caller's working directory.
TALKORY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TALKORY_ROOT

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian 12 ships Boost 1.74 as its default and 1.81 as versioned packages; newer releases
# (Debian 13, Ubuntu 24.04) default to 1.83, so there the unversioned names are right.
boost_packages() {
  local id="" version=""
  if [ -r /etc/os-release ]; then
    id="$(. /etc/os-release && echo "${ID:-}")"
    version="$(. /etc/os-release && echo "${VERSION_ID:-}")"
  fi
  if [ "$id" = debian ] && [ "$version" = 12 ] || is_installed libboost1.81-dev; then
    echo libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  else
    echo libboost-dev libboost-json-dev libboost-url-dev libboost-test-dev
  fi
}

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]
}

# Installs what is missing, or says exactly what is missing and fails. ccache only speeds up
# rebuilds: it is installed along with the rest but never required.
ensure_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    log "not a Debian/Ubuntu system: skipping the package check; the build needs g++ 12+," \
        "CMake 3.25+, Ninja, Boost 1.81+ (json, url, unit_test_framework) and OpenSSL 3 headers"
    return 0
  fi
  local boost required
  read -r -a boost <<<"$(boost_packages)"
  required=(g++ cmake ninja-build pkg-config libssl-dev "${boost[@]}")
  local optional=(ccache)
  local missing=() missing_optional=() pkg
  for pkg in "${required[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  for pkg in "${optional[@]}"; do
    is_installed "$pkg" || missing_optional+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    [ ${#missing_optional[@]} -eq 0 ] || log "optional, not installed: ${missing_optional[*]}"
    return 0
  fi

  apt_install "${missing[@]}" "${missing_optional[@]}" || die "missing packages: ${missing[*]}"
}

# Fleet mode's build dependency (hiredis) and its tests' server (redis-server), which only the
# test script needs: a build without them just leaves fleet mode out.
ensure_fleet_packages() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local missing=() pkg
  for pkg in libhiredis-dev redis-server; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "${missing[@]}" || die "missing packages for the fleet tests: ${missing[*]}"
}

# Installs the given packages with apt-get (through sudo when not root and sudo needs no
# password, or there is a terminal to ask for one). Returns non-zero, after saying why, when they
# cannot be installed: the caller decides whether that is fatal.
apt_install() {
  local sudo=()
  if ! command -v apt-get >/dev/null 2>&1; then
    log "no apt-get: cannot install $*"
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
      sudo=(sudo)
    else
      printf 'error: missing packages: %s\n' "$*" >&2
      printf 'install them as root with:\n  apt-get update && apt-get install -y %s\n' "$*" >&2
      return 1
    fi
  fi
  log "installing: $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || {
    log "apt-get update failed"
    return 1
  }
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" || {
    log "apt-get install failed: $*"
    return 1
  }
}
