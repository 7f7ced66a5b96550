// When a cached answer may stand in for a request.
#include "cache_policy.hpp"

#include <algorithm>

#include "retry_policy.hpp"

namespace talkory::detail {

bool answer_is_fresh(std::chrono::milliseconds age, std::chrono::milliseconds cache_ttl,
                     std::optional<std::chrono::milliseconds> max_age) noexcept {
  const auto bound = std::min(cache_ttl, max_age.value_or(cache_ttl));
  return age >= std::chrono::milliseconds::zero() && age < bound;
}

bool error_allows_stale(const api_error& error) noexcept {
  // The retryable set is exactly "transient" (it already excludes 4xx, TLS, cancellation and
  // malformed answers); the client's own limiter is transient too, but not worth a retry.
  return is_retryable(error) ||
         (error.code == errc::rate_limited && error.origin == error_origin::client);
}

bool may_serve_stale(const api_error& error, std::chrono::milliseconds age,
                     std::chrono::milliseconds serve_stale_for) noexcept {
  return age >= std::chrono::milliseconds::zero() && age < serve_stale_for &&
         error_allows_stale(error);
}

} // namespace talkory::detail
