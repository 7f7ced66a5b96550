// health_watcher against the mock server: scripted status steps give exactly the expected
// events; errors back off and recover; a slow reader's buffer stays bounded and ends on the
// latest state; cancel() and destruction stop it promptly and complete a pending next() once.
#include <future>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include "watch_fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;
using talkory::test::moved;
using talkory::test::step;
using kind = enum health_event::kind;

BOOST_AUTO_TEST_SUITE(health_watcher_tests)

BOOST_AUTO_TEST_CASE(a_scripted_schedule_gives_exactly_the_expected_events) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses({step(), step(), step({{"grok", "error"}}), step(),
                                   step({{"grok", "ok"}, {"mistral", "ok"}}), step()});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch());
  test::event_reader reader;

  auto e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(test::kind_name(e) == "snapshot");
  BOOST_TEST(e->report->all_ok());
  BOOST_TEST(e->changes.empty());

  e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(test::kind_name(e) == "change");
  BOOST_TEST_REQUIRE(e->changes.size() == 1u);
  BOOST_TEST((e->changes[0] == moved("grok", "ok", "error")));
  BOOST_TEST(e->status_from.value_or("") == "ok");
  BOOST_TEST(e->report->raw_status == "degraded");

  e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(test::kind_name(e) == "change");
  BOOST_TEST_REQUIRE(e->changes.size() == 2u);
  BOOST_TEST((e->changes[0] == moved("grok", "error", "ok")));
  BOOST_TEST((e->changes[1] == moved("mistral", std::nullopt, "ok")));
  BOOST_TEST(e->status_from.value_or("") == "degraded");

  // Nothing changes any more: many polls later, no event.
  reader.start(w);
  const auto seen = server.counters().health_requests;
  BOOST_TEST_REQUIRE(
      test::run_until(ioc, [&] { return server.counters().health_requests >= seen + 5; }));
  BOOST_TEST(!reader.done());
  w.cancel();
  BOOST_TEST_REQUIRE(test::run_until(ioc, [&] { return reader.done(); }));
  BOOST_TEST(reader.pending->event->error->code == errc::cancelled);
}

BOOST_AUTO_TEST_CASE(errors_are_events_and_the_next_good_poll_is_recovered) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses(
      {step(), step({}, 503), step({}, 500), step({{"gpt", "error"}}), step()});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch());
  test::event_reader reader;

  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "snapshot");
  auto e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(test::kind_name(e) == "error");
  BOOST_TEST(e->error->code == errc::service_unavailable);
  BOOST_TEST(e->error->http_status == 503);
  BOOST_TEST(!e->report.has_value());
  e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(test::kind_name(e) == "error");
  BOOST_TEST(e->error->code == errc::internal_error);
  e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(test::kind_name(e) == "recovered");
  BOOST_TEST_REQUIRE(e->changes.size() == 1u);
  BOOST_TEST((e->changes[0] == moved("gpt", "ok", "error")));
  BOOST_TEST(e->status_from.value_or("") == "ok");
}

BOOST_AUTO_TEST_CASE(recovered_comes_even_when_nothing_changed_meanwhile) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses({step(), step({}, 503), step()});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch());
  test::event_reader reader;
  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "snapshot");
  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "error");
  const auto e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(test::kind_name(e) == "recovered");
  BOOST_TEST(e->changes.empty());
  BOOST_TEST(!e->status_from.has_value());
}

BOOST_AUTO_TEST_CASE(a_permanent_error_is_an_event_and_the_watcher_keeps_polling) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses({step({}, 401), step()});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch());
  test::event_reader reader;
  auto e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(test::kind_name(e) == "error");
  BOOST_TEST(e->error->code == errc::invalid_api_key);
  BOOST_TEST(is_permanent_error(*e->error));
  BOOST_TEST(test::kind_name(reader.next(ioc, w)) == "snapshot"); // no good report before
}

BOOST_AUTO_TEST_CASE(after_errors_the_pause_doubles_from_the_interval) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses(
      {step(), step({}, 503), step({}, 503), step({}, 503), step({}, 503), step()});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch(20ms)); // max_backoff 160 ms
  test::event_reader reader;
  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "snapshot");
  std::vector<std::chrono::sys_time<std::chrono::milliseconds>> errors;
  for (int i = 0; i < 4; ++i) {
    auto e = reader.next(ioc, w);
    BOOST_TEST_REQUIRE(test::kind_name(e) == "error");
    errors.push_back(e->observed_at);
  }
  // A timer never fires early: each gap is at least its backoff (20, 40, 80 ms), less 1 ms for
  // the millisecond rounding of the timestamps.
  const long expected_at_least[] = {39, 79};
  for (int i = 0; i < 2; ++i) {
    const auto gap = (errors[i + 2] - errors[i + 1]).count();
    BOOST_TEST(gap >= expected_at_least[i], "gap " << i << " was " << gap << " ms");
  }
  BOOST_TEST(test::kind_name(reader.next(ioc, w)) == "recovered");
}

