// The keep-alive pool: reuse, bounds, stale connections, session resumption, teardown.
#include <atomic>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base_url.hpp"
#include "connection.hpp"
#include "connection_exchange.hpp"
#include "fixture.hpp"
#include "tls_context.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(connection_pool_tests)

BOOST_AUTO_TEST_CASE(sequential_calls_share_one_connection_and_one_handshake) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::uncoalesced(test::unthrottled(server)));
  for (int i = 0; i < 20; ++i) {
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
    BOOST_TEST(r->meta.connection_reused == (i > 0));
  }
  BOOST_TEST(server.counters().connections_accepted == 1u);
  BOOST_TEST(server.counters().tls_handshakes == 1u);
  const auto s = c.stats();
  BOOST_TEST(s.connections_opened == 1u);
  BOOST_TEST(s.handshakes_full == 1u);
  BOOST_TEST(s.requests == 20u);
  BOOST_TEST(s.requests_on_reused == 19u);
  BOOST_TEST(s.connections_idle == 1u);
  BOOST_TEST(s.connections_active == 0u);
}

BOOST_AUTO_TEST_CASE(concurrent_calls_never_exceed_max_connections) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::unthrottled(server));
  opts.pool.max_connections = 3;
  client c(ioc.get_executor(), opts);
  auto results = test::concurrent_calls(ioc, c, 24);
  for (auto& r : results)
    BOOST_TEST(r.has_value());
  BOOST_TEST(server.counters().connections_accepted <= 3u);
  BOOST_TEST(c.stats().connections_opened <= 3u);
  BOOST_TEST(c.stats().pool_waits > 0u);
}

BOOST_AUTO_TEST_CASE(connection_close_responses_cost_no_failed_calls) {
  auto so = test::generous_server();
  so.close_every = 2;
  testing::mock_server server(so);
  asio::io_context ioc;
  client c(ioc.get_executor(), test::uncoalesced(test::unthrottled(server)));
  for (int i = 0; i < 10; ++i) {
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
  }
  BOOST_TEST(server.counters().connections_accepted == 5u);
  BOOST_TEST(c.stats().stale_retries == 0u); // Connection: close is honoured, not discovered
}

BOOST_AUTO_TEST_CASE(server_closing_idle_connections_costs_no_failed_calls) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::unthrottled(server));
  opts.retry.max_retries = 0; // only the transparent stale replay may rescue a call
  client c(ioc.get_executor(), opts);
  for (int i = 0; i < 10; ++i) {
    auto r = test::one_call(ioc, c);
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
    server.close_idle_connections();
  }
  BOOST_TEST(c.stats().retries == 0u);
  BOOST_TEST(server.counters().health_requests == 10u);
}

BOOST_AUTO_TEST_CASE(stale_connection_is_replayed_once_on_a_fresh_one) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::unthrottled(server));
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  testing::scripted_response drop;
  drop.inject = testing::fault::close_before_response;
  server.script(drop);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
  BOOST_TEST(r->meta.attempts == 1); // the replay is not a retry attempt
  BOOST_TEST(c.stats().stale_retries == 1u);
  BOOST_TEST(c.stats().retries == 0u);
  BOOST_TEST(server.counters().requests == 3u);
  BOOST_TEST(server.counters().connections_accepted == 2u);
}

BOOST_AUTO_TEST_CASE(fresh_connection_closed_without_answer_is_not_replayed_silently) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::unthrottled(server));
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  testing::scripted_response drop;
  drop.inject = testing::fault::close_before_response;
  server.script(drop);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::connection_lost);
  BOOST_TEST(c.stats().stale_retries == 0u);
}

BOOST_AUTO_TEST_CASE(saturated_pool_times_out_the_waiting_call) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::unthrottled(server));
  opts.pool.max_connections = 1;
  opts.pool.acquire_timeout = 100ms;
  opts.timeouts.attempt = 2s;
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  auto results = test::concurrent_calls(ioc, c, 2);
  BOOST_REQUIRE(!results[0].has_value());
  BOOST_TEST(results[0].error().code == errc::timeout); // the silent server: attempt timeout
  BOOST_REQUIRE(!results[1].has_value());
  BOOST_TEST(results[1].error().code == errc::timeout); // the waiter: pool acquire timeout
  BOOST_TEST(results[1].error().message.find("pool") != std::string::npos);
  BOOST_TEST(server.counters().requests == 1u);
}

