/// @file
/// talkory::health_watcher: polls GET /v1/health/llm through a client and reports what changed,
/// as a stream of events, plus the last good report for callers that must answer instantly.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <talkory/client.hpp>
#include <talkory/errors.hpp>
#include <talkory/health.hpp>
#include <talkory/options.hpp>

namespace talkory {

namespace detail {
class watcher_impl;
} // namespace detail

/// How a health_watcher polls. Every duration must be positive; validate() says what is wrong.
struct watch_options {
  /// Pause between the end of one good poll and the next poll (> 0).
  milliseconds interval{60'000};
  /// Each pause is scaled by a random factor in [1-j, 1+j]; 0..1 (0: no jitter).
  double jitter = 0.1;
  /// After errors the pause doubles from interval up to this (>= interval). It also caps how
  /// long a Retry-After can hold the next poll back.
  milliseconds max_backoff{300'000};
  /// Polls a provider's new status must hold before it is reported (>= 1; 1 reports at once).
  /// The overall status is confirmed the same way. Failed polls neither count nor break a run.
  std::size_t confirmations = 1;
  /// Events kept for a slow reader (>= 3); beyond, merged (see health_watcher).
  std::size_t max_pending_events = 16;
  /// Per-poll overrides; empty lets polls share requests (single-flight). Durations set here
  /// must be positive and max_retries >= 0.
  call_options poll;
  /// Jitter source, returns [0, 1); empty: an mt19937_64 seeded from std::random_device. Called
  /// on the watcher's strand, never concurrently; a value outside [0, 1] is clamped.
  std::function<double()> random;

  /// Why these options cannot be used (errc::invalid_options), or nothing when they can.
  /// Reports the first problem found; the message names the field.
  std::optional<api_error> validate() const;
};

/// One provider whose (confirmed) status changed. Strings are the server's own; nullopt means
/// the provider was absent from the report (it appeared, or it disappeared).
struct provider_transition {
  std::string provider;            ///< the provider's name
  std::optional<std::string> from; ///< the status readers last saw; nullopt: it appeared
  std::optional<std::string> to;   ///< the new status; nullopt: it disappeared

  /// Equal when all three fields are.
  friend bool operator==(const provider_transition&, const provider_transition&) = default;
};

/// What a health_watcher observed.
///
/// - `snapshot`: the first good report (also when polls failed before it). `report` is set.
/// - `change`: a good report whose overall status or some provider's status differs from the
///   state last reported; `changes` lists the providers (in the new report's order, then the
///   ones that disappeared), `status_from` the previous overall status when that changed.
/// - `error`: a poll failed; `error` is set. The watcher keeps polling, with backoff.
/// - `recovered`: the first good report after one or more errors, with `changes` / `status_from`
///   relative to the last good state (possibly none).
/// A stopped watcher's next() completes with kind `error` and `error->code == errc::cancelled`.
///
/// With confirmations > 1, `changes` and `status_from` list confirmed transitions only, while
/// `report` is the report exactly as fetched (it may already show a status not yet confirmed).
struct health_event {
  /// Which event this is; it says which of the fields below are set.
  enum class kind {
    snapshot, ///< the first good report
    change,   ///< a good report with confirmed transitions (providers or overall status)
    /// A failed poll; or the watcher stopped or this next() was cancelled (errc::cancelled,
    /// errc::invalid_options).
    error,
    recovered, ///< the first good report after errors
  };

  enum kind kind = kind::snapshot;                                ///< which event this is
  std::chrono::sys_time<std::chrono::milliseconds> observed_at{}; ///< when the poll completed (UTC)
  std::optional<health_report> report;                            ///< snapshot, change, recovered
  std::vector<provider_transition> changes;                       ///< change, recovered
  std::optional<std::string> status_from; ///< previous overall status, when it changed
  std::optional<api_error> error;         ///< error
};

/// health_event::kind by a name that needs no `enum` keyword (the data member health_event::kind
/// hides the type's name).
using health_event_kind = enum health_event::kind;

/// "snapshot", "change", "error", "recovered".
std::string_view to_string(enum health_event::kind k) noexcept;
/// Writes to_string(k).
std::ostream& operator<<(std::ostream& os, enum health_event::kind k);

/// One line, without the time: `snapshot ok (gpt ok, claude ok, ...)`,
/// `change grok ok -> error; status ok -> degraded`, `error service_unavailable (HTTP 503): ...`,
/// `recovered no change (ok)`. Bounded whatever the server sent: at most 20 providers or changes,
/// then `... N more`; each name and status cut to 64 characters and shown through printable()
/// (no control, C1 or bidirectional character raw).
std::ostream& operator<<(std::ostream& os, const health_event& event);

/// True for failures that polling again will not fix: the documented 400, 401, 402, 403, 404 and
/// 413 answers (also when undecodable: a proxy's 404 page), invalid options and TLS failures. A
/// watcher still keeps polling through them; a program may decide to stop when its very first poll
/// fails this way.
bool is_permanent_error(const api_error& error) noexcept;

/// The last good report and when the watcher received it.
struct latest_health {
  health_report report; ///< exactly as the poll returned it
  std::chrono::sys_time<std::chrono::milliseconds> fetched_at{}; ///< when that poll completed (UTC)
};

/// Polls `client` every `interval` (± jitter) from construction until cancel() or destruction;
/// the first poll starts at once.
///
/// - Each poll is `client.async_health(options.poll, ...)`: it goes through the client's rate
///   limiter, pool, retries and (when enabled) single-flight, which watchers and plain callers
///   of the same client share. A poll that fails with `retry_after` waits at least that long
///   (up to max_backoff). The watcher holds a copy of the client: while it runs, the client is
///   not destroyed with the caller's own handles.
/// - After a failed poll the pause doubles, starting from `interval`, up to `max_backoff`; the
///   first good poll resets it to `interval`.
/// - Events are buffered for the reader, at most `max_pending_events`. When the buffer is full
///   the next event is merged in, so memory never grows and the reader still sees the latest
///   state and every provider whose status differs from what it last saw. The rule: take the
///   buffered events plus the new one and merge the last adjacent pair that can be merged:
///     error + error                 -> the later error;
///     error + snapshot              -> the snapshot;
///     error + change/recovered      -> recovered, with the later event's changes;
///     change/recovered + change/recovered -> one event (recovered if either was) whose
///       changes are the union keyed by provider with the earlier `from` and the later `to`,
///       providers back at their earlier status dropped, `status_from` likewise; its report and
///       time are the later event's. A `change` left with no changes is dropped altogether.
///   A snapshot is never merged with what follows it, and nothing before an error is merged
///   with it (an error must reach the reader). Of any three consecutive events after the
///   snapshot two can be merged, so with max_pending_events >= 3 a pair is always found.
/// - Thread-safe: the state lives on a strand of the client's executor; latest() takes a mutex
///   and never waits for the strand. next() may be called from any thread, several may be
///   pending (served in order), and each honours per-operation cancellation (it then completes
///   with a `cancelled` error event and the watcher keeps running).
/// - cancel() (or destruction) cancels the poll or pause in progress at once; every pending and
///   later next() completes exactly once with kind `error`, `error->code == errc::cancelled`.
///   So does every next() when the client was shut down. Destroy the watcher before the
///   io_context it runs on. Events buffered and not yet read are dropped.
/// - next()'s handler runs on its associated executor, by default the client's.
/// - Bad watch options or client options: nothing is polled, and every next() completes with
///   kind `error`, `error->code == errc::invalid_options` (see options_error()).
class health_watcher {
public:
  /// Completion signature of async_next(): the event (never an empty one; a watcher that has
  /// stopped gives an `error` event).
  using event_signature = void(health_event);

  /// Starts polling through `c`: the first poll starts at once, on a strand of the client's
  /// executor. Never throws for bad options (watch_options::validate(), or the client's own):
  /// nothing is polled and every next() completes with errc::invalid_options.
  explicit health_watcher(client c, watch_options options = {});
  /// cancel(): stops polling and fails the pending next() calls with errc::cancelled. Returns
  /// at once; the poll winds down and those handlers run later, on their executors.
  ~health_watcher();
  /// Takes over `other`'s watcher. The moved-from watcher's next() completes with a
  /// `cancelled` error event (on the system executor unless the handler has one of its own);
  /// its latest() and options_error() are empty, its get_executor() is an empty executor and its
  /// cancel() does nothing.
  health_watcher(health_watcher&&) noexcept = default;
  /// Cancels the watcher this one held (as cancel()), then takes over `other`'s; `other` is
  /// left moved-from (see the move constructor).
  health_watcher& operator=(health_watcher&& other) noexcept;
  health_watcher(const health_watcher&) = delete;
  health_watcher& operator=(const health_watcher&) = delete;

  /// The next event. Completion signature: void(health_event). Works with any completion token;
  /// the handler runs on its associated executor, never inside this call.
  ///
  /// A buffered event completes it without waiting for a poll; otherwise it waits for the next
  /// event. May be called from any thread; several may be pending, served in order.
  /// Cancellation of any type completes it with a `cancelled` error event and leaves the
  /// watcher running; an event is never lost to a cancelled next(), it stays for the next reader.
  template <class CompletionToken>
  auto async_next(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, event_signature>(
        [](auto handler, std::shared_ptr<detail::watcher_impl> impl) {
          start_next(std::move(impl),
                     boost::asio::any_completion_handler<event_signature>(std::move(handler)));
        },
        token, impl_);
  }

  /// The coroutine form: `auto event = co_await watcher.next();`
  ///
  /// async_next(use_awaitable): the wait starts when the awaitable is awaited, and is cancelled
  /// through the awaiting coroutine's cancellation state.
  boost::asio::awaitable<health_event> next();

  /// The last good report and when it was fetched; nothing before the first good poll.
  /// Synchronous and safe from any thread (it takes a mutex, never the strand).
  std::optional<latest_health> latest() const;

  /// Stops polling; pending and later next() complete with errc::cancelled. Idempotent.
  ///
  /// Thread-safe and non-blocking: the stop is carried out on the watcher's strand, where it
  /// cancels the poll or pause in progress and drops the events not yet read. latest() keeps
  /// the last good report.
  void cancel();

  /// Why the watcher could not start (errc::invalid_options), if it could not.
  ///
  /// watch_options::validate()'s error, else the client's options_error(); fixed at
  /// construction.
  const std::optional<api_error>& options_error() const noexcept;

  /// The client's executor: the watcher's strand runs on it, and it is the default executor
  /// of next()'s handlers. An empty executor for a moved-from watcher.
  boost::asio::any_io_executor get_executor() const noexcept;

private:
  static void start_next(std::shared_ptr<detail::watcher_impl> impl,
                         boost::asio::any_completion_handler<event_signature> handler);

  std::shared_ptr<detail::watcher_impl> impl_;
};

} // namespace talkory
