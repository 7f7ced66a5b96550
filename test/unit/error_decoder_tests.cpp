// The error decoder: documented error bodies, unknown codes, and what proxies send instead.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "codec_test_support.hpp"
#include "error_decoder.hpp"

using namespace std::chrono_literals;
using talkory::api_error;
using talkory::errc;
using talkory::detail::http_response;

// Compared in assertions; not worth an operator<< in the library.
BOOST_TEST_DONT_PRINT_LOG_VALUE(talkory::error_origin)

namespace {

using codec_test::contains;
using codec_test::error_body;
using codec_test::make_response;

api_error decode_error_response(const http_response& response) {
  return talkory::detail::decode_error_response(response, codec_test::test_now);
}

} // namespace

BOOST_AUTO_TEST_SUITE(error_decoder_tests)

BOOST_AUTO_TEST_CASE(every_documented_status_and_code_maps_to_its_errc) {
  struct row {
    unsigned status;
    std::string_view code;
    errc expected;
  };
  const std::vector<row> table{
      {400, "invalid_request", errc::invalid_request},
      {401, "missing_api_key", errc::missing_api_key},
      {401, "invalid_api_key", errc::invalid_api_key},
      {402, "insufficient_balance", errc::insufficient_balance},
      {402, "spend_cap_reached", errc::spend_cap_reached},
      {403, "insufficient_scope", errc::insufficient_scope},
      {404, "not_found", errc::not_found},
      {413, "payload_too_large", errc::payload_too_large},
      {429, "rate_limited", errc::rate_limited},
      {500, "internal_error", errc::internal_error},
      {503, "service_unavailable", errc::service_unavailable},
  };
  // The rows name each of errc's server codes (invalid_request .. service_unavailable) once:
  // a server code added to errc without a row here fails, as does a row given twice.
  for (int v = static_cast<int>(errc::invalid_request);
       v <= static_cast<int>(errc::service_unavailable); ++v)
    BOOST_TEST(std::ranges::count(table, static_cast<errc>(v), &row::expected) == 1,
               "errc " << v << " must have exactly one row");
  BOOST_TEST(
      talkory::to_string(static_cast<errc>(static_cast<int>(errc::service_unavailable) + 1)) ==
      "invalid_options"); // the first client-side code: the server group ends before it
  for (const auto& [status, code, expected] : table) {
    BOOST_TEST_CONTEXT(code) {
      const auto error = decode_error_response(make_response(
          status, error_body(code, "Server says so.", static_cast<int>(status), "req_abc")));
      BOOST_TEST(error.code == expected);
      BOOST_TEST(error.origin == talkory::error_origin::server);
      BOOST_TEST(error.http_status == static_cast<int>(status));
      BOOST_TEST(error.server_code == code);
      BOOST_TEST(error.request_id == "req_abc");
      BOOST_TEST(error.message.starts_with("Server says so."));
      BOOST_TEST(error.body_snippet.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(documented_error_message_gets_the_spec_advice) {
  const auto error = decode_error_response(make_response(
      402, error_body("spend_cap_reached", "Monthly spend cap reached.", 402, "req_1")));
  BOOST_TEST(contains(error.message, "Monthly spend cap reached."));
  BOOST_TEST(contains(error.message, "raise the key's monthly spend cap or wait for next month"));
}

BOOST_AUTO_TEST_CASE(spec_example_error_describes_as_documented) {
  const auto error = decode_error_response(make_response(
      429, R"({"error":{"code":"rate_limited","message":"Rate limit exceeded. Slow down and retry.",
               "status":429,"requestId":"req_a1b2c3d4"}})"));
  BOOST_TEST(error.code == errc::rate_limited);
  BOOST_TEST(error.describe().starts_with(
      "rate_limited (HTTP 429): Rate limit exceeded. Slow down and retry."));
  BOOST_TEST(error.describe().ends_with("[request req_a1b2c3d4]"));
}

BOOST_AUTO_TEST_CASE(unknown_code_gives_unknown_api_error_keeping_the_code) {
  const auto error = decode_error_response(
      make_response(418, error_body("teapot", "I am a teapot.", 418, "req_t")));
  BOOST_TEST(error.code == errc::unknown_api_error);
  BOOST_TEST(error.origin == talkory::error_origin::server);
  BOOST_TEST(error.server_code == "teapot");
  BOOST_TEST(error.http_status == 418);
  BOOST_TEST(error.request_id == "req_t");
  BOOST_TEST(contains(error.message, "I am a teapot."));
  BOOST_TEST(contains(error.message, "\"teapot\""));
}

BOOST_AUTO_TEST_CASE(error_without_message_gets_the_category_text) {
  const auto error = decode_error_response(make_response(404, R"({"error":{"code":"not_found"}})"));
  BOOST_TEST(error.code == errc::not_found);
  BOOST_TEST(error.message == talkory::make_error_code(errc::not_found).message());
}

BOOST_AUTO_TEST_CASE(html_error_page_gives_unknown_api_error) {
  const auto error = decode_error_response(make_response(
      502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"));
  BOOST_TEST(error.code == errc::unknown_api_error);
  BOOST_TEST(error.origin == talkory::error_origin::server);
  BOOST_TEST(error.http_status == 502);
  BOOST_TEST(error.server_code.empty());
  BOOST_TEST(error.body_snippet.starts_with("<html><head><title>502 Bad Gateway"));
  BOOST_TEST(error.message.starts_with("HTTP 502 with a non-JSON body: <html>"), error.message);
}

BOOST_AUTO_TEST_CASE(plain_text_error_body_gives_unknown_api_error_with_a_snippet) {
  const auto error =
      decode_error_response(make_response(503, "upstream connect error\r\nreset reason: overflow"));
  BOOST_TEST(error.code == errc::unknown_api_error);
  BOOST_TEST(error.body_snippet == "upstream connect error  reset reason: overflow");
  BOOST_TEST(contains(error.message, "retry shortly"));
}

BOOST_AUTO_TEST_CASE(empty_error_body_gives_unknown_api_error) {
  const auto error = decode_error_response(make_response(500, ""));
  BOOST_TEST(error.code == errc::unknown_api_error);
  BOOST_TEST(error.http_status == 500);
  BOOST_TEST(contains(error.message, "HTTP 500 with an empty body"));
  BOOST_TEST(error.body_snippet.empty());
}

BOOST_AUTO_TEST_CASE(json_error_of_the_wrong_shape_gives_unknown_api_error) {
  for (const char* body : {R"({"message":"nope"})", R"({"error":"rate_limited"})",
                           R"({"error":{"code":429}})", R"({"error":{"message":"x"}})", "[]"}) {
    BOOST_TEST_CONTEXT(body) {
      const auto error = decode_error_response(make_response(400, body));
      BOOST_TEST(error.code == errc::unknown_api_error);
      BOOST_TEST(contains(error.message, "not the documented error shape"), error.message);
      BOOST_TEST(!error.body_snippet.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(redirect_message_names_the_location) {
  const auto error =
      decode_error_response(make_response(301, "", {{"Location", "https://talkory.ai/"}}));
  BOOST_TEST(error.code == errc::unknown_api_error);
  BOOST_TEST(contains(error.message, "redirects are not followed"));
  BOOST_TEST(contains(error.message, "https://talkory.ai/"));
}

BOOST_AUTO_TEST_CASE(request_id_falls_back_to_the_header) {
  const auto error = decode_error_response(
      make_response(500, R"({"error":{"code":"internal_error","message":"Oops."}})",
                    {{"X-Request-Id", "req_h"}}));
  BOOST_TEST(error.request_id == "req_h");
}

BOOST_AUTO_TEST_CASE(request_id_of_the_body_wins_over_the_header) {
  const auto error = decode_error_response(
      make_response(500, error_body("internal_error", "Oops.", 500, "req_body"),
                    {{"X-Request-Id", "req_header"}}));
  BOOST_TEST(error.request_id == "req_body");
}

BOOST_AUTO_TEST_CASE(non_json_error_keeps_the_request_id_header) {
  const auto error =
      decode_error_response(make_response(502, "Bad Gateway", {{"X-Request-Id", "req_gw"}}));
  BOOST_TEST(error.request_id == "req_gw");
}

BOOST_AUTO_TEST_CASE(retry_after_seconds_header_is_kept) {
  const auto error = decode_error_response(make_response(
      429, error_body("rate_limited", "Slow down.", 429, "req_r"), {{"Retry-After", "17"}}));
  BOOST_TEST_REQUIRE(error.retry_after.has_value());
  BOOST_TEST(error.retry_after->count() == 17);
}

BOOST_AUTO_TEST_CASE(retry_after_date_in_the_past_gives_zero) {
  const auto error = decode_error_response(
      make_response(503, "down", {{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}}));
  BOOST_TEST_REQUIRE(error.retry_after.has_value());
  BOOST_TEST(error.retry_after->count() == 0);
}

// The decoder reads no clock: an HTTP-date Retry-After is relative to the `now` it is given.
BOOST_AUTO_TEST_CASE(retry_after_http_date_is_relative_to_the_given_now) {
  const auto response = make_response(503, error_body("service_unavailable", "Down.", 503, "r"),
                                      {{"Retry-After", "Sat, 27 Jun 2026 10:01:30 GMT"}});
  const auto at_ten = talkory::detail::decode_error_response(response, codec_test::test_now);
  BOOST_TEST_REQUIRE(at_ten.retry_after.has_value());
  BOOST_TEST(at_ten.retry_after->count() == 90);
  const auto a_minute_later =
      talkory::detail::decode_error_response(response, codec_test::test_now + 1min);
  BOOST_TEST_REQUIRE(a_minute_later.retry_after.has_value());
  BOOST_TEST(a_minute_later.retry_after->count() == 30);
  const auto afterwards =
      talkory::detail::decode_error_response(response, codec_test::test_now + 1h);
  BOOST_TEST_REQUIRE(afterwards.retry_after.has_value());
  BOOST_TEST(afterwards.retry_after->count() == 0);
}

BOOST_AUTO_TEST_CASE(junk_or_missing_retry_after_gives_none) {
  const auto junk = decode_error_response(
      make_response(429, error_body("rate_limited", "x", 429, "r"), {{"Retry-After", "soon"}}));
  BOOST_TEST(!junk.retry_after.has_value());
  const auto missing =
      decode_error_response(make_response(429, error_body("rate_limited", "x", 429, "r")));
  BOOST_TEST(!missing.retry_after.has_value());
}

BOOST_AUTO_TEST_CASE(server_message_with_line_breaks_is_flattened_and_bounded) {
  const auto error = decode_error_response(
      make_response(500, R"({"error":{"code":"internal_error","message":"a\r\nb)" +
                             std::string(5000, 'c') + R"("}})"));
  BOOST_TEST(error.code == errc::internal_error);
  BOOST_TEST(error.message.find('\n') == std::string::npos);
  BOOST_TEST(error.message.size() < 1024u);
}

BOOST_AUTO_TEST_SUITE_END()
