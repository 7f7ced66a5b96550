// The rate limiter's implementation for any timer: compiled for the library's steady_timer by
// rate_limiter.cpp, and for a manual-clock timer by the unit tests.
#pragma once

#include "rate_limiter.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

#include <talkory/errors.hpp>

#include "completion.hpp"
#include "serial_executor.hpp"
#include "token_bucket.hpp"
#include "waiter_queue.hpp"

namespace talkory::detail {

// Everything below except `stopped` and the const members is touched only on `strand`.
//
// Invariant: a caller waits in `waiters` only while it can be granted strictly before its
// deadline, assuming no new pause. The caller at position k gets its token at
// bucket.available_at(now, k) at the latest, which never decreases as k grows and does not
// change as time passes or as the callers ahead take their tokens. So the invariant can only be
// broken by what changes the bucket's schedule from outside: a pause (pause_for, or
// observe_remaining(0)) or tokens the server says we do not have (observe_remaining). Only those
// rescan the queue (expire_if, O(N) each time, and only when the schedule really changed). An
// event loop that runs later than the schedule is the one other way to miss a deadline: there
// the waiter's own deadline timer ends it, with rate_limited too.
template <class Timer>
struct basic_rate_limiter<Timer>::state {
  using queue_type = waiter_queue<acquire_signature, Timer, handler_type>;
  using waiter = typename queue_type::waiter;
  static_assert(std::is_same_v<time_point, token_bucket::time_point>,
                "the bucket and the timer must measure the same clock");

  state(boost::asio::any_io_executor ex, const rate_limit_options& opts, clock_function clock)
      : executor(std::move(ex)), strand(make_serial(executor)), now(std::move(clock)),
        options(opts), bucket(opts.burst, opts.requests_per_window, opts.window, now()),
        timer(strand),
        waiters(strand, [this](handler_type h, leave_reason why) { on_leave(std::move(h), why); }) {
  }
  state(const state&) = delete;
  state& operator=(const state&) = delete;

  basic_rate_limiter* owner = nullptr; // set by basic_rate_limiter's constructor
  const boost::asio::any_io_executor executor;
  const boost::asio::any_io_executor strand; // make_serial: a serial_executor, or a strand
  const clock_function now;
  const rate_limit_options options;
  // Set by shutdown() on the caller's thread, so that a later acquire sees it even on the
  // disabled fast path, which never enters the strand.
  std::atomic<bool> stopped{false};
  token_bucket bucket;
  Timer timer;                         // the grant timer: when the head's token is due
  std::optional<time_point> armed_for; // expiry of the live grant wait, if any
  std::uint64_t timer_generation = 0;  // tells the live grant wait from superseded ones
  // Declared last: the queue's entries and their deadline timers go before the grant timer and
  // the strand they use. (Parked handlers are owned by the pending deadline waits, not here.)
  queue_type waiters;

  // Can the caller who would stand at `position` be granted strictly before `deadline`? At the
  // deadline itself its own deadline timer ends it, so a grant at that instant would race it.
  bool in_time(time_point t, std::size_t position, time_point deadline) const {
    return bucket.available_at(t, position) < deadline;
  }

  static std::error_code error(talkory::errc code) { return make_error_code(code); }

  // Every completion leaves through complete_later on our executor (not the strand): never
  // inside the initiating call, always on the handler's own executor.
  void grant(handler_type h, bool waited) {
    complete_later(executor, std::move(h), std::error_code{}, waited);
  }

  void on_acquire(waiter w, time_point deadline) {
    if (stopped)
      return complete_later(executor, w.take(), error(talkory::errc::cancelled), false);
    const auto t = now();
    // Only an empty queue may take a free token: otherwise a newcomer would overtake waiters.
    if (waiters.empty() && bucket.try_take(t))
      return grant(w.take(), false);
    if (options.mode == rate_limit_mode::fail_fast)
      return complete_later(executor, w.take(), error(talkory::errc::rate_limited), false);
    // Waiting past the caller's deadline would only turn into a timeout; say why right away.
    if (!in_time(t, waiters.size() + 1, deadline))
      return complete_later(executor, w.take(), error(talkory::errc::rate_limited), false);
    waiters.push(std::move(w), deadline);
    arm_timer(t);
  }

