// The calls in flight on one client, so that its shutdown or destruction can stop them all.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>

#include "call_state.hpp"

namespace talkory::detail {

/// Thread-safe. Holds calls weakly: a call's coroutine owns its state.
class call_registry {
public:
  /// A new call on a strand of `executor`, or null once close() was called.
  std::shared_ptr<call_state> open(const boost::asio::any_io_executor& executor);
  /// The call ended (its result was handed out).
  void finish(std::uint64_t id);
  /// Refuses new calls and stops every live one (each then completes with errc::cancelled).
  void close();
  bool closed() const;

private:
  mutable std::mutex mutex_; // guards the fields below
  bool closed_ = false;
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<call_state>> calls_;
};

} // namespace talkory::detail
