// The client-side limiter keeps a key under the server's limit and obeys its 429s.
#include <algorithm>
#include <vector>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(rate_limit_tests)

BOOST_AUTO_TEST_CASE(calls_beyond_the_limit_wait_for_the_next_window_and_never_see_a_429) {
  testing::mock_server_options so;
  so.rate_limit = 30;
  so.rate_window = 500ms;
  testing::mock_server server(so);
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::options_for(server));
  opts.rate_limit.requests_per_window = 30;
  opts.rate_limit.burst = 30;
  opts.rate_limit.window = 500ms;
  client c(ioc.get_executor(), opts);
  auto results = test::concurrent_calls(ioc, c, 45);
  int ok = 0;
  for (auto& r : results)
    ok += r.has_value();
  BOOST_TEST(ok == 45);
  BOOST_TEST(server.counters().responses_429 == 0u);
  BOOST_TEST(c.stats().rate_limit_waits == 15u); // exactly 30 went out at once
  BOOST_TEST(server.counters().health_requests == 45u);
}

BOOST_AUTO_TEST_CASE(the_second_windows_calls_go_out_in_the_second_window) {
  // The test above bounds the waiters from below (no 429, 15 waits); this one from above: a
  // limiter that held them a window too long (a period computed twice over, say) would pass
  // that one. A token returns one period (window x burst / per_window = 1 s) after its use, so
  // the 15 waiters go out between 1 s and 2 s after the start, never in the third window.
  testing::mock_server_options so;
  so.rate_limit = 30;
  so.rate_window = 1s;
  testing::mock_server server(so);
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::options_for(server));
  opts.rate_limit.requests_per_window = 30;
  opts.rate_limit.burst = 30;
  opts.rate_limit.window = 1s;
  client c(ioc.get_executor(), opts);
  using clock = std::chrono::steady_clock;
  std::vector<clock::duration> done_after;
  int ok = 0;
  const auto start = clock::now();
  for (int i = 0; i < 45; ++i)
    c.async_health([&](result<health_report> r) {
      ok += r.has_value();
      done_after.push_back(clock::now() - start);
    });
  BOOST_REQUIRE(test::run_until(ioc, [&] { return done_after.size() == 45; }));
  BOOST_TEST(ok == 45);
  BOOST_TEST(server.counters().responses_429 == 0u);
  std::sort(done_after.begin(), done_after.end());
  BOOST_TEST((done_after[29] < 1s));  // the first window's 30
  BOOST_TEST((done_after[30] >= 1s)); // the waiters, not before their tokens return
  BOOST_TEST((done_after[44] < 2s));  // ... and within the second window
}

BOOST_AUTO_TEST_CASE(fail_fast_mode_refuses_locally_when_no_token_is_free) {
  testing::mock_server server;
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::options_for(server));
  opts.rate_limit.burst = 2;
  opts.rate_limit.requests_per_window = 2;
  opts.rate_limit.mode = rate_limit_mode::fail_fast;
  client c(ioc.get_executor(), opts);
  auto results = test::concurrent_calls(ioc, c, 3);
  BOOST_TEST(results[0].has_value());
  BOOST_TEST(results[1].has_value());
  BOOST_REQUIRE(!results[2].has_value());
  BOOST_TEST(results[2].error().code == errc::rate_limited);
  BOOST_TEST(results[2].error().origin == error_origin::client);
  BOOST_TEST(results[2].error().http_status == 0);
  BOOST_TEST(server.counters().requests == 2u);
}

BOOST_AUTO_TEST_CASE(a_wait_longer_than_the_deadline_fails_at_once) {
  testing::mock_server server;
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::options_for(server));
  opts.rate_limit.burst = 1;
  opts.rate_limit.requests_per_window = 1;
  opts.rate_limit.window = 60s;
  client c(ioc.get_executor(), opts);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  const auto start = std::chrono::steady_clock::now();
  call_options co;
  co.timeout = 2s;
  auto r = test::one_call(ioc, c, co);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::rate_limited);
  BOOST_TEST(r.error().origin == error_origin::client);
  BOOST_TEST(r.error().http_status == 0);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 1s)); // did not sleep into the timeout
  BOOST_TEST(server.counters().requests == 1u);
}

BOOST_AUTO_TEST_CASE(one_429_pauses_every_queued_caller) {
  testing::mock_server_options so;
  so.rate_limit = 100'000;
  testing::mock_server server(so);
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::options_for(server));
  // One token every 50 ms: the queued callers are still waiting when the 429 arrives.
  opts.rate_limit.burst = 1;
  opts.rate_limit.requests_per_window = 20;
  opts.rate_limit.window = 1s;
  client c(ioc.get_executor(), opts);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value()); // warm connection: the 429 comes back fast

  server.script(
      429,
      R"({"error":{"code":"rate_limited","message":"slow down","status":429,"requestId":"req_00000429"}})",
      {{"Retry-After", "1"}});
  const auto start = std::chrono::steady_clock::now();
  auto results = test::concurrent_calls(ioc, c, 21);
  for (auto& r : results) {
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
    BOOST_TEST(r->meta.latency >= 900ms); // nobody went out during the pause
  }
  BOOST_TEST(server.counters().responses_429 == 1u);
  BOOST_TEST((std::chrono::steady_clock::now() - start >= 1s));
}

BOOST_AUTO_TEST_CASE(disabled_limiter_lets_everything_through) {
  testing::mock_server_options so;
  so.rate_limit = 100'000;
  testing::mock_server server(so);
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::options_for(server));
  opts.rate_limit.enabled = false;
  opts.rate_limit.burst = 1;
  client c(ioc.get_executor(), opts);
  auto results = test::concurrent_calls(ioc, c, 40);
  for (auto& r : results)
    BOOST_TEST(r.has_value());
  BOOST_TEST(c.stats().rate_limit_waits == 0u);
}

// A server error carrying X-RateLimit-Remaining: 0 pauses the limiter for a window; the retry
// then cannot get a token before the deadline. The final error must still be the server's own
// (code, status, request id), not a client-side rate_limited with HTTP status 0.
BOOST_AUTO_TEST_CASE(a_limiter_pause_never_hides_the_servers_error) {
  struct scenario {
    int status;
    const char* code;
  };
  for (const auto& [status, code] :
       {scenario{503, "service_unavailable"}, scenario{500, "internal_error"},
        scenario{429, "rate_limited"}}) {
    testing::mock_server server(test::generous_server());
    asio::io_context ioc;
    auto opts = test::uncoalesced(test::options_for(server));
    opts.retry.initial_backoff = std::chrono::milliseconds(5);
    client c(ioc.get_executor(), opts);
    server.script(status,
                  std::string(R"({"error":{"code":")") + code + R"(","message":"m","status":)" +
                      std::to_string(status) + R"(,"requestId":"req_server1"}})",
                  {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Limit", "30"}});
    call_options co;
    co.timeout = std::chrono::seconds(2);
    auto r = test::one_call(ioc, c, co);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(talkory::to_string(r.error().code) == code);
    BOOST_TEST(r.error().http_status == status);
    BOOST_TEST(r.error().origin == error_origin::server);
    BOOST_TEST(r.error().request_id == "req_server1");
    BOOST_TEST(r.error().attempts == 1);
    BOOST_TEST(server.counters().requests == 1u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