  // A waiter left unserved: its caller cancelled (any type), its deadline passed, expire_if()
  // judged it hopeless, or shutdown.
  //
  // Why nobody else is rescanned (a rescan per cancellation made mass cancellation O(N^2)):
  // the leaver took no token, so the bucket's schedule is unchanged; everyone behind it moves up
  // one place, so their grant time can only come earlier (available_at never decreases in the
  // position) and whoever could make their deadline still can; nobody ahead is affected. The
  // grant timer is armed for bucket.available_at(now, 1), which depends on the bucket alone, not
  // on who stands first, so it stays right for the new head. Only an empty queue disarms it: an
  // armed timer would keep the limiter alive and io_context::run() busy for up to a window.
  void on_leave(handler_type h, leave_reason why) {
    complete_later(executor, std::move(h),
                   error(why == leave_reason::cancelled ? talkory::errc::cancelled
                                                        : talkory::errc::rate_limited),
                   true);
    if (waiters.empty())
      disarm();
  }

  // Grants what the bucket allows, in FIFO order.
  void serve(time_point t) {
    while (!waiters.empty() && bucket.try_take(t))
      if (auto h = waiters.pop())
        grant(std::move(*h), true);
  }

  // The bucket's schedule changed from outside (see the invariant above): grant what is free,
  // fail at once whoever can no longer be served before their deadline, re-arm for the head.
  void rescheduled(time_point t) {
    serve(t);
    waiters.expire_if([this, t](time_point deadline, std::size_t position) {
      return !in_time(t, position, deadline);
    });
    arm_timer(t);
  }

  void disarm() {
    if (!armed_for)
      return;
    timer.cancel();
    armed_for.reset();
    ++timer_generation; // a wait that already completed with success must do nothing either
  }

  void arm_timer(time_point t) {
    if (waiters.empty())
      return disarm();
    const auto at = bucket.available_at(t, 1);
    if (armed_for == at)
      return;
    timer.expires_at(at);
    armed_for = at;
    // A wait that already completed cannot be cancelled by expires_at: its handler may still run
    // with success, so each wait carries its generation and stale ones do nothing. The wait owns
    // the limiter: while anyone is queued, the limiter lives (and so does the raw `this` that the
    // queue's deadline waits use).
    timer.async_wait([self = owner->shared_from_this(),
                      generation = ++timer_generation](const boost::system::error_code& ec) {
      self->state_->on_timer(ec, generation);
    });
  }

  void on_timer(const boost::system::error_code& ec, std::uint64_t generation) {
    if (generation != timer_generation || ec == boost::asio::error::operation_aborted || stopped)
      return;
    armed_for.reset();
    const auto t = now();
    serve(t);
    arm_timer(t);
  }

