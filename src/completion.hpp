// The one way talkory completes a caller's handler: on its associated executor, never inside the
// initiating call, with outstanding work held on that executor until the handler has run.
#pragma once

#include <type_traits>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/require.hpp>

namespace talkory::detail {

/// The handler's associated executor (defaulting to `fallback`) with outstanding work tracked:
/// holding one keeps the handler's execution context from running out of work, as Asio requires
/// of a pending operation, even when that context is another io_context than ours.
template <class Handler>
auto tracked_executor(const Handler& handler, const boost::asio::any_io_executor& fallback) {
  return boost::asio::prefer(boost::asio::get_associated_executor(handler, fallback),
                             boost::asio::execution::outstanding_work.tracked);
}

/// Runs `handler(args...)` through `target` (dispatch: inline when already there), its
/// cancellation slot cleared first, there: where its owner emits.
template <class Executor, class Handler, class... Args>
void dispatch_clearing_slot(Executor target, Handler handler, Args... args) {
  boost::asio::dispatch(std::move(target),
                        [h = std::move(handler), ... a = std::move(args)]() mutable {
                          boost::asio::get_associated_cancellation_slot(h).clear();
                          std::move(h)(std::move(a)...);
                        });
}

/// Calls `handler(args...)` from a fresh turn of `via`, dispatched to the handler's associated
/// executor, where its cancellation slot is detached first. Work is tracked on the handler's
/// executor from this call until the handler has run, so a handler bound to another io_context
/// keeps that context's run() going. The hop through `via` exists because Boost 1.81's
/// any_completion_executor cannot be required to be non-blocking (posted to) directly.
/// The slot is cleared on the handler's executor because that is where its owner emits: clearing
/// it anywhere else would race with an emit. A cancellation handler that runs meanwhile must
/// therefore find nothing left to cancel (every talkory cancellation handler checks).
template <class Handler, class... Args>
void complete_later(const boost::asio::any_io_executor& via, Handler handler, Args... args) {
  auto work = tracked_executor(handler, via);
  boost::asio::post(
      via, [work = std::move(work), h = std::move(handler), ... a = std::move(args)]() mutable {
        // A copy: `work` itself lives until this lambda is destroyed, after the dispatch.
        dispatch_clearing_slot(work, std::move(h), std::move(a)...);
      });
}

/// An internal handler erased for storage, with the outstanding work on its associated executor
/// taken before the erasure, as an any_io_executor. Why: the work of a plain
/// any_completion_handler can only be had through its any_completion_executor, which holds the
/// handler's executor on the heap (three allocations per tracked_executor()), and which cannot be
/// required never-blocking, so complete_later() must hop through another executor first. Here the
/// work is the handler's own executor, taken while its type was known: for a coroutine of a call
/// (a serial_executor) it costs no allocation, and completion is one post to it.
///
/// For the internal operations (pool, limiter) whose callers are talkory's own coroutines and
/// tests: a handler whose associated executor does not convert to any_io_executor does not
/// compile here, and stays with the plain any_completion_handler paths.
template <class Signature>
struct tracked_handler {
  tracked_handler(boost::asio::any_completion_handler<Signature> h,
                  boost::asio::any_io_executor w) noexcept
      : handler(std::move(h)), work(std::move(w)) {}
  tracked_handler(tracked_handler&&) noexcept = default;

  boost::asio::any_completion_handler<Signature> handler;
  boost::asio::any_io_executor work; // the handler's executor, outstanding_work.tracked
  /// Set by track_erased() for a handler that is itself redispatched to its own executor, where
  /// it clears its cancellation slot: complete_later must not clear it from `work` first.
  bool clears_its_own_slot = false;

  // Boost 1.81's any_completion_handler::operator=(&&) recurses (it wraps the source in itself):
  // a tracked_handler is moved by construction only.
  tracked_handler& operator=(tracked_handler&&) = delete;

