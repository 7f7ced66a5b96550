// Date parsing for the codec: fixed-width fields read digit by digit, calendar checks by
// std::chrono, arithmetic in whole seconds or milliseconds so that no year can overflow it.
#include "http_dates.hpp"

#include <algorithm>

#include <array>
#include <cstdint>

#include "text.hpp"

namespace talkory::detail {

using namespace std::chrono;

namespace {

// A valid Retry-After however large (a number of any length, a date however far ahead) is kept,
// saturated here, so that the retry policy sees "longer than max_retry_after" and fails at once;
// treating it as absent would retry on the client's own short backoff against the server's word.
// About 317 years: far above any sane cap, and still exact in milliseconds and nanoseconds.
constexpr seconds retry_after_ceiling{10'000'000'000};

// Reads exactly `n` digits at `pos`.
bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size())
    return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_ascii_digit(s[i]))
      return false;
    value = value * 10 + (s[i] - '0');
  }
  out = value;
  return true;
}

std::optional<sys_days> make_date(int y, int m, int d) noexcept {
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok())
    return std::nullopt;
  return sys_days{ymd};
}

// The month number (1-12) of a three-letter English month name, or 0.
int month_number(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 12> month_names{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < month_names.size(); ++i)
    if (name == month_names[i])
      return static_cast<int>(i) + 1;
  return 0;
}

bool is_day_name(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 7> day_names{"Mon", "Tue", "Wed", "Thu",
                                                             "Fri", "Sat", "Sun"};
  for (const auto known : day_names)
    if (name == known)
      return true;
  return false;
}

// The offset of a "Z" or "±HH[:]MM" suffix starting at `pos`, which must end the text.
std::optional<minutes> read_utc_offset(std::string_view s, std::size_t pos) noexcept {
  // The offset is mandatory: a local time without one names no instant.
  if (pos >= s.size())
    return std::nullopt;
  const char sign = s[pos];
  if (sign == 'Z' || sign == 'z')
    return pos + 1 == s.size() ? std::optional<minutes>(0) : std::nullopt;
  if (sign != '+' && sign != '-')
    return std::nullopt;
  int oh = 0, om = 0;
  if (!read_digits(s, pos + 1, 2, oh))
    return std::nullopt;
  pos += 3;
  if (pos < s.size() && s[pos] == ':')
    ++pos;
  if (!read_digits(s, pos, 2, om) || pos + 2 != s.size() || oh > 23 || om > 59)
    return std::nullopt;
  return minutes{(oh * 60 + om) * (sign == '-' ? -1 : 1)};
}

} // namespace

std::optional<sys_time<milliseconds>> parse_iso8601(std::string_view s) noexcept {
  // YYYY-MM-DDTHH:MM:SS is fixed-width: 19 characters.
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!read_digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !read_digits(s, 5, 2, mo) ||
      s[7] != '-' || !read_digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') ||
      !read_digits(s, 11, 2, h) || s[13] != ':' || !read_digits(s, 14, 2, mi) || s[16] != ':' ||
      !read_digits(s, 17, 2, sec))
    return std::nullopt;

  std::size_t pos = 19;
  int millis = 0;
  if (s[pos] == '.') {
    const std::size_t first = ++pos;
    while (pos < s.size() && is_ascii_digit(s[pos]))
      ++pos;
    const std::size_t count = pos - first;
    if (count == 0 || count > 9)
      return std::nullopt;
    // Truncated, not rounded, to milliseconds: rounding could carry into the next second.
    for (std::size_t i = 0; i < 3; ++i)
      millis = millis * 10 + (i < count ? s[first + i] - '0' : 0);
  }

  const auto offset = read_utc_offset(s, pos);
  const auto date = make_date(y, mo, d);
  if (!offset || !date || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  auto utc = sys_time<milliseconds>{*date} + hours{h} + minutes{mi} +
             seconds{sec == 60 ? 59 : sec} + milliseconds{millis} - *offset;
  if (sec == 60) {
    // A leap second exists only as 23:59:60 UTC. sys_time cannot represent it, so it is
    // clamped to the last representable millisecond before the next minute: the instant stays
    // ordered before the following second.
    const auto tod = hh_mm_ss{utc - floor<days>(utc)};
    if (tod.hours() != hours{23} || tod.minutes() != minutes{59})
      return std::nullopt;
    utc = floor<seconds>(utc) + milliseconds{999};
  }
  return utc;
}

std::optional<sys_seconds> parse_imf_fixdate(std::string_view s) noexcept {
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  // The day name is checked for form only: a wrong weekday does not make the date unusable.
  const int m = month_number(s.substr(8, 3));
  int d = 0, y = 0, hh = 0, mm = 0, ss = 0;
  if (!is_day_name(s.substr(0, 3)) || m == 0 || !read_digits(s, 5, 2, d) ||
      !read_digits(s, 12, 4, y) || !read_digits(s, 17, 2, hh) || !read_digits(s, 20, 2, mm) ||
      !read_digits(s, 23, 2, ss))
    return std::nullopt;
  const auto date = make_date(y, m, d);
  if (!date || hh > 23 || mm > 59 || ss > 60)
    return std::nullopt;
  // A leap second cannot be represented; a second early is close enough for a retry delay.
  return *date + hours{hh} + minutes{mm} + seconds{ss == 60 ? 59 : ss};
}

std::optional<seconds> parse_retry_after(std::string_view value,
                                         system_clock::time_point now) noexcept {
  value = trim_ows(value);
  if (value.empty())
    return std::nullopt;
  if (is_ascii_digit(value.front())) {
    // delay-seconds = 1*DIGIT; anything else starting with a digit is junk.
    if (!std::all_of(value.begin(), value.end(), is_ascii_digit))
      return std::nullopt;
    const auto total = parse_decimal(value, retry_after_ceiling.count());
    return total ? seconds(*total) : retry_after_ceiling; // all digits, only too long: saturate
  }
  const auto date = parse_imf_fixdate(value);
  if (!date)
    return std::nullopt;
  // In whole seconds: system_clock's nanoseconds overflow for dates outside 1678..2262, which
  // an IMF-fixdate (years 0000..9999) can name. The date is whole seconds, so
  // ceil(date - now) == date - floor(now).
  const auto delay = *date - floor<seconds>(now);
  if (delay <= seconds::zero())
    return seconds::zero();
  return std::min(delay, retry_after_ceiling);
}

} // namespace talkory::detail
