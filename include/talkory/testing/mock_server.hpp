/// @file
/// An in-process HTTPS implementation of the Talkory API on 127.0.0.1, for tests and demos.
/// Library talkory_testing (CMake target `talkory::testing`), independent of the client library.
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
  bool enabled = false;   ///< false: chaos mode is off and the fields below are not used
  std::uint64_t seed = 1; ///< seeds the generator: the same seed, the same sequence of outcomes
  unsigned delay = 300;   ///< answered normally after a delay in [1 ms, max_delay]
  /// Answered normally after long_delay_time (meant to be longer than the client's attempt
  /// bound).
  unsigned long_delay = 10;
  unsigned reset = 100;        ///< request read, then the connection reset (RST, no answer)
  unsigned unavailable = 200;  ///< 503 service_unavailable (documented body and X-Request-Id)
  unsigned rate_limited = 200; ///< 429 rate_limited with Retry-After: retry_after
  /// Answered with keep-alive, then closed at once (an idle close racing the client's next
  /// reuse of the connection).
  unsigned close_after = 200;
  unsigned close_mid_body = 100;                    ///< headers and half the body, then closed
  std::chrono::milliseconds max_delay{20};          ///< the longest `delay` (below 1 ms: 1 ms)
  std::chrono::milliseconds long_delay_time{3'000}; ///< how long a `long_delay` answer waits
  std::chrono::seconds retry_after{1};              ///< the Retry-After of a chaos 429
};

/// An API key the server knows.
struct mock_key {
  std::string key;                ///< the exact token expected after "Bearer "
  bool revoked = false;           ///< answers 401 invalid_api_key
  bool health_scope = true;       ///< without it: 403 insufficient_scope
  bool no_balance = false;        ///< paid endpoints would answer 402 insufficient_balance
  bool spend_cap_reached = false; ///< paid endpoints would answer 402 spend_cap_reached
};

