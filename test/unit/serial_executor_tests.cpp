// serial_executor: a strand that fits in any_io_executor's small buffer. What it must keep of a
// strand (one handler at a time, in order, inline only when allowed) and of an io_context
// executor (outstanding work while a tracked copy exists).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "serial_executor.hpp"

namespace asio = boost::asio;
using talkory::detail::make_serial;
using talkory::detail::serial_executor;

BOOST_AUTO_TEST_SUITE(serial_executor_tests)

// The reason it exists: any_io_executor keeps a target of at most two pointers in place, and
// only then are copies, prefer and require free of allocation.
static_assert(sizeof(serial_executor) <= 2 * sizeof(void*));
static_assert(alignof(serial_executor) <= alignof(void*));
static_assert(std::is_nothrow_copy_constructible_v<serial_executor>);

BOOST_AUTO_TEST_CASE(an_io_context_gets_a_serial_executor_and_its_variants_stay_one) {
  asio::io_context ioc;
  const asio::any_io_executor ex = make_serial(ioc.get_executor());
  BOOST_TEST(ex.target<serial_executor>() != nullptr);
  const asio::any_io_executor tracked = asio::prefer(ex, asio::execution::outstanding_work.tracked);
  BOOST_TEST(tracked.target<serial_executor>() != nullptr);
  const asio::any_io_executor never = asio::require(ex, asio::execution::blocking.never);
  BOOST_TEST(never.target<serial_executor>() != nullptr);
  BOOST_TEST(&asio::query(ex, asio::execution::context) == &ioc);
}

BOOST_AUTO_TEST_CASE(other_executors_get_an_ordinary_strand) {
  asio::thread_pool pool(1);
  const auto ex = make_serial(pool.get_executor());
  BOOST_TEST(ex.target<serial_executor>() == nullptr);
  BOOST_TEST(ex.target<asio::strand<asio::any_io_executor>>() != nullptr);
  pool.join();
}

BOOST_AUTO_TEST_CASE(an_executor_that_is_already_serial_stays_the_same_strand) {
  // The client hands its strand to its pool and limiter, which make_serial what they are given:
  // they must land on that strand, not on a strand of it (a hop per step of every call).
  asio::io_context ioc;
  const asio::any_io_executor ex = make_serial(ioc.get_executor());
  BOOST_TEST((make_serial(ex) == ex));
  BOOST_TEST((make_serial(ioc.get_executor()) != ex)); // a fresh one from the context itself
  asio::thread_pool pool(1);
  const auto fallback = make_serial(pool.get_executor());
  BOOST_TEST((make_serial(fallback) == fallback));
  pool.join();
}

BOOST_AUTO_TEST_CASE(copies_are_the_same_strand_and_two_strands_differ) {
  asio::io_context ioc;
  const serial_executor a(ioc);
  const serial_executor b(ioc);
  const serial_executor a2 = a;
  BOOST_TEST((a2 == a));
  BOOST_TEST((a != b));
  BOOST_TEST((asio::require(a, asio::execution::blocking.never) != a));
  BOOST_TEST((asio::require(asio::require(a, asio::execution::blocking.never),
                            asio::execution::blocking.possibly) == a));
}

BOOST_AUTO_TEST_CASE(handlers_run_one_at_a_time_in_posting_order_on_two_threads) {
  asio::io_context ioc;
  const asio::any_io_executor ex = make_serial(ioc.get_executor());
  constexpr int n = 2000;
  std::vector<int> order;
  order.reserve(n);
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  for (int i = 0; i < n; ++i)
    asio::post(ex, [&, i] {
      if (inside.fetch_add(1) != 0)
        overlapped = true;
      order.push_back(i); // unsynchronized on purpose: TSan reports it if the strand fails
      inside.fetch_sub(1);
    });
  std::thread other([&] { ioc.run(); });
  ioc.run();
  other.join();
  BOOST_TEST(!overlapped.load());
  BOOST_REQUIRE_EQUAL(order.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    BOOST_TEST_REQUIRE(order[static_cast<std::size_t>(i)] == i);
}

BOOST_AUTO_TEST_CASE(inside_the_strand_dispatch_runs_inline_and_never_does_not) {
  asio::io_context ioc;
  const asio::any_io_executor ex = make_serial(ioc.get_executor());
  bool dispatched_inline = false;
  bool posted_inline = false;
  bool posted_ran = false;
  asio::post(ex, [&] {
    bool ran = false;
    asio::dispatch(ex, [&] { ran = true; });
    dispatched_inline = ran;
    asio::require(ex, asio::execution::blocking.never).execute([&] { posted_ran = true; });
    posted_inline = posted_ran;
  });
  ioc.run();
  BOOST_TEST(dispatched_inline);
  BOOST_TEST(!posted_inline);
  BOOST_TEST(posted_ran);
}

BOOST_AUTO_TEST_CASE(outside_the_strand_dispatch_does_not_run_inline) {
  asio::io_context ioc;
  const asio::any_io_executor ex = make_serial(ioc.get_executor());
  bool ran = false;
  asio::dispatch(ex, [&] { ran = true; }); // this thread is not running the io_context
  BOOST_TEST(!ran);
  ioc.run();
  BOOST_TEST(ran);
}

BOOST_AUTO_TEST_CASE(a_tracked_copy_keeps_the_io_context_from_running_out_of_work) {
  asio::io_context ioc;
  const asio::any_io_executor ex = make_serial(ioc.get_executor());
  std::optional<asio::any_io_executor> work =
      asio::prefer(ex, asio::execution::outstanding_work.tracked);
  std::optional<asio::any_io_executor> copy = *work; // a copy tracks work of its own
  ioc.poll(); // poll() stops the context when no work is outstanding
  BOOST_TEST(!ioc.stopped());
  work.reset();
  ioc.poll();
  BOOST_TEST(!ioc.stopped());
  copy.reset();
  ioc.poll();
  BOOST_TEST(ioc.stopped());
}

BOOST_AUTO_TEST_CASE(an_untracked_copy_does_not_hold_the_io_context) {
  asio::io_context ioc;
  const asio::any_io_executor ex = make_serial(ioc.get_executor());
  ioc.poll();
  BOOST_TEST(ioc.stopped());
}

BOOST_AUTO_TEST_CASE(the_strand_outlives_the_executor_it_was_posted_through) {
  asio::io_context ioc;
  bool ran = false;
  {
    const asio::any_io_executor ex = make_serial(ioc.get_executor());
    asio::post(ex, [&] { ran = true; });
  } // the last copy the caller held is gone; the queued function keeps the strand
  ioc.run();
  BOOST_TEST(ran);
}

BOOST_AUTO_TEST_SUITE_END()
