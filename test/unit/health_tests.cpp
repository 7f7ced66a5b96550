// health_report's helpers (talkory/health.hpp): lookups, status words and the one-line summary.
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>

#include <talkory/health.hpp>

#include "codec_test_support.hpp"
#include "health_decoder.hpp"

using talkory::detail::http_response;

namespace {

using codec_test::make_response;
using codec_test::spec_body;

talkory::result<talkory::health_report> decode_health_response(const http_response& response) {
  return talkory::detail::decode_health_response(response, codec_test::test_now);
}

} // namespace

BOOST_AUTO_TEST_SUITE(health_tests)

BOOST_AUTO_TEST_CASE(find_returns_null_for_an_absent_provider) {
  const auto result = decode_health_response(make_response(200, spec_body));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(result->find("nope") == nullptr);
  BOOST_TEST(result->find("claude") == &result->providers[1]);
}

BOOST_AUTO_TEST_CASE(all_ok_needs_the_overall_status_and_every_provider_ok) {
  talkory::health_report report;
  report.status = talkory::health_status::ok;
  report.providers = {{"gpt", talkory::provider_status::ok, "ok"}};
  BOOST_TEST(report.all_ok());
  report.providers.push_back({"x", talkory::provider_status::unknown, "maintenance"});
  BOOST_TEST(!report.all_ok());
  report.providers.pop_back();
  report.status = talkory::health_status::degraded;
  BOOST_TEST(!report.all_ok());
}

BOOST_AUTO_TEST_CASE(status_names_are_the_documented_words) {
  BOOST_TEST(talkory::to_string(talkory::health_status::ok) == "ok");
  BOOST_TEST(talkory::to_string(talkory::health_status::degraded) == "degraded");
  BOOST_TEST(talkory::to_string(talkory::health_status::unknown) == "unknown");
  BOOST_TEST(talkory::to_string(talkory::provider_status::ok) == "ok");
  BOOST_TEST(talkory::to_string(talkory::provider_status::error) == "error");
  BOOST_TEST(talkory::to_string(talkory::provider_status::unknown) == "unknown");
}

BOOST_AUTO_TEST_CASE(report_prints_a_one_line_summary) {
  const auto result =
      decode_health_response(make_response(200, spec_body, {{"X-Request-Id", "req_5"}}));
  BOOST_TEST_REQUIRE(result.has_value());
  std::ostringstream out;
  out << *result;
  BOOST_TEST(out.str() == "ok at 2026-06-27T10:00:00.000Z: gpt ok, claude ok, gemini ok, "
                          "grok error, perplexity ok [request req_5]");
}

BOOST_AUTO_TEST_CASE(report_summary_shows_unknown_statuses_raw) {
  talkory::health_report report;
  report.raw_status = "partial";
  report.providers = {{"gpt", talkory::provider_status::unknown, "maintenance"}};
  std::ostringstream out;
  out << report;
  BOOST_TEST(out.str() ==
             R"(unknown("partial") at 1970-01-01T00:00:00.000Z: gpt unknown("maintenance"))");
}

BOOST_AUTO_TEST_CASE(report_summary_cannot_forge_log_lines) {
  talkory::health_report report;
  report.status = talkory::health_status::degraded;
  report.providers = {
      {"gpt\r\nFAKE: injected", talkory::provider_status::unknown, "x\ny" + std::string(500, 'z')}};
  std::ostringstream out;
  out << report;
  BOOST_TEST(out.str().find('\n') == std::string::npos);
  BOOST_TEST(out.str().find('\r') == std::string::npos);
  BOOST_TEST(out.str().size() < 250u);
}

BOOST_AUTO_TEST_CASE(report_summary_lists_twenty_providers_then_says_how_many_more) {
  talkory::health_report report;
  for (int i = 0; i < 1000; ++i)
    report.providers.push_back({"p" + std::to_string(i), talkory::provider_status::ok, "ok"});
  std::ostringstream out;
  out << report;
  BOOST_TEST(out.str().ends_with(", p18 ok, p19 ok, ... 980 more"), out.str());
  BOOST_TEST(out.str().find("p20 ") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(report_summary_neutralises_c1_bidi_and_the_request_id) {
  talkory::health_report report;
  report.status = talkory::health_status::ok;
  report.providers = {{"gpt\xc2\x9b"
                       "31m\xe2\x80\xae" +
                           std::string(100, 'n'),
                       talkory::provider_status::ok, "ok"}};
  report.meta.request_id = "req_\x1b]0;\xc2\x9b\xe2\x81\xa6" + std::string(100, 'r');
  std::ostringstream out;
  out << report;
  BOOST_TEST(out.str() == "ok at 1970-01-01T00:00:00.000Z: gpt?31m?" + std::string(53, 'n') +
                              "... ok [request req_?]0;??" + std::string(51, 'r') + "...]");
}

BOOST_AUTO_TEST_SUITE_END()
