// Chaos mode's choices: each draw takes one number from a seeded generator, so a given seed
// always yields the same sequence of outcomes.
#include "testing/chaos.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace talkory::testing::detail {
namespace {

constexpr unsigned scale = 10'000;

struct weighted {
  unsigned chaos_options::*weight;
  chaos_outcome outcome;
};

constexpr std::array<weighted, 7> faults{{
    {&chaos_options::delay, chaos_outcome::delay},
    {&chaos_options::long_delay, chaos_outcome::long_delay},
    {&chaos_options::reset, chaos_outcome::reset},
    {&chaos_options::unavailable, chaos_outcome::unavailable},
    {&chaos_options::rate_limited, chaos_outcome::rate_limited},
    {&chaos_options::close_after, chaos_outcome::close_after},
    {&chaos_options::close_mid_body, chaos_outcome::close_mid_body},
}};

const chaos_options& checked(const chaos_options& options) {
  unsigned long total = 0;
  for (const auto& f : faults) {
    total += options.*f.weight;
  }
  if (total > scale) {
    throw std::invalid_argument("mock_server: chaos weights add up to more than 10,000");
  }
  return options;
}

} // namespace

chaos_source::chaos_source(const chaos_options& options)
    : options_(checked(options)), random_(options.seed) {}

chaos_draw chaos_source::next() {
  // A delay takes a second number: the sequence still depends on the seed alone.
  const auto roll = static_cast<unsigned>(random_() % scale);
  unsigned bound = 0;
  for (const auto& f : faults) {
    bound += options_.*f.weight;
    if (roll < bound) {
      chaos_draw draw{f.outcome, {}};
      if (f.outcome == chaos_outcome::delay) {
        const auto span = std::max<std::chrono::milliseconds::rep>(options_.max_delay.count(), 1);
        draw.delay = std::chrono::milliseconds(1 + static_cast<long long>(random_() % span));
      } else if (f.outcome == chaos_outcome::long_delay) {
        draw.delay = options_.long_delay_time;
      }
      return draw;
    }
  }
  return {};
}

void count(chaos_counters& counters, chaos_outcome outcome) noexcept {
  using counter = std::uint64_t chaos_counters::*;
  static constexpr std::array<std::pair<chaos_outcome, counter>, 8> counter_of{{
      {chaos_outcome::answer, &chaos_counters::answered},
      {chaos_outcome::delay, &chaos_counters::delayed},
      {chaos_outcome::long_delay, &chaos_counters::long_delayed},
      {chaos_outcome::reset, &chaos_counters::resets},
      {chaos_outcome::unavailable, &chaos_counters::unavailable},
      {chaos_outcome::rate_limited, &chaos_counters::rate_limited},
      {chaos_outcome::close_after, &chaos_counters::closed_after},
      {chaos_outcome::close_mid_body, &chaos_counters::closed_mid_body},
  }};
  for (const auto& [which, field] : counter_of) {
    if (which == outcome) {
      ++(counters.*field);
    }
  }
}

} // namespace talkory::testing::detail
