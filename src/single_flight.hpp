// Single-flight: the callers that share one request in flight, each with its own deadline and
// cancellation; and the board of flights that new callers may join.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/dispatch.hpp>

#include <talkory/result.hpp>

#include "call_state.hpp"
#include "client_errors.hpp"
#include "completion.hpp"
#include "stats_counters.hpp"
#include "waiter_queue.hpp"

namespace talkory::detail {

/// The request behind one or more callers. Every call goes through one: a call that shares
/// nothing is a flight with a single subscriber. Subscribers wait in a waiter_queue on the call's
/// strand; one that cancels (any cancellation type) or whose deadline passes leaves at once, and
/// the request itself is stopped when its last subscriber leaves. The result goes to every
/// subscriber still present, and to any that joined just as it was handed out.
template <class T>
class flight : public std::enable_shared_from_this<flight<T>> {
public:
  using signature = void(result<T>);
  /// A caller's handler with the work on its executor (track_erased, src/completion.hpp).
  using handler_type = tracked_handler<signature>;

  /// The flight of a new call on `strand` (the client's), whose state it holds: one allocation
  /// for both. `observed`: every subscriber's handler is an observed_subscriber
  /// (src/observed_call.hpp), which reports call_finished and completes itself when called on
  /// the strand.
  flight(boost::asio::any_io_executor strand, stats_counters& counters,
         boost::asio::any_io_executor completion_executor, bool observed = false)
      : call_(std::move(strand)), counters_(&counters), executor_(std::move(completion_executor)),
        observed_(observed), subscribers_(call_.strand, [this](handler_type h, leave_reason why) {
          left(std::move(h), why);
        }) {}

  /// From any thread: adds the caller unless the flight was handed out or abandoned (then the
  /// handler is left with the caller, who starts a flight of its own). Subscribers have no
  /// deadline of their own: only calls without overrides share a flight, so every subscriber's
  /// deadline is the same total from a later start, and the request's (its first caller's)
  /// deadline ends the flight first. `adapt` turns an accepted caller's handler into the one the
  /// flight keeps (for an observed flight, its observed_subscriber).
  template <class Adapt = std::identity>
  bool join(handler_type& handler, Adapt adapt = {}) {
    {
      std::lock_guard lock(mutex_);
      if (!accepting_)
        return false;
      ++members_;
      ++pending_joins_;
    }
    auto self = this->shared_from_this();
    auto w = subscribers_.make_waiter(std::shared_ptr<queue_type>(self, &subscribers_),
                                      handler_type(adapt(std::move(handler))));
    boost::asio::dispatch(call_.strand, [self, w = std::move(w)]() mutable {
      {
        std::lock_guard lock(self->mutex_);
        --self->pending_joins_;
      }
      if (self->delivered_)
        self->finish(w.take(), result<T>(*self->kept_)); // kept for the joins on their way
      else
        self->subscribers_.push_held(std::move(w)); // the flight is no caller's: see push_held
    });
    return true;
  }

  /// The first subscriber of a flight nobody else can see yet (not on the board, its call not
  /// spawned): parked at once, from the initiating thread, without a trip to the strand; the
  /// spawn that follows publishes it to the strand. Its cancellation handler posts there.
  template <class Adapt = std::identity>
  void start(handler_type& handler, Adapt adapt = {}) {
    {
      std::lock_guard lock(mutex_);
      ++members_;
    }
    auto w = subscribers_.make_waiter(
        std::shared_ptr<queue_type>(this->shared_from_this(), &subscribers_),
        handler_type(adapt(std::move(handler))));
    subscribers_.push_held(std::move(w));
  }

