// The one way talkory completes a caller's handler: on its associated executor, never inside the
// initiating call, with outstanding work held on that executor until the handler has run.
#pragma once

#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

namespace talkory::detail {

/// The handler's associated executor (defaulting to `fallback`) with outstanding work tracked:
/// holding one keeps the handler's execution context from running out of work, as Asio requires
/// of a pending operation, even when that context is another io_context than ours.
template <class Handler>
auto tracked_executor(const Handler& handler, const boost::asio::any_io_executor& fallback) {
  return boost::asio::prefer(boost::asio::get_associated_executor(handler, fallback),
                             boost::asio::execution::outstanding_work.tracked);
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
  boost::asio::post(via, [work = std::move(work), h = std::move(handler),
                          ... a = std::move(args)]() mutable {
    auto target = work; // `work` itself lives until this lambda is destroyed, after the dispatch
    boost::asio::dispatch(std::move(target), [h = std::move(h), ... a = std::move(a)]() mutable {
      boost::asio::get_associated_cancellation_slot(h).clear();
      std::move(h)(std::move(a)...);
    });
  });
}

} // namespace talkory::detail
