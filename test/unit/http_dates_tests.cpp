// The dates a response carries: the strict ISO 8601 parser behind "checkedAt" (and the formatter
// that prints it back), IMF-fixdate, and Retry-After in both of its forms.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>

#include <talkory/health.hpp>

#include "http_dates.hpp"

using namespace std::chrono;
using talkory::detail::parse_iso8601;

namespace {

// The formatted form of a parsed date, or "none": one comparable, printable value per case.
std::string reparsed(std::string_view text) {
  const auto t = parse_iso8601(text);
  return t ? talkory::format_iso8601(*t) : "none";
}

// The clock reading the Retry-After cases are relative to: 1994-11-06T08:49:00Z.
const auto fixed_now = sys_days{year{1994} / 11 / 6} + 8h + 49min;

} // namespace

BOOST_AUTO_TEST_SUITE(http_dates_tests)

// ---------------------------------------------------------------------------------------------
// ISO 8601

BOOST_AUTO_TEST_CASE(spec_example_parses_to_the_exact_instant) {
  const auto t = parse_iso8601("2026-06-27T10:00:00.000Z");
  BOOST_TEST_REQUIRE(t.has_value());
  const auto expected = sys_days{year{2026} / June / 27} + 10h;
  BOOST_TEST(t->time_since_epoch().count() ==
             duration_cast<milliseconds>(expected.time_since_epoch()).count());
}

BOOST_AUTO_TEST_CASE(zulu_may_be_lower_case_and_t_may_be_lower_case) {
  BOOST_TEST(reparsed("2026-06-27t10:00:00z") == "2026-06-27T10:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(offsets_are_subtracted_to_give_utc) {
  BOOST_TEST(reparsed("2026-06-27T12:30:00+02:30") == "2026-06-27T10:00:00.000Z");
  BOOST_TEST(reparsed("2026-06-27T12:30:00+0230") == "2026-06-27T10:00:00.000Z");
  BOOST_TEST(reparsed("2026-06-27T05:00:00-05:00") == "2026-06-27T10:00:00.000Z");
  BOOST_TEST(reparsed("2026-06-27T10:00:00+00:00") == "2026-06-27T10:00:00.000Z");
  BOOST_TEST(reparsed("2026-06-27T10:00:00-00:00") == "2026-06-27T10:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(offsets_can_move_the_date_across_days_months_and_years) {
  BOOST_TEST(reparsed("2026-01-01T00:30:00+01:00") == "2025-12-31T23:30:00.000Z");
  BOOST_TEST(reparsed("2025-12-31T23:30:00-01:00") == "2026-01-01T00:30:00.000Z");
  BOOST_TEST(reparsed("2026-03-01T00:00:00+23:59") == "2026-02-28T00:01:00.000Z");
}

BOOST_AUTO_TEST_CASE(offsets_beyond_23_59_or_malformed_are_refused) {
  for (const char* text :
       {"2026-06-27T10:00:00+24:00", "2026-06-27T10:00:00+05:60", "2026-06-27T10:00:00+05",
        "2026-06-27T10:00:00+5:00", "2026-06-27T10:00:00+05:3", "2026-06-27T10:00:00+05:300",
        "2026-06-27T10:00:00+05-30", "2026-06-27T10:00:00 +05:00"}) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(reparsed(text) == "none");
    }
  }
}

BOOST_AUTO_TEST_CASE(missing_offset_is_refused) {
  BOOST_TEST(reparsed("2026-06-27T10:00:00") == "none");
  BOOST_TEST(reparsed("2026-06-27T10:00:00.000") == "none");
}

BOOST_AUTO_TEST_CASE(fractions_of_one_to_nine_digits_are_truncated_to_milliseconds) {
  BOOST_TEST(reparsed("2026-06-27T10:00:00.5Z") == "2026-06-27T10:00:00.500Z");
  BOOST_TEST(reparsed("2026-06-27T10:00:00.12Z") == "2026-06-27T10:00:00.120Z");
  BOOST_TEST(reparsed("2026-06-27T10:00:00.123Z") == "2026-06-27T10:00:00.123Z");
  BOOST_TEST(reparsed("2026-06-27T10:00:00.1239Z") == "2026-06-27T10:00:00.123Z");
  BOOST_TEST(reparsed("2026-06-27T10:00:00.999999999Z") == "2026-06-27T10:00:00.999Z");
}

