/// @file
/// The error model: every failure of a talkory call is an api_error carrying an errc.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace talkory {

/// What went wrong. The first group is named exactly after the API's documented `code`
/// strings; the second group is raised by the client itself.
///
/// Values start at 1, so no errc is a zero (success) std::error_code. An errc converts
/// implicitly to std::error_code in talkory_category(); errc::timeout compares equal to
/// std::errc::timed_out and errc::cancelled to std::errc::operation_canceled, so portable code
/// can test those two without knowing talkory's codes.
enum class errc {
  // Server codes (talkory-api.md, "Errors").
  invalid_request = 1,  ///< 400
  missing_api_key,      ///< 401
  invalid_api_key,      ///< 401
  insufficient_balance, ///< 402
  spend_cap_reached,    ///< 402
  insufficient_scope,   ///< 403
  not_found,            ///< 404
  payload_too_large,    ///< 413
  rate_limited,         ///< 429 (or the client's own limiter)
  internal_error,       ///< 500
  service_unavailable,  ///< 503
  // Client-side codes.
  invalid_options,    ///< client_options failed validation; nothing was sent
  connection_failed,  ///< resolve or TCP connect failed
  tls_error,          ///< TLS handshake or certificate verification failed; nothing was sent
  timeout,            ///< a bound (connect, handshake, attempt, overall, pool wait) expired
  cancelled,          ///< the caller cancelled, or the client was destroyed or shut down
  connection_lost,    ///< the peer closed or reset the connection mid-exchange
  invalid_response,   ///< the server's response broke HTTP or the documented JSON shape
  response_too_large, ///< the response headers or body exceeded the configured caps
  unknown_api_error,  ///< an error response with an unrecognised code or a non-JSON body
  fleet_unavailable,  ///< fleet mode with on_unavailable = fail: Redis unreachable or too slow
};

/// The exact string of an errc (`"rate_limited"`, `"tls_error"`, ...): the enumerator's name,
/// which for the server group is also the API's `code` string. `"unknown_errc"` for a value that
/// is no enumerator. The view refers to static storage.
std::string_view to_string(errc code) noexcept;

/// The errc whose server code string is `code` (an exact, case-sensitive match), if it is one of
/// the documented ones: the server group only, so `"timeout"` gives nothing.
std::optional<errc> server_errc_from_string(std::string_view code) noexcept;

/// The category that lets errc travel as a std::error_code; its name is "talkory". One object
/// for the whole program. Its message() is the code's summary followed by what to do about it;
/// its default_error_condition() maps errc::timeout and errc::cancelled to their std::errc
/// equivalents (see errc).
const std::error_category& talkory_category() noexcept;

/// `code` as a std::error_code in talkory_category(). Found by argument-dependent lookup, which
/// is what makes `std::error_code ec = errc::timeout;` work.
std::error_code make_error_code(errc code) noexcept;

/// Who produced an error: the Talkory service (an HTTP error response) or this client.
enum class error_origin {
  /// This client: options, network, TLS, timeouts, cancellation, and a 2xx answer it could not
  /// decode.
  client,
  /// The server's answer itself: an HTTP status other than 2xx (an error response, also one
  /// without the documented body; or a 101 or too many 1xx answers). Retries go by its status.
  server,
};

/// A failed call: the error type of result. Never contains the API key.
struct api_error {
  errc code = errc::invalid_response;         ///< what went wrong
  error_origin origin = error_origin::client; ///< who reported it
  int http_status = 0;                        ///< 0 when no HTTP response was received
  std::string message;      ///< the server's message, or the client's explanation with advice
  std::string request_id;   ///< requestId of the (last) server error, when there was one
  std::string server_code;  ///< the raw `code` string the server sent (kept for unknown codes)
  std::string body_snippet; ///< the start of an undecodable error body, bounded
  std::optional<std::chrono::seconds> retry_after; ///< from a Retry-After header
  std::error_code cause; ///< the underlying transport/TLS/system error, if any
  int attempts = 0;      ///< how many HTTP attempts the call made

  /// `code` as a std::error_code (make_error_code()); `cause` is not part of it.
  std::error_code error_code() const noexcept { return make_error_code(code); }
  /// One line for logs: `rate_limited (HTTP 429): ... [request req_a1b2]`. Bounded (the message
  /// cut to 1024 characters, the cause to 256, the request id to 64) and terminal-safe: control,
  /// C1 and bidirectional characters become spaces, bytes outside UTF-8 '?'.
  std::string describe() const;
};

/// Writes to_string(code).
std::ostream& operator<<(std::ostream& os, errc code);
/// Writes `"client"` or `"server"`.
std::ostream& operator<<(std::ostream& os, error_origin origin);
/// Writes error.describe().
std::ostream& operator<<(std::ostream& os, const api_error& error);

} // namespace talkory

/// @cond
// Lets errc convert implicitly to std::error_code (see talkory::errc).
template <>
struct std::is_error_code_enum<talkory::errc> : std::true_type {};
/// @endcond
