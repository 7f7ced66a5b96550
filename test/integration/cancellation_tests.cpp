// Per-operation cancellation at every stage: completes once with `cancelled`, leaves the pool and
// the limiter consistent.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

namespace {

void expect_later_call_succeeds(asio::io_context& ioc, client& c) {
  ioc.restart();
  auto r = test::one_call(ioc, c);
  BOOST_TEST_MESSAGE(test::why(r));
  BOOST_TEST(r.has_value());
}

} // namespace

BOOST_AUTO_TEST_SUITE(cancellation_tests)

BOOST_AUTO_TEST_CASE(cancel_while_waiting_for_a_rate_limit_token) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.rate_limit.burst = 1;
  opts.rate_limit.requests_per_window = 10;
  opts.rate_limit.window = 1s;
  client c(ioc.get_executor(), opts);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value()); // takes the only token
  test::cancellable_call call;
  call.start(c);
  ioc.poll(); // the call is now queued in the limiter
  call.cancel();
  BOOST_REQUIRE(test::run_until(ioc, [&] { return call.completions > 0; }));
  call.expect_cancelled_once();
  BOOST_TEST(server.counters().requests == 1u);
  expect_later_call_succeeds(ioc, c);
  call.expect_cancelled_once(); // the later call ran the context on: still once
}

BOOST_AUTO_TEST_CASE(cancel_while_waiting_for_a_pooled_connection) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.pool.max_connections = 1;
  opts.timeouts.attempt = 1s;
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  test::cancellable_call holder, waiter;
  holder.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));
  waiter.start(c);
  ioc.poll(); // the waiter is now queued in the pool
  waiter.cancel();
  BOOST_REQUIRE(test::run_until(ioc, [&] { return waiter.completions > 0; }));
  waiter.expect_cancelled_once();
  BOOST_TEST(holder.completions == 0); // untouched by the other call's cancellation
  BOOST_REQUIRE(test::run_until(ioc, [&] { return holder.completions > 0; }));
  expect_later_call_succeeds(ioc, c);
  waiter.expect_cancelled_once(); // the later call ran the context on: still once
}

BOOST_AUTO_TEST_CASE(cancel_during_the_tls_handshake) {
  // A TCP listener that never speaks TLS: the client's handshake hangs until cancelled.
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(ioc);
  bool accepted = false;
  acceptor.async_accept(peer, [&](boost::system::error_code ec) { accepted = !ec; });
  testing::mock_server ca_source;
  client_options opts;
  opts.api_key = testing::mock_server_options::demo_key_value;
  opts.base_url = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  opts.tls.ca_pem = ca_source.ca_pem();
  client c(ioc.get_executor(), opts);
  test::cancellable_call call;
  call.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return accepted; }));
  ioc.poll();
  call.cancel();
  BOOST_REQUIRE(test::run_until(ioc, [&] { return call.completions > 0; }));
  call.expect_cancelled_once();
  BOOST_TEST(c.stats().connections_active == 0u);
  while (ioc.poll() > 0) { // drained of what is ready: still one completion
  }
  call.expect_cancelled_once();
}

BOOST_AUTO_TEST_CASE(cancel_while_reading_the_response) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  test::cancellable_call call;
  call.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));
  call.cancel();
  BOOST_REQUIRE(test::run_until(ioc, [&] { return call.completions > 0; }));
  call.expect_cancelled_once();
  expect_later_call_succeeds(ioc, c);
  call.expect_cancelled_once(); // the later call ran the context on: still once
  BOOST_TEST(server.counters().connections_accepted == 2u); // the abandoned connection was dropped
}

BOOST_AUTO_TEST_CASE(cancel_during_the_backoff_sleep) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  server.script(
      503,
      R"({"error":{"code":"service_unavailable","message":"down","status":503,"requestId":"req_1"}})",
      {{"Retry-After", "5"}}); // well inside the call's 10 s deadline
  test::cancellable_call call;
  call.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return c.stats().retries == 1; }));
  const auto start = std::chrono::steady_clock::now();
  call.cancel();
  BOOST_REQUIRE(test::run_until(ioc, [&] { return call.completions > 0; }));
  call.expect_cancelled_once();
  BOOST_TEST((std::chrono::steady_clock::now() - start < 1s));
  BOOST_TEST(server.counters().requests == 1u);
  expect_later_call_succeeds(ioc, c);
  call.expect_cancelled_once(); // the later call ran the context on: still once
}

BOOST_AUTO_TEST_CASE(shutdown_fails_waiting_calls_and_refuses_new_ones) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::options_for(server);
  opts.rate_limit.burst = 1;
  opts.rate_limit.requests_per_window = 1;
  opts.rate_limit.window = 5s; // the next token is due inside the call's 10 s deadline
  client c(ioc.get_executor(), opts);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  test::cancellable_call waiting;
  waiting.start(c);
  ioc.poll();
  bool shut = false;
  c.async_shutdown([&] { shut = true; });
  BOOST_REQUIRE(test::run_until(ioc, [&] { return shut && waiting.completions > 0; }));
  waiting.expect_cancelled_once();
  ioc.restart();
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::cancelled);
}

