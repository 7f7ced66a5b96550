// The header and date parsers: parse_iso8601 (checkedAt), parse_retry_after (Retry-After, both
// forms) and parse_header_integer (X-RateLimit-*), on arbitrary text.
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_checks.hpp"
#include "http_dates.hpp"
#include "http_message.hpp"

namespace {

using namespace std::chrono;
using talkory_fuzz::check;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

void fuzz_iso8601(std::string_view text) {
  const auto t = talkory::detail::parse_iso8601(text);
  if (!t)
    return;
  // Four-digit years and offsets under a day: the instant lies within [-0001-12-31, 10000-01-02).
  const auto lowest = sys_days{year{-1} / December / 31};
  const auto highest = sys_days{year{10000} / January / 2};
  check(*t >= lowest && *t < highest, "parse_iso8601 out of range", text);
  // Round trip through the library's own formatter where it prints four-digit years.
  const auto ymd = year_month_day{floor<days>(*t)};
  if (ymd.year() >= year{0} && ymd.year() <= year{9999}) {
    const std::string printed = talkory::format_iso8601(*t);
    const auto again = talkory::detail::parse_iso8601(printed);
    check(again && *again == *t, "format_iso8601 does not round-trip through parse_iso8601",
          printed);
  }
}

void fuzz_retry_after(std::string_view text, system_clock::time_point now) {
  const auto delay = talkory::detail::parse_retry_after(text, now);
  if (!delay)
    return;
  // A valid value however large is kept, saturated (http_dates.hpp), so that it counts as
  // longer than any max_retry_after.
  constexpr std::int64_t ceiling = 10'000'000'000;
  check(delay->count() >= 0 && delay->count() <= ceiling,
        "parse_retry_after out of [0, the ceiling]", text);
  const auto v = trim(text);
  if (!v.empty() && v.front() >= '0' && v.front() <= '9') {
    std::int64_t expected = -1;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), expected);
    const bool beyond =
        ec == std::errc::result_out_of_range || (ec == std::errc{} && expected > ceiling);
    check(end == v.data() + v.size() && (beyond ? delay->count() == ceiling
                                                : ec == std::errc{} && expected == delay->count()),
          "parse_retry_after delay-seconds disagrees with from_chars", text);
  }
}

void fuzz_header_integer(std::string_view text) {
  const auto value = talkory::detail::parse_header_integer(text);
  const auto v = trim(text);
  std::int64_t expected = -1;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), expected);
  const bool all_digits = !v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos;
  const bool representable = all_digits && ec == std::errc{} && end == v.data() + v.size();
  check(value.has_value() == representable, "parse_header_integer accepts/refuses wrongly", text);
  if (value)
    check(*value == expected, "parse_header_integer disagrees with from_chars", text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  // "now" as the client would see it: the real clock, or a fixed instant from 1970 to 2200
  // (a plausible clock, not an adversarial one: the server controls the header, not the clock).
  const auto now = in.ConsumeBool()
                       ? system_clock::now()
                       : system_clock::time_point{
                             seconds{in.ConsumeIntegralInRange<std::int64_t>(0, 7'258'118'400)}};
  const std::string text = in.ConsumeRemainingBytesAsString();
  fuzz_iso8601(text);
  fuzz_retry_after(text, now);
  fuzz_header_integer(text);
  return 0;
}
