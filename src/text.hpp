// Text helpers for untrusted bytes: control characters, bounded snippets, key validation,
// trimming and decimal digits. No Beast, no JSON: plain strings in, plain strings out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace talkory::detail {

/// How much of an untrusted value (a request id, a server code, a header) a message quotes.
inline constexpr std::size_t max_quoted_value = 64;

constexpr bool is_ascii_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// C0 controls and DEL: what breaks a log line, a header or a terminal.
constexpr bool is_control_character(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool has_control_character(std::string_view text) noexcept;

/// `text` with every control character replaced by `replacement`.
std::string replace_control_characters(std::string_view text, char replacement);

/// Appends `text` with control characters as spaces, so that `out` stays on one line.
void append_one_line(std::string& out, std::string_view text);

/// True when the API key is acceptable: non-empty, printable ASCII without spaces or controls.
bool is_valid_api_key(std::string_view key) noexcept;

/// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
std::string_view trim_ows(std::string_view s) noexcept;

/// True when `body` has nothing but JSON whitespace (space, tab, CR, LF).
bool is_blank(std::string_view body) noexcept;

/// True when the first non-blank character of `body` is '<': an HTML page, not JSON.
bool looks_like_html(std::string_view body) noexcept;

/// 1*DIGIT as a number no greater than `max`; empty text, any other character or a larger
/// value give nothing (never an overflow).
std::optional<std::int64_t> parse_decimal(std::string_view digits, std::int64_t max) noexcept;

/// The first `max_bytes` of `body` (leading whitespace skipped) with control characters replaced
/// by spaces and broken UTF-8 by '?', plus "..." when cut, for error messages.
std::string bounded_snippet(std::string_view body, std::size_t max_bytes = 256);

/// `text` as a bounded snippet between double quotes, for naming a value in a message.
std::string quoted(std::string_view text);

} // namespace talkory::detail
