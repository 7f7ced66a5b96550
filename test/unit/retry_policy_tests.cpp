// Which failures are retried, and the backoff arithmetic (seeded jitter, Retry-After and its cap).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <random>
#include <vector>

#include <talkory/errors.hpp>
#include <talkory/options.hpp>

#include "retry_policy.hpp"

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using talkory::api_error;
using talkory::errc;
using talkory::error_origin;
using talkory::retry_options;
using talkory::detail::decide_retry;
using talkory::detail::is_retryable;
using talkory::detail::jittered_backoff;
using talkory::detail::nominal_backoff;

namespace {

api_error server_error(errc code, int status) {
  api_error error;
  error.code = code;
  error.origin = error_origin::server;
  error.http_status = status;
  return error;
}

api_error client_error(errc code) {
  api_error error;
  error.code = code;
  error.origin = error_origin::client;
  return error;
}

api_error with_retry_after(api_error error, std::chrono::seconds retry_after) {
  error.retry_after = retry_after;
  return error;
}

} // namespace

BOOST_AUTO_TEST_SUITE(retry_policy_tests)

BOOST_AUTO_TEST_CASE(retryable_server_statuses) {
  BOOST_TEST(is_retryable(server_error(errc::rate_limited, 429)));
  BOOST_TEST(is_retryable(server_error(errc::internal_error, 500)));
  BOOST_TEST(is_retryable(server_error(errc::unknown_api_error, 502)));
  BOOST_TEST(is_retryable(server_error(errc::service_unavailable, 503)));
  BOOST_TEST(is_retryable(server_error(errc::unknown_api_error, 504)));
}

BOOST_AUTO_TEST_CASE(final_server_statuses_are_never_retried) {
  BOOST_TEST(!is_retryable(server_error(errc::invalid_request, 400)));
  BOOST_TEST(!is_retryable(server_error(errc::missing_api_key, 401)));
  BOOST_TEST(!is_retryable(server_error(errc::invalid_api_key, 401)));
  BOOST_TEST(!is_retryable(server_error(errc::insufficient_balance, 402)));
  BOOST_TEST(!is_retryable(server_error(errc::spend_cap_reached, 402)));
  BOOST_TEST(!is_retryable(server_error(errc::insufficient_scope, 403)));
  BOOST_TEST(!is_retryable(server_error(errc::not_found, 404)));
  BOOST_TEST(!is_retryable(server_error(errc::payload_too_large, 413)));
  BOOST_TEST(!is_retryable(server_error(errc::unknown_api_error, 418)));
  BOOST_TEST(!is_retryable(server_error(errc::unknown_api_error, 501)));
}

BOOST_AUTO_TEST_CASE(network_faults_are_retried) {
  BOOST_TEST(is_retryable(client_error(errc::connection_failed)));
  BOOST_TEST(is_retryable(client_error(errc::connection_lost)));
  BOOST_TEST(is_retryable(client_error(errc::timeout)));
}

BOOST_AUTO_TEST_CASE(other_client_errors_are_not_retried) {
  for (const errc code :
       {errc::tls_error, errc::invalid_options, errc::cancelled, errc::response_too_large,
        errc::invalid_response, errc::unknown_api_error})
    BOOST_TEST(!is_retryable(client_error(code)), "errc " << static_cast<int>(code));
}

BOOST_AUTO_TEST_CASE(the_client_limiters_own_rate_limited_is_not_retried) {
  // Same errc as a 429, but produced locally (http_status 0): retrying would be refused again.
  const auto local = client_error(errc::rate_limited);
  BOOST_TEST(local.http_status == 0);
  BOOST_TEST(!is_retryable(local));
  BOOST_TEST(!decide_retry(retry_options{}, local, 1, 2, 0.5).retry);
}

BOOST_AUTO_TEST_CASE(nominal_backoff_doubles_from_half_a_second_up_to_eight) {
  const retry_options options;
  const std::vector<milliseconds> expected{500ms, 1000ms, 2000ms, 4000ms, 8000ms, 8000ms};
  for (int retry = 0; retry < static_cast<int>(expected.size()); ++retry)
    BOOST_TEST(nominal_backoff(options, retry).count() == expected[retry].count(),
               "retry " << retry);
}

BOOST_AUTO_TEST_CASE(nominal_backoff_stays_capped_for_any_retry_count) {
  const retry_options options;
  BOOST_TEST(nominal_backoff(options, 62).count() == 8000);
  BOOST_TEST(nominal_backoff(options, 1000).count() == 8000);
  BOOST_TEST(nominal_backoff(options, -1).count() == 500);
  retry_options big_initial;
  big_initial.initial_backoff = 20s;
  BOOST_TEST(nominal_backoff(big_initial, 0).count() == 8000);
}

