// When a failed attempt is worth another, and how long to wait before it. Pure functions.
#pragma once

#include <chrono>
#include <optional>

#include <talkory/errors.hpp>
#include <talkory/options.hpp>

namespace talkory::detail {

/// 429, 500, 502, 503, 504 and network faults (connection_failed, connection_lost, timeout
/// of an attempt) are retryable; everything else, TLS failures included, is not.
bool is_retryable(const api_error& error) noexcept;

/// The nominal delay before retry number `retry` (0 for the first retry):
/// min(initial_backoff * 2^retry, max_backoff).
std::chrono::milliseconds nominal_backoff(const retry_options& options, int retry) noexcept;

/// The jittered delay: nominal * (0.75 + 0.25 * unit), unit drawn uniformly from [0, 1].
std::chrono::milliseconds jittered_backoff(const retry_options& options, int retry,
                                           double unit) noexcept;

/// What to do after a retryable failure.
struct retry_decision {
  bool retry = false;
  std::chrono::milliseconds delay{0};
  /// Set when the server's Retry-After exceeds options.max_retry_after: fail now.
  bool retry_after_too_long = false;
};

/// Decides the next step after attempt number `attempt` (1-based) failed with `error`.
/// Retry-After (error.retry_after) takes precedence over backoff when present.
retry_decision decide_retry(const retry_options& options, const api_error& error, int attempt,
                            int max_retries, double unit) noexcept;

} // namespace talkory::detail
