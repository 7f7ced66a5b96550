// How a caller's handler is completed: its work taken before erasure (tracked_work_of), and the
// erased handlers whose executor is not an any_io_executor (track_erased's redispatch).
#include <boost/test/unit_test.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>

#include <talkory/client.hpp>

#include "completion.hpp"

namespace asio = boost::asio;
using talkory::detail::complete_later;
using talkory::detail::track_erased;
using talkory::detail::tracked_work_of;

BOOST_AUTO_TEST_SUITE(completion_tests)

BOOST_AUTO_TEST_CASE(the_work_of_a_handler_is_taken_on_its_executor_before_erasure) {
  asio::io_context ioc;
  asio::io_context other;
  auto work = tracked_work_of(asio::bind_executor(other, [] {}), ioc.get_executor());
  BOOST_REQUIRE(static_cast<bool>(work));
  BOOST_TEST(&asio::query(work, asio::execution::context) == &other);
  other.poll();
  BOOST_TEST(!other.stopped()); // the work counts there, as a pending operation's would
  work = {};
  other.restart();
  other.poll();
  BOOST_TEST(other.stopped());
  // Without an executor of its own, the handler's is the fallback.
  auto fallback = tracked_work_of([] {}, ioc.get_executor());
  BOOST_TEST(&asio::query(fallback, asio::execution::context) == &ioc);
}

BOOST_AUTO_TEST_CASE(an_erased_handler_gives_no_work_before_it_is_tracked_otherwise) {
  asio::io_context ioc;
  // An any_completion_handler's executor is an any_completion_executor, not an any_io_executor.
  const asio::any_completion_handler<void()> erased([] {});
  BOOST_TEST(!tracked_work_of(erased, ioc.get_executor()));
}

BOOST_AUTO_TEST_CASE(an_erased_handler_without_its_work_still_runs_on_its_own_executor) {
  asio::io_context ioc;
  asio::io_context other;
  bool ran_in_other = false;
  asio::any_completion_handler<void(int)> erased(asio::bind_executor(
      other, [&](int) { ran_in_other = other.get_executor().running_in_this_thread(); }));
  auto tracked = track_erased(std::move(erased), {}, ioc.get_executor());
  other.poll();
  BOOST_TEST(!other.stopped()); // its work is held from the start
  complete_later(ioc.get_executor(), std::move(tracked), 1);
  ioc.poll(); // through the fallback, then dispatched to its own executor
  BOOST_TEST(!ran_in_other);
  other.restart();
  other.poll();
  BOOST_TEST(ran_in_other);
  BOOST_TEST(other.stopped()); // and nothing holds it afterwards
}

BOOST_AUTO_TEST_CASE(an_erased_handler_keeps_its_cancellation_slot_when_tracked) {
  asio::io_context ioc;
  asio::cancellation_signal signal;
  asio::any_completion_handler<void(int)> erased(
      asio::bind_cancellation_slot(signal.slot(), [](int) {}));
  auto tracked = track_erased(std::move(erased), {}, ioc.get_executor());
  // Erasure chains slots (each any_completion_handler has a cancellation state of its own), so
  // what counts is that the caller's emission reaches whoever installs a handler in it.
  auto slot = asio::get_associated_cancellation_slot(tracked);
  BOOST_REQUIRE(slot.is_connected());
  bool reached = false;
  slot.assign([&](asio::cancellation_type) { reached = true; });
  signal.emit(asio::cancellation_type::terminal);
  BOOST_TEST(reached);
}

BOOST_AUTO_TEST_SUITE_END()
