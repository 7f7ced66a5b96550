// Retries where the service says they help, never elsewhere, all under one deadline.
#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

namespace {

std::string error_body(int status) {
  return R"({"error":{"code":"x","message":"scripted","status":)" + std::to_string(status) +
         R"(,"requestId":"req_)" + std::to_string(status) + R"("}})";
}

} // namespace

BOOST_AUTO_TEST_SUITE(retry_tests)

BOOST_AUTO_TEST_CASE(each_retryable_status_succeeds_on_the_next_attempt) {
  for (int status : {429, 500, 502, 503, 504}) {
    BOOST_TEST_CONTEXT("HTTP " << status) {
      testing::mock_server server(test::generous_server());
      asio::io_context ioc;
      client c(ioc.get_executor(), test::options_for(server));
      server.script(status, error_body(status));
      auto r = test::one_call(ioc, c);
      BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
      BOOST_TEST(r->meta.attempts == 2);
      BOOST_TEST(server.counters().requests == 2u);
      BOOST_TEST(c.stats().retries == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(each_non_retryable_status_is_returned_after_one_request) {
  for (int status : {400, 401, 402, 403, 404, 413}) {
    BOOST_TEST_CONTEXT("HTTP " << status) {
      testing::mock_server server(test::generous_server());
      asio::io_context ioc;
      client c(ioc.get_executor(), test::options_for(server));
      server.script(status, error_body(status));
      auto r = test::one_call(ioc, c);
      BOOST_REQUIRE(!r.has_value());
      BOOST_TEST(r.error().http_status == status);
      BOOST_TEST(r.error().attempts == 1);
      BOOST_TEST(server.counters().requests == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(final_error_carries_attempts_and_the_last_request_id) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  for (int i = 0; i < 3; ++i)
    server.script(
        503,
        R"({"error":{"code":"service_unavailable","message":"down","status":503,"requestId":"req_try)" +
            std::to_string(i) + R"("}})");
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::service_unavailable);
  BOOST_TEST(r.error().attempts == 3); // the first attempt and 2 retries (the default)
  BOOST_TEST(r.error().request_id == "req_try2");
  BOOST_TEST(server.counters().requests == 3u);
}

BOOST_AUTO_TEST_CASE(retry_after_above_the_cap_is_returned_at_once) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  server.script(
      429,
      R"({"error":{"code":"rate_limited","message":"slow down","status":429,"requestId":"req_1"}})",
      {{"Retry-After", "120"}});
  const auto start = std::chrono::steady_clock::now();
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::rate_limited);
  BOOST_REQUIRE(r.error().retry_after.has_value());
  BOOST_TEST(r.error().retry_after->count() == 120);
  BOOST_TEST(r.error().attempts == 1);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
}

BOOST_AUTO_TEST_CASE(retry_after_is_honoured_before_the_next_attempt) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  server.script(503, error_body(503), {{"Retry-After", "1"}});
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->meta.latency >= 1s);
}

BOOST_AUTO_TEST_CASE(junk_retry_after_falls_back_to_backoff) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  server.script(503, error_body(503), {{"Retry-After", "soon-ish"}});
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->meta.latency < 1s); // the 5..20 ms test backoff, not a misread header
}

BOOST_AUTO_TEST_CASE(overall_deadline_holds_across_retries) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.retry.max_retries = 50;
  client c(ioc.get_executor(), opts);
  testing::scripted_response slow_503{503, error_body(503), {}, 200ms};
  for (int i = 0; i < 20; ++i)
    server.script(slow_503);
  call_options co;
  co.timeout = 1s;
  const auto start = std::chrono::steady_clock::now();
  auto r = test::one_call(ioc, c, co);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST((r.error().code == errc::timeout || r.error().code == errc::service_unavailable));
  BOOST_TEST((elapsed < 1s + 250ms));
  BOOST_TEST(r.error().attempts >= 2);
}

BOOST_AUTO_TEST_CASE(silent_server_triggers_the_attempt_timeout) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.retry.max_retries = 0;
  opts.timeouts.attempt = 300ms;
  client c(ioc.get_executor(), opts);
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  const auto start = std::chrono::steady_clock::now();
  auto r = test::one_call(ioc, c);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::timeout);
  BOOST_TEST((elapsed >= 300ms && elapsed < 3s));
}

BOOST_AUTO_TEST_CASE(timed_out_attempt_is_retried) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.timeouts.attempt = 300ms;
  client c(ioc.get_executor(), opts);
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
  BOOST_TEST(r->meta.attempts == 2);
}

BOOST_AUTO_TEST_SUITE_END()
