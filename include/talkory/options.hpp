// Configuration of a talkory::client and of a single call: plain structs, every default documented.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include <talkory/observability.hpp>
#include <talkory/result.hpp>
#include <talkory/version.hpp>

namespace talkory {

using std::chrono::milliseconds;

/// How the server's certificate is checked. Verification cannot be switched off for https;
/// for local testing give the test CA (ca_file / ca_pem) or use http:// with allow_insecure_http.
struct tls_options {
  std::string ca_file; ///< PEM file of trusted CAs; empty = the system's default store
  std::string ca_pem;  ///< PEM text of trusted CAs (used in addition to ca_file when both are set)
  // Either one, when set, replaces the system's store: only the CAs given here are trusted.
};

/// Bounds on every wait. Each is a maximum; zero is rejected by validation.
struct timeout_options {
  milliseconds connect{10'000};   ///< DNS resolution plus TCP connect of one new connection
  milliseconds handshake{10'000}; ///< TLS handshake of one new connection
  milliseconds attempt{30'000};   ///< one HTTP attempt: write the request, read the whole response
  milliseconds total{60'000};   ///< the whole call: limiter and pool waits, every attempt, backoffs
  milliseconds shutdown{2'000}; ///< TLS close_notify exchange when a connection is closed politely
};

/// The keep-alive connection pool.
struct pool_options {
  std::size_t max_connections = 4;   ///< open plus opening connections, at most
  milliseconds idle_timeout{50'000}; ///< an idle connection older than this is closed (nginx: 75 s)
  milliseconds max_connection_age{600'000}; ///< a connection is not reused past this age
  milliseconds acquire_timeout{30'000};     ///< waiting for a free connection when all are busy
  bool reuse = true;                        ///< false: a fresh connection for every request
};

/// How the client-side limiter behaves when no token is available.
enum class rate_limit_mode {
  wait,      ///< queue FIFO until a token is free (bounded by the call's deadline)
  fail_fast, ///< fail at once with errc::rate_limited
};

/// The client-side token bucket that keeps a key under the API's limit (30 per minute).
struct rate_limit_options {
  bool enabled = true; ///< false: no client-side limit (the server's 429s still pause retries)
  std::size_t requests_per_window = 30;         ///< tokens added per window
  milliseconds window{60'000};                  ///< the refill period of requests_per_window tokens
  std::size_t burst = 30;                       ///< bucket capacity: requests allowed at once
  rate_limit_mode mode = rate_limit_mode::wait; ///< what a call does when no token is free
};

/// Retries of failed attempts (429, 500, 502, 503, 504 and network faults only).
struct retry_options {
  int max_retries = 2;               ///< retries after the first attempt
  milliseconds initial_backoff{500}; ///< first delay; doubles for each retry
  milliseconds max_backoff{8'000};   ///< cap of the exponential delay
  std::chrono::seconds max_retry_after{
      60}; ///< a longer Retry-After fails at once instead of waiting
};

/// What a client in fleet mode does while Redis cannot be reached or answers too slowly.
enum class fleet_unavailable_policy {
  /// The client's own limiter at rate_limit divided by fleet.expected_processes (so a fleet of
  /// that many processes stays under the key's limit without Redis), with a logged warning and
  /// client_stats::fleet_fallbacks counting each such acquisition; Redis is retried with backoff.
  fallback_local,
  /// The call fails at once with errc::fleet_unavailable (fail closed).
  fail,
};

/// Fleet mode: the rate limit of one key shared by every process (on every machine) that uses it,
/// through a Redis server, and with cache_ttl set the last good answer too (one process fetches
/// it for all, the others wait for it within their deadline). Off while redis_url is empty (the
/// default). Redis sees only keys
/// derived from a SHA-256 of the API key and the base URL's origin, never the key itself.
/// Plain TCP only: Debian 12's hiredis 0.14 has no TLS, so keep Redis on a trusted network.
struct fleet_options {
  /// "redis://host:port[/db]" (host: a name, an IPv4 address or [IPv6]; port default 6379;
  /// db default 0). No user info: the password comes from password_env. Empty: fleet mode off.
  std::string redis_url;
  /// The name of an environment variable holding the Redis password (AUTH), read at client
  /// construction; empty: no AUTH. The password is a secret, never logged or printed.
  std::string password_env;
  /// Prepended to every Redis key talkory writes (keys look like PREFIX{<64 hex digits>}:limit).
  std::string key_prefix = "talkory:";
  milliseconds connect_timeout{1'000}; ///< TCP connect to Redis (and name resolution)
  milliseconds command_timeout{250};   ///< one Redis command; slower counts as unavailable
  milliseconds reconnect_backoff{100}; ///< first wait before reconnecting; doubles, with jitter
  milliseconds max_reconnect_backoff{5'000}; ///< cap of the reconnect wait
  /// Added to the window a token stays away, fleet-wide: requests granted one window apart can
  /// reach the server closer together than that (a first request's TLS handshake, scheduling).
  milliseconds window_margin{100};
  /// How many processes share the key: the local fallback allows rate_limit / this (>= 1).
  std::size_t expected_processes = 1;
  /// What a call does while Redis is unavailable: the local fallback, or fail closed.
  fleet_unavailable_policy on_unavailable = fleet_unavailable_policy::fallback_local;
};

/// Everything a client is configured with: plain data, every default documented, validated once
/// at construction (validate() says what is wrong without building a client).
struct client_options {
  std::string api_key; ///< tk_live_...; a secret, never printed
  /// Longest api_key accepted (documented keys are "tk_live_" plus 32 characters).
  static constexpr std::size_t max_api_key_length = 256;
  /// Largest rate_limit.burst accepted: the limiter keeps one timestamp per token, so its memory
  /// (8 bytes a token, at most 8 MB) is bounded by this whatever a server says it has left.
  static constexpr std::size_t max_rate_limit_burst = 1000000;
  std::string base_url = "https://api.talkory.ai"; ///< scheme://host[:port][/prefix]
  tls_options tls;               ///< which CAs are trusted (verification is always on)
  timeout_options timeouts;      ///< the bound of every wait
  pool_options pool;             ///< the keep-alive connection pool
  rate_limit_options rate_limit; ///< the client-side token bucket
  retry_options retry;           ///< which failures are retried, and how
  /// The User-Agent header: "talkory-cpp/0.2.0" (it follows the version). No control characters.
  std::string user_agent = "talkory-cpp/" TALKORY_VERSION_STRING;
  bool allow_insecure_http = false; ///< http:// base URLs are refused unless true
  /// Single-flight: a call made while another call of the same endpoint is in flight, both
  /// without call_options overrides (max_age aside), shares that call's request and result
  /// instead of sending its own; each caller keeps its own cancellation. On by default: the
  /// server caches its check for 5 minutes, so a second request at the same moment would only
  /// spend the key's rate limit. Turn it off to make every call its own request.
  bool coalesce_concurrent_calls = true;
  /// Answer a call from the last good report, without a request, while that report is younger
  /// than this (0 = off, the default). At most max_cache_ttl. Such a report has meta.from_cache
  /// set and meta.age telling how old it is; call_options::max_age asks for a fresher one.
  milliseconds cache_ttl{0};
  /// The longest cache_ttl accepted: the 5 minutes the server itself caches its check.
  static constexpr milliseconds max_cache_ttl{300'000};
  /// When a call's request fails with a transient error (HTTP 429 or 5xx, a network fault, a
  /// timeout, the client's own rate limit), answer with the last good report instead if it is
  /// younger than this (0 = off, the default). Such a report has meta.stale set and carries the
  /// error in meta.refresh_error. Never for any other error: a revoked key (401/403) surfaces.
  milliseconds serve_stale_for{0};
  std::size_t max_response_body =
      1024 * 1024; ///< bytes; larger responses fail with response_too_large
  std::size_t max_response_header = 16 * 1024; ///< bytes of the status line and headers
  /// Fleet mode: the rate limit shared with other processes through Redis (off by default).
  /// Needs rate_limit.enabled; the limit, window and burst are the fleet's total.
  fleet_options fleet;
  /// Logging: nothing by default (level off, no sink). See log_options for each message's level.
  log_options log;
  /// Per-call events for metrics and tracing; null (the default) reports none and costs nothing.
  /// See call_observer for the threads it is called on and the rules it must follow.
  std::shared_ptr<call_observer> observer;

  /// Options from TALKORY_API_KEY and (if set) TALKORY_BASE_URL; other fields keep defaults.
  static client_options from_env();

  /// Why these options cannot be used (errc::invalid_options), or nothing when they can.
  std::optional<api_error> validate() const;
};

/// Per-call overrides; an empty field keeps the client's value.
/// Each set duration but max_age must be positive (otherwise the call fails with
/// errc::invalid_options).
struct call_options {
  std::optional<milliseconds> timeout;           ///< overrides timeouts.total
  std::optional<milliseconds> attempt_timeout;   ///< overrides timeouts.attempt
  std::optional<milliseconds> connect_timeout;   ///< overrides timeouts.connect
  std::optional<milliseconds> handshake_timeout; ///< overrides timeouts.handshake
  std::optional<int> max_retries;                ///< overrides retry.max_retries (>= 0)
  /// The oldest cached report this call accepts (>= 0; 0 = never from the cache, always a
  /// request). It can only shorten client_options::cache_ttl, never extend it. Unlike the
  /// fields above it does not stop the call from sharing a request already in flight, which
  /// is fresher than any cached report.
  std::optional<milliseconds> max_age;
};

/// Prints the options with the key redacted.
std::ostream& operator<<(std::ostream& os, const client_options& options);

} // namespace talkory
