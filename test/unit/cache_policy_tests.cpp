// When a cached answer may stand in for a request: the TTL and max_age bounds, and which errors a
// stale answer may cover.
#include <boost/test/unit_test.hpp>

#include "cache_policy.hpp"

using namespace talkory;
using namespace talkory::detail;
using namespace std::chrono_literals;

namespace {

api_error server_error(errc code, int status) {
  api_error e;
  e.code = code;
  e.origin = error_origin::server;
  e.http_status = status;
  return e;
}

api_error client_side(errc code) {
  api_error e;
  e.code = code;
  e.origin = error_origin::client;
  return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cache_policy_tests)

BOOST_AUTO_TEST_CASE(a_zero_ttl_is_off) {
  BOOST_TEST(!answer_is_fresh(0ms, 0ms, std::nullopt));
}

BOOST_AUTO_TEST_CASE(the_ttl_is_a_strict_upper_bound) {
  BOOST_TEST(answer_is_fresh(0ms, 30s, std::nullopt));
  BOOST_TEST(answer_is_fresh(29'999ms, 30s, std::nullopt));
  BOOST_TEST(!answer_is_fresh(30s, 30s, std::nullopt));
}

BOOST_AUTO_TEST_CASE(max_age_only_shortens_the_ttl) {
  BOOST_TEST(!answer_is_fresh(5s, 30s, 5s));
  BOOST_TEST(answer_is_fresh(4s, 30s, 5s));
  BOOST_TEST(!answer_is_fresh(0ms, 30s, 0ms)); // 0 = never from the cache
  BOOST_TEST(!answer_is_fresh(31s, 30s, 10min));
}

BOOST_AUTO_TEST_CASE(an_answer_from_the_future_is_not_fresh) {
  // A clock that went backwards must not make an entry look fresh forever.
  BOOST_TEST(!answer_is_fresh(-1ms, 30s, std::nullopt));
  BOOST_TEST(!may_serve_stale(server_error(errc::service_unavailable, 503), -1ms, 10min));
}

BOOST_AUTO_TEST_CASE(transient_errors_allow_a_stale_answer) {
  BOOST_TEST(error_allows_stale(server_error(errc::rate_limited, 429)));
  BOOST_TEST(error_allows_stale(server_error(errc::internal_error, 500)));
  BOOST_TEST(error_allows_stale(server_error(errc::unknown_api_error, 502)));
  BOOST_TEST(error_allows_stale(server_error(errc::service_unavailable, 503)));
  BOOST_TEST(error_allows_stale(server_error(errc::unknown_api_error, 504)));
  BOOST_TEST(error_allows_stale(client_side(errc::connection_failed)));
  BOOST_TEST(error_allows_stale(client_side(errc::connection_lost)));
  BOOST_TEST(error_allows_stale(client_side(errc::timeout)));
  BOOST_TEST(error_allows_stale(client_side(errc::rate_limited)));
}

BOOST_AUTO_TEST_CASE(auth_and_other_final_errors_never_do) {
  for (auto [code, status] :
       {std::pair{errc::invalid_request, 400}, std::pair{errc::missing_api_key, 401},
        std::pair{errc::invalid_api_key, 401}, std::pair{errc::insufficient_balance, 402},
        std::pair{errc::insufficient_scope, 403}, std::pair{errc::not_found, 404}})
    BOOST_TEST(!error_allows_stale(server_error(code, status)), "HTTP " << status);
  for (auto code : {errc::tls_error, errc::cancelled, errc::invalid_options, errc::invalid_response,
                    errc::response_too_large})
    BOOST_TEST(!error_allows_stale(client_side(code)), to_string(code));
}

BOOST_AUTO_TEST_CASE(stale_answers_are_bounded_by_their_own_window) {
  const auto outage = server_error(errc::service_unavailable, 503);
  BOOST_TEST(may_serve_stale(outage, 119s, 2min));
  BOOST_TEST(!may_serve_stale(outage, 2min, 2min));
  BOOST_TEST(!may_serve_stale(outage, 0ms, 0ms)); // 0 = off
  BOOST_TEST(!may_serve_stale(server_error(errc::invalid_api_key, 401), 1s, 2min));
}

BOOST_AUTO_TEST_SUITE_END()
