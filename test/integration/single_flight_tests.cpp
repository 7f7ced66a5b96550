// Opt-in single-flight: concurrent calls share one request and its result.
#include <atomic>

#include <boost/asio/thread_pool.hpp>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

namespace {

client_options coalescing(const testing::mock_server& server) {
  auto o = test::unthrottled(server);
  o.coalesce_concurrent_calls = true;
  return o;
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

BOOST_AUTO_TEST_CASE(without_the_option_every_call_is_its_own_request) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
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
  BOOST_TEST(server.counters().requests <= static_cast<std::uint64_t>(calls));
}

BOOST_AUTO_TEST_SUITE_END()
