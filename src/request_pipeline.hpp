// The generic request pipeline: limiter -> pool -> connection -> response, with retries under one
// deadline, the stale-connection replay, and learning from the server's rate-limit headers.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/verb.hpp>

#include <talkory/options.hpp>
#include <talkory/result.hpp>

#include "base_url.hpp"
#include "call_settings.hpp"
#include "call_state.hpp"
#include "call_trace.hpp"
#include "connection_pool.hpp"
#include "http_message.hpp"
#include "request_bytes.hpp"
#include "request_limiter.hpp"
#include "stats_counters.hpp"
#include "unit_random.hpp"

namespace talkory::detail {

/// What an endpoint sends. An idempotent request may be replayed or retried after its bytes may
/// have reached the server; a non-idempotent one only when the server answered that it did not
/// process it (429, 5xx) or before a byte of it was written.
struct request_spec {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string path; // below the base URL's prefix, e.g. "/v1/health/llm"
  std::string body;
  bool idempotent = true;
};

/// A 2xx answer, as the pipeline hands it to an endpoint's decoder. The response is the
/// connection's (connection::exchange), its fields and body in the connection's memory, so the
/// call keeps the connection lent until it is done with the response: release() (or the
/// destructor) gives the connection back to the pool. An answer made up by the client (the
/// fleet's) owns its response instead.
class pipeline_response {
public:
  pipeline_response() = default;
  /// The response `lease`'s connection holds; the connection goes back as `reusable` (else
  /// retired as closed by the server) on release().
  pipeline_response(pool_lease lease, bool reusable) noexcept;
  explicit pipeline_response(std::unique_ptr<http_response> own) noexcept;
  pipeline_response(pipeline_response&& other) noexcept = default; // leaves `other` empty
  pipeline_response& operator=(pipeline_response&& other) noexcept;
  ~pipeline_response() { release(); }

  /// Until release().
  const http_response& response() const noexcept;
  /// Drops the response, then gives its connection back. Idempotent.
  void release() noexcept;

  int attempts = 0;
  bool connection_reused = false; // the final attempt ran on a pooled connection

private:
  pool_lease lease_; // empty for an owned response, and once released
  bool reusable_ = false;
  std::unique_ptr<http_response> own_;
};

/// Everything the pipeline works with, owned by the client. Thread-safe: each call runs its own
/// coroutine on its own strand, and the shared parts (limiter, pool, counters) are themselves.
struct pipeline_parts {
  boost::asio::any_io_executor executor;
  const client_options* options = nullptr;
  origin server;                                  // the parsed base URL
  std::shared_ptr<boost::asio::ssl::context> tls; // null for plain http
  std::shared_ptr<request_limiter> limiter;       // the local token bucket, or the fleet's
  std::shared_ptr<connection_pool> pool;
  stats_counters* counters = nullptr;
  unit_random random;             // jitter for backoff
  const event_hub* hub = nullptr; // null: nobody observes (see call_trace)
};

class request_pipeline {
public:
  explicit request_pipeline(pipeline_parts parts)
      : p_(std::move(parts)), requests_(p_.server, p_.options->api_key, p_.options->user_agent) {}

  /// Runs on the call's strand. A non-2xx answer is decoded into its api_error here. The call's
  /// result goes into `out`, the caller's: a returned result would be kept in this coroutine's
  /// frame (its promise) and in each one below it, every frame allocated per call.
  boost::asio::awaitable<void> perform(const call_state& call, const request_spec& spec,
                                       const call_limits& limits,
                                       result<pipeline_response>& out) const;

private:
  /// What the retry loop carries from one attempt to the next.
  struct retry_memory {
    std::string last_request_id;
    /// The previous attempt's error, kept for a retry the limiter refuses; on the heap, since
    /// only a retry needs it and the loop's frame is allocated for every call.
    std::unique_ptr<api_error> last_error;
  };
  /// The call's end when the limiter gives no slot (fleet unavailable, rate limited).
  result<pipeline_response> refused_by_limiter(std::error_code limit_ec, retry_memory& memory,
                                               int attempts) const;
  /// After attempt `attempt` failed with `error`: the pause before the next one, or nothing and
  /// `error` completed as the call's (cancelled, not retryable, out of time).
  std::optional<std::chrono::milliseconds>
  next_attempt(const call_state& call, const request_spec& spec, const call_limits& limits,
               const call_trace& trace, int attempt, api_error& error, retry_memory& memory) const;
  /// The backoff: a coroutine of its own, so that its timer is in no call's frame but a
  /// retrying one's.
  boost::asio::awaitable<void> pause(std::chrono::milliseconds delay) const;
  /// Attempt number `attempt`: a pool slot, then the exchange on it, with the single transparent
  /// replay on a fresh connection when a pooled one turns out to have been closed by the server
  /// while idle. One coroutine: each coroutine level costs a frame allocation and a resumption.
  /// Its outcome goes into `out` (see perform).
  boost::asio::awaitable<void>
  attempt_once(std::string_view request, bool idempotent, call_limits::clock::time_point deadline,
               const call_limits& limits, const call_trace& trace, int attempt,
               result<pipeline_response>& out) const;
  /// When no pool slot is free at once: waits for one (into `lease`), or sets `out` to why none
  /// came. A coroutine of its own, so that what the wait keeps is in no frame but a waiting
  /// call's.
  boost::asio::awaitable<void> wait_for_slot(call_limits::clock::time_point deadline,
                                             const call_trace& trace, pool_lease& lease,
                                             result<pipeline_response>& out) const;
  /// What attempt_once() tells when no pool slot became free in time.
  api_error pool_timeout_error() const;
  /// The response that arrived on `lease`'s connection (reused: a pooled one) is scrubbed and
  /// learnt from; a 2xx one keeps the connection lent (see pipeline_response), a non-2xx one
  /// becomes its api_error and the connection goes back. Not a coroutine, so that none of this
  /// is kept in attempt_once()'s frame.
  result<pipeline_response> take_response(pool_lease& lease, bool reused) const;
  /// A new connection, or null with `out` set to why it could not be opened (the error goes
  /// straight to the caller's result: none is kept in attempt_once()'s frame).
  boost::asio::awaitable<std::unique_ptr<connection>>
  open_connection(call_limits::clock::time_point deadline, const timeout_options& timeouts,
                  const call_trace& trace, result<pipeline_response>& out) const;
  void learn_from(const http_response& response, const api_error* error) const;

  pipeline_parts p_;
  request_bytes_cache requests_;
};

} // namespace talkory::detail
