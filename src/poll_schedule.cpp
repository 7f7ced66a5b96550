// Jittered interval and capped doubling backoff (see poll_schedule.hpp).
#include "poll_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace talkory::detail {

poll_schedule::poll_schedule(milliseconds interval, double jitter,
                             milliseconds max_backoff) noexcept
    : interval_(std::max(interval, milliseconds{1})), jitter_(std::clamp(jitter, 0.0, 1.0)),
      max_backoff_(std::max(max_backoff, interval_)), backoff_(interval_) {}

poll_schedule::milliseconds poll_schedule::jittered(milliseconds base, double unit) const noexcept {
  if (!(unit >= 0.0)) { // NaN too
    unit = 0.0;
  }
  unit = std::min(unit, 1.0);
  const double factor = 1.0 + jitter_ * (2.0 * unit - 1.0);
  const double scaled = std::round(static_cast<double>(base.count()) * factor);
  if (scaled >= static_cast<double>(milliseconds::max().count())) {
    return milliseconds::max();
  }
  return std::max(milliseconds{static_cast<milliseconds::rep>(scaled)}, milliseconds{1});
}

poll_schedule::milliseconds poll_schedule::after_success(double unit) noexcept {
  backoff_ = interval_;
  return jittered(interval_, unit);
}

poll_schedule::milliseconds
poll_schedule::after_error(double unit, std::optional<std::chrono::seconds> retry_after) noexcept {
  const auto base = backoff_;
  backoff_ = base > max_backoff_ / 2 ? max_backoff_ : base * 2;
  auto pause = std::min(jittered(base, unit), max_backoff_);
  if (retry_after) {
    // Compared in seconds: converting a hostile Retry-After to milliseconds could overflow.
    const auto server_wait =
        *retry_after >= std::chrono::duration_cast<std::chrono::seconds>(max_backoff_)
            ? max_backoff_
            : std::chrono::duration_cast<milliseconds>(*retry_after);
    pause = std::max(pause, server_wait);
  }
  return pause;
}

} // namespace talkory::detail