  void stop() {
    disarm();
    waiters.cancel_all();
  }
};

template <class Timer>
std::shared_ptr<basic_rate_limiter<Timer>>
basic_rate_limiter<Timer>::create(boost::asio::any_io_executor executor,
                                  const rate_limit_options& options, clock_function now) {
  // The constructor is private (the limiter must be owned by a shared_ptr for its handlers to
  // keep it alive), so make_shared cannot be used.
  return std::shared_ptr<basic_rate_limiter>(new basic_rate_limiter(
      std::make_unique<state>(std::move(executor), options, std::move(now))));
}

template <class Timer>
basic_rate_limiter<Timer>::basic_rate_limiter(std::unique_ptr<state> s) : state_(std::move(s)) {
  state_->owner = this;
}

// Every pending strand handler and grant wait holds a shared_ptr to the limiter, so it is only
// destroyed when none is left, or when an io_context is torn down with waiters still queued:
// then their handlers are destroyed without being called, as Asio does with its own operations
// (the waiter queue's pending deadline waits own them; see waiter_queue.hpp).
template <class Timer>
basic_rate_limiter<Timer>::~basic_rate_limiter() = default;

template <class Timer>
const boost::asio::any_io_executor& basic_rate_limiter<Timer>::executor() const noexcept {
  return state_->executor;
}

template <class Timer>
bool basic_rate_limiter<Timer>::enabled() const noexcept {
  return state_->options.enabled;
}

template <class Timer>
bool basic_rate_limiter<Timer>::is_shut_down() const noexcept {
  return state_->stopped;
}

template <class Timer>
void basic_rate_limiter<Timer>::initiate_acquire(time_point deadline, handler_type handler) {
  auto& s = *state_;
  // Fast path: a disabled limiter has no shared state to touch, so it does not enter the strand.
  if (!s.options.enabled)
    return complete_later(s.executor, std::move(handler),
                          s.stopped ? state::error(talkory::errc::cancelled) : std::error_code{},
                          false);
  auto self = this->shared_from_this();
  // On the caller's thread, which is where the caller emits cancellation. The queue's weak
  // reference aliases the limiter: a cancellation keeps the limiter alive, not the reverse.
  auto w = s.waiters.make_waiter(std::shared_ptr<typename state::queue_type>(self, &s.waiters),
                                 std::move(handler));
  boost::asio::dispatch(s.strand, [self = std::move(self), w = std::move(w), deadline]() mutable {
    self->state_->on_acquire(std::move(w), deadline);
  });
}

template <class Timer>
bool basic_rate_limiter<Timer>::try_acquire_now() {
  auto& s = *state_;
  if (!s.options.enabled || s.stopped || !running_in(s.strand))
    return false;
  // What on_acquire grants without waiting: only an empty queue may take a free token.
  return s.waiters.empty() && s.bucket.try_take(s.now());
}

template <class Timer>
void basic_rate_limiter<Timer>::observe_remaining(std::int64_t remaining) {
  // A figure at or above the burst cannot mark a token as used (token_bucket::observe_remaining
  // caps the free tokens at it, and there are never more than the burst): nothing to post. That
  // is every response while the server has plenty left, so the common case stays off the strand.
  if (!state_->options.enabled ||
      (remaining >= 0 && static_cast<std::uint64_t>(remaining) >= state_->options.burst))
    return;
  boost::asio::post(state_->strand, [self = this->shared_from_this(), remaining] {
    auto& s = *self->state_;
    if (s.stopped)
      return;
    // Called after every response: rescan only when the server's figure changed the schedule
    // (tokens marked as used, or a new pause at zero), which is the rare case.
    const auto t = s.now();
    const auto free_before = s.bucket.tokens(t);
    const auto paused_before = s.bucket.paused_until();
    s.bucket.observe_remaining(remaining, t);
    if (s.bucket.tokens(t) != free_before || s.bucket.paused_until() != paused_before)
      s.rescheduled(t);
  });
}

template <class Timer>
void basic_rate_limiter<Timer>::pause_for(std::chrono::milliseconds delay) {
  auto& s = *state_;
  if (!s.options.enabled)
    return;
  // The pause is measured from now, not from whenever the strand gets to it. Compared in
  // milliseconds: converting a huge delay to the clock's nanoseconds would overflow.
  const auto t = s.now();
  const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(time_point::max() - t);
  const auto until =
      delay >= room ? time_point::max() : t + std::max(delay, std::chrono::milliseconds::zero());
  boost::asio::post(s.strand, [self = this->shared_from_this(), until] {
    auto& st = *self->state_;
    if (st.stopped)
      return;
    const auto paused_before = st.bucket.paused_until();
    st.bucket.pause_until(until);
    if (st.bucket.paused_until() != paused_before)
      st.rescheduled(st.now());
  });
}

template <class Timer>
void basic_rate_limiter<Timer>::shutdown() {
  auto& s = *state_;
  if (s.stopped.exchange(true) || !s.options.enabled)
    return; // a disabled limiter never queues anyone
  boost::asio::post(s.strand, [self = this->shared_from_this()] { self->state_->stop(); });
}

} // namespace talkory::detail