// A cancellation that arrives after one stage's operation has completed but before the coroutine
// has resumed and started the next stage lands on no operation. Asio records it in the
// coroutine's cancellation state; the pipeline must look there, or the next stage (here a read
// from a server that never answers) runs until its timeout instead of stopping at once.
BOOST_AUTO_TEST_CASE(cancellation_between_stages_is_honoured_promptly) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::unthrottled(server);
  opts.timeouts.attempt = 30s;
  opts.timeouts.total = 60s;
  opts.pool.acquire_timeout = 30s;
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  std::uint64_t scripted = 0; // silences queued so far; a call cancelled early leaves its own
  for (int steps = 0; steps < 60; ++steps) {
    const bool queue_empty = server.counters().scripted_served == scripted;
    if (queue_empty && steps % 2 == 0) { // half the rounds start with an idle connection to reuse
      ioc.restart();
      auto warm = test::one_call(ioc, c);
      BOOST_REQUIRE_MESSAGE(warm.has_value(), test::why(warm));
    }
    if (queue_empty) {
      server.script(silent);
      ++scripted;
    }
    ioc.restart();
    test::cancellable_call call;
    call.start(c);
    for (int i = 0; i < steps; ++i)
      ioc.poll_one();
    call.cancel();
    const bool done = test::run_until(
        ioc, [&] { return call.completions > 0; }, 5s);
    BOOST_REQUIRE_MESSAGE(done, "cancelled after " << steps << " steps: no completion within 5 s");
    BOOST_TEST(call.completions == 1);
    BOOST_REQUIRE(call.outcome.has_value());
    if (*call.outcome) // the call may legitimately have completed before the cancellation
      continue;
    BOOST_TEST(call.outcome->error().code == errc::cancelled,
               "after " << steps << " steps: " << test::why(*call.outcome));
  }
}

// Callers on their own strands of a four-thread pool, each emitting cancellation from its strand
// (as Asio requires) at some point of its call, then the client is destroyed with calls still in
// flight: every call completes exactly once, on its caller's strand, successfully or cancelled.
// Run under TSan: the completion used to detach the caller's cancellation slot from the call's
// strand while the caller could be emitting on its own.
BOOST_AUTO_TEST_CASE(calls_cancelled_from_their_own_strands_on_four_threads_complete_once) {
  testing::mock_server server(test::generous_server());
  asio::thread_pool threads(4);
  struct caller {
    explicit caller(asio::thread_pool& tp) : strand(asio::make_strand(tp)) {}
    asio::strand<asio::thread_pool::executor_type> strand;
    asio::cancellation_signal signal;
    int completions = 0;      // on `strand` only
    bool on_strand = true;    // ditto
    std::optional<errc> code; // ditto
  };
  constexpr int calls = 120;
  std::vector<std::unique_ptr<caller>> callers;
  for (int i = 0; i < calls; ++i)
    callers.push_back(std::make_unique<caller>(threads));
  std::atomic<int> initiated{0}, completed{0};
  {
    auto opts = test::unthrottled(server);
    opts.pool.max_connections = 2;
    client c(threads.get_executor(), opts);
    for (int i = 0; i < calls; ++i) {
      auto& k = *callers[i];
      asio::post(k.strand, [&c, &k, &initiated, &completed, i] {
        c.async_health(asio::bind_cancellation_slot(
            k.signal.slot(),
            asio::bind_executor(k.strand, [&k, &completed](result<health_report> r) {
              ++k.completions;
              k.on_strand = k.strand.running_in_this_thread();
              if (!r)
                k.code = r.error().code;
              ++completed;
            })));
        ++initiated;
        if (i % 4 == 0)
          return; // never cancelled by its caller
        // Emit after a few turns of the caller's strand: at various stages of the call.
        struct emitter {
          caller* k;
          int hops;
          void operator()() {
            if (hops-- == 0)
              return k->signal.emit(asio::cancellation_type::terminal);
            asio::post(k->strand, *this);
          }
        };
        asio::post(k.strand, emitter{&k, i % 9});
      });
    }
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while ((initiated < calls || completed < calls / 2) &&
           std::chrono::steady_clock::now() < give_up)
      std::this_thread::yield();
    BOOST_REQUIRE(initiated == calls);
  } // the last handle goes with calls in flight
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  while (completed < calls && std::chrono::steady_clock::now() < give_up)
    std::this_thread::yield();
  BOOST_REQUIRE_MESSAGE(completed == calls, completed << " of " << calls << " calls completed");
  threads.join();
  for (int i = 0; i < calls; ++i) {
    const auto& k = *callers[i];
    BOOST_TEST(k.completions == 1, "call " << i);
    BOOST_TEST(k.on_strand, "call " << i);
    BOOST_TEST((!k.code || *k.code == errc::cancelled),
               "call " << i << ": " << k.code.value_or(errc::cancelled));
  }
}

BOOST_AUTO_TEST_SUITE_END()