BOOST_AUTO_TEST_CASE(empty_or_overlong_fractions_are_refused) {
  BOOST_TEST(reparsed("2026-06-27T10:00:00.Z") == "none");
  BOOST_TEST(reparsed("2026-06-27T10:00:00.1234567890Z") == "none");
  BOOST_TEST(reparsed("2026-06-27T10:00:00,5Z") == "none");
}

BOOST_AUTO_TEST_CASE(leap_day_exists_only_in_leap_years) {
  BOOST_TEST(reparsed("2024-02-29T00:00:00Z") == "2024-02-29T00:00:00.000Z");
  BOOST_TEST(reparsed("2000-02-29T00:00:00Z") == "2000-02-29T00:00:00.000Z");
  BOOST_TEST(reparsed("2026-02-29T00:00:00Z") == "none");
  BOOST_TEST(reparsed("1900-02-29T00:00:00Z") == "none");
}

BOOST_AUTO_TEST_CASE(invalid_dates_and_times_are_refused) {
  for (const char* text : {"2026-00-10T10:00:00Z", "2026-13-10T10:00:00Z", "2026-06-00T10:00:00Z",
                           "2026-06-31T10:00:00Z", "2026-04-31T10:00:00Z", "2026-06-27T24:00:00Z",
                           "2026-06-27T10:60:00Z", "2026-06-27T10:00:61Z"}) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(reparsed(text) == "none");
    }
  }
}

BOOST_AUTO_TEST_CASE(other_layouts_are_refused) {
  for (const char* text :
       {"", "yesterday", "2026-06-27", "2026-06-27T10:00Z", "2026-06-27 10:00:00Z",
        "20260627T100000Z", "26-06-27T10:00:00Z", "+2026-06-27T10:00:00Z", "2026-6-27T10:00:00Z",
        "2026-06-27T1:00:00Z", "2026-06-27T10:00:00ZZ", "2026-06-27T10:00:00Z ",
        " 2026-06-27T10:00:00Z", "2026/06/27T10:00:00Z", "2026-06-27T10:00:00.000+",
        "Sat, 27 Jun 2026 10:00:00 GMT", "1782554400"}) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(reparsed(text) == "none");
    }
  }
}