BOOST_AUTO_TEST_CASE(refused_connection_gives_connection_failed) {
  asio::io_context ioc;
  client_options opts;
  opts.coalesce_concurrent_calls = false; // one request per concurrent call
  opts.api_key = testing::mock_server_options::demo_key_value;
  {
    // A port that was just free: nothing listens there any more.
    testing::mock_server gone;
    opts.base_url = gone.base_url();
    opts.tls.ca_pem = gone.ca_pem();
  }
  opts.rate_limit.enabled = false;
  opts.retry.max_retries = 0;
  opts.pool.max_connections = 1;
  client c(ioc.get_executor(), opts);
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::connection_failed);
}

BOOST_AUTO_TEST_CASE(new_connections_resume_the_tls_session) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::unthrottled(server));
  opts.pool.reuse = false; // every call reconnects
  client c(ioc.get_executor(), opts);
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  BOOST_TEST(server.counters().connections_accepted == 3u);
  BOOST_TEST(c.stats().handshakes_full == 1u);
  BOOST_TEST(c.stats().handshakes_resumed == 2u);
  BOOST_TEST(server.counters().tls_resumed_handshakes == 2u);
}

BOOST_AUTO_TEST_CASE(reconnect_after_the_server_dropped_idle_connections_is_resumed) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::uncoalesced(test::unthrottled(server)));
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  server.close_idle_connections();
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  BOOST_TEST(server.counters().connections_accepted == 2u);
  BOOST_TEST(c.stats().handshakes_resumed == 1u);
}

BOOST_AUTO_TEST_CASE(many_calls_on_a_four_thread_pool_complete) {
  testing::mock_server server(test::generous_server());
  asio::thread_pool threads(4);
  auto opts = test::uncoalesced(test::unthrottled(server));
  opts.pool.max_connections = 4;
  client c(threads.get_executor(), opts);
  std::atomic<int> ok{0}, failed{0}, completions{0};
  constexpr int calls = 200;
  for (int i = 0; i < calls; ++i)
    c.async_health([&](result<health_report> r) {
      ++(r ? ok : failed);
      ++completions;
    });
  threads.join();
  BOOST_TEST(completions.load() == calls);
  BOOST_TEST(ok.load() == calls);
  BOOST_TEST(server.counters().connections_accepted <= 4u);
}

BOOST_AUTO_TEST_CASE(destroying_the_client_cancels_each_call_in_flight_exactly_once) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  std::vector<int> completions(100, 0);
  std::vector<std::optional<errc>> codes(100);
  {
    auto opts = test::uncoalesced(test::unthrottled(server));
    opts.pool.max_connections = 4;
    client c(ioc.get_executor(), opts);
    testing::scripted_response silent;
    silent.inject = testing::fault::no_response;
    for (int i = 0; i < 4; ++i)
      server.script(silent);
    for (int i = 0; i < 100; ++i)
      c.async_health([&, i](result<health_report> r) {
        ++completions[i];
        if (!r)
          codes[i] = r.error().code;
      });
    // Wait (bounded) until four requests hang at the server and the rest wait for the pool.
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (server.counters().requests < 4 && std::chrono::steady_clock::now() < give_up)
      ioc.run_one_for(50ms);
    BOOST_REQUIRE(server.counters().requests == 4u);
  }
  test::run_bounded(ioc);
  for (int i = 0; i < 100; ++i) {
    BOOST_TEST(completions[i] == 1);
    BOOST_TEST((codes[i] == errc::cancelled));
  }
}

