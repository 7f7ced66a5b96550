// The key never survives in server text: every occurrence, in the body and in every header.
#include <boost/test/unit_test.hpp>

#include "secret_scrubber.hpp"

using talkory::detail::http_response;
using talkory::detail::scrub_secret;

namespace {
const std::string key = "tk_live_SECRETSENTINEL0000000000000000";
}

BOOST_AUTO_TEST_SUITE(secret_scrubber_tests)

BOOST_AUTO_TEST_CASE(every_occurrence_is_replaced) {
  std::string text = key + " and Bearer " + key + key + " end";
  BOOST_TEST(scrub_secret(text, key));
  BOOST_TEST(text == "<redacted> and Bearer <redacted><redacted> end");
}

BOOST_AUTO_TEST_CASE(text_without_the_key_is_left_alone) {
  std::string text = "tk_live_SECRET but not the whole key";
  BOOST_TEST(!scrub_secret(text, key));
  BOOST_TEST(text == "tk_live_SECRET but not the whole key");
  BOOST_TEST(!scrub_secret(text, ""));
}

BOOST_AUTO_TEST_CASE(body_and_every_header_value_are_scrubbed_in_order) {
  http_response r{boost::beast::http::status::found, 11};
  r.body() = R"({"echo":"Authorization: Bearer )" + key + R"("})";
  r.insert("X-Request-Id", key);
  r.insert("Location", "https://elsewhere.invalid/?k=" + key);
  r.insert("Set-Cookie", "a=1");
  r.insert("Set-Cookie", "b=" + key);
  scrub_secret(r, key);
  BOOST_TEST(r.body() == R"({"echo":"Authorization: Bearer <redacted>"})");
  BOOST_TEST(r["X-Request-Id"] == "<redacted>");
  BOOST_TEST(r["Location"] == "https://elsewhere.invalid/?k=<redacted>");
  std::vector<std::string> cookies;
  for (auto it = r.find("Set-Cookie"); it != r.end() && it->name_string() == "Set-Cookie"; ++it)
    cookies.emplace_back(it->value());
  BOOST_TEST(cookies == (std::vector<std::string>{"a=1", "b=<redacted>"}));
}

BOOST_AUTO_TEST_SUITE_END()
