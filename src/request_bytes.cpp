// The request bytes cache: a short list searched under a mutex (a client has one or two
// endpoints; the lock is uncontended but for an instant).
#include "request_bytes.hpp"

#include "http_message.hpp"
#include "request_pipeline.hpp"

namespace talkory::detail {

std::shared_ptr<const std::string> request_bytes_cache::bytes_for(const request_spec& spec) const {
  {
    const std::lock_guard lock(mutex_);
    for (const auto& e : entries_)
      if (e.method == spec.method && e.path == spec.path && e.body == spec.body)
        return e.bytes;
  }
  auto bytes = build(spec); // outside the lock: building takes a few microseconds
  const std::lock_guard lock(mutex_);
  if (entries_.size() < max_entries)
    entries_.push_back({spec.method, spec.path, spec.body, bytes});
  return bytes;
}

std::shared_ptr<const std::string> request_bytes_cache::build(const request_spec& spec) const {
  return std::make_shared<const std::string>(serialize_request(
      make_request(server_, spec.method, spec.path, spec.body, api_key_, user_agent_)));
}

} // namespace talkory::detail
