// The client's options validated once (base URL parsed), and each call's bounds merged from them
// and the call's overrides, in one place.
#pragma once

#include <chrono>
#include <optional>

#include <talkory/errors.hpp>
#include <talkory/options.hpp>
#include <talkory/result.hpp>

#include "base_url.hpp"

namespace talkory::detail {

/// Validates `options` as client_options::validate() does (messages redacted) and, when they are
/// valid and `parsed` is given, stores the parsed base URL there: the URL is parsed only once.
std::optional<api_error> validate_options(const client_options& options, origin* parsed);

/// The bounds of one call: the client's options with the call's overrides applied.
struct call_limits {
  using clock = std::chrono::steady_clock;
  clock::time_point started;
  clock::time_point deadline; // started + timeouts.total: over every wait and attempt
  timeout_options timeouts;   // attempt is capped at total
  int max_retries = 0;
  std::optional<std::chrono::milliseconds> max_age; // call_options::max_age, checked >= 0
};

/// The call's bounds starting at `now`, or errc::invalid_options naming the bad override.
result<call_limits> resolve_call(const client_options& client, const call_options& call,
                                 call_limits::clock::time_point now);

/// True when the call overrides no bound of the request (max_age is not one), so it may share a
/// request with other such calls.
bool has_no_overrides(const call_options& call) noexcept;

} // namespace talkory::detail
