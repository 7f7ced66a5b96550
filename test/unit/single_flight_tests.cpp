// A flight on its call's strand, without sockets: how subscribers are parked, served and released.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "serial_executor.hpp"
#include "single_flight.hpp"

namespace asio = boost::asio;
using talkory::result;
using talkory::detail::call_state;
using talkory::detail::flight;
using talkory::detail::make_serial;
using talkory::detail::stats_counters;

namespace {

struct fixture {
  asio::io_context ioc;
  stats_counters counters;
  std::shared_ptr<flight<int>> f =
      std::make_shared<flight<int>>(make_serial(ioc.get_executor()), counters, ioc.get_executor());
  std::shared_ptr<call_state> call = f->call();
  std::vector<int> received; // each subscriber's value, -1 for an error

  flight<int>::handler_type recorder() {
    return talkory::detail::make_tracked<void(result<int>)>(
        [this](result<int> r) { received.push_back(r ? *r : -1); }, ioc.get_executor());
  }
  void deliver(int value) {
    asio::post(call->strand, [this, value] { f->deliver(value); });
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(single_flight_tests)

BOOST_FIXTURE_TEST_CASE(the_first_subscriber_is_parked_without_a_trip_to_the_strand, fixture) {
  auto h = recorder();
  f->start(h);
  BOOST_TEST(ioc.poll() == 0u); // nothing was posted: the waiter is parked already
  deliver(7);
  ioc.restart();
  ioc.poll();
  BOOST_TEST(received == std::vector<int>{7});
  BOOST_TEST(counters.calls_succeeded.load() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_joiner_after_the_first_gets_the_same_result_once, fixture) {
  auto first = recorder();
  auto second = recorder();
  f->start(first);
  BOOST_TEST(f->join(second));
  ioc.poll(); // the join reaches the strand
  deliver(3);
  ioc.restart();
  ioc.poll();
  BOOST_TEST(received == (std::vector<int>{3, 3}));
}

BOOST_AUTO_TEST_CASE(a_join_on_its_way_to_the_strand_when_the_result_comes_gets_it_too) {
  // A string, not an int: a subscriber given the moved-from result instead of a copy would
  // receive an empty one.
  asio::io_context ioc;
  stats_counters counters;
  auto f = std::make_shared<flight<std::string>>(make_serial(ioc.get_executor()), counters,
                                                 ioc.get_executor());
  std::vector<std::string> received;
  auto recorder = [&] {
    return talkory::detail::make_tracked<void(result<std::string>)>(
        [&](result<std::string> r) { received.push_back(r ? *r : "error"); },
        ioc.get_executor());
  };
  auto first = recorder();
  auto second = recorder();
  f->start(first);
  const auto strand = f->call()->strand;
  asio::post(strand, [f] { f->deliver(std::string(40, 'r')); }); // runs before the join's turn
  BOOST_TEST(f->join(second)); // accepted: on its way to the strand, behind the delivery
  ioc.poll();
  BOOST_TEST(received == (std::vector<std::string>{std::string(40, 'r'), std::string(40, 'r')}));
  BOOST_TEST(counters.calls_succeeded.load() == 2u);
}

BOOST_FIXTURE_TEST_CASE(the_only_subscriber_cancelling_stops_the_call, fixture) {
  asio::cancellation_signal signal;
  auto h = talkory::detail::make_tracked<void(result<int>)>(
      asio::bind_cancellation_slot(signal.slot(),
                                   [this](result<int> r) { received.push_back(r ? *r : -1); }),
      ioc.get_executor());
  f->start(h);
  signal.emit(asio::cancellation_type::terminal);
  ioc.poll();
  BOOST_TEST(call->cancelled);  // the last one to leave stopped the request...
  BOOST_TEST(received.empty()); // ...and waits for it to wind down
  BOOST_TEST(!f->join(h));      // nobody joins a request being stopped
  deliver(5);
  ioc.restart();
  ioc.poll();
  BOOST_TEST(received == std::vector<int>{5});
}

BOOST_AUTO_TEST_SUITE_END()
