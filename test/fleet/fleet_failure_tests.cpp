// Fleet mode when Redis goes away, hangs or comes back: every call completes exactly once within
// its deadline, through the local fallback or failing closed as configured, and the fleet limit
// resumes once Redis answers again. One process (this one) against a real redis-server.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <talkory/client.hpp>
#include <talkory/testing/mock_server.hpp>

#include "fleet/fleet_keys.hpp"
#include "fleet/redis_server.hpp"
#include "integration/fixture.hpp"

using namespace std::chrono_literals;
namespace test = talkory::test;
using talkory::errc;
using talkory::health_report;
using talkory::result;
using clock_type = std::chrono::steady_clock;

namespace {

talkory::testing::mock_server_options strict_server() {
  talkory::testing::mock_server_options o;
  o.rate_limit = 30;
  o.rate_window = 1000ms;
  o.sliding_rate_window = true;
  return o;
}

struct log_capture {
  std::mutex mutex;
  std::vector<std::string> lines;
  bool saw(std::string_view text) {
    std::lock_guard lock(mutex);
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos)
        return true;
    return false;
  }
};

talkory::client_options fleet_client(const talkory::testing::mock_server& server,
                                     const std::string& redis_url, log_capture* log,
                                     std::string prefix) {
  auto o = test::options_for(server);
  o.rate_limit.requests_per_window = 30;
  o.rate_limit.burst = 30;
  o.rate_limit.window = 1000ms;
  o.retry.max_retries = 0;
  o.coalesce_concurrent_calls = false;
  o.timeouts.total = 5s;
  o.fleet.redis_url = redis_url;
  o.fleet.key_prefix = std::move(prefix);
  o.fleet.expected_processes = 2;
  o.fleet.command_timeout = 100ms;
  o.fleet.connect_timeout = 200ms;
  o.fleet.reconnect_backoff = 20ms;
  o.fleet.max_reconnect_backoff = 100ms;
  if (log) {
    o.log.level = talkory::log_level::warning;
    o.log.sink = [log](talkory::log_level, std::string_view line) {
      std::lock_guard lock(log->mutex);
      log->lines.emplace_back(line);
    };
  }
  return o;
}

// `n` calls at once; returns when every one completed (bounded), checking each completed once
// and within its deadline (plus a scheduling allowance).
struct batch {
  std::vector<int> completions;
  std::vector<std::optional<result<health_report>>> results;
  std::vector<clock_type::duration> took;

