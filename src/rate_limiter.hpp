// The client-side rate limiter: a token bucket on a strand with a FIFO queue of async waiters.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <system_error>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <talkory/options.hpp>

namespace talkory::detail {

/// Shared by every call of one client. All members are thread-safe: state lives on a strand.
/// Like any I/O object it must not outlive its execution context.
class rate_limiter : public std::enable_shared_from_this<rate_limiter> {
public:
  using clock = std::chrono::steady_clock;
  using acquire_signature = void(std::error_code, bool /* waited */);

  static std::shared_ptr<rate_limiter> create(boost::asio::any_io_executor executor,
                                              const rate_limit_options& options);

  /// Takes one token, waiting in FIFO order when none is free. Completes with:
  /// - no error: granted; `waited` tells whether the caller had to queue;
  /// - errc::rate_limited: fail_fast mode without a free token, or the token could not be
  ///   granted before `deadline` (reported at once, not after sleeping until the deadline);
  /// - errc::cancelled: per-operation cancellation (terminal, partial or total) or shutdown().
  /// A cancelled waiter takes no token. The handler runs on its associated executor (default:
  /// the limiter's executor) and never inside this call. Disabled limiters grant at once and
  /// ignore observe_remaining and pause_for. Destroying the execution context destroys queued
  /// handlers without calling them, as it does with its own pending operations.
  template <class CompletionToken>
  auto async_acquire(clock::time_point deadline, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, acquire_signature>(
        [](auto handler, std::shared_ptr<rate_limiter> self, clock::time_point d) {
          self->initiate_acquire(
              d, boost::asio::any_completion_handler<acquire_signature>(std::move(handler)));
        },
        token, shared_from_this(), deadline);
  }

  /// X-RateLimit-Remaining of a response (see token_bucket::observe_remaining).
  void observe_remaining(std::int64_t remaining);
  /// A 429's Retry-After: every caller of this limiter waits until then.
  void pause_for(std::chrono::milliseconds delay);
  /// Fails every waiter with errc::cancelled and every later acquire too.
  void shutdown();

  ~rate_limiter();

private:
  struct state; // strand, bucket, FIFO of waiters, timer: see rate_limiter.cpp
  explicit rate_limiter(std::unique_ptr<state> s);
  void initiate_acquire(clock::time_point deadline,
                        boost::asio::any_completion_handler<acquire_signature> handler);

  std::unique_ptr<state> state_;
};

} // namespace talkory::detail
