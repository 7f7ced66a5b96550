// The pauses between a watcher's polls: the interval with jitter, and the doubling backoff after
// errors. Pure arithmetic: the random number comes in as a parameter.
#pragma once

#include <chrono>
#include <optional>

namespace talkory::detail {

class poll_schedule {
public:
  using milliseconds = std::chrono::milliseconds;

  /// `jitter` in [0, 1]; `max_backoff` >= `interval` > 0 (watch_options::validate checks).
  poll_schedule(milliseconds interval, double jitter, milliseconds max_backoff) noexcept;

  /// The pause after a good poll: interval scaled by 1 + jitter * (2 * unit - 1), so `unit` in
  /// [0, 1) spreads it evenly over [1 - jitter, 1 + jitter]. Resets the backoff.
  milliseconds after_success(double unit) noexcept;

  /// The pause after a failed poll: the current backoff (the interval after a good poll, then
  /// doubling) with jitter, capped at max_backoff, and never shorter than the server's
  /// Retry-After (itself capped at max_backoff, so that a huge value cannot stall the watcher).
  milliseconds after_error(double unit,
                           std::optional<std::chrono::seconds> retry_after = {}) noexcept;

  /// The base (unjittered) pause the next error would use.
  milliseconds current_backoff() const noexcept { return backoff_; }

private:
  milliseconds jittered(milliseconds base, double unit) const noexcept;

  milliseconds interval_;
  double jitter_;
  milliseconds max_backoff_;
  milliseconds backoff_;
};

} // namespace talkory::detail
