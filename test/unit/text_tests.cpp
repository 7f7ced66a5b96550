// Text helpers for untrusted bytes: key validation, control characters, snippets, numbers.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <talkory/printable.hpp>

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

// The bytes of the characters no output may carry raw, as a hostile server would send them.
constexpr std::string_view csi = "\xc2\x9b";                // U+009B, a one-character ESC [
constexpr std::string_view c1_first = "\xc2\x80";           // U+0080
constexpr std::string_view c1_last = "\xc2\x9f";            // U+009F
constexpr std::string_view rlo = "\xe2\x80\xae";            // U+202E RIGHT-TO-LEFT OVERRIDE
constexpr std::string_view lre = "\xe2\x80\xaa";            // U+202A
constexpr std::string_view lri = "\xe2\x81\xa6";            // U+2066
constexpr std::string_view pdi = "\xe2\x81\xa9";            // U+2069
constexpr std::string_view line_separator = "\xe2\x80\xa8"; // U+2028

BOOST_AUTO_TEST_CASE(c1_controls_bidi_controls_and_separators_are_unsafe_their_neighbours_not) {
  using talkory::detail::is_unsafe_code_point;
  for (const char32_t c : {0x00, 0x1b, 0x1f, 0x7f, 0x80, 0x9b, 0x9f, 0x061c, 0x200e, 0x200f, 0x2028,
                           0x2029, 0x202a, 0x202e, 0x2066, 0x2069})
    BOOST_TEST(is_unsafe_code_point(c), static_cast<unsigned>(c));
  for (const char32_t c : {0x20, 0x7e, 0xa0, 0xe9, 0x200d, 0x2027, 0x202f, 0x2065, 0x206a, 0xfffd})
    BOOST_TEST(!is_unsafe_code_point(c), static_cast<unsigned>(c));
}

BOOST_AUTO_TEST_CASE(first_character_decodes_utf8_and_refuses_what_rfc_3629_refuses) {
  using talkory::detail::first_character;
  const auto e_acute = first_character("\xc3\xa9t");
  BOOST_TEST(e_acute.valid);
  BOOST_TEST(static_cast<unsigned>(e_acute.code_point) == 0xe9u);
  BOOST_TEST(e_acute.length == 2u);
  const auto override_char = first_character(rlo);
  BOOST_TEST(static_cast<unsigned>(override_char.code_point) == 0x202eu);
  BOOST_TEST(override_char.length == 3u);
  const auto emoji = first_character("\xf0\x9f\x98\x80");
  BOOST_TEST(static_cast<unsigned>(emoji.code_point) == 0x1f600u);
  BOOST_TEST(emoji.length == 4u);
  // Each of these is refused at its first byte, which then stands alone.
  for (const std::string_view bad :
       {"\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf0\x80\x80\xaf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc3", "\xe2\x80", "\xc3("}) {
    const auto c = first_character(bad);
    BOOST_TEST(!c.valid);
    BOOST_TEST(c.length == 1u);
  }
}

BOOST_AUTO_TEST_CASE(printable_text_replaces_c0_c1_bidi_and_broken_utf8_and_keeps_the_rest) {
  using talkory::detail::printable_text;
  const std::string hostile = "gpt" + std::string(csi) + "31m" + std::string(rlo) + "kcab" +
                              std::string(lre) + std::string(lri) + std::string(pdi) +
                              std::string(c1_first) + std::string(c1_last) + "\x1b[2J\r\n\x7f" +
                              std::string(line_separator) + "\xff\xc3" + "\xc3\xa9";
  BOOST_TEST(printable_text(hostile, 100) == "gpt?31m?kcab??????[2J??????\xc3\xa9");
  BOOST_TEST(printable_text(hostile, 100, ' ') == "gpt 31m kcab      [2J    ??\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(printable_text_counts_characters_and_marks_a_cut_within_the_bound) {
  using talkory::detail::printable_text;
  BOOST_TEST(printable_text("abcdefgh", 8) == "abcdefgh");
  BOOST_TEST(printable_text("abcdefghi", 8) == "abcde...");
  // Bounded in characters, not bytes: a multibyte character is never cut in half.
  BOOST_TEST(printable_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4) == "\xc3\xa9...");
  BOOST_TEST(printable_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4) ==
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
  // Below the marker's size a bound only cuts.
  BOOST_TEST(printable_text("abcdef", 3) == "abc");
  BOOST_TEST(printable_text("abcdef", 0).empty());
}

