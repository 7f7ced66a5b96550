// The codec against every shape of response the service (or something in front of it) may send.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/write.hpp>

#include "codec.hpp"

using namespace std::chrono_literals;
using talkory::api_error;
using talkory::errc;
using talkory::detail::http_response;

// Compared in assertions; not worth an operator<< in the library.
BOOST_TEST_DONT_PRINT_LOG_VALUE(talkory::error_origin)
BOOST_TEST_DONT_PRINT_LOG_VALUE(boost::beast::http::verb)

namespace {

namespace http = boost::beast::http;
using header_list = std::initializer_list<std::pair<std::string_view, std::string_view>>;

http_response make_response(unsigned status, std::string body, header_list headers = {}) {
  http_response response{static_cast<http::status>(status), 11};
  for (const auto& [name, value] : headers)
    response.set(boost::beast::string_view(name.data(), name.size()),
                 boost::beast::string_view(value.data(), value.size()));
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

const std::string spec_body = R"({
  "status": "ok",
  "checkedAt": "2026-06-27T10:00:00.000Z",
  "providers": {
    "gpt":        { "status": "ok" },
    "claude":     { "status": "ok" },
    "gemini":     { "status": "ok" },
    "grok":       { "status": "error" },
    "perplexity": { "status": "ok" }
  }
})";

// Decodes a 200 body that must be refused, returning the error.
api_error refused(std::string body) {
  const auto result = talkory::detail::decode_health_response(make_response(200, std::move(body)));
  BOOST_TEST_REQUIRE(!result.has_value());
  return result.error();
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string error_body(std::string_view code, std::string_view message, int status,
                       std::string_view request_id) {
  return R"({"error":{"code":")" + std::string(code) + R"(","message":")" + std::string(message) +
         R"(","status":)" + std::to_string(status) + R"(,"requestId":")" + std::string(request_id) +
         R"("}})";
}

talkory::detail::endpoint endpoint_of(std::string_view url, bool insecure = false) {
  auto ep = talkory::detail::parse_base_url(url, insecure);
  BOOST_TEST_REQUIRE(ep.has_value());
  return *ep;
}

const auto fixed_now = std::chrono::sys_days{std::chrono::year{1994} / 11 / 6} + 8h + 49min;

} // namespace

BOOST_AUTO_TEST_SUITE(codec_tests)

// ---------------------------------------------------------------------------------------------
// Requests

BOOST_AUTO_TEST_CASE(get_request_carries_host_bearer_key_user_agent_and_accept) {
  const auto request = talkory::detail::make_get_request(
      endpoint_of("https://api.talkory.ai"), "/v1/health/llm", "tk_live_abc", "talkory-cpp/0.1");
  BOOST_TEST(request.method() == http::verb::get);
  BOOST_TEST(request.version() == 11);
  BOOST_TEST(request.target() == "/v1/health/llm");
  BOOST_TEST(request[http::field::host] == "api.talkory.ai");
  BOOST_TEST(request[http::field::authorization] == "Bearer tk_live_abc");
  BOOST_TEST(request[http::field::user_agent] == "talkory-cpp/0.1");
  BOOST_TEST(request[http::field::accept] == "application/json");
  BOOST_TEST(request.keep_alive());
  BOOST_TEST(request.count(http::field::connection) == 0u);
}

BOOST_AUTO_TEST_CASE(get_request_target_includes_the_path_prefix_and_host_the_port) {
  const auto request = talkory::detail::make_get_request(
      endpoint_of("http://127.0.0.1:8080/gateway/", true), "/v1/health/llm", "k", "ua");
  BOOST_TEST(request.target() == "/gateway/v1/health/llm");
  BOOST_TEST(request[http::field::host] == "127.0.0.1:8080");
}

