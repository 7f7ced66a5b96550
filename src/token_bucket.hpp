// The arithmetic of the client-side rate limit, with time passed in: no clock, no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace talkory::detail {

/// A bucket of `burst` tokens in which each token taken returns one period after it was taken,
/// the period being burst * window / per_window (one window when burst == per_window).
///
/// Why not a continuously refilled bucket: a full bucket of 30 refilled at 30 per minute lets
/// 59 requests through in the first minute, and a server that counts 30 per window answers the
/// 31st with 429. Returning each token a full period after its use never lets more than `burst`
/// requests into any period, which is what the server enforces. It can also be paused (no token
/// granted before a point in time) to obey the server's Retry-After.
class token_bucket {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  token_bucket(std::size_t burst, std::size_t per_window, std::chrono::nanoseconds window,
               time_point now);

  /// Takes one token if one is available at `now` and no pause is in force.
  bool try_take(time_point now);

  /// The earliest time >= now at which the `n`-th next token (n >= 1) can be granted,
  /// assuming no other taker and no new pause. time_point::max() means never.
  time_point available_at(time_point now, std::size_t n = 1) const;

  /// No token is granted before `until` (a 429's Retry-After). Tokens keep returning meanwhile.
  void pause_until(time_point until);

  /// The server says `remaining` requests are left: never hold more tokens than that, and at
  /// zero pause for one window so the server's window can refill. Negative values are ignored.
  void observe_remaining(std::int64_t remaining, time_point now);

  /// Tokens available at `now`, ignoring pauses.
  std::size_t tokens(time_point now) const;
  time_point paused_until() const noexcept { return paused_until_; }

private:
  time_point monotonic(time_point now) const noexcept;
  void expire(time_point now);
  std::size_t outstanding(time_point now) const;

  std::size_t capacity_;
  std::chrono::nanoseconds period_; // how long a taken token stays away
  std::chrono::nanoseconds window_; // the server's window, for observe_remaining(0)
  std::deque<time_point> returns_;  // when each taken token comes back, ascending
  time_point latest_{};             // the latest `now` seen: time never runs backwards here
  time_point paused_until_{};
};

} // namespace talkory::detail