  template <class... Args>
  void operator()(Args&&... args) && {
    std::move(handler)(std::forward<Args>(args)...);
  }
};

template <class T>
struct is_tracked_handler : std::false_type {};
template <class Signature>
struct is_tracked_handler<tracked_handler<Signature>> : std::true_type {};

/// `handler` erased with its work taken (see tracked_handler); a tracked_handler passes as is.
template <class Signature, class Handler>
tracked_handler<Signature> make_tracked(Handler&& handler,
                                        const boost::asio::any_io_executor& fallback) {
  if constexpr (is_tracked_handler<std::decay_t<Handler>>::value) {
    return std::forward<Handler>(handler);
  } else {
    boost::asio::any_io_executor work = tracked_executor(handler, fallback);
    return {boost::asio::any_completion_handler<Signature>(std::forward<Handler>(handler)),
            std::move(work)};
  }
}

/// complete_later() for a tracked_handler: one never-blocking execution on the handler's own
/// executor (where its slot is cleared first, as above), holding the work until it has run.
/// `via` is not needed: the handler's executor can be required never-blocking directly.
template <class Signature, class... Args>
void complete_later(const boost::asio::any_io_executor& /*via*/, tracked_handler<Signature> handler,
                    Args&&... args) {
  const auto target = boost::asio::require(handler.work, boost::asio::execution::blocking.never);
  // Forwarded into the function, which holds the only copies (a report moves once, not twice).
  target.execute([h = std::move(handler), ... a = std::forward<Args>(args)]() mutable {
    if (!h.clears_its_own_slot)
      boost::asio::get_associated_cancellation_slot(h.handler).clear();
    std::move(h.handler)(std::move(a)...);
  });
}

/// A caller's handler whose executor is not an any_io_executor (an any_completion_handler
/// handed to us, say), made a tracked_handler: it is run from `fallback`, whence it dispatches
/// itself to its own executor as complete_later() does for a plain handler, clearing its slot
/// there; its work is held through its any_completion_executor until then.
template <class Signature>
struct redispatching_handler;
template <class... Args>
struct redispatching_handler<void(Args...)> {
  boost::asio::any_completion_handler<void(Args...)> handler;
  decltype(tracked_executor(
      std::declval<const boost::asio::any_completion_handler<void(Args...)>&>(),
      std::declval<const boost::asio::any_io_executor&>())) work;

  // Not &&-qualified: the binder of its cancellation slot calls it as an lvalue (once).
  void operator()(Args... args) {
    dispatch_clearing_slot(work, std::move(handler), std::move(args)...);
  }
};

/// A caller's erased handler with the work on its executor: `work` is that executor with
/// outstanding work tracked, taken before the erasure (talkory::detail::tracked_work_of in
/// client.hpp), or empty when it is not an any_io_executor (then see redispatching_handler).
template <class Signature>
tracked_handler<Signature> track_erased(boost::asio::any_completion_handler<Signature> handler,
                                        boost::asio::any_io_executor work,
                                        const boost::asio::any_io_executor& fallback) {
  if (work)
    return {std::move(handler), std::move(work)};
  auto slot = boost::asio::get_associated_cancellation_slot(handler);
  auto own = tracked_executor(handler, fallback);
  tracked_handler<Signature> t(
      boost::asio::any_completion_handler<Signature>(boost::asio::bind_cancellation_slot(
          slot, redispatching_handler<Signature>{std::move(handler), std::move(own)})),
      boost::asio::prefer(fallback, boost::asio::execution::outstanding_work.tracked));
  t.clears_its_own_slot = true;
  return t;
}

} // namespace talkory::detail

/// A tracked_handler's cancellation slot is its handler's: waiter_queue and the fleet limiter
/// install their cancellation handlers in it.
template <class Signature, class CancellationSlot>
struct boost::asio::associated_cancellation_slot<talkory::detail::tracked_handler<Signature>,
                                                 CancellationSlot> {
  using type = typename boost::asio::associated_cancellation_slot<
      boost::asio::any_completion_handler<Signature>, CancellationSlot>::type;
  static type get(const talkory::detail::tracked_handler<Signature>& h,
                  const CancellationSlot& s = CancellationSlot()) noexcept {
    return boost::asio::get_associated_cancellation_slot(h.handler, s);
  }
};