BOOST_AUTO_TEST_CASE(append_printable_returns_the_characters_it_appended) {
  std::string out = "x";
  BOOST_TEST(talkory::detail::append_printable(out, "\xc3\xa9" + std::string(rlo) + "z", 10) == 3u);
  BOOST_TEST(out == "x\xc3\xa9?z");
  BOOST_TEST(talkory::detail::append_printable(out, std::string(1000, 'a'), 10) == 10u);
  BOOST_TEST(out.size() == 15u);
}

BOOST_AUTO_TEST_CASE(character_count_counts_code_points_and_stray_bytes) {
  BOOST_TEST(talkory::detail::character_count("") == 0u);
  BOOST_TEST(talkory::detail::character_count("gpt") == 3u);
  BOOST_TEST(talkory::detail::character_count("\xc3\xa9\xe2\x80\xae\xf0\x9f\x98\x80") == 3u);
  BOOST_TEST(talkory::detail::character_count("\xff\xfe") == 2u);
}

BOOST_AUTO_TEST_CASE(escaped_text_shows_the_bytes_of_unsafe_characters) {
  std::string out;
  talkory::detail::append_escaped(out, "a\r" + std::string(csi) + "\xc3\xa9" + std::string(rlo) +
                                           "\xff");
  BOOST_TEST(out == "a\\x0d\\xc2\\x9b\xc3\xa9\\xe2\\x80\\xae\\xff");
}

BOOST_AUTO_TEST_CASE(json_strings_escape_every_unsafe_character_and_replace_broken_utf8) {
  std::string out;
  talkory::detail::append_json_string(out, "q\"b\\\b\f\n\r\t\x01\x1b\x7f" + std::string(csi) +
                                               std::string(rlo) + std::string(pdi) +
                                               std::string(line_separator) + "\xc3\xa9\xff/");
  BOOST_TEST(out == "\"q\\\"b\\\\\\b\\f\\n\\r\\t\\u0001\\u001b\\u007f\\u009b\\u202e\\u2069\\u2028"
                    "\xc3\xa9\\ufffd/\"");
}

BOOST_AUTO_TEST_CASE(one_line_text_is_bounded_when_asked) {
  std::string line = "m: ";
  talkory::detail::append_one_line(line, "a\r\n" + std::string(csi) + std::string(50, 'b'), 8);
  BOOST_TEST(line == "m: a   b...");
}

BOOST_AUTO_TEST_CASE(more_items_says_how_many_were_left_out) {
  BOOST_TEST(talkory::detail::more_items(1234) == "... 1234 more");
}

BOOST_AUTO_TEST_CASE(snippet_replaces_c1_and_bidi_controls_too) {
  BOOST_TEST(talkory::detail::bounded_snippet("a" + std::string(csi) + "b" + std::string(rlo) +
                                              "c") == "a b c");
}

BOOST_AUTO_TEST_CASE(the_public_helpers_are_the_same_rules) {
  BOOST_TEST(talkory::printable("ok" + std::string(csi) + std::string(100, 'x')) ==
             "ok?" + std::string(58, 'x') + "...");
  BOOST_TEST(talkory::printable_width("\xc3\xa9t\xc3\xa9") == 3u);
  BOOST_TEST(talkory::json_quoted(std::string(rlo) + "x") == "\"\\u202ex\"");
}

BOOST_AUTO_TEST_SUITE_END()
