// The documented health body read in one SAX pass, straight into a health_report: no DOM, no
// key counting, no second look. It only ever accepts, never explains: anything beyond the
// documented shape makes it decline, and the DOM decoder (health_decoder.cpp) then reads the
// body and names what is wrong with it.
#pragma once

#include <cstddef>
#include <string_view>

#include <talkory/health.hpp>

namespace talkory::detail {

/// The overall status for the documented word; any other word is unknown.
health_status health_status_of(std::string_view word) noexcept;
/// A provider's status for the documented word; any other word is unknown.
provider_status provider_status_of(std::string_view word) noexcept;

/// Fills `report`'s status, raw_status, checked_at and providers from `body` when it is exactly
/// the documented shape: one JSON object holding "status" (a string), "checkedAt" (an ISO 8601
/// string) and "providers" (an object of at most max_read_providers objects, each holding only
/// "status", a string), each key once, nothing after it. Returns false for anything else (an
/// unknown or repeated key, another type, a long string, invalid JSON, ...), with `report` as it
/// was; true only where the DOM decoder would have produced the same report.
bool read_documented_health_body(std::string_view body, health_report& report);

/// More providers than this are left to the DOM decoder (the reader's check for a repeated name
/// compares each with those before it).
inline constexpr std::size_t max_read_providers = 32;

} // namespace talkory::detail
