// The calls in flight on one client, so that its shutdown or destruction can stop them all.
#include "call_registry.hpp"

#include <vector>

namespace talkory::detail {

std::shared_ptr<call_state> call_registry::open(const boost::asio::any_io_executor& executor) {
  auto call = std::make_shared<call_state>(executor);
  std::lock_guard lock(mutex_);
  if (closed_)
    return nullptr;
  call->id = next_id_++;
  calls_.emplace(call->id, call);
  return call;
}

void call_registry::finish(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  calls_.erase(id);
}

void call_registry::close() {
  std::vector<std::shared_ptr<call_state>> live;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [id, weak] : calls_)
      if (auto call = weak.lock())
        live.push_back(std::move(call));
  }
  // Outside the lock: stopping posts, and a post may run a handler inline on some executors.
  for (auto& call : live)
    call_state::stop(std::move(call));
}

bool call_registry::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

} // namespace talkory::detail
