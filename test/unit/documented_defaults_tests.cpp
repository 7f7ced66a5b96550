// Every documented default, as the README's options table and the headers' comments state it:
// the oracle is those literals, so changing a default without its documentation fails here.
#include <boost/test/unit_test.hpp>

#include <talkory/options.hpp>
#include <talkory/testing/mock_server.hpp>
#include <talkory/watch.hpp>

using namespace std::chrono_literals;
using talkory::client_options;

BOOST_AUTO_TEST_SUITE(documented_defaults_tests)

BOOST_AUTO_TEST_CASE(client_identity_and_transport) {
  const client_options o;
  BOOST_TEST(o.api_key.empty());
  BOOST_TEST(o.base_url == "https://api.talkory.ai");
  BOOST_TEST(o.tls.ca_file.empty()); // the system's CA store
  BOOST_TEST(o.tls.ca_pem.empty());
  BOOST_TEST(o.user_agent == "talkory-cpp/0.2.0");
  BOOST_TEST(!o.allow_insecure_http);
  BOOST_TEST(o.max_response_body == 1024u * 1024u);
  BOOST_TEST(o.max_response_header == 16u * 1024u);
  BOOST_TEST(client_options::max_api_key_length == 256u);
  // coalesce_concurrent_calls is pinned by test/integration/single_flight_tests.cpp.
}

BOOST_AUTO_TEST_CASE(timeouts) {
  const client_options o;
  BOOST_TEST(o.timeouts.connect.count() == 10'000);
  BOOST_TEST(o.timeouts.handshake.count() == 10'000);
  BOOST_TEST(o.timeouts.attempt.count() == 30'000);
  BOOST_TEST(o.timeouts.total.count() == 60'000);
  BOOST_TEST(o.timeouts.shutdown.count() == 2'000);
}

BOOST_AUTO_TEST_CASE(fleet) {
  const client_options o;
  BOOST_TEST(o.fleet.redis_url.empty()); // fleet mode off
  BOOST_TEST(o.fleet.password_env.empty());
  BOOST_TEST(o.fleet.key_prefix == "talkory:");
  BOOST_TEST(o.fleet.connect_timeout.count() == 1'000);
  BOOST_TEST(o.fleet.command_timeout.count() == 250);
  BOOST_TEST(o.fleet.reconnect_backoff.count() == 100);
  BOOST_TEST(o.fleet.max_reconnect_backoff.count() == 5'000);
  BOOST_TEST(o.fleet.window_margin.count() == 100);
  BOOST_TEST(o.fleet.expected_processes == 1u);
  BOOST_TEST((o.fleet.on_unavailable == talkory::fleet_unavailable_policy::fallback_local));
}

BOOST_AUTO_TEST_CASE(pool) {
  const client_options o;
  BOOST_TEST(o.pool.max_connections == 4u);
  BOOST_TEST(o.pool.idle_timeout.count() == 50'000);
  BOOST_TEST(o.pool.max_connection_age.count() == 600'000);
  BOOST_TEST(o.pool.acquire_timeout.count() == 30'000);
  BOOST_TEST(o.pool.reuse);
}

BOOST_AUTO_TEST_CASE(rate_limit_is_the_apis_30_per_minute) {
  const client_options o;
  BOOST_TEST(o.rate_limit.enabled);
  BOOST_TEST(o.rate_limit.requests_per_window == 30u);
  BOOST_TEST(o.rate_limit.window.count() == 60'000);
  BOOST_TEST(o.rate_limit.burst == 30u);
  BOOST_TEST((o.rate_limit.mode == talkory::rate_limit_mode::wait));
}

BOOST_AUTO_TEST_CASE(retries) {
  const client_options o;
  BOOST_TEST(o.retry.max_retries == 2);
  BOOST_TEST(o.retry.initial_backoff.count() == 500);
  BOOST_TEST(o.retry.max_backoff.count() == 8'000);
  BOOST_TEST(o.retry.max_retry_after.count() == 60);
}

BOOST_AUTO_TEST_CASE(call_options_override_nothing) {
  const talkory::call_options o;
  BOOST_TEST(!o.timeout.has_value());
  BOOST_TEST(!o.attempt_timeout.has_value());
  BOOST_TEST(!o.connect_timeout.has_value());
  BOOST_TEST(!o.handshake_timeout.has_value());
  BOOST_TEST(!o.max_retries.has_value());
}

BOOST_AUTO_TEST_CASE(watch) {
  const talkory::watch_options o;
  BOOST_TEST(o.interval.count() == 60'000);
  BOOST_TEST(o.jitter == 0.1);
  BOOST_TEST(o.max_backoff.count() == 300'000);
  BOOST_TEST(o.confirmations == 1u);
  BOOST_TEST(o.max_pending_events == 16u);
  BOOST_TEST(!o.random);
}

BOOST_AUTO_TEST_CASE(mock_server_follows_the_api) {
  const talkory::testing::mock_server_options o;
  BOOST_TEST(o.tls);
  BOOST_TEST((o.certificate == talkory::testing::certificate_kind::valid));
  BOOST_TEST(o.rate_limit == 30u);
  BOOST_TEST(o.rate_window.count() == 60'000);
  BOOST_TEST(o.cache_window.count() == 300'000); // "cached for up to 5 minutes"
  BOOST_TEST(o.max_request_body == 64u * 1024u);
  BOOST_TEST(o.idle_timeout.count() == 0);
  BOOST_TEST(o.close_every == 0u);
  BOOST_TEST(o.port == 0);
  BOOST_TEST(o.flip_every.count() == 0);
  BOOST_TEST(!o.chaos.enabled);
  BOOST_TEST_REQUIRE(o.keys.size() == 1u);
  BOOST_TEST(o.keys.front().key == talkory::testing::mock_server_options::demo_key_value);
  BOOST_TEST(!o.keys.front().revoked);
  BOOST_TEST(o.keys.front().health_scope);
}

BOOST_AUTO_TEST_SUITE_END()
