// The chaos soak: tens of thousands of calls from many callers on a four-thread io_context
// against the mock server in chaos mode. Every call completes exactly once, with a correct
// report or an error its injected fault explains; the client's counters, the server's counters
// and the calls' outcomes add up; nothing is left open or waiting; memory stays flat.
// TALKORY_SOAK_CALLS sets the number of calls (see default_calls), TALKORY_SOAK_SEED the seed.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include "integration/fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif
#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer's own bookkeeping (shadow and sync state for every address it has seen) grows
// the resident set by 10 to 150 MiB between the halves here, unevenly, while the release build
// stays flat over 100,000 calls and LeakSanitizer finds nothing: under TSan the figures are
// printed, not judged.
constexpr bool rss_is_the_programs = false;
#else
constexpr bool rss_is_the_programs = true; // ASan's quarantine is kept small (see main.cpp)
#endif

// The short run of the test command: well under a minute per preset, sanitizers included.
constexpr std::size_t default_calls = sanitized ? 4'000 : 20'000;
constexpr int threads = 4;
// A few more callers than connections: some calls queue in the pool while others find idle
// connections, whose watches then see the server's closes (both paths run).
constexpr int callers = 48;
constexpr std::size_t max_connections = 44;
// Bounds an attempt (and a connect or handshake) far above a loaded machine's latency, so the
// only timeouts are the injected long delays, which are longer still. A sanitized build on a
// loaded machine (48 callers on 2 cores, other builds running) was seen taking over 1.5 s for
// an attempt: there the bounds are wider, and a few long delays cost a few seconds more.
constexpr auto attempt_bound = sanitized ? 5000ms : 1500ms;
constexpr auto long_delay = sanitized ? 8s : 3s;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0')
    return fallback;
  return std::strtoull(text, nullptr, 10);
}

std::size_t resident_bytes() {
  // /proc/self/statm: size, resident, ... in pages.
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  BOOST_REQUIRE(f != nullptr);
  unsigned long size = 0;
  unsigned long resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  BOOST_REQUIRE(read == 2);
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// The mock's providers, in its order: the oracle of a correct report.
const std::vector<std::string> expected_providers{"gpt", "claude", "gemini", "grok", "perplexity"};

/// Why `report` is not the mock's normal answer, or nothing.
std::string check_report(const health_report& report) {
  if (report.status != health_status::ok || report.providers.size() != expected_providers.size())
    return "not the mock's five healthy providers";
  for (std::size_t i = 0; i < expected_providers.size(); ++i)
    if (report.providers[i].name != expected_providers[i] ||
        report.providers[i].status != provider_status::ok)
      return "provider " + std::to_string(i) + " is not " + expected_providers[i] + " ok";
  if (report.meta.http_status != 200 || !report.meta.request_id.starts_with("req_"))
    return "metadata without HTTP 200 or the server's request id";
  if (report.meta.attempts != 1)
    return "attempts " + std::to_string(report.meta.attempts) + " with retries off";
  if (report.checked_at.time_since_epoch().count() == 0)
    return "no checkedAt";
  return {};
}

/// Why `error` is not what an injected fault produces, or nothing. With retries off, each
/// failed call shows the fault of its one attempt.
std::string check_error(const api_error& error, const testing::chaos_options& chaos) {
  const bool from_server = error.origin == error_origin::server &&
                           error.request_id.starts_with("req_") && error.attempts == 1;
  const bool from_client = error.origin == error_origin::client && error.http_status == 0;
  switch (error.code) {
  case errc::service_unavailable: // chaos: unavailable
    return from_server && error.http_status == 503 ? "" : "a 503 without its status or request id";
  case errc::rate_limited: // chaos: rate_limited, never the client's own limiter
    return from_server && error.http_status == 429 && error.retry_after == chaos.retry_after
               ? ""
               : "a 429 without its status, request id or Retry-After";
  case errc::timeout: // chaos: long_delay
    return from_client ? "" : "a timeout that claims a server answer";
  case errc::connection_lost: // chaos: reset, close_mid_body
    return from_client ? "" : "a lost connection that claims a server answer";
  default:
    return "no injected fault produces " + std::string(to_string(error.code)) + ": " +
           error.describe();
  }
}

/// One call's outcome, written by its completion (on any of the threads) and read after the
/// threads are joined.
struct call_record {
  std::atomic<int> completions{0};
  std::optional<errc> error; // nothing: a report
  std::string problem;       // why the outcome is wrong; empty when it is right
};

struct soak_run {
  explicit soak_run(std::size_t calls, testing::chaos_options faults)
      : records(calls), chaos(std::move(faults)) {}

  std::vector<call_record> records;
  const testing::chaos_options chaos;
  std::atomic<std::size_t> next{0};
  std::size_t end = 0; // the phase's last call + 1; set while no thread runs

  /// The next call's index, or nothing when the phase has made all its calls.
  std::optional<std::size_t> take() {
    // Never past `end`: the callers that find the phase over leave the next index to the next
    // phase.
    auto i = next.load();
    do {
      if (i >= end)
        return std::nullopt;
    } while (!next.compare_exchange_weak(i, i + 1));
    return i;
  }

  void record(std::size_t i, const result<health_report>& r) {
    auto& slot = records[i];
    if (slot.completions.fetch_add(1) != 0)
      return; // a second completion: counted, the first outcome kept
    if (r) {
      slot.problem = check_report(*r);
    } else {
      slot.error = r.error().code;
      slot.problem = check_error(r.error(), chaos);
    }
  }
};

// Two kinds of caller: a coroutine awaiting each call, and a chain of completion handlers
// where each handler starts the next call (a second completion would show as a count of 2).
asio::awaitable<void> coroutine_caller(client c, soak_run& run) {
  while (auto i = run.take()) {
    auto r = co_await c.async_health(call_options{}, asio::use_awaitable);
    run.record(*i, r);
  }
}

void callback_caller(client c, soak_run& run) {
  auto i = run.take();
  if (!i)
    return;
  c.async_health(call_options{}, [c, &run, i = *i](result<health_report> r) {
    run.record(i, r);
    callback_caller(c, run);
  });
}

/// Makes calls [run.next, end) from every caller and returns when they have all completed.
void run_phase(asio::io_context& ioc, client& c, soak_run& run, std::size_t end) {
  run.end = end;
  for (int k = 0; k < callers; ++k) {
    if (k % 2 == 0)
      asio::co_spawn(ioc, coroutine_caller(c, run), asio::detached);
    else
      asio::post(ioc, [c, &run] { callback_caller(c, run); });
  }
  // run() returns when nothing is left: every call completed, and no pool or limiter waiter
  // (each holds work on the client's executor) and no timer is pending. Idle connections' watches
  // are not counted as work. The bound only keeps a broken build from hanging the test.
  const auto bound = 60s + std::chrono::milliseconds(end * (sanitized ? 20 : 4));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] { ioc.run_for(bound); });
  for (auto& t : pool)
    t.join();
  BOOST_REQUIRE_MESSAGE(ioc.stopped(), "the phase still had work after " << bound.count() << " ms");
  ioc.restart();
}