BOOST_AUTO_TEST_CASE(a_slow_reader_keeps_a_bounded_buffer_and_ends_on_the_latest_state) {
  testing::mock_server server(test::generous_server());
  std::vector<testing::status_step> steps{step()};
  const char* names[] = {"gpt", "claude", "gemini", "grok", "perplexity"};
  for (int i = 0; i < 40; ++i) // every poll changes something, with errors in between
    steps.push_back(i % 7 == 3 ? step({}, 503)
                               : step({{names[i % 5], i % 2 ? std::string("ok") : "error"}}));
  steps.push_back(step({{"gemini", "error"}}));
  server.script_provider_statuses(steps);
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  auto options = test::fast_watch(5ms);
  options.max_pending_events = 4;
  health_watcher w(c, options);

  // Nobody reads while every step is polled, and a few more polls after that.
  BOOST_TEST_REQUIRE(test::run_until(ioc, [&] { return server.pending_status_steps() == 0; }));
  const auto seen = server.counters().health_requests;
  BOOST_TEST_REQUIRE(
      test::run_until(ioc, [&] { return server.counters().health_requests >= seen + 3; }));

  // The reader now drains what was kept: at most max_pending_events events, starting with the
  // snapshot, and replaying them gives the server's final state.
  std::map<std::string, std::optional<std::string>> state;
  test::event_reader reader;
  std::vector<std::string> kinds;
  for (;;) {
    auto e = reader.next(ioc, w, 300ms);
    if (!e)
      break;
    kinds.push_back(test::kind_name(e));
    if (e->kind == kind::snapshot)
      for (const auto& p : e->report->providers)
        state[p.name] = p.raw_status;
    for (const auto& t : e->changes) {
      BOOST_TEST((state[t.provider] == t.from), t.provider);
      state[t.provider] = t.to;
    }
  }
  BOOST_TEST(kinds.size() <= 4u);
  BOOST_TEST_REQUIRE(!kinds.empty());
  BOOST_TEST(kinds.front() == "snapshot");
  const auto latest = w.latest();
  BOOST_TEST_REQUIRE(latest.has_value());
  for (const auto& p : latest->report.providers)
    BOOST_TEST((state[p.name] == std::optional<std::string>(p.raw_status)), p.name);
  BOOST_TEST(state["gemini"].value_or("") == "error");
}

BOOST_AUTO_TEST_CASE(latest_holds_the_last_good_report_through_errors) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses({step({{"grok", "error"}}), step({}, 503)});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch());
  BOOST_TEST(!w.latest().has_value());
  test::event_reader reader;
  const auto before = std::chrono::system_clock::now() - 1s;
  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "snapshot");
  auto latest = w.latest();
  BOOST_TEST_REQUIRE(latest.has_value());
  BOOST_TEST(latest->report.find("grok")->raw_status == "error");
  BOOST_TEST((latest->fetched_at >= before));
  BOOST_TEST((latest->fetched_at <= std::chrono::system_clock::now() + 1s));
  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "error");
  latest = w.latest();
  BOOST_TEST_REQUIRE(latest.has_value());
  BOOST_TEST(latest->report.find("grok")->raw_status == "error");
}

BOOST_AUTO_TEST_CASE(confirmations_hold_back_a_flapping_provider) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses({step(), step({{"grok", "error"}}), step({{"grok", "ok"}}),
                                   step({{"grok", "error"}}), step({{"grok", "ok"}}),
                                   step({{"gpt", "error"}}), step()});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  auto options = test::fast_watch();
  options.confirmations = 2;
  health_watcher w(c, options);
  test::event_reader reader;
  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "snapshot");
  const auto e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(test::kind_name(e) == "change");
  BOOST_TEST_REQUIRE(e->changes.size() == 1u); // grok's flaps never held for two polls
  BOOST_TEST((e->changes[0] == moved("gpt", "ok", "error")));
  BOOST_TEST(server.counters().health_requests >= 7u);
}

BOOST_AUTO_TEST_CASE(cancel_completes_a_pending_next_once_and_stops_polling) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch());
  test::event_reader reader;
  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "snapshot");
  reader.start(w);
  ioc.poll();
  w.cancel();
  // The loop ends and nothing else is pending: the io_context runs out of work.
  test::run_bounded(ioc, 5s);
  BOOST_TEST(reader.pending->completions == 1);
  BOOST_TEST_REQUIRE(reader.pending->event->error.has_value());
  BOOST_TEST(reader.pending->event->kind == kind::error);
  BOOST_TEST(reader.pending->event->error->code == errc::cancelled);
  const auto polls = server.counters().health_requests;

  // Later next() calls complete at once with cancelled, too; no further poll was made.
  ioc.restart();
  auto e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->error->code == errc::cancelled);
  BOOST_TEST(server.counters().health_requests == polls);
  w.cancel(); // idempotent
}

