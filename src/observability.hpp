// The dispatcher of a client's observability: each event goes to the user's call_observer and,
// formatted, scrubbed of the key and bounded, to the log sink at the event's level.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <talkory/observability.hpp>
#include <talkory/options.hpp>

namespace talkory::detail {

/// call_event::describe(), with the error part (its code and status) replaced by `error`'s
/// describe() when given. Not scrubbed or bounded here: see log_line.
std::string event_text(const call_event& event, const api_error* error);

/// The level an event is logged at (see log_options). `error` is the api_error behind a failed
/// call_finished, which decides between warning (transient) and error.
log_level level_of(const call_event& event, const api_error* error) noexcept;

/// The log line of `event`: event_text(), the fields of `error` scrubbed first; the key (`secret`)
/// replaced wherever it appears, every unsafe character replaced by a space, and at most
/// log_options::max_message_length characters.
std::string log_line(const call_event& event, const api_error* error, std::string_view secret);

/// Immutable after construction, so thread-safe; the user's observer and sink must be too (see
/// call_observer). Exists only when something observes: callers hold a pointer that is null
/// otherwise, so the unobserved path costs one branch per event and allocates nothing.
class event_hub {
public:
  using clock = std::chrono::steady_clock;

  /// Null when `options` observe nothing (no observer, and no sink or level off).
  static std::shared_ptr<const event_hub> create(const client_options& options);

  event_hub(std::shared_ptr<call_observer> observer, log_options log, std::string secret);

  /// The next call id: 1, 2, 3, ...
  std::uint64_t next_call_id() const noexcept {
    return next_call_id_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  /// Hands `event` to the observer, then to the sink if its level is logged. `error` is what a
  /// failed call or attempt or a retry carries, for the log line only. Never throws: what the
  /// observer or the sink throws is caught and dropped.
  void emit(const call_event& event, const api_error* error = nullptr) const noexcept;

  /// A line that is no call event (fleet mode going to its local fallback and back) to the sink
  /// at `level`, scrubbed of the key, terminal-safe and bounded like every log line. Never throws.
  void log_text(log_level level, std::string_view text) const noexcept;

  /// call_finished of call `call_id` (started at `started`; `shared_call_id` the call whose
  /// request it shared, or 0): `error` null on success.
  void call_finished(std::uint64_t call_id, std::uint64_t shared_call_id, clock::time_point started,
                     const api_error* error, bool from_cache) const;

private:
  std::shared_ptr<call_observer> observer_;
  log_options log_;
  std::string secret_;
  mutable std::atomic<std::uint64_t> next_call_id_{0};
};

/// `since` to now, in microseconds.
inline std::chrono::microseconds elapsed_since(event_hub::clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::microseconds>(event_hub::clock::now() - since);
}

} // namespace talkory::detail
