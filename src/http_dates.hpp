// The dates a response carries: ISO 8601 (the body's checkedAt), IMF-fixdate and Retry-After.
// Pure: "now" is always a parameter.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace talkory::detail {

/// Strict ISO 8601 date-time: YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM) → UTC milliseconds.
/// 'T'/'Z' may be lower case; the fraction has 1-9 digits and is truncated to milliseconds; the
/// offset is mandatory (up to ±23:59). A leap second (23:59:60 UTC only) becomes 23:59:59.999.
std::optional<std::chrono::sys_time<std::chrono::milliseconds>>
parse_iso8601(std::string_view text) noexcept;

/// IMF-fixdate (RFC 9110 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". The obsolete RFC 850 and
/// asctime forms are refused; a leap second becomes the second before it.
std::optional<std::chrono::sys_seconds> parse_imf_fixdate(std::string_view text) noexcept;

/// Retry-After as delay-seconds or an HTTP-date (IMF-fixdate) relative to `now`. Junk, negative
/// values give nothing. A valid value however large is kept (saturated at about 317 years), so
/// that it counts as longer than any max_retry_after. A date in the past gives zero.
std::optional<std::chrono::seconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) noexcept;

} // namespace talkory::detail
