// The mock server's time-driven provider changes: a timed list of status steps, and the demo
// mode that flips a random provider every N ms. Both run on the server's io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <talkory/testing/mock_server.hpp>

#include "testing/mock_state.hpp"

namespace talkory::testing::detail {

/// Every member must be called on the server's thread (or before it starts).
class status_schedule {
public:
  status_schedule(boost::asio::io_context& io, std::shared_ptr<mock_state> state);

  /// Replaces the timed steps; each is applied `after` its predecessor.
  void run_steps(std::vector<status_step> steps);
  /// > 0: flips a random provider every `period`; 0 stops flipping.
  void flip_every(std::chrono::milliseconds period);
  /// Cancels both timers, so that the io_context can run out of work.
  void stop();

private:
  void arm_step();
  void arm_flip();

  std::shared_ptr<mock_state> state_;
  boost::asio::steady_timer step_timer_;
  boost::asio::steady_timer flip_timer_;
  std::deque<status_step> steps_;
  std::chrono::milliseconds flip_period_{0};
  std::uint64_t step_generation_ = 0; // a replaced schedule's pending wait must not apply a step
  std::uint64_t flip_generation_ = 0;
  bool stopped_ = false;
};

} // namespace talkory::testing::detail
