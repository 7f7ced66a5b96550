// Chaos mode's choices: a seeded sequence of outcomes, one per normal answer (see chaos_options).
#pragma once

#include <talkory/testing/mock_server.hpp>

#include <chrono>
#include <random>
#include <stdexcept>

namespace talkory::testing::detail {

enum class chaos_outcome {
  answer,
  delay,
  long_delay,
  reset,
  unavailable,
  rate_limited,
  close_after,
  close_mid_body,
};

struct chaos_draw {
  chaos_outcome outcome = chaos_outcome::answer;
  std::chrono::milliseconds delay{0}; // for delay and long_delay
};

/// Not thread-safe: mock_state calls it under its mutex.
class chaos_source {
public:
  /// Throws std::invalid_argument when the weights add up to more than 10,000.
  explicit chaos_source(const chaos_options& options);
  chaos_draw next();

private:
  chaos_options options_;
  std::mt19937_64 random_;
};

/// Adds one to the counter of `outcome`.
void count(chaos_counters& counters, chaos_outcome outcome) noexcept;

} // namespace talkory::testing::detail
