// Pure translation between the API's HTTP messages and talkory's types: no sockets, no clocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <talkory/health.hpp>
#include <talkory/result.hpp>

#include "base_url.hpp"

namespace talkory::detail {

namespace http = boost::beast::http;

using http_request = http::request<http::empty_body>;
using http_response = http::response<http::string_body>;

/// GET {prefix}{path} with Host, Authorization: Bearer, User-Agent, Accept: application/json.
http_request make_get_request(const endpoint& ep, std::string_view path, std::string_view api_key,
                              std::string_view user_agent);

/// True when the API key is acceptable: non-empty, printable ASCII without spaces or controls.
bool is_valid_api_key(std::string_view key) noexcept;

/// A 2xx response to GET /v1/health/llm → report (meta.http_status, request id and rate-limit
/// headers filled in; latency/attempts/reuse are the caller's). Non-2xx → decode_error_response.
result<health_report> decode_health_response(const http_response& response);

/// A non-2xx response → api_error (origin server): documented codes map to their errc, an
/// unknown code or a non-JSON body gives unknown_api_error with server_code / body_snippet.
/// Fills http_status, message, request_id (body, else X-Request-Id), retry_after.
api_error decode_error_response(const http_response& response);

/// Strict ISO 8601 date-time: YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM) → UTC milliseconds.
/// 'T'/'Z' may be lower case; the fraction has 1-9 digits and is truncated to milliseconds; the
/// offset is mandatory (up to ±23:59). A leap second (23:59:60 UTC only) becomes 23:59:59.999.
std::optional<std::chrono::sys_time<std::chrono::milliseconds>>
parse_iso8601(std::string_view text) noexcept;

/// Retry-After as delay-seconds or an HTTP-date (IMF-fixdate) relative to `now`. Junk, negative
/// or absurd values (more than a day) give nothing. A date in the past gives zero.
std::optional<std::chrono::seconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) noexcept;

/// A non-negative decimal header value (X-RateLimit-*); junk gives nothing.
std::optional<std::int64_t> parse_header_integer(std::string_view value) noexcept;

/// The first `max_bytes` of `body` (leading whitespace skipped) with control characters replaced
/// by spaces and broken UTF-8 by '?', plus "..." when cut, for error messages.
std::string bounded_snippet(std::string_view body, std::size_t max_bytes = 256);

} // namespace talkory::detail
