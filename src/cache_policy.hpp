// When a cached answer may stand in for a request: pure decisions on durations and errors, so
// that the rules are tested without a clock.
#pragma once

#include <chrono>
#include <optional>

#include <talkory/errors.hpp>

namespace talkory::detail {

/// True when an answer `age` old may be given without a request: the cache is on
/// (`cache_ttl` > 0) and the answer is younger than both `cache_ttl` and the call's `max_age`.
bool answer_is_fresh(std::chrono::milliseconds age, std::chrono::milliseconds cache_ttl,
                     std::optional<std::chrono::milliseconds> max_age) noexcept;

/// True when `error` is one a stale answer may cover: HTTP 429 or 5xx, a network fault, a
/// timeout, or the client's own rate limit. Never an authentication or other 4xx error, a TLS
/// failure, a cancellation or a malformed response: those must reach the caller.
bool error_allows_stale(const api_error& error) noexcept;

/// True when a failed refresh (`error`) may be answered with the last good answer, `age` old.
bool may_serve_stale(const api_error& error, std::chrono::milliseconds age,
                     std::chrono::milliseconds serve_stale_for) noexcept;

} // namespace talkory::detail
