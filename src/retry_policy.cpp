// When a failed attempt is worth another and how long to wait first: pure functions, no clock,
// randomness passed in as `unit` so that tests can seed it.
#include "retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace talkory::detail {

bool is_retryable(const api_error& error) noexcept {
  if (error.origin == error_origin::server) {
    // The status decides, not the code: a proxy's 502/504 HTML page has no documented code but
    // is as transient as the service's own 503.
    switch (error.http_status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false; // 400, 401, 402, 403, 404, 413 and anything else the server refused
    }
  }
  switch (error.code) {
  case errc::connection_failed:
  case errc::connection_lost:
  case errc::timeout:
    return true;
  default:
    // Notably errc::rate_limited from our own limiter (fail_fast, or a wait that would not fit
    // the deadline): retrying at once would only be refused again. Likewise tls_error (a
    // certificate that failed verification will fail again), cancelled, invalid_options,
    // invalid_response and response_too_large.
    return false;
  }
}

std::chrono::milliseconds nominal_backoff(const retry_options& options, int retry) noexcept {
  using std::chrono::milliseconds;
  const milliseconds cap = std::max(options.max_backoff, milliseconds::zero());
  milliseconds delay = std::max(options.initial_backoff, milliseconds::zero());
  // Doubling step by step until the cap stops it keeps any `retry` free of overflow.
  for (int i = 0; i < retry && delay > milliseconds::zero() && delay < cap; ++i)
    delay = delay > cap / 2 ? cap : delay * 2;
  return std::min(delay, cap);
}

std::chrono::milliseconds jittered_backoff(const retry_options& options, int retry,
                                           double unit) noexcept {
  // !(unit >= 0) also catches NaN.
  if (!(unit >= 0.0))
    unit = 0.0;
  unit = std::min(unit, 1.0);
  const auto nominal = nominal_backoff(options, retry).count();
  const double jittered = static_cast<double>(nominal) * (0.75 + 0.25 * unit);
  // Whole milliseconds, kept inside [0.75, 1] of the nominal delay despite the rounding.
  const auto lowest =
      static_cast<std::chrono::milliseconds::rep>(std::ceil(static_cast<double>(nominal) * 0.75));
  const auto rounded = static_cast<std::chrono::milliseconds::rep>(std::llround(jittered));
  return std::chrono::milliseconds(std::clamp(rounded, lowest, nominal));
}

retry_decision decide_retry(const retry_options& options, const api_error& error, int attempt,
                            int max_retries, double unit) noexcept {
  retry_decision decision;
  // `attempt` is 1-based, so attempt - 1 retries have been made already.
  if (!is_retryable(error) || attempt > max_retries)
    return decision;
  if (error.retry_after) {
    // The server's word beats our backoff, but a long pause is the caller's call to make:
    // fail now with retry_after in the error instead of sleeping through it.
    const auto retry_after = std::max(*error.retry_after, std::chrono::seconds::zero());
    if (retry_after > options.max_retry_after) {
      decision.retry_after_too_long = true;
      return decision;
    }
    decision.retry = true;
    decision.delay = retry_after;
    return decision;
  }
  decision.retry = true;
  decision.delay = jittered_backoff(options, attempt - 1, unit);
  return decision;
}

} // namespace talkory::detail
