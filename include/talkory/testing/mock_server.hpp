// An in-process HTTPS implementation of the Talkory API on 127.0.0.1, for tests and demos.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace talkory::testing {

/// Which certificate the server presents; all but `valid` must be rejected by a verifying client.
enum class certificate_kind {
  valid,       ///< leaf for 127.0.0.1 and localhost, signed by the server's CA (see ca_pem())
  expired,     ///< signed by the CA, but its validity ended in the past
  wrong_host,  ///< signed by the CA, but issued for wrong-host.invalid only
  self_signed, ///< issued for 127.0.0.1 and localhost, signed by itself rather than the CA
  cn_only,     ///< signed by the CA, subject CN=localhost but no subjectAltName at all
};

/// Chaos mode, for soak tests: each request that would get the normal health answer (scripted
/// responses, authentication and rate-limit failures are untouched) draws one outcome from a
/// generator seeded with `seed`. The k-th such request, in the order the server reads requests
/// (one thread), always gets the k-th draw: the sequence of choices is deterministic; which call
/// it meets depends on the client's scheduling. Weights are in parts per 10,000 requests and must
/// add up to at most 10,000 (more: the constructor throws std::invalid_argument); the rest are
/// answered normally. mock_counters::chaos counts each outcome, so a test can check that what its
/// client saw adds up to what the server did.
struct chaos_options {
  bool enabled = false;
  std::uint64_t seed = 1;
  unsigned delay = 300;        ///< answered normally after a delay in [1 ms, max_delay]
  unsigned long_delay = 10;    ///< answered after long_delay (longer than the client's attempt bound)
  unsigned reset = 100;        ///< request read, then the connection reset (RST, no answer)
  unsigned unavailable = 200;  ///< 503 service_unavailable (documented body and X-Request-Id)
  unsigned rate_limited = 200; ///< 429 rate_limited with Retry-After: retry_after
  unsigned close_after = 200;  ///< answered with keep-alive, then closed at once (an idle close
                               // racing the client's next reuse of the connection)
  unsigned close_mid_body = 100; ///< headers and half the body, then closed
  std::chrono::milliseconds max_delay{20};
  std::chrono::milliseconds long_delay_time{3'000};
  std::chrono::seconds retry_after{1};
};

/// An API key the server knows.
struct mock_key {
  std::string key;
  bool revoked = false;           ///< answers 401 invalid_api_key
  bool health_scope = true;       ///< without it: 403 insufficient_scope
  bool no_balance = false;        ///< paid endpoints would answer 402 insufficient_balance
  bool spend_cap_reached = false; ///< paid endpoints would answer 402 spend_cap_reached
};

struct mock_server_options {
  /// The demo key is valid by default.
  std::vector<mock_key> keys{{std::string(demo_key_value)}};
  bool tls = true;                                        ///< false: plain HTTP (insecure-mode tests)
  certificate_kind certificate = certificate_kind::valid; ///< the one the server presents
  std::size_t rate_limit = 30;                            ///< requests per key per window
  std::chrono::milliseconds rate_window{60'000};          ///< fixed, opened by a key's first request
  std::chrono::milliseconds cache_window{300'000};        ///< checkedAt stays stable this long
  std::size_t max_request_body = 64 * 1024;               ///< larger bodies: 413 payload_too_large
  std::chrono::milliseconds idle_timeout{0};              ///< > 0: close connections idle this long
  std::size_t close_every = 0;                            ///< > 0: every Nth response closes
  std::uint16_t port = 0;                                 ///< 0: an ephemeral port
  std::chrono::milliseconds flip_every{0}; ///< > 0: demo mode, a random provider flips ok <-> error
  chaos_options chaos;                     ///< enabled: random faults on normal answers (soak tests)

  static constexpr const char* demo_key_value = "tk_live_demo0000000000000000000000000000";
};

/// Faults a scripted response can inject.
enum class fault {
  none,
  close_before_response, ///< read the request, then close without answering
  close_mid_response,    ///< send the headers and half the body, then close
  no_response,           ///< read the request and never answer (keep the connection open)
  reset_before_response, ///< read the request, then reset the connection (RST: SO_LINGER 0)
  close_after_response,  ///< send the whole response with keep-alive, then close at once
};

/// One response to send instead of the normal one; queued with mock_server::script().
/// It is sent as given: the server adds only Content-Length (unless a Content-Length or
/// Transfer-Encoding header is given), Content-Type: application/json (unless given, and only
/// with a body) and Connection: close when it closes; no X-Request-Id or rate-limit headers.
struct scripted_response {
  int status = 200;
  std::string body;                                         ///< sent as-is
  std::vector<std::pair<std::string, std::string>> headers; ///< added to the response
  std::chrono::milliseconds delay{0};                       ///< wait before answering
  fault inject = fault::none;                               ///< break the exchange instead
  bool close_connection = false;                            ///< Connection: close, then close
};

/// What chaos mode drew: one count per request it decided (see chaos_options).
struct chaos_counters {
  std::uint64_t answered = 0;     ///< the normal answer, at once
  std::uint64_t delayed = 0;      ///< the normal answer after a short delay
  std::uint64_t long_delayed = 0; ///< the normal answer after long_delay_time
  std::uint64_t resets = 0;
  std::uint64_t unavailable = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t closed_after = 0;
  std::uint64_t closed_mid_body = 0;
};

/// Counters the tests use as their oracle. All are totals since start (or reset_counters()).
struct mock_counters {
  std::uint64_t connections_accepted = 0;
  std::uint64_t tls_handshakes = 0;         ///< completed handshakes
  std::uint64_t tls_resumed_handshakes = 0; ///< ... of which resumed a session
  std::uint64_t requests = 0;               ///< requests fully read
  std::uint64_t health_requests = 0;        ///< GET /v1/health/llm with a valid, in-scope key
  std::uint64_t responses_429 = 0;          ///< every 429, scripted ones included
  std::uint64_t scripted_served = 0;        ///< scripted responses taken from the queue
  std::uint64_t connections_open = 0;       ///< now
  std::uint64_t status_changes = 0;         ///< schedule steps applied and providers flipped
  chaos_counters chaos;
};

/// One provider status a schedule sets.
struct status_change {
  std::string provider;              ///< a new name is appended to the body
  std::optional<std::string> status; ///< "ok", "error" or anything else; nullopt removes it
};

/// One step of a provider schedule: "after N ms, set provider P to S", plus any further changes,
/// applied together as one new snapshot.
struct status_step {
  std::chrono::milliseconds after{0}; ///< set_provider_schedule: the wait since the previous step
  std::string provider;               ///< a provider to set (empty: none); a new name is appended
  std::string status;                 ///< ... to this status
  std::vector<status_change> changes; ///< more changes (a nullopt status removes the provider)
  int fail_with = 0; ///< script_provider_statuses: > 0 answers this request with the documented
                     // error of that status (400, 401, 403, 404, 429, 500 or 503) instead
};

/// Starts serving on construction (a thread of its own runs its io_context) and stops on
/// destruction. Every member is thread-safe.
class mock_server {
public:
  explicit mock_server(mock_server_options options = {});
  ~mock_server();
  mock_server(const mock_server&) = delete;
  mock_server& operator=(const mock_server&) = delete;

  std::uint16_t port() const noexcept;
  /// "https://127.0.0.1:PORT" (or http:// when tls is false).
  std::string base_url() const;
  /// PEM of the CA that signed the valid, expired and wrong-host certificates.
  const std::string& ca_pem() const noexcept;

  /// Sets a provider's status ("ok", "error" or anything else); new names are appended, so the
  /// order of first appearance is the order in the body. Starts a fresh snapshot (new checkedAt).
  void set_provider_status(const std::string& provider, const std::string& status);
  /// Forces a fresh snapshot (new checkedAt) on the next request.
  void invalidate_cache();

  /// Deterministic schedule, driven by requests rather than time: step k is applied just before
  /// the k-th health request from now (GET /v1/health/llm that passed authentication, rate limit
  /// and scope; scripted responses do not count) is answered. `after` is ignored. Replaces the
  /// steps not yet applied; once all are applied the statuses stay. Throws std::invalid_argument
  /// for an unsupported fail_with.
  void script_provider_statuses(std::vector<status_step> steps);
  /// Steps of script_provider_statuses() not applied yet.
  std::size_t pending_status_steps() const;
  /// Time-driven schedule (for demos): each step is applied `after` the previous one (the first
  /// `after` this call) on the server's thread. Replaces the previous timed schedule.
  void set_provider_schedule(std::vector<status_step> steps);

  /// Adds a key, or replaces the one with the same value (to revoke it, say).
  void add_key(mock_key key);

  /// Queues responses (FIFO); each fully read request takes the next one, before and instead of
  /// authentication, rate limiting and routing. Throws std::invalid_argument for a response HTTP
  /// cannot carry: a status outside 100..999, a body on 1xx/204/304, CR or LF in a header.
  void script(scripted_response response);
  void script(int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {});

  /// Closes every keep-alive connection that is idle right now (waiting for its next request;
  /// not one that is reading, delaying or writing a response). Returns once they are closed.
  void close_idle_connections();

  mock_counters counters() const;
  void reset_counters();
  /// Blocks until no connection is open (each one closed by either side), at most `bound`;
  /// returns whether that happened. Woken by each close: no polling.
  bool wait_for_no_open_connections(std::chrono::milliseconds bound) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace talkory::testing
