// token_bucket arithmetic with explicit time points: burst, return of tokens, pause,
// observe_remaining.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <limits>
#include <vector>

#include "token_bucket.hpp"

using namespace std::chrono_literals;
using talkory::detail::token_bucket;
using time_point = token_bucket::time_point;

namespace {

// An arbitrary origin: the bucket must not care where the clock's epoch is.
const time_point t0 = time_point{} + 1000h;

// 3 tokens per minute, burst 3: each token comes back 60 s after it was taken.
token_bucket three_per_minute() {
  return token_bucket(3, 3, 60s, t0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(token_bucket_tests)

BOOST_AUTO_TEST_CASE(starts_full_and_grants_the_burst_at_once) {
  auto bucket = three_per_minute();
  BOOST_TEST(bucket.tokens(t0) == 3u);
  BOOST_TEST(bucket.try_take(t0));
  BOOST_TEST(bucket.try_take(t0));
  BOOST_TEST(bucket.try_take(t0));
  BOOST_TEST(!bucket.try_take(t0));
  BOOST_TEST(bucket.tokens(t0) == 0u);
}

BOOST_AUTO_TEST_CASE(each_token_returns_one_period_after_it_was_taken) {
  auto bucket = three_per_minute();
  BOOST_TEST(bucket.try_take(t0));
  BOOST_TEST(bucket.try_take(t0 + 10s));
  BOOST_TEST(bucket.try_take(t0 + 20s));
  BOOST_TEST(!bucket.try_take(t0 + 60s - 1ns));
  BOOST_TEST(bucket.try_take(t0 + 60s));
  BOOST_TEST(!bucket.try_take(t0 + 70s - 1ns));
  BOOST_TEST(bucket.try_take(t0 + 70s));
  BOOST_TEST(bucket.tokens(t0 + 80s) == 1u);
}

BOOST_AUTO_TEST_CASE(never_grants_more_than_the_burst_within_any_window) {
  // The server counts requests per window: a greedy taker polling every second must never get
  // more than `burst` grants inside any window-long interval (a refilled bucket would give 59).
  token_bucket bucket(30, 30, 60s, t0);
  std::vector<time_point> grants;
  for (auto now = t0; now < t0 + 10min; now += 1s)
    while (bucket.try_take(now))
      grants.push_back(now);
  for (std::size_t i = 0; i < grants.size(); ++i) {
    const auto in_window =
        std::count_if(grants.begin() + static_cast<std::ptrdiff_t>(i), grants.end(),
                      [&](time_point g) { return g < grants[i] + 60s; });
    BOOST_TEST(in_window <= 30);
  }
  BOOST_TEST(grants.size() == 300u); // and the long-run rate is the configured one
}

BOOST_AUTO_TEST_CASE(burst_smaller_than_the_rate_spaces_the_grants) {
  token_bucket bucket(1, 30, 60s, t0); // one every 2 s, never two at once
  BOOST_TEST(bucket.try_take(t0));
  BOOST_TEST(!bucket.try_take(t0 + 1s));
  BOOST_TEST((bucket.available_at(t0 + 1s) == t0 + 2s));
  BOOST_TEST(bucket.try_take(t0 + 10s));
  BOOST_TEST(!bucket.try_take(t0 + 10s));
  BOOST_TEST((bucket.available_at(t0 + 10s) == t0 + 12s));
}

BOOST_AUTO_TEST_CASE(available_at_is_now_when_tokens_are_free) {
  auto bucket = three_per_minute();
  BOOST_TEST((bucket.available_at(t0) == t0));
  BOOST_TEST((bucket.available_at(t0, 3) == t0));
}

BOOST_AUTO_TEST_CASE(available_at_counts_the_takers_ahead) {
  auto bucket = three_per_minute();
  // Beyond the three in the bucket, the fourth taker reuses the first one's token.
  BOOST_TEST((bucket.available_at(t0, 4) == t0 + 60s));
  BOOST_TEST((bucket.available_at(t0, 7) == t0 + 120s));
  BOOST_TEST(bucket.try_take(t0));
  BOOST_TEST(bucket.try_take(t0 + 10s));
  BOOST_TEST(bucket.try_take(t0 + 20s));
  BOOST_TEST((bucket.available_at(t0 + 20s, 1) == t0 + 60s));
  BOOST_TEST((bucket.available_at(t0 + 20s, 2) == t0 + 70s));
  BOOST_TEST((bucket.available_at(t0 + 20s, 3) == t0 + 80s));
  BOOST_TEST((bucket.available_at(t0 + 20s, 4) == t0 + 120s));
  BOOST_TEST((bucket.available_at(t0 + 65s, 1) == t0 + 65s));
  BOOST_TEST((bucket.available_at(t0 + 65s, 2) == t0 + 70s));
}

BOOST_AUTO_TEST_CASE(available_at_agrees_with_try_take_for_awkward_rates) {
  // The time available_at promises must be exactly when try_take starts to succeed, or the
  // limiter's timer would wake early and spin.
  struct config {
    std::size_t burst, per_window;
    std::chrono::nanoseconds window;
  };
  for (const config c : {config{1, 3, 100ms}, config{2, 7, 1s}, config{30, 30, 60s},
                         config{5, 1000, 1s}, config{1, 3, 10ns}}) {
    token_bucket bucket(c.burst, c.per_window, c.window, t0);
    auto now = t0;
    for (int round = 0; round < 20; ++round) {
      while (bucket.try_take(now)) {
      }
      const auto at = bucket.available_at(now);
      BOOST_TEST_REQUIRE((at > now));
      BOOST_TEST(!bucket.try_take(at - 1ns));
      BOOST_TEST(bucket.try_take(at));
      now = at;
    }
  }
}

BOOST_AUTO_TEST_CASE(pause_blocks_grants_until_it_ends) {
  auto bucket = three_per_minute();
  bucket.pause_until(t0 + 30s);
  BOOST_TEST((bucket.paused_until() == t0 + 30s));
  BOOST_TEST(!bucket.try_take(t0));
  BOOST_TEST(!bucket.try_take(t0 + 30s - 1ns));
  BOOST_TEST((bucket.available_at(t0) == t0 + 30s));
  BOOST_TEST(bucket.try_take(t0 + 30s));
}

BOOST_AUTO_TEST_CASE(tokens_keep_returning_during_a_pause) {
  auto bucket = three_per_minute();
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(bucket.try_take(t0));
  bucket.pause_until(t0 + 90s);
  BOOST_TEST(bucket.tokens(t0 + 90s) == 3u); // tokens() ignores the pause
  BOOST_TEST((bucket.available_at(t0, 1) == t0 + 90s));
  BOOST_TEST((bucket.available_at(t0, 3) == t0 + 90s));
  BOOST_TEST(!bucket.try_take(t0 + 89s));
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(bucket.try_take(t0 + 90s));
  BOOST_TEST(!bucket.try_take(t0 + 90s));
}

BOOST_AUTO_TEST_CASE(a_shorter_pause_never_lifts_a_longer_one) {
  auto bucket = three_per_minute();
  bucket.pause_until(t0 + 30s);
  bucket.pause_until(t0 + 10s);
  BOOST_TEST((bucket.paused_until() == t0 + 30s));
  BOOST_TEST(!bucket.try_take(t0 + 20s));
}

BOOST_AUTO_TEST_CASE(observe_remaining_lowers_but_never_raises_the_content) {
  auto bucket = three_per_minute();
  bucket.observe_remaining(1, t0);
  BOOST_TEST(bucket.tokens(t0) == 1u);
  bucket.observe_remaining(25, t0);
  BOOST_TEST(bucket.tokens(t0) == 1u);
  BOOST_TEST(bucket.try_take(t0));
  BOOST_TEST(!bucket.try_take(t0));
  BOOST_TEST((bucket.paused_until() == time_point{}));
}

BOOST_AUTO_TEST_CASE(observe_remaining_zero_drains_until_the_window_refills) {
  auto bucket = three_per_minute();
  bucket.observe_remaining(0, t0 + 5s);
  BOOST_TEST(bucket.tokens(t0 + 5s) == 0u);
  BOOST_TEST((bucket.paused_until() == t0 + 65s));
  BOOST_TEST(!bucket.try_take(t0 + 30s));
  BOOST_TEST((bucket.available_at(t0 + 5s) == t0 + 65s));
  // The whole window refilled meanwhile: the burst is available when the pause ends.
  BOOST_TEST((bucket.available_at(t0 + 5s, 3) == t0 + 65s));
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(bucket.try_take(t0 + 65s));
  BOOST_TEST(!bucket.try_take(t0 + 65s));
}

BOOST_AUTO_TEST_CASE(negative_remaining_is_ignored) {
  auto bucket = three_per_minute();
  bucket.observe_remaining(-1, t0);
  BOOST_TEST(bucket.tokens(t0) == 3u);
  BOOST_TEST((bucket.paused_until() == time_point{}));
}

BOOST_AUTO_TEST_CASE(a_zero_burst_never_grants) {
  token_bucket bucket(0, 30, 60s, t0);
  BOOST_TEST(!bucket.try_take(t0 + 1h));
  BOOST_TEST((bucket.available_at(t0) == time_point::max()));
}

BOOST_AUTO_TEST_CASE(an_endless_pause_saturates_instead_of_overflowing) {
  auto bucket = three_per_minute();
  bucket.pause_until(time_point::max());
  BOOST_TEST((bucket.available_at(t0, 10) == time_point::max()));
  BOOST_TEST(!bucket.try_take(t0 + 1000h));
}

BOOST_AUTO_TEST_CASE(available_at_far_down_the_queue_matches_taking_one_after_another) {
  // What available_at promises the k-th taker must be when it really gets its token if everyone
  // ahead takes theirs as soon as possible, however far down the queue k is.
  token_bucket promised(3, 7, 1s, t0);
  token_bucket served(3, 7, 1s, t0);
  std::vector<time_point> at;
  for (std::size_t k = 1; k <= 50; ++k)
    at.push_back(promised.available_at(t0, k));
  time_point now = t0;
  for (std::size_t k = 0; k < at.size(); ++k) {
    now = served.available_at(now);
    BOOST_TEST_REQUIRE(served.try_take(now));
    BOOST_TEST((now == at[k]), "taker " << k + 1);
  }
}

BOOST_AUTO_TEST_CASE(available_at_is_exact_and_saturates_for_very_long_queues) {
  token_bucket bucket(2, 2, 10s, t0);
  BOOST_TEST((bucket.available_at(t0, 20'001) == t0 + 10'000 * 10s));
  BOOST_TEST((bucket.available_at(t0, 20'002) == t0 + 10'000 * 10s));
  BOOST_TEST((bucket.available_at(t0, 20'003) == t0 + 10'001 * 10s));
  // A queue that would be served after the clock's end is never served, rather than wrapping.
  token_bucket slow(1, 1, 1000h, t0);
  BOOST_TEST((slow.available_at(t0, 1'000'000) == time_point::max()));
  BOOST_TEST((slow.available_at(t0, std::numeric_limits<std::size_t>::max()) == time_point::max()));
}

BOOST_AUTO_TEST_CASE(time_running_backwards_is_ignored) {
  auto bucket = three_per_minute();
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(bucket.try_take(t0 + 10s));
  BOOST_TEST(!bucket.try_take(t0)); // an earlier sample from another thread
  BOOST_TEST((bucket.available_at(t0) == t0 + 70s));
  BOOST_TEST(bucket.try_take(t0 + 70s));
}

BOOST_AUTO_TEST_SUITE_END()
