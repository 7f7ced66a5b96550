// Single-flight, on by default: concurrent calls share one request and its result, each caller
// keeping its own cancellation.
#include <algorithm>
#include <array>
#include <atomic>

#include <boost/asio/thread_pool.hpp>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

namespace {

// The default options: coalescing is not switched on here, it is the default.
client_options coalescing(const testing::mock_server& server) {
  return test::unthrottled(server);
}


} // namespace

BOOST_AUTO_TEST_SUITE(single_flight_tests)

BOOST_AUTO_TEST_CASE(concurrent_calls_share_one_request_when_coalescing) {
  testing::mock_server server(test::generous_server());
  server.script({200,
                 R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{}})",
                 {{"X-Request-Id", "req_shared"}},
                 100ms}); // keeps the first request in flight while the others arrive
  asio::io_context ioc;
  client c(ioc.get_executor(), coalescing(server));
  auto results = test::concurrent_calls(ioc, c, 5);
  for (auto& r : results) {
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
    BOOST_TEST(r->meta.request_id == "req_shared");
  }
  BOOST_TEST(server.counters().requests == 1u);
  BOOST_TEST(c.stats().calls_succeeded == 5u);
}

BOOST_AUTO_TEST_CASE(coalescing_is_the_default) {
  BOOST_TEST(client_options{}.coalesce_concurrent_calls);
}

BOOST_AUTO_TEST_CASE(a_thousand_concurrent_callers_cause_one_request_and_share_its_report) {
  testing::mock_server server(test::generous_server());
  server.script({200,
                 R"({"status":"degraded","checkedAt":"2026-06-27T10:00:00.000Z",)"
                 R"("providers":{"gpt":{"status":"ok"},"grok":{"status":"error"}}})",
                 {{"X-Request-Id", "req_one_for_all"}}});
  asio::io_context ioc;
  auto opts = test::options_for(server); // the limiter on, as users run it: one token is spent
  client c(ioc.get_executor(), opts);
  auto results = test::concurrent_calls(ioc, c, 1000);
  for (auto& r : results) {
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
    BOOST_TEST(r->meta.request_id == "req_one_for_all");
    BOOST_TEST(r->status == health_status::degraded);
    BOOST_TEST(r->providers.size() == 2u);
  }
  BOOST_TEST(server.counters().requests == 1u);
  const auto s = c.stats();
  BOOST_TEST(s.requests == 1u);
  BOOST_TEST(s.calls_succeeded == 1000u);
  BOOST_TEST(s.coalesced_calls == 999u);
  BOOST_TEST(s.rate_limit_waits == 0u);
}

BOOST_AUTO_TEST_CASE(without_the_option_every_call_is_its_own_request) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::uncoalesced(test::unthrottled(server)));
  auto results = test::concurrent_calls(ioc, c, 5);
  for (auto& r : results)
    BOOST_TEST(r.has_value());
  BOOST_TEST(server.counters().requests == 5u);
}

BOOST_AUTO_TEST_CASE(calls_with_overrides_are_never_coalesced) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), coalescing(server));
  call_options own;
  own.timeout = 5s;
  auto results = test::concurrent_calls(ioc, c, 3, own);
  for (auto& r : results)
    BOOST_TEST(r.has_value());
  BOOST_TEST(server.counters().requests == 3u);
}

BOOST_AUTO_TEST_CASE(a_cancelling_follower_leaves_alone) {
  testing::mock_server server(test::generous_server());
  server.script(
      {200, R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{}})", {}, 300ms});
  asio::io_context ioc;
  client c(ioc.get_executor(), coalescing(server));
  test::cancellable_call leader, follower;
  leader.start(c);
  follower.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));
  follower.cancel();
  BOOST_REQUIRE(test::run_until(ioc, [&] { return follower.completions > 0; }));
  follower.expect_cancelled_once();
  BOOST_TEST(leader.completions == 0);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return leader.completions > 0; }));
  BOOST_REQUIRE(leader.outcome.has_value());
  BOOST_TEST(leader.outcome->has_value(), test::why(*leader.outcome));
  BOOST_TEST(follower.completions == 1);
  BOOST_TEST(server.counters().requests == 1u);
}

