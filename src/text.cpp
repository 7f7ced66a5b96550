// Text helpers for untrusted bytes: the library's one copy of control-character handling, of
// UTF-8 decoding for display, and of the bounded snippet every error message quotes.
#include "text.hpp"

#include <talkory/printable.hpp>

#include <algorithm>
#include <string>

namespace talkory::detail {

namespace {

bool is_json_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view skip_json_space(std::string_view s) noexcept {
  while (!s.empty() && is_json_space(s.front()))
    s.remove_prefix(1);
  return s;
}

} // namespace

bool has_control_character(std::string_view text) noexcept {
  return std::ranges::any_of(text, is_control_character);
}

utf8_character first_character(std::string_view s) noexcept {
  const auto lead = static_cast<unsigned char>(s[0]);
  if (lead < 0x80)
    return {lead, 1, true};
  constexpr utf8_character invalid{0, 1, false};
  const std::size_t length = lead >= 0xf5   ? 0
                             : lead >= 0xf0 ? 4
                             : lead >= 0xe0 ? 3
                             : lead >= 0xc2 ? 2
                                            : 0;
  if (length == 0 || length > s.size())
    return invalid;
  char32_t code_point = lead & (0x7f >> length);
  for (std::size_t k = 1; k < length; ++k) {
    const auto continuation = static_cast<unsigned char>(s[k]);
    if ((continuation & 0xc0) != 0x80)
      return invalid;
    code_point = (code_point << 6) | (continuation & 0x3f);
  }
  // The lead byte alone excludes most overlong forms (C0, C1); these are the rest, with the
  // UTF-16 surrogates and what lies above U+10FFFF.
  const bool overlong =
      (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
  if (overlong || (code_point >= 0xd800 && code_point <= 0xdfff) || code_point > 0x10ffff)
    return invalid;
  return {code_point, length, true};
}

namespace {

// Calls `emit(character, bytes)` for each character of `text`, in order.
template <class Emit>
void for_each_character(std::string_view text, Emit&& emit) {
  while (!text.empty()) {
    const auto character = first_character(text);
    emit(character, text.substr(0, character.length));
    text.remove_prefix(character.length);
  }
}

// The byte length of the first `count` characters of `text`, and whether `text` has more.
struct prefix {
  std::size_t bytes = 0;
  bool cut = false;
};

prefix first_characters(std::string_view text, std::size_t count) noexcept {
  std::size_t bytes = 0;
  for (std::size_t n = 0; n < count && bytes < text.size(); ++n)
    bytes += first_character(text.substr(bytes)).length;
  return {bytes, bytes < text.size()};
}

void append_hex_byte(std::string& out, unsigned char byte) {
  constexpr std::string_view hex = "0123456789abcdef";
  out.push_back(hex[byte >> 4]);
  out.push_back(hex[byte & 0xf]);
}

} // namespace

std::size_t append_printable(std::string& out, std::string_view text, std::size_t max_characters,
                             char replacement) {
  auto kept = first_characters(text, max_characters);
  const bool marked = kept.cut && max_characters > truncation_marker.size();
  if (marked)
    kept = first_characters(text, max_characters - truncation_marker.size());
  std::size_t count = 0;
  for_each_character(text.substr(0, kept.bytes), [&](utf8_character c, std::string_view bytes) {
    if (!c.valid)
      out.push_back('?');
    else if (is_unsafe_code_point(c.code_point))
      out.push_back(replacement);
    else
      out.append(bytes);
    ++count;
  });
  if (marked) {
    out.append(truncation_marker);
    count += truncation_marker.size();
  }
  return count;
}

std::string printable_text(std::string_view text, std::size_t max_characters, char replacement) {
  std::string out;
  append_printable(out, text, max_characters, replacement);
  return out;
}

std::string short_printable(std::string_view text) {
  return printable_text(text, max_quoted_value);
}

std::size_t character_count(std::string_view text) noexcept {
  std::size_t count = 0;
  for_each_character(text, [&](utf8_character, std::string_view) { ++count; });
  return count;
}

void append_escaped(std::string& out, std::string_view text) {
  for_each_character(text, [&](utf8_character c, std::string_view bytes) {
    if (c.valid && !is_unsafe_code_point(c.code_point)) {
      out.append(bytes);
      return;
    }
    for (const char byte : bytes) {
      out += "\\x";
      append_hex_byte(out, static_cast<unsigned char>(byte));
    }
  });
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for_each_character(text, [&](utf8_character c, std::string_view bytes) {
    if (!c.valid) {
      out += "\\ufffd";
      return;
    }
    switch (c.code_point) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
    }
    if (!is_unsafe_code_point(c.code_point)) {
      out.append(bytes);
      return;
    }
    // Every unsafe code point is in the Basic Multilingual Plane: four hex digits suffice.
    out += "\\u";
    append_hex_byte(out, static_cast<unsigned char>(c.code_point >> 8));
    append_hex_byte(out, static_cast<unsigned char>(c.code_point & 0xff));
  });
  out.push_back('"');
}

std::string replace_control_characters(std::string_view text, char replacement) {
  return printable_text(text, text.size(), replacement);
}

void append_one_line(std::string& out, std::string_view text, std::size_t max_characters) {
  append_printable(out, text, max_characters, ' ');
}

std::string more_items(std::size_t left_out) {
  std::string out(truncation_marker);
  out += ' ';
  out += std::to_string(left_out);
  out += " more";
  return out;
}

bool is_valid_api_key(std::string_view key) noexcept {
  // Controls, space, DEL and every non-ASCII byte are refused: the key goes into a header.
  return !key.empty() && std::ranges::all_of(key, [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool is_blank(std::string_view body) noexcept {
  return skip_json_space(body).empty();
}

bool looks_like_html(std::string_view body) noexcept {
  body = skip_json_space(body);
  return !body.empty() && body.front() == '<';
}

std::optional<std::int64_t> parse_decimal(std::string_view digits, std::int64_t max) noexcept {
  if (digits.empty())
    return std::nullopt;
  std::int64_t total = 0;
  for (const char c : digits) {
    if (!is_ascii_digit(c))
      return std::nullopt;
    // total * 10 + digit, refused once it passes max or int64 (no division per digit).
    if (__builtin_mul_overflow(total, 10, &total) || __builtin_add_overflow(total, c - '0', &total))
      return std::nullopt;
  }
  if (total > max)
    return std::nullopt;
  return total;
}

std::string bounded_snippet(std::string_view body, std::size_t max_bytes) {
  // Leading whitespace says nothing and would push the useful part (often "<html>") out.
  body = skip_json_space(body);
  const bool truncated = body.size() > max_bytes;
  body = body.substr(0, max_bytes);

  // Every character is kept (the byte bound already applies) or replaced, so that the snippet
  // is always valid UTF-8 in a log line; a sequence cut by the bound becomes '?'.
  std::string out;
  out.reserve(body.size() + truncation_marker.size());
  append_printable(out, body, body.size(), ' ');
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  if (truncated)
    out += truncation_marker;
  return out;
}

std::string quoted(std::string_view text) {
  // Appended, not `"\"" + snippet`: GCC 12's -O2 reports a false -Wrestrict on that form.
  std::string out = "\"";
  out += bounded_snippet(text, max_quoted_value);
  out += '"';
  return out;
}

} // namespace talkory::detail

namespace talkory {

std::string printable(std::string_view text, std::size_t max_characters) {
  return detail::printable_text(text, max_characters);
}

std::size_t printable_width(std::string_view text) noexcept {
  return detail::character_count(text);
}

std::string json_quoted(std::string_view text) {
  std::string out;
  detail::append_json_string(out, text);
  return out;
}

} // namespace talkory
