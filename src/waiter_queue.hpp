// A FIFO of parked asynchronous operations, each with a deadline and cancellable through its
// handler's cancellation slot: the one waiter queue behind the pool, the limiter and single-flight.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "completion.hpp"

namespace talkory::detail {

/// Why a waiter left the queue without being served.
enum class leave_reason {
  cancelled, // its caller's cancellation slot was emitted (any type), or cancel_all()
  expired,   // its deadline passed, or expire_if() judged it could not be served in time
};

/// `Handler`: how a parked handler is stored. A tracked_handler (src/completion.hpp) brings its
/// own work; a plain any_completion_handler gets it from tracked_executor() in make_waiter().
template <class Signature, class Timer = boost::asio::steady_timer,
          class Handler = boost::asio::any_completion_handler<Signature>>
class waiter_queue;

/// Threading: the queue belongs to its owner's strand (`executor`). Every member runs there,
/// except make_waiter(), which runs on the initiating thread and reads nothing mutable.
///
/// Exactly once: a waiter's handler is owned by exactly one place at a time (the waiter before
/// push(), then the pending wait of its deadline timer), and only strand code moves it out. Who
/// moves it out (pop(), a deadline, a cancellation, cancel_all()) completes it; nobody else can.
///
/// Work: from make_waiter() on, a waiter holds outstanding work on its handler's associated
/// executor (as Asio's own pending operations do), so a handler bound to another io_context keeps
/// that context's run() going while it waits here. The work lives as long as the waiter's state,
/// which the pending deadline wait releases only after the completion handed the handler to
/// complete_later (which tracks work from then on): there is no instant without work in between.
///
/// Ownership: the queue refers to a parked handler weakly; the pending wait of the waiter's
/// deadline timer owns it (push_held() is the exception, for owners no handler can own). A handler
/// may own the queue's owner (a coroutine frame holding the client), so an execution context
/// destroyed with waiters parked destroys their pending waits, and with them the handlers, without
/// calling them (as Asio does with its own operations) instead of leaking them in a reference
/// cycle.
///
/// Cost: push, pop and removal by cancellation or deadline are O(1) (a list node, a timer);
/// mass cancellation or expiry of N waiters costs O(N) in all. expire_if() is O(N) per call and
/// is meant for rare events (a pause imposed by the server), not for every grant.
template <class Timer, class Handler, class... Args>
class waiter_queue<void(Args...), Timer, Handler> {
public:
  using handler_type = Handler;
  using time_point = typename Timer::time_point;
  /// Completes a waiter that leaves unserved (typically through complete_later with the owner's
  /// error values). Runs on the strand; may call back into the queue.
  using leave_function = std::function<void(handler_type, leave_reason)>;

private:
  struct parked;
  struct entry {
    std::weak_ptr<parked> caller;
    std::unique_ptr<Timer> timer; // null for a waiter parked by push_held()
    std::shared_ptr<parked> held; // set instead of the timer's ownership by push_held()
  };
  using entry_list = std::list<entry>;

  static constexpr bool brings_its_work = is_tracked_handler<handler_type>::value;
  struct no_work {};
  using work_type = std::conditional_t<brings_its_work, no_work,
                                       decltype(tracked_executor(
                                           std::declval<const handler_type&>(),
                                           std::declval<const boost::asio::any_io_executor&>()))>;

  struct parked {
    std::optional<handler_type> handler;
    std::optional<work_type> work; // see Work above
    bool queued = false;
    typename entry_list::iterator position{};
  };

public:
  /// A caller between initiation and push(): holds its handler.
  class waiter {
  public:
    explicit waiter(handler_type h) : state_(std::make_shared<parked>()) {
      state_->handler.emplace(std::move(h));
    }
    /// The handler back, for an operation completed without queueing. The waiter keeps its work
    /// until it is destroyed: hand the handler to complete_later() before dropping the waiter.
    handler_type take() { return std::move(*std::exchange(state_->handler, std::nullopt)); }

  private:
    friend class waiter_queue;
    std::shared_ptr<parked> state_;
  };

  waiter_queue(boost::asio::any_io_executor executor, leave_function on_leave)
      : executor_(std::move(executor)), on_leave_(std::move(on_leave)) {}
  waiter_queue(const waiter_queue&) = delete;
  waiter_queue& operator=(const waiter_queue&) = delete;