BOOST_AUTO_TEST_CASE(the_request_is_cancelled_when_its_last_subscriber_cancels) {
  testing::mock_server server(test::generous_server());
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  asio::io_context ioc;
  client c(ioc.get_executor(), coalescing(server));
  test::cancellable_call first, second;
  first.start(c);
  second.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));
  first.cancel();
  second.cancel();
  BOOST_REQUIRE(
      test::run_until(ioc, [&] { return first.completions > 0 && second.completions > 0; }));
  first.expect_cancelled_once();
  second.expect_cancelled_once();
  ioc.restart();
  auto r = test::one_call(ioc, c); // a new flight, on a fresh connection
  BOOST_TEST(r.has_value(), test::why(r));
}

BOOST_AUTO_TEST_CASE(cancelling_one_of_ten_coalesced_callers_leaves_the_other_nine_their_report) {
  testing::mock_server server(test::generous_server());
  server.script({200, R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{}})",
                 {{"X-Request-Id", "req_nine"}}, 300ms});
  asio::io_context ioc;
  client c(ioc.get_executor(), coalescing(server));
  std::array<test::cancellable_call, 10> calls;
  for (auto& call : calls)
    call.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));
  calls[4].cancel();
  BOOST_REQUIRE(test::run_until(ioc, [&] {
    return std::ranges::all_of(calls, [](const auto& call) { return call.completions > 0; });
  }));
  ioc.restart();
  ioc.run(); // drain: a second completion of anyone would show here
  calls[4].expect_cancelled_once();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (i == 4)
      continue;
    BOOST_TEST(calls[i].completions == 1);
    BOOST_REQUIRE(calls[i].outcome.has_value());
    BOOST_REQUIRE_MESSAGE(calls[i].outcome->has_value(), test::why(*calls[i].outcome));
    BOOST_TEST((*calls[i].outcome)->meta.request_id == "req_nine");
  }
  BOOST_TEST(server.counters().requests == 1u);
}

BOOST_AUTO_TEST_CASE(cancelling_all_ten_cancels_the_request_and_leaves_pool_and_limiter_usable) {
  testing::mock_server server(test::generous_server());
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.rate_limit.burst = 2; // the cancelled request spends one token, the next call the other
  opts.rate_limit.requests_per_window = 2;
  opts.rate_limit.window = 10min;
  opts.rate_limit.mode = rate_limit_mode::fail_fast;
  client c(ioc.get_executor(), opts);
  std::array<test::cancellable_call, 10> calls;
  for (auto& call : calls)
    call.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));
  for (auto& call : calls)
    call.cancel();
  BOOST_REQUIRE(test::run_until(ioc, [&] {
    return std::ranges::all_of(calls, [](const auto& call) { return call.completions > 0; });
  }));
  ioc.restart();
  ioc.run();
  for (auto& call : calls)
    call.expect_cancelled_once();
  // The abandoned exchange's connection is neither lent nor pooled any more.
  BOOST_TEST(c.stats().connections_active == 0u);
  BOOST_TEST(c.stats().connections_idle == 0u);
  ioc.restart();
  auto next = test::one_call(ioc, c); // the second and last token, on a fresh connection
  BOOST_TEST(next.has_value(), test::why(next));
  BOOST_TEST(c.stats().connections_opened == 2u);
  auto refused = test::one_call(ioc, c); // exactly one token was spent by the cancelled request
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().code == errc::rate_limited);
}

BOOST_AUTO_TEST_CASE(coalescing_on_a_four_thread_pool_completes_every_call_once) {
  testing::mock_server server(test::generous_server());
  asio::thread_pool threads(4);
  client c(threads.get_executor(), coalescing(server));
  constexpr int calls = 200;
  std::atomic<int> ok{0}, completions{0};
  for (int i = 0; i < calls; ++i)
    c.async_health([&](result<health_report> r) {
      ok += r.has_value();
      ++completions;
    });
  threads.join();
  BOOST_TEST(completions.load() == calls);
  BOOST_TEST(ok.load() == calls);
  // How many flights formed depends on the threads' timing; that every call either sent the
  // one request of its flight or joined another's does not: a joiner that also sent a request,
  // or a call that neither sent nor joined, breaks the sum.
  const auto s = c.stats();
  BOOST_TEST(server.counters().requests == s.requests);
  BOOST_TEST(s.requests + s.coalesced_calls == static_cast<std::uint64_t>(calls));
  BOOST_TEST(s.requests >= 1u);
}

BOOST_AUTO_TEST_SUITE_END()
