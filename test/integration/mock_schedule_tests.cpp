// The mock server's time-driven schedules over real loopback TLS: timed steps, the flipping
// demo mode, and a prompt stop while they are armed.
#include <boost/asio/steady_timer.hpp>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

namespace {

testing::status_step after(std::chrono::milliseconds delay,
                           std::vector<testing::status_change> changes) {
  testing::status_step s;
  s.after = delay;
  s.changes = std::move(changes);
  return s;
}

/// Waits (bounded, without sleeping in the test) until the server applied `n` status changes.
bool changes_applied(const testing::mock_server& server, std::uint64_t n) {
  asio::io_context idle;
  asio::steady_timer tick(idle);
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (server.counters().status_changes < n && std::chrono::steady_clock::now() < give_up) {
    tick.expires_after(1ms);
    tick.wait();
  }
  return server.counters().status_changes >= n;
}

std::string status_of(const health_report& r, std::string_view name) {
  const auto* p = r.find(name);
  return p ? p->raw_status : "absent";
}

} // namespace

BOOST_AUTO_TEST_SUITE(mock_schedule_tests)

BOOST_AUTO_TEST_CASE(timed_steps_apply_in_order_on_the_servers_thread) {
  testing::mock_server server(test::generous_server());
  testing::status_step shorthand; // "after N ms, set provider P to S"
  shorthand.after = 5ms;
  shorthand.provider = "grok";
  shorthand.status = "ok";
  server.set_provider_schedule(
      {after(5ms, {{"grok", "error"}}), shorthand, after(5ms, {{"gpt", std::nullopt}})});
  BOOST_TEST_REQUIRE(changes_applied(server, 3));
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  const auto r = test::one_call(ioc, c);
  BOOST_TEST_REQUIRE(r.has_value(), test::why(r));
  BOOST_TEST(status_of(*r, "grok") == "ok");
  BOOST_TEST(status_of(*r, "gpt") == "absent");
}

BOOST_AUTO_TEST_CASE(a_new_timed_schedule_replaces_the_old_one) {
  testing::mock_server server(test::generous_server());
  server.set_provider_schedule({after(60s, {{"grok", "error"}})});
  server.set_provider_schedule({after(1ms, {{"claude", "error"}})});
  BOOST_TEST_REQUIRE(changes_applied(server, 1));
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  const auto r = test::one_call(ioc, c);
  BOOST_TEST_REQUIRE(r.has_value(), test::why(r));
  BOOST_TEST(status_of(*r, "claude") == "error");
  BOOST_TEST(status_of(*r, "grok") == "ok");
}

BOOST_AUTO_TEST_CASE(flip_mode_keeps_changing_one_provider_at_a_time) {
  auto options = test::generous_server();
  options.flip_every = 5ms;
  testing::mock_server server(options);
  BOOST_TEST_REQUIRE(changes_applied(server, 3));
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  const auto r = test::one_call(ioc, c);
  BOOST_TEST_REQUIRE(r.has_value(), test::why(r));
  BOOST_TEST(r->providers.size() == 5u);
  for (const auto& p : r->providers)
    BOOST_TEST((p.raw_status == "ok" || p.raw_status == "error"));
}

BOOST_AUTO_TEST_CASE(the_server_stops_promptly_with_schedules_armed) {
  const auto start = std::chrono::steady_clock::now();
  {
    auto options = test::generous_server();
    options.flip_every = 1h;
    testing::mock_server server(options);
    server.set_provider_schedule({after(1h, {{"grok", "error"}})});
  }
  // The destructor waits up to 5 s for work to drain before forcing a stop: it must not.
  BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
}

BOOST_AUTO_TEST_SUITE_END()
