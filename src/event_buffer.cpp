// Merging keeps the reader's view exact: after a merge, reading the buffer still takes the reader
// from the state it last saw to the latest state, provider by provider.
#include "event_buffer.hpp"

#include <algorithm>
#include <utility>

#include "health_diff.hpp"

namespace talkory::detail {
namespace {

using kind = enum health_event::kind;

} // namespace

event_buffer::event_buffer(std::size_t capacity) : capacity_(std::max(capacity, min_capacity)) {}

bool event_buffer::mergeable(const entry& earlier, const entry& later) noexcept {
  const auto a = earlier.event.kind;
  const auto b = later.event.kind;
  if (a == kind::error) {
    return true; // the later event says everything the error did, or more
  }
  // A snapshot is the reader's starting point: it stays as it is (with confirmations > 1 its
  // report is not the confirmed state the following changes are relative to). An error after a
  // good state must reach the reader: nothing swallows it.
  return a != kind::snapshot && b != kind::error && b != kind::snapshot;
}

bool event_buffer::merge_into(entry& earlier, entry later) {
  auto& a = earlier.event;
  auto& b = later.event;
  if (a.kind == kind::error) {
    // error + error: the later error; error + snapshot: the snapshot; error + change or
    // recovered: the errors ended, so what remains is the recovery.
    const bool good = b.kind == kind::change || b.kind == kind::recovered;
    earlier = std::move(later);
    if (good) {
      earlier.event.kind = kind::recovered;
    }
    return true;
  }
  // Two good events: from the state before `a` straight to the state after `b`.
  for (auto& t : b.changes) {
    auto found = std::ranges::find(a.changes, t.provider, &provider_transition::provider);
    if (found == a.changes.end()) {
      a.changes.push_back(std::move(t));
    } else {
      found->to = std::move(t.to);
    }
  }
  std::erase_if(a.changes, [](const provider_transition& t) { return t.from == t.to; });
  if (b.status_from) {
    if (!a.status_from) {
      a.status_from = std::move(b.status_from);
    }
    earlier.status_to = std::move(later.status_to);
  }
  if (a.status_from && a.status_from == earlier.status_to) {
    a.status_from.reset();
    earlier.status_to.reset();
  }
  if (b.kind == kind::recovered) {
    a.kind = kind::recovered;
  }
  a.observed_at = b.observed_at;
  a.report = std::move(b.report);
  return a.kind == kind::recovered || !a.changes.empty() || a.status_from.has_value();
}

void event_buffer::push(health_event event) {
  entry added{std::move(event), std::nullopt};
  if (added.event.status_from && added.event.report) {
    // A status transition is confirmed by the report that carries it: that report's status is
    // where it went.
    added.status_to = status_text(*added.event.report);
  }
  if (entries_.size() < capacity_) {
    entries_.push_back(std::move(added));
    return;
  }
  // Merge the last mergeable adjacent pair of (entries..., added). Of any three consecutive
  // events at least one pair is mergeable, and capacity >= 2, so one is always found.
  ++merges_;
  if (mergeable(entries_.back(), added)) {
    if (!merge_into(entries_.back(), std::move(added))) {
      entries_.pop_back();
    }
    return;
  }
  for (std::size_t i = entries_.size() - 1; i-- > 0;) {
    if (mergeable(entries_[i], entries_[i + 1])) {
      if (merge_into(entries_[i], std::move(entries_[i + 1]))) {
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      } else {
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i),
                       entries_.begin() + static_cast<std::ptrdiff_t>(i) + 2);
      }
      entries_.push_back(std::move(added));
      return;
    }
  }
  // Unreachable with capacity >= 2; keep the bound regardless.
  entries_.pop_front();
  entries_.push_back(std::move(added));
}

std::optional<health_event> event_buffer::pop() {
  if (entries_.empty()) {
    return std::nullopt;
  }
  auto event = std::move(entries_.front().event);
  entries_.pop_front();
  return event;
}

} // namespace talkory::detail
