// The fleet script's arithmetic on a real Redis with "now" given (its test-only argument), on the
// inputs of token_bucket_tests: the fleet must grant exactly what the local bucket grants.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "fleet/fleet_script.hpp"
#include "fleet/redis_server.hpp"

using namespace std::chrono_literals;
using talkory::test::redis_server;
using us = std::chrono::microseconds;

namespace {

// An arbitrary origin in microseconds, like Redis's TIME: the script must not care.
constexpr std::int64_t t0 = 1'700'000'000'000'000;

std::int64_t at(us offset) {
  return t0 + offset.count();
}

struct verdict {
  bool allowed = false;
  std::int64_t wait_us = 0;
};

class fleet_script {
public:
  fleet_script(redis_server& redis, std::size_t capacity, us period, std::string name)
      : redis_(redis), capacity_(capacity), period_(period), limit_(name + ":limit"),
        pause_(name + ":pause") {
    sha_ = redis_.command({"SCRIPT", "LOAD", std::string(talkory::detail::fleet_script)}).at(0);
  }

  // try_take at `now`: a slot only if it is free at once (max_wait 0).
  verdict acquire(std::int64_t now, us max_wait = 0us) {
    const auto r = redis_.command({"EVALSHA", sha_, "2", limit_, pause_, "acquire",
                                   std::to_string(capacity_), std::to_string(period_.count()),
                                   std::to_string(max_wait.count()), std::to_string(now)});
    BOOST_REQUIRE_EQUAL(r.size(), 2u);
    return {r[0] == "1", std::stoll(r[1])};
  }
  bool try_take(std::int64_t now) { return acquire(now).allowed; }

