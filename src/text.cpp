// Text helpers for untrusted bytes: the library's one copy of control-character handling and of
// the UTF-8-safe bounded snippet every error message quotes.
#include "text.hpp"

#include <algorithm>

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

// The length of the well-formed UTF-8 sequence starting at `s[0]` (a non-ASCII byte), or 0:
// no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF (RFC 3629).
std::size_t utf8_sequence_length(std::string_view s) noexcept {
  const auto lead = static_cast<unsigned char>(s[0]);
  const std::size_t length = lead >= 0xf5   ? 0
                             : lead >= 0xf0 ? 4
                             : lead >= 0xe0 ? 3
                             : lead >= 0xc2 ? 2
                                            : 0;
  if (length == 0 || length > s.size())
    return 0;
  for (std::size_t k = 1; k < length; ++k)
    if ((static_cast<unsigned char>(s[k]) & 0xc0) != 0x80)
      return 0;
  const auto second = static_cast<unsigned char>(s[1]);
  const bool well_formed = !(lead == 0xe0 && second < 0xa0) && !(lead == 0xed && second >= 0xa0) &&
                           !(lead == 0xf0 && second < 0x90) && !(lead == 0xf4 && second >= 0x90);
  return well_formed ? length : 0;
}

} // namespace

bool has_control_character(std::string_view text) noexcept {
  return std::ranges::any_of(text, is_control_character);
}

std::string replace_control_characters(std::string_view text, char replacement) {
  std::string out(text);
  std::ranges::replace_if(out, is_control_character, replacement);
  return out;
}

void append_one_line(std::string& out, std::string_view text) {
  out += replace_control_characters(text, ' ');
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
    const int digit = c - '0';
    // total * 10 + digit > max, without computing it.
    if (total > (max - digit) / 10)
      return std::nullopt;
    total = total * 10 + digit;
  }
  return total;
}

std::string bounded_snippet(std::string_view body, std::size_t max_bytes) {
  // Leading whitespace says nothing and would push the useful part (often "<html>") out.
  body = skip_json_space(body);
  const bool truncated = body.size() > max_bytes;
  body = body.substr(0, max_bytes);

  std::string out;
  out.reserve(body.size() + 3);
  std::size_t i = 0;
  while (i < body.size()) {
    if (static_cast<unsigned char>(body[i]) < 0x80) {
      out.push_back(is_control_character(body[i]) ? ' ' : body[i]);
      ++i;
      continue;
    }
    // Keep well-formed UTF-8 sequences; replace anything else (and a sequence cut by the
    // bound) with '?' so that the snippet is always valid UTF-8 in a log line.
    if (const auto length = utf8_sequence_length(body.substr(i)); length != 0) {
      out.append(body.substr(i, length));
      i += length;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  if (truncated)
    out += "...";
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