  void run(boost::asio::io_context& ioc, talkory::client& c, std::size_t n) {
    completions.assign(n, 0);
    results.assign(n, std::nullopt);
    took.assign(n, {});
    const auto started = clock_type::now();
    for (std::size_t i = 0; i < n; ++i)
      c.async_health([this, i, started](result<health_report> r) {
        ++completions[i];
        took[i] = clock_type::now() - started;
        results[i].emplace(std::move(r));
      });
    BOOST_REQUIRE(test::run_until(
        ioc, [&] { return std::ranges::all_of(completions, [](int k) { return k > 0; }); }));
    for (std::size_t i = 0; i < n; ++i) {
      BOOST_TEST(completions[i] == 1);
      BOOST_TEST(took[i] <= 5s + 500ms); // timeouts.total, plus scheduling
    }
  }
  long long max_ms() const {
    clock_type::duration m{};
    for (const auto& t : took)
      m = std::max(m, t);
    return std::chrono::duration_cast<std::chrono::milliseconds>(m).count();
  }
  std::size_t succeeded() const {
    return static_cast<std::size_t>(
        std::ranges::count_if(results, [](const auto& r) { return r && r->has_value(); }));
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_failure_tests)

BOOST_AUTO_TEST_CASE(redis_killed_mid_run_falls_back_then_the_fleet_resumes) {
  test::redis_server redis;
  talkory::testing::mock_server server(strict_server());
  log_capture log;
  boost::asio::io_context ioc;
  talkory::client c(ioc.get_executor(), fleet_client(server, redis.url(), &log, "killed:"));

  batch before;
  before.run(ioc, c, 5);
  BOOST_TEST(before.succeeded() == 5u);
  BOOST_TEST(c.stats().fleet_fallbacks == 0u);

  redis.kill();
  batch during; // the fallback: 30 / 2 per window, so 20 calls need two of its windows
  during.run(ioc, c, 20);
  BOOST_TEST(during.succeeded() == 20u);
  // The fallback is 30 / 2 = 15 per window (plus the margin): the last 5 wait for the next one.
  BOOST_TEST(during.max_ms() >= 1000);
  BOOST_TEST_MESSAGE("after the kill: 20 calls through the fallback, the slowest in "
                     << during.max_ms() << " ms");
  BOOST_TEST(c.stats().fleet_fallbacks >= 20u);
  BOOST_TEST(log.saw("is unavailable"));
  BOOST_TEST(server.counters().responses_429 == 0u);

  redis.restart(); // the same port: the client reconnects once its backoff has passed
  bool resumed = false;
  for (int i = 0; i < 50 && !resumed; ++i) { // bounded: the backoff is at most 100 ms
    const auto fallbacks = c.stats().fleet_fallbacks;
    batch one;
    one.run(ioc, c, 1);
    BOOST_TEST(one.succeeded() == 1u);
    resumed = c.stats().fleet_fallbacks == fallbacks;
  }
  BOOST_TEST(resumed);
  BOOST_TEST(log.saw("answers again"));
  const auto keys = talkory::detail::make_fleet_keys(
      "killed:", talkory::testing::mock_server_options::demo_key_value,
      "https://127.0.0.1:" + std::to_string(server.port()));
  BOOST_TEST(redis.command({"EXISTS", keys.limit}).at(0) == "1"); // granted through Redis again
}

BOOST_AUTO_TEST_CASE(fail_closed_reports_fleet_unavailable_and_sends_nothing) {
  talkory::testing::mock_server server(strict_server());
  boost::asio::io_context ioc;
  auto o = fleet_client(server, "redis://127.0.0.1:" + std::to_string(test::free_port()), nullptr,
                        "closed:");
  o.fleet.on_unavailable = talkory::fleet_unavailable_policy::fail;
  talkory::client c(ioc.get_executor(), o);
  batch b;
  b.run(ioc, c, 3);
  for (const auto& r : b.results) {
    BOOST_REQUIRE(r && !r->has_value());
    BOOST_TEST(r->error().code == errc::fleet_unavailable);
    BOOST_TEST(r->error().message.find("fleet.on_unavailable = fail") != std::string::npos,
               r->error().message);
  }
  for (const auto& t : b.took)
    BOOST_TEST(t < 1s); // connection refused: at once, not after the call's deadline
  BOOST_TEST_MESSAGE("fail closed: 3 calls failed with fleet_unavailable, the slowest in "
                     << b.max_ms() << " ms");
  BOOST_TEST(server.counters().requests == 0u);
  BOOST_TEST(c.stats().fleet_fallbacks == 0u);
}

BOOST_AUTO_TEST_CASE(a_hung_redis_counts_as_unavailable_after_the_command_timeout) {
  test::redis_server redis;
  talkory::testing::mock_server server(strict_server());
  boost::asio::io_context ioc;
  talkory::client c(ioc.get_executor(), fleet_client(server, redis.url(), nullptr, "hung:"));
  batch warm;
  warm.run(ioc, c, 1); // connected, script loaded
  BOOST_TEST(warm.succeeded() == 1u);

  redis.pause(); // accepts bytes, answers nothing
  batch b;
  b.run(ioc, c, 4);
  redis.resume();
  BOOST_TEST(b.succeeded() == 4u);
  BOOST_TEST(c.stats().fleet_fallbacks >= 4u);
  BOOST_TEST_MESSAGE("hung Redis: 4 calls through the fallback, the slowest in " << b.max_ms()
                                                                                 << " ms");
  for (const auto& t : b.took)
    BOOST_TEST(t < 2s); // fleet.command_timeout (100 ms), then the fallback's free tokens
}

BOOST_AUTO_TEST_CASE(a_429_pauses_the_whole_fleet) {
  test::redis_server redis;
  talkory::testing::mock_server server(strict_server());
  server.script(429, R"({"error":{"code":"rate_limited","message":"Slow down.","status":429}})",
                {{"Retry-After", "2"}});
  boost::asio::io_context ioc;
  talkory::client first(ioc.get_executor(), fleet_client(server, redis.url(), nullptr, "paused:"));
  batch b;
  b.run(ioc, first, 1);
  BOOST_REQUIRE(b.results[0] && !b.results[0]->has_value());
  BOOST_TEST(b.results[0]->error().code == errc::rate_limited);
  const auto keys = talkory::detail::make_fleet_keys(
      "paused:", talkory::testing::mock_server_options::demo_key_value,
      "https://127.0.0.1:" + std::to_string(server.port()));
  BOOST_REQUIRE(test::run_until(ioc, [&] {
    return redis.command({"EXISTS", keys.pause}).at(0) == "1";
  }));
  const auto left = std::stoll(redis.command({"PTTL", keys.pause}).at(0));
  BOOST_TEST(left > 1000);
  BOOST_TEST(left <= 2000);

  // Another client of the key (another process, as far as Redis can tell): no slot before its
  // 300 ms deadline, so it fails at once instead of sending into the server's pause.
  talkory::client second(ioc.get_executor(), fleet_client(server, redis.url(), nullptr, "paused:"));
  std::optional<result<health_report>> r;
  const auto started = clock_type::now();
  talkory::call_options short_call;
  short_call.timeout = 300ms;
  second.async_health(short_call, [&](result<health_report> x) { r.emplace(std::move(x)); });
  BOOST_REQUIRE(test::run_until(ioc, [&] { return r.has_value(); }));
  BOOST_REQUIRE(!r->has_value());
  BOOST_TEST(r->error().code == errc::rate_limited);
  BOOST_TEST((clock_type::now() - started < 300ms));
  BOOST_TEST(server.counters().requests == 1u); // only the first client's request
}

BOOST_AUTO_TEST_CASE(shutdown_completes_callers_waiting_for_a_fleet_slot) {
  test::redis_server redis;
  talkory::testing::mock_server server(strict_server());
  boost::asio::io_context ioc;
  auto o = fleet_client(server, redis.url(), nullptr, "shutdown:");
  o.rate_limit.requests_per_window = 1; // the second caller's slot is a minute away
  o.rate_limit.burst = 1;
  o.rate_limit.window = 60s;
  o.timeouts.total = 120s;
  talkory::client c(ioc.get_executor(), o);
  batch first;
  first.run(ioc, c, 1);
  std::vector<int> done(1, 0);
  std::optional<result<health_report>> waiting;
  c.async_health([&](result<health_report> r) {
    ++done[0];
    waiting.emplace(std::move(r));
  });
  // Until its slot is reserved in Redis (the log's newest entry moves a minute ahead; the log
  // holds burst = 1 entry): then shut down.
  const auto keys = talkory::detail::make_fleet_keys(
      "shutdown:", talkory::testing::mock_server_options::demo_key_value,
      "https://127.0.0.1:" + std::to_string(server.port()));
  const auto granted = redis.command({"LINDEX", keys.limit, "-1"}).at(0);
  BOOST_REQUIRE(test::run_until(ioc, [&] {
    return redis.command({"LINDEX", keys.limit, "-1"}).at(0) != granted;
  }));
  bool shut = false;
  c.async_shutdown([&] { shut = true; });
  BOOST_REQUIRE(test::run_until(
      ioc, [&] { return shut && done[0] > 0; }, 3s));
  BOOST_TEST(done[0] == 1);
  BOOST_REQUIRE(waiting && !waiting->has_value());
  BOOST_TEST(waiting->error().code == errc::cancelled);
}

BOOST_AUTO_TEST_CASE(a_caller_waiting_for_its_fleet_slot_can_cancel) {
  test::redis_server redis;
  talkory::testing::mock_server server(strict_server());
  boost::asio::io_context ioc;
  auto o = fleet_client(server, redis.url(), nullptr, "cancel:");
  o.rate_limit.requests_per_window = 1; // the second caller's slot is a minute away
  o.rate_limit.burst = 1;
  o.rate_limit.window = 60s;
  o.timeouts.total = 120s;
  talkory::client c(ioc.get_executor(), o);
  batch first;
  first.run(ioc, c, 1);
  const auto keys = talkory::detail::make_fleet_keys(
      "cancel:", talkory::testing::mock_server_options::demo_key_value,
      "https://127.0.0.1:" + std::to_string(server.port()));
  const auto granted = redis.command({"LINDEX", keys.limit, "-1"}).at(0);
  test::cancellable_call waiting;
  waiting.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] {
    return redis.command({"LINDEX", keys.limit, "-1"}).at(0) != granted;
  }));
  const auto cancelled_at = clock_type::now();
  waiting.cancel();
  BOOST_REQUIRE(test::run_until(
      ioc, [&] { return waiting.completions > 0; }, 3s));
  BOOST_TEST((clock_type::now() - cancelled_at < 1s)); // not when the slot comes, a minute on
  // Handlers that would complete it a second time get their chance here.
  test::run_until(
      ioc, [] { return false; }, 200ms);
  waiting.expect_cancelled_once();
  BOOST_TEST(server.counters().requests == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