BOOST_AUTO_TEST_CASE(cancel_interrupts_a_poll_in_flight_promptly) {
  testing::mock_server server(test::generous_server());
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server)); // a 10 s total timeout
  health_watcher w(c, test::fast_watch());
  test::event_reader reader;
  reader.start(w);
  BOOST_TEST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));
  const auto start = std::chrono::steady_clock::now();
  w.cancel();
  test::run_bounded(ioc, 5s);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
  BOOST_TEST(reader.pending->completions == 1);
  BOOST_TEST(reader.pending->event->error->code == errc::cancelled);
}

BOOST_AUTO_TEST_CASE(destruction_stops_it_and_completes_a_pending_next_once) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  test::event_reader reader;
  {
    health_watcher w(c, test::fast_watch());
    BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "snapshot");
    reader.start(w);
    ioc.poll();
  }
  test::run_bounded(ioc, 5s);
  BOOST_TEST(reader.pending->completions == 1);
  BOOST_TEST(reader.pending->event->error->code == errc::cancelled);
}

BOOST_AUTO_TEST_CASE(a_watcher_destroyed_before_its_first_poll_sends_nothing_afterwards) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  { health_watcher w(c, test::fast_watch()); }
  test::run_bounded(ioc, 5s);
  BOOST_TEST(server.counters().health_requests <= 1u);
}

BOOST_AUTO_TEST_CASE(a_next_cancelled_through_its_slot_completes_once_and_the_watcher_runs_on) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses({step(), step({{"grok", "error"}})});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch());
  test::event_reader reader;
  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "snapshot");

  asio::cancellation_signal signal;
  int completions = 0;
  std::optional<health_event> got;
  w.async_next(asio::bind_cancellation_slot(signal.slot(), [&](health_event e) {
    ++completions;
    got = std::move(e);
  }));
  ioc.poll();
  signal.emit(asio::cancellation_type::terminal);
  BOOST_TEST_REQUIRE(test::run_until(ioc, [&] { return completions > 0; }));
  BOOST_TEST(got->error->code == errc::cancelled);

  const auto e = reader.next(ioc, w); // the change is not lost
  BOOST_TEST_REQUIRE(test::kind_name(e) == "change");
  BOOST_TEST((e->changes.at(0) == moved("grok", "ok", "error")));
  BOOST_TEST(completions == 1);
}

BOOST_AUTO_TEST_CASE(the_handler_never_runs_inside_async_next) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch());
  test::event_reader reader;
  BOOST_TEST_REQUIRE(test::kind_name(reader.next(ioc, w)) == "snapshot");
  w.cancel();
  test::run_bounded(ioc, 5s);
  ioc.restart();
  bool ran = false;
  w.async_next([&](health_event) { ran = true; }); // it would complete at once: stopped
  BOOST_TEST(!ran);
  ioc.run();
  BOOST_TEST(ran);
}

BOOST_AUTO_TEST_CASE(bad_watch_options_fail_every_next_with_invalid_options) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  auto options = test::fast_watch();
  options.interval = 0ms;
  health_watcher w(c, options);
  BOOST_TEST_REQUIRE(w.options_error().has_value());
  BOOST_TEST(w.options_error()->code == errc::invalid_options);
  test::event_reader reader;
  for (int i = 0; i < 2; ++i) {
    auto e = reader.next(ioc, w);
    BOOST_TEST_REQUIRE(e.has_value());
    BOOST_TEST(e->kind == kind::error);
    BOOST_TEST(e->error->code == errc::invalid_options);
  }
  BOOST_TEST(server.counters().requests == 0u);
}

BOOST_AUTO_TEST_CASE(a_client_with_bad_options_cannot_start_a_watcher) {
  asio::io_context ioc;
  client_options bad;
  bad.api_key = ""; // refused by validation
  client c(ioc.get_executor(), bad);
  health_watcher w(c, test::fast_watch());
  BOOST_TEST_REQUIRE(w.options_error().has_value());
  test::event_reader reader;
  const auto e = reader.next(ioc, w);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->error->code == errc::invalid_options);
}

