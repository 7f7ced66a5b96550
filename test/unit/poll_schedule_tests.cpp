// The pauses between polls: interval with jitter, doubling backoff after errors, Retry-After.
#include "poll_schedule.hpp"

#include <cmath>

#include <boost/test/unit_test.hpp>

using talkory::detail::poll_schedule;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(poll_schedule_tests)

BOOST_AUTO_TEST_CASE(without_jitter_the_pause_is_the_interval) {
  poll_schedule s(1000ms, 0.0, 8000ms);
  BOOST_TEST(s.after_success(0.0).count() == 1000);
  BOOST_TEST(s.after_success(0.99).count() == 1000);
}

BOOST_AUTO_TEST_CASE(jitter_spreads_the_pause_evenly_around_the_interval) {
  poll_schedule s(1000ms, 0.1, 8000ms);
  BOOST_TEST(s.after_success(0.0).count() == 900);
  BOOST_TEST(s.after_success(0.5).count() == 1000);
  BOOST_TEST(s.after_success(0.75).count() == 1050);
  BOOST_TEST(s.after_success(1.0).count() == 1100);
}

BOOST_AUTO_TEST_CASE(out_of_range_random_numbers_are_clamped) {
  poll_schedule s(1000ms, 0.5, 8000ms);
  BOOST_TEST(s.after_success(-3.0).count() == 500);
  BOOST_TEST(s.after_success(7.0).count() == 1500);
  BOOST_TEST(s.after_success(std::nan("")).count() == 500);
}

BOOST_AUTO_TEST_CASE(errors_back_off_doubling_from_the_interval_up_to_max_backoff) {
  poll_schedule s(1000ms, 0.0, 5000ms);
  BOOST_TEST(s.after_error(0.5).count() == 1000);
  BOOST_TEST(s.after_error(0.5).count() == 2000);
  BOOST_TEST(s.after_error(0.5).count() == 4000);
  BOOST_TEST(s.after_error(0.5).count() == 5000);
  BOOST_TEST(s.after_error(0.5).count() == 5000);
}

BOOST_AUTO_TEST_CASE(a_jittered_backoff_never_exceeds_max_backoff) {
  poll_schedule s(1000ms, 0.2, 2000ms);
  s.after_error(0.5);
  s.after_error(0.5);
  BOOST_TEST(s.after_error(1.0).count() == 2000);
}

BOOST_AUTO_TEST_CASE(a_good_poll_resets_the_backoff_to_the_interval) {
  poll_schedule s(100ms, 0.0, 10'000ms);
  s.after_error(0.5);
  s.after_error(0.5);
  s.after_error(0.5);
  BOOST_TEST(s.current_backoff().count() == 800);
  BOOST_TEST(s.after_success(0.5).count() == 100);
  BOOST_TEST(s.after_error(0.5).count() == 100);
}

BOOST_AUTO_TEST_CASE(retry_after_lengthens_the_pause_up_to_max_backoff) {
  poll_schedule s(1000ms, 0.0, 30'000ms);
  BOOST_TEST(s.after_error(0.5, std::chrono::seconds(7)).count() == 7000);
  BOOST_TEST(s.after_error(0.5, std::chrono::seconds(1)).count() == 2000);
  BOOST_TEST(s.after_error(0.5, std::chrono::seconds(3600)).count() == 30'000);
}

BOOST_AUTO_TEST_CASE(the_pause_is_never_zero) {
  poll_schedule s(1ms, 1.0, 1ms);
  BOOST_TEST(s.after_success(0.0).count() == 1);
  BOOST_TEST(s.after_error(0.0).count() == 1);
}

BOOST_AUTO_TEST_CASE(the_backoff_cannot_overflow) {
  poll_schedule s(1ms, 0.0, std::chrono::milliseconds::max());
  for (int i = 0; i < 100; ++i)
    s.after_error(0.5);
  BOOST_TEST((s.current_backoff() == std::chrono::milliseconds::max()));
}

BOOST_AUTO_TEST_SUITE_END()
