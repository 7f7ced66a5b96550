// The bounded queue of events a health_watcher keeps for a slow reader. When full, it merges
// events instead of growing (the rule is documented on health_watcher in watch.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include <talkory/watch.hpp>

namespace talkory::detail {

class event_buffer {
public:
  /// The smallest capacity for which merging always finds a pair (see watch.hpp).
  static constexpr std::size_t min_capacity = 3;

  explicit event_buffer(std::size_t capacity);

  /// Appends `event`; when the buffer already holds `capacity()` events, merges first.
  void push(health_event event);
  /// The oldest event, if any.
  std::optional<health_event> pop();
  void clear() noexcept { entries_.clear(); }

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t capacity() const noexcept { return capacity_; }
  /// How many merges happened (each removed one event, or two when a change cancelled out).
  std::uint64_t merges() const noexcept { return merges_; }

private:
  struct entry {
    health_event event;
    std::optional<std::string> status_to; // the overall status status_from changed to
  };

  static bool mergeable(const entry& earlier, const entry& later) noexcept;
  /// `later` folded into `earlier`; false when the result says nothing and must be dropped.
  static bool merge_into(entry& earlier, entry later);

  std::size_t capacity_;
  std::deque<entry> entries_;
  std::uint64_t merges_ = 0;
};

} // namespace talkory::detail
