// A timer on a manual clock for unit tests (after Boost.MySQL's mock_timer): time moves only when
// a test calls advance(), so deadline and window logic is tested without sleeping or wall time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/system/error_code.hpp>

#include "completion.hpp"

namespace talkory::test {

/// The manual clock of one execution context, and the timer waits parked on it. Starts at an
/// arbitrary non-zero time point so that "zero" is never a meaningful instant by accident.
class manual_clock_service : public boost::asio::execution_context::service {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using handler_type = boost::asio::any_completion_handler<void(boost::system::error_code)>;
  using key_type = manual_clock_service;
  static inline boost::asio::execution_context::id id;

  explicit manual_clock_service(boost::asio::execution_context& ctx) : service(ctx) {}

  time_point now() const {
    std::lock_guard lock(mutex_);
    return now_;
  }

  /// Moves the clock forward and completes (posts) every wait that is now due.
  void advance(std::chrono::nanoseconds by) {
    std::multimap<time_point, wait> due;
    {
      std::lock_guard lock(mutex_);
      now_ += by;
      const auto end = waits_.upper_bound(now_);
      for (auto it = waits_.begin(); it != end; ++it)
        unindex(it);
      due.insert(std::make_move_iterator(waits_.begin()), std::make_move_iterator(end));
      waits_.erase(waits_.begin(), end);
    }
    for (auto& [at, w] : due)
      detail::complete_later(w.executor, std::move(w.handler), boost::system::error_code{});
  }

  /// Parks a wait of timer `timer_id` until `at` (completes it at once when already due).
  void add(std::uint64_t timer_id, time_point at, boost::asio::any_io_executor ex, handler_type h) {
    std::unique_lock lock(mutex_);
    if (at <= now_) {
      lock.unlock();
      detail::complete_later(ex, std::move(h), boost::system::error_code{});
      return;
    }
    by_timer_.emplace(timer_id, waits_.emplace(at, wait{timer_id, std::move(ex), std::move(h)}));
  }

  /// Completes the timer's waits with operation_aborted; returns how many.
  std::size_t cancel(std::uint64_t timer_id) {
    std::multimap<time_point, wait> cancelled;
    {
      std::lock_guard lock(mutex_);
      // Through the index: cancelling one of N pending waits must not cost O(N), or a test of
      // mass cancellation would be quadratic in the harness whatever the code under test does.
      const auto [first, last] = by_timer_.equal_range(timer_id);
      for (auto it = first; it != last; ++it) {
        cancelled.insert(std::move(*it->second));
        waits_.erase(it->second);
      }
      by_timer_.erase(first, last);
    }
    for (auto& [at, w] : cancelled)
      detail::complete_later(w.executor, std::move(w.handler),
                             boost::system::error_code(boost::asio::error::operation_aborted));
    return cancelled.size();
  }

  std::size_t pending() const {
    std::lock_guard lock(mutex_);
    return waits_.size();
  }

  std::uint64_t new_timer_id() {
    std::lock_guard lock(mutex_);
    return next_id_++;
  }

private:
  struct wait {
    std::uint64_t timer;
    boost::asio::any_io_executor executor;
    handler_type handler;
  };

  // Pending waits are destroyed uncalled when the context shuts down, like Asio's own.
  void shutdown() override {
    std::multimap<time_point, wait> orphans;
    {
      std::lock_guard lock(mutex_);
      by_timer_.clear();
      orphans.swap(waits_);
    }
  }

  using wait_map = std::multimap<time_point, wait>;

  void unindex(wait_map::iterator w) {
    auto [first, last] = by_timer_.equal_range(w->second.timer);
    for (; first != last; ++first)
      if (first->second == w)
        return void(by_timer_.erase(first));
  }

  mutable std::mutex mutex_;
  time_point now_ = time_point{} + std::chrono::hours(1000);
  wait_map waits_;
  std::multimap<std::uint64_t, wait_map::iterator> by_timer_; // waits_ by timer, for cancel()
  std::uint64_t next_id_ = 1;
};

inline manual_clock_service& manual_clock(boost::asio::execution_context& ctx) {
  return boost::asio::use_service<manual_clock_service>(ctx);
}
inline manual_clock_service& manual_clock(const boost::asio::any_io_executor& ex) {
  return manual_clock(boost::asio::query(ex, boost::asio::execution::context));
}

/// The subset of basic_waitable_timer that talkory's code uses, on the manual clock.
class manual_timer {
public:
  using time_point = manual_clock_service::time_point;
  using duration = std::chrono::steady_clock::duration;
  using executor_type = boost::asio::any_io_executor;

  explicit manual_timer(executor_type ex, time_point expiry = {})
      : executor_(std::move(ex)), clock_(&manual_clock(executor_)), expiry_(expiry),
        id_(clock_->new_timer_id()) {}
  manual_timer(const manual_timer&) = delete;
  manual_timer& operator=(const manual_timer&) = delete;
  ~manual_timer() { clock_->cancel(id_); }

  executor_type get_executor() const { return executor_; }
  time_point expiry() const { return expiry_; }
  std::size_t expires_at(time_point at) {
    const auto n = cancel();
    expiry_ = at;
    return n;
  }
  std::size_t expires_after(duration d) { return expires_at(clock_->now() + d); }
  std::size_t cancel() { return clock_->cancel(id_); }

  template <class CompletionToken>
  auto async_wait(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler) {
          clock_->add(id_, expiry_, executor_,
                      manual_clock_service::handler_type(std::move(handler)));
        },
        token);
  }

private:
  executor_type executor_;
  manual_clock_service* clock_;
  time_point expiry_;
  std::uint64_t id_;
};

} // namespace talkory::test