BOOST_AUTO_TEST_CASE(idle_connection_with_unsolicited_bytes_is_not_reused) {
  // A plain-HTTP peer that answers the first request, then, while the connection is idle,
  // sends a response nobody asked for (as servers do with "408 Request Timeout").
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string ok_response =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 69\r\n\r\n"
      R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{}})";
  const std::string stray =
      "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> peers;
  std::function<void()> accept_next = [&] {
    auto peer = std::make_shared<asio::ip::tcp::socket>(ioc);
    acceptor.async_accept(*peer, [&, peer](boost::system::error_code ec) {
      if (ec)
        return;
      peers.push_back(peer);
      auto request = std::make_shared<asio::streambuf>();
      asio::async_read_until(*peer, *request, "\r\n\r\n",
                             [&, peer, request](boost::system::error_code rec, std::size_t) {
                               if (!rec)
                                 asio::async_write(*peer, asio::buffer(ok_response),
                                                   [](boost::system::error_code, std::size_t) {});
                             });
      accept_next();
    });
  };
  accept_next();

  client_options opts;
  opts.coalesce_concurrent_calls = false; // one request per concurrent call
  opts.api_key = testing::mock_server_options::demo_key_value;
  opts.base_url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  opts.allow_insecure_http = true;
  opts.rate_limit.enabled = false;
  opts.retry.max_retries = 0;
  client c(ioc.get_executor(), opts);

  std::optional<result<health_report>> first, second;
  c.async_health([&](result<health_report> r) { first.emplace(std::move(r)); });
  while (!first && ioc.run_one_for(5s)) {
  }
  BOOST_REQUIRE(first.has_value());
  BOOST_REQUIRE_MESSAGE(first->has_value(), test::why(*first));
  BOOST_REQUIRE(c.stats().connections_idle == 1u);

  bool stray_sent = false;
  asio::async_write(*peers.front(), asio::buffer(stray),
                    [&](boost::system::error_code, std::size_t) { stray_sent = true; });
  while (!stray_sent && ioc.run_one_for(5s)) {
  }
  BOOST_REQUIRE(stray_sent); // on loopback the bytes are in the client's socket now

  c.async_health([&](result<health_report> r) { second.emplace(std::move(r)); });
  while (!second && ioc.run_one_for(5s)) {
  }
  BOOST_REQUIRE(second.has_value());
  BOOST_TEST(second->has_value(), test::why(*second));
  BOOST_TEST(peers.size() == 2u); // the tainted connection was dropped, a fresh one used
  acceptor.close();
}

BOOST_AUTO_TEST_CASE(idle_timeout_closes_the_connection_and_the_reconnect_is_resumed) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::unthrottled(server));
  opts.pool.idle_timeout = 20ms;
  client c(ioc.get_executor(), opts);
  BOOST_REQUIRE(test::one_call(ioc, c).has_value());
  // Let the idle connection outlive the pool's idle timeout (the behaviour under test is time).
  asio::steady_timer idle(ioc, 50ms);
  idle.async_wait([](boost::system::error_code) {});
  test::run_bounded(ioc);
  ioc.restart();
  auto r = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
  BOOST_TEST(!r->meta.connection_reused);
  BOOST_TEST(server.counters().connections_accepted == 2u);
  BOOST_TEST(c.stats().handshakes_resumed == 1u);
  BOOST_TEST(c.stats().stale_retries == 0u); // dropped by the client, not discovered dead
}

BOOST_AUTO_TEST_CASE(pool_acquire_timeout_carries_the_last_connect_error) {
  // A TCP peer that hangs up on its first connection and then accepts but never speaks TLS.
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held;
  int accepted = 0;
  std::function<void()> accept_next = [&] {
    auto peer = std::make_shared<asio::ip::tcp::socket>(ioc);
    acceptor.async_accept(*peer, [&, peer](boost::system::error_code ec) {
      if (ec)
        return;
      if (++accepted == 1)
        peer->close();
      else
        held.push_back(peer);
      accept_next();
    });
  };
  accept_next();
  testing::mock_server ca_source;
  client_options opts;
  opts.coalesce_concurrent_calls = false; // one request per concurrent call
  opts.api_key = testing::mock_server_options::demo_key_value;
  opts.base_url = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  opts.tls.ca_pem = ca_source.ca_pem();
  opts.rate_limit.enabled = false;
  opts.retry.max_retries = 0;
  opts.pool.max_connections = 1;
  opts.pool.acquire_timeout = 100ms;
  opts.timeouts.handshake = 2s;
  client c(ioc.get_executor(), opts);

  std::optional<result<health_report>> first; // the peer hangs up during the handshake
  c.async_health([&](result<health_report> r) { first.emplace(std::move(r)); });
  BOOST_REQUIRE(test::run_until(ioc, [&] { return first.has_value(); }));
  BOOST_REQUIRE(!first->has_value());
  BOOST_TEST(first->error().code == errc::connection_lost);

  test::cancellable_call holder; // takes the only slot and hangs in the handshake
  holder.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return accepted == 2; }));
  std::optional<result<health_report>> waiter;
  c.async_health([&](result<health_report> r) { waiter.emplace(std::move(r)); });
  BOOST_REQUIRE(test::run_until(ioc, [&] { return waiter.has_value(); }));
  BOOST_REQUIRE(!waiter->has_value());
  BOOST_TEST(waiter->error().code == errc::timeout);
  BOOST_TEST(waiter->error().message.find("last connection attempt failed") != std::string::npos,
             waiter->error().message);
  holder.cancel();
  BOOST_REQUIRE(test::run_until(ioc, [&] { return holder.completions > 0; }));
  acceptor.close();
}