  /// On the call's strand, once: the result for everyone still subscribed.
  /// Each subscriber gets a copy, except the last one, which gets the result itself when no
  /// join is still on its way to the strand. When one is, the result is kept for it (on the
  /// heap: a flight without such a join, nearly every one, has no room for a result it would
  /// never keep).
  void deliver(result<T>&& r) {
    std::size_t joins_on_their_way = 0;
    {
      std::lock_guard lock(mutex_);
      accepting_ = false;
      joins_on_their_way = pending_joins_;
    }
    delivered_ = true;
    result<T>* source = &r;
    if (joins_on_their_way > 0) {
      kept_ = std::make_unique<result<T>>(std::move(r));
      source = kept_.get();
    }
    auto next_one = [this]() -> std::optional<handler_type> {
      if (auto h = subscribers_.pop())
        return h;
      return std::exchange(abandoned_, std::nullopt); // the last to leave, served last
    };
    // Never move-assigned: Boost 1.81's any_completion_handler::operator=(&&) wraps a copy of
    // the source inside itself, recursing until the stack overflows. Reset and emplace instead.
    for (auto h = next_one(); h;) {
      auto after = next_one();
      if (!after && joins_on_their_way == 0)
        finish(std::move(*h), std::move(*source));
      else
        finish(std::move(*h), result<T>(*source));
      h.reset();
      if (after)
        h.emplace(std::move(*after));
    }
  }

  /// The call's state, owned with the flight (an aliasing pointer: it keeps the flight alive).
  std::shared_ptr<call_state> call() { return {this->shared_from_this(), &call_}; }
  call_state& state() noexcept { return call_; }
  /// On the call's strand: deliver() has run.
  bool delivered() const noexcept { return delivered_; }

private:
  using queue_type = waiter_queue<signature, boost::asio::steady_timer, handler_type>;

  void finish(handler_type h, result<T>&& r) {
    ++(r ? counters_->calls_succeeded : counters_->calls_failed);
    if (observed_) // an observed_subscriber: it reports, then completes the caller's handler
      return std::move(h)(std::move(r));
    complete_later(executor_, std::move(h), std::move(r));
  }

  // On the strand: a subscriber cancelled or ran out of time before the result came. The last
  // one stops the request and, instead of completing at once, waits for it to wind down, so that
  // when its handler runs the pool and limiter are consistent again; it then gets the request's
  // own result (cancelled, or the answer if that won the race).
  void left(handler_type h, leave_reason why) {
    {
      std::lock_guard lock(mutex_);
      if (--members_ == 0 && accepting_) {
        accepting_ = false; // nobody may join a request that is being stopped
        abandoned_.emplace(std::move(h));
      }
    }
    if (abandoned_) {
      call_state::stop(call());
      return;
    }
    finish(std::move(h),
           result<T>(std::unexpected(why == leave_reason::cancelled
                                         ? cancelled_error()
                                         : client_error(errc::timeout,
                                                        "the call's deadline passed while it "
                                                        "waited for the request it shares"))));
  }

  call_state call_;
  stats_counters* counters_;
  boost::asio::any_io_executor executor_;
  bool observed_;

  std::mutex mutex_; // guards the three fields below, read by joiners on their own threads
  bool accepting_ = true;
  std::size_t members_ = 0;       // joined and not yet left (pending pushes included)
  std::size_t pending_joins_ = 0; // joined, not yet on the strand

  queue_type subscribers_;                // on the call's strand
  bool delivered_ = false;                // on the call's strand, set once by deliver()
  std::unique_ptr<result<T>> kept_;       // on the call's strand: for joins on their way
  std::optional<handler_type> abandoned_; // on the call's strand: the last one to leave
};

/// The flight each endpoint's coalescing callers may join. Thread-safe.
class flight_board {
public:
  template <class T>
  std::shared_ptr<flight<T>> current(const void* endpoint_key) {
    std::lock_guard lock(mutex_);
    auto it = flights_.find(endpoint_key);
    if (it == flights_.end())
      return nullptr;
    return std::static_pointer_cast<flight<T>>(it->second.lock());
  }

  template <class T>
  void set(const void* endpoint_key, const std::shared_ptr<flight<T>>& f) {
    std::lock_guard lock(mutex_);
    flights_[endpoint_key] = f;
  }

private:
  std::mutex mutex_;
  std::unordered_map<const void*, std::weak_ptr<void>> flights_;
};

} // namespace talkory::detail
