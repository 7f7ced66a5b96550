/// @file
/// The typed answer of GET /v1/health/llm plus what the client learned while fetching it.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <talkory/errors.hpp>

namespace talkory {

/// Overall status: `ok` when every provider is healthy, otherwise `degraded`.
/// A value the spec does not name is kept as `unknown` (see health_report::raw_status).
enum class health_status {
  ok,       ///< the server said `"ok"`
  degraded, ///< the server said `"degraded"`
  unknown,  ///< any other string (kept in health_report::raw_status); also the default
};

/// A provider's status: `ok` or `error`; anything else is kept as `unknown`.
enum class provider_status {
  ok,      ///< the server said `"ok"`
  error,   ///< the server said `"error"`
  unknown, ///< any other string (kept in provider_health::raw_status); also the default
};

/// `"ok"`, `"degraded"` or `"unknown"` (also for a value that is no enumerator); static storage.
std::string_view to_string(health_status s) noexcept;
/// `"ok"`, `"error"` or `"unknown"` (also for a value that is no enumerator); static storage.
std::string_view to_string(provider_status s) noexcept;
/// Writes to_string(s).
std::ostream& operator<<(std::ostream& os, health_status s);
/// Writes to_string(s).
std::ostream& operator<<(std::ostream& os, provider_status s);

/// One entry of the report's `providers` object.
struct provider_health {
  std::string name; ///< as the server spells it: "gpt", "claude", ...
  provider_status status = provider_status::unknown; ///< raw_status parsed; unknown if undocumented
  std::string raw_status; ///< the server's string, useful when status is unknown
};

/// Facts about the HTTP exchange that produced a report.
struct response_metadata {
  std::string request_id; ///< the answer's X-Request-Id header (a 2xx body has no requestId)
  int http_status = 0;    ///< the response's 2xx status
  std::optional<std::int64_t> rate_limit_limit;     ///< X-RateLimit-Limit
  std::optional<std::int64_t> rate_limit_remaining; ///< X-RateLimit-Remaining
  std::chrono::microseconds latency{0};             ///< from the call's start to the decoded report
  int attempts = 0;                                 ///< HTTP attempts made, retries included
  bool connection_reused = false; ///< the final attempt ran on a pooled connection
  /// Answered from the client's cache (cache_ttl, or serve_stale_for when stale): the fields
  /// above describe the request that fetched it, `age` long before this answer.
  bool from_cache = false;
  std::chrono::milliseconds age{0}; ///< how old the report was when answered from the cache
  /// The refresh failed with a transient error and this is the last good report
  /// (client_options::serve_stale_for); refresh_error is that error.
  bool stale = false;
  std::optional<api_error> refresh_error; ///< set with `stale`: why the refresh failed
};

/// The decoded body of a successful GET /v1/health/llm, and how it was obtained (`meta`).
struct health_report {
  health_status status = health_status::unknown; ///< the body's `status`, parsed
  std::string raw_status; ///< the body's `status` exactly as sent (kept when status is unknown)
  /// The body's `checkedAt`: when the server ran its check. The server caches the check (for 5
  /// minutes), so this can be well before the request.
  std::chrono::sys_time<std::chrono::milliseconds> checked_at{};
  std::vector<provider_health> providers; ///< in the order the server sent them
  response_metadata meta;                 ///< the exchange behind this report

  /// The first provider called exactly `name`, or nullptr. The pointer is into `providers`.
  const provider_health* find(std::string_view name) const noexcept;
  /// True when the overall status and every provider are ok (a report with no providers and
  /// status ok included).
  bool all_ok() const noexcept;
};

/// ISO 8601 UTC with milliseconds, e.g. "2026-06-27T10:00:00.000Z" (correct before 1970 too).
std::string format_iso8601(std::chrono::sys_time<std::chrono::milliseconds> t);

/// One line: `ok at 2026-06-27T10:00:00.000Z: gpt ok, claude ok [request req_a1b2]`. An
/// unknown status shows the server's word, as `unknown("...")`. Bounded whatever the server
/// sent: at most 20 providers, then `... N more`; each name, status and the request id cut to
/// 64 characters and shown through printable() (no control, C1 or bidirectional character raw).
std::ostream& operator<<(std::ostream& os, const health_report& report);

} // namespace talkory
