// The calls in flight on one client, so that its shutdown or destruction can stop them all.
#include "call_registry.hpp"

#include <vector>

namespace talkory::detail {

void call_list::unlink(call_state& call) noexcept {
  if (call.registry_prev)
    call.registry_prev->registry_next = call.registry_next;
  else if (first == &call)
    first = call.registry_next;
  else
    return; // not in the list (finished already)
  if (call.registry_next)
    call.registry_next->registry_prev = call.registry_prev;
  call.registry_prev = call.registry_next = nullptr;
}

call_state::~call_state() {
  if (registry_list) {
    std::lock_guard lock(registry_list->mutex);
    registry_list->unlink(*this);
  }
}

bool call_registry::open(const std::shared_ptr<call_state>& call) {
  std::lock_guard lock(list_->mutex);
  if (list_->closed)
    return false;
  call->registry_list = list_;
  call->registry_self = call;
  call->registry_next = list_->first;
  if (list_->first)
    list_->first->registry_prev = call.get();
  list_->first = call.get();
  return true;
}

void call_registry::finish(call_state& call) {
  std::lock_guard lock(list_->mutex);
  list_->unlink(call);
}

void call_registry::close() {
  std::vector<std::shared_ptr<call_state>> live;
  {
    std::lock_guard lock(list_->mutex);
    list_->closed = true;
    // A call whose last owner is letting it go (its destructor waits for this lock to unlink
    // it) is skipped: there is nothing left to stop.
    for (auto* call = list_->first; call != nullptr; call = call->registry_next)
      if (auto alive = call->registry_self.lock())
        live.push_back(std::move(alive));
  }
  // Outside the lock: stopping posts, and a post may run a handler inline on some executors.
  for (auto& call : live)
    call_state::stop(std::move(call));
}

bool call_registry::closed() const {
  std::lock_guard lock(list_->mutex);
  return list_->closed;
}

} // namespace talkory::detail
