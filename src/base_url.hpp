// The parsed and validated base URL of the API: the origin (scheme, host, port) and path prefix
// every request goes to. "Endpoint" is kept for the API's endpoints (/v1/health/llm, ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <talkory/result.hpp>

namespace talkory::detail {

struct origin {
  bool tls = true;          // https
  std::string host;         // host name or IP literal, without brackets
  std::uint16_t port = 443; // explicit or the scheme's default
  std::string path_prefix;  // "" or "/prefix" (never a trailing slash)
  std::string host_header;  // the Host header value: host[:port] (port only when not default)

  bool host_is_ip_literal() const; // no SNI is sent for IP literals (RFC 6066)
  /// path_prefix + path, path starting with '/'.
  std::string target(std::string_view path) const;
};

/// Parses scheme://host[:port][/prefix] with Boost.URL. Refuses: other schemes, user info,
/// query or fragment, a missing host, and http:// unless allow_insecure_http.
result<origin> parse_base_url(std::string_view url, bool allow_insecure_http);

} // namespace talkory::detail
