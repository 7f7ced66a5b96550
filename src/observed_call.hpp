// A caller's handler together with what its call_finished event needs, for clients that are
// observed: finishing it on the call's strand reports the event, then completes the handler.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associator.hpp>

#include <talkory/result.hpp>

#include "api_endpoint.hpp"
#include "completion.hpp"
#include "observability.hpp"

namespace talkory::detail {

/// True when `r` is an answer from the endpoint's cache (fresh, or stale after a failed refresh).
template <class T>
bool answered_from_cache(const api_endpoint<T>& ep, result<T>& r) {
  return r && ep.cache_metadata && ep.cache_metadata(*r)->from_cache;
}

/// call_finished for `r`, the result of call `call_id` started at `started`.
template <class T>
void report_finished(const event_hub& hub, const api_endpoint<T>& ep, std::uint64_t call_id,
                     std::uint64_t shared_call_id, event_hub::clock::time_point started,
                     result<T>& r) {
  hub.call_finished(call_id, shared_call_id, started, r ? nullptr : &r.error(),
                    answered_from_cache(ep, r));
}

/// What a flight of an observed client keeps for each subscriber instead of its bare handler.
/// Calling it (on the call's strand, where the flight finishes its subscribers) reports
/// call_finished and hands the caller's handler to complete_later. Its associated executor,
/// cancellation slot and allocator are the caller's handler's (see the associator below), so
/// the flight's waiter queue treats it exactly like that handler.
template <class T>
struct observed_subscriber {
  using handler_type = tracked_handler<void(result<T>)>;

  handler_type handler; // the caller's, with its work
  std::shared_ptr<const event_hub> hub;
  const api_endpoint<T>* endpoint;
  std::uint64_t call_id;
  std::uint64_t shared_call_id; // the call whose request it joined, 0 for its own
  event_hub::clock::time_point started;
  boost::asio::any_io_executor via; // complete_later's hop

  void operator()(result<T> r) {
    report_finished(*hub, *endpoint, call_id, shared_call_id, started, r);
    complete_later(via, std::move(handler), std::move(r));
  }
};

} // namespace talkory::detail

template <template <class, class> class Associator, class T, class Default>
struct boost::asio::associator<Associator, talkory::detail::observed_subscriber<T>, Default> {
  using subscriber = talkory::detail::observed_subscriber<T>;
  using inner = boost::asio::any_completion_handler<void(talkory::result<T>)>;
  using type = typename Associator<inner, Default>::type;

  static type get(const subscriber& s) noexcept {
    return Associator<inner, Default>::get(s.handler.handler);
  }
  static auto get(const subscriber& s, const Default& d) noexcept
      -> decltype(Associator<inner, Default>::get(s.handler.handler, d)) {
    return Associator<inner, Default>::get(s.handler.handler, d);
  }
};
