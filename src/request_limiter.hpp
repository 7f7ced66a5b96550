// What the request pipeline needs of a rate limiter, so that it can hold either the process's own
// token bucket (rate_limiter) or the fleet-wide one shared through Redis (src/fleet/).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include "rate_limiter.hpp"

namespace talkory::detail {

/// The contract is basic_rate_limiter's (see rate_limiter.hpp): async_acquire completes exactly
/// once, never inside the call, on the handler's executor, honours per-operation cancellation and
/// the deadline; pause_for and observe_remaining learn from the server; shutdown fails every
/// waiter with errc::cancelled. A fleet limiter may also complete with errc::fleet_unavailable.
class request_limiter {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using acquire_signature = void(std::error_code, bool /* waited */);
  using handler_type = tracked_handler<acquire_signature>;

  virtual ~request_limiter() = default;

  template <class CompletionToken>
  auto async_acquire(time_point deadline, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, acquire_signature>(
        [this](auto handler, time_point d) {
          auto tracked = make_tracked<acquire_signature>(std::move(handler), executor());
          initiate_acquire(d, std::move(tracked));
        },
        token, deadline);
  }

  /// A grant without an asynchronous operation when one is due at once and the caller is on the
  /// limiter's strand (see basic_rate_limiter::try_acquire_now); false: use async_acquire.
  virtual bool try_acquire_now() { return false; }
  virtual void observe_remaining(std::int64_t remaining) = 0;
  virtual void pause_for(std::chrono::milliseconds delay) = 0;
  virtual void shutdown() = 0;
  /// Why the last acquisition completed with errc::fleet_unavailable, for the call's message.
  virtual std::string unavailable_reason() const { return {}; }
  /// False when every acquire would be granted at once (a disabled local limiter): the pipeline
  /// then skips async_acquire and its round trip through the executor, checking only
  /// is_shut_down() (an acquire after shutdown() completes with errc::cancelled).
  virtual bool enabled() const noexcept { return true; }
  virtual bool is_shut_down() const noexcept { return false; }

protected:
  /// Where a handler without an associated executor of its own completes.
  virtual const boost::asio::any_io_executor& executor() const noexcept = 0;
  virtual void initiate_acquire(time_point deadline, handler_type handler) = 0;
};

/// The process's own limiter behind the interface: a forwarding shell, so rate_limiter itself
/// (and every test of it) is unchanged.
class local_request_limiter final : public request_limiter {
public:
  explicit local_request_limiter(std::shared_ptr<rate_limiter> limiter)
      : limiter_(std::move(limiter)) {}

  bool try_acquire_now() override { return limiter_->try_acquire_now(); }
  void observe_remaining(std::int64_t remaining) override {
    limiter_->observe_remaining(remaining);
  }
  void pause_for(std::chrono::milliseconds delay) override { limiter_->pause_for(delay); }
  void shutdown() override { limiter_->shutdown(); }
  bool enabled() const noexcept override { return limiter_->enabled(); }
  bool is_shut_down() const noexcept override { return limiter_->is_shut_down(); }

private:
  const boost::asio::any_io_executor& executor() const noexcept override {
    return limiter_->executor();
  }
  void initiate_acquire(time_point deadline, handler_type handler) override {
    limiter_->async_acquire(deadline, std::move(handler));
  }

  std::shared_ptr<rate_limiter> limiter_;
};

} // namespace talkory::detail
