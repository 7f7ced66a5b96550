// Shared set-up of the integration tests: a mock server on loopback and a client pointed at it.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <talkory/client.hpp>
#include <talkory/testing/mock_server.hpp>

namespace talkory::test {

/// Client options aimed at `server`, with short backoffs so retry tests stay fast.
inline client_options options_for(const testing::mock_server& server) {
  client_options o;
  o.api_key = testing::mock_server_options::demo_key_value;
  o.base_url = server.base_url();
  o.tls.ca_pem = server.ca_pem();
  o.allow_insecure_http = o.base_url.starts_with("http://");
  o.retry.initial_backoff = std::chrono::milliseconds(5);
  o.retry.max_backoff = std::chrono::milliseconds(20);
  o.timeouts.total = std::chrono::seconds(10);
  return o;
}

/// A mock server whose own rate limit never gets in the way of a test about something else.
inline testing::mock_server_options generous_server() {
  testing::mock_server_options o;
  o.rate_limit = 100'000;
  return o;
}

/// options_for() with the client-side limiter off.
inline client_options unthrottled(const testing::mock_server& server) {
  auto o = options_for(server);
  o.rate_limit.enabled = false;
  return o;
}

/// `o` with single-flight off, for tests that count one request (and one connection, token or
/// pool wait) per concurrent call.
inline client_options uncoalesced(client_options o) {
  o.coalesce_concurrent_calls = false;
  return o;
}

/// A call bound to its own cancellation signal, counting its completions.
struct cancellable_call {
  boost::asio::cancellation_signal signal;
  int completions = 0;
  std::optional<result<health_report>> outcome;
  std::optional<std::chrono::steady_clock::time_point> cancelled_at, completed_at;

  void start(client& c) {
    c.async_health(
        boost::asio::bind_cancellation_slot(signal.slot(), [this](result<health_report> r) {
          if (++completions == 1)
            completed_at = std::chrono::steady_clock::now();
          outcome.emplace(std::move(r));
        }));
  }
  void cancel() {
    cancelled_at = std::chrono::steady_clock::now();
    signal.emit(boost::asio::cancellation_type::terminal);
  }
  /// Exactly one completion, with `cancelled`, within a second of cancel(): a cancellation that
  /// is only noticed when some timeout fires would pass the first two checks but not this one.
  /// Call it again once the context has run on (a later call, a drain): still one completion.
  void expect_cancelled_once() {
    BOOST_TEST(completions == 1);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_REQUIRE(!outcome->has_value());
    BOOST_TEST(outcome->error().code == errc::cancelled);
    if (cancelled_at && completed_at)
      BOOST_TEST((*completed_at - *cancelled_at < std::chrono::seconds(1)));
  }
};

/// Runs handlers until `done()` holds or `bound` passes; returns done().
template <class Predicate>
bool run_until(boost::asio::io_context& ioc, Predicate done,
               std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  const auto give_up = std::chrono::steady_clock::now() + bound;
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    if (ioc.stopped())
      ioc.restart();
    ioc.run_one_for(std::chrono::milliseconds(20));
  }
  return done();
}

/// The error of a failed result, for test messages (Boost.Test evaluates them eagerly).
inline std::string why(const result<health_report>& r) {
  return r ? "ok" : r.error().describe();
}

/// Runs `ioc` until it has no more work, failing the test if that takes longer than `bound`.
inline void run_bounded(boost::asio::io_context& ioc,
                        std::chrono::steady_clock::duration bound = std::chrono::seconds(20)) {
  ioc.run_for(bound);
  BOOST_REQUIRE_MESSAGE(ioc.stopped(), "the io_context still had work after the time bound");
}

/// Makes `n` calls at once (as separate coroutines) and returns their results in order of start.
inline std::vector<result<health_report>> concurrent_calls(boost::asio::io_context& ioc, client& c,
                                                           std::size_t n, call_options opts = {}) {
  std::vector<std::optional<result<health_report>>> slots(n);
  for (std::size_t i = 0; i < n; ++i)
    c.async_health(opts, [&slots, i](result<health_report> r) { slots[i].emplace(std::move(r)); });
  run_bounded(ioc);
  std::vector<result<health_report>> out;
  for (auto& s : slots) {
    BOOST_REQUIRE_MESSAGE(s.has_value(), "a call never completed");
    out.push_back(std::move(*s));
  }
  return out;
}

/// One call, run to completion.
inline result<health_report> one_call(boost::asio::io_context& ioc, client& c,
                                      call_options opts = {}) {
  auto r = concurrent_calls(ioc, c, 1, opts);
  ioc.restart();
  return std::move(r.front());
}

} // namespace talkory::test
