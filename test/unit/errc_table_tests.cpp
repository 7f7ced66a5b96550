// The errc table behind to_string, the error category and the decoder's advice: complete,
// non-empty and unambiguous.
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <string_view>

#include "errc_table.hpp"

using talkory::errc;
using talkory::detail::errc_rows;

BOOST_AUTO_TEST_SUITE(errc_table_tests)

BOOST_AUTO_TEST_CASE(every_errc_has_a_name_a_summary_and_advice) {
  for (const auto& row : errc_rows) {
    BOOST_TEST_CONTEXT(row.name) {
      BOOST_TEST(!row.name.empty());
      BOOST_TEST(!row.summary.empty());
      BOOST_TEST(!row.advice.empty());
      BOOST_TEST(talkory::detail::find_errc_row(row.code) == &row);
    }
  }
  BOOST_TEST(errc_rows.front().code == errc::invalid_request);
  BOOST_TEST(errc_rows.back().code == errc::fleet_unavailable);
}

BOOST_AUTO_TEST_CASE(names_are_unique) {
  std::set<std::string_view> names;
  for (const auto& row : errc_rows)
    BOOST_TEST(names.insert(row.name).second, row.name);
  BOOST_TEST(names.size() == errc_rows.size());
}

BOOST_AUTO_TEST_CASE(values_that_are_no_enumerator_have_no_row) {
  BOOST_TEST(talkory::detail::find_errc_row(static_cast<errc>(0)) == nullptr);
  BOOST_TEST(talkory::detail::find_errc_row(static_cast<errc>(errc_rows.size() + 1)) == nullptr);
  BOOST_TEST(talkory::detail::find_errc_row(static_cast<errc>(-1)) == nullptr);
}

// The category message and the decoder's advice both come from the row.
BOOST_AUTO_TEST_CASE(category_message_is_the_summary_and_the_advice) {
  for (const auto& row : errc_rows) {
    BOOST_TEST_CONTEXT(row.name) {
      BOOST_TEST(talkory::make_error_code(row.code).message() ==
                 std::string(row.summary) + ": " + std::string(row.advice));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
