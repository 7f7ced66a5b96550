// Pins of the pool's contract end to end, against the raw-bytes fault server (which numbers its
// connections by the order it accepts them and tags each one's answers with its own request
// id): most-recently-used reuse, a slow handshake never holding up a caller that can reuse an
// idle connection, max_connection_age, and no silent replay once response bytes arrived.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "fixture.hpp"
#include "support/fault_server.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;
using test::connection_script;
using test::fault_server;
using test::fault_step;

namespace {

const std::string pin_key = "tk_live_P1nP00lK3y0000000000000000000000";

/// A 200 whose X-Request-Id names the connection that sent it.
std::string answer_from(std::string_view connection) {
  return test::ok_response("X-Request-Id: " + std::string(connection) + "\r\n");
}

/// Options aimed at `server`: one request per call whatever the single-flight default, no
/// retries (a replay would show), no limiter, short bounds.
client_options pool_options_for(const fault_server& server) {
  client_options o;
  o.api_key = pin_key;
  o.base_url = server.base_url();
  o.tls.ca_pem = server.ca_pem();
  o.coalesce_concurrent_calls = false;
  o.rate_limit.enabled = false;
  o.retry.max_retries = 0;
  o.timeouts.total = 5s;
  o.timeouts.shutdown = 300ms;
  return o;
}

/// A call whose outcome the test reads once it has completed.
struct pending_call {
  std::optional<result<health_report>> outcome;
  void start(client& c) {
    c.async_health([this](result<health_report> r) { outcome.emplace(std::move(r)); });
  }
  bool done() const { return outcome.has_value(); }
  /// The request id of a successful call: which connection answered it.
  std::string served_by() const {
    return done() && outcome->has_value() ? (*outcome)->meta.request_id : "(failed or pending)";
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(pool_pin_tests)

BOOST_AUTO_TEST_CASE(the_most_recently_released_idle_connection_is_reused_first) {
  fault_server server;
  // The first accepted connection answers at once; the second waits for release_stalled(), so it
  // is given back to the pool last.
  server.script({fault_step::serve(answer_from("req_first"))});
  server.script({fault_step::read_request(), fault_step::checkpoint(), fault_step::stall(),
                 fault_step::send(answer_from("req_second")),
                 fault_step::serve(answer_from("req_second"))});
  asio::io_context ioc;
  auto o = pool_options_for(server);
  o.pool.max_connections = 2;
  client c(ioc.get_executor(), o);
  pending_call a, b;
  a.start(c);
  b.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return a.done() || b.done(); }));
  BOOST_REQUIRE(server.wait_for_checkpoints(1));
  server.release_stalled();
  BOOST_REQUIRE(test::run_until(ioc, [&] { return a.done() && b.done(); }));
  BOOST_TEST((a.served_by() == "req_first" || b.served_by() == "req_first"));
  BOOST_TEST((a.served_by() == "req_second" || b.served_by() == "req_second"));
  BOOST_TEST(c.stats().connections_idle == 2u);

