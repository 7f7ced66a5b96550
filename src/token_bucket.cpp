// The arithmetic of the client-side rate limit: a pausable bucket whose tokens return one period
// after they were taken (a sliding window of `burst` requests per period).
#include "token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace talkory::detail {

namespace {

using time_point = token_bucket::time_point;

// Saturating: an absurd period or an endless pause must mean "never", not wrap around.
time_point add_sat(time_point t, std::chrono::nanoseconds d) noexcept {
  return d >= time_point::max() - t ? time_point::max() : t + d;
}

std::chrono::nanoseconds period_of(std::size_t burst, std::size_t per_window,
                                   std::chrono::nanoseconds window) noexcept {
  if (per_window == 0)
    return std::chrono::nanoseconds::max();
  // window * burst / per_window, rounded up; in floating point so large options cannot overflow
  // (exactness does not matter: try_take and available_at use the same period).
  const long double ns =
      std::ceil(static_cast<long double>(std::max<std::int64_t>(window.count(), 1)) *
                static_cast<long double>(burst) / static_cast<long double>(per_window));
  const auto max = static_cast<long double>(std::chrono::nanoseconds::max().count());
  return ns >= max
             ? std::chrono::nanoseconds::max()
             : std::chrono::nanoseconds(std::max<std::int64_t>(static_cast<std::int64_t>(ns), 1));
}

} // namespace

token_bucket::token_bucket(std::size_t burst, std::size_t per_window,
                           std::chrono::nanoseconds window, time_point now)
    : capacity_(burst), period_(period_of(burst, per_window, window)), window_(window),
      latest_(now) {}

time_point token_bucket::monotonic(time_point now) const noexcept {
  return std::max(now, latest_);
}

void token_bucket::expire(time_point now) {
  latest_ = monotonic(now);
  while (!returns_.empty() && returns_.front() <= latest_)
    returns_.pop_front();
}

std::size_t token_bucket::outstanding(time_point now) const {
  const auto t = monotonic(now);
  // returns_ is ascending: the tokens still away are those returning after t.
  return static_cast<std::size_t>(returns_.end() -
                                  std::upper_bound(returns_.begin(), returns_.end(), t));
}

std::size_t token_bucket::tokens(time_point now) const {
  const auto away = outstanding(now);
  return away >= capacity_ ? 0 : capacity_ - away;
}

bool token_bucket::try_take(time_point now) {
  expire(now);
  if (latest_ < paused_until_ || returns_.size() >= capacity_)
    return false;
  returns_.push_back(add_sat(latest_, period_));
  return true;
}

time_point token_bucket::available_at(time_point now, std::size_t n) const {
  if (capacity_ == 0)
    return time_point::max();
  const auto t = monotonic(now);
  const auto first_away = std::upper_bound(returns_.begin(), returns_.end(), t);
  const auto away = static_cast<std::size_t>(returns_.end() - first_away);
  const std::size_t free = capacity_ > away ? capacity_ - away : 0;

  // Grant k (0-based) among the first `capacity_` uses a free token now, or the token that comes
  // back (k - free)-th. Grant k + capacity_ reuses grant k's token, a period later.
  const std::size_t k = n == 0 ? 0 : n - 1;
  const std::size_t index = k % capacity_;
  const std::size_t rounds = k / capacity_;
  time_point at = index < free ? t : *(first_away + static_cast<std::ptrdiff_t>(index - free));
  at = std::max(at, paused_until_);
  // rounds * period_, saturating, in O(1): the limiter asks this for every queued caller, so a
  // loop over the rounds would make a queue of N callers cost O(N^2 / burst).
  if (rounds == 0 || at == time_point::max())
    return at;
  const auto fit = static_cast<std::uintmax_t>((time_point::max() - at) / period_);
  return rounds > fit ? time_point::max() : at + period_ * static_cast<std::int64_t>(rounds);
}

void token_bucket::pause_until(time_point until) {
  paused_until_ = std::max(paused_until_, until);
}

void token_bucket::observe_remaining(std::int64_t remaining, time_point now) {
  if (remaining < 0)
    return;
  expire(now);
  // Tokens the server says we do not have are marked as used now.
  while (static_cast<std::int64_t>(capacity_ - std::min(capacity_, returns_.size())) > remaining)
    returns_.push_back(add_sat(latest_, period_));
  if (remaining == 0)
    pause_until(add_sat(latest_, window_));
}

} // namespace talkory::detail
