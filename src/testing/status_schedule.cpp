// Timers on the server's thread that apply status steps and flips to mock_state.
#include "testing/status_schedule.hpp"

#include <utility>

namespace talkory::testing::detail {

status_schedule::status_schedule(boost::asio::io_context& io, std::shared_ptr<mock_state> state)
    : state_(std::move(state)), step_timer_(io), flip_timer_(io) {}

void status_schedule::run_steps(std::vector<status_step> steps) {
  if (stopped_) {
    return;
  }
  ++step_generation_;
  step_timer_.cancel();
  steps_.assign(std::make_move_iterator(steps.begin()), std::make_move_iterator(steps.end()));
  arm_step();
}

void status_schedule::flip_every(std::chrono::milliseconds period) {
  if (stopped_) {
    return;
  }
  ++flip_generation_;
  flip_timer_.cancel();
  flip_period_ = period;
  arm_flip();
}

void status_schedule::stop() {
  stopped_ = true;
  steps_.clear();
  flip_period_ = std::chrono::milliseconds{0};
  step_timer_.cancel();
  flip_timer_.cancel();
}

void status_schedule::arm_step() {
  if (steps_.empty()) {
    return;
  }
  step_timer_.expires_after(steps_.front().after);
  step_timer_.async_wait([this, generation = step_generation_](boost::system::error_code ec) {
    if (ec || stopped_ || generation != step_generation_) {
      return;
    }
    state_->apply_status_step(steps_.front());
    steps_.pop_front();
    arm_step();
  });
}

void status_schedule::arm_flip() {
  if (flip_period_ <= std::chrono::milliseconds::zero()) {
    return;
  }
  flip_timer_.expires_after(flip_period_);
  flip_timer_.async_wait([this, generation = flip_generation_](boost::system::error_code ec) {
    if (ec || stopped_ || generation != flip_generation_) {
      return;
    }
    state_->flip_random_provider();
    arm_flip();
  });
}

} // namespace talkory::testing::detail
