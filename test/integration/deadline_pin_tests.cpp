// Pins of the connect and attempt bounds (client-wide and per call) and of cancellation while a
// connect is in flight: each bounded well under a second, each call completing exactly once,
// re-checked after the context has run out of work.
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

/// A listener whose accept queue (backlog 0) is held full by one connection nobody accepts:
/// the kernel drops further SYNs, so a client's connect stays in flight until its bound.
struct full_listener {
  asio::io_context own; // the listener and its filler need no handlers run
  asio::ip::tcp::acceptor acceptor{own};
  asio::ip::tcp::socket filler{own};

  full_listener() {
    const asio::ip::tcp::endpoint any_port{asio::ip::make_address("127.0.0.1"), 0};
    acceptor.open(any_port.protocol());
    acceptor.bind(any_port);
    acceptor.listen(0);
    filler.connect(acceptor.local_endpoint()); // completes at once: the queue has room for one
  }
  std::string base_url() const {
    return "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  }
};

client_options options_for(const full_listener& listener) {
  client_options o;
  o.api_key = testing::mock_server_options::demo_key_value;
  o.base_url = listener.base_url();
  o.coalesce_concurrent_calls = false;
  o.retry.max_retries = 0; // a timed-out connect is retryable: one attempt shows the bound
  o.rate_limit.enabled = false;
  return o;
}

struct timed_result {
  result<health_report> outcome;
  clock_type::duration took;
};

timed_result timed_call(asio::io_context& ioc, client& c, call_options co = {}) {
  const auto started = clock_type::now();
  auto r = test::one_call(ioc, c, co);
  return {std::move(r), clock_type::now() - started};
}

} // namespace

BOOST_AUTO_TEST_SUITE(deadline_pin_tests)

BOOST_AUTO_TEST_CASE(the_clients_connect_timeout_bounds_a_connect) {
  full_listener listener;
  asio::io_context ioc;
  auto o = options_for(listener);
  o.timeouts.connect = 200ms;
  client c(ioc.get_executor(), o);
  const auto r = timed_call(ioc, c);
  BOOST_REQUIRE(!r.outcome.has_value());
  BOOST_TEST(r.outcome.error().code == errc::timeout);
  BOOST_TEST(r.outcome.error().message.find("connecting to") != std::string::npos,
             r.outcome.error().message);
  BOOST_TEST((r.took >= 200ms));
  BOOST_TEST((r.took < 1s));
  BOOST_TEST(c.stats().connections_opened == 0u);
}

BOOST_AUTO_TEST_CASE(a_per_call_connect_timeout_overrides_the_clients) {
  full_listener listener;
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(listener)); // connect: 10 s
  call_options co;
  co.connect_timeout = 200ms;
  const auto r = timed_call(ioc, c, co);
  BOOST_REQUIRE(!r.outcome.has_value());
  BOOST_TEST(r.outcome.error().code == errc::timeout);
  BOOST_TEST(r.outcome.error().message.find("connecting to") != std::string::npos,
             r.outcome.error().message);
  BOOST_TEST((r.took < 1s));
}

BOOST_AUTO_TEST_CASE(a_per_call_attempt_timeout_overrides_the_clients) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto o = test::options_for(server); // attempt: 30 s, total: 10 s
  o.retry.max_retries = 0;
  client c(ioc.get_executor(), o);
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  call_options co;
  co.attempt_timeout = 200ms;
  const auto r = timed_call(ioc, c, co);
  BOOST_REQUIRE(!r.outcome.has_value());
  BOOST_TEST(r.outcome.error().code == errc::timeout);
  BOOST_TEST((r.took >= 200ms));
  BOOST_TEST((r.took < 1s)); // neither the client's 30 s attempt nor its 10 s total
  BOOST_TEST(server.counters().requests == 1u);
}

BOOST_AUTO_TEST_CASE(cancellation_during_connect_is_prompt_and_completes_once) {
  full_listener listener;
  asio::io_context ioc;
  client c(ioc.get_executor(), options_for(listener)); // connect: 10 s
  test::cancellable_call call;
  call.start(c);
  BOOST_REQUIRE(test::run_until(ioc, [&] { return c.stats().connections_active == 1; }));
  // Every ready handler has run: the call's only pending operation is now the connect (an IP
  // literal is not resolved), which the full accept queue keeps from completing.
  while (ioc.poll() > 0) {
  }
  BOOST_TEST(call.completions == 0);
  const auto cancelled_at = clock_type::now();
  call.cancel();
  BOOST_REQUIRE(test::run_until(
      ioc, [&] { return call.completions > 0; }, 1s));
  BOOST_TEST((clock_type::now() - cancelled_at < 1s));
  test::run_bounded(ioc, 5s); // nothing may be left behind, and no second completion
  call.expect_cancelled_once();
  BOOST_TEST(c.stats().connections_opened == 0u);
  BOOST_TEST(c.stats().connections_active == 0u);
  BOOST_TEST(c.stats().requests == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
