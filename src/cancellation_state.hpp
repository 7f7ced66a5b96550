// Whether the running coroutine has been asked to stop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/this_coro.hpp>

namespace talkory::detail {

/// A cancellation emitted after one step's operation completed but before the coroutine resumed
/// reaches no operation: Asio only records it in the coroutine's cancellation state, so each step
/// looks there before starting the next one.
inline boost::asio::awaitable<bool> cancellation_requested() {
  const auto state = co_await boost::asio::this_coro::cancellation_state;
  co_return state.cancelled() != boost::asio::cancellation_type::none;
}

} // namespace talkory::detail
