// Properties every fuzz target asserts on the codec's output, beyond "no crash, no UB, no leak".
// A violated property aborts, so libFuzzer saves the input like any other crash.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <talkory/errors.hpp>
#include <talkory/health.hpp>

namespace talkory_fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "FUZZ PROPERTY VIOLATED: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

inline void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok)
    fail(what, detail);
}

// Well-formed UTF-8 (RFC 3629: no overlongs, surrogates, or code points above U+10FFFF).
inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto u = static_cast<unsigned char>(s[i]);
    std::size_t n = u < 0x80                ? 1
                    : u >= 0xc2 && u < 0xe0 ? 2
                    : u >= 0xe0 && u < 0xf0 ? 3
                    : u >= 0xf0 && u < 0xf5 ? 4
                                            : 0;
    if (n == 0 || i + n > s.size())
      return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
        return false;
    if (n >= 3) {
      const auto second = static_cast<unsigned char>(s[i + 1]);
      if ((u == 0xe0 && second < 0xa0) || (u == 0xed && second >= 0xa0) ||
          (u == 0xf0 && second < 0x90) || (u == 0xf4 && second >= 0x90))
        return false;
    }
    i += n;
  }
  return true;
}

// Whether `s` carries, raw, a character that steers a terminal or reorders text: a C0 control or
// DEL, a C1 control (U+0080..U+009F: C2 80..C2 9F), a bidirectional embedding, override, isolate
// or mark (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C) or a line/paragraph separator
// (U+2028, U+2029). Matched on the UTF-8 bytes, independently of the library's decoder.
inline bool has_raw_unsafe_character(std::string_view s) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = at(i);
    if (u < 0x20 || u == 0x7f)
      return true;
    if (i + 1 < s.size() && u == 0xc2 && at(i + 1) >= 0x80 && at(i + 1) <= 0x9f)
      return true;
    if (i + 1 < s.size() && u == 0xd8 && at(i + 1) == 0x9c) // U+061C
      return true;
    if (i + 2 < s.size() && u == 0xe2 && at(i + 1) == 0x80 &&
        (at(i + 2) == 0x8e || at(i + 2) == 0x8f || (at(i + 2) >= 0xa8 && at(i + 2) <= 0xae)))
      return true;
    if (i + 2 < s.size() && u == 0xe2 && at(i + 1) == 0x81 && at(i + 2) >= 0xa6 &&
        at(i + 2) <= 0xa9)
      return true;
  }
  return false;
}

// Safe for one log line and a terminal: valid UTF-8, nothing raw that has_raw_unsafe_character
// finds (CR/LF would forge log lines, CSI or RLO would rewrite or reorder what is shown).
inline bool is_log_safe(std::string_view s) {
  return !has_raw_unsafe_character(s) && is_valid_utf8(s);
}

// The number of characters of well-formed UTF-8 text: its bytes that are not continuations.
inline std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s)
    n += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
  return n;
}

inline bool is_known_errc(talkory::errc code) {
  const int v = static_cast<int>(code);
  return v >= static_cast<int>(talkory::errc::invalid_request) &&
         v <= static_cast<int>(talkory::errc::unknown_api_error);
}

// What any api_error decoded from a server response must look like.
inline void check_api_error(const talkory::api_error& e, int http_status) {
  check(is_known_errc(e.code), "api_error.code is not an errc enumerator");
  check(e.http_status == http_status, "api_error.http_status is not the response's status");
  // The decoders' catch-all: reached only when something inside them threw (allocation cannot
  // fail under ASan's default allocator_may_return_null=0), which is itself a bug.
  // (A server's own message may say anything, so only a client-origin message is telling.)
  check(e.origin == talkory::error_origin::server ||
            e.message.rfind("could not decode the response: ", 0) != 0,
        "an exception was thrown inside the decoder", e.message);
  check(!e.message.empty(), "api_error.message is empty");
  // Bounded, whatever the body size: server text is cut at 512 bytes, snippets at 256, quoted
  // values at 64, plus fixed advice.
  check(e.message.size() <= 2048, "api_error.message is not bounded", e.message);
  check(e.request_id.size() <= 64 + 3, "api_error.request_id is not bounded", e.request_id);
  check(e.server_code.size() <= 64 + 3, "api_error.server_code is not bounded", e.server_code);
  check(e.body_snippet.size() <= 256 + 3, "api_error.body_snippet is not bounded", e.body_snippet);
  check(is_log_safe(e.message), "api_error.message is not one line of UTF-8", e.message);
  check(is_log_safe(e.request_id), "api_error.request_id is not one line of UTF-8", e.request_id);
  check(is_log_safe(e.server_code), "api_error.server_code is not one line of UTF-8",
        e.server_code);
  check(is_log_safe(e.body_snippet), "api_error.body_snippet is not one line of UTF-8",
        e.body_snippet);
  if (e.retry_after)
    // A valid Retry-After however large is kept, saturated at 10^10 s (http_dates.hpp).
    check(e.retry_after->count() >= 0 && e.retry_after->count() <= 10'000'000'000,
          "api_error.retry_after out of [0, the ceiling]");
  const std::string line = e.describe();
  check(is_log_safe(line), "api_error::describe() is not one line of UTF-8", line);
}

} // namespace talkory_fuzz
