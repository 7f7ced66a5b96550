// Inputs found by the libFuzzer targets in test/fuzz/, kept as regressions: each case names the
// target that found it and what went wrong before the fix.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "base_url.hpp"
#include "error_decoder.hpp"
#include "http_dates.hpp"

using namespace std::chrono;
using talkory::detail::parse_retry_after;

namespace {

// A fixed clock reading: 2026-01-01T00:00:00.5Z, in system_clock's own (nanosecond) ticks.
const system_clock::time_point now_2026 =
    system_clock::time_point{sys_days{year{2026} / January / 1}.time_since_epoch()} + 500ms;

constexpr long long none = -1;

// The delay in seconds, or `none`: one printable value per case.
long long retry_after_seconds(std::string_view value) {
  const auto delay = parse_retry_after(value, now_2026);
  return delay ? static_cast<long long>(delay->count()) : none;
}

} // namespace

BOOST_AUTO_TEST_SUITE(codec_fuzz_regressions_tests)

// fuzz_iso8601: "Wed, 21 Oct 4520 07:28:00 GMT". The HTTP-date minus now was computed in
// system_clock's nanoseconds, which overflow outside 1678..2262: signed overflow (UB), and in
// practice a wrapped delay: dates from 2318 on wrapped to the past and gave "retry now" (0 s),
// dates before 1678 wrapped to the far future and were dropped instead of meaning "now".
// Since the hardening issue a far-future date is kept, saturated (it means "not soon"), so the
// call fails at once against max_retry_after instead of retrying on its own backoff. What the
// fuzzer found still holds: no wrap to the past, no overflow.
constexpr long long ceiling = 10'000'000'000;
BOOST_AUTO_TEST_CASE(retry_after_http_date_beyond_2262_saturates) {
  BOOST_TEST(retry_after_seconds("Mon, 01 Jan 2263 00:00:00 GMT") == 7'478'956'800);
  BOOST_TEST(retry_after_seconds("Wed, 21 Oct 4520 07:28:00 GMT") == ceiling);
  BOOST_TEST(retry_after_seconds("Mon, 01 Jun 2318 00:00:00 GMT") == 9'227'606'400);
  BOOST_TEST(retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT") == ceiling);
}

BOOST_AUTO_TEST_CASE(retry_after_http_date_before_1678_is_zero) {
  BOOST_TEST(retry_after_seconds("Mon, 01 Jan 1000 00:00:00 GMT") == 0);
  BOOST_TEST(retry_after_seconds("Sat, 01 Jan 0000 00:00:00 GMT") == 0);
}

// The same arithmetic near now is unchanged: whole seconds, rounded up from a fractional now.
BOOST_AUTO_TEST_CASE(retry_after_http_date_near_now_rounds_up) {
  BOOST_TEST(retry_after_seconds("Thu, 01 Jan 2026 00:00:10 GMT") == 10);
  BOOST_TEST(retry_after_seconds("Thu, 01 Jan 2026 00:00:01 GMT") == 1);
  BOOST_TEST(retry_after_seconds("Thu, 01 Jan 2026 00:00:00 GMT") == 0);
  BOOST_TEST(retry_after_seconds("Fri, 02 Jan 2026 00:00:00 GMT") == 86'400);
  BOOST_TEST(retry_after_seconds("Fri, 02 Jan 2026 00:00:01 GMT") == 86'401);
}

// Through the decoder: a far-future Retry-After is kept, saturated (so the retry policy refuses
// to wait for it and the call fails at once).
BOOST_AUTO_TEST_CASE(error_response_with_retry_after_in_year_9999_saturates) {
  talkory::detail::http_response response{boost::beast::http::status::service_unavailable, 11};
  response.set("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT");
  response.body() = R"({"error":{"code":"service_unavailable","message":"Down.","status":503}})";
  response.prepare_payload();
  const auto error = talkory::detail::decode_error_response(response, now_2026);
  BOOST_TEST((error.code == talkory::errc::service_unavailable));
  BOOST_TEST_REQUIRE(error.retry_after.has_value());
  BOOST_TEST(error.retry_after->count() == ceiling);
}

// fuzz_base_url: "https://[::2]http://i/v2". Boost.URL 1.81 does not require the path after an
// authority to start with '/' (boostorg/url#636), so "https://host:443x/y" parsed as port 443 and
// path "x/y", and the origin's request target became "x/y/v1/health/llm" (or, here, the
// absolute-form "http://i/v2/v1/health/llm", which a proxy would forward to host "i").
BOOST_AUTO_TEST_CASE(base_url_path_not_starting_with_slash_is_refused) {
  for (const std::string_view url :
       {"https://[::2]http://i/v2", "https://api.talkory.ai:443evil.example/v1",
        "https://api.talkory.ai:8443x", "http://127.0.0.1:8080x/prefix"}) {
    const auto ep = talkory::detail::parse_base_url(url, true);
    BOOST_TEST_CONTEXT(url) {
      BOOST_TEST(!ep.has_value());
      if (!ep) {
        BOOST_TEST((ep.error().code == talkory::errc::invalid_options));
        BOOST_TEST(ep.error().message.find("not a valid URL") != std::string::npos);
      }
    }
  }
  // Still accepted: an empty path and a path starting with '/'.
  for (const std::string_view url :
       {"https://[::2]", "https://[::2]:8443/v2/", "https://api.talkory.ai:443"}) {
    const auto ep = talkory::detail::parse_base_url(url, false);
    BOOST_TEST_CONTEXT(url) {
      BOOST_TEST(ep.has_value());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
