// The request the client sends for an API endpoint, and the header values it reads back.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <sstream>
#include <string>

#include <boost/beast/http/write.hpp>

#include "base_url.hpp"
#include "codec_test_support.hpp"
#include "http_message.hpp"

// Compared in assertions; not worth an operator<< in the library.
BOOST_TEST_DONT_PRINT_LOG_VALUE(boost::beast::http::verb)

namespace {

namespace http = boost::beast::http;
using codec_test::make_response;

talkory::detail::origin origin_of(std::string_view url, bool insecure = false) {
  auto o = talkory::detail::parse_base_url(url, insecure);
  BOOST_TEST_REQUIRE(o.has_value());
  return *o;
}

talkory::detail::http_request get_request(const talkory::detail::origin& o, std::string_view path,
                                          std::string_view api_key, std::string_view user_agent) {
  return talkory::detail::make_request(o, http::verb::get, path, {}, api_key, user_agent);
}

std::string wire_bytes(const talkory::detail::http_request& request) {
  std::ostringstream wire;
  wire << request;
  return wire.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_message_tests)

// ---------------------------------------------------------------------------------------------
// Requests

BOOST_AUTO_TEST_CASE(get_request_carries_host_bearer_key_user_agent_and_accept) {
  const auto request = get_request(origin_of("https://api.talkory.ai"), "/v1/health/llm",
                                   "tk_live_abc", "talkory-cpp/0.1");
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
  const auto request =
      get_request(origin_of("http://127.0.0.1:8080/gateway/", true), "/v1/health/llm", "k", "ua");
  BOOST_TEST(request.target() == "/gateway/v1/health/llm");
  BOOST_TEST(request[http::field::host] == "127.0.0.1:8080");
}

// The exact bytes: no Content-Length or Content-Type on a GET without a body, no Connection.
BOOST_AUTO_TEST_CASE(get_request_bytes_on_the_wire) {
  const auto request = get_request(origin_of("https://api.talkory.ai"), "/v1/health/llm",
                                   "tk_live_abc", "talkory-cpp/0.1");
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
  const auto request = get_request(origin_of("https://api.talkory.ai"), "/v1/health/llm", "k", "");
  BOOST_TEST(request.count(http::field::user_agent) == 0u);
}

BOOST_AUTO_TEST_CASE(request_with_a_body_sends_it_as_json_with_its_length) {
  const auto request =
      talkory::detail::make_request(origin_of("https://api.talkory.ai/gw"), http::verb::post,
                                    "/v1/things", R"({"a":1})", "tk_live_abc", "talkory-cpp/0.1");
  BOOST_TEST(wire_bytes(request) == "POST /gw/v1/things HTTP/1.1\r\n"
                                    "Host: api.talkory.ai\r\n"
                                    "Authorization: Bearer tk_live_abc\r\n"
                                    "User-Agent: talkory-cpp/0.1\r\n"
                                    "Accept: application/json\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Content-Length: 7\r\n"
                                    "\r\n"
                                    R"({"a":1})");
}

// RFC 9110 8.6: a POST without content still says so, so that no proxy waits for a body.
BOOST_AUTO_TEST_CASE(post_without_a_body_sends_a_zero_length_and_no_content_type) {
  const auto request = talkory::detail::make_request(origin_of("https://api.talkory.ai"),
                                                     http::verb::post, "/v1/x", {}, "k", "");
  BOOST_TEST(request[http::field::content_length] == "0");
  BOOST_TEST(request.count(http::field::content_type) == 0u);
}

// ---------------------------------------------------------------------------------------------
// Headers

BOOST_AUTO_TEST_CASE(header_value_is_case_insensitive_and_empty_when_absent) {
  const auto response = make_response(200, "", {{"X-Request-Id", "req_1"}});
  BOOST_TEST(talkory::detail::header_value(response, "x-request-id") == "req_1");
  BOOST_TEST(talkory::detail::has_header(response, "X-REQUEST-ID"));
  BOOST_TEST(talkory::detail::header_value(response, "Retry-After").empty());
  BOOST_TEST(!talkory::detail::has_header(response, "Retry-After"));
}

// The first of a repeated field, as received, whatever the fields before and after it; names of
// the same length, prefixes and extensions of the name are other fields.
BOOST_AUTO_TEST_CASE(header_value_is_the_first_field_of_that_name) {
  auto response = make_response(200, "", {{"X-Request-Ix", "no"}, {"X-Request", "no"}});
  response.insert("X-Request-Ids", "no");
  response.insert("x-request-id", "first");
  response.insert("X-Request-Id", "second");
  response.insert("X-RateLimit-Remaining", "7");
  BOOST_TEST(talkory::detail::header_value(response, "X-Request-Id") == "first");
  BOOST_TEST(talkory::detail::header_value(response, "x-ratelimit-remaining") == "7");
  BOOST_TEST(!talkory::detail::has_header(response, "X-Request-I"));
  BOOST_TEST(talkory::detail::header_value(response, "X-Request-Idx").empty());
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

BOOST_AUTO_TEST_SUITE_END()
