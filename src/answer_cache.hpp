// The last good answer of each cacheable endpoint and when it was fetched: what cache_ttl answers
// from and serve_stale_for falls back to.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace talkory::detail {

/// Thread-safe. Keyed like the flight board, by the endpoint definition's address; an entry is
/// immutable once stored, so readers copy it outside the lock.
class answer_cache {
public:
  using clock = std::chrono::steady_clock;

  template <class T>
  struct entry {
    T value;
    clock::time_point fetched;
  };

  /// Replaces the endpoint's entry: the latest good answer wins.
  template <class T>
  void store(const void* endpoint_key, T value, clock::time_point fetched) {
    auto fresh = std::make_shared<const entry<T>>(entry<T>{std::move(value), fetched});
    std::lock_guard lock(mutex_);
    entries_[endpoint_key] = std::move(fresh);
  }

  /// The endpoint's entry, or nullptr when it never had a good answer.
  template <class T>
  std::shared_ptr<const entry<T>> find(const void* endpoint_key) const {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(endpoint_key);
    if (it == entries_.end())
      return nullptr;
    return std::static_pointer_cast<const entry<T>>(it->second);
  }

private:
  mutable std::mutex mutex_;
  std::unordered_map<const void*, std::shared_ptr<const void>> entries_;
};

} // namespace talkory::detail