BOOST_AUTO_TEST_CASE(the_coroutine_form_reads_events_in_order) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses({step(), step({{"claude", "error"}})});
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  health_watcher w(c, test::fast_watch());
  std::vector<std::string> kinds;
  bool finished = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 2; ++i)
          kinds.push_back(std::string(to_string((co_await w.next()).kind)));
        w.cancel();
        const auto last = co_await w.next();
        kinds.push_back(last.error ? std::string(to_string(last.error->code)) : "?");
      },
      [&](std::exception_ptr) { finished = true; });
  BOOST_TEST_REQUIRE(test::run_until(ioc, [&] { return finished; }));
  const std::vector<std::string> expected{"snapshot", "change", "cancelled"};
  BOOST_TEST(kinds == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(watchers_share_one_clients_requests_and_limiter) {
  testing::mock_server server(test::generous_server());
  testing::scripted_response slow;
  slow.body = R"({"status":"ok","checkedAt":"2026-12-01T10:00:00.000Z","providers":{"gpt":)"
              R"({"status":"ok"}}})";
  slow.headers = {{"X-Request-Id", "req_shared"}};
  slow.delay = 150ms; // the first poll is still in flight when the second watcher polls
  server.script(slow);
  asio::io_context ioc;
  auto options = test::options_for(server);
  options.coalesce_concurrent_calls = true;
  options.rate_limit.burst = 4; // four requests a minute at most, whoever makes them
  options.rate_limit.requests_per_window = 4;
  options.rate_limit.window = 60s;
  options.rate_limit.mode = rate_limit_mode::fail_fast;
  client c(ioc.get_executor(), options);
  auto watch = test::fast_watch(10ms);
  watch.poll = {}; // single-flight joins only calls without overrides
  health_watcher first(c, watch);
  health_watcher second(c, watch);
  test::event_reader a, b;
  const auto ea = a.next(ioc, first);
  const auto eb = b.next(ioc, second);
  BOOST_TEST_REQUIRE(test::kind_name(ea) == "snapshot");
  BOOST_TEST_REQUIRE(test::kind_name(eb) == "snapshot");
  BOOST_TEST(ea->report->meta.request_id == "req_shared"); // one request served both
  BOOST_TEST(eb->report->meta.request_id == "req_shared");
  BOOST_TEST(server.counters().scripted_served == 1u);

  // Both keep polling every 10 ms and a plain caller joins in: whatever the calls, the shared
  // limiter lets four requests through in all (fail_fast refuses the others instead of sending).
  std::optional<result<health_report>> plain;
  c.async_health([&](result<health_report> r) { plain = std::move(r); });
  BOOST_TEST_REQUIRE(test::run_until(
      ioc, [&] { return plain.has_value() && c.stats().calls_started >= 16; }, 5s));
  BOOST_TEST(server.counters().requests <= 4u);
  BOOST_TEST(c.stats().requests <= 4u);
}

BOOST_AUTO_TEST_CASE(a_watcher_is_answered_from_the_clients_cache) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto options = test::unthrottled(server);
  options.cache_ttl = 5min; // far longer than this test runs
  client c(ioc.get_executor(), options);
  auto primed = test::one_call(ioc, c); // a plain caller fills the cache
  BOOST_TEST_REQUIRE(primed.has_value());
  auto watch = test::fast_watch(10ms);
  watch.poll = {};
  health_watcher watcher(c, watch);
  test::event_reader reader;
  const auto snapshot = reader.next(ioc, watcher);
  BOOST_TEST_REQUIRE(test::kind_name(snapshot) == "snapshot");
  BOOST_TEST(snapshot->report->meta.from_cache);
  BOOST_TEST(snapshot->report->meta.request_id == primed->meta.request_id);
  BOOST_TEST(server.counters().requests == 1u); // the watcher's poll sent nothing
  BOOST_TEST(c.stats().cache_hits >= 1u);
}

BOOST_AUTO_TEST_CASE(works_on_a_multithreaded_io_context) {
  testing::mock_server server(test::generous_server());
  server.script_provider_statuses({step(), step({{"grok", "error"}}), step({}, 503), step()});
  asio::thread_pool threads(4);
  {
    client c(threads.get_executor(), test::unthrottled(server));
    health_watcher w(c, test::fast_watch(5ms));
    std::vector<std::string> kinds;
    for (int i = 0; i < 4; ++i) {
      auto f = w.async_next(asio::use_future);
      BOOST_TEST_REQUIRE((f.wait_for(10s) == std::future_status::ready));
      kinds.push_back(std::string(to_string(f.get().kind)));
      BOOST_TEST(w.latest().has_value()); // from this thread, while the pool polls
    }
    const std::vector<std::string> expected{"snapshot", "change", "error", "recovered"};
    BOOST_TEST(kinds == expected, boost::test_tools::per_element());
    auto pending = w.async_next(asio::use_future);
    w.cancel();
    BOOST_TEST_REQUIRE((pending.wait_for(10s) == std::future_status::ready));
    BOOST_TEST(pending.get().error->code == errc::cancelled);
  }
  threads.join();
}

BOOST_AUTO_TEST_SUITE_END()
