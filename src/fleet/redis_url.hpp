// The address of fleet mode's Redis: redis://host:port[/db], parsed and validated once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <talkory/result.hpp>

namespace talkory::detail {

struct redis_address {
  std::string host; // a name or an IP literal, without brackets
  std::uint16_t port = 6379;
  int db = 0; // SELECT db (0: none sent)
};

/// Parses "redis://host[:port][/db]" with Boost.URL. Refuses other schemes (rediss:// included:
/// hiredis 0.14 has no TLS), user info (the password comes from fleet.password_env), a query or
/// fragment, a missing host, a db that is not 0..15 digits. Errors are errc::invalid_options
/// naming fleet.redis_url and what to write instead.
result<redis_address> parse_redis_url(std::string_view url);

} // namespace talkory::detail