client_options soak_options(const testing::mock_server& server) {
  auto o = test::options_for(server);
  // One request per call, whatever the single-flight default: the counts below rely on it.
  o.coalesce_concurrent_calls = false;
  o.retry.max_retries = 0; // each failed call shows its one fault (the stale replay stays)
  o.timeouts.connect = attempt_bound;
  o.timeouts.handshake = attempt_bound;
  o.timeouts.attempt = attempt_bound;
  o.timeouts.total = 2 * attempt_bound; // room for the one replay of a stale connection
  o.timeouts.shutdown = 500ms;
  o.pool.max_connections = max_connections;
  // On, so every request takes a token on the limiter's strand, but never the bottleneck.
  o.rate_limit.requests_per_window = 1'000'000;
  o.rate_limit.burst = 1'000'000;
  o.rate_limit.window = 1s;
  return o;
}

testing::mock_server_options chaos_server() {
  auto o = test::generous_server();
  o.rate_limit = 100'000'000; // the server's own limit is not a fault under test here
  o.chaos.enabled = true;
  o.chaos.seed = env_number("TALKORY_SOAK_SEED", 20260627);
  o.chaos.long_delay_time = long_delay;
  // A 429's Retry-After pauses the client's limiter for every caller (pinned in
  // rate_limit_tests); a pause of seconds would make the soak limiter-bound, so zero here: the
  // value must still reach the error exactly.
  o.chaos.retry_after = 0s;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chaos_soak_tests)

