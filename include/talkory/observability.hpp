// Observability hooks of a talkory::client: a log sink with levels and per-call events for
// metrics and tracing (client_options::log and client_options::observer; both off by default).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <talkory/errors.hpp>

namespace talkory {

/// How much a client logs: a sink receives the messages of `log_options::level` and the levels
/// after it. `off` (the default) logs nothing.
enum class log_level { trace, debug, info, warning, error, off };

/// "trace", "debug", "info", "warning", "error" or "off".
std::string_view to_string(log_level level) noexcept;

/// The logging hook (client_options::log). Nothing is logged unless `level` is not `off` and
/// `sink` is set. Each message is one line without a trailing newline, at most
/// max_message_length characters, free of control, C1 and bidirectional characters (server
/// text in it is neutralised like api_error::describe()) and never contains the API key, alone
/// or as "Bearer <key>" (it is replaced by "<redacted>" wherever it appears).
///
/// The level of each message (one per call_event, see event_kind):
///   trace    call started; attempt started; attempt finished; connection reused
///   debug    call finished successfully, or cancelled; waited for the rate limiter; waited for
///            a pooled connection; connection opened; connection retired
///   info     retry scheduled (with its delay and the error that caused it)
///   warning  call failed with a transient error (HTTP 429 or 5xx, a network fault, a timeout,
///            the client's own rate limit): retrying later may help
///   error    call failed with an error retrying cannot fix (a key, scope, balance, request or
///            options problem, TLS verification, a malformed response): someone has to act
///
/// The sink is called like call_observer::on_event (same threads, same rules: fast, non-blocking,
/// thread-safe when the io_context runs on several threads); an exception it throws is caught
/// and dropped.
struct log_options {
  log_level level = log_level::off; ///< the least severe level delivered; off: nothing is logged
  std::function<void(log_level level, std::string_view message)> sink; ///< empty: nothing is logged

  /// The longest message in characters (a longer one is cut and ends with "...").
  static constexpr std::size_t max_message_length = 1024;
};

/// What happened. The order for one call with one retry is: call_started, [limiter_waited],
/// [pool_waited], attempt_started (1), connection_opened or connection_reused,
/// attempt_finished (1), retry_scheduled, [limiter_waited], [pool_waited], attempt_started (2),
/// connection_opened or connection_reused, attempt_finished (2), call_finished.
enum class event_kind {
  call_started,       ///< async_health()/health() was called
  call_finished,      ///< the call's handler is about to be completed: `error`, `duration`
  attempt_started,    ///< an attempt holds its limiter token and pool slot: `attempt`
  attempt_finished,   ///< `attempt`, `error`, `http_status`, `duration`
  retry_scheduled,    ///< after attempt `attempt` failed with `error`: `duration` is the delay
  limiter_waited,     ///< the call waited `duration` for a client-side rate-limit token
  pool_waited,        ///< the call waited `duration` for a pooled connection slot
  connection_opened,  ///< `connection_id`, `handshake`, `duration` (connect + handshake)
  connection_reused,  ///< `connection_id`: an idle keep-alive connection carries this attempt
  connection_retired, ///< `connection_id`, `reason`: the connection is closed, never used again
};

/// "call_started", "call_finished", ... (the enumerator's name).
std::string_view to_string(event_kind kind) noexcept;

/// The handshake a new connection made.
enum class handshake_kind {
  none,    ///< plain TCP (http:// with allow_insecure_http)
  full,    ///< a full TLS handshake
  resumed, ///< an abbreviated TLS handshake resuming an earlier session
};

/// "none", "full" or "resumed".
std::string_view to_string(handshake_kind kind) noexcept;

/// Why a connection was closed.
enum class retire_reason {
  idle_timeout,     ///< idle longer than pool_options::idle_timeout
  max_age,          ///< older than pool_options::max_connection_age
  unsolicited_data, ///< found, when the pool looked at it, to hold bytes nobody asked for
  peer_closed,      ///< the peer closed, reset or wrote to it while it sat idle (the idle watch),
                    ///< or it turned out dead when reused (the request is replayed once)
  server_close,     ///< the response did not allow another request (Connection: close)
  reuse_disabled,   ///< pool_options::reuse is false
  error,            ///< its exchange failed, timed out or was cancelled: its state is unknown
  shutdown,         ///< the client was shut down or destroyed
};

/// "idle_timeout", "max_age", ... (the enumerator's name).
std::string_view to_string(retire_reason reason) noexcept;

/// One event. Which fields are set depends on `kind` (see event_kind); the others keep their
/// defaults.
struct call_event {
  event_kind kind = event_kind::call_started; ///< what happened
  /// The call the event belongs to: per client, from 1, increasing in the order calls are
  /// started. 0 for a connection_retired outside any call (the idle watch, a shutdown, an idle
  /// connection found unusable while another call was lent a slot).
  std::uint64_t call_id = 0;
  int attempt = 0;                       ///< attempt_*, retry_scheduled: from 1
  std::optional<errc> error{};           ///< call_finished, attempt_finished: empty on success;
                                         ///< retry_scheduled: why the attempt failed
  int http_status = 0;                   ///< attempt_finished: the response's status;
                                         ///< retry_scheduled, a failed call_finished: the
                                         ///< error's; 0 when no response came
  std::chrono::microseconds duration{0}; ///< see event_kind (call_finished: the latency)
  std::uint64_t connection_id = 0;       ///< connection_*: unique in the process, from 1
  handshake_kind handshake = handshake_kind::none; ///< connection_opened
  retire_reason reason = retire_reason::error;     ///< connection_retired
  /// call_finished: the call whose request this one shared (single-flight); 0 when it made its
  /// own request or none.
  std::uint64_t shared_call_id = 0;
  bool from_cache = false; ///< call_finished: answered from the cache (fresh, or stale after a
                           ///< failed refresh)

  /// One line without server text, e.g. "call 3 attempt 1 failed in 5.120 ms:
  /// service_unavailable (HTTP 503)" (log lines add the error's message and request id).
  std::string describe() const;
};

/// Per-call events for metrics and tracing (client_options::observer); implement on_event.
///
/// Where it is called: synchronously, where the event happens; the library never waits for it
/// and queues nothing for it.
///  - call_started, and call_finished of a call settled at once (invalid options, a fresh cached
///    answer, a call after shutdown): on the thread that called async_health()/health(), inside
///    that call;
///  - every other event: on a thread running the client's executor, inside one of the library's
///    strands: the call's own strand for its events, the connection pool's strand for
///    connection_retired (which may arrive after the call that caused it finished).
/// The events of one call are delivered one after the other, in order. Events of different
/// calls, and connection events, may be delivered concurrently when the client's io_context
/// runs on several threads or calls are started from several threads: on_event must then be
/// thread-safe.
///
/// on_event must be fast and must not block: it runs inside the library, and a slow observer
/// delays the call (and every other call of that strand). It must not call into the client
/// synchronously (start a call, shut it down): post such work to an executor instead. An
/// exception it throws is caught and dropped: the event is lost, the call carries on.
class call_observer {
public:
  virtual ~call_observer() = default;
  /// Called once per event, in the order the events happen for a given call, on the thread
  /// running the client's io_context (inside its strands). Fast, non-blocking, thread-safe.
  virtual void on_event(const call_event& event) = 0;
};

} // namespace talkory
