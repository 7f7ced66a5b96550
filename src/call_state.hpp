// One call in flight: the strand its coroutine runs on and the signal that stops it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>

#include "serial_executor.hpp"

namespace talkory::detail {

struct call_list;

/// Cancellation requests (from its callers, or from the client's destruction) are posted to
/// `strand` and re-emitted on `signal`, which the call's coroutine is bound to.
///
/// What a cancellation means: every type (terminal, partial, total) is treated as terminal, at
/// any stage, and the call completes with errc::cancelled. That is sound for Asio's "total" (no
/// side effects) because every endpoint the API has is idempotent and side-effect free (GET); an
/// endpoint with side effects would have to stop honouring partial/total once its bytes were
/// written.
struct call_state {
  /// `strand`: the client's (client_impl::strand()), which its pool and limiter share.
  explicit call_state(boost::asio::any_io_executor client_strand)
      : strand(std::move(client_strand)) {}
  /// Leaves the registry's list if still in it (call_registry.cpp).
  ~call_state();
  call_state(const call_state&) = delete;
  call_state& operator=(const call_state&) = delete;

  boost::asio::any_io_executor strand; // make_serial: a serial_executor, or a strand
  boost::asio::cancellation_signal signal;
  bool cancelled = false; // touched on `strand` only
  // The registry's list of live calls (call_registry.hpp): guarded by the list's mutex, touched
  // by the registry only. The list is shared, so that it outlives every call in it.
  std::shared_ptr<call_list> registry_list;
  std::weak_ptr<call_state> registry_self; // what close() stops, if still alive
  call_state* registry_prev = nullptr;
  call_state* registry_next = nullptr;
  std::uint64_t call_id = 0; // the id its events carry (call_event::call_id); 0: not observed

  /// From any thread: the call stops at its current or next step.
  static void stop(std::shared_ptr<call_state> call) {
    auto& strand = call->strand;
    boost::asio::post(strand, [call = std::move(call)] {
      call->cancelled = true;
      call->signal.emit(boost::asio::cancellation_type::terminal);
    });
  }
};

} // namespace talkory::detail