// The exact bytes: no Content-Length or Content-Type on a GET without a body, no Connection.
BOOST_AUTO_TEST_CASE(get_request_bytes_on_the_wire) {
  const auto request = talkory::detail::make_get_request(
      endpoint_of("https://api.talkory.ai"), "/v1/health/llm", "tk_live_abc", "talkory-cpp/0.1");
  std::ostringstream wire;
  wire << request;
  BOOST_TEST(wire.str() == "GET /v1/health/llm HTTP/1.1\r\n"
                           "Host: api.talkory.ai\r\n"
                           "Authorization: Bearer tk_live_abc\r\n"
                           "User-Agent: talkory-cpp/0.1\r\n"
                           "Accept: application/json\r\n"
                           "\r\n");
}

BOOST_AUTO_TEST_CASE(get_request_without_user_agent_sends_none) {
  const auto request = talkory::detail::make_get_request(endpoint_of("https://api.talkory.ai"),
                                                         "/v1/health/llm", "k", "");
  BOOST_TEST(request.count(http::field::user_agent) == 0u);
}

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

// ---------------------------------------------------------------------------------------------
// Health: the documented answer

BOOST_AUTO_TEST_CASE(spec_example_decodes_to_a_report) {
  const auto result = talkory::detail::decode_health_response(make_response(200, spec_body));
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
  const auto result = talkory::detail::decode_health_response(
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
  const auto result = talkory::detail::decode_health_response(
      make_response(200, R"({"status":"ok","checkedAt":"2026-06-27T10:00:00Z","providers":{
        "gpt":{"status":"ok"},"mistral":{"status":"ok"}}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST_REQUIRE(result->find("mistral") != nullptr);
  BOOST_TEST(result->providers.back().name == "mistral");
}

BOOST_AUTO_TEST_CASE(unknown_provider_status_is_kept_as_unknown_with_its_raw_value) {
  const auto result = talkory::detail::decode_health_response(
      make_response(200, R"({"status":"degraded","checkedAt":"2026-06-27T10:00:00Z","providers":{
        "gpt":{"status":"maintenance"}}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(talkory::to_string(result->status) == "degraded");
  BOOST_TEST(talkory::to_string(result->providers[0].status) == "unknown");
  BOOST_TEST(result->providers[0].raw_status == "maintenance");
  BOOST_TEST(!result->all_ok());
}

BOOST_AUTO_TEST_CASE(unknown_overall_status_is_kept_as_unknown_with_its_raw_value) {
  const auto result = talkory::detail::decode_health_response(make_response(
      200, R"({"status":"partial","checkedAt":"2026-06-27T10:00:00Z","providers":{}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(talkory::to_string(result->status) == "unknown");
  BOOST_TEST(result->raw_status == "partial");
  BOOST_TEST(result->providers.empty());
}

BOOST_AUTO_TEST_CASE(extra_fields_are_ignored) {
  const auto result = talkory::detail::decode_health_response(make_response(
      200, R"({"status":"ok","version":3,"checkedAt":"2026-06-27T10:00:00Z","cache":{"ttl":300},
        "providers":{"gpt":{"status":"ok","latencyMs":120,"region":["us","eu"]}}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(result->providers.size() == 1u);
}

BOOST_AUTO_TEST_CASE(checked_at_with_an_offset_is_converted_to_utc) {
  const auto result = talkory::detail::decode_health_response(make_response(
      200, R"({"status":"ok","checkedAt":"2026-06-27T12:00:00.250+02:00","providers":{}})"));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(talkory::format_iso8601(result->checked_at) == "2026-06-27T10:00:00.250Z");
}

BOOST_AUTO_TEST_CASE(request_id_and_rate_limit_headers_fill_the_metadata) {
  const auto result = talkory::detail::decode_health_response(make_response(
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
  const auto result = talkory::detail::decode_health_response(
      make_response(200, spec_body, {{"X-RateLimit-Limit", "thirty"}}));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(!result->meta.rate_limit_limit.has_value());
  BOOST_TEST(!result->meta.rate_limit_remaining.has_value());
  BOOST_TEST(result->meta.request_id.empty());
}

BOOST_AUTO_TEST_CASE(other_2xx_status_with_a_valid_body_is_accepted) {
  const auto result = talkory::detail::decode_health_response(make_response(203, spec_body));
  BOOST_TEST_REQUIRE(result.has_value());
  BOOST_TEST(result->meta.http_status == 203);
}

// ---------------------------------------------------------------------------------------------
// Health: malformed 200 bodies

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
  const auto result = talkory::detail::decode_health_response(
      make_response(200, "oops", {{"X-Request-Id", "req_9"}}));
  BOOST_TEST_REQUIRE(!result.has_value());
  BOOST_TEST(result.error().request_id == "req_9");
}

BOOST_AUTO_TEST_CASE(huge_garbage_body_gives_a_bounded_message) {
  const auto error = refused(std::string(1024 * 1024, 'x'));
  BOOST_TEST(error.code == errc::invalid_response);
  BOOST_TEST(error.message.size() < 1024u);
}

BOOST_AUTO_TEST_CASE(non_2xx_health_response_is_decoded_as_an_error_response) {
  const auto result = talkory::detail::decode_health_response(
      make_response(429, error_body("rate_limited", "Slow down.", 429, "req_1")));
  BOOST_TEST_REQUIRE(!result.has_value());
  BOOST_TEST(result.error().code == errc::rate_limited);
  BOOST_TEST(result.error().origin == talkory::error_origin::server);
}

// ---------------------------------------------------------------------------------------------
// Error responses

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
  BOOST_TEST(table.size() == 11u);
  for (const auto& [status, code, expected] : table) {
    BOOST_TEST_CONTEXT(code) {
      const auto error = talkory::detail::decode_error_response(make_response(
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
  const auto error = talkory::detail::decode_error_response(make_response(
      402, error_body("spend_cap_reached", "Monthly spend cap reached.", 402, "req_1")));
  BOOST_TEST(contains(error.message, "Monthly spend cap reached."));
  BOOST_TEST(contains(error.message, "raise the key's monthly spend cap or wait for next month"));
}

BOOST_AUTO_TEST_CASE(spec_example_error_describes_as_documented) {
  const auto error = talkory::detail::decode_error_response(make_response(
      429, R"({"error":{"code":"rate_limited","message":"Rate limit exceeded. Slow down and retry.",
               "status":429,"requestId":"req_a1b2c3d4"}})"));
  BOOST_TEST(error.code == errc::rate_limited);
  BOOST_TEST(error.describe().starts_with(
      "rate_limited (HTTP 429): Rate limit exceeded. Slow down and retry."));
  BOOST_TEST(error.describe().ends_with("[request req_a1b2c3d4]"));
}

BOOST_AUTO_TEST_CASE(unknown_code_gives_unknown_api_error_keeping_the_code) {
  const auto error = talkory::detail::decode_error_response(
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
  const auto error = talkory::detail::decode_error_response(
      make_response(404, R"({"error":{"code":"not_found"}})"));
  BOOST_TEST(error.code == errc::not_found);
  BOOST_TEST(error.message == talkory::make_error_code(errc::not_found).message());
}

BOOST_AUTO_TEST_CASE(html_error_page_gives_unknown_api_error) {
  const auto error = talkory::detail::decode_error_response(make_response(
      502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"));
  BOOST_TEST(error.code == errc::unknown_api_error);
  BOOST_TEST(error.origin == talkory::error_origin::server);
  BOOST_TEST(error.http_status == 502);
  BOOST_TEST(error.server_code.empty());
  BOOST_TEST(error.body_snippet.starts_with("<html><head><title>502 Bad Gateway"));
  BOOST_TEST(error.message.starts_with("HTTP 502 with a non-JSON body: <html>"), error.message);
}

BOOST_AUTO_TEST_CASE(plain_text_error_body_gives_unknown_api_error_with_a_snippet) {
  const auto error = talkory::detail::decode_error_response(
      make_response(503, "upstream connect error\r\nreset reason: overflow"));
  BOOST_TEST(error.code == errc::unknown_api_error);
  BOOST_TEST(error.body_snippet == "upstream connect error  reset reason: overflow");
  BOOST_TEST(contains(error.message, "retry shortly"));
}

BOOST_AUTO_TEST_CASE(empty_error_body_gives_unknown_api_error) {
  const auto error = talkory::detail::decode_error_response(make_response(500, ""));
  BOOST_TEST(error.code == errc::unknown_api_error);
  BOOST_TEST(error.http_status == 500);
  BOOST_TEST(contains(error.message, "HTTP 500 with an empty body"));
  BOOST_TEST(error.body_snippet.empty());
}

BOOST_AUTO_TEST_CASE(json_error_of_the_wrong_shape_gives_unknown_api_error) {
  for (const char* body : {R"({"message":"nope"})", R"({"error":"rate_limited"})",
                           R"({"error":{"code":429}})", R"({"error":{"message":"x"}})", "[]"}) {
    BOOST_TEST_CONTEXT(body) {
      const auto error = talkory::detail::decode_error_response(make_response(400, body));
      BOOST_TEST(error.code == errc::unknown_api_error);
      BOOST_TEST(contains(error.message, "not the documented error shape"), error.message);
      BOOST_TEST(!error.body_snippet.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(redirect_message_names_the_location) {
  const auto error = talkory::detail::decode_error_response(
      make_response(301, "", {{"Location", "https://talkory.ai/"}}));
  BOOST_TEST(error.code == errc::unknown_api_error);
  BOOST_TEST(contains(error.message, "redirects are not followed"));
  BOOST_TEST(contains(error.message, "https://talkory.ai/"));
}

BOOST_AUTO_TEST_CASE(request_id_falls_back_to_the_header) {
  const auto error = talkory::detail::decode_error_response(
      make_response(500, R"({"error":{"code":"internal_error","message":"Oops."}})",
                    {{"X-Request-Id", "req_h"}}));
  BOOST_TEST(error.request_id == "req_h");
}

BOOST_AUTO_TEST_CASE(request_id_of_the_body_wins_over_the_header) {
  const auto error = talkory::detail::decode_error_response(
      make_response(500, error_body("internal_error", "Oops.", 500, "req_body"),
                    {{"X-Request-Id", "req_header"}}));
  BOOST_TEST(error.request_id == "req_body");
}

BOOST_AUTO_TEST_CASE(non_json_error_keeps_the_request_id_header) {
  const auto error = talkory::detail::decode_error_response(
      make_response(502, "Bad Gateway", {{"X-Request-Id", "req_gw"}}));
  BOOST_TEST(error.request_id == "req_gw");
}

BOOST_AUTO_TEST_CASE(retry_after_seconds_header_is_kept) {
  const auto error = talkory::detail::decode_error_response(make_response(
      429, error_body("rate_limited", "Slow down.", 429, "req_r"), {{"Retry-After", "17"}}));
  BOOST_TEST_REQUIRE(error.retry_after.has_value());
  BOOST_TEST(error.retry_after->count() == 17);
}

BOOST_AUTO_TEST_CASE(retry_after_date_in_the_past_gives_zero) {
  const auto error = talkory::detail::decode_error_response(
      make_response(503, "down", {{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}}));
  BOOST_TEST_REQUIRE(error.retry_after.has_value());
  BOOST_TEST(error.retry_after->count() == 0);
}

BOOST_AUTO_TEST_CASE(junk_or_missing_retry_after_gives_none) {
  const auto junk = talkory::detail::decode_error_response(
      make_response(429, error_body("rate_limited", "x", 429, "r"), {{"Retry-After", "soon"}}));
  BOOST_TEST(!junk.retry_after.has_value());
  const auto missing = talkory::detail::decode_error_response(
      make_response(429, error_body("rate_limited", "x", 429, "r")));
  BOOST_TEST(!missing.retry_after.has_value());
}

BOOST_AUTO_TEST_CASE(server_message_with_line_breaks_is_flattened_and_bounded) {
  const auto error = talkory::detail::decode_error_response(
      make_response(500, R"({"error":{"code":"internal_error","message":"a\r\nb)" +
                             std::string(5000, 'c') + R"("}})"));
  BOOST_TEST(error.code == errc::internal_error);
  BOOST_TEST(error.message.find('\n') == std::string::npos);
  BOOST_TEST(error.message.size() < 1024u);
}

// ---------------------------------------------------------------------------------------------
// Retry-After and header integers

BOOST_AUTO_TEST_CASE(retry_after_delay_seconds_are_parsed) {
  using talkory::detail::parse_retry_after;
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  BOOST_TEST(parse_retry_after("0", now)->count() == 0);
  BOOST_TEST(parse_retry_after("30", now)->count() == 30);
  BOOST_TEST(parse_retry_after(" 120 ", now)->count() == 120);
  BOOST_TEST(parse_retry_after("007", now)->count() == 7);
  BOOST_TEST(parse_retry_after("86400", now)->count() == 86400);
}

BOOST_AUTO_TEST_CASE(retry_after_junk_signs_and_absurd_values_give_nothing) {
  using talkory::detail::parse_retry_after;
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  for (const char* value : {"", " ", "-1", "+5", "1.5", "5s", "0x10", "1e3", "86401",
                            "99999999999999999999999999", "soon", "30, 40"}) {
    BOOST_TEST_CONTEXT(value) {
      BOOST_TEST(!parse_retry_after(value, now).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_is_relative_to_now) {
  using talkory::detail::parse_retry_after;
  const auto now = std::chrono::system_clock::time_point{fixed_now}; // 08:49:00
  const auto delay = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now);
  BOOST_TEST_REQUIRE(delay.has_value());
  BOOST_TEST(delay->count() == 37);
  // A partial second rounds up: waiting too little would only earn another 429.
  const auto later = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 500ms);
  BOOST_TEST(later->count() == 37);
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_in_the_past_gives_zero) {
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  const auto delay = talkory::detail::parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now);
  BOOST_TEST_REQUIRE(delay.has_value());
  BOOST_TEST(delay->count() == 0);
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_more_than_a_day_ahead_gives_nothing) {
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  BOOST_TEST(!talkory::detail::parse_retry_after("Tue, 08 Nov 1994 08:49:37 GMT", now));
}

BOOST_AUTO_TEST_CASE(retry_after_malformed_http_dates_give_nothing) {
  using talkory::detail::parse_retry_after;
  const auto now = std::chrono::system_clock::time_point{fixed_now};
  for (const char* value : {
           "Sun, 06 Nov 1994 08:49:37 UTC",  // zone must be GMT
           "Sun, 6 Nov 1994 08:49:37 GMT",   // day is two digits
           "Sun, 06 nov 1994 08:49:37 GMT",  // month names are case-sensitive
           "Xyz, 06 Nov 1994 08:49:37 GMT",  // no such day
           "Sun, 31 Nov 1994 08:49:37 GMT",  // no such date
           "Sun, 06 Nov 1994 24:00:00 GMT",  // hour out of range
           "Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850 form
           "Sun Nov  6 08:49:37 1994",       // obsolete asctime form
           "Sun, 06 Nov 1994 08:49:37 GMT junk",
       }) {
    BOOST_TEST_CONTEXT(value) {
      BOOST_TEST(!parse_retry_after(value, now).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(header_integers_accept_digits_only) {
  using talkory::detail::parse_header_integer;
  BOOST_TEST(*parse_header_integer("0") == 0);
  BOOST_TEST(*parse_header_integer("30") == 30);
  BOOST_TEST(*parse_header_integer(" 29\t") == 29);
  BOOST_TEST(*parse_header_integer("9223372036854775807") == INT64_MAX);
  for (const char* value : {"", " ", "-1", "+1", "1.0", "1e2", "abc", "12abc",
                            "9223372036854775808", "99999999999999999999999"}) {
    BOOST_TEST_CONTEXT(value) {
      BOOST_TEST(!parse_header_integer(value).has_value());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Snippets

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

// ---------------------------------------------------------------------------------------------
// The report's helpers

BOOST_AUTO_TEST_CASE(find_returns_null_for_an_absent_provider) {
  const auto result = talkory::detail::decode_health_response(make_response(200, spec_body));
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
  const auto result = talkory::detail::decode_health_response(
      make_response(200, spec_body, {{"X-Request-Id", "req_5"}}));
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

BOOST_AUTO_TEST_SUITE_END()
