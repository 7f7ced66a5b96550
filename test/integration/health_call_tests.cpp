// GET /v1/health/llm end to end over verified TLS, with every kind of completion token.
#include <future>

#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;

BOOST_AUTO_TEST_SUITE(health_call_tests)

BOOST_AUTO_TEST_CASE(awaitable_call_returns_the_servers_report) {
  testing::mock_server server;
  server.set_provider_status("grok", "error");
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  std::optional<result<health_report>> got;
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { got = co_await c.health(); }, asio::detached);
  test::run_bounded(ioc);
  BOOST_REQUIRE(got.has_value());
  BOOST_REQUIRE_MESSAGE(got->has_value(), test::why(*got));
  const auto& report = **got;
  BOOST_TEST(report.status == health_status::degraded);
  BOOST_TEST(report.providers.size() == 5u);
  BOOST_TEST(report.providers.front().name == "gpt");
  BOOST_REQUIRE(report.find("grok") != nullptr);
  BOOST_TEST(report.find("grok")->status == provider_status::error);
  BOOST_TEST(report.meta.http_status == 200);
  BOOST_TEST(!report.meta.request_id.empty());
  BOOST_TEST(report.meta.rate_limit_limit.value_or(0) == 30);
  BOOST_TEST(report.meta.rate_limit_remaining.value_or(0) == 29);
  BOOST_TEST(report.meta.attempts == 1);
  BOOST_TEST(server.counters().health_requests == 1u);
}

BOOST_AUTO_TEST_CASE(callback_runs_on_the_handlers_executor_not_inside_the_call) {
  testing::mock_server server;
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  bool initiating = true;
  bool ran_inside = false;
  std::optional<result<health_report>> got;
  c.async_health([&](result<health_report> r) {
    ran_inside = initiating;
    got.emplace(std::move(r));
  });
  initiating = false;
  test::run_bounded(ioc);
  BOOST_TEST(!ran_inside);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->has_value());
}

BOOST_AUTO_TEST_CASE(future_token_delivers_the_report) {
  testing::mock_server server;
  asio::thread_pool pool(1);
  client c(pool.get_executor(), test::options_for(server));
  std::future<result<health_report>> f = c.async_health(asio::use_future);
  BOOST_REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  auto r = f.get();
  BOOST_TEST(r.has_value());
  pool.join();
}

BOOST_AUTO_TEST_CASE(deferred_call_sends_nothing_until_launched) {
  testing::mock_server server;
  asio::io_context ioc;
  auto o = test::options_for(server);
  o.coalesce_concurrent_calls = false; // a call started too early would not be joined, but counted
  client c(ioc.get_executor(), o);
  auto op = c.async_health(asio::deferred);
  BOOST_TEST(c.stats().calls_started == 0u);
  // Another call runs the context until it has no work left: had the deferred one started, it
  // would have run to the end too.
  const auto other = test::one_call(ioc, c);
  BOOST_TEST(other.has_value(), test::why(other));
  BOOST_TEST(c.stats().calls_started == 1u);
  BOOST_TEST(server.counters().requests == 1u);
  std::optional<result<health_report>> got;
  std::move(op)([&](result<health_report> r) { got.emplace(std::move(r)); });
  test::run_bounded(ioc);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->has_value());
  BOOST_TEST(server.counters().requests == 2u);
}

BOOST_AUTO_TEST_CASE(coroutine_on_another_io_context_resumes_on_its_own_executor) {
  testing::mock_server server;
  asio::io_context client_ioc;
  asio::io_context caller_ioc;
  client c(client_ioc.get_executor(), test::options_for(server));
  bool resumed_on_caller = false;
  bool succeeded = false;
  auto keep_client_running = asio::make_work_guard(client_ioc);
  asio::co_spawn(
      caller_ioc,
      [&]() -> asio::awaitable<void> {
        auto r = co_await c.health();
        succeeded = r.has_value();
        resumed_on_caller = caller_ioc.get_executor().running_in_this_thread();
        keep_client_running.reset();
      },
      asio::detached);
  std::thread t([&] { client_ioc.run_for(std::chrono::seconds(20)); });
  caller_ioc.run_for(std::chrono::seconds(20));
  t.join();
  BOOST_TEST(succeeded);
  BOOST_TEST(resumed_on_caller);
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

BOOST_AUTO_TEST_CASE(a_response_larger_than_the_connections_memory_is_read_whole_and_reused) {
  // A connection keeps 4 KiB for a response's fields and body; this one needs several times
  // that (a long provider list and 8 KiB of headers), and the next call on the same connection
  // must find that memory given back and its own response intact.
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::unthrottled(server));
  std::string body = R"({"status":"ok","checkedAt":"2026-06-27T10:00:00.000Z","providers":{)";
  for (int i = 0; i < 300; ++i)
    body += (i ? ",\"" : "\"") + ("provider-" + std::to_string(i)) + R"(":{"status":"ok"})";
  body += "}}";
  std::vector<std::pair<std::string, std::string>> headers;
  for (int i = 0; i < 32; ++i)
    headers.emplace_back("X-Padding-" + std::to_string(i), std::string(240, 'a' + i % 26));
  headers.emplace_back("X-Request-Id", "req_large");
  server.script(200, body, headers);

  const auto large = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(large.has_value(), test::why(large));
  BOOST_TEST(large->providers.size() == 300u);
  BOOST_TEST(large->providers.back().name == "provider-299");
  BOOST_TEST(large->meta.request_id == "req_large");

  const auto next = test::one_call(ioc, c);
  BOOST_REQUIRE_MESSAGE(next.has_value(), test::why(next));
  BOOST_TEST(next->providers.size() == 5u);
  BOOST_TEST(next->providers.front().name == "gpt");
  BOOST_TEST(next->meta.connection_reused);
  BOOST_TEST(c.stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