  /// On the initiating thread: wraps the handler and installs the cancellation handler in its
  /// slot there, because the caller emits from there too (a slot must not be used from two
  /// threads at once) and no cancellation may slip in before the waiter reaches the strand.
  /// `self` must alias the owner's shared_ptr: a cancellation keeps the owner alive, never the
  /// other way round.
  waiter make_waiter(std::weak_ptr<waiter_queue> self, handler_type handler) const {
    waiter w(std::move(handler));
    if constexpr (!brings_its_work)
      w.state_->work.emplace(tracked_executor(*w.state_->handler, executor_));
    auto slot = boost::asio::get_associated_cancellation_slot(*w.state_->handler);
    if (slot.is_connected())
      slot.template emplace<cancel_handler>(std::move(self), w.state_);
    return w;
  }

  /// Parks the waiter until it is popped, cancelled or `deadline` passes
  /// (time_point::max(): no deadline).
  void push(waiter w, time_point deadline) {
    auto timer = std::make_unique<Timer>(executor_, deadline);
    auto& t = *timer;
    auto& p = *w.state_;
    entries_.push_back(entry{w.state_, std::move(timer), nullptr});
    p.queued = true;
    p.position = std::prev(entries_.end());
    // The pending wait owns the handler from now on (see Ownership above).
    t.async_wait([this, owned = std::move(w.state_)](const auto& ec) {
      if (!ec && owned->queued)
        leave(*owned, leave_reason::expired);
    });
  }

  /// Parks a waiter without a deadline, held by the queue itself: no timer is armed or cancelled
  /// (a timer wait and its aborted completion per waiter otherwise). Only for handlers that
  /// cannot own the queue's owner (a flight's subscribers: the flight is owned by its call's
  /// coroutine, never by a caller); a cycle through one would outlive its execution context.
  /// Only for handlers that bring their work: the state the queue drops when it pops a held
  /// waiter is all that would hold it otherwise.
  void push_held(waiter w) {
    static_assert(brings_its_work, "push_held: the handler must carry its work (tracked_handler)");
    auto& p = *w.state_;
    entries_.push_back(entry{w.state_, nullptr, w.state_});
    p.queued = true;
    p.position = std::prev(entries_.end());
  }

  /// The longest-waiting handler, removed; nothing when the queue is empty.
  std::optional<handler_type> pop() {
    while (!entries_.empty()) {
      auto caller = entries_.front().caller.lock();
      if (!caller) { // destroyed with its context: nothing to complete
        entries_.pop_front();
        continue;
      }
      return unlink(*caller);
    }
    return std::nullopt;
  }

  /// Ends, as expired, every waiter for which `cannot_make_it(deadline, position)` is true;
  /// position counts from 1 at the front among the waiters that stay.
  template <class Predicate>
  void expire_if(Predicate cannot_make_it) {
    std::size_t position = 1;
    for (auto it = entries_.begin(); it != entries_.end();) {
      auto caller = it->caller.lock();
      auto next = std::next(it);
      if (!caller)
        entries_.erase(it);
      else if (cannot_make_it(it->timer ? it->timer->expiry() : time_point::max(), position))
        leave(*caller, leave_reason::expired);
      else
        ++position;
      it = next;
    }
  }

  /// Ends every waiter as cancelled (shutdown).
  void cancel_all() {
    while (auto h = pop())
      on_leave_(std::move(*h), leave_reason::cancelled);
  }

  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

private:
  // Installed in the caller's slot; runs wherever the caller emits, so it only hands the request
  // over to the strand. Weak references: the slot lives in the caller's frame, which the parked
  // handler owns.
  struct cancel_handler {
    std::weak_ptr<waiter_queue> queue;
    std::weak_ptr<parked> caller;
    void operator()(boost::asio::cancellation_type type) const {
      if (type == boost::asio::cancellation_type::none)
        return;
      if (auto q = queue.lock())
        boost::asio::post(q->executor_, [q, caller = caller] {
          if (auto p = caller.lock(); p && p->queued)
            q->leave(*p, leave_reason::cancelled);
        });
    }
  };

  // Removes the waiter and its timer; the timer's cancelled wait drops its ownership. Every
  // caller holds `p` alive itself: erasing a held entry drops the queue's reference.
  handler_type unlink(parked& p) {
    auto handler = std::move(*std::exchange(p.handler, std::nullopt));
    p.queued = false;
    auto timer = std::move(p.position->timer);
    entries_.erase(p.position);
    if (timer)
      timer->cancel();
    // The timer object may go now: its wait completes with operation_aborted regardless.
    return handler;
  }

  void leave(parked& p, leave_reason why) { on_leave_(unlink(p), why); }

  boost::asio::any_io_executor executor_;
  leave_function on_leave_;
  entry_list entries_;
};

} // namespace talkory::detail
