// The health decoder against every shape of 200 body the service (or something in front of it)
// may send.
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include <talkory/health.hpp>

#include "codec_test_support.hpp"
#include "health_decoder.hpp"

using talkory::api_error;
using talkory::errc;
using talkory::detail::http_response;

// Compared in assertions; not worth an operator<< in the library.
BOOST_TEST_DONT_PRINT_LOG_VALUE(talkory::error_origin)

namespace {

using codec_test::contains;
using codec_test::error_body;
using codec_test::make_response;
using codec_test::spec_body;

talkory::result<talkory::health_report> decode_health_response(const http_response& response) {
  return talkory::detail::decode_health_response(response, codec_test::test_now);
}

// Decodes a 200 body that must be refused, returning the error.
api_error refused(std::string body) {
  const auto result = decode_health_response(make_response(200, std::move(body)));
  BOOST_TEST_REQUIRE(!result.has_value());
  return result.error();
}

} // namespace

BOOST_AUTO_TEST_SUITE(health_decoder_tests)

// ---------------------------------------------------------------------------------------------
// The documented answer

BOOST_AUTO_TEST_CASE(spec_example_decodes_to_a_report) {
  const auto result = decode_health_response(make_response(200, spec_body));
  BOOST_TEST_REQUIRE(result.has_value());
  const auto& report = *result;
  BOOST_TEST(talkory::to_string(report.status) == "ok");
  BOOST_TEST(report.raw_status == "ok");
  BOOST_TEST(talkory::format_iso8601(report.checked_at) == "2026-06-27T10:00:00.000Z");
  BOOST_TEST_REQUIRE(report.providers.size() == 5u);
  BOOST_TEST(talkory::to_string(report.find("grok")->status) == "error");
  BOOST_TEST(report.find("grok")->raw_status == "error");
  BOOST_TEST(talkory::to_string(report.find("gpt")->status) == "ok");
  BOOST_TEST(report.meta.http_status == 200);
  BOOST_TEST(!report.all_ok());
}