// A call parked in the pool's queue owns, through its coroutine frame, the client and so the
// pool: a cycle only the execution context's shutdown can break, as the limiter already does.
BOOST_AUTO_TEST_CASE(destroying_the_context_with_a_call_queued_in_the_pool_leaks_nothing) {
  testing::mock_server server(test::generous_server());
  auto sentinel = std::make_shared<int>(0);
  {
    asio::io_context ioc;
    auto opts = test::uncoalesced(test::unthrottled(server));
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

BOOST_AUTO_TEST_CASE(a_waiter_is_handed_the_released_connection_itself) {
  // One slot, five callers at once: four queue, and each is handed the connection the previous
  // one released (not an empty slot to reconnect into).
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto opts = test::uncoalesced(test::unthrottled(server));
  opts.pool.max_connections = 1;
  client c(ioc.get_executor(), opts);
  auto results = test::concurrent_calls(ioc, c, 5);
  int reused = 0;
  for (auto& r : results) {
    BOOST_REQUIRE_MESSAGE(r.has_value(), test::why(r));
    reused += r->meta.connection_reused ? 1 : 0;
  }
  BOOST_TEST(reused == 4);
  BOOST_TEST(server.counters().connections_accepted == 1u);
  BOOST_TEST(c.stats().handshakes_full == 1u);
  BOOST_TEST(c.stats().pool_waits == 4u);
  BOOST_TEST(c.stats().connections_idle == 1u);
  BOOST_TEST(c.stats().connections_active == 0u);
}

// An idle pooled connection the server closes is retired at once (its socket is watched while
// idle), not at the next acquire: no CLOSE_WAIT socket lingers and the next call needs no replay.
BOOST_AUTO_TEST_CASE(an_idle_connection_closed_by_the_server_is_retired_at_once) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::uncoalesced(test::unthrottled(server)));
  BOOST_REQUIRE(test::one_call(ioc, c).has_value()); // run() returned with one idle connection
  BOOST_TEST(c.stats().connections_idle == 1u);
  server.close_idle_connections();
  // The watch makes progress while the context has other work, as a server's always has (its
  // acceptor): a work guard stands in for that here.
  auto busy = asio::make_work_guard(ioc);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return c.stats().idle_connections_retired == 1u; }));
  busy.reset();
  ioc.restart();
  BOOST_TEST(c.stats().connections_idle == 0u);
  auto next = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(next.has_value(), test::why(next));
  BOOST_TEST(!next->meta.connection_reused);
  BOOST_TEST(c.stats().stale_retries == 0u);
  BOOST_TEST(c.stats().idle_connections_retired == 1u);
}

// The watch on an idle connection is not outstanding work: a context whose only remaining
// business is an idle pooled connection runs out of work, so io_context::run() returns.
BOOST_AUTO_TEST_CASE(an_idle_watched_connection_does_not_keep_run_from_returning) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::uncoalesced(test::unthrottled(server)));
  std::optional<result<health_report>> got;
  c.async_health([&](result<health_report> r) { got.emplace(std::move(r)); });
  ioc.run_for(std::chrono::seconds(10));
  BOOST_TEST(ioc.stopped());
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(c.stats().connections_idle == 1u);
}

// Nor is the pool's timer that starts the watches of connections that stay idle (a second
// later): a context whose call is done stops at once, with nothing left ready to run, instead of
// when that timer comes round.
BOOST_AUTO_TEST_CASE(the_pools_watch_timer_does_not_keep_run_from_returning) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::uncoalesced(test::unthrottled(server)));
  std::optional<result<health_report>> got;
  c.async_health([&](result<health_report> r) { got.emplace(std::move(r)); });
  while (!got && ioc.run_one_for(std::chrono::seconds(10))) {
  }
  BOOST_REQUIRE(got.has_value());
  BOOST_REQUIRE_MESSAGE(got->has_value(), test::why(*got));
  ioc.poll(); // whatever is ready; the timer, a second away, is not
  BOOST_TEST(ioc.stopped());
  BOOST_TEST(c.stats().connections_idle == 1u);
}

