// The arithmetic of the client-side rate limit, with time passed in: no clock, no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace talkory::detail {

/// A token bucket of capacity `burst`, refilled continuously at `per_window` tokens per `window`.
/// It can also be paused (no token is granted before a point in time) to obey the server.
class token_bucket {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  token_bucket(std::size_t burst, std::size_t per_window, std::chrono::nanoseconds window,
               time_point now);

  /// Takes one token if one is available at `now` and no pause is in force.
  bool try_take(time_point now);

  /// The earliest time >= now at which the `n`-th next token (n >= 1) can be granted,
  /// assuming no other taker and no new pause.
  time_point available_at(time_point now, std::size_t n = 1) const;

  /// No token is granted before `until` (a 429's Retry-After). Refill continues meanwhile.
  void pause_until(time_point until);

  /// The server says `remaining` requests are left: never hold more tokens than that, and at
  /// zero pause for one window so the server's window can refill.
  void observe_remaining(std::int64_t remaining, time_point now);

  /// Tokens available at `now` (fractional refill truncated), ignoring pauses.
  std::size_t tokens(time_point now) const;
  time_point paused_until() const noexcept { return paused_until_; }

private:
  // See the .cpp for the representation.
  void refill(time_point now);

  double capacity_;
  double tokens_;
  double tokens_per_ns_;
  std::chrono::nanoseconds window_;
  time_point last_refill_;
  time_point paused_until_{};
};

} // namespace talkory::detail