  const std::string& limit_key() const { return limit_; }

private:
  redis_server& redis_;
  std::size_t capacity_;
  us period_;
  std::string limit_, pause_, sha_;
};

redis_server& shared_redis() {
  static redis_server redis; // one server for this suite's pure arithmetic
  return redis;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_script_tests)

BOOST_AUTO_TEST_CASE(starts_full_and_grants_the_burst_at_once) {
  fleet_script s(shared_redis(), 3, 60s, "burst");
  BOOST_TEST(s.try_take(t0));
  BOOST_TEST(s.try_take(t0));
  BOOST_TEST(s.try_take(t0));
  const auto fourth = s.acquire(t0);
  BOOST_TEST(!fourth.allowed);
  BOOST_TEST(fourth.wait_us == us(60s).count()); // available_at(t0) == t0 + 60 s
}

BOOST_AUTO_TEST_CASE(each_token_returns_one_period_after_it_was_taken) {
  fleet_script s(shared_redis(), 3, 60s, "returns");
  BOOST_TEST(s.try_take(t0));
  BOOST_TEST(s.try_take(at(10s)));
  BOOST_TEST(s.try_take(at(20s)));
  BOOST_TEST(!s.try_take(at(60s - 1us)));
  BOOST_TEST(s.try_take(at(60s)));
  BOOST_TEST(!s.try_take(at(70s - 1us)));
  BOOST_TEST(s.try_take(at(70s)));
}

BOOST_AUTO_TEST_CASE(never_grants_more_than_the_burst_within_any_window) {
  // A greedy taker polling every second for 10 minutes: at most 30 in any 60 s, 300 in all.
  fleet_script s(shared_redis(), 30, 60s, "greedy");
  std::vector<std::int64_t> grants;
  for (auto now = t0; now < at(10min); now += us(1s).count())
    for (int k = 0; k <= 30 && s.try_take(now); ++k) // bounded: a broken script must not spin
      grants.push_back(now);
  for (std::size_t i = 0; i < grants.size(); ++i) {
    const auto in_window =
        std::count_if(grants.begin() + static_cast<std::ptrdiff_t>(i), grants.end(),
                      [&](std::int64_t g) { return g < grants[i] + us(60s).count(); });
    BOOST_TEST(in_window <= 30);
  }
  BOOST_TEST(grants.size() == 300u);
}

BOOST_AUTO_TEST_CASE(burst_smaller_than_the_rate_spaces_the_grants) {
  // token_bucket(1, 30, 60s): one every 2 s, never two at once.
  fleet_script s(shared_redis(), 1, 2s, "spaced");
  BOOST_TEST(s.try_take(t0));
  const auto early = s.acquire(at(1s));
  BOOST_TEST(!early.allowed);
  BOOST_TEST(early.wait_us == us(1s).count()); // available at t0 + 2 s
  BOOST_TEST(s.try_take(at(10s)));
  const auto again = s.acquire(at(10s));
  BOOST_TEST(!again.allowed);
  BOOST_TEST(again.wait_us == us(2s).count());
}

BOOST_AUTO_TEST_CASE(reserves_slots_first_come_first_served) {
  // Callers willing to wait get the next free slots in the order Redis ran them, whichever
  // process they are in: 2 per 10 s gives 0, 0, 10, 10, 20 s.
  fleet_script s(shared_redis(), 2, 10s, "fifo");
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 5; ++i) {
    const auto v = s.acquire(t0, 1min);
    BOOST_TEST(v.allowed);
    waits.push_back(v.wait_us);
  }
  const std::vector<std::int64_t> expected{0, 0, us(10s).count(), us(10s).count(), us(20s).count()};
  BOOST_TEST(waits == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_slot_past_the_deadline_is_refused_and_not_reserved) {
  fleet_script s(shared_redis(), 1, 10s, "deadline");
  BOOST_TEST(s.try_take(t0));
  const auto refused = s.acquire(t0, 5s);
  BOOST_TEST(!refused.allowed);
  BOOST_TEST(refused.wait_us == us(10s).count());
  const auto granted = s.acquire(t0, 10s); // the refusal took nothing: still the 10 s slot
  BOOST_TEST(granted.allowed);
  BOOST_TEST(granted.wait_us == us(10s).count());
}

BOOST_AUTO_TEST_CASE(a_clock_that_steps_back_never_reorders_the_log) {
  // token_bucket never lets time run backwards; the script keeps its log in order the same way
  // (Redis's TIME may step back when the host's clock is corrected).
  fleet_script s(shared_redis(), 3, 60s, "stepback");
  BOOST_TEST(s.try_take(at(10s)));
  const auto earlier = s.acquire(t0, 1min);
  BOOST_TEST(earlier.allowed);
  BOOST_TEST(earlier.wait_us == us(10s).count()); // not before the slot already given
}

BOOST_AUTO_TEST_CASE(the_log_keeps_only_the_last_capacity_grants) {
  fleet_script s(shared_redis(), 3, 1s, "bounded");
  for (int i = 0; i < 20; ++i)
    BOOST_TEST(s.try_take(at(std::chrono::seconds(i))));
  BOOST_TEST(shared_redis().command({"LLEN", s.limit_key()}).at(0) == "3");
  const auto ttl = std::stoll(shared_redis().command({"PTTL", s.limit_key()}).at(0));
  BOOST_TEST(ttl > 0); // expires by itself: an abandoned key does not stay in Redis
}

BOOST_AUTO_TEST_CASE(a_pause_holds_every_slot_until_it_ends) {
  // The pause is timed by Redis's own clock (PX), so this one runs on real time.
  redis_server& redis = shared_redis();
  const auto sha =
      redis.command({"SCRIPT", "LOAD", std::string(talkory::detail::fleet_script)}).at(0);
  redis.command({"EVALSHA", sha, "2", "paused:limit", "paused:pause", "pause", "5000"});
  redis.command(
      {"EVALSHA", sha, "2", "paused:limit", "paused:pause", "pause", "10"}); // shorter: kept
  const auto r = redis.command(
      {"EVALSHA", sha, "2", "paused:limit", "paused:pause", "acquire", "30", "60000000", "0"});
  BOOST_TEST(r.at(0) == "0");
  const auto wait = std::stoll(r.at(1));
  BOOST_TEST(wait > us(4s).count());
  BOOST_TEST(wait <= us(5s).count());
}

BOOST_AUTO_TEST_SUITE_END()