  pending_call next;
  next.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return next.done(); }));
  BOOST_TEST(next.served_by() == "req_second");
  BOOST_TEST(server.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(callers_waiting_for_the_one_connection_are_served_in_arrival_order) {
  // One connection, held by a call whose answer the server keeps back; three callers queue for
  // it one after another. They must get it first come, first served: a LIFO queue (or one that
  // picked at random) would let a late caller overtake an early one.
  fault_server server;
  server.script({fault_step::read_request(), fault_step::checkpoint(), fault_step::stall(),
                 fault_step::send(answer_from("req_held")),
                 fault_step::serve(answer_from("req_queued"))});
  asio::io_context ioc;
  auto o = pool_options_for(server);
  o.pool.max_connections = 1;
  client c(ioc.get_executor(), o);
  std::vector<int> served;
  auto start = [&](int n) {
    c.async_health([&served, n](result<health_report> r) {
      BOOST_TEST(r.has_value(), test::why(r));
      served.push_back(n);
    });
  };
  start(0);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.checkpoints() >= 1; }));
  for (int n = 1; n <= 3; ++n) {
    start(n);
    while (ioc.poll() > 0) { // caller n is now queued in the pool, behind callers 1 .. n-1
    }
  }
  BOOST_TEST(served.empty());
  server.release_stalled();
  BOOST_REQUIRE(test::run_until(ioc, [&] { return served.size() == 4; }));
  BOOST_TEST(served == (std::vector<int>{0, 1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(c.stats().pool_waits == 3u);
  BOOST_TEST(server.connections_accepted() == 1u);
}

BOOST_AUTO_TEST_CASE(a_caller_in_a_slow_handshake_never_blocks_one_that_can_reuse) {
  fault_server server;
  server.script({fault_step::serve(answer_from("req_quick"))});
  // The second connection never answers the ClientHello: its caller sits in the handshake.
  connection_script silent;
  silent.handshake = false;
  silent.steps = {fault_step::stall()};
  server.script(silent);
  asio::io_context ioc;
  auto o = pool_options_for(server);
  o.pool.max_connections = 2;
  client c(ioc.get_executor(), o);
  pending_call first, stuck;
  first.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return first.done(); }));
  BOOST_TEST(first.served_by() == "req_quick");

  // The idle connection is now taken by a caller that holds it while the stuck one opens.
  pending_call holder;
  holder.start(c);
  stuck.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return holder.done(); }));
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.connections_accepted() >= 2; }));
  // The holder gave its connection back; a newcomer reuses it while `stuck` still waits for
  // its handshake.
  pending_call reuser;
  reuser.start(c);
  BOOST_REQUIRE(test::run_until(
      ioc, [&] { return reuser.done(); }, 3s));
  BOOST_TEST(reuser.served_by() == "req_quick");
  BOOST_TEST(!stuck.done());
  BOOST_TEST(server.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(a_connection_past_max_connection_age_is_not_reused) {
  fault_server server;
  // Each first answer ends 20 ms after its start, so its connection is older than
  // max_connection_age when it is given back.
  const auto slow_answer = [](std::string id) {
    const auto whole = answer_from(id);
    return std::vector<fault_step>{fault_step::read_request(),
                                   fault_step::drip(whole, whole.size() - 1, 20ms),
                                   fault_step::serve(whole)};
  };
  server.script(slow_answer("req_old"));
  server.script(slow_answer("req_young"));
  asio::io_context ioc;
  auto o = pool_options_for(server);
  o.pool.max_connection_age = 5ms;
  client c(ioc.get_executor(), o);
  pending_call first, second;
  first.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return first.done(); }));
  second.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return second.done(); }));
  BOOST_TEST(first.served_by() == "req_old");
  BOOST_TEST(second.served_by() == "req_young");
  BOOST_TEST(c.stats().requests_on_reused == 0u);
  BOOST_TEST(server.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(no_silent_replay_once_response_bytes_arrived_on_a_reused_connection) {
  for (bool tls : {false, true}) {
    BOOST_TEST_CONTEXT((tls ? "TLS" : "plain TCP")) {
      test::fault_server_options so;
      so.tls = tls;
      fault_server server(so);
      // The second answer breaks off after its first 20 bytes: the server may have acted on the
      // request, so the client must report the loss rather than send it again.
      const auto ok = answer_from("req_whole");
      server.script({fault_step::read_request(), fault_step::send(ok), fault_step::read_request(),
                     fault_step::close_after(ok, 20)});
      server.script(test::good_connection()); // a replay would land here and succeed
      asio::io_context ioc;
      auto o = pool_options_for(server);
      o.allow_insecure_http = !tls;
      client c(ioc.get_executor(), o);
      pending_call first, second;
      first.start(c);
      BOOST_REQUIRE(test::run_until(ioc, [&] { return first.done(); }));
      BOOST_TEST(first.served_by() == "req_whole");
      second.start(c);
      BOOST_REQUIRE(test::run_until(ioc, [&] { return second.done(); }));
      BOOST_REQUIRE(!second.outcome->has_value());
      BOOST_TEST(second.outcome->error().code == errc::connection_lost);
      BOOST_TEST(c.stats().stale_retries == 0u);
      BOOST_TEST(c.stats().requests_on_reused == 1u);
      BOOST_TEST(server.connections_accepted() == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_connection_idle_past_its_last_attempts_deadline_is_reused) {
  // The first call's attempt bound (100 ms) passes while its connection sits idle: the second
  // call waits ~300 ms for the limiter's next token meanwhile. A bound left armed on the idle
  // connection would close it; re-armed for each exchange, the connection serves the second call.
  fault_server server;
  server.script({fault_step::serve(answer_from("req_kept"))});
  asio::io_context ioc;
  auto o = pool_options_for(server);
  o.rate_limit.enabled = true;
  o.rate_limit.requests_per_window = 1;
  o.rate_limit.burst = 1;
  o.rate_limit.window = 300ms;
  client c(ioc.get_executor(), o);
  call_options short_attempt;
  short_attempt.attempt_timeout = 100ms;
  std::optional<result<health_report>> first, second;
  c.async_health(short_attempt, [&](result<health_report> r) { first.emplace(std::move(r)); });
  c.async_health([&](result<health_report> r) { second.emplace(std::move(r)); });
  test::run_bounded(ioc, 5s);
  BOOST_REQUIRE(first.has_value());
  BOOST_REQUIRE(second.has_value());
  BOOST_TEST(first->has_value(), test::why(*first));
  BOOST_TEST(second->has_value(), test::why(*second));
  if (second->has_value()) {
    BOOST_TEST((*second)->meta.connection_reused);
    BOOST_TEST((*second)->meta.request_id == "req_kept");
    BOOST_TEST(((*second)->meta.latency >= 200ms)); // it did wait past the first's bound
  }
  BOOST_TEST(c.stats().rate_limit_waits == 1u);
  BOOST_TEST(c.stats().idle_connections_retired == 0u);
  BOOST_TEST(server.connections_accepted() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
