// Completing a type-erased handler the way Asio requires: on its associated executor, never
// inside the call that initiated the operation.
#pragma once

#include <utility>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace talkory::detail {

/// From a fresh turn of `via`, dispatches the handler to its associated executor (defaulting to
/// `via`), where its cancellation slot is detached and it is called. Boost 1.81's
/// any_completion_executor cannot be posted to directly, hence the hop through `via`.
/// The slot is cleared on the handler's executor because that is where its owner emits: clearing
/// it from anywhere else would race with an emit. A cancellation handler that runs meanwhile must
/// therefore find nothing left to cancel.
template <class Executor, class Handler, class... Args>
void complete_later(const Executor& via, Handler handler, Args... args) {
  boost::asio::post(via, [via, h = std::move(handler), ... a = std::move(args)]() mutable {
    auto ex = boost::asio::get_associated_executor(h, via);
    boost::asio::dispatch(ex, [h = std::move(h), ... a = std::move(a)]() mutable {
      boost::asio::get_associated_cancellation_slot(h).clear();
      std::move(h)(std::move(a)...);
    });
  });
}

/// Like complete_later, for code already running apart from the initiating call (e.g. in a
/// completion handler of our own): dispatches straight to the handler's executor.
template <class Executor, class Handler, class... Args>
void complete_now(const Executor& fallback, Handler handler, Args... args) {
  auto ex = boost::asio::get_associated_executor(handler, fallback);
  boost::asio::dispatch(ex, [h = std::move(handler), ... a = std::move(args)]() mutable {
    boost::asio::get_associated_cancellation_slot(h).clear();
    std::move(h)(std::move(a)...);
  });
}

} // namespace talkory::detail
