// Pins of the retry loop's contract with the limiter and the deadline: each retry takes a
// limiter token, the injected jitter source decides the backoff, a wait that cannot fit the
// deadline fails at once, the pool wait is bounded by the deadline, and the last request id
// the server gave survives a later failure that has none.
#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "client_impl.hpp"
#include "fixture.hpp"
#include "health_endpoint.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

std::string unavailable_body(std::string_view request_id) {
  return R"({"error":{"code":"service_unavailable","message":"down","status":503,"requestId":")" +
         std::string(request_id) + R"("}})";
}

/// Options aimed at `server` for one request per call, whatever the single-flight default.
client_options one_request_per_call(const testing::mock_server& server) {
  auto o = test::options_for(server);
  o.coalesce_concurrent_calls = false;
  return o;
}

/// One call through a client_impl whose jitter source is `unit`, run to completion.
result<health_report> call_with_jitter(asio::io_context& ioc, client_options options,
                                       detail::unit_random unit) {
  auto impl = std::make_shared<detail::client_impl>(ioc.get_executor(), std::move(options),
                                                    std::move(unit));
  std::optional<result<health_report>> out;
  detail::start_health(impl, call_options{}, [&](result<health_report> r) { out.emplace(r); }, {});
  test::run_bounded(ioc);
  ioc.restart();
  impl->close(); // what the last client handle does
  test::run_bounded(ioc);
  ioc.restart();
  BOOST_REQUIRE(out.has_value());
  return std::move(*out);
}

} // namespace

BOOST_AUTO_TEST_SUITE(retry_pin_tests)

BOOST_AUTO_TEST_CASE(every_retry_takes_a_limiter_token) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto o = one_request_per_call(server);
  o.retry.max_retries = 2;
  // Two tokens, and the next one a minute away: the second retry cannot have one in time.
  o.rate_limit.requests_per_window = 2;
  o.rate_limit.burst = 2;
  o.rate_limit.window = 60s;
  client c(ioc.get_executor(), o);
  server.script(503, unavailable_body("req_first"));
  server.script(503, unavailable_body("req_second"));
  const auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  // The server's error, not the limiter's, and after two requests, not three.
  BOOST_TEST(r.error().code == errc::service_unavailable);
  BOOST_TEST(r.error().http_status == 503);
  BOOST_TEST(r.error().request_id == "req_second");
  BOOST_TEST(r.error().attempts == 2);
  BOOST_TEST(server.counters().requests == 2u);
  BOOST_TEST(c.stats().requests == 2u);
}

BOOST_AUTO_TEST_CASE(the_injected_jitter_decides_whether_the_backoff_fits_the_deadline) {
  // The first retry waits 2 s * (0.75 + 0.25 * unit): 1.5 s with unit 0, ~2 s with unit ~1.
  // A 1.8 s deadline fits only the first: the drawn value must really reach the backoff.
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto o = one_request_per_call(server);
  o.retry.max_retries = 1;
  o.retry.initial_backoff = 2s;
  o.retry.max_backoff = 8s;
  o.timeouts.total = 1800ms;
  std::atomic<int> draws{0};
  auto fixed = [&draws](double value) -> detail::unit_random {
    return [&draws, value] {
      ++draws;
      return value;
    };
  };

  server.script(503, unavailable_body("req_low"));
  const auto low = call_with_jitter(ioc, o, fixed(0.0));
  BOOST_TEST(low.has_value(), test::why(low));
  if (low) {
    BOOST_TEST(low->meta.attempts == 2);
    BOOST_TEST(low->meta.latency >= 1500ms); // the 1.5 s backoff was waited, not skipped
  }
  BOOST_TEST(draws.load() == 1);

  server.script(503, unavailable_body("req_high"));
  const auto started = clock_type::now();
  const auto high = call_with_jitter(ioc, o, fixed(0.999));
  BOOST_REQUIRE(!high.has_value());
  // Fails at once: a backoff longer than what is left of the deadline is not slept through.
  BOOST_TEST(high.error().code == errc::service_unavailable);
  BOOST_TEST(high.error().attempts == 1);
  BOOST_TEST((clock_type::now() - started < 1s));
  BOOST_TEST(draws.load() == 2);
  BOOST_TEST(server.counters().requests == 3u);
}

BOOST_AUTO_TEST_CASE(a_retry_after_longer_than_the_remaining_deadline_fails_at_once) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), one_request_per_call(server));
  server.script(503, unavailable_body("req_wait"), {{"Retry-After", "3"}});
  call_options co;
  co.timeout = 1s; // Retry-After (3 s) is under max_retry_after (60 s) but beyond the deadline
  const auto started = clock_type::now();
  const auto r = test::one_call(ioc, c, co);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::service_unavailable);
  BOOST_TEST(r.error().request_id == "req_wait");
  BOOST_TEST(r.error().attempts == 1);
  BOOST_REQUIRE(r.error().retry_after.has_value());
  BOOST_TEST(r.error().retry_after->count() == 3);
  BOOST_TEST((clock_type::now() - started < 800ms));
  BOOST_TEST(server.counters().requests == 1u);
}

BOOST_AUTO_TEST_CASE(the_pool_wait_is_bounded_by_the_calls_deadline) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto o = one_request_per_call(server);
  o.pool.max_connections = 1;
  o.pool.acquire_timeout = 30s; // far beyond the call's deadline: the deadline must win
  o.retry.max_retries = 0;
  client c(ioc.get_executor(), o);
  testing::scripted_response slow{200, "", {}, 2s};
  slow.inject = testing::fault::no_response; // holds the one connection until it times out
  server.script(slow);
  call_options holder;
  holder.attempt_timeout = 1500ms;
  std::optional<result<health_report>> held;
  c.async_health(holder, [&](result<health_report> r) { held.emplace(std::move(r)); });
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));

  call_options waiter;
  waiter.timeout = 300ms;
  std::optional<result<health_report>> waited;
  std::optional<clock_type::duration> waited_for;
  const auto started = clock_type::now();
  c.async_health(waiter, [&](result<health_report> r) {
    waited_for = clock_type::now() - started;
    waited.emplace(std::move(r));
  });
  test::run_bounded(ioc);
  BOOST_REQUIRE(waited.has_value());
  BOOST_REQUIRE(!waited->has_value());
  BOOST_TEST(waited->error().code == errc::timeout);
  BOOST_TEST((*waited_for >= 300ms));
  BOOST_TEST((*waited_for < 1s)); // not the holder's 1.5 s, nor the pool's 30 s
  BOOST_TEST(c.stats().pool_waits == 1u);
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST(!held->has_value());
}

BOOST_AUTO_TEST_CASE(the_last_request_id_survives_a_later_timeout) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto o = one_request_per_call(server);
  o.retry.max_retries = 1;
  client c(ioc.get_executor(), o);
  server.script(503, unavailable_body("req_before_timeout"));
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  call_options co;
  co.attempt_timeout = 300ms;
  const auto r = test::one_call(ioc, c, co);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::timeout);
  BOOST_TEST(r.error().http_status == 0);
  BOOST_TEST(r.error().request_id == "req_before_timeout");
  BOOST_TEST(r.error().attempts == 2);
}

BOOST_AUTO_TEST_SUITE_END()
