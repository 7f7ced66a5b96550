// Every documented error reaches the caller as its errc, with status, message and request id.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;

namespace {

std::string error_body(std::string_view code, int status, std::string_view request_id) {
  boost::json::value v = {
      {"error",
       {{"code", code}, {"message", "scripted"}, {"status", status}, {"requestId", request_id}}}};
  return boost::json::serialize(v);
}

struct documented_error {
  int status;
  const char* code;
  errc expected;
};

} // namespace

BOOST_AUTO_TEST_SUITE(error_mapping_tests)

BOOST_AUTO_TEST_CASE(every_documented_error_maps_to_its_errc_end_to_end) {
  const documented_error table[] = {
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
  testing::mock_server server;
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  for (const auto& row : table) {
    BOOST_TEST_CONTEXT(row.code) {
      server.script(row.status, error_body(row.code, row.status, "req_0000beef"));
      auto r = test::one_call(ioc, c);
      BOOST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().code == row.expected);
      BOOST_TEST(r.error().origin == error_origin::server);
      BOOST_TEST(r.error().http_status == row.status);
      BOOST_TEST(r.error().request_id == "req_0000beef");
      BOOST_TEST(r.error().message.find("scripted") != std::string::npos);
      BOOST_TEST(r.error().attempts == 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_key_is_invalid_api_key_from_the_server) {
  testing::mock_server server;
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.api_key = "tk_live_not_a_key_the_server_knows";
  client c(ioc.get_executor(), opts);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::invalid_api_key);
  BOOST_TEST(r.error().http_status == 401);
  BOOST_TEST(r.error().request_id.starts_with("req_"));
  BOOST_TEST(r.error().describe().find(opts.api_key) == std::string::npos);
  BOOST_TEST(server.counters().requests == 1u); // 401 is never retried
}

BOOST_AUTO_TEST_CASE(revoked_key_and_missing_scope_are_refused) {
  testing::mock_server_options so;
  so.keys.push_back({"tk_live_revoked000000000000000000000000", true});
  so.keys.push_back({"tk_live_noscope000000000000000000000000", false, false});
  testing::mock_server server(so);
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.api_key = "tk_live_revoked000000000000000000000000";
  {
    client c(ioc.get_executor(), opts);
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().code == errc::invalid_api_key);
  }
  opts.api_key = "tk_live_noscope000000000000000000000000";
  {
    client c(ioc.get_executor(), opts);
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().code == errc::insufficient_scope);
    BOOST_TEST(r.error().http_status == 403);
  }
}

BOOST_AUTO_TEST_CASE(unknown_path_prefix_gives_not_found) {
  testing::mock_server server;
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.base_url += "/no-such-prefix";
  client c(ioc.get_executor(), opts);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::not_found);
  BOOST_TEST(r.error().http_status == 404);
}

BOOST_AUTO_TEST_CASE(server_rate_limit_gives_rate_limited_with_retry_after) {
  testing::mock_server_options so;
  so.rate_limit = 1;
  testing::mock_server server(so);
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.rate_limit.enabled = false; // let the server be the one to refuse
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  BOOST_TEST(test::one_call(ioc, c).has_value());
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::rate_limited);
  BOOST_TEST(r.error().origin == error_origin::server);
  BOOST_TEST(r.error().http_status == 429);
  BOOST_REQUIRE(r.error().retry_after.has_value());
  BOOST_TEST(r.error().retry_after->count() >= 1);
}

BOOST_AUTO_TEST_CASE(html_error_page_gives_unknown_api_error_with_a_snippet) {
  testing::mock_server server;
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  server.script({502, "<html><body>Bad gateway</body></html>", {{"Content-Type", "text/html"}}});
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::unknown_api_error);
  BOOST_TEST(r.error().http_status == 502);
  BOOST_TEST(r.error().body_snippet.find("Bad gateway") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_success_body_gives_invalid_response) {
  testing::mock_server server;
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  server.script(200, R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":)");
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::invalid_response);
  BOOST_TEST(r.error().http_status == 200);
}

BOOST_AUTO_TEST_CASE(oversized_body_gives_response_too_large) {
  testing::mock_server server;
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.max_response_body = 1024;
  client c(ioc.get_executor(), opts);
  server.script(200, std::string(4096, ' '));
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::response_too_large);
  BOOST_TEST(server.counters().requests == 1u); // not retried
}

BOOST_AUTO_TEST_CASE(connection_closed_mid_response_gives_connection_lost) {
  testing::mock_server server;
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  testing::scripted_response cut;
  cut.body = R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{}})";
  cut.inject = testing::fault::close_mid_response;
  server.script(cut);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::connection_lost);
  BOOST_TEST(c.stats().stale_retries == 0u); // bytes had arrived: never replayed silently
}

BOOST_AUTO_TEST_CASE(invalid_options_fail_every_call_without_sending) {
  testing::mock_server server;
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.api_key = "tk_live_bad\r\nX-Injected: 1";
  client c(ioc.get_executor(), opts);
  BOOST_REQUIRE(c.options_error().has_value());
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::invalid_options);
  BOOST_TEST(r.error().message.find("X-Injected") == std::string::npos);
  BOOST_TEST(server.counters().connections_accepted == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
