// The strict ISO 8601 parser behind "checkedAt", and the formatter that prints it back.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "codec.hpp"

using namespace std::chrono;
using talkory::detail::parse_iso8601;

namespace {

// The formatted form of a parsed date, or "none": one comparable, printable value per case.
std::string reparsed(std::string_view text) {
  const auto t = parse_iso8601(text);
  return t ? talkory::format_iso8601(*t) : "none";
}

} // namespace

BOOST_AUTO_TEST_SUITE(iso8601_tests)

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

BOOST_AUTO_TEST_SUITE_END()
