// to_prometheus(): every client_stats field in the text exposition format 0.0.4, against a text
// written out by hand.
#include <boost/test/unit_test.hpp>

#include <talkory/prometheus.hpp>

using talkory::client_stats;
using talkory::to_prometheus;

namespace {

// Each field a different value, so that a field rendered with another's value shows.
client_stats numbered_stats() {
  client_stats s;
  s.calls_started = 1;
  s.calls_succeeded = 2;
  s.calls_failed = 3;
  s.requests = 4;
  s.requests_on_reused = 5;
  s.connections_opened = 6;
  s.handshakes_full = 7;
  s.handshakes_resumed = 8;
  s.stale_retries = 9;
  s.retries = 10;
  s.pool_waits = 11;
  s.rate_limit_waits = 12;
  s.cache_hits = 13;
  s.stale_answers = 14;
  s.coalesced_calls = 15;
  s.fleet_fallbacks = 19;
  s.connections_idle = 16;
  s.connections_active = 17;
  s.idle_connections_retired = 18446744073709551615u; // the largest value prints in full
  return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(prometheus_tests)

BOOST_AUTO_TEST_CASE(every_field_renders_with_help_type_and_value) {
  const std::string expected =
      "# HELP talkory_calls_started_total Calls started (async_health and health), cache hits and "
      "shared calls included.\n"
      "# TYPE talkory_calls_started_total counter\n"
      "talkory_calls_started_total 1\n"
      "# HELP talkory_calls_succeeded_total Calls completed with a result.\n"
      "# TYPE talkory_calls_succeeded_total counter\n"
      "talkory_calls_succeeded_total 2\n"
      "# HELP talkory_calls_failed_total Calls completed with an error, cancellations included.\n"
      "# TYPE talkory_calls_failed_total counter\n"
      "talkory_calls_failed_total 3\n"
      "# HELP talkory_requests_total HTTP requests written, retries and replays included.\n"
      "# TYPE talkory_requests_total counter\n"
      "talkory_requests_total 4\n"
      "# HELP talkory_requests_on_reused_total HTTP requests written on a keep-alive connection "
      "that had served a request before.\n"
      "# TYPE talkory_requests_on_reused_total counter\n"
      "talkory_requests_on_reused_total 5\n"
      "# HELP talkory_connections_opened_total TCP connections established.\n"
      "# TYPE talkory_connections_opened_total counter\n"
      "talkory_connections_opened_total 6\n"
      "# HELP talkory_handshakes_full_total TLS handshakes without session resumption.\n"
      "# TYPE talkory_handshakes_full_total counter\n"
      "talkory_handshakes_full_total 7\n"
      "# HELP talkory_handshakes_resumed_total TLS handshakes that resumed an earlier session.\n"
      "# TYPE talkory_handshakes_resumed_total counter\n"
      "talkory_handshakes_resumed_total 8\n"
      "# HELP talkory_stale_retries_total Requests replayed once on a fresh connection because a "
      "pooled one turned out closed.\n"
      "# TYPE talkory_stale_retries_total counter\n"
      "talkory_stale_retries_total 9\n"
      "# HELP talkory_retries_total Retries after a failed attempt (each after its backoff).\n"
      "# TYPE talkory_retries_total counter\n"
      "talkory_retries_total 10\n"
      "# HELP talkory_pool_waits_total Connection acquisitions that had to wait for a free pool "
      "slot.\n"
      "# TYPE talkory_pool_waits_total counter\n"
      "talkory_pool_waits_total 11\n"
      "# HELP talkory_rate_limit_waits_total Attempts that waited for a client-side rate-limit "
      "token.\n"
      "# TYPE talkory_rate_limit_waits_total counter\n"
      "talkory_rate_limit_waits_total 12\n"
      "# HELP talkory_cache_hits_total Calls answered from the cache without a request.\n"
      "# TYPE talkory_cache_hits_total counter\n"
      "talkory_cache_hits_total 13\n"
      "# HELP talkory_stale_answers_total Calls answered with a stale cached report after a "
      "failed refresh.\n"
      "# TYPE talkory_stale_answers_total counter\n"
      "talkory_stale_answers_total 14\n"
      "# HELP talkory_coalesced_calls_total Calls that shared another call's request in flight.\n"
      "# TYPE talkory_coalesced_calls_total counter\n"
      "talkory_coalesced_calls_total 15\n"
      "# HELP talkory_fleet_fallbacks_total Fleet mode: limiter acquisitions served by the local "
      "fallback limiter because Redis was unavailable.\n"
      "# TYPE talkory_fleet_fallbacks_total counter\n"
      "talkory_fleet_fallbacks_total 19\n"
      "# HELP talkory_connections_idle Connections idle in the pool now.\n"
      "# TYPE talkory_connections_idle gauge\n"
      "talkory_connections_idle 16\n"
      "# HELP talkory_connections_active Connections lent to a call or being opened now.\n"
      "# TYPE talkory_connections_active gauge\n"
      "talkory_connections_active 17\n"
      "# HELP talkory_idle_connections_retired_total Idle connections closed because the peer "
      "closed or reset them or sent unsolicited bytes.\n"
      "# TYPE talkory_idle_connections_retired_total counter\n"
      "talkory_idle_connections_retired_total 18446744073709551615\n";
  BOOST_TEST(to_prometheus(numbered_stats()) == expected);
}

BOOST_AUTO_TEST_CASE(the_prefix_starts_every_name) {
  client_stats s;
  s.connections_idle = 2;
  const auto text = to_prometheus(s, "gateway_talkory_");
  BOOST_TEST(text.find("\ngateway_talkory_connections_idle 2\n") != std::string::npos, text);
  BOOST_TEST(text.starts_with("# HELP gateway_talkory_calls_started_total "), text);
  BOOST_TEST(text.find("talkory_calls_started_total 0\n") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(an_invalid_prefix_is_made_a_valid_metric_name) {
  client_stats s;
  const auto text = to_prometheus(s, "9my app.");
  BOOST_TEST(text.starts_with("# HELP _9my_app_calls_started_total "), text);
  BOOST_TEST(to_prometheus(s, "").starts_with("# HELP calls_started_total "));
}

BOOST_AUTO_TEST_SUITE_END()
