// A check for tests: every character of a text is well-formed UTF-8 that no terminal or log
// viewer obeys (no C0, DEL, C1 or bidirectional control), decoded independently of the helpers
// that neutralise such text.
#pragma once

#include <string_view>

#include <boost/test/unit_test.hpp>

#include "text.hpp"

namespace talkory::test {

inline void expect_terminal_safe(std::string_view text) {
  for (std::string_view rest = text; !rest.empty();) {
    const auto c = detail::first_character(rest);
    BOOST_TEST_REQUIRE(c.valid, text);
    BOOST_TEST_REQUIRE(!detail::is_unsafe_code_point(c.code_point), text);
    rest.remove_prefix(c.length);
  }
}

} // namespace talkory::test
