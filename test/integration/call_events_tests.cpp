// The observer's events for real calls against the mock server: the exact sequence of a call
// with one retry, shared, cached, refused, waiting and cancelled calls, retirement reasons, four
// threads, and an observer that throws. The log lines are log_line_tests.cpp's.
#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <talkory/observability.hpp>

#include "client_impl.hpp"
#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

namespace {

struct recording_observer : call_observer {
  void on_event(const call_event& e) override {
    std::lock_guard lock(mutex);
    events.push_back(e);
  }
  std::vector<call_event> snapshot() const {
    std::lock_guard lock(mutex);
    return events;
  }
  mutable std::mutex mutex;
  std::vector<call_event> events;
};

const std::string one_provider =
    R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{"gpt":{"status":"ok"}}})";

const std::string busy_body =
    R"({"error":{"code":"service_unavailable","message":"busy","status":503,"requestId":"req_1"}})";

/// A client whose retry jitter is fixed: 8 ms nominal backoff, jitter 0.5, so 8 * 0.875 = 7 ms.
client fixed_jitter_client(asio::io_context& ioc, client_options o) {
  o.retry.initial_backoff = 8ms;
  auto impl =
      std::make_shared<detail::client_impl>(ioc.get_executor(), std::move(o), [] { return 0.5; });
  return detail::client_access::make(std::move(impl));
}

/// The events up to and including call `id`'s call_finished.
std::vector<call_event> until_finished(const std::vector<call_event>& all, std::uint64_t id) {
  std::vector<call_event> out;
  for (const auto& e : all) {
    out.push_back(e);
    if (e.kind == event_kind::call_finished && e.call_id == id)
      break;
  }
  return out;
}

std::vector<call_event> of_kind(const std::vector<call_event>& all, event_kind kind) {
  std::vector<call_event> out;
  for (const auto& e : all)
    if (e.kind == kind)
      out.push_back(e);
  return out;
}

/// A mock server, an io_context, and an observer recording every event of the clients given
/// observe()'d options.
struct observed {
  testing::mock_server server{test::generous_server()};
  std::shared_ptr<recording_observer> observer = std::make_shared<recording_observer>();
  asio::io_context ioc;

