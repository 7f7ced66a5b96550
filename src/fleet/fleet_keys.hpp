// The names of fleet mode's Redis keys: derived from a SHA-256 of the API key and the base URL's
// origin, so that Redis (and whoever can read it) never sees the key, while every process using
// the same key against the same server meets at the same names.
#pragma once

#include <string>
#include <string_view>

namespace talkory::detail {

struct fleet_keys {
  std::string limit; // the sliding log of granted request times (a list)
  std::string pause; // present while the server's Retry-After pauses the fleet (PX)
  std::string base;  // PREFIX{H}: the start of the fleet cache's keys too
};

/// Lower-case hex SHA-256 (OpenSSL EVP) of `data`.
std::string sha256_hex(std::string_view data);

/// PREFIX{H}:limit and PREFIX{H}:pause where H = sha256_hex(api_key + "\n" + origin). The braces
/// make both keys one Redis Cluster hash slot, as one Lua script needs.
fleet_keys make_fleet_keys(std::string_view prefix, std::string_view api_key,
                           std::string_view origin);

} // namespace talkory::detail
