// The SAX reader of the documented health body against the DOM decoder it stands in for: it
// must take the documented answer, and wherever it accepts a body the DOM decoder must give
// the same report; every body the DOM decoder refuses, the reader must decline.
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include <talkory/health.hpp>

#include "codec_test_support.hpp"
#include "health_body_reader.hpp"
#include "health_decoder.hpp"

using talkory::health_report;
using talkory::detail::body_reading;
using talkory::detail::read_documented_health_body;

namespace {

std::string providers_body(std::size_t count) {
  std::string body = R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{)";
  for (std::size_t i = 0; i < count; ++i)
    body += (i ? "," : "") + std::string("\"p") + std::to_string(i) + R"(":{"status":"ok"})";
  return body + "}}";
}

// Bodies at and around the documented shape: each differs from it in one way.
std::vector<std::string> bodies_near_the_documented_one() {
  const std::string head = R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z",)";
  return {
      codec_test::spec_body,
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{}})",
      R"({"providers":{"gpt":{"status":"ok"}},"checkedAt":"2026-06-27T10:00:00Z","status":"x"})",
      head + R"("providers":{"gpt":{"status":"error"},"claude":{"status":"weird"}}})",
      R"({"st\u0061tus":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{"g\u00e9":{"status":"ok"}}})",
      head + R"("providers":{"gpt":{"status":"ok"},"gpt":{"status":"error"}}})",
      head + R"("providers":{"gpt":{"status":"ok","status":"error"}}})",
      head + R"("status":"degraded","providers":{}})",
      head + R"("providers":{},"providers":{}})",
      head + R"("providers":{"gpt":{"status":"ok","since":"x"}}})",
      head + R"("providers":{"gpt":{"status":"ok"}},"version":3})",
      head + R"("providers":{"gpt":{}}})",
      head + R"("providers":{"gpt":"ok"}})",
      head + R"("providers":{"gpt":{"status":1}}})",
      head + R"("providers":{"gpt":{"status":null}}})",
      head + R"("providers":[]})",
      head + R"("providers":{"gpt":{"status":["ok"]}}})",
      R"({"status":"ok","providers":{}})",
      R"({"checkedAt":"2026-06-27T10:00:00Z","providers":{}})",
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z"})",
      R"({"status":"ok","checkedAt":"yesterday","providers":{}})",
      R"({"status":true,"checkedAt":"2026-06-27T10:00:00Z","providers":{}})",
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{}} )",
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{}} x)",
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{}}{})",
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{})",
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{},})",
      "{\"status\":\"o\xff\",\"checkedAt\":\"2026-06-27T10:00:00Z\",\"providers\":{}}",
      R"([{"status":"ok"}])",
      R"("ok")",
      "",
      "\xEF\xBB\xBF{}",
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{"gpt":{"status":"ok"}}} // c)",
      head + R"("providers":{"gpt":{"status":")" + std::string(5000, 'o') + R"("}}})",
      providers_body(talkory::detail::max_read_providers),
      providers_body(talkory::detail::max_read_providers + 1),
  };
}

talkory::result<health_report> decode(const std::string& body, body_reading reading) {
  return talkory::detail::decode_health_response(codec_test::make_response(200, body),
                                                 codec_test::test_now, reading);
}

void check_same_report(const health_report& read, const health_report& dom) {
  BOOST_TEST((read.status == dom.status));
  BOOST_TEST(read.raw_status == dom.raw_status);
  BOOST_TEST((read.checked_at == dom.checked_at));
  BOOST_TEST_REQUIRE(read.providers.size() == dom.providers.size());
  for (std::size_t i = 0; i < read.providers.size(); ++i) {
    BOOST_TEST(read.providers[i].name == dom.providers[i].name);
    BOOST_TEST((read.providers[i].status == dom.providers[i].status));
    BOOST_TEST(read.providers[i].raw_status == dom.providers[i].raw_status);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(health_body_reader_tests)

BOOST_AUTO_TEST_CASE(reads_the_documented_answer) {
  health_report report;
  BOOST_TEST_REQUIRE(read_documented_health_body(codec_test::spec_body, report));
  BOOST_TEST((report.status == talkory::health_status::ok));
  BOOST_TEST(report.raw_status == "ok");
  BOOST_TEST(talkory::format_iso8601(report.checked_at) == "2026-06-27T10:00:00.000Z");
  BOOST_TEST_REQUIRE(report.providers.size() == 5u);
  BOOST_TEST(report.providers[0].name == "gpt");
  BOOST_TEST(report.providers[4].name == "perplexity");
  BOOST_TEST((report.providers[3].status == talkory::provider_status::error));
  BOOST_TEST(report.providers[3].raw_status == "error");
}

BOOST_AUTO_TEST_CASE(agrees_with_the_dom_decoder_wherever_it_accepts) {
  std::size_t accepted = 0;
  for (const auto& body : bodies_near_the_documented_one()) {
    BOOST_TEST_CONTEXT("body: " << body.substr(0, 120)) {
      health_report read;
      const bool took = read_documented_health_body(body, read);
      const auto dom = decode(body, body_reading::dom_only);
      if (!dom) {
        BOOST_TEST(!took); // the DOM decoder refuses it: the reader must decline
      } else if (took) {
        ++accepted;
        check_same_report(read, *dom);
      }
      if (!took) { // declining leaves the report as it was
        BOOST_TEST(read.raw_status.empty());
        BOOST_TEST(read.providers.empty());
      }
      // And the decoder that tries the reader first gives what the DOM alone gives.
      const auto both = decode(body, body_reading::reader_first);
      BOOST_TEST_REQUIRE(both.has_value() == dom.has_value());
      if (dom)
        check_same_report(*both, *dom);
      else
        BOOST_TEST(both.error().message == dom.error().message);
    }
  }
  // The documented shape: as the spec shows it, with no providers, reordered, with unknown
  // words, escaped, followed by white space, and at the provider bound.
  BOOST_TEST(accepted == 7u);
}

BOOST_AUTO_TEST_CASE(declines_what_it_does_not_know_even_when_valid) {
  const std::string head = R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z",)";
  for (const std::string& body : {head + R"("providers":{},"version":3})",
                                  head + R"("providers":{"gpt":{"status":"ok","since":1}}})",
                                  providers_body(talkory::detail::max_read_providers + 1)}) {
    health_report report;
    BOOST_TEST(!read_documented_health_body(body, report));
    BOOST_TEST(decode(body, body_reading::dom_only).has_value());
  }
}

BOOST_AUTO_TEST_CASE(status_words) {
  using talkory::health_status;
  using talkory::provider_status;
  using talkory::detail::health_status_of;
  using talkory::detail::provider_status_of;
  BOOST_TEST((health_status_of("ok") == health_status::ok));
  BOOST_TEST((health_status_of("degraded") == health_status::degraded));
  BOOST_TEST((health_status_of("OK") == health_status::unknown));
  BOOST_TEST((health_status_of("error") == health_status::unknown));
  BOOST_TEST((provider_status_of("ok") == provider_status::ok));
  BOOST_TEST((provider_status_of("error") == provider_status::error));
  BOOST_TEST((provider_status_of("degraded") == provider_status::unknown));
  BOOST_TEST((provider_status_of("") == provider_status::unknown));
  // The words are the ones to_string() prints.
  for (const auto s : {health_status::ok, health_status::degraded})
    BOOST_TEST((health_status_of(talkory::to_string(s)) == s));
  for (const auto s : {provider_status::ok, provider_status::error})
    BOOST_TEST((provider_status_of(talkory::to_string(s)) == s));
}

BOOST_AUTO_TEST_SUITE_END()
