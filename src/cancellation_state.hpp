// Whether the running coroutine has been asked to stop.
#pragma once

#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/this_coro.hpp>

namespace talkory::detail {

/// A cancellation emitted after one step's operation completed but before the coroutine resumed
/// reaches no operation: Asio only records it in the coroutine's cancellation state, so each step
/// looks there before starting the next one:
///
///     if (stop_requested(co_await boost::asio::this_coro::cancellation_state)) ...
///
/// A plain function over the state, not a coroutine of its own: awaiting `cancellation_state`
/// in the caller's frame costs no coroutine frame, where a helper coroutine cost one per check.
inline bool stop_requested(const boost::asio::cancellation_state& state) noexcept {
  return state.cancelled() != boost::asio::cancellation_type::none;
}

} // namespace talkory::detail