  client_options observe(client_options o) const {
    o.observer = observer;
    return o;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(call_events_tests)

BOOST_FIXTURE_TEST_CASE(a_call_with_one_retry_reports_each_step_in_order, observed) {
  server.script(503, busy_body); // then the normal answer, on the same keep-alive connection
  auto o = observe(test::options_for(server));
  std::vector<call_event> at_completion;
  {
    auto c = fixed_jitter_client(ioc, o);
    c.async_health([&](result<health_report> r) {
      BOOST_TEST(r.has_value(), test::why(r));
      at_completion = observer->snapshot();
    });
    test::run_bounded(ioc);
  }
  ioc.restart();
  test::run_bounded(ioc); // the last handle's destruction closes the idle connection
  const auto& e = at_completion;
  BOOST_TEST_REQUIRE(e.size() == 9u);
  using k = event_kind;
  const event_kind expected[] = {k::call_started,      k::attempt_started,  k::connection_opened,
                                 k::attempt_finished,  k::retry_scheduled,  k::attempt_started,
                                 k::connection_reused, k::attempt_finished, k::call_finished};
  for (std::size_t i = 0; i < e.size(); ++i) {
    BOOST_TEST_CONTEXT("event " << i << ": " << e[i].describe()) {
      BOOST_TEST((e[i].kind == expected[i]));
      BOOST_TEST(e[i].call_id == 1u);
    }
  }
  BOOST_TEST(e[1].attempt == 1);
  BOOST_TEST((e[2].handshake == handshake_kind::full));
  BOOST_TEST(e[2].connection_id != 0u);
  BOOST_TEST(e[3].attempt == 1);
  BOOST_TEST((e[3].error == errc::service_unavailable));
  BOOST_TEST(e[3].http_status == 503);
  BOOST_TEST(e[4].attempt == 1); // the attempt that failed
  BOOST_TEST((e[4].error == errc::service_unavailable));
  BOOST_TEST(e[4].http_status == 503);
  BOOST_TEST(e[4].duration.count() == 7'000); // the backoff the call then sleeps
  BOOST_TEST(e[5].attempt == 2);
  BOOST_TEST(e[6].connection_id == e[2].connection_id);
  BOOST_TEST(e[7].attempt == 2);
  BOOST_TEST(!e[7].error.has_value());
  BOOST_TEST(e[7].http_status == 200);
  BOOST_TEST(!e[8].error.has_value());
  BOOST_TEST(e[8].http_status == 0);
  BOOST_TEST(e[8].shared_call_id == 0u);
  BOOST_TEST(!e[8].from_cache);
  BOOST_TEST(e[8].duration >= e[4].duration); // the latency includes the backoff
  BOOST_TEST(e[8].duration >= e[3].duration + e[7].duration);

  // The client's destruction closed the idle connection, outside any call.
  const auto after = observer->snapshot();
  BOOST_TEST_REQUIRE(after.size() == 10u);
  BOOST_TEST((after[9].kind == event_kind::connection_retired));
  BOOST_TEST((after[9].reason == retire_reason::shutdown));
  BOOST_TEST(after[9].call_id == 0u);
  BOOST_TEST(after[9].connection_id == e[2].connection_id);
}

BOOST_FIXTURE_TEST_CASE(a_call_sharing_a_request_reports_whose_request_it_shared, observed) {
  auto o = observe(test::options_for(server));
  client c(ioc.get_executor(), o);
  const auto results = test::concurrent_calls(ioc, c, 2);
  BOOST_TEST_REQUIRE(c.stats().coalesced_calls == 1u);
  const auto finished = of_kind(observer->snapshot(), event_kind::call_finished);
  BOOST_TEST_REQUIRE(finished.size() == 2u);
  for (const auto& f : finished) {
    BOOST_TEST(!f.error.has_value());
    BOOST_TEST(f.shared_call_id == (f.call_id == 2u ? 1u : 0u), f.describe());
  }
  BOOST_TEST(of_kind(observer->snapshot(), event_kind::attempt_started).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_cached_answer_and_a_refused_call_report_start_and_finish, observed) {
  auto o = observe(test::options_for(server));
  o.cache_ttl = 60s;
  client c(ioc.get_executor(), o);
  BOOST_TEST_REQUIRE(test::one_call(ioc, c).has_value());
  BOOST_TEST_REQUIRE(test::one_call(ioc, c).has_value()); // from the cache
  auto bad = o;
  bad.api_key = "not a key";
  client refused(ioc.get_executor(), bad);
  BOOST_TEST_REQUIRE(!test::one_call(ioc, refused).has_value());

  const auto all = observer->snapshot();
  const auto second = until_finished(all, 2);
  BOOST_TEST_REQUIRE(second.size() >= 2u);
  BOOST_TEST((second[second.size() - 2].kind == event_kind::call_started));
  BOOST_TEST(second.back().from_cache); // no attempt in between
  const auto finished = of_kind(all, event_kind::call_finished);
  BOOST_TEST_REQUIRE(finished.size() == 3u);
  BOOST_TEST(finished[2].call_id == 1u); // the other client counts its own calls
  BOOST_TEST((finished[2].error == errc::invalid_options));
}

BOOST_FIXTURE_TEST_CASE(a_call_waiting_for_the_pool_reports_the_wait_before_its_attempt, observed) {
  testing::scripted_response slow;
  slow.body = one_provider;
  slow.delay = 50ms;
  server.script(slow);
  auto o = observe(test::uncoalesced(test::options_for(server)));
  o.pool.max_connections = 1;
  client c(ioc.get_executor(), o);
  for (const auto& r : test::concurrent_calls(ioc, c, 2))
    BOOST_TEST(r.has_value(), test::why(r));
  const auto all = observer->snapshot();
  const auto waits = of_kind(all, event_kind::pool_waited);
  BOOST_TEST_REQUIRE(waits.size() == 1u);
  BOOST_TEST(waits[0].call_id == 2u);
  BOOST_TEST(waits[0].duration >= 40ms); // the first call held the one slot for about 50 ms
  std::vector<event_kind> second;
  for (const auto& e : all)
    if (e.call_id == 2u)
      second.push_back(e.kind);
  using k = event_kind;
  const std::vector<event_kind> expected{k::call_started,     k::pool_waited,
                                         k::attempt_started,  k::connection_reused,
                                         k::attempt_finished, k::call_finished};
  BOOST_TEST((second == expected));
}

BOOST_FIXTURE_TEST_CASE(a_call_waiting_for_the_limiter_reports_how_long, observed) {
  auto o = observe(test::uncoalesced(test::options_for(server)));
  o.rate_limit.burst = 1;
  o.rate_limit.requests_per_window = 1;
  o.rate_limit.window = 60ms;
  client c(ioc.get_executor(), o);
  for (const auto& r : test::concurrent_calls(ioc, c, 2))
    BOOST_TEST(r.has_value(), test::why(r));
  const auto waits = of_kind(observer->snapshot(), event_kind::limiter_waited);
  BOOST_TEST_REQUIRE(waits.size() == 1u);
  BOOST_TEST(waits[0].call_id == 2u);
  BOOST_TEST(waits[0].duration >= 30ms); // a token every 60 ms
  BOOST_TEST(c.stats().rate_limit_waits == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_connection_the_server_closes_is_retired_with_that_reason, observed) {
  testing::scripted_response closing;
  closing.body = one_provider;
  closing.close_connection = true;
  server.script(closing);
  auto o = observe(test::options_for(server));
  client c(ioc.get_executor(), o);
  BOOST_TEST_REQUIRE(test::one_call(ioc, c).has_value());
  const auto retired = of_kind(observer->snapshot(), event_kind::connection_retired);
  BOOST_TEST_REQUIRE(retired.size() == 1u);
  BOOST_TEST((retired[0].reason == retire_reason::server_close));
  BOOST_TEST(retired[0].call_id == 1u);
}

BOOST_FIXTURE_TEST_CASE(observed_calls_are_cancelled_like_any_other, observed) {
  // An observed flight keeps each caller's handler inside an observed_subscriber: the caller's
  // cancellation slot must still reach the flight through it.
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  auto o = observe(test::options_for(server));
  client c(ioc.get_executor(), o);
  test::cancellable_call owner, follower;
  owner.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));
  follower.start(c); // shares the owner's request
  ioc.poll();
  follower.cancel();
  BOOST_REQUIRE(test::run_until(
      ioc, [&] { return follower.completions > 0; }, 2s));
  follower.expect_cancelled_once();
  BOOST_TEST(owner.completions == 0);
  owner.cancel();
  BOOST_REQUIRE(test::run_until(
      ioc, [&] { return owner.completions > 0; }, 2s));
  owner.expect_cancelled_once();

  const auto finished = of_kind(observer->snapshot(), event_kind::call_finished);
  BOOST_TEST_REQUIRE(finished.size() == 2u);
  BOOST_TEST(finished[0].call_id == 2u);
  BOOST_TEST(finished[0].shared_call_id == 1u);
  BOOST_TEST((finished[0].error == errc::cancelled));
  BOOST_TEST(finished[1].call_id == 1u);
  BOOST_TEST((finished[1].error == errc::cancelled));
}

BOOST_FIXTURE_TEST_CASE(calls_on_four_threads_each_report_one_start_and_one_finish, observed) {
  // The observer and the sink are called from every thread running the context (TSan watches).
  std::mutex log_mutex;
  std::size_t log_lines = 0;
  auto o = observe(test::uncoalesced(test::unthrottled(server)));
  o.log = {log_level::trace, [&](log_level, std::string_view) {
             std::lock_guard lock(log_mutex);
             ++log_lines;
           }};
  constexpr std::size_t calls = 24;
  client c(ioc.get_executor(), o);
  std::atomic<std::size_t> done{0}, failed{0}; // Boost.Test is checked after the threads end
  for (std::size_t i = 0; i < calls; ++i)
    c.async_health([&](result<health_report> r) {
      failed += r ? 0 : 1;
      ++done;
    });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] { ioc.run_for(20s); });
  for (auto& t : threads)
    t.join();
  BOOST_TEST_REQUIRE(done == calls);
  BOOST_TEST(failed == 0u);
  const auto all = observer->snapshot();
  std::vector<int> started(calls + 1), finished(calls + 1);
  for (const auto& e : all) {
    if (e.call_id == 0) { // only a connection retired outside any call
      BOOST_TEST((e.kind == event_kind::connection_retired));
      continue;
    }
    BOOST_TEST_REQUIRE(e.call_id <= calls);
    started[e.call_id] += e.kind == event_kind::call_started;
    finished[e.call_id] += e.kind == event_kind::call_finished;
  }
  for (std::size_t id = 1; id <= calls; ++id) {
    BOOST_TEST(started[id] == 1, "call " << id);
    BOOST_TEST(finished[id] == 1, "call " << id);
  }
  std::lock_guard lock(log_mutex);
  BOOST_TEST(log_lines == all.size()); // at trace, one line per event
}

BOOST_AUTO_TEST_CASE(an_observer_that_throws_changes_nothing_and_reaches_no_one) {
  struct throwing_observer : call_observer {
    int events = 0;
    void on_event(const call_event&) override {
      ++events;
      throw std::runtime_error("observer failure");
    }
  };
  testing::mock_server server(test::generous_server());
  server.script(503, busy_body);
  auto observer = std::make_shared<throwing_observer>();
  auto o = test::options_for(server);
  o.observer = observer;
  asio::io_context ioc;
  client c(ioc.get_executor(), o);
  std::optional<result<health_report>> r;
  BOOST_CHECK_NO_THROW(c.async_health([&](result<health_report> x) { r.emplace(std::move(x)); }));
  BOOST_CHECK_NO_THROW(test::run_bounded(ioc));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->has_value(), test::why(*r));
  BOOST_TEST((*r)->meta.attempts == 2);
  BOOST_TEST(observer->events == 9); // every event of the call was offered, each one threw
}

BOOST_AUTO_TEST_SUITE_END()
