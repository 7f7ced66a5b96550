// Text helpers for untrusted bytes: key validation, control characters, snippets, numbers.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "text.hpp"

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::int64_t>)

BOOST_AUTO_TEST_SUITE(text_tests)

BOOST_AUTO_TEST_CASE(api_key_validity_refuses_controls_spaces_and_non_ascii) {
  using talkory::detail::is_valid_api_key;
  BOOST_TEST(is_valid_api_key("tk_live_0123456789abcdefABCDEF-_.~+/="));
  BOOST_TEST(!is_valid_api_key(""));
  BOOST_TEST(!is_valid_api_key("tk_live_abc\r\nX-Evil: 1"));
  BOOST_TEST(!is_valid_api_key("tk_live_abc\n"));
  BOOST_TEST(!is_valid_api_key("tk_live abc"));
  BOOST_TEST(!is_valid_api_key(" tk_live_abc"));
  BOOST_TEST(!is_valid_api_key("tk_live_\tabc"));
  BOOST_TEST(!is_valid_api_key(std::string("tk_live_\0abc", 12)));
  BOOST_TEST(!is_valid_api_key("tk_live_\x7f"));
  BOOST_TEST(!is_valid_api_key("tk_live_\xc3\xa9"));
}

BOOST_AUTO_TEST_CASE(control_characters_are_c0_and_del) {
  using talkory::detail::is_control_character;
  BOOST_TEST(is_control_character('\0'));
  BOOST_TEST(is_control_character('\r'));
  BOOST_TEST(is_control_character('\x1f'));
  BOOST_TEST(is_control_character('\x7f'));
  BOOST_TEST(!is_control_character(' '));
  BOOST_TEST(!is_control_character('~'));
  BOOST_TEST(!is_control_character('\xc3')); // a UTF-8 lead byte is not a control
  BOOST_TEST(talkory::detail::has_control_character("agent\r\n"));
  BOOST_TEST(!talkory::detail::has_control_character("talkory-cpp/0.1 (\xc3\xa9)"));
}

BOOST_AUTO_TEST_CASE(control_characters_are_replaced_and_lines_stay_one) {
  BOOST_TEST(talkory::detail::replace_control_characters("a\r\nb\x7f", '?') == "a??b?");
  std::string line = "x: ";
  talkory::detail::append_one_line(line, "boom\r\nX-Injected: yes");
  BOOST_TEST(line == "x: boom  X-Injected: yes");
}

BOOST_AUTO_TEST_CASE(trimming_removes_spaces_and_tabs_only) {
  BOOST_TEST(talkory::detail::trim_ows(" \t30\t ") == "30");
  BOOST_TEST(talkory::detail::trim_ows("\r\n30") == "\r\n30");
  BOOST_TEST(talkory::detail::trim_ows("   ").empty());
}

BOOST_AUTO_TEST_CASE(blank_and_html_bodies_are_recognised) {
  BOOST_TEST(talkory::detail::is_blank(""));
  BOOST_TEST(talkory::detail::is_blank(" \r\n\t"));
  BOOST_TEST(!talkory::detail::is_blank(" x"));
  BOOST_TEST(talkory::detail::looks_like_html("\n  <!DOCTYPE html>"));
  BOOST_TEST(!talkory::detail::looks_like_html("{\"a\":\"<b>\"}"));
  BOOST_TEST(!talkory::detail::looks_like_html(" "));
}

BOOST_AUTO_TEST_CASE(decimals_are_digits_only_and_bounded_without_overflow) {
  using talkory::detail::parse_decimal;
  BOOST_TEST(parse_decimal("0", 10) == std::optional<std::int64_t>(0));
  BOOST_TEST(parse_decimal("010", 10) == std::optional<std::int64_t>(10));
  BOOST_TEST(!parse_decimal("11", 10));
  BOOST_TEST(!parse_decimal("", 10));
  BOOST_TEST(!parse_decimal("1 ", 10));
  BOOST_TEST(!parse_decimal("-1", 10));
  BOOST_TEST(parse_decimal("9223372036854775807", INT64_MAX) ==
             std::optional<std::int64_t>(INT64_MAX));
  BOOST_TEST(!parse_decimal("9223372036854775808", INT64_MAX));
}

BOOST_AUTO_TEST_CASE(snippet_is_bounded_and_marks_truncation) {
  const auto snippet = talkory::detail::bounded_snippet(std::string(1000, 'a'), 10);
  BOOST_TEST(snippet == "aaaaaaaaaa...");
  BOOST_TEST(talkory::detail::bounded_snippet("short", 10) == "short");
}

BOOST_AUTO_TEST_CASE(snippet_replaces_control_characters_and_trims_leading_space) {
  BOOST_TEST(talkory::detail::bounded_snippet("\r\n  a\tb\x01"
                                              "c\x7f\n") == "a b c");
}

BOOST_AUTO_TEST_CASE(snippet_never_cuts_or_passes_broken_utf8) {
  BOOST_TEST(talkory::detail::bounded_snippet("\xc3\xa9t\xc3\xa9") == "\xc3\xa9t\xc3\xa9");
  // A two-byte character cut in half by the bound becomes '?'.
  BOOST_TEST(talkory::detail::bounded_snippet("ab\xc3\xa9", 3) == "ab?...");
  BOOST_TEST(talkory::detail::bounded_snippet("a\xff\xfe"
                                              "b") == "a??b");
  BOOST_TEST(talkory::detail::bounded_snippet("\xed\xa0\x80") == "???"); // a UTF-16 surrogate
  BOOST_TEST(talkory::detail::bounded_snippet("\xe0\x80\xaf") == "???"); // an overlong '/'
}

BOOST_AUTO_TEST_CASE(quoted_values_are_bounded_snippets_in_double_quotes) {
  BOOST_TEST(talkory::detail::quoted("teapot") == "\"teapot\"");
  BOOST_TEST(talkory::detail::quoted("a\r\nb") == "\"a  b\"");
  BOOST_TEST(talkory::detail::quoted(std::string(100, 'x')) ==
             "\"" + std::string(64, 'x') + "...\"");
}

BOOST_AUTO_TEST_SUITE_END()
