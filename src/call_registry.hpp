// The calls in flight on one client, so that its shutdown or destruction can stop them all.
#pragma once

#include <memory>
#include <mutex>

#include "call_state.hpp"

namespace talkory::detail {

/// The live calls of one registry: an intrusive list through their states, so that opening a
/// call allocates no node of its own. Shared by the registry and every call in it: a call
/// leaves it at finish() or, when its completion never ran (its io_context was destroyed with
/// the call pending), in its destructor, whichever comes first, and the list must still exist.
struct call_list {
  std::mutex mutex; // guards the fields below and every listed call's registry_prev/next
  bool closed = false;
  call_state* first = nullptr; // the most recently opened live call
  /// Takes `call` out of the list if it is in it; the caller holds `mutex`.
  void unlink(call_state& call) noexcept;
};

/// Thread-safe. Holds calls weakly: a call's coroutine owns its state.
class call_registry {
public:
  /// Lists `call` (its state lives inside its flight); false once close() was called.
  bool open(const std::shared_ptr<call_state>& call);
  /// The call ended (its result was handed out); a second time does nothing.
  void finish(call_state& call);
  /// Refuses new calls and stops every live one (each then completes with errc::cancelled).
  void close();
  bool closed() const;

private:
  std::shared_ptr<call_list> list_ = std::make_shared<call_list>();
};

} // namespace talkory::detail
