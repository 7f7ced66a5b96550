// The mock server's chaos mode without sockets: the seeded sequence of outcomes, the weights,
// what each outcome makes the answer, and the counters a soak test compares its calls with.
#include "testing/chaos.hpp"
#include "testing/mock_state.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using talkory::testing::chaos_options;
using talkory::testing::fault;
using talkory::testing::mock_server_options;
using talkory::testing::detail::chaos_outcome;
using talkory::testing::detail::chaos_source;
using talkory::testing::detail::mock_state;
using talkory::testing::detail::mock_state_sources;
using talkory::testing::detail::planned_response;

/// Chaos options with every weight zero, for a test to set the ones it means.
chaos_options no_faults() {
  chaos_options o;
  o.enabled = true;
  o.delay = o.long_delay = o.reset = o.unavailable = o.rate_limited = o.close_after =
      o.close_mid_body = 0;
  return o;
}

std::vector<chaos_outcome> draws(const chaos_options& options, int n) {
  chaos_source source{options};
  std::vector<chaos_outcome> out;
  for (int i = 0; i < n; ++i)
    out.push_back(source.next().outcome);
  return out;
}

/// The health answer the state gives the demo key, with a fixed seed for its request ids.
planned_response health(mock_state& state) {
  const std::string authorization = std::string("Bearer ") + mock_server_options::demo_key_value;
  return state.respond(
      {.method = "GET", .target = "/v1/health/llm", .authorization = authorization});
}

mock_server_options chaos_only(chaos_options chaos) {
  mock_server_options o;
  o.chaos = chaos;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mock_chaos_tests)

BOOST_AUTO_TEST_CASE(one_seed_gives_one_sequence_and_another_seed_another) {
  chaos_options o;
  o.enabled = true;
  o.seed = 7;
  const auto first = draws(o, 2'000);
  BOOST_TEST((draws(o, 2'000) == first));
  o.seed = 8;
  BOOST_TEST((draws(o, 2'000) != first));
}

BOOST_AUTO_TEST_CASE(weights_are_parts_per_ten_thousand) {
  auto o = no_faults();
  o.reset = 2'500;
  o.unavailable = 2'500;
  std::map<chaos_outcome, int> seen;
  for (auto outcome : draws(o, 40'000))
    ++seen[outcome];
  BOOST_TEST(seen.size() == 3u); // reset, unavailable and the normal answer only
  // Each a quarter, half for the normal answer; 40,000 draws keep each within 3 %.
  BOOST_TEST(std::abs(seen[chaos_outcome::reset] - 10'000) < 300);
  BOOST_TEST(std::abs(seen[chaos_outcome::unavailable] - 10'000) < 300);
  BOOST_TEST(std::abs(seen[chaos_outcome::answer] - 20'000) < 600);
}

BOOST_AUTO_TEST_CASE(weights_over_ten_thousand_are_refused) {
  auto o = no_faults();
  o.reset = 5'000;
  o.delay = 5'001;
  BOOST_CHECK_THROW(chaos_source{o}, std::invalid_argument);
  o.delay = 5'000;
  BOOST_CHECK_NO_THROW(chaos_source{o});
}

BOOST_AUTO_TEST_CASE(delays_stay_within_their_bounds) {
  auto o = no_faults();
  o.delay = 5'000;
  o.long_delay = 5'000;
  o.max_delay = 4ms;
  o.long_delay_time = 1234ms;
  chaos_source source{o};
  std::map<long long, int> short_delays;
  for (int i = 0; i < 2'000; ++i) {
    const auto d = source.next();
    if (d.outcome == chaos_outcome::long_delay)
      BOOST_TEST(d.delay.count() == 1234);
    else
      ++short_delays[d.delay.count()];
  }
  BOOST_TEST(short_delays.begin()->first == 1);
  BOOST_TEST(short_delays.rbegin()->first == 4);
}

BOOST_AUTO_TEST_CASE(each_outcome_shapes_the_answer_and_is_counted) {
  struct expectation {
    unsigned chaos_options::*weight;
    int status;
    fault inject;
    std::uint64_t talkory::testing::chaos_counters::*counter;
  };
  using talkory::testing::chaos_counters;
  const expectation cases[] = {
      {&chaos_options::reset, 200, fault::reset_before_response, &chaos_counters::resets},
      {&chaos_options::unavailable, 503, fault::none, &chaos_counters::unavailable},
      {&chaos_options::rate_limited, 429, fault::none, &chaos_counters::rate_limited},
      {&chaos_options::close_after, 200, fault::close_after_response,
       &chaos_counters::closed_after},
      {&chaos_options::close_mid_body, 200, fault::close_mid_response,
       &chaos_counters::closed_mid_body},
      {&chaos_options::long_delay, 200, fault::none, &chaos_counters::long_delayed},
  };
  for (const auto& c : cases) {
    auto o = no_faults();
    o.*c.weight = 10'000;
    o.retry_after = 3s;
    mock_state state{chaos_only(o), mock_state_sources{.seed = 1}};
    const auto answer = health(state);
    BOOST_TEST(answer.status == c.status);
    BOOST_TEST((answer.inject == c.inject));
    const auto counted = state.counters().chaos;
    const std::uint64_t drawn = counted.*c.counter;
    BOOST_TEST(drawn == 1u);
    BOOST_TEST(state.counters().requests == 1u);
    if (c.status == 429) {
      const auto has_retry_after = std::ranges::any_of(answer.headers, [](const auto& h) {
        return h.first == "Retry-After" && h.second == "3";
      });
      BOOST_TEST(has_retry_after);
    }
  }
}

BOOST_AUTO_TEST_CASE(scripted_responses_and_refusals_draw_nothing) {
  auto o = no_faults();
  o.reset = 10'000;
  mock_state state{chaos_only(o), mock_state_sources{.seed = 1}};
  talkory::testing::scripted_response scripted;
  scripted.status = 404;
  state.script(scripted);
  BOOST_TEST(health(state).status == 404);
  BOOST_TEST(
      state.respond({.method = "GET", .target = "/v1/health/llm", .authorization = {}}).status ==
      401);
  const auto counted = state.counters().chaos;
  BOOST_TEST(counted.resets == 0u);
  BOOST_TEST(counted.answered == 0u);
  BOOST_TEST((health(state).inject == fault::reset_before_response));
}

BOOST_AUTO_TEST_CASE(chaos_is_off_by_default) {
  mock_state state{mock_server_options{}, mock_state_sources{.seed = 1}};
  for (int i = 0; i < 20; ++i) { // under the mock's 30 per minute
    const auto answer = health(state);
    BOOST_TEST_REQUIRE(answer.status == 200);
    BOOST_TEST_REQUIRE((answer.inject == fault::none));
    BOOST_TEST_REQUIRE(answer.delay.count() == 0);
  }
  BOOST_TEST(state.counters().chaos.answered == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