BOOST_AUTO_TEST_CASE(leap_second_at_23_59_60_utc_is_clamped_into_the_same_minute) {
  BOOST_TEST(reparsed("2016-12-31T23:59:60Z") == "2016-12-31T23:59:59.999Z");
  BOOST_TEST(reparsed("2016-12-31T23:59:60.5Z") == "2016-12-31T23:59:59.999Z");
  // The same leap second seen from UTC+01:00.
  BOOST_TEST(reparsed("2017-01-01T00:59:60+01:00") == "2016-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(second_60_anywhere_but_23_59_utc_is_refused) {
  BOOST_TEST(reparsed("2016-12-31T10:00:60Z") == "none");
  BOOST_TEST(reparsed("2016-12-31T23:59:60+01:00") == "none");
}

BOOST_AUTO_TEST_CASE(format_prints_utc_with_milliseconds) {
  const auto t = sys_days{year{2026} / June / 27} + 10h + 5min + 7s + 42ms;
  BOOST_TEST(talkory::format_iso8601(t) == "2026-06-27T10:05:07.042Z");
  BOOST_TEST(talkory::format_iso8601(sys_time<milliseconds>{}) == "1970-01-01T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(format_handles_instants_before_the_epoch) {
  const auto t = sys_days{year{1969} / December / 31} + 23h + 59min + 59s + 999ms;
  BOOST_TEST(talkory::format_iso8601(t) == "1969-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(format_and_parse_round_trip) {
  for (const char* text : {"2026-06-27T10:00:00.000Z", "2000-02-29T23:59:59.999Z",
                           "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"}) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(reparsed(text) == text);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// IMF-fixdate and Retry-After

BOOST_AUTO_TEST_CASE(imf_fixdate_parses_to_the_exact_second) {
  using talkory::detail::parse_imf_fixdate;
  const auto t = parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT");
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST((*t == sys_days{year{1994} / 11 / 6} + 8h + 49min + 37s));
  // The weekday is checked for form only; a leap second becomes the second before it.
  BOOST_TEST((parse_imf_fixdate("Mon, 06 Nov 1994 08:49:37 GMT") == t));
  BOOST_TEST((parse_imf_fixdate("Sat, 31 Dec 2016 23:59:60 GMT") ==
              sys_days{year{2016} / 12 / 31} + 23h + 59min + 59s));
}

BOOST_AUTO_TEST_CASE(retry_after_delay_seconds_are_parsed) {
  using talkory::detail::parse_retry_after;
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  BOOST_TEST(parse_retry_after("0", now)->count() == 0);
  BOOST_TEST(parse_retry_after("30", now)->count() == 30);
  BOOST_TEST(parse_retry_after(" 120 ", now)->count() == 120);
  BOOST_TEST(parse_retry_after("007", now)->count() == 7);
  BOOST_TEST(parse_retry_after("86400", now)->count() == 86400);
}

BOOST_AUTO_TEST_CASE(retry_after_junk_and_signs_give_nothing) {
  using talkory::detail::parse_retry_after;
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  for (const char* value : {"", " ", "-1", "+5", "1.5", "5s", "0x10", "1e3",
                            "99999999999999999999x", "soon", "30, 40"}) {
    BOOST_TEST_CONTEXT(value) {
      BOOST_TEST(!parse_retry_after(value, now).has_value());
    }
  }
}

// The hardening issue: a valid Retry-After above max_retry_after, however large, must make the
// call fail at once, so it is kept (saturated) rather than dropped as it was above one day.
BOOST_AUTO_TEST_CASE(retry_after_numbers_of_any_size_are_kept_saturated) {
  using talkory::detail::parse_retry_after;
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  BOOST_TEST(parse_retry_after("86401", now)->count() == 86401);
  BOOST_TEST(parse_retry_after("100000000000", now)->count() == 10'000'000'000);
  BOOST_TEST(parse_retry_after("99999999999999999999999999", now)->count() == 10'000'000'000);
  BOOST_TEST(parse_retry_after("9999999999", now)->count() == 9'999'999'999);
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_is_relative_to_now) {
  using talkory::detail::parse_retry_after;
  const auto now = std::chrono::system_clock::time_point{fixed_now}; // 08:49:00
  const auto delay = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now);
  BOOST_TEST_REQUIRE(delay.has_value());
  BOOST_TEST(delay->count() == 37);
  // A partial second rounds up: waiting too little would only earn another 429.
  const auto later = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 500ms);
  BOOST_TEST(later->count() == 37);
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_in_the_past_gives_zero) {
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  const auto delay = talkory::detail::parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now);
  BOOST_TEST_REQUIRE(delay.has_value());
  BOOST_TEST(delay->count() == 0);
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_more_than_a_day_ahead_is_kept) {
  const auto now = std::chrono::system_clock::time_point{fixed_now}; // Sun, 06 Nov 1994 08:49:00
  const auto delay = talkory::detail::parse_retry_after("Tue, 08 Nov 1994 08:49:37 GMT", now);
  BOOST_TEST_REQUIRE(delay.has_value());
  BOOST_TEST(delay->count() == 2 * 86'400 + 37);
}

BOOST_AUTO_TEST_CASE(retry_after_malformed_http_dates_give_nothing) {
  using talkory::detail::parse_retry_after;
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  for (const char* value : {
           "Sun, 06 Nov 1994 08:49:37 UTC",  // zone must be GMT
           "Sun, 6 Nov 1994 08:49:37 GMT",   // day is two digits
           "Sun, 06 nov 1994 08:49:37 GMT",  // month names are case-sensitive
           "Xyz, 06 Nov 1994 08:49:37 GMT",  // no such day
           "Sun, 31 Nov 1994 08:49:37 GMT",  // no such date
           "Sun, 06 Nov 1994 24:00:00 GMT",  // hour out of range
           "Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850 form
           "Sun Nov  6 08:49:37 1994",       // obsolete asctime form
           "Sun, 06 Nov 1994 08:49:37 GMT junk",
       }) {
    BOOST_TEST_CONTEXT(value) {
      BOOST_TEST(!parse_retry_after(value, now).has_value());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
