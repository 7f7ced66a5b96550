// The README's error table is the code's: every errc has its row, named by its string, with the
// advice that api_error messages carry (src/errc_table.hpp), so the two cannot drift apart.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "errc_table.hpp"

namespace {

std::string readme() {
  std::ifstream in(TALKORY_SOURCE_DIR "/README.md");
  BOOST_TEST_REQUIRE(in.good(), "cannot read " TALKORY_SOURCE_DIR "/README.md");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The README line of the table row for `name`, or empty.
std::string row_of(const std::string& text, std::string_view name) {
  const auto start = text.find("\n| `" + std::string(name) + "` |");
  if (start == std::string::npos)
    return {};
  const auto end = text.find('\n', start + 1);
  return text.substr(start + 1, end - start - 1);
}

} // namespace

BOOST_AUTO_TEST_SUITE(readme_error_table_tests)

BOOST_AUTO_TEST_CASE(every_errc_has_a_row_ending_in_its_advice) {
  const auto text = readme();
  for (const auto& row : talkory::detail::errc_rows) {
    const auto line = row_of(text, row.name);
    BOOST_TEST_CONTEXT("errc " << row.name) {
      BOOST_TEST_REQUIRE(!line.empty());
      BOOST_TEST(line.ends_with("| " + std::string(row.advice) + " |"), line);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_table_has_no_row_for_a_code_that_does_not_exist) {
  const auto text = readme();
  const auto table = text.find("| `errc` / string | HTTP | when | retried | what to do |");
  BOOST_TEST_REQUIRE(table != std::string::npos);
  std::istringstream lines(text.substr(table));
  std::string line;
  std::getline(lines, line); // header
  std::getline(lines, line); // |---|
  std::size_t rows = 0;
  while (std::getline(lines, line) && line.starts_with("| `"))
    ++rows;
  BOOST_TEST(rows == talkory::detail::errc_rows.size());
}

BOOST_AUTO_TEST_SUITE_END()
