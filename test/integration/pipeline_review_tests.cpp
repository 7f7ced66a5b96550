// Review of the client pipeline: cancellation windows between stages, teardown with calls parked
// in the pool, TLS handshake faults, host-name resolution, and awaitables outliving their handle.
#include <array>
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

BOOST_AUTO_TEST_SUITE(pipeline_review_tests)

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

// A call parked in the pool's queue owns, through its coroutine frame, the client and so the
// pool: a cycle only the execution context's shutdown can break, as the limiter already does.
BOOST_AUTO_TEST_CASE(destroying_the_context_with_a_call_queued_in_the_pool_leaks_nothing) {
  testing::mock_server server(test::generous_server());
  auto sentinel = std::make_shared<int>(0);
  {
    asio::io_context ioc;
    auto opts = test::unthrottled(server);
    opts.pool.max_connections = 1;
    testing::scripted_response silent;
    silent.inject = testing::fault::no_response;
    server.script(silent);
    client c(ioc.get_executor(), opts);
    c.async_health([s = sentinel](result<health_report>) {}); // holds the only connection
    c.async_health([s = sentinel](result<health_report>) {}); // waits in the pool
    BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1; }));
    ioc.poll();
    BOOST_TEST(sentinel.use_count() == 3);
  } // the client, then the io_context, without running it again
  BOOST_TEST(sentinel.use_count() == 1); // both handlers (and their frames) were destroyed
}

// A peer that accepts TCP and hangs up in the middle of the handshake is a network fault
// (retryable connection_lost), not a certificate problem. Asio reports the EOF as
// ssl::error::stream_truncated.
BOOST_AUTO_TEST_CASE(server_hanging_up_during_the_tls_handshake_is_connection_lost) {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(ioc);
  std::array<char, 16 * 1024> hello{};
  acceptor.async_accept(peer, [&](boost::system::error_code ec) {
    if (ec)
      return;
    peer.async_read_some(asio::buffer(hello), [&](boost::system::error_code, std::size_t) {
      boost::system::error_code ignored;
      peer.shutdown(asio::ip::tcp::socket::shutdown_send, ignored); // FIN after the ClientHello
    });
  });
  testing::mock_server ca_source;
  client_options opts;
  opts.api_key = testing::mock_server_options::demo_key_value;
  opts.base_url = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  opts.tls.ca_pem = ca_source.ca_pem();
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  std::optional<result<health_report>> got;
  c.async_health([&](result<health_report> r) { got.emplace(std::move(r)); });
  BOOST_REQUIRE(test::run_until(ioc, [&] { return got.has_value(); }));
  BOOST_REQUIRE(!got->has_value());
  BOOST_TEST(got->error().code == errc::connection_lost, test::why(*got));
}

// The resolver path (host names rather than IP literals) works end to end, including reuse.
BOOST_AUTO_TEST_CASE(host_name_base_url_is_resolved_and_verified) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::unthrottled(server);
  opts.base_url = "https://localhost:" + std::to_string(server.port());
  client c(ioc.get_executor(), opts);
  for (int i = 0; i < 3; ++i) {
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
  }
  BOOST_TEST(c.stats().connections_opened == 1u);
}

// health() is lazy: it must not depend on the handle it was called on still existing when the
// awaitable finally runs (async_health with `deferred` does not), nor read another client that
// took the destroyed one's place.
BOOST_AUTO_TEST_CASE(health_awaitable_does_not_use_the_handle_after_it_is_gone) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  std::optional<client> c(std::in_place, ioc.get_executor(), test::unthrottled(server));
  auto call = c->health();
  c.reset();
  auto bad = test::unthrottled(server);
  bad.api_key.clear(); // a different client in the same storage: invalid options
  c.emplace(ioc.get_executor(), bad);
  std::optional<result<health_report>> got;
  asio::co_spawn(ioc, std::move(call),
                 [&](std::exception_ptr, result<health_report> r) { got.emplace(std::move(r)); });
  test::run_bounded(ioc);
  BOOST_REQUIRE(got.has_value());
  BOOST_REQUIRE(!got->has_value());
  BOOST_TEST(got->error().code == errc::cancelled, test::why(*got)); // the first client's fate
  BOOST_TEST(server.counters().requests == 0u);
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