/// How a mock_server behaves. The defaults mirror the API: one valid key, HTTPS with a valid
/// certificate, 30 requests per key per minute, a check cached for 5 minutes.
struct mock_server_options {
  /// The demo key is valid by default.
  std::vector<mock_key> keys{{std::string(demo_key_value)}};
  bool tls = true; ///< false: plain HTTP (insecure-mode tests)
  certificate_kind certificate = certificate_kind::valid; ///< the one the server presents
  std::size_t rate_limit = 30;                            ///< requests per key per window
  std::chrono::milliseconds rate_window{60'000};   ///< fixed, opened by a key's first request
  /// true: the window slides instead (a request is refused while rate_limit requests of its key
  /// were admitted within the last rate_window), the strictest reading of "30 per minute"; the
  /// server then also records when it admitted each request (admitted_times()).
  bool sliding_rate_window = false;
  std::chrono::milliseconds cache_window{300'000}; ///< checkedAt stays stable this long
  std::size_t max_request_body = 64 * 1024;        ///< larger bodies: 413 payload_too_large
  std::chrono::milliseconds idle_timeout{0};       ///< > 0: close connections idle this long
  std::size_t close_every = 0;                     ///< > 0: every Nth response closes
  std::uint16_t port = 0;                          ///< 0: an ephemeral port
  std::chrono::milliseconds flip_every{0}; ///< > 0: demo mode, a random provider flips ok <-> error
  chaos_options chaos; ///< enabled: random faults on normal answers (soak tests)

  /// The key `keys` holds by default, for demos and tests; it is valid only on a mock server.
  static constexpr const char* demo_key_value = "tk_live_demo0000000000000000000000000000";
};

/// Faults a scripted response can inject.
enum class fault {
  none,                  ///< no fault: the response is sent as scripted
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
  int status = 200; ///< 100..999; 1xx, 204 and 304 must have an empty body
  std::string body; ///< sent as-is
  std::vector<std::pair<std::string, std::string>> headers; ///< added to the response
  std::chrono::milliseconds delay{0};                       ///< wait before answering (>= 0)
  fault inject = fault::none;                               ///< break the exchange instead
  bool close_connection = false;                            ///< Connection: close, then close
};

/// What chaos mode drew: one count per request it decided (see chaos_options).
struct chaos_counters {
  std::uint64_t answered = 0;        ///< the normal answer, at once
  std::uint64_t delayed = 0;         ///< the normal answer after a short delay
  std::uint64_t long_delayed = 0;    ///< the normal answer after long_delay_time
  std::uint64_t resets = 0;          ///< the connection reset once the request was read
  std::uint64_t unavailable = 0;     ///< answered 503 service_unavailable
  std::uint64_t rate_limited = 0;    ///< answered 429 rate_limited
  std::uint64_t closed_after = 0;    ///< answered, then the connection closed at once
  std::uint64_t closed_mid_body = 0; ///< headers and half the body, then closed
};

/// Counters the tests use as their oracle. All are totals since start (or reset_counters()).
struct mock_counters {
  std::uint64_t connections_accepted = 0;   ///< TCP connections accepted
  std::uint64_t tls_handshakes = 0;         ///< completed handshakes
  std::uint64_t tls_resumed_handshakes = 0; ///< ... of which resumed a session
  std::uint64_t requests = 0;               ///< requests fully read
  std::uint64_t health_requests = 0;        ///< GET /v1/health/llm with a valid, in-scope key
  std::uint64_t responses_429 = 0;          ///< every 429, scripted ones included
  std::uint64_t scripted_served = 0;        ///< scripted responses taken from the queue
  std::uint64_t connections_open = 0;       ///< now
  std::uint64_t status_changes = 0;         ///< schedule steps applied and providers flipped
  chaos_counters chaos;                     ///< chaos mode's draws (all zero when it is off)
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
  /// script_provider_statuses: > 0 answers this request with the documented error of that
  /// status (400, 401, 403, 404, 429, 500 or 503) instead; a 429 carries Retry-After: 1. The
  /// step's changes are applied all the same.
  int fail_with = 0;
};

/// Starts serving on construction (a thread of its own runs its io_context) and stops on
/// destruction. Every member is thread-safe.
///
/// Unless a scripted response is queued (script()), a request is answered as the API documents
/// it: the Bearer key is checked first (401), then the key's rate window (429 with
/// Retry-After), then the route (404 for another path, 400 for another method), then the key's
/// scope (403). The providers start as gpt, claude, gemini, grok and perplexity, all "ok". Each
/// server makes its own CA.
class mock_server {
public:
  /// Listens on 127.0.0.1 and serves before returning, so base_url() can be used at once.
  /// Throws boost::system::system_error when the port cannot be bound, std::invalid_argument
  /// for chaos weights above 10,000 (with chaos enabled), std::runtime_error when OpenSSL
  /// cannot make the certificates.
  explicit mock_server(mock_server_options options = {});
  /// Closes the listener and every connection, then joins the server's thread; should a
  /// connection not close, the io_context is stopped after 5 seconds.
  ~mock_server();
  mock_server(const mock_server&) = delete;
  mock_server& operator=(const mock_server&) = delete;

  /// The port it listens on: options.port, or the ephemeral one chosen when that was 0.
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
  /// `after` this call) on the server's thread. Replaces the previous timed schedule. Returns
  /// at once (the schedule is installed on the server's thread); fail_with is ignored.
  void set_provider_schedule(std::vector<status_step> steps);

  /// Adds a key, or replaces the one with the same value (to revoke it, say).
  void add_key(mock_key key);

  /// Queues responses (FIFO); each fully read request takes the next one, before and instead of
  /// authentication, rate limiting and routing. Throws std::invalid_argument for a response HTTP
  /// cannot carry: a status outside 100..999, a body on 1xx/204/304, CR or LF in a header (or
  /// a negative delay).
  void script(scripted_response response);
  /// script() of a response with this status, body and headers, sent at once and without a
  /// fault. Throws std::invalid_argument like it.
  void script(int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {});

  /// Closes every keep-alive connection that is idle right now (waiting for its next request;
  /// not one that is reading, delaying or writing a response). Returns once they are closed.
  void close_idle_connections();

  /// With sliding_rate_window: when each request that passed the rate limit was admitted, in
  /// order (every key); empty otherwise.
  std::vector<std::chrono::steady_clock::time_point> admitted_times() const;
  /// The most requests admitted_times() holds within any interval of `window` (half-open,
  /// [t, t + window)): what "never more than 30 in any window" is checked against.
  std::size_t max_admitted_in_any_window(std::chrono::milliseconds window) const;

  /// A copy of the counters, all taken at one instant.
  mock_counters counters() const;
  /// Zeroes every total; connections_open, a state rather than a total, is kept.
  void reset_counters();
  /// Blocks until no connection is open (each one closed by either side), at most `bound`;
  /// returns whether that happened. Woken by each close: no polling.
  bool wait_for_no_open_connections(std::chrono::milliseconds bound) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace talkory::testing