BOOST_AUTO_TEST_CASE(providers_keep_the_server_order) {
  const auto result = decode_health_response(
      make_response(200, R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{
        "zeta":{"status":"ok"},"alpha":{"status":"ok"},"mid":{"status":"ok"}}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST_REQUIRE(result->providers.size() == 3u);
  BOOST_TEST(result->providers[0].name == "zeta");
  BOOST_TEST(result->providers[1].name == "alpha");
  BOOST_TEST(result->providers[2].name == "mid");
  BOOST_TEST(result->all_ok());
}

BOOST_AUTO_TEST_CASE(unknown_provider_is_kept) {
  const auto result = decode_health_response(
      make_response(200, R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{
        "gpt":{"status":"ok"},"mistral":{"status":"ok"}}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST_REQUIRE(result->find("mistral") != nullptr);
  BOOST_TEST(result->providers.back().name == "mistral");
}

BOOST_AUTO_TEST_CASE(unknown_provider_status_is_kept_as_unknown_with_its_raw_value) {
  const auto result = decode_health_response(
      make_response(200, R"({"status":"degraded","checkedAt":"2026-06-27T10:00:00Z","providers":{
        "gpt":{"status":"maintenance"}}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(talkory::to_string(result->status) == "degraded");
  BOOST_TEST(talkory::to_string(result->providers[0].status) == "unknown");
  BOOST_TEST(result->providers[0].raw_status == "maintenance");
  BOOST_TEST(!result->all_ok());
}

BOOST_AUTO_TEST_CASE(unknown_overall_status_is_kept_as_unknown_with_its_raw_value) {
  const auto result = decode_health_response(make_response(
      200, R"({"status":"partial","checkedAt":"2026-06-27T10:00:00Z","providers":{}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(talkory::to_string(result->status) == "unknown");
  BOOST_TEST(result->raw_status == "partial");
  BOOST_TEST(result->providers.empty());
}

BOOST_AUTO_TEST_CASE(extra_fields_are_ignored) {
  const auto result = decode_health_response(make_response(
      200, R"({"status":"ok","version":3,"checkedAt":"2026-06-27T10:00:00Z","cache":{"ttl":300},
        "providers":{"gpt":{"status":"ok","latencyMs":120,"region":["us","eu"]}}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(result->providers.size() == 1u);
}

BOOST_AUTO_TEST_CASE(checked_at_with_an_offset_is_converted_to_utc) {
  const auto result = decode_health_response(make_response(
      200, R"({"status":"ok","checkedAt":"2026-06-27T12:00:00.250+02:00","providers":{}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(talkory::format_iso8601(result->checked_at) == "2026-06-27T10:00:00.250Z");
}

BOOST_AUTO_TEST_CASE(request_id_and_rate_limit_headers_fill_the_metadata) {
  const auto result = decode_health_response(make_response(
      200, spec_body,
      {{"X-Request-Id", "req_77"}, {"X-RateLimit-Limit", "30"}, {"X-RateLimit-Remaining", "29"}}));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(result->meta.request_id == "req_77");
  BOOST_TEST_REQUIRE(result->meta.rate_limit_limit.has_value());
  BOOST_TEST(*result->meta.rate_limit_limit == 30);
  BOOST_TEST_REQUIRE(result->meta.rate_limit_remaining.has_value());
  BOOST_TEST(*result->meta.rate_limit_remaining == 29);
}

BOOST_AUTO_TEST_CASE(missing_or_junk_rate_limit_headers_leave_the_metadata_empty) {
  const auto result =
      decode_health_response(make_response(200, spec_body, {{"X-RateLimit-Limit", "thirty"}}));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(!result->meta.rate_limit_limit.has_value());
  BOOST_TEST(!result->meta.rate_limit_remaining.has_value());
  BOOST_TEST(result->meta.request_id.empty());
}

BOOST_AUTO_TEST_CASE(other_2xx_status_with_a_valid_body_is_accepted) {
  const auto result = decode_health_response(make_response(203, spec_body));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(result->meta.http_status == 203);
}

// ---------------------------------------------------------------------------------------------
// Malformed 200 bodies

BOOST_AUTO_TEST_CASE(empty_body_gives_invalid_response) {
  for (const char* body : {"", "   \r\n"}) {
    const auto error = refused(body);
    BOOST_TEST(error.code == errc::invalid_response);
    BOOST_TEST(error.origin == talkory::error_origin::client);
    BOOST_TEST(error.http_status == 200);
    BOOST_TEST(contains(error.message, "empty"));
  }
}

BOOST_AUTO_TEST_CASE(html_page_gives_invalid_response_naming_html) {
  const auto error = refused("\n<!DOCTYPE html><html><body>Welcome to nginx!</body></html>");
  BOOST_TEST(error.code == errc::invalid_response);
  BOOST_TEST(contains(error.message, "HTML"));
  BOOST_TEST(contains(error.message, "<!DOCTYPE html>"));
  BOOST_TEST(contains(error.body_snippet, "Welcome to nginx!"));
}

BOOST_AUTO_TEST_CASE(truncated_json_gives_invalid_response_naming_truncation) {
  const auto error = refused(spec_body.substr(0, spec_body.size() / 2));
  BOOST_TEST(error.code == errc::invalid_response);
  BOOST_TEST(contains(error.message, "truncated"));
}

BOOST_AUTO_TEST_CASE(json_syntax_error_gives_invalid_response_with_its_position) {
  const auto error = refused(R"({"status": okay})");
  BOOST_TEST(error.code == errc::invalid_response);
  BOOST_TEST(contains(error.message, "not valid JSON"));
  BOOST_TEST(contains(error.message, "at byte 11"));
}

BOOST_AUTO_TEST_CASE(trailing_garbage_after_the_json_gives_invalid_response) {
  const auto error = refused(spec_body + " trailing");
  BOOST_TEST(error.code == errc::invalid_response);
  BOOST_TEST(contains(error.message, "not valid JSON"));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_a_string_gives_invalid_response) {
  const auto error = refused("{\"status\":\"o\xff\"}");
  BOOST_TEST(error.code == errc::invalid_response);
}

BOOST_AUTO_TEST_CASE(body_that_is_not_an_object_gives_invalid_response) {
  for (const auto& [body, kind] :
       std::vector<std::pair<std::string, std::string>>{{"[]", "an array"},
                                                        {"\"ok\"", "a string"},
                                                        {"42", "a number"},
                                                        {"null", "null"},
                                                        {"true", "a boolean"}}) {
    BOOST_TEST_CONTEXT(body) {
      const auto error = refused(body);
      BOOST_TEST(error.code == errc::invalid_response);
      BOOST_TEST(contains(error.message, "the body is " + kind + ", expected a JSON object"));
    }
  }
}

BOOST_AUTO_TEST_CASE(missing_fields_are_named) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"checkedAt":"2026-06-27T10:00:00Z","providers":{}})", R"("status" is missing)"},
      {R"({"status":"ok","providers":{}})", R"("checkedAt" is missing)"},
      {R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z"})", R"("providers" is missing)"},
      {R"({})", R"("status" is missing)"},
  };
  for (const auto& [body, expected] : cases) {
    BOOST_TEST_CONTEXT(body) {
      const auto error = refused(body);
      BOOST_TEST(error.code == errc::invalid_response);
      BOOST_TEST(contains(error.message, expected), error.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_types_are_named_for_each_field) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"status":1,"checkedAt":"2026-06-27T10:00:00Z","providers":{}})",
       R"("status" is a number, expected a string)"},
      {R"({"status":null,"checkedAt":"2026-06-27T10:00:00Z","providers":{}})",
       R"("status" is null, expected a string)"},
      {R"({"status":"ok","checkedAt":1782554400000,"providers":{}})",
       R"("checkedAt" is a number, expected a string)"},
      {R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":[]})",
       R"("providers" is an array, expected an object)"},
      {R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":"all good"})",
       R"("providers" is a string, expected an object)"},
      {R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{"gpt":"ok"}})",
       R"(provider "gpt" is a string, expected an object)"},
      {R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{"gpt":{"status":true}}})",
       R"(provider "gpt": "status" is a boolean, expected a string)"},
      {R"({"status":["ok"],"checkedAt":"2026-06-27T10:00:00Z","providers":{}})",
       R"("status" is an array, expected a string)"},
  };
  for (const auto& [body, expected] : cases) {
    BOOST_TEST_CONTEXT(body) {
      const auto error = refused(body);
      BOOST_TEST(error.code == errc::invalid_response);
      BOOST_TEST(contains(error.message, expected), error.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(provider_without_status_is_named) {
  const auto error = refused(
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{"gpt":{"state":"ok"}}})");
  BOOST_TEST(error.code == errc::invalid_response);
  BOOST_TEST(contains(error.message, R"(provider "gpt": "status" is missing)"), error.message);
}

BOOST_AUTO_TEST_CASE(bad_checked_at_is_quoted_in_the_message) {
  const auto error =
      refused(R"({"status":"ok","checkedAt":"yesterday","providers":{"gpt":{"status":"ok"}}})");
  BOOST_TEST(error.code == errc::invalid_response);
  BOOST_TEST(contains(error.message, R"("checkedAt" is not an ISO 8601 date-time: "yesterday")"),
             error.message);
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_without_recursion_trouble) {
  const std::string deep =
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{},"x":)" +
      std::string(100'000, '[') + std::string(100'000, ']') + "}";
  const auto error = refused(deep);
  BOOST_TEST(error.code == errc::invalid_response);
  BOOST_TEST(contains(error.message, "nested deeper than 32 levels"), error.message);
}

BOOST_AUTO_TEST_CASE(invalid_response_keeps_the_request_id_header) {
  const auto result =
      decode_health_response(make_response(200, "oops", {{"X-Request-Id", "req_9"}}));
  BOOST_TEST_REQUIRE(!result.has_value());
  BOOST_TEST(result.error().request_id == "req_9");
}

BOOST_AUTO_TEST_CASE(huge_garbage_body_gives_a_bounded_message) {
  const auto error = refused(std::string(1024 * 1024, 'x'));
  BOOST_TEST(error.code == errc::invalid_response);
  BOOST_TEST(error.message.size() < 1024u);
}

BOOST_AUTO_TEST_CASE(non_2xx_health_response_is_decoded_as_an_error_response) {
  const auto result = decode_health_response(
      make_response(429, error_body("rate_limited", "Slow down.", 429, "req_1")));
  BOOST_TEST_REQUIRE(!result.has_value());
  BOOST_TEST(result.error().code == errc::rate_limited);
  BOOST_TEST(result.error().origin == talkory::error_origin::server);
}

// Parsers disagree on which duplicate wins (Boost.JSON keeps the last): a body two readers could
// read two ways is refused, at any depth.
BOOST_AUTO_TEST_CASE(duplicate_keys_anywhere_give_invalid_response) {
  const std::string providers = R"("providers":{"gpt":{"status":"ok"}})";
  const std::string checked = R"("checkedAt":"2026-06-27T10:00:00.000Z",)";
  for (const auto& body : {
           R"({"status":"ok","status":"degraded",)" + checked + providers + "}",
           R"({"status":"ok",)" + checked +
               R"("providers":{"gpt":{"status":"ok"},"gpt":{"status":"error"}}})",
           R"({"status":"ok",)" + checked +
               R"("providers":{"gpt":{"status":"ok","status":"error"}}})",
       }) {
    BOOST_TEST_CONTEXT(body) {
      const auto error = refused(body);
      BOOST_TEST(error.code == errc::invalid_response);
      BOOST_TEST(contains(error.message, "appears twice"), error.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_same_key_in_different_objects_is_fine) {
  const auto result = decode_health_response(
      make_response(200, R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":)"
                         R"({"gpt":{"status":"ok"},"claude":{"status":"ok"}}})"));
  BOOST_TEST(result.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
