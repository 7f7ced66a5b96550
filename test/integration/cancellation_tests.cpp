// Per-operation cancellation at every stage: completes once with `cancelled`, leaves the pool and
// the limiter consistent.
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>

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

BOOST_AUTO_TEST_SUITE_END()