BOOST_AUTO_TEST_CASE(jitter_extremes_are_three_quarters_and_all_of_the_nominal) {
  const retry_options options;
  BOOST_TEST(jittered_backoff(options, 0, 0.0).count() == 375);
  BOOST_TEST(jittered_backoff(options, 0, 1.0).count() == 500);
  BOOST_TEST(jittered_backoff(options, 4, 0.0).count() == 6000);
  BOOST_TEST(jittered_backoff(options, 4, 1.0).count() == 8000);
  // Out-of-range draws are clamped, not trusted.
  BOOST_TEST(jittered_backoff(options, 0, -3.0).count() == 375);
  BOOST_TEST(jittered_backoff(options, 0, 7.0).count() == 500);
}

BOOST_AUTO_TEST_CASE(jittered_delays_fall_inside_their_bounds) {
  const retry_options options;
  std::mt19937 random(20240627); // seeded: the same draws on every run
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int retry = 0; retry < 6; ++retry) {
    const auto nominal = nominal_backoff(options, retry).count();
    auto lowest = nominal;
    auto highest = decltype(nominal){0};
    for (int draw = 0; draw < 10'000; ++draw) {
      const auto delay = jittered_backoff(options, retry, unit(random)).count();
      BOOST_TEST_REQUIRE(delay * 4 >= nominal * 3, "retry " << retry << ": " << delay);
      BOOST_TEST_REQUIRE(delay <= nominal, "retry " << retry << ": " << delay);
      lowest = std::min(lowest, delay);
      highest = std::max(highest, delay);
    }
    // The draws spread over the whole band rather than sticking to one end of it.
    BOOST_TEST(lowest * 100 < nominal * 76, "retry " << retry);
    BOOST_TEST(highest * 100 > nominal * 99, "retry " << retry);
  }
}

BOOST_AUTO_TEST_CASE(decide_retry_uses_jittered_backoff_per_attempt) {
  const retry_options options;
  const auto error = server_error(errc::service_unavailable, 503);
  const auto first = decide_retry(options, error, 1, 2, 1.0);
  BOOST_TEST(first.retry);
  BOOST_TEST(!first.retry_after_too_long);
  BOOST_TEST(first.delay.count() == 500);
  const auto second = decide_retry(options, error, 2, 2, 0.0);
  BOOST_TEST(second.retry);
  BOOST_TEST(second.delay.count() == 750);
}

BOOST_AUTO_TEST_CASE(retries_stop_after_max_retries) {
  const retry_options options;
  const auto error = client_error(errc::connection_lost);
  BOOST_TEST(decide_retry(options, error, 1, 2, 0.5).retry);
  BOOST_TEST(decide_retry(options, error, 2, 2, 0.5).retry);
  BOOST_TEST(!decide_retry(options, error, 3, 2, 0.5).retry);
  BOOST_TEST(!decide_retry(options, error, 1, 0, 0.5).retry); // a per-call override of zero
}

BOOST_AUTO_TEST_CASE(non_retryable_errors_get_no_retry_even_with_retry_after) {
  const auto decision = decide_retry(
      retry_options{}, with_retry_after(server_error(errc::invalid_api_key, 401), 5s), 1, 2, 0.5);
  BOOST_TEST(!decision.retry);
  BOOST_TEST(!decision.retry_after_too_long);
}

BOOST_AUTO_TEST_CASE(retry_after_takes_precedence_over_backoff) {
  const retry_options options;
  const auto decision =
      decide_retry(options, with_retry_after(server_error(errc::rate_limited, 429), 3s), 2, 2, 0.0);
  BOOST_TEST(decision.retry);
  BOOST_TEST(decision.delay.count() == 3000);
  // Also on a 503, and also when it is shorter than the backoff would be.
  const auto zero = decide_retry(
      options, with_retry_after(server_error(errc::service_unavailable, 503), 0s), 1, 2, 1.0);
  BOOST_TEST(zero.retry);
  BOOST_TEST(zero.delay.count() == 0);
}

BOOST_AUTO_TEST_CASE(retry_after_at_the_cap_is_waited) {
  const retry_options options;
  const auto decision = decide_retry(
      options, with_retry_after(server_error(errc::rate_limited, 429), 60s), 1, 2, 0.5);
  BOOST_TEST(decision.retry);
  BOOST_TEST(!decision.retry_after_too_long);
  BOOST_TEST(decision.delay.count() == 60'000);
}

BOOST_AUTO_TEST_CASE(retry_after_above_the_cap_fails_at_once) {
  const retry_options options;
  const auto decision = decide_retry(
      options, with_retry_after(server_error(errc::rate_limited, 429), 61s), 1, 2, 0.5);
  BOOST_TEST(!decision.retry);
  BOOST_TEST(decision.retry_after_too_long);
  BOOST_TEST(decision.delay.count() == 0);

  retry_options tighter;
  tighter.max_retry_after = 5s;
  const auto capped = decide_retry(
      tighter, with_retry_after(server_error(errc::service_unavailable, 503), 6s), 1, 2, 0.5);
  BOOST_TEST(!capped.retry);
  BOOST_TEST(capped.retry_after_too_long);
}

BOOST_AUTO_TEST_SUITE_END()
