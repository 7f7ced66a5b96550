// A second, test-only endpoint (GET /v1/test/widgets, decoded into its own type) defined the way
// the library defines health: one api_endpoint, no pipeline code. It goes through the whole call
// lifecycle (single-flight, limiter, pool, retries, cancellation) against the mock server.
#include <optional>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "call_lifecycle.hpp"
#include "client_impl.hpp"
#include "fixture.hpp"

namespace asio = boost::asio;
using namespace talkory;
using namespace std::chrono_literals;

namespace {

struct widget_count {
  std::int64_t widgets = 0;
  int attempts = 0;
  bool reused = false;
};

result<widget_count> decode_widgets(const detail::pipeline_response& r, std::chrono::microseconds) {
  boost::system::error_code ec;
  const auto json = boost::json::parse(r.response().body(), ec);
  const auto* object = ec ? nullptr : json.if_object();
  const auto* count = object ? object->if_contains("widgets") : nullptr;
  if (!count || !count->is_int64()) {
    api_error e;
    e.code = errc::invalid_response;
    e.message = "not a widget count";
    return std::unexpected(e);
  }
  return widget_count{count->as_int64(), r.attempts, r.connection_reused};
}

const detail::api_endpoint<widget_count> widgets{
    .request = {.method = boost::beast::http::verb::get,
                .path = "/v1/test/widgets",
                .body = {},
                .idempotent = true},
    .decode = &decode_widgets,
};

// What a public member for the endpoint would be: one async_initiate into start_call.
template <class Token>
auto async_widgets(client& c, call_options options, Token&& token) {
  return asio::async_initiate<Token, void(result<widget_count>)>(
      [](auto handler, std::shared_ptr<detail::client_impl> impl, call_options o) {
        detail::start_call(
            impl, widgets, o,
            asio::any_completion_handler<void(result<widget_count>)>(std::move(handler)));
      },
      token, detail::client_access::impl(c), std::move(options));
}

std::vector<result<widget_count>> widget_calls(asio::io_context& ioc, client& c, std::size_t n,
                                               call_options options = {}) {
  std::vector<std::optional<result<widget_count>>> slots(n);
  for (std::size_t i = 0; i < n; ++i)
    async_widgets(c, options,
                  [&slots, i](result<widget_count> r) { slots[i].emplace(std::move(r)); });
  test::run_bounded(ioc);
  ioc.restart();
  std::vector<result<widget_count>> out;
  for (auto& s : slots) {
    BOOST_REQUIRE_MESSAGE(s.has_value(), "a call never completed");
    out.push_back(std::move(*s));
  }
  return out;
}

const char* widgets_body = R"({"widgets":3})";

} // namespace

BOOST_AUTO_TEST_SUITE(second_endpoint_tests)

BOOST_AUTO_TEST_CASE(its_request_goes_to_its_own_path) {
  // Unscripted, the mock answers an unknown path with the documented 404: the request really
  // went to /v1/test/widgets, not to the health endpoint.
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  auto r = widget_calls(ioc, c, 1).front();
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::not_found);
  BOOST_TEST(r.error().http_status == 404);
  BOOST_TEST(server.counters().requests == 1u);
  BOOST_TEST(server.counters().health_requests == 0u);
}

BOOST_AUTO_TEST_CASE(its_decoder_gives_its_own_type) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  server.script(200, widgets_body);
  auto r = widget_calls(ioc, c, 1).front();
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->widgets == 3);
  BOOST_TEST(r->attempts == 1);
  BOOST_TEST(c.stats().calls_succeeded == 1u);
}

BOOST_AUTO_TEST_CASE(a_body_its_decoder_refuses_fails_with_the_attempt_count) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  server.script(200, R"({"gadgets":3})");
  auto r = widget_calls(ioc, c, 1).front();
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == errc::invalid_response);
  BOOST_TEST(r.error().attempts == 1);
  BOOST_TEST(c.stats().calls_failed == 1u);
}

BOOST_AUTO_TEST_CASE(it_is_retried_like_any_endpoint) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto options = test::options_for(server);
  options.retry.initial_backoff = 5ms;
  options.retry.max_backoff = 20ms;
  client c(ioc.get_executor(), options);
  const char* unavailable = R"({"error":{"code":"service_unavailable","message":"down",)"
                            R"("status":503,"requestId":"req_1"}})";
  server.script(503, unavailable);
  server.script(503, unavailable);
  server.script(200, widgets_body);
  auto r = widget_calls(ioc, c, 1).front();
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->attempts == 3);
  BOOST_TEST(c.stats().retries == 2u);
  BOOST_TEST(server.counters().requests == 3u);
}

BOOST_AUTO_TEST_CASE(it_reuses_pooled_connections) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  client c(ioc.get_executor(), test::options_for(server));
  server.script(200, widgets_body);
  server.script(200, widgets_body);
  BOOST_REQUIRE(widget_calls(ioc, c, 1).front().has_value());
  auto second = widget_calls(ioc, c, 1).front();
  BOOST_REQUIRE(second.has_value());
  BOOST_TEST(second->reused);
  BOOST_TEST(server.counters().connections_accepted == 1u);
}

BOOST_AUTO_TEST_CASE(it_takes_limiter_tokens) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto options = test::options_for(server);
  options.rate_limit.burst = 1;
  options.rate_limit.requests_per_window = 1;
  options.rate_limit.window = 1h;
  options.rate_limit.mode = rate_limit_mode::fail_fast;
  client c(ioc.get_executor(), options);
  server.script(200, widgets_body);
  BOOST_REQUIRE(widget_calls(ioc, c, 1).front().has_value());
  auto refused = widget_calls(ioc, c, 1).front();
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().code == errc::rate_limited);
  BOOST_TEST(server.counters().requests == 1u);
}

BOOST_AUTO_TEST_CASE(concurrent_calls_share_one_request) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto options = test::options_for(server);
  options.coalesce_concurrent_calls = true;
  client c(ioc.get_executor(), options);
  server.script(testing::scripted_response{200, widgets_body, {}, 50ms});
  auto results = widget_calls(ioc, c, 10);
  for (const auto& r : results) {
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->widgets == 3);
  }
  BOOST_TEST(server.counters().requests == 1u);
  BOOST_TEST(c.stats().calls_succeeded == 10u);
}

BOOST_AUTO_TEST_CASE(it_is_cancellable_through_its_slot) {
  testing::mock_server server(test::generous_server());
  asio::io_context ioc;
  auto options = test::options_for(server);
  options.retry.max_retries = 0;
  client c(ioc.get_executor(), options);
  testing::scripted_response silent;
  silent.inject = testing::fault::no_response;
  server.script(silent);
  asio::cancellation_signal signal;
  int completions = 0;
  std::optional<result<widget_count>> outcome;
  async_widgets(c, {}, asio::bind_cancellation_slot(signal.slot(), [&](result<widget_count> r) {
                  ++completions;
                  outcome.emplace(std::move(r));
                }));
  BOOST_REQUIRE(test::run_until(ioc, [&] { return server.counters().requests == 1u; }));
  signal.emit(asio::cancellation_type::terminal);
  BOOST_REQUIRE(test::run_until(
      ioc, [&] { return completions > 0; }, 2s));
  test::run_bounded(ioc, 2s);
  BOOST_TEST(completions == 1);
  BOOST_REQUIRE(outcome.has_value());
  BOOST_REQUIRE(!outcome->has_value());
  BOOST_TEST(outcome->error().code == errc::cancelled);
  BOOST_TEST(c.stats().connections_active == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
