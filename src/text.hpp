// Text helpers for untrusted bytes: control characters, bounded snippets, key validation,
// trimming and decimal digits. No Beast, no JSON: plain strings in, plain strings out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace talkory::detail {

/// How much of an untrusted value (a request id, a server code, a header, a provider name) a
/// message or a summary line quotes.
inline constexpr std::size_t max_quoted_value = 64;

/// How many items (providers, changes) a one-line summary lists before "... N more".
inline constexpr std::size_t max_listed_items = 20;

constexpr bool is_ascii_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// C0 controls and DEL: what breaks a log line, a header or a terminal.
constexpr bool is_control_character(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool has_control_character(std::string_view text) noexcept;

/// Characters no output may carry raw: the C0 controls and DEL, the C1 controls
/// (U+0080..U+009F; U+009B is a one-character CSI that terminals obey like ESC [), the
/// bidirectional embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) and marks
/// (U+061C, U+200E, U+200F), which reorder what a reader sees, and the line and paragraph
/// separators (U+2028, U+2029), which break a line in some viewers.
constexpr bool is_unsafe_code_point(char32_t c) noexcept {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
         (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/// One character at the start of a text: its code point and length in bytes. A byte that does
/// not start well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF, no sequence cut short) is a character of its own with `valid` false.
struct utf8_character {
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = true;
};

/// The first character of `text`, which must not be empty.
utf8_character first_character(std::string_view text) noexcept;

/// What the bounded, terminal-safe helpers put in place of a cut text's tail.
inline constexpr std::string_view truncation_marker = "...";

/// Appends `text` safe to show: each unsafe character (C0, DEL, C1, bidi controls, see
/// is_unsafe_code_point) becomes `replacement`, each byte outside well-formed UTF-8 becomes '?'.
/// At most `max_characters` characters are appended: a longer text keeps its first
/// `max_characters - 3` followed by "..." (the marker counts; a bound below 4 only cuts).
/// Returns the number of characters appended, so at most `max_characters`; `out` grows by at
/// most 4 bytes per character.
std::size_t append_printable(std::string& out, std::string_view text, std::size_t max_characters,
                             char replacement = '?');

/// `text` as append_printable() appends it.
std::string printable_text(std::string_view text, std::size_t max_characters,
                           char replacement = '?');

/// Server text in a summary line or a message: printable_text() bounded to max_quoted_value.
std::string short_printable(std::string_view text);

/// The number of characters (code points; a byte outside UTF-8 counts as one) in `text`.
std::size_t character_count(std::string_view text) noexcept;

/// Appends `text` with every unsafe character and every byte outside UTF-8 written as \xNN
/// escapes of its bytes, for showing a user's own value exactly (what is wrong with it).
void append_escaped(std::string& out, std::string_view text);

/// Appends `text` as a JSON string literal, quotes included, as RFC 8259 allows and readers
/// expect: '"' and '\\' escaped, \b \f \n \r \t, and every other unsafe character as \uXXXX
/// (a raw U+009B or U+202E would reach the terminal of whoever reads the JSON). A byte outside
/// UTF-8 becomes \ufffd: JSON text must be UTF-8.
void append_json_string(std::string& out, std::string_view text);

/// `text` with every unsafe character replaced by `replacement` (and every byte outside UTF-8
/// by '?'), unbounded: for values already bounded by their source.
std::string replace_control_characters(std::string_view text, char replacement);

/// Appends `text` with unsafe characters as spaces, so that `out` stays on one line, and at
/// most `max_characters` characters of it (see append_printable).
void append_one_line(std::string& out, std::string_view text,
                     std::size_t max_characters = static_cast<std::size_t>(-1));

/// "... N more": what a bounded list prints in place of the items it leaves out.
std::string more_items(std::size_t left_out);

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

/// The first `max_bytes` of `body` (leading whitespace skipped) with unsafe characters replaced
/// by spaces and broken UTF-8 by '?', plus "..." when cut, for error messages.
std::string bounded_snippet(std::string_view body, std::size_t max_bytes = 256);

/// `text` as a bounded snippet between double quotes, for naming a value in a message.
std::string quoted(std::string_view text);

} // namespace talkory::detail
