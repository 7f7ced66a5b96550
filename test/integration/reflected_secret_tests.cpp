// A server (or a proxy in front of it) that echoes the request's Authorization header back: the
// key must not reach any field of an api_error or a report, nor what they print.
#include <sstream>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;

namespace {

const std::string key = testing::mock_server_options::demo_key_value;

bool leaks(const std::string& text) {
  return text.find(key) != std::string::npos;
}

void expect_no_key_in(const api_error& e) {
  std::ostringstream printed;
  printed << e;
  for (const auto& text :
       {e.message, e.request_id, e.server_code, e.body_snippet, e.describe(), printed.str()})
    BOOST_TEST(!leaks(text), text);
}

api_error failing_call(testing::mock_server& server) {
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  return r.error();
}

} // namespace

BOOST_AUTO_TEST_SUITE(reflected_secret_tests)

BOOST_AUTO_TEST_CASE(an_error_answer_echoing_the_key_is_scrubbed) {
  testing::mock_server server;
  server.script(
      401,
      R"({"error":{"code":"invalid_api_key","message":"bad header Authorization: Bearer )" + key +
          R"(","status":401,"requestId":")" + key + R"("}})",
      {{"X-Request-Id", key}});
  auto e = failing_call(server);
  BOOST_TEST(e.code == errc::invalid_api_key);
  BOOST_TEST(e.message.find("<redacted>") != std::string::npos, e.message);
  expect_no_key_in(e);
}

BOOST_AUTO_TEST_CASE(an_unknown_code_and_an_html_page_echoing_the_key_are_scrubbed) {
  testing::mock_server server;
  server.script(500, R"({"error":{"code":")" + key + R"(","message":"x","status":500}})");
  auto unknown = failing_call(server);
  BOOST_TEST(unknown.code == errc::unknown_api_error);
  expect_no_key_in(unknown);

  server.script(502,
                "<html><body>Proxy error. Request headers: Authorization: Bearer " + key +
                    "</body></html>",
                {{"X-Request-Id", "req_" + key}});
  auto html = failing_call(server);
  expect_no_key_in(html);
}

BOOST_AUTO_TEST_CASE(a_redirect_location_carrying_the_key_is_scrubbed) {
  testing::mock_server server;
  server.script(302, "", {{"Location", "https://elsewhere.invalid/login?token=" + key}});
  auto e = failing_call(server);
  BOOST_TEST(e.http_status == 302);
  expect_no_key_in(e);
}

BOOST_AUTO_TEST_CASE(a_report_whose_names_and_request_id_echo_the_key_is_scrubbed) {
  testing::mock_server server;
  server.script(200,
                R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{")" + key +
                    R"(":{"status":"ok"}},"requestId":")" + key + R"("})",
                {{"X-Request-Id", key}});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
  std::ostringstream printed;
  printed << *r;
  BOOST_TEST(!leaks(r->meta.request_id));
  BOOST_REQUIRE(r->providers.size() == 1u);
  BOOST_TEST(!leaks(r->providers[0].name));
  BOOST_TEST(!leaks(printed.str()), printed.str());
}

BOOST_AUTO_TEST_SUITE_END()