BOOST_AUTO_TEST_CASE(every_call_completes_once_and_the_counts_add_up) {
  const std::size_t calls = env_number("TALKORY_SOAK_CALLS", default_calls);
  BOOST_TEST_REQUIRE(calls >= 2u);
  testing::mock_server server{chaos_server()};
  asio::io_context ioc{threads};
  client c{ioc.get_executor(), soak_options(server)};
  soak_run run{calls, chaos_server().chaos};

  const auto started = std::chrono::steady_clock::now();
  run_phase(ioc, c, run, calls / 2);
  const auto rss_first_half = resident_bytes();
  run_phase(ioc, c, run, calls);
  const auto rss_second_half = resident_bytes();
  const auto wall = std::chrono::steady_clock::now() - started;

  // Exactly once, and each outcome correct.
  std::size_t successes = 0;
  std::map<errc, std::size_t> errors;
  std::size_t wrong_count = 0;
  std::size_t wrong_outcome = 0;
  for (std::size_t i = 0; i < calls; ++i) {
    const auto& r = run.records[i];
    if (r.completions.load() != 1) {
      if (wrong_count++ < 5)
        BOOST_ERROR("call " << i << " completed " << r.completions.load() << " times");
      continue;
    }
    if (!r.problem.empty() && wrong_outcome++ < 5)
      BOOST_ERROR("call " << i << ": " << r.problem);
    if (r.error)
      ++errors[*r.error];
    else
      ++successes;
  }
  BOOST_TEST(wrong_count == 0u);
  BOOST_TEST(wrong_outcome == 0u);
  std::size_t failures = 0;
  for (const auto& [code, n] : errors)
    failures += n;
  BOOST_TEST(successes + failures == calls);

  const auto s = c.stats();
  const auto m = server.counters();
  const auto& chaos = m.chaos;
  BOOST_TEST(s.calls_started == calls);
  BOOST_TEST(s.calls_succeeded == successes);
  BOOST_TEST(s.calls_failed == failures);
  BOOST_TEST(s.retries == 0u);

  // Every request the server read drew one chaos outcome, and each outcome ends one call, but
  // for a reset before any response byte on a reused connection: the client replays that
  // request once on a fresh connection (a stale retry), and the replay's outcome ends the call.
  // A request written onto a connection the server had just closed (close_after) is replayed
  // too, and the server never read it.
  const auto drawn = chaos.answered + chaos.delayed + chaos.long_delayed + chaos.resets +
                     chaos.unavailable + chaos.rate_limited + chaos.closed_after +
                     chaos.closed_mid_body;
  BOOST_TEST(m.requests == drawn);
  BOOST_TEST_REQUIRE(s.requests >= m.requests);
  const auto never_read = s.requests - m.requests;
  BOOST_TEST_REQUIRE(s.stale_retries >= never_read);
  const auto replayed_resets = s.stale_retries - never_read;
  BOOST_TEST(successes == chaos.answered + chaos.delayed + chaos.closed_after);
  BOOST_TEST(errors[errc::service_unavailable] == chaos.unavailable);
  BOOST_TEST(errors[errc::rate_limited] == chaos.rate_limited);
  BOOST_TEST(errors[errc::timeout] == chaos.long_delayed);
  BOOST_TEST(errors[errc::connection_lost] + replayed_resets ==
             chaos.resets + chaos.closed_mid_body);
  BOOST_TEST(s.calls_started + s.stale_retries == s.requests);

  // Connections: each the client opened is one the server accepted and shook hands on.
  BOOST_TEST(s.connections_opened == m.connections_accepted);
  BOOST_TEST(s.handshakes_full + s.handshakes_resumed == m.tls_handshakes);
  BOOST_TEST(s.handshakes_resumed == m.tls_resumed_handshakes);
  BOOST_TEST(s.connections_active == 0u);
  BOOST_TEST(s.connections_idle <= max_connections);

  // Shut down: every connection closed on both sides, nothing left to run.
  bool shut = false;
  c.async_shutdown([&] { shut = true; });
  test::run_bounded(ioc, 10s);
  BOOST_TEST(shut);
  BOOST_TEST(c.stats().connections_idle == 0u);
  BOOST_TEST(c.stats().connections_active == 0u);
  // A long-delayed answer keeps its server connection until the delay ends.
  BOOST_TEST(server.wait_for_no_open_connections(long_delay + 5s));

  // Memory stays flat: the second half, as long as the first, may not grow the resident set by
  // more than 8 MiB. Measured growth: about 2 MiB over 10,000 calls in release and 1-3 MiB under
  // ASan (allocator arenas settling after the warm-up half), 8 KiB between the halves of a
  // 100,000-call run; in release, a leak of a connection, a coroutine frame or a response per
  // call (1 KiB or more) exceeds it.
  const auto growth = rss_second_half > rss_first_half ? rss_second_half - rss_first_half : 0;
  const std::size_t tolerance = 8u << 20;
  if (rss_is_the_programs)
    BOOST_TEST(growth <= tolerance);

  std::cout << "soak: calls " << calls << ", successes " << successes;
  for (const auto& [code, n] : errors)
    std::cout << ", " << to_string(code) << " " << n;
  std::cout << "\nsoak: requests " << s.requests << " (server " << m.requests << "), stale replays "
            << s.stale_retries << ", connections " << s.connections_opened << ", idle retired "
            << s.idle_connections_retired << ", pool waits " << s.pool_waits << ", limiter waits "
            << s.rate_limit_waits << "\nsoak: chaos answered " << chaos.answered << ", delayed "
            << chaos.delayed << ", long " << chaos.long_delayed << ", resets " << chaos.resets
            << ", 503 " << chaos.unavailable << ", 429 " << chaos.rate_limited << ", closed after "
            << chaos.closed_after << ", mid-body " << chaos.closed_mid_body
            << "\nsoak: RSS first half " << (rss_first_half >> 10) << " KiB, second half "
            << (rss_second_half >> 10) << " KiB; wall "
            << std::chrono::duration_cast<std::chrono::milliseconds>(wall).count() << " ms\n";
}

BOOST_AUTO_TEST_SUITE_END()