// A connection's idle watches share one state, numbered: the wait of a watch that was stopped
// and re-armed within one turn completes later, as aborted, and must leave the new watch armed
// (ending it would retire a healthy idle connection, or miss the peer's close).
BOOST_AUTO_TEST_CASE(a_late_wait_of_a_stopped_watch_leaves_the_next_watch_armed) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  const auto options = test::options_for(server);
  auto where = detail::parse_base_url(options.base_url, false);
  BOOST_REQUIRE(where.has_value());
  auto tls = detail::make_tls_context(options.tls);
  BOOST_REQUIRE(tls.has_value());
  auto conn = std::make_shared<detail::connection>(ioc.get_executor(), *tls);
  // One exchange first, as a pooled connection has had: TLS 1.3 session tickets arrive after
  // the handshake and would wake a watch armed before they are read.
  const std::string request = "GET /v1/health/llm HTTP/1.1\r\nHost: " + where->host_header +
                              "\r\nAuthorization: Bearer " + options.api_key + "\r\n\r\n";
  std::optional<bool> answered;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        const auto deadline = detail::connection::clock::now() + std::chrono::seconds(10);
        auto opened = co_await conn->open(*where, options.timeouts, deadline, nullptr);
        if (!opened) {
          answered = false;
          co_return;
        }
        co_await conn->exchange(request, deadline, 8192, 65536);
        answered = conn->outcome().response.has_value() && conn->outcome().keep_alive;
      },
      asio::detached);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return answered.has_value(); }));
  BOOST_REQUIRE(*answered);
  int told = 0;
  conn->set_idle_listener(ioc.get_executor(), [&] { ++told; });
  conn->watch_idle();
  conn->stop_watching(); // its wait now completes as aborted, after this turn
  conn->watch_idle();
  auto busy = asio::make_work_guard(ioc);
  ioc.restart();
  ioc.poll(); // the aborted wait's handler runs here
  BOOST_TEST(told == 0);
  server.close_idle_connections(); // the second watch is still armed and hears it
  BOOST_TEST(test::run_until(ioc, [&] { return told == 1; }));
  busy.reset();
  conn->stop_watching();
  conn->close();
}

// A connection keeps one deadline timer, re-armed lazily: the wait armed for an earlier, shorter
// attempt may expire during a later attempt on the same connection, which must then go on under
// its own deadline instead of being cut off at the earlier one's.
BOOST_AUTO_TEST_CASE(a_reused_connection_runs_each_attempt_under_its_own_deadline) {
  using namespace std::chrono_literals;
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::uncoalesced(test::unthrottled(server)));
  call_options quick;
  quick.attempt_timeout = 300ms;
  auto first = test::one_call(ioc, c, quick); // answered at once: its deadline is left armed
  BOOST_REQUIRE_MESSAGE(first.has_value(), test::why(first));
  testing::scripted_response slow;
  slow.status = 200;
  slow.body = R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{}})";
  slow.delay = 700ms; // past the first attempt's deadline, well within the default attempt bound
  server.script(slow);
  auto second = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(second.has_value(), test::why(second));
  BOOST_TEST(second->meta.connection_reused);
  BOOST_TEST(server.counters().connections_accepted == 1u);
}

// A deadline still applies when the wait armed for it is shared with earlier steps: a step with a
// shorter deadline than the pending wait's re-arms it.
BOOST_AUTO_TEST_CASE(a_shorter_deadline_on_a_reused_connection_still_times_out) {
  using namespace std::chrono_literals;
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::uncoalesced(test::unthrottled(server)));
  auto first = test::one_call(ioc, c); // the default attempt bound is left armed
  BOOST_REQUIRE_MESSAGE(first.has_value(), test::why(first));
  testing::scripted_response slow;
  slow.status = 200;
  slow.body = R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{}})";
  slow.delay = 3000ms;
  server.script(slow);
  call_options quick;
  quick.attempt_timeout = 200ms;
  quick.max_retries = 0;
  const auto started = std::chrono::steady_clock::now();
  auto second = test::one_call(ioc, c, quick);
  BOOST_REQUIRE(!second.has_value());
  BOOST_TEST(second.error().code == errc::timeout);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 2s)); // not the slow answer's 3 s
  BOOST_TEST(second.error().attempts == 1);
}

BOOST_AUTO_TEST_SUITE_END()
