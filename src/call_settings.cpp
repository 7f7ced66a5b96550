// Each call's bounds, merged from the client's options and the call's overrides.
#include "call_settings.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "client_errors.hpp"

namespace talkory::detail {

result<call_limits> resolve_call(const client_options& client, const call_options& o,
                                 call_limits::clock::time_point now) {
  for (const auto& [value, name] :
       {std::pair{o.timeout, "timeout"}, std::pair{o.attempt_timeout, "attempt_timeout"},
        std::pair{o.connect_timeout, "connect_timeout"},
        std::pair{o.handshake_timeout, "handshake_timeout"}})
    if (value && value->count() <= 0)
      return std::unexpected(client_error(errc::invalid_options, std::string("call_options::") +
                                                                     name + " must be positive"));
  if (o.max_retries && *o.max_retries < 0)
    return std::unexpected(
        client_error(errc::invalid_options, "call_options::max_retries must not be negative"));
  if (o.max_age && o.max_age->count() < 0)
    return std::unexpected(client_error(
        errc::invalid_options, "call_options::max_age must not be negative (0 = not from the cache)"));

  call_limits l;
  l.started = now;
  l.timeouts = client.timeouts;
  l.timeouts.total = o.timeout.value_or(l.timeouts.total);
  l.timeouts.attempt = std::min(o.attempt_timeout.value_or(l.timeouts.attempt), l.timeouts.total);
  l.timeouts.connect = o.connect_timeout.value_or(l.timeouts.connect);
  l.timeouts.handshake = o.handshake_timeout.value_or(l.timeouts.handshake);
  l.max_retries = o.max_retries.value_or(client.retry.max_retries);
  l.deadline = l.started + l.timeouts.total;
  l.max_age = o.max_age;
  return l;
}

bool has_no_overrides(const call_options& o) noexcept {
  return !o.timeout && !o.attempt_timeout && !o.connect_timeout && !o.handshake_timeout &&
         !o.max_retries;
}

} // namespace talkory::detail
