// Helpers shared by talkory-health and talkory-bench: flag parsing, number parsing, JSON and
// text rendering of reports, errors and client statistics.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <talkory/errors.hpp>
#include <talkory/health.hpp>
#include <talkory/stats.hpp>

namespace talkory::cli {

// Exit statuses shared by both programs (64 is EX_USAGE from sysexits.h).
inline constexpr int exit_ok = 0;
inline constexpr int exit_degraded = 1;
inline constexpr int exit_error = 2;
inline constexpr int exit_usage = 64;

/// A flag a program accepts: `--name` alone, or `--name VALUE` / `--name=VALUE`.
struct flag_spec {
  std::string_view name; // with its dashes: "--timeout", "-h"
  bool takes_value = false;
};

struct parsed_flag {
  std::string_view name;                 // as listed in the flag_spec
  std::optional<std::string_view> value; // set exactly when the spec takes a value
};

/// Parses argv[1..] against `specs`. The error is a one-line explanation of the usage mistake:
/// an unknown flag, a missing value (a following argument that starts with "--" is taken as
/// a forgotten value, not as the value), a value given to a switch, or a positional argument.
std::expected<std::vector<parsed_flag>, std::string> parse_flags(std::span<char* const> args,
                                                                 std::span<const flag_spec> specs);

/// Decimal seconds > 0 ("2", "0.5", "1e1") → milliseconds, rounded up so that any positive
/// input gives at least 1 ms. Rejects junk, trailing characters, non-finite and absurd values.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text) noexcept;

/// A decimal integer in [1, max]; rejects signs, junk and trailing characters.
std::optional<std::size_t> parse_count(std::string_view text, std::size_t max) noexcept;

/// parse_count of flag `name`'s `value` into `field`; on failure, the usage message saying so
/// ("--requests needs a whole number from 1 to MAX, not 'VALUE'") and `field` unchanged.
std::optional<std::string> read_count(std::string_view name, std::string_view value,
                                      std::size_t max, std::size_t& field);

/// The report as the API's JSON shape (`status`, `checkedAt`, `providers` in server order, each
/// {"status": ...} with the server's own strings) followed by the response metadata:
/// `requestId`, `httpStatus`, `rateLimitLimit`, `rateLimitRemaining` (null when the server sent
/// none), `latencyMs`, `attempts`, `connectionReused`.
boost::json::object report_to_json(const health_report& report);

/// The error in the API's error shape: {"error": {"code", "message", "status", "requestId"}}
/// plus `attempts` and, when the server sent one, `retryAfterSeconds`.
boost::json::object error_to_json(const api_error& error);

/// The client's counters as a flat JSON object with the field names of client_stats.
boost::json::object stats_to_json(const client_stats& stats);

/// One line of JSON. Like boost::json::serialize, except that doubles are written in their
/// shortest plain form ("12.5" rather than Boost 1.81's "1.25E1") and that strings and keys are
/// talkory::json_quoted() (C1 controls and bidirectional overrides as \uXXXX escapes, not raw):
/// people read this output too, in terminals. Non-finite doubles, which JSON cannot carry,
/// become null.
std::string to_json_text(const boost::json::value& value);

/// Bounds of the text table, whatever the server sends: provider names are cut to
/// max_table_name_width characters (the column is no wider), an unknown status's own word to
/// max_table_status_width, and after max_table_rows providers one line says how many more there
/// are. With the request id cut to 64 characters, the table is under 16 KB (4 bytes a
/// character at worst), however large the response.
inline constexpr std::size_t max_table_rows = 50;
inline constexpr std::size_t max_table_name_width = 32;
inline constexpr std::size_t max_table_status_width = 32;

/// The human-readable report: overall status, checked-at, request id, rate limit, and a table
/// of providers in server order, bounded as above; server text is talkory::printable().
void print_report_table(std::ostream& os, const health_report& report);

/// Multi-line dump of the counters, each line starting with `prefix`.
void print_stats(std::ostream& os, const client_stats& stats, std::string_view prefix);

/// "12.345 ms" with microsecond precision.
std::string format_ms(std::chrono::microseconds duration);

} // namespace talkory::cli
