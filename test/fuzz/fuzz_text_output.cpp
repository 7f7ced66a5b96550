// The key scrubber and the text outputs on arbitrary server text: a response whose request id and
// body may carry the key (alone or as "Bearer <key>"), control, C1 and bidirectional characters
// and broken UTF-8, scrubbed as the pipeline does, decoded, then printed every way the library
// and the CLI print server text. No output may hold the key or a raw unsafe character, and each
// stays within its documented bound.
//
// Input: byte 0 picks the status and the bound given to printable(); then the request id up to
// the first '\n'; then the body. Byte 0x01 stands for the key, 0x02 for "Bearer <key>".
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>

#include <talkory/printable.hpp>

#include "error_decoder.hpp"
#include "fuzz_checks.hpp"
#include "health_decoder.hpp"
#include "secret_scrubber.hpp"
#include "text.hpp"

namespace {

using talkory_fuzz::check;

// A key of the documented shape: tk_live_ and 32 letters and digits.
constexpr std::string_view key = "tk_live_FUZZKEY0123456789abcdefghijklmno";

std::string expand_key_tokens(std::string_view raw) {
  std::string out;
  for (const char c : raw) {
    if (c == '\x01')
      out += key;
    else if (c == '\x02')
      out += "Bearer " + std::string(key);
    else
      out.push_back(c);
  }
  return out;
}

// Every output: no key, and nothing raw that could steer a terminal.
void check_output(std::string_view out, const char* what, std::size_t max_bytes) {
  check(out.find(key) == std::string_view::npos, what, "holds the key");
  check(out.size() <= max_bytes, what, "is longer than its bound");
  check(talkory_fuzz::is_valid_utf8(out), what, "is not valid UTF-8");
  check(!talkory_fuzz::has_raw_unsafe_character(out), what, "holds a raw unsafe character");
}

// printable() and json_quoted() on one piece of server text (already scrubbed).
void check_text_helpers(std::string_view text, std::size_t bound) {
  const auto shown = talkory::printable(text, bound);
  check_output(shown, "printable()", 4 * bound);
  check(talkory_fuzz::utf8_length(shown) <= bound, "printable() exceeds its character bound");
  check(talkory::printable_width(shown) == talkory_fuzz::utf8_length(shown),
        "printable_width() miscounts");

  std::string line = "m: ";
  talkory::detail::append_one_line(line, text, bound);
  check_output(line, "append_one_line()", 3 + 4 * bound);

  std::string escaped;
  talkory::detail::append_escaped(escaped, text);
  check(!talkory_fuzz::has_raw_unsafe_character(escaped), "append_escaped() left a raw character");

  // JSON: valid, nothing raw, and the very same text once parsed back (when it was UTF-8 at all).
  const auto quoted = talkory::json_quoted(text);
  check_output(quoted, "json_quoted()", 2 + 6 * text.size());
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(quoted, ec);
  check(!ec && parsed.is_string(), "json_quoted() is not a JSON string", quoted);
  if (talkory_fuzz::is_valid_utf8(text))
    check(std::string_view(parsed.get_string()) == text, "json_quoted() changed the text", quoted);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  static constexpr unsigned statuses[] = {200, 400, 401, 404, 429, 500, 503, 302};
  const unsigned status = statuses[data[0] & 7];
  const std::size_t bound = data[0] >> 3; // 0..31 characters
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto newline = rest.find('\n');
  std::string request_id = expand_key_tokens(rest.substr(0, newline));
  const std::string body = newline == std::string_view::npos
                               ? std::string()
                               : expand_key_tokens(rest.substr(newline + 1));

  // Beast's parser never delivers CR, LF or NUL in a header value; everything else may come.
  std::erase_if(request_id, [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
  talkory::detail::http_response response{};
  response.result(status);
  response.version(11);
  response.set("X-Request-Id", request_id);
  response.set("Location", request_id);
  response.body() = body;

  // The one place server text enters: after it, the key is nowhere in the response.
  talkory::detail::scrub_secret(response, key);
  check(response.body().find(key) == std::string::npos, "the body still holds the key");
  for (const auto& field : response.base())
    check(std::string_view(field.value()).find(key) == std::string_view::npos,
          "a header still holds the key");

  check_text_helpers(response.body(), bound);
  check_text_helpers(response.base()["X-Request-Id"], bound);

  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'782'554'400}};
  if (const auto report = talkory::detail::decode_health_response(response, now)) {
    // 20 providers of at most 64 characters each, name and status, plus the request id.
    std::ostringstream os;
    os << *report;
    check_output(os.str(), "operator<<(health_report)", 12 * 1024);
    for (std::size_t i = 0; i < report->providers.size() && i < 64; ++i) {
      check_text_helpers(report->providers[i].name, bound);
      check_text_helpers(report->providers[i].raw_status, bound);
    }
  } else {
    check_output(report.error().describe(), "describe()", 8 * 1024);
  }
  const auto error = talkory::detail::decode_error_response(response, now);
  check_output(error.describe(), "describe()", 8 * 1024);
  std::ostringstream os;
  os << error;
  check_output(os.str(), "operator<<(api_error)", 8 * 1024);
  return 0;
}
