// The client-side rate limiter: a token bucket on a strand with a FIFO queue of async waiters.
// The implementation is in rate_limiter_impl.hpp, compiled once for the library's steady_timer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <system_error>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/steady_timer.hpp>

#include <talkory/options.hpp>

#include "completion.hpp"

namespace talkory::detail {

/// Shared by every call of one client. All members are thread-safe: state lives on a strand.
/// Like any I/O object it must not outlive its execution context.
///
/// `Timer` (boost::asio::steady_timer in the library, a manual-clock timer in unit tests) is
/// used for the grant timer and for each waiter's deadline; `now`, given to create(), reads the
/// clock that Timer waits on (by default Timer::clock_type::now).
template <class Timer>
class basic_rate_limiter : public std::enable_shared_from_this<basic_rate_limiter<Timer>> {
public:
  using timer_type = Timer;
  using time_point = typename Timer::time_point;
  using clock_function = std::function<time_point()>; // must be callable from any thread
  using acquire_signature = void(std::error_code, bool /* waited */);
  using handler_type = tracked_handler<acquire_signature>;

  static std::shared_ptr<basic_rate_limiter> create(boost::asio::any_io_executor executor,
                                                    const rate_limit_options& options,
                                                    clock_function now);
  static std::shared_ptr<basic_rate_limiter>
  create(boost::asio::any_io_executor executor,
         const rate_limit_options& options) requires requires {
    Timer::clock_type::now();
  }
  {
    return create(std::move(executor), options, [] { return Timer::clock_type::now(); });
  }

  /// Takes one token, waiting in FIFO order when none is free. Completes with:
  /// - no error: granted; `waited` tells whether the caller had to queue;
  /// - errc::rate_limited: fail_fast mode without a free token, or the token could not be
  ///   granted before `deadline` (reported at once, not after sleeping until the deadline; a
  ///   queued caller whose turn a pause or a drained bucket moves past its deadline is failed
  ///   at that moment);
  /// - errc::cancelled: per-operation cancellation (terminal, partial or total) or shutdown().
  /// A cancelled waiter takes no token. The handler runs on its associated executor (default:
  /// the limiter's executor) and never inside this call; while queued, the caller holds work on
  /// that executor. Disabled limiters grant at once without entering the strand, and ignore
  /// observe_remaining and pause_for. Destroying the execution context destroys queued handlers
  /// without calling them, as it does with its own pending operations.
  template <class CompletionToken>
  auto async_acquire(time_point deadline, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, acquire_signature>(
        [](auto handler, std::shared_ptr<basic_rate_limiter> self, time_point d) {
          auto tracked = make_tracked<acquire_signature>(std::move(handler), self->executor());
          self->initiate_acquire(d, std::move(tracked));
        },
        token, this->shared_from_this(), deadline);
  }

  /// X-RateLimit-Remaining of a response (see token_bucket::observe_remaining).
  /// On the limiter's strand (a call of the client that shares it): takes a token when
  /// async_acquire would grant one at once (free, nobody waiting, not shut down) and says so.
  /// False otherwise, and always off the strand or when disabled: then async_acquire decides.
  bool try_acquire_now();

  void observe_remaining(std::int64_t remaining);
  /// A 429's Retry-After: every caller of this limiter waits until then (measured from now).
  void pause_for(std::chrono::milliseconds delay);
  /// Fails every waiter with errc::cancelled and every later acquire too.
  void shutdown();

  /// A disabled limiter grants every acquire at once (errc::cancelled after shutdown()): a
  /// caller on the hot path may then skip async_acquire and its round trip through the executor.
  bool enabled() const noexcept;
  bool is_shut_down() const noexcept;

  ~basic_rate_limiter();

  /// Where a handler without an associated executor of its own completes.
  const boost::asio::any_io_executor& executor() const noexcept;

private:
  struct state; // strand, bucket, waiter queue, grant timer: see rate_limiter_impl.hpp
  explicit basic_rate_limiter(std::unique_ptr<state> s);
  void initiate_acquire(time_point deadline, handler_type handler);

  std::unique_ptr<state> state_;
};

/// The library's limiter, on the steady clock; compiled in rate_limiter.cpp only.
using rate_limiter = basic_rate_limiter<boost::asio::steady_timer>;
extern template class basic_rate_limiter<boost::asio::steady_timer>;

} // namespace talkory::detail
